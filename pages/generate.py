"""Generate: continue a prefix with one model or several side by side (RNN, GRU, LSTM, n-grams); each step's top 5;
sentences scored by log-likelihood and perplexity."""
import streamlit as st

import ui
from ui import explain
from rnnviz import generate_plots as gp
from rnnviz.generate import STRATEGIES
from ui import generate_models as lm
from ui.state import SIDEBAR_MODEL

ui.ensure_app()

STRATEGY_NAMES = {"greedy": "Greedy (most likely)", "sample": "Sample", "top-k": "Top-k sample"}
DEFAULT_SENTENCES = "the apple and pear salad\nthe apple and pair salad"
COLUMNS = 3  # models per row
MAX_PREFIX_SHOWN = 2000  # characters a prefix may have here: every model reads it on every change

st.title("✍ Generate text")
explain.what_you_see("generate")
st.caption("Feed the model a prefix, then let it write one character at a time. Pick several models to compare "
           "them on the same prefix, the way the lecture sets an RNN, a GRU and an LSTM side by side.")

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
keys = st.multiselect("Models (the sidebar's active model, the shipped ones, your runs, n-gram counts)",
                      list(options), format_func=options.get, key="gen_models", max_selections=6)

# ---------------------------------------------------------------- settings
ui.remember("gen_prefix", "time traveller ")
prefix = st.text_input("Prefix", key="gen_prefix", max_chars=MAX_PREFIX_SHOWN,
                       help="The model reads these characters first, then continues them.")
c1, c2 = st.columns([1, 1], gap="large")
c3, c4, c5 = st.columns([2, 1, 1], gap="large")
ui.remember("gen_length", 120)
length = c1.slider("Characters to generate", 0, 1000, step=10, key="gen_length")
ui.remember("gen_strategy", "greedy", list(STRATEGIES))
strategy = c2.segmented_control("Decoding", list(STRATEGIES), format_func=STRATEGY_NAMES.get, key="gen_strategy",
                                required=True)
ui.remember("gen_temperature", 1.0)
temperature = c3.slider("Temperature", 0.1, 3.0, step=0.05, key="gen_temperature", disabled=strategy == "greedy",
                        help="Divides the logits before the softmax: below 1 sharper and safer, above 1 flatter "
                             "and wilder.")
ui.remember("gen_top_k", 5)
top_k = c4.number_input("k", 1, 100, step=1, key="gen_top_k", disabled=strategy != "top-k",
                        help="Top-k: sample only among the k most likely characters.")
ui.remember("gen_seed", 0)
seed = c5.number_input("Seed", 0, 2**31 - 1, step=1, key="gen_seed", disabled=strategy == "greedy",
                       help="The same seed gives the same text.")

if not keys:
    st.info("Pick at least one model above.", icon="👆")
    st.stop()
if not prefix:
    st.error("The prefix is empty: type at least one character for the model to start from.", icon="🚫")
    st.stop()

# ---------------------------------------------------------------- side by side
results = {}
for row_start in range(0, len(keys), COLUMNS):
    row_keys = keys[row_start:row_start + COLUMNS]
    for col, key in zip(st.columns(min(len(keys), COLUMNS), gap="medium"), row_keys):
        with col:
            model = lm.load(key)
            if model is None:
                st.warning(f"{options.get(key, key)} is no longer available.", icon="🧩")
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
                st.warning(f"{n} character{'s' if n > 1 else ''} of the prefix {'are' if n > 1 else 'is'} not in "
                           f"this model's vocabulary and read as <unk>: {chars}.", icon="🔤")
            st.html(gp.generation_html(gen))
st.html(gp.legend_html())
st.caption("Green: the model was sure of the character it wrote; red: a long shot (sampling picks those "
           "sometimes), or nothing was likely. Hover a character to see the five the model considered there.")

if results:
    text = "\n\n".join(f"# {m.label} · prefix {g.prefix!r} · {STRATEGY_NAMES[strategy]}\n{g.text}"
                       for m, g in results.values())
    st.download_button("💾 Download the generated text (.txt)", data=text, file_name="rnnviz-generated.txt",
                       mime="text/plain", key="gen_download", on_click="ignore")

