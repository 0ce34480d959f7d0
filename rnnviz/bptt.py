"""Truncated backpropagation through time (d2l 8.7) and the recurrent weights' eigenvalues.

    cmp = compare_truncation(model, vocab, "the time traveller for so it will be convenient", tau=10, draws=100)
    cmp.truncated.rel_error        # ‖g_τ − g‖ / ‖g‖: the bias of cutting every τ steps
    cmp.random_rel_error           # (draws,): each randomized estimate's error; its mean is unbiased
    cmp.running_rel_error          # (draws,): the error of the average of the first n draws, → 0 like 1/√n
    eig = recurrent_eigenvalues(model)            # {"W_hh": Eigenvalues} (per gate for a GRU or LSTM)

The gradient is that of the mean cross-entropy of every next-character prediction of a text,
L = 1/T Σ_t ℓ_t, with respect to the recurrent weight matrix of layer 0 (``W_hh``). Writing the state's
dependence on a weight ``w`` as d2l does (8.7.7)::

    ∂h_t/∂w = ∂f(x_t, h_{t-1}, w)/∂w + ∂f(x_t, h_{t-1}, w)/∂h_{t-1} · ∂h_{t-1}/∂w

each strategy decides, for every *link* h_{t-1} → h_t, with which weight the second term is kept:

- full: every link kept with weight 1, the exact gradient;
- regular truncation at τ: the text is cut into chunks of τ characters and the links between chunks are
  dropped (weight 0), as minibatch training with a detached state does;
- randomized truncation (Tallec & Ollivier, 2017; d2l 8.7.1.3): each link is kept with probability π and
  then weighted 1/π (ξ_t ∈ {0, 1/π}, E[ξ_t] = 1), so the estimate is unbiased: its expectation over the
  random cuts is the full gradient. Here π = 1 − 1/τ, so that segments are τ characters long on average.

The forward pass is the model's own, one character at a time, run once in float64 on a copy of the model
(the caller's model is never touched); each strategy is one backward pass through that graph, in which a
hook on every link multiplies the gradient crossing it by the link's weight.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .data import Vocab
from .gradients import _layer_weights, _phi, _recurrent_kind
from .i18n import t
from .models import ConfigError, RNNLM, RNNScratch

MAX_TEXT = 400  # characters: one backward pass per draw must stay fast
MAX_DRAWS = 2000
WORK_BUDGET = 1.5e10  # multiply-adds of compare_truncation that take about 1.5 s on one core of the lecture laptop
CHUNK_ELEMENTS = 2_500_000  # of ∂L/∂z held at once (20 MB in float64)
N_ENTRIES = 8  # entries of ∂L/∂W_hh shown one by one: the largest of the full gradient


# ---------------------------------------------------------------- eigenvalues of the recurrent weights


GATE_BLOCKS = {
    "gru": ("reset", "update", "candidate"),  # PyTorch's order in weight_hh
    "lstm": ("input", "forget", "candidate", "output"),
}


@dataclass
class Eigenvalues:
    """The eigenvalues of one square recurrent matrix ``W`` (H, H), oriented as h_t = φ(… + h_{t-1} W)."""

    name: str  # "W_hh", or the gate whose block it is ("forget", ...)
    values: np.ndarray  # (H,) complex, largest magnitude first

    @property
    def spectral_radius(self) -> float:
        return float(np.abs(self.values).max())

    @property
    def outside_unit_circle(self) -> int:
        """How many eigenvalues have |λ| > 1: directions along which a linear recurrence grows."""
        return int(np.sum(np.abs(self.values) > 1))


def recurrent_matrices(model: nn.Module, layer: int = 0) -> dict[str, torch.Tensor]:
    """The recurrent weight matrices of ``layer`` as (H, H) float64 tensors, for row vectors (h W).

    A scratch RNN or nn.RNN has one, ``W_hh``; a GRU one per gate (reset, update, candidate); an LSTM one per gate
    (input, forget, candidate, output) — the blocks of PyTorch's ``weight_hh``, transposed.
    """
    if isinstance(model, RNNScratch):
        if not 0 <= layer < model.config.num_layers:
            raise ConfigError(f"layer must be between 0 and {model.config.num_layers - 1}, got {layer}")
        return {"W_hh": model.W_hh[layer].detach().double().clone()}
    if not isinstance(model, RNNLM):
        raise ConfigError(t("gradients.kind_refused", kind=getattr(getattr(model, "config", None), "kind", type(model).__name__)))
    cfg = model.config
    if not 0 <= layer < cfg.num_layers:
        raise ConfigError(f"layer must be between 0 and {cfg.num_layers - 1}, got {layer}")
    W = getattr(model.rnn, f"weight_hh_l{layer}").detach().double()  # (G*H, H): gates stacked, for W @ h
    if cfg.kind == "rnn":
        return {"W_hh": W.T.clone()}
    blocks = W.chunk(len(GATE_BLOCKS[cfg.kind]), dim=0)
    return {name: b.T.clone() for name, b in zip(GATE_BLOCKS[cfg.kind], blocks)}


def eigenvalues(W: torch.Tensor, name: str = "W_hh") -> Eigenvalues:
    """Eigenvalues of a square matrix, largest magnitude first."""
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ConfigError(f"eigenvalues need a square matrix, got shape {tuple(W.shape)}")
    vals = torch.linalg.eigvals(W.detach().double()).numpy()
    order = np.lexsort((vals.imag, vals.real, -np.abs(vals)))
    return Eigenvalues(name, vals[order])


def recurrent_eigenvalues(model: nn.Module, layer: int = 0) -> dict[str, Eigenvalues]:
    """:func:`eigenvalues` of each matrix of :func:`recurrent_matrices`."""
    return {name: eigenvalues(W, name) for name, W in recurrent_matrices(model, layer).items()}


# ---------------------------------------------------------------- where the links are kept


def full_weights(T: int) -> np.ndarray:
    """Link weights (T,) of the full gradient: every link h_{t-1} → h_t kept. weights[0] is the link from the
    initial state h_0 = 0, which carries nothing either way."""
    return np.ones(T)


def regular_weights(T: int, tau: int) -> np.ndarray:
    """Chunks of ``tau`` characters: the link into the first step of every chunk is cut."""
    if isinstance(tau, bool) or not isinstance(tau, (int, np.integer)) or tau < 1:
        raise ConfigError(f"the truncation length τ must be a whole number ≥ 1, got {tau!r}")
    w = np.ones(T)
    w[::tau] = 0.0
    return w


def keep_probability(tau: float) -> float:
    """π = 1 − 1/τ: links kept with this probability give segments τ characters long on average."""
    if not (math.isfinite(tau) and tau >= 1):
        raise ConfigError(f"the mean segment length must be a number ≥ 1, got {tau!r}")
    return 1.0 - 1.0 / tau


def randomized_weights(T: int, keep_prob: float, generator: np.random.Generator) -> np.ndarray:
    """ξ_t for each link: 1/π with probability π, else 0 (E[ξ_t] = 1). weights[0] is 0 (nothing before h_1)."""
    if not (0.0 <= keep_prob <= 1.0):
        raise ConfigError(f"the probability of keeping a link must be in [0, 1], got {keep_prob!r}")
    kept = generator.random(T) < keep_prob
    w = np.where(kept, 1.0 / keep_prob if keep_prob > 0 else 0.0, 0.0)
    w[0] = 0.0
    return w


def segments(weights: np.ndarray) -> list[tuple[int, int]]:
    """The stretches [start, end) of steps joined by kept links (weight ≠ 0): what backprop sees as one piece."""
    starts = [t for t in range(len(weights)) if t == 0 or weights[t] == 0]
    return list(zip(starts, starts[1:] + [len(weights)]))


# ---------------------------------------------------------------- gradients with weighted links


def recurrent_weight(model: nn.Module) -> nn.Parameter:
    """The recurrent weight matrix of layer 0: W_hh of the scratch RNN, weight_hh_l0 of nn.RNN/GRU/LSTM."""
    if isinstance(model, RNNScratch):
        return model.W_hh[0]
    if isinstance(model, RNNLM):
        return model.rnn.weight_hh_l0
    raise ConfigError(t("gradients.kind_refused", kind=getattr(getattr(model, "config", None), "kind", type(model).__name__)))


def oriented(model: nn.Module, grad: torch.Tensor) -> torch.Tensor:
    """A gradient of :func:`recurrent_weight` laid out like :func:`recurrent_matrices`: (H, G*H), rows are the units
    of h_{t-1} (PyTorch's weight_hh is (G*H, H): transposed)."""
    return grad if isinstance(model, RNNScratch) else grad.T


@dataclass
class LinkAdjoints:
    """What a batch of link-weight patterns does to the gradient, in factored form.

    For each pattern b, ∂L/∂W_hh = Σ_t h_{t-1}ᵀ D[b, t]  (H, G*H), where
    h_prev: (T, H) the layer-0 state entering step t (the same for every pattern: the forward pass is unchanged),
    D: (B, T, G*H) ∂L/∂z_t under pattern b, z_t = h_{t-1} W_hh the recurrent product of layer 0 at step t.
    """

    h_prev: torch.Tensor
    D: torch.Tensor
    loss: float

    def gradients(self) -> torch.Tensor:
        """(B, H, G*H): ∂L/∂W_hh for every pattern, explicitly (memory B·H·G·H: for small cases and tests)."""
        return torch.einsum("th,btg->bhg", self.h_prev, self.D)


def _step(kind: str, phi, W_ih, W_hh, b, x, h, c, probe=None):
    """One step of layer ``kind`` for a batch of rows, in the lecture's form (gradients.unroll's formulas).

    Returns (h, c). ``probe`` (B, G*H) of zeros, if given, is added to z = h_{t-1} W_hh, the only place W_hh enters:
    the gradient with respect to the probe is ∂L/∂z_t.
    """
    z = h @ W_hh if probe is None else h @ W_hh + probe  # (B, G*H)
    if kind == "scratch":
        return phi(x @ W_ih + z + b), c
    if kind == "rnn":
        return phi(x @ W_ih + b[0] + z + b[1]), c
    if kind == "gru":  # PyTorch's gate order: reset, update, candidate
        xr, xz, xn = (x @ W_ih + b[0]).chunk(3, dim=1)
        hr, hz, hn = (z + b[1]).chunk(3, dim=1)
        reset, update = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        candidate = torch.tanh(xn + reset * hn)
        return update * h + (1 - update) * candidate, c
    a_i, a_f, a_g, a_o = (x @ W_ih + b[0] + z + b[1]).chunk(4, dim=1)  # lstm: input, forget, candidate, output
    c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c), c


