"""What the Hidden states and Gates pages share: the "follow training" toggle and the model caption, the text box
and its checks, cached traces of the text and of a corpus sample, and the layer and window pickers.

The text box (key ``inside_text``) is the same on both pages, so a class looks at one sentence throughout.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from rnnviz.data import Corpus, Vocab
from rnnviz.inspect import Trace, trace
from rnnviz.inspect_analysis import corpus_sample, default_passage, describe_unknown, fit_to_vocab, \
    traceable_chars, window

from . import loaders
from .active import ActiveModel, active_model
from .corpus import current_corpus
from .state import remember, set_widget

TEXT = "inside_text"
FOLLOW = "inside_follow"
LAYER = "inside_layer"
WINDOW_START = "inside_window"
_DEFAULT_OF = "_inside_default"  # (model key, the default text it was given)
WINDOW = 80  # characters in a heatmap at once: each stays readable on a projector
SAMPLE_CHARS = 5_000
FOLLOW_EVERY_S = 2.0
FALLBACK = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us"
BUILT_IN = ("timemachine", "raw", "offline")


# ---------------------------------------------------------------- the model


def follow_toggle(active: ActiveModel) -> bool:
    """For a run training now, a "follow training" toggle (outside the fragment it controls). Returns whether to
    follow: re-read the text with the latest weights every FOLLOW_EVERY_S seconds."""
    if active.source != "session":
        return False
    remember(FOLLOW, False)
    return st.toggle("🔄 Follow training", key=FOLLOW,
                     help=f"Re-read the text with the latest weights every {FOLLOW_EVERY_S:g} s, so the class can "
                          "watch the units and gates organize while the model trains.")


def model_caption(active: ActiveModel) -> None:
    """Which model is reading, and for a session run, after how many training steps."""
    cfg = active.config
    layers = f"{cfg.num_layers} layers × " if cfg.num_layers > 1 else ""
    bi = ", bidirectional: → units read left to right, ← units right to left" if cfg.bidirectional else ""
    detail = f" ({layers}{cfg.hidden_size} units{bi})" if bi or str(cfg.hidden_size) not in active.label else ""
    if active.source == "session":
        st.caption(f"Reading with **{active.label}**{detail}, as it is after **step {active.step:,}** of training.")
    else:
        st.caption(f"Reading with **{active.label}**{detail} (change the model in the sidebar).")


def body(follow: bool, draw: Callable[[], None]) -> None:
    """Run ``draw`` as a fragment: every FOLLOW_EVERY_S seconds while following, else on its own widgets."""
    st.fragment(run_every=FOLLOW_EVERY_S if follow else None)(draw)()


def current_model() -> ActiveModel:
    """The active model as it is now (inside a following fragment: the latest snapshot of the run)."""
    return active_model(required=True)


def reset_when(key: str, signature, value) -> None:
    """Give widget ``key`` the value ``value`` whenever ``signature`` (the model, an order) differs from the last
    run's, or when the widget was not drawn last time (Streamlit then forgets its value). Assigned, not deleted:
    the browser is told the new value, so what it shows matches what the page uses."""
    seen = f"_inside_seen_{key}"
    if st.session_state.get(seen) != signature or key not in st.session_state:
        set_widget(key, value)
        st.session_state[seen] = signature


def remember_number(key: str, default: int, lo: int, hi: int) -> None:
    """``ui.remember`` for a number widget whose range depends on the model: a kept value outside [lo, hi]
    (remembered from a bigger model) is brought inside, so the widget never receives a value it refuses."""
    remember(key, default)
    value = st.session_state[key]
    if not lo <= value <= hi:
        set_widget(key, min(max(value, lo), hi))


# ---------------------------------------------------------------- texts


def model_corpus(active: ActiveModel) -> Corpus | None:
    """The text the model learned from when it is a built-in one, else the sidebar's text."""
    kind = (active.corpus or {}).get("kind")
    if kind in BUILT_IN:
        return loaders.corpus(kind)
    return current_corpus()


@st.cache_data(show_spinner=False, max_entries=32)
def _default_for(corpus_id: tuple, _lines: list[str], newlines: bool, tokens: tuple[str, ...]) -> str:
    vocab = Vocab()
    vocab.idx_to_token = list(tokens)
    vocab.token_to_idx = {tok: i for i, tok in enumerate(tokens)}
    return default_passage(_lines, newlines, vocab)


