"""Warming the server up once, in the background, when its first session opens.

What a page needs the first time is slow to get, and under a lecture hall's load everyone who arrives meanwhile
waits on it: the first "Start training" imports ``torch._dynamo`` (Adam's constructor does, lazily: 0.7 s idle,
seconds when ten sessions arrive at once, and every session's Start waits on the same import lock), the first
Generate loads the shipped checkpoints, the first page reads the book. One thread does all of that as soon as
the server has a session, so that it is done, or under way, by the time a student clicks.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
import threading

import torch

import rnnviz

from . import loaders
from .corpus import DEFAULT, builtin_spec

log = logging.getLogger(__name__)
_lock = threading.Lock()
_thread: threading.Thread | None = None


def start() -> threading.Thread:
    """Start the warm-up thread unless this process has one already; returns it (tests join it)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_warm, name="rnnviz-warmup", daemon=True)
            _thread.start()
        return _thread


def _warm() -> None:
    # each step on its own: a failure only means a later first visit is slower, never a broken page
    for step in (_import_engine, _adam, _checkpoints, _book):
        try:
            step()
        except Exception:  # noqa: BLE001 — logged, and the page does the same work itself when it gets there
            log.warning("warm-up step %s failed", step.__name__, exc_info=True)


def _import_engine() -> None:
    for mod in pkgutil.iter_modules(rnnviz.__path__):
        if not mod.name.startswith("_"):  # __main__ is the command line
            importlib.import_module(f"rnnviz.{mod.name}")


def _adam() -> None:
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _checkpoints() -> None:
    loaders.preload_shipped()


def _book() -> None:
    # without the spinner wrapper: there is no page to show it on
    loaders.corpus.__wrapped__(*builtin_spec(DEFAULT))
