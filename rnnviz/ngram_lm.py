"""n-gram language models with the lecture's Laplace smoothing (d2l 8.3), their perplexity on
held-out text, samples from them, and how a neural model's validation perplexity can be set beside
theirs. `rnnviz.ngram` re-exports every public name here.
"""
from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.data import Corpus, Vocab
from rnnviz.i18n import t

UNK = "<unk>"
ORDER_NAMES = {1: "unigram", 2: "bigram", 3: "trigram"}
PRIORS = ("chain", "unigram")


def order_name(n: int, plural: bool = False) -> str:
    """'unigram', 'bigram', 'trigram', then '4-gram', '5-gram', ... ('unigrams' … with ``plural``), in the
    interface's language."""
    suffix = "_plural" if plural else ""
    if n in ORDER_NAMES:
        return t(f"statistics_ngram.order_{n}{suffix}")
    return t(f"statistics_ngram.order_n{suffix}", n=n)




@dataclass(frozen=True)
class PerplexityResult:
    """Perplexity of held-out tokens under an n-gram model.

    ``nll`` is the mean negative log-likelihood in nats over ``num_tokens`` tokens. When some
    token has probability 0 (only possible with an ε = 0), ``perplexity`` and ``nll`` are
    math.inf and ``unseen`` is the first n-gram to blame (tokens), at token ``position``, with
    ``message`` saying so; otherwise these are None and "".
    """

    perplexity: float
    nll: float
    num_tokens: int
    unseen: tuple | None = None
    position: int | None = None
    message: str = ""


