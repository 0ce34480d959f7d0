"""The shapes of ``torch.nn.LSTM``, read off the module itself: build it, run it once, report what came out.

::

    res = lstm_shapes(LSTMSettings(input_size=28, hidden_size=32, num_layers=2, bidirectional=True,
                                   batch_first=True, batch=4, seq_len=35))
    res.tensor("output").shape        # (4, 35, 64)   (N, L, D·H_out)
    res.weight("weight_ih_l1").shape  # (128, 64)     (4·H_cell, D·H_out)
    res.weight("weight_ih_l1").blocks[1]   # GateBlock("f", start=32, stop=64): the forget gate's rows

Every shape here comes from a tensor torch produced (``named_parameters()``, the outputs of ``forward``); the
symbolic axes beside it follow torch's documentation (N batch, L sequence length, D = 2 if bidirectional else 1,
H_in input_size, H_cell hidden_size, H_out proj_size or hidden_size), and the tests check the two agree.
PyTorch stacks each weight's gate blocks in the order i, f, g, o (input gate, forget gate, candidate memory
cell, output gate): rows k·H_cell … (k+1)·H_cell − 1 belong to block k.

Sizes that would allocate too much are refused with :class:`ShapeError` before anything is built.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import nn

from .i18n import t

GATES = ("i", "f", "g", "o")  # torch's order of the stacked blocks
MAX_PARAMETERS = 5_000_000  # ~20 MB of float32 weights
MAX_ELEMENTS = 5_000_000  # per input/output/state tensor
MAX_WORK = 1_000_000_000  # multiply-adds of one forward pass: about a second on a shared CPU
MAX_SIZE = 100_000  # any single size


class ShapeError(ValueError):
    """Settings torch would refuse or that are too large to run here; the message is meant for the user."""


@dataclass(frozen=True)
class LSTMSettings:
    """The arguments of ``nn.LSTM`` and the size of the input it is run on."""

    input_size: int = 28
    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    batch_first: bool = False
    batch: int = 32
    seq_len: int = 35
    proj_size: int = 0

    @property
    def D(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def H_out(self) -> int:
        return self.proj_size or self.hidden_size

    def sizes(self) -> dict[str, int]:
        """The value of every symbol that appears in an axis name."""
        return {"N": self.batch, "L": self.seq_len, "D": self.D, "H_in": self.input_size, "H_cell": self.hidden_size,
                "H_out": self.H_out, "num_layers": self.num_layers}


@dataclass(frozen=True)
class TensorShape:
    """One tensor: its name, the shape torch produced, and the symbolic name of each axis."""

    name: str  # "input", "h_0", "c_0", "output", "h_n", "c_n"
    shape: tuple[int, ...]
    axes: tuple[str, ...]  # e.g. ("L", "N", "H_in") or ("D·num_layers", "N", "H_out")


@dataclass(frozen=True)
class GateBlock:
    """The rows of a stacked weight or bias that belong to one gate: ``start`` … ``stop − 1``."""

    gate: str  # "i", "f", "g" or "o"
    start: int
    stop: int
    shape: tuple[int, ...]  # the block's own shape, e.g. (H_cell, H_in)


@dataclass(frozen=True)
class WeightShape:
    """One parameter of the module, with its gate blocks (none for a projection ``weight_hr``)."""

    name: str  # "weight_ih_l0", "bias_hh_l1_reverse", ...
    shape: tuple[int, ...]
    axes: tuple[str, ...]
    layer: int
    reverse: bool
    blocks: tuple[GateBlock, ...]

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class LSTMShapes:
    """What one run of ``nn.LSTM`` with these settings produced; ``parameters`` is the module's total count."""

    settings: LSTMSettings
    tensors: tuple[TensorShape, ...]
    weights: tuple[WeightShape, ...]
    parameters: int

    def tensor(self, name: str) -> TensorShape:
        return next(x for x in self.tensors if x.name == name)

    def weight(self, name: str) -> WeightShape:
        return next(w for w in self.weights if w.name == name)

    def axes_used(self) -> list[str]:
        """Every axis symbol of the tensors and weights, in order of first appearance."""
        seen: dict[str, None] = {}
        for item in (*self.tensors, *self.weights):
            seen.update(dict.fromkeys(item.axes))
        return list(seen)


