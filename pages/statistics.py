"""Language statistics (d2l 8.3): Zipf's law, the top n-grams, distinct n-grams against n, and
Laplace-smoothed n-gram models set beside the active neural model on the same held-out text."""
import math

import pandas as pd
import streamlit as st

import ui
from ui.corpus import display_name
from ui import charts, explain, present
from rnnviz import ngram, ngram_plots
from rnnviz.generate import MAX_GENERATE
from rnnviz.i18n import t
from rnnviz.ngram import order_name
from rnnviz.text_views import default_prefix, mean_word_length, ngram_text
from ui import stats_cache as cache
from ui.state import set_widget

EPSILONS = (0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0)
LEVELS = cache.LEVELS
unit = cache.unit


def fmt_ppl(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.2f}"


def fmt_share(percent: float) -> str:
    return f"{percent:.2f}" if percent >= 0.01 else f"{percent:.1e}"


def fmt_eps(eps: tuple[float, ...]) -> str:
    return ", ".join(f"{e:g}" for e in eps)


def few(items, limit: int = 10) -> str:
    return ", ".join(map(repr, items[:limit]))


ui.ensure_app()
st.title(t("statistics.title"))
explain.what_you_see("statistics")
corpus = ui.corpus_or_stop()
key = cache.corpus_key(corpus)
if corpus.note:
    st.warning(corpus.note, icon="📴")

ui.remember("stats_level", "word", list(LEVELS))
level = st.segmented_control(t("statistics.level"), list(LEVELS), format_func=lambda lv: unit(lv, capital=True),
                             required=True, key="stats_level", help=t("statistics.level_help"))
stats = cache.ngram_stats(key, corpus, level)
st.caption(t("statistics.counted", name=display_name(corpus), tokens=f"{stats.num_tokens:,}", unit=unit(level),
             types=f"{stats.num_types:,}", seconds=f"{stats.seconds:.2f}"))
if level == "word" and mean_word_length(corpus.lines) > 12:
    st.info(t("statistics.few_spaces"), icon="🈶")

# ---------------------------------------------------------------- Zipf's law
st.header(t("statistics.zipf_header"))
st.markdown(t("statistics.zipf_intro"))
max_rank = max(len(s.freqs) for s in stats.series)
ranks = ngram.log_ranks(max_rank)
if len(ranks) >= 2:
    # A select_slider is a range only when given a range as value=; the remembered range (or the URL's) wins over it.
    default = (10 if max_rank > 100 else 1, 1000 if max_rank > 2000 else max_rank)
    ui.remember("stats_zipf_range", default, ranks)
    lo, hi = st.select_slider(t("statistics.zipf_range"), ranks, value=default, key="stats_zipf_range",
                              format_func="{:,}".format, help=t("statistics.zipf_range_help"))
else:
    lo, hi = 1, max_rank
series = ngram.zipf_refit(stats.series, (lo, hi))
charts.show(ngram_plots.zipf_figure(series, title=t("statistics.zipf_chart", unit=unit(level))),
            key="stats_zipf_chart")
for col, s in zip(st.columns(len(series)), series):
    if s.fit is None:
        col.metric(s.label.capitalize(), t("statistics.no_fit"), help=t("statistics.no_fit_help"))
        col.caption(t("statistics.no_fit_caption", n=f"{len(s.freqs):,}", label=s.label, lo=f"{lo:,}", hi=f"{hi:,}"))
    else:
        col.metric(s.label.capitalize(), f"α = {s.fit.alpha:.2f}")
        col.caption(t("statistics.fit_caption", r2=f"{s.fit.r2:.3f}", lo=f"{s.fit.lo:,}", hi=f"{s.fit.hi:,}"))
st.caption(t("statistics.zipf_note"))

# ---------------------------------------------------------------- top-k
st.header(t("statistics.top_header"))
ui.remember("stats_top_k", 10)
k = st.slider(t("statistics.top_k"), 5, 50, key="stats_top_k")
RANK, COUNT, SHARE = t("statistics.col_rank"), t("statistics.col_count"), t("statistics.col_share")
for col, n in zip(st.columns(3), (1, 2, 3)):
    total = max(stats.num_tokens - n + 1, 0)
    rows = [{RANK: i + 1, order_name(n): ngram_text(gram, level), COUNT: count, SHARE: f"{count / total:.2%}"}
            for i, (gram, count) in enumerate(stats.top[n][:k])]
    col.markdown(f"**{order_name(n, plural=True).capitalize()}**")
    if rows:
        col.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"stats_top_{n}")
    else:
        col.caption(t("statistics.too_short_for", grams=order_name(n, plural=True)))
