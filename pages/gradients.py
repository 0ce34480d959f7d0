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
from rnnviz.gradients import (KIND_LABELS, clipping_run, encode_text, fresh_rnn, gradient_curve, jacobian_chain,
                              kind_curves)
from rnnviz.models import ConfigError
from ui import loaders
from ui.corpus import current_spec
from ui.memo import session_memo

ui.ensure_app()

LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz "))  # the fresh models' characters
DEFAULT_TEXT = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter"
SOURCES = {"fresh": "Fresh RNN, spectral radius λ", "active": "Active model (sidebar)"}
PHIS = {"identity": "linear (φ = identity)", "tanh": "tanh"}
TRAINED = ("scratch-rnn", "gru", "lstm")  # shipped checkpoints compared in section 2
DRAWS = (20, 50, 100, 200, 500)  # randomized truncations to average

st.title("📉 Gradients through time")
explain.what_you_see("gradients")
st.caption("Backpropagation through time multiplies one Jacobian per step. Whether the product shrinks or grows "
           "decides how far back a model can learn from: vanishing and exploding gradients, and what clipping and "
           "truncation do about them.")

# ---------------------------------------------------------------- the model and the text
left, right = st.columns([1, 1], gap="large")
ui.remember("grad_source", "fresh", list(SOURCES))
source = left.segmented_control("Model", list(SOURCES), format_func=SOURCES.get, key="grad_source", required=True)
ui.remember("grad_text", DEFAULT_TEXT)
text = right.text_area("Text the model reads (the last character is the one to predict)", key="grad_text",
                       max_chars=300, height=80)

if source == "fresh":
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1], gap="medium")
    ui.remember("grad_lambda", 0.9)
    lam = c1.slider("Spectral radius λ of W_hh", 0.5, 1.5, step=0.01, key="grad_lambda",
                    help="W_hh ~ N(0, 1/H), then scaled so its largest eigenvalue magnitude is λ.")
    ui.remember("grad_phi", "identity", list(PHIS))
    phi = c2.segmented_control("Nonlinearity φ", list(PHIS), format_func=PHIS.get, key="grad_phi", required=True)
    ui.remember("grad_hidden", 32)
    hidden = c3.number_input("Hidden units", 2, 128, step=1, key="grad_hidden")
    ui.remember("grad_seed", 0)
    seed = c4.number_input("Seed", 0, 2**31 - 1, step=1, key="grad_seed")
    model = session_memo(("fresh_rnn", len(LETTERS), hidden, lam, seed),
                         lambda: fresh_rnn(len(LETTERS), int(hidden), lam, int(seed), input_scale=1.0))
    vocab, label, version, nonlinearity = LETTERS, f"fresh RNN, λ = {lam:g}", ("fresh", hidden, lam, seed), phi
else:
    active = ui.active_model()
    model, vocab, label, nonlinearity = active.model, active.vocab, active.label, None
    version = (active.key, active.step)
    st.caption(f"Active model: **{active.label}** (change it in the sidebar).")

if len(text) < 3:
    st.error("The text needs at least three characters: some to read and one to predict.", icon="🚫")
    st.stop()
unknown = unknown_chars(vocab, text)
if unknown:
    st.warning(f"Not in this model's vocabulary, read as <unk>: {', '.join(sorted({repr(c) for _, c in unknown}))}.",
               icon="🔤")

# ---------------------------------------------------------------- 1. vanishing and exploding
st.header("1. How far back does the gradient reach?")
try:
    X, y = encode_text(vocab, text)
    curve = session_memo(("curve", version, text, nonlinearity),
                         lambda: gradient_curve(model, X, y, nonlinearity=nonlinearity, label=label))
except ConfigError as e:
    st.error(f"{label}: {e}", icon="🚫")
    st.stop()
if source == "fresh":
    curve.lam = lam
far = len(curve.norm) - 1
g1, g2 = st.columns([3, 1], gap="large")
g1.plotly_chart(sp.gradient_figure([curve], cells=True), theme=None, key="grad_curve")
with g2:
    st.metric(f"Gradient at T − k = {far} ÷ at 0", f"{curve.norm[far] / curve.norm[0]:.2e}",
              help="‖∂ℓ_T/∂h_1‖ / ‖∂ℓ_T/∂h_T‖: what is left of the gradient after crossing the whole text.")
    if source == "fresh" and phi == "identity":
        verdict = "< 1: it vanishes" if lam < 1 else "> 1: it explodes" if lam > 1 else "= 1: it neither fades nor grows"
        st.markdown(f"**Linear RNN.** ∂h_T/∂h_k = (W_hhᵀ)^(T−k), so the norm follows λ^(T−k) (dashed): "
                    f"λ = {lam:g} {verdict}. Move λ across 1.")
    elif source == "fresh":
        st.markdown("**tanh.** Each step multiplies by diag(φ'(a_t)) W_hhᵀ with φ' ≤ 1: below λ = 1 the gradient "
                    "vanishes; above it, the state saturates (φ' ≈ 0) and cuts the growth short.")
    else:
        st.markdown("**A trained model.** The gradient from the last prediction back to each earlier state; for an "
                    "LSTM, the dotted line is the memory cell's path ∂ℓ_T/∂c_k.")

