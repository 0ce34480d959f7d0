"""rnnviz.equations against independent truth: every number of a step's equations recomputed with numpy from the
state_dict (a float64 forward pass written from the formulas), to 1e-5, for small random models of every kind,
the cell variants of rnnviz.cells (minimal GRU, peephole LSTM) included."""
import math

import numpy as np
import pytest
import torch

from rnnviz.data import Vocab
from rnnviz.equations import fmt, perplexity_definition, perplexity_latex, step_equations
from rnnviz.inspect import trace
from rnnviz.models import ModelConfig, build_model

VOCAB = Vocab(list("abcdefgh "))
TEXT = "bad cafe"
TOL = 1e-5


def _model(seed: int, **settings):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(vocab_size=len(VOCAB), hidden_size=5, **settings)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # random weights big enough that gates spread over 0..1
    return model


def sig(x):
    return 1 / (1 + np.exp(-x))


# The cell variants' named weights, stacked in PyTorch's layout (blocks along dim 0) in this order of blocks.
CELL_BLOCKS = {"gru-min": "zh", "lstm-peephole": "ifoc"}


def _cell_weights(sd, layer, d, kind):
    """(W_x (G·H, in), W_h (G·H, H), b (G·H,), peepholes {gate letter: (H,)}) of a cell variant, from the state_dict."""
    pre = f"rnn.cells.l{layer}{'_reverse' if d else ''}."
    blocks = CELL_BLOCKS[kind]
    Wx = np.concatenate([sd[f"{pre}W_x{g}"] for g in blocks], axis=1).T
    Wh = np.concatenate([sd[f"{pre}W_h{g}"] for g in blocks], axis=1).T
    b = np.concatenate([sd[f"{pre}b_{g}"] for g in blocks])
    peep = {g: sd[f"{pre}w_c{g}"] for g in "ifo"} if kind == "lstm-peephole" else {}
    return Wx, Wh, b, peep


