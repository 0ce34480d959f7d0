"""AppTest of the Language statistics page: Zipf's law, d2l's tables, distinct n-grams, Laplace-smoothed n-gram
models beside the active neural model, and samples."""
import json

import pytest
from apptest_utils import TINY, app_env, new_app, only_job, opened_at, set_widgets, wait_for  # noqa: F401
from test_app_text import CHINESE, use_own_text

from ui import loaders

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/statistics.py"


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_book_words_zipf_tables_growth_and_models():
    at = new_app(PAGE)
    assert chart_titles(at) == ["Zipf's law: words, their pairs and triples",
                                "Longer n-grams: nearly all distinct, most seen only once",
                                "Held-out perplexity as ε varies (characters)"]
    m = metrics(at)
    assert m["Unigrams"] == "α = 1.04"  # ranks 10-1,000
    assert m["Unigrams"] != m["Bigrams"] != m["Trigrams"]
    # d2l 8.3's tables
    uni, bi, tri = (at.dataframe[i].value for i in range(3))
    assert uni.iloc[:3, 1:3].values.tolist() == [["the", 2261], ["i", 1267], ["and", 1245]]
    assert bi.iloc[0, 1:3].tolist() == ["of the", 309]
    assert tri.iloc[0, 1:3].tolist() == ["the time traveller", 59]
    # the char models on the shipped LSTM's own validation split, and the LSTM itself
    assert (m["Unigram perplexity"], m["Bigram perplexity"], m["Trigram perplexity"]) == ("17.06", "10.01", "6.95")
    ckpt = loaders.shipped_checkpoint("lstm")
    assert m["Neural model perplexity"] == f"{ckpt.metrics['val_ppl']:.2f}"
    assert any("own validation split" in c.value for c in at.caption)
    assert len(at.get("html")) == 4  # three n-gram samples and the LSTM's


def test_fitting_range_changes_alpha_and_r2():
    at = new_app(PAGE)
    before = metrics(at)["Unigrams"]
    at = set_widgets(at, {"stats_zipf_range": (1, 100)})
    assert not at.exception
    assert metrics(at)["Unigrams"] != before
    assert any("R² = " in c.value and "ranks 1–100" in c.value for c in at.caption)
    at = set_widgets(at, {"stats_level": "char"})  # 27 characters: the same range, clipped per order
    assert not at.exception and chart_titles(at)[0] == "Zipf's law: characters, their pairs and triples"


def test_zero_epsilon_is_infinite_and_said_in_words():
    at = new_app(PAGE)
    at = set_widgets(at, {"stats_eps3": 0.0})
    assert not at.exception
    assert metrics(at)["Trigram perplexity"] == "∞"
    assert any("Infinite perplexity" in w.value and "ε3 = 0" in w.value for w in at.warning)
    spec = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert any("∞" in (a.get("text") or "") for a in spec["layout"]["annotations"])


def test_word_models_are_not_compared_with_the_char_model():
    at = new_app(PAGE)
    at = set_widgets(at, {"stats_lm_level": "word", "stats_sample_len": 20})
    assert not at.exception
    assert "Neural model perplexity" not in metrics(at)
    assert any("per character" in i.value and "not comparable" in i.value for i in at.info)
    assert chart_titles(at)[2] == "Held-out perplexity as ε varies (words)"


def test_a_model_of_other_characters_is_not_compared():
    at = new_app(PAGE)
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:lstm-raw").run()
    assert not at.exception
    assert "Neural model perplexity" not in metrics(at)
    assert any("not comparable" in i.value and "never occur in this text" in i.value for i in at.info)
    assert len(at.get("html")) == 4  # its sample is still shown beside the n-grams'


def test_without_any_model(monkeypatch):
    monkeypatch.setattr(loaders, "shipped", lambda: {})
    at = new_app(PAGE)
    assert not at.exception
    assert any("No active model" in i.value for i in at.info)
    assert "Neural model perplexity" not in metrics(at)


def test_prefix_empty_or_with_unknown_characters():
    at = new_app(PAGE)
    at = set_widgets(at, {"stats_prefix": ""})
    assert not at.exception and any("Type a prefix" in c.value for c in at.caption)
    at = set_widgets(at, {"stats_prefix": "the Ωmega "})
    assert not at.exception
    assert any("read as <unk>" in c.value and "'Ω'" in c.value for c in at.caption)
    assert any("never seen" in h.proto.body for h in at.get("html"))


