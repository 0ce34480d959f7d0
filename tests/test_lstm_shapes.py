"""rnnviz.lstm_shapes against torch's own nn.LSTM: shapes of the tensors and parameters, the symbolic axes, the
gate blocks (i, f, g, o), and the refusal of sizes too large to run."""
import math

import pytest
import torch
from torch import nn

from rnnviz.i18n import using
from rnnviz.lstm_shapes import (GATES, MAX_PARAMETERS, LSTMSettings, ShapeError, axis_meaning, axis_size, check,
                                gate_name, lstm_shapes, parameter_count, tensor_meaning, torch_code)
from rnnviz.lstm_shapes_plots import gate_blocks_figure

CONFIGS = [
    LSTMSettings(input_size=5, hidden_size=3, num_layers=1, batch=2, seq_len=4),
    LSTMSettings(input_size=5, hidden_size=3, num_layers=2, bidirectional=True, batch_first=True, batch=2, seq_len=4),
    LSTMSettings(input_size=7, hidden_size=6, num_layers=3, bidirectional=True, batch=1, seq_len=1),
    LSTMSettings(input_size=4, hidden_size=6, num_layers=2, bidirectional=True, batch_first=True, batch=3, seq_len=2,
                 proj_size=2),
]


def reference(s: LSTMSettings):
    """What torch itself produces for these settings, written out independently of the module under test."""
    torch.manual_seed(0)
    lstm = nn.LSTM(s.input_size, s.hidden_size, s.num_layers, bidirectional=s.bidirectional,
                   batch_first=s.batch_first, proj_size=s.proj_size)
    x = torch.zeros((s.batch, s.seq_len, s.input_size) if s.batch_first else (s.seq_len, s.batch, s.input_size))
    output, (h_n, c_n) = lstm(x)  # torch makes the zero initial states itself
    return lstm, x, output, h_n, c_n


@pytest.mark.parametrize("s", CONFIGS, ids=lambda s: f"L{s.num_layers}-bi{int(s.bidirectional)}"
                                                     f"-bf{int(s.batch_first)}-p{s.proj_size}")
def test_shapes_match_torch(s):
    lstm, x, output, h_n, c_n = reference(s)
    res = lstm_shapes(s)
    assert res.tensor("input").shape == tuple(x.shape)
    assert res.tensor("output").shape == tuple(output.shape)
    assert res.tensor("h_n").shape == res.tensor("h_0").shape == tuple(h_n.shape)
    assert res.tensor("c_n").shape == res.tensor("c_0").shape == tuple(c_n.shape)
    assert {w.name: w.shape for w in res.weights} == {n: tuple(p.shape) for n, p in lstm.named_parameters()}
    assert res.parameters == sum(p.numel() for p in lstm.parameters()) == parameter_count(s)


@pytest.mark.parametrize("s", CONFIGS)
def test_symbolic_axes_give_the_shapes(s):
    res = lstm_shapes(s)
    for item in (*res.tensors, *res.weights):
        assert tuple(axis_size(s, a) for a in item.axes) == item.shape, item.name


def test_bidirectional_batch_first_two_layers_by_hand():
    s = LSTMSettings(input_size=5, hidden_size=3, num_layers=2, bidirectional=True, batch_first=True, batch=2,
                     seq_len=4)
    res = lstm_shapes(s)
    assert res.tensor("input").shape == (2, 4, 5) and res.tensor("input").axes == ("N", "L", "H_in")
    assert res.tensor("output").shape == (2, 4, 6) and res.tensor("output").axes == ("N", "L", "D·H_out")
    assert res.tensor("h_n").shape == (4, 2, 3) and res.tensor("h_n").axes == ("D·num_layers", "N", "H_out")
    assert res.weight("weight_ih_l0").shape == (12, 5)
    assert res.weight("weight_ih_l1").shape == (12, 6) and res.weight("weight_ih_l1").axes == ("4·H_cell", "D·H_out")
    assert res.weight("weight_hh_l1_reverse").reverse and res.weight("weight_hh_l1_reverse").layer == 1
    assert [w.name for w in res.weights if w.layer == 0 and not w.reverse] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_gate_blocks_are_torchs_i_f_g_o_rows():
    """Block k of weight_ih holds the rows that compute gate k: check against the gates computed by hand."""
    s = LSTMSettings(input_size=4, hidden_size=3, batch=1, seq_len=1)
    res = lstm_shapes(s)
    w = res.weight("weight_ih_l0")
    assert [b.gate for b in w.blocks] == list(GATES) == ["i", "f", "g", "o"]
    assert [(b.start, b.stop, b.shape) for b in w.blocks] == [(0, 3, (3, 4)), (3, 6, (3, 4)), (6, 9, (3, 4)),
                                                              (9, 12, (3, 4))]
    torch.manual_seed(1)
    lstm = nn.LSTM(4, 3)
    x = torch.randn(1, 1, 4)
    _, (h, c) = lstm(x)
    pre = x[0, 0] @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0  # h_0 = 0: no W_hh term
    rows = {b.gate: slice(b.start, b.stop) for b in w.blocks}
    i, g, o = torch.sigmoid(pre[rows["i"]]), torch.tanh(pre[rows["g"]]), torch.sigmoid(pre[rows["o"]])
    c_by_hand = i * g  # c_0 = 0: the forget gate has nothing to keep
    assert torch.allclose(c[0, 0], c_by_hand, atol=1e-6)
    assert torch.allclose(h[0, 0], o * torch.tanh(c_by_hand), atol=1e-6)


