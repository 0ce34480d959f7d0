"""trace() against independent truth: torch's own nn.LSTM/GRU/RNN outputs, the gate formulas by hand in numpy,
the models' own logits; and the figures and HTML built from a trace."""
import itertools
import json

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from rnnviz import inspect_plots as ip
from rnnviz.checkpoint import load_checkpoint, shipped_checkpoints
from rnnviz.data import Vocab
from rnnviz.inspect import GATE_NAMES, MAX_TRACE_CHARS, Trace, input_gradients, trace, trace_layers
from rnnviz.models import ModelConfig, build_model

VOCAB = Vocab(list("the time traveller was expounding a recondite matter to us"))
TEXT = "the time traveller"
ATOL = 1e-5


def _np(t):
    return t.detach().numpy().astype(np.float64)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _randomize(module, scale=0.7, seed=0):
    """Weights larger than the default init, so gates spread over their whole range."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
    return module


def _raw(cls, layers, bias, bidirectional=False, n_in=5, H=6, seed=0):
    torch.manual_seed(seed)
    return _randomize(cls(n_in, H, num_layers=layers, bias=bias, bidirectional=bidirectional), seed=seed).eval()


def _first_layers(rnn, n):
    """A fresh module of the same kind holding only the first n layers of ``rnn``: its output is the full H_t
    sequence of layer n-1, straight from torch."""
    kw = dict(num_layers=n, bias=rnn.bias, bidirectional=rnn.bidirectional)
    if isinstance(rnn, nn.RNN):
        kw["nonlinearity"] = rnn.nonlinearity
    sub = type(rnn)(rnn.input_size, rnn.hidden_size, **kw)
    keep = {k: v for k, v in rnn.state_dict().items() if int(k.split("_l")[1].split("_")[0]) < n}
    sub.load_state_dict(keep, strict=True)
    return sub.eval()


# ---------------------------------------------------------------- against torch's modules


@pytest.mark.parametrize("cls,layers,bias", itertools.product([nn.LSTM, nn.GRU, nn.RNN], [1, 2, 3], [True, False]))
def test_every_layer_equals_the_module(cls, layers, bias):
    rnn = _raw(cls, layers, bias)
    x = torch.randn(7, rnn.input_size, generator=torch.Generator().manual_seed(1))
    hidden, cells, _ = trace_layers(rnn, x)
    with torch.no_grad():
        out, state = rnn(x[:, None])
        h_n, c_n = state if cls is nn.LSTM else (state, None)
        torch.testing.assert_close(hidden[-1], out[:, 0], atol=ATOL, rtol=ATOL)
        for l in range(layers):
            sub_out, _ = _first_layers(rnn, l + 1)(x[:, None])
            torch.testing.assert_close(hidden[l], sub_out[:, 0], atol=ATOL, rtol=ATOL)
            torch.testing.assert_close(hidden[l][-1], h_n[l, 0], atol=ATOL, rtol=ATOL)
            if cls is nn.LSTM:
                torch.testing.assert_close(cells[l][-1], c_n[l, 0], atol=ATOL, rtol=ATOL)
            else:
                assert cells[l] is None


@pytest.mark.parametrize("layers,bias", [(1, True), (2, False), (3, True)])
def test_lstm_cell_at_every_step_equals_the_module_run_on_the_prefix(layers, bias):
    rnn = _raw(nn.LSTM, layers, bias)
    x = torch.randn(6, rnn.input_size, generator=torch.Generator().manual_seed(2))
    _, cells, _ = trace_layers(rnn, x)
    with torch.no_grad():
        for t in range(len(x)):
            _, (_, c_n) = rnn(x[: t + 1, None])
            for l in range(layers):
                torch.testing.assert_close(cells[l][t], c_n[l, 0], atol=ATOL, rtol=ATOL)


def _lstm_by_hand(w, x):
    """One LSTM layer step by step in float64, blocks named as in torch's docs (W_ii|W_if|W_ig|W_io)."""
    H = w["w_hh"].shape[1]
    W_ii, W_if, W_ig, W_io = np.split(w["w_ih"], 4)
    W_hi, W_hf, W_hg, W_ho = np.split(w["w_hh"], 4)
    b_ii, b_if, b_ig, b_io = np.split(w["b_ih"], 4)
    b_hi, b_hf, b_hg, b_ho = np.split(w["b_hh"], 4)
    h, c = np.zeros(H), np.zeros(H)
    rec = {k: [] for k in ("input", "forget", "candidate", "output", "cell", "hidden")}
    for x_t in x:
        i = _sigmoid(W_ii @ x_t + b_ii + W_hi @ h + b_hi)
        f = _sigmoid(W_if @ x_t + b_if + W_hf @ h + b_hf)
        g = np.tanh(W_ig @ x_t + b_ig + W_hg @ h + b_hg)
        o = _sigmoid(W_io @ x_t + b_io + W_ho @ h + b_ho)
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip(rec, (i, f, g, o, c, h)):
            rec[k].append(v)
    return {k: np.stack(v) for k, v in rec.items()}


