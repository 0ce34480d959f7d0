"""Data for pages that show how text becomes training data (d2l 8.2-8.3): one line through the
preprocessing steps, the vocabulary table, and which token positions the first minibatches take.

Everything here is computed by the functions the models are trained with (`clean_lines`,
`tokenize`, `Vocab`, the samplers of `rnnviz.batches`), so what a page shows is what training does.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.batches import SAMPLERS
from rnnviz.data import Vocab, clean_lines, count_corpus, tokenize

RESERVED_TOKENS = ("<pad>", "<bos>", "<eos>")


# ---------------------------------------------------------------- preprocessing


@dataclass(frozen=True)
class PreprocessSteps:
    """One line of a raw text through d2l's four steps: raw -> cleaned -> tokens -> indices."""

    line_no: int  # 0-based
    raw: str
    cleaned: str
    tokens: list[str]
    indices: list[int]


def preprocess_steps(raw_lines: Sequence[str], line_no: int, token: str = "word",
                     vocab: Vocab | None = None) -> PreprocessSteps:
    """Line ``line_no`` (0-based) of ``raw_lines`` cleaned as d2l cleans it, tokenized, and indexed
    by ``vocab``, by default a `Vocab` of the whole text's cleaned tokens (d2l's). Raises
    IndexError for a line number out of range."""
    if not 0 <= line_no < len(raw_lines):
        raise IndexError(f"line {line_no} is out of range: the text has {len(raw_lines)} lines (0-based)")
    if vocab is None:
        vocab = Vocab(tokenize(clean_lines("\n".join(raw_lines)), token))
    raw = raw_lines[line_no]
    cleaned = (clean_lines(raw) or [""])[0]  # clean_lines("") is []
    tokens = tokenize([cleaned], token)[0]
    return PreprocessSteps(line_no, raw, cleaned, tokens, vocab[tokens])


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class VocabTable:
    """A vocabulary laid out as table rows, most frequent first.

    ``rows``: dicts with 'token', 'index', 'freq' and 'unk' (True where the token maps to
    '<unk>'): first '<unk>' itself (freq = corpus tokens it stands for), then the reserved
    tokens (freq 0), then every token of the corpus, including those below ``min_freq``, shown
    with index 0. ``unk_share`` is the share of the corpus tokens that become '<unk>'.
    """

    rows: list[dict]
    vocab: Vocab
    unk_tokens: list[str]
    unk_count: int
    total: int

    @property
    def unk_share(self) -> float:
        return self.unk_count / self.total if self.total else 0.0


def vocab_table(tokens: list, min_freq: int = 0,
                reserved_tokens: Sequence[str] = RESERVED_TOKENS) -> VocabTable:
    """Build `Vocab(tokens, min_freq, reserved_tokens)` and tabulate it; ``tokens`` may be flat or
    a list of token lists, as `Vocab` takes them."""
    vocab = Vocab(tokens, min_freq=min_freq, reserved_tokens=list(reserved_tokens))
    freqs = count_corpus(tokens)
    total = sum(freqs.values())
    rows, unk_tokens, unk_count = [], [], 0
    for tok, freq in vocab.token_freqs:
        index = vocab[tok]
        if index == vocab.unk:
            unk_tokens.append(tok)
            unk_count += freq
        rows.append({"token": tok, "index": index, "freq": freq, "unk": index == vocab.unk})
    head = [{"token": tok, "index": vocab[tok], "freq": 0, "unk": False} for tok in reserved_tokens]
    head.insert(0, {"token": "<unk>", "index": vocab.unk, "freq": unk_count, "unk": True})
    return VocabTable(head + rows, vocab, unk_tokens, unk_count, total)


# ---------------------------------------------------------------- minibatches


@dataclass(frozen=True)
class Span:
    """``length`` consecutive token positions from ``start``: row ``row`` of minibatch ``batch``
    (both 0-based), as input ('X') or target ('Y', the same positions shifted by one)."""

    start: int
    length: int
    batch: int
    row: int
    role: str  # 'X' | 'Y'

    @property
    def stop(self) -> int:
        return self.start + self.length


def minibatch_spans(tokens: Sequence | int, batch_size: int, num_steps: int, sampler: str = "random",
                    seed: int = 0, max_batches: int = 3) -> list[Span]:
    """The first ``max_batches`` minibatches a sampler draws over ``tokens`` (or that many
    positions), as spans of token positions, X and Y for every row.

    The real sampler runs on the positions 0..N-1 in place of token ids, with
    ``random.Random(seed)`` (what `SeqDataLoader(..., seed=seed)` uses for its first epoch), so
    each batch's entries are the positions it takes. Raises CorpusError, as the samplers do, when
    the text is too short for one batch.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; expected one of {sorted(SAMPLERS)}")
    num_tokens = tokens if isinstance(tokens, int) else len(tokens)
    batches = SAMPLERS[sampler](np.arange(num_tokens), batch_size, num_steps, random.Random(seed))
    spans = []
    for b, (X, Y) in zip(range(max_batches), batches):
        for role, positions in (("X", X), ("Y", Y)):
            for row, pos in enumerate(positions.tolist()):
                spans.append(Span(pos[0], len(pos), b, row, role))
    return spans
