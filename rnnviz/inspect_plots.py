"""Figures and colored text for a :class:`rnnviz.inspect.Trace`: pure functions, trace in → plotly Figure or HTML out.

Colors are honest about ranges: σ gates on a fixed 0..1 scale, tanh quantities on a fixed -1..1 scale centred
at 0, unbounded ones (the LSTM cell, pre-activations) on a scale symmetric about 0 that fits the data.
Fonts are large enough for a projector. Every word comes from the catalogue (``rnnviz/locales/*/inspect_plots.toml``).

A heatmap drawn with ``clickable=True`` carries one invisible marker per cell: plotly selects scatter points on a
click but not heatmap cells, so the markers are what a click selects; :func:`clicked_cell` reads the (position, unit)
back from the selection st.plotly_chart returns.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence

import plotly.graph_objects as go
import torch

from .i18n import t
from .inspect import Trace

FONT_SIZE = 18
TITLE_SIZE = 22
MAX_TICKS = 100  # character labels on the x axis; beyond this every n-th character is labelled
SEQUENTIAL = "Viridis"  # 0..1 gates
DIVERGING = "RdBu_r"  # signed quantities: blue below 0, white at 0, red above
SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}

_NAMED = ("hidden", "cell", "input", "forget", "output", "reset", "update", "preactivation")  # label_<name> keys
_PLAIN = _NAMED + ("candidate",)  # plain_<name> keys


def shown_char(ch: str) -> str:
    """A character as it should appear on an axis or in a tooltip: visible marks for space, newline, tab."""
    return SHOWN.get(ch, ch)


def label(trace: Trace, name: str) -> str:
    """The lecture's name for a quantity, with its symbol (plotly's HTML subset)."""
    if name == "candidate":
        memory = trace.cell is not None  # an LSTM's candidate is a cell's, a GRU's a hidden state's
        return t("inspect_plots.label_candidate_cell" if memory else "inspect_plots.label_candidate_hidden")
    return t(f"inspect_plots.label_{name}") if name in _NAMED else name


def plain_label(name: str) -> str:
    """The name without markup, for tooltips and HTML titles."""
    return t(f"inspect_plots.plain_{name}") if name in _PLAIN else t("inspect_plots.plain_gate", name=name)


def layer_name(layer: int) -> str:
    """'layer 2' for index 1, in the interface's language."""
    return t("inspect_plots.layer", n=layer + 1)


def unit_name(trace: Trace, unit: int) -> str:
    """'unit 17' ('unit →17' in a bidirectional layer), in the interface's language."""
    return t("inspect_plots.unit", label=trace.unit_label(unit))


def order_name(order: str) -> str:
    """What a unit order ('index', 'variance', 'mean', 'saturation') sorts by, in words."""
    return t(f"inspect_plots.order_{order}")


def color_range(trace: Trace, name: str, values: torch.Tensor) -> dict:
    """zmin/zmax/zmid/colorscale for ``name``: fixed by its bounds when it has them, else fitted to the data."""
    bounds = trace.bounds(name)
    if bounds == (0.0, 1.0):
        return dict(zmin=0.0, zmax=1.0, colorscale=SEQUENTIAL)
    if bounds is not None:
        return dict(zmin=-1.0, zmax=1.0, zmid=0.0, colorscale=DIVERGING)
    top = max(float(values.abs().max()) if values.numel() else 0.0, 1e-6)
    if values.numel() and float(values.min()) >= 0:  # a ReLU RNN's hidden state
        return dict(zmin=0.0, zmax=top, colorscale=SEQUENTIAL)
    return dict(zmin=-top, zmax=top, zmid=0.0, colorscale=DIVERGING)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, **kw) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, font=dict(size=TITLE_SIZE)), font=dict(size=FONT_SIZE),
        xaxis_title=x_title, yaxis_title=y_title, margin=dict(l=90, r=30, t=80, b=70), **kw,
    )
    return fig