def _gru_by_hand(w, x):
    """One GRU layer step by step: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h = (1 - z) n + z h."""
    H = w["w_hh"].shape[1]
    W_ir, W_iz, W_in = np.split(w["w_ih"], 3)
    W_hr, W_hz, W_hn = np.split(w["w_hh"], 3)
    b_ir, b_iz, b_in = np.split(w["b_ih"], 3)
    b_hr, b_hz, b_hn = np.split(w["b_hh"], 3)
    h = np.zeros(H)
    rec = {k: [] for k in ("reset", "update", "candidate", "hidden")}
    for x_t in x:
        r = _sigmoid(W_ir @ x_t + b_ir + W_hr @ h + b_hr)
        z = _sigmoid(W_iz @ x_t + b_iz + W_hz @ h + b_hz)
        n = np.tanh(W_in @ x_t + b_in + r * (W_hn @ h + b_hn))
        h = (1 - z) * n + z * h
        for k, v in zip(rec, (r, z, n, h)):
            rec[k].append(v)
    return {k: np.stack(v) for k, v in rec.items()}


def _layer_weights_np(rnn, l):
    G = rnn.weight_ih_l0.shape[0]
    zeros = np.zeros(G)
    return {"w_ih": _np(getattr(rnn, f"weight_ih_l{l}")), "w_hh": _np(getattr(rnn, f"weight_hh_l{l}")),
            "b_ih": _np(rnn.get_parameter(f"bias_ih_l{l}")) if rnn.bias else zeros,
            "b_hh": _np(rnn.get_parameter(f"bias_hh_l{l}")) if rnn.bias else zeros}


