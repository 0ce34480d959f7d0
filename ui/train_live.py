"""The Train page's live panel: fragments that poll the watched run's snapshot.

They read :class:`ui.worker.RunView` (plain data copied under the run's lock) and draw; the training
thread never touches Streamlit. Two cadences, because every redraw costs the server and the browser
CPU that training on a small machine needs: status, buttons and numbers every ``POLL_S`` (2 s by
default, see ui.training), the charts, the sample and the run table every ``CHART_EVERY_S`` (5 s, as
often as the worker writes a new sample; at 3 s the page kept 89 % of the bare engine's speed, at 5 s
98 %, benchmarks/train_page_throughput.py). While a run of the session is queued or training the
fragments poll (a paused run changes nothing); when that set changes the page reruns as a whole so everything catches up.
"""
from __future__ import annotations

import html

import streamlit as st

from rnnviz import plots

from . import training
from .state import WATCHED_RUN
from .worker import DIVERGED, DONE, FAILED, PAUSED, QUEUED, RUNNING, STOPPED, SAMPLE_EVERY_S, RunView

CHART_EVERY_S = max(training.POLL_S, SAMPLE_EVERY_S)
_SAMPLE_CSS = ("font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 1.35rem; line-height: 1.5; "
               "white-space: pre-wrap; word-break: break-word; padding: 0.9rem 1.1rem; border-radius: 0.5rem; "
               "background: #f4f6fa; border: 1px solid #d8dde6; min-height: 6.5rem;")


def _moving(jobs) -> tuple[tuple[int, str], ...]:
    """The runs whose figures can change (queued or running), with their state: what polling follows."""
    return tuple(sorted((j.id, j.status) for j in jobs if j.status in (QUEUED, RUNNING)))


def live_panel() -> None:
    """Draw the panel; poll only while some run of this session is queued or training (not paused)."""
    jobs = training.runs()
    active = _moving(jobs)
    job = training.watched()
    if job is None:
        st.info("Choose the settings above and press **Start training**: the curves and the model's own "
                "writing appear here, live.", icon="👆")
        return
    if len(jobs) > 1:
        labels = {j.id: j.label for j in jobs}
        st.selectbox("Watching", list(labels), format_func=labels.get, key=WATCHED_RUN)
    st.fragment(run_every=training.POLL_S if active else None)(_numbers)(job.id, active)
    st.fragment(run_every=CHART_EVERY_S if active else None)(_pictures)(job.id)


def _control(job_id: int, action: str) -> None:
    job = training.run_book().get(job_id)
    if job is not None:
        getattr(job, action)()


def _numbers(job_id: int, moving_at_render: tuple[tuple[int, str], ...]) -> None:
    if _moving(training.runs()) != moving_at_render:
        st.rerun()  # a run started, paused, resumed, finished or diverged: redraw the page, re-time the polls
    job = training.run_book().get(job_id)
    if job is None:
        return
    view = job.view()
    _status(view)
    _controls(view)
    _metrics(view)


def _pictures(job_id: int) -> None:
    job = training.run_book().get(job_id)
    if job is None:
        return
    _charts(job.view())
    st.subheader("Runs in this session")
    st.dataframe(training.run_table([j.view() for j in training.runs()]), hide_index=True,
                 key="train_run_table",
                 column_config={"Parameters": st.column_config.NumberColumn(format="localized"),
                                "Tokens/s": st.column_config.NumberColumn(format="localized")})


def _status(v: RunView) -> None:
    where = f"on {v.device}"
    if v.status == QUEUED:
        st.info(training.queue_message(v), icon="⏳")
    elif v.status == RUNNING:
        st.markdown(f":green-badge[● training] **{v.label}** {where}, {v.n_params:,} parameters")
    elif v.status == PAUSED:
        st.warning(f"**{v.label}** is paused at step {v.step:,}. Resume continues with the very next minibatch.",
                   icon="⏸")
    elif v.status == DONE:
        st.success(f"**{v.label}**: {v.message}", icon="✅")
    elif v.status == STOPPED:
        st.info(f"**{v.label}**: {v.message}", icon="⏹")
    elif v.status == DIVERGED:
        st.error(f"**{v.label}** diverged. {v.message}", icon="💥")
    elif v.status == FAILED:
        st.error(f"**{v.label}**: {v.message}", icon="🚫")


def _controls(v: RunView) -> None:
    row = st.container(horizontal=True)
    row.button("⏸ Pause", key="train_pause", on_click=_control, args=(v.id, "pause"),
               disabled=v.status not in (QUEUED, RUNNING))
    row.button("▶ Resume", key="train_resume", on_click=_control, args=(v.id, "resume"),
               disabled=v.status != PAUSED)
    row.button("⏹ Stop", key="train_stop", on_click=_control, args=(v.id, "stop"), disabled=not v.active)


def _metrics(v: RunView) -> None:
    last = v.last or {}
    epochs = v.train_config["epochs"]
    budget = v.train_config["max_seconds"]
    cols = st.columns(6)
    cols[0].metric("Step", f"{v.step:,}", help=f"About {v.total_steps:,} steps in all "
                   f"({v.steps_per_epoch:,} per epoch).")
    cols[1].metric("Epoch", f"{last.get('epoch', 0)} / {epochs:,}")
    cols[2].metric("Training perplexity", _num(v.train_ppl),
                   help="exp(average loss per character) over the last finished epoch, as d2l prints it; "
                        "before the first epoch ends, the last minibatch's.")
    cols[3].metric("Validation perplexity", _num(v.val_ppl),
                   help="On the held-out end of the text, at each epoch's end." if v.train_config["val_frac"]
                   else "No validation split: set one under Data.")
    cols[4].metric("Tokens / s", f"{v.tokens_per_s:,.0f}" if v.tokens_per_s else "—",
                   help="Characters trained on per second of wall-clock time over the last few seconds.")
    eta = training.fmt_duration(v.eta_s) if v.active else "—"
    cols[5].metric("Time left", eta, help="Minutes:seconds, estimated from the recent speed and the steps left"
                   + (f", within the time budget of {budget:g} s." if budget else "."))


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.2f}"


def _charts(v: RunView) -> None:
    rev = v.id  # keeps a viewer's zoom while the curves grow
    left, right = st.columns(2)
    left.plotly_chart(plots.loss_figure(v.history, revision=rev), key="train_chart_loss", theme=None)
    right.plotly_chart(plots.perplexity_figure(v.history, v.model_config["vocab_size"], revision=rev),
                       key="train_chart_ppl", theme=None)
    left, right = st.columns(2)
    left.plotly_chart(plots.grad_norm_figure(v.history, v.train_config["clip"], revision=rev),
                      key="train_chart_grad", theme=None)
    with right:
        st.markdown("##### What the model writes now")
        if v.sample_prefix:
            body = (f"<b style='color:#0072B2'>{html.escape(v.sample_prefix)}</b>"
                    f"{html.escape(v.sample) if v.sample else '…'}")
        else:
            body = "…"
        st.markdown(f"<div style=\"{_SAMPLE_CSS}\">{body}</div>", unsafe_allow_html=True)
        if v.sample_step:
            st.caption(f"Greedy continuation of the blue prefix after step {v.sample_step:,}; "
                       f"refreshed every {SAMPLE_EVERY_S:g} s while training.")
        else:
            st.caption("The first sample appears after the first step.")