def _pick_units(trace: Trace, name: str, layer: int, units, order: str) -> list[int]:
    """None: every unit in ``order``; an int n: the first n in ``order``; a sequence: exactly those units."""
    if units is not None and not isinstance(units, int):
        chosen = [int(u) for u in units]
        bad = [u for u in chosen if not 0 <= u < trace.num_units]
        if bad:
            raise ValueError(f"no unit {bad[0]}: layers of this model have units 0..{trace.num_units - 1}")
        return chosen
    ranked = trace.unit_order(layer, order, name).tolist()
    return ranked if units is None else ranked[: max(int(units), 1)]


def _steps(trace: Trace) -> list[str]:
    """One category per step, '12 ␣', so that hovering a cell names the character as well as its position."""
    return [f"{i} {shown_char(ch)}" for i, ch in enumerate(trace.tokens, start=trace.offset)]


def _char_axis(trace: Trace, steps: list[str]) -> dict:
    """x axis labelled with the characters themselves (every n-th one on long texts)."""
    every = max(1, math.ceil(trace.num_steps / MAX_TICKS))
    shown = range(0, trace.num_steps, every)
    return dict(type="category", tickmode="array", tickvals=[steps[t] for t in shown],
                ticktext=[shown_char(trace.tokens[t]) for t in shown], tickangle=0,
                tickfont=dict(size=FONT_SIZE, family="monospace"), showgrid=False)


def _cell_markers(trace: Trace, steps: list[str], rows: list[str], chosen: list[int], z: list[list[float]]):
    """One invisible marker per heatmap cell, its customdata (position t, unit, value): what a click selects.
    A selected marker shows as an outlined square, so the clicked cell stays marked."""
    xs, ys, data = [], [], []
    for row, unit in enumerate(chosen):
        for i, step in enumerate(steps):
            xs.append(step)
            ys.append(rows[row])
            data.append([trace.offset + i, unit, z[row][i]])
    return go.Scatter(x=xs, y=ys, customdata=data, mode="markers", showlegend=False,
                      marker=dict(symbol="square-open", size=12, color="black", opacity=0, line=dict(width=3)),
                      selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0)),
                      hovertemplate=t("inspect_plots.cell_hover"))


def clicked_cell(points: Sequence[dict]) -> tuple[int, int] | None:
    """(position t, unit) of the cell of a ``clickable`` heatmap that a click selected, read from the ``points`` of
    st.plotly_chart's selection (the last one with our customdata); None when no cell is selected."""
    for point in reversed(list(points or [])):
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)) and len(data) >= 2:
            try:
                return int(data[0]), int(data[1])
            except (TypeError, ValueError):
                continue
    return None


def activation_heatmap(trace: Trace, name: str, layer: int = 0, units: int | Sequence[int] | None = None,
                       order: str = "index", ordered_by: str | None = None, clickable: bool = False) -> go.Figure:
    """Units × characters heatmap of ``name`` ('hidden', 'cell' or a gate) in ``layer``.

    ``units``: None for all, n for the first n in ``order`` ('index', 'variance', 'mean', 'saturation'), or
    a list of unit indices shown as given; ``ordered_by`` then says in the title how that list was ordered.
    ``clickable``: overlay the cells with markers that a click selects (:func:`clicked_cell`).
    """
    values = trace.values(name, layer)  # (T, U)
    chosen = _pick_units(trace, name, layer, units, order)
    z = values[:, chosen].T.tolist()  # (units, T)
    picked = units is not None and not isinstance(units, int)
    how = t("inspect_plots.ordered_by", how=ordered_by) if ordered_by else ""
    if not picked:
        how = t("inspect_plots.ordered_by", how=order_name(order))
    steps = _steps(trace)
    rows = [unit_name(trace, u) for u in chosen]
    fig = go.Figure(go.Heatmap(
        z=z, x=steps, y=rows,
        colorbar=dict(title=dict(text=label(trace, name), side="right")),
        **(dict(hoverinfo="skip") if clickable else dict(hovertemplate=t("inspect_plots.heatmap_hover"))),
        **color_range(trace, name, values),
    ))
    if clickable:
        fig.add_trace(_cell_markers(trace, steps, rows, chosen, z))
    n = len(chosen)
    _layout(fig, t("inspect_plots.heatmap_title", label=label(trace, name), layer=layer_name(layer), n=n,
                   total=trace.num_units, how=how),
            t("inspect_plots.step_axis"), t("inspect_plots.unit_axis"), height=min(900, 200 + 18 * n))
    fig.update_xaxes(**_char_axis(trace, steps))
    fig.update_yaxes(autorange="reversed", type="category", dtick=1 if n <= 48 else None, automargin=True,
                     title_standoff=8)
    if clickable:  # the markers would pad the axes: keep them to the cells, as the heatmap alone has them
        fig.update_xaxes(range=[-0.5, len(steps) - 0.5])
        fig.update_yaxes(autorange=False, range=[n - 0.5, -0.5])
    return fig


