"""One step of a recurrent language model, opened up: its equations with the model's own numbers substituted.

``step_equations(model, tr, t, layer, unit)`` returns a :class:`StepEquations`: for one character (step t), one
layer and one unit j, every line of that step's formula as structured data (the labelled numbers substituted, the
argument of the nonlinearity, the result) and as a LaTeX string, in d2l's notation (row vectors, X_t W + b)::

    LSTM     I_t = σ(X_t W_xi + H_{t−1} W_hi + b_i) = σ(0.93 + 0.21 + 0.13) = σ(1.27) = 0.78  (F, O, C̃ alike)
             C_t = F_t ⊙ C_{t−1} + I_t ⊙ C̃_t          H_t = O_t ⊙ tanh(C_t)
    GRU      R_t, Z_t as above;  H̃_t = tanh(X_t W_xh + b_xh + R_t ⊙ (H_{t−1} W_hh + b_hh))   (PyTorch's form)
             H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
    RNN      H_t = φ(X_t W_xh + H_{t−1} W_hh + b_h)
    minimal GRU      Z_t = σ(X_t W_xz + H_{t−1} W_hz + b_z),  H̃_t = tanh(X_t W_xh + H_{t−1} W_hh + b_h),
                     H_t = Z_t ⊙ H_{t−1} + (1 − Z_t) ⊙ H̃_t
    peephole LSTM    I_t = σ(X_t W_xi + H_{t−1} W_hi + w_ci ⊙ C_{t−1} + b_i) = σ(0.93 + 0.21 + 0.50 · (−0.30) + 0.13)
                     F_t alike; C̃_t; C_t as the LSTM's; then O_t = σ(… + w_co ⊙ C_t + b_o), which needs the new C_t,
                     and H_t = O_t ⊙ tanh(C_t)
    output   O_t = H_t W_hq + b_q  (the logit of the next character)  and  P(x_{t+1} | x_{≤t}) = softmax(O_t)

Each number is entry j of a vector (for the output lines: entry c, the next character). The previous state, the
input and the cell come from the trace (for layer > 0 the input X_t is the layer below's H_t; for a backward unit
of a bidirectional layer the "previous" state is the one at t+1); the weights are read from the modules the same
way :func:`rnnviz.inspect.trace` reads them (PyTorch's gate blocks i, f, g, o and r, z, n; the scratch RNN's
W_xh, W_hh, b_h, W_hq, b_q; the named weights of the cells of :mod:`rnnviz.cells`). Arithmetic is float64, so
every result agrees with the trace's float32 values to about 1e-6; tests/test_equations.py recomputes each one from
the state_dict with numpy.

``perplexity_definition(model, vocab, text)`` writes exp(−(1/n) Σ log P(x_t | x_<t)) with the model's own
average cross-entropy plugged in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import i18n  # i18n.t, the words: the name t is the step everywhere here
from .data import Vocab
from .generate import score
from .inspect import MEMORY_CELL_KINDS, Trace, _inputs, _recurrent
from .models import RNNScratch

SIGMA = r"\sigma"


@dataclass
class Line:
    """One equation of the step: ``symbol = formula = substituted = value``."""

    name: str  # 'input', 'forget', 'output', 'candidate', 'reset', 'update', 'cell', 'hidden', 'logit', 'prob'
    symbol: str  # LaTeX of the left-hand side, e.g. 'I_t'
    formula: str  # LaTeX of the general formula
    terms: list[tuple[str, float]]  # the labelled numbers substituted, in the order they are printed
    value: float  # the result
    inner: float | None = None  # the argument of σ / tanh / φ, when there is one
    form: str = "affine"  # how it is written: affine, peephole, gru_candidate, cell, lstm_hidden, gru_hidden, logit,
    #                       prob
    latex: str = ""


@dataclass
class StepEquations:
    kind: str
    t: int  # position in the trace's text
    layer: int
    unit: int
    char: str  # the character read at step t
    next_char: str | None  # the character that follows (None at the end of the text: the likeliest is used)
    target: str  # the character whose probability the output lines give
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self, name: str) -> Line:
        for ln in self.lines:
            if ln.name == name:
                return ln
        raise KeyError(f"this {self.kind} step has no {name!r} line")

    @property
    def names(self) -> list[str]:
        return [ln.name for ln in self.lines]


# ---------------------------------------------------------------- numbers as LaTeX


def fmt(x: float, digits: int = 2) -> str:
    """A number as LaTeX: fixed ``digits`` decimals, or a power of ten when that would print 0.00 for a non-zero."""
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x != 0 and abs(x) < 0.5 * 10 ** -digits:
        mant, exp = f"{x:.1e}".split("e")
        return rf"{mant}\times10^{{{int(exp)}}}"
    return f"{x:.{digits}f}"


def _sum(values: list[float], digits: int) -> str:
    """'0.93 + 0.21 - 0.13': signs folded into the operators."""
    out = fmt(values[0], digits)
    for v in values[1:]:
        out += (" - " if v < 0 else " + ") + fmt(abs(v), digits)
    return out


def _paren(x: float, digits: int) -> str:
    s = fmt(x, digits)
    return f"({s})" if x < 0 else s


# ---------------------------------------------------------------- weights of one unit


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _np(x: torch.Tensor | None) -> np.ndarray | None:
    return None if x is None else x.detach().double().cpu().numpy()


def _output_weights(model: nn.Module) -> tuple[np.ndarray, np.ndarray]:
    """(W_hq (D·H, V), b_q (V,)) of the output layer."""
    if isinstance(model, RNNScratch):
        return _np(model.W_hq), _np(model.b_q)
    b = model.head.bias
    return _np(model.head.weight).T, (_np(b) if b is not None else np.zeros(model.head.weight.shape[0]))


def _check(model: nn.Module, tr: Trace, t: int, layer: int, unit: int) -> None:
    cfg = model.config
    if cfg.kind != tr.kind or cfg.num_layers != tr.num_layers or cfg.hidden_size != tr.hidden_size:
        raise ValueError(i18n.t("equations.wrong_model"))
    if not 0 <= t < tr.num_steps:
        raise ValueError(i18n.t("equations.step_outside", t=t, last=tr.num_steps - 1))
    if not 0 <= layer < tr.num_layers:
        raise ValueError(i18n.t("equations.no_layer", layer=layer, n=tr.num_layers))
    if not 0 <= unit < tr.num_units:
        raise ValueError(i18n.t("equations.no_unit", unit=unit, n=tr.num_units))


# ---------------------------------------------------------------- the step


@torch.no_grad()
def step_equations(model: nn.Module, tr: Trace, t: int, layer: int = 0, unit: int = 0, digits: int = 2,
                   output: bool = True) -> StepEquations:
    """The equations of step ``t`` for ``unit`` of ``layer`` with the model's numbers (see the module docstring).
    ``output=False`` leaves out the output layer's two lines."""
    _check(model, tr, t, layer, unit)
    kind, _, _, weights = _recurrent(model)
    H = tr.hidden_size
    d, j = divmod(unit, H)
    reverse = d == 1
    w = weights(layer)[d]  # _Weights in PyTorch's layout, or a cell of rnnviz.cells with named weights

    if layer == 0:
        x = _np(_inputs(model, tr.ids[t:t + 1].to(next(model.parameters()).device))[0])
    else:
        x = tr.hidden[layer - 1, t].double().numpy()
    prev_t = t + 1 if reverse else t - 1
    has_prev = 0 <= prev_t < tr.num_steps
    cols = slice(d * H, (d + 1) * H)
    h_prev = tr.hidden[layer, prev_t, cols].double().numpy() if has_prev else np.zeros(H)
    prev = "t+1" if reverse else "t-1"

    def contrib(block: int) -> tuple[float, float, float, float]:
        """(X_t W_x·, H_prev W_h·, b_x·, b_h·) for PyTorch's gate block ``block`` of unit j."""
        row = block * H + j

        def bias(b):
            return float(b[row]) if b is not None else 0.0
        return float(_np(w.w_ih[row]) @ x), float(_np(w.w_hh[row]) @ h_prev), bias(w.b_ih), bias(w.b_hh)

    def named(g: str) -> tuple[float, float, float]:
        """(X_t W_xg, H_prev W_hg, b_g) for unit j of a cell with named weights (g: 'z', 'h', 'i', 'f', 'o', 'c')."""
        W_x, W_h, b = getattr(w, f"W_x{g}"), getattr(w, f"W_h{g}"), getattr(w, f"b_{g}")
        return float(x @ _np(W_x[:, j])), float(h_prev @ _np(W_h[:, j])), float(b[j])

    ch = tr.tokens[t]
    nxt = tr.tokens[t + 1] if t + 1 < tr.num_steps else None
    target_id = int(tr.ids[t + 1]) if nxt is not None else int(torch.argmax(tr.probs[t]))
    eq = StepEquations(kind=kind, t=t, layer=layer, unit=unit, char=ch, next_char=nxt,
                       target=tr.vocab_tokens[target_id])
    lines = eq.lines

    def affine_line(name, sym, sub, fn, fn_tex, blocks_sum):
        xw, hw, b = blocks_sum
        inner = xw + hw + b
        value = _sigmoid(inner) if fn == "sigma" else (math.tanh(inner) if fn == "tanh" else max(inner, 0.0))
        lines.append(Line(name, sym, rf"{fn_tex}(X_t W_{{x{sub}}} + H_{{{prev}}} W_{{h{sub}}} + b_{{{sub}}})",
                          [(f"X_t W_x{sub}", xw), (f"H_{prev} W_h{sub}", hw), (f"b_{sub}", b)], value, inner))

    def peephole_line(name, sym, g, c_name, c_value):
        """σ(X_t W_xg + H_prev W_hg + w_cg ⊙ C + b_g): the gate looks at the cell C (C_{t-1}, or C_t for O_t)."""
        xw, hw, b = named(g)
        w_c = float(getattr(w, f"w_c{g}")[j])
        inner = xw + hw + w_c * c_value + b
        c_tex = "C_t" if c_name == "C_t" else f"C_{{{prev}}}"
        lines.append(Line(name, sym, rf"{SIGMA}(X_t W_{{x{g}}} + H_{{{prev}}} W_{{h{g}}} + w_{{c{g}}} \odot {c_tex} + "
                                     rf"b_{{{g}}})",
                          [(f"X_t W_x{g}", xw), (f"H_{prev} W_h{g}", hw), (f"w_c{g}", w_c), (c_name, c_value),
                           (f"b_{g}", b)], _sigmoid(inner), inner, "peephole"))

    if kind == "lstm-peephole":
        c_prev = float(tr.cell[layer, prev_t, cols][j]) if has_prev else 0.0
        peephole_line("input", "I_t", "i", f"C_{prev}", c_prev)
        peephole_line("forget", "F_t", "f", f"C_{prev}", c_prev)
        affine_line("candidate", r"\tilde{C}_t", "c", "tanh", r"\tanh", named("c"))
        i, f, g = (eq.line(n).value for n in ("input", "forget", "candidate"))
        c = f * c_prev + i * g
        lines.append(Line("cell", "C_t", rf"F_t \odot C_{{{prev}}} + I_t \odot \tilde{{C}}_t",
                          [("F_t", f), (f"C_{prev}", c_prev), ("I_t", i), ("C~_t", g)], c, form="cell"))
        peephole_line("output", "O_t", "o", "C_t", c)  # after the cell: the output gate looks at the new C_t
        o = eq.line("output").value
        lines.append(Line("hidden", "H_t", r"O_t \odot \tanh(C_t)", [("O_t", o), ("tanh(C_t)", math.tanh(c))],
                          o * math.tanh(c), c, "lstm_hidden"))
    elif kind == "gru-min":
        affine_line("update", "Z_t", "z", "sigma", SIGMA, named("z"))
        affine_line("candidate", r"\tilde{H}_t", "h", "tanh", r"\tanh", named("h"))
        z, n = eq.line("update").value, eq.line("candidate").value
        hp = float(h_prev[j])
        lines.append(Line("hidden", "H_t", rf"Z_t \odot H_{{{prev}}} + (1 - Z_t) \odot \tilde{{H}}_t",
                          [("Z_t", z), (f"H_{prev}", hp), ("1 - Z_t", 1 - z), ("H~_t", n)], z * hp + (1 - z) * n,
                          form="gru_hidden"))
    elif kind == "lstm":
        for block, (name, sym, sub, fn) in enumerate((("input", "I_t", "i", "sigma"), ("forget", "F_t", "f", "sigma"),
                                                      ("candidate", r"\tilde{C}_t", "c", "tanh"),
                                                      ("output", "O_t", "o", "sigma"))):
            xw, hw, bx, bh = contrib(block)
            affine_line(name, sym, sub, fn, SIGMA if fn == "sigma" else r"\tanh", (xw, hw, bx + bh))
        order = {"input": 0, "forget": 1, "output": 2, "candidate": 3}  # the lecture's order
        lines.sort(key=lambda ln: order[ln.name])
        i, f, o, g = (eq.line(n).value for n in ("input", "forget", "output", "candidate"))
        c_prev = float(tr.cell[layer, prev_t, cols][j]) if has_prev else 0.0
        c = f * c_prev + i * g
        lines.append(Line("cell", "C_t", rf"F_t \odot C_{{{prev}}} + I_t \odot \tilde{{C}}_t",
                          [("F_t", f), (f"C_{prev}", c_prev), ("I_t", i), ("C~_t", g)], c, form="cell"))
        lines.append(Line("hidden", "H_t", r"O_t \odot \tanh(C_t)", [("O_t", o), ("tanh(C_t)", math.tanh(c))],
                          o * math.tanh(c), c, "lstm_hidden"))
    elif kind == "gru":
        for block, (name, sym, sub) in enumerate((("reset", "R_t", "r"), ("update", "Z_t", "z"))):
            xw, hw, bx, bh = contrib(block)
            affine_line(name, sym, sub, "sigma", SIGMA, (xw, hw, bx + bh))
        r, z = eq.line("reset").value, eq.line("update").value
        xw, hw, bx, bh = contrib(2)
        inner = xw + bx + r * (hw + bh)
        n = math.tanh(inner)
        lines.append(Line("candidate", r"\tilde{H}_t",
                          rf"\tanh(X_t W_{{xh}} + b_{{xh}} + R_t \odot (H_{{{prev}}} W_{{hh}} + b_{{hh}}))",
                          [("X_t W_xh + b_xh", xw + bx), ("R_t", r), (f"H_{prev} W_hh + b_hh", hw + bh)], n, inner,
                          "gru_candidate"))
        hp = float(h_prev[j])
        lines.append(Line("hidden", "H_t", rf"Z_t \odot H_{{{prev}}} + (1 - Z_t) \odot \tilde{{H}}_t",
                          [("Z_t", z), (f"H_{prev}", hp), ("1 - Z_t", 1 - z), ("H~_t", n)], z * hp + (1 - z) * n,
                          form="gru_hidden"))
    else:
        xw, hw, bx, bh = contrib(0)
        phi = tr.nonlinearity
        affine_line("hidden", "H_t", "h", phi if phi == "relu" else "tanh",
                    r"\tanh" if phi == "tanh" else r"\operatorname{ReLU}", (xw, hw, bx + bh))

    if output:
        _output_lines(model, tr, eq, t, layer, unit)
    _latex(eq, digits)
    _notes(model, tr, eq, layer, has_prev, reverse)
    return eq


