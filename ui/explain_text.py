"""Every string of the "what you are looking at" panels, the step panel and the perplexity help, in one place so
that a translation can replace this module (or its dicts) without touching the pages.

``PAGES[page_key]``:
    ``formulas``   LaTeX lines in d2l's notation; a dict by model kind ('lstm', 'gru', 'rnn', 'scratch') where the
                   formula depends on the model, with the key ``"*"`` as the fallback
    ``ng``         optional: the same in the a⟨t⟩ notation of Andrew Ng's sequence-models course (LaTeX lines; a
                   dict by kind like ``formulas``)
    ``ng_note``    optional: one sentence relating the two notations (a string, or a dict by kind)
    ``axes``       one markdown line per picture: what is on each axis (and the color)
    ``look_for``   one sentence: what to look for
"""
from __future__ import annotations

PANEL_TITLE = "📐 What you are looking at"
FORMULA_HEADING = "🧮 **The formula** (d2l's notation)"
NG_HEADING = "🎓 **The same in the sequence-models course's notation**"
AXES_HEADING = "📏 **On the axes**"
LOOK_FOR_HEADING = "👀 **Look for**"

_RNN = r"H_t = \phi(X_t W_{xh} + H_{t-1} W_{hh} + b_h), \qquad O_t = H_t W_{hq} + b_q"
_LSTM = [
    r"I_t = \sigma(X_t W_{xi} + H_{t-1} W_{hi} + b_i), \quad F_t = \sigma(X_t W_{xf} + H_{t-1} W_{hf} + b_f), \quad "
    r"O_t = \sigma(X_t W_{xo} + H_{t-1} W_{ho} + b_o)",
    r"\tilde{C}_t = \tanh(X_t W_{xc} + H_{t-1} W_{hc} + b_c)",
    r"C_t = F_t \odot C_{t-1} + I_t \odot \tilde{C}_t, \qquad H_t = O_t \odot \tanh(C_t)",
]
_GRU = [
    r"R_t = \sigma(X_t W_{xr} + H_{t-1} W_{hr} + b_r), \qquad Z_t = \sigma(X_t W_{xz} + H_{t-1} W_{hz} + b_z)",
    r"\tilde{H}_t = \tanh(X_t W_{xh} + (R_t \odot H_{t-1}) W_{hh} + b_h)",
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
_NG_GRU = [
    r"\Gamma_r = \sigma(W_r[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_r), \qquad "
    r"\Gamma_u = \sigma(W_u[c^{\langle t-1 \rangle}, x^{\langle t \rangle}] + b_u)",
    r"\tilde{c}^{\langle t \rangle} = \tanh(W_c[\Gamma_r * c^{\langle t-1 \rangle}, x^{\langle t \rangle}] "
    r"+ b_c), \qquad c^{\langle t \rangle} = \Gamma_u * \tilde{c}^{\langle t \rangle} "
    r"+ (1 - \Gamma_u) * c^{\langle t-1 \rangle}",
]
_PPL = r"\text{perplexity} = \exp\!\Big(-\frac{1}{n}\sum_{t=1}^{n} \log P(x_t \mid x_{t-1}, \ldots, x_1)\Big)"

PAGES: dict[str, dict] = {
    "hidden_states": {
        "formulas": {"lstm": _LSTM[-1:], "gru": _GRU[-1:], "*": [_RNN]},
        "ng": _NG_RNN,
        "ng_note": "The course's a⟨t⟩ is d2l's H_t, its x⟨t⟩ is X_t; it writes W·column vectors where d2l writes "
                   "row vectors·W.",
        "axes": ["Heatmap: across, the characters read (step t); down, the hidden units j; color, H_t,j right after "
                 "reading character t.",
                 "Colored text: each character's background is one unit's H_t,j.",
                 "Path: H_t projected on its two principal components; each point is one step."],
        "look_for": "Rows that change color at spaces, vowels or line ends: units that track those features of "
                    "the text.",
    },
    "gates": {
        "formulas": {"lstm": _LSTM, "gru": _GRU, "*": [_RNN]},
        "ng": {"lstm": _NG_LSTM, "gru": _NG_GRU, "*": _NG_RNN},
        "ng_note": {"lstm": "The course's Γ_u, Γ_f, Γ_o are d2l's I_t, F_t, O_t; its c⟨t⟩ is C_t and a⟨t⟩ is H_t.",
                    "gru": "The course's Γ_u weights the NEW candidate where d2l's Z_t weights the OLD state: "
                           "Γ_u = 1 − Z_t. Its Γ_r is d2l's R_t, its c⟨t⟩ is H_t.",
                    "*": "The course's a⟨t⟩ is d2l's H_t; g is φ."},
        "axes": ["Heatmap: across, the characters read (step t); down, the units j; color, the gate's value "
                 "(0 shut … 1 open).",
                 "Lines: across, step t; up, one unit's gates (left axis) and its unbounded cell (right axis).",
                 "Saturation: across, the share of steps a gate is nearly shut; up, nearly open.",
                 "Memory: the product of forget (update) gates since a chosen character, F(s+1) ⋯ F(t)."],
        "look_for": "A forget (update) gate that stays near 1 keeps its memory across many characters; gradients "
                    "flow back through the product of those gates, which is why gated units remember longer.",
    },
    "text": {
        "formulas": [r"\text{text} \to \text{lines} \to \text{tokens} \to \text{vocabulary} \to "
                     r"\text{indices } x_1, \ldots, x_T",
                     r"X = (x_{s}, \ldots, x_{s+n-1}), \qquad Y = (x_{s+1}, \ldots, x_{s+n}) \quad "
                     r"\text{(the target is the input shifted by one)}"],
        "axes": ["Vocabulary table: each token, its index and how often it occurs (min_freq drops rare ones to "
                 "<unk>).",
                 "Minibatch pictures: across, the position in the corpus; each bar is one subsequence of n = "
                 "num_steps tokens."],
        "look_for": "Random sampling takes subsequences from anywhere; sequential partitioning keeps neighbouring "
                    "minibatches adjacent, so the hidden state can be carried across them.",
    },
    "statistics": {
        "formulas": [r"n_i \propto \frac{1}{i^{\alpha}} \iff \log n_i = -\alpha \log i + c \quad \text{(Zipf)}",
                     r"\hat P(x' \mid x) = \frac{n(x, x') + \epsilon_2 \hat P(x')}{n(x) + \epsilon_2}, \qquad "
                     r"\hat P(x') = \frac{n(x') + \epsilon_1 / m}{n + \epsilon_1} \quad \text{(Laplace smoothing)}",
                     _PPL],
        "axes": ["Zipf: across, log rank i; up, log frequency n_i; a straight line has slope −α.",
                 "Growth: across, n; up, the number of distinct n-grams seen.",
                 "Perplexity curve: across, ε; up, held-out perplexity of each n-gram model."],
        "look_for": "Pairs and triples follow Zipf's law too, with most of them seen once; that is why counted "
                    "n-gram models need smoothing and why a neural model generalizes better.",
    },
    "generate": {
        "formulas": [r"P(x_{t+1} \mid x_{\le t}) = \operatorname{softmax}(O_t / \tau), \qquad "
                     r"\text{greedy: } x_{t+1} = \arg\max_c P(c \mid x_{\le t})",
                     r"\log P(x_1, \ldots, x_T) = \sum_{t=2}^{T} \log P(x_t \mid x_{<t}), \qquad " + _PPL],
        "ng": [r"\hat{y}^{\langle t \rangle} = \operatorname{softmax}(W_{ya} a^{\langle t \rangle} + b_y), \quad "
               r"x^{\langle t+1 \rangle} \sim \hat{y}^{\langle t \rangle}"],
        "axes": ["Distribution: each candidate next character and its probability at the chosen step.",
                 "Scores: across, the position in the sentence; up, log P of that character given the ones before."],
        "look_for": "Greedy decoding repeats itself; sampling with a temperature τ < 1 sharpens the distribution, "
                    "τ > 1 flattens it. The sentence with the higher log-likelihood is the one the model prefers.",
    },
    "sequence_models": {
        "formulas": [r"\hat{x}_t = f(x_{t-1}, \ldots, x_{t-\tau}) \quad \text{(autoregressive, an MLP on the last "
                     r"}\tau\text{ values)}",
                     r"\hat{x}_{t+k} = f(\hat{x}_{t+k-1}, \ldots) \quad \text{(k-step: predictions fed back as "
                     r"inputs)}"],
        "axes": ["Across, time step t; up, the value of the noisy sine, the 1-step and k-step predictions."],
        "look_for": "One-step predictions follow the data; k-step predictions decay to a flat line as errors "
                    "compound, even though each step's error is small.",
    },
    "gradients": {
        "formulas": [r"\frac{\partial h_t}{\partial h_k} = \prod_{i=k+1}^{t} W_{hh}^\top "
                     r"\operatorname{diag}\big(\phi'(a_i)\big), \qquad \Big\|\frac{\partial h_t}{\partial h_k}"
                     r"\Big\| \sim \lambda^{t-k}",
                     r"\mathbf{g} \leftarrow \min\Big(1, \frac{\theta}{\|\mathbf{g}\|}\Big) \mathbf{g} \quad "
                     r"\text{(gradient clipping)}"],
        "ng": [r"\frac{\partial a^{\langle t \rangle}}{\partial a^{\langle k \rangle}} = \prod_{i=k+1}^{t} "
               r"\frac{\partial a^{\langle i \rangle}}{\partial a^{\langle i-1 \rangle}}"],
        "axes": ["Gradient curve: across, T − k, how many steps back; up, ‖∂ℓ_T/∂h_k‖ on a log scale.",
                 "Eigenvalues: the complex plane; the dashed circle has radius 1.",
                 "Clipping: across, training step; up, the gradient norm before and after clipping."],
        "look_for": "On a log scale the norm falls (or grows) along a straight line, like λ^(t−k): eigenvalues of "
                    "W_hh inside the unit circle make gradients vanish, outside make them explode.",
    },
    "train": {
        "formulas": [r"\ell = -\frac{1}{n} \sum_{t=1}^{n} \log P(x_t \mid x_{<t}) \quad \text{(cross-entropy, "
                     r"nats per character)}",
                     r"\text{perplexity} = \exp(\ell), \qquad \mathbf{g} \leftarrow \min\Big(1, "
                     r"\frac{\theta}{\|\mathbf{g}\|}\Big) \mathbf{g}"],
        "ng": [r"\mathcal{L} = \sum_t \mathcal{L}^{\langle t \rangle}(\hat{y}^{\langle t \rangle}, y^{\langle t "
               r"\rangle}), \qquad \mathcal{L}^{\langle t \rangle} = -\sum_i y_i^{\langle t \rangle} \log "
               r"\hat{y}_i^{\langle t \rangle}"],
        "axes": ["Across, the training step (or tokens seen); up, training and validation perplexity.",
                 "Gradient norm: across, step; up, ‖g‖ before clipping, with the threshold θ."],
        "look_for": "Perplexity starts near the vocabulary size (a model that knows nothing) and falls; when "
                    "validation stops following training, the model has begun to memorize.",
    },
}

STEP = {
    "title": "🧮 One step, opened up: the equations with this model's numbers",
    "intro": "Pick a character and a unit: every line below is that step's formula with the model's own weights "
             "and states substituted, then the result — the same numbers the pictures show.",
    "char": "Character (step t)",
    "unit": "Unit j",
    "char_format": "{t}: “{ch}”",
    "unit_format": "unit {label}",
    "recurrent": "🔁 **The recurrent layer, unit {unit}, after reading “{ch}” (t = {t})**",
    "output": "🎯 **The output layer: how likely is “{target}” next?**",
    "error": "These equations cannot be shown: {error}.",
}

PERPLEXITY = {
    "title": "ℹ️ What is perplexity?",
    "intro": "The exponential of the average cross-entropy: how many characters the model is, in effect, "
             "choosing between at each step.",
    "current": "With this model's average cross-entropy of {nll:.3f} nats per character:",
    "reminders_heading": "📌 **Reminders**",
    "about": "For the sentence “{text}” (the most likely one):",
    "infinite": "The perplexity is infinite: some character that occurred got probability 0.",
    "reminders": ["**1 is perfect**: the model gives every next character probability 1.",
                  "**{vocab_size} (the vocabulary size) is the uniform baseline**: a model that knows nothing and "
                  "spreads its probability evenly over the vocabulary.",
                  "**∞ is the worst**: some character that did occur got probability 0."],
}
