"""Query-string values → widget values (ui.urlstate), and a tampered link on a real page."""
from __future__ import annotations

import pytest
from apptest_utils import APP, TIMEOUT, app_env  # noqa: F401
from streamlit.testing.v1 import AppTest

from ui import urlstate


@pytest.mark.parametrize("raw, default, options, expected", [
    (["12"], 8, None, 12),
    (["0.25"], 1.0, None, 0.25),
    (["1"], False, None, True),
    (["off"], True, None, False),
    (["time traveller "], "", None, "time traveller "),
    (["top-k"], "greedy", ["greedy", "sample", "top-k"], "top-k"),
    (["5", "10", "40"], [5, 10], None, [5, 10, 40]),
    (["lstm", "gru"], ["lstm"], ["lstm", "gru", "rnn"], ["lstm", "gru"]),
    (["2", "9"], (1, 5), None, (2, 9)),
    (["3"], 1, [1, 2, 3], 3),
])
def test_values_parse_to_the_widgets_type(raw, default, options, expected):
    value = urlstate._parse(raw, default, options)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("raw, default, options", [
    (["twelve"], 8, None),
    (["nan"], 1.0, None),
    (["inf"], 1.0, None),
    (["maybe"], False, None),
    (["beam"], "greedy", ["greedy", "sample"]),
    (["lstm", "transformer"], ["lstm"], ["lstm", "gru"]),
    (["1", "2"], 8, None),
    (["x" * (urlstate.MAX_VALUE_CHARS + 1)], "", None),
])
def test_tampered_values_are_refused(raw, default, options):
    with pytest.raises((ValueError, TypeError)):
        urlstate._parse(raw, default, options)


def test_encoding_round_trips():
    for value in (True, False, 3, 0.05, "a b&c=d"):
        assert urlstate._parse([urlstate._encode_scalar(value)], value, None) == value


@pytest.mark.usefixtures("app_env")
def test_an_out_of_range_value_falls_back_and_the_rest_of_the_link_applies():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["gen_length"] = "99999"  # the slider stops at 1000: the widget itself refuses it
    at.query_params["gen_prefix"] = "the machine "
    at.query_params["gen_strategy"] = "beam"  # not an option
    at.switch_page("pages/generate.py")
    at.run()
    assert not at.exception
    assert at.slider(key="gen_length").value == 120 and at.text_input(key="gen_prefix").value == "the machine "
    notes = " ".join(w.value for w in at.warning)
    assert "gen_length" in notes and "gen_strategy" in notes and "gen_prefix" not in notes
    at.slider(key="gen_length").set_value(300).run()  # the user moves on: the stale link does not come back
    assert at.slider(key="gen_length").value == 300 and not at.exception
    assert dict(at.query_params)["gen_length"] in ("300", ["300"])


@pytest.mark.usefixtures("app_env")
def test_language_and_presentation_mode_from_the_url():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh"
    at.query_params["present"] = "1"
    at.switch_page("pages/home.py")
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "zh" and at.session_state["present"] is True
    assert any("演示" in b.label for b in at.button)  # the way out of presentation mode, in Chinese
