"""Handing memory the server has freed back to the operating system, once a minute.

glibc's allocator keeps what Python and torch free in its arenas (one for each thread that allocated while
another held an arena, up to eight per core) and returns it to the system only where whole pages at a heap's top
are free, unless asked. A Streamlit server starts a thread for every script run (rnnviz trains on a few long-lived
threads instead, ui/scheduler.py), so blocks freed below a live one stay in the process (tests/test_heap.py shows 300 MB of them given
back by one call). Trimming every minute keeps that from adding up; in a 30-minute run in the app, a trim by hand
at minute 21 found 15 MB left to give back. Where the C library is not glibc (macOS, musl), this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

EVERY_S = 60.0

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def trim() -> bool:
    """Return the allocator's free memory to the OS now; False where this C library cannot."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True


def start(every_s: float = EVERY_S) -> threading.Thread | None:
    """Start the process's trimming thread unless it has one already; None where there is nothing to call."""
    global _thread
    fn = _malloc_trim()
    if fn is None:
        return None
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_loop, args=(fn, every_s), name="rnnviz-heap-trim", daemon=True)
            _thread.start()
        return _thread


def _loop(fn, every_s: float) -> None:
    while True:  # as long as the server: a daemon thread
        time.sleep(every_s)
        fn(0)
