"""The one table of the app's pages, in teaching order. A page appears once its file exists.

To add a page: write ``pages/<file>.py`` starting with ``ui.ensure_app()``; its row below is already
here (or add one). Nothing else changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from rnnviz.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    section: str  # catalogue key of the navigation group; "" = above the groups
    file: str  # relative to the app's root
    title: str  # catalogue key (rnnviz/locales/*/pages.toml); plain text passes through t() unchanged
    icon: str  # an emoji: material icons fetch a font from the internet
    url_path: str  # the file's stem: a deep link then works even before app.py has run once in the process
    blurb: str  # catalogue key: one line for the home page

    def label(self) -> str:
        return t(self.title)

    def summary(self) -> str:
        return t(self.blurb)

    def group(self) -> str:
        return t(self.section) if self.section else ""


PAGES: tuple[PageSpec, ...] = (
    PageSpec("", "pages/home.py", "pages.home_title", "🏠", "home", "pages.home_blurb"),
    PageSpec("pages.section_sequence_models", "pages/sequence_models.py", "pages.sequence_models_title", "📈", "sequence_models", "pages.sequence_models_blurb"),
    PageSpec("pages.section_text", "pages/text.py", "pages.text_title", "🔤", "text", "pages.text_blurb"),
    PageSpec("pages.section_statistics", "pages/statistics.py", "pages.statistics_title", "📊", "statistics", "pages.statistics_blurb"),
    PageSpec("pages.section_train", "pages/train.py", "pages.train_title", "🏋", "train", "pages.train_blurb"),
    PageSpec("pages.section_generate", "pages/generate.py", "pages.generate_title", "✍", "generate", "pages.generate_blurb"),
    PageSpec("pages.section_generate", "pages/bidirectional.py", "pages.bidirectional_title", "↔", "bidirectional", "pages.bidirectional_blurb"),
    PageSpec("pages.section_inside", "pages/hidden_states.py", "pages.hidden_states_title", "🧠", "hidden_states", "pages.hidden_states_blurb"),
    PageSpec("pages.section_inside", "pages/gates.py", "pages.gates_title", "🚪", "gates", "pages.gates_blurb"),
    PageSpec("pages.section_inside", "pages/shapes.py", "pages.shapes_title", "📐", "shapes", "pages.shapes_blurb"),
    PageSpec("pages.section_gradients", "pages/gradients.py", "pages.gradients_title", "📉", "gradients", "pages.gradients_blurb"),
    PageSpec("pages.section_gradients", "pages/memory_lab.py", "pages.memory_lab_title", "🧮", "memory_lab", "pages.memory_lab_blurb"),
)


def available(root: Path = ROOT) -> list[PageSpec]:
    """The rows whose page file exists, in table order."""
    return [p for p in PAGES if (root / p.file).is_file()]


def navigation() -> "st.navigation":
    """``st.navigation`` over the available pages, grouped by section; Home is the default."""
    groups: dict[str, list] = {}
    for spec in available():
        page = st.Page(spec.file, title=spec.label(), icon=spec.icon, url_path=spec.url_path,
                       default=spec.file == "pages/home.py")
        groups.setdefault(spec.group(), []).append(page)
    return st.navigation(groups)


def ensure_app() -> None:
    """The first call of every page: make sure this run went through app.py (sidebar, navigation).

    Because a ``pages/`` folder sits beside app.py, Streamlit starts in its legacy multipage mode, in
    which a page file runs on its own, without app.py, until app.py has called ``st.navigation`` once
    in the process: a bookmarked /train opened on a freshly started server would show no sidebar, and
    so does every AppTest run of a page. Leaving that mode and rerunning sends this run through app.py.
    (``PagesManager.uses_pages_directory`` is the flag ``st.navigation`` itself clears.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