@pytest.mark.parametrize("cls,by_hand", [(nn.LSTM, _lstm_by_hand), (nn.GRU, _gru_by_hand)])
@pytest.mark.parametrize("bias", [True, False])
def test_gates_equal_the_formulas_by_hand_in_every_layer(cls, by_hand, bias):
    rnn = _raw(cls, 2, bias)
    x = torch.randn(6, rnn.input_size, generator=torch.Generator().manual_seed(3))
    hidden, cells, gates = trace_layers(rnn, x)
    inp = _np(x)
    for l in range(2):
        ref = by_hand(_layer_weights_np(rnn, l), inp)
        np.testing.assert_allclose(_np(hidden[l]), ref["hidden"], atol=ATOL)
        for name, values in gates[l].items():
            np.testing.assert_allclose(_np(values), ref[name], atol=ATOL, err_msg=name)
        if cls is nn.LSTM:
            np.testing.assert_allclose(_np(cells[l]), ref["cell"], atol=ATOL)
        inp = ref["hidden"]


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_preactivation_is_the_formula_and_phi_of_it_is_h(nonlinearity):
    torch.manual_seed(0)
    rnn = _randomize(nn.RNN(5, 6, num_layers=2, nonlinearity=nonlinearity)).eval()
    x = torch.randn(6, 5)
    hidden, _, gates = trace_layers(rnn, x)
    phi = torch.tanh if nonlinearity == "tanh" else torch.relu
    inp = x
    for l in range(2):
        h_prev = torch.cat([torch.zeros(1, 6), hidden[l][:-1]])
        expected = (inp @ getattr(rnn, f"weight_ih_l{l}").T + getattr(rnn, f"bias_ih_l{l}")
                    + h_prev @ getattr(rnn, f"weight_hh_l{l}").T + getattr(rnn, f"bias_hh_l{l}"))
        torch.testing.assert_close(gates[l]["preactivation"], expected, atol=ATOL, rtol=ATOL)
        torch.testing.assert_close(phi(gates[l]["preactivation"]), hidden[l], atol=ATOL, rtol=ATOL)
        inp = hidden[l]


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_bidirectional_layers_equal_the_module_both_directions(cls):
    rnn = _raw(cls, 2, True, bidirectional=True)
    x = torch.randn(6, rnn.input_size, generator=torch.Generator().manual_seed(4))
    hidden, cells, gates = trace_layers(rnn, x)
    H = rnn.hidden_size
    with torch.no_grad():
        out, state = rnn(x[:, None])
        h_n, c_n = state if cls is nn.LSTM else (state, None)
        torch.testing.assert_close(hidden[-1], out[:, 0], atol=ATOL, rtol=ATOL)
        for l in range(2):
            assert hidden[l].shape == (6, 2 * H)
            assert all(g.shape == (6, 2 * H) for g in gates[l].values())
            torch.testing.assert_close(hidden[l], _first_layers(rnn, l + 1)(x[:, None])[0][:, 0], atol=ATOL, rtol=ATOL)
            torch.testing.assert_close(hidden[l][-1, :H], h_n[2 * l, 0], atol=ATOL, rtol=ATOL)  # forward ends at T-1
            torch.testing.assert_close(hidden[l][0, H:], h_n[2 * l + 1, 0], atol=ATOL, rtol=ATOL)  # backward at 0
            if cls is nn.LSTM:
                torch.testing.assert_close(cells[l][-1, :H], c_n[2 * l, 0], atol=ATOL, rtol=ATOL)
                torch.testing.assert_close(cells[l][0, H:], c_n[2 * l + 1, 0], atol=ATOL, rtol=ATOL)
                torch.testing.assert_close(gates[l]["output"] * torch.tanh(cells[l]), hidden[l], atol=ATOL, rtol=ATOL)


def test_lstm_with_projection_is_refused_with_a_message():
    with pytest.raises(ValueError, match="proj_size"):
        trace_layers(nn.LSTM(5, 6, proj_size=3), torch.randn(4, 5))


# ---------------------------------------------------------------- whole models


def _model(kind, seed=0, scale=0.7, **kw):
    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, vocab_size=len(VOCAB), hidden_size=8, **kw)
    return _randomize(build_model(cfg), scale=scale, seed=seed).eval()


MODELS = [("scratch", {}), ("scratch", {"num_layers": 2, "nonlinearity": "relu", "scale": 0.3}),
          ("rnn", {"num_layers": 2}), ("gru", {"num_layers": 2}), ("lstm", {}),
          ("lstm", {"num_layers": 2, "embedding_dim": 4}), ("lstm", {"bidirectional": True}),
          ("gru", {"bidirectional": True, "num_layers": 2})]


