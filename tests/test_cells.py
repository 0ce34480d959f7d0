"""The cell variants of rnnviz.cells against independent truth: one step worked by hand, torch's own nn.LSTM / nn.GRU
where the variant reduces to them, the trace against the module's outputs, and the engine end to end (training,
checkpoints, generation, the command line)."""
import math

import pytest
import torch
from torch import nn

from rnnviz.__main__ import main
from rnnviz.cells import MinimalGRUCell, PeepholeLSTMCell, StackedCells
from rnnviz.checkpoint import checkpoint_bytes, load_checkpoint, save_checkpoint
from rnnviz.data import Vocab
from rnnviz.generate import generate
from rnnviz.inspect import trace
from rnnviz.models import KIND_NAMES, KINDS, CellLM, ModelConfig, build_model, count_parameters, detach_state
from rnnviz.train import TrainConfig, fit

CELL_KINDS = ["gru-min", "lstm-peephole"]
TOL = 1e-6
TEXT = "hello world, hello rnn. " * 20

# One step of a 2-input, 2-unit cell: X_t = [1, -2], H_{t-1} = [0.3, -0.4], C_{t-1} = [0.5, -0.25].
X_T, H_PREV, C_PREV = [1.0, -2.0], [0.3, -0.4], [0.5, -0.25]


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def affine(x, W, h, U, b, j):
    """(X_t W + H_{t-1} U + b)_j with plain Python: row vector times column j."""
    return sum(x[k] * W[k][j] for k in range(len(x))) + sum(h[k] * U[k][j] for k in range(len(h))) + b[j]


def _set(cell: nn.Module, values: dict) -> None:
    with torch.no_grad():
        for name, v in values.items():
            getattr(cell, name).copy_(torch.tensor(v))


def _step(cell, state):
    x = torch.tensor([X_T])[None]  # (T=1, B=1, in=2)
    with torch.no_grad():
        return cell(x, state)


# ---------------------------------------------------------------- one step by hand


GRU_MIN = dict(W_xz=[[0.5, -0.3], [0.2, 0.8]], W_hz=[[0.1, 0.4], [-0.6, 0.2]], b_z=[0.05, -0.1],
               W_xh=[[-0.7, 0.3], [0.9, -0.2]], W_hh=[[0.3, -0.5], [0.25, 0.6]], b_h=[0.1, 0.2])


def test_minimal_gru_step_by_hand():
    cell = MinimalGRUCell(2, 2)
    _set(cell, GRU_MIN)
    out, h = _step(cell, torch.tensor([H_PREV]))
    w = GRU_MIN
    # unit 0 written out: Z = σ(1·0.5 − 2·0.2 + 0.3·0.1 − 0.4·(−0.6) + 0.05) = σ(0.42)
    #                     H̃ = tanh(1·(−0.7) − 2·0.9 + 0.3·0.3 − 0.4·0.25 + 0.1) = tanh(−2.41)
    z0, n0 = sigmoid(0.42), math.tanh(-2.41)
    assert affine(X_T, w["W_xz"], H_PREV, w["W_hz"], w["b_z"], 0) == pytest.approx(0.42)
    assert affine(X_T, w["W_xh"], H_PREV, w["W_hh"], w["b_h"], 0) == pytest.approx(-2.41)
    expected = []
    for j in range(2):
        z = sigmoid(affine(X_T, w["W_xz"], H_PREV, w["W_hz"], w["b_z"], j))
        n = math.tanh(affine(X_T, w["W_xh"], H_PREV, w["W_hh"], w["b_h"], j))
        expected.append(z * H_PREV[j] + (1 - z) * n)  # H_t = Z_t ⊙ H_{t-1} + (1 − Z_t) ⊙ H̃_t
    assert expected[0] == pytest.approx(z0 * 0.3 + (1 - z0) * n0)
    assert expected == pytest.approx([-0.209125734891151, 0.36253563367723396], abs=1e-12)
    assert out[0, 0].tolist() == pytest.approx(expected, abs=TOL)
    assert h[0].tolist() == pytest.approx(expected, abs=TOL)