def hidden_heatmap(trace: Trace, layer: int = 0, units: int | Sequence[int] | None = None,
                   order: str = "variance", ordered_by: str | None = None, clickable: bool = False) -> go.Figure:
    """Hidden states H_t, units × characters; the most varying units first by default."""
    return activation_heatmap(trace, "hidden", layer, units, order, ordered_by, clickable)


def gate_heatmap(trace: Trace, gate: str, layer: int = 0, units: int | Sequence[int] | None = None,
                 order: str = "index", ordered_by: str | None = None, clickable: bool = False) -> go.Figure:
    """One gate's values (or the LSTM cell, or the RNN pre-activation), units × characters."""
    return activation_heatmap(trace, gate, layer, units, order, ordered_by, clickable)


def unit_lines(trace: Trace, layer: int, unit: int, legend_only: Sequence[str] = ()) -> go.Figure:
    """One unit read as a story: every gate, the hidden state and (LSTM) the cell, as lines over the text.

    σ gates and tanh quantities share the left axis (-1..1); the unbounded cell or pre-activation gets its own
    axis on the right so that it cannot flatten the others. Quantities in ``legend_only`` start hidden (a click
    on their legend entry shows them).
    """
    if not 0 <= unit < trace.num_units:
        raise ValueError(f"no unit {unit}: layers of this model have units 0..{trace.num_units - 1}")
    steps = _steps(trace)
    fig = go.Figure()
    for name in trace.quantities:
        values = trace.values(name, layer)[:, unit].tolist()
        right = trace.bounds(name) is None
        fig.add_trace(go.Scatter(
            x=steps, y=values, name=plain_label(name), mode="lines+markers", yaxis="y2" if right else "y",
            visible="legendonly" if name in legend_only else True,
            line=dict(width=4 if name == "hidden" else 2, dash="dot" if right else "solid"),
            hovertemplate=f"{plain_label(name)}<br>{t('inspect_plots.lines_hover')}",
        ))
    _layout(fig, t("inspect_plots.lines_title", unit=trace.unit_label(unit), layer=layer_name(layer)),
            t("inspect_plots.step_axis"), t("inspect_plots.lines_y"), yaxis=dict(range=[-1.05, 1.05], zeroline=True),
            legend=dict(orientation="h", x=0, y=1.0, xanchor="left", yanchor="bottom"))
    unbounded = [n for n in trace.quantities if trace.bounds(n) is None]
    if unbounded:
        top = max(float(trace.values(n, layer)[:, unit].abs().max()) for n in unbounded) or 1.0
        names = t("inspect_plots.list_sep").join(map(plain_label, unbounded))
        fig.update_layout(yaxis2=dict(title=dict(text=t("inspect_plots.lines_y2", names=names)),
                                      overlaying="y", side="right", showgrid=False, tickmode="auto",
                                      range=[-1.05 * top, 1.05 * top]),  # 0 level with the left axis's 0
                          margin=dict(t=130, r=100))
    fig.update_xaxes(**_char_axis(trace, steps))
    return fig