def test_chinese_text_by_characters():
    at = new_app(PAGE)
    use_own_text(at, CHINESE)
    assert any("few spaces" in i.value for i in at.info)
    at = set_widgets(at, {"stats_level": "char"})
    assert not at.exception
    assert "我们" in at.dataframe[1].value["bigram"].tolist()
    assert any("never seen" in i.value or "not comparable" in i.value for i in at.info)  # the book's LSTM
    assert metrics(at)["Trigram perplexity"] != "∞"


def test_one_word_text_is_too_short_to_hold_out():
    at = new_app(PAGE)
    use_own_text(at, "循环神经网络" * 40)  # no spaces: a single 'word'
    assert not at.exception
    assert any("too short for bigrams" in c.value for c in at.caption)
    at = set_widgets(at, {"stats_lm_level": "word"})
    assert not at.exception
    assert any("too short to hold" in w.value for w in at.warning)


def test_a_model_trained_in_this_session_on_its_own_split():
    at = new_app("pages/train.py")
    set_widgets(at, {**TINY, "train_val_frac": 0.1})  # LSTM, 16 units, the first 2,000 characters, 10% held out
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    at.sidebar.selectbox(key="sidebar_model").set_value(f"run:{job.id}").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("first 1,800 characters" in c.value and "last 200" in c.value and "active model's validation split"
               in c.value for c in at.caption)
    last_val = [r for r in job.view().history if r.get("val_ppl")][-1]["val_ppl"]
    assert metrics(at)["Neural model perplexity"] == f"{last_val:.2f}"  # the Train page's number


# ---------------------------------------------------------------- the URL, presentation mode, Chinese

SETTINGS = {"stats_level": "word", "stats_zipf_range": (1, 100), "stats_top_k": 20, "stats_max_n": 6,
            "stats_show_possible": True, "stats_lm_level": "char", "stats_eps1": 0.1, "stats_eps2": 10.0,
            "stats_eps3": 0.01, "stats_prefix": "the machine ", "stats_sample_len": 50, "stats_seed": 3}




def test_settings_round_trip_through_the_url():
    at = new_app(PAGE)
    for name, value in SETTINGS.items():
        at.get_by_key(name).set_value(value)
    at.run()
    assert not at.exception
    query = dict(at.query_params)
    assert query["stats_zipf_range"] == ["1", "100"] and query["stats_eps2"] in ("10.0", ["10.0"])
    fresh = opened_at(PAGE, query)
    assert not fresh.exception and not fresh.warning
    for name, value in SETTINGS.items():
        assert fresh.get_by_key(name).value == value, name
    assert metrics(fresh)["Unigrams"] == metrics(at)["Unigrams"]  # the same fit, from the link alone


def test_a_tampered_link_falls_back_with_a_note():
    at = opened_at(PAGE, {"stats_level": "sentence", "stats_zipf_range": ["1"], "stats_eps2": "0.5", "stats_top_k": "ten",
                    "stats_max_n": "4"})
    assert not at.exception
    assert at.get_by_key("stats_level").value == "word" and at.get_by_key("stats_zipf_range").value == (10, 1000)
    assert at.get_by_key("stats_eps2").value == 1.0 and at.get_by_key("stats_top_k").value == 10
    notes = " ".join(w.value for w in at.warning)
    for name in ("stats_level", "stats_zipf_range", "stats_eps2", "stats_top_k"):
        assert name in notes, name
    assert at.get_by_key("stats_max_n").value == 4 and "stats_max_n" not in notes


def test_a_range_that_is_not_among_the_ranks_falls_back():
    at = opened_at(PAGE, {"stats_zipf_range": ["3", "100"]})  # 3 is not one of the slider's ranks
    assert not at.exception
    assert at.get_by_key("stats_zipf_range").value == (10, 1000)
    assert any("stats_zipf_range" in w.value for w in at.warning)


def test_presentation_mode_tucks_the_secondary_controls_away():
    at = opened_at(PAGE, {"present": "1"})
    assert not at.exception
    tucked = [e for e in at.expander if e.label == "More controls"]
    assert {w.key for e in tucked for w in [*e.toggle, *e.number_input]} == {"stats_show_possible", "stats_seed"}
    assert len(at.get("plotly_chart")) == 3


def test_the_page_in_chinese():
    at = opened_at(PAGE, {"lang": "zh"})
    assert not at.exception
    assert at.title[0].value == "📊 语言统计"
    m = metrics(at)
    assert m["一元语法"] == "α = 1.04" and m["三元语法困惑度"] == "6.95"
    assert chart_titles(at)[0] == "齐普夫定律：单词、二元组与三元组"
    assert list(at.dataframe[1].value.columns) == ["排名", "二元语法", "次数", "占比"]
