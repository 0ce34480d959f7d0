"""Character-level language models: the scratch RNN of d2l 8.5, nn.RNN / nn.GRU / nn.LSTM wrappers, and the cell
variants written from their equations in :mod:`rnnviz.cells` (the minimal GRU, the peephole LSTM).

Every model has the same interface::

    logits, state = model(X, state)     # X: LongTensor (B, T); logits: (B, T, V)

``state=None`` means zeros. The state is a tensor ``(layers * directions, B, H)`` for the scratch RNN,
nn.RNN, nn.GRU and the minimal GRU, and a tuple ``(h, c)`` of two such tensors for an LSTM and the peephole LSTM;
use :func:`detach_state` instead of asking which one it is.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn
from torch.nn import functional as F

from .cells import CELL_KINDS, StackedCells
from .i18n import t

KINDS = ("scratch", "rnn", "gru", "lstm") + CELL_KINDS
KIND_NAMES = {
    "scratch": "RNN from the formula (scratch)",
    "rnn": "nn.RNN",
    "gru": "GRU",
    "lstm": "LSTM",
    "gru-min": "Minimal GRU (update gate only)",
    "lstm-peephole": "LSTM with peepholes",
}
# Weight blocks per direction of a layer (one per gate and candidate), biases per block (PyTorch keeps two),
# peephole vectors: what num_params counts.
BLOCKS = {"scratch": 1, "rnn": 1, "gru": 3, "lstm": 4, "gru-min": 2, "lstm-peephole": 4}
BIASES = {"scratch": 1, "rnn": 2, "gru": 2, "lstm": 2, "gru-min": 1, "lstm-peephole": 1}
PEEPHOLES = {"lstm-peephole": 3}
# Hard limits so a typed absurdity is refused before anything is allocated.
MAX_HIDDEN = 4096
MAX_LAYERS = 8
MAX_VOCAB = 100_000
MAX_PARAMS = 60_000_000


class ConfigError(ValueError):
    """A configuration that cannot or should not be built; the message is meant for the user."""


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model; it round-trips through checkpoints as a plain dict."""

    kind: str = "lstm"
    vocab_size: int = 28
    hidden_size: int = 256
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    embedding_dim: int = 0  # 0: one-hot inputs, as the lecture writes them
    nonlinearity: str = "tanh"  # φ for the scratch RNN and nn.RNN

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown model settings: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "ModelConfig":
        """Raise :class:`ConfigError` with a readable message if this model cannot be built."""
        if self.kind not in KINDS:
            raise ConfigError(f"unknown model kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        _check_int("vocabulary size", self.vocab_size, 2, MAX_VOCAB)
        _check_int("hidden size", self.hidden_size, 1, MAX_HIDDEN)
        _check_int("number of layers", self.num_layers, 1, MAX_LAYERS)
        _check_int("embedding size", self.embedding_dim, 0, MAX_HIDDEN)
        if not (isinstance(self.dropout, (int, float)) and 0.0 <= self.dropout < 1.0):
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ConfigError(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")
        if self.kind == "scratch":
            if self.bidirectional:
                raise ConfigError(t("errors.scratch_bidirectional"))
            if self.embedding_dim:
                raise ConfigError(t("errors.scratch_embedding"))
        n = self.num_params()
        if n > MAX_PARAMS:
            raise ConfigError(t("errors.too_many_parameters", millions=n / 1e6, limit=MAX_PARAMS / 1e6))
        return self

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def num_params(self) -> int:
        """Parameter count computed from the config alone (before allocating anything)."""
        V, H, L, D = self.vocab_size, self.hidden_size, self.num_layers, self.directions
        blocks, biases, peepholes = BLOCKS[self.kind], BIASES[self.kind], PEEPHOLES.get(self.kind, 0)
        inp = self.embedding_dim or V
        n = self.embedding_dim * V
        for layer in range(L):
            layer_in = inp if layer == 0 else H * D
            per_dir = blocks * H * (layer_in + H) + blocks * H * biases + peepholes * H
            n += per_dir * D
        return n + H * D * V + V


def _check_int(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")


class RNNScratch(nn.Module):
    """The vanilla RNN exactly as the lecture writes it, with its own parameters (no nn.RNN).

    For each layer l and step t::

        H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h)      # (B, H)
        O_t = H_t W_hq + b_q                        # (B, V), last layer only

    X_t is one-hot (B, V) for the first layer and the layer below's H_t for deeper layers.
    Weights start as N(0, 0.01²) like d2l's ``get_params``.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.config = cfg
        V, H = cfg.vocab_size, cfg.hidden_size
        self.W_xh = nn.ParameterList()
        self.W_hh = nn.ParameterList()
        self.b_h = nn.ParameterList()
        for layer in range(cfg.num_layers):
            n_in = V if layer == 0 else H
            self.W_xh.append(nn.Parameter(torch.randn(n_in, H) * 0.01))
            self.W_hh.append(nn.Parameter(torch.randn(H, H) * 0.01))
            self.b_h.append(nn.Parameter(torch.zeros(H)))
        self.W_hq = nn.Parameter(torch.randn(H, V) * 0.01)
        self.b_q = nn.Parameter(torch.zeros(V))
        self.phi = torch.tanh if cfg.nonlinearity == "tanh" else torch.relu

    def begin_state(self, batch_size: int, device=None) -> torch.Tensor:
        """Zeros ``(layers, B, H)``."""
        cfg = self.config
        return torch.zeros(cfg.num_layers, batch_size, cfg.hidden_size, device=device or self.W_hq.device,
                           dtype=self.W_hq.dtype)

    def forward(self, X: torch.Tensor, state: torch.Tensor | None = None):
        """X: (B, T) token indices; returns logits (B, T, V) and state (layers, B, H)."""
        B, T = X.shape
        if state is None:
            state = self.begin_state(B, X.device)
        inputs = F.one_hot(X.T, self.config.vocab_size).to(self.W_hq.dtype)  # (T, B, V)
        new_state = []
        for layer in range(self.config.num_layers):
            W_xh, W_hh, b_h = self.W_xh[layer], self.W_hh[layer], self.b_h[layer]
            # X_t W_xh + b_h for all steps in one matmul; only H_{t-1} W_hh needs the loop.
            XW = inputs @ W_xh + b_h  # (T, B, H)
            H = state[layer]  # (B, H)
            outs = []
            # unbind, not XW[t]: each indexing's backward zero-fills a gradient the size of all of XW
            for XW_t in XW.unbind(0):
                H = self.phi(XW_t + H @ W_hh)
                outs.append(H)
            inputs = torch.stack(outs)  # (T, B, H)
            new_state.append(H)
        logits = inputs @ self.W_hq + self.b_q  # (T, B, V)
        return logits.transpose(0, 1), torch.stack(new_state)


class RNNLM(nn.Module):
    """A language model around nn.RNN, nn.GRU or nn.LSTM: inputs → recurrent layers → linear head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.config = cfg
        V, H = cfg.vocab_size, cfg.hidden_size
        self.embedding = nn.Embedding(V, cfg.embedding_dim) if cfg.embedding_dim else None
        n_in = cfg.embedding_dim or V
        kwargs = dict(
            num_layers=cfg.num_layers,
            bidirectional=cfg.bidirectional,
            dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
        )
        if cfg.kind == "rnn":
            self.rnn = nn.RNN(n_in, H, nonlinearity=cfg.nonlinearity, **kwargs)
        elif cfg.kind == "gru":
            self.rnn = nn.GRU(n_in, H, **kwargs)
        else:
            self.rnn = nn.LSTM(n_in, H, **kwargs)
        self.head = nn.Linear(H * cfg.directions, V)

    def begin_state(self, batch_size: int, device=None):
        """Zeros ``(layers * directions, B, H)``, a pair of them for an LSTM."""
        cfg = self.config
        device = device or self.head.weight.device
        shape = (cfg.num_layers * cfg.directions, batch_size, cfg.hidden_size)
        h = torch.zeros(shape, device=device)
        return (h, torch.zeros(shape, device=device)) if cfg.kind == "lstm" else h

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """X: (B, T) → the recurrent layer's input (T, B, E or V)."""
        if self.embedding is not None:
            return self.embedding(X.T)
        return F.one_hot(X.T, self.config.vocab_size).to(self.head.weight.dtype)

    def forward(self, X: torch.Tensor, state=None):
        """X: (B, T) token indices; returns logits (B, T, V) and the new state."""
        out, state = self.rnn(self.embed(X), state)  # out: (T, B, D*H)
        return self.head(out).transpose(0, 1), state


class CellLM(nn.Module):
    """A language model around the cells of :mod:`rnnviz.cells` (minimal GRU, peephole LSTM), RNNLM's twin:
    inputs → :class:`~rnnviz.cells.StackedCells` → linear head, with the same attributes (``embedding``, ``rnn``,
    ``head``) and interface. A class of its own, not an RNNLM, because ``rnn`` is not an nn.RNNBase: code that
    reads PyTorch's fused weights (``weight_hh_l0`` …) refuses it instead of misreading it."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        if cfg.kind not in CELL_KINDS:
            raise ConfigError(f"CellLM builds {', '.join(CELL_KINDS)}, not {cfg.kind!r}")
        self.config = cfg
        V, H = cfg.vocab_size, cfg.hidden_size
        self.embedding = nn.Embedding(V, cfg.embedding_dim) if cfg.embedding_dim else None
        self.rnn = StackedCells(cfg.kind, cfg.embedding_dim or V, H, num_layers=cfg.num_layers,
                                bidirectional=cfg.bidirectional, dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.head = nn.Linear(H * cfg.directions, V)

    def begin_state(self, batch_size: int, device=None):
        """Zeros ``(layers * directions, B, H)``, a pair of them for the peephole LSTM."""
        return self.rnn.zero_state(batch_size, device or self.head.weight.device, self.head.weight.dtype)

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """X: (B, T) → the recurrent layer's input (T, B, E or V)."""
        if self.embedding is not None:
            return self.embedding(X.T)
        return F.one_hot(X.T, self.config.vocab_size).to(self.head.weight.dtype)

    def forward(self, X: torch.Tensor, state=None):
        """X: (B, T) token indices; returns logits (B, T, V) and the new state."""
        out, state = self.rnn(self.embed(X), state)  # out: (T, B, D*H)
        return self.head(out).transpose(0, 1), state


def build_model(cfg: ModelConfig) -> nn.Module:
    """A freshly initialised model for ``cfg`` (validated first)."""
    cfg.validate()
    if cfg.kind == "scratch":
        return RNNScratch(cfg)
    return CellLM(cfg) if cfg.kind in CELL_KINDS else RNNLM(cfg)


def detach_state(state):
    """Cut the graph at a minibatch boundary (truncated BPTT), whatever the state's structure."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def state_to(state, device):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.to(device) for s in state)
    return state.to(device)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def uniform_perplexity(vocab_size: int) -> float:
    """The perplexity of a model that knows nothing: every token equally likely."""
    return float(vocab_size)


def perplexity(mean_nll: float) -> float:
    """exp of the average negative log-likelihood per token; inf when it overflows."""
    try:
        return math.exp(mean_nll)
    except OverflowError:
        return math.inf
