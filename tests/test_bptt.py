"""Truncated BPTT and recurrent eigenvalues against independent truth: the models' own forward and autograd,
chunked training with a detached state, the exact expectation over every cut pattern, closed forms and numpy."""
import itertools
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rnnviz.bptt import (
    N_ENTRIES, compare_truncation, eigenvalues, encode_pairs, full_weights, keep_probability, link_adjoints,
    oriented, randomized_weights, recurrent_eigenvalues, recurrent_matrices, recurrent_weight, regular_weights,
    segments,
)
from rnnviz.data import Vocab
from rnnviz.gradients import fresh_rnn, gradient_curve, jacobian_chain, rescale_spectral_radius, spectral_radius, unroll
from rnnviz.models import ConfigError, ModelConfig, build_model, detach_state

VOCAB = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
TEXT = "the time traveller for so it will be"


def _model(kind="lstm", layers=1, emb=0, hidden=6, vocab=7, seed=0, scale=0.6):
    cfg = ModelConfig(kind=kind, vocab_size=vocab, hidden_size=hidden, num_layers=layers, embedding_dim=emb)
    model = build_model(cfg).double().eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * scale)
    return model


def _zeros(model):
    """The zero state in the model's dtype (RNNScratch.begin_state makes float32 zeros whatever its weights)."""
    state = model.begin_state(1)
    dtype = recurrent_weight(model).dtype
    return tuple(s.to(dtype) for s in state) if isinstance(state, tuple) else state.to(dtype)


def _own_gradient(model, X, Y):
    """∂L/∂W_hh by autograd through the model's own forward over the whole text in one call."""
    W = recurrent_weight(model)
    logits, _ = model(X[None], _zeros(model))
    loss = F.cross_entropy(logits[0], Y)
    (g,) = torch.autograd.grad(loss, [W])
    return oriented(model, g)


def _chunked_gradient(model, X, Y, tau):
    """Minibatch training's truncation: chunks of τ, the state detached between them, losses summed over T."""
    W = recurrent_weight(model)
    state, total = _zeros(model), 0.0
    for start in range(0, len(X), tau):
        logits, state = model(X[None, start:start + tau], detach_state(state))
        total = total + F.cross_entropy(logits[0], Y[start:start + tau], reduction="sum")
    (g,) = torch.autograd.grad(total / len(X), [W])
    return oriented(model, g)


KINDS = [("scratch", 1, 0), ("scratch", 2, 0), ("rnn", 1, 0), ("gru", 1, 0), ("gru", 2, 3), ("lstm", 1, 0),
         ("lstm", 2, 3)]


