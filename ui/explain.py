"""The maths behind the pictures: a collapsible "what you are looking at" panel per page, one step's equations with
the model's own numbers (``rnnviz.equations``), and the definition of perplexity with the current numbers. Every
string comes from :mod:`ui.explain_text`."""
from __future__ import annotations

import math
from collections.abc import Sequence

import streamlit as st
from torch import nn

from rnnviz.equations import perplexity_latex, step_equations
from rnnviz.inspect import Trace

from . import explain_text as tx
from .state import remember


def what_you_see(page_key: str, kind: str | None = None) -> None:
    """A collapsed expander: the page's formula (d2l; and the sequence-models course's notation where the lecture
    uses it), the quantity on each axis, and what to look for. ``kind`` picks the formula of a model kind."""
    entry = tx.PAGES[page_key]

    def of_kind(value):
        return value.get(kind or "*", value["*"]) if isinstance(value, dict) else value

    with st.expander(tx.PANEL_TITLE, expanded=False):
        st.markdown(tx.FORMULA_HEADING)
        for line in of_kind(entry["formulas"]):
            st.latex(line)
        if entry.get("ng"):
            st.markdown(tx.NG_HEADING)
            for line in of_kind(entry["ng"]):
                st.latex(line)
            if entry.get("ng_note"):
                st.caption(of_kind(entry["ng_note"]))
        st.markdown(tx.AXES_HEADING + "\n" + "\n".join(f"- {a}" for a in entry["axes"]))
        st.markdown(f"{tx.LOOK_FOR_HEADING}: {entry['look_for']}")


def _shown(ch: str) -> str:
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch)


def step_panel(model: nn.Module, tr: Trace, layer: int, positions: Sequence[int], units: Sequence[int],
               key: str) -> None:
    """A collapsed expander in which a character (one of ``positions`` of the trace ``tr``) and a unit (one of
    ``units``, in the page's order) are chosen; it shows that step's equations, typeset, with the model's numbers.
    ``tr`` must be the whole trace (not a window), so the previous state of the first shown character is known."""
    positions, units = list(positions), list(units)
    if not positions or not units:
        return
    t_key, u_key = f"{key}_t", f"{key}_unit"
    with st.expander(tx.STEP["title"], expanded=False):
        st.caption(tx.STEP["intro"])
        left, right = st.columns(2)
        remember(t_key, positions[min(len(positions) - 1, 3)], positions)
        remember(u_key, units[0], units)
        t = left.selectbox(tx.STEP["char"], positions, key=t_key,
                           format_func=lambda p: tx.STEP["char_format"].format(t=p, ch=_shown(tr.tokens[p])))
        unit = right.selectbox(tx.STEP["unit"], units, key=u_key,
                               format_func=lambda u: tx.STEP["unit_format"].format(label=tr.unit_label(u)))
        try:
            eq = step_equations(model, tr, t, layer, unit)
        except ValueError as e:  # a trace from other weights (a run that moved on), a stale choice
            st.warning(tx.STEP["error"].format(error=e), icon="🧮")
            return
        st.markdown(tx.STEP["recurrent"].format(unit=tr.unit_label(unit), ch=_shown(eq.char), t=t))
        for ln in eq.lines:
            if ln.name == "logit":
                st.markdown(tx.STEP["output"].format(target=_shown(eq.target)))
            st.latex(ln.latex)
        st.caption(" ".join(eq.notes))


def perplexity_help(ppl: float, mean_nll: float, vocab_size: int, n: int | None = None,
                    about: str | None = None) -> None:
    """A small popover: the definition of perplexity with the current average cross-entropy (over ``n`` predicted
    characters of the text ``about``, when given) plugged in, and the lecture's reminders (1 perfect, the
    vocabulary size the uniform baseline, infinity the worst)."""
    with st.popover(tx.PERPLEXITY["title"]):
        st.markdown(tx.PERPLEXITY["intro"])
        if about:
            st.caption(tx.PERPLEXITY["about"].format(text=about))
        if math.isfinite(ppl):
            st.markdown(tx.PERPLEXITY["current"].format(nll=mean_nll))
            st.latex(perplexity_latex(mean_nll, n))
        else:
            st.latex(perplexity_latex(math.inf, n).split(" = \\exp(")[0])
            st.warning(tx.PERPLEXITY["infinite"], icon="♾")
        st.markdown(tx.PERPLEXITY["reminders_heading"] + "\n"
                    + "\n".join(f"- {r.format(vocab_size=vocab_size)}" for r in tx.PERPLEXITY["reminders"]))
