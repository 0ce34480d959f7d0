"""Backpropagation through time, measured: how ‖∂ℓ_T/∂h_k‖ changes with the distance T − k.

    X, y = encode_text(vocab, "the time traveller for so it will be convenient")
    curve = gradient_curve(model, X, y)            # curve.distance (T,), curve.norm (T,)
    curves = lambda_curves(len(vocab), X, y, lams=(0.5, 1.0, 1.5), nonlinearity="identity")
    kinds = kind_curves(len(vocab), X, y)          # fresh nn.RNN, GRU and LSTM on the same input

ℓ_T is the cross-entropy of the last prediction (of ``y`` given all of ``X``). The hidden states are rebuilt
step by step from each model's own weights, in float64, so that every h_k is a node of the graph that autograd
can differentiate with respect to; :func:`unroll` is tested against the models' own forward.

The theory these curves illustrate (row vectors, as the models compute ``h_t = φ(x_t W_xh + h_{t-1} W_hh + b_h)``)::

    ∂h_t/∂h_{t-1} = diag(φ'(a_t)) W_hhᵀ           ∂h_T/∂h_k = ∏_{t=T}^{k+1} diag(φ'(a_t)) W_hhᵀ

so in the linear regime (φ' = 1) the norm behaves like λ^(T−k), λ the spectral radius of W_hh.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .data import Vocab
from .i18n import t
from .models import ConfigError, ModelConfig, RNNLM, RNNScratch, build_model
from .train import TrainConfig, Trainer, TrainingDiverged

NONLINEARITIES = ("tanh", "relu", "identity")
RECURRENT_KINDS = ("rnn", "gru", "lstm")
KINDS = ("scratch", "rnn", "gru", "lstm")


def kind_label(kind: str) -> str:
    """A model kind as curves are labelled: RNN (scratch), RNN, GRU, LSTM (in the interface's language)."""
    return t(f"gradients.kind_{kind}")


def _phi(name: str):
    """φ and its derivative φ'(a), by name."""
    if name == "tanh":
        return torch.tanh, lambda a: 1 - torch.tanh(a) ** 2
    if name == "relu":
        return torch.relu, lambda a: (a > 0).to(a.dtype)
    if name == "identity":
        return (lambda a: a), torch.ones_like
    raise ConfigError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}, got {name!r}")


def encode_text(vocab: Vocab, text: str, target: str | None = None) -> tuple[torch.Tensor, int]:
    """Character indices of ``text`` and the index of the token to predict after them.

    Without ``target`` the last character of ``text`` is the target and the others are the input.
    """
    if target is None:
        if len(text) < 2:
            raise ConfigError("the text needs at least two characters: the input and the one to predict")
        text, target = text[:-1], text[-1]
    if not text:
        raise ConfigError("the input text is empty")
    return torch.tensor(vocab[list(text)], dtype=torch.long), vocab[target]


# ---------------------------------------------------------------- unrolling any model step by step


@dataclass
class Unrolled:
    """Every hidden state of one sequence (batch 1) as a graph node, float64.

    hidden[l][t]: (1, H), layer l after step t (t = 0 .. T-1 is h_1 .. h_T); cell[l][t] likewise, LSTM only;
    pre[l][t]: (1, H) the pre-activation a_t of the scratch RNN and nn.RNN (None for GRU/LSTM);
    logits: (T, V).
    """

    hidden: list[list[torch.Tensor]]
    cell: list[list[torch.Tensor]] | None
    pre: list[list[torch.Tensor]] | None
    logits: torch.Tensor


def _recurrent_kind(model: nn.Module) -> str:
    if isinstance(model, RNNScratch):
        return "scratch"
    if isinstance(model, RNNLM):
        if model.config.bidirectional:
            raise ConfigError(t("gradients.bidirectional_refused"))
        return model.config.kind
    raise ConfigError(t("gradients.kind_refused", kind=getattr(getattr(model, "config", None), "kind", type(model).__name__)))