@pytest.mark.parametrize("kind,layers,emb", KINDS)
def test_full_and_regular_truncation_match_autograd_through_the_models_own_forward(kind, layers, emb):
    model = _model(kind, layers, emb)
    X = torch.tensor([1, 3, 0, 5, 2, 6, 4, 4, 1])
    Y = torch.tensor([3, 0, 5, 2, 6, 4, 4, 1, 2])
    adj = link_adjoints(model, X, Y, np.stack([full_weights(9), regular_weights(9, 4), regular_weights(9, 1)]))
    full, regular, every = adj.gradients()
    torch.testing.assert_close(full, _own_gradient(model, X, Y), atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(regular, _chunked_gradient(model, X, Y, 4), atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(every, _chunked_gradient(model, X, Y, 1), atol=1e-12, rtol=1e-10)
    assert not torch.allclose(full, regular)
    logits, _ = model(X[None], _zeros(model))
    assert adj.loss == pytest.approx(F.cross_entropy(logits[0], Y).item(), rel=1e-12)


def test_float32_models_are_differentiated_in_float64_and_left_untouched():
    model = build_model(ModelConfig(kind="gru", vocab_size=7, hidden_size=5))
    before = [p.detach().clone() for p in model.parameters()]
    X, Y = torch.tensor([1, 2, 3, 4]), torch.tensor([2, 3, 4, 5])
    g = link_adjoints(model, X, Y, full_weights(4)[None]).gradients()[0]
    assert g.dtype == torch.float64 and g.shape == (5, 15)
    torch.testing.assert_close(g, _own_gradient(_copy64(model), X, Y), atol=1e-12, rtol=1e-10)
    assert all(torch.equal(a, p) and p.grad is None for a, p in zip(before, model.parameters()))


def _copy64(model):
    import copy
    return copy.deepcopy(model).double()


def test_randomized_truncation_is_unbiased_exactly_over_every_cut_pattern():
    """E over ξ ∈ {0, 1/π}^(T−1) of the randomized gradient, summed over all 2^(T−1) patterns, is the full one."""
    model = _model("lstm", hidden=4, seed=3)
    X, Y = torch.tensor([1, 3, 0, 5, 2, 6]), torch.tensor([3, 0, 5, 2, 6, 4])
    T, pi = len(X), 0.6
    patterns, probs = [], []
    for kept in itertools.product([0, 1], repeat=T - 1):
        patterns.append([0.0] + [1 / pi if k else 0.0 for k in kept])
        probs.append(math.prod(pi if k else 1 - pi for k in kept))
    grads = link_adjoints(model, X, Y, np.array(patterns)).gradients()  # (32, H, 4H)
    expectation = torch.einsum("b,bhg->hg", torch.tensor(probs, dtype=torch.float64), grads)
    assert sum(probs) == pytest.approx(1.0)
    torch.testing.assert_close(expectation, _own_gradient(model, X, Y), atol=1e-12, rtol=1e-10)
    assert torch.linalg.vector_norm(grads[0] - expectation) > 0.1 * torch.linalg.vector_norm(expectation)


def test_link_patterns():
    assert regular_weights(7, 3).tolist() == [0, 1, 1, 0, 1, 1, 0]
    assert segments(regular_weights(7, 3)) == [(0, 3), (3, 6), (6, 7)]
    assert segments(full_weights(5)) == [(0, 5)]
    assert keep_probability(10) == pytest.approx(0.9) and keep_probability(1) == 0.0
    rng = np.random.default_rng(0)
    w = np.stack([randomized_weights(50, 0.8, rng) for _ in range(400)])
    assert set(np.unique(w[:, 1:])) == {0.0, 1 / 0.8} and np.all(w[:, 0] == 0)
    assert w[:, 1:].mean() == pytest.approx(1.0, abs=0.02)  # E[ξ] = 1
    assert np.mean([np.mean([b - a for a, b in segments(r)]) for r in w]) == pytest.approx(1 / (1 - 0.8), rel=0.1)
    assert np.all(randomized_weights(6, 0.0, rng) == 0)


def test_comparison_statistics_equal_the_explicit_gradients():
    model = _model("gru", hidden=5, vocab=len(VOCAB), seed=1, scale=0.8)
    cmp = compare_truncation(model, VOCAB, TEXT, tau=5, draws=9, seed=7)
    X, Y = encode_pairs(VOCAB, TEXT)
    rng = np.random.default_rng(7)
    random = np.stack([randomized_weights(len(X), cmp.keep_prob, rng) for _ in range(9)])
    explicit = link_adjoints(model, X, Y, random).gradients().reshape(9, -1)
    g = _own_gradient(model, X, Y).reshape(-1)
    g_trunc = _chunked_gradient(model, X, Y, 5).reshape(-1)
    gn = torch.linalg.vector_norm(g)
    np.testing.assert_allclose(cmp.random_norm, torch.linalg.vector_norm(explicit, dim=1), rtol=1e-9)
    np.testing.assert_allclose(cmp.random_rel_error, torch.linalg.vector_norm(explicit - g, dim=1) / gn, rtol=1e-7)
    np.testing.assert_allclose(cmp.random_cosine, explicit @ g / torch.linalg.vector_norm(explicit, dim=1) / gn,
                               rtol=1e-9)
    running = [torch.linalg.vector_norm(explicit[:n].mean(0) - g) / gn for n in range(1, 10)]
    np.testing.assert_allclose(cmp.running_rel_error, running, rtol=1e-6)
    assert cmp.running_rel_error[-1] == pytest.approx(cmp.random_mean.rel_error, rel=1e-6)
    variance = ((explicit - explicit.mean(0)) ** 2).sum(1).mean() / gn**2
    assert cmp.random_variance == pytest.approx(variance.item(), rel=1e-7)
    assert cmp.truncated.rel_error == pytest.approx((torch.linalg.vector_norm(g_trunc - g) / gn).item(), rel=1e-9)
    assert cmp.truncated_bias2 == pytest.approx(cmp.truncated.rel_error**2)
    assert cmp.full.rel_error == 0 and cmp.full.cosine == pytest.approx(1.0)
    top = torch.topk(g.abs(), N_ENTRIES).indices
    np.testing.assert_allclose(cmp.full.entries, g[top], rtol=1e-12)
    np.testing.assert_allclose(cmp.random_entries, explicit[:, top], rtol=1e-7, atol=1e-14)
    assert [r * cmp.shape[1] + c for r, c in cmp.entry_index] == top.tolist()
    assert cmp.shape == (5, 15) and cmp.text == TEXT[:-1] and cmp.keep_prob == pytest.approx(0.8)
    assert cmp.mean_segment["full"] == len(X) and cmp.mean_segment["regular"] == pytest.approx(len(X) / 7)


def test_chunked_draws_give_the_same_numbers_as_one_batch(monkeypatch):
    model = _model("scratch", hidden=6, vocab=len(VOCAB), seed=2)
    one = compare_truncation(model, VOCAB, TEXT, tau=4, draws=12, seed=1)
    monkeypatch.setattr("rnnviz.bptt.CHUNK_ELEMENTS", 1)  # one draw per backward pass
    many = compare_truncation(model, VOCAB, TEXT, tau=4, draws=12, seed=1)
    np.testing.assert_allclose(many.running_rel_error, one.running_rel_error, rtol=1e-9)
    np.testing.assert_allclose(many.random_norm, one.random_norm, rtol=1e-12)


def test_work_estimate_grows_with_draws_text_and_model():
    from rnnviz.bptt import truncation_work
    small, big = _model("lstm", hidden=4), _model("lstm", hidden=8, layers=2)
    assert truncation_work(small, 10, 40) == pytest.approx(2 * truncation_work(small, 10, 20))
    assert truncation_work(small, 20, 20) > 2 * truncation_work(small, 10, 20)  # the statistics are T²
    assert truncation_work(big, 10, 20) > truncation_work(small, 10, 20)
    assert truncation_work(fresh_rnn(len(VOCAB), 32, 0.9), 99, 100) < truncation_work(_model("gru", hidden=64), 99, 100)


def test_keeping_every_link_is_the_full_gradient_and_the_average_converges():
    model = _model("rnn", hidden=6, vocab=len(VOCAB), seed=4, scale=0.4)
    exact = compare_truncation(model, VOCAB, TEXT, tau=5, draws=3, keep_prob=1.0)
    np.testing.assert_allclose(exact.random_rel_error, 0, atol=1e-12)
    cmp = compare_truncation(model, VOCAB, TEXT, tau=5, draws=400, seed=0)
    assert cmp.running_rel_error[-1] < 0.2 * cmp.random_rel_error.mean()  # variance falls like 1/n
    assert cmp.random_mean.cosine > 0.99


@pytest.mark.parametrize("call,message", [
    (lambda m: compare_truncation(m, VOCAB, "ab"), "three characters"),
    (lambda m: compare_truncation(m, VOCAB, TEXT, draws=0), "random draws"),
    (lambda m: compare_truncation(m, VOCAB, TEXT, tau=0), "τ"),
    (lambda m: compare_truncation(m, VOCAB, "a" * 2000), "limit"),
    (lambda m: compare_truncation(build_model(ModelConfig(kind="lstm", vocab_size=28, hidden_size=3,
                                                          bidirectional=True)), VOCAB, TEXT), "unidirectional"),
    (lambda m: recurrent_matrices(m, layer=3), "layer"),
    (lambda m: recurrent_matrices(torch.nn.Linear(2, 2)), "is not one of them"),
    (lambda m: eigenvalues(torch.zeros(2, 3)), "square"),
])
def test_bad_requests_are_refused_with_a_message(call, message):
    model = build_model(ModelConfig(kind="scratch", vocab_size=len(VOCAB), hidden_size=4))
    with pytest.raises(ConfigError, match=message):
        call(model)


# ---------------------------------------------------------------- closed forms


def test_linear_rnn_gradient_is_the_closed_form_matrix_power():
    """φ = identity: h_t = h_{t−1} W + x_t W_xh, so for row vectors ∂h_T/∂h_k = W^(T−k) and
    ∂ℓ/∂h_k = ∂ℓ/∂h_T (W^(T−k))ᵀ."""
    model = fresh_rnn(len(VOCAB), hidden=6, lam=1.3, seed=5, input_scale=1.0).double()
    with torch.no_grad():  # a non-normal W: the norm of W^d is not λ^d, so only the matrix power itself fits
        upper = torch.triu(torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
        model.W_hh[0].copy_(upper * 0.5 + 0.7 * torch.eye(6, dtype=torch.float64))
    X, target = torch.tensor(VOCAB[list("time travel")]), VOCAB["s"]
    T, W = len(X), model.W_hh[0].detach()
    run = unroll(model, X, nonlinearity="identity")
    loss = F.cross_entropy(run.logits[-1:], torch.tensor([target]))
    grads = torch.autograd.grad(loss, run.hidden[0])
    probs = torch.softmax(run.logits[-1].detach(), dim=0)
    g_T = (probs - F.one_hot(torch.tensor(target), len(VOCAB)).double()) @ model.W_hq.detach().T  # ∂ℓ/∂h_T by hand
    curve = gradient_curve(model, X, target, nonlinearity="identity")
    chain = jacobian_chain(model, X, "identity")
    for k in range(1, T + 1):
        power = torch.linalg.matrix_power(W, T - k)
        torch.testing.assert_close(grads[k - 1][0], g_T @ power.T, atol=1e-12, rtol=1e-10)
        assert curve.norm[T - k] == pytest.approx(torch.linalg.vector_norm(g_T @ power.T).item(), rel=1e-10)
        torch.testing.assert_close(chain.products[T - k], power.T, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [0.3, 0.95, 1.0, 1.05, 2.5])
def test_spectral_radius_rescaling_is_exact_to_1e_6(seed, lam):
    W = torch.randn(24, 24, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)  # complex eigenvalues
    scaled = rescale_spectral_radius(W, lam)
    assert np.abs(np.linalg.eigvals(scaled.numpy())).max() == pytest.approx(lam, abs=1e-6)
    assert spectral_radius(scaled) == pytest.approx(lam, abs=1e-6)
    torch.testing.assert_close(scaled / W, torch.full_like(W, scaled[0, 0].item() / W[0, 0].item()))
    fresh = fresh_rnn(len(VOCAB), 24, lam, seed=seed).W_hh[0].detach().double().numpy()  # stored as float32
    assert np.abs(np.linalg.eigvals(fresh)).max() == pytest.approx(lam, abs=1e-6)


def test_eigenvalues_of_a_rotation_and_of_each_gate_block():
    theta, rho = 0.3, 0.9
    R = rho * torch.tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]],
                           dtype=torch.float64)
    W = torch.block_diag(R, torch.tensor([[1.2]], dtype=torch.float64))
    eig = eigenvalues(W)
    np.testing.assert_allclose(eig.values, [1.2, rho * np.exp(-1j * theta), rho * np.exp(1j * theta)], atol=1e-12)
    assert eig.spectral_radius == pytest.approx(1.2) and eig.outside_unit_circle == 1

    model = _model("lstm", hidden=4, vocab=5)
    blocks = recurrent_eigenvalues(model)
    assert list(blocks) == ["input", "forget", "candidate", "output"]
    forget = model.rnn.weight_hh_l0[4:8].detach().numpy()  # PyTorch's i, f, g, o
    np.testing.assert_allclose(np.sort_complex(blocks["forget"].values), np.sort_complex(np.linalg.eigvals(forget)),
                               atol=1e-10)
    assert list(recurrent_eigenvalues(_model("gru", hidden=3))) == ["reset", "update", "candidate"]
    scratch = fresh_rnn(len(VOCAB), 16, 0.8)
    only = recurrent_eigenvalues(scratch)["W_hh"]
    assert only.spectral_radius == pytest.approx(0.8, abs=1e-6) and len(only.values) == 16
    assert np.all(np.diff(np.abs(only.values)) <= 1e-12)  # largest magnitude first
    torch.testing.assert_close(recurrent_matrices(_model("rnn", hidden=3))["W_hh"],
                               _model("rnn", hidden=3).rnn.weight_hh_l0.detach().T)


