"""AppTest of the Sequence models page (d2l 8.1): trained on open, every plot with its explanation, the controls,
the latent-variable comparison, and results remembered for the session."""
import base64
import json

import numpy as np
import pytest
from apptest_utils import app_env, new_app, opened_at, set_widgets  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/sequence_models.py"


def arr(v) -> list:
    """A trace's data as a list: plotly writes numpy arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return out.reshape(v["shape"]).tolist() if "shape" in v else out.tolist()
    return list(v)


def charts(at) -> dict[str, dict]:
    """Figure specs by title (the last one of a title wins)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"]: s for s in specs}


def metric(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(label)))


def test_the_d2l_experiment_runs_on_open_with_every_plot_explained():
    at = new_app(PAGE)
    assert not at.exception
    assert at.title[0].value.startswith("📈")
    figs = charts(at)
    assert list(figs) == ["Training loss", "The data", "1-step-ahead predictions",
                          "Multistep predictions from t = 605 on", "k-step-ahead predictions",
                          "k-step-ahead error grows with k"]
    assert all(f["layout"]["xaxis"]["title"]["text"] and f["layout"]["yaxis"]["title"]["text"] for f in figs.values())
    explanations = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(explanations) == 6 and any("errors compound" in e for e in explanations)
    one, far = metric(at, "1-step error"), metric(at, "64-step error")
    assert 0.04 < one < 0.07 and far > 3 * one  # d2l's shape: 1 step close to the noise floor, 64 steps far off
    assert metric(at, "Noise floor") == pytest.approx(0.04)
    table = at.dataframe[0].value
    assert list(table["prediction"]) == ["1-step", "multistep", "1-step", "4-step", "16-step", "64-step"]
    loss = figs["Training loss"]["data"][1]
    assert len(arr(loss["x"])) == 5  # one marker per epoch


def test_controls_change_the_experiment_and_results_are_remembered():
    at = new_app(PAGE)
    set_widgets(at, {"seq_noise": 0.0, "seq_epochs": 3, "seq_tau": 8})
    assert not at.exception
    figs = charts(at)
    assert len(arr(figs["Training loss"]["data"][1]["x"])) == 3
    assert "τ = 8" in figs["1-step-ahead predictions"]["layout"]["title"]["subtitle"]["text"]
    assert "Multistep predictions from t = 609 on" in figs  # n_train + τ + 1
    assert metric(at, "Noise floor") == 0.0 and metric(at, "1-step error") < 0.01
    memo = at.session_state["_memo"]
    assert sum(1 for k in memo if k[0] == "sequence") == 2  # d2l's defaults, then these settings
    set_widgets(at, {"seq_noise": 0.2, "seq_epochs": 5, "seq_tau": 4})  # back: remembered, not retrained
    assert sum(1 for k in memo if k[0] == "sequence") == 2 and not at.get("progress")


def test_the_latent_variable_model_stands_beside_the_mlp():
    at = new_app(PAGE)
    set_widgets(at, {"seq_compare": True})
    assert not at.exception
    figs = charts(at)
    errors = figs["k-step-ahead error grows with k"]["data"]
    assert [d["name"] for d in errors] == ["MLP on the last τ = 4 values", "GRU (latent state)"]
    subtitles = [json.loads(c.proto.spec)["layout"]["title"]["subtitle"]["text"] for c in at.get("plotly_chart")]
    assert len(subtitles) == 7 and any(s.startswith("GRU (latent state), its own predictions") for s in subtitles)
    assert "GRU (latent state)" in set(at.dataframe[0].value["model"])
    set_widgets(at, {"seq_latent": "rnn"})
    errors = charts(at)["k-step-ahead error grows with k"]["data"]
    assert errors[1]["name"] == "RNN (latent state)"


def test_a_setting_the_engine_refuses_is_a_message(monkeypatch):
    from rnnviz.models import ConfigError
    from rnnviz.sequence import SequenceConfig

    def refuse(self):
        raise ConfigError("T = 1000 is too short")

    monkeypatch.setattr(SequenceConfig, "validate", refuse)
    at = new_app(PAGE)
    assert not at.exception
    assert any("cannot run" in e.value and "too short" in e.value for e in at.error)
    assert not at.get("plotly_chart")


# ---------------------------------------------------------------- the URL, presentation mode, Chinese

SETTINGS = {"seq_noise": 0.1, "seq_tau": 8, "seq_n_train": 400, "seq_epochs": 2, "seq_seed": 5, "seq_lr": 0.005,
            "seq_hidden": 12, "seq_latent": "rnn", "seq_compare": False}




def test_settings_round_trip_through_the_url():
    at = new_app(PAGE)
    for name, value in SETTINGS.items():
        at.get_by_key(name).set_value(value)
    at.run()
    assert not at.exception
    query = dict(at.query_params)
    assert query["seq_tau"] in ("8", ["8"]) and query["seq_latent"] in ("rnn", ["rnn"])
    fresh = opened_at(PAGE, query)
    assert not fresh.exception and not fresh.warning
    for name, value in SETTINGS.items():
        assert fresh.get_by_key(name).value == value, name
    assert list(charts(fresh)) == list(charts(at)) and "Multistep predictions from t = 409 on" in charts(fresh)


def test_a_tampered_link_falls_back_with_a_note():
    at = opened_at(PAGE, {"seq_tau": "wide", "seq_latent": "lstm", "seq_noise": "5", "seq_epochs": "2"})
    assert not at.exception
    assert at.get_by_key("seq_tau").value == 4 and at.get_by_key("seq_latent").value == "gru"
    assert at.get_by_key("seq_noise").value == 0.2  # past the slider's end: the widget refused it
    notes = " ".join(w.value for w in at.warning)
    for name in ("seq_tau", "seq_latent", "seq_noise"):
        assert name in notes, name
    assert at.get_by_key("seq_epochs").value == 2 and "seq_epochs" not in notes


def test_presentation_mode_and_chinese():
    at = opened_at(PAGE, {"present": "1", "lang": "zh", "seq_epochs": "1"})
    assert not at.exception
    assert at.title[0].value == "📈 序列模型：预测带噪声的正弦"
    more = [e for e in at.expander if e.label == "更多设置"]
    assert {w.key for w in more[0].number_input} == {"seq_seed", "seq_lr", "seq_hidden"}
    assert "k步预测" in charts(at)
    assert list(at.dataframe[0].value.columns)[:2] == ["模型", "预测"]
