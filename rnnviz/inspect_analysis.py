"""Questions asked of a :class:`rnnviz.inspect.Trace`: which units track a feature of the text, which fire on a
span and where else they fire, where the hidden state travels, how often gates saturate, how long memory lasts.

    tr = trace(model, vocab, text)
    r = correlations(tr, feature_values(text, "quotes"), layer=0)         # (U,) Pearson r per unit
    sel = select_units(tr, layer=0, start=12, stop=20, reference=sample)  # the k units most active there
    hits = find_matches(sample, sel)                                      # where else they fire like that
    pca = pca_2d(tr, layer=0)                                             # pca.coords (T, 2)
    low, high = saturation_fractions(sample, "forget", layer=0)           # (U,) each: Karpathy et al. (2015)
    kept = memory_retention(tr, layer=0, start=5)                         # (T, U) ∏ f_s from position 5 on

All results are CPU tensors or plain Python; nothing here draws (see :mod:`rnnviz.inspect_analysis_plots`).
"""
from __future__ import annotations

import dataclasses
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from . import inspect as _inspect
from .data import Vocab
from .inspect import GATE_NAMES, MEMORY_CELL_KINDS, Trace
from .models import ModelConfig

# ---------------------------------------------------------------- limits and texts


def traceable_chars(config: ModelConfig) -> int:
    """The longest text :func:`rnnviz.inspect.trace` accepts for a model with this config."""
    quantities = 1 + len(GATE_NAMES[config.kind]) + (config.kind in MEMORY_CELL_KINDS)
    per_char = config.num_layers * config.directions * config.hidden_size * quantities
    return max(1, min(_inspect.MAX_TRACE_CHARS, _inspect.MAX_TRACE_VALUES // per_char))


def describe_unknown(unknown: Sequence[tuple[int, str]], most: int = 12) -> str:
    """'T' ×2, '!' ×1 … for the (position, char) pairs of ``Trace.unknown``, most frequent first."""
    counts = Counter(ch for _, ch in unknown).most_common()
    shown = ", ".join(f"{_visible(ch)} ×{n}" for ch, n in counts[:most])
    return shown + (f" and {len(counts) - most} more" if len(counts) > most else "")


def _visible(ch: str) -> str:
    names = {"\n": "line break", "\t": "tab", "\r": "carriage return", " ": "space"}
    return names.get(ch, repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}")


def fit_to_vocab(text: str, vocab: Vocab) -> str:
    """``text`` in the model's alphabet: lowercased when the vocabulary has no capitals, line breaks as spaces
    when it has no line break, other unknown characters dropped. For picking a default text, never for what a
    user typed (that is traced as it is, its unknown characters flagged)."""
    known = vocab.token_to_idx
    if not any(ch.isupper() for ch in known if isinstance(ch, str)):
        text = text.lower()
    if "\n" not in known:
        text = text.replace("\n", " ")
    out = "".join(ch for ch in text if ch in known)
    return re.sub(" +", " ", out).strip(" ") if "\n" in known else " ".join(out.split())


def default_passage(lines: Sequence[str], newlines: bool, vocab: Vocab, length: int = 200,
                    span_lines: int = 8) -> str:
    """A passage of a corpus to read by default.

    For a corpus with line breaks: the ``span_lines`` consecutive lines holding the most double quotes (an even
    number of them, so every quotation closes), where quote and line-length units have something to show. Else
    the first ``length`` characters or so of prose, from the first line of at least 40 characters.
    """
    if newlines:
        best, best_quotes = None, 0
        for i in range(max(1, len(lines) - span_lines + 1)):
            chunk = lines[i: i + span_lines]
            if not chunk or not chunk[0][:1].isupper():  # start where a sentence is likely to start
                continue
            quotes = sum(line.count('"') for line in chunk)
            if quotes > best_quotes and quotes % 2 == 0:
                best, best_quotes = i, quotes
        if best is not None:
            return fit_to_vocab("\n".join(lines[best: best + span_lines]), vocab)
    start = next((i for i, line in enumerate(lines) if len(line) >= 40), 0)
    words: list[str] = []
    for line in lines[start:]:
        words += line.split()
        if sum(len(w) + 1 for w in words) >= length:
            break
    text, out = " ".join(words), ""
    for word in text.split(" "):
        if len(out) + len(word) + 1 > length and out:
            break
        out = f"{out} {word}" if out else word
    return fit_to_vocab(out, vocab)


def corpus_sample(text: str, n: int = 5_000) -> str:
    """``n`` characters from the middle of ``text`` (past any title and front matter), starting at a line or
    word boundary: the sample that match-finding and the saturation plot read."""
    if len(text) <= n:
        return text
    start = (len(text) - n) // 2
    for sep in ("\n", " "):
        at = text.find(sep, start, start + 200)
        if at != -1:
            start = at + 1
            break
    return text[start: start + n]


def default_span(text: str, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """A span of ``text[lo:hi]`` worth selecting first: a short "quotation" with its marks, else the first word
    of four letters or more, else the first few characters."""
    hi = len(text) if hi is None else min(hi, len(text))
    part = text[lo:hi]
    quote = re.search(r'"[^"\n]{1,30}"', part)
    if quote:
        return lo + quote.start(), lo + quote.end()
    word = re.search(r"[^\W\d_]{4,}", part)
    if word:
        return lo + word.start(), lo + word.end()
    return lo, max(lo, min(lo + 4, hi))


def window(trace: Trace, start: int, stop: int) -> Trace:
    """The steps ``start..stop-1`` of a trace as a trace of their own (``offset`` = start), values unchanged:
    every state was computed reading the whole text, the window only shows less of it."""
    if not 0 <= start < stop <= trace.num_steps:
        raise ValueError(f"the window {start}..{stop} is outside the text's {trace.num_steps} characters")
    cut = slice(start, stop)
    return dataclasses.replace(
        trace, text=trace.text[cut], tokens=trace.tokens[cut], ids=trace.ids[cut],
        unknown=[(p - start, ch) for p, ch in trace.unknown if start <= p < stop],
        hidden=trace.hidden[:, cut], cell=trace.cell[:, cut] if trace.cell is not None else None,
        gates={name: g[:, cut] for name, g in trace.gates.items()}, probs=trace.probs[cut],
        offset=trace.offset + start,
    )


# ---------------------------------------------------------------- features of the text


def _running(text: str, reset: Callable[[str], bool]) -> list[float]:
    """Characters read since the last one for which ``reset`` holds (that one counts 0)."""
    out, n = [], 0
    for ch in text:
        n = 0 if reset(ch) else n + 1
        out.append(float(n))
    return out


def _inside(text: str, opening: str, closing: str) -> list[float]:
    """1 after reading an opening mark up to (not including) the closing one; nesting counted."""
    out, depth = [], 0
    for ch in text:
        if opening == closing and ch == opening:
            depth = 0 if depth else 1
        elif ch == opening:
            depth += 1
        elif ch == closing:
            depth = max(depth - 1, 0)
        out.append(float(depth > 0))
    return out


@dataclass(frozen=True)
class Feature:
    """A property of each character read, as a number per position (after reading character t)."""

    label: str
    compute: Callable[[str], list[float]]
    needs: str = ""  # characters without which the feature is constant


FEATURES: dict[str, Feature] = {
    "vowel": Feature("is a vowel", lambda s: [float(ch.lower() in "aeiou") for ch in s]),
    "space": Feature("is a space or line break", lambda s: [float(ch.isspace()) for ch in s]),
    "word_position": Feature("position in the word", lambda s: _running(s, str.isspace)),
    "line_position": Feature("position in the line", lambda s: _running(s, lambda ch: ch == "\n")),
    "quotes": Feature('inside "quotes"', lambda s: _inside(s, '"', '"'), needs='"'),
    "parentheses": Feature("inside (parentheses)", lambda s: _inside(s, "(", ")"), needs="("),
    "uppercase": Feature("is a capital letter", lambda s: [float(ch.isupper()) for ch in s]),
    "punctuation": Feature("is punctuation", lambda s: [float(ch in string.punctuation) for ch in s]),
}


def feature_values(text: str, name: str) -> torch.Tensor:
    """(T,) float64 values of feature ``name`` (a key of :data:`FEATURES`) for every character of ``text``."""
    if name not in FEATURES:
        raise ValueError(f"unknown feature {name!r}; choose one of {', '.join(FEATURES)}")
    return torch.tensor(FEATURES[name].compute(text), dtype=torch.float64)


def correlations(trace: Trace, feature: torch.Tensor, layer: int, name: str = "hidden") -> torch.Tensor:
    """(U,) Pearson correlation over the text between ``feature`` (T,) and each unit's ``name`` values;
    0 where either is constant (no linear relation can be measured)."""
    v = trace.values(name, layer).double()  # (T, U)
    x = torch.as_tensor(feature, dtype=torch.float64)
    if x.shape != (v.shape[0],):
        raise ValueError(f"the feature has {x.numel()} values for a text of {v.shape[0]} characters")
    xc, vc = x - x.mean(), v - v.mean(0)
    denom = xc.norm() * vc.norm(dim=0)
    r = (xc @ vc) / denom
    return torch.where(denom > 1e-12, r, torch.zeros_like(r)).clamp(-1, 1)


def units_by_correlation(trace: Trace, feature: torch.Tensor, layer: int,
                         name: str = "hidden") -> tuple[torch.Tensor, torch.Tensor]:
    """(unit order (U,), r (U,)): units sorted by |r| with the feature, strongest first (either sign)."""
    r = correlations(trace, feature, layer, name)
    return torch.argsort(r.abs(), descending=True, stable=True), r


# ---------------------------------------------------------------- where the hidden state travels


@dataclass
class Projection:
    """h_t projected on the two directions along which it varies most over the text."""

    coords: torch.Tensor  # (T, 2)
    explained: torch.Tensor  # (2,) share of the total variance along each axis
    components: torch.Tensor  # (2, U) unit-length directions in state space
    mean: torch.Tensor  # (U,)


def pca_2d(trace: Trace, layer: int, name: str = "hidden") -> Projection:
    """Principal components of the (T, U) states by SVD, in float64. Each direction's sign is fixed so that
    its largest loading is positive (the same states always give the same picture)."""
    v = trace.values(name, layer).double()
    mean = v.mean(0)
    centred = v - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    comps = torch.zeros(2, v.shape[1], dtype=torch.float64)
    k = min(2, vh.shape[0])
    comps[:k] = vh[:k]
    for i in range(k):
        if comps[i, comps[i].abs().argmax()] < 0:
            comps[i] = -comps[i]
    total = float((s ** 2).sum())
    explained = torch.zeros(2, dtype=torch.float64)
    if total > 0:
        explained[:k] = s[:k] ** 2 / total
    return Projection(coords=centred @ comps.T, explained=explained, components=comps, mean=mean)


# ---------------------------------------------------------------- select and match (LSTMVis)


@dataclass
class Selection:
    """The units most active on ``text[start:stop]``, in standard deviations from their usual level."""

    layer: int
    start: int
    stop: int
    units: list[int]
    signs: list[int]  # +1: the unit is high there; -1: it is low there
    scores: list[float]  # mean signed z over the span, strongest first
    mean: torch.Tensor  # (U,) the usual level each z is measured from
    std: torch.Tensor  # (U,)
    name: str = "hidden"

    @property
    def length(self) -> int:
        return self.stop - self.start


def _z(trace: Trace, name: str, layer: int, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """(T, U) standardized values; 0 for a unit that never moves."""
    v = trace.values(name, layer).double()
    z = (v - mean) / std.clamp_min(1e-12)
    return torch.where(std > 1e-12, z, torch.zeros_like(z))


def select_units(trace: Trace, layer: int, start: int, stop: int, k: int = 5, reference: Trace | None = None,
                 name: str = "hidden") -> Selection:
    """The k units whose values on ``[start, stop)`` are furthest from their usual level, high or low.

    "Usual" is the mean and standard deviation of each unit over ``reference`` (a corpus sample) when given,
    else over ``trace`` itself.
    """
    if not 0 <= start < stop <= trace.num_steps:
        raise ValueError(f"the selection {start}..{stop} is outside the text's {trace.num_steps} characters")
    ref = (reference or trace).values(name, layer).double()
    mean, std = ref.mean(0), ref.std(0, unbiased=False)
    score = _z(trace, name, layer, mean, std)[start:stop].mean(0)  # (U,)
    order = torch.argsort(score.abs(), descending=True, stable=True)[: max(1, min(k, trace.num_units))]
    return Selection(layer=layer, start=start, stop=stop, units=order.tolist(),
                     signs=[1 if score[u] >= 0 else -1 for u in order.tolist()],
                     scores=[float(score[u].abs()) for u in order], mean=mean, std=std, name=name)


@dataclass
class Match:
    """A stretch of text, as long as the selection, on which the selected units sit as far from their usual
    level, on the same side, as they did on the selection."""

    start: int
    stop: int
    strength: float  # mean signed z of the selected units here ÷ the same on the selection (1 = as strong)
    before: str
    text: str
    after: str


def match_strength(trace: Trace, selection: Selection) -> torch.Tensor:
    """(T - n + 1,) for every stretch of n = selection.length characters starting at s: the selected units'
    signed z, averaged over units and over the stretch, divided by the same average on the selection."""
    n = selection.length
    own = sum(selection.scores) / len(selection.scores)
    if n > trace.num_steps or own <= 1e-12:
        return torch.zeros(0, dtype=torch.float64)
    z = _z(trace, selection.name, selection.layer, selection.mean, selection.std)[:, selection.units]
    per_step = (z * torch.tensor(selection.signs, dtype=torch.float64)).mean(1)  # (T,)
    total = torch.cat([torch.zeros(1, dtype=torch.float64), per_step.cumsum(0)])
    return (total[n:] - total[:-n]) / n / own


def find_matches(trace: Trace, selection: Selection, limit: int = 8, min_strength: float = 0.5,
                 exclude: tuple[int, int] | None = None, context: int = 30) -> list[Match]:
    """The places in ``trace`` (a corpus sample) where the selected units fire the way they did on the
    selection (LSTMVis's select-and-match): the strongest stretches of the selection's length, none
    overlapping another or ``exclude`` (relative positions), at least ``min_strength`` as strong."""
    strength = match_strength(trace, selection)
    n = selection.length
    taken = [exclude] if exclude is not None else []
    picked = []
    for s in torch.argsort(strength, descending=True, stable=True).tolist():
        if len(picked) >= limit or strength[s] < min_strength:
            break
        if all(s + n <= a or s >= b for a, b in taken):
            taken.append((s, s + n))
            picked.append(s)
    text = trace.text
    return [Match(start=s + trace.offset, stop=s + n + trace.offset, strength=float(strength[s]),
                  before=text[max(0, s - context): s], text=text[s: s + n], after=text[s + n: s + n + context])
            for s in picked]


# ---------------------------------------------------------------- saturation (Karpathy, Johnson & Fei-Fei 2015)


def saturation_quantities(trace: Trace) -> tuple[str, ...]:
    """What the saturation scatter plots: the σ gates; for a tanh RNN, which has none, its hidden state."""
    sigma = tuple(g for g in trace.gate_names if trace.bounds(g) == (0.0, 1.0))
    if sigma:
        return sigma
    return ("hidden",) if trace.bounds("hidden") is not None else ()


def saturation_fractions(trace: Trace, name: str, layer: int, margin: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """(low (U,), high (U,)): the fraction of steps at which each unit's ``name`` lies within ``margin`` of its
    lower limit (σ < 0.1, tanh < -0.9) and of its upper limit (σ > 0.9, tanh > 0.9)."""
    bounds = trace.bounds(name)
    if bounds is None:
        raise ValueError(f"{name!r} is unbounded in a {trace.kind} model, so it has no saturation")
    lo, hi = bounds
    v = trace.values(name, layer)
    return (v < lo + margin).float().mean(0), (v > hi - margin).float().mean(0)


# ---------------------------------------------------------------- how long memory lasts


MEMORY_GATES = {"lstm": "forget", "gru": "update", "lstm-peephole": "forget", "gru-min": "update"}


def memory_gate(trace: Trace) -> str:
    """The gate that multiplies the old state: the LSTM's forget gate (C_t = F_t ⊙ C_{t-1} + …), the GRU's
    update gate (H_t = Z_t ⊙ H_{t-1} + …)."""
    if trace.kind not in MEMORY_GATES:
        raise ValueError("a plain RNN has no gate that keeps memory: its state is rewritten through φ and W_hh at "
                         "every step (see the Gradients page for how fast that forgets)")
    return MEMORY_GATES[trace.kind]


def memory_retention(trace: Trace, layer: int, start: int) -> torch.Tensor:
    """(T, U) float64: how much of each unit's state at ``start`` is still carried, undiluted, at step t.

    Forward units: ∏_{s=start+1}^{t} F_s for t ≥ start (1 at ``start``), NaN before. Backward units of a
    bidirectional layer read right to left, so for them it is ∏_{s=t}^{start-1} F_s for t ≤ start, NaN after.
    Every factor is below 1, so the product only falls: the low-pass filter of the lecture, f < 1 fades the past.
    """
    if not 0 <= start < trace.num_steps:
        raise ValueError(f"position {start} is outside the text's {trace.num_steps} characters")
    gate = trace.values(memory_gate(trace), layer).double()  # (T, U)
    T, U = gate.shape
    H = trace.hidden_size
    out = torch.full((T, U), math.nan, dtype=torch.float64)
    fwd = gate[start + 1:, :H]
    out[start, :] = 1.0
    out[start + 1:, :H] = torch.cumprod(fwd, dim=0)
    if trace.directions == 2 and start > 0:
        bwd = gate[:start, H:].flip(0)  # F_{start-1}, F_{start-2}, …, F_0
        out[:start, H:] = torch.cumprod(bwd, dim=0).flip(0)
    return out


def memory_span(retention: torch.Tensor, level: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """(steps (U,), lasted (U,)): for each unit, how many steps after the start position its retention stays at
    or above ``level``, and whether it was still there at the end of the text (so the span is a lower bound)."""
    kept = retention >= level  # NaN compares False
    defined = ~torch.isnan(retention)
    steps = kept.sum(0) - 1  # the start position itself always holds 1
    lasted = (kept | ~defined).all(0)
    return steps.clamp_min(0), lasted


__all__ = ["FEATURES", "Feature", "MEMORY_GATES", "Match", "Projection", "Selection", "corpus_sample",
           "correlations", "default_passage", "default_span", "describe_unknown", "feature_values", "find_matches",
           "fit_to_vocab", "match_strength", "memory_gate", "memory_retention", "memory_span", "pca_2d",
           "saturation_fractions", "saturation_quantities", "select_units", "traceable_chars",
           "units_by_correlation", "window"]