def _output_lines(model: nn.Module, tr: Trace, eq: StepEquations, t: int, layer: int, unit: int) -> None:
    """O_t = H_t W_hq + b_q for the next character c, then its probability by the softmax."""
    w_hq, b_q = _output_weights(model)
    h_top = tr.hidden[-1, t].double().numpy()  # (D·H,) what the output layer reads
    logits = h_top @ w_hq + b_q  # (V,)
    c = tr.vocab_tokens.index(eq.target) if eq.target in tr.vocab_tokens else int(np.argmax(logits))
    total = float(h_top @ w_hq[:, c])
    terms = []
    if layer == tr.num_layers - 1:
        share = float(h_top[unit] * w_hq[unit, c])
        terms += [(f"unit {unit}: H_t,j w_j,c", share), ("the other units", total - share)]
    else:
        terms.append(("H_t W_hq", total))
    terms.append(("b_q", float(b_q[c])))
    logit = total + float(b_q[c])
    m = float(logits.max())
    z = float(np.exp(logits - m).sum())  # Σ_j exp(o_j - max): no overflow
    log_z = m + math.log(z)
    prob = math.exp(logit - log_z)
    eq.lines.append(Line("logit", "o_c", r"H_t w_{:,c} + b_{q,c}", terms, logit, form="logit"))
    eq.lines.append(Line("prob", "P", r"\operatorname{softmax}(O_t)_c", [("o_c", logit), ("log sum_k e^o_k", log_z)],
                         prob, logit - log_z, "prob"))


