"""Cached loaders: corpora (st.cache_data, pure results) and shipped checkpoints (st.cache_resource,
read-only models in eval mode shared by every session)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnnviz import i18n
from rnnviz.checkpoint import Checkpoint, CheckpointError, load_checkpoint, shipped_checkpoints
from rnnviz.data import Corpus, load_corpus
from rnnviz.i18n import t

from .waiting import spinner

# The order the sidebar lists shipped models in (others follow alphabetically).
SHIPPED_ORDER = ("lstm", "gru", "scratch-rnn", "lstm-2layer", "lstm-raw", "bilstm")


@spinner("loaders.loading_text")
@st.cache_data(show_spinner=False, max_entries=16)
def corpus(kind: str, data: bytes | None = None, clean: bool = True) -> Corpus:
    """rnnviz.data.load_corpus, cached by its inputs. Raises CorpusError for a bad own text."""
    return load_corpus(kind, data, clean=clean)


@st.cache_data(show_spinner=False, max_entries=16)
def corpus_stats(kind: str, data: bytes | None = None, clean: bool = True) -> tuple[int, int]:
    """(characters in the model's stream, distinct characters) of :func:`corpus` with the same inputs."""
    chars = corpus(kind, data, clean).char_tokens()
    return len(chars), len(set(chars))


def shipped() -> dict[str, Path]:
    """Shipped checkpoint files by stem, in display order (checked on every call: they may appear late)."""
    found = shipped_checkpoints()
    rank = {stem: i for i, stem in enumerate(SHIPPED_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


@spinner("loaders.loading_model")
@st.cache_resource(show_spinner=False, max_entries=16)
def _load(path: str, mtime_ns: int) -> Checkpoint:
    return load_checkpoint(path)


def shipped_checkpoint(stem: str) -> Checkpoint | None:
    """A shipped checkpoint in eval mode, shared by every session (read-only: never train it).
    None if the file is gone or not a valid checkpoint."""
    path = shipped().get(stem)
    if path is None:
        return None
    try:
        return _load(str(path), path.stat().st_mtime_ns)
    except (CheckpointError, OSError):
        return None


def preload_shipped() -> None:
    """Every shipped checkpoint into the shared cache, without a spinner: for the warm-up thread, which has no
    page to show one on."""
    for path in shipped().values():
        _load.__wrapped__(str(path), path.stat().st_mtime_ns)


def shipped_label(stem: str) -> str:
    """The model's name in the interface language: from the catalogue for the checkpoints we ship, from the
    checkpoint's own label for any other file dropped into checkpoints/."""
    key = f"shipped.{stem.replace('-', '_')}"
    if i18n.has(key):
        return t(key)
    ckpt = shipped_checkpoint(stem)
    if ckpt is None:
        return t("shipped.unreadable", stem=stem)
    return ckpt.corpus.get("label") or stem
