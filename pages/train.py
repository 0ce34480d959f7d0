"""Train: settings (or a d2l preset) → a background run → live curves and samples → compare and keep runs."""
import streamlit as st

import ui
from ui.corpus import display_name
from rnnviz import plots
from rnnviz.batches import num_batches
from rnnviz.data import CorpusError
from rnnviz.i18n import t
from rnnviz.models import KINDS, MAX_LAYERS, ConfigError
from rnnviz.train import OPTIMIZERS, PRESETS, SAMPLERS, check_fits
from ui import charts, explain, loaders, present, train_form as form, training
from ui.active import options as model_options
from ui.corpus import current_spec
from ui.state import SIDEBAR_MODEL, TRAIN_ERROR, set_widget
from ui.train_live import live_panel

ui.ensure_app()

st.title(t("train.title"))
explain.what_you_see("train")
corpus = ui.corpus_or_stop()
n_chars, n_distinct = loaders.corpus_stats(*current_spec())
st.caption(t("train.corpus", name=display_name(corpus), n_chars=n_chars, n_distinct=n_distinct))
if corpus.note:
    st.warning(corpus.note, icon="📴")
form.remember_all()

# ---------------------------------------------------------------- settings
st.markdown(t("train.presets_intro"))
presets = st.container(horizontal=True)
for name, preset in PRESETS.items():
    note = form.preset_note(name)
    presets.button(form.short_name(name), key=f"train_preset_{name}", on_click=form.apply_preset, args=(name,),
                   help=t("train.preset_help", name=form.preset_label(name), ppl=preset.d2l_ppl,
                          note=f" {note}" if note else ""))

model_col, data_col, opt_col = st.columns(3, gap="large")
with model_col:
    st.markdown(t("train.model_heading"))
    st.selectbox(t("train.kind"), KINDS, format_func=training.kind_name, key="train_kind")
    st.select_slider(t("train.hidden"), form.HIDDEN_OPTIONS, key="train_hidden")
    st.number_input(t("train.layers"), min_value=1, max_value=MAX_LAYERS, step=1, key="train_layers")
    st.number_input(t("train.embedding"), min_value=0, max_value=1024, step=16, key="train_embedding")
    st.toggle(t("train.bidirectional"), key="train_bidirectional")
with data_col:
    st.markdown(t("train.data_heading"))
    st.segmented_control(t("train.sampler"), SAMPLERS, required=True, key="train_sampler",
                         format_func=lambda s: t(f"train.sampler_{s}"), help=t("train.sampler_help"))
    st.number_input(t("train.num_steps"), min_value=1, max_value=2000, step=5, key="train_num_steps")
    st.number_input(t("train.batch_size"), min_value=1, max_value=4096, step=8, key="train_batch_size")
    st.selectbox(t("train.max_tokens"), form.MAX_TOKEN_OPTIONS, key="train_max_tokens",
                 format_func=lambda n: t("train.max_tokens_all") if n == -1 else t("train.max_tokens_first", n=n))
    st.slider(t("train.val_frac"), 0.0, 0.5, step=0.05, key="train_val_frac")
with opt_col:
    st.markdown(t("train.optimization_heading"))
    st.segmented_control(t("train.optimizer"), OPTIMIZERS, required=True, key="train_optimizer",
                         format_func=lambda o: t(f"train.optimizer_{o}"))
    st.number_input(t("train.lr"), min_value=0.00001, max_value=100.0, step=0.001, format="%.5g", key="train_lr")
    st.number_input(t("train.clip"), min_value=0.0, max_value=1000.0, step=0.5, format="%g", key="train_clip")
    st.number_input(t("train.epochs"), min_value=1, max_value=100_000, step=1, key="train_epochs")
    st.number_input(t("train.max_seconds"), min_value=0.0, max_value=7 * 24 * 3600.0, step=30.0, format="%g",
                    key="train_max_seconds")
with st.expander(t("train.more_settings")):  # closed already: the secondary settings, in every mode
    cols = st.columns(5)
    cols[0].slider(t("train.dropout"), 0.0, 0.9, step=0.05, key="train_dropout")
    cols[1].selectbox(t("train.nonlinearity"), form.NONLINEARITIES, key="train_nonlinearity",
                      format_func=lambda f: t(f"train.nonlinearity_{f}"))
    cols[2].number_input(t("train.seed"), min_value=0, max_value=2**32 - 1, step=1, key="train_seed")
    cols[3].selectbox(t("train.device"), form.device_options(), key="train_device",
                      format_func=lambda d: t(f"train.device_{d}"), help=t("train.device_help"))
    cols[4].number_input(t("train.eval_every"), min_value=0, step=10, key="train_eval_every")

# ---------------------------------------------------------------- check, then start
problem = None
try:
    mcfg, tcfg = form.configs(vocab_size=n_distinct + 1)
    check_fits(mcfg, tcfg)
