"""Generate: continue a prefix with one model or several side by side (RNN, GRU, LSTM, n-grams); each step's top 5;
sentences scored by log-likelihood and perplexity."""
import streamlit as st

import ui
from rnnviz import generate_plots as gp
from rnnviz.generate import STRATEGIES
from rnnviz.i18n import t
from ui import charts, explain, present
from ui import generate_models as lm
from ui.state import SIDEBAR_MODEL

ui.ensure_app()

DEFAULT_SENTENCES = "the apple and pear salad\nthe apple and pair salad"
COLUMNS = 3  # models per row
MAX_PREFIX_SHOWN = 2000  # characters a prefix may have here: every model reads it on every change
MAX_SENTENCES = 20  # sentences scored at once, each cut to MAX_PREFIX_SHOWN characters: scoring stays interactive


def strategy_name(strategy: str) -> str:
    """'Greedy (most likely)', 'Sample', 'Top-k sample', in the current language."""
    return t(f"generate.strategy_{strategy.replace('-', '_')}")


st.title(t("generate.title"))
explain.what_you_see("generate")
st.caption(t("generate.intro"))

options = lm.options()
if not options:
    ui.active_model()  # says how to get a model, and stops
active_key = st.session_state.get(SIDEBAR_MODEL)
default = [active_key if active_key in options else next(iter(options))]
ui.remember("gen_models", default)
kept = [k for k in st.session_state["gen_models"] if k in options]
if kept == st.session_state.get("gen_followed") and kept != default:
    kept = default  # only the sidebar's model was shown, and the sidebar changed: follow it
if kept != st.session_state["gen_models"]:  # ... or a removed run, or a text without n-grams: drop what is gone
    st.session_state["gen_models"] = kept or default
st.session_state["gen_followed"] = default
keys = st.multiselect(t("generate.models"), list(options), format_func=options.get, key="gen_models",
                      max_selections=6)

# ---------------------------------------------------------------- settings
ui.remember("gen_prefix", "time traveller ")
prefix = st.text_input(t("generate.prefix"), key="gen_prefix", max_chars=MAX_PREFIX_SHOWN,
                       help=t("generate.prefix_help"))
if len(prefix) >= MAX_PREFIX_SHOWN:  # Streamlit cut a longer one (typed, pasted or from the URL) to the limit
    st.caption(t("hardening.prefix_capped", limit=MAX_PREFIX_SHOWN))
c1, c2 = st.columns([1, 1], gap="large")
c3, c4, c5 = st.columns([2, 1, 1], gap="large")
ui.remember("gen_length", 120)
length = c1.slider(t("generate.length"), 0, 1000, step=10, key="gen_length")
ui.remember("gen_strategy", "greedy", list(STRATEGIES))
strategy = c2.segmented_control(t("generate.strategy"), list(STRATEGIES), format_func=strategy_name,
                                key="gen_strategy", required=True)
ui.remember("gen_temperature", 1.0)
temperature = c3.slider(t("generate.temperature"), 0.1, 3.0, step=0.05, key="gen_temperature",
                        disabled=strategy == "greedy", help=t("generate.temperature_help"))
ui.remember("gen_top_k", 5)
top_k = c4.number_input("k", 1, 100, step=1, key="gen_top_k", disabled=strategy != "top-k",
                        help=t("generate.top_k_help"))
ui.remember("gen_seed", 0)
with c5, present.secondary():
    seed = st.number_input(t("generate.seed"), 0, 2**31 - 1, step=1, key="gen_seed", disabled=strategy == "greedy",
                           help=t("generate.seed_help"))

if not keys:
    st.info(t("generate.no_model"), icon="👆")
    st.stop()
if not prefix:
    st.error(t("generate.empty_prefix"), icon="🚫")
    st.stop()

# ---------------------------------------------------------------- side by side
results = {}
for row_start in range(0, len(keys), COLUMNS):
    row_keys = keys[row_start:row_start + COLUMNS]
    for col, key in zip(st.columns(min(len(keys), COLUMNS), gap="medium"), row_keys):
        with col:
            model = lm.load(key)
            if model is None:
                st.warning(t("generate.gone", label=options.get(key, key)), icon="🧩")
                continue
            st.markdown(f"#### {model.label}")
            try:
                gen = model.generate(prefix, length, strategy, temperature, top_k, seed)
            except ValueError as e:
                st.error(str(e), icon="🚫")
                continue
            results[key] = (model, gen)
            if gen.unknown:
                n = len(gen.unknown)
                chars = ", ".join(sorted({repr(ch) for _, ch in gen.unknown}))
                st.warning(t("generate.unknown_prefix_one" if n == 1 else "generate.unknown_prefix_many", n=n,
                             chars=chars), icon="🔤")
            st.html(gp.generation_html(gen))
