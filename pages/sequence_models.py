"""Sequence models (d2l 8.1): an MLP on the last τ values of a noisy sine, trained live; then 1-step, multistep and
k-step predictions, and why errors compound. Optionally a GRU or RNN (a latent state) against it."""
import streamlit as st

import ui
from ui import charts, explain
from rnnviz import sequence_plots as sp
from rnnviz.i18n import t
from rnnviz.models import ConfigError
from rnnviz.sequence import SequenceConfig, SequenceExperiment
from ui.memo import session_memo

ui.ensure_app()

LATENT = ("gru", "rnn")

st.title(t("sequence_models.title"))
explain.what_you_see("sequence_models")
st.caption(t("sequence_models.intro"))

# ---------------------------------------------------------------- settings
c1, c2, c3, c4 = st.columns(4, gap="medium")
ui.remember("seq_noise", 0.2)
noise = c1.slider(t("sequence_models.noise"), 0.0, 1.0, step=0.05, key="seq_noise",
                  help=t("sequence_models.noise_help"))
ui.remember("seq_tau", 4)
tau = c2.slider(t("sequence_models.tau"), 1, 64, key="seq_tau", help=t("sequence_models.tau_help"))
ui.remember("seq_n_train", 600)
n_train = c3.slider(t("sequence_models.n_train"), 20, 900, step=10, key="seq_n_train",
                    help=t("sequence_models.n_train_help"))
ui.remember("seq_epochs", 5)
epochs = c4.slider(t("sequence_models.epochs"), 1, 20, key="seq_epochs")
ui.remember("seq_compare", False)
compare = st.toggle(t("sequence_models.compare"), key="seq_compare")
# The secondary settings live in a closed expander in both modes (present.secondary would nest one in it).
with st.expander(t("sequence_models.more_settings")):
    m0, m1, m2, m3 = st.columns(4)
    ui.remember("seq_seed", 0)
    seed = m0.number_input(t("sequence_models.seed"), 0, 2**31 - 1, step=1, key="seq_seed",
                           help=t("sequence_models.seed_help"))
    ui.remember("seq_lr", 0.01)
    lr = m1.number_input(t("sequence_models.lr"), 0.0001, 1.0, step=0.001, format="%.4f", key="seq_lr")
    ui.remember("seq_hidden", 10)
    hidden = m2.number_input(t("sequence_models.hidden"), 1, 256, step=1, key="seq_hidden")
    ui.remember("seq_latent", "gru", list(LATENT))
    latent = m3.segmented_control(t("sequence_models.latent"), list(LATENT),
                                  format_func=lambda kind: t(f"sequence_models.latent_{kind}"), key="seq_latent",
                                  required=True)

configs = {"mlp": SequenceConfig(tau=tau, noise=noise, n_train=n_train, epochs=epochs, seed=int(seed), lr=lr,
                                 hidden=int(hidden))}
if compare:
    configs[latent] = SequenceConfig(**{**configs["mlp"].to_dict(), "model": latent})
try:
    for cfg in configs.values():
        cfg.validate()
except ConfigError as e:
    st.error(t("sequence_models.cannot_run", error=e), icon="🚫")
    st.stop()


# ---------------------------------------------------------------- train (live) or reuse
def train_live(cfg: SequenceConfig):
    """Train in chunks of one epoch, drawing the loss and a progress bar as it goes; remember the result."""
    exp = SequenceExperiment(cfg)
    name = sp.model_label(cfg.model)
    bar = st.progress(0.0, text=t("sequence_models.training", name=name))
    chart = st.empty()
    total = exp.steps_per_epoch * cfg.epochs
    while not exp.done:
        for _ in exp.run(max_steps=exp.steps_per_epoch):
            pass
        bar.progress(len(exp.history) / total,
                     text=t("sequence_models.training_epoch", name=name, epoch=exp.epoch, epochs=cfg.epochs))
        charts.show(sp.loss_figure(exp.history), key=f"seq_live_loss_{cfg.model}_{exp.epoch}", where=chart)
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
    charts.show(fig, key=key, where=left)
    right.markdown(text)


k_max = max(res.kstep)
m = st.columns(4)
final = [r.epoch_loss for r in res.history if r.epoch_end][-1]
m[0].metric(t("sequence_models.metric_loss"), f"{final:.4f}")
m[1].metric(t("sequence_models.metric_onestep"), f"{res.onestep.mse_observed:.4f}")
m[2].metric(t("sequence_models.metric_kstep", k=k_max), f"{res.kstep[k_max].mse_observed:.4f}")
m[3].metric(t("sequence_models.metric_noise"), f"{noise ** 2:.4f}", help=t("sequence_models.metric_noise_help"))

explained(sp.loss_figure(res.history),
          t("sequence_models.explain_loss", n_train=n_train, floor=f"{noise ** 2:.3g}"), "seq_loss")
explained(sp.data_figure(res, show_clean=True), t("sequence_models.explain_data"), "seq_data")
explained(sp.onestep_figure(res, show_clean=True), t("sequence_models.explain_onestep", tau=tau), "seq_onestep")
explained(sp.multistep_figure(res, show_clean=True),
          t("sequence_models.explain_multistep", start=res.config.multistep_start), "seq_multistep")
explained(sp.kstep_figure(res), t("sequence_models.explain_kstep"), "seq_kstep")
explained(sp.kstep_error_figure([res, *others]),
          t("sequence_models.explain_kstep_error_latent" if others else "sequence_models.explain_kstep_error"),
          "seq_kstep_error")
for r in others:
    explained(sp.multistep_figure(r, show_clean=True),
              t("sequence_models.explain_latent", model=sp.model_label(r.config.model), num_steps=r.config.num_steps,
                start=r.config.multistep_start), f"seq_multistep_{r.config.model}")

MSE_OBSERVED, MSE_CLEAN = t("sequence_models.col_mse_observed"), t("sequence_models.col_mse_clean")
rows = [{t("sequence_models.col_model"): sp.model_label(r.config.model),
         t("sequence_models.col_prediction"): sp.forecast_label(row["prediction"]),
         t("sequence_models.col_points"): row["points"], MSE_OBSERVED: row["mse_observed"],
         MSE_CLEAN: row["mse_clean"]}
        for r in [res, *others] for row in r.mse_rows()]
st.dataframe(rows, hide_index=True, key="seq_mse_table", height=36 * (len(rows) + 1) + 3,
             column_config={MSE_OBSERVED: st.column_config.NumberColumn(format="%.4f"),
                            MSE_CLEAN: st.column_config.NumberColumn(format="%.4f")})
st.caption(t("sequence_models.table_note", n=len(res.kstep[k_max].pred), k=k_max))
