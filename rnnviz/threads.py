"""Running a small computation on one torch thread.

On a busy two-core machine, torch's default of one OpenMP thread per core makes small computations (a sentence
through a trained model, a 32-unit RNN on a memory task) spin against the training worker and the browser: a
60-step clipping run measured 0.3 s with one thread and 28 s with two.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch.set_num_threads(1) for the calling thread while inside, then back to what it was."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