def _layer_weights(model: nn.Module, kind: str, layer: int):
    """(W_ih (in, G*H), W_hh (H, G*H), b (G*H,)) in float64, oriented for row vectors: a = x W_ih + h W_hh + b."""
    if kind == "scratch":
        return model.W_xh[layer].double(), model.W_hh[layer].double(), model.b_h[layer].double()
    rnn = model.rnn
    W_ih, W_hh = getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")
    b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}", None), getattr(rnn, f"bias_hh_l{layer}", None)
    zero = torch.zeros(W_ih.shape[0], dtype=torch.float64)
    b_ih = zero if b_ih is None else b_ih.double()
    b_hh = zero if b_hh is None else b_hh.double()
    return W_ih.double().T, W_hh.double().T, (b_ih, b_hh)


def unroll(model: nn.Module, X: torch.Tensor, nonlinearity: str | None = None) -> Unrolled:
    """Run ``model`` over the token indices ``X`` (T,) one step at a time from a zero state.

    ``nonlinearity`` replaces φ of a scratch RNN or nn.RNN ('tanh', 'relu' or 'identity'): the same weights with
    φ = identity show the linear regime, where only W_hh shapes the gradient. Dropout is not applied.
    """
    kind = _recurrent_kind(model)
    if kind in ("gru", "lstm") and nonlinearity is not None:
        raise ConfigError("a nonlinearity can be chosen for the vanilla RNN only, not for a GRU or LSTM")
    phi, _ = _phi(nonlinearity or model.config.nonlinearity)
    X = torch.as_tensor(X).reshape(1, -1)  # (1, T)
    if kind == "scratch":
        inputs = F.one_hot(X.T, model.config.vocab_size).double()  # (T, 1, V)
    else:
        inputs = model.embed(X).double()  # (T, 1, E or V)
    T, H = inputs.shape[0], model.config.hidden_size
    hidden, cells, pres = [], [] if kind == "lstm" else None, [] if kind in ("scratch", "rnn") else None
    for layer in range(model.config.num_layers):
        W_ih, W_hh, b = _layer_weights(model, kind, layer)
        h = torch.zeros(1, H, dtype=torch.float64)
        c = torch.zeros(1, H, dtype=torch.float64)
        hs, cs, ps = [], [], []
        for t in range(T):
            x_t = inputs[t]  # (1, in)
            if kind == "scratch":
                a = x_t @ W_ih + h @ W_hh + b  # (1, H)
                h = phi(a)
                ps.append(a)
            elif kind == "rnn":
                a = x_t @ W_ih + b[0] + h @ W_hh + b[1]
                h = phi(a)
                ps.append(a)
            elif kind == "gru":  # PyTorch's gate order: reset, update, candidate
                xr, xz, xn = (x_t @ W_ih + b[0]).chunk(3, dim=1)
                hr, hz, hn = (h @ W_hh + b[1]).chunk(3, dim=1)
                reset, update = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                candidate = torch.tanh(xn + reset * hn)
                h = update * h + (1 - update) * candidate
            else:  # lstm; PyTorch's gate order: input, forget, candidate, output
                a_i, a_f, a_g, a_o = (x_t @ W_ih + b[0] + h @ W_hh + b[1]).chunk(4, dim=1)
                input_gate, forget, output = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
                c = forget * c + input_gate * torch.tanh(a_g)  # cell: keep some memory, write some candidate
                h = output * torch.tanh(c)
                cs.append(c)
            hs.append(h)
        hidden.append(hs)
        if cells is not None:
            cells.append(cs)
        if pres is not None:
            pres.append(ps)
        inputs = torch.stack(hs)  # (T, 1, H): the next layer's input
    top = inputs[:, 0]  # (T, H)
    if kind == "scratch":
        logits = top @ model.W_hq.double() + model.b_q.double()
    else:
        logits = F.linear(top, model.head.weight.double(), model.head.bias.double())
    return Unrolled(hidden, cells, pres, logits)


