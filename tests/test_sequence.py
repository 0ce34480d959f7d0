"""The d2l 8.1 experiment against independent truth: hand-built windows, feedback loops written out, the noise floor."""
import math

import numpy as np
import pytest
import torch

from rnnviz.models import ConfigError
from rnnviz.sequence import (
    SequenceConfig, SequenceExperiment, build_mlp, k_step_matrix, make_series, multistep_predictions, rnn_k_step,
    run_experiment, window_features,
)

TINY = dict(T=200, tau=4, n_train=100, epochs=2, ks=(1, 2, 4, 16))


def _trained(**overrides):
    exp = SequenceExperiment(SequenceConfig(**{**TINY, **overrides}))
    for _ in exp.run():
        pass
    return exp


def test_features_are_the_hand_built_windows():
    x = torch.arange(10.0)
    features, labels = window_features(x, 3)
    expected = torch.tensor([[i, i + 1, i + 2] for i in range(7)], dtype=torch.float32)
    torch.testing.assert_close(features, expected)
    torch.testing.assert_close(labels, torch.arange(3.0, 10.0))


def test_noiseless_series_is_the_sine_on_d2l_time_axis():
    s = make_series(SequenceConfig(T=100, noise=0.0, n_train=50, ks=(1, 4)))
    torch.testing.assert_close(s.time, torch.arange(1.0, 101.0))
    torch.testing.assert_close(s.x, torch.sin(0.01 * s.time))
    torch.testing.assert_close(s.features[5], s.x[5:9])


def test_noise_has_the_configured_standard_deviation():
    s = make_series(SequenceConfig(T=20_000, noise=0.2))
    assert abs((s.x - s.clean).std().item() - 0.2) < 0.005


def test_one_step_predictions_equal_the_net_on_each_window():
    exp = _trained()
    res = exp.results()
    x, tau = exp.series.x, exp.cfg.tau
    with torch.no_grad():
        by_hand = [exp.net(x[i - tau:i].reshape(1, tau)).item() for i in range(tau, exp.cfg.T)]
    np.testing.assert_allclose(res.onestep.pred, by_hand, atol=1e-6)
    np.testing.assert_array_equal(res.onestep.time, np.arange(tau + 1, exp.cfg.T + 1))


def test_multistep_is_the_manual_feedback_loop():
    exp = _trained(tau=4)
    start, T = exp.cfg.multistep_start, exp.cfg.T
    seq = exp.series.x[:start].tolist()
    with torch.no_grad():
        while len(seq) < T:
            seq.append(exp.net(torch.tensor(seq[-4:]).reshape(1, 4)).item())
    res = exp.results()
    np.testing.assert_allclose(res.multistep.pred, seq[start:], atol=1e-6)
    assert res.multistep.time[0] == start + 1  # d2l: index 604 is time 605
    out = multistep_predictions(exp.net, exp.series.x, 4, start)
    torch.testing.assert_close(out[:start], exp.series.x[:start])


def test_k_step_columns_by_hand():
    exp = _trained()
    res = exp.results()
    x, tau, n = exp.series.x, exp.cfg.tau, exp.cfg.T - exp.cfg.tau - exp.cfg.max_k + 1
    np.testing.assert_allclose(res.kstep[1].pred, res.onestep.pred[:n], atol=1e-6)
    with torch.no_grad():  # 2-step: the second prediction sees the first in place of x[r + τ]
        for r in (0, 7, n - 1):
            p1 = exp.net(x[r:r + tau].reshape(1, -1)).reshape(1)
            p2 = exp.net(torch.cat([x[r + 1:r + tau], p1]).reshape(1, -1)).item()
            assert res.kstep[2].pred[r] == pytest.approx(p2, abs=1e-6)
    for k, f in res.kstep.items():
        assert f.time[0] == tau + k and len(f.pred) == n
    matrix = k_step_matrix(exp.net, x, tau, exp.cfg.max_k)
    torch.testing.assert_close(matrix[:, :tau], window_features(x, tau)[0][:n])


