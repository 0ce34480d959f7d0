"""Figures for language statistics (d2l 8.2-8.3): results of `rnnviz.ngram` and
`rnnviz.text_views` -> plotly Figures (or, for minibatches over text, an HTML string).

Pure functions: no computation beyond laying out what they are given, no streamlit. Fonts are
sized to be read on a projector.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.i18n import t
from rnnviz.ngram import CurvePoint, NGramGrowth, ZipfSeries, order_name
from rnnviz.text_views import Span, show_token

FONT = 18
TITLE_FONT = 24
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
DATA = 'class="rnnviz-data"'  # HTML that shows the text itself, not interface words (tests/i18n_scan.py)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_FONT}},
        font={"size": FONT},
        template="plotly_white",
        legend={"font": {"size": FONT - 2}},
        margin={"t": 80},
    )
    fig.update_layout(xaxis={"title": {"text": x_title}}, yaxis={"title": {"text": y_title}})
    return fig


def _log_spaced(n: int, max_points: int) -> np.ndarray:
    """0-based indices of up to about ``max_points`` ranks 1..n, evenly spaced on a log scale, the
    first and last included: enough to draw a rank-frequency curve without sending every rank."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.round(np.geomspace(1, n, max_points)).astype(int)) - 1


# ---------------------------------------------------------------- Zipf


def zipf_figure(series: Sequence[ZipfSeries], title: str | None = None, max_points: int = 400) -> go.Figure:
    """Rank-frequency curves on log-log axes, one per n-gram order, each with its fitted line drawn
    thick and dashed over its fitting range and α, R² in the legend, and continued thin and dotted
    over every rank, so the head and the tail are seen to bend away from it (no line where ``fit``
    is None)."""
    fig = go.Figure()
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        idx = _log_spaced(len(s.freqs), max_points)
        fig.add_trace(go.Scatter(x=idx + 1, y=s.freqs[idx], mode="lines", name=s.label, legendgroup=s.label,
                                 line={"color": color, "width": 3}, opacity=0.7,
                                 hovertemplate=t("ngram_plots.zipf_hover") + "<extra>" + s.label + "</extra>"))
        f = s.fit
        if f is None:  # too few ranks in the fitting range: the curve alone
            fig.data[-1].name = t("ngram_plots.zipf_too_few", label=s.label)
            continue
        every = np.array([1, len(s.freqs)])
        fig.add_trace(go.Scatter(x=every, y=f.predict(every), mode="lines",
                                 name=t("ngram_plots.zipf_fit_every", label=s.label),
                                 legendgroup=s.label, showlegend=False,
                                 line={"color": color, "width": 1.5, "dash": "dot"}, hoverinfo="skip"))
        ranks = np.array([f.lo, f.hi])
        fig.add_trace(go.Scatter(
            x=ranks, y=f.predict(ranks), mode="lines", legendgroup=s.label,
            name=t("ngram_plots.zipf_fit", label=s.label, alpha=f"{f.alpha:.2f}", r2=f"{f.r2:.3f}", lo=f"{f.lo:,}",
                   hi=f"{f.hi:,}"),
            line={"color": color, "width": 5, "dash": "dash"}, hoverinfo="skip"))
    fig.update_xaxes(type="log", dtick=1)
    fig.update_yaxes(type="log", dtick=1)
    freqs = [f for s in series for f in s.freqs[:1]]
    if freqs:  # the dotted lines may run far below a count of 1 at the tail: keep the data in view
        fig.update_yaxes(range=[-0.3, np.log10(max(freqs)) + 0.3])
    _layout(fig, title or t("ngram_plots.zipf_title"), t("ngram_plots.zipf_x"), t("ngram_plots.zipf_y"))
    fig.update_layout(height=620, legend={"orientation": "h", "y": -0.22, "x": 0})
    return fig


# ---------------------------------------------------------------- distinct n-grams


