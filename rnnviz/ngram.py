"""The statistics of language that motivate sequence models (d2l 8.2-8.3).

n-gram counts and top-k tables, Zipf's law fitted by least squares, the growth of distinct n-grams
with n, and Laplace-smoothed n-gram language models whose perplexity can be set beside an RNN's.
Tokens are any hashable values (characters or words); a corpus is one flat token list, lines
concatenated as d2l does, so n-grams run across line ends.
"""
from __future__ import annotations

import collections
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.data import Corpus, Vocab, split_train_val, tokenize

UNK = "<unk>"
ORDER_NAMES = {1: "unigram", 2: "bigram", 3: "trigram"}
PRIORS = ("chain", "unigram")


def order_name(n: int) -> str:
    """'unigram', 'bigram', 'trigram', then '4-gram', '5-gram', ..."""
    return ORDER_NAMES.get(n, f"{n}-gram")


# ---------------------------------------------------------------- counts


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens, in order: ``len(tokens) - n + 1`` tuples (none if too short)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return list(zip(*(tokens[i:] for i in range(n))))


def ngram_counts(tokens: Sequence[str], n: int) -> collections.Counter:
    """Counts of each n-gram; for n = 1 the keys are 1-tuples."""
    return collections.Counter(ngrams(tokens, n))


def top_ngrams(tokens: Sequence[str], n: int, k: int = 10) -> list[tuple[tuple[str, ...], int]]:
    """The ``k`` most frequent n-grams with their counts, ties in first-seen order (as d2l lists them)."""
    counts = ngram_counts(tokens, n)
    return sorted(counts.items(), key=lambda x: x[1], reverse=True)[:k]


def corpus_tokens(corpus: Corpus, level: str = "char") -> list[str]:
    """The corpus as one flat token list: its char stream (as the char RNNs see it) or its words,
    lines concatenated (d2l: ``[token for line in tokens for token in line]``)."""
    if level == "char":
        return corpus.char_tokens()
    return [tok for line in tokenize(corpus.lines, level) for tok in line]


def train_val_tokens(corpus: Corpus, level: str = "char", val_frac: float = 0.1,
                     max_tokens: int = -1) -> tuple[list[str], list[str], Vocab]:
    """(train tokens, validation tokens, vocab) split exactly as `rnnviz.train.prepare_data` splits
    the char RNN's data: vocabulary from the whole stream, cut to ``max_tokens`` (if > 0), then
    the last ``val_frac`` held out by `split_train_val`. Pass the vocab to `NGramLM.fit` so m, the
    vocabulary size, is the size of the RNN's softmax."""
    tokens = corpus_tokens(corpus, level)
    vocab = Vocab(tokens)
    if max_tokens > 0:
        tokens = tokens[:max_tokens]
    train, val = split_train_val(tokens, val_frac)
    return train, val, vocab


def _dense_ngram_ids(ids: np.ndarray, m: int, max_n: int):
    """For n = 1..max_n, yield (n, codes, counts): every n-gram occurrence as a dense integer id
    (codes, length len(ids) - n + 1) and the count of each distinct id. The n-gram id is built
    from the (n-1)-gram id and the next token, so codes stay below len(ids) * m (no overflow)."""
    codes = ids
    for n in range(1, max_n + 1):
        if n > 1:
            if len(codes) < 2:
                return
            codes = codes[:-1] * m + ids[n - 1:]
        _, codes, counts = np.unique(codes, return_inverse=True, return_counts=True)
        yield n, codes, counts


# ---------------------------------------------------------------- Zipf's law


@dataclass(frozen=True)
class ZipfFit:
    """Least-squares line ``log n_i = -alpha * log i + c`` (natural logs) over ranks lo..hi inclusive.

    ``r2`` is the coefficient of determination of that line in log-log space, over the same ranks.
    """

    alpha: float
    c: float
    r2: float
    lo: int
    hi: int

    def predict(self, ranks) -> np.ndarray:
        """Frequencies on the fitted line, ``exp(c) * rank ** -alpha``."""
        return np.exp(self.c) * np.asarray(ranks, dtype=float) ** -self.alpha


def rank_frequencies(counts: Mapping | Iterable[int]) -> np.ndarray:
    """Counts sorted from most to least frequent: entry i - 1 is the frequency of rank i."""
    values = counts.values() if isinstance(counts, Mapping) else counts
    return np.sort(np.fromiter(values, dtype=float))[::-1]


