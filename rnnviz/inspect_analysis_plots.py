"""Figures and HTML for :mod:`rnnviz.inspect_analysis`: select-and-match, the PCA trajectory, the saturation
scatter and the forget-gate memory. Pure functions, in the style of :mod:`rnnviz.inspect_plots`; every word comes
from the catalogue (``rnnviz/locales/*/inspect_analysis_plots.toml``)."""
from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from .i18n import t
from .inspect import Trace
from .inspect_analysis import (Match, Projection, Selection, memory_gate, memory_retention, memory_span, pca_2d,
                               saturation_fractions, saturation_quantities)
from .inspect_plots import FONT_SIZE, TITLE_SIZE, _char_axis, _layout, _steps, activation_heatmap, layer_name, \
    plain_label, shown_char, unit_name

LAYER_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
_SYMBOL = {"forget": "F", "update": "Z"}


def _quoted(text: str, most: int = 24) -> str:
    shown = "".join(shown_char(ch) for ch in text)
    return f"“{shown if len(shown) <= most else shown[: most - 1] + '…'}”"


def selection_heatmap(trace: Trace, selection: Selection) -> go.Figure:
    """The selected units over the (windowed) text, the selection outlined: the units' rows light up there."""
    signs = dict(zip(selection.units, selection.signs))
    fig = activation_heatmap(trace, selection.name, selection.layer, units=selection.units)
    fig.data[0].y = [t("inspect_analysis_plots.unit_high" if signs[u] > 0 else "inspect_analysis_plots.unit_low",
                       label=trace.unit_label(u)) for u in selection.units]
    span = trace.text[selection.start - trace.offset: selection.stop - trace.offset]
    fig.update_layout(title_text=t("inspect_analysis_plots.selection_title", n=len(selection.units),
                                   span=_quoted(span), layer=layer_name(selection.layer)),
                      height=200 + 45 * len(selection.units))
    x0 = max(selection.start - trace.offset, 0) - 0.5
    x1 = min(selection.stop - trace.offset, trace.num_steps) - 0.5
    if x1 > x0:
        fig.add_vrect(x0=x0, x1=x1, line=dict(color="black", width=3), fillcolor="rgba(0,0,0,0)")
    return fig


def matches_html(matches: Sequence[Match]) -> str:
    """One line per match: where it is and how strongly the selected units fire there compared with the
    selection, then the match highlighted in its context (grey)."""
    def show(text: str) -> str:
        return html.escape(text.replace("\n", "⏎"), quote=True)

    rows = []
    for m in matches:
        rows.append(
            '<div style="white-space:pre;line-height:1.8">'
            f'<span style="display:inline-block;width:11em;color:#555;font-size:0.95em">{m.start:>7,} · '
            f'{m.strength:.0%}</span>'
            f'<span style="font-family:monospace;font-size:1.2em">'
            f'<span class="rnnviz-data" style="color:#777">…{show(m.before)}</span>'
            f'<mark class="rnnviz-data" style="background:#ffd54f;font-weight:bold">{show(m.text)}</mark>'
            f'<span class="rnnviz-data" style="color:#777">{show(m.after)}…</span></span></div>')
    head = ('<div style="color:#555;font-size:0.95em"><span style="display:inline-block;width:11em">'
            f'{html.escape(t("inspect_analysis_plots.matches_head_where"))}</span>'
            f'{html.escape(t("inspect_analysis_plots.matches_head_context"))}</div>')
    return '<div style="overflow-x:auto">' + head + "".join(rows) + "</div>"


