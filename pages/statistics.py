"""Language statistics (d2l 8.3): Zipf's law, the top n-grams, distinct n-grams against n, and
Laplace-smoothed n-gram models set beside the active neural model on the same held-out text."""
import math

import pandas as pd
import streamlit as st

import ui
from ui import explain
from rnnviz import ngram, ngram_plots
from rnnviz.generate import MAX_GENERATE
from rnnviz.ngram import order_name
from rnnviz.text_views import default_prefix, mean_word_length, ngram_text
from ui import stats_cache as cache
from ui.state import set_widget

EPSILONS = (0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0)
UNIT = cache.LEVELS
LEVEL_HELP = "Words: runs between spaces, as d2l counts them. Characters: what the char-level RNNs read."


def fmt_ppl(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.2f}"


def fmt_share(percent: float) -> str:
    return f"{percent:.2f}" if percent >= 0.01 else f"{percent:.1e}"


ui.ensure_app()
st.title("📊 Language statistics")
explain.what_you_see("statistics")
corpus = ui.corpus_or_stop()
key = cache.corpus_key(corpus)
if corpus.note:
    st.warning(corpus.note, icon="📴")

ui.remember("stats_level", "word", list(UNIT))
level = st.segmented_control("Count", list(UNIT), format_func=lambda lv: UNIT[lv].capitalize(), required=True,
                             key="stats_level", help=LEVEL_HELP)
stats = cache.ngram_stats(key, corpus, level)
st.caption(f"**{corpus.name}**: {stats.num_tokens:,} {UNIT[level]}, {stats.num_types:,} distinct · counted in "
           f"{stats.seconds:.2f} s, once for this text (change the text in the sidebar).")
if level == "word" and mean_word_length(corpus.lines) > 12:
    st.info("This text has few spaces, so its 'words' are whole phrases (as in Chinese or Japanese): "
            "count characters instead.", icon="🈶")

# ---------------------------------------------------------------- Zipf's law
st.header("Zipf's law")
st.markdown("Sort the n-grams by how often they occur. On log–log axes frequency falls almost on a straight "
            "line, $\\log n_i = -\\alpha \\log i + c$: the *i*-th most frequent occurs about $i^{-\\alpha}$ as often.")
max_rank = max(len(s.freqs) for s in stats.series)
ranks = ngram.log_ranks(max_rank)
if len(ranks) >= 2:
    # A range select_slider is a range only when given value=; the session-state route (ui.remember) returns
    # one end. Not remembered across pages, then; a value no longer among the ranks falls back to the default.
    default = (10 if max_rank > 100 else 1, 1000 if max_rank > 2000 else max_rank)
    lo, hi = st.select_slider("Fit the lines over ranks", ranks, value=default, key="stats_zipf_range",
                              format_func="{:,}".format,
                              help="The most frequent few and the long tail of rare ones bend away from the line: "
                                   "include them and watch α and R² change.")
else:
    lo, hi = 1, max_rank
series = ngram.zipf_refit(stats.series, (lo, hi))
st.plotly_chart(ngram_plots.zipf_figure(series, title=f"Zipf's law: {UNIT[level]}, their pairs and triples"),
                key="stats_zipf_chart", theme=None)
for col, s in zip(st.columns(len(series)), series):
    if s.fit is None:
        col.metric(s.label.capitalize(), "no fit", help="Fewer than two ranks in the fitting range.")
        col.caption(f"only {len(s.freqs):,} distinct {s.label}: fewer than two ranks between {lo:,} and {hi:,}")
    else:
        col.metric(s.label.capitalize(), f"α = {s.fit.alpha:.2f}")
        col.caption(f"R² = {s.fit.r2:.3f} over ranks {s.fit.lo:,}–{s.fit.hi:,}")
st.caption("Look for: each thick dashed line is fitted over the chosen ranks and continues dotted over all of "
           "them. The head (left) and the tail of n-grams seen once or twice (right, flat steps) bend away from it. "
           "Longer n-grams have a smaller α: their counts fall more slowly, so there are many more of them, "
           "each rarer.")

# ---------------------------------------------------------------- top-k
st.header("The most frequent n-grams")
ui.remember("stats_top_k", 10)
k = st.slider("How many", 5, 50, key="stats_top_k")
for col, n in zip(st.columns(3), (1, 2, 3)):
    total = max(stats.num_tokens - n + 1, 0)
    rows = [{"rank": i + 1, order_name(n): ngram_text(gram, level), "count": count,
             "share": f"{count / total:.2%}"} for i, (gram, count) in enumerate(stats.top[n][:k])]
    col.markdown(f"**{order_name(n).capitalize()}s**")
    if rows:
        col.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"stats_top_{n}")
    else:
        col.caption(f"The text is too short for {order_name(n)}s.")
