"""Freeing and handing back: garbage in reference cycles is collected, and glibc's freed blocks below a live one
are returned by malloc_trim."""
import gc
import threading
import weakref

import pytest
from apptest_utils import ROOT  # noqa: F401  (puts the app's root on sys.path)

from ui import heap

glibc = pytest.mark.skipif(heap._malloc_trim() is None, reason="not glibc: nothing to trim")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@glibc
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


def test_the_tidying_thread_starts_once(monkeypatch):
    monkeypatch.setattr(heap, "_thread", None)
    first = heap.start(every_s=3600)
    assert first is not None and first.daemon and first.is_alive()
    assert heap.start() is first


class _Node:
    def __init__(self):
        self.me = self  # a reference cycle, as a plotly figure and its traces make
        self.payload = bytearray(1_000_000)


def test_each_round_collects_garbage_in_reference_cycles():
    """With Python's automatic collection off (as good as off for old objects in a big server), a cycle stays in
    memory until the tidying round collects it."""
    was = gc.isenabled()
    gc.disable()
    try:
        node = _Node()
        alive = weakref.ref(node)
        del node
        assert alive() is not None  # only the collector can free it
        heap._loop(0.01, rounds=1)
        assert alive() is None
    finally:
        if was:
            gc.enable()
