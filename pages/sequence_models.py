"""Sequence models (d2l 8.1): an MLP on the last τ values of a noisy sine, trained live; then 1-step, multistep and
k-step predictions, and why errors compound. Optionally a GRU or RNN (a latent state) against it."""
import streamlit as st

import ui
from ui import explain
from rnnviz import sequence_plots as sp
from rnnviz.models import ConfigError
from rnnviz.sequence import MODEL_NAMES, SequenceConfig, SequenceExperiment
from ui.memo import session_memo

ui.ensure_app()

LATENT = {"gru": "GRU", "rnn": "RNN (tanh)"}

st.title("📈 Sequence models: predicting a noisy sine")
explain.what_you_see("sequence_models")
st.caption("d2l 8.1. Observe x_t = sin(0.01 t) + noise for t = 1 … 1000, train a small MLP to predict x_t from the "
           "τ values before it on the first stretch, then ask it to look further and further ahead.")

# ---------------------------------------------------------------- settings
c1, c2, c3, c4, c5 = st.columns(5, gap="medium")
ui.remember("seq_noise", 0.2)
noise = c1.slider("Noise σ", 0.0, 1.0, step=0.05, key="seq_noise", help="Standard deviation of the Gaussian noise.")
ui.remember("seq_tau", 4)
tau = c2.slider("Window τ", 1, 64, key="seq_tau", help="The MLP sees the last τ observations.")
ui.remember("seq_n_train", 600)
n_train = c3.slider("Training examples", 20, 900, step=10, key="seq_n_train",
                    help="The first n (window, next value) pairs train the network; the rest is unseen.")
ui.remember("seq_epochs", 5)
epochs = c4.slider("Epochs", 1, 20, key="seq_epochs")
ui.remember("seq_seed", 0)
seed = c5.number_input("Seed", 0, 2**31 - 1, step=1, key="seq_seed", help="Same seed: same noise, same network.")
with st.expander("More settings"):
    m1, m2, m3 = st.columns(3)
    ui.remember("seq_lr", 0.01)
    lr = m1.number_input("Learning rate (Adam)", 0.0001, 1.0, step=0.001, format="%.4f", key="seq_lr")
    ui.remember("seq_hidden", 10)
    hidden = m2.number_input("Hidden units", 1, 256, step=1, key="seq_hidden")
    ui.remember("seq_latent", "gru", list(LATENT))
    latent = m3.segmented_control("Latent-variable model", list(LATENT), format_func=LATENT.get, key="seq_latent",
                                  required=True)
ui.remember("seq_compare", False)
compare = st.toggle("Compare with a latent-variable model on the same series: a recurrent state that summarises the "
                    "whole past instead of a window of τ values", key="seq_compare")

configs = {"mlp": SequenceConfig(tau=tau, noise=noise, n_train=n_train, epochs=epochs, seed=int(seed), lr=lr,
                                 hidden=int(hidden))}
if compare:
    configs[latent] = SequenceConfig(**{**configs["mlp"].to_dict(), "model": latent})
try:
    for cfg in configs.values():
        cfg.validate()
except ConfigError as e:
    st.error(f"These settings cannot run: {e}", icon="🚫")
    st.stop()


# ---------------------------------------------------------------- train (live) or reuse
def train_live(cfg: SequenceConfig):
    """Train in chunks of one epoch, drawing the loss and a progress bar as it goes; remember the result."""
    exp = SequenceExperiment(cfg)
    name = MODEL_NAMES[cfg.model]
    bar = st.progress(0.0, text=f"Training the {name}…")
    chart = st.empty()
    total = exp.steps_per_epoch * cfg.epochs
    while not exp.done:
        for _ in exp.run(max_steps=exp.steps_per_epoch):
            pass
        bar.progress(len(exp.history) / total, text=f"Training the {name}: epoch {exp.epoch} of {cfg.epochs}")
        chart.plotly_chart(sp.loss_figure(exp.history), theme=None)
    bar.empty()
    chart.empty()
    return exp.results()


