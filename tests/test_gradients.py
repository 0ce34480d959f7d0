"""Gradients through time against independent truth: the models' own forward, explicit Jacobians, λ^(T−k) exactly."""
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rnnviz import sequence_plots as plots
from rnnviz.data import Vocab
from rnnviz.gradients import (
    clip_factors, clipped_norms, clipping_run, encode_text, fresh_model, fresh_rnn, gradient_curve, jacobian_chain,
    kind_curves, lambda_curves, rescale_spectral_radius, spectral_radius, unroll,
)
from rnnviz.models import ConfigError, ModelConfig, RNNScratch, build_model
from rnnviz.sequence import SequenceConfig, run_experiment
from rnnviz.train import clip_gradients

TEXT = "the time traveller for so it will be convenient to speak of him"
VOCAB = Vocab([list("abcdefghijklmnopqrstuvwxyz ")])


def _big_weights(model, seed=0, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)
    return model


@pytest.mark.parametrize("kind,layers,emb,phi", [
    ("scratch", 1, 0, "tanh"), ("scratch", 2, 0, "relu"), ("rnn", 2, 0, "tanh"), ("rnn", 1, 4, "relu"),
    ("gru", 2, 0, "tanh"), ("gru", 1, 4, "tanh"), ("lstm", 2, 0, "tanh"), ("lstm", 1, 4, "tanh"),
])
def test_unroll_reproduces_the_models_own_forward(kind, layers, emb, phi):
    torch.manual_seed(0)
    cfg = ModelConfig(kind=kind, vocab_size=7, hidden_size=5, num_layers=layers, embedding_dim=emb, nonlinearity=phi)
    model = _big_weights(build_model(cfg)).eval()
    X = torch.randint(0, 7, (9,))
    logits, state = model(X[None])
    run = unroll(model, X)
    torch.testing.assert_close(run.logits.float(), logits[0], atol=1e-5, rtol=1e-5)
    h_last = state[0] if kind == "lstm" else state
    for layer in range(layers):
        torch.testing.assert_close(run.hidden[layer][-1].float(), h_last[layer], atol=1e-5, rtol=1e-5)
    if kind == "lstm":
        torch.testing.assert_close(run.cell[-1][-1].float(), state[1][-1], atol=1e-5, rtol=1e-5)


def _tiny_scratch(phi="tanh"):
    torch.manual_seed(2)
    return _big_weights(RNNScratch(ModelConfig(kind="scratch", vocab_size=6, hidden_size=4, nonlinearity=phi)))


def test_step_jacobians_equal_autograds_jacobian_of_one_step():
    model = _tiny_scratch()
    X = torch.tensor([1, 3, 0, 5, 2])
    chain = jacobian_chain(model, X)
    run = unroll(model, X)
    W_xh, W_hh, b = (p.detach().double() for p in (model.W_xh[0], model.W_hh[0], model.b_h[0]))
    for t in (1, 3):
        x_t = F.one_hot(X[t], 6).double()
        h_prev = run.hidden[0][t - 1][0].detach()
        J = torch.autograd.functional.jacobian(lambda h: torch.tanh(x_t @ W_xh + h @ W_hh + b), h_prev)
        torch.testing.assert_close(chain.steps[t], J)


@pytest.mark.parametrize("phi", ["tanh", "relu", "identity"])
def test_autograd_equals_the_explicit_jacobian_chain(phi):
    """∂ℓ/∂h_k = ∂ℓ/∂h_T · ∂h_T/∂h_k with ∂ℓ/∂h_T = (softmax − onehot) W_hqᵀ worked by hand."""
    model = _tiny_scratch()
    X, target = torch.tensor([1, 3, 0, 5, 2, 2, 4]), 3
    chain = jacobian_chain(model, X, nonlinearity=phi)
    run = unroll(model, X, nonlinearity=phi)
    probs = torch.softmax(run.logits[-1].detach(), dim=0)
    g_T = (probs - F.one_hot(torch.tensor(target), 6).double()) @ model.W_hq.detach().double().T  # (H,)
    loss = F.cross_entropy(run.logits[-1:], torch.tensor([target]))
    grads = torch.autograd.grad(loss, run.hidden[0])
    T = len(X)
    for d in range(T):
        torch.testing.assert_close(grads[T - 1 - d][0], g_T @ chain.products[d], atol=1e-5, rtol=1e-5)
    curve = gradient_curve(model, X, target, nonlinearity=phi)
    expected = [torch.linalg.vector_norm(g_T @ chain.products[d]).item() for d in range(T)]
    np.testing.assert_allclose(curve.norm, expected, rtol=1e-5)
    assert curve.loss == pytest.approx(loss.item())


