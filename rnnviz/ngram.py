"""n-gram counts: the statistics of language that motivate sequence models (d2l 8.3)."""
from __future__ import annotations

import collections
from collections.abc import Sequence


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
