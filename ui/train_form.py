"""The Train page's settings: widget keys mapped one to one onto ModelConfig / TrainConfig fields.

A widget's value is the dataclass field's value, unchanged, so widgets → configs → checkpoint metadata
carry the same numbers (and the URL's query string), and a d2l preset fills the widgets with its configs'
values. A preset's names are translated here by its id (``train_presets.<id>_label``); the English ones
of rnnviz.train.PRESETS stay for the CLI.
"""
from __future__ import annotations

import torch

import streamlit as st

from rnnviz import i18n
from rnnviz.i18n import t
from rnnviz.models import KINDS, ModelConfig
from rnnviz.train import OPTIMIZERS, PRESETS, SAMPLERS, Preset, TrainConfig

from .state import remember, set_widget

MODEL_KEYS = {
    "train_kind": "kind",
    "train_hidden": "hidden_size",
    "train_layers": "num_layers",
    "train_bidirectional": "bidirectional",
    "train_embedding": "embedding_dim",
    "train_dropout": "dropout",
    "train_nonlinearity": "nonlinearity",
}
TRAIN_KEYS = {
    "train_sampler": "sampler",
    "train_num_steps": "num_steps",
    "train_batch_size": "batch_size",
    "train_max_tokens": "max_tokens",
    "train_val_frac": "val_frac",
    "train_optimizer": "optimizer",
    "train_lr": "lr",
    "train_clip": "clip",
    "train_epochs": "epochs",
    "train_max_seconds": "max_seconds",
    "train_seed": "seed",
    "train_device": "device",
    "train_eval_every": "eval_every",
}
FLOAT_FIELDS = {"dropout", "lr", "clip", "max_seconds", "val_frac"}
NONLINEARITIES = ("tanh", "relu")

# Page defaults: the dataclasses' own, except a quicker optimizer and a validation split.
DEFAULT_MODEL = ModelConfig()
DEFAULT_TRAIN = TrainConfig(optimizer="adam", lr=0.005, epochs=20, val_frac=0.1)

HIDDEN_OPTIONS = sorted({8, 16, 32, 64, 128, 256, 384, 512, 768, 1024}
                        | {p.model.hidden_size for p in PRESETS.values()} | {DEFAULT_MODEL.hidden_size})
MAX_TOKEN_OPTIONS = sorted({-1, 2_000, 10_000, 50_000, 100_000}
                           | {p.train.max_tokens for p in PRESETS.values()}, key=lambda n: (n == -1, n))


def device_options() -> list[str]:
    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def options_for(key: str) -> list | None:
    """The allowed values of a choice widget (None for free inputs): a URL naming another is refused."""
    return {
        "train_kind": list(KINDS),
        "train_hidden": HIDDEN_OPTIONS,
        "train_max_tokens": MAX_TOKEN_OPTIONS,
        "train_sampler": list(SAMPLERS),
        "train_optimizer": list(OPTIMIZERS),
        "train_nonlinearity": list(NONLINEARITIES),
        "train_device": device_options(),
    }.get(key)


def values_of(model: ModelConfig, train: TrainConfig) -> dict:
    """Widget key → value for a pair of configs (vocab_size is not a widget: the text decides it)."""
    out = {k: getattr(model, f) for k, f in MODEL_KEYS.items()}
    out.update({k: getattr(train, f) for k, f in TRAIN_KEYS.items()})
    return {k: float(v) if _field(k) in FLOAT_FIELDS else v for k, v in out.items()}


def _field(key: str) -> str:
    return MODEL_KEYS.get(key) or TRAIN_KEYS[key]


def remember_all() -> None:
    """Give every settings widget its remembered value (or the page default) before drawing them."""
    for key, value in values_of(DEFAULT_MODEL, DEFAULT_TRAIN).items():
        remember(key, value, options_for(key))


def configs(vocab_size: int = DEFAULT_MODEL.vocab_size) -> tuple[ModelConfig, TrainConfig]:
    """The widgets' values as (ModelConfig, TrainConfig), not yet validated."""
    ss = st.session_state
    model = ModelConfig(vocab_size=vocab_size, **{f: ss[k] for k, f in MODEL_KEYS.items()})
    train = TrainConfig(**{f: ss[k] for k, f in TRAIN_KEYS.items()})
    return model, train


def apply_preset(name: str) -> None:
    """Callback: fill the widgets with a d2l preset's configs."""
    preset: Preset = PRESETS[name]
    for key, value in values_of(preset.model, preset.train).items():
        set_widget(key, value)


def matching_preset(model: ModelConfig, train: TrainConfig) -> str | None:
    """The id of the preset whose settings the widgets hold (from a click, or from a link), if any."""
    current = values_of(model, train)
    return next((name for name, p in PRESETS.items() if values_of(p.model, p.train) == current), None)


def _preset_text(name: str, field: str, english: str) -> str:
    key = f"train_presets.{name.replace('-', '_').replace('.', '_')}_{field}"
    return t(key) if i18n.has(key) else english


def preset_label(name: str) -> str:
    """'d2l 9.2 · LSTM', in the current language."""
    return _preset_text(name, "label", PRESETS[name].name)


def preset_note(name: str) -> str:
    return _preset_text(name, "note", PRESETS[name].note)


def short_name(name: str) -> str:
    """The button's text: 'd2l 9.2 · LSTM' → '9.2 LSTM'."""
    english = PRESETS[name].name.removeprefix("d2l ").split(" (")[0].replace(" · ", " ")
    return _preset_text(name, "short", english)