def numpy_forward(model, text):
    """The whole model in numpy float64 from its state_dict. Returns per layer a list of dicts per step holding
    every quantity by name and its parts, and the logits (T, V)."""
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    cfg = model.config
    ids = np.array(VOCAB[list(text)])
    T, H, D = len(ids), cfg.hidden_size, cfg.directions
    x = sd["embedding.weight"][ids] if cfg.embedding_dim else np.eye(cfg.vocab_size)[ids]  # (T, in)
    layers = []
    for layer in range(cfg.num_layers):
        steps = [dict() for _ in range(T)]
        outs = np.zeros((T, D * H))
        for d in range(D):
            if cfg.kind == "scratch":
                Wx, Wh, bx, bh = (sd[f"W_xh.{layer}"].T, sd[f"W_hh.{layer}"].T, sd[f"b_h.{layer}"],
                                  np.zeros(H))
            elif cfg.kind in CELL_BLOCKS:
                Wx, Wh, bx, peep = _cell_weights(sd, layer, d, cfg.kind)
                bh = np.zeros_like(bx)
            else:
                sfx = f"l{layer}" + ("_reverse" if d else "")
                Wx, Wh = sd[f"rnn.weight_ih_{sfx}"], sd[f"rnn.weight_hh_{sfx}"]
                bx, bh = sd[f"rnn.bias_ih_{sfx}"], sd[f"rnn.bias_hh_{sfx}"]
            h, c = np.zeros(H), np.zeros(H)
            order = range(T - 1, -1, -1) if d else range(T)
            for t in order:
                a, b = Wx @ x[t] + bx, Wh @ h + bh  # PyTorch: W x + b
                rec = {}
                if cfg.kind == "lstm":
                    ai, af, ag, ao = np.split(a, 4)
                    bi, bf, bg, bo = np.split(b, 4)
                    i, f, g, o = sig(ai + bi), sig(af + bf), np.tanh(ag + bg), sig(ao + bo)
                    c_new = f * c + i * g
                    h_new = o * np.tanh(c_new)
                    rec = dict(input=i, forget=f, candidate=g, output=o, cell=c_new, hidden=h_new, c_prev=c,
                               pre_input=ai + bi, pre_forget=af + bf, pre_candidate=ag + bg, pre_output=ao + bo)
                    c = c_new
                elif cfg.kind == "lstm-peephole":  # gates i, f look at C_{t-1}; o at the new C_t
                    ai, af, ao, ac = np.split(a + b, 4)
                    pre_i, pre_f = ai + peep["i"] * c, af + peep["f"] * c
                    i, f, g = sig(pre_i), sig(pre_f), np.tanh(ac)
                    c_new = f * c + i * g
                    pre_o = ao + peep["o"] * c_new
                    o = sig(pre_o)
                    h_new = o * np.tanh(c_new)
                    rec = dict(input=i, forget=f, candidate=g, output=o, cell=c_new, hidden=h_new, c_prev=c,
                               pre_input=pre_i, pre_forget=pre_f, pre_candidate=ac, pre_output=pre_o)
                    c = c_new
                elif cfg.kind == "gru-min":  # H_t = Z_t H_{t-1} + (1 - Z_t) tanh(X W_xh + H_{t-1} W_hh + b_h)
                    az, ah = np.split(a + b, 2)
                    z, n = sig(az), np.tanh(ah)
                    h_new = z * h + (1 - z) * n
                    rec = dict(update=z, candidate=n, hidden=h_new, pre_update=az, pre_candidate=ah)
                elif cfg.kind == "gru":
                    ar, az, an = np.split(a, 3)
                    br, bz, bn = np.split(b, 3)
                    r, z = sig(ar + br), sig(az + bz)
                    n = np.tanh(an + r * bn)
                    h_new = z * h + (1 - z) * n
                    rec = dict(reset=r, update=z, candidate=n, hidden=h_new, pre_reset=ar + br, pre_update=az + bz,
                               pre_candidate=an + r * bn)
                else:
                    pre = a + b
                    h_new = np.tanh(pre) if cfg.nonlinearity == "tanh" else np.maximum(pre, 0)
                    rec = dict(hidden=h_new, pre_hidden=pre)
                rec["h_prev"] = h
                for k, v in rec.items():
                    steps[t].setdefault(k, np.zeros(D * H))[d * H:(d + 1) * H] = v
                h = h_new
                outs[t, d * H:(d + 1) * H] = h
        layers.append(steps)
        x = outs
    if cfg.kind == "scratch":
        logits = x @ sd["W_hq"] + sd["b_q"]
    else:
        logits = x @ sd["head.weight"].T + sd["head.bias"]
    return layers, logits, x


KINDS = [
    dict(kind="lstm"), dict(kind="lstm", num_layers=2),
    dict(kind="gru"), dict(kind="gru", num_layers=2),
    dict(kind="scratch"), dict(kind="scratch", num_layers=2),
    dict(kind="rnn"), dict(kind="rnn", num_layers=2, nonlinearity="relu"),
    dict(kind="lstm", num_layers=2, bidirectional=True), dict(kind="gru", embedding_dim=4),
    dict(kind="gru-min"), dict(kind="gru-min", num_layers=2, bidirectional=True),
    dict(kind="lstm-peephole"), dict(kind="lstm-peephole", num_layers=2, bidirectional=True),
    dict(kind="lstm-peephole", embedding_dim=4),
]
BLOCKS = {  # which block of the stacked weights each line's gate is
    "lstm": {"input": 0, "forget": 1, "candidate": 2, "output": 3},  # PyTorch: i, f, g, o
    "gru": {"reset": 0, "update": 1, "candidate": 2},  # PyTorch: r, z, n
    "gru-min": {"update": 0, "candidate": 1},  # CELL_BLOCKS: z, h
    "lstm-peephole": {"input": 0, "forget": 1, "output": 2, "candidate": 3},  # CELL_BLOCKS: i, f, o, c
}