def zipf_fit(freqs: Sequence[float] | np.ndarray,
             rank_range: tuple[int, int | None] = (1, None)) -> ZipfFit:
    """Fit Zipf's law to frequencies by rank (sorted here, most frequent first) over a rank range.

    ``rank_range = (lo, hi)`` is 1-based and inclusive; ``hi = None`` or a hi past the last rank
    means the last rank. The head and the tail bend away from the line, so the range matters.
    Raises ValueError for fewer than two ranks in range or a non-positive frequency.
    """
    f = np.sort(np.asarray(freqs, dtype=float))[::-1]
    lo, hi = rank_range
    hi = len(f) if hi is None else min(hi, len(f))
    if lo < 1 or hi - lo + 1 < 2:
        raise ValueError(f"need at least two ranks to fit a line; ranks {lo}..{hi} of {len(f)} given")
    y = f[lo - 1:hi]
    if np.any(y <= 0):
        raise ValueError("frequencies must be positive to take logarithms")
    x = np.log(np.arange(lo, hi + 1, dtype=float))
    y = np.log(y)
    slope, c = np.polyfit(x, y, 1)
    ss_res = float(np.sum((y - (slope * x + c)) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return ZipfFit(alpha=float(-slope), c=float(c), r2=r2, lo=lo, hi=hi)


@dataclass(frozen=True)
class ZipfSeries:
    """Frequencies by rank of the n-grams of one order, with the Zipf line fitted to them."""

    n: int
    freqs: np.ndarray
    fit: ZipfFit

    @property
    def label(self) -> str:
        return order_name(self.n) + "s"


def zipf_series(tokens: Sequence[str], orders: Iterable[int] = (1, 2, 3),
                rank_range: tuple[int, int | None] = (1, None)) -> list[ZipfSeries]:
    """Rank-frequency data and Zipf fits for each n-gram order, all over the same rank range
    (clipped per order to the ranks it has)."""
    series = []
    for n in orders:
        freqs = rank_frequencies(ngram_counts(tokens, n))
        series.append(ZipfSeries(n, freqs, zipf_fit(freqs, rank_range)))
    return series


# ---------------------------------------------------------------- distinct n-grams


@dataclass(frozen=True)
class NGramGrowth:
    """How many n-grams of one length a text holds.

    ``total``: occurrences (len(tokens) - n + 1); ``distinct``: different n-grams seen;
    ``hapax``: how many of those were seen exactly once; ``possible``: m ** n, every n-gram the
    vocabulary of m tokens could form.
    """

    n: int
    total: int
    distinct: int
    hapax: int
    possible: int

    @property
    def hapax_share(self) -> float:
        """Share of the distinct n-grams seen only once."""
        return self.hapax / self.distinct if self.distinct else 0.0

    @property
    def coverage(self) -> float:
        """Share of the possible n-grams that occur at all."""
        return self.distinct / self.possible if self.possible else 0.0


def ngram_growth(tokens: Sequence[str], max_n: int = 10) -> list[NGramGrowth]:
    """Distinct and once-seen n-grams for n = 1..max_n (fewer if the text is shorter): the longer
    the context, the more of what is counted is seen once, so counting cannot reach long contexts."""
    if max_n < 1:
        raise ValueError(f"max_n must be at least 1, got {max_n}")
    index: dict = {}
    ids = np.fromiter((index.setdefault(t, len(index)) for t in tokens), dtype=np.int64, count=len(tokens))
    m = len(index)
    return [NGramGrowth(n, len(codes), len(counts), int(np.sum(counts == 1)), m ** n)
            for n, codes, counts in _dense_ngram_ids(ids, max(m, 1), max_n)]


# ---------------------------------------------------------------- smoothed n-gram models


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
            raise ValueError("cannot fit an n-gram model on an empty text")
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
        return [index.get(t, unk) for t in tokens]

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
            t = int(zero[0])
            k = next(k for k in range(1, len(probs) + 1) if probs[k - 1][t] == 0)
            gram = tuple(tokens[t - k + 1:t + 1])
            oov = [tok for tok in gram if tok not in self._index]
            note = f" ({', '.join(map(repr, oov))} not in the vocabulary, read as '{UNK}')" if oov else ""
            msg = (f"the {order_name(k)} {gram!r} at token {t}{note} never occurs in the training text and "
                   f"ε{k} = 0, so its probability is 0 and the perplexity is infinite")
            return PerplexityResult(math.inf, math.inf, len(tokens), gram, t, msg)
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
    orders, epsilons = list(orders), [float(e) for e in epsilons]
    if not orders:
        return []
    if min(orders) < 1:
        raise ValueError(f"orders must be at least 1, got {orders}")
    if not all(math.isfinite(e) and e >= 0 for e in epsilons):
        raise ValueError(f"every ε must be a finite number ≥ 0, got {epsilons}")
    if len(val) == 0:
        raise ValueError("no validation tokens to score")
    lm = NGramLM(max(orders), 1.0, prior).fit(train, vocab)
    pos_counts = lm._position_counts(lm._ids(val), lm.order)
    points = []
    for order in orders:
        for e in epsilons:
            res = lm._result(val, lm._token_probs(pos_counts, (e,) * order))
            points.append(CurvePoint(order, e, res.perplexity, res.message))
    return points
