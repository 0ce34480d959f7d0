"""AppTest of the Generate page: one model or several side by side, decoding settings, the top-5 view, sentence
scores, unknown characters and bad input. Shipped models are replaced by tiny ones so every run is quick."""
import base64
import json

import numpy as np
import pytest
import torch
from apptest_downloads import downloads  # noqa: F401
from apptest_utils import APP, TIMEOUT, TINY, app_env, new_app, only_job, opened_at, set_widgets, wait_for  # noqa: F401
from streamlit.testing.v1 import AppTest

from rnnviz.checkpoint import save_checkpoint
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/generate.py"


def arr(v) -> list:
    """A trace's data as a list: plotly writes numpy arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return out.reshape(v["shape"]).tolist() if "shape" in v else out.tolist()
    return list(v)
LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz "))


@pytest.fixture(autouse=True)
def tiny_shipped(tmp_path, monkeypatch):
    """Two shipped checkpoints, a tiny GRU and a tiny LSTM on a–z and space, instead of checkpoints/."""
    from ui import loaders
    files = {}
    for i, kind in enumerate(("gru", "lstm")):
        torch.manual_seed(i)
        cfg = ModelConfig(kind=kind, hidden_size=8, vocab_size=len(LETTERS))
        files[f"tiny-{kind}"] = tmp_path / f"tiny-{kind}.pt"
        save_checkpoint(files[f"tiny-{kind}"], build_model(cfg), LETTERS, cfg, corpus={"label": f"Tiny {kind.upper()}"})
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: dict(files))


def generated(at) -> list[str]:
    """The generated-text blocks (HTML) in page order."""
    return [h.proto.body for h in at.get("html") if "rnnviz-generated" in h.proto.body]




def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_default_page_generates_with_the_active_model_and_scores_the_lecture_sentences():
    at = new_app(PAGE)
    assert not at.exception
    assert at.title[0].value.startswith("✍")
    assert at.multiselect(key="gen_models").value == ["shipped:tiny-gru"]
    blocks = generated(at)
    assert len(blocks) == 1 and "time traveller " in blocks[0] and blocks[0].count("title=") == 120
    assert any("Probability the model gave" in h.proto.body for h in at.get("html"))  # the colour key
    assert [h.value for h in at.markdown if h.value.startswith("####")] == ["#### Tiny GRU"]
    titles = chart_titles(at)
    assert "Character 1: the five most likely" in titles
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert len(arr(bars["y"])) == 5 and sum(arr(bars["x"])) <= 1.0 + 1e-9
    table = at.dataframe[0].value
    assert list(table["sentence"]) == ["the apple and pear salad", "the apple and pair salad"]
    assert (table["perplexity"] > 1).all() and (table["log-likelihood (nats)"] < 0).all()
    assert any("log P of each character" in t for t in titles)
    assert at.get("download_button")


def test_models_side_by_side_include_n_grams_of_the_text():
    at = new_app(PAGE)
    opts = at.multiselect(key="gen_models").options
    assert any("Trigram" in o for o in opts) and any("Tiny LSTM" in o for o in opts)
    set_widgets(at, {"gen_models": ["shipped:tiny-gru", "shipped:tiny-lstm", "ngram:3"]})
    assert not at.exception
    blocks = generated(at)
    assert len(blocks) == 3
    heads = [h.value for h in at.markdown if h.value.startswith("####")]
    assert heads == ["#### Tiny GRU", "#### Tiny LSTM", "#### Trigram of the text · counts"]
    assert len(at.dataframe[0].value) == 6  # 3 models × 2 sentences
    assert at.selectbox(key="gen_dist_model").options == heads_without_hashes(heads)
    set_widgets(at, {"gen_dist_model": "ngram:3", "gen_position": 7})
    dist = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]
    assert dist["text"] == "Character 7: the five most likely"
    assert dist["subtitle"]["text"].startswith("Trigram of the text · counts, after")


def heads_without_hashes(heads):
    return [h.removeprefix("#### ") for h in heads]


def test_the_comparison_follows_the_sidebar_until_more_models_are_picked():
    at = new_app(PAGE)
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:tiny-lstm").run()
    assert at.multiselect(key="gen_models").value == ["shipped:tiny-lstm"]
    set_widgets(at, {"gen_models": ["shipped:tiny-lstm", "ngram:2"]})
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:tiny-gru").run()
    assert at.multiselect(key="gen_models").value == ["shipped:tiny-lstm", "ngram:2"]  # a chosen set stays


def test_decoding_settings_and_the_seed():
    at = new_app(PAGE)
    greedy = generated(at)[0]
    assert at.slider(key="gen_temperature").disabled and at.number_input(key="gen_top_k").disabled
    set_widgets(at, {"gen_strategy": "sample"})
    assert not at.slider(key="gen_temperature").disabled
    set_widgets(at, {"gen_seed": 1})
    first = generated(at)[0]
    set_widgets(at, {"gen_seed": 2})
    second = generated(at)[0]
    set_widgets(at, {"gen_seed": 1})
    assert generated(at)[0] == first and first != second != greedy
    set_widgets(at, {"gen_strategy": "top-k"})
    assert not at.number_input(key="gen_top_k").disabled
    set_widgets(at, {"gen_top_k": 1})  # k = 1 is greedy
    assert generated(at)[0] == greedy
    set_widgets(at, {"gen_length": 0})
    assert not at.exception and generated(at)[0].count("title=") == 0
    assert not any(t.startswith("Character") for t in chart_titles(at))


def test_prefix_characters_outside_the_vocabulary_are_listed():
    at = new_app(PAGE)
    set_widgets(at, {"gen_prefix": "The Time-Traveller!"})
    assert not at.exception
    warning = next(w.value for w in at.warning if "vocabulary" in w.value)
    assert warning.startswith("5 characters of the prefix are not") and all(repr(c) in warning for c in "T-!")
    set_widgets(at, {"gen_sentences": "The apple\nthe apple"})
    assert any("'T'" in w.value and "<unk>" in w.value for w in at.warning)


@pytest.mark.parametrize("values,kind,message", [
    ({"gen_prefix": ""}, "error", "prefix is empty"),
    ({"gen_models": []}, "info", "at least one model"),
    ({"gen_sentences": "only one sentence"}, "warning", "at least two sentences"),
    ({"gen_sentences": "the pear\nx"}, "error", "at least two characters"),
])
def test_bad_input_gets_a_message_not_a_traceback(values, kind, message):
    at = new_app(PAGE)
    set_widgets(at, values)
    assert not at.exception
    assert any(message in m.value for m in getattr(at, kind)), [m.value for m in getattr(at, kind)]


def test_a_session_run_can_stand_beside_the_shipped_models():
    at = new_app("pages/train.py")
    set_widgets(at, {**TINY, "train_kind": "rnn"})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.switch_page(PAGE).run()
    key = f"run:{job.id}"
    assert any(o.startswith(job.label) for o in at.multiselect(key="gen_models").options)
    set_widgets(at, {"gen_models": ["shipped:tiny-lstm", key]})
    assert not at.exception
    heads = [h.value for h in at.markdown if h.value.startswith("####")]
    assert heads[0] == "#### Tiny LSTM" and heads[1].startswith(f"#### {job.label}") and "step" in heads[1]
    assert len(generated(at)) == 2


def test_decoding_settings_round_trip_through_the_url():
    at = new_app(PAGE)
    values = {"gen_models": ["shipped:tiny-lstm", "ngram:3"], "gen_prefix": "the machine ", "gen_strategy": "top-k",
              "gen_temperature": 0.7, "gen_top_k": 3, "gen_length": 50, "gen_seed": 4,
              "gen_sentences": "the time\nthe tame"}
    set_widgets(at, {"gen_strategy": "top-k"})  # temperature and k are enabled by a sampling strategy
    set_widgets(at, values)
    query = dict(at.query_params)
    assert query["gen_strategy"] in ("top-k", ["top-k"]) and "gen_temperature" in query
    fresh = opened_at(PAGE, query)
    assert not fresh.exception and not fresh.warning
    assert {key: fresh.get_by_key(key).value for key in values} == values
    assert generated(fresh) == generated(at)  # the same seed, the same text


@pytest.mark.parametrize("name,raw", [("gen_strategy", "beam"), ("gen_temperature", "hot"), ("gen_temperature", "9"),
                                      ("gen_length", "many"), ("gen_length", "5000"),
                                      ("gen_top_k", "1000")])
def test_a_tampered_link_falls_back_with_a_note(name, raw):
    at = opened_at(PAGE, {name: raw})
    assert not at.exception
    assert any(name in w.value for w in at.warning), [w.value for w in at.warning]
    expected = {"gen_strategy": "greedy", "gen_temperature": 1.0, "gen_top_k": 5, "gen_length": 120}[name]
    if name == "gen_top_k":  # a number box puts an out-of-range value at its nearest end itself
        expected = 1
    assert at.get_by_key(name).value == expected
    assert generated(at)


def test_the_generated_text_downloads_as_txt(downloads):  # noqa: F811
    at = new_app(PAGE)
    set_widgets(at, {"gen_models": ["shipped:tiny-gru", "shipped:tiny-lstm"], "gen_length": 30})
    button = next(b for b in at.get("download_button") if b.key == "gen_download")
    assert button.label == "💾 Download the generated text (.txt)"
    text = downloads(button).decode("utf-8")
    blocks = text.split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "# Tiny GRU · prefix 'time traveller ' · Greedy (most likely)",
        "# Tiny LSTM · prefix 'time traveller ' · Greedy (most likely)"]
    for block, html_block in zip(blocks, generated(at)):
        body = block.split("\n", 1)[1]
        assert body.startswith("time traveller ") and len(body) == len("time traveller ") + 30
        assert html_block.count("title=") == 30


def test_presentation_mode_tucks_the_seed_away():
    at = opened_at(PAGE, {"present": "1"})
    assert not at.exception
    tucked = [e for e in at.expander if e.label == "More controls"]
    assert tucked and tucked[0].number_input(key="gen_seed")
    assert at.slider(key="gen_temperature")  # the essential ones stay