# ---------------------------------------------------------------- 2. RNN vs GRU vs LSTM
st.header("2. RNN, GRU and LSTM on the same text")
ui.remember("grad_kinds", "fresh", ["fresh", "trained"])
which = st.segmented_control("Models", ["fresh", "trained"], key="grad_kinds", required=True,
                             format_func={"fresh": "Fresh (untrained, 32 units)",
                                          "trained": "Trained (the shipped checkpoints)"}.get)
if which == "fresh":
    curves = session_memo(("kinds", text), lambda: kind_curves(len(LETTERS), *encode_text(LETTERS, text)))
else:
    def trained_curves():
        out = {}
        for stem in TRAINED:
            ckpt = loaders.shipped_checkpoint(stem)
            if ckpt is not None:
                out[stem] = gradient_curve(ckpt.model, *encode_text(ckpt.vocab, text),
                                           label=KIND_LABELS[ckpt.config.kind])
        return out
    curves = session_memo(("trained_kinds", text, tuple(loaders.shipped())), trained_curves)
if curves:
    k1, k2 = st.columns([3, 1], gap="large")
    k1.plotly_chart(sp.gradient_figure(curves, reference=False), theme=None, key="grad_kinds_chart")
    if which == "fresh":
        k2.markdown("**Gates keep a path open.** The LSTM's memory cell is updated by addition, c_t = f ⊙ c_{t−1} "
                    "+ i ⊙ c̃, and the GRU's state by interpolation: with the forget (update) gate near 1 the "
                    "gradient passes back almost unchanged, where the vanilla RNN multiplies by W_hh and φ' at "
                    "every step.")
    else:
        k2.markdown("**After training** each model has shaped its own Jacobians on the book: the slopes show how "
                    "much its last prediction still depends on characters far back. The architecture sets what "
                    "can flow back (compare the fresh models); training decides how much of it the model uses.")
else:
    st.info("No shipped checkpoints of the RNN, GRU and LSTM are available here.", icon="🧩")

# ---------------------------------------------------------------- 3. eigenvalues
st.header("3. The eigenvalues of W_hh")
eigs = session_memo(("eig", version), lambda: bptt.recurrent_eigenvalues(model))
e1, e2 = st.columns([2, 1], gap="large")
with e2:
    if len(eigs) > 1:
        ui.remember("grad_gate", "forget" if "forget" in eigs else next(iter(eigs)), list(eigs))
        gate = st.selectbox("Gate (each has its own block of W_hh)", list(eigs), key="grad_gate")
    else:
        gate = next(iter(eigs))
    eig = eigs[gate]
    st.metric("Spectral radius ρ", f"{eig.spectral_radius:.3f}")
    st.metric("Eigenvalues outside the unit circle", f"{eig.outside_unit_circle} of {len(eig.values)}")
    st.markdown("In a linear RNN, h_T contains W_hh^(T−k) h_k: along an eigenvector with |λ| < 1 the contribution "
                "shrinks like |λ|^(T−k), outside the circle it grows. The largest |λ|, the spectral radius, wins "
                "over long distances.")
e1.plotly_chart(bp.eigenvalue_figure(eig), theme=None, key="grad_eigenvalues")
if source == "fresh":
    with st.expander("The theory, step by step: the product of Jacobians"):
        chain = session_memo(("chain", version, text, nonlinearity),  # kept without its (T, H, H) matrices
                             lambda: replace(jacobian_chain(model, X, nonlinearity), steps=None, products=None))
        st.plotly_chart(sp.jacobian_figure(chain, curve), theme=None, key="grad_jacobian")
        st.caption("∂h_T/∂h_k = ∏ diag(φ'(a_t)) W_hhᵀ built from explicit matrices, without autograd; its spectral "
                   "norm, beside λ^(T−k) and the gradient autograd measured.")

# ---------------------------------------------------------------- 4. clipping
st.header("4. Gradient clipping")
st.caption("A fresh RNN (64 units, W_hh at spectral radius 3) trained with SGD on the sidebar's text: the same "
           "model and minibatches with and without clipping g ← min(1, θ/‖g‖) g.")
spec = current_spec()
if spec is None:
    st.info("Pick a text in the sidebar to train on.", icon="📄")