def default_text(active: ActiveModel) -> str:
    """A passage of the model's own corpus in its alphabet (for the raw-text LSTM: quotes and line breaks)."""
    corpus = model_corpus(active)
    text = ""
    if corpus is not None:
        lines = corpus.lines
        corpus_id = (corpus.kind, corpus.name, len(lines), lines[len(lines) // 2] if lines else "")
        text = _default_for(corpus_id, lines, corpus.newlines, tuple(active.vocab.idx_to_token))
    return text or fit_to_vocab(FALLBACK, active.vocab) or "".join(active.vocab.idx_to_token[1:])[:100]


def _restore_default(text: str) -> None:
    set_widget(TEXT, text)


def _cut(text: str, n: int) -> None:
    set_widget(TEXT, text[:n])


def text_box(active: ActiveModel) -> str | None:
    """The text area, and what is wrong with its text said plainly. Returns the text to trace, or None."""
    default = default_text(active)
    remember(TEXT, default)
    last = st.session_state.get(_DEFAULT_OF)
    if last and last[0] != active.key and st.session_state[TEXT] == last[1]:
        set_widget(TEXT, default)  # the text was the old model's default: give the new model its own
    st.session_state[_DEFAULT_OF] = (active.key, default)
    text = st.text_area("Text for the model to read (type or paste anything)", key=TEXT, height=130,
                        help="Every state and gate below is recorded while the model reads this text from a zero "
                             "state. The same text is used on the Hidden states and Gates pages.")
    st.button("↺ A passage from the model's own text", key="inside_default", on_click=_restore_default,
              args=(default,), disabled=text == default)
    if not text:
        st.info("✍ Type or paste some text above: the model's hidden states and gates appear once it has "
                "something to read.")
        return None
    most = traceable_chars(active.config)
    if len(text) > most:
        st.warning(f"This text has **{len(text):,} characters**. Recording every state and gate of this model is "
                   f"limited to **{most:,} characters** at a time (it keeps the page fast and the memory in check).",
                   icon="✂")
        st.button(f"✂ Read only the first {most:,} characters", key="inside_cut", on_click=_cut, args=(text, most),
                  type="primary")
        return None
    return text


def flag_unknown(tr: Trace) -> None:
    if tr.unknown:
        n = len(tr.unknown)
        st.warning(f"{n:,} character{'s are' if n > 1 else ' is'} not in this model's vocabulary and "
                   f"{'are' if n > 1 else 'is'} read as the unknown token `<unk>`: {describe_unknown(tr.unknown)}. "
                   "They stay in the pictures below, marked by position.", icon="❔")


# ---------------------------------------------------------------- traces (read-only, shared)


@st.cache_resource(show_spinner="Reading the text…", max_entries=4)
def _trace(model_key: str, step: int, weights: tuple, text: str, _model, _vocab) -> Trace:
    return trace(_model, _vocab, text)


def _weights_id(model) -> tuple:
    """Which weights these are: the object, and a checksum so that a reused id() cannot alias another model."""
    first = next(model.parameters())
    return id(model), float(first.detach().double().sum())


def traced(active: ActiveModel, text: str) -> Trace | None:
    """The trace of ``text`` (cached per model, training step and text; never modify it), or None after an
    error message."""
    try:
        return _trace(active.key, active.step, _weights_id(active.model), text, active.model, active.vocab)
    except ValueError as e:
        st.error(f"This text cannot be read: {e}.", icon="🚫")
        return None


def sample_trace(active: ActiveModel) -> tuple[Trace, str] | None:
    """(a trace of SAMPLE_CHARS characters from the middle of the model's corpus, the corpus name), or None
    when there is no corpus to sample."""
    corpus = model_corpus(active)
    if corpus is None:
        return None
    text = corpus_sample(corpus.text, min(SAMPLE_CHARS, traceable_chars(active.config)))
    try:
        return (_trace(active.key, active.step, _weights_id(active.model), text, active.model, active.vocab),
                corpus.name)
    except ValueError:
        return None


# ---------------------------------------------------------------- pickers


def layer_picker(tr: Trace, key: str = LAYER) -> int:
    if tr.num_layers == 1:
        return 0
    remember(key, 0, list(range(tr.num_layers)))
    return st.segmented_control("Layer", list(range(tr.num_layers)), key=key, required=True,
                                format_func=lambda i: tr.layer_names[i])


def window_picker(tr: Trace, key: str = WINDOW_START) -> Trace:
    """The part of a long text the heatmaps show (WINDOW characters, chosen with a slider)."""
    if tr.num_steps <= WINDOW:
        return tr
    last = tr.num_steps - WINDOW
    remember(key, 0)
    if not 0 <= st.session_state[key] <= last:
        set_widget(key, min(max(int(st.session_state[key]), 0), last))
    start = st.slider(f"The pictures show {WINDOW} of the text's {tr.num_steps:,} characters at a time, starting at "
                      "character", 0, last, key=key)
    return window(tr, start, start + WINDOW)
