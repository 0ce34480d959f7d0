"""Streamlit helpers for rnnviz's pages: session keys, cached loaders, the shared sidebar, the training
worker. (The rnnviz package itself never imports Streamlit; this package is the app's side.)

What pages call::

    ui.ensure_app()                                        # first line of every page

    ui.active_model(required=True) -> ActiveModel | None   # .model .vocab .config .label .source
    ui.current_corpus() -> Corpus | None                   # the sidebar's text (None: own text missing)
    ui.corpus_or_stop() -> Corpus                          # ... or a note and the end of the page
    ui.remember(key, default, options=None)                # a widget that keeps its value across pages
    ui.device_label() -> str                               # 'GPU: <name>, <N> GiB' | 'CPU, <N> threads'
"""
from .active import ActiveModel, active_model
from .corpus import corpus_or_stop, current_corpus
from .pages import ensure_app
from .sidebar import device_label, sidebar
from .state import remember

__all__ = ["ActiveModel", "active_model", "corpus_or_stop", "current_corpus", "device_label", "ensure_app", "remember",
           "sidebar"]