def pca_trajectory(trace: Trace, layer: int = 0, projection: Projection | None = None) -> go.Figure:
    """H_t projected on its two principal components, one labelled point per character, joined in reading
    order and colored from the first character (dark) to the last (light)."""
    pca = projection or pca_2d(trace, layer)
    xy = pca.coords.float()
    steps = _steps(trace)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xy[:, 0].tolist(), y=xy[:, 1].tolist(), mode="lines", showlegend=False,
                             line=dict(color="rgba(120,120,120,0.45)", width=1.5), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=xy[:, 0].tolist(), y=xy[:, 1].tolist(), mode="markers+text", showlegend=False,
        text=[shown_char(ch) for ch in trace.tokens], textposition="top center",
        textfont=dict(size=FONT_SIZE, family="monospace"), customdata=steps,
        marker=dict(size=11, color=list(range(trace.offset, trace.offset + trace.num_steps)), colorscale="Viridis",
                    colorbar=dict(title=dict(text=t("inspect_analysis_plots.pca_colorbar"), side="right"))),
        hovertemplate=t("inspect_analysis_plots.pca_hover"),
    ))
    e1, e2 = (float(v) for v in pca.explained)
    _layout(fig, t("inspect_analysis_plots.pca_title", layer=layer_name(layer), share=e1 + e2),
            t("inspect_analysis_plots.pca_x", share=e1), t("inspect_analysis_plots.pca_y", share=e2), height=650)
    return fig


def saturation_scatter(trace: Trace, margin: float = 0.1) -> go.Figure:
    """Karpathy, Johnson & Fei-Fei (2015), fig. 3: each unit a point at (fraction of steps its gate is within
    ``margin`` of 0, fraction within ``margin`` of 1), one panel per gate, one color per layer. Units on the
    left edge are never shut, on the bottom edge never fully open; near the diagonal x + y = 1 always
    saturated one way or the other (a switch); near the origin, in between (a graded gate)."""
    names = saturation_quantities(trace)
    if not names:
        raise ValueError(f"nothing in this {trace.kind} model is bounded, so nothing can saturate")
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[plain_label(n) for n in names],
                        horizontal_spacing=0.06)
    for col, name in enumerate(names, start=1):
        lo, hi = trace.bounds(name)
        for layer in range(trace.num_layers):
            low, high = saturation_fractions(trace, name, layer, margin)
            fig.add_trace(go.Scatter(
                x=low.tolist(), y=high.tolist(), mode="markers", name=layer_name(layer),
                legendgroup=str(layer), showlegend=col == 1 and trace.num_layers > 1,
                marker=dict(size=8, color=LAYER_COLORS[layer % len(LAYER_COLORS)], opacity=0.65),
                text=[trace.unit_label(u) for u in range(trace.num_units)],
                hovertemplate=(f"{t('inspect_analysis_plots.sat_hover_unit', layer=layer_name(layer))}<br>"
                               f"{plain_label(name)} {t('inspect_analysis_plots.sat_hover_low', lo=lo + margin)}<br>"
                               f"{t('inspect_analysis_plots.sat_hover_high', hi=hi - margin)}<extra></extra>"),
            ), row=1, col=col)
        fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines", showlegend=False, hoverinfo="skip",
                                 line=dict(color="gray", dash="dot", width=1)), row=1, col=col)
        fig.update_xaxes(title_text=t("inspect_analysis_plots.sat_x", lo=lo + margin), range=[-0.02, 1.02],
                         tickformat=".0%", row=1, col=col)
        fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", row=1, col=col,
                         title_text=t("inspect_analysis_plots.sat_y", hi=hi - margin) if col == 1 else None)
    fig.update_annotations(font=dict(size=FONT_SIZE + 2))
    fig.update_layout(title=dict(text=t("inspect_analysis_plots.sat_title", n=trace.num_steps),
                                 font=dict(size=TITLE_SIZE)),
                      font=dict(size=FONT_SIZE), height=560, margin=dict(l=90, r=30, t=110, b=80),
                      legend=dict(orientation="h", x=0, y=-0.22, xanchor="left"))
    return fig


FLOOR = 1e-4  # memory below 0.01 % counts as gone: the bottom of the log color scale
_LOG_TICKS = dict(tickvals=[-4, -3, -2, -1, 0], ticktext=["0.01 %", "0.1 %", "1 %", "10 %", "100 %"])


