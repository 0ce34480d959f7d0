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
import math

import streamlit as st

from rnnviz import plots
from rnnviz.i18n import t

from . import charts, explain, training
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
        st.info(t("train_live.idle"), icon="👆")
        return
    if len(jobs) > 1:
        labels = {j.id: j.label for j in jobs}
        st.selectbox(t("train_live.watching"), list(labels), format_func=labels.get, key=WATCHED_RUN)
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
    st.subheader(t("train_live.table_heading"))
    table = training.run_table([j.view() for j in training.runs()])
    localized = st.column_config.NumberColumn(format="localized")
    st.dataframe(table, hide_index=True, key="train_run_table",
                 column_config={training.column("parameters"): localized, training.column("tokens_s"): localized})
    st.download_button(t("train_live.table_csv"), data=table.to_csv(index=False), file_name="rnnviz-runs.csv",
                       mime="text/csv", key="train_table_csv", on_click="ignore", help=t("train_live.table_csv_help"))


def _status(v: RunView) -> None:
    if v.status == QUEUED:
        st.info(training.queue_message(v), icon="⏳")
    elif v.status == RUNNING:
        st.markdown(t("train_live.running", label=v.label, device=v.device, params=v.n_params))
    elif v.status == PAUSED:
        st.warning(t("train_live.paused", label=v.label, step=v.step), icon="⏸")
    elif v.status == DONE:
        st.success(t("train_live.ended", label=v.label, message=v.message), icon="✅")
    elif v.status == STOPPED:
        st.info(t("train_live.ended", label=v.label, message=v.message), icon="⏹")
    elif v.status == DIVERGED:
        st.error(t("train_live.diverged", label=v.label, message=v.message), icon="💥")
    elif v.status == FAILED:
        st.error(t("train_live.ended", label=v.label, message=v.message), icon="🚫")


def _controls(v: RunView) -> None:
    row = st.container(horizontal=True)
    row.button(t("train_live.pause"), key="train_pause", on_click=_control, args=(v.id, "pause"),
               disabled=v.status not in (QUEUED, RUNNING))
    row.button(t("train_live.resume"), key="train_resume", on_click=_control, args=(v.id, "resume"),
               disabled=v.status != PAUSED)
    row.button(t("train_live.stop"), key="train_stop", on_click=_control, args=(v.id, "stop"), disabled=not v.active)


def _metrics(v: RunView) -> None:
    last = v.last or {}
    epochs = v.train_config["epochs"]
    budget = v.train_config["max_seconds"]
    cols = st.columns(6)
    cols[0].metric(t("train_live.step"), f"{v.step:,}",
                   help=t("train_live.step_help", total=v.total_steps, per_epoch=v.steps_per_epoch))
    cols[1].metric(t("train_live.epoch"), f"{last.get('epoch', 0)} / {epochs:,}")
    cols[2].metric(t("train_live.train_ppl"), _num(v.train_ppl), help=t("train_live.train_ppl_help"))
    cols[3].metric(t("train_live.val_ppl"), _num(v.val_ppl),
                   help=t("train_live.val_ppl_help" if v.train_config["val_frac"] else "train_live.val_ppl_none"))
    vocab_size = v.model_config["vocab_size"]
    for col, ppl in ((cols[2], v.train_ppl), (cols[3], v.val_ppl)):
        if ppl is not None:
            with col:  # the definition, with this run's number plugged in
                explain.perplexity_help(ppl, math.log(ppl), vocab_size)
    cols[4].metric(t("train_live.tokens_s"), f"{v.tokens_per_s:,.0f}" if v.tokens_per_s else "—",
                   help=t("train_live.tokens_s_help"))
    eta = training.fmt_duration(v.eta_s) if v.active else "—"
    cols[5].metric(t("train_live.eta"), eta, help=t("train_live.eta_budget_help", budget=budget) if budget
                   else t("train_live.eta_help"))


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.2f}"


def _charts(v: RunView) -> None:
    rev = v.id  # keeps a viewer's zoom while the curves grow
    left, right = st.columns(2)
    charts.show(plots.loss_figure(v.history, revision=rev), key="train_chart_loss", where=left)
    charts.show(plots.perplexity_figure(v.history, v.model_config["vocab_size"], revision=rev),
                key="train_chart_ppl", where=right)
    left, right = st.columns(2)
    charts.show(plots.grad_norm_figure(v.history, v.train_config["clip"], revision=rev), key="train_chart_grad",
                where=left)
    with right:
        st.markdown(t("train_live.sample_heading"))
        if v.sample_prefix:
            body = (f"<b style='color:#0072B2'>{html.escape(v.sample_prefix)}</b>"
                    f"{html.escape(v.sample) if v.sample else '…'}")
        else:
            body = "…"
        st.markdown(f"<div class=\"rnnviz-data\" style=\"{_SAMPLE_CSS}\">{body}</div>", unsafe_allow_html=True)
        if v.sample_step:
            st.caption(t("train_live.sample_caption", step=v.sample_step, every=SAMPLE_EVERY_S))
        else:
            st.caption(t("train_live.sample_waiting"))