# ---------------------------------------------------------------- ‖∂ℓ_T/∂h_k‖ against T − k


@dataclass
class GradientCurve:
    """‖∂ℓ_T/∂h_k‖ for k = T, T-1, ..., 1. distance, norm, cell_norm: (T,), ordered by distance T − k = 0, 1, ..."""

    label: str
    distance: np.ndarray
    norm: np.ndarray
    loss: float  # ℓ_T, nats
    cell_norm: np.ndarray | None = None  # LSTM only: ‖∂ℓ_T/∂c_k‖, the memory cell's path
    lam: float | None = None  # spectral radius of W_hh, where it was set
    kind: str | None = None  # "scratch", "rnn", "gru" or "lstm": the model's kind whatever the label's language

    def ratio(self, far: int, near: int = 1) -> float:
        """norm at distance ``far`` / norm at distance ``near``: < 1 vanishing, > 1 exploding."""
        return float(self.norm[far] / self.norm[near])

    def reference(self, lam: float | None = None) -> np.ndarray:
        """λ^(T−k) scaled to meet the curve at distance 0: the linear theory's line."""
        lam = self.lam if lam is None else lam
        if lam is None:
            raise ConfigError("no λ for the reference line: give one")
        return self.norm[0] * lam ** self.distance.astype(np.float64)


def gradient_curve(model: nn.Module, X: torch.Tensor, target: int, layer: int = 0,
                   nonlinearity: str | None = None, label: str | None = None) -> GradientCurve:
    """‖∂ℓ_T/∂h_k‖ for every step k of ``layer``, ℓ_T = cross-entropy of ``target`` after reading all of ``X``."""
    if not 0 <= layer < model.config.num_layers:
        raise ConfigError(f"layer must be between 0 and {model.config.num_layers - 1}, got {layer}")
    run = unroll(model, X, nonlinearity)
    loss = F.cross_entropy(run.logits[-1:], torch.tensor([target]))
    wrt = run.hidden[layer] + (run.cell[layer] if run.cell is not None else [])
    grads = torch.autograd.grad(loss, wrt, allow_unused=True)
    T = len(run.hidden[layer])
    norms = np.array([0.0 if g is None else torch.linalg.vector_norm(g).item() for g in grads])
    h_norm = norms[:T][::-1].copy()  # by distance: k = T first
    c_norm = norms[T:][::-1].copy() if run.cell is not None else None
    kind = _recurrent_kind(model)
    label = label or kind_label(kind)
    return GradientCurve(label, np.arange(T), h_norm, loss.item(), c_norm, kind=kind)



def spectral_radius(W: torch.Tensor) -> float:
    """The largest eigenvalue magnitude of a square matrix."""
    return torch.linalg.eigvals(W.detach().double()).abs().max().item()


def rescale_spectral_radius(W: torch.Tensor, lam: float) -> torch.Tensor:
    """``W`` scaled so that its spectral radius is ``lam`` (a new tensor)."""
    if not (math.isfinite(lam) and lam >= 0):
        raise ConfigError(f"the spectral radius λ must be a number ≥ 0, got {lam!r}")
    rho = spectral_radius(W)
    if rho == 0:
        raise ConfigError("W has spectral radius 0 (nilpotent) and cannot be rescaled")
    return W * (lam / rho)


