"""Models against independent truth: the formula by hand in numpy, torch's own modules, counted parameters."""
import itertools

import numpy as np
import pytest
import torch

from rnnviz.models import ConfigError, ModelConfig, RNNScratch, build_model, count_parameters, detach_state


def _np(t):
    return t.detach().numpy().astype(np.float64)


@pytest.mark.parametrize("phi", ["tanh", "relu"])
def test_scratch_rnn_equals_the_formula_by_hand(phi):
    torch.manual_seed(1)
    V, H, B, T = 5, 3, 2, 4
    model = RNNScratch(ModelConfig(kind="scratch", vocab_size=V, hidden_size=H, nonlinearity=phi))
    with torch.no_grad():  # larger weights than the 0.01 init so the test is not trivially near zero
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    X = torch.tensor([[0, 1, 4, 2], [3, 3, 1, 0]])
    logits, state = model(X)

    W_xh, W_hh, b_h = _np(model.W_xh[0]), _np(model.W_hh[0]), _np(model.b_h[0])
    W_hq, b_q = _np(model.W_hq), _np(model.b_q)
    act = np.tanh if phi == "tanh" else (lambda z: np.maximum(z, 0))
    h = np.zeros((B, H))
    expected = []
    for t in range(T):
        x_t = np.eye(V)[X[:, t].numpy()]  # one-hot (B, V)
        h = act(x_t @ W_xh + h @ W_hh + b_h)
        expected.append(h @ W_hq + b_q)
    expected = np.stack(expected, axis=1)  # (B, T, V)
    np.testing.assert_allclose(logits.detach().numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(state[0].detach().numpy(), h, atol=1e-5)


def test_scratch_rnn_state_carries_over_between_calls():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="scratch", vocab_size=7, hidden_size=6, num_layers=2))
    X = torch.randint(0, 7, (3, 10))
    whole, _ = model(X)
    first, state = model(X[:, :4])
    second, _ = model(X[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole)


KINDS = ["rnn", "gru", "lstm"]


@pytest.mark.parametrize("kind,layers,bidir,emb", list(itertools.product(KINDS, [1, 2], [False, True], [0, 8])))
def test_nn_model_shapes_for_every_option(kind, layers, bidir, emb):
    V, H, B, T = 11, 6, 3, 5
    cfg = ModelConfig(kind=kind, vocab_size=V, hidden_size=H, num_layers=layers, bidirectional=bidir,
                      embedding_dim=emb, dropout=0.1 if layers > 1 else 0.0)
    model = build_model(cfg)
    logits, state = model(torch.randint(0, V, (B, T)), None)
    assert logits.shape == (B, T, V)
    D = 2 if bidir else 1
    states = state if kind == "lstm" else (state,)
    assert len(states) == (2 if kind == "lstm" else 1)
    for s in states:
        assert s.shape == (layers * D, B, H)
    assert count_parameters(model) == cfg.num_params()
    # a given state is used: a non-zero one changes the output
    logits2, _ = model(torch.randint(0, V, (B, T)), detach_state(state))
    assert logits2.shape == (B, T, V)


@pytest.mark.parametrize("layers", [1, 3])
def test_scratch_parameter_count(layers):
    cfg = ModelConfig(kind="scratch", vocab_size=28, hidden_size=16, num_layers=layers)
    assert count_parameters(build_model(cfg)) == cfg.num_params()


def test_lstm_lm_matches_torch_lstm_with_one_hot_inputs():
    torch.manual_seed(0)
    cfg = ModelConfig(kind="lstm", vocab_size=9, hidden_size=4)
    model = build_model(cfg)
    X = torch.randint(0, 9, (2, 6))
    logits, (h, c) = model(X)
    out, (h2, c2) = model.rnn(torch.nn.functional.one_hot(X.T, 9).float())
    torch.testing.assert_close(logits, model.head(out).transpose(0, 1))
    torch.testing.assert_close(h, h2)


@pytest.mark.parametrize("bad,msg", [
    (dict(kind="transformer"), "unknown model kind"),
    (dict(hidden_size=0), "hidden size"),
    (dict(hidden_size=10**6), "hidden size"),
    (dict(num_layers=-1), "number of layers"),
    (dict(hidden_size=2.5), "whole number"),
    (dict(dropout=1.5), "dropout"),
    (dict(kind="scratch", bidirectional=True), "unidirectional"),
    (dict(kind="scratch", embedding_dim=8), "one-hot"),
    (dict(hidden_size=4096, num_layers=8, kind="lstm"), "million parameters"),
])
def test_absurd_model_configs_are_refused_before_allocating(bad, msg):
    with pytest.raises(ConfigError, match=msg):
        build_model(ModelConfig(**bad))


def test_config_round_trips_as_a_dict():
    cfg = ModelConfig(kind="gru", vocab_size=30, hidden_size=12, num_layers=2, bidirectional=True, dropout=0.2)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown model settings"):
        ModelConfig.from_dict({**cfg.to_dict(), "evil": 1})
