"""A small per-session memo for results computed from models that st.cache_data cannot key: a session's own
runs change weights between two looks, and their keys ("run:3") mean different runs in different sessions.

Every computation it runs uses one torch thread. They are small (a fresh 32-unit RNN, a sentence through a
trained model), and on a busy two-core machine two OpenMP threads spin against the training worker and the
browser: a 60-step clipping run measured 0.3 s with one thread and 28 s with two.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import streamlit as st
import torch

T = TypeVar("T")
_KEY = "_memo"
SIZE = 48  # results kept per session, least recently used dropped first


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch.set_num_threads(1) for this thread (the script's) while inside, then back to what it was."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
