"""Session keys, and widgets that remember their value across pages.

Streamlit forgets a widget's value when the page that draws it is left. :func:`remember` gives a keyed
widget its last value back from a plain session-state dict before it is drawn; :func:`save_widgets`
(called by app.py at the start of every run) copies the current values into that dict.
"""
from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from . import urlstate

# Plain keys (never widget keys).
KEPT = "_kept_widgets"  # widget key -> last value
CORPUS_USER = "corpus_user"  # {"data": bytes, "name": str, "file_id": str} of the accepted own text
CORPUS_ERROR = "corpus_user_error"  # the CorpusError message of the last rejected own text
ACTIVE_MODEL = "active_model"  # "shipped:<stem>" | "run:<id>"
WATCHED_RUN = "train_watched_run"  # the run the live panel follows
RUN_BOOK = "train_run_book"  # this session's RunBook (also guarded by a session-scoped resource)
TRAIN_ERROR = "train_error"  # message of the last Start that could not start

# Widget keys of the shared sidebar.
SIDEBAR_CORPUS = "sidebar_corpus"
SIDEBAR_KEEP_CASE = "sidebar_keep_case"
SIDEBAR_UPLOAD = "sidebar_upload"
SIDEBAR_PASTE = "sidebar_paste"
SIDEBAR_USE_PASTE = "sidebar_use_paste"
SIDEBAR_MODEL = "sidebar_model"


def remember(key: str, default, options: Sequence | None = None) -> None:
    """Before drawing widget ``key`` (with no ``value=``/``index=``): give it its remembered value.

    With ``options``, a remembered value that is no longer among them falls back to ``default``. A value
    for ``key`` in a newly opened URL wins over both (ui.urlstate), and the key joins the URL.
    """
    kept = st.session_state.setdefault(KEPT, {})
    if key not in st.session_state:
        st.session_state[key] = kept.get(key, default)
    urlstate.apply(key, default, options)
    if options is not None and not _among(st.session_state[key], options):
        st.session_state[key] = default if _among(default, options) else options[0]
    kept[key] = st.session_state[key]


def _among(value, options: Sequence) -> bool:
    """``value`` is one of ``options``; for a multiselect (list) or a range (tuple), each of its values is."""
    if isinstance(value, (list, tuple)):
        return all(v in options for v in value)
    return value in options


def save_widgets() -> None:
    """Copy the current value of every remembered widget into the plain dict (start of each run)."""
    kept = st.session_state.setdefault(KEPT, {})
    for key in kept:
        if key in st.session_state:
            kept[key] = st.session_state[key]


def set_widget(key: str, value) -> None:
    """Change a remembered widget's value (from a callback, before it is drawn)."""
    st.session_state[key] = value
    st.session_state.setdefault(KEPT, {})[key] = value