def test_minimal_gru_is_the_course_formula_with_gamma_u_one_minus_z():
    """Ng's c⟨t⟩ = Γ_u ∗ c̃⟨t⟩ + (1 − Γ_u) ∗ c⟨t−1⟩ with Γ_u = σ(W_u[c⟨t−1⟩, x⟨t⟩] + b_u): the same cell with
    W_u = −[W_hz; W_xz]ᵀ, b_u = −b_z, since σ(−a) = 1 − σ(a)."""
    cell = MinimalGRUCell(2, 2)
    _set(cell, GRU_MIN)
    out, _ = _step(cell, torch.tensor([H_PREV]))
    w = GRU_MIN
    concat = H_PREV + X_T  # [c⟨t−1⟩, x⟨t⟩]
    expected = []
    for j in range(2):
        W_u = [-w["W_hz"][0][j], -w["W_hz"][1][j], -w["W_xz"][0][j], -w["W_xz"][1][j]]
        W_c = [w["W_hh"][0][j], w["W_hh"][1][j], w["W_xh"][0][j], w["W_xh"][1][j]]
        gamma_u = sigmoid(sum(a * b for a, b in zip(W_u, concat)) - w["b_z"][j])
        c_tilde = math.tanh(sum(a * b for a, b in zip(W_c, concat)) + w["b_h"][j])
        expected.append(gamma_u * c_tilde + (1 - gamma_u) * H_PREV[j])
    assert out[0, 0].tolist() == pytest.approx(expected, abs=TOL)


PEEPHOLE = dict(
    W_xi=[[0.2, -0.1], [0.4, 0.3]], W_hi=[[0.5, 0.1], [-0.2, 0.3]], b_i=[0.1, -0.05], w_ci=[0.6, -0.4],
    W_xf=[[-0.3, 0.2], [0.1, 0.5]], W_hf=[[0.2, -0.4], [0.3, 0.1]], b_f=[0.5, 0.4], w_cf=[0.3, 0.7],
    W_xo=[[0.6, -0.5], [-0.2, 0.1]], W_ho=[[-0.1, 0.2], [0.4, -0.3]], b_o=[0.0, 0.2], w_co=[-0.5, 0.8],
    W_xc=[[0.7, 0.2], [-0.4, 0.6]], W_hc=[[0.3, -0.2], [0.1, 0.4]], b_c=[-0.1, 0.05],
)


def test_peephole_lstm_step_by_hand():
    cell = PeepholeLSTMCell(2, 2)
    _set(cell, PEEPHOLE)
    out, (h, c) = _step(cell, (torch.tensor([H_PREV]), torch.tensor([C_PREV])))
    w = PEEPHOLE
    exp_h, exp_c = [], []
    for j in range(2):
        def gate(g):
            return affine(X_T, w[f"W_x{g}"], H_PREV, w[f"W_h{g}"], w[f"b_{g}"], j)
        i = sigmoid(gate("i") + w["w_ci"][j] * C_PREV[j])  # the input gate peeks at C_{t-1}
        f = sigmoid(gate("f") + w["w_cf"][j] * C_PREV[j])  # so does the forget gate
        c_tilde = math.tanh(gate("c"))
        c_new = f * C_PREV[j] + i * c_tilde
        o = sigmoid(gate("o") + w["w_co"][j] * c_new)  # the output gate peeks at the NEW cell
        exp_c.append(c_new)
        exp_h.append(o * math.tanh(c_new))
    # unit 0 written out: a_i = 1·0.2 − 2·0.4 + 0.3·0.5 − 0.4·(−0.2) + 0.1 = −0.27, I = σ(−0.27 + 0.6·0.5) = σ(0.03)
    assert affine(X_T, w["W_xi"], H_PREV, w["W_hi"], w["b_i"], 0) == pytest.approx(-0.27)
    assert exp_h == pytest.approx([0.3754247855356646, -0.11850025824960221], abs=1e-12)
    assert exp_c == pytest.approx([0.7158060420894048, -0.34726794467605226], abs=1e-12)
    assert out[0, 0].tolist() == pytest.approx(exp_h, abs=TOL)
    assert h[0].tolist() == pytest.approx(exp_h, abs=TOL) and c[0].tolist() == pytest.approx(exp_c, abs=TOL)