def test_noiseless_series_is_learned():
    """Without noise a τ = 4 window determines the next value: the 1-step error is 100× below the signal's power 0.5."""
    res = run_experiment(SequenceConfig(noise=0.0))
    assert res.onestep.mse_observed < 5e-3
    assert res.onestep.mse_observed == pytest.approx(res.onestep.mse_clean)


def test_d2l_run_reaches_the_noise_floor():
    """d2l prints epoch losses of about 0.05; with noise σ = 0.2 no model can beat σ² = 0.04 on the observations."""
    res = run_experiment(SequenceConfig())
    final = [r.epoch_loss for r in res.history if r.epoch_end]
    assert len(final) == 5 and 0.04 < final[-1] < 0.07
    assert 0.04 < res.onestep.mse_observed < 0.07
    assert res.onestep.mse_clean < 0.03
    assert res.kstep[64].mse_clean > res.kstep[16].mse_clean > res.kstep[1].mse_clean


def test_reproducible_under_seed():
    a, b, c = _trained(seed=3).results(), _trained(seed=3).results(), _trained(seed=4).results()
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    np.testing.assert_array_equal(a.multistep.pred, b.multistep.pred)
    assert not np.array_equal(a.x, c.x)


def test_stream_pauses_and_resumes_to_the_same_run():
    straight = _trained()
    paused = SequenceExperiment(SequenceConfig(**TINY))
    first = list(paused.run(max_steps=5))
    rest = list(paused.run())
    assert [r.loss for r in first + rest] == [r.loss for r in straight.history]
    ends = [r for r in straight.history if r.epoch_end]
    assert len(straight.history) == 2 * straight.steps_per_epoch == 2 * math.ceil(100 / 16)
    assert [r.epoch for r in ends] == [1, 2] and all(r.epoch_loss > 0 for r in ends)


def test_mlp_init_is_xavier_uniform():
    net = build_mlp(4, 10, torch.Generator().manual_seed(0))
    assert net[0].weight.abs().max() <= math.sqrt(6 / 14) and net[2].weight.abs().max() <= math.sqrt(6 / 11)


@pytest.mark.parametrize("model", ["gru", "rnn"])
def test_latent_model_forecasts_are_its_own_feedback_loop(model):
    exp = _trained(model=model, epochs=1)
    res = exp.results()
    x, tau, n = exp.series.x, exp.cfg.tau, exp.cfg.T - exp.cfg.tau - exp.cfg.max_k + 1
    np.testing.assert_allclose(res.kstep[1].pred, res.onestep.pred[:n], atol=1e-6)
    start, T = exp.cfg.multistep_start, exp.cfg.T
    with torch.no_grad():  # state after reading x[:start], then one value at a time
        pred, out = exp.net(x[:start, None])
        y, state, seq = pred[-1:], out[-1:], []
        while len(seq) < T - start:
            seq.append(y.item())
            p, state = exp.net(y.reshape(1, 1), state)
            y = p[0]
    np.testing.assert_allclose(res.multistep.pred, seq, atol=1e-5)
    ahead = rnn_k_step(exp.net, x, torch.tensor([tau - 1 + 5]), 4)[0]
    assert ahead[3].item() == pytest.approx(res.kstep[4].pred[5], abs=1e-6)


@pytest.mark.parametrize("change,message", [
    (dict(tau=0), "window length"),
    (dict(T=60), "too short"),
    (dict(n_train=0), "n_train"),
    (dict(n_train=1000), "n_train"),
    (dict(noise=-0.1), "noise"),
    (dict(noise=float("nan")), "noise"),
    (dict(lr=0), "learning rate"),
    (dict(epochs=2.5), "epochs"),
    (dict(ks=(0, 4)), "horizons"),
    (dict(model="lstm"), "model"),
])
def test_invalid_settings_are_refused_with_a_message(change, message):
    with pytest.raises(ConfigError, match=message):
        SequenceConfig(**change).validate()
    assert issubclass(ConfigError, ValueError)