def _shown(ch: str) -> str:
    """A character as it can be seen: a space as ␣, a line break as ↵."""
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch)


def _tex_char(ch: str) -> str:
    shown = _shown(ch)
    special = {"\\": r"\backslash", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\hat{}", "#": r"\#", "$": r"\$",
               "%": r"\%", "&": r"\&", "~": r"\sim"}
    return r"\texttt{" + special.get(shown, shown) + "}" if shown in special else r"\text{“" + shown + "”}"


def _latex(eq: StepEquations, digits: int) -> None:
    """Fill every line's ``latex``: symbol = formula = the numbers = the result."""
    for ln in eq.lines:
        v = [val for _, val in ln.terms]
        res = fmt(ln.value, digits)
        if ln.form == "affine":
            fn = ln.formula.split("(")[0]
            ln.latex = (rf"{ln.symbol} = {ln.formula} = {fn}({_sum(v, digits)}) = {fn}({fmt(ln.inner, digits)}) "
                        rf"= {res}")
        elif ln.form == "peephole":
            xw, hw, w_c, c, b = v
            sums = (f"{_sum([xw, hw], digits)} {'-' if w_c < 0 else '+'} {fmt(abs(w_c), digits)} \\cdot "
                    f"{_paren(c, digits)} {'-' if b < 0 else '+'} {fmt(abs(b), digits)}")
            ln.latex = rf"{ln.symbol} = {ln.formula} = {SIGMA}({sums}) = {SIGMA}({fmt(ln.inner, digits)}) = {res}"
        elif ln.form == "gru_candidate":
            a, r, b = v
            ln.latex = (rf"{ln.symbol} = {ln.formula} = \tanh({fmt(a, digits)} + {fmt(r, digits)} \cdot "
                        rf"{_paren(b, digits)}) = \tanh({fmt(ln.inner, digits)}) = {res}")
        elif ln.form == "cell":
            f, cp, i, g = v
            ln.latex = (rf"{ln.symbol} = {ln.formula} = {fmt(f, digits)} \cdot {_paren(cp, digits)} + "
                        rf"{fmt(i, digits)} \cdot {_paren(g, digits)} = {res}")
        elif ln.form == "lstm_hidden":
            o, tc = v
            ln.latex = (rf"{ln.symbol} = {ln.formula} = {fmt(o, digits)} \cdot \tanh({fmt(ln.inner, digits)}) = "
                        rf"{fmt(o, digits)} \cdot {_paren(tc, digits)} = {res}")
        elif ln.form == "gru_hidden":
            z, hp, one_z, n = v
            ln.latex = (rf"{ln.symbol} = {ln.formula} = {fmt(z, digits)} \cdot {_paren(hp, digits)} + "
                        rf"{fmt(one_z, digits)} \cdot {_paren(n, digits)} = {res}")
        elif ln.form == "logit":
            c = _tex_char(eq.target)
            ln.symbol = rf"o_{{{c}}}"
            ln.formula = rf"H_t W_{{hq}}[:, {c}] + b_q[{c}]"
            if len(v) == 3:  # the chosen unit's share, the other units', the bias
                unit, others = i18n.t("equations.brace_unit", unit=eq.unit), i18n.t("equations.brace_others")
                share = rf"\underbrace{{{fmt(v[0], digits)}}}_{{\text{{{unit}}}}}"
                rest = rf"\underbrace{{{fmt(abs(v[1]), digits)}}}_{{\text{{{others}}}}}"
                sums = f"{share} {'-' if v[1] < 0 else '+'} {rest} {'-' if v[2] < 0 else '+'} {fmt(abs(v[2]), digits)}"
            else:
                sums = _sum(v, digits)
            ln.latex = rf"{ln.symbol} = {ln.formula} = {sums} = {res}"
        elif ln.form == "prob":
            c = _tex_char(eq.target)
            logit, log_z = v
            ln.symbol = rf"P(x_{{t+1}} = {c} \mid x_{{\le t}})"
            ln.formula = rf"\operatorname{{softmax}}(O_t)_{{{c}}} = \frac{{e^{{o_{{{c}}}}}}}{{\sum_k e^{{o_k}}}}"
            if log_z < 300:  # e^{o} printable
                frac = rf"\frac{{e^{{{fmt(logit, digits)}}}}}{{{fmt(math.exp(log_z), digits)}}}"
            else:
                frac = rf"\exp({fmt(logit, digits)} - {fmt(log_z, digits)})"
            ln.latex = rf"{ln.symbol} = {ln.formula} = {frac} = {fmt(ln.value, max(digits, 3))}"


