"""Results → plotly figures, sized for a projector. Pure functions: no Streamlit, no training.

A *history* is a list of ``StepRecord.to_dict()`` dicts (as the training stream yields them and as
checkpoints store them) or a :class:`~rnnviz.history.HistoryView` of a run's columns (read here a field at a
time, without building rows); the app adds ``"time"`` (Unix seconds at the end of the step), shown on hover
as the clock time when present.

Each figure is assembled as plain dicts with numpy arrays and validated once by ``go.Figure``: the live
Train page redraws three figures a second while training shares the interpreter, and building them
property by property (``add_trace``, ``update_layout``, a named template) cost ~15 ms a figure instead of ~2.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .history import column, having, values
from .i18n import t

FONT_SIZE = 18
TITLE_SIZE = 22
TICK_SIZE = 16
HEIGHT = 400
MAX_POINTS = 500  # per trace; longer histories are thinned evenly (smoothing uses every step)
SMOOTHING = 0.9  # exponential moving average weight of the past, as TensorBoard's slider
# Okabe–Ito: distinguishable for colour-blind viewers and on a washed-out projector.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
TRAIN_COLOR, VAL_COLOR, CLIP_COLOR, RAW_NORM_COLOR = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4]

# Catalogue keys (rnnviz/locales/*/plots.toml): a curve's name and its y axis; the x axes.
METRICS = {
    "ppl": ("plots.metric_ppl", "plots.axis_ppl"),
    "val_ppl": ("plots.metric_val_ppl", "plots.axis_ppl"),
    "loss": ("plots.metric_loss", "plots.axis_loss"),
}
X_AXES = {"step": "plots.axis_step", "time": "plots.axis_time"}


def metric_name(metric: str) -> str:
    """'training perplexity', in the current language."""
    return t(METRICS[metric][0])


def x_title(x: str) -> str:
    """'step (minibatches)' or 'training time (s)', in the current language."""
    return t(X_AXES[x])


def _axis(title: str, log: bool = False) -> dict:
    return dict(title=dict(text=title, font=dict(size=FONT_SIZE)), tickfont=dict(size=TICK_SIZE), showline=True,
                linecolor="#888", zeroline=False, showgrid=True, gridcolor="#e6e9ef", automargin=True,
                type="log" if log else "linear")


def _layout(title: str, x_title: str, y_title: str, *, log_y: bool = False, revision=None,
            height: int = HEIGHT) -> dict:
    return dict(
        template="none",  # styled here: applying a named template deep-copies it (~6 ms a figure)
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        title=dict(text=title, font=dict(size=TITLE_SIZE), x=0.01, xanchor="left"),
        font=dict(size=FONT_SIZE),
        height=height,
        margin=dict(l=80, r=24, t=64, b=72),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=TICK_SIZE)),
        hoverlabel=dict(font=dict(size=TICK_SIZE)),
        uirevision=revision,  # keeps the viewer's zoom while the data grows
        xaxis=_axis(x_title),
        yaxis=_axis(y_title, log_y),
    )


def _empty(layout: dict, text: str) -> go.Figure:
    layout["annotations"] = [dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                  font=dict(size=FONT_SIZE, color="#666"))]
    for axis in ("xaxis", "yaxis"):
        layout[axis].update(showticklabels=False, type="linear")
    return go.Figure(layout=layout)


def smooth(values: Sequence[float], weight: float = SMOOTHING) -> np.ndarray:
    """Bias-corrected exponential moving average (the first values are not pulled towards 0).

    a_i = w a_(i-1) + (1 - w) v_i, shown as a_i / (1 - w^i). Worked in blocks with numpy, where
    a_(s+k) = w^k (a_s + (1 - w) Σ_(j<=k) w^-j v_(s+j)): a Python loop over a long run's 100,000 steps took
    20 ms a figure, on every redraw of the live page."""
    v = np.asarray(values, dtype=float)
    if not 0.5 <= weight < 1 or not len(v):
        out, avg = [], 0.0
        for i, x in enumerate(v.tolist(), 1):
            avg = weight * avg + (1 - weight) * x
            out.append(avg / (1 - weight**i))
        return np.array(out, dtype=float)
    size = min(4096, int(200 / -math.log10(weight)))  # weight**-size stays below 1e200, far inside a float
    out = np.empty_like(v)
    avg = 0.0
    powers = weight ** np.arange(1, size + 1)
    for s in range(0, len(v), size):
        block = v[s:s + size]
        w = powers[:len(block)]
        out[s:s + len(block)] = w * (avg + (1 - weight) * np.cumsum(block / w))
        avg = out[s + len(block) - 1]
    warm = min(len(v), 40 * size)  # beyond it, 1 - weight**i is 1 to a float's precision
    out[:warm] /= 1 - weight ** np.arange(1, warm + 1)
    return out


def _stride(n: int, max_points: int = MAX_POINTS) -> range:
    """Indices keeping at most ``max_points`` of ``n`` evenly, always including the last."""
    if n <= max_points:
        return range(n)
    step = math.ceil(n / max_points)
    return range((n - 1) % step, n, step)


def _finite(ys: Sequence[float | None]) -> np.ndarray:
    """NaN where a value is missing or not finite: a gap in the line rather than a point at infinity."""
    v = np.asarray(ys, dtype=float)  # None becomes NaN
    return np.where(np.isfinite(v), v, math.nan)


class _Points:
    """The thinned rows of one history, with their x values and hover data, shared by a figure's traces."""

    def __init__(self, rows: Sequence[dict]):
        self.idx = _stride(len(rows))
        self.steps = np.array(column(rows, "step", self.idx))
        self.seconds = np.array(column(rows, "elapsed_s", self.idx), dtype=float)
        stamps = column(rows, "time", self.idx)
        if stamps and stamps[0] is not None:
            clock = [time.strftime("%H:%M:%S", time.localtime(s)) for s in stamps]
            self.custom = np.array(list(zip(self.seconds.tolist(), clock)), dtype=object)
            self.hover = t("plots.hover_time_clock")
        else:
            self.custom = self.seconds[:, None]
            self.hover = t("plots.hover_time")


