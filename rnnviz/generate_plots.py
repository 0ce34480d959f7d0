"""Figures for the Generate page: generated text as a strip coloured by the model's confidence (hover: its top 5),
one step's distribution, and sentence scores character by character. Pure functions, fonts for a projector."""
from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from .generate import Generation, Score
from .i18n import t
from .sequence_plots import COLORS, FONT, _layout

SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥", "<unk>": "�"}
CONFIDENCE_SCALE = [[0.0, "#f08a6c"], [0.25, "#fdb863"], [0.5, "#fee08b"], [0.75, "#d9ef8b"], [1.0, "#8fd18a"]]


def shown(ch: str) -> str:
    """A character as a cell can show it: space ␣, newline ⏎, tab ⇥, '<unk>' �."""
    return SHOWN.get(ch, ch)


def _top_text(gen: Generation, i: int) -> str:
    """The tooltip of generated character ``i``: what was chosen and the five most likely candidates."""
    step = gen.steps[i]
    rows = [f"{'▶' if ch == step.chosen else ' '} {shown(ch):<2} {p:6.1%}" for ch, p in step.top]
    if step.chosen not in [ch for ch, _ in step.top]:
        rows.append(f"▶ {shown(step.chosen):<2} {step.prob:6.1%}")
    return t("generate_plots.tooltip", n=i + 1, ch=shown(step.chosen), p=step.prob) + "\n" + "\n".join(rows)


def confidence_color(p: float) -> str:
    """The colour of probability ``p`` on CONFIDENCE_SCALE (red: a long shot … green: sure), as #rrggbb."""
    p = min(max(float(p), 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(CONFIDENCE_SCALE, CONFIDENCE_SCALE[1:]):
        if p <= p1:
            w = (p - p0) / (p1 - p0)
            a = [int(c0[k:k + 2], 16) for k in (1, 3, 5)]
            b = [int(c1[k:k + 2], 16) for k in (1, 3, 5)]
            return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(a, b))
    return CONFIDENCE_SCALE[-1][1]


TEXT_CSS = ("font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 1.3rem; line-height: 1.85; "
            "white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.8rem 1rem; border-radius: 0.5rem; "
            "background: #f7f8fa; border: 1px solid #d8dde6;")


def generation_html(gen: Generation, max_prefix: int = 200) -> str:
    """The prefix in grey, then every generated character on a background coloured by the probability the model
    gave it; hovering a character shows the five candidates of that step (the ``title`` tooltip). The text is data:
    it carries the class ``rnnviz-data`` (no interface words in it but the tooltips)."""
    prefix = gen.prefix if len(gen.prefix) <= max_prefix else "…" + gen.prefix[-max_prefix:]
    parts = [f'<span style="color:#6b7280">{html.escape(prefix)}</span>']
    for i, step in enumerate(gen.steps):
        ch = "⏎\n" if step.chosen == "\n" else ("�" if step.chosen == "<unk>" else step.chosen)
        parts.append(f'<span title="{html.escape(_top_text(gen, i), quote=True)}" '
                     f'style="background:{confidence_color(step.prob)};border-radius:3px">{html.escape(ch)}</span>')
    return f'<div class="rnnviz-generated rnnviz-data" style="{TEXT_CSS}">{"".join(parts)}</div>'


def legend_html() -> str:
    """A one-line key to :func:`generation_html`'s colours."""
    cells = "".join(f'<span style="background:{confidence_color(p)};padding:0 0.45rem;border-radius:3px">'
                    f'{p:.0%}</span> ' for p in (0.05, 0.25, 0.5, 0.75, 0.95))
    return (f'<div style="font-size:1rem;color:#444">{html.escape(t("generate_plots.legend"))} {cells}'
            f'{html.escape(t("generate_plots.legend_prefix"))}</div>')


def distribution_figure(gen: Generation, i: int, label: str = "") -> go.Figure:
    """The five most likely next characters at generated position ``i`` (0-based), the chosen one highlighted."""
    step = gen.steps[i]
    context = (gen.prefix + gen.generated[:i])[-24:]
    chars = [shown(ch) for ch, _ in step.top][::-1]
    probs = [p for _, p in step.top][::-1]
    colors = [COLORS[1] if ch == step.chosen else COLORS[0] for ch, _ in step.top][::-1]
    fig = go.Figure(go.Bar(x=probs, y=[f"'{c}'" for c in chars], orientation="h", marker=dict(color=colors),
                           text=[f"{p:.1%}" for p in probs], textposition="outside",
                           textfont=dict(size=FONT), hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    after = context.replace(chr(10), "⏎")[-16:]
    subtitle = (t("generate_plots.dist_subtitle_label", label=label, after=after) if label
                else t("generate_plots.dist_subtitle", after=after))
    _layout(fig, t("generate_plots.dist_title", n=i + 1), t("generate_plots.dist_x"), "", subtitle=subtitle)
    fig.update_xaxes(range=[0, min(1.0, max(probs) * 1.3 + 0.05)], tickformat=".0%")
    fig.update_yaxes(type="category", tickfont=dict(size=FONT + 4, family="monospace"))
    fig.update_layout(height=380, hovermode="closest", showlegend=False, margin=dict(t=100, l=90, r=30, b=70))
    return fig


def score_figure(scores: list[Score], title: str = "") -> go.Figure:
    """log P(x_t | x_<t) for every character of each sentence, by position: where two sentences part, so do their
    curves. The first sentence's characters label the axis; another sentence's are written where they differ."""
    fig = go.Figure()
    first = scores[0].text if scores else ""
    for j, sc in enumerate(scores):
        color = COLORS[j % len(COLORS)]
        chars = [shown(ch) for ch in sc.text[1:]]
        marks = [shown(ch) if j > 0 and (t + 1 >= len(first) or first[t + 1] != ch) else ""
                 for t, ch in enumerate(sc.text[1:])]
        ys = [v if math.isfinite(v) else None for v in sc.per_char]
        fig.add_trace(go.Scatter(
            x=np.arange(2, len(sc.text) + 1), y=ys, mode="lines+markers+text", text=marks, customdata=chars,
            textposition="bottom center", textfont=dict(size=FONT + 2, color=color),
            name=t("generate_plots.score_trace", text=sc.text, ll=sc.log_likelihood),
            line=dict(color=color, width=3 + 2 * (j == 0)), opacity=1.0 if j == 0 else 0.9, marker=dict(size=9),
            hovertemplate=t("generate_plots.score_hover") + "<extra></extra>"))
    _layout(fig, title or t("generate_plots.score_title"), t("generate_plots.score_x"), t("generate_plots.score_y"))
    fig.update_xaxes(tickvals=np.arange(1, len(first) + 1), ticktext=[shown(ch) for ch in first],
                     tickfont=dict(size=FONT, family="monospace"), tickangle=0)
    fig.update_layout(hovermode="closest", legend=dict(orientation="v"), height=500 + 32 * len(scores),
                      margin=dict(t=70, l=90, r=30, b=110 + 32 * len(scores)))
    return fig
