"""The text chosen in the sidebar: one of the built-in corpora or the user's own, checked by rnnviz."""
from __future__ import annotations

import streamlit as st

from rnnviz import i18n
from rnnviz.data import Corpus, CorpusError
from rnnviz.i18n import t

from . import loaders
from .state import CORPUS_ERROR, CORPUS_USER, SIDEBAR_CORPUS, SIDEBAR_KEEP_CASE

CHOICES = {
    "timemachine": "The Time Machine (d2l)",
    "raw": "The Time Machine, raw",
    "offline": "Python docs (offline)",
    "user": "Your own text",
}
HELP = ("The Time Machine (d2l): H. G. Wells' book reduced to a–z and space, as in the book.  \n"
        "Raw: the same book with case, punctuation and line breaks.  \n"
        "Python docs: English that ships with Python, for when the book cannot be downloaded.  \n"
        "Your own text: upload or paste any UTF-8 text, in any language.")
DEFAULT = "timemachine"


def choice() -> str:
    kind = st.session_state.get(SIDEBAR_CORPUS, DEFAULT)
    return kind if kind in CHOICES else DEFAULT


def builtin_spec(kind: str) -> tuple[str, None, bool]:
    """The arguments of loaders.corpus for a corpus rnnviz brings itself (st.cache_data keys on them as passed)."""
    return kind, None, True


def current_spec() -> tuple[str, bytes | None, bool] | None:
    """(kind, own text bytes or None, clean): the arguments of loaders.corpus for the sidebar's choice;
    None when "your own text" is picked but none was accepted yet."""
    kind = choice()
    if kind != "user":
        return builtin_spec(kind)
    own = st.session_state.get(CORPUS_USER)
    if not own:
        return None
    return "user", own["data"], not st.session_state.get(SIDEBAR_KEEP_CASE, False)


def current_corpus() -> Corpus | None:
    """The corpus picked in the sidebar; None when "your own text" is picked but none was accepted yet.

    If The Time Machine cannot be had, the offline corpus comes back with a non-empty ``.note``.
    """
    spec = current_spec()
    if spec is None:
        return None
    try:
        return loaders.corpus(*spec)
    except CorpusError:  # own text was accepted once; only a changed engine rule could refuse it now
        return None


def corpus_or_stop() -> Corpus:
    """The current corpus, or a note asking for text and the end of this page's run."""
    corpus = current_corpus()
    if corpus is None:
        st.info("📄 Upload a text file or paste some text in the sidebar (at least 200 characters), "
                "or pick one of the built-in texts there.")
        st.stop()
    return corpus


def accept_user_text(data: bytes | str, name: str, source_id: str) -> bool:
    """Check an uploaded or pasted text; keep it if rnnviz accepts it, else remember why not."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    try:
        loaders.corpus("user", raw)
    except CorpusError as e:
        st.session_state[CORPUS_ERROR] = f"{name}: {e}"
        return False
    st.session_state[CORPUS_USER] = {"data": raw, "name": name, "source_id": source_id}
    st.session_state.pop(CORPUS_ERROR, None)
    return True


def corpus_info(corpus: Corpus, n_tokens: int) -> dict:
    """What a checkpoint records about its training text."""
    own = st.session_state.get(CORPUS_USER) if corpus.kind == "user" else None
    name = f"{corpus.name} ({own['name']})" if own else corpus.name
    return {"name": name, "kind": corpus.kind, "n_tokens": n_tokens, "newlines": corpus.newlines}


def display_name(corpus: Corpus) -> str:
    """The text's name in the interface language (an own text keeps its file name)."""
    key = f"sidebar.name_{corpus.kind}"
    return t(key) if corpus.kind != "user" and i18n.has(key) else corpus.name
