"""Figures for the Memory lab: training curves of three cells, accuracy against T, input saliency, the LSTM's forget
gates along the delay, and a small diagram of each RNN shape. Pure functions, sized for a projector."""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import torch

from .i18n import t
from .memory_lab import cell_name
from .memory_tasks import SHAPES, shape_name
from .plots import PALETTE, _layout

CELL_COLORS = {"rnn": PALETTE[1], "gru": PALETTE[2], "lstm": PALETTE[0]}


def _smooth(values: Sequence[float], weight: float = 0.9) -> list[float]:
    out, last = [], None
    for v in values:
        last = v if last is None else weight * last + (1 - weight) * v
        out.append(last)
    return out


def training_figure(histories: dict[str, list[dict]], metric: str = "accuracy", chance: float | None = None,
                    regression: bool = False) -> go.Figure:
    """One line per cell: accuracy (or loss) per minibatch, smoothed, against the step."""
    y_title = t("memory_plots.accuracy_y") if metric == "accuracy" else (
        t("memory_plots.loss_mse_y") if regression else t("memory_plots.loss_ce_y"))
    title = t("memory_plots.training_accuracy_title") if metric == "accuracy" else t("memory_plots.training_loss_title")
    layout = _layout(title, t("memory_plots.step_x"), y_title, revision="memory_training")
    data = []
    for cell, hist in histories.items():
        if not hist:
            continue
        data.append(dict(type="scatter", mode="lines", name=cell_name(cell), x=[r["step"] for r in hist],
                         y=_smooth([r[metric] for r in hist]), line=dict(color=CELL_COLORS[cell], width=3)))
    if metric == "accuracy":
        layout["yaxis"]["range"] = [0, 1.05]
        if chance is not None and data:
            x_max = max(max(d["x"]) for d in data)
            data.append(dict(type="scatter", mode="lines", name=t("memory_plots.chance", chance=f"{chance:.2f}"),
                             x=[0, x_max],
                             y=[chance, chance], line=dict(color="#999", dash="dash", width=2)))
    if not data:
        layout["annotations"] = [dict(text=t("memory_plots.press_train"), showarrow=False, x=0.5, y=0.5, xref="paper",
                                      yref="paper", font=dict(size=20, color="#666"))]
    return go.Figure(data=data, layout=layout)


def sweep_figure(Ts: Sequence[int], accuracy: dict[str, list[float]], chance: float, steps: int) -> go.Figure:
    """Final held-out accuracy against the dependency length T, one line per cell, chance dashed."""
    layout = _layout(t("memory_plots.sweep_title", steps=steps), t("memory_plots.sweep_x"), t("memory_plots.sweep_y"))
    layout["yaxis"]["range"] = [0, 1.05]
    layout["xaxis"]["type"] = "log"
    layout["xaxis"]["tickvals"] = list(Ts)
    data = [dict(type="scatter", mode="lines+markers", name=cell_name(c), x=list(Ts), y=acc,
                 line=dict(color=CELL_COLORS[c], width=3), marker=dict(size=12)) for c, acc in accuracy.items()]
    data.append(dict(type="scatter", mode="lines", name=t("memory_plots.chance", chance=f"{chance:.2f}"),
                     x=[min(Ts), max(Ts)],
                     y=[chance, chance], line=dict(color="#999", dash="dash", width=2)))
    return go.Figure(data=data, layout=layout)


def saliency_figure(saliency: dict[str, torch.Tensor], cues: torch.Tensor, labels: Sequence[str] | None = None
                    ) -> go.Figure:
    """‖∂ answer / ∂ x_s‖ per input step s, one line per cell (log scale), the decisive inputs shaded."""
    layout = _layout(t("memory_plots.saliency_title"), t("memory_plots.saliency_x"), t("memory_plots.saliency_y"),
                     log_y=True)
    layout["yaxis"]["exponentformat"] = "power"
    data = []
    for cell, g in saliency.items():
        y = [max(float(v), 1e-12) for v in g]
        data.append(dict(type="scatter", mode="lines+markers", name=cell_name(cell), x=list(range(len(y))), y=y,
                         line=dict(color=CELL_COLORS[cell], width=3), marker=dict(size=6)))
    layout["shapes"] = [dict(type="rect", xref="x", yref="paper", x0=int(s) - 0.5, x1=int(s) + 0.5, y0=0, y1=1,
                             fillcolor="#E69F00", opacity=0.3, line=dict(width=0))
                        for s in cues.nonzero().flatten().tolist()]
    if labels is not None and len(labels) <= 60:
        layout["xaxis"].update(tickvals=list(range(len(labels))), ticktext=list(labels), tickangle=0)
    return go.Figure(data=data, layout=layout)


