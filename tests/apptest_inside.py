"""Helpers for the AppTests of the Hidden states and Gates pages: tiny shipped models of every kind."""
from __future__ import annotations

import json

import pytest
import torch
from apptest_utils import AppTest, new_app

from rnnviz.checkpoint import save_checkpoint
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model

LOWER = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
RAW = Vocab(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ \n\"',.;:!?-_()"))

# stem -> (label, corpus kind, vocab, model settings); the first one (alphabetically) is the default model
MODELS = {
    "a-lstm": ("Tiny LSTM", "timemachine", LOWER, dict(kind="lstm", hidden_size=12)),
    "b-gru": ("Tiny GRU", "timemachine", LOWER, dict(kind="gru", hidden_size=10)),
    "c-scratch": ("Tiny scratch RNN", "timemachine", LOWER, dict(kind="scratch", hidden_size=10)),
    "d-relu": ("Tiny ReLU RNN", "timemachine", LOWER, dict(kind="rnn", hidden_size=6, nonlinearity="relu")),
    "e-bilstm": ("Tiny bidirectional LSTM", "timemachine", LOWER,
                 dict(kind="lstm", hidden_size=6, num_layers=2, bidirectional=True)),
    "f-raw": ("Tiny raw LSTM", "raw", RAW, dict(kind="lstm", hidden_size=12)),
    "g-own": ("Tiny LSTM on an own text", "user", LOWER, dict(kind="lstm", hidden_size=12)),
}


@pytest.fixture
def tiny_models(tmp_path, monkeypatch):
    """Every MODELS entry saved as a shipped checkpoint (random weights, scaled up so gates spread)."""
    from ui import inside, loaders
    paths = {}
    for i, (stem, (label, kind, vocab, settings)) in enumerate(MODELS.items()):
        torch.manual_seed(i)
        cfg = ModelConfig(vocab_size=len(vocab), **settings)
        model = build_model(cfg)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(3.0)
        paths[stem] = save_checkpoint(tmp_path / f"{stem}.pt", model, vocab, cfg,
                                      corpus={"label": label, "kind": kind, "newlines": kind == "raw"})
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: dict(paths))
    inside._trace.clear()
    yield paths
    inside._trace.clear()


def open_page(page: str, model: str | None = None) -> AppTest:
    at = new_app(page)
    if model is not None:
        at.sidebar.selectbox(key="sidebar_model").set_value(f"shipped:{model}").run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """The page's plotly charts by title (markup included), as specs."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["layout"]["title"]["text"]
        assert title, "every chart has a title"
        out[title] = spec
    return out


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def click_cell(at: AppTest, chart_key: str, step: int, unit: int) -> AppTest:
    """What the browser sends when a heatmap cell is clicked: the chart's selection, holding the invisible marker of
    cell (step, unit) that rnnviz.inspect_plots lays over a ``clickable`` heatmap. AppTest cannot click a chart, so
    the selection goes into the next run's widget states the way the frontend would put it there."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    chart = [c for c in at.get("plotly_chart") if c.proto.id.endswith(chart_key)][0]
    spec = json.loads(chart.proto.spec)
    curve, markers = next((i, d) for i, d in enumerate(spec["data"]) if d.get("customdata"))
    index = next(i for i, cd in enumerate(markers["customdata"]) if cd[:2] == [step, unit])
    point = {"curve_number": curve, "point_number": index, "point_index": index, "x": markers["x"][index],
             "y": markers["y"][index], "customdata": markers["customdata"][index]}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=chart.proto.id, string_value=json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}})))
    return at._run(states)
