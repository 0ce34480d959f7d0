"""Memory lab: synthetic tasks whose dependency length T is a slider; a vanilla RNN, a GRU and an LSTM learn the
same task side by side, a sweep over T shows where each one breaks, and the trained models show what their answer
depends on (input gradients, the LSTM's forget gates)."""
import streamlit as st
import torch

import ui
from rnnviz import memory_plots as mp
from rnnviz.i18n import t
from rnnviz.memory_lab import CELLS, MemoryRun, cell_name, forget_gates, input_saliency, predictions, sweep_stream
from rnnviz.memory_tasks import SHAPES, TASKS, TaskError, describe_example, shape_name, shape_text
from ui import charts, present

ui.ensure_app()

MAX_T = {"agreement": 200, "adding": 200, "copy": 100, "echo": 30}
DEFAULT_T = {"agreement": 20, "adding": 10, "copy": 5, "echo": 3}
CHUNK = 25  # steps between two redraws of the live chart
TRAIN_STEPS = (100, 300, 600, 1000)
SWEEP_TS = (2, 5, 10, 20, 40, 80, 160)
SWEEP_STEPS = (100, 300, 600)
RUNS_KEY = "memory_runs"  # {"settings": (task, T, seed), "runs": {cell: MemoryRun}}
SWEEP_KEY = "memory_sweep"  # {"settings": ..., "Ts": [...], "acc": {cell: [...]}, "steps": int}

st.title(t("memory_lab.title"))
st.caption(t("memory_lab.intro"))

# ---------------------------------------------------------------- the task and its shape
ui.remember("memory_task", "agreement", list(TASKS))
task_name = st.segmented_control(t("memory_lab.task"), list(TASKS), format_func=lambda n: TASKS[n].title,
                                 key="memory_task", required=True)
task = TASKS[task_name]
shape_cols = st.columns(len(SHAPES))
for col, shape in zip(shape_cols, SHAPES):
    charts.show(mp.shape_figure(shape, highlight=shape == task.shape), key=f"memory_shape_{shape}", where=col)
    text = t("memory_lab.shape_lm", text=shape_text(shape)) if shape == "one-to-many" else shape_text(shape)
    col.caption(t("memory_lab.this_task", text=text) if shape == task.shape else text)

c1, c2 = st.columns([3, 1], gap="large")
t_key = f"memory_T_{task_name}"
ui.remember(t_key, DEFAULT_T[task_name])
T = c1.slider(t("memory_lab.T"), 1 if task_name != "adding" else 2, MAX_T[task_name], key=t_key)
with c2, present.secondary():
    ui.remember("memory_seed", 0)
    seed = st.number_input(t("memory_lab.seed"), 0, 10_000, step=1, key="memory_seed")
st.markdown(t("memory_lab.task_story", title=task.title, shape=shape_name(task.shape), story=task.story))

example = task.batch(int(T), 1, torch.Generator().manual_seed(int(seed)))
shown_in, shown_out = describe_example(task, example)
st.code(t("memory_lab.example", input=shown_in[:160] + (" …" if len(shown_in) > 160 else ""), answer=shown_out),
        language=None)

# ---------------------------------------------------------------- 1. training side by side
st.header(t("memory_lab.train_header"))
settings = (task_name, int(T), int(seed))
book = st.session_state.get(RUNS_KEY)
if book is None or book["settings"] != settings:
    book = {"settings": settings, "runs": {c: MemoryRun(c, task_name, int(T), seed=int(seed)) for c in CELLS}}
    st.session_state[RUNS_KEY] = book
runs: dict[str, MemoryRun] = book["runs"]

b1, b2, b3 = st.columns([2, 1, 1], gap="medium", vertical_alignment="bottom")
ui.remember("memory_steps", 300, list(TRAIN_STEPS))
steps = b1.select_slider(t("memory_lab.steps"), TRAIN_STEPS, key="memory_steps")
b2.button(t("memory_lab.train"), key="memory_train", type="primary", width="stretch",
          on_click=lambda: st.session_state.update(memory_train_pending=True))
train = st.session_state.pop("memory_train_pending", False)
b3.button(t("memory_lab.reset"), key="memory_reset", width="stretch",
          on_click=lambda: st.session_state.update(memory_reset_pending=True))
if st.session_state.pop("memory_reset_pending", False):
    book["runs"] = runs = {c: MemoryRun(c, task_name, int(T), seed=int(seed)) for c in CELLS}

with present.secondary():
    ui.remember("memory_metric", "accuracy", ["accuracy", "loss"])
    metric = st.segmented_control(t("memory_lab.curve"), ["accuracy", "loss"], key="memory_metric", required=True,
                                  format_func=lambda m: t(f"memory_lab.curve_{m}"))
chart = st.empty()


def draw_curves() -> None:
    charts.show(mp.training_figure({c: r.history for c, r in runs.items()}, metric, task.chance, task.regression),
                key=f"memory_curves_{len(runs['lstm'].history)}", where=chart)