def _scaled(state: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``state`` unchanged going forward; the gradient flowing back through it is multiplied by ``w`` (B,) per row."""
    link = state.clone()
    link.register_hook(lambda g: g * w[:, None])
    return link


def link_adjoints(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, weights,
                  nonlinearity: str | None = None) -> LinkAdjoints:
    """Gradients of L = 1/T Σ_t CE(logits_t, Y_t) for a batch of link-weight patterns ``weights`` (B, T).

    weights[b, t] multiplies the gradient crossing the link h_{t-1} → h_t (every layer's) under pattern b. The
    model is run in float64 from its own weights, one step at a time, with B identical rows (one per pattern);
    a single backward pass gives every pattern's ∂L/∂z_t. The model itself is not modified. ``nonlinearity``
    replaces φ of a scratch RNN or nn.RNN, as in gradients.unroll.
    """
    kind = _recurrent_kind(model)
    if kind in ("gru", "lstm") and nonlinearity is not None:
        raise ConfigError("a nonlinearity can be chosen for the vanilla RNN only, not for a GRU or LSTM")
    weights = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    X = torch.as_tensor(X).reshape(-1)
    Y = torch.as_tensor(Y).reshape(-1)
    if weights.ndim != 2 or weights.shape[1] != len(X):
        raise ConfigError(f"expected link weights of shape (B, {len(X)}), got {tuple(weights.shape)}")
    B, T = weights.shape
    cfg = model.config
    phi = _phi(nonlinearity or cfg.nonlinearity)[0] if kind in ("scratch", "rnn") else None
    with torch.no_grad():
        if kind == "scratch":
            inputs = F.one_hot(X, cfg.vocab_size).double()  # (T, V)
        else:
            inputs = model.embed(X[None]).double()[:, 0]  # (T, E or V)
    layers = [tuple(t.detach() if isinstance(t, torch.Tensor) else tuple(u.detach() for u in t)
                    for t in _layer_weights(model, kind, layer)) for layer in range(cfg.num_layers)]
    H = cfg.hidden_size
    h = [torch.zeros(B, H, dtype=torch.float64) for _ in layers]
    c = [torch.zeros(B, H, dtype=torch.float64) for _ in layers]
    G = layers[0][1].shape[1] // H
    probes = [torch.zeros(B, G * H, dtype=torch.float64, requires_grad=True) for _ in range(T)]
    h_prev, tops = [], []
    for t in range(T):
        x = inputs[t].expand(B, -1)  # (B, in)
        h_prev.append(h[0][0].detach())
        for layer, (W_ih, W_hh, b) in enumerate(layers):
            h_in = _scaled(h[layer], weights[:, t]) if t > 0 else h[layer]
            c_in = _scaled(c[layer], weights[:, t]) if t > 0 and kind == "lstm" else c[layer]
            h[layer], c[layer] = _step(kind, phi, W_ih, W_hh, b, x, h_in, c_in, probes[t] if layer == 0 else None)
            x = h[layer]
        tops.append(x)
    top = torch.stack(tops)  # (T, B, H)
    if kind == "scratch":
        logits = top @ model.W_hq.detach().double() + model.b_q.detach().double()
    else:
        logits = F.linear(top, model.head.weight.detach().double(), model.head.bias.detach().double())
    losses = F.cross_entropy(logits.reshape(T * B, -1), Y.repeat_interleave(B), reduction="none").reshape(T, B)
    loss = losses.mean(dim=0)  # (B,): each pattern's L, all equal
    D = torch.stack(torch.autograd.grad(loss.sum(), probes), dim=1)  # (B, T, G*H)
    return LinkAdjoints(torch.stack(h_prev), D, loss[0].item())


def encode_pairs(vocab: Vocab, text: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs text[:-1] and targets text[1:] as index tensors (T,)."""
    if len(text) < 3:
        raise ConfigError("the text needs at least three characters")
    if len(text) > MAX_TEXT + 1:
        raise ConfigError(f"the text has {len(text):,} characters; the limit here is {MAX_TEXT + 1}")
    ids = torch.tensor(vocab[list(text)], dtype=torch.long)
    return ids[:-1], ids[1:]


# ---------------------------------------------------------------- the comparison


def truncation_work(model: nn.Module, T: int, draws: int) -> float:
    """About how many multiply-adds :func:`compare_truncation` needs: for each draw, a backward pass through T steps
    of every recurrent layer, and two T × T products of its ∂L/∂z for the statistics."""
    if isinstance(model, RNNScratch):
        per_step = sum(W.numel() for W in (*model.W_xh, *model.W_hh))
    else:
        per_step = sum(p.numel() for p in model.rnn.parameters())
    width = recurrent_weight(model).numel() // model.config.hidden_size  # G·H
    return float(draws) * T * (2 * per_step + 2 * T * width)



@dataclass
class Estimate:
    """One gradient estimate compared with the full gradient g."""

    name: str
    norm: float  # ‖ĝ‖
    cosine: float  # cos(ĝ, g)
    rel_error: float  # ‖ĝ − g‖ / ‖g‖
    entries: np.ndarray  # (N_ENTRIES,) the entries of ĝ at TruncationComparison.entry_index


def _estimate(name: str, g_hat: torch.Tensor, g: torch.Tensor, index: torch.Tensor) -> Estimate:
    g_norm = torch.linalg.vector_norm(g).item()
    norm = torch.linalg.vector_norm(g_hat).item()
    cos = float(g_hat @ g / (norm * g_norm)) if norm > 0 and g_norm > 0 else 0.0
    rel = torch.linalg.vector_norm(g_hat - g).item() / g_norm if g_norm > 0 else math.nan
    return Estimate(name, norm, cos, rel, g_hat[index].numpy().copy())


@dataclass
class TruncationComparison:
    """Full, regular and randomized truncation of the same text through the same model.

    full, truncated, random_mean: :class:`Estimate` (random_mean: the average of all draws);
    random_norm, random_cosine, random_rel_error: (draws,) each randomized draw against the full gradient;
    random_entries: (draws, N_ENTRIES); running_rel_error: (draws,) error of the average of the first n draws;
    random_variance: mean over draws of ‖ĝ_i − ḡ‖² / ‖g‖² (the randomized estimator's relative variance);
    truncated_bias2: ‖g_τ − g‖² / ‖g‖²; link weights of each strategy (one randomized draw shown).
    """

    text: str  # the characters read (inputs); the targets are text[1:] of the original
    tau: int
    keep_prob: float
    draws: int
    loss: float  # L, nats per character
    shape: tuple[int, int]  # of W_hh (all gates side by side for a GRU or LSTM)
    entry_index: list[tuple[int, int]]  # (row, column) in W_hh of the entries followed
    full: Estimate
    truncated: Estimate
    random_mean: Estimate
    random_norm: np.ndarray
    random_cosine: np.ndarray
    random_rel_error: np.ndarray
    random_entries: np.ndarray
    running_rel_error: np.ndarray
    random_variance: float
    truncated_bias2: float
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # "full", "regular", "randomized" → (T,)

    @property
    def mean_segment(self) -> dict[str, float]:
        """Average length of the uncut stretches of each strategy's shown link pattern."""
        return {k: float(np.mean([b - a for a, b in segments(w)])) for k, w in self.weights.items()}


def compare_truncation(model: nn.Module, vocab: Vocab, text: str, tau: int = 10, draws: int = 100,
                       seed: int = 0, keep_prob: float | None = None,
                       nonlinearity: str | None = None) -> TruncationComparison:
    """∂L/∂W_hh by full BPTT, by regular truncation every ``tau`` characters and by ``draws`` randomized
    truncations (keep probability ``keep_prob``, by default 1 − 1/τ), all through the same forward computation.
    ``nonlinearity`` replaces φ of a vanilla RNN ('tanh', 'relu', 'identity')."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise ConfigError(f"the number of random draws must be a whole number from 1 to {MAX_DRAWS}, got {draws!r}")
    X, Y = encode_pairs(vocab, text)
    T = len(X)
    regular = regular_weights(T, tau)
    pi = keep_probability(tau) if keep_prob is None else float(keep_prob)
    rng = np.random.default_rng(seed)
    random = np.stack([randomized_weights(T, pi, rng) for _ in range(draws)])  # (draws, T)

    fixed = link_adjoints(model, X, Y, np.stack([full_weights(T), regular]), nonlinearity)
    Hp = fixed.h_prev  # (T, H)
    K = Hp @ Hp.T  # (T, T): ‖Σ_t h_tᵀ D_t‖² = Σ_ij K_ij <D_i, D_j>
    g, g_trunc = fixed.gradients()  # (H, G*H) each
    U = Hp @ g  # (T, G*H): <Σ_t h_tᵀ D_t, g> = Σ_t <D_t, U_t>
    g_norm2 = float((g * g).sum())
    index = torch.topk(g.abs().reshape(-1), min(N_ENTRIES, g.numel())).indices
    rows, cols = index // g.shape[1], index % g.shape[1]

    def stats(D: torch.Tensor):
        """(‖ĝ_b‖², <ĝ_b, g>, entries) for each pattern of D (B, T, G*H)."""
        sq = torch.einsum("bij,ij->b", D @ D.transpose(1, 2), K)
        dot = torch.einsum("btg,tg->b", D, U)
        entries = torch.einsum("te,bte->be", Hp[:, rows], D[:, :, cols])
        return sq, dot, entries

    chunk = max(1, CHUNK_ELEMENTS // (T * g.shape[1]))  # draws per backward pass
    sq, dot, entries, running = [], [], [], []
    total = torch.zeros(T, g.shape[1], dtype=torch.float64)  # Σ of D over the draws so far
    for start in range(0, draws, chunk):
        D = link_adjoints(model, X, Y, random[start:start + chunk], nonlinearity).D
        s, d, e = stats(D)
        sq.append(s), dot.append(d), entries.append(e)
        cum = total + torch.cumsum(D, dim=0)  # (b, T, G*H)
        n = torch.arange(start + 1, start + len(D) + 1, dtype=torch.float64)
        cs, cd, _ = stats(cum)
        running.append(cs / n**2 - 2 * cd / n + g_norm2)  # ‖mean of the first n − g‖²
        total = cum[-1]
    sq, dot, entries, running = (torch.cat(v) for v in (sq, dot, entries, running))
    g_norm = math.sqrt(g_norm2) if g_norm2 > 0 else math.nan
    mean = Hp.T @ (total / draws)  # (H, G*H)

    def estimate(name: str, g_hat: torch.Tensor) -> Estimate:
        return _estimate(name, g_hat.reshape(-1), g.reshape(-1), index)

    norm = sq.clamp(min=0).sqrt()
    truncated = estimate(f"truncated every {tau}", g_trunc)
    random_mean = estimate(f"mean of {draws} randomized", mean)
    return TruncationComparison(
        text=text[:-1], tau=tau, keep_prob=pi, draws=draws, loss=fixed.loss, shape=tuple(g.shape),
        entry_index=list(zip(rows.tolist(), cols.tolist())), full=estimate("full", g), truncated=truncated,
        random_mean=random_mean,
        random_norm=norm.numpy(), random_cosine=(dot / (norm * g_norm)).numpy(),
        random_rel_error=((sq - 2 * dot + g_norm2).clamp(min=0).sqrt() / g_norm).numpy(),
        random_entries=entries.numpy(), running_rel_error=(running.clamp(min=0).sqrt() / g_norm).numpy(),
        random_variance=max(float(sq.mean()) - random_mean.norm**2, 0.0) / g_norm2 if g_norm2 > 0 else math.nan,
        truncated_bias2=truncated.rel_error ** 2,
        weights={"full": full_weights(T), "regular": regular, "randomized": random[0]},
    )
