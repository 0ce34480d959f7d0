"""Every language model the Generate page can put side by side: shipped checkpoints, this session's runs and
n-gram models of the sidebar's text, each behind the same two calls (generate, score)."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rnnviz.generate import Generation, Score, generate, score
from rnnviz.i18n import t
from rnnviz.ngram import NGramLM
from rnnviz.ngram_decode import ngram_generate, ngram_score

from . import active
from .corpus import current_spec
from .loaders import corpus as load_corpus
from .memo import session_memo

NGRAM_ORDERS = (2, 3, 4, 5)


@dataclass
class LanguageModel:
    key: str  # "shipped:<stem>" | "run:<id>" | "ngram:<order>"
    label: str
    version: tuple  # what identifies these weights or counts: a session run's step, the n-gram's text
    model: object  # nn.Module or NGramLM
    vocab: object | None  # rnnviz.data.Vocab for neural models

    @property
    def is_ngram(self) -> bool:
        return self.key.startswith("ngram:")

    def generate(self, prefix: str, num_chars: int, strategy: str, temperature: float, top_k: int,
                 seed: int) -> Generation:
        """rnnviz's generate (or its n-gram twin), remembered per session: a rerun that changes nothing is free."""
        args = (prefix, num_chars, strategy, temperature, top_k, seed)
        if self.is_ngram:
            return session_memo(("generate", self.key, self.version, args), lambda: ngram_generate(self.model, *args))
        return session_memo(("generate", self.key, self.version, args),
                            lambda: generate(self.model, self.vocab, *args))

    def score(self, text: str) -> Score:
        if self.is_ngram:
            return session_memo(("score", self.key, self.version, text), lambda: ngram_score(self.model, text))
        return session_memo(("score", self.key, self.version, text), lambda: score(self.model, self.vocab, text))


def ngram_label(order: int) -> str:
    """'Trigram of the text · counts': an n-gram model of the sidebar's text, in the current language."""
    return t(f"generate.ngram_{order}")


def options() -> dict[str, str]:
    """key → label: the sidebar's models (shipped, then this session's runs), then n-gram models of the text."""
    out = dict(active.options())
    if current_spec() is not None:
        out.update({f"ngram:{n}": ngram_label(n) for n in NGRAM_ORDERS})
    return out


@st.cache_resource(show_spinner=False, max_entries=12)
def _ngram(kind: str, data: bytes | None, clean: bool, order: int) -> NGramLM:
    """An n-gram model of a text (read-only, shared): Laplace smoothing with ε = 1 at every order."""
    return NGramLM(order=order).fit(load_corpus(kind, data, clean).char_tokens())


def _ngram_model(spec: tuple, order: int) -> NGramLM:
    """The counts, with a spinner in the page's language (a cached function's own spinner text is fixed)."""
    with st.spinner(t("generate.counting")):
        return _ngram(*spec, order)


def load(key: str) -> LanguageModel | None:
    """The model behind ``key``; None if it is gone (a removed run, an unreadable checkpoint, no text)."""
    source, _, name = key.partition(":")
    if source == "ngram":
        spec = current_spec()
        if spec is None or not name.isdigit() or int(name) not in NGRAM_ORDERS:
            return None
        return LanguageModel(key, ngram_label(int(name)), (spec[0], hash(spec[1]), spec[2]),
                             _ngram_model(spec, int(name)), None)
    found = active._resolve(key)
    if found is None:
        return None
    label = found.label if found.source == "shipped" else t("generate.run_at_step", label=found.label, step=found.step)
    return LanguageModel(key, label, (found.step,), found.model, found.vocab)
