"""A small per-session memo for results computed from models that st.cache_data cannot key: a session's own
runs change weights between two looks, and their keys ("run:3") mean different runs in different sessions.

Every computation it runs uses one torch thread (rnnviz.threads says why).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import streamlit as st

from rnnviz.threads import one_torch_thread

T = TypeVar("T")
_KEY = "_memo"
SIZE = 48  # results kept per session, least recently used dropped first




def session_memo(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``key`` in this browser session, on one torch thread (exceptions are not kept)."""
    memo = st.session_state.setdefault(_KEY, OrderedDict())
    if key not in memo:
        with one_torch_thread():
            memo[key] = compute()
        while len(memo) > SIZE:
            memo.popitem(last=False)
    memo.move_to_end(key)
    return memo[key]
