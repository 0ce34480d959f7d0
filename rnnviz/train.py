"""The training engine: one stream of records that the CLI, the app and the tests all consume.

    trainer = Trainer(model_cfg, train_cfg, train_corpus, val_corpus)
    for rec in trainer.run():          # StepRecord per optimizer step
        ...                            # break at any time; call run() again to resume

Nothing here prints, plots, sleeps or reads widgets.
"""
from __future__ import annotations

import math
import threading
import random
import time
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn
from torch.nn import functional as F

from .data import Corpus, SeqDataLoader, Vocab, corpus_indices, seq_data_iter_sequential, split_train_val
from .i18n import t
from .models import ConfigError, ModelConfig, build_model, detach_state, perplexity

SAMPLERS = ("random", "sequential")
OPTIMIZERS = ("sgd", "adam")
# Activations kept for backprop grow with batch × steps × hidden × layers; refuse runs that would not fit.
MAX_ACTIVATION_BYTES = 4 * 1024**3


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became NaN/inf; the model keeps the last finite weights."""


@dataclass
class TrainConfig:
    """How to train. Round-trips through checkpoints like :class:`ModelConfig`."""

    batch_size: int = 32
    num_steps: int = 35
    lr: float = 1.0
    optimizer: str = "sgd"
    clip: float = 1.0  # θ of g ← min(1, θ/‖g‖) g; 0 disables clipping
    epochs: int = 10
    max_seconds: float = 0.0  # a time budget in seconds of training; 0: none
    sampler: str = "sequential"
    val_frac: float = 0.0
    max_tokens: int = -1  # use only the first N tokens of the corpus (d2l uses 10,000); -1: all
    seed: int = 0
    device: str = "auto"
    eval_every: int = 0  # validation perplexity every N steps as well as at each epoch end; 0: epochs only

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "TrainConfig":
        def whole(name, v, lo, hi):
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(f"{name} must be a whole number between {lo} and {hi}, got {v!r}")

        whole("batch size", self.batch_size, 1, 4096)
        whole("sequence length", self.num_steps, 1, 2000)
        whole("epochs", self.epochs, 1, 100_000)
        whole("evaluation interval", self.eval_every, 0, 10**9)
        whole("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.max_tokens, int) or (self.max_tokens != -1 and self.max_tokens < 2):
            raise ConfigError(f"max tokens must be -1 (all) or at least 2, got {self.max_tokens!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ConfigError(f"learning rate must be a number in (0, 100], got {self.lr!r}")
        if not (isinstance(self.clip, (int, float)) and math.isfinite(self.clip) and self.clip >= 0):
            raise ConfigError(f"clipping threshold θ must be ≥ 0 (0 disables clipping), got {self.clip!r}")
        if not (isinstance(self.max_seconds, (int, float)) and 0 <= self.max_seconds <= 7 * 24 * 3600):
            raise ConfigError(f"time budget must be between 0 and a week in seconds, got {self.max_seconds!r}")
        if not (isinstance(self.val_frac, (int, float)) and 0 <= self.val_frac <= 0.5):
            raise ConfigError(f"validation fraction must be between 0 and 0.5, got {self.val_frac!r}")
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        resolve_device(self.device)
        return self


@dataclass
class Preset:
    """A d2l run, named by its section, with the perplexity the book prints."""

    name: str
    model: ModelConfig
    train: TrainConfig
    d2l_ppl: float
    note: str = ""


def _d2l(kind: str, hidden: int, lr: float = 1.0, layers: int = 1, bidirectional: bool = False):
    return (
        ModelConfig(kind=kind, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional),
        TrainConfig(batch_size=32, num_steps=35, lr=lr, optimizer="sgd", clip=1.0, epochs=500,
                    sampler="sequential", max_tokens=10_000),
    )


PRESETS: dict[str, Preset] = {
    "d2l-8.5-scratch": Preset("d2l 8.5 · RNN from scratch", *_d2l("scratch", 512), d2l_ppl=1.0),
    "d2l-8.6-rnn": Preset("d2l 8.6 · nn.RNN", *_d2l("rnn", 256), d2l_ppl=1.3),
    "d2l-9.1-gru": Preset("d2l 9.1 · GRU", *_d2l("gru", 256), d2l_ppl=1.1),
    "d2l-9.2-lstm": Preset("d2l 9.2 · LSTM", *_d2l("lstm", 256), d2l_ppl=1.1),
    "d2l-9.3-deep-lstm": Preset("d2l 9.3 · two-layer LSTM", *_d2l("lstm", 256, lr=2.0, layers=2), d2l_ppl=1.0),
    "d2l-9.4-bilstm": Preset(
        "d2l 9.4 · bidirectional LSTM (the wrong application)",
        *_d2l("lstm", 256, layers=2, bidirectional=True),
        d2l_ppl=1.1,
        note="Low training perplexity, nonsense generation: at training time each position sees the future "
        "characters through the backward direction; when generating, there is no future to see.",
    ),
}


_INIT_LOCK = threading.Lock()  # fork_rng swaps the global generator: one initialisation at a time


@dataclass
class StepRecord:
    """One optimizer step. Epoch-level fields are filled on the step that ends an epoch."""

    step: int
    epoch: int  # 1-based epoch this step belongs to
    loss: float  # mean cross-entropy per token of this minibatch (nats)
    ppl: float  # exp(loss)
    grad_norm: float  # ‖g‖ before clipping
    grad_norm_clipped: float  # ‖g‖ after clipping
    lr: float
    tokens: int  # tokens processed so far
    tokens_per_s: float  # since the start of training, paused time excluded
    elapsed_s: float  # training time so far, paused time excluded
    val_ppl: float | None = None
    epoch_end: bool = False
    epoch_ppl: float | None = None  # d2l's printed figure: exp(total loss / tokens) over the epoch

    def to_dict(self) -> dict:
        return asdict(self)


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' → CUDA when present, else CPU; 'cuda' without a GPU raises :class:`ConfigError`."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(t("errors.no_gpu"))
    if name != "cpu" and not name.startswith("cuda"):
        raise ConfigError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


def clip_gradients(params, theta: float) -> tuple[float, float]:
    """Global-norm clipping ``g ← min(1, θ/‖g‖) g`` in place; returns (‖g‖ before, ‖g‖ after).

    θ = 0 disables clipping.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0, 0.0
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).item()
    if theta > 0 and norm > theta:
        scale = theta / norm
        for g in grads:
            g.mul_(scale)
        return norm, theta
    return norm, norm