def test_a_chosen_nonlinearity_replaces_phi_of_the_vanilla_rnn():
    model = fresh_rnn(len(VOCAB), 5, 0.9, seed=1, input_scale=1.0).double()
    X, Y = encode_pairs(VOCAB, TEXT[:12])
    linear = link_adjoints(model, X, Y, full_weights(len(X))[None], nonlinearity="identity").gradients()[0]
    W = model.W_hh[0]
    run = unroll(model, X, nonlinearity="identity")  # independent: gradients.unroll's graph
    (expected,) = torch.autograd.grad(F.cross_entropy(run.logits, Y), [W])
    torch.testing.assert_close(linear, expected, atol=1e-12, rtol=1e-10)
    with pytest.raises(ConfigError, match="vanilla RNN only"):
        link_adjoints(_model("gru"), X[:3] % 7, Y[:3] % 7, full_weights(3)[None], nonlinearity="identity")


# ---------------------------------------------------------------- figures


def test_truncation_figures_show_what_the_comparison_holds():
    from rnnviz import bptt_plots as bp
    model = _model("lstm", hidden=5, vocab=len(VOCAB), seed=2)
    cmp = compare_truncation(model, VOCAB, TEXT, tau=6, draws=15, seed=0)
    seg = bp.segments_figure(cmp, width=20)
    rows = [t.y[0] for t in seg.data]
    assert rows.count("full BPTT") == 1 and rows.count("regular truncation") == math.ceil(20 / 6)
    assert rows.count("randomized truncation") == len([s for s in segments(cmp.weights["randomized"]) if s[0] < 20])
    assert seg.layout.yaxis.type == "category" and len(seg.layout.xaxis.ticktext) == 20
    est = bp.estimates_figure(cmp)
    by_name = {t.name: t for t in est.data}
    np.testing.assert_allclose(by_name["regular truncation, τ = 6"].y, cmp.truncated.entries / cmp.full.entries)
    assert len(by_name["randomized, 15 draws"].y) == 15 * N_ENTRIES
    conv = bp.convergence_figure(cmp)
    assert conv.layout.xaxis.type == "log" and conv.layout.yaxis.type == "log"
    np.testing.assert_allclose(conv.data[1].y, cmp.running_rel_error)
    for fig in (seg, est, conv):
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.font.size >= 16


