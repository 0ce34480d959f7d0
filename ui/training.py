"""The Streamlit side of training: this session's runs, starting one, and the run table.

The runs live in a :class:`ui.worker.RunBook` kept in ``st.session_state`` (it belongs to this browser
session only). A session-scoped ``st.cache_resource`` guard watches the connection: when the tab closes
or the connection drops, Streamlit releases the guard, which pauses the runs at once and stops them if
the session does not come back (a reconnect within the grace period resumes them).
"""
from __future__ import annotations

import dataclasses
import math
import os

import pandas as pd
import streamlit as st
import torch

from rnnviz.data import Corpus
from rnnviz.models import KIND_NAMES, ModelConfig
from rnnviz.train import TrainConfig, Trainer, check_fits, prepare_data

from .corpus import corpus_info
from .state import RUN_BOOK, WATCHED_RUN
from .worker import RunBook, RunView, TrainingJob

def _poll_s() -> float:
    """RNNVIZ_POLL_S: seconds between refreshes of the live panel's figures (default 2).

    Every refresh costs the server and the browser CPU that training on a small machine needs: on 2 cores
    with the browser on the same machine (benchmarks/train_page_throughput.py), a 1 s poll kept ~84% of
    the bare engine's tokens/s, a 2 s poll ~92%. Set 1 (or less) where there are cores to spare.
    """
    try:
        return max(0.25, float(os.environ.get("RNNVIZ_POLL_S", "") or 2.0))
    except ValueError:
        return 2.0


POLL_S = _poll_s()
MAX_ACTIVE_PER_SESSION = 3


class StartRefused(Exception):
    """A run that cannot start now; the message is for the user."""


class _Guard:
    def __init__(self, book: RunBook):
        self.book = book


def _grace_s() -> float:
    return float(st.get_option("server.disconnectedSessionTTL")) + 30.0


def _release(guard: _Guard) -> None:
    guard.book.on_disconnect(_grace_s())


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _guard(book_id: int, _book: RunBook) -> _Guard:
    _book.on_reconnect()  # a no-op the first time; after a dropped connection it resumes the runs
    return _Guard(_book)


def run_book() -> RunBook:
    """This session's runs (created on first use)."""
    book = st.session_state.get(RUN_BOOK)
    if book is None or book.closed:
        book = RunBook()
        st.session_state[RUN_BOOK] = book
    _guard(id(book), book)
    return book


def runs() -> list[TrainingJob]:
    """This session's runs, oldest first."""
    return list(run_book().jobs.values())


def run_label(mcfg: ModelConfig, tcfg: TrainConfig) -> str:
    """A short name: 'LSTM 256 ×2 · Adam lr 0.005'."""
    name = KIND_NAMES[mcfg.kind].replace(" from the formula (scratch)", " (scratch)")
    layers = f" ×{mcfg.num_layers}" if mcfg.num_layers > 1 else ""
    bi = " bidirectional" if mcfg.bidirectional else ""
    optimizer = {"sgd": "SGD", "adam": "Adam"}.get(tcfg.optimizer, tcfg.optimizer)
    return f"{name} {mcfg.hidden_size}{layers}{bi} · {optimizer} lr {tcfg.lr:g}"


def start_run(model_cfg: ModelConfig, train_cfg: TrainConfig, corpus: Corpus) -> TrainingJob:
    """Build the trainer here (so a bad setting fails now, with its message) and start its thread.

    Raises ConfigError or CorpusError from rnnviz, or :class:`StartRefused`.
    """
    book = run_book()
    if book.active_count() >= MAX_ACTIVE_PER_SESSION:
        raise StartRefused(f"This session already has {MAX_ACTIVE_PER_SESSION} unfinished runs; "
                           "stop one before starting another.")
    check_fits(model_cfg, train_cfg)  # every setting checked before the text is even cut
    train_ids, val_ids, vocab = prepare_data(corpus, train_cfg)
    mcfg = dataclasses.replace(model_cfg, vocab_size=len(vocab))
    try:
        trainer = Trainer(mcfg, train_cfg, train_ids, val_ids)
    except torch.OutOfMemoryError:
        raise StartRefused("Not enough memory for this model on this device; make it smaller.") from None
    number = book.next_number()
    info = corpus_info(corpus, len(train_ids) + len(val_ids))
    job = TrainingJob(trainer, vocab, f"Run {number} · {run_label(mcfg, train_cfg)}", info, number=number)
    dropped = book.add(job.start())
    for label in dropped:
        st.toast(f"Removed the oldest finished run, {label}, to keep at most {book.max_kept}.", icon="🗑")
    st.session_state[WATCHED_RUN] = job.id
    return job


def watched() -> TrainingJob | None:
    """The run the live panel follows: the one picked, else the latest."""
    book = run_book()
    job = book.get(st.session_state.get(WATCHED_RUN))
    if job is None and book.jobs:
        job = list(book.jobs.values())[-1]
        st.session_state[WATCHED_RUN] = job.id
    return job


def queue_message(view: RunView) -> str:
    ahead = view.queue_ahead or 0
    runs_ahead = f"{ahead} run{'s' if ahead != 1 else ''} ahead of you"
    return (f"⏳ Queued: {runs_ahead}. At most {view.slots} runs train at once on this server; "
            "yours starts as soon as a slot frees.")


def _fmt_ppl(v: float | None) -> float | None:
    return round(v, 3) if v is not None and math.isfinite(v) else None


def run_table(views: list[RunView]) -> pd.DataFrame:
    """One row per run: its settings and its latest figures."""
    rows = []
    for v in views:
        t = v.train_config
        last = v.last or {}
        rows.append({
            "Run": v.number,
            "Model": v.label.split(" · ", 1)[1],
            "Status": v.status,
            "Steps": v.step,
            "Epochs": last.get("epoch", 0),
            "Train ppl": _fmt_ppl(v.train_ppl),
            "Val ppl": _fmt_ppl(v.val_ppl),
            "Tokens/s": round(last.get("tokens_per_s", 0.0)),
            "Time (s)": round(last.get("elapsed_s", 0.0), 1),
            "Parameters": v.n_params,
            "Batch × length": f"{t['batch_size']} × {t['num_steps']}",
            "Sampler": t["sampler"],
            "θ": t["clip"],
            "Text": v.corpus.get("name", ""),
            "Device": v.device,
        })
    return pd.DataFrame(rows)


def fmt_duration(seconds: float) -> str:
    """'45 s', '2:05' (min:s), '1:02:05' (h:min:s); '—' when unknown."""
    if not math.isfinite(seconds):
        return "—"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"
