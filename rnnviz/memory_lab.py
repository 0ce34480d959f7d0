"""Small RNN / GRU / LSTM models trained on :mod:`rnnviz.memory_tasks`: side-by-side runs, a sweep over the
dependency length T, and what a trained model's answer depends on.

::

    runs = {cell: MemoryRun(cell, "agreement", T=20, seed=0) for cell in CELLS}
    for cell, run in runs.items():
        records = run.advance(25)          # [{"cell", "step", "loss", "accuracy"}, ...], resumable
    points = sweep("agreement", [5, 10, 20, 40], steps=300)   # SweepPoint(cell, T, accuracy) per run
    g = input_saliency(run.model, batch.x[0], batch, 0)       # (L,) ‖∂ answer / ∂ x_s‖

Everything runs on one torch thread (the machine's cores are shared with the app and the browser).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .i18n import t
from .inspect import trace_layers
from .memory_tasks import TOLERANCE, Batch, Task, TaskError, get_task
from .threads import one_torch_thread

CELLS = ("rnn", "gru", "lstm")
HIDDEN = 32
BATCH = 32
LR = 3e-3
CLIP = 1.0
EVAL_BATCH = 256
MAX_STEPS = 5_000
GATE_BIAS = 3.0


def cell_name(cell: str) -> str:
    """A cell ("rnn", "gru", "lstm") as the lecture names it (vanilla RNN, GRU, LSTM), in the interface's language."""
    return t(f"memory_lab.cell_{cell}")




class MemoryNet(nn.Module):
    """x (B, L, in) → nn.RNN / nn.GRU / nn.LSTM (batch_first) → a linear head at every step → (B, L, out)."""

    def __init__(self, cell: str, in_dim: int, out_dim: int, hidden: int = HIDDEN):
        super().__init__()
        if cell not in CELLS:
            raise TaskError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        self.cell = cell
        module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = module(in_dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out_dim)
        # Gates start out remembering (Jozefowicz et al. 2015 use +1 for the LSTM's forget gate): the LSTM's
        # forget gate F ≈ σ(GATE_BIAS) ≈ 0.95 and the GRU's update gate Z likewise, so the old state is kept by
        # default and a gradient can cross tens of steps from the first minibatch. A vanilla RNN has no such knob.
        if cell in ("lstm", "gru"):
            block = 1  # PyTorch stacks LSTM blocks i, f, g, o and GRU blocks r, z, n: f and z are block 1
            with torch.no_grad():
                self.rnn.bias_hh_l0[block * hidden:(block + 1) * hidden].fill_(GATE_BIAS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)  # (B, L, H)
        return self.head(h)  # (B, L, out)


def loss_and_accuracy(task: Task, out: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, float]:
    """Mean loss over the scored steps (MSE or cross-entropy) and the fraction of them answered right."""
    out_s = out[batch.scored]  # (N, out)
    y_s = batch.y[batch.scored]  # (N,)
    if task.regression:
        pred = out_s[:, 0]
        loss = F.mse_loss(pred, y_s)
        acc = ((pred - y_s).abs() < TOLERANCE).float().mean()
    else:
        loss = F.cross_entropy(out_s, y_s)
        acc = (out_s.argmax(1) == y_s).float().mean()
    return loss, float(acc)


@dataclass
class MemoryRun:
    """One cell learning one task at one T with Adam; :meth:`advance` continues where it stopped."""

    cell: str
    task_name: str
    T: int
    seed: int = 0
    hidden: int = HIDDEN
    batch_size: int = BATCH
    lr: float = LR
    step: int = 0
    history: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.task = get_task(self.task_name)
        self.task.length(self.T)
        self.task.batch(self.T, 1, torch.Generator().manual_seed(0))  # validates T before anything is built
        torch.manual_seed(self.seed)
        self.model = MemoryNet(self.cell, self.task.in_dim, self.task.out_dim, self.hidden)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        self.gen = torch.Generator().manual_seed(self.seed + 1)  # the same batches for every cell

    def advance(self, steps: int) -> list[dict]:
        """Train ``steps`` more minibatches; returns their records {cell, step, loss, accuracy}.

        Each batch is fresh, so its accuracy, measured before the update, is an honest estimate on unseen data.
        """
        if self.step + steps > MAX_STEPS:
            raise TaskError(f"a run is limited to {MAX_STEPS:,} steps")
        out_records = []
        self.model.train()
        with one_torch_thread():
            for _ in range(steps):
                batch = self.task.batch(self.T, self.batch_size, self.gen)
                loss, acc = loss_and_accuracy(self.task, self.model(batch.x), batch)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
                self.optimizer.step()
                self.step += 1
                rec = {"cell": self.cell, "step": self.step, "loss": float(loss.detach()), "accuracy": acc}
                out_records.append(rec)
        self.history.extend(out_records)
        return out_records

    @torch.no_grad()
    def evaluate(self, n: int = EVAL_BATCH, seed: int = 12345) -> float:
        """Accuracy on ``n`` fresh examples drawn from a fixed seed (the same for every cell)."""
        with one_torch_thread():
            batch = self.task.batch(self.T, n, torch.Generator().manual_seed(seed))
            return loss_and_accuracy(self.task, self.model(batch.x), batch)[1]

    def recent_accuracy(self, window: int = 20) -> float | None:
        if not self.history:
            return None
        tail = self.history[-window:]
        return sum(r["accuracy"] for r in tail) / len(tail)


