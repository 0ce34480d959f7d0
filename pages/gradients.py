"""Gradients through time: ‖∂ℓ_T/∂h_k‖ against T − k (vanishing, exploding), RNN vs GRU vs LSTM, the eigenvalues of
W_hh, gradient clipping in a short live run, and truncated BPTT (full, regular, randomized; d2l 8.7)."""
from dataclasses import replace

import streamlit as st

import ui
from ui import explain
from rnnviz import bptt
from rnnviz import bptt_plots as bp
from rnnviz import sequence_plots as sp
from rnnviz.data import Vocab
from rnnviz.generate import unknown_chars
from rnnviz.gradients import (clipping_run, encode_text, fresh_rnn, gradient_curve, jacobian_chain, kind_curves,
                              kind_label)
from rnnviz.i18n import language, t
from rnnviz.models import ConfigError
from ui import charts, loaders, present
from ui.corpus import current_spec
from ui.memo import session_memo

ui.ensure_app()

LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz "))  # the fresh models' characters
DEFAULT_TEXT = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter"
SOURCES = ("fresh", "active")
PHIS = ("identity", "tanh")
THETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
LRS = (0.1, 0.3, 1.0, 3.0, 10.0)
TRAINED = ("scratch-rnn", "gru", "lstm")  # shipped checkpoints compared in section 2
DRAWS = (20, 50, 100, 200, 500)  # randomized truncations to average

st.title(t("gradients.title"))
explain.what_you_see("gradients")
st.caption(t("gradients.intro"))

# ---------------------------------------------------------------- the model and the text
left, right = st.columns([1, 1], gap="large")
ui.remember("grad_source", "fresh", list(SOURCES))
source = left.segmented_control(t("gradients.source"), SOURCES, format_func=lambda s: t(f"gradients.source_{s}"),
                                key="grad_source", required=True)
ui.remember("grad_text", DEFAULT_TEXT)
text = right.text_area(t("gradients.text"), key="grad_text", max_chars=300, height=80)

if source == "fresh":
    c1, c2, c3 = st.columns([3, 2, 2], gap="medium")
    ui.remember("grad_lambda", 0.9)
    lam = c1.slider(t("gradients.lambda"), 0.5, 1.5, step=0.01, key="grad_lambda", help=t("gradients.lambda_help"))
    ui.remember("grad_phi", "identity", list(PHIS))
    phi = c2.segmented_control(t("gradients.phi"), PHIS, format_func=lambda p: t(f"gradients.phi_{p}"),
                               key="grad_phi", required=True)
    with c3, present.secondary():
        h1, h2 = st.columns(2, gap="medium")
        ui.remember("grad_hidden", 32)
        hidden = h1.number_input(t("gradients.hidden"), 2, 128, step=1, key="grad_hidden")
        ui.remember("grad_seed", 0)
        seed = h2.number_input(t("gradients.seed"), 0, 2**31 - 1, step=1, key="grad_seed")
    model = session_memo(("fresh_rnn", len(LETTERS), hidden, lam, seed),
                         lambda: fresh_rnn(len(LETTERS), int(hidden), lam, int(seed), input_scale=1.0))
    label = t("gradients.fresh_label", lam=f"{lam:g}")
    vocab, version, nonlinearity = LETTERS, ("fresh", hidden, lam, seed), phi
else:
    active = ui.active_model()
    model, vocab, label, nonlinearity = active.model, active.vocab, active.label, None
    version = (active.key, active.step)
    st.caption(t("gradients.active_caption", label=active.label))

if len(text) < 3:
    st.error(t("gradients.text_too_short"), icon="🚫")
    st.stop()
unknown = unknown_chars(vocab, text)
if unknown:
    st.warning(t("gradients.unknown_chars", chars=", ".join(sorted({repr(c) for _, c in unknown}))), icon="🔤")

# ---------------------------------------------------------------- 1. vanishing and exploding
st.header(t("gradients.reach_header"))
try:
    X, y = encode_text(vocab, text)
    curve = session_memo(("curve", version, text, nonlinearity, language()),
                         lambda: gradient_curve(model, X, y, nonlinearity=nonlinearity, label=label))