def growth_figure(growth: Sequence[NGramGrowth], show_possible: bool = False, title: str | None = None) -> go.Figure:
    """Distinct n-grams against n (bars, log scale) beside the n-grams the text holds, and the share of
    distinct n-grams seen only once (line, right axis). ``show_possible`` adds m ** n."""
    ns = [g.n for g in growth]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=ns, y=[g.distinct for g in growth], name=t("ngram_plots.growth_distinct"),
                         marker_color=COLORS[0]), secondary_y=False)
    fig.add_trace(go.Scatter(x=ns, y=[g.total for g in growth], name=t("ngram_plots.growth_total"),
                             mode="lines", line={"color": "gray", "dash": "dash", "width": 2}),
                  secondary_y=False)
    if show_possible:
        fig.add_trace(go.Scatter(x=ns, y=[float(g.possible) for g in growth], name=t("ngram_plots.growth_possible"),
                                 mode="lines", line={"color": "gray", "dash": "dot", "width": 2}),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=ns, y=[100 * g.hapax_share for g in growth], name=t("ngram_plots.growth_once"),
                             mode="lines+markers", line={"color": COLORS[1], "width": 3},
                             marker={"size": 10}), secondary_y=True)
    fig.update_yaxes(type="log", secondary_y=False)
    fig.update_yaxes(title_text=t("ngram_plots.growth_once_axis"), range=[0, 105], tickmode="linear", tick0=0,
                     dtick=20, showgrid=False, secondary_y=True)
    fig.update_xaxes(dtick=1)
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _layout(fig, title or t("ngram_plots.growth_title"), t("ngram_plots.growth_x"), t("ngram_plots.growth_y"))


# ---------------------------------------------------------------- perplexity vs ε


def perplexity_figure(points: Sequence[CurvePoint], neural_ppl: float | None = None,
                      neural_label: str | None = None, log_y: bool | None = None,
                      title: str | None = None) -> go.Figure:
    """Perplexity against ε (log scale), one line per order. ε = 0 has no place on a log axis, so it
    is drawn one decade left of the smallest positive ε under the tick '0'; infinite perplexities
    are drawn at the top of the plot as '∞ (unseen n-gram)' markers, their reason in the hover.
    ``neural_ppl`` adds a horizontal line for a neural model's validation perplexity. ``log_y``
    (default: when the finite values span more than a factor of 100) puts perplexity on a log scale."""
    inf_label = t("ngram_plots.inf_label")
    positive = [p.eps for p in points if p.eps > 0]
    zero_x = min(positive) / 10 if positive else 1.0
    finite = [p.perplexity for p in points if math.isfinite(p.perplexity)]
    if neural_ppl is not None and math.isfinite(neural_ppl):
        finite.append(neural_ppl)
    if log_y is None:
        log_y = bool(finite) and max(finite) > 100 * min(finite)
    top = max(finite) * (2 if log_y else 1.15) if finite else 1.0
    fig = go.Figure()
    orders = sorted({p.order for p in points})
    any_inf = False
    for i, order in enumerate(orders):
        pts = sorted((p for p in points if p.order == order), key=lambda p: p.eps)
        color = COLORS[i % len(COLORS)]
        xs = [p.eps if p.eps > 0 else zero_x for p in pts]
        ys = [p.perplexity if math.isfinite(p.perplexity) else None for p in pts]
        name = t("ngram_plots.order", order=order, name=order_name(order))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, line={"color": color, "width": 3},
                                 marker={"size": 9}, hovertemplate=t("ngram_plots.ppl_hover")
                                 + f"<extra>{name}</extra>", customdata=[p.eps for p in pts]))
        inf = [(x, p) for x, p in zip(xs, pts) if not math.isfinite(p.perplexity)]
        if inf:
            any_inf = True
            y = top * (1.6 if log_y else 1.05) ** i  # staggered so orders at the same ε stay apart
            fig.add_trace(go.Scatter(
                x=[x for x, _ in inf], y=[y] * len(inf), mode="markers+text", text=["∞"] * len(inf),
                textposition="middle right", showlegend=False,
                marker={"symbol": "triangle-up", "size": 16, "color": color},
                hovertext=[f"ε = {p.eps:g}: {p.message or inf_label}" for _, p in inf], hoverinfo="text"))
    if any_inf:
        fig.add_annotation(text=f"▲ {inf_label}", xref="paper", yref="paper", x=1, y=1.02, xanchor="right",
                           yanchor="bottom", showarrow=False, font={"size": FONT - 2})
    if neural_ppl is not None:
        fig.add_hline(y=neural_ppl, line={"color": "black", "dash": "dash", "width": 2},
                      annotation_text=f"{neural_label or t('ngram_plots.neural')}: {neural_ppl:.2f}",
                      annotation_position="bottom right",
                      annotation_font_size=FONT - 2)
    fig.update_xaxes(type="log")
    if any(p.eps == 0 for p in points) and positive:
        decades = range(math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive))) + 1)
        ticks = [10.0 ** d for d in decades]
        fig.update_xaxes(tickvals=[zero_x] + ticks, ticktext=["0"] + [f"{v:g}" for v in ticks])
    peak = top * (1.6 if log_y else 1.05) ** len(orders)
    if log_y:
        fig.update_yaxes(type="log", range=[math.log10(min(finite) / 1.5), math.log10(peak)])
    else:
        fig.update_yaxes(range=[0, peak])
    _layout(fig, title or t("ngram_plots.ppl_title"), t("ngram_plots.ppl_x"),
            t("ngram_plots.ppl_y_log" if log_y else "ngram_plots.ppl_y"))
    fig.update_layout(height=520, legend={"orientation": "h", "y": -0.25, "x": 0})
    return fig