def test_identity_with_scaled_orthogonal_w_hh_follows_lambda_to_the_power_exactly():
    model = _tiny_scratch()
    Q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    with torch.no_grad():
        model.W_hh[0].copy_(0.8 * Q)
    curve = gradient_curve(model, torch.tensor([0, 1, 2, 3, 4, 5, 0, 1]), 2, nonlinearity="identity")
    curve.lam = 0.8
    np.testing.assert_allclose(curve.norm, curve.reference(), rtol=1e-5)
    assert jacobian_chain(model, torch.tensor([0, 1, 2]), "identity").lam == pytest.approx(0.8, rel=1e-5)


def test_rescaling_gives_the_requested_spectral_radius():
    W = torch.randn(16, 16, generator=torch.Generator().manual_seed(0))
    for lam in (0.5, 1.0, 1.5):
        assert spectral_radius(rescale_spectral_radius(W, lam)) == pytest.approx(lam, abs=1e-5)
        assert spectral_radius(fresh_rnn(27, 16, lam).W_hh[0]) == pytest.approx(lam, abs=1e-5)
    with pytest.raises(ConfigError, match="spectral radius"):
        rescale_spectral_radius(W, -1.0)


def test_small_lambda_vanishes_and_large_lambda_explodes():
    X, y = encode_text(VOCAB, TEXT)
    small, large = lambda_curves(len(VOCAB), X, y, lams=(0.5, 1.5))  # default φ: identity
    assert small.ratio(30) <= 1e-3
    assert large.ratio(30) >= 1e3
    tanh_small, = lambda_curves(len(VOCAB), X, y, lams=(0.5,), nonlinearity="tanh")
    assert tanh_small.ratio(30) <= 1e-3
    assert len(small.distance) == len(TEXT) - 1 and small.distance[0] == 0


def test_lstm_and_gru_curves_are_finite_and_outlast_the_rnn():
    X, y = encode_text(VOCAB, TEXT)
    curves = kind_curves(len(VOCAB), X, y, hidden=16, memory_bias=1.0)
    assert set(curves) == {"rnn", "gru", "lstm"}
    for c in curves.values():
        assert len(c.norm) == len(X) and np.all(np.isfinite(c.norm)) and np.all(c.norm > 0)
    assert curves["lstm"].cell_norm is not None and np.all(np.isfinite(curves["lstm"].cell_norm))
    assert curves["lstm"].ratio(30) > 100 * curves["rnn"].ratio(30)
    assert curves["gru"].ratio(30) > 100 * curves["rnn"].ratio(30)


def test_fresh_models_are_seeded_and_memory_bias_lands_on_the_right_gate():
    a, b = fresh_model("lstm", 7, 8, seed=1, memory_bias=0.0), fresh_model("lstm", 7, 8, seed=1, memory_bias=2.0)
    delta = (b.rnn.bias_ih_l0 - a.rnn.bias_ih_l0).detach()
    torch.testing.assert_close(delta[8:16], torch.full((8,), 2.0))  # forget gate: PyTorch's i, f, g, o
    assert delta[:8].abs().max() == 0 and delta[16:].abs().max() == 0
    torch.testing.assert_close(fresh_model("gru", 7, 8, seed=1).rnn.weight_hh_l0,
                               fresh_model("gru", 7, 8, seed=1).rnn.weight_hh_l0)


def test_given_models_and_deeper_layers():
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="gru", vocab_size=len(VOCAB), hidden_size=8, num_layers=2))
    X, y = encode_text(VOCAB, "hello world", target="s")
    assert len(X) == 11 and y == VOCAB["s"]
    curves = kind_curves(len(VOCAB), X, y, models={"gru": model})
    assert list(curves) == ["gru"]
    top = gradient_curve(model, X, y, layer=1)
    assert np.all(np.isfinite(top.norm))


