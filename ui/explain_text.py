"""What the "what you are looking at" panels say, looked up: the words live in the catalogue
(``rnnviz/locales/<lang>/explain.toml``), the formulas here as LaTeX, the same in every language (the words inside
a ``\\text{}`` come from the catalogue's ``[words]`` table).

A page's entry (``explain.<page>.*`` in the catalogue, :data:`FORMULAS` and :data:`NG` here):
    formulas   LaTeX lines in d2l's notation; by model kind where the formula depends on the model ('*' the fallback)
    ng         optional: the same in the a⟨t⟩ notation of Andrew Ng's sequence-models course
    ng_note    optional: one sentence relating the two notations (``ng_note_<kind>`` for one model kind)
    axes       one line per picture: what is on each axis (and the color)
    look_for   one sentence: what to look for
"""
from __future__ import annotations

from collections.abc import Callable

from rnnviz.i18n import has, t

_RNN = r"H_t = \phi(X_t W_{xh} + H_{t-1} W_{hh} + b_h), \qquad O_t = H_t W_{hq} + b_q"
_LSTM = [
    r"I_t = \sigma(X_t W_{xi} + H_{t-1} W_{hi} + b_i), \quad F_t = \sigma(X_t W_{xf} + H_{t-1} W_{hf} + b_f), \quad "
    r"O_t = \sigma(X_t W_{xo} + H_{t-1} W_{ho} + b_o)",
    r"\tilde{C}_t = \tanh(X_t W_{xc} + H_{t-1} W_{hc} + b_c)",
    r"C_t = F_t \odot C_{t-1} + I_t \odot \tilde{C}_t, \qquad H_t = O_t \odot \tanh(C_t)",
]
_PEEPHOLE = [
    r"I_t = \sigma(X_t W_{xi} + H_{t-1} W_{hi} + w_{ci} \odot C_{t-1} + b_i), \quad "
    r"F_t = \sigma(X_t W_{xf} + H_{t-1} W_{hf} + w_{cf} \odot C_{t-1} + b_f)",
    r"\tilde{C}_t = \tanh(X_t W_{xc} + H_{t-1} W_{hc} + b_c), \qquad C_t = F_t \odot C_{t-1} + I_t \odot \tilde{C}_t",
    r"O_t = \sigma(X_t W_{xo} + H_{t-1} W_{ho} + w_{co} \odot C_t + b_o), \qquad H_t = O_t \odot \tanh(C_t)",
]
_GRU = [
    r"R_t = \sigma(X_t W_{xr} + H_{t-1} W_{hr} + b_r), \qquad Z_t = \sigma(X_t W_{xz} + H_{t-1} W_{hz} + b_z)",
    r"\tilde{H}_t = \tanh(X_t W_{xh} + (R_t \odot H_{t-1}) W_{hh} + b_h)",
    r"H_t = Z_t \odot H_{t-1} + (1 - Z_t) \odot \tilde{H}_t",
]
_GRU_MIN = [
    r"Z_t = \sigma(X_t W_{xz} + H_{t-1} W_{hz} + b_z), \qquad \tilde{H}_t = \tanh(X_t W_{xh} + H_{t-1} W_{hh} + b_h)",
    r"H_t = Z_t \odot H_{t-1} + (1 - Z_t) \odot \tilde{H}_t",
]
_NG_RNN = [r"a^{\langle t \rangle} = g(W_{aa} a^{\langle t-1 \rangle} + W_{ax} x^{\langle t \rangle} + b_a), \qquad "
           r"\hat{y}^{\langle t \rangle} = \operatorname{softmax}(W_{ya} a^{\langle t \rangle} + b_y)"]