def activation_bytes(mcfg: ModelConfig, tcfg: TrainConfig) -> int:
    """A rough count of the bytes backprop keeps alive for one minibatch (float32)."""
    gates = {"scratch": 2, "rnn": 2, "gru": 6, "lstm": 8, "gru-min": 8, "lstm-peephole": 14}[mcfg.kind]
    per_token = mcfg.num_layers * mcfg.directions * mcfg.hidden_size * gates + 3 * mcfg.vocab_size
    return 4 * tcfg.batch_size * tcfg.num_steps * per_token


def check_fits(mcfg: ModelConfig, tcfg: TrainConfig) -> None:
    """Refuse, before allocating, a model + minibatch that would exhaust memory."""
    mcfg.validate()
    tcfg.validate()
    need = activation_bytes(mcfg, tcfg) + 4 * 4 * mcfg.num_params()  # weights, grads, 2 Adam moments
    if need > MAX_ACTIVATION_BYTES:
        raise ConfigError(t("errors.too_much_memory", gib=need / 1024**3, limit=MAX_ACTIVATION_BYTES / 1024**3))


def sequence_nll(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, state=None):
    """Summed cross-entropy of Y given X, and the new state. X, Y: (B, T)."""
    logits, state = model(X, state)  # (B, T, V)
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), reduction="sum")
    return nll, state