else:
    c1, c2, c3 = st.columns(3, gap="large")
    ui.remember("grad_theta", 1.0)
    theta = c1.select_slider("Threshold θ", [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0], key="grad_theta")
    ui.remember("grad_lr", 1.0)
    lr = c2.select_slider("Learning rate", [0.1, 0.3, 1.0, 3.0, 10.0], key="grad_lr",
                          help="At 1 the unclipped run's loss climbs instead of falling.")
    ui.remember("grad_clip_steps", 60)
    steps = c3.slider("Steps", 10, 150, step=10, key="grad_clip_steps")

    def runs():
        chars = loaders.corpus(*spec).char_tokens()[:30_000]
        cvocab = Vocab(chars)
        ids = cvocab[chars]
        return (clipping_run(ids, len(cvocab), 0.0, lr=lr, steps=steps),
                clipping_run(ids, len(cvocab), theta, lr=lr, steps=steps))
    free, clipped = session_memo(("clip", spec[0], hash(spec[1]), spec[2], theta, lr, steps), runs)
    p1, p2 = st.columns(2, gap="large")
    p1.plotly_chart(sp.clipping_figure(clipped.grad_norm, clipped.grad_norm_clipped, theta), theme=None,
                    key="grad_clip_norms")
    p2.plotly_chart(bp.clipping_loss_figure(free, clipped), theme=None, key="grad_clip_loss")
    for run in (free, clipped):
        if run.diverged_at is not None:
            st.warning(f"Training {'without clipping' if run.theta == 0 else f'with θ = {run.theta:g}'} diverged at "
                       f"step {run.diverged_at}: {run.message}", icon="💥")
    share = sum(n > theta for n in clipped.grad_norm) / max(1, len(clipped.grad_norm))
    st.caption(f"Clipping acted on {share:.0%} of the steps. It changes only the length of the step, never its "
               "direction, so each update is at most lr·θ long: the loss cannot be thrown far by one huge gradient.")

# ---------------------------------------------------------------- 5. truncated BPTT
st.header("5. Truncated backpropagation through time")
st.caption("The gradient of the mean loss over every character of the text with respect to W_hh, three ways "
           "(d2l 8.7): full; regular truncation, cut every τ characters as minibatch training does; randomized "
           "truncation, each link kept with probability π = 1 − 1/τ and then weighted 1/π, so it is right on average.")
t1, t2, t3 = st.columns(3, gap="large")
ui.remember("grad_tau", 10)
tau = t1.slider("τ (regular: chunk length; randomized: mean segment length)", 2, 40, key="grad_tau")
affordable = [d for d in DRAWS if bptt.truncation_work(model, len(text) - 1, d) <= bptt.WORK_BUDGET] or DRAWS[:1]
ui.remember("grad_draws", 100 if 100 in affordable else affordable[-1], affordable)
draws = t2.select_slider("Randomized draws", affordable, key="grad_draws", disabled=len(affordable) == 1,
                         help="Each draw is one backward pass; bigger models and longer texts allow fewer in ~1 s.")
ui.remember("grad_draw_seed", 0)
draw_seed = t3.number_input("Seed of the random cuts", 0, 2**31 - 1, step=1, key="grad_draw_seed")
try:
    cmp = session_memo(("bptt", version, text, nonlinearity, tau, draws, draw_seed),
                       lambda: bptt.compare_truncation(model, vocab, text, tau, int(draws), int(draw_seed),
                                                       nonlinearity=nonlinearity))
except ConfigError as e:
    st.error(f"{label}: {e}", icon="🚫")
    st.stop()
m = st.columns(4)
m[0].metric("Regular: cosine to full", f"{cmp.truncated.cosine:.3f}",
            help="cos(g_τ, g): 1 would be the same direction as the full gradient")
m[1].metric("Regular: error", f"{cmp.truncated.rel_error:.3f}",
            help="‖g_τ − g‖ / ‖g‖: a bias, the same on every run")
m[2].metric("One random draw: error", f"{cmp.random_rel_error.mean():.3f}",
            help="‖ĝ − g‖ / ‖g‖ averaged over the draws: unbiased, but each draw is noisy")
m[3].metric(f"Mean of {draws} draws: error", f"{cmp.random_mean.rel_error:.3f}",
            help="The average of all the randomized estimates against the full gradient")
st.plotly_chart(bp.segments_figure(cmp), theme=None, key="grad_segments")
b1, b2 = st.columns(2, gap="large")
b1.plotly_chart(bp.estimates_figure(cmp), theme=None, key="grad_estimates")
b2.plotly_chart(bp.convergence_figure(cmp), theme=None, key="grad_convergence")
st.caption("Regular truncation is biased (it never sees dependencies longer than τ) but has no variance. "
           "Randomized truncation is unbiased: its draws scatter around the exact value and their average "
           "converges like 1/√n. One draw at a time, as training would use it, the noise is larger than the "
           "bias — d2l's conclusion: in practice randomized truncation does not beat the regular one.")
