"""Figures for the bidirectional lesson (d2l 9.4): what each direction has read, and the price of the future."""
from __future__ import annotations

import plotly.graph_objects as go

from .bidirectional import Leak
from .generate_plots import shown
from .i18n import t
from .sequence_plots import FONT, _layout

SEEN_COLOR, CAUSAL_COLOR, FORWARD_COLOR, BACKWARD_COLOR = "#2ca02c", "#d62728", "#1f77b4", "#d62728"


def leak_figure(leak: Leak) -> go.Figure:
    """P(the actual next character) at every position: with the whole text visible vs with only the past."""
    labels = [f"{i + 2}·{shown(ch)}" for i, ch in enumerate(leak.text[1:])]
    fig = go.Figure()
    for name, probs, color in ((t("bidirectional_plots.seen", ppl=leak.seen_ppl), leak.seen, SEEN_COLOR),
                               (t("bidirectional_plots.causal", ppl=leak.causal_ppl), leak.causal, CAUSAL_COLOR)):
        fig.add_trace(go.Scatter(x=labels, y=probs, mode="lines+markers", name=name, line=dict(color=color, width=3),
                                 marker=dict(size=7), hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    _layout(fig, t("bidirectional_plots.leak_title"), t("bidirectional_plots.leak_x"),
            t("bidirectional_plots.leak_y"))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_xaxes(type="category", tickfont=dict(size=FONT - 4, family="monospace"),
                     nticks=min(len(labels), 40))
    return fig


def reading_figure(text: str = "traveller", at: int = 3) -> go.Figure:
    """A diagram: at position ``at`` (0-based) the forward state has read x_1..x_t, the backward state
    x_t..x_T — which includes x_{t+1}, the character the output at t is trained to predict."""
    n = len(text)
    fig = go.Figure()
    for i, ch in enumerate(text):
        answer = i == at + 1
        fig.add_shape(type="rect", x0=i - 0.4, x1=i + 0.4, y0=-0.4, y1=0.4,
                      line=dict(color="#d62728" if answer else "#555", width=4 if answer else 1.5),
                      fillcolor="#fde2e1" if answer else "#f4f6fa")
        fig.add_annotation(x=i, y=0, text=f"<b>{shown(ch)}</b>", showarrow=False,
                           font=dict(size=FONT + 6, family="monospace"))
    # what each direction has read when the output at position `at` is computed
    fig.add_shape(type="rect", x0=-0.5, x1=at + 0.5, y0=0.55, y1=0.95, fillcolor=FORWARD_COLOR, opacity=0.25,
                  line=dict(width=0))
    fig.add_shape(type="rect", x0=at - 0.5, x1=n - 0.5, y0=-0.95, y1=-0.55, fillcolor=BACKWARD_COLOR, opacity=0.25,
                  line=dict(width=0))
    fig.add_annotation(x=at / 2, y=0.75, text=t("bidirectional_plots.forward_read"), showarrow=False,
                       font=dict(size=FONT - 2, color=FORWARD_COLOR))
    fig.add_annotation(x=(at + n - 1) / 2, y=-0.75, text=t("bidirectional_plots.backward_read"), showarrow=False,
                       font=dict(size=FONT - 2, color=BACKWARD_COLOR))
    fig.add_annotation(x=at + 1, y=0.4, ax=at, ay=1.35, xref="x", yref="y", axref="x", ayref="y",
                       text=t("bidirectional_plots.target", position=at + 2), showarrow=True, arrowhead=3,
                       arrowwidth=2, arrowcolor="#d62728", font=dict(size=FONT - 2, color="#d62728"))
    _layout(fig, t("bidirectional_plots.reading_title", position=at + 1), t("bidirectional_plots.reading_x"), "")
    fig.update_xaxes(range=[-0.7, n - 0.3], tickvals=list(range(n)), ticktext=[str(i + 1) for i in range(n)],
                     showgrid=False, zeroline=False)
    fig.update_yaxes(range=[-1.1, 1.6], visible=False)
    fig.update_layout(height=340, showlegend=False, hovermode=False, margin=dict(b=70))
    return fig