except ConfigError as e:
    problem = str(e)
preset_name = None if problem else form.matching_preset(mcfg, tcfg)
if preset_name:
    note = form.preset_note(preset_name)
    st.caption(t("train.preset_loaded", name=form.preset_label(preset_name), ppl=PRESETS[preset_name].d2l_ppl,
                 note=f" {note}" if note else ""))


def _start() -> None:
    st.session_state.pop(TRAIN_ERROR, None)
    text = ui.current_corpus()
    try:
        if text is None:
            raise CorpusError(t("train.no_text"))
        training.start_run(*form.configs(), text)
    except (ConfigError, CorpusError, training.StartRefused) as e:
        st.session_state[TRAIN_ERROR] = str(e)


if problem:
    st.error(problem, icon="🚫")
else:
    n = n_chars if tcfg.max_tokens == -1 else min(n_chars, tcfg.max_tokens)
    n_val = int(n * tcfg.val_frac)
    steps = num_batches(n - n_val, tcfg.batch_size, tcfg.num_steps, 0)
    budget = t("train.summary_budget", seconds=tcfg.max_seconds) if tcfg.max_seconds else ""
    st.caption(t("train.summary", kind=training.kind_name(mcfg.kind), params=mcfg.num_params(), n_train=n - n_val,
                 n_val=n_val, steps=steps, total=steps * tcfg.epochs, budget=budget))
st.button(t("train.start"), type="primary", key="train_start", on_click=_start, disabled=problem is not None)
if st.session_state.get(TRAIN_ERROR):
    st.error(st.session_state[TRAIN_ERROR], icon="🚫")

# ---------------------------------------------------------------- live
st.divider()
live_panel()

# ---------------------------------------------------------------- compare and keep
COMPARE_EVERY_S = 10.0  # the overlay follows unfinished runs too; redrawing it every 5 s cost ~4 % of training speed on 2 cores


def compare_runs() -> None:
    """Overlay this session's runs and the shipped models' training curves."""
    st.subheader(t("train.compare_heading"))
    histories = {f"run:{j.id}": (j.label, j.view().history) for j in training.runs()}
    for stem in loaders.shipped():
        ckpt = loaders.shipped_checkpoint(stem)
        if ckpt is not None and ckpt.history:
            histories[f"shipped:{stem}"] = (t("train.shipped_label", label=loaders.shipped_label(stem)), ckpt.history)
    # New runs join the overlay by themselves (RNN, then GRU, then LSTM: the slide builds up).
    seen = st.session_state.setdefault("train_compare_seen", set())
    ui.remember("train_compare", [])  # no options: a run that is gone (or a made-up one) is dropped just below
    picked = [k for k in st.session_state["train_compare"] if k in histories]
    picked += [k for k in histories if k.startswith("run:") and k not in seen and k not in picked]
    seen.update(k for k in histories if k.startswith("run:"))
    st.session_state["train_compare"] = picked
    picked = st.multiselect(t("train.compare_runs"), list(histories), format_func=lambda k: histories[k][0],
                            key="train_compare")
    left, right = st.columns(2)
    ui.remember("train_compare_metric", "ppl", list(plots.METRICS))
    metric = left.segmented_control(t("train.compare_metric"), list(plots.METRICS), required=True,
                                    key="train_compare_metric", format_func=plots.metric_name)
    ui.remember("train_compare_x", "step", list(plots.X_AXES))
    with right, present.secondary():
        x = st.segmented_control(t("train.compare_x"), list(plots.X_AXES), required=True, key="train_compare_x",
                                 format_func=plots.x_title)
    charts.show(plots.compare_figure([histories[k] for k in picked], metric, x), key="train_chart_compare")


jobs = training.runs()
if jobs:
    unfinished = any(j.active for j in jobs)
    st.fragment(run_every=COMPARE_EVERY_S if unfinished else None)(compare_runs)()

    st.subheader(t("train.keep_heading"))
    labels = {j.id: j.label for j in jobs}
    ui.remember("train_pick", jobs[-1].id, list(labels))
    job = training.run_book().get(st.selectbox(t("train.pick"), list(labels), format_func=labels.get,
                                               key="train_pick"))
    row = st.container(horizontal=True)
    row.download_button(t("train.download"), data=job.checkpoint_bytes, key="train_download",
                        file_name=f"rnnviz-run{job.number}-{job.trainer.model_cfg.kind}.pt",
                        mime="application/octet-stream", on_click="ignore", help=t("train.download_help"))
    key = f"run:{job.id}"
    row.button(t("train.make_active"), key="train_make_active", on_click=set_widget,
               args=(SIDEBAR_MODEL, key), disabled=key not in model_options(), help=t("train.make_active_help"))
    row.button(t("train.remove"), key="train_remove", on_click=training.run_book().remove, args=(job.id,))
    if st.session_state.get(SIDEBAR_MODEL) == key:
        st.caption(t("train.is_active"))
