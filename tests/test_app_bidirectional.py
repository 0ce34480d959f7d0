"""The Bidirectional page (d2l 9.4) in AppTest, on the shipped bidirectional and unidirectional LSTMs."""
from __future__ import annotations

import pytest
from apptest_utils import APP, TIMEOUT, app_env, new_app, opened_at  # noqa: F401
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/bidirectional.py"


def _metrics(at) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(float(m.value) if m.value != "—" else float("nan"))
    return out




def test_the_page_shows_the_leak():
    at = new_app(PAGE)
    assert at.title[0].value.startswith("↔")
    assert at.selectbox(key="bi_model").value == "shipped:bilstm"
    assert at.selectbox(key="bi_reference").value == "shipped:lstm"
    m = _metrics(at)
    seen, causal = m["Perplexity, future visible"], m["Perplexity, as in generation"]
    assert seen[0] < 1.5 < causal[0]  # the bidirectional model: excellent with the answer, poor without
    assert seen[1] == pytest.approx(causal[1], rel=1e-3)  # the unidirectional one: the same either way
    assert m["Validation perplexity"][0] < 1.5
    assert len(at.get("plotly_chart")) == 2


def test_settings_round_trip_through_the_url():
    at = new_app(PAGE)
    at.text_input(key="bi_prefix").set_value("the machine ").run()
    at.text_input(key="bi_probe").set_value("it was a dark night").run()
    query = dict(at.query_params)
    assert query["bi_prefix"] in ("the machine ", ["the machine "]) and "bi_model" in query and "lang" in query
    fresh = opened_at(PAGE, query)
    assert not fresh.exception
    assert fresh.text_input(key="bi_prefix").value == "the machine "
    assert fresh.text_input(key="bi_probe").value == "it was a dark night"


def test_a_tampered_model_in_the_url_is_refused_with_a_note():
    at = opened_at(PAGE, {"bi_model": "shipped:../../etc/passwd"})
    assert not at.exception
    assert at.selectbox(key="bi_model").value == "shipped:bilstm"
    assert any("bi_model" in w.value for w in at.warning)
