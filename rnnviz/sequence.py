"""The sequence-model experiment of d2l 8.1: predict a noisy sine from its last τ values.

    exp = SequenceExperiment(SequenceConfig())      # T = 1000 points of sin(0.01 t) + N(0, 0.2²)
    for rec in exp.run():                           # a TrainRecord per Adam step, epoch_loss at epoch ends
        ...
    res = exp.results()                             # 1-step, multistep and k-step forecasts with their MSEs

Time follows d2l: ``time = 1, ..., T`` and ``x[i]`` is the observation at time ``i + 1``. An autoregressive
MLP (τ → hidden → 1, ReLU) sees the window ``x[i : i + τ]`` and predicts ``x[i + τ]``. A small GRU trained on
the same series (``SequenceConfig(model="gru")``) is the latent-variable model to compare it with: its
state summarises the whole past instead of a window of τ values.
Everything random comes from one ``torch.Generator`` seeded by the config, so equal configs give equal numbers
(and sessions running side by side do not disturb each other's random streams).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from .models import ConfigError

K_STEPS = (1, 4, 16, 64)  # the horizons d2l plots
MODELS = ("mlp", "gru", "rnn")
MODEL_NAMES = {"mlp": "MLP on the last τ values", "gru": "GRU (latent state)", "rnn": "RNN (latent state)"}
MAX_POINTS = 100_000
MAX_TAU = 256
MAX_HIDDEN = 1024


@dataclass
class SequenceConfig:
    """The whole input of the experiment; d2l's values are the defaults."""

    T: int = 1000  # number of time steps
    tau: int = 4  # window length: the features are the last τ observations
    noise: float = 0.2  # standard deviation of the Gaussian noise added to sin(0.01 t)
    n_train: int = 600  # the first n_train (window, next value) pairs train the network
    epochs: int = 5
    lr: float = 0.01  # Adam
    batch_size: int = 16
    hidden: int = 10  # hidden units of the MLP (of the GRU for the latent model)
    seed: int = 0
    ks: tuple[int, ...] = K_STEPS  # horizons of the k-step predictions
    model: str = "mlp"  # 'mlp' (d2l's), or a latent-variable model: 'gru' or 'rnn' (nn.RNN, tanh)
    num_steps: int = 32  # latent models only: length of the training subsequences (BPTT window)

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "SequenceConfig":
        """Raise :class:`ConfigError` (a ValueError) with a message for the person who chose the values."""
        _whole("number of time steps T", self.T, 2, MAX_POINTS)
        _whole("window length τ", self.tau, 1, MAX_TAU)
        _whole("epochs", self.epochs, 1, 10_000)
        _whole("batch size", self.batch_size, 1, MAX_POINTS)
        _whole("hidden units", self.hidden, 1, MAX_HIDDEN)
        _whole("seed", self.seed, 0, 2**63 - 1)
        _whole("BPTT window", self.num_steps, 2, MAX_POINTS)
        if self.model not in MODELS:
            raise ConfigError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if not self.ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in self.ks):
            raise ConfigError(f"the k-step horizons must be whole numbers ≥ 1, got {self.ks!r}")
        if self.T <= self.tau + max(self.ks):
            raise ConfigError(
                f"T = {self.T} is too short for τ = {self.tau} and {max(self.ks)}-step predictions: "
                f"T must be larger than τ + {max(self.ks)} = {self.tau + max(self.ks)}"
            )
        _whole("training examples n_train", self.n_train, 1, self.T - self.tau - 1)
        if not (isinstance(self.noise, (int, float)) and math.isfinite(self.noise) and self.noise >= 0):
            raise ConfigError(f"the noise standard deviation must be a number ≥ 0, got {self.noise!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ConfigError(f"the learning rate must be a number in (0, 10], got {self.lr!r}")
        return self

    @property
    def max_k(self) -> int:
        return max(self.ks)

    @property
    def multistep_start(self) -> int:
        """The first index predicted from predictions alone (d2l: 600 + 4 = 604)."""
        return self.n_train + self.tau


def _whole(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")


# ---------------------------------------------------------------- data


@dataclass
class Series:
    """The data. time, x, clean: (T,); features: (T - τ, τ); labels: (T - τ,)."""

    time: torch.Tensor  # 1, ..., T
    x: torch.Tensor  # observations sin(0.01 t) + noise
    clean: torch.Tensor  # the noiseless signal sin(0.01 t)
    features: torch.Tensor  # row i: x[i : i + τ]
    labels: torch.Tensor  # x[τ:]


def window_features(x: torch.Tensor, tau: int) -> tuple[torch.Tensor, torch.Tensor]:
    """d2l's features: column i is ``x[i : len(x) - τ + i]``, so row r is the window ``x[r : r + τ]``.

    Returns features (len(x) - τ, τ) and labels ``x[τ:]`` (len(x) - τ,).
    """
    n = len(x) - tau
    if n < 1:
        raise ConfigError(f"a series of {len(x)} values has no window of length τ = {tau}")
    features = torch.stack([x[i:n + i] for i in range(tau)], dim=1)  # (n, τ)
    return features, x[tau:]


def make_series(cfg: SequenceConfig, generator: torch.Generator | None = None) -> Series:
    """T noisy observations of sin(0.01 t), t = 1..T; the noise is drawn from ``generator`` (default: cfg.seed)."""
    generator = generator or torch.Generator().manual_seed(cfg.seed)
    time = torch.arange(1, cfg.T + 1, dtype=torch.float32)
    clean = torch.sin(0.01 * time)
    x = clean + cfg.noise * torch.randn(cfg.T, generator=generator)
    features, labels = window_features(x, cfg.tau)
    return Series(time, x, clean, features, labels)


# ---------------------------------------------------------------- the autoregressive MLP


def build_mlp(tau: int, hidden: int, generator: torch.Generator) -> nn.Sequential:
    """d2l's net: Linear(τ, hidden) → ReLU → Linear(hidden, 1), weights Xavier-uniform, biases as nn.Linear's."""
    net = nn.Sequential(nn.Linear(tau, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    with torch.no_grad():
        for layer in (net[0], net[2]):
            nn.init.xavier_uniform_(layer.weight, generator=generator)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return net


@dataclass
class TrainRecord:
    """One Adam step; the epoch's figure is filled on the step that ends it."""

    step: int
    epoch: int  # 1-based
    loss: float  # mean squared error on this minibatch
    epoch_end: bool = False
    epoch_loss: float | None = None  # d2l's printed figure: MSE over all training examples after the epoch

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Forecast:
    """Predictions of one kind. time, pred, observed, clean: (n,), aligned."""

    name: str  # "1-step", "multistep", "16-step"
    time: np.ndarray  # the time steps t being predicted (d2l's time axis, 1-based)
    pred: np.ndarray
    observed: np.ndarray  # x at those steps
    clean: np.ndarray  # sin(0.01 t) at those steps

    @property
    def mse_observed(self) -> float:
        """Mean squared error against the noisy observations (at least noise² for a perfect model)."""
        return float(np.mean((self.pred - self.observed) ** 2))

    @property
    def mse_clean(self) -> float:
        """Mean squared error against the noiseless signal sin(0.01 t)."""
        return float(np.mean((self.pred - self.clean) ** 2))


def _forecast(name: str, series: Series, index: torch.Tensor, pred: torch.Tensor) -> Forecast:
    """Predictions ``pred`` of x[index] as a :class:`Forecast`."""
    return Forecast(name, series.time[index].numpy(), pred.detach().numpy().astype(np.float64),
                    series.x[index].numpy().astype(np.float64), series.clean[index].numpy().astype(np.float64))


@torch.no_grad()
def one_step_predictions(net: nn.Module, features: torch.Tensor) -> torch.Tensor:
    """net(window) for every row of ``features`` (n, τ) → (n,): each prediction sees only observations."""
    return net(features).reshape(-1)


@torch.no_grad()
def multistep_predictions(net: nn.Module, x: torch.Tensor, tau: int, start: int) -> torch.Tensor:
    """Observations up to ``start``, then each value predicted from the τ values before it, predictions included.

    Returns (len(x),): ``out[:start] == x[:start]``; ``out[i] = net(out[i - τ : i])`` for i ≥ start.
    """
    out = x.clone()
    for i in range(start, len(x)):
        out[i] = net(out[i - tau:i].reshape(1, -1)).reshape(())
    return out


@torch.no_grad()
def k_step_matrix(net: nn.Module, x: torch.Tensor, tau: int, max_steps: int) -> torch.Tensor:
    """d2l's k-step features (n, τ + max_steps) with n = len(x) - τ - max_steps + 1.

    Columns i < τ are observations ``x[i : i + n]``; column i ≥ τ is ``net`` applied to columns i - τ .. i - 1,
    so column τ + k - 1 holds the k-step-ahead predictions of ``x[τ + k - 1 : τ + k - 1 + n]``.
    """
    n = len(x) - tau - max_steps + 1
    features = torch.zeros(n, tau + max_steps)
    for i in range(tau):
        features[:, i] = x[i:i + n]
    for i in range(tau, tau + max_steps):
        features[:, i] = net(features[:, i - tau:i]).reshape(-1)
    return features


# ---------------------------------------------------------------- the latent-variable model


class SeriesRNN(nn.Module):
    """h_t = GRU or RNN(x_t, h_{t-1}); x̂_{t+1} = h_t w + b: a state that summarises the whole past."""

    def __init__(self, kind: str, hidden: int, generator: torch.Generator):
        super().__init__()
        self.rnn = nn.GRU(1, hidden) if kind == "gru" else nn.RNN(1, hidden)
        self.head = nn.Linear(hidden, 1)
        bound = 1 / math.sqrt(hidden)  # PyTorch's own initialisation, drawn from our generator
        with torch.no_grad():
            for p in self.parameters():
                nn.init.uniform_(p, -bound, bound, generator=generator)

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None):
        """x: (T, B) values → predictions of the next values (T, B) and every hidden state (T, B, H)."""
        out, _ = self.rnn(x.unsqueeze(-1), state)  # (T, B, H)
        return self.head(out).squeeze(-1), out


@torch.no_grad()
def rnn_k_step(net: SeriesRNN, x: torch.Tensor, origins: torch.Tensor, steps: int) -> torch.Tensor:
    """Predictions from each origin o: read x[0..o], then feed each prediction back as the next input.

    Returns (len(origins), steps); column j predicts x[o + 1 + j] (column 0 is the 1-step prediction).
    """
    preds, states = net(x[:int(origins.max()) + 1, None])  # teacher-forced pass: (T', 1), (T', 1, H)
    y = preds[origins, 0]  # (n,)
    state = states[origins, 0].unsqueeze(0)  # (1, n, H)
    cols = [y]
    for _ in range(steps - 1):
        p, state = net(y.unsqueeze(0), state)  # one step for every origin at once
        y = p[0]
        cols.append(y)
    return torch.stack(cols, dim=1)


@dataclass
class SequenceResult:
    """What the page shows: the data, the training history and every forecast with its error."""

    config: SequenceConfig
    time: np.ndarray  # (T,)
    x: np.ndarray  # (T,)
    clean: np.ndarray  # (T,)
    history: list[TrainRecord]
    onestep: Forecast  # times τ+1 .. T
    multistep: Forecast  # times from multistep_start + 1 on: predictions fed back
    kstep: dict[int, Forecast] = field(default_factory=dict)  # k → times τ + k .. T - max_k + k

    def mse_rows(self) -> list[dict]:
        """One row per forecast: its name, MSE against the observations and against sin(0.01 t)."""
        forecasts = [self.onestep, self.multistep, *self.kstep.values()]
        return [{"prediction": f.name, "points": len(f.pred), "mse_observed": f.mse_observed,
                 "mse_clean": f.mse_clean} for f in forecasts]


def forecasts(net: nn.Module, series: Series, cfg: SequenceConfig) -> tuple[Forecast, Forecast, dict[int, Forecast]]:
    """1-step, multistep and k-step forecasts of a trained ``net`` (the window MLP or a :class:`SeriesRNN`).

    Both models are judged on the same points: 1-step on times τ+1..T, multistep from multistep_start on, the
    k-step predictions of x[τ + k - 1 + r] from observations up to x[τ - 1 + r] (the MLP sees only the last τ).
    """
    T, tau, start = cfg.T, cfg.tau, cfg.multistep_start
    n = T - tau - cfg.max_k + 1  # origins of the k-step predictions
    if isinstance(net, SeriesRNN):
        onestep = rnn_k_step(net, series.x, torch.arange(tau - 1, T - 1), 1)[:, 0]
        multi = rnn_k_step(net, series.x, torch.tensor([start - 1]), T - start)[0]
        ahead = rnn_k_step(net, series.x, torch.arange(tau - 1, tau - 1 + n), cfg.max_k)  # (n, max_k)
    else:
        onestep = one_step_predictions(net, series.features)
        multi = multistep_predictions(net, series.x, tau, start)[start:]
        ahead = k_step_matrix(net, series.x, tau, cfg.max_k)[:, tau:]
    kstep = {k: _forecast(f"{k}-step", series, torch.arange(tau + k - 1, tau + k - 1 + n), ahead[:, k - 1])
             for k in sorted(set(cfg.ks))}
    return (_forecast("1-step", series, torch.arange(tau, T), onestep),
            _forecast("multistep", series, torch.arange(start, T), multi), kstep)


class SequenceExperiment:
    """The d2l 8.1 run as a stream: ``run()`` yields a :class:`TrainRecord` per step; break to pause, call again
    to resume; ``results()`` at any point gives the forecasts of the network as it is now.

    The MLP trains on the first n_train (window, next value) pairs; a latent model on random subsequences of
    ``x[:n_train + τ]``, the same observations.
    """

    def __init__(self, cfg: SequenceConfig | None = None):
        self.cfg = (cfg or SequenceConfig()).validate()
        self._gen = torch.Generator().manual_seed(self.cfg.seed)
        self.series = make_series(self.cfg, self._gen)
        if self.cfg.model == "mlp":
            self.net = build_mlp(self.cfg.tau, self.cfg.hidden, self._gen)
        else:
            self.net = SeriesRNN(self.cfg.model, self.cfg.hidden, self._gen)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr)
        self.history: list[TrainRecord] = []
        self.epoch = 0
        self._batches: list[torch.Tensor] = []

    @property
    def train_features(self) -> torch.Tensor:
        return self.series.features[:self.cfg.n_train]

    @property
    def train_labels(self) -> torch.Tensor:
        return self.series.labels[:self.cfg.n_train]

    @property
    def window(self) -> int:
        """Latent models: length of a training subsequence (at most the training stretch allows)."""
        return min(self.cfg.num_steps, self.cfg.n_train + self.cfg.tau - 1)

    @property
    def _n_examples(self) -> int:
        """Training pairs (MLP) or subsequence starts (latent models) per epoch."""
        if self.cfg.model == "mlp":
            return self.cfg.n_train
        return self.cfg.n_train + self.cfg.tau - self.window

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self._n_examples / self.cfg.batch_size)

    def _minibatch_errors(self, idx: torch.Tensor) -> torch.Tensor:
        """Squared errors of the examples ``idx``: (B,) for the MLP, (window, B) for a latent model."""
        if self.cfg.model == "mlp":
            return (self.net(self.train_features[idx]).reshape(-1) - self.train_labels[idx]) ** 2
        offsets = torch.arange(self.window + 1)[:, None]  # (window + 1, 1)
        seqs = self.series.x[idx[None, :] + offsets]  # (window + 1, B)
        preds, _ = self.net(seqs[:-1])
        return (preds - seqs[1:]) ** 2

    @property
    def done(self) -> bool:
        return self.epoch >= self.cfg.epochs and not self._batches

    def step(self) -> TrainRecord:
        """One Adam step on the next shuffled minibatch of (window, next value) pairs."""
        if not self._batches:
            self.epoch += 1
            order = torch.randperm(self._n_examples, generator=self._gen)
            self._batches = list(order.split(self.cfg.batch_size))
        idx = self._batches.pop(0)
        self.optimizer.zero_grad(set_to_none=True)
        sq = self._minibatch_errors(idx)
        sq.sum().backward()  # d2l sums the minibatch's squared errors; Adam does not mind the scale
        self.optimizer.step()
        rec = TrainRecord(step=len(self.history) + 1, epoch=self.epoch, loss=sq.mean().item())
        if not self._batches:
            rec.epoch_end = True
            rec.epoch_loss = self.train_loss()
        self.history.append(rec)
        return rec

    def run(self, max_steps: int | None = None):
        """Yield a :class:`TrainRecord` per step until the epochs are done (or ``max_steps`` more steps)."""
        n = 0
        while not self.done and (max_steps is None or n < max_steps):
            yield self.step()
            n += 1

    @torch.no_grad()
    def train_loss(self) -> float:
        """Mean squared error of the 1-step predictions of the n_train training labels x[τ : n_train + τ]."""
        if self.cfg.model == "mlp":
            preds = one_step_predictions(self.net, self.train_features)
        else:
            tau, end = self.cfg.tau, self.cfg.n_train + self.cfg.tau
            preds = rnn_k_step(self.net, self.series.x, torch.arange(tau - 1, end - 1), 1)[:, 0]
        return torch.mean((preds - self.train_labels) ** 2).item()

    def results(self) -> SequenceResult:
        onestep, multistep, kstep = forecasts(self.net, self.series, self.cfg)
        s = self.series
        return SequenceResult(self.cfg, s.time.numpy(), s.x.numpy(), s.clean.numpy(), list(self.history),
                              onestep, multistep, kstep)


def run_experiment(cfg: SequenceConfig | None = None) -> SequenceResult:
    """Train to the end and return the results. For scripts and tests."""
    exp = SequenceExperiment(cfg)
    for _ in exp.run():
        pass
    return exp.results()