@pytest.mark.parametrize("make,call,message", [
    (lambda: build_model(ModelConfig(kind="lstm", vocab_size=5, hidden_size=3, bidirectional=True)),
     lambda m: gradient_curve(m, torch.tensor([1, 2]), 0), "unidirectional"),
    (lambda: build_model(ModelConfig(kind="gru", vocab_size=5, hidden_size=3)),
     lambda m: gradient_curve(m, torch.tensor([1, 2]), 0, nonlinearity="identity"), "vanilla RNN only"),
    (lambda: build_model(ModelConfig(kind="rnn", vocab_size=5, hidden_size=3)),
     lambda m: gradient_curve(m, torch.tensor([1, 2]), 0, layer=1), "layer"),
    (lambda: build_model(ModelConfig(kind="scratch", vocab_size=5, hidden_size=3)),
     lambda m: gradient_curve(m, torch.tensor([1, 2]), 0, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda: None, lambda m: encode_text(VOCAB, "a"), "two characters"),
])
def test_bad_requests_are_refused_with_a_message(make, call, message):
    with pytest.raises(ConfigError, match=message):
        call(make())


def test_clipping_by_hand_and_as_the_trainer_does_it():
    norms = [0.5, 2.0, 10.0]
    np.testing.assert_allclose(clip_factors(norms, 1.0), [1.0, 0.5, 0.1])
    np.testing.assert_allclose(clipped_norms(norms, 1.0), [0.5, 1.0, 1.0])
    p = torch.nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([6.0, 0.0, 8.0])  # ‖g‖ = 10
    before, after = clip_gradients([p], 2.0)
    assert (before, after) == (10.0, pytest.approx(clipped_norms([before], 2.0)[0]))
    with pytest.raises(ConfigError, match="θ"):
        clip_factors(norms, 0.0)


def test_clipping_run_keeps_every_update_below_theta():
    corpus = VOCAB[list(TEXT * 20)]
    clipped = clipping_run(corpus, len(VOCAB), theta=0.1, hidden=16, steps=5, num_steps=10)
    free = clipping_run(corpus, len(VOCAB), theta=0.0, hidden=16, steps=5, num_steps=10)
    assert len(clipped.loss) == 5 and max(clipped.grad_norm_clipped) <= 0.1 + 1e-6
    assert min(clipped.grad_norm) > 0.1 and free.grad_norm_clipped == free.grad_norm
    assert clipped.grad_norm[0] == free.grad_norm[0]  # same model, same first minibatch


def _titles(fig):
    layout = fig.layout
    return layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text


def test_every_figure_has_a_title_and_axis_titles():
    res = run_experiment(SequenceConfig(T=120, n_train=60, epochs=1, ks=(1, 4, 16)))
    X, y = encode_text(VOCAB, TEXT[:20])
    curves = lambda_curves(len(VOCAB), X, y, lams=(0.5, 1.5), hidden=8)
    kinds = kind_curves(len(VOCAB), X, y, hidden=8)
    model = fresh_rnn(len(VOCAB), 8, 0.9)
    figs = [
        plots.data_figure(res, show_clean=True), plots.onestep_figure(res), plots.multistep_figure(res),
        plots.kstep_figure(res), plots.loss_figure(res.history), plots.gradient_figure(curves),
        plots.gradient_figure(kinds, cells=True),
        plots.jacobian_figure(jacobian_chain(model, X), gradient_curve(model, X, y)),
        plots.clipping_figure([0.5, 3.0, 0.0], clipped_norms([0.5, 3.0, 0.0], 1.0), 1.0),
    ]
    for fig in figs:
        assert all(_titles(fig)), _titles(fig)
        assert fig.layout.font.size >= 16
    lam_fig = figs[5]
    assert lam_fig.layout.yaxis.type == "log"
    dashed = [t for t in lam_fig.data if t.line.dash == "dash"]
    assert [t.name for t in dashed] == ["0.5^(T−k)", "1.5^(T−k)"]
    assert len(figs[3].data) == 1 + 3  # observations + one line per k
    assert "1-step" in figs[1].layout.title.text and math.isfinite(res.onestep.mse_observed)


def test_each_cell_keeps_its_colour_in_every_language():
    """RNN red, GRU green, LSTM blue, as on the lecture's slides — whatever the legend's language."""
    from rnnviz import i18n
    X, y = encode_text(VOCAB, TEXT[:20])
    for lang in ("en", "zh"):
        with i18n.using(lang):
            fig = plots.gradient_figure(kind_curves(len(VOCAB), X, y, hidden=8))
        colours = {trace.line.color for trace in fig.data}
        assert {"#d62728", "#2ca02c", "#1f77b4"} <= colours, lang