_NG_LSTM = [
    r"\Gamma_u = \sigma(W_u[a^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_u), \ "
    r"\Gamma_f = \sigma(W_f[\cdot] + b_f), \ \Gamma_o = \sigma(W_o[\cdot] + b_o)",
    r"\tilde{c}^{\langle t \rangle} = \tanh(W_c[a^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_c), "
    r"\quad c^{\langle t \rangle} = \Gamma_u * \tilde{c}^{\langle t \rangle} + \Gamma_f * c^{\langle t-1 \rangle}, "
    r"\quad "
    r"a^{\langle t \rangle} = \Gamma_o * \tanh c^{\langle t \rangle}",
]
_NG_PEEPHOLE = [
    r"\Gamma_u = \sigma(W_u[a^{\langle t-1 \rangle}, x^{\langle t \rangle}, c^{\langle t-1 \rangle}] + b_u), \ "
    r"\Gamma_f = \sigma(W_f[a^{\langle t-1 \rangle}, x^{\langle t \rangle}, c^{\langle t-1 \rangle}] + b_f)",
    _NG_LSTM[1],
]
_NG_GRU = [
    r"\Gamma_r = \sigma(W_r[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_r), \qquad "
    r"\Gamma_u = \sigma(W_u[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_u)",
    r"\tilde{c}^{\langle t \rangle} = \tanh(W_c[\Gamma_r * c^{\langle t-1 \rangle}, x^{\langle t \rangle}] "
    r"+ b_c), \qquad c^{\langle t \rangle} = \Gamma_u * \tilde{c}^{\langle t \rangle} "
    r"+ (1 - \Gamma_u) * c^{\langle t-1 \rangle}",
]
_NG_GRU_MIN = [
    r"\Gamma_u = \sigma(W_u[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_u), \qquad "
    r"\tilde{c}^{\langle t \rangle} = \tanh(W_c[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_c)",
    r"c^{\langle t \rangle} = \Gamma_u * \tilde{c}^{\langle t \rangle} + (1 - \Gamma_u) * c^{\langle t-1 \rangle}, "
    r"\qquad a^{\langle t \rangle} = c^{\langle t \rangle}",
]


def _w(name: str) -> str:
    """A word of the formulas, in the interface's language, for a ``\\text{}``."""
    return t(f"explain.words.{name}")


def _ppl() -> str:
    return (rf"\text{{{_w('perplexity')}}} = \exp\!\Big(-\frac{{1}}{{n}}\sum_{{t=1}}^{{n}} "
            r"\log P(x_t \mid x_{t-1}, \ldots, x_1)\Big)")


def _text() -> list[str]:
    steps = " \\to ".join(rf"\text{{{_w(f'pipeline_{s}')}}}" for s in ("text", "lines", "tokens", "vocabulary"))
    return [steps + rf" \to \text{{{_w('pipeline_indices')}}} x_1, \ldots, x_T",
            r"X = (x_{s}, \ldots, x_{s+n-1}), \qquad Y = (x_{s+1}, \ldots, x_{s+n}) \quad "
            rf"\text{{({_w('shifted')})}}"]


def _statistics() -> list[str]:
    return [r"n_i \propto \frac{1}{i^{\alpha}} \iff \log n_i = -\alpha \log i + c \quad " + rf"\text{{({_w('zipf')})}}",
            r"\hat P(x' \mid x) = \frac{n(x, x') + \epsilon_2 \hat P(x')}{n(x) + \epsilon_2}, \qquad "
            r"\hat P(x') = \frac{n(x') + \epsilon_1 / m}{n + \epsilon_1} \quad " + rf"\text{{({_w('laplace')})}}",
            _ppl()]


def _generate() -> list[str]:
    return [r"P(x_{t+1} \mid x_{\le t}) = \operatorname{softmax}(O_t / \tau), \qquad "
            rf"\text{{{_w('greedy')}}} x_{{t+1}} = \arg\max_c P(c \mid x_{{\le t}})",
            r"\log P(x_1, \ldots, x_T) = \sum_{t=2}^{T} \log P(x_t \mid x_{<t}), \qquad " + _ppl()]


def _sequence_models() -> list[str]:
    return [r"\hat{x}_t = f(x_{t-1}, \ldots, x_{t-\tau}) \quad "
            rf"\text{{({_w('autoregressive')}}}\tau\text{{{_w('autoregressive_values')})}}",
            r"\hat{x}_{t+k} = f(\hat{x}_{t+k-1}, \ldots) \quad " + rf"\text{{({_w('k_step')})}}"]


def _gradients() -> list[str]:
    return [r"\frac{\partial h_t}{\partial h_k} = \prod_{i=k+1}^{t} W_{hh}^\top "
            r"\operatorname{diag}\big(\phi'(a_i)\big), \qquad \Big\|\frac{\partial h_t}{\partial h_k}"
            r"\Big\| \sim \lambda^{t-k}",
            r"\mathbf{g} \leftarrow \min\Big(1, \frac{\theta}{\|\mathbf{g}\|}\Big) \mathbf{g} \quad "
            rf"\text{{({_w('gradient_clipping')})}}"]


