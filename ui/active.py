"""The active model: what Generate, Hidden states and Gates show. Picked in the sidebar."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import streamlit as st
from torch import nn

from rnnviz.checkpoint import Checkpoint, load_checkpoint
from rnnviz.data import Vocab
from rnnviz.i18n import t
from rnnviz.models import ModelConfig
from rnnviz.train import TrainConfig

from . import loaders, training
from .state import SIDEBAR_MODEL

UPLOADED = "uploaded_checkpoints"  # plain key: {digest: UploadedCheckpoint}, this session's, oldest first
MAX_UPLOADS = 3  # uploaded models kept per session; the oldest goes first


@dataclass
class ActiveModel:
    """A model ready to inspect.

    ``model`` is in eval mode and must not be trained or modified: a shipped one is shared by every
    session, and a session run's is a snapshot copy of its weights between two steps (so a page sees
    the model as it is now, while the run goes on training its own copy).
    """

    model: nn.Module
    vocab: Vocab
    config: ModelConfig
    label: str
    source: str  # 'shipped' | 'session' | 'upload'
    key: str  # "shipped:<stem>" | "run:<id>" | "upload:<digest>"
    train_config: TrainConfig | None = None
    history: Sequence[dict] = field(default_factory=list)  # a checkpoint's rows, or a view of a run's (rnnviz/history.py)
    corpus: dict = field(default_factory=dict)
    step: int = 0  # training steps behind these weights (session runs; 0 when unknown)


@dataclass
class UploadedCheckpoint:
    name: str  # the file's name, as uploaded
    checkpoint: Checkpoint  # its model in eval mode: never trained or modified

    @property
    def label(self) -> str:
        return t("hardening.upload_label", label=self.name)


def add_upload(data: bytes, name: str) -> str:
    """Check an uploaded checkpoint with :func:`rnnviz.checkpoint.load_checkpoint` (plain data only, never code;
    model kind, weights' shapes against its settings, vocabulary size) and keep it in this session.

    Returns its key (``"upload:<digest>"``: the same file uploaded twice is one model). Raises
    :class:`rnnviz.checkpoint.CheckpointError`, and then keeps nothing.
    """
    ckpt = load_checkpoint(bytes(data))
    digest = hashlib.sha1(data).hexdigest()[:12]
    kept = st.session_state.setdefault(UPLOADED, {})
    kept.pop(digest, None)
    kept[digest] = UploadedCheckpoint(name, ckpt)
    while len(kept) > MAX_UPLOADS:
        kept.pop(next(iter(kept)))
    return f"upload:{digest}"


def _uploads() -> dict[str, UploadedCheckpoint]:
    return st.session_state.get(UPLOADED, {})


def options() -> dict[str, str]:
    """Every model the sidebar offers: key -> label. Shipped checkpoints first, then the checkpoints uploaded in
    this session, then this session's runs."""
    out = {f"shipped:{stem}": t("active.shipped", label=loaders.shipped_label(stem)) for stem in loaders.shipped()}
    out.update({f"upload:{digest}": up.label for digest, up in _uploads().items()})
    for job in training.runs():
        if job.trainer.step_count or job.active:
            out[f"run:{job.id}"] = (job.label if job.status == "done" else
                                    t("active.run_status", label=job.label, status=t(f"worker.status_{job.status}")))
    return out


def default_key(opts: dict[str, str]) -> str | None:
    return next(iter(opts), None)


def current_key() -> str | None:
    opts = options()
    key = st.session_state.get(SIDEBAR_MODEL)
    return key if key in opts else default_key(opts)


def active_model(required: bool = True) -> ActiveModel | None:
    """The model picked in the sidebar.

    With ``required`` (the default) and no model at all, the page shows how to get one and stops here;
    with ``required=False`` it returns None instead.
    """
    key = current_key()
    found = _resolve(key) if key else None
    if found is None and required:
        st.info(t("active.no_model"))
        st.page_link("pages/train.py", label=t("active.go_train"), icon="🏋")
        st.stop()
    return found


def resolve(key: str) -> ActiveModel | None:
    """The model behind one of :func:`options`' keys (None if it is gone), whether or not it is active."""
    return _resolve(key)


def _resolve(key: str) -> ActiveModel | None:
    source, _, name = key.partition(":")
    if source == "shipped":
        ckpt = loaders.shipped_checkpoint(name)
        if ckpt is None:
            return None
        return ActiveModel(model=ckpt.model, vocab=ckpt.vocab, config=ckpt.config,
                           label=loaders.shipped_label(name), source="shipped", key=key,
                           train_config=ckpt.train_config, history=ckpt.history, corpus=ckpt.corpus,
                           step=len(ckpt.history))
    if source == "upload":
        up = _uploads().get(name)
        if up is None:
            return None
        ckpt = up.checkpoint
        return ActiveModel(model=ckpt.model, vocab=ckpt.vocab, config=ckpt.config, label=up.label, source="upload",
                           key=key, train_config=ckpt.train_config, history=ckpt.history, corpus=ckpt.corpus,
                           step=len(ckpt.history))
    job = training.run_book().get(int(name)) if name.isdigit() else None
    if job is None:
        return None
    step, model = job.snapshot()
    return ActiveModel(model=model, vocab=job.vocab, config=job.trainer.model_cfg, label=job.label,
                       source="session", key=key, train_config=job.trainer.cfg,
                       history=job.view().history[:step], corpus=job.corpus, step=step)
