"""AppTest of the Gates page with tiny shipped models (LSTM, GRU, scratch and ReLU RNNs, a bidirectional 2-layer
LSTM, the peephole LSTM and the minimal GRU) and with a model being trained in the session, followed live."""
import pytest
import torch
from apptest_inside import LOWER, charts, open_page, texts, tiny_models  # noqa: F401
from apptest_utils import APP, AppTest, TIMEOUT, TINY, app_env, only_job, opened_at, set_widgets, wait_for  # noqa: F401

from rnnviz.checkpoint import save_checkpoint
from rnnviz.inspect_plots import plain_label
from rnnviz.models import ModelConfig, build_model

pytestmark = pytest.mark.usefixtures("app_env", "tiny_models")
PAGE = "pages/gates.py"


def _find(at, start):
    found = [t for t in charts(at) if t.startswith(start)]
    assert found, f"no chart titled {start!r} among {list(charts(at))}"
    return charts(at)[found[0]]


def test_lstm_shows_every_gate_unit_lines_saturation_and_memory():
    at = open_page(PAGE)
    assert at.title[0].value.startswith("🚪") and "forget" in at.markdown[0].value
    assert at.segmented_control(key="gates_quantity").options == ["input gate", "forget gate", "output gate",
                                                                  "candidate", "cell", "hidden state"]
    titles = list(charts(at))
    assert len(titles) == 5
    gate = _find(at, "input gate")
    assert (gate["data"][0]["zmin"], gate["data"][0]["zmax"]) == (0, 1)
    lines = _find(at, "Unit")
    assert [d["name"] for d in lines["data"]] == ["hidden state", "cell", "input gate", "forget gate", "output gate",
                                                  "candidate"]
    scatter = _find(at, "How often each unit saturates")
    assert [a["text"] for a in scatter["layout"]["annotations"]] == ["input gate", "forget gate", "output gate"]
    memory = _find(at, "How long memory lasts")
    assert "F<sub>s</sub>" in memory["layout"]["title"]["text"]
    assert _find(at, "How fast the past fades")["layout"]["yaxis"]["type"] == "log"
    labels = [m.label for m in at.metric]
    assert "Median unit keeps half for" in labels and not at.error and not at.warning


def test_choosing_a_gate_an_order_and_a_unit():
    at = open_page(PAGE)
    at.segmented_control(key="gates_quantity").set_value("forget").run()
    at.selectbox(key="gates_order").set_value("saturation").run()
    assert "forget gate" in list(charts(at))[0] and "how often saturated" in list(charts(at))[0]
    at.segmented_control(key="gates_quantity").set_value("cell").run()
    assert "saturation" not in at.selectbox(key="gates_order").options  # the cell is unbounded
    cell = _find(at, "cell")["data"][0]
    assert cell["zmid"] == 0 and cell["zmin"] == -cell["zmax"]
    at.selectbox(key="gates_unit").set_value(7).run()
    assert _find(at, "Unit 7 of layer 1")
    assert [d["name"] for d in _find(at, "How fast the past fades")["data"]][-1] == "unit 7"


def test_memory_from_a_chosen_position():
    at = open_page(PAGE)
    at.slider(key="gates_memory_from").set_value(10).run()
    assert not at.exception
    text = at.text_area(key="inside_text").value
    assert "position 10" in list(t for t in charts(at) if t.startswith("How long"))[0]
    assert any(m.value.startswith("10: ") and repr(text[10]) in m.value for m in at.metric)


def test_gru_has_reset_update_and_candidate_and_remembers_through_the_update_gate():
    at = open_page(PAGE, "b-gru")
    assert at.segmented_control(key="gates_quantity").options == ["reset gate", "update gate", "candidate",
                                                                  "hidden state"]
    assert "Z<sub>s</sub>" in _find(at, "How long memory lasts")["layout"]["title"]["text"]
    scatter = _find(at, "How often each unit saturates")
    assert [a["text"] for a in scatter["layout"]["annotations"]] == ["reset gate", "update gate"]