def _line(points: _Points, ys: Sequence[float | None], name: str, y_fmt: str, x: str = "step", **style) -> dict:
    """A scatter trace of ``ys`` (one value per row of the history) at the thinned points."""
    x_label = t("plots.hover_step") if x == "step" else t("plots.hover_seconds")
    return dict(
        type="scatter", mode="lines", name=name, customdata=points.custom,
        x=points.steps if x == "step" else points.seconds,
        y=_finite(np.asarray(ys, dtype=float)[np.asarray(points.idx, dtype=np.int64)]),
        hovertemplate=f"<b>{name}</b><br>{x_label}<br>{y_fmt}<br>{points.hover}<extra></extra>",
        **style,
    )


def _reference(x_max: float, y: float, name: str, color: str, dash: str) -> dict:
    """A horizontal reference line drawn as a trace (a shape's label lands wrong on log axes)."""
    return dict(type="scatter", x=[0, x_max], y=[y, y], name=name, mode="lines", hoverinfo="skip",
                line=dict(color=color, width=2, dash=dash))


def _log_ticks(values: Sequence[float], extra: Sequence[float] = ()) -> dict:
    """Readable tick marks for a log axis over the finite positive values (plotly's own log ticks crowd
    in small digits): 1-2-5 per decade, finer when the data span a decade or less."""
    vals = np.concatenate([np.asarray(values, dtype=float).ravel(), np.asarray(extra, dtype=float).ravel()])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if not len(vals):
        return {}
    lo, hi = math.floor(math.log10(vals.min())), math.ceil(math.log10(vals.max()))
    marks = (1, 1.5, 2, 3, 5, 7) if hi - lo <= 1 else (1, 2, 3, 5) if hi - lo <= 2 else (1, 2, 5)
    ticks = [m * 10.0**e for e in range(lo, hi + 1) for m in marks]
    return dict(tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def _exp(xs: Sequence[float]) -> np.ndarray:
    v = np.asarray(xs, dtype=float)
    return np.where(v < 700, np.exp(np.minimum(v, 700)), math.inf)


def loss_figure(history: Sequence[dict], title: str | None = None, revision=None) -> go.Figure:
    """Cross-entropy per character of every minibatch (faint) and its moving average (bold)."""
    layout = _layout(title or t("plots.loss_title"), x_title("step"), t(METRICS["loss"][1]), revision=revision)
    if not history:
        return _empty(layout, t("plots.waiting"))
    loss, points = values(history, "loss"), _Points(history)
    hover = t("plots.hover_loss")
    return go.Figure(data=[
        _line(points, loss, t("plots.each_minibatch"), hover, line=dict(color=TRAIN_COLOR, width=1), opacity=0.35),
        _line(points, smooth(loss), t("plots.moving_average"), hover, line=dict(color=TRAIN_COLOR, width=4)),
    ], layout=layout)


def perplexity_figure(history: Sequence[dict], vocab_size: int | None = None, title: str | None = None,
                      revision=None) -> go.Figure:
    """Training perplexity (moving average of exp(loss)) and validation perplexity, log scale.

    With ``vocab_size``, a dotted line marks the perplexity of guessing uniformly among the characters.
    """
    layout = _layout(title or t("plots.ppl_title"), x_title("step"), t("plots.axis_ppl"), log_y=True,
                     revision=revision)
    if not history:
        return _empty(layout, t("plots.waiting"))
    ppl = _exp(smooth(values(history, "loss")))
    hover = t("plots.hover_ppl")
    traces = [_line(_Points(history), ppl, t("plots.training"), hover, line=dict(color=TRAIN_COLOR, width=4))]
    val = having(history, "val_ppl")
    val_ppl = values(val, "val_ppl")
    if val:
        traces.append({**_line(_Points(val), val_ppl, t("plots.validation"), hover,
                               line=dict(color=VAL_COLOR, width=3), marker=dict(size=9)),
                       "mode": "lines+markers"})
    if vocab_size:
        traces.append(_reference(history[-1]["step"], vocab_size, t("plots.uniform", vocab_size=vocab_size), "#888",
                                 "dot"))
    layout["yaxis"].update(_log_ticks(ppl, [*val_ppl, *([vocab_size] if vocab_size else [])]))
    return go.Figure(data=traces, layout=layout)


def grad_norm_figure(history: Sequence[dict], theta: float, title: str | None = None,
                     revision=None) -> go.Figure:
    """‖g‖ before and after clipping g ← min(1, θ/‖g‖) g, with the threshold θ drawn."""
    norms = values(history, "grad_norm")
    log_y = bool(len(norms)) and norms.min() > 0
    layout = _layout(title or t("plots.grad_title"), x_title("step"),
                     t("plots.axis_grad_log") if log_y else t("plots.axis_grad"), log_y=log_y, revision=revision)
    if not history:
        return _empty(layout, t("plots.waiting"))
    points = _Points(history)
    traces = [_line(points, norms, t("plots.before_clipping"), "‖g‖ %{y:.3g}",
                    line=dict(color=RAW_NORM_COLOR, width=2))]
    if theta > 0:
        traces.append(_line(points, values(history, "grad_norm_clipped"), t("plots.after_clipping"),
                            "‖g‖ %{y:.3g}", line=dict(color=CLIP_COLOR, width=3)))
        traces.append(_reference(history[-1]["step"], theta, f"θ = {theta:g}", "#333", "dash"))
    else:
        layout["annotations"] = [dict(text=t("plots.no_clipping"), showarrow=False, x=1, y=1, xref="paper",
                                      yref="paper", xanchor="right", font=dict(size=TICK_SIZE, color="#666"))]
    if log_y:
        layout["yaxis"].update(_log_ticks(norms, [theta] if theta > 0 else []))
    return go.Figure(data=traces, layout=layout)


def compare_figure(runs: Sequence[tuple[str, Sequence[dict]]], metric: str = "ppl", x: str = "step",
                   title: str | None = None) -> go.Figure:
    """Several runs on one chart: ``metric`` is 'ppl' (smoothed), 'val_ppl' or 'loss' (smoothed);
    ``x`` is 'step' or 'time' (training seconds)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")
    name, y_title = metric_name(metric), t(METRICS[metric][1])
    layout = _layout(title or t(f"plots.compare_title_{metric}"), x_title(x), y_title, log_y=metric != "loss",
                     height=500)
    layout["legend"].update(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0)
    layout["margin"]["b"] = 120
    traces, all_ys = [], []
    for i, (label, history) in enumerate(runs):
        color = PALETTE[i % len(PALETTE)]
        if metric == "val_ppl":
            rows = having(history, "val_ppl")
            ys = values(rows, "val_ppl")
            style = dict(mode="lines+markers", marker=dict(size=8))
        else:
            rows = history
            ys = smooth(values(rows, "loss"))
            if metric == "ppl":
                ys = _exp(ys)
            style = {}
        if not rows:
            continue
        trace = _line(_Points(rows), ys, label, f"{name} %{{y:.3f}}", x=x, line=dict(color=color, width=3))
        traces.append({**trace, **style})
        all_ys.append(ys)
    if not traces:
        if not runs:
            return _empty(layout, t("plots.pick_runs"))
        return _empty(layout, t("plots.no_val_yet") if metric == "val_ppl" else t("plots.no_steps_yet"))
    if metric != "loss":
        layout["yaxis"].update(_log_ticks(np.concatenate(all_ys)))
    return go.Figure(data=traces, layout=layout)
