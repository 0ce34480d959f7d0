"""Gates: the LSTM's input, forget and output gates, candidate and cell (the GRU's reset, update and candidate)
per character; one unit's gates as lines; how often gates saturate; how long the forget gate keeps memory."""
import streamlit as st

import ui
from rnnviz import inspect_analysis as ia
from rnnviz import inspect_analysis_plots as iap
from rnnviz import inspect_plots as ip
from ui import explain, inside

ui.ensure_app()

ORDERS = {"index": "unit number", "variance": "variance", "saturation": "how often saturated", "mean": "mean value"}
INTRO = {
    "lstm": "An LSTM unit has three gates between 0 (shut) and 1 (open) — **input** I<sub>t</sub> (how much of the "
            "candidate C̃<sub>t</sub> to write), **forget** F<sub>t</sub> (how much of the old cell to keep) and "
            "**output** O<sub>t</sub> (how much of the cell to show) — and a memory cell "
            "C<sub>t</sub> = F<sub>t</sub> ⊙ C<sub>t−1</sub> + I<sub>t</sub> ⊙ C̃<sub>t</sub>.",
    "gru": "A GRU unit has two gates between 0 and 1 — **reset** R<sub>t</sub> (how much of the old state the "
           "candidate H̃<sub>t</sub> may use) and **update** Z<sub>t</sub> (how much of the old state to keep): "
           "H<sub>t</sub> = Z<sub>t</sub> ⊙ H<sub>t−1</sub> + (1 − Z<sub>t</sub>) ⊙ H̃<sub>t</sub>.",
}

st.title("🚪 Gates: how the network decides what to keep")
follow = inside.follow_toggle(ui.active_model())


