"""rnnviz: an interactive playground for recurrent neural networks (the engine; no UI code here).

Public API, stable for notebooks::

    from rnnviz import data
    lines = data.read_time_machine()
    vocab = data.Vocab(data.tokenize(lines, "char"))
    ckpt = rnnviz.load_checkpoint("checkpoints/lstm.pt")      # .model .vocab .config .history
    logits, state = ckpt.model(X, None)                         # X: LongTensor (B, T) → (B, T, V)
"""
from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .generate import generate, score
from .models import ConfigError, ModelConfig, build_model, detach_state
from .train import PRESETS, StepRecord, TrainConfig, Trainer, TrainingDiverged, fit

__all__ = [
    "Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint", "generate", "score",
    "ConfigError", "ModelConfig", "build_model", "detach_state", "PRESETS", "StepRecord", "TrainConfig",
    "Trainer", "TrainingDiverged", "fit",
]
