"""Text to tokens (d2l 8.2-8.3): one line through the four preprocessing steps, the vocabulary with
min_freq and reserved tokens, and where the first minibatches of each sampler come from."""
import random

import pandas as pd
import streamlit as st

import ui
from ui import explain
from rnnviz import ngram_plots
from rnnviz.data import CorpusError
from rnnviz.ngram import corpus_tokens
from rnnviz.text_views import (RESERVED_TOKENS, cleaning_of, continuations, mean_word_length, preprocess_steps,
                                show_token)
from ui import stats_cache as cache
from ui.corpus import current_spec
from ui.state import set_widget

UNIT = cache.LEVELS
SAMPLER_NAMES = {"random": "Random sampling", "sequential": "Sequential partitioning"}


MAX_SHOWN = 2_000  # characters of a line, and indices, shown at most (an upload may be one 5 MB line)


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else f"{text[:limit]} … ({len(text) - limit:,} more characters)"


ui.ensure_app()
st.title("🔤 Text to tokens")
explain.what_you_see("text")
corpus = ui.corpus_or_stop()
key = cache.corpus_key(corpus)
if corpus.note:
    st.warning(corpus.note, icon="📴")

c1, c2, c3 = st.columns([2, 1, 2])
ui.remember("text_level", "word", list(UNIT))
level = c1.segmented_control("Tokens", list(UNIT), format_func=lambda lv: UNIT[lv].capitalize(), required=True,
                             key="text_level",
                             help="Words: split at spaces. Characters: what the char-level RNNs read.")
ui.remember("text_min_freq", 0)
min_freq = c2.number_input("min_freq", 0, 1_000_000, key="text_min_freq",
                           help="Tokens seen fewer times than this are left out of the vocabulary and read as <unk>.")
ui.remember("text_reserved", [])
reserved = c3.pills("Reserved tokens", RESERVED_TOKENS, selection_mode="multi", key="text_reserved",
                    help="Special tokens placed right after <unk>: padding, beginning and end of sequence.")
table = cache.vocab_table(key, corpus, level, int(min_freq), tuple(t for t in RESERVED_TOKENS if t in reserved))
vocab = table.vocab
if level == "word" and mean_word_length(corpus.lines) > 12:
    st.info("This text has few spaces, so its 'words' are whole phrases (as in Chinese or Japanese): "
            "characters make better tokens here.", icon="🈶")

# ---------------------------------------------------------------- the four steps
st.header("From raw text to indices")
spec = current_spec()
raw = cache.raw_lines(key, corpus, spec[1] if spec else None)
cleaning = cleaning_of(corpus)
st.markdown(f"**{corpus.name}**: {plural(len(raw), 'raw line')} → {plural(len(corpus.lines), 'cleaned line')} → "
            f"{table.total:,} {UNIT[level]} → a vocabulary of {len(vocab):,} tokens → {table.total:,} indices.")


def another_line() -> None:
    """Jump to a random line that has something in it."""
    filled = [i for i, line in enumerate(raw) if line.strip()]
    set_widget("text_line", random.choice(filled) + 1 if filled else 1)


ui.remember("text_line", 1)
if not 1 <= st.session_state["text_line"] <= len(raw):  # another text, with fewer lines
    set_widget("text_line", 1)
p1, p2 = st.columns([1, 4], vertical_alignment="bottom")
line_no = p1.number_input(f"Line (1–{len(raw):,})", 1, max(len(raw), 1), key="text_line")
p2.button("🎲 Another line", key="text_another_line", on_click=another_line)
steps = preprocess_steps(raw, line_no - 1, level, vocab, cleaning.clean)

s1, s2 = st.columns(2, gap="large")
with s1:
    st.markdown("**① Raw line**, as it is in the file")
    st.code(clip(steps.raw) or " ", language=None, wrap_lines=True)
with s2:
    st.markdown("**② Cleaned**")
    st.code(clip(steps.cleaned) or " ", language=None, wrap_lines=True)
    st.caption(f"{cleaning.rule}."
               + (" This line is empty after cleaning, so the corpus drops it." if not steps.cleaned
                  and cleaning.drops_empty else ""))