def fresh_rnn(vocab_size: int, hidden: int = 32, lam: float = 0.9, seed: int = 0,
              input_scale: float = 0.01) -> RNNScratch:
    """A one-layer scratch RNN (φ = tanh) with W_hh ~ N(0, 1/H) rescaled to spectral radius ``lam``.

    W_xh ~ N(0, input_scale²) (d2l's 0.01), W_hq ~ N(0, 1/H), biases zero. Seeded, independent of torch's
    global random state.
    """
    g = torch.Generator().manual_seed(seed)
    model = RNNScratch(ModelConfig(kind="scratch", vocab_size=vocab_size, hidden_size=hidden))
    with torch.no_grad():
        model.W_xh[0].copy_(torch.randn(vocab_size, hidden, generator=g) * input_scale)
        W_hh = torch.randn(hidden, hidden, generator=g, dtype=torch.float64) / math.sqrt(hidden)
        model.W_hh[0].copy_(rescale_spectral_radius(W_hh, lam))
        model.W_hq.copy_(torch.randn(hidden, vocab_size, generator=g) / math.sqrt(hidden))
        model.b_h[0].zero_()
        model.b_q.zero_()
    return model


def lambda_curves(vocab_size: int, X: torch.Tensor, target: int, lams=(0.5, 0.9, 1.0, 1.1, 1.5),
                  hidden: int = 32, nonlinearity: str = "identity", seed: int = 0,
                  input_scale: float = 0.01) -> list[GradientCurve]:
    """One curve per λ: the same fresh RNN (same seed) with W_hh rescaled to each spectral radius.

    With φ = identity the curves follow λ^(T−k). With tanh, λ > 1 drives the hidden state into saturation,
    where φ' ≈ 0 cuts the gradient: exploding shows only while the state stays small.
    """
    curves = []
    for lam in lams:
        model = fresh_rnn(vocab_size, hidden, lam, seed, input_scale)
        curve = gradient_curve(model, X, target, nonlinearity=nonlinearity, label=f"λ = {lam:g}")
        curve.lam = float(lam)
        curves.append(curve)
    return curves


def fresh_model(kind: str, vocab_size: int, hidden: int = 32, seed: int = 0, memory_bias: float = 1.0) -> nn.Module:
    """A one-layer nn.RNN / GRU / LSTM language model with PyTorch's initialisation U(−1/√H, 1/√H), seeded.

    ``memory_bias`` is added to the LSTM's forget-gate bias or the GRU's update-gate bias so that a fresh cell keeps
    its memory, as trained ones learn to: Jozefowicz et al. (2015) recommend a forget bias of 1, the default here.
    At 0 both gates start near σ(0) = 1/2, a fresh GRU/LSTM forgets about half per step, and its gradient vanishes
    about as fast as the vanilla RNN's.
    """
    if kind not in RECURRENT_KINDS:
        raise ConfigError(f"kind must be one of {', '.join(RECURRENT_KINDS)}, got {kind!r}")
    g = torch.Generator().manual_seed(seed)
    model = build_model(ModelConfig(kind=kind, vocab_size=vocab_size, hidden_size=hidden))
    bound = 1 / math.sqrt(hidden)
    with torch.no_grad():
        for p in model.parameters():
            nn.init.uniform_(p, -bound, bound, generator=g)
        if kind != "rnn":
            gate = slice(hidden, 2 * hidden)  # forget gate (LSTM: i, f, g, o); update gate (GRU: r, z, n)
            model.rnn.bias_ih_l0[gate] += memory_bias
    return model


def kind_curves(vocab_size: int, X: torch.Tensor, target: int, hidden: int = 32, seed: int = 0,
                memory_bias: float = 1.0, models: dict[str, nn.Module] | None = None) -> dict[str, GradientCurve]:
    """RNN, GRU and LSTM curves on the same input: the given ``models`` (kind → model), else fresh ones."""
    models = models or {k: fresh_model(k, vocab_size, hidden, seed, memory_bias) for k in RECURRENT_KINDS}
    return {kind: gradient_curve(m, X, target, label=kind_label(kind)) for kind, m in models.items()}


# ---------------------------------------------------------------- the theory: explicit Jacobians


