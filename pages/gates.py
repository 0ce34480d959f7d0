"""Gates: the LSTM's input, forget and output gates, candidate and cell (the GRU's reset, update and candidate)
per character; one unit's gates as lines; how often gates saturate; how long the forget gate keeps memory."""
import streamlit as st

import ui
from rnnviz import inspect_analysis as ia
from rnnviz import inspect_analysis_plots as iap
from rnnviz import inspect_plots as ip
from rnnviz.i18n import has, t
from rnnviz.inspect import GATE_NAMES
from ui import charts, explain, inside, present

ui.ensure_app()

ORDERS = ("index", "variance", "saturation", "mean")  # named by rnnviz.inspect_plots.order_name


def of_kind(name: str, kind: str) -> str:
    """``gates.<name>_<kind>`` (the intro or hint written for this model kind), else ``gates.<name>``."""
    key = f"gates.{name}_{kind.replace('-', '_')}"
    return t(key) if has(key) else t(f"gates.{name}")


st.title(t("gates.title"))
follow = inside.follow_toggle(ui.active_model())


def page() -> None:
    active = inside.current_model()
    inside.model_caption(active)
    kind = active.config.kind
    gated = "preactivation" not in GATE_NAMES[kind]  # a plain RNN shows its pre-activation instead
    if gated:
        st.markdown(of_kind("intro", kind), unsafe_allow_html=True)
    else:
        st.info(t("gates.no_gates"), icon="ℹ️")
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
    st.subheader(t("gates.each_gate" if gated else "gates.each_step"))
    names = list(full.gate_names) + (["cell"] if full.cell is not None else []) + ["hidden"]
    ui.remember("gates_quantity", names[0], names)
    name = st.segmented_control(t("gates.show"), names, key="gates_quantity", required=True,
                                format_func=ip.plain_label)
    usable = [o for o in ORDERS if o != "saturation" or full.bounds(name) is not None]
    with present.secondary():
        left, right = st.columns([3, 1])
        ui.remember("gates_order", "variance", usable)
        order = left.selectbox(t("gates.sort"), usable, format_func=ip.order_name, key="gates_order")
        if full.num_units > 8:
            inside.remember_number("gates_n_units", min(32, full.num_units), 1, full.num_units)
            shown = right.number_input(t("gates.units_shown"), 1, full.num_units, key="gates_n_units")
        else:
            shown = full.num_units
    units = full.unit_order(layer, order, name).tolist()
    charts.show(ip.gate_heatmap(win, name, layer, units=units[:shown], ordered_by=ip.order_name(order),
                                clickable=True),
                key="gates_heatmap", **explain.click_to_pick("gates_heatmap", "gates_step"))
    bounds = full.bounds(name)
    scale = t("gates.scale_gate" if bounds == (0.0, 1.0) else "gates.scale_tanh" if bounds else "gates.scale_fitted")
    st.caption(t("gates.heatmap_caption", scale=scale, hint=of_kind("hint", kind)))
    explain.step_panel(active.model, full, layer, range(win.offset, win.offset + win.num_steps), units,
                       key="gates_step")

    # ------------------------------------------------------------ one unit as lines
    st.subheader(t("gates.one_unit_gated" if gated else "gates.one_unit"))
    inside.reset_when("gates_unit", active.key, units[0])  # a new model starts from its first unit
    ui.remember("gates_unit", units[0], units)  # after the reset, so that a unit in a newly opened link wins
    unit = st.selectbox(t("gates.unit"), units, key="gates_unit", format_func=lambda u: ip.unit_name(full, u))
    charts.show(ip.unit_lines(win, layer, unit, legend_only=("hidden", "candidate") if gated else ()),
                key="gates_lines")
    st.caption(t("gates.lines_caption_gated" if gated else "gates.lines_caption"))

    # ------------------------------------------------------------ saturation
    st.subheader(t("gates.saturate_gated" if gated else "gates.saturate"))
    sample = inside.sample_trace(active)
    if sample:
        src, where = sample[0], t("gates.in_sample", n=sample[0].num_steps, corpus=inside.data_html(sample[1]))
    else:
        src, where = full, t("gates.in_text")
    if not ia.saturation_quantities(src):
        st.info(t("gates.relu"))
    else:
        charts.show(iap.saturation_scatter(src), key="gates_saturation")
        st.caption(t("gates.saturation_caption_gated" if gated else "gates.saturation_caption", where=where),
                   unsafe_allow_html=True)

    # ------------------------------------------------------------ memory
    if not gated:
        return
    gate = ia.memory_gate(full)
    st.subheader(t("gates.memory"))
    a0 = win.offset
    inside.reset_when("gates_memory_from", active.key, a0)
    ui.remember("gates_memory_from", a0)  # after the reset, so that a position in a newly opened link wins
    if not a0 <= st.session_state["gates_memory_from"] < a0 + win.num_steps:
        st.session_state["gates_memory_from"] = a0
    start = st.slider(t("gates.memory_from"), a0, a0 + win.num_steps - 1, key="gates_memory_from")
    kept = ia.memory_retention(full, layer, start)
    steps, lasted = ia.memory_span(kept)
    fwd = slice(0, full.hidden_size)
    median = int(steps[fwd].median())
    c1, c2, c3 = st.columns(3)
    c1.metric(t("gates.reading_from"), f"{start:,}: {ip.shown_char(text[start])!r}")
    c2.metric(t("gates.median"), t("gates.steps_one" if median == 1 else "gates.steps_many", n=median),
              help=t("gates.median_help", start=start, gate=ip.plain_label(gate)))
    c3.metric(t("gates.holding"), t("gates.of_total", n=int(lasted.sum()), total=full.num_units),
              help=t("gates.holding_help"))
    charts.show(iap.memory_heatmap(win, layer, start - a0), key="gates_memory")
    charts.show(iap.memory_curves(full, layer, start, unit=unit), key="gates_memory_curves")
    st.caption(t("gates.memory_caption", gate=ip.plain_label(gate)))


inside.body(follow, page)