st.markdown(f"**③ Tokens**: {len(steps.tokens):,} {UNIT[level]}")
st.html(ngram_plots.tokens_html(steps.tokens))
st.markdown("**④ Indices**: each token's number in the vocabulary (red: not in it, read as <unk>)")
st.html(ngram_plots.tokens_html(steps.tokens, steps.indices, vocab.unk))
shown = steps.indices[:MAX_SHOWN // 4]
more = len(steps.indices) - len(shown)
st.code(str(shown) if not more else f"{str(shown)[:-1]}, … and {more:,} more]", language=None, wrap_lines=True)

# ---------------------------------------------------------------- vocabulary
st.header("The vocabulary")
m1, m2, m3 = st.columns(3)
m1.metric("Vocabulary size", f"{len(vocab):,}", help="<unk>, the reserved tokens, and every token seen at least "
                                                     "min_freq times.")
m2.metric("Token types read as <unk>", f"{len(table.unk_tokens):,}",
          help=f"of {len(table.rows) - 1 - len(reserved):,} different {UNIT[level]} in the text")
m3.metric("Share of the text that becomes <unk>", f"{table.unk_share:.1%}",
          help=f"{table.unk_count:,} of {table.total:,} {UNIT[level]}")
if table.total and table.unk_count == table.total:
    st.warning(f"Every {UNIT[level][:-1]} is rarer than min_freq = {min_freq:,}: the whole text becomes <unk>. "
               "Lower min_freq.", icon="🕳")
ui.remember("text_only_unk", False)
only_unk = st.toggle("Show only the tokens that become <unk>", key="text_only_unk")
rows = [r for r in table.rows if r["unk"] and r["token"] != "<unk>"] if only_unk else table.rows
frame = pd.DataFrame([{"token": show_token(r["token"]), "index": r["index"], "frequency": r["freq"],
                       "becomes <unk>": r["unk"] and r["token"] != "<unk>"} for r in rows],
                     columns=["token", "index", "frequency", "becomes <unk>"])
st.dataframe(frame, hide_index=True, height=420, key="text_vocab_table",
             column_config={"frequency": st.column_config.NumberColumn(format="localized")})
st.caption("Index 0 is <unk>, then the reserved tokens, then the tokens from the most frequent down (ties in the "
           "order they first appear). Tokens rarer than min_freq get no index of their own: they share 0 with <unk>. "
           "Click a column header to sort.")

# ---------------------------------------------------------------- minibatches
st.header("Minibatches: random or sequential")
st.markdown("Both samplers cut the text into pieces of *num_steps* tokens and stack *batch_size* of them into a "
            "minibatch; the target Y is the input X shifted one token ahead. They differ in one thing: "
            "**does a row of the next minibatch continue the same row of this one?**")
b1, b2, b3, b4 = st.columns(4)
ui.remember("text_batch_size", 2)
ui.remember("text_num_steps", 5)
ui.remember("text_num_batches", 3)
ui.remember("text_seed", 0)
batch_size = b1.slider("batch_size", 1, 8, key="text_batch_size")
num_steps = b2.slider("num_steps", 2, 20, key="text_num_steps")
num_batches = b3.slider("Minibatches to show", 2, 5, key="text_num_batches")
seed = b4.number_input("Seed", 0, 10**6, key="text_seed",
                       help="Draws the random starting offset and, for random sampling, the shuffle. "
                            "The same seed gives the same minibatches.")
tokens = corpus_tokens(corpus, level)
sep = " " if level == "word" else ""
for col, sampler in zip(st.columns(2, gap="large"), SAMPLER_NAMES):
    with col:
        st.subheader(SAMPLER_NAMES[sampler])
        try:
            spans = cache.minibatch_spans(len(tokens), batch_size, num_steps, sampler, seed, num_batches)
        except CorpusError as e:
            st.warning(f"{e}", icon="✂")
            continue
        same, pairs = continuations(spans)
        if sampler == "sequential":
            st.success(f"{same} of {pairs} rows continue the previous minibatch: row r of minibatch i + 1 starts "
                       "exactly where row r of minibatch i stopped, so the hidden state can be carried over.",
                       icon="➡")
        else:
            st.info(f"{same} of {pairs} rows continue the previous minibatch: each row is a piece from anywhere "
                     "in the text, so the hidden state must start afresh for every minibatch.", icon="🔀")
        st.html(ngram_plots.minibatch_html(tokens, spans, context=4, sep=sep))
        fig = ngram_plots.minibatch_figure(spans, len(tokens), title="Where in the text the rows come from")
        fig.update_layout(height=320, showlegend=False)
        st.plotly_chart(fig, key=f"text_minibatch_chart_{sampler}", theme=None)
st.caption("Shaded: the input X of each row; underlined: its target Y. Grey: the text around. In the charts, each "
           "tick is one row of a minibatch: sequential partitioning starts its rows evenly spread through the text, "
           "random sampling anywhere.")
