"""Presentation mode (also ``?present=1``): large type for a projector, the sidebar and the secondary
controls out of the way, the essential ones kept — like TensorFlow Playground's "hide controls" link.

Pages put their secondary controls in :func:`secondary`: an ordinary container normally, a closed
expander in presentation mode (the widgets stay drawn, so their values are kept and still in the URL).
Charts scale their own fonts (ui.charts).
"""
from __future__ import annotations

import streamlit as st

from rnnviz.i18n import t

from .state import remember, set_widget

KEY = "present"

_CSS = """
<style>
  html { font-size: 20px; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
  [data-testid="stSidebarCollapseButton"] { display: none !important; }
  .stMainBlockContainer { max-width: 100%; padding-left: 2.5rem; padding-right: 2.5rem; padding-top: 2.5rem; }
  h1 { font-size: 2.6rem !important; }
  [data-testid="stMetricValue"] { font-size: 2.4rem; }
</style>
"""


def setup() -> bool:
    """Start of a run (app.py): the mode's value, from the session or a new URL."""
    remember(KEY, False)
    return bool(st.session_state[KEY])


def is_on() -> bool:
    return bool(st.session_state.get(KEY, False))


def toggle() -> None:
    """The sidebar's switch."""
    st.toggle(t("present.toggle"), key=KEY, help=t("present.toggle_help"))


def _leave() -> None:
    set_widget(KEY, False)


def apply() -> None:
    """In presentation mode: the CSS, and a way back (the sidebar, with its switch, is hidden)."""
    if not is_on():
        return
    st.html(_CSS)
    st.button(t("present.leave"), key="present_leave", on_click=_leave, help=t("present.leave_help"))


def secondary(label_key: str = "present.more_controls"):
    """Where a page draws its secondary controls: tucked in a closed expander in presentation mode."""
    if is_on():
        return st.expander(t(label_key), expanded=False)
    return st.container()