def test_plain_rnn_says_it_has_no_gates_and_shows_the_preactivation():
    at = open_page(PAGE, "c-scratch")
    assert any("has no gates" in i.value for i in at.info)
    assert at.segmented_control(key="gates_quantity").options == ["pre-activation", "hidden state"]
    titles = list(charts(at))
    assert titles[0].startswith("pre-activation") and not any(t.startswith("How long") for t in titles)
    scatter = _find(at, "How often each unit saturates")
    assert [a["text"] for a in scatter["layout"]["annotations"]] == ["hidden state"]
    assert any("tanh" in c.value for c in at.caption)


def test_relu_rnn_says_nothing_saturates():
    at = open_page(PAGE, "d-relu")
    assert any("nothing in it saturates" in i.value for i in at.info)
    assert not any(t.startswith("How often") for t in charts(at))


def test_bidirectional_two_layers_show_both_directions_per_layer():
    at = open_page(PAGE, "e-bilstm")
    at.segmented_control(key="inside_layer").set_value(1).run()
    titles = list(charts(at))
    assert "layer 2" in titles[0]
    assert any("←" in y for y in charts(at)[titles[0]]["data"][0]["y"])
    scatter = _find(at, "How often each unit saturates")
    assert {d["name"] for d in scatter["data"] if d["mode"] == "markers"} == {"layer 1", "layer 2"}
    assert "→ units" in _find(at, "How fast the past fades")["layout"]["title"]["text"]


def test_bad_texts_get_messages():
    at = open_page(PAGE)
    at.text_area(key="inside_text").set_value("").run()
    assert any("Type or paste" in i.value for i in at.info) and not at.get("plotly_chart")
    at.text_area(key="inside_text").set_value("x" * 100_000).run()
    assert any("100,000 characters" in w.value for w in at.warning) and not at.get("plotly_chart")
    at.text_area(key="inside_text").set_value("Ünïcode wörds").run()
    assert any("not in this model's vocabulary" in w.value for w in at.warning) and at.get("plotly_chart")
    assert not at.exception


def test_a_model_training_now_can_be_followed():
    at = open_page("pages/train.py")
    set_widgets(at, {**TINY, "train_epochs": 1})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: job.trainer.step_count > 0)
    at.sidebar.selectbox(key="sidebar_model").set_value(f"run:{job.id}").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    step_line = [c.value for c in at.caption if "step" in c.value and "training" in c.value]
    assert step_line, texts(at.caption)
    at.toggle(key="inside_follow").set_value(True).run()
    wait_for(at, lambda: not job.active)
    at.run()  # one poll of the fragment: the latest weights
    assert not at.exception and charts(at)
    assert f"step {job.view().step:,}" in texts(at.caption)


def test_without_a_corpus_saturation_is_read_over_the_text_itself():
    at = open_page(PAGE, "g-own")
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    assert not at.exception
    assert any(c.value.startswith("Read over this text") for c in at.caption)


@pytest.fixture
def cell_variants(tiny_models, tmp_path):
    """A peephole LSTM and a minimal GRU added to the tiny shipped models."""
    for i, (stem, label, kind) in enumerate([("h-peephole", "Tiny peephole LSTM", "lstm-peephole"),
                                             ("i-gru-min", "Tiny minimal GRU", "gru-min")]):
        torch.manual_seed(10 + i)
        cfg = ModelConfig(kind=kind, vocab_size=len(LOWER), hidden_size=10)
        model = build_model(cfg)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(3.0)
        tiny_models[stem] = save_checkpoint(tmp_path / f"{stem}.pt", model, LOWER, cfg,
                                            corpus={"label": label, "kind": "timemachine"})
    return tiny_models


