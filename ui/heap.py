"""Freeing what the server no longer uses and handing it back to the operating system, once a minute.

Two things pile up otherwise:

- **Garbage in reference cycles.** `.streamlit/config.toml` turns off Streamlit's full ``gc.collect()`` after every
  script run (170 ms holding the GIL, with torch loaded, on every redraw of the live page). Objects that only
  refer to each other then wait for Python's own full collection, which comes once the objects that survived
  younger collections reach a quarter of all long-lived ones — and the server holds millions (the book's
  statistics, torch). Every redraw of the Train page leaves some: a plotly figure's traces point back to the
  figure. Measured with tracemalloc in the app: each live chart's figures piled up by 16,000 hover strings in six
  minutes. One full collection a minute costs training a few tenths of a percent.
- **Free memory in glibc's arenas.** glibc keeps what Python and torch free in its arenas (one for each thread that
  allocated while another held an arena, up to eight per core) and returns it to the system only where whole
  pages at a heap's top are free, unless asked. A Streamlit server starts a thread for every script run (rnnviz
  trains on a few long-lived threads instead, ui/scheduler.py), so blocks freed below a live one stay in the
  process (tests/test_heap.py shows 300 MB of them given back by one call). ``malloc_trim`` returns them; where the
  C library is not glibc (macOS, musl), that part does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


def tidy() -> int:
    """Collect the garbage in reference cycles, then trim; returns how many unreachable objects were found."""
    found = gc.collect()
    trim()
    return found


def start(every_s: float = EVERY_S) -> threading.Thread:
    """Start the process's tidying thread unless it has one already."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_loop, args=(every_s,), name="rnnviz-heap-tidy", daemon=True)
            _thread.start()
        return _thread


def _loop(every_s: float, rounds: int | None = None) -> None:
    """Tidy every ``every_s`` seconds, ``rounds`` times (None: as long as the server, as a daemon thread)."""
    done = 0
    while rounds is None or done < rounds:
        time.sleep(every_s)
        tidy()
        done += 1
