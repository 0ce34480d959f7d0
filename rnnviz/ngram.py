"""The statistics of language that motivate sequence models (d2l 8.2-8.3).

n-gram counts and top-k tables, Zipf's law fitted by least squares, and the growth of distinct
n-grams with n. Tokens are any hashable values (characters or words); a corpus is one flat token
list, lines concatenated as d2l does, so n-grams run across line ends. The Laplace-smoothed n-gram
language models live in `rnnviz.ngram_lm` and are re-exported here.
"""
from __future__ import annotations

import collections
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.data import Corpus, Vocab, split_train_val, tokenize
from rnnviz.ngram_lm import (ORDER_NAMES, PRIORS, UNK, CurvePoint, NeuralSplit, NGramLM, PerplexityResult,
                             neural_split, order_name, perplexity_curve)

__all__ = ["ORDER_NAMES", "PRIORS", "UNK", "CurvePoint", "NGramGrowth", "NGramLM", "NGramStats", "NeuralSplit",
           "PerplexityResult", "ZipfFit", "ZipfSeries", "corpus_tokens", "log_ranks", "neural_split",
           "ngram_counts", "ngram_growth", "ngram_stats", "ngrams", "order_name", "perplexity_curve",
           "rank_frequencies", "top_ngrams", "train_val_tokens", "zipf_fit", "zipf_refit", "zipf_series"]


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
    return ngram_counts(tokens, n).most_common(k)  # heapq.nlargest: stable, like sorted(...)[:k]


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
    """Frequencies by rank of the n-grams of one order, with the Zipf line fitted to them; ``fit``
    is None when the fitting range leaves this order fewer than two ranks (a tiny text, or a range
    starting past its last rank)."""

    n: int
    freqs: np.ndarray
    fit: ZipfFit | None

    @property
    def label(self) -> str:
        return order_name(self.n, plural=True)


def _fit_or_none(freqs: np.ndarray, rank_range: tuple[int, int | None]) -> ZipfFit | None:
    lo, hi = rank_range
    hi = len(freqs) if hi is None else min(hi, len(freqs))
    return zipf_fit(freqs, (lo, hi)) if lo >= 1 and hi - lo >= 1 else None


def zipf_series(tokens: Sequence[str], orders: Iterable[int] = (1, 2, 3),
                rank_range: tuple[int, int | None] = (1, None)) -> list[ZipfSeries]:
    """Rank-frequency data and Zipf fits for each n-gram order, all over the same rank range
    (clipped per order to the ranks it has; no fit where fewer than two remain)."""
    return [ZipfSeries(n, f, _fit_or_none(f, rank_range))
            for n, f in ((n, rank_frequencies(ngram_counts(tokens, n))) for n in orders)]


def zipf_refit(series: Iterable[ZipfSeries], rank_range: tuple[int, int | None]) -> list[ZipfSeries]:
    """The same rank-frequency data with the lines fitted over another rank range (no recounting)."""
    return [ZipfSeries(s.n, s.freqs, _fit_or_none(s.freqs, rank_range)) for s in series]


def log_ranks(max_rank: int) -> list[int]:
    """Ranks for a range picker on log axes: 1, 2, 5, 10, 20, 50, ... below ``max_rank``, then it."""
    ranks = [m * 10 ** d for d in range(len(str(max(max_rank, 1)))) for m in (1, 2, 5)]
    return [r for r in ranks if r < max_rank] + [max(max_rank, 1)]


@dataclass(frozen=True)
class NGramStats:
    """What the statistics page shows of one token list: ``series`` (rank-frequency data and Zipf
    fits per order), ``top`` (order -> the k most frequent n-grams with their counts, as
    `top_ngrams` gives them), the number of tokens and of distinct tokens, and the seconds it took."""

    series: list[ZipfSeries]
    top: dict[int, list[tuple[tuple, int]]]
    num_tokens: int
    num_types: int
    seconds: float


def ngram_stats(tokens: Sequence[str], orders: Iterable[int] = (1, 2, 3), k: int = 50,
                rank_range: tuple[int, int | None] = (1, None)) -> NGramStats:
    """Count each order's n-grams once and derive both the Zipf data and the top-k tables."""
    start = time.perf_counter()
    series, top = [], {}
    for n in orders:
        counts = ngram_counts(tokens, n)
        freqs = rank_frequencies(counts)
        series.append(ZipfSeries(n, freqs, _fit_or_none(freqs, rank_range)))
        top[n] = counts.most_common(k)  # stable: ties keep first-seen order, as top_ngrams
    num_types = len(series[0].freqs) if series and series[0].n == 1 else len(set(tokens))
    return NGramStats(series, top, len(tokens), num_types, time.perf_counter() - start)


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