def test_peephole_output_gate_reads_the_new_cell_not_the_old():
    cell = PeepholeLSTMCell(2, 2)
    _set(cell, PEEPHOLE)
    moved = dict(PEEPHOLE, w_co=[0.0, 0.0])
    other = PeepholeLSTMCell(2, 2)
    _set(other, moved)
    state = (torch.tensor([H_PREV]), torch.tensor([C_PREV]))
    (out, (_, c)), (out0, (_, c0)) = _step(cell, state), _step(other, state)
    assert torch.equal(c, c0)  # w_co does not touch the cell
    o = out / torch.tanh(c)
    o0 = out0 / torch.tanh(c0)
    logit_shift = torch.logit(o) - torch.logit(o0)  # = w_co ⊙ C_t
    torch.testing.assert_close(logit_shift[0, 0], torch.tensor(PEEPHOLE["w_co"]) * c[0], atol=1e-5, rtol=0)


# ---------------------------------------------------------------- stacking like nn.LSTM / nn.GRU


def _peephole_into_lstm(stack: StackedCells, lstm: nn.LSTM) -> None:
    """Copy the peephole LSTM's weights into nn.LSTM (blocks i, f, g, o; one bias) and zero its peepholes."""
    with torch.no_grad():
        for layer in range(stack.num_layers):
            for d in range(stack.directions):
                cell = stack.cell(layer, d)
                sfx = f"l{layer}{'_reverse' if d else ''}"
                getattr(lstm, f"weight_ih_{sfx}").copy_(torch.cat([cell.W_xi, cell.W_xf, cell.W_xc, cell.W_xo], 1).T)
                getattr(lstm, f"weight_hh_{sfx}").copy_(torch.cat([cell.W_hi, cell.W_hf, cell.W_hc, cell.W_ho], 1).T)
                getattr(lstm, f"bias_ih_{sfx}").copy_(torch.cat([cell.b_i, cell.b_f, cell.b_c, cell.b_o]))
                getattr(lstm, f"bias_hh_{sfx}").zero_()
                for w in (cell.w_ci, cell.w_cf, cell.w_co):
                    w.zero_()


def _minimal_into_gru(stack: StackedCells, gru: nn.GRU) -> None:
    """Copy the minimal GRU into nn.GRU (blocks r, z, n) with its reset gate held open: R_t = σ(30) = 1."""
    with torch.no_grad():
        for layer in range(stack.num_layers):
            for d in range(stack.directions):
                cell = stack.cell(layer, d)
                sfx = f"l{layer}{'_reverse' if d else ''}"
                getattr(gru, f"weight_ih_{sfx}").copy_(torch.cat([torch.zeros_like(cell.W_xz), cell.W_xz, cell.W_xh],
                                                                 1).T)
                getattr(gru, f"weight_hh_{sfx}").copy_(torch.cat([torch.zeros_like(cell.W_hz), cell.W_hz, cell.W_hh],
                                                                 1).T)
                getattr(gru, f"bias_ih_{sfx}").copy_(torch.cat([torch.full_like(cell.b_z, 30.0), cell.b_z, cell.b_h]))
                getattr(gru, f"bias_hh_{sfx}").zero_()


