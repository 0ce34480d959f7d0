"""Checkpoints: weights + config + vocabulary + history + corpus info, loadable without executing code.

The file is ``torch.save`` of a dict holding only tensors, strings, numbers, lists and dicts, read back
with ``torch.load(weights_only=True)``, which refuses any pickled object that is not plain data.
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .data import Vocab
from .i18n import t
from .models import ConfigError, ModelConfig, build_model
from .train import StepRecord, TrainConfig

FORMAT = "rnnviz-checkpoint"
VERSION = 1
MAX_CHECKPOINT_BYTES = 200 * 1024**2


class CheckpointError(ValueError):
    """A file that is not a usable rnnviz checkpoint; the message says why."""


@dataclass
class Checkpoint:
    model: nn.Module  # in eval mode
    vocab: Vocab
    config: ModelConfig
    train_config: TrainConfig | None = None
    history: list[dict] = field(default_factory=list)
    corpus: dict = field(default_factory=dict)  # name, kind, n_tokens, val_frac, cleaned
    metrics: dict = field(default_factory=dict)  # e.g. val_ppl, train_ppl, train_seconds, tokens_per_s
    created: str = ""

    @property
    def name(self) -> str:
        return self.corpus.get("label") or self.config.kind


def _payload(model, vocab, config, train_config, history, corpus, metrics) -> dict:
    hist = [h.to_dict() if isinstance(h, StepRecord) else dict(h) for h in (history or [])]
    return {
        "format": FORMAT,
        "version": VERSION,
        "model_config": config.to_dict(),
        "train_config": train_config.to_dict() if train_config else None,
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
        "vocab": vocab.to_dict(),
        "history": hist,
        "corpus": dict(corpus or {}),
        "metrics": dict(metrics or {}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": str(torch.__version__),
    }


def checkpoint_bytes(model: nn.Module, vocab: Vocab, config: ModelConfig, train_config: TrainConfig | None = None,
                     history=None, corpus: dict | None = None, metrics: dict | None = None) -> bytes:
    """The checkpoint as bytes (for a download button)."""
    buf = io.BytesIO()
    torch.save(_payload(model, vocab, config, train_config, history, corpus, metrics), buf)
    return buf.getvalue()


def save_checkpoint(path, model: nn.Module, vocab: Vocab, config: ModelConfig,
                    train_config: TrainConfig | None = None, history=None, corpus: dict | None = None,
                    metrics: dict | None = None) -> Path:
    """Write atomically: a crash mid-save never leaves a half-written file in place of a good one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = checkpoint_bytes(model, vocab, config, train_config, history, corpus, metrics)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(source, map_location="cpu") -> Checkpoint:
    """Load from a path or bytes; raise :class:`CheckpointError` for anything that is not a valid checkpoint."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"no checkpoint file at {path}")
        if path.stat().st_size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(f"{path.name} is larger than {MAX_CHECKPOINT_BYTES // 1024**2} MB")
        raw = path.read_bytes()
    if not raw:
        raise CheckpointError("the checkpoint file is empty")
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"the checkpoint is larger than {MAX_CHECKPOINT_BYTES // 1024**2} MB")
    _check_archive(raw)
    try:
        ckpt = torch.load(io.BytesIO(raw), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(
            "refused: the file contains Python objects other than plain data (possibly code), "
            f"which rnnviz never loads ({str(e).splitlines()[0][:200]})"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, KeyError, OSError, IndexError, TypeError,
            AttributeError, struct.error, MemoryError) as e:
        # torch's reader meets arbitrary bytes with any of these; each means "not a readable file".
        raise CheckpointError(f"not a readable checkpoint (corrupt or truncated): {str(e).splitlines()[0][:200]}") from None
    return _from_payload(ckpt)


def _check_archive(raw: bytes) -> None:
    """Refuse, from the zip's directory alone, what torch.load should never be handed: anything but a zip
    archive (torch's older raw-pickle format declares its tensors' sizes itself and allocates them before
    reading), and an archive whose entries are compressed or add up to more than the size limit (a zip bomb:
    ``torch.save`` stores entries uncompressed, so a real checkpoint is never bigger inside than outside)."""
    if not raw.startswith(b"PK\x03\x04"):
        raise CheckpointError(t("hardening.ckpt_not_zip"))
    try:
        entries = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as e:
        raise CheckpointError(f"not a readable checkpoint (corrupt or truncated): {str(e).splitlines()[0][:200]}") from None
    packed = [e.filename for e in entries if e.compress_type != zipfile.ZIP_STORED]
    if packed:
        raise CheckpointError(t("hardening.ckpt_compressed", name=packed[0][:100]))
    inside = sum(e.file_size for e in entries)
    if inside > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(t("hardening.ckpt_too_big_inside", size=inside // 1024**2,
                                limit=MAX_CHECKPOINT_BYTES // 1024**2))


def _from_payload(ckpt) -> Checkpoint:
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError("this file is not an rnnviz checkpoint (its format marker is missing)")
    if ckpt.get("version") != VERSION:
        raise CheckpointError(f"checkpoint format version {ckpt.get('version')} is not supported (expected {VERSION})")
    try:
        config = ModelConfig.from_dict(ckpt["model_config"])
        config.validate()
        train_config = TrainConfig.from_dict(ckpt["train_config"]) if ckpt.get("train_config") else None
        vocab = Vocab.from_dict(ckpt["vocab"])
    except (ConfigError, KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"the checkpoint's settings are invalid: {e}") from None
    if len(vocab) != config.vocab_size:
        raise CheckpointError(
            f"the vocabulary has {len(vocab)} tokens but the model expects {config.vocab_size}"
        )
    state = ckpt.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(t("hardening.ckpt_no_weights"))
    saved = sum(v.numel() for v in state.values())
    if config.num_params() > saved:  # refused before the model is allocated (its settings may ask for 240 MB)
        raise CheckpointError(t("hardening.ckpt_param_mismatch", saved=saved, kind=config.kind,
                                needed=config.num_params()))
    model = build_model(config)
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError) as e:
        raise CheckpointError(
            f"the weights do not match a {config.kind} model of this shape: {str(e).splitlines()[0][:300]}"
        ) from None
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise CheckpointError("the checkpoint's weights contain NaN or infinity")
    model.eval()
    return Checkpoint(
        model=model, vocab=vocab, config=config, train_config=train_config,
        history=list(ckpt.get("history") or []), corpus=dict(ckpt.get("corpus") or {}),
        metrics=dict(ckpt.get("metrics") or {}), created=str(ckpt.get("created", "")),
    )


def shipped_checkpoints(directory=None) -> dict[str, Path]:
    """The checkpoints shipped in ``checkpoints/``, by file stem."""
    directory = Path(directory) if directory else Path(__file__).resolve().parent.parent / "checkpoints"
    return {p.stem: p for p in sorted(directory.glob("*.pt"))}