if corpus.kind == "timemachine" and level == "word":
    st.caption(t("statistics.d2l_tables"))

# ---------------------------------------------------------------- distinct n-grams
st.header(t("statistics.growth_header"))
ui.remember("stats_max_n", 8)
max_n = st.slider(t("statistics.max_n"), 2, 10, key="stats_max_n")
growth, growth_s = cache.growth(key, corpus, level, max_n)
with present.secondary():
    ui.remember("stats_show_possible", False)
    possible = st.toggle(t("statistics.show_possible"), key="stats_show_possible")
charts.show(ngram_plots.growth_figure(growth, possible), key="stats_growth_chart")
longest = growth[-1]
st.markdown(t("statistics.growth_text", n=longest.n, total=f"{longest.total:,}",
              grams=order_name(longest.n, plural=True), distinct=f"{longest.distinct:,}",
              hapax=f"{longest.hapax_share:.0%}", context=longest.n - 1))
st.dataframe(pd.DataFrame([{"n": g.n, t("statistics.col_in_text"): g.total, t("statistics.col_distinct"): g.distinct,
                            t("statistics.col_once"): g.hapax,
                            t("statistics.col_once_pct"): round(100 * g.hapax_share, 1),
                            t("statistics.col_possible"): f"{float(g.possible):.3g}",
                            t("statistics.col_possible_seen"): fmt_share(100 * g.coverage)} for g in growth]),
             hide_index=True, key="stats_growth_table")
st.caption(t("statistics.growth_time", seconds=f"{growth_s:.2f}"))

# ---------------------------------------------------------------- n-gram language models
st.header(t("statistics.lm_header"))
st.markdown(t("statistics.lm_intro"))
st.latex(r"\hat P(x) = \frac{n(x) + \epsilon_1/m}{n + \epsilon_1}, \quad "
         r"\hat P(x' \mid x) = \frac{n(x, x') + \epsilon_2 \hat P(x')}{n(x) + \epsilon_2}, \quad "
         r"\hat P(x'' \mid x, x') = \frac{n(x, x', x'') + \epsilon_3 \hat P(x'' \mid x')}{n(x, x') + \epsilon_3}")
ui.remember("stats_lm_level", "char", list(LEVELS))
lm_level = st.segmented_control(t("statistics.lm_level"), list(LEVELS), format_func=lambda lv: unit(lv, capital=True),
                                required=True, key="stats_lm_level", help=t("statistics.lm_level_help"))
active = ui.active_model(required=False)
split = (ngram.neural_split(corpus, active.vocab.idx_to_token, active.train_config, active.corpus)
         if active is not None else None)
val_frac, max_tokens = (split.val_frac, split.max_tokens) if split else (0.1, -1)
try:
    fitted = cache.fitted_lm(key, corpus, lm_level, val_frac, max_tokens)
except ValueError as e:
    st.warning(t("statistics.no_model", error=e), icon="✂")
    st.stop()
if not fitted.val:
    st.warning(t("statistics.too_short_to_hold_out", share=f"{val_frac:.0%}", unit=unit(lm_level)), icon="✂")
    st.stop()
own = split and split.same_text and split.val_frac
st.caption(t("statistics.split_own" if own else "statistics.split", train=f"{fitted.train_size:,}",
             unit=unit(lm_level), val=f"{len(fitted.val):,}", share=f"{val_frac:.0%}", seconds=f"{fitted.seconds:.2f}"))

eps_cols = st.columns(3)
for i, col in enumerate(eps_cols, start=1):
    ui.remember(f"stats_eps{i}", 1.0, list(EPSILONS))
    col.select_slider(t("statistics.eps", i=i, order=order_name(i)), EPSILONS, key=f"stats_eps{i}",
                      format_func="{:g}".format)
eps = tuple(st.session_state[f"stats_eps{i}"] for i in (1, 2, 3))
results = cache.order_perplexities(key, lm_level, val_frac, max_tokens, eps, fitted)

neural_ppl, neural_msg = None, ""
if active is None:
    neural_msg = t("statistics.no_active")
elif lm_level != "char":
    neural_msg = t("statistics.not_comparable_words", model=active.label)
elif not split.comparable:
    neural_msg = t("statistics.not_comparable", model=active.label, reason=split.reason)