if corpus.kind == "timemachine" and level == "word":
    st.caption("These are d2l's tables (section 8.3): *the* 2,261, *i* 1,267, *and* 1,245; *of the* 309; "
               "*the time traveller* 59. The top words are 'stop words', and they dominate the pairs too.")

# ---------------------------------------------------------------- distinct n-grams
st.header("Counting cannot reach long contexts")
ui.remember("stats_max_n", 8)
max_n = st.slider("Longest n-gram", 2, 10, key="stats_max_n")
growth, growth_s = cache.growth(key, corpus, level, max_n)
ui.remember("stats_show_possible", False)
possible = st.toggle("Also show every n-gram the vocabulary could form (mⁿ)", key="stats_show_possible")
st.plotly_chart(ngram_plots.growth_figure(growth, possible), key="stats_growth_chart", theme=None)
longest = growth[-1]
st.markdown(f"With n = {longest.n}, the text holds {longest.total:,} {order_name(longest.n)}s, "
            f"**{longest.distinct:,} of them different** and **{longest.hapax_share:.0%} of those seen only once**: "
            f"a count of one says almost nothing about a probability. To estimate P(next | last {longest.n - 1}), "
            "counting would need far more text than exists, which is why we turn to models that share what they "
            "learn across contexts.")
st.dataframe(pd.DataFrame([{"n": g.n, "in the text": g.total, "distinct": g.distinct, "seen once": g.hapax,
                            "seen once (%)": round(100 * g.hapax_share, 1),
                            "possible (mⁿ)": f"{float(g.possible):.3g}",
                            "possible ones seen (%)": fmt_share(100 * g.coverage)} for g in growth]),
             hide_index=True, key="stats_growth_table")
st.caption(f"Counted in {growth_s:.2f} s, once for this text.")

# ---------------------------------------------------------------- n-gram language models
st.header("n-gram language models with Laplace smoothing")
st.markdown("Counts turned into probabilities, each order leaning on the one below so that an unseen n-gram "
            "keeps some probability (m: vocabulary size, n: training tokens):")
st.latex(r"\hat P(x) = \frac{n(x) + \epsilon_1/m}{n + \epsilon_1}, \quad "
         r"\hat P(x' \mid x) = \frac{n(x, x') + \epsilon_2 \hat P(x')}{n(x) + \epsilon_2}, \quad "
         r"\hat P(x'' \mid x, x') = \frac{n(x, x', x'') + \epsilon_3 \hat P(x'' \mid x')}{n(x, x') + \epsilon_3}")
ui.remember("stats_lm_level", "char", list(UNIT))
lm_level = st.segmented_control("Model", list(UNIT), format_func=lambda lv: UNIT[lv].capitalize(), required=True,
                                key="stats_lm_level", help="The neural models read characters: compare at that level.")
active = ui.active_model(required=False)
split = (ngram.neural_split(corpus, active.vocab.idx_to_token, active.train_config, active.corpus)
         if active is not None else None)
val_frac, max_tokens = (split.val_frac, split.max_tokens) if split else (0.1, -1)
try:
    fitted = cache.fitted_lm(key, corpus, lm_level, val_frac, max_tokens)
except ValueError as e:
    st.warning(f"No n-gram model for this text: {e}.", icon="✂")
    st.stop()
if not fitted.val:
    st.warning(f"This text is too short to hold {val_frac:.0%} of its {UNIT[lm_level]} out for scoring: "
               "use a longer text or count characters.", icon="✂")
    st.stop()
own = " (the active model's validation split)" if split and split.same_text and split.val_frac else ""
st.caption(f"Counted on the first {fitted.train_size:,} {UNIT[lm_level]} and scored on the last "
           f"{len(fitted.val):,}, {val_frac:.0%} of the text{own}, never counted: fitted in {fitted.seconds:.2f} s.")

eps_cols = st.columns(3)
for i, col in enumerate(eps_cols, start=1):
    ui.remember(f"stats_eps{i}", 1.0, list(EPSILONS))
    col.select_slider(f"ε{i} ({order_name(i)})", EPSILONS, key=f"stats_eps{i}", format_func="{:g}".format)
eps = tuple(st.session_state[f"stats_eps{i}"] for i in (1, 2, 3))
results = cache.order_perplexities(key, lm_level, val_frac, max_tokens, eps, fitted)

neural_ppl, neural_msg = None, ""
if active is None:
    neural_msg = "No active model: train one on the Train page to set it beside the n-gram models."
elif lm_level != "char":
    neural_msg = (f"{active.label} reads characters: its perplexity counts choices per character, these per word, "
                  "so the numbers are not comparable. Count characters to compare.")
elif not split.comparable:
    neural_msg = (f"{active.label} is not comparable here: {split.reason}. Pick a model trained on this text in the "
                  "sidebar, or train one, to compare.")