@pytest.mark.parametrize("stem,names,memory", [
    ("h-peephole", ["input", "forget", "output", "candidate", "cell", "hidden"], "F<sub>s</sub>"),
    ("i-gru-min", ["update", "candidate", "hidden"], "Z<sub>s</sub>"),
])
def test_cell_variants_show_their_gates(cell_variants, stem, names, memory):
    at = open_page(PAGE, stem)
    assert not at.exception and not at.error
    assert at.segmented_control(key="gates_quantity").options == [plain_label(n) for n in names]
    assert memory in _find(at, "How long memory lasts")["layout"]["title"]["text"]
    scatter = _find(at, "How often each unit saturates")
    gates = [plain_label(n) for n in names if n in ("input", "forget", "output", "update")]
    assert [a["text"] for a in scatter["layout"]["annotations"]] == gates
    assert not any("has no gates" in i.value for i in at.info)
    latex = [e.value.strip("$\n") for e in at.get("latex")]  # the formula panel, then the step panel
    step = [line for line in latex if r") = \sigma(" in line or r") = \tanh(" in line]
    if stem == "h-peephole":
        assert "Gers & Schmidhuber" in at.markdown[0].value
        assert any(r"w_{ci} \odot C_{t-1}" in line for line in latex)
        assert [line.split(" = ")[0] for line in step] == ["I_t", "F_t", r"\tilde{C}_t", "O_t"]
        assert r"w_{co} \odot C_t + b_{o}) = \sigma(" in step[-1]
    else:
        assert "update" in at.markdown[0].value and not any("R_t" in line for line in latex)
        assert [line.split(" = ")[0] for line in step] == ["Z_t", r"\tilde{H}_t"]
    for name in names[1:]:  # every quantity can be shown
        at.segmented_control(key="gates_quantity").set_value(name).run()
        assert not at.exception and list(charts(at))[0].startswith(plain_label(name).split()[0])


LONG = "the time machine was a story of a man who travelled far into the future and came back to tell of it " * 3
SETTINGS = ("inside_text", "inside_layer", "inside_window", "gates_quantity", "gates_order", "gates_n_units",
            "gates_unit", "gates_memory_from", "gates_step_t", "gates_step_unit")




def test_settings_round_trip_through_the_url():
    at = open_page(PAGE, "e-bilstm")
    at.text_area(key="inside_text").set_value(LONG).run()
    at.segmented_control(key="inside_layer").set_value(1).run()
    at.slider(key="inside_window").set_value(20).run()
    at.segmented_control(key="gates_quantity").set_value("forget").run()
    at.selectbox(key="gates_order").set_value("mean").run()
    at.number_input(key="gates_n_units").set_value(10).run()
    at.selectbox(key="gates_unit").select_index(4).run()
    at.slider(key="gates_memory_from").set_value(30).run()
    at.selectbox(key="gates_step_t").set_value(40).run()
    at.selectbox(key="gates_step_unit").select_index(1).run()
    assert not at.exception, at.exception
    before = {key: at.session_state[key] for key in SETTINGS}
    query = dict(at.query_params)
    assert set(SETTINGS) <= set(query)
    fresh = opened_at(PAGE, query)
    assert not fresh.exception, fresh.exception
    assert {key: fresh.session_state[key] for key in SETTINGS} == before
    title = list(charts(fresh))[0]
    assert "forget gate" in title and "layer 2" in title and "mean value" in title and "10 of 12 units" in title
    assert not fresh.warning


def test_tampered_settings_in_the_url_fall_back_with_a_note():
    at = opened_at(PAGE, {"gates_quantity": "gravity", "gates_order": "random", "gates_unit": "-3",
                    "gates_memory_from": "start", "inside_layer": "2"})
    assert not at.exception, at.exception
    assert at.segmented_control(key="gates_quantity").value == "input"
    assert at.selectbox(key="gates_order").value == "variance"
    notes = texts(at.warning)
    for name in ("gates_quantity", "gates_order", "gates_unit", "gates_memory_from"):
        assert name in notes