# ---------------------------------------------------------------- checking the settings


def parameter_count(s: LSTMSettings) -> int:
    """The number of parameters ``nn.LSTM`` will have, computed from the formulas (before building it)."""
    G = 4 * s.hidden_size
    total = 0
    for layer in range(s.num_layers):
        h_in = s.input_size if layer == 0 else s.D * s.H_out
        per_direction = G * h_in + G * s.H_out + 2 * G + (s.proj_size * s.hidden_size if s.proj_size else 0)
        total += s.D * per_direction
    return total


def largest_tensor(s: LSTMSettings) -> int:
    """Elements of the largest of input, output and the states."""
    return max(s.seq_len * s.batch * s.input_size, s.seq_len * s.batch * s.D * s.H_out,
               s.D * s.num_layers * s.batch * s.hidden_size)


def check(s: LSTMSettings) -> None:
    """Raise :class:`ShapeError` for settings torch refuses or that are too large to run here."""
    for f in fields(s):
        value = getattr(s, f.name)
        if f.type == "bool":
            if not isinstance(value, bool):
                raise ShapeError(t("lstm_shapes.not_a_switch", name=f.name, value=repr(value)))
            continue
        lowest = 0 if f.name == "proj_size" else 1
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= MAX_SIZE:
            raise ShapeError(t("lstm_shapes.bad_size", name=f.name, low=lowest, high=f"{MAX_SIZE:,}",
                               value=repr(value)))
    if s.proj_size >= s.hidden_size:
        raise ShapeError(t("lstm_shapes.proj_too_large", proj=s.proj_size, hidden=s.hidden_size))
    count = parameter_count(s)
    if count > MAX_PARAMETERS:
        raise ShapeError(t("lstm_shapes.too_many_parameters", count=f"{count:,}", limit=f"{MAX_PARAMETERS:,}"))
    biggest = largest_tensor(s)
    if biggest > MAX_ELEMENTS:
        raise ShapeError(t("lstm_shapes.too_many_elements", count=f"{biggest:,}", limit=f"{MAX_ELEMENTS:,}"))
    work = s.seq_len * s.batch * count  # every weight is used once per time step and sequence
    if work > MAX_WORK:
        raise ShapeError(t("lstm_shapes.too_much_work", count=f"{work:,}", limit=f"{MAX_WORK:,}"))


# ---------------------------------------------------------------- the symbolic axes (torch's documentation)


def _sequence_axes(s: LSTMSettings, features: str) -> tuple[str, ...]:
    return ("N", "L", features) if s.batch_first else ("L", "N", features)


def tensor_axes(s: LSTMSettings) -> dict[str, tuple[str, ...]]:
    """name → axis symbols of input, h_0, c_0, output, h_n, c_n. The states never follow ``batch_first``."""
    state_h = ("D·num_layers", "N", "H_out")
    state_c = ("D·num_layers", "N", "H_cell")
    return {"input": _sequence_axes(s, "H_in"), "h_0": state_h, "c_0": state_c,
            "output": _sequence_axes(s, "D·H_out"), "h_n": state_h, "c_n": state_c}


def weight_axes(s: LSTMSettings, name: str) -> tuple[str, ...]:
    """Axis symbols of a parameter called ``name`` (``weight_ih_l1_reverse`` ...)."""
    layer = int(name.split("_l")[1].split("_")[0])
    if name.startswith("weight_ih"):
        return ("4·H_cell", "H_in" if layer == 0 else "D·H_out")
    if name.startswith("weight_hh"):
        return ("4·H_cell", "H_out")
    if name.startswith("weight_hr"):
        return ("H_out", "H_cell")
    return ("4·H_cell",)


def axis_size(s: LSTMSettings, axis: str) -> int:
    """The value of a symbolic axis ("D·H_out" → D × H_out)."""
    sizes = s.sizes() | {"4": 4}
    return math.prod(sizes[part] for part in axis.split("·"))


# ---------------------------------------------------------------- running the module


def _blocks(name: str, shape: tuple[int, ...], hidden: int) -> tuple[GateBlock, ...]:
    if name.startswith("weight_hr"):
        return ()
    return tuple(GateBlock(g, k * hidden, (k + 1) * hidden, (hidden, *shape[1:])) for k, g in enumerate(GATES))