draw_curves()
if train:
    if runs["lstm"].step + steps > 5_000:
        st.warning(t("memory_lab.step_limit"), icon="⏹")
    else:
        bar = st.progress(0.0, text=t("memory_lab.training"))
        done = 0
        while done < steps:
            n = min(CHUNK, steps - done)
            for run in runs.values():
                run.advance(n)
            done += n
            bar.progress(done / steps, text=t("memory_lab.training_progress", done=done, steps=steps))
            draw_curves()
        bar.empty()

trained = runs["lstm"].step > 0
if trained:
    cols = st.columns(len(CELLS))
    for col, cell in zip(cols, CELLS):
        acc = runs[cell].evaluate()
        col.metric(t("memory_lab.held_out", cell=cell_name(cell)), f"{acc:.0%}",
                   delta=t("memory_lab.vs_chance", delta=f"{acc - task.chance:+.0%}"), delta_color="normal",
                   help=t("memory_lab.held_out_help"))
    st.caption(t("memory_lab.after_steps", steps=runs["lstm"].step, chance=f"{task.chance:.0%}"))
else:
    st.info(t("memory_lab.press_train"), icon="👆")

# ---------------------------------------------------------------- 2. what the answer depends on
st.header(t("memory_lab.depend_header"))
if not trained:
    st.info(t("memory_lab.train_first"), icon="⏳")
else:
    probe = task.batch(int(T), 1, torch.Generator().manual_seed(int(seed) + 777))
    probe_in, probe_out = describe_example(task, probe)
    saliency = {c: input_saliency(runs[c].model, task, probe) for c in CELLS}
    labels = list(probe_in) if task_name == "agreement" else None
    charts.show(mp.saliency_figure(saliency, probe.cues[0], labels), key="memory_saliency")
    answers = {c: predictions(runs[c].model, task, probe) for c in CELLS}

    def fmt(v):
        if task.regression:
            return ", ".join(f"{x:.2f}" for x in v)
        if task_name == "agreement":
            return ", ".join(t("memory_lab.answer_was") if x == 0 else t("memory_lab.answer_were") for x in v)
        return "".join(str(x) for x in v)

    st.caption(t("memory_lab.probe", example=probe_in[:120], answer=probe_out,
                 answers=" · ".join(f"{cell_name(c)} {fmt(answers[c])}" for c in CELLS)))
    charts.show(mp.forget_figure(forget_gates(runs["lstm"].model, probe), probe.cues[0]), key="memory_forget")
    st.caption(t("memory_lab.forget_note"))

# ---------------------------------------------------------------- 3. the sweep over T
st.header(t("memory_lab.sweep_header"))
s1, s2, s3 = st.columns([3, 2, 1], gap="medium", vertical_alignment="bottom")
ui.remember("memory_sweep_Ts", [5, 10, 20, 40, 80], list(SWEEP_TS))
Ts = s1.multiselect(t("memory_lab.sweep_Ts"), SWEEP_TS, key="memory_sweep_Ts")
ui.remember("memory_sweep_steps", 300, list(SWEEP_STEPS))
sweep_steps = s2.select_slider(t("memory_lab.sweep_steps"), SWEEP_STEPS, key="memory_sweep_steps")
s3.button(t("memory_lab.sweep_run"), key="memory_sweep_run", width="stretch",
          on_click=lambda: st.session_state.update(memory_sweep_pending=True))
go_sweep = st.session_state.pop("memory_sweep_pending", False)
Ts = sorted(int(t) for t in Ts if t <= MAX_T[task_name])
st.caption(t("memory_lab.sweep_cost", models=len(Ts) * len(CELLS), steps=sweep_steps))
sweep_settings = (task_name, tuple(Ts), int(sweep_steps), int(seed))
if go_sweep:
    if not Ts:
        st.error(t("memory_lab.sweep_empty", max_T=MAX_T[task_name]), icon="🚫")
    else:
        acc = {c: [None] * len(Ts) for c in CELLS}
        bar = st.progress(0.0, text=t("memory_lab.sweeping"))
        total = len(Ts) * len(CELLS)
        try:
            for done, p in enumerate(sweep_stream(task_name, Ts, int(sweep_steps), seed=int(seed)), 1):
                acc[p.cell][Ts.index(p.T)] = p.accuracy
                bar.progress(done / total, text=t("memory_lab.sweeping_progress", cell=cell_name(p.cell), T=p.T,
                                                  done=done, total=total))
        except TaskError as e:
            st.error(str(e), icon="🚫")
        else:
            st.session_state[SWEEP_KEY] = {"settings": sweep_settings, "Ts": Ts, "acc": acc,
                                           "steps": int(sweep_steps)}
        bar.empty()
result = st.session_state.get(SWEEP_KEY)
if result and result["settings"][0] == task_name:
    charts.show(mp.sweep_figure(result["Ts"], result["acc"], task.chance, result["steps"]), key="memory_sweep_chart")
    st.caption(t("memory_lab.sweep_note"))
else:
    st.info(t("memory_lab.press_sweep"), icon="📏")