@pytest.mark.parametrize("settings", KINDS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_every_number_equals_numpy_from_the_state_dict(settings):
    model = _model(len(str(settings)), **settings)
    tr = trace(model, VOCAB, TEXT)
    layers, logits, top = numpy_forward(model, TEXT)
    H = tr.hidden_size
    log_z = np.log(np.exp(logits).sum(1))
    for layer in range(tr.num_layers):
        for t in range(tr.num_steps):
            for unit in range(tr.num_units):
                eq = step_equations(model, tr, t, layer, unit)
                ref = layers[layer][t]
                j, u = unit % H, unit
                blocks = BLOCKS.get(tr.kind, {})
                for ln in eq.lines:
                    if ln.name in ("logit", "prob"):
                        continue
                    assert ln.value == pytest.approx(ref[ln.name][u], abs=TOL), (ln.name, t, unit)
                    if ln.form == "affine":
                        name = ln.name
                        assert ln.inner == pytest.approx(ref[f"pre_{name}"][u], abs=TOL)
                        block = blocks.get(name, 0)
                        xw, hw, b = (v for _, v in ln.terms)
                        Wx, Wh, bias = _weights(model, layer, unit // H)
                        r = block * H + j
                        x_in = _layer_input(model, layers, layer, t)
                        assert xw == pytest.approx(Wx[r] @ x_in, abs=TOL)
                        d = unit // H
                        assert hw == pytest.approx(Wh[r] @ ref["h_prev"][d * H:(d + 1) * H], abs=TOL)
                        assert b == pytest.approx(bias[r], abs=TOL)
                    elif ln.form == "peephole":  # σ(X_t W_xg + H_prev W_hg + w_cg ⊙ C + b_g)
                        assert ln.inner == pytest.approx(ref[f"pre_{ln.name}"][u], abs=TOL)
                        xw, hw, w_c, c, b = (v for _, v in ln.terms)
                        Wx, Wh, bias = _weights(model, layer, unit // H)
                        r = blocks[ln.name] * H + j
                        d = unit // H
                        assert xw == pytest.approx(Wx[r] @ _layer_input(model, layers, layer, t), abs=TOL)
                        assert hw == pytest.approx(Wh[r] @ ref["h_prev"][d * H:(d + 1) * H], abs=TOL)
                        assert b == pytest.approx(bias[r], abs=TOL)
                        sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
                        peep = _cell_weights(sd, layer, d, tr.kind)[3][ln.name[0]]
                        assert w_c == pytest.approx(peep[j], abs=TOL)
                        # the input and forget gates look at C_{t-1}, the output gate at the new C_t
                        assert c == pytest.approx(ref["cell" if ln.name == "output" else "c_prev"][u], abs=TOL)
                    elif ln.form == "cell":
                        f, cp, i, g = (v for _, v in ln.terms)
                        assert (f, cp, i, g) == pytest.approx(
                            (ref["forget"][u], ref["c_prev"][u], ref["input"][u], ref["candidate"][u]), abs=TOL)
                    elif ln.form == "gru_hidden":
                        z, hp, one_z, n = (v for _, v in ln.terms)
                        assert (z, hp, one_z, n) == pytest.approx(
                            (ref["update"][u], ref["h_prev"][u], 1 - ref["update"][u], ref["candidate"][u]), abs=TOL)
                    elif ln.form == "gru_candidate":
                        assert ln.inner == pytest.approx(ref["pre_candidate"][u], abs=TOL)
                        assert ln.terms[1][1] == pytest.approx(ref["reset"][u], abs=TOL)
                # the output layer: logit and probability of the next character (or the likeliest at the end)
                c = int(VOCAB[TEXT[t + 1]]) if t + 1 < len(TEXT) else int(np.argmax(logits[t]))
                assert eq.target == VOCAB.idx_to_token[c]
                logit, prob = eq.line("logit"), eq.line("prob")
                assert logit.value == pytest.approx(logits[t, c], abs=TOL)
                assert sum(v for _, v in logit.terms) == pytest.approx(logits[t, c], abs=TOL)
                if layer == tr.num_layers - 1:
                    w_hq = (model.state_dict()["W_hq"] if tr.kind == "scratch"
                            else model.state_dict()["head.weight"].T).double().numpy()
                    assert logit.terms[0][1] == pytest.approx(top[t, u] * w_hq[u, c], abs=TOL)
                assert prob.value == pytest.approx(math.exp(logits[t, c] - log_z[t]), abs=TOL)
                assert prob.terms[1][1] == pytest.approx(log_z[t], abs=TOL)
                assert prob.value == pytest.approx(float(tr.probs[t, c]), abs=TOL)


def _weights(model, layer, d):
    """(W_x (G·H, in), W_h (G·H, H), b_x + b_h) of one direction of one layer, read from the state_dict."""
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    if model.config.kind == "scratch":
        return sd[f"W_xh.{layer}"].T, sd[f"W_hh.{layer}"].T, sd[f"b_h.{layer}"]
    if model.config.kind in CELL_BLOCKS:
        return _cell_weights(sd, layer, d, model.config.kind)[:3]
    sfx = f"l{layer}" + ("_reverse" if d else "")
    return (sd[f"rnn.weight_ih_{sfx}"], sd[f"rnn.weight_hh_{sfx}"],
            sd[f"rnn.bias_ih_{sfx}"] + sd[f"rnn.bias_hh_{sfx}"])


def _layer_input(model, layers, layer, t):
    if layer > 0:
        return layers[layer - 1][t]["hidden"]
    cfg = model.config
    idx = VOCAB[TEXT[t]]
    if cfg.embedding_dim:
        return model.state_dict()["embedding.weight"].double().numpy()[idx]
    return np.eye(cfg.vocab_size)[idx]


@pytest.mark.parametrize("kind", ["lstm", "gru", "scratch", "gru-min", "lstm-peephole"])
def test_latex_prints_the_structured_numbers(kind):
    model = _model(1, kind=kind)
    tr = trace(model, VOCAB, TEXT)
    eq = step_equations(model, tr, 3, 0, 2)
    expected = {"lstm": ["input", "forget", "output", "candidate", "cell", "hidden", "logit", "prob"],
                "gru": ["reset", "update", "candidate", "hidden", "logit", "prob"],
                "scratch": ["hidden", "logit", "prob"],
                "gru-min": ["update", "candidate", "hidden", "logit", "prob"],
                "lstm-peephole": ["input", "forget", "candidate", "cell", "output", "hidden", "logit", "prob"]}[kind]
    assert eq.names == expected
    for ln in eq.lines:
        assert ln.latex.startswith(ln.symbol + " = ")
        digits = 3 if ln.name == "prob" else 2
        assert ln.latex.endswith("= " + fmt(ln.value, digits))
        if ln.inner is not None and ln.form != "lstm_hidden" and ln.name != "prob":
            assert fmt(ln.inner) in ln.latex
        for _, v in ln.terms:
            if ln.name != "prob":
                assert fmt(abs(v)) in ln.latex, (ln.name, v, ln.latex)
    assert eq.char == TEXT[3] and eq.next_char == TEXT[4]
    assert any("one-hot" in n for n in eq.notes)


def test_lstm_line_reads_like_the_lecture():
    model = _model(2, kind="lstm")
    tr = trace(model, VOCAB, TEXT)
    line = step_equations(model, tr, 2, 0, 0).line("input").latex
    assert line.startswith(r"I_t = \sigma(X_t W_{xi} + H_{t-1} W_{hi} + b_{i}) = \sigma(")
    assert r") = \sigma(" in line


def test_peephole_lines_show_the_cell_they_look_at():
    model = _model(5, kind="lstm-peephole")
    tr = trace(model, VOCAB, TEXT)
    eq = step_equations(model, tr, 2, 0, 1)
    i, o = eq.line("input"), eq.line("output")
    assert i.latex.startswith(r"I_t = \sigma(X_t W_{xi} + H_{t-1} W_{hi} + w_{ci} \odot C_{t-1} + b_{i}) = \sigma(")
    assert r"w_{co} \odot C_t + b_{o}" in o.latex
    c_prev = float(tr.cell[0, 1, 1])
    assert dict(i.terms)["C_t-1"] == pytest.approx(c_prev, abs=TOL)
    assert dict(o.terms)["C_t"] == pytest.approx(eq.line("cell").value, abs=TOL)
    assert eq.line("cell").value == pytest.approx(float(tr.cell[0, 2, 1]), abs=TOL)
    assert any("Gers & Schmidhuber" in n for n in eq.notes)
    first = step_equations(model, tr, 0, 0, 1)
    assert dict(first.line("forget").terms)["C_t-1"] == 0.0 and any("C = 0" in n for n in first.notes)


def test_minimal_gru_has_three_lines_and_names_the_course_gate():
    model = _model(6, kind="gru-min")
    tr = trace(model, VOCAB, TEXT)
    eq = step_equations(model, tr, 4, 0, 3, output=False)
    assert eq.names == ["update", "candidate", "hidden"]
    assert eq.line("update").latex.startswith(r"Z_t = \sigma(X_t W_{xz} + H_{t-1} W_{hz} + b_{z})")
    assert eq.line("candidate").latex.startswith(r"\tilde{H}_t = \tanh(X_t W_{xh} + H_{t-1} W_{hh} + b_{h})")
    assert eq.line("hidden").value == pytest.approx(float(tr.hidden[0, 4, 3]), abs=TOL)
    assert any("Γ_u = 1 − Z_t" in n for n in eq.notes)


def test_first_step_reads_from_a_zero_state_and_bad_requests_are_refused():
    model = _model(3, kind="gru")
    tr = trace(model, VOCAB, TEXT)
    eq = step_equations(model, tr, 0, 0, 0)
    assert eq.line("reset").terms[1][1] == 0.0 and any("zero state" in n for n in eq.notes)
    for bad in [dict(t=len(TEXT)), dict(t=-1), dict(layer=1), dict(unit=5)]:
        args = dict(t=0, layer=0, unit=0) | bad
        with pytest.raises(ValueError):
            step_equations(model, tr, **args)
    with pytest.raises(ValueError):
        step_equations(_model(3, kind="lstm"), tr, 0)


def test_fmt_never_prints_zero_for_a_small_number():
    assert fmt(0.004) == r"4.0\times10^{-3}" and fmt(0.0) == "0.00" and fmt(-1.234) == "-1.23"
    assert fmt(math.inf) == r"\infty"


def test_perplexity_definition_plugs_in_the_model_average_cross_entropy():
    model = _model(4, kind="lstm")
    text = "bad cafe bed"
    _, logits, _ = numpy_forward(model, text)
    ids = VOCAB[list(text)]
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    nll = -np.mean([logp[t, ids[t + 1]] for t in range(len(text) - 1)])
    d = perplexity_definition(model, VOCAB, text)
    assert d.mean_nll == pytest.approx(nll, abs=TOL) and d.n == len(text) - 1
    assert d.perplexity == pytest.approx(math.exp(nll), rel=TOL)
    assert rf"\exp({nll:.3f})" in d.latex and f"{math.exp(nll):.2f}" in d.latex
    assert r"\log P(x_t \mid x_{<t})" in d.latex
    assert d.vocab_size == len(VOCAB) and any(str(len(VOCAB)) in r and "uniform" in r for r in d.reminders)
    assert any(r.startswith("1 is perfect") for r in d.reminders) and any("∞" in r for r in d.reminders)
    assert perplexity_latex(1e6).endswith(r"= \infty")