# ---------------------------------------------------------------- minibatches


def _span_groups(spans: Sequence[Span], context: int, num_tokens: int) -> list[tuple[int, int, list[Span]]]:
    """Merge the spans' neighbourhoods (``context`` tokens either side) into windows of the text,
    ordered by the first (batch, row) each holds: sequential rows come out as one window per row."""
    ivs = sorted(((max(s.start - context, 0), min(s.stop + context, num_tokens), s) for s in spans),
                 key=lambda iv: iv[:2])
    groups: list[list] = []
    for lo, hi, s in ivs:
        if groups and lo <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], hi)
            groups[-1][2].append(s)
        else:
            groups.append([lo, hi, [s]])
    return sorted(((lo, hi, ss) for lo, hi, ss in groups), key=lambda g: min((s.batch, s.row) for s in g[2]))


def minibatch_html(tokens: Sequence[str], spans: Sequence[Span], context: int = 6, sep: str = "") -> str:
    """The text around each minibatch row as HTML: input positions (X) shaded in their batch's
    colour, target positions (Y, shifted one token) underlined in it, each line headed by its
    position in the text. Tokens are escaped; ``sep`` joins them (' ' for words)."""
    where: dict[int, dict[str, Span]] = {}
    for s in spans:
        for pos in range(s.start, s.stop):
            where.setdefault(pos, {})[s.role] = s
    lines = []
    for lo, hi, group in _span_groups(spans, context, len(tokens)):
        batches = ", ".join(map(str, sorted({s.batch for s in group})))
        rows = ", ".join(map(str, sorted({s.row for s in group})))
        label = t("ngram_plots.mb_line", batches=batches, rows=rows, start=f"{lo:,}")
        cells = []
        for pos in range(lo, hi):
            text = html.escape("↵" if tokens[pos] == "\n" else str(tokens[pos]))  # a line break, seen
            roles = where.get(pos, {})
            x, y = roles.get("X"), roles.get("Y")
            if not roles:
                cells.append(f'<span {DATA} style="color:#999">{text}</span>')
                continue
            style, tip = [], []
            if x:
                style.append(f"background:{COLORS[x.batch % len(COLORS)]}33")
                tip.append(t("ngram_plots.mb_tip", batch=x.batch, row=x.row, role="X", i=pos - x.start))
            if y:
                style.append(f"border-bottom:3px solid {COLORS[y.batch % len(COLORS)]}")
                tip.append(t("ngram_plots.mb_tip", batch=y.batch, row=y.row, role="Y", i=pos - y.start))
            cells.append(f'<span {DATA} style="{";".join(style)}" title="{html.escape("; ".join(tip))}">{text}</span>')
        lines.append(f'<div><span style="color:#666;font-size:0.8em">{html.escape(label)}</span><br>'
                     f'<span style="white-space:pre-wrap">{html.escape(sep).join(cells)}</span></div>')
    batches = sorted({s.batch for s in spans})
    legend = " ".join(f'<span style="background:{COLORS[b % len(COLORS)]}33;'
                      f'border-bottom:3px solid {COLORS[b % len(COLORS)]}">{html.escape(t("ngram_plots.batch", b=b))}'
                      '</span>' for b in batches)
    return (f'<div style="font-family:monospace;font-size:18px;line-height:1.8">'
            f'<div>{legend} — {html.escape(t("ngram_plots.mb_legend"))}</div>{"".join(lines)}</div>')


