"""Data for pages that show how text becomes training data (d2l 8.2-8.3): one line through the
preprocessing steps, the vocabulary table, and which token positions the first minibatches take.

Everything here is computed by the functions the models are trained with (`clean_lines`,
`tokenize`, `Vocab`, the samplers of `rnnviz.batches`), so what a page shows is what training does.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.batches import SAMPLERS
from rnnviz.data import (Corpus, Vocab, _pydoc_text, clean_lines, count_corpus, decode_user_text, time_machine_path,
                         tokenize)
from rnnviz.i18n import t

RESERVED_TOKENS = ("<pad>", "<bos>", "<eos>")


# ---------------------------------------------------------------- preprocessing


def d2l_clean(line: str) -> str:
    """One line cleaned by d2l's rule (`clean_lines`): runs of non-letters to one space, stripped, lowercased."""
    return (clean_lines(line) or [""])[0]  # clean_lines("") is []


def _user_clean(line: str) -> str:
    return " ".join(line.lower().split())


def _keep(line: str) -> str:
    return line


@dataclass(frozen=True)
class Cleaning:
    """How a corpus's lines were cleaned: ``clean`` maps one raw line to its cleaned form, ``rule``
    says it in a sentence, and ``drops_empty`` tells whether lines empty after cleaning were dropped."""

    rule: str
    clean: Callable[[str], str]
    drops_empty: bool


def cleaning_of(corpus: Corpus) -> Cleaning:
    """The cleaning `rnnviz.data.load_corpus` applied to ``corpus`` (its rule in the interface's language)."""
    if corpus.newlines:
        return Cleaning(t("text_views.rule_kept"), _keep, False)
    if corpus.kind == "user":
        return Cleaning(t("text_views.rule_user"), _user_clean, True)
    if corpus.kind == "offline":
        return Cleaning(t("text_views.rule_d2l_drops_empty"), d2l_clean, True)
    return Cleaning(t("text_views.rule_d2l"), d2l_clean, False)


def raw_lines(corpus: Corpus, data: bytes | str | None = None) -> list[str]:
    """The lines of ``corpus`` before cleaning: the book's file, Python's docs, or the user's text
    ``data`` (needed for kind 'user' when cleaned). Kept corpora are their own raw lines.
    Cleaning these by `cleaning_of(corpus)` (and dropping empty ones where it says so) gives
    ``corpus.lines`` back."""
    if corpus.newlines:
        return list(corpus.lines)
    if corpus.kind == "timemachine":
        return time_machine_path().read_text(encoding="utf-8").splitlines()
    if corpus.kind == "offline":
        return _pydoc_text().splitlines()
    if corpus.kind == "user":
        if data is None:
            raise ValueError("the raw lines of a user's text need its data")
        return decode_user_text(data).split("\n")
    return list(corpus.lines)


@dataclass(frozen=True)
class PreprocessSteps:
    """One line of a raw text through d2l's four steps: raw -> cleaned -> tokens -> indices."""

    line_no: int  # 0-based
    raw: str
    cleaned: str
    tokens: list[str]
    indices: list[int]


def preprocess_steps(raw_lines: Sequence[str], line_no: int, token: str = "word",
                     vocab: Vocab | None = None, clean: Callable[[str], str] = d2l_clean) -> PreprocessSteps:
    """Line ``line_no`` (0-based) of ``raw_lines`` cleaned by ``clean`` (d2l's rule by default),
    tokenized, and indexed by ``vocab``, by default a `Vocab` of the whole text's cleaned tokens
    (d2l's). Raises IndexError for a line number out of range."""
    if not 0 <= line_no < len(raw_lines):
        raise IndexError(f"line {line_no} is out of range: the text has {len(raw_lines)} lines (0-based)")
    if vocab is None:
        vocab = Vocab(tokenize([clean(line) for line in raw_lines], token))
    raw = raw_lines[line_no]
    cleaned = clean(raw)
    tokens = tokenize([cleaned], token)[0]
    return PreprocessSteps(line_no, raw, cleaned, tokens, vocab[tokens])


def mean_word_length(lines: Sequence[str], max_lines: int = 2000) -> float:
    """Average characters per whitespace-separated word over the first ``max_lines`` non-empty lines:
    large for scripts written without spaces (Chinese, Japanese, Thai), where a 'word' is a phrase."""
    words = [w for line in lines[:max_lines] for w in line.split()]
    return sum(map(len, words)) / len(words) if words else 0.0


_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥"}


def show_token(tok: str) -> str:
    """A token as a table or a chart can show it: space as '␣', newline as '↵', tab as '⇥'."""
    if tok in _VISIBLE:
        return _VISIBLE[tok]
    return repr(tok)[1:-1] if tok.isspace() or not tok.isprintable() else tok


def ngram_text(gram: Sequence[str], level: str = "word") -> str:
    """An n-gram as text: words joined by spaces, characters side by side with spaces shown as '␣'."""
    if level == "word":
        return " ".join(gram)
    return "".join(show_token(ch) for ch in gram)


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


def sampler_min_tokens(batch_size: int, num_steps: int) -> int:
    """Fewest tokens the samplers of `rnnviz.batches` accept: one minibatch of inputs and the last target
    (below this, `minibatch_spans` raises CorpusError)."""
    return batch_size * num_steps + 1


def continuations(spans: Sequence[Span]) -> tuple[int, int]:
    """(rows whose input starts exactly where the same row of the previous minibatch ended, rows that
    have a previous minibatch): all of them for sequential partitioning, almost never for random sampling."""
    xs = {(s.batch, s.row): s for s in spans if s.role == "X"}
    pairs = [(xs[b - 1, r], s) for (b, r), s in xs.items() if (b - 1, r) in xs]
    return sum(prev.stop == s.start for prev, s in pairs), len(pairs)


def default_prefix(tokens: Sequence[str], level: str = "char", length: int = 3) -> str:
    """A prefix to continue, from the start of ``tokens`` (say, the held-out text): the first ``length``
    whole words, from the first word that starts after a space, with a trailing space."""
    if level == "word":
        return " ".join(tokens[:length]) + " " if tokens else ""
    text = "".join(tokens[:400])
    start = text.find(" ") + 1 if " " in text[:40] else 0
    words = text[start:].split(" ")
    return " ".join(words[:length]) + " " if len(words) > length else text[:12]  # unspaced: a few characters
