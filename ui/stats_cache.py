"""Cached corpus statistics for the Text and Language statistics pages.

Every function is keyed on :func:`corpus_key` (a digest of the corpus's lines, so the same text gives
the same key whoever loaded it); the corpus itself is passed as an unhashed ``_corpus`` argument.
Pure results go through ``st.cache_data``; the fitted n-gram model, read-only and reused for every
ε, through ``st.cache_resource``. Results that depend on a model are keyed on the model's key and
training step as well (run ids are unique in the process, so sessions never share one).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import streamlit as st

from rnnviz import ngram, text_views
from rnnviz.data import Corpus, Vocab
from rnnviz.generate import generate
from rnnviz.i18n import language, t
from rnnviz.train import evaluate_perplexity

from .waiting import spinner

LEVELS = ("word", "char")


def unit(level: str, capital: bool = False, one: bool = False) -> str:
    """'words' or 'characters' (what a level counts; 'word', 'character' with ``one``), in the interface's
    language, 'Words' with ``capital``."""
    text = t(f"stats_cache.unit_{level}{'_one' if one else ''}")
    return text.capitalize() if capital else text


def corpus_key(corpus: Corpus) -> str:
    """A digest of what the corpus holds: its kind, whether it keeps line breaks, and its lines."""
    h = hashlib.sha1(f"{corpus.kind}|{corpus.newlines}|{len(corpus.lines)}|".encode())
    h.update("\n".join(corpus.lines).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# ---------------------------------------------------------------- text page


@spinner("stats_cache.reading")
@st.cache_data(show_spinner=False, max_entries=8)
def raw_lines(key: str, _corpus: Corpus, _data: bytes | None = None) -> list[str]:
    return text_views.raw_lines(_corpus, _data)


@spinner("stats_cache.vocabulary")
@st.cache_data(show_spinner=False, max_entries=16)
def vocab_table(key: str, _corpus: Corpus, level: str, min_freq: int,
                reserved: tuple[str, ...]) -> text_views.VocabTable:
    return text_views.vocab_table(ngram.corpus_tokens(_corpus, level), min_freq, reserved)


@st.cache_data(show_spinner=False, max_entries=64)
def minibatch_spans(num_tokens: int, batch_size: int, num_steps: int, sampler: str, seed: int,
                    max_batches: int) -> list[text_views.Span]:
    """Depends on the text only through its length. Raises CorpusError for a too-short text."""
    return text_views.minibatch_spans(num_tokens, batch_size, num_steps, sampler, seed, max_batches)


# ---------------------------------------------------------------- statistics page


@spinner("stats_cache.counting")
@st.cache_data(show_spinner=False, max_entries=8)
def ngram_stats(key: str, _corpus: Corpus, level: str) -> ngram.NGramStats:
    return ngram.ngram_stats(ngram.corpus_tokens(_corpus, level), (1, 2, 3), k=50)


@spinner("stats_cache.counting_distinct")
@st.cache_data(show_spinner=False, max_entries=16)
def growth(key: str, _corpus: Corpus, level: str, max_n: int) -> tuple[list[ngram.NGramGrowth], float]:
    start = time.perf_counter()
    result = ngram.ngram_growth(ngram.corpus_tokens(_corpus, level), max_n)
    return result, time.perf_counter() - start


@dataclass
class FittedLM:
    """An order-3 n-gram model fitted on the training part of a corpus, and the held-out part."""

    lm: ngram.NGramLM
    train_size: int
    val: list[str]
    val_chars: list[str]  # the held-out part as characters, for a neural model
    seconds: float


@spinner("stats_cache.fitting")
@st.cache_resource(show_spinner=False, max_entries=4)
def fitted_lm(key: str, _corpus: Corpus, level: str, val_frac: float, max_tokens: int) -> FittedLM:
    """Shared, read-only: evaluate and sample through ``with_eps`` copies, never refit it.
    Raises ValueError when the training part is empty."""
    start = time.perf_counter()
    train, val, vocab = ngram.train_val_tokens(_corpus, level, val_frac, max_tokens)
    lm = ngram.NGramLM(3, 1.0).fit(train, vocab)
    val_chars = val if level == "char" else ngram.train_val_tokens(_corpus, "char", val_frac, max_tokens)[1]
    return FittedLM(lm, len(train), val, val_chars, time.perf_counter() - start)


# The next two hold messages (why a perplexity is infinite): keyed on the language they are written in too.
@spinner("stats_cache.scoring")
@st.cache_data(show_spinner=False, max_entries=32)
def _perplexity_curve(key: str, level: str, val_frac: float, max_tokens: int, epsilons: tuple[float, ...],
                      lang: str, _fitted: FittedLM) -> list[ngram.CurvePoint]:
    return _fitted.lm.curve(_fitted.val, epsilons)


def perplexity_curve(key: str, level: str, val_frac: float, max_tokens: int, epsilons: tuple[float, ...],
                     _fitted: FittedLM) -> list[ngram.CurvePoint]:
    return _perplexity_curve(key, level, val_frac, max_tokens, epsilons, language(), _fitted)


@st.cache_data(show_spinner=False, max_entries=64)
def _order_perplexities(key: str, level: str, val_frac: float, max_tokens: int, eps: tuple[float, ...],
                        lang: str, _fitted: FittedLM) -> list[ngram.PerplexityResult]:
    return _fitted.lm.evaluate_orders(_fitted.val, eps)


def order_perplexities(key: str, level: str, val_frac: float, max_tokens: int, eps: tuple[float, ...],
                       _fitted: FittedLM) -> list[ngram.PerplexityResult]:
    return _order_perplexities(key, level, val_frac, max_tokens, eps, language(), _fitted)


@st.cache_data(show_spinner=False, max_entries=64)
def ngram_samples(key: str, level: str, val_frac: float, max_tokens: int, eps: tuple[float, ...],
                  prefix: tuple[str, ...], n: int, seed: int, _fitted: FittedLM) -> dict[int, list[str]]:
    """Order -> ``n`` tokens drawn after ``prefix`` from the model of that order with ε1..ε_order."""
    return {k: _fitted.lm.with_eps(eps[:k]).sample(prefix, n, seed) for k in range(1, len(eps) + 1)}


@spinner("stats_cache.scoring_neural")
@st.cache_data(show_spinner=False, max_entries=32)
def neural_perplexity(model_key: str, step: int, key: str, val_frac: float, max_tokens: int, num_steps: int,
                      batch_size: int, _model, _vocab: Vocab, _val_chars: list[str]) -> tuple[float, float]:
    """(validation perplexity, seconds) of the active model on the held-out characters, read in
    ``batch_size`` rows of ``num_steps`` as its training validated (so the Train page's number comes back)."""
    start = time.perf_counter()
    ppl = evaluate_perplexity(_model, _vocab[_val_chars], num_steps=num_steps, batch_size=batch_size)
    return ppl, time.perf_counter() - start


@spinner("stats_cache.writing")
@st.cache_data(show_spinner=False, max_entries=64)
def neural_sample(model_key: str, step: int, prefix: str, n: int, seed: int, _model,
                  _vocab: Vocab) -> tuple[str, list[tuple[int, str]]]:
    """(generated characters, unknown prefix characters) sampled at temperature 1, as the n-grams are."""
    gen = generate(_model, _vocab, prefix, n, strategy="sample", temperature=1.0, seed=seed)
    return gen.generated, gen.unknown
