"""nn.LSTM shapes: set the module's arguments and the input's size; torch builds and runs the module, and the page
shows the shape of every tensor and weight, what each axis means, and the four gate blocks stacked in each weight."""
import pandas as pd
import streamlit as st

import ui
from rnnviz.i18n import t
from rnnviz.lstm_shapes import (MAX_SIZE, LSTMSettings, ShapeError, axis_meaning, axis_size, gate_name,
                                lstm_shapes, tensor_meaning, torch_code)
from rnnviz.lstm_shapes_plots import gate_blocks_figure
from ui import charts, present

ui.ensure_app()

DEFAULTS = LSTMSettings()  # d2l's character model: 28 tokens, 32 hidden units, minibatches of 32 × 35
MAX_LAYERS = 16


@st.cache_data(max_entries=64, show_spinner=False)
def run_module(settings: LSTMSettings):
    return lstm_shapes(settings)


def number(where, name: str, low: int, high: int) -> int:
    """A number input for the setting ``name``, remembered (and in the URL) as shapes_<name>."""
    key = f"shapes_{name}"
    ui.remember(key, getattr(DEFAULTS, name))
    return int(where.number_input(t(f"shapes.{name}"), low, high, step=1, key=key, help=t(f"shapes.{name}_help")))


def switch(where, name: str) -> bool:
    key = f"shapes_{name}"
    ui.remember(key, getattr(DEFAULTS, name))
    return bool(where.toggle(t(f"shapes.{name}"), key=key, help=t(f"shapes.{name}_help")))


def shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


st.title(t("shapes.title"))
st.caption(t("shapes.intro"))

# ---------------------------------------------------------------- the settings
c1, c2, c3 = st.columns(3, gap="medium")
input_size = number(c1, "input_size", 1, MAX_SIZE)
hidden_size = number(c2, "hidden_size", 1, MAX_SIZE)
num_layers = number(c3, "num_layers", 1, MAX_LAYERS)
c1, c2, c3 = st.columns(3, gap="medium", vertical_alignment="bottom")
batch = number(c1, "batch", 1, MAX_SIZE)
seq_len = number(c2, "seq_len", 1, MAX_SIZE)
with c3:
    bidirectional = switch(st, "bidirectional")
    batch_first = switch(st, "batch_first")
with present.secondary():
    proj_size = number(st.columns(3, gap="medium")[0], "proj_size", 0, MAX_SIZE)

settings = LSTMSettings(input_size, hidden_size, num_layers, bidirectional, batch_first, batch, seq_len, proj_size)
try:
    res = run_module(settings)
except ShapeError as e:
    st.error(str(e), icon="🚫")
    st.stop()

st.code(torch_code(settings), language="python")
sizes = settings.sizes()
st.markdown(t("shapes.symbols", D=sizes["D"], N=sizes["N"], L=sizes["L"], H_in=sizes["H_in"],
              H_cell=sizes["H_cell"], H_out=sizes["H_out"], num_layers=sizes["num_layers"]))

# ---------------------------------------------------------------- 1. the tensors
st.header(t("shapes.tensors_header"))
st.dataframe(pd.DataFrame({
    t("shapes.col_tensor"): [x.name for x in res.tensors],
    t("shapes.col_shape"): [shape_text(x.shape) for x in res.tensors],
    t("shapes.col_axes"): ["(" + ", ".join(x.axes) + ")" for x in res.tensors],
    t("shapes.col_holds"): [tensor_meaning(x.name) for x in res.tensors],
}), hide_index=True, width="stretch")
st.caption(t("shapes.batch_first_note") if batch_first else t("shapes.seq_first_note"))
if bidirectional:
    st.caption(t("shapes.bidirectional_note", last=2 * num_layers - 1, forward=2 * num_layers - 2))
else:
    st.caption(t("shapes.unidirectional_note"))

axes = res.axes_used()
st.dataframe(pd.DataFrame({
    t("shapes.col_axis"): axes,
    t("shapes.col_size"): [axis_size(settings, a) for a in axes],
    t("shapes.col_meaning"): [axis_meaning(a) for a in axes],
}), hide_index=True, width="stretch")

# ---------------------------------------------------------------- 2. the weights
st.header(t("shapes.weights_header"))
st.metric(t("shapes.parameter_count"), f"{res.parameters:,}", help=t("shapes.parameter_count_help"))


def blocks_text(blocks) -> str:
    return " · ".join(f"{b.gate} {b.start}–{b.stop - 1}" for b in blocks) or "—"


st.dataframe(pd.DataFrame({
    t("shapes.col_parameter"): [w.name for w in res.weights],
    t("shapes.col_shape"): [shape_text(w.shape) for w in res.weights],
    t("shapes.col_axes"): ["(" + ", ".join(w.axes) + ")" for w in res.weights],
    t("shapes.col_layer"): [w.layer for w in res.weights],
    t("shapes.col_direction"): [t("shapes.reverse") if w.reverse else t("shapes.forward") for w in res.weights],
    t("shapes.col_blocks"): [blocks_text(w.blocks) for w in res.weights],
    t("shapes.col_numel"): [w.numel for w in res.weights],
}), hide_index=True, width="stretch")
st.caption(t("shapes.blocks_note", i=gate_name("i"), f=gate_name("f"), g=gate_name("g"), o=gate_name("o"),
             H=hidden_size))

# ---------------------------------------------------------------- 3. one weight, split into its gates
stacked = [w.name for w in res.weights if w.blocks]
left, right = st.columns([1, 3], gap="large")
ui.remember("shapes_weight", stacked[0], stacked)
name = left.selectbox(t("shapes.which_weight"), stacked, key="shapes_weight")
left.markdown(t("shapes.figure_note"))
charts.show(gate_blocks_figure(res, name), key="shapes_blocks", where=right)
