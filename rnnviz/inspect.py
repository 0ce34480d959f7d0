"""Activations captured explicitly: ``trace(model, vocab, text) -> Trace``, every hidden state and gate, named.

A :class:`Trace` holds detached CPU float32 tensors for one text read from a zero state, layer by layer:

====================  ==================  ===============================================================
field                 shape               meaning
====================  ==================  ===============================================================
``hidden``            (L, T, U)           H_t of every layer after reading character t
``cell``              (L, T, U) or None   the memory C_t of an LSTM or peephole LSTM; None for the other kinds
``gates[name]``       (L, T, U)           LSTM and peephole LSTM: ``input`` I_t, ``forget`` F_t, ``output``
                                          O_t (σ, 0..1), ``candidate`` C̃_t (tanh, -1..1); GRU: ``reset`` R_t,
                                          ``update`` Z_t (σ), ``candidate`` H̃_t (tanh); minimal GRU:
                                          ``update`` Z_t, ``candidate`` H̃_t; scratch RNN and nn.RNN:
                                          ``preactivation`` X_t W_xh + H_{t-1} W_hh + b before φ
``probs``             (T, V)              P(next character | text[:t+1]) after each character
``ids``               (T,)                the vocabulary index fed at each step (unknowns → ``<unk>``)
``offset``            int                 where ``tokens[0]`` sits in the full text (non-zero for a window)
====================  ==================  ===============================================================

L is the number of layers, T the number of characters, V the vocabulary size and U = D·H units per layer,
D = 2 for a bidirectional model. A bidirectional layer lists its forward units first (0..H-1), then its
backward units (H..2H-1), the same layout as the module's ``output``; the backward half at step t has read
text[t:] from the right, so such a model sees the character it is asked to predict.

How it is computed, so that it costs about as much as one forward pass rather than a Python loop per step:

1. every layer's H_1..H_T comes from PyTorch's own fused kernel (``torch.lstm``/``gru``/``rnn_*``, what
   nn.LSTM/GRU/RNN call) run one layer at a time with that layer's own weights;
2. knowing every H_{t-1}, all gates for all steps are two matmuls plus elementwise σ/tanh;
3. what is left, the LSTM's C_t = F_t ⊙ C_{t-1} + I_t ⊙ C̃_t, is elementwise: a float64 loop, ~1 µs a step.

The cell variants of :mod:`rnnviz.cells` have no fused kernel: step 1 runs the cells' own forward, one layer at a
time; step 2 reads their named weights (W_xz, W_hz, b_z …). The peephole LSTM's input and forget gates look at
C_{t-1}, so for it step 3 computes I_t, F_t, C_t and O_t (which looks at C_t) together in the elementwise loop.

tests/test_inspect.py checks it against the modules' own outputs, H and C of every layer, to 1e-5. Dropout is
never applied: a trace always describes the model in evaluation mode.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .data import Vocab
from .cells import StackedCells
from .generate import unknown_chars
from .models import RNNLM, CellLM, RNNScratch

MAX_TRACE_CHARS = 10_000
MAX_TRACE_VALUES = 60_000_000  # floats recorded in one trace (240 MB): keeps a large model on a long text in check
SIGMOID_GATES = ("input", "forget", "output", "reset", "update")
GATE_NAMES = {
    "lstm": ("input", "forget", "output", "candidate"),
    "gru": ("reset", "update", "candidate"),
    "rnn": ("preactivation",),
    "scratch": ("preactivation",),
    "gru-min": ("update", "candidate"),
    "lstm-peephole": ("input", "forget", "output", "candidate"),
}
MEMORY_CELL_KINDS = ("lstm", "lstm-peephole")  # kinds with a cell C_t beside H_t
ORDERS = ("index", "variance", "mean", "saturation")


@dataclass
class Trace:
    """Everything one text does inside a recurrent language model; the module docstring lists the shapes."""

    kind: str  # 'lstm' | 'gru' | 'rnn' | 'scratch' | 'gru-min' | 'lstm-peephole'
    text: str
    tokens: list[str]  # the T characters
    ids: torch.Tensor  # (T,) long
    unknown: list[tuple[int, str]]  # (position, char) not in the vocabulary, fed as <unk>
    hidden: torch.Tensor  # (L, T, U)
    cell: torch.Tensor | None  # (L, T, U) for an LSTM or peephole LSTM
    gates: dict[str, torch.Tensor]  # name -> (L, T, U)
    probs: torch.Tensor  # (T, V)
    vocab_tokens: list[str]  # (V,) index -> token, so probs can be read without the Vocab
    layer_names: list[str]
    hidden_size: int  # H, per direction
    directions: int = 1
    nonlinearity: str = "tanh"  # φ of the scratch RNN and nn.RNN
    offset: int = 0  # position of tokens[0] in the text this trace was cut from (inspect_analysis.window)

    @property
    def num_layers(self) -> int:
        return self.hidden.shape[0]

    @property
    def num_steps(self) -> int:
        return self.hidden.shape[1]

    @property
    def num_units(self) -> int:
        return self.hidden.shape[2]

    @property
    def gate_names(self) -> tuple[str, ...]:
        """The gates in the lecture's order (input, forget, output, candidate for an LSTM)."""
        return tuple(self.gates)

    @property
    def quantities(self) -> tuple[str, ...]:
        """Every name :meth:`values` accepts: 'hidden', 'cell' (LSTM) and the gates."""
        return ("hidden",) + (("cell",) if self.cell is not None else ()) + self.gate_names

    def values(self, name: str, layer: int) -> torch.Tensor:
        """(T, U) values of ``name`` ('hidden', 'cell' or a gate) in ``layer``."""
        layer = self._layer(layer)
        if name == "hidden":
            return self.hidden[layer]
        if name == "cell" and self.cell is not None:
            return self.cell[layer]
        if name in self.gates:
            return self.gates[name][layer]
        raise ValueError(f"a {self.kind} trace has no {name!r}; choose one of {', '.join(self.quantities)}")

    def bounds(self, name: str) -> tuple[float, float] | None:
        """The range ``name`` can take by construction: (0, 1) for σ gates, (-1, 1) for tanh quantities,
        None when it is unbounded (the LSTM cell, pre-activations, a ReLU RNN's hidden state)."""
        if name in SIGMOID_GATES:
            return (0.0, 1.0)
        if name == "candidate" or (name == "hidden" and not self._relu):
            return (-1.0, 1.0)
        return None

    def unit_label(self, unit: int) -> str:
        """'17', or '→17' / '←17' for the forward and backward halves of a bidirectional layer."""
        if self.directions == 1:
            return str(unit)
        arrow = "→" if unit < self.hidden_size else "←"
        return f"{arrow}{unit % self.hidden_size}"

    def top_k(self, t: int, k: int = 5) -> list[tuple[str, float]]:
        """The k likeliest next characters after reading ``tokens[t]``, with their probabilities."""
        p, idx = torch.topk(self.probs[t], min(k, self.probs.shape[1]))
        return [(self.vocab_tokens[int(i)], float(v)) for v, i in zip(p, idx)]

    def surprisal(self) -> torch.Tensor:
        """(T-1,) -log P(tokens[t+1] | tokens[:t+1]) in nats: how unexpected each next character was."""
        p = self.probs[:-1].gather(1, self.ids[1:, None]).squeeze(1)
        return -torch.log(p.double().clamp_min(1e-300)).float()

    def saturation(self, name: str, layer: int, eps: float = 0.05) -> torch.Tensor:
        """(U,) fraction of steps at which each unit is saturated: a σ gate below eps or above 1-eps, a tanh
        quantity (candidate, a tanh network's hidden state) beyond ±(1-eps)."""
        bounds = self.bounds(name)
        if bounds is None:
            raise ValueError(f"{name!r} is unbounded in a {self.kind} model, so it has no saturation")
        v = self.values(name, layer)
        if bounds == (0.0, 1.0):
            sat = (v < eps) | (v > 1 - eps)
        else:
            sat = v.abs() > 1 - eps
        return sat.float().mean(0)

    def saturating(self) -> tuple[str, ...]:
        """The quantities :meth:`saturation` accepts: the bounded gates, else a tanh hidden state."""
        names = tuple(g for g in self.gate_names if self.bounds(g) is not None)
        return names or (("hidden",) if self.bounds("hidden") is not None else ())

    def unit_variance(self, layer: int, name: str = "hidden") -> torch.Tensor:
        """(U,) variance over the text of each unit: which units move and which sit still."""
        return self.values(name, layer).var(0, unbiased=False)

    def unit_order(self, layer: int, order: str = "variance", name: str = "hidden") -> torch.Tensor:
        """(U,) unit indices: 'index' as they are, 'variance' most varying first, 'mean' highest mean first,
        'saturation' most often saturated first."""
        v = self.values(name, layer)
        if order == "index":
            return torch.arange(v.shape[1])
        if order == "variance":
            key = v.var(0, unbiased=False)
        elif order == "mean":
            key = v.mean(0)
        elif order == "saturation":
            key = self.saturation(name, layer)
        else:
            raise ValueError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
        return torch.argsort(key, descending=True, stable=True)

    @property
    def _relu(self) -> bool:
        return self.kind in ("rnn", "scratch") and self.nonlinearity == "relu"

    def _layer(self, layer: int) -> int:
        if not -self.num_layers <= layer < self.num_layers:
            raise IndexError(f"layer {layer} does not exist; this model has {self.num_layers} layer(s)")
        return layer % self.num_layers


