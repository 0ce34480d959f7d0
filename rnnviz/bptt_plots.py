"""Figures for the Gradients page beyond sequence_plots: eigenvalues of W_hh, clipping's effect on the loss, and
truncated BPTT (d2l 8.7). Results in, plotly Figure out; fonts sized for a projector."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .bptt import Eigenvalues, TruncationComparison, segments
from .gradients import ClippingRun
from .i18n import t
from .sequence_plots import COLORS, FONT, _layout, _positive, log_ticks

STRATEGY_COLORS = {"full": "#333333", "regular": "#E69F00", "randomized": "#0072B2"}


def strategy_name(strategy: str) -> str:
    """The name of a truncation strategy ("randomized", "regular" or "full") as the reader reads it."""
    return t(f"bptt_plots.strategy_{strategy}")


def gate_block_name(name: str) -> str:
    """A block of W_hh by its gate ("forget", "update", ...) as the reader reads it; "W_hh" stays as it is."""
    return name if name == "W_hh" else t(f"bptt_plots.gate_{name}")


# ---------------------------------------------------------------- eigenvalues


def eigenvalue_figure(eig: Eigenvalues, title: str | None = None) -> go.Figure:
    """The eigenvalues of one recurrent matrix on the complex plane, with the unit circle and the spectral radius."""
    rho = eig.spectral_radius
    angle = np.linspace(0, 2 * np.pi, 241)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.cos(angle), y=np.sin(angle), mode="lines", name=t("bptt_plots.unit_circle"),
                             line=dict(color="#333333", width=2), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=rho * np.cos(angle), y=rho * np.sin(angle), mode="lines",
                             name=t("bptt_plots.spectral_radius", rho=f"{rho:.3g}"), line=dict(color=COLORS[1], width=2, dash="dash"),
                             hoverinfo="skip"))
    mag = np.abs(eig.values)
    outside = mag > 1
    for mask, name, color in ((~outside, t("bptt_plots.eig_inside"), COLORS[0]),
                              (outside, t("bptt_plots.eig_outside"), COLORS[1])):
        if mask.any():
            fig.add_trace(go.Scatter(
                x=eig.values.real[mask], y=eig.values.imag[mask], mode="markers", name=name,
                marker=dict(size=10, color=color, line=dict(color="white", width=1)),
                customdata=mag[mask],
                hovertemplate="λ = %{x:.3f} %{y:+.3f}i<br>|λ| = %{customdata:.3f}<extra></extra>"))
    title = title or (t("bptt_plots.eig_title") if eig.name == "W_hh"
                      else t("bptt_plots.eig_title_gate", gate=gate_block_name(eig.name)))
    _layout(fig, title, t("bptt_plots.eig_x"), t("bptt_plots.eig_y"),
            subtitle=t("bptt_plots.eig_subtitle", outside=eig.outside_unit_circle, total=len(eig.values)))
    lim = 1.15 * max(1.0, rho)
    fig.update_xaxes(range=[-lim, lim], zeroline=True, zerolinecolor="#bbbbbb")
    fig.update_yaxes(range=[-lim, lim], zeroline=True, zerolinecolor="#bbbbbb", scaleanchor="x", scaleratio=1)
    fig.update_layout(hovermode="closest", height=680)
    return fig


# ---------------------------------------------------------------- clipping


def clipping_loss_figure(free: ClippingRun, clipped: ClippingRun) -> go.Figure:
    """Training loss per step of the same model and minibatches without clipping and with clipping at θ."""
    fig = go.Figure()
    for run, name, color in ((free, t("bptt_plots.clip_free"), COLORS[1]),
                              (clipped, t("bptt_plots.clip_clipped", theta=f"{clipped.theta:g}"), COLORS[0])):
        steps = np.arange(1, len(run.loss) + 1)
        fig.add_trace(go.Scatter(x=steps, y=[v if np.isfinite(v) else None for v in run.loss], name=name,
                                 mode="lines", line=dict(color=color, width=3)))
        if run.diverged_at is not None:
            fig.add_vline(x=run.diverged_at, line=dict(color=color, dash="dot", width=2),
                          annotation_text=t("bptt_plots.diverged", name=name), annotation_font_size=FONT - 2)
    return _layout(fig, t("bptt_plots.clip_loss_title"), t("bptt_plots.clip_loss_x"), t("bptt_plots.clip_loss_y"))


# ---------------------------------------------------------------- truncated BPTT


def segments_figure(cmp: TruncationComparison, width: int = 60) -> go.Figure:
    """d2l Fig. 8.7.1 on this text: the stretches each strategy backpropagates through, first ``width`` characters.

    Bars are the uncut segments; the gradient flows inside a bar and stops at its left edge.
    """
    rows = ("randomized", "regular", "full")
    T = min(width, len(cmp.text))
    fig = go.Figure()
    for row in rows:
        label = strategy_name(row)
        w = cmp.weights[row]
        for i, (a, b) in enumerate(segments(w)):
            if a >= T:
                break
            b = min(b, T)
            shade = STRATEGY_COLORS[row] if i % 2 == 0 else _lighter(STRATEGY_COLORS[row])
            fig.add_trace(go.Bar(
                y=[label], x=[b - a], base=[a - 0.5], orientation="h", showlegend=False,
                marker=dict(color=shade, line=dict(color="white", width=2)), width=0.6,
                hovertemplate=t("bptt_plots.segment_hover", first=a + 1, last=b, text=repr(cmp.text[a:b]))
                + f"<extra>{label}</extra>"))
    ticks = list(range(T))
    fig.update_layout(barmode="overlay")
    _layout(fig, t("bptt_plots.segments_title", T=T), t("bptt_plots.segments_x"), "")
    fig.update_xaxes(tickvals=ticks, ticktext=[_visible(ch) for ch in cmp.text[:T]], tickangle=0,
                     tickfont=dict(size=14, family="monospace"), range=[-0.6, T - 0.4])
    fig.update_yaxes(type="category", autorange="reversed", tickfont=dict(size=FONT))
    fig.update_layout(height=330, hovermode="closest", showlegend=False, margin=dict(t=80, l=250, r=30, b=80))
    return fig


def _visible(ch: str) -> str:
    return {" ": "␣", "\n": "⏎"}.get(ch, ch)


def _lighter(color: str, amount: float = 0.5) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(v + (255 - v) * amount) for v in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def estimates_figure(cmp: TruncationComparison) -> go.Figure:
    """The largest entries of ∂L/∂W_hh as each strategy estimates them, divided by their exact value (1 = exact).

    Every randomized draw is a dot; the full gradient is the line at 1; regular truncation is one cross per entry.
    """
    labels = [f"W[{r},{c}]" for r, c in cmp.entry_index]
    exact = cmp.full.entries
    ratio = cmp.random_entries / exact  # (draws, entries)
    fig = go.Figure()
    fig.add_hline(y=1.0, line=dict(color=STRATEGY_COLORS["full"], width=2))
    xs = np.repeat(np.arange(len(labels))[None, :], len(ratio), axis=0)
    jitter = np.random.default_rng(0).uniform(-0.25, 0.25, size=xs.shape)
    fig.add_trace(go.Scatter(
        x=(xs + jitter).ravel(), y=ratio.ravel(), mode="markers", name=t("bptt_plots.random_draws", draws=cmp.draws),
        marker=dict(size=6, color=STRATEGY_COLORS["randomized"], opacity=0.35),
        hovertemplate=t("bptt_plots.random_draw_hover") + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=t("bptt_plots.full_exact"),
                             line=dict(color=STRATEGY_COLORS["full"], width=2)))
    fig.add_trace(go.Scatter(
        x=np.arange(len(labels)), y=cmp.random_mean.entries / exact, mode="markers",
        name=t("bptt_plots.random_mean"), marker=dict(size=16, symbol="diamond", color="#56B4E9",
                                                         line=dict(color="#333333", width=2)),
        hovertemplate=t("bptt_plots.random_mean_hover") + "<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=np.arange(len(labels)), y=cmp.truncated.entries / exact, mode="markers",
        name=t("bptt_plots.regular_tau", tau=cmp.tau), marker=dict(size=16, symbol="x", color=STRATEGY_COLORS["regular"],
                                                                line=dict(color="#333333", width=1)),
        hovertemplate=t("bptt_plots.regular_hover") + "<extra></extra>"))
    _layout(fig, t("bptt_plots.estimates_title"), t("bptt_plots.estimates_x", h_prev="h_{t−1}"),
            t("bptt_plots.estimates_y"), subtitle=t("bptt_plots.estimates_subtitle"))
    fig.update_xaxes(tickvals=list(range(len(labels))), ticktext=labels, tickfont=dict(size=FONT - 4))
    fig.update_layout(hovermode="closest")
    return fig


def convergence_figure(cmp: TruncationComparison) -> go.Figure:
    """Relative error of the average of n randomized draws against n, beside regular truncation's fixed bias."""
    n = np.arange(1, cmp.draws + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=n, y=_positive(cmp.random_rel_error), mode="markers", name=t("bptt_plots.one_draw"),
                             marker=dict(size=6, color=STRATEGY_COLORS["randomized"], opacity=0.3)))
    fig.add_trace(go.Scatter(x=n, y=_positive(cmp.running_rel_error), mode="lines",
                             name=t("bptt_plots.running_mean"), line=dict(color=STRATEGY_COLORS["randomized"],
                                                                             width=3)))
    fig.add_trace(go.Scatter(x=n, y=_positive(np.sqrt(cmp.random_variance / n)), mode="lines",
                             name=t("bptt_plots.noise"), line=dict(color="#56B4E9", width=2, dash="dash")))
    fig.add_trace(go.Scatter(x=[1, cmp.draws], y=_positive(np.array([cmp.truncated.rel_error] * 2)), mode="lines",
                             name=t("bptt_plots.regular_bias", tau=cmp.tau),
                             line=dict(color=STRATEGY_COLORS["regular"], width=3)))
    _layout(fig, t("bptt_plots.convergence_title"), t("bptt_plots.convergence_x"), t("bptt_plots.convergence_y"),
            log_y=True, subtitle=t("bptt_plots.convergence_subtitle"))
    fig.update_xaxes(type="log", **log_ticks([1, cmp.draws]))
    fig.update_layout(hovermode="closest")
    return fig