def forget_figure(forget: torch.Tensor, cues: torch.Tensor) -> go.Figure:
    """The LSTM's forget gates F_t (steps × units) as a heatmap on a fixed 0..1 scale."""
    L, H = forget.shape
    layout = _layout(t("memory_plots.forget_title"), t("memory_plots.forget_x"), t("memory_plots.forget_y"), height=460)
    layout["yaxis"].update(showgrid=False)
    layout["xaxis"].update(showgrid=False)
    layout["shapes"] = [dict(type="rect", xref="x", yref="paper", x0=int(s) - 0.5, x1=int(s) + 0.5, y0=-0.02,
                             y1=1.02, line=dict(color="#E69F00", width=3))
                        for s in cues.nonzero().flatten().tolist()]
    data = [dict(type="heatmap", z=forget.T.tolist(), x=list(range(L)), y=list(range(H)), zmin=0, zmax=1,
                 colorscale="Viridis", colorbar=dict(title=dict(text="F", font=dict(size=18)),
                                                     tickfont=dict(size=16)),
                 hovertemplate=t("memory_plots.forget_hover") + "<extra></extra>")]
    return go.Figure(data=data, layout=layout)


# ---------------------------------------------------------------- the RNN shapes

_SHAPE_STEPS = {  # (inputs at steps, outputs at steps, steps)
    "many-to-one": ([0, 1, 2, 3], [3], 4),
    "many-to-many (equal)": ([0, 1, 2, 3], [0, 1, 2, 3], 4),
    "many-to-many (different)": ([0, 1, 2], [3, 4], 5),
    "one-to-many": ([0], [0, 1, 2, 3], 4),
}


def shape_figure(shape: str, highlight: bool = False) -> go.Figure:
    """A small unrolled diagram: x boxes below, h cells in a row, y boxes above, arrows between them."""
    if shape not in _SHAPE_STEPS:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(_SHAPE_STEPS)}")
    ins, outs, n = _SHAPE_STEPS[shape]
    color = "#0072B2" if highlight else "#555"
    shapes, annotations = [], []

    def box(x, y, text, fill):
        shapes.append(dict(type="rect", x0=x - 0.32, x1=x + 0.32, y0=y - 0.3, y1=y + 0.3, fillcolor=fill,
                           line=dict(color=color, width=2)))
        annotations.append(dict(x=x, y=y, text=text, showarrow=False, font=dict(size=18)))

    def arrow(x0, y0, x1, y1):
        annotations.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=2, arrowcolor=color))

    for t in range(n):
        box(t, 1, "h", "#E8F1FA")
        if t:
            arrow(t - 1 + 0.32, 1, t - 0.32, 1)
    for t in ins:
        box(t, 0, "x", "#FFF4E0")
        arrow(t, 0.3, t, 0.7)
    for t in outs:
        box(t, 2, "y", "#E6F5EF")
        arrow(t, 1.3, t, 1.7)
    layout = dict(template="none", paper_bgcolor="white", plot_bgcolor="white", height=230,
                  margin=dict(l=10, r=10, t=44, b=10), showlegend=False,
                  title=dict(text=shape_name(shape), font=dict(size=20), x=0.02, xanchor="left"),
                  xaxis=dict(visible=False, range=[-0.6, n - 0.4], fixedrange=True),
                  yaxis=dict(visible=False, range=[-0.5, 2.5], fixedrange=True, scaleanchor="x"),
                  shapes=shapes, annotations=annotations)
    return go.Figure(layout=layout)


__all__ = ["training_figure", "sweep_figure", "saliency_figure", "forget_figure", "shape_figure", "CELL_COLORS",
           "SHAPES"]
