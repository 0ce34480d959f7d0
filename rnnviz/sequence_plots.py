"""Figures for sequence models (d2l 8.1) and gradients through time: results in, plotly Figure out.

Pure functions: no training, no state, fonts large enough for a projector.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .gradients import GradientCurve, JacobianChain
from .i18n import t
from .sequence import SequenceResult, TrainRecord

FONT = 18
TITLE_FONT = 24
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
# By model kind, not by label: the labels change with the interface language.
KIND_COLORS = {"rnn": "#d62728", "scratch": "#d62728", "gru": "#2ca02c", "lstm": "#1f77b4"}


def model_label(kind: str) -> str:
    """The name of a sequence model kind ('mlp', 'gru', 'rnn') in the interface's language."""
    return t(f"sequence_plots.model_{kind}")


def forecast_label(name: str) -> str:
    """A forecast's name ('1-step', 'multistep', '16-step') in the interface's language."""
    if name == "multistep":
        return t("sequence_plots.multistep")
    return t("sequence_plots.k_step", k=name.removesuffix("-step"))


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, log_y: bool = False,
            subtitle: str = "") -> go.Figure:
    """Title (and subtitle) on top, the legend below the x axis, where it never covers the title or the data."""
    names = [trace.name for trace in fig.data if trace.showlegend is not False and trace.name]
    # A horizontal legend that wraps lays its entries on a grid as wide as the longest: rows for a ~620 px chart.
    per_row = max(1, int(620 // (0.55 * FONT * max(map(len, names), default=1) + 45)))
    rows = -(-len(names) // per_row)
    fig.update_layout(
        title=dict(text=title, font=dict(size=TITLE_FONT),
                   subtitle=dict(text=subtitle, font=dict(size=FONT, color="#555555"))),
        font=dict(size=FONT),
        template="plotly_white",
        legend=dict(font=dict(size=FONT), orientation="h", yref="container", yanchor="bottom", y=0.01,
                    xanchor="left", x=0),
        margin=dict(t=100 if subtitle else 70, l=90, r=30, b=90 + 30 * rows),
        height=440 + 30 * rows,
        hovermode="x unified",
    )
    fig.update_xaxes(title=dict(text=x_title, font=dict(size=FONT + 2)), tickfont=dict(size=FONT))
    fig.update_yaxes(title=dict(text=y_title, font=dict(size=FONT + 2)), tickfont=dict(size=FONT),
                     type="log" if log_y else "linear", exponentformat="power" if log_y else "none")
    if log_y:
        fig.update_yaxes(**log_ticks(np.concatenate([np.asarray(tr.y, dtype=float) for tr in fig.data
                                                     if tr.y is not None and len(tr.y)] or [np.zeros(0)])))
    return fig


def log_ticks(values) -> dict:
    """Readable ticks for a log axis spanning ``values`` (positive ones): 1, 2, 5 × 10^n over up to three decades,
    else every power of ten (every second one or more over very long spans)."""
    v = np.asarray([float(x) for x in np.ravel(values) if x is not None and np.isfinite(x) and x > 0])
    if not len(v):
        return {}
    lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
    if hi - lo <= 3:
        ticks = [m * 10.0**e for e in range(lo, hi + 1) for m in (1, 2, 5)]
        ticks = [t for t in ticks if v.min() / 2.5 <= t <= v.max() * 2.5]
        return dict(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    step = max(1, -(-(hi - lo) // 8))
    exps = range(lo - lo % step, hi + 1, step)
    return dict(tickvals=[10.0**e for e in exps],
                ticktext=[f"{10.0**e:g}" if -2 <= e <= 3 else f"10<sup>{e}</sup>".replace("-", "−") for e in exps])


def _data_traces(res: SequenceResult, show_clean: bool) -> list[go.Scatter]:
    traces = [go.Scatter(x=res.time, y=res.x, name=t("sequence_plots.observed"), mode="lines",
                         line=dict(color="#9aa5b1", width=1.5))]
    if show_clean:
        traces.append(go.Scatter(x=res.time, y=res.clean, name=t("sequence_plots.clean"), mode="lines",
                                 line=dict(color="#333333", width=1.5, dash="dot")))
    return traces


def _model_name(res: SequenceResult) -> str:
    cfg = res.config
    return t("sequence_plots.model_mlp_tau", tau=cfg.tau) if cfg.model == "mlp" else model_label(cfg.model)


def _train_end(fig: go.Figure, res: SequenceResult) -> None:
    """A vertical line where the observations the model was trained on end."""
    fig.add_vline(x=res.config.multistep_start + 0.5, line=dict(color="#555555", dash="dash", width=1.5),
                  annotation_text=t("sequence_plots.train_end"), annotation_font_size=FONT - 2,
                  annotation_position="top left")


def data_figure(res: SequenceResult, show_clean: bool = False) -> go.Figure:
    """The series alone: sin(0.01 t) plus noise, t = 1 .. T."""
    fig = go.Figure(_data_traces(res, show_clean))
    return _layout(fig, t("sequence_plots.data_title"), t("sequence_plots.time_axis"), t("sequence_plots.value_axis"),
                   subtitle=t("sequence_plots.data_subtitle", noise=f"{res.config.noise:g}", T=res.config.T))


def onestep_figure(res: SequenceResult, show_clean: bool = False) -> go.Figure:
    """Observations and 1-step-ahead predictions."""
    f = res.onestep
    fig = go.Figure(_data_traces(res, show_clean))
    fig.add_trace(go.Scatter(x=f.time, y=f.pred, name=t("sequence_plots.onestep_pred"), mode="lines",
                             line=dict(color=COLORS[0], width=2.5)))
    _train_end(fig, res)
    return _layout(fig, t("sequence_plots.onestep_title"), t("sequence_plots.time_axis"),
                   t("sequence_plots.value_axis"),
                   subtitle=t("sequence_plots.onestep_subtitle", model=_model_name(res), mse=f"{f.mse_observed:.3g}"))


def multistep_figure(res: SequenceResult, show_clean: bool = False) -> go.Figure:
    """1-step predictions, then predictions fed back as inputs after the training data ends."""
    fig = go.Figure(_data_traces(res, show_clean))
    fig.add_trace(go.Scatter(x=res.onestep.time, y=res.onestep.pred, name=t("sequence_plots.onestep_pred"),
                             mode="lines", line=dict(color=COLORS[0], width=2)))
    m = res.multistep
    fig.add_trace(go.Scatter(x=m.time, y=m.pred, name=t("sequence_plots.multistep_pred"), mode="lines",
                             line=dict(color=COLORS[1], width=3)))
    _train_end(fig, res)
    return _layout(fig, t("sequence_plots.multistep_title", start=int(m.time[0])), t("sequence_plots.time_axis"),
                   t("sequence_plots.value_axis"),
                   subtitle=t("sequence_plots.multistep_subtitle", model=_model_name(res),
                              mse=f"{m.mse_observed:.3g}"))


def kstep_figure(res: SequenceResult, ks=None) -> go.Figure:
    """k-step-ahead predictions, one line per k: each sees observations up to k steps before its target."""
    ks = list(res.kstep) if ks is None else list(ks)
    fig = go.Figure(_data_traces(res, show_clean=False))
    for i, k in enumerate(ks):
        f = res.kstep[k]
        name = t("sequence_plots.kstep_trace", k=k, mse=f"{f.mse_observed:.2g}")
        fig.add_trace(go.Scatter(x=f.time, y=f.pred, name=name, mode="lines",
                                 line=dict(color=COLORS[i % len(COLORS)], width=2)))
    return _layout(fig, t("sequence_plots.kstep_title"), t("sequence_plots.time_axis"), t("sequence_plots.value_axis"),
                   subtitle=t("sequence_plots.kstep_subtitle", model=_model_name(res), ks=", ".join(map(str, ks))))


def loss_figure(history: list[TrainRecord]) -> go.Figure:
    """Minibatch loss per step (thin) and the training-set loss at each epoch's end (markers)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r.step for r in history], y=[r.loss for r in history],
                             name=t("sequence_plots.minibatch"), mode="lines",
                             line=dict(color="#9aa5b1", width=1.5)))
    ends = [r for r in history if r.epoch_end]
    fig.add_trace(go.Scatter(x=[r.step for r in ends], y=[r.epoch_loss for r in ends],
                             name=t("sequence_plots.epoch_end"), mode="lines+markers",
                             line=dict(color=COLORS[0], width=3), marker=dict(size=10),
                             text=[t("sequence_plots.epoch", epoch=r.epoch) for r in ends]))
    return _layout(fig, t("sequence_plots.loss_title"), t("sequence_plots.optimizer_step"), t("sequence_plots.loss_y"))


# ---------------------------------------------------------------- gradients through time


def _positive(values: np.ndarray) -> list:
    """Values for a log axis: zeros and non-finite values become gaps."""
    return [float(v) if np.isfinite(v) and v > 0 else None for v in values]


def gradient_figure(curves: list[GradientCurve] | dict[str, GradientCurve], reference: bool = True,
                    cells: bool = False) -> go.Figure:
    """‖∂ℓ_T/∂h_k‖ against T − k on a log scale, one line per curve.

    ``reference`` draws λ^(T−k) dashed for curves that carry a λ; ``cells`` adds the LSTM's ‖∂ℓ_T/∂c_k‖ dotted.
    """
    curves = list(curves.values()) if isinstance(curves, dict) else list(curves)
    fig = go.Figure()
    for i, c in enumerate(curves):
        color = KIND_COLORS.get(c.kind or "", COLORS[i % len(COLORS)])
        fig.add_trace(go.Scatter(x=c.distance, y=_positive(c.norm), name=c.label, mode="lines+markers",
                                 line=dict(color=color, width=3), marker=dict(size=6)))
        if reference and c.lam is not None:
            fig.add_trace(go.Scatter(x=c.distance, y=_positive(c.reference()), name=f"{c.lam:g}^(T−k)",
                                     mode="lines", line=dict(color=color, width=2, dash="dash")))
        if cells and c.cell_norm is not None:
            fig.add_trace(go.Scatter(x=c.distance, y=_positive(c.cell_norm),
                                     name=t("sequence_plots.cell_norm", label=c.label), mode="lines",
                                     line=dict(color=color, width=2, dash="dot")))
    return _layout(fig, t("sequence_plots.grad_title"), t("sequence_plots.distance_axis"), t("sequence_plots.grad_y"),
                   log_y=True, subtitle=t("sequence_plots.grad_subtitle"))


def jacobian_figure(chain: JacobianChain, curve: GradientCurve | None = None) -> go.Figure:
    """The theory: ‖∏ diag(φ') W_hhᵀ‖ from explicit Jacobians, λ^(T−k), and optionally the measured gradient."""
    d = chain.distance
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d, y=_positive(chain.norm), name=t("sequence_plots.jacobian_norm"),
                             mode="lines+markers", line=dict(color=COLORS[0], width=3)))
    fig.add_trace(go.Scatter(x=d, y=_positive(chain.lam ** d.astype(np.float64)),
                             name=t("sequence_plots.lambda_power", lam=f"{chain.lam:.3g}"), mode="lines",
                             line=dict(color=COLORS[1], width=2, dash="dash")))
    if curve is not None:
        fig.add_trace(go.Scatter(x=curve.distance, y=_positive(curve.norm), name=t("sequence_plots.autograd"),
                                 mode="lines", line=dict(color=COLORS[2], width=2)))
    return _layout(fig, t("sequence_plots.jacobian_title"), t("sequence_plots.distance_axis"),
                   t("sequence_plots.jacobian_y"), log_y=True, subtitle=t("sequence_plots.jacobian_subtitle"))


def clipping_figure(norms, clipped, theta: float) -> go.Figure:
    """Gradient norms per step before and after clipping at θ."""
    steps = np.arange(1, len(norms) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=_positive(np.asarray(norms)), name=t("sequence_plots.clip_before"),
                             mode="lines", line=dict(color=COLORS[1], width=2)))
    fig.add_trace(go.Scatter(x=steps, y=_positive(np.asarray(clipped)), name=t("sequence_plots.clip_after"),
                             mode="lines", line=dict(color=COLORS[0], width=3)))
    fig.add_hline(y=theta, line=dict(color="#555555", dash="dash"), annotation_text=f"θ = {theta:g}",
                  annotation_font_size=FONT - 2)
    return _layout(fig, t("sequence_plots.clip_title", theta=f"{theta:g}"), t("sequence_plots.optimizer_step"),
                   t("sequence_plots.clip_y"), log_y=True)


def kstep_error_figure(results: list[SequenceResult]) -> go.Figure:
    """MSE of the k-step predictions against k, one line per model, with the noise floor σ²: errors compound."""
    fig = go.Figure()
    for i, res in enumerate(results):
        ks = sorted(res.kstep)
        fig.add_trace(go.Scatter(x=ks, y=_positive(np.array([res.kstep[k].mse_observed for k in ks])),
                                 name=_model_name(res), mode="lines+markers", line=dict(color=COLORS[i % len(COLORS)],
                                                                                       width=3), marker=dict(size=12)))
    noise = results[0].config.noise if results else 0.0
    if noise > 0:
        fig.add_hline(y=noise**2, line=dict(color="#555555", dash="dash"), annotation_font_size=FONT - 2,
                      annotation_text=t("sequence_plots.noise_floor", value=f"{noise**2:.3g}"),
                      annotation_position="bottom right")
    _layout(fig, t("sequence_plots.kstep_error_title"), t("sequence_plots.kstep_error_x"),
            t("sequence_plots.kstep_error_y"), log_y=True, subtitle=t("sequence_plots.kstep_error_subtitle"))
    values = [r.kstep[k].mse_observed for r in results for k in r.kstep] + ([noise**2] if noise > 0 else [])
    fig.update_xaxes(type="log", tickvals=sorted({k for r in results for k in r.kstep}))
    fig.update_yaxes(**log_ticks(values))
    return fig
