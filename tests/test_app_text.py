"""AppTest of the Text to tokens page: the four preprocessing steps, the vocabulary, the minibatch views."""
import json

import pytest
from apptest_utils import app_env, new_app, opened_at, set_widgets  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/text.py"
CHINESE = "我们今天学习循环神经网络。循环神经网络可以处理序列，也可以生成文本。" * 8


def use_own_text(at, text: str, keep_case: bool = False):
    at.session_state["corpus_user"] = {"data": text.encode(), "name": "own.txt", "source_id": "test"}
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    if keep_case:
        at.sidebar.toggle(key="sidebar_keep_case").set_value(True).run()
    assert not at.exception, at.exception
    return at


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_first_line_of_the_book_goes_through_the_four_steps_as_in_d2l():
    at = new_app(PAGE)
    assert at.title[0].value.endswith("Text to tokens")
    raw, cleaned, indices = (c.value for c in at.code)
    assert raw == "The Time Machine, by H. G. Wells [1898]"
    assert cleaned == "the time machine by h g wells"
    assert indices == "[1, 19, 50, 40, 2183, 2184, 400]"  # d2l 8.2 prints these indices
    assert any("d2l rule" in c.value for c in at.caption)
    assert metric(at, "Vocabulary size") == "4,580"  # d2l: len(vocab) = 4580
    assert metric(at, "Share of the text that becomes <unk>") == "0.0%"
    frame = at.dataframe[0].value
    assert frame.iloc[1].tolist() == ["the", 1, 2261, False]


def test_line_picker_and_random_line():
    at = new_app(PAGE)
    at = set_widgets(at, {"text_line": 3221, "text_level": "char"})
    assert not at.exception
    at.button(key="text_another_line").click().run()
    assert not at.exception and at.number_input(key="text_line").value != 3221
    assert at.code[2].value.startswith("[")
    at = set_widgets(at, {"text_line": 2})  # an empty line of the book: no tokens, said so
    assert any("no tokens" in h.proto.body for h in at.get("html"))