except ConfigError as e:
    st.error(t("gradients.model_error", label=label, error=e), icon="🚫")
    st.stop()
if source == "fresh":
    curve.lam = lam
far = len(curve.norm) - 1
g1, g2 = st.columns([3, 1], gap="large")
charts.show(sp.gradient_figure([curve], cells=True), key="grad_curve", where=g1)
with g2:
    st.metric(t("gradients.ratio", far=far), f"{curve.norm[far] / curve.norm[0]:.2e}", help=t("gradients.ratio_help"))
    if source == "fresh" and phi == "identity":
        verdict = (t("gradients.verdict_vanishes") if lam < 1 else t("gradients.verdict_explodes") if lam > 1
                   else t("gradients.verdict_neither"))
        st.markdown(t("gradients.linear_note", lam=f"{lam:g}", verdict=verdict))
    elif source == "fresh":
        st.markdown(t("gradients.tanh_note"))
    else:
        st.markdown(t("gradients.trained_note"))

# ---------------------------------------------------------------- 2. RNN vs GRU vs LSTM
st.header(t("gradients.kinds_header"))
ui.remember("grad_kinds", "fresh", ["fresh", "trained"])
which = st.segmented_control(t("gradients.kinds"), ["fresh", "trained"], key="grad_kinds", required=True,
                             format_func=lambda k: t(f"gradients.kinds_{k}"))
if which == "fresh":
    curves = session_memo(("kinds", text, language()),
                          lambda: kind_curves(len(LETTERS), *encode_text(LETTERS, text)))
else:
    def trained_curves():
        out = {}
        for stem in TRAINED:
            ckpt = loaders.shipped_checkpoint(stem)
            if ckpt is not None:
                out[stem] = gradient_curve(ckpt.model, *encode_text(ckpt.vocab, text),
                                           label=kind_label(ckpt.config.kind))
        return out
    curves = session_memo(("trained_kinds", text, tuple(loaders.shipped()), language()), trained_curves)
if curves:
    k1, k2 = st.columns([3, 1], gap="large")
    charts.show(sp.gradient_figure(curves, reference=False), key="grad_kinds_chart", where=k1)
    k2.markdown(t("gradients.gates_note") if which == "fresh" else t("gradients.after_training_note"))
else:
    st.info(t("gradients.no_checkpoints"), icon="🧩")

# ---------------------------------------------------------------- 3. eigenvalues
st.header(t("gradients.eig_header"))
eigs = session_memo(("eig", version), lambda: bptt.recurrent_eigenvalues(model))
e1, e2 = st.columns([2, 1], gap="large")
with e2:
    if len(eigs) > 1:
        ui.remember("grad_gate", "forget" if "forget" in eigs else next(iter(eigs)), list(eigs))
        gate = st.selectbox(t("gradients.gate"), list(eigs), key="grad_gate", format_func=bp.gate_block_name)
    else:
        gate = next(iter(eigs))
    eig = eigs[gate]
    st.metric(t("gradients.spectral_radius"), f"{eig.spectral_radius:.3f}")
    st.metric(t("gradients.outside"), t("gradients.outside_value", outside=eig.outside_unit_circle,
                                        total=len(eig.values)))
    st.markdown(t("gradients.eig_note"))
charts.show(bp.eigenvalue_figure(eig), key="grad_eigenvalues", where=e1)
if source == "fresh":
    with st.expander(t("gradients.theory")):
        chain = session_memo(("chain", version, text, nonlinearity),  # kept without its (T, H, H) matrices
                             lambda: replace(jacobian_chain(model, X, nonlinearity), steps=None, products=None))
        charts.show(sp.jacobian_figure(chain, curve), key="grad_jacobian")
        st.caption(t("gradients.theory_note"))

# ---------------------------------------------------------------- 4. clipping
st.header(t("gradients.clip_header"))
st.caption(t("gradients.clip_intro"))
spec = current_spec()
if spec is None:
    st.info(t("gradients.pick_text"), icon="📄")