@torch.no_grad()
def evaluate_perplexity(model: nn.Module, corpus: list[int], num_steps: int = 35, batch_size: int = 32,
                        device=None) -> float:
    """Perplexity of ``model`` on ``corpus`` with sequential partitions and the state carried across them.

    Uses no randomness (offset 0) so the same model always gets the same number.
    """
    if len(corpus) < 2:
        raise ConfigError("the evaluation text needs at least two tokens")
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    batch_size = max(1, min(batch_size, (len(corpus) - 1) // max(1, num_steps)))
    num_steps = max(1, min(num_steps, (len(corpus) - 1) // batch_size))
    rng = _ZeroOffset()
    total, count, state = 0.0, 0, None
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps, rng):
        nll, state = sequence_nll(model, X.to(device), Y.to(device), state)
        total += nll.item()
        count += Y.numel()
    model.train(was_training)
    return perplexity(total / count)


class _ZeroOffset(random.Random):
    """An rng whose randint always gives the lowest value: evaluation starts at token 0."""

    def randint(self, a, b):
        return a


class Trainer:
    """Owns a model, its optimizer and the position in the data, so training can stop and resume at any step.

    ``step()`` does one optimizer step and returns its :class:`StepRecord`; ``run()`` yields records until
    the epochs or the time budget are used up. Breaking out of ``run()`` is pausing: the next ``run()``
    continues with the very next minibatch.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, train_corpus: list[int],
                 val_corpus: list[int] | None = None, model: nn.Module | None = None, keep_history: bool = True):
        """``keep_history=False``: ``history`` stays empty, for a caller that keeps the records ``step()``
        returns itself (the app's worker does: a second copy would double a long run's memory)."""
        check_fits(model_cfg, train_cfg)
        self.keep_history = keep_history
        self.model_cfg, self.cfg = model_cfg, train_cfg
        self.device = resolve_device(train_cfg.device)
        with _INIT_LOCK, torch.random.fork_rng(devices=[]):
            # the seed decides the initial weights without resetting the process's global generator, which
            # other runs (other sessions' trainers, the pages' own computations) are drawing from
            torch.manual_seed(train_cfg.seed)
            built = model or build_model(model_cfg)
        self.model = built.to(self.device)
        self.model.train()
        self.train_corpus = train_corpus
        self.val_corpus = val_corpus or []
        self.loader = SeqDataLoader(train_corpus, train_cfg.batch_size, train_cfg.num_steps,
                                    sampler=train_cfg.sampler, seed=train_cfg.seed)
        if train_cfg.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=train_cfg.lr)
        else:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=train_cfg.lr)
        self.history: list[StepRecord] = []
        self.step_count = 0
        self.epoch = 0
        self.tokens = 0
        self.elapsed = 0.0
        self._batches = None
        self._state = None
        self._epoch_nll = 0.0
        self._epoch_tokens = 0
        self._left_in_epoch = 0

    @property
    def steps_per_epoch(self) -> int:
        return len(self.loader)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.cfg.epochs

    @property
    def done(self) -> bool:
        if self.cfg.max_seconds and self.elapsed >= self.cfg.max_seconds:
            return True
        return self.epoch >= self.cfg.epochs and self._left_in_epoch == 0

    def _next_batch(self):
        if self._left_in_epoch == 0:
            self.epoch += 1
            # Materialised so the epoch's length is exact (the random offset can change it by one).
            batches = list(self.loader)
            self._batches = iter(batches)
            self._left_in_epoch = len(batches)
            self._state = None
            self._epoch_nll, self._epoch_tokens = 0.0, 0
        self._left_in_epoch -= 1
        return next(self._batches)

    def step(self) -> StepRecord:
        """One minibatch: forward, backward, clip, update. Raises :class:`TrainingDiverged` on NaN/inf."""
        t0 = time.perf_counter()
        X, Y = self._next_batch()
        X, Y = X.to(self.device), Y.to(self.device)
        if self.cfg.sampler == "random":
            state = None  # random minibatches are not adjacent: each starts from zeros
        else:
            state = detach_state(self._state)  # truncated BPTT across adjacent minibatches
        nll, self._state = sequence_nll(self.model, X, Y, state)
        loss = nll / Y.numel()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm, clipped = clip_gradients(list(self.model.parameters()), self.cfg.clip)
        loss_value = loss.item()
        if not (math.isfinite(loss_value) and math.isfinite(norm)):
            # The update is skipped, so the weights stay those of the last finite step.
            self._left_in_epoch = 0
            raise TrainingDiverged(
                f"training diverged at step {self.step_count + 1} (loss {loss_value}, gradient norm {norm}); "
                f"the model keeps the weights of step {self.step_count}. Lower the learning rate "
                f"(now {self.cfg.lr}) or clip gradients."
            )
        self.optimizer.step()
        self.step_count += 1
        self.tokens += Y.numel()
        self._epoch_nll += nll.item()
        self._epoch_tokens += Y.numel()
        epoch_end = self._left_in_epoch == 0
        if self.device.type == "cuda":
            torch.cuda.synchronize()  # so elapsed time measures the work, not the kernel queue
        self.elapsed += time.perf_counter() - t0
        rec = StepRecord(
            step=self.step_count, epoch=self.epoch, loss=loss_value, ppl=perplexity(loss_value),
            grad_norm=norm, grad_norm_clipped=clipped, lr=self.optimizer.param_groups[0]["lr"],
            tokens=self.tokens, tokens_per_s=self.tokens / max(self.elapsed, 1e-9), elapsed_s=self.elapsed,
            epoch_end=epoch_end,
        )
        if epoch_end:
            rec.epoch_ppl = perplexity(self._epoch_nll / self._epoch_tokens)
        want_val = epoch_end or (self.cfg.eval_every and self.step_count % self.cfg.eval_every == 0)
        if want_val and len(self.val_corpus) > 1:
            rec.val_ppl = self.validation_perplexity()
            self.model.train()
        if self.keep_history:
            self.history.append(rec)
        return rec

    def validation_perplexity(self) -> float:
        return evaluate_perplexity(self.model, self.val_corpus, self.cfg.num_steps, self.cfg.batch_size,
                                   self.device)

    def run(self, max_steps: int | None = None):
        """Yield a :class:`StepRecord` per step until done (or ``max_steps`` more steps)."""
        n = 0
        while not self.done and (max_steps is None or n < max_steps):
            yield self.step()
            n += 1


def prepare_data(corpus: Corpus, train_cfg: TrainConfig, vocab: Vocab | None = None):
    """The corpus as (train indices, validation indices, vocab), cut to ``max_tokens`` and split as configured.

    The vocabulary is built from the whole text (so the validation part has no unknown characters).
    """
    ids, vocab = corpus_indices(corpus, vocab, train_cfg.max_tokens)
    train_ids, val_ids = split_train_val(ids, train_cfg.val_frac)
    return train_ids, val_ids, vocab


def fit(model_cfg: ModelConfig, train_cfg: TrainConfig, train_corpus: list[int],
        val_corpus: list[int] | None = None) -> Trainer:
    """Train to the end and return the trainer (model, history). For scripts and tests."""
    trainer = Trainer(model_cfg, train_cfg, train_corpus, val_corpus)
    for _ in trainer.run():
        pass
    return trainer


def history_dicts(history: list[StepRecord]) -> list[dict]:
    return [r.to_dict() for r in history]
