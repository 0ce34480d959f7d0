"""What the Hidden states and Gates pages share: the "follow training" toggle and the model caption, the text box
and its checks, cached traces of the text and of a corpus sample, and the layer and window pickers.

The text box (key ``inside_text``) is the same on both pages, so a class looks at one sentence throughout. Every
word comes from the catalogue (``inside.*``); a model's label and a corpus name are data (:func:`data_html`).
"""
from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable

import streamlit as st

from rnnviz import i18n
from rnnviz.data import Corpus, Vocab
from rnnviz.i18n import t
from rnnviz.inspect import Trace, trace
from rnnviz.inspect_analysis import corpus_sample, default_passage, fit_to_vocab, traceable_chars, window
from rnnviz.inspect_plots import layer_name

from . import loaders
from .active import ActiveModel, active_model
from .corpus import current_corpus, display_name
from .language import KEY as LANGUAGE
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
    return st.toggle(t("inside.follow"), key=FOLLOW, help=t("inside.follow_help", every=FOLLOW_EVERY_S))


def data_html(text: str, tag: str = "span") -> str:
    """``text`` (a model's label, a corpus name, a span of the text: data, not interface words) as escaped HTML
    marked as data (tests/i18n_scan.py leaves it alone)."""
    return f'<{tag} class="rnnviz-data">{html.escape(text)}</{tag}>'


def model_caption(active: ActiveModel) -> None:
    """Which model is reading, and for a session run, after how many training steps."""
    cfg = active.config
    layers = t("inside.layers", n=cfg.num_layers) if cfg.num_layers > 1 else ""
    bi = t("inside.bidirectional") if cfg.bidirectional else ""
    detail = (t("inside.detail", layers=layers, hidden=cfg.hidden_size, bi=bi)
              if bi or str(cfg.hidden_size) not in active.label else "")
    label = data_html(active.label)
    if active.source == "session":
        st.caption(t("inside.reading_session", label=label, detail=detail, step=active.step), unsafe_allow_html=True)
    else:
        st.caption(t("inside.reading_shipped", label=label, detail=detail), unsafe_allow_html=True)


def body(follow: bool, draw: Callable[[], None]) -> None:
    """Run ``draw`` as a fragment: every FOLLOW_EVERY_S seconds while following, else on its own widgets."""
    def in_language() -> None:
        # a fragment's own rerun does not pass through app.py, where the run's language is set
        i18n.set_language(st.session_state.get(LANGUAGE, i18n.DEFAULT))
        draw()

    st.fragment(run_every=FOLLOW_EVERY_S if follow else None)(in_language)()


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
    text = st.text_area(t("inside.text_label"), key=TEXT, height=130, help=t("inside.text_help"))
    st.button(t("inside.restore"), key="inside_default", on_click=_restore_default, args=(default,),
              disabled=text == default)
    if not text:
        st.info(t("inside.empty"))
        return None
    most = traceable_chars(active.config)
    if len(text) > most:
        st.warning(t("inside.too_long", n=len(text), most=most), icon="✂")
        st.button(t("inside.cut", most=most), key="inside_cut", on_click=_cut, args=(text, most), type="primary")
        return None
    return text


_CHAR_NAMES = {"\n": "char_line_break", "\t": "char_tab", "\r": "char_carriage_return", " ": "char_space"}


def describe_unknown(unknown: list[tuple[int, str]], most: int = 12) -> str:
    """'T' ×2, '!' ×1 … for the (position, char) pairs of ``Trace.unknown``, most frequent first, in the interface's
    language (a space or a line break named, not shown)."""
    def visible(ch: str) -> str:
        if ch in _CHAR_NAMES:
            return t(f"inside.{_CHAR_NAMES[ch]}")
        return repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"

    counts = Counter(ch for _, ch in unknown).most_common()
    shown = t("inside.list_sep").join(t("inside.unknown_count", ch=visible(ch), n=n) for ch, n in counts[:most])
    return shown + (t("inside.unknown_more", n=len(counts) - most) if len(counts) > most else "")


def flag_unknown(tr: Trace) -> None:
    if tr.unknown:
        n = len(tr.unknown)
        st.warning(t("inside.unknown_many" if n > 1 else "inside.unknown_one", n=n, chars=describe_unknown(tr.unknown)),
                   icon="❔")


# ---------------------------------------------------------------- traces (read-only, shared)


@st.cache_resource(show_spinner=False, max_entries=4)
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
        with st.spinner(t("inside.reading")):
            return _trace(active.key, active.step, _weights_id(active.model), text, active.model, active.vocab)
    except ValueError as e:
        st.error(t("inside.unreadable", error=e), icon="🚫")
        return None


def sample_trace(active: ActiveModel) -> tuple[Trace, str] | None:
    """(a trace of SAMPLE_CHARS characters from the middle of the model's corpus, the corpus name), or None
    when there is no corpus to sample."""
    corpus = model_corpus(active)
    if corpus is None:
        return None
    text = corpus_sample(corpus.text, min(SAMPLE_CHARS, traceable_chars(active.config)))
    try:
        with st.spinner(t("inside.reading")):
            return (_trace(active.key, active.step, _weights_id(active.model), text, active.model, active.vocab),
                    display_name(corpus))
    except ValueError:
        return None


# ---------------------------------------------------------------- pickers


def layer_picker(tr: Trace, key: str = LAYER) -> int:
    if tr.num_layers == 1:
        return 0
    remember(key, 0, list(range(tr.num_layers)))
    return st.segmented_control(t("inside.layer"), list(range(tr.num_layers)), key=key, required=True,
                                format_func=layer_name)


def window_picker(tr: Trace, key: str = WINDOW_START) -> Trace:
    """The part of a long text the heatmaps show (WINDOW characters, chosen with a slider)."""
    if tr.num_steps <= WINDOW:
        return tr
    last = tr.num_steps - WINDOW
    remember(key, 0)
    if not 0 <= st.session_state[key] <= last:
        set_widget(key, min(max(int(st.session_state[key]), 0), last))
    start = st.slider(t("inside.window", window=WINDOW, n=tr.num_steps), 0, last, key=key)
    return window(tr, start, start + WINDOW)
