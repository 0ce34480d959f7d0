"""The interface language: English or Simplified Chinese, from the sidebar or ``?lang=zh``."""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz import i18n
from rnnviz.i18n import t

from .state import remember

KEY = "lang"


def _session_language() -> str | None:
    """The language chosen in the browser session this thread runs a script for (None outside a run)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        return st.session_state.get(KEY)
    except Exception:  # noqa: BLE001 - no session state here (a thread that is not a script run)
        return None


i18n.set_resolver(_session_language)


def setup() -> str:
    """Start of every run (app.py), before anything is drawn: set this run's language."""
    remember(KEY, i18n.DEFAULT, list(i18n.LANGUAGES) + ([i18n.PSEUDO] if st.session_state.get(KEY) == i18n.PSEUDO
                                                       else []))
    return i18n.set_language(st.session_state[KEY])


def picker() -> None:
    """The sidebar's language switch (written in both languages, so anyone can find it)."""
    options = list(i18n.LANGUAGES)
    if st.session_state.get(KEY) not in options:  # the tests' pseudo-language
        return
    st.selectbox(t("language.label"), options, format_func=i18n.LANGUAGES.get, key=KEY)