# ---------------------------------------------------------------- one recurrent layer


@dataclass
class _Weights:
    """One direction of one layer in PyTorch's layout: gate blocks stacked along dim 0."""

    w_ih: torch.Tensor  # (G·H, in)
    w_hh: torch.Tensor  # (G·H, H)
    b_ih: torch.Tensor | None  # (G·H,)
    b_hh: torch.Tensor | None  # (G·H,)


def _rnn_kind(rnn: nn.RNNBase) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    raise TypeError(f"cannot trace a {type(rnn).__name__}; expected nn.RNN, nn.GRU or nn.LSTM")


def _module_weights(rnn: nn.RNNBase, layer: int) -> list[_Weights]:
    """The layer's weights by their documented names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...);
    the biases are None when the module was built with ``bias=False``."""
    if getattr(rnn, "proj_size", 0):
        raise ValueError("LSTMs with proj_size are not supported")
    out = []
    for suffix in ("", "_reverse")[: 2 if rnn.bidirectional else 1]:
        name = f"l{layer}{suffix}"
        out.append(_Weights(getattr(rnn, f"weight_ih_{name}"), getattr(rnn, f"weight_hh_{name}"),
                            getattr(rnn, f"bias_ih_{name}", None), getattr(rnn, f"bias_hh_{name}", None)))
    return out