@pytest.mark.parametrize("kind,kw", MODELS)
def test_trace_shapes_and_probs_equal_the_models_own_softmax(kind, kw):
    model = _model(kind, **kw)
    tr = trace(model, VOCAB, TEXT)
    cfg = model.config
    L, T, U = cfg.num_layers, len(TEXT), cfg.hidden_size * cfg.directions
    assert tr.hidden.shape == (L, T, U) and tr.probs.shape == (T, len(VOCAB)) and tr.ids.shape == (T,)
    assert set(tr.gates) == set(GATE_NAMES[kind]) and all(g.shape == (L, T, U) for g in tr.gates.values())
    assert (tr.cell is not None) == (kind == "lstm")
    for t in [tr.hidden, tr.probs, *tr.gates.values()]:
        assert t.dtype == torch.float32 and t.device.type == "cpu" and not t.requires_grad
    assert tr.tokens == list(TEXT) and tr.layer_names == [f"layer {i + 1}" for i in range(L)]
    with torch.no_grad():
        logits, _ = model(torch.tensor([VOCAB[list(TEXT)]]))
    torch.testing.assert_close(tr.probs, F.softmax(logits[0], -1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("layers,phi", [(1, "tanh"), (2, "tanh"), (2, "relu")])
def test_scratch_trace_equals_the_lecture_formula(layers, phi):
    # ReLU layers grow without bound under large weights, and float32 then drifts from float64
    model = _model("scratch", num_layers=layers, nonlinearity=phi, scale=0.7 if phi == "tanh" else 0.3)
    tr = trace(model, VOCAB, TEXT)
    act = np.tanh if phi == "tanh" else (lambda z: np.maximum(z, 0))
    inp = np.eye(len(VOCAB))[VOCAB[list(TEXT)]]
    for l in range(layers):
        W_xh, W_hh, b_h = _np(model.W_xh[l]), _np(model.W_hh[l]), _np(model.b_h[l])
        h, hs, pre = np.zeros(8), [], []
        for x_t in inp:
            z = x_t @ W_xh + h @ W_hh + b_h
            h = act(z)
            pre.append(z)
            hs.append(h)
        np.testing.assert_allclose(_np(tr.gates["preactivation"][l]), np.stack(pre), atol=ATOL, rtol=ATOL)
        np.testing.assert_allclose(_np(tr.hidden[l]), np.stack(hs), atol=ATOL, rtol=ATOL)
        inp = np.stack(hs)


def test_dropout_is_never_applied_in_a_trace():
    model = _model("lstm", num_layers=2, dropout=0.5).train()
    a = trace(model, VOCAB, TEXT)
    b = trace(model.eval(), VOCAB, TEXT)
    torch.testing.assert_close(a.hidden, b.hidden)
    with torch.no_grad():
        out, _ = model.rnn(model.embed(a.ids[None]))
    torch.testing.assert_close(a.hidden[-1], out[:, 0], atol=ATOL, rtol=ATOL)


def test_unknown_characters_are_reported_and_fed_as_unk():
    tr = trace(_model("gru"), VOCAB, "the Time!")
    assert tr.unknown == [(4, "T"), (8, "!")]
    assert tr.ids[4] == VOCAB.unk and tr.ids[8] == VOCAB.unk and tr.tokens[4] == "T"


@pytest.mark.parametrize("text,message", [("", "no text"), ("a" * (MAX_TRACE_CHARS + 1), "limited")])
def test_impossible_texts_are_refused_with_a_message(text, message):
    with pytest.raises(ValueError, match=message):
        trace(_model("lstm"), VOCAB, text)


def test_a_trace_too_large_to_hold_is_refused_before_computing(monkeypatch):
    monkeypatch.setattr("rnnviz.inspect.MAX_TRACE_VALUES", 1000)  # hidden 8, 6 quantities: 48 values a character
    with pytest.raises(ValueError, match="at most 20 characters"):
        trace(_model("lstm"), VOCAB, "a" * 21)
    assert trace(_model("lstm"), VOCAB, "a" * 20).num_steps == 20


def test_a_vocabulary_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="vocabulary"):
        trace(_model("lstm"), Vocab(list("abc")), "abc")


def test_top_k_lists_the_most_likely_next_characters():
    tr = trace(_model("lstm"), VOCAB, TEXT)
    top = tr.top_k(3, k=5)
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    best = int(tr.probs[3].argmax())
    assert top[0] == (VOCAB.idx_to_token[best], pytest.approx(float(tr.probs[3, best])))
    expected = -torch.log(tr.probs[torch.arange(len(TEXT) - 1), tr.ids[1:]])
    torch.testing.assert_close(tr.surprisal(), expected, atol=1e-5, rtol=1e-5)


def _tiny_trace(forget, kind="lstm"):
    """A hand-made trace: one layer, T steps, the given forget-gate values (T, U)."""
    T, U = forget.shape
    z = torch.zeros(1, T, U)
    names = GATE_NAMES[kind]
    gates = {n: (forget[None] if n == "forget" else z + 0.5) for n in names}
    return Trace(kind=kind, text="a" * T, tokens=["a"] * T, ids=torch.ones(T, dtype=torch.long), unknown=[],
                 hidden=torch.tensor([[[0.0, 1.0]] * T]) * torch.arange(T)[None, :, None] / T,
                 cell=z if kind == "lstm" else None, gates=gates, probs=torch.full((T, 2), 0.5),
                 vocab_tokens=["<unk>", "a"], layer_names=["layer 1"], hidden_size=U)


def test_saturation_counts_steps_near_the_gate_limits():
    forget = torch.tensor([[0.01, 0.5], [0.99, 0.5], [0.5, 0.97], [0.5, 0.5]])  # (T=4, U=2)
    tr = _tiny_trace(forget)
    torch.testing.assert_close(tr.saturation("forget", 0), torch.tensor([0.5, 0.25]))
    torch.testing.assert_close(tr.saturation("forget", 0, eps=0.02), torch.tensor([0.5, 0.0]))
    torch.testing.assert_close(tr.saturation("candidate", 0), torch.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match="unbounded"):
        tr.saturation("cell", 0)
    with pytest.raises(ValueError, match="no 'reset'"):
        tr.values("reset", 0)
    with pytest.raises(IndexError, match="1 layer"):
        tr.values("hidden", 1)


def test_units_are_ordered_by_variance_or_index():
    tr = _tiny_trace(torch.full((4, 2), 0.5))  # unit 1 moves, unit 0 is constant
    assert tr.unit_order(0, "variance").tolist() == [1, 0]
    assert tr.unit_order(0, "index").tolist() == [0, 1]
    torch.testing.assert_close(tr.unit_variance(0), tr.hidden[0].var(0, unbiased=False))
    with pytest.raises(ValueError, match="order"):
        tr.unit_order(0, "alphabetical")


@pytest.mark.parametrize("kind,kw", [("lstm", {"num_layers": 2}), ("scratch", {}), ("gru", {"embedding_dim": 3})])
def test_input_gradients_equal_autograd_through_the_model(kind, kw):
    model = _model(kind, **kw)
    g = input_gradients(model, VOCAB, TEXT, target_pos=-3)
    T, pos = len(TEXT), len(TEXT) - 3
    ids = torch.tensor([VOCAB[list(TEXT)]])
    if kind == "scratch":  # the model builds its one-hot inputs itself: differentiate through the formula
        x = F.one_hot(ids[0], len(VOCAB)).float().requires_grad_(True)
        h_in = x
        for l in range(model.config.num_layers):
            h, hs = torch.zeros(8), []
            for x_t in h_in:
                h = torch.tanh(x_t @ model.W_xh[l] + h @ model.W_hh[l] + model.b_h[l])
                hs.append(h)
            h_in = torch.stack(hs)
        logits = h_in @ model.W_hq + model.b_q
    else:
        x = model.embed(ids).detach().requires_grad_(True)  # (T, 1, in)
        out, _ = model.rnn(x)
        logits = model.head(out)[:, 0]
    (grad,) = torch.autograd.grad(F.log_softmax(logits[pos - 1], -1)[ids[0, pos]], x)
    torch.testing.assert_close(g, grad.reshape(T, -1).norm(dim=1), atol=1e-5, rtol=1e-4)
    assert (g[pos:] == 0).all() and (g[:pos] > 0).all()
    assert all(p.grad is None for p in model.parameters())


def test_input_gradients_of_a_bidirectional_model_reach_the_answer_itself():
    g = input_gradients(_model("lstm", bidirectional=True), VOCAB, TEXT, target_pos=5)
    assert g[5] > 0  # the backward direction has read the character it is asked to predict
    with pytest.raises(ValueError, match="first character"):
        input_gradients(_model("lstm"), VOCAB, TEXT, target_pos=0)


# ---------------------------------------------------------------- shipped checkpoints


def _sentence(vocab):
    text = ("The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite matter "
            "to us.\nHis grey eyes shone and twinkled, and his usually pale face was flushed and animated. ")
    known = text if "T" in vocab.token_to_idx else text.lower()
    return "".join(ch for ch in known if ch in vocab.token_to_idx)


@pytest.mark.parametrize("name", ["scratch-rnn", "gru", "lstm", "lstm-2layer", "lstm-raw"])
def test_shipped_checkpoints_trace_equal_to_their_modules(name):
    path = shipped_checkpoints().get(name)
    if path is None:
        pytest.skip(f"checkpoints/{name}.pt is not there")
    ckpt = load_checkpoint(path)
    model, text = ckpt.model, _sentence(ckpt.vocab)
    tr = trace(model, ckpt.vocab, text)
    assert not tr.unknown
    X = torch.tensor([ckpt.vocab[list(text)]])
    with torch.no_grad():
        logits, state = model(X)
    torch.testing.assert_close(tr.probs, F.softmax(logits[0], -1), atol=1e-5, rtol=1e-4)
    h_n, c_n = state if tr.kind == "lstm" else (state, None)
    for l in range(tr.num_layers):
        torch.testing.assert_close(tr.hidden[l, -1], h_n[l, 0], atol=ATOL, rtol=ATOL)
        if c_n is not None:
            torch.testing.assert_close(tr.cell[l, -1], c_n[l, 0], atol=ATOL, rtol=ATOL)
            torch.testing.assert_close(tr.gates["output"][l] * torch.tanh(tr.cell[l]), tr.hidden[l],
                                       atol=ATOL, rtol=ATOL)
    if tr.kind != "scratch":
        with torch.no_grad():
            for l in range(tr.num_layers):
                out, _ = _first_layers(model.rnn, l + 1)(model.embed(X))
                torch.testing.assert_close(tr.hidden[l], out[:, 0], atol=ATOL, rtol=ATOL)


# ---------------------------------------------------------------- figures and HTML


@pytest.fixture(scope="module")
def lstm_trace():
    return trace(_model("lstm", num_layers=2), VOCAB, "a matter\nto us")


def _spec(fig):
    return json.loads(fig.to_json())


def test_hidden_heatmap_has_titles_readable_characters_and_a_centred_scale(lstm_trace):
    spec = _spec(ip.hidden_heatmap(lstm_trace, layer=1, units=5))
    layout, hm = spec["layout"], spec["data"][0]
    assert "hidden state" in layout["title"]["text"] and "layer 2" in layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    assert hm["colorbar"]["title"]["text"]
    assert layout["xaxis"]["ticktext"] == ["a", "␣", "m", "a", "t", "t", "e", "r", "⏎", "t", "o", "␣", "u", "s"]
    assert (hm["zmin"], hm["zmax"], hm["zmid"]) == (-1, 1, 0)
    assert len(hm["z"]) == 5 and len(hm["z"][0]) == len("a matter\nto us")
    var = lstm_trace.unit_variance(1)
    shown = [int(y.split()[1]) for y in hm["y"]]
    assert shown == torch.argsort(var, descending=True, stable=True)[:5].tolist()


def test_gate_heatmap_uses_zero_to_one_and_exact_units(lstm_trace):
    spec = _spec(ip.gate_heatmap(lstm_trace, "forget", layer=0, units=[3, 1]))
    hm = spec["data"][0]
    assert "forget gate" in spec["layout"]["title"]["text"] and spec["layout"]["yaxis"]["title"]["text"]
    assert (hm["zmin"], hm["zmax"]) == (0, 1) and hm["y"] == ["unit 3", "unit 1"]
    np.testing.assert_allclose(hm["z"][0], lstm_trace.gates["forget"][0, :, 3].numpy(), rtol=1e-6)
    cell = _spec(ip.gate_heatmap(lstm_trace, "cell", units=2))["data"][0]
    assert cell["zmid"] == 0 and cell["zmin"] == -cell["zmax"]
    with pytest.raises(ValueError, match="no unit 99"):
        ip.gate_heatmap(lstm_trace, "forget", units=[99])


def test_bidirectional_units_are_labelled_by_direction():
    tr = trace(_model("gru", bidirectional=True), VOCAB, TEXT)
    hm = _spec(ip.hidden_heatmap(tr, units=[0, 8], order="index"))["data"][0]
    assert hm["y"] == ["unit →0", "unit ←0"]


def test_unit_lines_show_every_quantity_of_one_unit(lstm_trace):
    spec = _spec(ip.unit_lines(lstm_trace, layer=1, unit=4))
    names = [d["name"] for d in spec["data"]]
    assert names == ["hidden state", "cell", "input gate", "forget gate", "output gate", "candidate"]
    np.testing.assert_allclose(spec["data"][3]["y"], lstm_trace.gates["forget"][1, :, 4].numpy(), rtol=1e-6)
    assert spec["data"][1]["yaxis"] == "y2" and spec["layout"]["yaxis2"]["title"]["text"]
    assert spec["layout"]["title"]["text"] and spec["layout"]["xaxis"]["title"]["text"]
    assert spec["layout"]["yaxis"]["title"]["text"]


def test_saturation_histogram_has_one_series_per_gate_and_titles(lstm_trace):
    spec = _spec(ip.saturation_histogram(lstm_trace, layer=0))
    assert [d["name"] for d in spec["data"]] == ["input gate", "forget gate", "output gate", "candidate"]
    assert spec["layout"]["title"]["text"] and spec["layout"]["xaxis"]["title"]["text"]
    assert spec["layout"]["yaxis"]["title"]["text"]
    np.testing.assert_allclose(spec["data"][1]["x"], lstm_trace.saturation("forget", 0).numpy())
    rnn = trace(_model("rnn"), VOCAB, TEXT)
    assert [d["name"] for d in _spec(ip.saturation_histogram(rnn))["data"]] == ["hidden state"]
    with pytest.raises(ValueError, match="bounded"):
        ip.saturation_histogram(trace(_model("scratch", nonlinearity="relu"), VOCAB, TEXT))


def test_unit_text_html_escapes_the_text_and_carries_top5_tooltips():
    vocab = Vocab(list("<script>alert('x')</script> & \"quoted\""))
    torch.manual_seed(0)
    model = _randomize(build_model(ModelConfig(kind="lstm", vocab_size=len(vocab), hidden_size=4))).eval()
    text = "<script>alert('x')</script>&\""
    tr = trace(model, vocab, text)
    out = ip.unit_text_html(tr, layer=0, unit=2)
    assert "<script>" not in out and "</script>" not in out
    assert "&lt;" in out and "&gt;" in out and "&amp;" in out and "&quot;" in out
    assert out.count("<span ") == len(text) and out.count("title=") == len(text)
    rows = ip.unit_text_colors(tr, 0, 2)
    assert [ch for ch, _, _ in rows] == list(text)
    assert rows[0][1] == pytest.approx(float(tr.hidden[0, 0, 2]))
    assert rows[0][2].startswith(ip.shown_char(tr.top_k(0, 1)[0][0]))


def test_unit_text_html_marks_newlines_and_colors_by_sign():
    tr = trace(_model("lstm"), VOCAB, "a\nb")
    out = ip.unit_text_html(tr, 0, 0)
    assert "⏎</span><br>" in out
    v = float(tr.hidden[0, 0, 0])
    first = out.split("<span ")[1]
    assert ("214,39,40" if v >= 0 else "31,119,180") in first
