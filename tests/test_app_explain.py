"""AppTest of the maths panels: one step's equations on the Hidden states and Gates pages for a chosen character and
unit (the very lines rnnviz.equations writes for the shipped model), chosen from the lists or by a click on a heatmap
cell, "what you are looking at" on every page, and the perplexity definition beside a perplexity."""
import pytest
from apptest_inside import click_cell, open_page, tiny_models  # noqa: F401
from apptest_utils import app_env  # noqa: F401

from rnnviz import i18n
from rnnviz.checkpoint import load_checkpoint
from rnnviz.equations import step_equations
from rnnviz.inspect import trace
from rnnviz.inspect_analysis import window
from rnnviz.inspect_plots import clicked_cell, hidden_heatmap
from ui import explain_text

pytestmark = pytest.mark.usefixtures("app_env", "tiny_models")


def _latex(at) -> list[str]:
    return [e.value.strip().removeprefix("$$").removesuffix("$$").strip() for e in at.get("latex")]


def _expected(path, text, t, unit, layer=0) -> list[str]:
    ckpt = load_checkpoint(path)
    tr = trace(ckpt.model, ckpt.vocab, text)
    return [ln.latex for ln in step_equations(ckpt.model, tr, t, layer, unit).lines]


@pytest.mark.parametrize("page, key, model, first", [
    ("pages/gates.py", "gates_step", "a-lstm", r"I_t = \sigma("),
    ("pages/hidden_states.py", "hidden_step", "b-gru", r"R_t = \sigma("),
    ("pages/hidden_states.py", "hidden_step", "c-scratch", r"H_t = \tanh("),
])
def test_step_panel_shows_the_chosen_character_and_unit_with_the_models_numbers(tiny_models, page, key, model,
                                                                                 first):
    at = open_page(page, model)
    assert any(e.label == i18n.t("explain.step.title") for e in at.expander)
    text = at.text_area(key="inside_text").value
    t_box, u_box = at.selectbox(key=f"{key}_t"), at.selectbox(key=f"{key}_unit")
    t, unit = t_box.options[5], u_box.options[2]  # labels as shown: "5: “…”", "unit 7"
    t_box.set_value(int(t.split(":")[0]))
    u_box.set_value(int(unit.split()[1])).run()
    assert not at.exception, at.exception
    t, unit = at.selectbox(key=f"{key}_t").value, at.selectbox(key=f"{key}_unit").value
    expected = _expected(tiny_models[model], text, t, unit)
    shown = _latex(at)
    assert expected[0].startswith(first)
    assert all(line in shown for line in expected), "every equation of the step, with these numbers, is shown"
    assert any(f"after reading “{text[t].replace(' ', '␣')}” (t = {t})" in m.value for m in at.markdown)
    # another unit: other numbers
    other = [u for u in at.selectbox(key=f"{key}_unit").options if int(u.split()[1]) != unit][0]
    at.selectbox(key=f"{key}_unit").set_value(int(other.split()[1])).run()
    assert not at.exception and _latex(at) != shown


def test_second_layer_of_a_bidirectional_lstm_reads_its_backward_units_from_t_plus_1(tiny_models):
    at = open_page("pages/gates.py", "e-bilstm")
    at.segmented_control(key="inside_layer").set_value(1).run()
    at.selectbox(key="gates_step_unit").set_value(8).run()  # 6 units per direction: 8 is ←2
    assert not at.exception, at.exception
    t = at.selectbox(key="gates_step_t").value
    expected = _expected(tiny_models["e-bilstm"], at.text_area(key="inside_text").value, t, 8, layer=1)
    assert all(line in _latex(at) for line in expected) and r"C_{t+1}" in "".join(expected)


def test_a_clicked_heatmap_cell_is_read_back_as_its_step_and_unit(tiny_models):
    """The mapping from st.plotly_chart's selection to (position t, unit), on a window of a text and a unit order
    other than 0, 1, 2 …: every marker of a clickable heatmap names its own cell."""
    ckpt = load_checkpoint(tiny_models["a-lstm"])
    tr = trace(ckpt.model, ckpt.vocab, "the time machine is a story")
    win = window(tr, 4, 16)
    units = [7, 2, 11]
    fig = hidden_heatmap(win, 0, units=units, clickable=True).to_dict()
    heat, markers = fig["data"]
    assert markers["marker"]["opacity"] == 0 and markers["showlegend"] is False  # invisible, not in the legend
    assert len(markers["customdata"]) == len(units) * win.num_steps
    for i, (x, y, data) in enumerate(zip(markers["x"], markers["y"], markers["customdata"])):
        step, unit = clicked_cell([{"curve_number": 1, "point_index": i, "x": x, "y": y, "customdata": data}])
        assert heat["x"].index(x) == step - 4 and heat["y"].index(y) == units.index(unit)
        assert data[2] == pytest.approx(float(tr.hidden[0, step, unit]))
    assert clicked_cell([]) is None and clicked_cell([{"curve_number": 0, "x": "3 t", "y": "unit 2"}]) is None
    assert hidden_heatmap(win, 0, units=units).to_dict()["data"][1:] == []  # not clickable: the heatmap alone


@pytest.mark.parametrize("page, chart, key, model", [
    ("pages/hidden_states.py", "hidden_heatmap", "hidden_step", "a-lstm"),
    ("pages/gates.py", "gates_heatmap", "gates_step", "b-gru"),
])
def test_a_click_on_a_heatmap_cell_opens_that_step(tiny_models, page, chart, key, model):
    at = open_page(page, model)
    text = at.text_area(key="inside_text").value
    unit = int(at.selectbox(key=f"{key}_unit").options[2].split()[1])  # "unit 7": the third row of the heatmap
    at = click_cell(at, chart, 9, unit)
    assert not at.exception, at.exception
    assert at.selectbox(key=f"{key}_t").value == 9 and at.selectbox(key=f"{key}_unit").value == unit
    assert [e for e in at.expander if e.label == i18n.t("explain.step.title")][0].proto.expanded
    expected = _expected(tiny_models[model], text, 9, unit)
    assert all(line in _latex(at) for line in expected)
    assert any("the cell you clicked" in c.value for c in at.caption)
    # the lists still work after a click, and the click's note goes with the clicked cell
    at.selectbox(key=f"{key}_t").set_value(10).run()
    assert not at.exception and at.selectbox(key=f"{key}_unit").value == unit
    assert not any("the cell you clicked" in c.value for c in at.caption)


@pytest.mark.parametrize("page, key", [("pages/hidden_states.py", "hidden_states"), ("pages/gates.py", "gates"),
                                       ("pages/text.py", "text"), ("pages/generate.py", "generate"),
                                       ("pages/gradients.py", "gradients")])
def test_every_page_has_a_collapsed_what_you_are_looking_at_panel(page, key):
    at = open_page(page)
    assert any(e.label == i18n.t("explain.panel_title") for e in at.expander)
    assert explain_text.formulas(key, "lstm")[0] in _latex(at)  # the default model is an LSTM
    assert any(explain_text.look_for(key) in m.value for m in at.markdown)


def test_generate_page_defines_perplexity_with_the_current_numbers():
    at = open_page("pages/generate.py")
    assert not at.exception
    popovers = [p for p in at.get("popover") if p.proto.popover.label == i18n.t("explain.perplexity.title")]
    assert popovers, "a perplexity definition beside the scores"
    latex = "".join(_latex(at))
    assert r"\log P(x_t \mid x_{<t})" in latex and r"= \exp(" in latex
    md = "\n".join(m.value for m in at.markdown)
    assert "1 is perfect" in md and "uniform baseline" in md and "∞ is the worst" in md
