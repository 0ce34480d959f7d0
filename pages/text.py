"""Text to tokens (d2l 8.2-8.3): one line through the four preprocessing steps, the vocabulary with
min_freq and reserved tokens, and where the first minibatches of each sampler come from."""
import random

import pandas as pd
import streamlit as st

import ui
from ui.corpus import display_name
from ui import charts, explain, present
from rnnviz import ngram_plots
from rnnviz.data import CorpusError
from rnnviz.i18n import t
from rnnviz.ngram import corpus_tokens
from rnnviz.text_views import (RESERVED_TOKENS, cleaning_of, continuations, mean_word_length, preprocess_steps,
                                sampler_min_tokens, show_token)
from ui import stats_cache as cache
from ui.corpus import current_spec
from ui.state import set_widget

LEVELS = cache.LEVELS
unit = cache.unit
SAMPLERS = ("random", "sequential")


MAX_SHOWN = 2_000  # characters of a line, and indices, shown at most (an upload may be one 5 MB line)


def count(n: int, key: str) -> str:
    """'1 raw line', '2 raw lines': the catalogue has ``key`` (plural) and ``key_one``."""
    return t(f"text.{key}_one" if n == 1 else f"text.{key}", n=f"{n:,}")


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else text[:limit] + t("text.clipped", n=f"{len(text) - limit:,}")


ui.ensure_app()
st.title(t("text.title"))
explain.what_you_see("text")
corpus = ui.corpus_or_stop()
key = cache.corpus_key(corpus)
if corpus.note:
    st.warning(corpus.note, icon="📴")

c1, c2, c3 = st.columns([2, 1, 2])
ui.remember("text_level", "word", list(LEVELS))
level = c1.segmented_control(t("text.level"), list(LEVELS), format_func=lambda lv: unit(lv, capital=True),
                             required=True, key="text_level", help=t("text.level_help"))
ui.remember("text_min_freq", 0)
min_freq = c2.number_input(t("text.min_freq"), 0, 1_000_000, key="text_min_freq", help=t("text.min_freq_help"))
ui.remember("text_reserved", [], list(RESERVED_TOKENS))
reserved = c3.pills(t("text.reserved"), RESERVED_TOKENS, selection_mode="multi", key="text_reserved",
                    help=t("text.reserved_help"))
table = cache.vocab_table(key, corpus, level, int(min_freq), tuple(tok for tok in RESERVED_TOKENS if tok in reserved))
vocab = table.vocab
if level == "word" and mean_word_length(corpus.lines) > 12:
    st.info(t("text.few_spaces"), icon="🈶")

# ---------------------------------------------------------------- the four steps
st.header(t("text.steps_header"))
spec = current_spec()
raw = cache.raw_lines(key, corpus, spec[1] if spec else None)
cleaning = cleaning_of(corpus)
st.markdown(t("text.steps_summary", name=display_name(corpus), raw=count(len(raw), "raw_lines"),
              cleaned=count(len(corpus.lines), "cleaned_lines"), total=f"{table.total:,}", unit=unit(level),
              vocab=f"{len(vocab):,}"))


def another_line() -> None:
    """Jump to a random line that has something in it."""
    filled = [i for i, line in enumerate(raw) if line.strip()]
    set_widget("text_line", random.choice(filled) + 1 if filled else 1)


ui.remember("text_line", 1)
if not 1 <= st.session_state["text_line"] <= len(raw):  # another text, with fewer lines
    set_widget("text_line", 1)
p1, p2 = st.columns([1, 4], vertical_alignment="bottom")
line_no = p1.number_input(t("text.line", n=f"{len(raw):,}"), 1, max(len(raw), 1), key="text_line")
p2.button(t("text.another_line"), key="text_another_line", on_click=another_line)
steps = preprocess_steps(raw, line_no - 1, level, vocab, cleaning.clean)

s1, s2 = st.columns(2, gap="large")
with s1:
    st.markdown(t("text.step_raw"))
    st.code(clip(steps.raw) or " ", language=None, wrap_lines=True)
with s2:
    st.markdown(t("text.step_cleaned"))
    st.code(clip(steps.cleaned) or " ", language=None, wrap_lines=True)
    dropped = not steps.cleaned and cleaning.drops_empty
    st.caption(t("text.rule_dropped" if dropped else "text.rule", rule=cleaning.rule))