def unit_text_colors(trace: Trace, layer: int, unit: int, name: str = "hidden",
                     k: int = 5) -> list[tuple[str, float, str]]:
    """Per character: (char, the unit's value after reading it, the k likeliest next characters as text)."""
    values = trace.values(name, layer)
    if not 0 <= unit < trace.num_units:
        raise ValueError(f"no unit {unit}: layers of this model have units 0..{trace.num_units - 1}")
    p, idx = torch.topk(trace.probs, min(k, trace.probs.shape[1]), dim=1)  # (T, k) each
    out = []
    for i, ch in enumerate(trace.tokens):
        top = "  ".join(f"{shown_char(trace.vocab_tokens[int(j)])} {float(q):.0%}" for q, j in zip(p[i], idx[i]))
        out.append((ch, float(values[i, unit]), top))
    return out


def _background(value: float, bounds: tuple[float, float] | None, scale: float) -> str:
    """rgba for one value: red above 0 and blue below for signed quantities, green for 0..1 gates."""
    if bounds == (0.0, 1.0):
        alpha = min(max(value, 0.0), 1.0)
        return f"rgba(44,160,44,{0.85 * alpha:.3f})"
    alpha = min(abs(value) / scale, 1.0)
    rgb = "214,39,40" if value >= 0 else "31,119,180"
    return f"rgba({rgb},{0.85 * alpha:.3f})"


def unit_text_html(trace: Trace, layer: int, unit: int, name: str = "hidden") -> str:
    """The text with each character's background colored by one unit's value (Karpathy's cell pictures).

    Hovering a character shows its value and the five likeliest next characters (title= tooltips). All text
    is escaped, so the result is safe to render as HTML whatever the input.
    """
    rows = unit_text_colors(trace, layer, unit, name)
    bounds = trace.bounds(name)
    scale = 1.0 if bounds is not None else max((abs(v) for _, v, _ in rows), default=1.0) or 1.0
    what = plain_label(name)
    spans = []
    for i, (ch, value, top) in enumerate(rows):
        tip = t("inspect_plots.text_tip", pos=trace.offset + i, ch=shown_char(ch), what=what, value=value, top=top)
        text = "⏎" if ch == "\n" else ch
        span = (f'<span style="background-color:{_background(value, bounds, scale)}" '
                f'title="{html.escape(tip, quote=True)}">{html.escape(text, quote=True)}</span>')
        spans.append(span + ("<br>" if ch == "\n" else ""))
    return ('<div style="font-family:monospace;font-size:1.3em;line-height:1.9;white-space:pre-wrap;'
            'color:#111">' + "".join(spans) + "</div>")


def saturation_histogram(trace: Trace, layer: int = 0, eps: float = 0.05) -> go.Figure:
    """For each bounded gate, how many units are saturated how often: a histogram over units of the fraction
    of steps at which the unit's gate is within ``eps`` of 0 or 1 (of ±1 for tanh quantities)."""
    names = trace.saturating()
    if not names:
        raise ValueError(f"nothing in this {trace.kind} model is bounded, so nothing can saturate")
    fig = go.Figure()
    for name in names:
        frac = trace.saturation(name, layer, eps)
        fig.add_trace(go.Histogram(
            x=frac.tolist(), name=plain_label(name), opacity=0.65,
            xbins=dict(start=0.0, end=1.0 + 1e-9, size=0.05),
            hovertemplate=f"{plain_label(name)}<br>{t('inspect_plots.hist_hover')}",
        ))
    _layout(fig, t("inspect_plots.hist_title", layer=layer_name(layer), n=trace.num_units),
            t("inspect_plots.hist_x", eps=eps), t("inspect_plots.hist_y"),
            barmode="overlay", legend_title_text=t("inspect_plots.hist_legend"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return fig


__all__ = ["activation_heatmap", "hidden_heatmap", "gate_heatmap", "unit_lines", "unit_text_colors", "unit_text_html",
           "saturation_histogram", "shown_char", "label", "plain_label", "layer_name", "unit_name", "order_name",
           "color_range", "clicked_cell"]