st.html(gp.legend_html())
st.caption(t("generate.colours"))

if results:
    text = "\n\n".join(t("generate.download_header", label=m.label, prefix=repr(g.prefix),
                         strategy=strategy_name(strategy)) + f"\n{g.text}" for m, g in results.values())
    st.download_button(t("generate.download"), data=text, file_name="rnnviz-generated.txt", mime="text/plain",
                       key="gen_download", on_click="ignore", help=t("generate.download_help"))

# ---------------------------------------------------------------- one step's distribution
if results and length > 0:
    st.subheader(t("generate.step_heading"))
    left, right = st.columns([1, 2], gap="large")
    with left:
        labels = {k: m.label for k, (m, _) in results.items()}
        ui.remember("gen_dist_model", next(iter(labels)), list(labels))
        pick = st.selectbox(t("generate.dist_model"), list(labels), format_func=labels.get, key="gen_dist_model")
        model, gen = results[pick]
        ui.remember("gen_position", 1)
        st.session_state["gen_position"] = min(st.session_state["gen_position"], len(gen.steps))
        pos = st.slider(t("generate.position"), 1, max(2, len(gen.steps)), key="gen_position",
                        disabled=len(gen.steps) < 2)
        step = gen.steps[pos - 1]
        m1, m2 = st.columns(2)
        m1.metric(t("generate.chosen"), repr(step.chosen))
        m2.metric(t("generate.chosen_prob"), f"{step.prob:.1%}")
    charts.show(gp.distribution_figure(gen, pos - 1, model.label), key="gen_distribution", where=right)

# ---------------------------------------------------------------- scoring sentences
st.subheader(t("generate.score_heading"))
st.caption(t("generate.score_intro"))
ui.remember("gen_sentences", DEFAULT_SENTENCES)
raw = st.text_area(t("generate.sentences"), key="gen_sentences", height=110)
sentences = [s for s in raw.splitlines() if s.strip()]
if len(sentences) > MAX_SENTENCES or any(len(s) > MAX_PREFIX_SHOWN for s in sentences):
    st.caption(t("hardening.sentences_capped", lines=MAX_SENTENCES, chars=MAX_PREFIX_SHOWN))
    sentences = [s[:MAX_PREFIX_SHOWN] for s in sentences[:MAX_SENTENCES]]
if len(sentences) < 2:
    st.warning(t("generate.too_few_sentences"), icon="✏️")
elif any(len(s) < 2 for s in sentences):
    st.error(t("generate.too_short_sentence"), icon="🚫")
else:
    rows, by_model = [], {}
    for key in keys:
        model = lm.load(key)
        if model is None:
            continue
        try:
            scores = [model.score(s) for s in sentences]
        except ValueError as e:
            st.error(t("generate.score_error", label=model.label, error=e), icon="🚫")
            continue
        by_model[key] = (model, scores)
        best = max(range(len(scores)), key=lambda i: scores[i].log_likelihood)
        for i, sc in enumerate(scores):
            unknown = "".join(sorted({ch for _, ch in sc.unknown}))
            rows.append({"model": model.label, "sentence": sc.text, "log_likelihood": sc.log_likelihood,
                         "perplexity": sc.perplexity, "most_likely": "✅" if i == best else "", "unknown": unknown})
    if rows:
        col = {c: t(f"generate.col_{c}") for c in rows[0]}  # the headers, in the page's language
        two_decimals = st.column_config.NumberColumn(format="%.2f")
        st.dataframe([{col[c]: v for c, v in r.items()} for r in rows], hide_index=True, key="gen_scores",
                     width="stretch",
                     column_config={col["log_likelihood"]: two_decimals, col["perplexity"]: two_decimals})
        unknown = sorted({ch for r in rows for ch in r["unknown"]})
        if unknown:
            st.warning(t("generate.unknown_sentences", chars=", ".join(map(repr, unknown))), icon="🔤")
        labels = {k: m.label for k, (m, _) in by_model.items()}
        ui.remember("gen_score_model", next(iter(labels)), list(labels))
        pick = st.selectbox(t("generate.score_model"), list(labels), format_func=labels.get, key="gen_score_model")
        model, scores = by_model[pick]
        charts.show(gp.score_figure(scores, t("generate.score_chart_title", label=model.label)), key="gen_score_chart")
        st.caption(t("generate.score_caption"))
        if model.vocab is not None:
            sc = max(scores, key=lambda s: s.log_likelihood)
            explain.perplexity_help(sc.perplexity, -sc.log_likelihood / sc.n_predicted, len(model.vocab),
                                    sc.n_predicted, about=sc.text)