def minibatch_figure(spans: Sequence[Span], num_tokens: int, title: str | None = None) -> go.Figure:
    """Each minibatch row's input span as a tick over the token positions of the whole text,
    one band per batch: random sampling scatters rows, sequential partitioning spaces them evenly."""
    fig = go.Figure()
    for b in sorted({s.batch for s in spans}):
        xs = [s for s in spans if s.batch == b and s.role == "X"]
        fig.add_trace(go.Scatter(
            x=[s.start + s.length / 2 for s in xs], y=[t("ngram_plots.batch", b=b)] * len(xs), mode="markers",
            name=t("ngram_plots.batch", b=b), marker={"symbol": "line-ns-open", "size": 28, "line": {"width": 4},
                                      "color": COLORS[b % len(COLORS)]},
            customdata=[[s.row, s.start, s.stop - 1] for s in xs],
            hovertemplate=t("ngram_plots.mb_hover") + "<extra></extra>"))
    fig.update_xaxes(range=[0, num_tokens])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title or t("ngram_plots.mb_title"), t("ngram_plots.mb_x"), t("ngram_plots.mb_y"))


# ---------------------------------------------------------------- tokens and indices


def tokens_html(tokens: Sequence[str], indices: Sequence[int] | None = None, unk_index: int = 0,
                max_tokens: int = 200) -> str:
    """Tokens as boxes in a row, each with its vocabulary index under it (when given); tokens that
    become '<unk>' are drawn red. Spaces show as '␣'. At most ``max_tokens`` boxes, then a count."""
    if not tokens:
        return f'<div style="font-size:18px;color:#666">{html.escape(t("ngram_plots.no_tokens"))}</div>'
    boxes = []
    for i, tok in enumerate(tokens[:max_tokens]):
        idx = None if indices is None else indices[i]
        unk = idx == unk_index
        color = COLORS[1] if unk else COLORS[0]
        under = "" if idx is None else (f'<div style="font-size:15px;color:{color}">{idx}'
                                        f'{f" = <span {DATA}>&lt;unk&gt;</span>" if unk else ""}</div>')
        boxes.append(f'<div style="display:inline-block;text-align:center;margin:3px;padding:2px 8px;'
                     f'border:2px solid {color};border-radius:6px;background:{color}14">'
                     f'<div {DATA} style="font-family:monospace;font-size:20px">{html.escape(show_token(tok))}</div>'
                     f'{under}</div>')
    more = len(tokens) - max_tokens
    if more > 0:
        note = html.escape(t("ngram_plots.more_tokens", n=f"{more:,}"))
        boxes.append(f'<span style="font-size:16px;color:#666"> {note}</span>')
    return f'<div style="line-height:1.2">{"".join(boxes)}</div>'


def sample_html(prefix: str, continuation: str, note: str = "") -> str:
    """A generated text for a projector: the prefix in grey, what the model wrote in black, line
    breaks kept, everything escaped; ``note`` in small grey type under it."""
    foot = f'<div style="font-size:14px;color:#666;margin-top:6px">{html.escape(note)}</div>' if note else ""
    return (f'<div style="font-family:monospace;font-size:19px;line-height:1.5;white-space:pre-wrap;'
            f'word-break:break-word"><span {DATA} style="color:#888">{html.escape(prefix)}</span>'
            f'<span {DATA}>{html.escape(continuation)}</span></div>{foot}')
