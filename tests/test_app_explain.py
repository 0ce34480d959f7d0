"""AppTest of the maths panels: one step's equations on the Hidden states and Gates pages for a chosen character and
unit (the very lines rnnviz.equations writes for the shipped model), "what you are looking at" on every page, and
the perplexity definition beside a perplexity."""
import pytest
from apptest_inside import open_page, tiny_models  # noqa: F401
from apptest_utils import app_env  # noqa: F401

from rnnviz.checkpoint import load_checkpoint
from rnnviz.equations import step_equations
from rnnviz.inspect import trace
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
    assert any(e.label == explain_text.STEP["title"] for e in at.expander)
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


@pytest.mark.parametrize("page, key", [("pages/hidden_states.py", "hidden_states"), ("pages/gates.py", "gates"),
                                       ("pages/text.py", "text"), ("pages/generate.py", "generate"),
                                       ("pages/gradients.py", "gradients")])
def test_every_page_has_a_collapsed_what_you_are_looking_at_panel(page, key):
    at = open_page(page)
    assert any(e.label == explain_text.PANEL_TITLE for e in at.expander)
    entry = explain_text.PAGES[key]
    formulas = entry["formulas"] if isinstance(entry["formulas"], list) else entry["formulas"]["lstm"]
    assert formulas[0] in _latex(at)
    assert any(entry["look_for"] in m.value for m in at.markdown)


def test_generate_page_defines_perplexity_with_the_current_numbers():
    at = open_page("pages/generate.py")
    assert not at.exception
    popovers = [p for p in at.get("popover") if p.proto.popover.label == explain_text.PERPLEXITY["title"]]
    assert popovers, "a perplexity definition beside the scores"
    latex = "".join(_latex(at))
    assert r"\log P(x_t \mid x_{<t})" in latex and r"= \exp(" in latex
    md = "\n".join(m.value for m in at.markdown)
    assert "1 is perfect" in md and "uniform baseline" in md and "∞ is the worst" in md