else:
    tc = active.train_config
    neural_ppl, neural_s = cache.neural_perplexity(active.key, active.step, key, val_frac, max_tokens,
                                                   tc.num_steps if tc else 35, tc.batch_size if tc else 32,
                                                   active.model, active.vocab, fitted.val_chars)

metric_cols = st.columns(4)
for order, (col, res) in enumerate(zip(metric_cols, results), start=1):
    col.metric(t("statistics.order_ppl", order=order_name(order).capitalize()), fmt_ppl(res.perplexity),
               help=t("statistics.order_ppl_help", eps=fmt_eps(eps[:order]), n=f"{res.num_tokens:,}",
                      unit=unit(lm_level)))
if neural_ppl is not None:
    metric_cols[3].metric(t("statistics.neural_ppl"), fmt_ppl(neural_ppl),
                          help=t("statistics.neural_ppl_help", model=active.label, seconds=f"{neural_s:.2f}"))
    metric_cols[3].caption(active.label)
    with metric_cols[3]:
        explain.perplexity_help(neural_ppl, math.log(neural_ppl), len(active.vocab))
for res in results:
    if res.message:
        st.warning(t("statistics.infinite", message=res.message), icon="♾")
        break
if neural_msg:
    st.info(neural_msg, icon="🧩")
elif split.note:
    st.caption(split.note)

curve = cache.perplexity_curve(key, lm_level, val_frac, max_tokens, EPSILONS, fitted)
label = t("statistics.neural_line", model=active.label) if neural_ppl is not None else ""
charts.show(ngram_plots.perplexity_figure(curve, neural_ppl, label,
                                          title=t("statistics.ppl_chart", unit=unit(lm_level))),
            key="stats_ppl_chart")
st.caption(t("statistics.ppl_note"))

# ---------------------------------------------------------------- samples
st.subheader(t("statistics.samples_header"))
if st.session_state.get("stats_prefix_for") != (key, lm_level):  # a new text or level: a prefix from its held-out part
    st.session_state["stats_prefix_for"] = (key, lm_level)
    set_widget("stats_prefix", default_prefix(fitted.val, lm_level))
ui.remember("stats_prefix", "")
ui.remember("stats_sample_len", 150)
c1, c2, c3 = st.columns([3, 2, 1])
prefix = c1.text_input(t("statistics.prefix"), key="stats_prefix", max_chars=500)
length = c2.slider(t("statistics.sample_len", unit=unit(lm_level, capital=True)), 10, 400, step=10,
                   key="stats_sample_len")
with c3, present.secondary():
    ui.remember("stats_seed", 0)
    seed = st.number_input(t("statistics.seed"), 0, 10**6, key="stats_seed")
prefix_tokens = tuple(prefix) if lm_level == "char" else tuple(prefix.split())
samples = cache.ngram_samples(key, lm_level, val_frac, max_tokens, eps, prefix_tokens, length, seed, fitted)
unknown = sorted({tok for tok in prefix_tokens if tok not in fitted.lm.vocab})
if unknown:
    st.caption(t("statistics.prefix_unknown", tokens=few(unknown)))
sep = "" if lm_level == "char" else " "
lead = " " if sep and prefix and not prefix.endswith(" ") else ""
grid = st.columns(2) + st.columns(2)
for i, (order, toks) in enumerate(samples.items()):
    with grid[i].container(border=True):
        st.markdown(t("statistics.sample_title", order=order_name(order).capitalize(), eps=fmt_eps(eps[:order])))
        st.html(ngram_plots.sample_html(prefix, lead + sep.join(toks)))
with grid[3].container(border=True):
    if active is None:
        st.markdown(t("statistics.neural_title"))
        st.caption(t("statistics.no_active_short"))
    elif not prefix:
        st.markdown(f"**{active.label}**")
        st.caption(t("statistics.type_prefix"))
    else:
        n_chars = min(length if lm_level == "char" else 6 * length, MAX_GENERATE)
        text, unknown_chars = cache.neural_sample(active.key, active.step, prefix, n_chars, seed, active.model,
                                                  active.vocab)
        st.markdown(t("statistics.neural_sample_title", model=active.label))
        unseen = list(dict.fromkeys(c for _, c in unknown_chars))
        note = ""
        if unseen:
            more = t("statistics.and_more", n=len(unseen) - 10) if len(unseen) > 10 else ""
            note = t("statistics.never_seen", chars=few(unseen), more=more)
        st.html(ngram_plots.sample_html(prefix, text, note))
st.caption(t("statistics.samples_note"))