def test_min_freq_reserved_tokens_and_unk():
    at = new_app(PAGE)
    at = set_widgets(at, {"text_min_freq": 3, "text_reserved": ["<pad>", "<bos>", "<eos>"]})
    assert not at.exception
    assert float(metric(at, "Share of the text that becomes <unk>").rstrip("%")) > 5
    frame = at.dataframe[0].value
    assert frame["token"].tolist()[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    assert frame["index"].tolist()[:5] == [0, 1, 2, 3, 4]
    at = set_widgets(at, {"text_only_unk": True})
    frame = at.dataframe[0].value
    assert len(frame) > 0 and frame["becomes <unk>"].all() and (frame["frequency"] < 3).all()
    at = set_widgets(at, {"text_min_freq": 1_000_000})
    assert not at.exception
    assert any("whole text becomes <unk>" in w.value for w in at.warning)
    assert metric(at, "Share of the text that becomes <unk>") == "100.0%"


def test_minibatches_show_which_rows_continue():
    at = new_app(PAGE)
    assert chart_titles(at) == ["Where in the text the rows come from"] * 2
    assert "4 of 4 rows continue" in at.success[0].value  # sequential, batch 2, 3 minibatches
    assert "0 of 4 rows continue" in at.info[0].value  # random
    html = [h.proto.body for h in at.get("html")]
    assert any("shaded: input X" in h for h in html)
    at = set_widgets(at, {"text_batch_size": 4, "text_num_steps": 10, "text_num_batches": 5, "text_level": "char"})
    assert not at.exception and "16 of 16 rows continue" in at.success[0].value


def test_tiny_own_text_too_short_for_the_minibatches():
    at = new_app(PAGE)
    use_own_text(at, "a tiny text of a few words, " * 10)  # 210 letters: just accepted
    at = set_widgets(at, {"text_batch_size": 8, "text_num_steps": 20})
    assert not at.exception
    assert sum("needs at least" in w.value for w in at.warning) == 2
    assert any("Lowercased" in c.value for c in at.caption)


def test_chinese_text_at_word_and_char_level():
    at = new_app(PAGE)
    use_own_text(at, CHINESE)
    assert any("few spaces" in i.value for i in at.info)
    at = set_widgets(at, {"text_level": "char"})
    assert not at.exception
    assert at.code[1].value.startswith("我们今天")
    assert "我" in at.dataframe[0].value["token"].tolist()
    assert "4 of 4 rows continue" in at.success[0].value


def test_kept_text_shows_line_breaks_and_no_cleaning():
    at = new_app(PAGE)
    use_own_text(at, "First Line, Here!\nSecond line?\n" * 12, keep_case=True)
    at = set_widgets(at, {"text_level": "char"})
    assert not at.exception
    assert at.code[0].value == at.code[1].value == "First Line, Here!"
    assert any("Kept as it is" in c.value for c in at.caption)
    assert "↵" in at.dataframe[0].value["token"].tolist()  # the line break is a token, shown


def test_asks_for_text_when_own_text_is_missing():
    at = new_app(PAGE)
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    assert not at.exception
    assert any("Upload a text file" in i.value for i in at.info)


def test_a_very_long_line_is_shown_in_part():
    at = new_app(PAGE)
    use_own_text(at, "word " * 3000)  # one line of 15,000 characters
    assert not at.exception
    raw, cleaned, indices = (c.value for c in at.code)
    assert raw.endswith("more characters)") and len(raw) < 2_100
    assert indices.endswith("and 2,500 more]")


# ---------------------------------------------------------------- the URL, presentation mode, Chinese



SETTINGS = {"text_level": "char", "text_min_freq": 3, "text_reserved": ["<pad>", "<eos>"], "text_line": 5,
            "text_only_unk": True, "text_batch_size": 4, "text_num_steps": 7, "text_num_batches": 4,
            "text_seed": 11}


def test_settings_round_trip_through_the_url():
    at = new_app(PAGE)
    for name, value in SETTINGS.items():
        at.get_by_key(name).set_value(value)
    at.run()
    assert not at.exception
    query = dict(at.query_params)
    assert query["text_level"] in ("char", ["char"]) and "lang" in query
    fresh = opened_at(PAGE, query)
    assert not fresh.exception and not fresh.warning  # nothing in the link was refused
    for name, value in SETTINGS.items():
        assert fresh.get_by_key(name).value == value, name


def test_a_tampered_link_falls_back_with_a_note():
    at = opened_at(PAGE, {"text_level": "sentence", "text_min_freq": "many", "text_reserved": ["<pad>", "<cls>"],
                    "text_num_steps": "12", "text_batch_size": "99"})
    assert not at.exception
    assert at.get_by_key("text_level").value == "word" and at.get_by_key("text_min_freq").value == 0
    assert at.get_by_key("text_reserved").value == [] and at.get_by_key("text_batch_size").value == 2
    notes = " ".join(w.value for w in at.warning)
    for name in ("text_level", "text_min_freq", "text_reserved", "text_batch_size"):
        assert name in notes, name
    assert at.get_by_key("text_num_steps").value == 12 and "text_num_steps" not in notes  # the valid rest applies


def test_presentation_mode_tucks_the_secondary_controls_away():
    at = opened_at(PAGE, {"present": "1"})
    assert not at.exception
    tucked = [e for e in at.expander if e.label == "More controls"]
    assert len(tucked) == 2
    keys = {w.key for e in tucked for w in [*e.toggle, *e.slider, *e.number_input]}
    assert keys == {"text_only_unk", "text_num_batches", "text_seed"}
    assert at.slider(key="text_batch_size").value == 2  # the essential ones stay in view


def test_the_page_in_chinese():
    at = opened_at(PAGE, {"lang": "zh"})
    assert not at.exception
    assert at.title[0].value == "🔤 文本到词元"
    assert at.metric[0].label == "词表大小" and at.metric[0].value == "4,580"
    assert list(at.dataframe[0].value.columns) == ["词元", "索引", "频率", "变成 <unk>"]
    assert "4 行中有 4 行接续" in at.success[0].value


def test_the_page_names_the_samplers_smallest_text():
    """The warning's number is what the samplers demand (rnnviz.batches)."""
    from rnnviz.data import CorpusError
    from rnnviz.text_views import minibatch_spans, sampler_min_tokens
    need = sampler_min_tokens(4, 5)
    for sampler in ("random", "sequential"):
        minibatch_spans(need, 4, 5, sampler)  # accepted, though the random offset may leave no whole minibatch
        with pytest.raises(CorpusError):
            minibatch_spans(need - 1, 4, 5, sampler)
