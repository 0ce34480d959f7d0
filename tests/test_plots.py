"""rnnviz.plots: figures are titled, labelled with units, readable from the back of a room, and honest."""
import math

import numpy as np
import pytest

from rnnviz import plots


def history(n=10, val_every=5, theta=1.0, t0=1_700_000_000.0):
    rows = []
    for i in range(1, n + 1):
        loss = 3.0 / i
        norm = 5.0 / i
        rows.append({"step": i, "epoch": 1, "loss": loss, "ppl": math.exp(loss), "grad_norm": norm,
                     "grad_norm_clipped": min(norm, theta), "lr": 1.0, "tokens": 10 * i, "tokens_per_s": 100.0,
                     "elapsed_s": 0.1 * i, "val_ppl": 5.0 if i % val_every == 0 else None,
                     "epoch_end": False, "epoch_ppl": None, "time": t0 + i})
    return rows


def assert_readable(fig):
    layout = fig.layout
    assert layout.title.text and layout.font.size >= 16
    assert layout.xaxis.title.text and layout.yaxis.title.text


def test_smooth_is_a_bias_corrected_moving_average():
    assert plots.smooth([4.0]) == [4.0]  # not pulled towards 0
    w = plots.SMOOTHING
    expected = (w * (1 - w) * 4.0 + (1 - w) * 2.0) / (1 - w**2)
    assert plots.smooth([4.0, 2.0])[1] == pytest.approx(expected)


@pytest.mark.parametrize("weight", [0.5, 0.9, 0.999])
def test_smooth_in_blocks_equals_the_recurrence_over_a_long_run(weight):
    """The blocked numpy form against a_i = w a_(i-1) + (1 - w) v_i, shown as a_i / (1 - w^i), step by step."""
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 10, 30_000).tolist()
    expected, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        expected.append(avg / (1 - weight**i))
    assert plots.smooth(values, weight) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert list(plots.smooth([1.0, math.inf, 2.0], weight)) == pytest.approx([1.0, math.inf, math.inf])


def test_loss_figure_has_units_and_the_clock_time_on_hover():
    fig = plots.loss_figure(history())
    assert_readable(fig)
    assert "nats per character" in fig.layout.yaxis.title.text and "step" in fig.layout.xaxis.title.text
    raw, avg = fig.data
    assert list(raw.y) == [r["loss"] for r in history()]
    assert "training time" in raw.hovertemplate and "at %{customdata[1]}" in raw.hovertemplate
    assert len(raw.customdata[0][1]) == 8  # HH:MM:SS


def test_perplexity_figure_is_log_scale_with_validation_and_the_uniform_line():
    fig = plots.perplexity_figure(history(), vocab_size=28)
    assert_readable(fig)
    assert fig.layout.yaxis.type == "log"
    names = [t.name for t in fig.data]
    assert names == ["training", "validation", "uniform guess (28)"]
    assert list(fig.data[1].x) == [5, 10] and list(fig.data[1].y) == [5.0, 5.0]
    assert list(fig.data[2].y) == [28, 28]
    assert 1 in fig.layout.yaxis.tickvals and 50 in fig.layout.yaxis.tickvals  # 1-2-5 ticks over the data


def test_grad_norm_figure_draws_theta_and_both_norms():
    fig = plots.grad_norm_figure(history(), theta=1.0)
    assert_readable(fig)
    assert [t.name for t in fig.data] == ["before clipping", "after clipping", "θ = 1"]
    assert max(fig.data[1].y) == 1.0 and list(fig.data[2].y) == [1.0, 1.0]
    no_clip = plots.grad_norm_figure(history(), theta=0.0)
    assert len(no_clip.data) == 1 and "no clipping" in no_clip.layout.annotations[0].text


def test_empty_history_says_it_is_waiting():
    for fig in (plots.loss_figure([]), plots.perplexity_figure([]), plots.grad_norm_figure([], 1.0)):
        assert not fig.data and "waiting" in fig.layout.annotations[0].text


def test_long_histories_are_thinned_but_keep_the_last_step():
    long = history(n=10_000, val_every=1000)
    fig = plots.loss_figure(long)
    assert len(fig.data[0].x) <= plots.MAX_POINTS and fig.data[0].x[-1] == 10_000


def test_non_finite_values_are_gaps_not_errors():
    rows = history()
    rows[3]["grad_norm"] = math.inf
    fig = plots.grad_norm_figure(rows, theta=1.0)
    assert math.isnan(fig.data[0].y[3])


def test_compare_figure_overlays_runs_by_step_or_time():
    runs = [("RNN", history()), ("LSTM", history(n=20))]
    fig = plots.compare_figure(runs, "ppl", "time")
    assert_readable(fig)
    assert [t.name for t in fig.data] == ["RNN", "LSTM"] and fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.title.text == "training time (s)" and fig.data[1].x[-1] == pytest.approx(2.0)
    val = plots.compare_figure(runs, "val_ppl")
    assert list(val.data[0].x) == [5, 10]
    assert "pick runs" in plots.compare_figure([]).layout.annotations[0].text
    with pytest.raises(ValueError):
        plots.compare_figure(runs, "accuracy")