def _notes(model: nn.Module, tr: Trace, eq: StepEquations, layer: int, has_prev: bool, reverse: bool) -> None:
    prev = "H_{t+1}" if reverse else "H_{t−1}"
    j = eq.unit % tr.hidden_size
    eq.notes.append(i18n.t("equations.note_entry", j=j, label=tr.unit_label(eq.unit)))
    if layer == 0 and model.config.embedding_dim == 0:
        eq.notes.append(i18n.t("equations.note_one_hot", ch=_shown(eq.char)))
    elif layer > 0:
        eq.notes.append(i18n.t("equations.note_layer", n=layer + 1))
    if not has_prev:
        eq.notes.append(i18n.t("equations.note_zero_cell" if eq.kind in MEMORY_CELL_KINDS else "equations.note_zero",
                            prev=prev))
    if reverse:
        eq.notes.append(i18n.t("equations.note_reverse"))
    if eq.kind == "gru":
        eq.notes.append(i18n.t("equations.note_gru", prev="H_{t−1}"))
    if eq.kind == "gru-min":
        eq.notes.append(i18n.t("equations.note_gru_min"))
    if eq.kind == "lstm-peephole":
        eq.notes.append(i18n.t("equations.note_peephole", c_prev="C_{t−1}"))
    if eq.kind in ("lstm", "gru", "rnn"):
        eq.notes.append(i18n.t("equations.note_biases"))
    if any(ln.name == "logit" for ln in eq.lines):
        what = (i18n.t("equations.next_char", ch=_shown(eq.target)) if eq.next_char is not None
                else i18n.t("equations.likeliest", ch=_shown(eq.target)))
        eq.notes.append(i18n.t("equations.note_output", what=what))