else:
    tc = active.train_config
    neural_ppl, neural_s = cache.neural_perplexity(active.key, active.step, key, val_frac, max_tokens,
                                                   tc.num_steps if tc else 35, tc.batch_size if tc else 32,
                                                   active.model, active.vocab, fitted.val_chars)

metric_cols = st.columns(4)
for order, (col, res) in enumerate(zip(metric_cols, results), start=1):
    col.metric(f"{order_name(order).capitalize()} perplexity", fmt_ppl(res.perplexity),
               help=f"ε = {', '.join(f'{e:g}' for e in eps[:order])} · "
                    f"on {res.num_tokens:,} held-out {UNIT[lm_level]}")
if neural_ppl is not None:
    metric_cols[3].metric("Neural model perplexity", fmt_ppl(neural_ppl), help=f"{active.label}, scored in "
                          f"{neural_s:.2f} s with the state carried across the held-out text")
    metric_cols[3].caption(active.label)
    with metric_cols[3]:
        explain.perplexity_help(neural_ppl, math.log(neural_ppl), len(active.vocab))
for res in results:
    if res.message:
        st.warning(f"Infinite perplexity: {res.message}. Raise that ε above 0 to give unseen n-grams a share.",
                   icon="♾")
        break
if neural_msg:
    st.info(neural_msg, icon="🧩")
elif split.note:
    st.caption(split.note)

curve = cache.perplexity_curve(key, lm_level, val_frac, max_tokens, EPSILONS, fitted)
label = f"{active.label} (validation)" if neural_ppl is not None else ""
st.plotly_chart(ngram_plots.perplexity_figure(curve, neural_ppl, label,
                                              title=f"Held-out perplexity as ε varies ({UNIT[lm_level]})"),
                key="stats_ppl_chart", theme=None)
st.caption("Each curve sets every ε of its model to the same value. Look for: ε = 0 gives an infinite perplexity "
           "as soon as the held-out text has one n-gram the training text lacks (▲); too large an ε flattens the "
           "counts towards the order below. Longer contexts help, and the neural model does better still.")

# ---------------------------------------------------------------- samples
st.subheader("Text from each model")
if st.session_state.get("stats_prefix_for") != (key, lm_level):  # a new text or level: a prefix from its held-out part
    st.session_state["stats_prefix_for"] = (key, lm_level)
    set_widget("stats_prefix", default_prefix(fitted.val, lm_level))
ui.remember("stats_prefix", "")
ui.remember("stats_sample_len", 150)
ui.remember("stats_seed", 0)
c1, c2, c3 = st.columns([3, 2, 1])
prefix = c1.text_input("Prefix", key="stats_prefix", max_chars=500)
length = c2.slider(f"{UNIT[lm_level].capitalize()} to write", 10, 400, step=10, key="stats_sample_len")
seed = c3.number_input("Seed", 0, 10**6, key="stats_seed")
prefix_tokens = tuple(prefix) if lm_level == "char" else tuple(prefix.split())
samples = cache.ngram_samples(key, lm_level, val_frac, max_tokens, eps, prefix_tokens, length, seed, fitted)
unknown = sorted({t for t in prefix_tokens if t not in fitted.lm.vocab})
if unknown:
    st.caption(f"Not in the models' vocabulary, read as <unk>: {', '.join(map(repr, unknown[:10]))}.")
sep = "" if lm_level == "char" else " "
lead = " " if sep and prefix and not prefix.endswith(" ") else ""
grid = st.columns(2) + st.columns(2)
for i, (order, toks) in enumerate(samples.items()):
    with grid[i].container(border=True):
        st.markdown(f"**{order_name(order).capitalize()} model** · ε = {', '.join(f'{e:g}' for e in eps[:order])}")
        st.html(ngram_plots.sample_html(prefix, lead + sep.join(toks)))
with grid[3].container(border=True):
    if active is None:
        st.markdown("**Neural model**")
        st.caption("No active model: train one on the Train page.")
    elif not prefix:
        st.markdown(f"**{active.label}**")
        st.caption("Type a prefix: the neural model needs at least one character to start from.")
    else:
        n_chars = min(length if lm_level == "char" else 6 * length, MAX_GENERATE)
        text, unknown_chars = cache.neural_sample(active.key, active.step, prefix, n_chars, seed, active.model,
                                                  active.vocab)
        st.markdown(f"**{active.label}** · sampled at temperature 1, like the n-grams")
        unseen = list(dict.fromkeys(c for _, c in unknown_chars))
        note = (f"Characters it has never seen, read as <unk>: {', '.join(map(repr, unseen[:10]))}"
                + (f" and {len(unseen) - 10} more" if len(unseen) > 10 else "") if unseen else "")
        st.html(ngram_plots.sample_html(prefix, text, note))
st.caption("The unigram model ignores context; the bigram one sees the previous token, the trigram one the previous "
           "two: each longer context makes the text look more like the original, but only over a few tokens. The "
           "neural model carries its whole past in its state.")
