"""The server's warm-up: what it does before the first student clicks is done by the time the thread ends."""
import sys

from apptest_utils import ROOT  # noqa: F401  (puts the app's root on sys.path)

from ui import loaders, warmup


def test_the_warm_up_thread_runs_once_and_leaves_starts_and_models_ready(monkeypatch):
    done = []
    monkeypatch.setattr(warmup, "_thread", None)
    monkeypatch.setattr(warmup.log, "warning", lambda *a, **k: done.append(("failed", a)))
    loaders._load.clear()
    thread = warmup.start()
    assert warmup.start() is thread  # a second session does not start another
    thread.join(120)
    assert not thread.is_alive() and done == []
    # what Adam's constructor imports lazily, which every session's first Start would otherwise wait on
    assert "torch._dynamo" in sys.modules
    # the shipped models are in the shared cache: loading one now is a cache hit, not a file read
    reads = []
    monkeypatch.setattr(loaders, "load_checkpoint", lambda path: reads.append(path))
    for stem in loaders.shipped():
        assert loaders.shipped_checkpoint(stem) is not None
    assert reads == []
