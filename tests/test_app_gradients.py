"""AppTest of the Gradients page: the gradient through time of a fresh RNN at a chosen λ or of the active model,
RNN vs GRU vs LSTM, eigenvalues, clipping and truncated BPTT; bad input gets a message. Tiny shipped models."""
import base64
import json

import numpy as np
import pytest
import torch
from apptest_utils import APP, TIMEOUT, app_env, new_app, opened_at, set_widgets  # noqa: F401
from streamlit.testing.v1 import AppTest

from rnnviz.checkpoint import save_checkpoint
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/gradients.py"


def arr(v) -> list:
    """A trace's data as a list: plotly writes numpy arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return out.reshape(v["shape"]).tolist() if "shape" in v else out.tolist()
    return list(v)
LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
CHARTS = ["grad_curve", "grad_kinds_chart", "grad_eigenvalues", "grad_jacobian", "grad_clip_norms", "grad_clip_loss",
          "grad_segments", "grad_estimates", "grad_convergence"]


def _ship(tmp_path, monkeypatch, specs):
    from ui import loaders
    files = {}
    for i, (stem, cfg) in enumerate(specs.items()):
        torch.manual_seed(i)
        files[stem] = tmp_path / f"{stem}.pt"
        save_checkpoint(files[stem], build_model(cfg), LETTERS, cfg, corpus={"label": f"Tiny {stem}"})
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: dict(files))


@pytest.fixture(autouse=True)
def tiny_shipped(tmp_path, monkeypatch):
    """The checkpoints section 2 compares, tiny: an LSTM first (the default active model), a GRU, a scratch RNN."""
    V = len(LETTERS)
    _ship(tmp_path, monkeypatch, {"lstm": ModelConfig(kind="lstm", hidden_size=8, vocab_size=V),
                                  "gru": ModelConfig(kind="gru", hidden_size=8, vocab_size=V),
                                  "scratch-rnn": ModelConfig(kind="scratch", hidden_size=8, vocab_size=V)})


def spec(at, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if key in c.proto.id).proto.spec)


def chart_keys(at) -> list[str]:
    return [k for k in CHARTS if any(k in c.proto.id for c in at.get("plotly_chart"))]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_fresh_rnn_shows_every_section():
    at = new_app(PAGE)
    assert not at.exception
    assert at.title[0].value.startswith("📉")
    assert chart_keys(at) == CHARTS
    curve = spec(at, "grad_curve")
    assert curve["layout"]["yaxis"]["type"] == "log"
    assert [d["name"] for d in curve["data"]] == ["fresh RNN, λ = 0.9", "0.9^(T−k)"]
    assert [d["name"] for d in spec(at, "grad_kinds_chart")["data"]] == ["RNN", "GRU", "LSTM"]
    assert metric(at, "Spectral radius") == "0.900"
    eig = spec(at, "grad_eigenvalues")
    assert eig["layout"]["yaxis"]["scaleanchor"] == "x"  # a circle looks like a circle
    assert sum(len(arr(d["x"])) for d in eig["data"] if d["mode"] == "markers") == 32
    loss = spec(at, "grad_clip_loss")
    assert [d["name"] for d in loss["data"]] == ["without clipping", "clipped at θ = 1"]
    unclipped = [v for v in arr(loss["data"][0]["y"]) if v is not None]
    assert max(unclipped) > max(arr(loss["data"][1]["y"]))  # without clipping the loss is thrown up
    assert [arr(d["y"])[0] for d in spec(at, "grad_segments")["data"][:1]] == ["randomized truncation"]
    assert float(metric(at, "Mean of 100 draws")) < float(metric(at, "One random draw"))


@pytest.mark.parametrize("lam,vanishing", [(0.8, True), (1.2, False)])
def test_lambda_across_one_turns_vanishing_into_exploding(lam, vanishing):
    at = new_app(PAGE)
    set_widgets(at, {"grad_lambda": lam})
    assert not at.exception
    ratio = float(metric(at, "Gradient at T − k"))
    assert (ratio < 1e-3) if vanishing else (ratio > 1e3)
    assert ("it vanishes" if vanishing else "it explodes") in "".join(m.value for m in at.markdown)
    set_widgets(at, {"grad_phi": "tanh"})
    assert not at.exception and "**tanh.**" in "".join(m.value for m in at.markdown)


def test_active_model_shows_its_own_gates_and_the_trained_comparison():
    at = new_app(PAGE)
    set_widgets(at, {"grad_source": "active"})
    assert not at.exception
    assert "grad_jacobian" not in chart_keys(at)  # explicit Jacobians: the fresh scratch RNN only
    assert at.selectbox(key="grad_gate").options == ["input", "forget", "candidate", "output"]
    assert spec(at, "grad_eigenvalues")["layout"]["title"]["text"] == "Eigenvalues of W_hh, forget gate block"
    names = [d["name"] for d in spec(at, "grad_curve")["data"]]  # the active model's name, and its memory cell
    assert len(names) == 2 and names[1] == f"{names[0]} cell ‖∂ℓ/∂c_k‖"
    assert any(f"Active model: **{names[0]}**" in c.value for c in at.caption)
    set_widgets(at, {"grad_kinds": "trained"})
    assert [d["name"] for d in spec(at, "grad_kinds_chart")["data"]] == ["RNN (scratch)", "GRU", "LSTM"]
    assert "**After training**" in "".join(m.value for m in at.markdown)
    assert "truncated" not in " ".join(e.value for e in at.error)


def test_a_bidirectional_active_model_is_refused_with_a_message(tmp_path, monkeypatch):
    _ship(tmp_path, monkeypatch, {"bi": ModelConfig(kind="gru", hidden_size=4, vocab_size=len(LETTERS),
                                                    bidirectional=True)})
    at = new_app(PAGE)
    set_widgets(at, {"grad_source": "active"})
    assert not at.exception
    assert any("unidirectional" in e.value for e in at.error)


@pytest.mark.parametrize("values,kind,message", [
    ({"grad_text": "ab"}, "error", "at least three characters"),
    ({"grad_text": "The Time Machine!"}, "warning", "read as <unk>"),
])
def test_bad_text_gets_a_message(values, kind, message):
    at = new_app(PAGE)
    set_widgets(at, values)
    assert not at.exception
    assert any(message in m.value for m in getattr(at, kind))


def test_clipping_and_truncation_controls():
    at = new_app(PAGE)
    set_widgets(at, {"grad_theta": 0.1, "grad_clip_steps": 20, "grad_tau": 5, "grad_draws": 20})
    assert not at.exception
    norms = spec(at, "grad_clip_norms")
    assert max(arr(norms["data"][1]["y"])) <= 0.1 + 1e-6 and len(arr(norms["data"][1]["y"])) == 20
    conv = spec(at, "grad_convergence")
    assert len(arr(conv["data"][0]["x"])) == 20 and "τ = 5" in conv["data"][-1]["name"]


def test_without_a_text_to_train_on_the_clipping_section_says_so():
    at = new_app(PAGE)
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    assert not at.exception
    assert any("Pick a text" in i.value for i in at.info)
    assert "grad_segments" in chart_keys(at)




FRESH_SETTINGS = {"grad_lambda": 1.2, "grad_phi": "tanh", "grad_hidden": 16, "grad_seed": 3, "grad_kinds": "trained",
                  "grad_theta": 0.5, "grad_lr": 0.3, "grad_clip_steps": 20, "grad_tau": 5, "grad_draws": 20,
                  "grad_draw_seed": 7, "grad_text": "a short text about time"}


def test_fresh_settings_round_trip_through_the_url():
    at = set_widgets(new_app(PAGE), FRESH_SETTINGS)
    assert not at.exception, at.exception
    query = dict(at.query_params)
    assert query["grad_lambda"] == "1.2" and query["grad_phi"] == "tanh"
    fresh = opened_at(PAGE, query)
    assert not fresh.exception, fresh.exception
    assert {key: fresh.session_state[key] for key in FRESH_SETTINGS} == FRESH_SETTINGS
    assert [d["name"] for d in spec(fresh, "grad_curve")["data"]][0] == "fresh RNN, λ = 1.2"
    assert not fresh.warning


def test_active_model_and_gate_round_trip_through_the_url():
    at = set_widgets(new_app(PAGE), {"grad_source": "active"})
    at = set_widgets(at, {"grad_gate": "output"})
    fresh = opened_at(PAGE, dict(at.query_params))
    assert not fresh.exception, fresh.exception
    assert fresh.session_state["grad_source"] == "active" and fresh.session_state["grad_gate"] == "output"
    assert spec(fresh, "grad_eigenvalues")["layout"]["title"]["text"] == "Eigenvalues of W_hh, output gate block"


@pytest.mark.parametrize("name,value", [("grad_lambda", "steep"), ("grad_lambda", "9"), ("grad_phi", "sigmoid"),
                                        ("grad_theta", "0.3"), ("grad_source", "transformer"), ("grad_draws", "many")])
def test_a_tampered_url_falls_back_with_a_note(name, value):
    at = opened_at(PAGE, {name: value, "grad_tau": "6"})
    assert not at.exception, at.exception
    assert any(name in w.value for w in at.warning)
    assert at.session_state["grad_lambda"] == 0.9 and at.session_state["grad_phi"] == "identity"
    assert at.session_state["grad_theta"] == 1.0 and at.session_state["grad_source"] == "fresh"
    assert at.session_state["grad_tau"] == 6  # the valid parameters of the same link are kept