results = {kind: session_memo(("sequence", tuple(sorted(cfg.to_dict().items()))), lambda cfg=cfg: train_live(cfg))
           for kind, cfg in configs.items()}
res = results["mlp"]
others = [r for k, r in results.items() if k != "mlp"]

# ---------------------------------------------------------------- what the page shows


def explained(fig, text: str, key: str) -> None:
    left, right = st.columns([3, 1], gap="large")
    left.plotly_chart(fig, theme=None, key=key)
    right.markdown(text)


k_max = max(res.kstep)
m = st.columns(4)
final = [r.epoch_loss for r in res.history if r.epoch_end][-1]
m[0].metric("Training loss, last epoch", f"{final:.4f}")
m[1].metric("1-step error (MSE)", f"{res.onestep.mse_observed:.4f}")
m[2].metric(f"{k_max}-step error (MSE)", f"{res.kstep[k_max].mse_observed:.4f}")
m[3].metric("Noise floor σ²", f"{noise ** 2:.4f}", help="No predictor can beat the noise on the observations.")

explained(sp.loss_figure(res.history),
          f"**Training.** Adam on {n_train} windows, minibatches of 16, squared error. The loss drops to about "
          f"the noise floor σ² = {noise ** 2:.3g} and stays there: the noise itself cannot be predicted.",
          "seq_loss")
explained(sp.data_figure(res, show_clean=True),
          "**The data.** A sine with Gaussian noise. The dotted line is the signal without noise, which the model "
          "never sees.", "seq_data")
explained(sp.onestep_figure(res, show_clean=True),
          f"**One step ahead.** Every prediction sees τ = {tau} *true* observations. Its error is the noise it "
          "cannot know plus a small model error, and nothing carries over from one prediction to the next.",
          "seq_onestep")
explained(sp.multistep_figure(res, show_clean=True),
          f"**Feeding predictions back.** After t = {res.config.multistep_start}, each input window holds the "
          "model's own earlier predictions. Each carries a small error, the next prediction builds on it and adds "
          "its own: errors compound, and a few dozen steps later the prediction has drifted to a constant.",
          "seq_multistep")
explained(sp.kstep_figure(res),
          "**k steps ahead.** Each point predicted from observations k steps before it, feeding back k − 1 of "
          "the model's own predictions. Small k tracks the sine; by k = 64 the compounded error has flattened it.",
          "seq_kstep")
explained(sp.kstep_error_figure([res, *others]),
          "**The error against k.** It grows with every prediction fed back. "
          + ("The latent-variable model reads the whole past into its state instead of a fixed window; it has "
             "the same problem once its own predictions become its inputs." if others else
             "Turn on the comparison above to set a GRU or RNN beside the MLP."),
          "seq_kstep_error")
if others:
    for r in others:
        explained(sp.multistep_figure(r, show_clean=True),
                  f"**{MODEL_NAMES[r.config.model]}, fed back.** Trained on the same observations with "
                  f"subsequences of {r.config.num_steps} steps; from t = {r.config.multistep_start} on it reads "
                  "its own predictions.", f"seq_multistep_{r.config.model}")

rows = []
for r in [res, *others]:
    for row in r.mse_rows():
        rows.append({"model": MODEL_NAMES[r.config.model], **row})
st.dataframe(rows, hide_index=True, key="seq_mse_table", height=36 * (len(rows) + 1) + 3,
             column_config={"mse_observed": st.column_config.NumberColumn("MSE vs observations", format="%.4f"),
                            "mse_clean": st.column_config.NumberColumn("MSE vs sin(0.01 t)", format="%.4f")})
n_k = len(res.kstep[k_max].pred)
st.caption(f"The k-step rows are measured on the {n_k} points that every horizon up to k = {k_max} can reach, so "
           "their 1-step row differs a little from the first one, measured on every point.")
