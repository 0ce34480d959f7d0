"""Memory lab: synthetic tasks whose dependency length T is a slider; a vanilla RNN, a GRU and an LSTM learn the
same task side by side, a sweep over T shows where each one breaks, and the trained models show what their answer
depends on (input gradients, the LSTM's forget gates)."""
import streamlit as st
import torch

import ui
from rnnviz import memory_plots as mp
from rnnviz.memory_lab import (CELL_NAMES, CELLS, MemoryRun, forget_gates, input_saliency, predictions,
                               sweep_stream)
from rnnviz.memory_tasks import SHAPES, TASKS, TaskError, describe_example

ui.ensure_app()

MAX_T = {"agreement": 200, "adding": 200, "copy": 100, "echo": 30}
DEFAULT_T = {"agreement": 20, "adding": 10, "copy": 5, "echo": 3}
CHUNK = 25  # steps between two redraws of the live chart
TRAIN_STEPS = (100, 300, 600, 1000)
SWEEP_TS = (2, 5, 10, 20, 40, 80, 160)
SWEEP_STEPS = (100, 300, 600)
RUNS_KEY = "memory_runs"  # {"settings": (task, T, seed), "runs": {cell: MemoryRun}}
SWEEP_KEY = "memory_sweep"  # {"settings": ..., "Ts": [...], "acc": {cell: [...]}, "steps": int}

st.title("🧮 Memory lab")
st.caption("The lecture claims a vanilla RNN cannot carry information far and that gates fix it (“The **cat**, which "
           "already ate …, **was** full” vs “The **cats** … **were** full”). Here you set how far, T, and watch "
           "three cells learn the same task.")

# ---------------------------------------------------------------- the task and its shape
ui.remember("memory_task", "agreement", list(TASKS))
task_name = st.segmented_control("Task", list(TASKS), format_func=lambda n: TASKS[n].title, key="memory_task",
                                 required=True)
task = TASKS[task_name]
shape_cols = st.columns(len(SHAPES))
for col, shape in zip(shape_cols, SHAPES):
    col.plotly_chart(mp.shape_figure(shape, highlight=shape == task.shape), theme=None, key=f"memory_shape_{shape}",
                     config={"displayModeBar": False, "staticPlot": True})
    col.caption(("**▲ this task** — " if shape == task.shape else "") + SHAPES[shape]
                + (" (what a language model does when it generates)" if shape == "one-to-many" else ""))

c1, c2 = st.columns([3, 1], gap="large")
t_key = f"memory_T_{task_name}"
ui.remember(t_key, DEFAULT_T[task_name])
T = c1.slider("Dependency length T (steps between the cue and the answer)", 1 if task_name != "adding" else 2,
              MAX_T[task_name], key=t_key)
ui.remember("memory_seed", 0)
seed = c2.number_input("Seed", 0, 10_000, step=1, key="memory_seed")
st.markdown(f"**{task.title}** — *{task.shape}*. {task.story}")

example = task.batch(int(T), 1, torch.Generator().manual_seed(int(seed)))
shown_in, shown_out = describe_example(task, example)
st.code(f"input:  {shown_in[:160]}{' …' if len(shown_in) > 160 else ''}\nanswer: {shown_out}", language=None)

# ---------------------------------------------------------------- 1. training side by side
st.header("1. Three cells, one task")
settings = (task_name, int(T), int(seed))
book = st.session_state.get(RUNS_KEY)
if book is None or book["settings"] != settings:
    book = {"settings": settings, "runs": {c: MemoryRun(c, task_name, int(T), seed=int(seed)) for c in CELLS}}
    st.session_state[RUNS_KEY] = book
runs: dict[str, MemoryRun] = book["runs"]

b1, b2, b3 = st.columns([2, 1, 1], gap="medium", vertical_alignment="bottom")
ui.remember("memory_steps", 300, list(TRAIN_STEPS))
steps = b1.select_slider("Steps to train per click (32 sequences each)", TRAIN_STEPS, key="memory_steps")
b2.button("▶ Train", key="memory_train", type="primary", use_container_width=True,
          on_click=lambda: st.session_state.update(memory_train_pending=True))
train = st.session_state.pop("memory_train_pending", False)
b3.button("↺ Reset", key="memory_reset", use_container_width=True,
          on_click=lambda: st.session_state.update(memory_reset_pending=True))
if st.session_state.pop("memory_reset_pending", False):
    book["runs"] = runs = {c: MemoryRun(c, task_name, int(T), seed=int(seed)) for c in CELLS}

ui.remember("memory_metric", "accuracy", ["accuracy", "loss"])
metric = st.segmented_control("Curve", ["accuracy", "loss"], key="memory_metric", required=True)
chart = st.empty()


def draw_curves() -> None:
    chart.plotly_chart(mp.training_figure({c: r.history for c, r in runs.items()}, metric, task.chance,
                                          task.regression), theme=None, key=f"memory_curves_{len(runs['lstm'].history)}")


draw_curves()
if train:
    if runs["lstm"].step + steps > 5_000:
        st.warning("These runs have reached 5,000 steps; press Reset to start over.", icon="⏹")
    else:
        bar = st.progress(0.0, text="Training…")
        done = 0
        while done < steps:
            n = min(CHUNK, steps - done)
            for run in runs.values():
                run.advance(n)
            done += n
            bar.progress(done / steps, text=f"Training… {done}/{steps} steps")
            draw_curves()
        bar.empty()