@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (2, True)])
@pytest.mark.parametrize("kind", CELL_KINDS)
def test_stacked_cells_match_torch_where_the_variant_reduces_to_it(kind, layers, bidirectional):
    """Without peepholes the peephole LSTM is nn.LSTM; with the reset gate open the minimal GRU is nn.GRU: the same
    outputs and states, so layers and directions are stacked and laid out exactly as PyTorch does."""
    torch.manual_seed(0)
    stack = StackedCells(kind, 3, 4, num_layers=layers, bidirectional=bidirectional)
    ref = (nn.LSTM if kind == "lstm-peephole" else nn.GRU)(3, 4, num_layers=layers, bidirectional=bidirectional)
    (_peephole_into_lstm if kind == "lstm-peephole" else _minimal_into_gru)(stack, ref)
    x = torch.randn(6, 2, 3)
    shape = (layers * (2 if bidirectional else 1), 2, 4)
    state = (torch.randn(shape), torch.randn(shape)) if kind == "lstm-peephole" else torch.randn(shape)
    with torch.no_grad():
        out, new = stack(x, state)
        ref_out, ref_new = ref(x, state)
    torch.testing.assert_close(out, ref_out, atol=1e-6, rtol=0)
    for a, b in zip(*(s if isinstance(s, tuple) else (s,) for s in (new, ref_new))):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_state_carries_over_between_calls_and_dropout_only_in_training(kind):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, vocab_size=7, hidden_size=5, num_layers=2, dropout=0.5)).eval()
    X = torch.randint(0, 7, (3, 8))
    whole, s_whole = model(X)
    first, s = model(X[:, :5])
    rest, s_rest = model(X[:, 5:], detach_state(s))  # truncated BPTT: the state continues
    torch.testing.assert_close(torch.cat([first, rest], 1), whole)
    for a, b in zip(*(x if isinstance(x, tuple) else (x,) for x in (s_rest, s_whole))):
        torch.testing.assert_close(a, b)
    model.train()
    assert not torch.equal(model(X)[0], model(X)[0])  # dropout between the layers
    model.eval()
    assert torch.equal(model(X)[0], whole)


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_registered_kinds_count_their_parameters(kind):
    assert kind in KINDS and KIND_NAMES[kind]
    for layers, bi, emb in [(1, False, 0), (2, True, 0), (3, False, 6)]:
        cfg = ModelConfig(kind=kind, vocab_size=11, hidden_size=7, num_layers=layers, bidirectional=bi,
                          embedding_dim=emb)
        model = build_model(cfg)
        assert isinstance(model, CellLM) and cfg.num_params() == count_parameters(model)
        state = model.begin_state(2)
        assert isinstance(state, tuple) == (kind == "lstm-peephole")
        for s in state if isinstance(state, tuple) else (state,):
            assert s.shape == (layers * (2 if bi else 1), 2, 7) and not s.any()


# ---------------------------------------------------------------- the trace