else:
    c1, c2 = st.columns([1, 2], gap="large")
    ui.remember("grad_theta", 1.0, THETAS)
    theta = c1.select_slider(t("gradients.theta"), THETAS, key="grad_theta")
    with c2, present.secondary():
        l1, l2 = st.columns(2, gap="large")
        ui.remember("grad_lr", 1.0, LRS)
        lr = l1.select_slider(t("gradients.lr"), LRS, key="grad_lr", help=t("gradients.lr_help"))
        ui.remember("grad_clip_steps", 60)
        steps = l2.slider(t("gradients.clip_steps"), 10, 150, step=10, key="grad_clip_steps")

    def runs():
        chars = loaders.corpus(*spec).char_tokens()[:30_000]
        cvocab = Vocab(chars)
        ids = cvocab[chars]
        return (clipping_run(ids, len(cvocab), 0.0, lr=lr, steps=steps),
                clipping_run(ids, len(cvocab), theta, lr=lr, steps=steps))
    free, clipped = session_memo(("clip", spec[0], hash(spec[1]), spec[2], theta, lr, steps), runs)
    p1, p2 = st.columns(2, gap="large")
    charts.show(sp.clipping_figure(clipped.grad_norm, clipped.grad_norm_clipped, theta), key="grad_clip_norms",
                where=p1)
    charts.show(bp.clipping_loss_figure(free, clipped), key="grad_clip_loss", where=p2)
    for run in (free, clipped):
        if run.diverged_at is not None:
            which_run = (t("gradients.run_free") if run.theta == 0
                         else t("gradients.run_clipped", theta=f"{run.theta:g}"))
            st.warning(t("gradients.diverged", run=which_run, step=run.diverged_at), icon="💥")
    share = sum(n > theta for n in clipped.grad_norm) / max(1, len(clipped.grad_norm))
    st.caption(t("gradients.clip_share", share=f"{share:.0%}"))

# ---------------------------------------------------------------- 5. truncated BPTT
st.header(t("gradients.bptt_header"))
st.caption(t("gradients.bptt_intro"))
t1, t2 = st.columns([1, 2], gap="large")
ui.remember("grad_tau", 10)
tau = t1.slider(t("gradients.tau"), 2, 40, key="grad_tau")
affordable = [d for d in DRAWS if bptt.truncation_work(model, len(text) - 1, d) <= bptt.WORK_BUDGET] or DRAWS[:1]
with t2, present.secondary():
    d1, d2 = st.columns(2, gap="large")
    ui.remember("grad_draws", 100 if 100 in affordable else affordable[-1], affordable)
    draws = d1.select_slider(t("gradients.draws"), affordable, key="grad_draws", disabled=len(affordable) == 1,
                             help=t("gradients.draws_help"))
    ui.remember("grad_draw_seed", 0)
    draw_seed = d2.number_input(t("gradients.draw_seed"), 0, 2**31 - 1, step=1, key="grad_draw_seed")
try:
    cmp = session_memo(("bptt", version, text, nonlinearity, tau, draws, draw_seed),
                       lambda: bptt.compare_truncation(model, vocab, text, tau, int(draws), int(draw_seed),
                                                       nonlinearity=nonlinearity))
except ConfigError as e:
    st.error(t("gradients.model_error", label=label, error=e), icon="🚫")
    st.stop()
m = st.columns(4)
m[0].metric(t("gradients.regular_cosine"), f"{cmp.truncated.cosine:.3f}", help=t("gradients.regular_cosine_help"))
m[1].metric(t("gradients.regular_error"), f"{cmp.truncated.rel_error:.3f}", help=t("gradients.regular_error_help"))
m[2].metric(t("gradients.random_error"), f"{cmp.random_rel_error.mean():.3f}", help=t("gradients.random_error_help"))
m[3].metric(t("gradients.mean_error", draws=draws), f"{cmp.random_mean.rel_error:.3f}",
            help=t("gradients.mean_error_help"))
charts.show(bp.segments_figure(cmp), key="grad_segments")
b1, b2 = st.columns(2, gap="large")
charts.show(bp.estimates_figure(cmp), key="grad_estimates", where=b1)
charts.show(bp.convergence_figure(cmp), key="grad_convergence", where=b2)
st.caption(t("gradients.bptt_note"))
