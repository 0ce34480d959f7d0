"""The Streamlit side of training: this session's runs, starting one, and the run table.

The runs live in a :class:`ui.worker.RunBook` kept in ``st.session_state`` (it belongs to this browser
session only). A session-scoped ``st.cache_resource`` guard watches the connection: when the tab closes
or the connection drops, Streamlit releases the guard, which pauses the runs at once and stops them if
the session does not come back (a reconnect within the grace period resumes them).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os

import pandas as pd
import streamlit as st
import torch

from rnnviz import i18n
from rnnviz.data import Corpus
from rnnviz.i18n import t
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


OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam"}  # names, the same in every language


def kind_name(kind: str, short: bool = False) -> str:
    """A model kind as the interface names it, in the current language ('LSTM', 'RNN (scratch)' when short)."""
    key = f"models.{'short' if short else 'kind'}_{kind.replace('-', '_')}"
    return t(key) if i18n.has(key) else KIND_NAMES.get(kind, kind)


def _describe(kind: str, hidden: int, layers: int, bidirectional: bool, optimizer: str, lr: float) -> str:
    return t("training.run_model", kind=kind_name(kind, short=True), hidden=hidden,
             layers=t("training.layers_suffix", n=layers) if layers > 1 else "",
             bi=t("training.bidirectional_suffix") if bidirectional else "",
             optimizer=OPTIMIZER_NAMES.get(optimizer, optimizer), lr=lr)


def run_label(mcfg: ModelConfig, tcfg: TrainConfig) -> str:
    """A short name: 'LSTM 256 ×2 · Adam lr 0.005'."""
    return _describe(mcfg.kind, mcfg.hidden_size, mcfg.num_layers, mcfg.bidirectional, tcfg.optimizer, tcfg.lr)


def run_name(number: int, mcfg: ModelConfig, tcfg: TrainConfig) -> str:
    """'Run 3 · LSTM 256 ×2 · Adam lr 0.005', in the language of the page that asks."""
    return t("training.run_name", number=number, model=run_label(mcfg, tcfg))


def start_run(model_cfg: ModelConfig, train_cfg: TrainConfig, corpus: Corpus) -> TrainingJob:
    """Build the trainer here (so a bad setting fails now, with its message) and start its thread.

    Raises ConfigError or CorpusError from rnnviz, or :class:`StartRefused`.
    """
    book = run_book()
    if book.active_count() >= MAX_ACTIVE_PER_SESSION:
        raise StartRefused(t("training.too_many", n=MAX_ACTIVE_PER_SESSION))
    check_fits(model_cfg, train_cfg)  # every setting checked before the text is even cut
    train_ids, val_ids, vocab = prepare_data(corpus, train_cfg)
    mcfg = dataclasses.replace(model_cfg, vocab_size=len(vocab))
    try:
        trainer = Trainer(mcfg, train_cfg, train_ids, val_ids)
    except torch.OutOfMemoryError:
        raise StartRefused(t("training.no_memory")) from None
    number = book.next_number()
    info = corpus_info(corpus, len(train_ids) + len(val_ids))
    # The name is a callable so that it follows the page's language after a switch.
    label = functools.partial(run_name, number, mcfg, train_cfg)
    job = TrainingJob(trainer, vocab, label, info, number=number)
    dropped = book.add(job.start())
    for name in dropped:
        st.toast(t("training.dropped", label=name, n=book.max_kept), icon="🗑")
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
    return t("training.queued_one" if ahead == 1 else "training.queued_many", ahead=ahead, slots=view.slots)


def _fmt_ppl(v: float | None) -> float | None:
    return round(v, 3) if v is not None and math.isfinite(v) else None


TABLE_COLUMNS = ("run", "model", "status", "steps", "epochs", "train_ppl", "val_ppl", "tokens_s", "time_s",
                 "parameters", "batch_length", "sampler", "clip", "text", "device")


def column(name: str) -> str:
    """The run table's header ``name`` (one of TABLE_COLUMNS) in the current language."""
    return t(f"training.col_{name}")


def run_table(views: list[RunView]) -> pd.DataFrame:
    """One row per run: its settings and its latest figures, headed in the current language."""
    rows = []
    for v in views:
        m, tc = v.model_config, v.train_config
        last = v.last or {}
        rows.append(dict(zip(map(column, TABLE_COLUMNS), (
            v.number,
            _describe(m["kind"], m["hidden_size"], m["num_layers"], m["bidirectional"], tc["optimizer"], tc["lr"]),
            t(f"worker.status_{v.status}"),
            v.step,
            last.get("epoch", 0),
            _fmt_ppl(v.train_ppl),
            _fmt_ppl(v.val_ppl),
            round(last.get("tokens_per_s", 0.0)),
            round(last.get("elapsed_s", 0.0), 1),
            v.n_params,
            f"{tc['batch_size']} × {tc['num_steps']}",
            t(f"train.sampler_{tc['sampler']}"),
            tc["clip"],
            v.corpus.get("name", ""),
            v.device,
        ))))
    return pd.DataFrame(rows, columns=[column(c) for c in TABLE_COLUMNS])


def fmt_duration(seconds: float) -> str:
    """'45 s', '2:05' (min:s), '1:02:05' (h:min:s); '—' when unknown."""
    if not math.isfinite(seconds):
        return "—"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else t("training.seconds", s=s)
