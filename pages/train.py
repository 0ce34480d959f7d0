"""Train: settings (or a d2l preset) → a background run → live curves and samples → compare and keep runs."""
import streamlit as st

import ui
from rnnviz import plots
from rnnviz.batches import num_batches
from rnnviz.data import CorpusError
from rnnviz.models import KIND_NAMES, KINDS, MAX_LAYERS, ConfigError
from rnnviz.train import OPTIMIZERS, PRESETS, SAMPLERS, check_fits
from ui import explain, loaders, train_form as form, training
from ui.active import options as model_options
from ui.corpus import current_spec
from ui.state import SIDEBAR_MODEL, TRAIN_ERROR, set_widget
from ui.train_live import live_panel

ui.ensure_app()

st.title("🏋 Train a character-level language model")
explain.what_you_see("train")
corpus = ui.corpus_or_stop()
n_chars, n_distinct = loaders.corpus_stats(*current_spec())
st.caption(f"Learning from **{corpus.name}**: {n_chars:,} characters, {n_distinct} distinct "
           "(change the text in the sidebar).")
if corpus.note:
    st.warning(corpus.note, icon="📴")
form.remember_all()

# ---------------------------------------------------------------- settings
st.markdown("**One click for a d2l run** (fills the settings below):")
presets = st.container(horizontal=True)
for name, preset in PRESETS.items():
    presets.button(form.short_name(preset), key=f"train_preset_{name}", on_click=form.apply_preset, args=(name,),
                   help=f"{preset.name}: d2l reports perplexity {preset.d2l_ppl:g}. {preset.note}".strip())

model_col, data_col, opt_col = st.columns(3, gap="large")
with model_col:
    st.markdown("#### 🧠 Model")
    st.selectbox("Architecture", KINDS, format_func=KIND_NAMES.get, key="train_kind")
    st.select_slider("Hidden units per layer", form.HIDDEN_OPTIONS, key="train_hidden")
    st.number_input("Layers", min_value=1, max_value=MAX_LAYERS, step=1, key="train_layers")
    st.number_input("Embedding size (0 = one-hot inputs)", min_value=0, max_value=1024, step=16,
                    key="train_embedding")
    st.toggle("Bidirectional", key="train_bidirectional")
with data_col:
    st.markdown("#### 📄 Data")
    st.segmented_control("Minibatches", SAMPLERS, required=True, key="train_sampler",
                         help="random: independent subsequences, the state starts at zero for each; "
                              "sequential: row b continues where it stopped, the state is carried over.")
    st.number_input("Sequence length (time steps)", min_value=1, max_value=2000, step=5, key="train_num_steps")
    st.number_input("Batch size", min_value=1, max_value=4096, step=8, key="train_batch_size")
    st.selectbox("Characters to train on", form.MAX_TOKEN_OPTIONS, key="train_max_tokens",
                 format_func=lambda n: "the whole text" if n == -1 else f"the first {n:,}")
    st.slider("Validation split (the end of the text)", 0.0, 0.5, step=0.05, key="train_val_frac")
with opt_col:
    st.markdown("#### ⚙️ Optimization")
    st.segmented_control("Optimizer", OPTIMIZERS, required=True, key="train_optimizer",
                         format_func={"sgd": "SGD", "adam": "Adam"}.get)
    st.number_input("Learning rate", min_value=0.00001, max_value=100.0, step=0.001, format="%.5g", key="train_lr")
    st.number_input("Gradient clipping θ (0 = off)", min_value=0.0, max_value=1000.0, step=0.5, format="%g",
                    key="train_clip")
    st.number_input("Epochs", min_value=1, max_value=100_000, step=1, key="train_epochs")
    st.number_input("Time budget in seconds (0 = none)", min_value=0.0, max_value=7 * 24 * 3600.0, step=30.0,
                    format="%g", key="train_max_seconds")
with st.expander("More settings"):
    cols = st.columns(5)
    cols[0].slider("Dropout between layers", 0.0, 0.9, step=0.05, key="train_dropout")
    cols[1].selectbox("Nonlinearity φ (scratch, nn.RNN)", ["tanh", "relu"], key="train_nonlinearity")
    cols[2].number_input("Seed", min_value=0, max_value=2**32 - 1, step=1, key="train_seed")
    cols[3].selectbox("Device", form.device_options(), key="train_device",
                      help="auto: the GPU when there is one, else the CPU.")
    cols[4].number_input("Validate every N steps (0 = each epoch)", min_value=0, step=10, key="train_eval_every")

# ---------------------------------------------------------------- check, then start
problem = None
try:
    mcfg, tcfg = form.configs(vocab_size=n_distinct + 1)
    check_fits(mcfg, tcfg)
except ConfigError as e:
    problem = str(e)