# ---------------------------------------------------------------- perplexity


@dataclass
class PerplexityDefinition:
    mean_nll: float  # average cross-entropy −(1/n) Σ log P(x_t | x_<t), nats
    n: int  # characters predicted
    vocab_size: int
    perplexity: float
    latex: str
    reminders: list[str]


def perplexity_latex(mean_nll: float, n: int | None = None, digits: int = 2) -> str:
    """exp(−(1/n) Σ log P(x_t | x_<t)) = exp(mean_nll) = perplexity, as LaTeX."""
    try:
        ppl = math.exp(mean_nll)
    except OverflowError:
        ppl = math.inf
    n_tex = f"n = {n:,}".replace(",", "{,}") if n is not None else None
    general = (rf"\text{{{i18n.t('equations.perplexity')}}} = "
               r"\exp\!\Big(-\frac{1}{n}\sum_{t=1}^{n} \log P(x_t \mid x_{<t})\Big)")
    tail = rf" = \exp({fmt(mean_nll, 3)}) = {fmt(ppl, digits)}"
    return general + tail + (rf"\quad ({n_tex})" if n_tex else "")


def perplexity_reminders(vocab_size: int) -> list[str]:
    return [i18n.t("equations.reminder_perfect"), i18n.t("equations.reminder_uniform", vocab_size=vocab_size),
            i18n.t("equations.reminder_worst")]


def perplexity_definition(model: nn.Module, vocab: Vocab, text: str, digits: int = 2) -> PerplexityDefinition:
    """The definition of perplexity with ``model``'s average cross-entropy on ``text`` plugged in."""
    sc = score(model, vocab, text)
    mean_nll = -sc.log_likelihood / sc.n_predicted
    return PerplexityDefinition(mean_nll, sc.n_predicted, len(vocab), sc.perplexity,
                                perplexity_latex(mean_nll, sc.n_predicted, digits), perplexity_reminders(len(vocab)))


__all__ = ["Line", "StepEquations", "step_equations", "fmt", "PerplexityDefinition", "perplexity_definition",
           "perplexity_latex", "perplexity_reminders"]