def page() -> None:
    active = inside.current_model()
    inside.model_caption(active)
    kind = active.config.kind
    if kind in INTRO:
        st.markdown(INTRO[kind], unsafe_allow_html=True)
    else:
        st.info("This model is a plain RNN: **it has no gates**. Every step rewrites its whole state, "
                "Hₜ = φ(XₜWₓₕ + Hₜ₋₁Wₕₕ + bₕ). Shown instead: the **pre-activation** inside φ and the hidden "
                "state. Pick an LSTM or a GRU in the sidebar to see gates.", icon="ℹ️")
    explain.what_you_see("gates", kind)
    text = inside.text_box(active)
    if text is None:
        return
    full = inside.traced(active, text)
    if full is None:
        return
    inside.flag_unknown(full)
    layer = inside.layer_picker(full)
    win = inside.window_picker(full)

    # ------------------------------------------------------------ one quantity, units × characters
    gated = kind in INTRO
    st.subheader("Each gate, character by character" if gated else "Inside each step, character by character")
    names = list(full.gate_names) + (["cell"] if full.cell is not None else []) + ["hidden"]
    ui.remember("gates_quantity", names[0], names)
    name = st.segmented_control("Show", names, key="gates_quantity", required=True, format_func=ip.plain_label)
    left, right = st.columns([3, 1])
    usable = [o for o in ORDERS if o != "saturation" or full.bounds(name) is not None]
    ui.remember("gates_order", "variance", usable)
    order = left.selectbox("Sort units by", usable, format_func=ORDERS.get, key="gates_order")
    if full.num_units > 8:
        inside.remember_number("gates_n_units", min(32, full.num_units), 1, full.num_units)
        shown = right.number_input("Units shown", 1, full.num_units, key="gates_n_units")
    else:
        shown = full.num_units
    units = full.unit_order(layer, order, name).tolist()
    st.plotly_chart(ip.gate_heatmap(win, name, layer, units=units[:shown], ordered_by=ORDERS[order]),
                    theme=None, key="gates_heatmap")
    bounds = full.bounds(name)
    scale = ("0 (shut, dark) to 1 (open, yellow)" if bounds == (0.0, 1.0) else
             "−1 (blue) to 1 (red)" if bounds else "a scale fitted to the values, 0 white")
    hint = {"lstm": "A forget-gate row that stays yellow is a unit that keeps its memory; an input-gate row that "
                    "lights up at spaces writes something at word boundaries.",
            "gru": "An update-gate row that stays yellow is a unit that keeps its state; a reset-gate row that goes "
                   "dark lets the candidate ignore the past."}.get(kind, "Where the pre-activation is far beyond ±2, "
                                                                  "tanh is flat: the unit is saturated.")
    st.caption(f"Colors run from {scale}. {hint}")
    explain.step_panel(active.model, full, layer, range(win.offset, win.offset + win.num_steps), units,
                       key="gates_step")

    # ------------------------------------------------------------ one unit as lines
    st.subheader("One unit, all its gates" if gated else "One unit, step by step")
    ui.remember("gates_unit", units[0], units)
    inside.reset_when("gates_unit", active.key, units[0])  # a new model starts from its first unit
    unit = st.selectbox("Unit (in the order above)", units, key="gates_unit",
                        format_func=lambda u: f"unit {full.unit_label(u)}")
    st.plotly_chart(ip.unit_lines(win, layer, unit, legend_only=("hidden", "candidate") if gated else ()),
                    theme=None, key="gates_lines")
    st.caption("Gates and bounded states on the left axis; unbounded ones (the cell, a pre-activation) dotted, on "
               "the right axis, with 0 at the same height. Click a name in the legend to show or hide its line"
               + (" (the hidden state and the candidate start hidden)." if gated else "."))

    # ------------------------------------------------------------ saturation
    st.subheader("How often gates saturate" if gated else "How often units saturate")
    sample = inside.sample_trace(active)
    src, where = (sample[0], f"{sample[0].num_steps:,} characters of {sample[1]}") if sample else (full, "this text")
    if not ia.saturation_quantities(src):
        st.info("This RNN uses ReLU, which has no upper limit: nothing in it saturates.")
    else:
        st.plotly_chart(iap.saturation_scatter(src), theme=None, key="gates_saturation")
        if gated:
            st.caption(f"Read over {where}. Each point is one unit's gate: across, the share of steps it is nearly "
                       "shut (< 0.1); up, nearly open (> 0.9). Points on the dotted diagonal are switches, always "
                       "one or the other; points near the corner (0, 0) are graded. In the LSTMs of Karpathy, "
                       "Johnson & Fei-Fei (2015), trained on large texts, some forget gates sat near the top-left "
                       "corner, nearly always open: units that remember for a long time. Compare this model.")
        else:
            st.caption(f"Read over {where}. Each point is one hidden unit: across, the share of steps its tanh is "
                       "below −0.9; up, above 0.9. A saturated tanh passes almost no gradient back (its slope is "
                       "near 0), one reason plain RNNs learn long dependencies badly.")

    # ------------------------------------------------------------ memory
    if not gated:
        return
    gate = ia.memory_gate(full)
    st.subheader("How long memory lasts")
    a0 = win.offset
    ui.remember("gates_memory_from", a0)
    inside.reset_when("gates_memory_from", active.key, a0)
    if not a0 <= st.session_state["gates_memory_from"] < a0 + win.num_steps:
        st.session_state["gates_memory_from"] = a0
    start = st.slider("Remember from the character at position", a0, a0 + win.num_steps - 1, key="gates_memory_from")
    kept = ia.memory_retention(full, layer, start)
    steps, lasted = ia.memory_span(kept)
    fwd = slice(0, full.hidden_size)
    median = int(steps[fwd].median())
    c1, c2, c3 = st.columns(3)
    c1.metric("Reading from", f"{start:,}: {ip.shown_char(text[start])!r}")
    c2.metric("Median unit keeps half for", f"{median:,} step{'s' if median != 1 else ''}",
              help=f"Steps after position {start} until ∏ {gate} falls below 50 % (→ units).")
    c3.metric("Units still holding half at the end", f"{int(lasted.sum()):,} of {full.num_units}",
              help="Their span is at least as long as the text allows us to see.")
    st.plotly_chart(iap.memory_heatmap(win, layer, start - a0), theme=None, key="gates_memory")
    st.plotly_chart(iap.memory_curves(full, layer, start, unit=unit), theme=None, key="gates_memory_curves")
    st.caption(f"What is in the cell at the chosen position reaches step t multiplied by every {gate} gate in "
               "between. Each factor is below 1, so the product only falls — a low-pass filter: the past fades, "
               "fast for units whose gate is often low, slowly for those whose gate stays near 1. (The candidate "
               "written later adds to the cell; this is only the share of the old content still carried.)")


inside.body(follow, page)