def memory_heatmap(trace: Trace, layer: int, start: int) -> go.Figure:
    """∏ of the memory gate from ``start`` (relative to the trace) on, for every unit, on a log color scale (a
    steady gate f makes a straight fade), the units that remember longest at the top."""
    kept = memory_retention(trace, layer, start)  # (T, U)
    steps_kept, _ = memory_span(kept)
    final = torch.nan_to_num(kept, nan=1.0).min(0).values
    order = sorted(range(trace.num_units), key=lambda u: (-int(steps_kept[u]), -float(final[u]), u))
    z = kept[:, order].T  # (U, T)
    log = torch.log10(z.clamp_min(FLOOR))
    sym = _SYMBOL[memory_gate(trace)]
    steps = _steps(trace)
    fig = go.Figure(go.Heatmap(
        z=[[None if v != v else v for v in row] for row in log.tolist()], x=steps, customdata=z.tolist(),
        y=[unit_name(trace, u) for u in order], zmin=-4, zmax=0, colorscale="Viridis",
        colorbar=dict(title=dict(text=t("inspect_analysis_plots.memory_colorbar", sym=sym), side="right"),
                      **_LOG_TICKS),
        hovertemplate=t("inspect_analysis_plots.memory_hover"),
    ))
    ch = shown_char(trace.tokens[start])
    _layout(fig, t("inspect_analysis_plots.memory_title", sym=sym, pos=trace.offset + start, ch=ch,
                   layer=layer_name(layer)), t("inspect_plots.step_axis"),
            t("inspect_analysis_plots.memory_y", n=trace.num_units), height=min(800, 260 + 3 * trace.num_units))
    fig.update_xaxes(**_char_axis(trace, steps))
    fig.update_yaxes(autorange="reversed", type="category", showticklabels=False, ticks="")
    return fig


def memory_curves(trace: Trace, layer: int, start: int, unit: int | None = None, horizon: int = 150) -> go.Figure:
    """The share of the state at ``start`` still carried k steps later, on a log axis (a steady gate f gives the
    straight line f^k): the median unit, the 10 % that remember longest and the 10 % that forget fastest
    (forward units), and optionally one unit. The x axis stops where even the longest memories are gone."""
    kept = memory_retention(trace, layer, start)[start: start + horizon + 1, : trace.hidden_size]  # t ≥ start
    top = torch.quantile(kept, 0.9, dim=1)
    gone = (top < FLOOR).nonzero()
    n = max(int(gone[0]) + 1, 10) if len(gone) else kept.shape[0]
    kept = kept[:n]
    k = list(range(n))
    sym = _SYMBOL[memory_gate(trace)]
    fig = go.Figure()
    for q, key in ((0.9, "curves_longest"), (0.5, "curves_median"), (0.1, "curves_fastest")):
        name = t(f"inspect_analysis_plots.{key}")
        fig.add_trace(go.Scatter(x=k, y=torch.quantile(kept, q, dim=1).clamp_min(FLOOR / 10).tolist(), name=name,
                                 mode="lines", line=dict(width=5 if q == 0.5 else 2, color="#1f77b4",
                                                         dash="solid" if q == 0.5 else "dash"),
                                 hovertemplate=f"{name}<br>{t('inspect_analysis_plots.curves_hover')}"))
    if unit is not None and unit < trace.hidden_size:
        fig.add_trace(go.Scatter(x=k, y=kept[:, unit].clamp_min(FLOOR / 10).tolist(), mode="lines",
                                 name=unit_name(trace, unit), line=dict(width=4, color="#d62728"),
                                 hovertemplate=t("inspect_analysis_plots.curves_hover")))
    arrow = t("inspect_analysis_plots.curves_forward") if trace.directions == 2 else ""
    _layout(fig, t("inspect_analysis_plots.curves_title", sym=sym, pos=trace.offset + start, arrow=arrow),
            t("inspect_analysis_plots.curves_x"), t("inspect_analysis_plots.curves_y"),
            legend=dict(orientation="h", x=0, y=1.0, xanchor="left", yanchor="bottom"))
    fig.update_layout(margin=dict(t=120))
    fig.update_yaxes(type="log", range=[-4.2, 0.05], tickvals=[1e-4, 1e-3, 1e-2, 0.1, 1],
                     ticktext=_LOG_TICKS["ticktext"])
    return fig


__all__ = ["matches_html", "memory_curves", "memory_heatmap", "pca_trajectory", "saturation_scatter",
           "selection_heatmap"]