# ---------------------------------------------------------------- one step's distribution
if results and length > 0:
    st.subheader("What the model considered at one step")
    left, right = st.columns([1, 2], gap="large")
    with left:
        labels = {k: m.label for k, (m, _) in results.items()}
        ui.remember("gen_dist_model", next(iter(labels)), list(labels))
        pick = st.selectbox("Model", list(labels), format_func=labels.get, key="gen_dist_model")
        model, gen = results[pick]
        ui.remember("gen_position", 1)
        st.session_state["gen_position"] = min(st.session_state["gen_position"], len(gen.steps))
        pos = st.slider("Generated character number", 1, max(2, len(gen.steps)), key="gen_position",
                        disabled=len(gen.steps) < 2)
        step = gen.steps[pos - 1]
        m1, m2 = st.columns(2)
        m1.metric("Chosen character", repr(step.chosen))
        m2.metric("Its probability", f"{step.prob:.1%}")
    right.plotly_chart(gp.distribution_figure(gen, pos - 1, model.label), theme=None, key="gen_distribution")

# ---------------------------------------------------------------- scoring sentences
st.subheader("Score sentences")
st.caption("Which sentence does the model find more likely? The speech-recognition example of the lecture: "
           "“pear” and “pair” sound the same, a language model tells them apart. One sentence per line.")
ui.remember("gen_sentences", DEFAULT_SENTENCES)
raw = st.text_area("Sentences", key="gen_sentences", height=110)
sentences = [s for s in raw.splitlines() if s.strip()]
if len(sentences) < 2:
    st.warning("Enter at least two sentences, one per line, to compare them.", icon="✏️")
elif any(len(s) < 2 for s in sentences):
    st.error("Every sentence needs at least two characters to be scored.", icon="🚫")
else:
    rows, by_model = [], {}
    for key in keys:
        model = lm.load(key)
        if model is None:
            continue
        try:
            scores = [model.score(s) for s in sentences]
        except ValueError as e:
            st.error(f"{model.label}: {e}", icon="🚫")
            continue
        by_model[key] = (model, scores)
        best = max(range(len(scores)), key=lambda i: scores[i].log_likelihood)
        for i, sc in enumerate(scores):
            unknown = "".join(sorted({ch for _, ch in sc.unknown}))
            rows.append({"model": model.label, "sentence": sc.text, "log-likelihood (nats)": sc.log_likelihood,
                         "perplexity": sc.perplexity, "most likely": "✅" if i == best else "",
                         "not in vocabulary": unknown})
    if rows:
        st.dataframe(rows, hide_index=True, key="gen_scores", width="stretch",
                     column_config={"log-likelihood (nats)": st.column_config.NumberColumn(format="%.2f"),
                                    "perplexity": st.column_config.NumberColumn(format="%.2f")})
        unknown = sorted({ch for r in rows for ch in r["not in vocabulary"]})
        if unknown:
            st.warning("Some characters are not in a model's vocabulary and are scored as <unk>: "
                       + ", ".join(map(repr, unknown)) + ".", icon="🔤")
        labels = {k: m.label for k, (m, _) in by_model.items()}
        ui.remember("gen_score_model", next(iter(labels)), list(labels))
        pick = st.selectbox("Character by character, under", list(labels), format_func=labels.get,
                            key="gen_score_model")
        model, scores = by_model[pick]
        st.plotly_chart(gp.score_figure(scores, f"{model.label}: log P of each character given the ones before"),
                        theme=None, key="gen_score_chart")
        st.caption("Log-likelihood adds these values up; perplexity is exp(−average), the number of characters the "
                   "model is effectively choosing between. The curves part where the sentences differ.")
        if model.vocab is not None:
            sc = max(scores, key=lambda s: s.log_likelihood)
            explain.perplexity_help(sc.perplexity, -sc.log_likelihood / sc.n_predicted, len(model.vocab),
                                    sc.n_predicted, about=sc.text)