def test_eigenvalue_and_clipping_figures():
    from rnnviz import bptt_plots as bp
    from rnnviz.gradients import ClippingRun
    eig = recurrent_eigenvalues(fresh_rnn(len(VOCAB), 12, 1.2))["W_hh"]
    fig = bp.eigenvalue_figure(eig)
    points = [t for t in fig.data if t.mode == "markers"]
    assert sum(len(t.x) for t in points) == 12 and any("|λ| > 1" in t.name for t in points)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.title.text == "Eigenvalues of W_hh"
    assert fig.layout.title.subtitle.text == f"{eig.outside_unit_circle} of 12 outside the unit circle"
    circle = fig.data[0]
    np.testing.assert_allclose(np.hypot(circle.x, circle.y), 1.0)
    free = ClippingRun(0.0, [4.0, 9.0, math.nan], [1e3, 1e9, math.inf], [1e3, 1e9, math.inf], diverged_at=3)
    clipped = ClippingRun(1.0, [4.0, 3.9, 3.8], [50.0, 20.0, 9.0], [1.0, 1.0, 1.0])
    loss = bp.clipping_loss_figure(free, clipped)
    assert [t.name for t in loss.data] == ["without clipping", "clipped at θ = 1"]
    assert loss.data[0].y[2] is None and len(loss.layout.shapes) == 1  # the divergence marked, not plotted


def test_kstep_error_figure_and_log_ticks():
    from rnnviz import sequence_plots as sp
    from rnnviz.sequence import SequenceConfig, run_experiment
    res = run_experiment(SequenceConfig(T=200, n_train=100, epochs=1, ks=(1, 4, 16)))
    fig = sp.kstep_error_figure([res])
    assert list(fig.data[0].x) == [1, 4, 16]
    assert list(fig.data[0].y) == pytest.approx([res.kstep[k].mse_observed for k in (1, 4, 16)])
    assert fig.layout.yaxis.type == "log" and fig.layout.shapes[0].y0 == pytest.approx(0.04)  # σ² line
    assert sp.log_ticks([0.04, 0.3])["tickvals"] == pytest.approx([0.02, 0.05, 0.1, 0.2, 0.5])
    wide = sp.log_ticks([1e-20, 1.0])
    assert len(wide["tickvals"]) <= 9 and wide["ticktext"][-1] == "1" and wide["tickvals"][0] <= 1e-20
    assert "10<sup>−9</sup>" in wide["ticktext"]  # every third power of ten, through 10⁰
    assert sp.log_ticks([0.0, None, float("nan")]) == {}
