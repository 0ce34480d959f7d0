"""AppTest of the nn.LSTM shapes page: the shapes torch produces for the chosen settings, the gate-block figure, a
refusal for sizes too large, and the settings' round trip through the URL."""
import json

import pytest
from apptest_utils import APP, TIMEOUT, app_env, new_app, opened_at, set_widgets  # noqa: F401
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/shapes.py"
CONFIG = {"shapes_input_size": 5, "shapes_hidden_size": 3, "shapes_num_layers": 2, "shapes_bidirectional": True,
          "shapes_batch_first": True, "shapes_batch": 2, "shapes_seq_len": 4}


def table(at, first_column: str) -> dict[str, dict]:
    """The dataframe whose first column is ``first_column``, as {row name: {column: value}}."""
    df = next(d.value for d in at.dataframe if d.value.columns[0] == first_column)
    return {row[first_column]: row for row in df.to_dict("records")}


def test_default_settings_are_d2ls_character_model():
    at = new_app(PAGE)
    assert at.title[0].value == "📐 nn.LSTM shapes"
    tensors = table(at, "tensor")
    assert tensors["input"]["shape"] == "(35, 32, 28)" and tensors["input"]["axes"] == "(L, N, H_in)"
    assert tensors["output"]["shape"] == "(35, 32, 32)"
    assert at.metric[0].value == f"{4 * 32 * (28 + 32 + 2):,}"


def test_bidirectional_batch_first_two_layers():
    at = set_widgets(new_app(PAGE), CONFIG)
    assert not at.exception, at.exception
    tensors = table(at, "tensor")
    assert {n: r["shape"] for n, r in tensors.items()} == {
        "input": "(2, 4, 5)", "h_0": "(4, 2, 3)", "c_0": "(4, 2, 3)", "output": "(2, 4, 6)", "h_n": "(4, 2, 3)",
        "c_n": "(4, 2, 3)"}
    assert tensors["output"]["axes"] == "(N, L, D·H_out)" and tensors["h_n"]["axes"] == "(D·num_layers, N, H_out)"
    axes = table(at, "axis")
    assert axes["D·num_layers"]["size"] == 4 and axes["D·H_out"]["size"] == 6 and axes["N"]["size"] == 2
    weights = table(at, "parameter")
    assert len(weights) == 16
    assert weights["weight_ih_l1_reverse"]["shape"] == "(12, 6)" and weights["weight_ih_l1_reverse"]["direction"] == "reverse"
    assert weights["weight_ih_l0"]["gate blocks (rows)"] == "i 0–2 · f 3–5 · g 6–8 · o 9–11"
    assert any("batch_first = True puts N first" in c.value for c in at.caption)
    at = set_widgets(at, {"shapes_weight": "weight_ih_l1"})
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["title"]["text"].startswith("weight_ih_l1")
    assert len(fig["layout"]["annotations"]) == 4


def test_too_large_is_refused_with_a_message():
    at = set_widgets(new_app(PAGE), {"shapes_hidden_size": 5000, "shapes_input_size": 5000})
    assert not at.exception
    assert any("parameters" in e.value and "limit" in e.value for e in at.error)
    assert not at.dataframe


def test_proj_size_must_be_smaller_than_hidden_size():
    at = set_widgets(new_app(PAGE), {"shapes_proj_size": 40})
    assert not at.exception and any("proj_size must be smaller" in e.value for e in at.error)
    at = set_widgets(at, {"shapes_proj_size": 8})
    assert table(at, "parameter")["weight_hr_l0"]["shape"] == "(8, 32)"




def test_settings_round_trip_through_the_url():
    at = set_widgets(new_app(PAGE), {**CONFIG, "shapes_proj_size": 2})
    at = set_widgets(at, {"shapes_weight": "bias_hh_l1"})
    query = dict(at.query_params)
    assert query["shapes_hidden_size"] == "3" and query["shapes_bidirectional"] == "1"
    again = opened_at(PAGE, query)
    assert not again.exception, again.exception
    for key, value in {**CONFIG, "shapes_proj_size": 2, "shapes_weight": "bias_hh_l1"}.items():
        assert again.get_by_key(key).value == value, key
    assert table(again, "tensor")["output"]["shape"] == "(2, 4, 4)"


@pytest.mark.parametrize("name,value", [("shapes_hidden_size", "many"), ("shapes_weight", "weight_xx_l7"),
                                        ("shapes_batch_first", "maybe")])
def test_a_tampered_url_falls_back_with_a_note(name, value):
    at = opened_at(PAGE, {name: value})
    assert not at.exception, at.exception
    assert any(name in w.value for w in at.warning)
    assert at.get_by_key("shapes_hidden_size").value == 32 and at.get_by_key("shapes_num_layers").value == 1
    assert at.get_by_key("shapes_weight").value == "weight_ih_l0"


def test_an_out_of_range_url_value_is_not_used():
    """A number beyond the input's maximum: Streamlit's number_input puts back its minimum, and the note says so."""
    at = opened_at(PAGE, {"shapes_num_layers": "99"})
    assert not at.exception, at.exception
    assert at.get_by_key("shapes_num_layers").value == 1
    assert any("shapes_num_layers" in w.value for w in at.warning)
    assert table(at, "tensor")["h_n"]["shape"] == "(1, 32, 32)"
