"""Helpers for the AppTest suites (tests/test_app_*.py): the app under test, tiny run settings, polling."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `import ui` in the tests themselves, whatever the pytest invocation
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(ROOT / "app.py")
TIMEOUT = 30  # the first run imports torch and loads the book; AppTest's default of 3 s is too short

# A run that takes a few milliseconds per step: 2,000 characters, LSTM with 16 units, 4 × 10 minibatches.
TINY = {"train_hidden": 16, "train_max_tokens": 2_000, "train_batch_size": 4, "train_num_steps": 10,
        "train_epochs": 2}


@pytest.fixture
def app_env(time_machine_file, monkeypatch):
    """The book available, one torch thread per run (the test box's cores are shared), and every run
    started during the test stopped afterwards."""
    monkeypatch.setenv("RNNVIZ_TORCH_THREADS", "1")
    from ui import worker
    started: list = []
    real_init = worker.TrainingJob.__init__

    def tracking_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(worker.TrainingJob, "__init__", tracking_init)
    yield
    for job in started:
        job.stop()
    for job in started:
        assert job.join(10), f"run {job.label} did not stop"


def new_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def opened_at(page: str, query: dict) -> AppTest:
    """A new session opened from a link to ``page`` with ``query``, as a bookmark opens it: the first run is the
    page's own (values may be strings or lists of strings, as in a query string)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, values in query.items():
        at.query_params[name] = values
    at.switch_page(page)
    return at.run()


def set_widgets(at: AppTest, values: dict) -> AppTest:
    """Set widgets by key (whatever their kind), then run once."""
    for key, value in values.items():
        at.get_by_key(key).set_value(value)
    return at.run()


def wait_for(at: AppTest, predicate, timeout: float = 20.0, interval: float = 0.1) -> AppTest:
    """Poll like the page does (each at.run() is one fragment tick) until ``predicate()`` holds, then run
    once more so the page shows at least that state."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)
        at.run()
    return at.run()


def run_book(at: AppTest):
    return at.session_state["train_run_book"]


def only_job(at: AppTest):
    jobs = list(run_book(at).jobs.values())
    assert len(jobs) == 1
    return jobs[0]