@dataclass(frozen=True)
class SweepPoint:
    cell: str
    T: int
    accuracy: float
    steps: int


def sweep_stream(task_name: str, Ts: Sequence[int], steps: int, cells: Sequence[str] = CELLS,
                 seed: int = 0) -> Iterator[SweepPoint]:
    """Train a fresh model for every (T, cell), ``steps`` minibatches each, and yield its held-out accuracy."""
    if not Ts:
        raise TaskError("choose at least one dependency length T")
    if not 1 <= steps <= MAX_STEPS:
        raise TaskError(f"steps per run must be between 1 and {MAX_STEPS:,}, got {steps}")
    for T in Ts:
        for cell in cells:
            run = MemoryRun(cell, task_name, int(T), seed=seed)
            run.advance(steps)
            yield SweepPoint(cell, int(T), run.evaluate(), steps)


def sweep(task_name: str, Ts: Sequence[int], steps: int, cells: Sequence[str] = CELLS, seed: int = 0,
          on_point: Callable[[int, int, SweepPoint], None] | None = None) -> dict[str, list[float]]:
    """cell → [accuracy at each T in Ts]; ``on_point(done, total, point)`` after each run (a progress bar)."""
    total = len(Ts) * len(cells)
    acc: dict[str, list[float]] = {c: [math.nan] * len(Ts) for c in cells}
    index = {int(T): i for i, T in enumerate(Ts)}
    for done, p in enumerate(sweep_stream(task_name, Ts, steps, cells, seed), 1):
        acc[p.cell][index[p.T]] = p.accuracy
        if on_point:
            on_point(done, total, p)
    return acc


def answer_position(batch: Batch, i: int = 0) -> int:
    """The last scored step of example i: the answer the saliency explains."""
    return int(batch.scored[i].nonzero()[-1])


def input_saliency(model: MemoryNet, task: Task, batch: Batch, i: int = 0, pos: int | None = None) -> torch.Tensor:
    """(L,) ‖∂ a / ∂ x_s‖ for every input step s of example i, where a is the answer at step ``pos`` (default: the
    last scored step): the predicted value for regression, otherwise the correct class's logit minus the mean
    logit (a margin that, unlike log P, does not saturate once the model is sure).

    Steps after ``pos`` get exactly 0 (the model reads left to right). Parameters get no .grad.
    """
    pos = answer_position(batch, i) if pos is None else pos
    with torch.enable_grad(), one_torch_thread():
        x = batch.x[i:i + 1].detach().clone().requires_grad_(True)
        out = model(x)[0, pos]  # (out,)
        a = out[0] if task.regression else out[batch.y[i, pos]] - out.mean()
        (grad,) = torch.autograd.grad(a, x)
    return grad[0].norm(dim=1).detach()


@torch.no_grad()
def forget_gates(model: MemoryNet, batch: Batch, i: int = 0) -> torch.Tensor:
    """(L, H) the LSTM's forget gate F_t at every step of example i (the Gates page's trace)."""
    if model.cell != "lstm":
        raise TaskError("only an LSTM has a forget gate")
    with one_torch_thread():
        _, _, gates = trace_layers(model.rnn, batch.x[i])
    return gates[0]["forget"]


@torch.no_grad()
def predictions(model: MemoryNet, task: Task, batch: Batch, i: int = 0) -> list:
    """The model's answers at the scored steps of example i (values or class indices)."""
    out = model(batch.x[i:i + 1])[0][batch.scored[i]]
    return out[:, 0].tolist() if task.regression else out.argmax(1).tolist()


__all__ = ["CELLS", "cell_name", "MemoryNet", "MemoryRun", "SweepPoint", "sweep", "sweep_stream",
           "input_saliency", "forget_gates", "predictions", "loss_and_accuracy", "answer_position"]
