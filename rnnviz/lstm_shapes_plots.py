"""The figure of the nn.LSTM shapes page: one stacked weight drawn as its four gate blocks, to scale."""
from __future__ import annotations

import plotly.graph_objects as go

from .i18n import t
from .lstm_shapes import LSTMShapes, gate_name
from .plots import FONT_SIZE, PALETTE, TICK_SIZE, _layout

GATE_COLORS = {"i": PALETTE[0], "f": PALETTE[1], "g": PALETTE[2], "o": PALETTE[4]}


def gate_blocks_figure(res: LSTMShapes, name: str) -> go.Figure:
    """Weight (or bias) ``name`` as a rectangle of its rows × columns, split into torch's i, f, g, o blocks.

    Rows run downwards as in the matrix; each block is labelled with its gate, its rows and its own shape.
    """
    w = res.weight(name)
    if not w.blocks:
        raise ValueError(f"{name} has no gate blocks")
    rows = w.shape[0]
    cols = w.shape[1] if len(w.shape) > 1 else 1
    col_axis = w.axes[1] if len(w.axes) > 1 else None
    edges = [b.start for b in w.blocks] + [w.blocks[-1].stop]
    colorscale = []
    for k, b in enumerate(w.blocks):  # a step colour scale: value k → the colour of block k
        colorscale += [[k / 4, GATE_COLORS[b.gate]], [(k + 1) / 4, GATE_COLORS[b.gate]]]
    hover = [[t("lstm_shapes.fig_hover", gate=gate_name(b.gate), first=b.start, last=b.stop - 1,
                shape=_shape(b.shape))] for b in w.blocks]
    data = [dict(type="heatmap", z=[[k + 0.5] for k in range(4)], x=[0, cols], y=edges, zmin=0, zmax=4,
                 colorscale=colorscale, showscale=False, xgap=0, ygap=3, text=hover,
                 hovertemplate="%{text}<extra></extra>")]
    x_title = (t("lstm_shapes.fig_columns", axis=col_axis, size=cols) if col_axis
               else t("lstm_shapes.fig_vector"))
    layout = _layout(t("lstm_shapes.fig_title", name=name, shape=_shape(w.shape)), x_title,
                     t("lstm_shapes.fig_rows", axis=w.axes[0], size=rows), height=460)
    layout["yaxis"].update(autorange="reversed", tickvals=edges, ticktext=[str(e) for e in edges], showgrid=False,
                           zeroline=False)
    layout["xaxis"].update(tickvals=[0, cols], ticktext=["0", str(cols)], showgrid=False, zeroline=False)
    layout["annotations"] = [
        dict(x=cols / 2, y=(b.start + b.stop) / 2, xref="x", yref="y", showarrow=False,
             text=t("lstm_shapes.fig_block", letter=b.gate, gate=gate_name(b.gate), first=b.start,
                    last=b.stop - 1, shape=_shape(b.shape)),
             font=dict(size=FONT_SIZE, color="white"), bgcolor="rgba(0,0,0,0.25)")
        for b in w.blocks]
    layout["hoverlabel"] = dict(font=dict(size=TICK_SIZE))
    return go.Figure(data=data, layout=layout)


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


__all__ = ["gate_blocks_figure", "GATE_COLORS"]