def _scratch_weights(model: RNNScratch, layer: int) -> list[_Weights]:
    """The scratch RNN's H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h) in PyTorch's layout (weights transposed)."""
    return [_Weights(model.W_xh[layer].T, model.W_hh[layer].T, model.b_h[layer], None)]


def _fused_layer(kind: str, nonlinearity: str, ws: list[_Weights], x: torch.Tensor) -> torch.Tensor:
    """x: (T, in) → the layer's output (T, D·H) from PyTorch's fused kernel, the one nn.LSTM/GRU/RNN call."""
    H = ws[0].w_hh.shape[1]
    has_bias = ws[0].b_ih is not None or ws[0].b_hh is not None
    params = []
    for w in ws:
        params += [w.w_ih.contiguous(), w.w_hh.contiguous()]  # cuDNN refuses the scratch RNN's transposed views
        if has_bias:
            zeros = torch.zeros(w.w_ih.shape[0], dtype=x.dtype, device=x.device)
            params += [w.b_ih if w.b_ih is not None else zeros, w.b_hh if w.b_hh is not None else zeros]
    h0 = torch.zeros(len(ws), 1, H, dtype=x.dtype, device=x.device)
    # cuDNN only differentiates an RNN in training mode; with dropout 0 that mode computes the same outputs.
    train = torch.is_grad_enabled()
    args = (has_bias, 1, 0.0, train, len(ws) == 2, False)  # has_biases, layers, dropout, train, bidir, batch_first
    with warnings.catch_warnings():
        # cuDNN copies one layer's weights out of the module's flat buffer (fine at these sizes) and says so.
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")
        if kind == "lstm":
            out, _, _ = torch.lstm(x[:, None], (h0, h0), params, *args)
        elif kind == "gru":
            out, _ = torch.gru(x[:, None], h0, params, *args)
        else:
            fn = torch.rnn_relu if nonlinearity == "relu" else torch.rnn_tanh
            out, _ = fn(x[:, None], h0, params, *args)
    return out[:, 0]


def _affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """x W^T + b for all steps at once: (T, in) → (T, G·H)."""
    return torch.addmm(b, x, w.T) if b is not None else x @ w.T


