"""Spinners in the reader's language for cached functions (a decorator's ``show_spinner=`` text is fixed at
import, in whatever language the process started with)."""
from __future__ import annotations

import functools

import streamlit as st

from rnnviz.i18n import t


def spinner(key: str):
    """Decorate a cached function (itself ``show_spinner=False``): wait under the catalogue text ``key``."""
    def wrap(fn):
        @functools.wraps(fn)
        def waiting(*args, **kwargs):
            with st.spinner(t(key)):
                return fn(*args, **kwargs)
        if hasattr(fn, "clear"):  # keep the cache's own controls (tests clear it)
            waiting.clear = fn.clear
        return waiting
    return wrap