def _train() -> list[str]:
    return [r"\ell = -\frac{1}{n} \sum_{t=1}^{n} \log P(x_t \mid x_{<t}) \quad " + rf"\text{{({_w('cross_entropy')})}}",
            rf"\text{{{_w('perplexity')}}} = \exp(\ell), \qquad " + r"\mathbf{g} \leftarrow \min\Big(1, "
            r"\frac{\theta}{\|\mathbf{g}\|}\Big) \mathbf{g}"]


# page -> kind -> LaTeX lines ('*': any other kind); a callable is called for the current language's words
FORMULAS: dict[str, dict[str, list[str] | Callable[[], list[str]]]] = {
    "hidden_states": {"lstm": _LSTM[-1:], "lstm-peephole": _PEEPHOLE[-1:], "gru": _GRU[-1:],
                      "gru-min": _GRU_MIN[-1:], "*": [_RNN]},
    "gates": {"lstm": _LSTM, "lstm-peephole": _PEEPHOLE, "gru": _GRU, "gru-min": _GRU_MIN, "*": [_RNN]},
    "text": {"*": _text},
    "statistics": {"*": _statistics},
    "generate": {"*": _generate},
    "sequence_models": {"*": _sequence_models},
    "gradients": {"*": _gradients},
    "train": {"*": _train},
}
NG: dict[str, dict[str, list[str]]] = {
    "hidden_states": {"*": _NG_RNN},
    "gates": {"lstm": _NG_LSTM, "lstm-peephole": _NG_PEEPHOLE, "gru": _NG_GRU, "gru-min": _NG_GRU_MIN,
              "*": _NG_RNN},
    "generate": {"*": [r"\hat{y}^{\langle t \rangle} = \operatorname{softmax}(W_{ya} a^{\langle t \rangle} + b_y), "
                       r"\quad x^{\langle t+1 \rangle} \sim \hat{y}^{\langle t \rangle}"]},
    "gradients": {"*": [r"\frac{\partial a^{\langle t \rangle}}{\partial a^{\langle k \rangle}} = \prod_{i=k+1}^{t} "
                        r"\frac{\partial a^{\langle i \rangle}}{\partial a^{\langle i-1 \rangle}}"]},
    "train": {"*": [r"\mathcal{L} = \sum_t \mathcal{L}^{\langle t \rangle}(\hat{y}^{\langle t \rangle}, y^{\langle t "
                    r"\rangle}), \qquad \mathcal{L}^{\langle t \rangle} = -\sum_i y_i^{\langle t \rangle} \log "
                    r"\hat{y}_i^{\langle t \rangle}"]},
}


def _of_kind(table: dict, kind: str | None) -> list[str]:
    lines = table.get(kind or "*", table["*"])
    return lines() if callable(lines) else list(lines)


def formulas(page: str, kind: str | None = None) -> list[str]:
    """The page's formula in d2l's notation, LaTeX lines (for ``kind``'s model where it depends on it)."""
    return _of_kind(FORMULAS[page], kind)


def ng(page: str, kind: str | None = None) -> list[str]:
    """The same in the sequence-models course's notation, or [] where the page has none."""
    return _of_kind(NG[page], kind) if page in NG else []


def _key(page: str, name: str, kind: str | None) -> str | None:
    """``explain.<page>.<name>_<kind>`` if the catalogue has it, else ``explain.<page>.<name>``, else None."""
    for key in ([f"explain.{page}.{name}_{kind.replace('-', '_')}"] if kind else []) + [f"explain.{page}.{name}"]:
        if has(key):
            return key
    return None


def ng_note(page: str, kind: str | None = None) -> str | None:
    key = _key(page, "ng_note", kind)
    return t(key) if key else None


def axes(page: str) -> list[str]:
    """One line per picture of the page: what is on each axis."""
    return t(f"explain.{page}.axes").splitlines()


def look_for(page: str) -> str:
    return t(f"explain.{page}.look_for")


def reminders(vocab_size: int) -> list[str]:
    """The lecture's three reminders about perplexity (markdown)."""
    return [t("explain.perplexity.reminder_perfect"), t("explain.perplexity.reminder_uniform", vocab_size=vocab_size),
            t("explain.perplexity.reminder_worst")]