@pytest.mark.parametrize("layers,bidirectional,embedding", [(1, False, 0), (2, True, 0), (2, False, 4)])
@pytest.mark.parametrize("kind", CELL_KINDS)
def test_trace_equals_the_models_forward(kind, layers, bidirectional, embedding):
    vocab = Vocab(list("abcdefgh "))
    torch.manual_seed(1)
    model = build_model(ModelConfig(kind=kind, vocab_size=len(vocab), hidden_size=5, num_layers=layers,
                                    bidirectional=bidirectional, embedding_dim=embedding)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # gates spread over 0..1
    text = "bad cafe bed"
    tr = trace(model, vocab, text)
    X = torch.tensor([vocab[list(text)]])
    with torch.no_grad():
        logits, state = model(X)
        top, _ = model.rnn(model.embed(X))  # the module's own outputs of the last layer (T, 1, D·H)
    H, D = 5, 2 if bidirectional else 1
    assert tr.kind == kind and tr.hidden.shape == (layers, len(text), D * H)
    torch.testing.assert_close(tr.hidden[-1], top[:, 0], atol=1e-6, rtol=0)
    torch.testing.assert_close(tr.probs, torch.softmax(logits[0], -1), atol=1e-6, rtol=0)
    h_last, c_last = state if isinstance(state, tuple) else (state, None)
    for layer in range(layers):  # every layer's last state, forward units at the end, backward at the start
        for d in range(D):
            t, units = (0 if d else -1), slice(d * H, (d + 1) * H)
            torch.testing.assert_close(tr.hidden[layer, t, units], h_last[layer * D + d, 0], atol=1e-6, rtol=0)
            if c_last is not None:
                torch.testing.assert_close(tr.cell[layer, t, units], c_last[layer * D + d, 0], atol=1e-6, rtol=0)
    # the gates put the hidden states back together
    for layer in range(layers):
        hidden, g = tr.hidden[layer], {name: tr.gates[name][layer] for name in tr.gate_names}
        if kind == "gru-min":
            assert tr.gate_names == ("update", "candidate") and tr.cell is None
            prev = torch.cat([torch.zeros(1, D * H), hidden[:-1]])
            if D == 2:
                prev[:, H:] = torch.cat([hidden[1:, H:], torch.zeros(1, H)])
            rebuilt = g["update"] * prev + (1 - g["update"]) * g["candidate"]
        else:
            assert tr.gate_names == ("input", "forget", "output", "candidate")
            rebuilt = g["output"] * torch.tanh(tr.cell[layer])
        torch.testing.assert_close(rebuilt, hidden, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- the engine: training, checkpoints, CLI


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_a_short_seeded_training_run_reduces_the_loss(kind):
    vocab = Vocab(list(TEXT))
    ids = [vocab[c] for c in TEXT]
    mcfg = ModelConfig(kind=kind, vocab_size=len(vocab), hidden_size=24)
    tcfg = TrainConfig(batch_size=4, num_steps=10, lr=0.02, optimizer="adam", epochs=8, seed=0)
    trainer = fit(mcfg, tcfg, ids)
    epochs = [r.epoch_ppl for r in trainer.history if r.epoch_end]
    assert trainer.history[0].ppl > 0.7 * len(vocab)  # starts near the uniform guess
    assert epochs[-1] < 0.4 * epochs[0], epochs
    again = fit(mcfg, tcfg, ids)  # seeded: the same run twice
    assert [r.loss for r in again.history] == [r.loss for r in trainer.history]


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_checkpoint_round_trip_gives_identical_outputs(kind, tmp_path):
    vocab = Vocab(list(TEXT))
    mcfg = ModelConfig(kind=kind, vocab_size=len(vocab), hidden_size=12, num_layers=2, embedding_dim=6)
    tcfg = TrainConfig(batch_size=4, num_steps=10, lr=0.01, optimizer="adam", epochs=1)
    trainer = fit(mcfg, tcfg, [vocab[c] for c in TEXT])
    model = trainer.model.eval()
    path = save_checkpoint(tmp_path / "m.pt", model, vocab, mcfg, tcfg, trainer.history)
    for ck in (load_checkpoint(path), load_checkpoint(checkpoint_bytes(model, vocab, mcfg, tcfg))):
        assert ck.config == mcfg and isinstance(ck.model, CellLM)
        X = torch.tensor([vocab[list("hello world")]])
        with torch.no_grad():
            state = model.begin_state(1)
            state = tuple(torch.randn_like(s) for s in state) if isinstance(state, tuple) else torch.randn_like(state)
            a, sa = model(X, state)
            b, sb = ck.model(X, state)
        assert torch.equal(a, b)
        for x, y in zip(*(s if isinstance(s, tuple) else (s,) for s in (sa, sb))):
            assert torch.equal(x, y)
        one = generate(model, vocab, "hello ", 30, "top-k", top_k=3, seed=4)
        assert generate(ck.model, vocab, "hello ", 30, "top-k", top_k=3, seed=4).text == one.text


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_cli_trains_and_generates(kind, tmp_path, capsys):
    src = tmp_path / "hello.txt"
    src.write_text(TEXT)
    out = tmp_path / f"{kind}.pt"
    rc = main(["train", "--text-file", str(src), "--kind", kind, "--hidden", "12", "--layers", "2", "--epochs", "2",
               "--batch-size", "4", "--num-steps", "10", "--optimizer", "adam", "--lr", "0.01", "--out", str(out)])
    assert rc == 0 and "tok/s" in capsys.readouterr().err
    ck = load_checkpoint(out)
    assert ck.config.kind == kind and ck.config.num_layers == 2 and ck.history[-1]["epoch"] == 2
    rc = main(["generate", "--checkpoint", str(out), "--prefix", "hello", "--length", "15"])
    assert rc == 0 and capsys.readouterr().out.strip().startswith("hello")
