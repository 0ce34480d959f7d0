"""The one table of the app's pages, in teaching order. A page appears once its file exists.

To add a page: write ``pages/<file>.py`` starting with ``ui.ensure_app()``; its row below is already
here (or add one). Nothing else changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    section: str  # navigation group; "" = above the groups
    file: str  # relative to the app's root
    title: str
    icon: str  # an emoji: material icons fetch a font from the internet
    url_path: str  # the file's stem: a deep link then works even before app.py has run once in the process
    blurb: str  # one line for the home page


PAGES: tuple[PageSpec, ...] = (
    PageSpec("", "pages/home.py", "Home", "🏠", "home", "What this app is and where to start."),
    PageSpec("Sequence models", "pages/sequence_models.py", "Sequence models", "📈", "sequence_models",
             "Autoregressive prediction on a sine wave: one step ahead versus k steps ahead."),
    PageSpec("Text", "pages/text.py", "Text to tokens", "🔤", "text",
             "Raw text → lines → tokens → vocabulary → indices."),
    PageSpec("Language statistics", "pages/statistics.py", "Language statistics", "📊", "statistics",
             "Word frequencies, Zipf's law and n-grams."),
    PageSpec("Train", "pages/train.py", "Train", "🏋", "train",
             "Train an RNN, GRU or LSTM live: loss, perplexity, gradient clipping, samples."),
    PageSpec("Generate", "pages/generate.py", "Generate", "✍", "generate",
             "Continue a prefix with greedy, sampled or top-k decoding."),
    PageSpec("Inside the network", "pages/hidden_states.py", "Hidden states", "🧠", "hidden_states",
             "What each hidden unit does as the model reads a sentence."),
    PageSpec("Inside the network", "pages/gates.py", "Gates", "🚪", "gates",
             "The LSTM's input, forget and output gates and its memory cell, character by character."),
    PageSpec("Gradients", "pages/gradients.py", "Gradients", "📉", "gradients",
             "Vanishing and exploding gradients through time, and what clipping does."),
    PageSpec("Gradients", "pages/memory_lab.py", "Memory lab", "🧮", "memory_lab",
             "Can a vanilla RNN, a GRU and an LSTM remember across T steps? Train them live; sweep over T."),
)


def available(root: Path = ROOT) -> list[PageSpec]:
    """The rows whose page file exists, in table order."""
    return [p for p in PAGES if (root / p.file).is_file()]


def navigation() -> "st.navigation":
    """``st.navigation`` over the available pages, grouped by section; Home is the default."""
    groups: dict[str, list] = {}
    for spec in available():
        page = st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                       default=spec.file == "pages/home.py")
        groups.setdefault(spec.section, []).append(page)
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