def lstm_shapes(s: LSTMSettings, seed: int = 0) -> LSTMShapes:
    """Build ``nn.LSTM`` with these settings, run it on a random input with zero initial states, and report
    the shapes of every tensor and parameter."""
    check(s)
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the module's own initialisation, without touching the caller's random state
        lstm = nn.LSTM(s.input_size, s.hidden_size, num_layers=s.num_layers, bidirectional=s.bidirectional,
                       batch_first=s.batch_first, proj_size=s.proj_size)
    axes = tensor_axes(s)
    x = torch.randn(*(axis_size(s, a) for a in axes["input"]), generator=gen)  # (L, N, H_in) or (N, L, H_in)
    h0 = torch.zeros(*(axis_size(s, a) for a in axes["h_0"]))  # (D·num_layers, N, H_out)
    c0 = torch.zeros(*(axis_size(s, a) for a in axes["c_0"]))  # (D·num_layers, N, H_cell)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(x, (h0, c0))
    produced = {"input": x, "h_0": h0, "c_0": c0, "output": output, "h_n": h_n, "c_n": c_n}
    tensors = tuple(TensorShape(name, tuple(produced[name].shape), axes[name]) for name in produced)
    weights = tuple(
        WeightShape(name, tuple(p.shape), weight_axes(s, name), int(name.split("_l")[1].split("_")[0]),
                    name.endswith("_reverse"), _blocks(name, tuple(p.shape), s.hidden_size))
        for name, p in lstm.named_parameters())
    return LSTMShapes(s, tensors, weights, sum(p.numel() for p in lstm.parameters()))


def torch_code(s: LSTMSettings) -> str:
    """The few lines of PyTorch that build and run this module, shapes in the comments."""
    axes = tensor_axes(s)

    def dims(name: str) -> str:
        return ", ".join(str(axis_size(s, a)) for a in axes[name])

    args = f"input_size={s.input_size}, hidden_size={s.hidden_size}, num_layers={s.num_layers}"
    args += f",\n               bidirectional={s.bidirectional}, batch_first={s.batch_first}"
    args += f", proj_size={s.proj_size}" if s.proj_size else ""
    lines = [f"lstm = nn.LSTM({args})",
             f"X = torch.randn({dims('input')})  # ({', '.join(axes['input'])})",
             f"h_0 = torch.zeros({dims('h_0')})  # ({', '.join(axes['h_0'])})",
             f"c_0 = torch.zeros({dims('c_0')})  # ({', '.join(axes['c_0'])})",
             "output, (h_n, c_n) = lstm(X, (h_0, c_0))",
             f"# output: ({', '.join(axes['output'])}) = ({dims('output')})",
             f"# h_n: ({dims('h_n')}), c_n: ({dims('c_n')})"]
    return "\n".join(lines)


# ---------------------------------------------------------------- words for the reader

_AXIS_KEYS = {"N": "axis_n", "L": "axis_l", "H_in": "axis_h_in", "H_cell": "axis_h_cell", "H_out": "axis_h_out",
              "D·num_layers": "axis_d_layers", "D·H_out": "axis_d_h_out", "4·H_cell": "axis_4h_cell"}


def axis_meaning(axis: str) -> str:
    """What an axis symbol stands for, in the interface's language."""
    return t(f"lstm_shapes.{_AXIS_KEYS[axis]}")


def tensor_meaning(name: str) -> str:
    """One line on what the tensor ``input``/``h_0``/``c_0``/``output``/``h_n``/``c_n`` holds."""
    return t(f"lstm_shapes.tensor_{name}")


def gate_name(gate: str) -> str:
    """The lecture's name of torch's block ``i``/``f``/``g``/``o``."""
    return t(f"lstm_shapes.gate_{gate}")


__all__ = ["GATES", "MAX_PARAMETERS", "MAX_ELEMENTS", "MAX_WORK", "ShapeError", "LSTMSettings", "TensorShape", "GateBlock",
           "WeightShape", "LSTMShapes", "parameter_count", "check", "tensor_axes", "weight_axes", "axis_size",
           "lstm_shapes", "torch_code", "axis_meaning", "tensor_meaning", "gate_name"]