st.markdown(t("text.step_tokens", n=f"{len(steps.tokens):,}", unit=unit(level)))
st.html(ngram_plots.tokens_html(steps.tokens))
st.markdown(t("text.step_indices"))
st.html(ngram_plots.tokens_html(steps.tokens, steps.indices, vocab.unk))
shown = steps.indices[:MAX_SHOWN // 4]
more = len(steps.indices) - len(shown)
st.code(str(shown) if not more else str(shown)[:-1] + t("text.indices_more", n=f"{more:,}"), language=None,
        wrap_lines=True)

# ---------------------------------------------------------------- vocabulary
st.header(t("text.vocab_header"))
m1, m2, m3 = st.columns(3)
m1.metric(t("text.vocab_size"), f"{len(vocab):,}", help=t("text.vocab_size_help"))
m2.metric(t("text.unk_types"), f"{len(table.unk_tokens):,}",
          help=t("text.unk_types_help", n=f"{len(table.rows) - 1 - len(reserved):,}", unit=unit(level)))
m3.metric(t("text.unk_share"), f"{table.unk_share:.1%}",
          help=t("text.unk_share_help", unk=f"{table.unk_count:,}", total=f"{table.total:,}", unit=unit(level)))
if table.total and table.unk_count == table.total:
    st.warning(t("text.all_unk", unit=unit(level, one=True), min_freq=f"{min_freq:,}"), icon="🕳")
with present.secondary():
    ui.remember("text_only_unk", False)
    only_unk = st.toggle(t("text.only_unk"), key="text_only_unk")
rows = [r for r in table.rows if r["unk"] and r["token"] != "<unk>"] if only_unk else table.rows
TOKEN, INDEX, FREQ, UNK = (t(f"text.col_{name}") for name in ("token", "index", "frequency", "unk"))
frame = pd.DataFrame([{TOKEN: show_token(r["token"]), INDEX: r["index"], FREQ: r["freq"],
                       UNK: r["unk"] and r["token"] != "<unk>"} for r in rows], columns=[TOKEN, INDEX, FREQ, UNK])
st.dataframe(frame, hide_index=True, height=420, key="text_vocab_table",
             column_config={FREQ: st.column_config.NumberColumn(format="localized")})
st.caption(t("text.vocab_note"))

# ---------------------------------------------------------------- minibatches
st.header(t("text.mb_header"))
st.markdown(t("text.mb_intro"))
b1, b2, b3 = st.columns(3)
ui.remember("text_batch_size", 2)
ui.remember("text_num_steps", 5)
batch_size = b1.slider(t("text.batch_size"), 1, 8, key="text_batch_size")
num_steps = b2.slider(t("text.num_steps"), 2, 20, key="text_num_steps")
with b3, present.secondary():
    ui.remember("text_num_batches", 3)
    ui.remember("text_seed", 0)
    num_batches = st.slider(t("text.num_batches"), 2, 5, key="text_num_batches")
    seed = st.number_input(t("text.seed"), 0, 10**6, key="text_seed", help=t("text.seed_help"))
tokens = corpus_tokens(corpus, level)
sep = " " if level == "word" else ""
for col, sampler in zip(st.columns(2, gap="large"), SAMPLERS):
    with col:
        st.subheader(t(f"text.sampler_{sampler}"))
        try:
            spans = cache.minibatch_spans(len(tokens), batch_size, num_steps, sampler, seed, num_batches)
        except CorpusError:
            st.warning(t("text.too_short", n=f"{len(tokens):,}", batch_size=batch_size, num_steps=num_steps,
                         need=f"{sampler_min_tokens(batch_size, num_steps):,}"), icon="✂")
            continue
        same, pairs = continuations(spans)
        if sampler == "sequential":
            st.success(t("text.continue_sequential", same=same, pairs=pairs), icon="➡")
        else:
            st.info(t("text.continue_random", same=same, pairs=pairs), icon="🔀")
        st.html(ngram_plots.minibatch_html(tokens, spans, context=4, sep=sep))
        fig = ngram_plots.minibatch_figure(spans, len(tokens), title=t("text.mb_chart"))
        fig.update_layout(height=320, showlegend=False)
        charts.show(fig, key=f"text_minibatch_chart_{sampler}")
st.caption(t("text.mb_note"))
