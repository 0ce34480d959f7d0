"""Handing freed memory back: glibc keeps freed blocks below a live one, and malloc_trim returns them."""
import threading

import pytest
from apptest_utils import ROOT  # noqa: F401  (puts the app's root on sys.path)

from ui import heap

pytestmark = pytest.mark.skipif(heap._malloc_trim() is None, reason="not glibc: nothing to trim")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_trim_gives_back_memory_freed_below_a_live_block():
    """300 MB allocated in a thread of its own (its own arena, as a Streamlit script thread gets) in 100 kB
    blocks (below glibc's mmap threshold, so they come from the arena's heap) and all freed but the last: the
    arena cannot shrink past that one live block, so the process keeps the memory until trimmed."""
    kept = []

    def allocate():
        blocks = [bytearray(100_000) for _ in range(3000)]
        kept.append(blocks[-1])
        del blocks

    t = threading.Thread(target=allocate)
    t.start()
    t.join()
    before = rss_mb()
    assert heap.trim()
    after = rss_mb()
    assert before - after > 150, (before, after)


def test_the_trimming_thread_starts_once(monkeypatch):
    monkeypatch.setattr(heap, "_thread", None)
    first = heap.start(every_s=3600)
    assert first is not None and first.daemon and first.is_alive()
    assert heap.start() is first