def test_projection_weight_has_no_gate_blocks():
    res = lstm_shapes(LSTMSettings(input_size=4, hidden_size=6, proj_size=2, batch=1, seq_len=2))
    assert res.weight("weight_hr_l0").shape == (2, 6) and res.weight("weight_hr_l0").blocks == ()
    assert res.weight("weight_hh_l0").shape == (24, 2)
    assert res.tensor("h_n").shape == (1, 1, 2) and res.tensor("c_n").shape == (1, 1, 6)


def test_the_callers_random_state_is_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    lstm_shapes(LSTMSettings(input_size=3, hidden_size=2, batch=1, seq_len=2))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("s,message", [
    (LSTMSettings(hidden_size=4000, input_size=4000), "parameters"),
    (LSTMSettings(num_layers=16, hidden_size=400, bidirectional=True), "parameters"),
    (LSTMSettings(batch=4096, seq_len=4096, input_size=1, hidden_size=1), "numbers"),
    (LSTMSettings(batch=100, seq_len=50, input_size=10, hidden_size=1000), "multiply-adds"),
    (LSTMSettings(hidden_size=4, proj_size=4), "proj_size must be smaller"),
    (LSTMSettings(hidden_size=0), "hidden_size must be a whole number"),
    (LSTMSettings(batch=2.5), "batch must be a whole number"),
    (LSTMSettings(bidirectional=1), "bidirectional must be on or off"),
])
def test_too_large_or_invalid_settings_are_refused_before_building(s, message):
    with pytest.raises(ShapeError, match=message):
        lstm_shapes(s)


def test_the_parameter_limit_is_a_formula_not_a_build():
    s = LSTMSettings(input_size=10_000, hidden_size=10_000, num_layers=8)
    assert parameter_count(s) > 100 * MAX_PARAMETERS  # would be gigabytes: refused without allocating
    with pytest.raises(ShapeError):
        check(s)


def test_words_and_code():
    s = LSTMSettings(num_layers=2, bidirectional=True, batch_first=True)
    code = torch_code(s)
    assert "nn.LSTM(input_size=28, hidden_size=32, num_layers=2" in code and "batch_first=True" in code
    assert "torch.randn(32, 35, 28)" in code and "# output: (N, L, D·H_out) = (32, 35, 64)" in code
    res = lstm_shapes(s)
    for axis in res.axes_used():
        assert axis_meaning(axis)
    assert gate_name("f") == "forget gate F" and "memory cell" in tensor_meaning("c_n")
    with using("zh"):
        assert gate_name("f") == "遗忘门 F"


def test_gate_blocks_figure():
    res = lstm_shapes(LSTMSettings(input_size=5, hidden_size=3, num_layers=2, bidirectional=True))
    fig = gate_blocks_figure(res, "weight_ih_l1")
    assert fig.layout.title.text.startswith("weight_ih_l1") and "(12, 6)" in fig.layout.title.text
    assert list(fig.data[0].y) == [0, 3, 6, 9, 12] and list(fig.data[0].x) == [0, 6]
    labels = [a.text for a in fig.layout.annotations]
    assert len(labels) == 4 and "input gate" in labels[0] and "forget gate" in labels[1] and "rows 9–11" in labels[3]
    bias = gate_blocks_figure(res, "bias_hh_l0")
    assert bias.layout.xaxis.title.text == "a vector: one column"
    with pytest.raises(ValueError):
        gate_blocks_figure(lstm_shapes(LSTMSettings(hidden_size=4, proj_size=2)), "weight_hr_l0")
    assert math.isclose(fig.layout.yaxis.tickvals[-1], 12)
