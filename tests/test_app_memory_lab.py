"""AppTest of the Memory lab page: the task, its shape diagrams, three cells trained side by side, what the answer
depends on, and the sweep over T; an empty sweep gets a message. Short runs (100 steps, small T)."""
import json

import pytest
from apptest_utils import APP, TIMEOUT, new_app, opened_at, set_widgets
from streamlit.testing.v1 import AppTest

from ui import pages

PAGE = "pages/memory_lab.py"
ROW = pages.PageSpec("Gradients", PAGE, "Memory lab", "🧮", "memory_lab",
                     "Can an RNN, a GRU and an LSTM remember across T steps? Live training, a sweep over T.")


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """The page's registry row (ui/pages.py belongs to the app shell; a no-op once the row is there)."""
    if not any(p.file == PAGE for p in pages.PAGES):
        monkeypatch.setattr(pages, "PAGES", pages.PAGES + (ROW,))


def charts(at) -> dict[str, dict]:
    out = {}
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        title = spec["layout"].get("title", {}).get("text", "")
        out[title] = spec
    return out


def test_opens_with_the_shapes_and_an_empty_training_chart():
    at = new_app(PAGE)
    assert at.title[0].value.startswith("🧮 Memory lab")
    titles = charts(at)
    for shape in ("many-to-one", "many-to-many (equal)", "many-to-many (different)", "one-to-many"):
        assert shape in titles
    assert "Training: accuracy of each cell" in titles
    assert any("Press **▶ Train**" in i.value for i in at.info)


def test_train_shows_three_curves_metrics_saliency_and_forget_gates():
    at = new_app(PAGE)
    at = set_widgets(at, {"memory_T_agreement": 3, "memory_steps": 100})
    at.button(key="memory_train").click().run()
    assert not at.exception, at.exception
    titles = charts(at)
    curves = titles["Training: accuracy of each cell"]
    names = [d["name"] for d in curves["data"]]
    assert names[:3] == ["vanilla RNN", "GRU", "LSTM"]
    assert len([m for m in at.metric if "held-out accuracy" in m.label]) == 3
    assert "How much does the answer depend on each input?" in titles
    assert "LSTM forget gates F<sub>t</sub> along the sequence" in titles
    assert titles["LSTM forget gates F<sub>t</sub> along the sequence"]["layout"]["xaxis"]["title"]["text"] == "step t"


def test_sweep_plots_accuracy_against_T_and_an_empty_choice_is_refused():
    at = new_app(PAGE)
    at = set_widgets(at, {"memory_task": "echo", "memory_sweep_Ts": [], "memory_sweep_steps": 100})
    at.button(key="memory_sweep_run").click().run()
    assert not at.exception, at.exception
    assert any("at least one dependency length" in e.value for e in at.error)
    at = set_widgets(at, {"memory_sweep_Ts": [2, 5]})
    at.button(key="memory_sweep_run").click().run()
    assert not at.exception, at.exception
    sweep = next(s for t, s in charts(at).items() if t.startswith("Where does each cell break?"))
    assert [d["name"] for d in sweep["data"]][:3] == ["vanilla RNN", "GRU", "LSTM"]
    assert sweep["data"][0]["x"] == [2, 5]


@pytest.mark.parametrize("task", ["adding", "copy", "echo", "agreement"])
def test_every_task_opens(task):
    at = new_app(PAGE)
    at = set_widgets(at, {"memory_task": task})
    assert not at.exception, at.exception
    assert any(task != "agreement" or "cat" in c.value for c in at.code)




SETTINGS = {"memory_task": "copy", "memory_T_copy": 7, "memory_seed": 5, "memory_steps": 100, "memory_metric": "loss",
            "memory_sweep_Ts": [2, 5], "memory_sweep_steps": 100}


def test_settings_round_trip_through_the_url():
    at = set_widgets(new_app(PAGE), {"memory_task": "copy"})
    at = set_widgets(at, SETTINGS)
    assert not at.exception, at.exception
    query = dict(at.query_params)
    assert query["memory_task"] == "copy" and query["memory_T_copy"] == "7" and query["memory_sweep_Ts"] == ["2", "5"]
    fresh = opened_at(PAGE, query)
    assert not fresh.exception, fresh.exception
    assert {key: fresh.session_state[key] for key in SETTINGS} == SETTINGS
    assert "Training: loss of each cell" in charts(fresh)
    assert not fresh.warning


@pytest.mark.parametrize("name,value", [("memory_task", "parity"), ("memory_steps", "250"), ("memory_seed", "abc"),
                                        ("memory_sweep_Ts", "7"), ("memory_metric", "perplexity")])
def test_a_tampered_url_falls_back_with_a_note(name, value):
    at = opened_at(PAGE, {name: value, "memory_T_agreement": "12"})
    assert not at.exception, at.exception
    assert any(name in w.value for w in at.warning)
    assert at.session_state["memory_task"] == "agreement" and at.session_state["memory_steps"] == 300
    assert at.session_state["memory_seed"] == 0 and at.session_state["memory_metric"] == "accuracy"
    assert at.session_state["memory_T_agreement"] == 12