def _cell_states(forget: torch.Tensor, written: torch.Tensor) -> torch.Tensor:
    """C_t = F_t ⊙ C_{t-1} + (I_t ⊙ C̃_t) for every t from C_0 = 0; both inputs and the result (T, H).

    Only this elementwise recurrence is left once the gates are known. A float64 numpy loop over 256-wide
    rows costs about 1 µs a step (2 ms for 2,000 characters), less than any vectorized scan tried.
    """
    f = forget.detach().double().cpu().numpy()
    w = written.detach().double().cpu().numpy()
    c = np.empty_like(w)
    prev = np.zeros(w.shape[1])
    for t in range(len(w)):
        prev = f[t] * prev + w[t]
        c[t] = prev
    return torch.from_numpy(c).to(forget)


def _gates(kind: str, w: _Weights, x: torch.Tensor, h: torch.Tensor, reverse: bool):
    """Every gate of one direction from its input x (T, in) and its outputs h (T, H), all steps at once.

    Returns (gates: name → (T, H), cell (T, H) or None). PyTorch stacks LSTM blocks as i, f, g, o and
    GRU blocks as r, z, n.
    """
    zero = torch.zeros_like(h[:1])
    h_prev = torch.cat([h[1:], zero]) if reverse else torch.cat([zero, h[:-1]])  # H_{t-1}: (T, H)
    xw = _affine(x, w.w_ih, w.b_ih)  # (T, G·H)
    hw = _affine(h_prev, w.w_hh, w.b_hh)  # (T, G·H)
    if kind == "lstm":
        i, f, g, o = (xw + hw).chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = _cell_states(f.flip(0), (i * g).flip(0)).flip(0) if reverse else _cell_states(f, i * g)
        return {"input": i, "forget": f, "output": o, "candidate": g}, c
    if kind == "gru":
        x_r, x_z, x_n = xw.chunk(3, dim=1)
        h_r, h_z, h_n = hw.chunk(3, dim=1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        return {"reset": r, "update": z, "candidate": torch.tanh(x_n + r * h_n)}, None
    return {"preactivation": xw + hw}, None


def _sigma(x: np.ndarray) -> np.ndarray:
    """σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _peephole_states(a_i: torch.Tensor, a_f: torch.Tensor, a_o: torch.Tensor, candidate: torch.Tensor,
                     w_ci: torch.Tensor, w_cf: torch.Tensor, w_co: torch.Tensor):
    """The peephole LSTM's I_t, F_t, C_t, O_t for every t from C_0 = 0, given the parts of the gates that do not
    look at the cell (a_g = X_t W_xg + H_{t-1} W_hg + b_g, all (T, H)) and C̃_t (T, H).

    I_t = σ(a_i + w_ci ⊙ C_{t-1}), F_t = σ(a_f + w_cf ⊙ C_{t-1}), C_t = F_t ⊙ C_{t-1} + I_t ⊙ C̃_t,
    O_t = σ(a_o + w_co ⊙ C_t): elementwise once H_{t-1} is known, a float64 numpy loop like :func:`_cell_states`.
    """
    ai, af, ao, g = (v.detach().double().cpu().numpy() for v in (a_i, a_f, a_o, candidate))
    wi, wf, wo = (v.detach().double().cpu().numpy() for v in (w_ci, w_cf, w_co))
    i, f, o, c = (np.empty_like(g) for _ in range(4))
    prev = np.zeros(g.shape[1])
    for t in range(len(g)):
        i[t] = _sigma(ai[t] + wi * prev)
        f[t] = _sigma(af[t] + wf * prev)
        prev = f[t] * prev + i[t] * g[t]
        c[t] = prev
        o[t] = _sigma(ao[t] + wo * prev)
    return tuple(torch.from_numpy(v).to(candidate) for v in (i, f, o, c))


def _cell_gates(kind: str, cell: nn.Module, x: torch.Tensor, h: torch.Tensor, reverse: bool):
    """The gates of one direction of a :mod:`rnnviz.cells` variant, read from the cell's named weights, from its
    input x (T, in) and its outputs h (T, H). Returns (gates: name → (T, H), cell (T, H) or None)."""
    zero = torch.zeros_like(h[:1])
    h_prev = torch.cat([h[1:], zero]) if reverse else torch.cat([zero, h[:-1]])  # H_{t-1}: (T, H)
    if kind == "gru-min":
        update = torch.sigmoid(torch.addmm(cell.b_z, x, cell.W_xz) + h_prev @ cell.W_hz)  # Z_t
        candidate = torch.tanh(torch.addmm(cell.b_h, x, cell.W_xh) + h_prev @ cell.W_hh)  # H̃_t
        return {"update": update, "candidate": candidate}, None
    a = {g: torch.addmm(getattr(cell, f"b_{g}"), x, getattr(cell, f"W_x{g}")) + h_prev @ getattr(cell, f"W_h{g}")
         for g in "ifoc"}  # (T, H) each: everything but the peepholes
    candidate = torch.tanh(a["c"])  # C̃_t
    parts = (a["i"], a["f"], a["o"], candidate)
    if reverse:  # the backward cell reads right to left: run the loop over the flipped steps
        parts = tuple(v.flip(0) for v in parts)
    i, f, o, c = _peephole_states(*parts, cell.w_ci, cell.w_cf, cell.w_co)
    if reverse:
        i, f, o, c = (v.flip(0) for v in (i, f, o, c))
    return {"input": i, "forget": f, "output": o, "candidate": candidate}, c


# ---------------------------------------------------------------- the whole model


def _cell_stack(model: nn.Module) -> StackedCells | None:
    """The :class:`~rnnviz.cells.StackedCells` of a cell-variant model (or the stack itself), else None."""
    if isinstance(model, CellLM):
        return model.rnn
    return model if isinstance(model, StackedCells) else None


def _recurrent(model: nn.Module) -> tuple[str, str, int, Callable[[int], list]]:
    """(kind, nonlinearity, layers, weights(layer)) for a model, a bare nn.RNNBase or a StackedCells.
    ``weights(layer)`` lists one entry per direction: a :class:`_Weights`, or for the cell variants the cell
    module itself (its weights are named, W_xz, W_hi …)."""
    if isinstance(model, RNNScratch):
        cfg = model.config
        return "scratch", cfg.nonlinearity, cfg.num_layers, lambda layer: _scratch_weights(model, layer)
    stack = _cell_stack(model)
    if stack is not None:
        return stack.kind, "tanh", stack.num_layers, stack.layer_cells
    rnn = model.rnn if isinstance(model, RNNLM) else model
    if not isinstance(rnn, nn.RNNBase):
        raise TypeError(f"cannot trace a {type(model).__name__}; expected an rnnviz model or nn.RNN/GRU/LSTM")
    kind = _rnn_kind(rnn)
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    return kind, nonlinearity, rnn.num_layers, lambda layer: _module_weights(rnn, layer)


def trace_layers(module: nn.Module, x: torch.Tensor, gates: bool = True) -> tuple[
        list[torch.Tensor], list[torch.Tensor | None], list[dict[str, torch.Tensor]]]:
    """Run ``x`` (T, in) through the recurrent layers of ``module`` (an rnnviz model, a bare nn.RNN/GRU/LSTM
    with or without bias, or a :class:`~rnnviz.cells.StackedCells`, possibly bidirectional) from a zero state.

    Returns per layer: hidden (T, D·H), cell (T, D·H) or None, gates name → (T, D·H); with
    ``gates=False`` only the hidden states are computed (the other two lists are empty). Hidden states and
    gates are differentiable with respect to ``x`` when called with grad enabled; the cell is not, nor are the
    peephole LSTM's gates (they come out of the elementwise loop with the cell).
    """
    kind, nonlinearity, layers, weights = _recurrent(module)
    kind = "rnn" if kind == "scratch" else kind  # the scratch formula is nn.RNN's with b_hh = 0
    stack = _cell_stack(module)
    hidden, cells, layer_gates = [], [], []
    for layer in range(layers):
        ws = weights(layer)
        if stack is not None:  # the cells' own forward, one layer at a time, batch of 1
            h = stack.run_layer(layer, x[:, None])[0][:, 0]  # (T, D·H)
        else:
            h = _fused_layer(kind, nonlinearity, ws, x)  # (T, D·H)
        hidden.append(h)
        if gates:
            gates_of = _cell_gates if stack is not None else _gates
            per_dir = [gates_of(kind, w, x, h_d, reverse=d == 1)
                       for d, (w, h_d) in enumerate(zip(ws, h.chunk(len(ws), dim=1)))]
            cells.append(torch.cat([c for _, c in per_dir], dim=1) if kind in MEMORY_CELL_KINDS else None)
            layer_gates.append({name: torch.cat([g[name] for g, _ in per_dir], dim=1) for name in per_dir[0][0]})
        x = h
    return hidden, cells, layer_gates


def _inputs(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    """ids (T,) → the first layer's input (T, in): one-hot rows or embeddings."""
    if isinstance(model, RNNScratch):
        return F.one_hot(ids, model.config.vocab_size).to(model.W_hq.dtype)
    return model.embed(ids[None])[:, 0]


def _logits(model: nn.Module, h_last: torch.Tensor) -> torch.Tensor:
    """The output layer: last layer's hidden (T, D·H) → logits (T, V)."""
    if isinstance(model, RNNScratch):
        return h_last @ model.W_hq + model.b_q
    return model.head(h_last)


def _encode(model: nn.Module, vocab: Vocab, text: str) -> torch.Tensor:
    """``text`` as (T,) indices on the model's device, after refusing what cannot or should not be traced."""
    if not isinstance(model, (RNNLM, RNNScratch, CellLM)):
        raise TypeError(f"cannot trace a {type(model).__name__}; expected an rnnviz language model")
    if not text:
        raise ValueError("there is no text to trace")
    if len(text) > MAX_TRACE_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; tracing is limited to {MAX_TRACE_CHARS:,}")
    cfg = model.config
    if len(vocab) != cfg.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model expects {cfg.vocab_size}")
    quantities = 1 + len(GATE_NAMES[cfg.kind]) + (cfg.kind in MEMORY_CELL_KINDS)
    n_values = len(text) * cfg.num_layers * cfg.directions * cfg.hidden_size * quantities
    if n_values > MAX_TRACE_VALUES:
        most = MAX_TRACE_VALUES // (n_values // len(text))
        raise ValueError(f"a trace of {len(text):,} characters through this model would record {n_values:,} "
                         f"values; trace at most {most:,} characters")
    device = next(model.parameters()).device
    return torch.tensor(vocab[list(text)], dtype=torch.long, device=device)


@torch.no_grad()
def trace(model: nn.Module, vocab: Vocab, text: str) -> Trace:
    """Read ``text`` with ``model`` from a zero state and record every layer's hidden state, cell and gates
    and the next-character distribution after each character. Characters missing from ``vocab`` are fed as
    ``<unk>`` and listed in ``Trace.unknown``."""
    ids = _encode(model, vocab, text)
    hidden, cells, gates = trace_layers(model, _inputs(model, ids))
    probs = F.softmax(_logits(model, hidden[-1]).float(), dim=-1)
    cfg = model.config

    def stack(ts):
        return torch.stack(ts).detach().float().cpu()

    return Trace(
        kind=cfg.kind, text=text, tokens=list(text), ids=ids.cpu(), unknown=unknown_chars(vocab, text),
        hidden=stack(hidden), cell=stack(cells) if cfg.kind in MEMORY_CELL_KINDS else None,
        gates={name: stack([g[name] for g in gates]) for name in gates[0]},
        probs=probs.detach().cpu(), vocab_tokens=list(vocab.idx_to_token),
        layer_names=[f"layer {i + 1}" for i in range(cfg.num_layers)],
        hidden_size=cfg.hidden_size, directions=cfg.directions, nonlinearity=cfg.nonlinearity,
    )


def input_gradients(model: nn.Module, vocab: Vocab, text: str, target_pos: int = -1) -> torch.Tensor:
    """(T,) ‖∂ log P(text[target_pos] | text[:target_pos]) / ∂x_s‖ for every input position s.

    x_s is what the first layer reads at step s (a one-hot row or an embedding). For a unidirectional model
    the positions from ``target_pos`` on are exactly 0; how fast the norms fall off to the left shows how far
    back the prediction still depends on the text (vanishing gradients). The model's parameters get no .grad.
    """
    ids = _encode(model, vocab, text)
    T = len(ids)
    pos = target_pos + T if target_pos < 0 else target_pos
    if not 1 <= pos < T:
        raise ValueError(f"target position {target_pos} must point at one of characters 2..{T} "
                         "(the first character has nothing before it to be predicted from)")
    with torch.enable_grad():
        x = _inputs(model, ids).detach().float().requires_grad_(True)  # (T, in)
        hidden, _, _ = trace_layers(model, x, gates=False)
        logits = _logits(model, hidden[-1][pos - 1])  # the prediction made after reading text[pos-1]
        logp = F.log_softmax(logits.float(), dim=-1)[ids[pos]]
        (grad,) = torch.autograd.grad(logp, x)
    return grad.norm(dim=1).detach().float().cpu()


__all__ = ["Trace", "trace", "trace_layers", "input_gradients", "GATE_NAMES", "MEMORY_CELL_KINDS", "ORDERS",
           "MAX_TRACE_CHARS", "MAX_TRACE_VALUES", "SIGMOID_GATES"]