@dataclass
class JacobianChain:
    """The scratch RNN's step Jacobians and their products, float64.

    steps: (T, H, H), steps[t-1] = ∂h_t/∂h_{t-1} = diag(φ'(a_t)) W_hhᵀ;
    products: (T + 1, H, H), products[d] = ∂h_T/∂h_{T-d} (products[0] = I);
    norm: (T + 1,) spectral norms of the products, by distance d = T − k; lam: spectral radius of W_hh.
    """

    steps: torch.Tensor
    products: torch.Tensor
    norm: np.ndarray
    lam: float

    @property
    def distance(self) -> np.ndarray:
        return np.arange(len(self.norm))


def jacobian_chain(model: RNNScratch, X: torch.Tensor, nonlinearity: str | None = None) -> JacobianChain:
    """∂h_T/∂h_k = ∏ diag(φ'(a_t)) W_hhᵀ built from explicit matrices (no autograd), layer 0 of a scratch RNN."""
    if not isinstance(model, RNNScratch):
        raise ConfigError("the explicit Jacobian product is written for the scratch RNN")
    _, dphi = _phi(nonlinearity or model.config.nonlinearity)
    with torch.no_grad():
        run = unroll(model, X, nonlinearity)
        W_hh = model.W_hh[0].double()
        steps = torch.stack([dphi(a[0])[:, None] * W_hh.T for a in run.pre[0]])  # (T, H, H)
        H = W_hh.shape[0]
        products = [torch.eye(H, dtype=torch.float64)]
        for J in reversed(steps):  # ∂h_T/∂h_{k-1} = ∂h_T/∂h_k · ∂h_k/∂h_{k-1}
            products.append(products[-1] @ J)
        products = torch.stack(products)
    norm = torch.linalg.matrix_norm(products, ord=2).numpy()
    return JacobianChain(steps, products, norm, spectral_radius(W_hh))


# ---------------------------------------------------------------- clipping


def clip_factors(norms, theta: float) -> np.ndarray:
    """The factor min(1, θ/‖g‖) that clipping multiplies each gradient by."""
    if not (math.isfinite(theta) and theta > 0):
        raise ConfigError(f"the clipping threshold θ must be a number > 0, got {theta!r}")
    norms = np.asarray(norms, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, theta / norms)


def clipped_norms(norms, theta: float) -> np.ndarray:
    """‖min(1, θ/‖g‖) g‖ for each norm: the norms after clipping, never above θ."""
    clip_factors(norms, theta)  # validates θ
    return np.minimum(np.asarray(norms, dtype=np.float64), theta)


@dataclass
class ClippingRun:
    """A short training run of a scratch RNN; lists are per optimizer step."""

    theta: float  # 0: no clipping
    loss: list[float]
    grad_norm: list[float]  # before clipping
    grad_norm_clipped: list[float]
    diverged_at: int | None = None  # the step whose loss or gradient was no longer finite
    message: str = ""


def clipping_run(corpus: list[int], vocab_size: int, theta: float, lam: float = 3.0, hidden: int = 64,
                 steps: int = 60, lr: float = 1.0, num_steps: int = 35, seed: int = 0) -> ClippingRun:
    """Train a fresh scratch RNN whose W_hh has spectral radius ``lam`` with SGD, clipping at ``theta`` (0: off).

    A large λ and learning rate make the gradient explode; clipping keeps every update at most lr·θ long.
    """
    model = fresh_rnn(vocab_size, hidden, lam, seed, input_scale=1.0)
    tcfg = TrainConfig(batch_size=32, num_steps=num_steps, lr=lr, optimizer="sgd", clip=theta, epochs=10_000,
                       sampler="random", seed=seed, device="cpu")
    trainer = Trainer(model.config, tcfg, corpus, model=model)
    run = ClippingRun(theta, [], [], [])
    try:
        for rec in trainer.run(max_steps=steps):
            run.loss.append(rec.loss)
            run.grad_norm.append(rec.grad_norm)
            run.grad_norm_clipped.append(rec.grad_norm_clipped)
    except TrainingDiverged as err:
        run.diverged_at = trainer.step_count + 1
        run.message = str(err)
    return run
