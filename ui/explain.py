"""The maths behind the pictures: a collapsible "what you are looking at" panel per page, one step's equations with
the model's own numbers (``rnnviz.equations``), and the definition of perplexity with the current numbers. The words
come from the catalogue (``explain.*``), the formulas from :mod:`ui.explain_text`.

The step's character and unit are picked from two lists, or by a click on a heatmap cell: a page draws its heatmap
with ``clickable=True`` and ``**explain.click_to_pick(chart_key, panel_key)``; the click's callback writes the cell
into the lists' session keys before they are drawn, so the lists and the click always agree.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence

import streamlit as st
from torch import nn

from rnnviz.equations import perplexity_latex, step_equations
from rnnviz.i18n import t
from rnnviz.inspect import Trace
from rnnviz.inspect_plots import clicked_cell

from . import explain_text as tx
from .state import remember, set_widget


def what_you_see(page_key: str, kind: str | None = None) -> None:
    """A collapsed expander: the page's formula (d2l; and the sequence-models course's notation where the lecture
    uses it), the quantity on each axis, and what to look for. ``kind`` picks the formula of a model kind."""
    with st.expander(t("explain.panel_title"), expanded=False):
        st.markdown(t("explain.formula_heading"))
        for line in tx.formulas(page_key, kind):
            st.latex(line)
        ng = tx.ng(page_key, kind)
        if ng:
            st.markdown(t("explain.ng_heading"))
            for line in ng:
                st.latex(line)
            note = tx.ng_note(page_key, kind)
            if note:
                st.caption(note)
        st.markdown(t("explain.axes_heading") + "\n" + "\n".join(f"- {a}" for a in tx.axes(page_key)))
        st.markdown(t("explain.look_for", heading=t("explain.look_for_heading"), text=tx.look_for(page_key)))


def _shown(ch: str) -> str:
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch)


# ---------------------------------------------------------------- picking a step by a click


def _keys(key: str) -> tuple[str, str, str]:
    """The step panel's session keys: its character list, its unit list, the last clicked cell."""
    return f"{key}_t", f"{key}_unit", f"{key}_clicked"


def pick_cell(key: str, cell: tuple[int, int]) -> None:
    """Make the step panel ``key`` show the cell (position t, unit): its lists take those values (they check them
    against their options when drawn), and the panel opens."""
    t_key, u_key, clicked = _keys(key)
    step, unit = cell
    set_widget(t_key, step)
    set_widget(u_key, unit)
    st.session_state[clicked] = (step, unit)


def _on_click(chart_key: str, key: str) -> None:
    """st.plotly_chart's on_select callback: the selected cell of chart ``chart_key`` into step panel ``key``."""
    state = st.session_state.get(chart_key) or {}
    points = (state.get("selection") or {}).get("points", [])
    cell = clicked_cell(points)
    if cell is not None:
        pick_cell(key, cell)


def click_to_pick(chart_key: str, key: str) -> dict:
    """Keyword arguments for ``charts.show`` that make a click on a ``clickable`` heatmap pick the step panel
    ``key``'s character and unit."""
    return dict(on_select=lambda: _on_click(chart_key, key), selection_mode="points")


# ---------------------------------------------------------------- the step panel


def step_panel(model: nn.Module, tr: Trace, layer: int, positions: Sequence[int], units: Sequence[int],
               key: str) -> None:
    """A collapsed expander in which a character (one of ``positions`` of the trace ``tr``) and a unit (one of
    ``units``, in the page's order) are chosen; it shows that step's equations, typeset, with the model's numbers.
    ``tr`` must be the whole trace (not a window), so the previous state of the first shown character is known.
    A click on the page's heatmap (:func:`click_to_pick`) chooses both and opens the panel."""
    positions, units = list(positions), list(units)
    if not positions or not units:
        return
    t_key, u_key, clicked = _keys(key)
    with st.expander(t("explain.step.title"), expanded=clicked in st.session_state):
        st.caption(t("explain.step.intro"))
        left, right = st.columns(2)
        remember(t_key, positions[min(len(positions) - 1, 3)], positions)
        remember(u_key, units[0], units)
        step = left.selectbox(t("explain.step.char"), positions, key=t_key,
                              format_func=lambda p: t("explain.step.char_format", t=p, ch=_shown(tr.tokens[p])))
        unit = right.selectbox(t("explain.step.unit"), units, key=u_key,
                               format_func=lambda u: t("explain.step.unit_format", label=tr.unit_label(u)))
        if st.session_state.get(clicked) == (step, unit):
            st.caption(t("explain.step.clicked", ch=_shown(tr.tokens[step]), t=step, unit=tr.unit_label(unit)))
        try:
            eq = step_equations(model, tr, step, layer, unit)
        except ValueError as e:  # a trace from other weights (a run that moved on), a stale choice
            st.warning(t("explain.step.error", error=e), icon="🧮")
            return
        st.markdown(t("explain.step.recurrent", unit=tr.unit_label(unit), ch=_shown(eq.char), t=step))
        for ln in eq.lines:
            if ln.name == "logit":
                st.markdown(t("explain.step.output", target=_shown(eq.target)))
            st.latex(ln.latex)
        st.caption(" ".join(eq.notes))


def perplexity_help(ppl: float, mean_nll: float, vocab_size: int, n: int | None = None,
                    about: str | None = None) -> None:
    """A small popover: the definition of perplexity with the current average cross-entropy (over ``n`` predicted
    characters of the text ``about``, when given) plugged in, and the lecture's reminders (1 perfect, the
    vocabulary size the uniform baseline, infinity the worst)."""
    with st.popover(t("explain.perplexity.title")):
        st.markdown(t("explain.perplexity.intro"))
        if about:
            data = f'<span class="rnnviz-data">{html.escape(about)}</span>'  # the sentence is data, not interface
            st.caption(t("explain.perplexity.about", text=data), unsafe_allow_html=True)
        if math.isfinite(ppl):
            st.markdown(t("explain.perplexity.current", nll=mean_nll))
            st.latex(perplexity_latex(mean_nll, n))
        else:
            st.latex(perplexity_latex(math.inf, n).split(" = \\exp(")[0])
            st.warning(t("explain.perplexity.infinite"), icon="♾")
        st.markdown(t("explain.perplexity.reminders_heading") + "\n"
                    + "\n".join(f"- {r}" for r in tx.reminders(vocab_size)))