loaded = st.session_state.get(form.LOADED_PRESET)
if loaded and not problem and form.values_of(PRESETS[loaded].model, PRESETS[loaded].train) == \
        form.values_of(mcfg, tcfg):
    p = PRESETS[loaded]
    st.caption(f"Settings of **{p.name}**: d2l reports perplexity {p.d2l_ppl:g}. {p.note}")


def _start() -> None:
    st.session_state.pop(TRAIN_ERROR, None)
    text = ui.current_corpus()
    try:
        if text is None:
            raise CorpusError("no text to train on: pick or upload one in the sidebar")
        training.start_run(*form.configs(), text)
    except (ConfigError, CorpusError, training.StartRefused) as e:
        st.session_state[TRAIN_ERROR] = str(e)


if problem:
    st.error(problem, icon="🚫")
else:
    n = n_chars if tcfg.max_tokens == -1 else min(n_chars, tcfg.max_tokens)
    n_val = int(n * tcfg.val_frac)
    steps = num_batches(n - n_val, tcfg.batch_size, tcfg.num_steps, 0)
    budget = f" or {tcfg.max_seconds:g} s, whichever comes first" if tcfg.max_seconds else ""
    st.caption(f"{KIND_NAMES[mcfg.kind]} with **{mcfg.num_params():,} parameters** · {n - n_val:,} training and "
               f"{n_val:,} validation characters · about {steps:,} steps per epoch, "
               f"{steps * tcfg.epochs:,} in all{budget}.")
st.button("▶ Start training", type="primary", key="train_start", on_click=_start, disabled=problem is not None)
if st.session_state.get(TRAIN_ERROR):
    st.error(st.session_state[TRAIN_ERROR], icon="🚫")

# ---------------------------------------------------------------- live
st.divider()
live_panel()

# ---------------------------------------------------------------- compare and keep
COMPARE_EVERY_S = 10.0  # the overlay follows unfinished runs too; redrawing it every 5 s cost ~4 % of training speed on 2 cores


def compare_runs() -> None:
    """Overlay this session's runs and the shipped models' training curves."""
    st.subheader("Compare runs")
    histories = {f"run:{j.id}": (j.label, j.view().history) for j in training.runs()}
    for stem in loaders.shipped():
        ckpt = loaders.shipped_checkpoint(stem)
        if ckpt is not None and ckpt.history:
            histories[f"shipped:{stem}"] = (f"{loaders.shipped_label(stem)} (shipped)", ckpt.history)
    # New runs join the overlay by themselves (RNN, then GRU, then LSTM: the slide builds up).
    seen = st.session_state.setdefault("train_compare_seen", set())
    ui.remember("train_compare", [])
    picked = [k for k in st.session_state["train_compare"] if k in histories]
    picked += [k for k in histories if k.startswith("run:") and k not in seen and k not in picked]
    seen.update(k for k in histories if k.startswith("run:"))
    st.session_state["train_compare"] = picked
    picked = st.multiselect("Runs to overlay (this session's, and the shipped models')", list(histories),
                            format_func=lambda k: histories[k][0], key="train_compare")
    left, right = st.columns(2)
    ui.remember("train_compare_metric", "ppl")
    metric = left.segmented_control("Curve", list(plots.METRICS), required=True, key="train_compare_metric",
                                    format_func=lambda m: plots.METRICS[m][0])
    ui.remember("train_compare_x", "step")
    x = right.segmented_control("Against", list(plots.X_AXES), required=True, key="train_compare_x",
                                format_func=lambda a: plots.X_AXES[a])
    st.plotly_chart(plots.compare_figure([histories[k] for k in picked], metric, x), key="train_chart_compare",
                    theme=None)


jobs = training.runs()
if jobs:
    unfinished = any(j.active for j in jobs)
    st.fragment(run_every=COMPARE_EVERY_S if unfinished else None)(compare_runs)()

    st.subheader("Keep a run")
    labels = {j.id: j.label for j in jobs}
    ui.remember("train_pick", jobs[-1].id, list(labels))
    job = training.run_book().get(st.selectbox("Run", list(labels), format_func=labels.get, key="train_pick"))
    row = st.container(horizontal=True)
    row.download_button("💾 Download checkpoint", data=job.checkpoint_bytes, key="train_download",
                        file_name=f"rnnviz-run{job.number}-{job.trainer.model_cfg.kind}.pt",
                        mime="application/octet-stream", on_click="ignore",
                        help="An rnnviz checkpoint: weights, settings, vocabulary and history. "
                             "A run still training is saved as it is between two steps.")
    key = f"run:{job.id}"
    row.button("🧩 Make it the active model", key="train_make_active", on_click=set_widget,
               args=(SIDEBAR_MODEL, key), disabled=key not in model_options(),
               help="Generate, Hidden states and Gates will show this model.")
    row.button("🗑 Remove from this session", key="train_remove", on_click=training.run_book().remove,
               args=(job.id,))
    if st.session_state.get(SIDEBAR_MODEL) == key:
        st.caption("This run is the active model (see the sidebar).")
