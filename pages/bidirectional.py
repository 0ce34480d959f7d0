"""Bidirectional RNNs (d2l 9.4): a language model that reads the answer scores well and cannot write."""
import html

import streamlit as st

import ui
from rnnviz import bidirectional as bi
from rnnviz import bidirectional_plots as bp
from rnnviz.generate import generate
from rnnviz.history import latest
from rnnviz.i18n import t
from ui import active, charts, present
from ui.memo import session_memo

ui.ensure_app()

GENERATED_CHARS = 80
_BOX = ("font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 1.25rem; line-height: 1.6; "
        "white-space: pre-wrap; overflow-wrap: anywhere; padding: 0.7rem 1rem; border-radius: 0.5rem; "
        "background: #f7f8fa; border: 1px solid #d8dde6; min-height: 4.5rem;")

st.title(t("bidirectional.title"))
st.markdown(t("bidirectional.intro"))
charts.show(bp.reading_figure(), key="bidirectional_reading")
st.caption(t("bidirectional.reading_caption"))

# ---------------------------------------------------------------- the two models
models = {key: label for key, label in active.options().items()}
resolved = {key: active.resolve(key) for key in models}
bidir = {k: models[k] for k, m in resolved.items() if m is not None and m.config.bidirectional}
onedir = {k: models[k] for k, m in resolved.items() if m is not None and not m.config.bidirectional}
if not bidir or not onedir:
    st.info(t("bidirectional.no_model"), icon="🧩")
    st.page_link("pages/train.py", label=t("bidirectional.go_train"), icon="🏋")
    st.stop()
left, right = st.columns(2, gap="large")
ui.remember("bi_model", next(iter(bidir)), list(bidir))
bi_key = left.selectbox(t("bidirectional.model"), list(bidir), format_func=bidir.get, key="bi_model")
preferred = "shipped:lstm" if "shipped:lstm" in onedir else next(iter(onedir))
ui.remember("bi_reference", preferred, list(onedir))
ref_key = right.selectbox(t("bidirectional.reference"), list(onedir), format_func=onedir.get, key="bi_reference")
pair = {bi_key: resolved[bi_key], ref_key: resolved[ref_key]}


def _ppl(model: active.ActiveModel, name: str) -> str:
    value = latest(model.history, name)
    if value is None and name == "epoch_ppl":
        value = latest(model.history, "ppl")
    return "—" if value is None else f"{value:.2f}"


st.subheader(t("bidirectional.scores_heading"))
for col, (key, model) in zip(st.columns(2, gap="large"), pair.items()):
    with col:
        st.markdown(f"**{html.escape(models[key])}**")
        a, b = st.columns(2)
        a.metric(t("bidirectional.train_ppl"), _ppl(model, "epoch_ppl"), help=t("bidirectional.train_ppl_help"))
        b.metric(t("bidirectional.val_ppl"), _ppl(model, "val_ppl"), help=t("bidirectional.val_ppl_help"))

# ---------------------------------------------------------------- writing
st.subheader(t("bidirectional.writing_heading"))
ui.remember("bi_prefix", "time traveller ")
prefix = st.text_input(t("bidirectional.prefix"), key="bi_prefix", max_chars=200, help=t("bidirectional.prefix_help"))
if prefix:
    for col, (key, model) in zip(st.columns(2, gap="large"), pair.items()):
        text = session_memo(("bi_gen", key, model.step, prefix),
                            lambda m=model: generate(m.model, m.vocab, prefix, GENERATED_CHARS).generated)
        col.markdown(f'<div class="rnnviz-data" style="{_BOX}"><span style="color:#6b7280">{html.escape(prefix)}'
                     f'</span>{html.escape(text)}</div>', unsafe_allow_html=True)
    st.caption(t("bidirectional.writing_caption", n=GENERATED_CHARS))
else:
    st.info(t("bidirectional.prefix_empty"), icon="✏")

# ---------------------------------------------------------------- the leak, measured
st.subheader(t("bidirectional.leak_heading"))
ui.remember("bi_probe", "the time traveller was one of those men who are too clever")
with present.secondary():
    probe = st.text_input(t("bidirectional.probe"), key="bi_probe", max_chars=bi.MAX_LEAK_CHARS,
                          help=t("bidirectional.probe_help", n=bi.MAX_LEAK_CHARS))
if len(probe) < 2:
    st.info(t("bidirectional.probe_short"), icon="✏")
    st.stop()
leaks = {key: session_memo(("bi_leak", key, model.step, probe), lambda m=model: bi.leak(m.model, m.vocab, probe))
         for key, model in pair.items()}
for col, (key, found) in zip(st.columns(2, gap="large"), leaks.items()):
    with col:
        st.markdown(f"**{html.escape(models[key])}**")
        a, b = st.columns(2)
        a.metric(t("bidirectional.seen_ppl"), f"{found.seen_ppl:.2f}", help=t("bidirectional.seen_ppl_help"))
        b.metric(t("bidirectional.causal_ppl"), f"{found.causal_ppl:.2f}", help=t("bidirectional.causal_ppl_help"))
if leaks[bi_key].unknown:
    st.warning(t("bidirectional.unknown", chars=" ".join(sorted({c for _, c in leaks[bi_key].unknown}))), icon="❓")
charts.show(bp.leak_figure(leaks[bi_key]), key="bidirectional_leak")
st.markdown(t("bidirectional.lesson"))