trained = runs["lstm"].step > 0
if trained:
    cols = st.columns(len(CELLS))
    for col, cell in zip(cols, CELLS):
        acc = runs[cell].evaluate()
        col.metric(f"{CELL_NAMES[cell]}: held-out accuracy", f"{acc:.0%}",
                   delta=f"{acc - task.chance:+.0%} vs chance", delta_color="normal",
                   help="256 fresh sequences, the same for every cell.")
    st.caption(f"After {runs['lstm'].step} steps. Chance is {task.chance:.0%}. Look for the cell whose curve stays "
               "on the dashed line: it never found the cue, because its gradient fades before reaching it.")
else:
    st.info("Press **▶ Train** to train the three cells on fresh batches of this task.", icon="👆")

# ---------------------------------------------------------------- 2. what the answer depends on
st.header("2. What does the answer depend on?")
if not trained:
    st.info("Train the cells first (section 1): a fresh model's gradients say nothing about the task.", icon="⏳")
else:
    probe = task.batch(int(T), 1, torch.Generator().manual_seed(int(seed) + 777))
    probe_in, probe_out = describe_example(task, probe)
    saliency = {c: input_saliency(runs[c].model, task, probe) for c in CELLS}
    labels = list(probe_in) if task_name == "agreement" else None
    st.plotly_chart(mp.saliency_figure(saliency, probe.cues[0], labels), theme=None, key="memory_saliency")
    answers = {c: predictions(runs[c].model, task, probe) for c in CELLS}

    def fmt(v):
        if task.regression:
            return ", ".join(f"{x:.2f}" for x in v)
        if task_name == "agreement":
            return ", ".join("a (was)" if x == 0 else "e (were)" for x in v)
        return "".join(str(x) for x in v)

    st.caption(f"One new example: `{probe_in[:120]}` → **{probe_out}**. Answers: "
               + " · ".join(f"{CELL_NAMES[c]} {fmt(answers[c])}" for c in CELLS)
               + ". Shaded: the inputs that decide the answer. How much a nudge to each input would move the answer: a cell "
                 "that carries the cue keeps a high value there; where the curve falls by orders of magnitude going "
                 "left, the gradient vanishes.")
    st.plotly_chart(mp.forget_figure(forget_gates(runs["lstm"].model, probe), probe.cues[0]), theme=None,
                    key="memory_forget")
    st.caption("The LSTM's forget gates (the same trace as the Gates page): yellow ≈ 1 keeps the memory cell as it "
               "is. Units that stay yellow across the delay are the ones carrying the cue (outlined) to the end.")

# ---------------------------------------------------------------- 3. the sweep over T
st.header("3. Where does each cell break?")
s1, s2, s3 = st.columns([3, 2, 1], gap="medium", vertical_alignment="bottom")
ui.remember("memory_sweep_Ts", [5, 10, 20, 40, 80])
Ts = s1.multiselect("Dependency lengths T", SWEEP_TS, key="memory_sweep_Ts")
ui.remember("memory_sweep_steps", 300, list(SWEEP_STEPS))
sweep_steps = s2.select_slider("Steps per run", SWEEP_STEPS, key="memory_sweep_steps")
s3.button("▶ Run sweep", key="memory_sweep_run", use_container_width=True,
          on_click=lambda: st.session_state.update(memory_sweep_pending=True))
go_sweep = st.session_state.pop("memory_sweep_pending", False)
Ts = sorted(int(t) for t in Ts if t <= MAX_T[task_name])
st.caption(f"{len(Ts) * len(CELLS)} fresh models, {sweep_steps} steps each. Agreement at 600 steps with five "
           "lengths takes about a minute here.")
sweep_settings = (task_name, tuple(Ts), int(sweep_steps), int(seed))
if go_sweep:
    if not Ts:
        st.error(f"Choose at least one dependency length T (at most {MAX_T[task_name]} for this task).", icon="🚫")
    else:
        acc = {c: [None] * len(Ts) for c in CELLS}
        bar = st.progress(0.0, text="Sweeping…")
        total = len(Ts) * len(CELLS)
        try:
            for done, p in enumerate(sweep_stream(task_name, Ts, int(sweep_steps), seed=int(seed)), 1):
                acc[p.cell][Ts.index(p.T)] = p.accuracy
                bar.progress(done / total, text=f"Sweeping… {CELL_NAMES[p.cell]} at T = {p.T} done ({done}/{total})")
        except TaskError as e:
            st.error(str(e), icon="🚫")
        else:
            st.session_state[SWEEP_KEY] = {"settings": sweep_settings, "Ts": Ts, "acc": acc,
                                           "steps": int(sweep_steps)}
        bar.empty()
result = st.session_state.get(SWEEP_KEY)
if result and result["settings"][0] == task_name:
    st.plotly_chart(mp.sweep_figure(result["Ts"], result["acc"], task.chance, result["steps"]), theme=None,
                    key="memory_sweep_chart")
    st.caption("Each point is a fresh model trained from scratch on that T and tested on 256 new sequences. The "
               "vanilla RNN drops to chance first; gates that start out remembering carry the cue much further.")
else:
    st.info("Press **▶ Run sweep** to train a fresh model per cell and length.", icon="📏")