class NGramLM:
    """An n-gram language model with the lecture's Laplace smoothing, each order leaning on the one below:

        P(x)          = (n(x) + ε1 / m) / (n + ε1)
        P(x' | x)     = (n(x, x') + ε2 P(x')) / (n(x) + ε2)
        P(x''| x, x') = (n(x, x', x'') + ε3 P(x'' | x')) / (n(x, x') + ε3)

    and so on for higher orders. m is the vocabulary size ('<unk>' included), n the number of
    training tokens. In a denominator, n(x) counts the occurrences of x that have a next token
    (the sum over x' of n(x, x')), so every conditional sums to exactly one; it differs from the
    unigram count of x only for the text's last token.

    When the context was never seen and its ε is 0, the formula reads 0/0; it is defined as its
    limit for ε -> 0+, the lower-order estimate (P(x'|x) = P(x')). Probabilities are then always
    defined, and 0 only for an n-gram unseen in training whose ε is 0.

    ``prior="unigram"`` gives d2l's printed variant instead, where every order leans on the
    unigram estimate: P(x''| x, x') = (n(x, x', x'') + ε3 P(x'')) / (n(x, x') + ε3).

    A context shorter than order - 1 tokens (the start of a text) uses the highest order it allows.
    Tokens outside the vocabulary are read as '<unk>', which has count 0 unless the vocabulary
    given to `fit` leaves some training tokens out.
    """

    def __init__(self, order: int = 3, eps: Sequence[float] | float = 1.0, prior: str = "chain"):
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be a whole number of at least 1, got {order!r}")
        eps = (float(eps),) * order if isinstance(eps, (int, float)) else tuple(float(e) for e in eps)
        if len(eps) != order:
            raise ValueError(f"an order-{order} model needs {order} ε values (ε1..ε{order}), got {len(eps)}")
        if not all(math.isfinite(e) and e >= 0 for e in eps):
            raise ValueError(f"every ε must be a finite number ≥ 0, got {eps}")
        self.order, self.eps, self.prior = order, eps, prior
        self.vocab: list = []

    # -- fitting

    def fit(self, tokens: Sequence, vocab: Vocab | Sequence | None = None) -> NGramLM:
        """Count the n-grams of ``tokens``. The vocabulary is ``vocab`` (a `Vocab` or a token list;
        '<unk>' is added first if missing), by default a `Vocab` of the training tokens."""
        if len(tokens) == 0:
            raise ValueError(t("statistics_ngram.empty_text"))
        if vocab is None:
            vocab = Vocab(list(tokens))
        self.vocab = list(vocab.idx_to_token if isinstance(vocab, Vocab) else vocab)
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError("the vocabulary lists some token twice")
        if UNK not in self.vocab:
            self.vocab.insert(0, UNK)
        self._index = {tok: i for i, tok in enumerate(self.vocab)}
        self._unk = self._index[UNK]
        ids = self._ids(tokens)
        self.n = len(ids)
        self._unigram = np.bincount(ids, minlength=self.m).astype(float)
        # _counts[k]: k-gram -> count; _contexts[k]: k-gram -> count of those followed by a token.
        self._counts = [None] + [collections.Counter(zip(*(ids[i:] for i in range(k))))
                                 for k in range(1, self.order + 1)]
        self._contexts = [None]
        for k in range(1, self.order):
            ctx = collections.Counter()
            for gram, c in self._counts[k + 1].items():
                ctx[gram[:-1]] += c
            self._contexts.append(ctx)
        self._followers = [None] * self.order  # built on first use by `distribution`
        return self

    @property
    def m(self) -> int:
        """Vocabulary size, '<unk>' included."""
        return len(self.vocab)

    def _ids(self, tokens: Iterable) -> list[int]:
        index, unk = self._index, self._unk
        return [index.get(tok, unk) for tok in tokens]

    def _check_fitted(self) -> None:
        if not self.vocab:
            raise RuntimeError("fit the model on training tokens first")

    def count(self, gram: Sequence) -> int:
        """How often the n-gram ``gram`` (1 to order tokens) occurs in the training text."""
        self._check_fitted()
        return self._counts[len(gram)].get(tuple(self._ids(gram)), 0)

    # -- probabilities

    def _follower_arrays(self, k: int, ctx: tuple) -> tuple[np.ndarray, np.ndarray]:
        """Ids of the tokens seen after the k-token context ``ctx``, and their counts."""
        if self._followers[k] is None:
            groups: dict = collections.defaultdict(lambda: ([], []))
            for gram, c in self._counts[k + 1].items():
                nxt, cnt = groups[gram[:-1]]
                nxt.append(gram[-1])
                cnt.append(c)
            self._followers[k] = {g: (np.array(a, dtype=np.int64), np.array(b, dtype=float))
                                  for g, (a, b) in groups.items()}
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
        return self._followers[k].get(ctx, empty)

    def _distribution_ids(self, ctx: list[int]) -> np.ndarray:
        e1 = self.eps[0]
        p = p1 = (self._unigram + e1 / self.m) / (self.n + e1)
        ctx = ctx[len(ctx) - min(len(ctx), self.order - 1):]
        for k in range(1, len(ctx) + 1):  # context of the last k tokens: order k + 1
            c = tuple(ctx[-k:])
            den, eps = self._contexts[k].get(c, 0), self.eps[k]
            base = p if self.prior == "chain" else p1
            if den + eps == 0:  # unseen context with ε = 0: the limit for ε -> 0+
                p = base
                continue
            nxt, cnt = self._follower_arrays(k, c)
            q = eps * base
            q[nxt] += cnt
            p = q / (den + eps)
        return p

    def distribution(self, context: Sequence = ()) -> np.ndarray:
        """P(· | context) over ``self.vocab``, shape (m,); only the last order - 1 tokens count."""
        self._check_fitted()
        return self._distribution_ids(self._ids(context))

    def prob(self, context: Sequence, token) -> float:
        """P(token | context) by the formulas in the class docstring."""
        return float(self.distribution(context)[self._index.get(token, self._unk)])

    # -- perplexity

    def _position_counts(self, ids: list[int], order: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For k = 1..order: (n of the k-gram ending at each position t >= k - 1, n of its context).
        For k = 1 the context count is n, the number of training tokens."""
        out = [(self._unigram[ids], np.full(len(ids), float(self.n)))]
        for k in range(2, order + 1):
            grams = list(zip(*(ids[i:] for i in range(k))))
            counts, contexts = self._counts[k], self._contexts[k - 1]
            out.append((np.fromiter((counts.get(g, 0) for g in grams), float, len(grams)),
                        np.fromiter((contexts.get(g[:-1], 0) for g in grams), float, len(grams))))
        return out

    def _token_probs(self, pos_counts, eps: Sequence[float]) -> list[np.ndarray]:
        """P_k(x_t) for k = 1..len(eps) at every position, each order's array of full length
        (positions with too short a context keep the order below)."""
        e1 = eps[0]
        num, _ = pos_counts[0]
        probs = [(num + e1 / self.m) / (self.n + e1)]
        for k in range(2, len(eps) + 1):
            num, den = pos_counts[k - 1]
            p = probs[-1].copy()
            e = eps[k - 1]
            base = (probs[-1] if self.prior == "chain" else probs[0])[k - 1:]
            with np.errstate(invalid="ignore", divide="ignore"):
                p[k - 1:] = np.where(den + e > 0, (num + e * base) / (den + e), base)
            probs.append(p)
        return probs

    def _result(self, tokens: Sequence, probs: list[np.ndarray]) -> PerplexityResult:
        p = probs[-1]
        zero = np.flatnonzero(p == 0)
        if len(zero):
            pos = int(zero[0])
            k = next(k for k in range(1, len(probs) + 1) if probs[k - 1][pos] == 0)
            gram = tuple(tokens[pos - k + 1:pos + 1])
            oov = [tok for tok in gram if tok not in self._index]
            note = t("statistics_ngram.oov_note", tokens=", ".join(map(repr, oov)), unk=UNK) if oov else ""
            msg = t("statistics_ngram.unseen", order=order_name(k), gram=repr(gram), pos=pos, note=note, k=k)
            return PerplexityResult(math.inf, math.inf, len(tokens), gram, pos, msg)
        nll = float(-np.mean(np.log(p)))
        return PerplexityResult(math.exp(nll), nll, len(tokens))

    def evaluate(self, tokens: Sequence) -> PerplexityResult:
        """Perplexity exp(-1/N Σ_t log P(x_t | x_{t-order+1} .. x_{t-1})) over all N ``tokens``, the
        first order - 1 of them with the shorter context they have. Never raises for unseen n-grams."""
        self._check_fitted()
        if len(tokens) == 0:
            raise ValueError("no tokens to score")
        ids = self._ids(tokens)
        return self._result(tokens, self._token_probs(self._position_counts(ids, self.order), self.eps))

    def perplexity(self, tokens: Sequence) -> float:
        """Perplexity of ``tokens`` (math.inf for a token of probability 0; `evaluate` says which)."""
        return self.evaluate(tokens).perplexity

    def with_eps(self, eps: Sequence[float] | float) -> NGramLM:
        """The model of order ``len(eps)`` (at most this one's) with other ε values, from the same counts:
        no recounting. The counts are shared with this model and never changed by either."""
        self._check_fitted()
        eps = (float(eps),) * self.order if isinstance(eps, (int, float)) else tuple(eps)
        if not 1 <= len(eps) <= self.order:
            raise ValueError(f"this model counted n-grams up to n = {self.order}; got {len(eps)} ε values")
        other = NGramLM(len(eps), eps, self.prior)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("order", "eps", "prior")})
        return other

    def evaluate_orders(self, tokens: Sequence, eps: Sequence[float] | None = None) -> list[PerplexityResult]:
        """`evaluate` for the models of order 1, 2, ..., len(eps) with ε1, (ε1, ε2), ... (by default this
        model's ε), in one pass over ``tokens``."""
        self._check_fitted()
        eps = self.eps if eps is None else tuple(float(e) for e in eps)
        self.with_eps(eps)  # checks the ε values
        if len(tokens) == 0:
            raise ValueError("no tokens to score")
        probs = self._token_probs(self._position_counts(self._ids(tokens), len(eps)), eps)
        return [self._result(tokens, probs[:k]) for k in range(1, len(eps) + 1)]

    def curve(self, tokens: Sequence, epsilons: Iterable[float],
              orders: Iterable[int] | None = None) -> list[CurvePoint]:
        """Perplexity of ``tokens`` for every order (default 1..this model's) and every ε, all of a
        model's ε equal: one pass over the tokens, then a few array operations per point."""
        self._check_fitted()
        orders = list(range(1, self.order + 1) if orders is None else orders)
        epsilons = [float(e) for e in epsilons]
        if orders and not 1 <= min(orders) <= max(orders) <= self.order:
            raise ValueError(f"orders must be between 1 and {self.order}, got {orders}")
        if not all(math.isfinite(e) and e >= 0 for e in epsilons):
            raise ValueError(f"every ε must be a finite number ≥ 0, got {epsilons}")
        if len(tokens) == 0:
            raise ValueError("no validation tokens to score")
        pos_counts = self._position_counts(self._ids(tokens), max(orders, default=1))
        points = []
        for order in orders:
            for e in epsilons:
                res = self._result(tokens, self._token_probs(pos_counts, (e,) * order))
                points.append(CurvePoint(order, e, res.perplexity, res.message))
        return points

    # -- generation

    def sample(self, prefix: Sequence = (), n: int = 100, seed: int = 0) -> list:
        """``n`` tokens drawn one at a time from P(· | the last order - 1 tokens), after ``prefix``.
        Returns only the new tokens; the same seed gives the same tokens. '<unk>' can be drawn
        when ε1 > 0, as it has probability."""
        self._check_fitted()
        rng = np.random.default_rng(seed)
        ctx = self._ids(prefix)
        out = []
        for _ in range(n):
            cdf = np.cumsum(self._distribution_ids(ctx[len(ctx) - min(len(ctx), self.order - 1):]))
            i = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), self.m - 1)
            ctx.append(i)
            out.append(self.vocab[i])
        return out


@dataclass(frozen=True)
class CurvePoint:
    """Validation perplexity of an order-``order`` model with every ε equal to ``eps``."""

    order: int
    eps: float
    perplexity: float
    message: str = ""


def perplexity_curve(train: Sequence, val: Sequence, epsilons: Iterable[float],
                     orders: Iterable[int] = (1, 2, 3), vocab: Vocab | Sequence | None = None,
                     prior: str = "chain") -> list[CurvePoint]:
    """Validation perplexity of `NGramLM(order, ε, prior)` fitted on ``train`` with ``vocab``, for
    every order and ε (ε1 = ε2 = ... = ε): one count of the training text and one pass over the
    validation text, then a few array operations per point."""
    orders = list(orders)
    if not orders:
        return []
    if min(orders) < 1:
        raise ValueError(f"orders must be at least 1, got {orders}")
    return NGramLM(max(orders), 1.0, prior).fit(train, vocab).curve(val, epsilons, orders)


# ---------------------------------------------------------------- beside a neural model


@dataclass(frozen=True)
class NeuralSplit:
    """Whether a character-level neural model's validation perplexity can stand beside the n-gram
    models' on a corpus, and the split both are scored on.

    ``val_frac``, ``max_tokens``: the split (`train_val_tokens`), the model's own when it was trained
    on this very text with a held-out part (``same_text``), else the default. ``reason`` says why
    the numbers are not comparable (empty when they are); ``note`` is a caveat to show beside them.
    """

    comparable: bool
    val_frac: float
    max_tokens: int
    same_text: bool
    reason: str = ""
    note: str = ""


def _few(tokens: Iterable, k: int = 6) -> str:
    toks = sorted(tokens)
    more = t("statistics_ngram.and_more", n=len(toks) - k) if len(toks) > k else ""
    return ", ".join(map(repr, toks[:k])) + more


def neural_split(corpus: Corpus, model_tokens: Sequence[str], train_config=None, trained_on: dict | None = None,
                 default_val_frac: float = 0.1) -> NeuralSplit:
    """Decide how a char-level model with vocabulary ``model_tokens`` (its ``idx_to_token``), trained
    with ``train_config`` (a `rnnviz.train.TrainConfig`, or None) on the text ``trained_on`` describes
    (a checkpoint's corpus dict: kind, n_tokens, newlines, name), compares with n-gram models on ``corpus``.

    Comparable when the model predicts exactly the characters the corpus uses: a perplexity is an
    average number of choices, so both must choose among the same characters.
    """
    chars = corpus.char_tokens()
    trained_on = trained_on or {}
    own_val_frac = float(getattr(train_config, "val_frac", 0.0) or 0.0)
    own_max_tokens = int(getattr(train_config, "max_tokens", -1) or -1)
    expected = len(chars) if own_max_tokens <= 0 else min(len(chars), own_max_tokens)
    same_text = (trained_on.get("kind") == corpus.kind and bool(trained_on.get("newlines")) == corpus.newlines
                 and trained_on.get("n_tokens") == expected)
    own_split = same_text and own_val_frac > 0
    val_frac, max_tokens = (own_val_frac, own_max_tokens) if own_split else (default_val_frac, -1)
    text_chars, known = set(chars), set(model_tokens) - {UNK}
    where = t("statistics_ngram.trained_on", name=trained_on["name"]) if trained_on.get("name") else ""
    unseen, unused = text_chars - known, known - text_chars
    if unseen:
        reason = t("statistics_ngram.reason_unseen", n=len(unseen), chars=_few(unseen), where=where)
        return NeuralSplit(False, val_frac, max_tokens, same_text, reason)
    if unused:
        reason = t("statistics_ngram.reason_unused", known=len(known), n=len(unused), chars=_few(unused),
                   text=len(text_chars), where=where)
        return NeuralSplit(False, val_frac, max_tokens, same_text, reason)
    if not same_text:
        note = t("statistics_ngram.note_other_text", name=trained_on.get("name") or t("statistics_ngram.another_text"))
    elif own_split:
        note = t("statistics_ngram.note_own_split")
    else:
        note = t("statistics_ngram.note_whole_text")
    return NeuralSplit(True, val_frac, max_tokens, same_text, "", note)
