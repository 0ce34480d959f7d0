"""AppTest of the Hidden states page with tiny shipped models: heatmap and sorting, one unit's colors, select and
match, PCA, and every kind of bad text answered with a message."""
import pytest
from apptest_inside import charts, open_page, texts, tiny_models  # noqa: F401
from apptest_utils import APP, AppTest, TIMEOUT, app_env, opened_at  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env", "tiny_models")
PAGE = "pages/hidden_states.py"


def _titles(at):
    return list(charts(at))


def test_default_page_shows_heatmap_colored_text_selection_matches_and_pca():
    at = open_page(PAGE)
    assert at.title[0].value.startswith("🧠")
    text = at.text_area(key="inside_text").value
    assert text.startswith("the time traveller") and set(text) <= set("abcdefghijklmnopqrstuvwxyz ")
    titles = _titles(at)
    assert len(titles) == 3
    assert titles[0].startswith("hidden state") and "12 of 12 units" in titles[0] and "variance" in titles[0]
    assert "most active on" in titles[1] and titles[2].startswith("Where H")
    heat = charts(at)[titles[0]]
    assert heat["layout"]["xaxis"]["title"]["text"] and heat["layout"]["yaxis"]["title"]["text"]
    assert heat["layout"]["xaxis"]["ticktext"][:3] == ["t", "h", "e"]
    html = texts(at.markdown)
    assert html.count("<span style=\"background-color") >= 80 and "title=\"position 0" in html  # colored text
    assert "strength" in html and "<mark" in html  # matches in the corpus sample
    assert "Tiny LSTM" in texts(at.caption)
    assert not at.error and not at.warning


def test_units_sorted_by_correlation_with_a_feature():
    at = open_page(PAGE)
    at.segmented_control(key="hidden_sort").set_value("feature").run()
    at.selectbox(key="hidden_feature").set_value("space").run()
    assert not at.exception
    title = _titles(at)[0]
    assert "|r| with “is a space or line break”" in title
    assert all("r = " in label for label in at.selectbox(key="hidden_unit").options)


def test_a_feature_the_text_lacks_is_explained_and_sorting_falls_back():
    at = open_page(PAGE)
    at.segmented_control(key="hidden_sort").set_value("feature").run()
    at.selectbox(key="hidden_feature").set_value("quotes").run()
    assert any('no "' in w.value for w in at.warning)
    assert "variance" in _titles(at)[0]


def test_picking_a_unit_recolors_the_text():
    at = open_page(PAGE)
    unit = at.selectbox(key="hidden_unit")
    first, second = (int(label.split()[1]) for label in unit.options[:2])
    assert unit.value == first  # the most varying unit
    before = texts(at.markdown)
    at.selectbox(key="hidden_unit").set_value(second).run()
    assert not at.exception and at.selectbox(key="hidden_unit").value == second
    assert any(f"unit {second}'s value" in c.value for c in at.caption) and texts(at.markdown) != before


def test_selecting_a_span_picks_units_and_an_empty_span_asks_for_more():
    at = open_page(PAGE)
    at.slider(key="hidden_span").set_range(4, 8).run()
    assert not at.exception
    sel = [t for t in _titles(at) if "most active on" in t][0]
    assert "“time”" in sel
    at.number_input(key="hidden_k").set_value(3).run()
    heat = [s for t, s in charts(at).items() if "most active" in t][0]
    assert len(heat["data"][0]["y"]) == 3 and heat["layout"]["shapes"]
    at.slider(key="hidden_span").set_range(6, 6).run()
    assert any("at least one character" in i.value for i in at.info)


def test_empty_text_gets_a_message_and_no_charts():
    at = open_page(PAGE)
    at.text_area(key="inside_text").set_value("").run()
    assert not at.exception and any("Type or paste" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_a_100000_character_text_is_refused_with_an_offer_to_read_the_start():
    at = open_page(PAGE)
    at.text_area(key="inside_text").set_value("abc " * 25_000).run()
    assert not at.exception and not at.get("plotly_chart")
    assert any("100,000 characters" in w.value and "10,000" in w.value for w in at.warning)
    at.button(key="inside_cut").click().run()
    assert len(at.text_area(key="inside_text").value) == 10_000
    assert len(_titles(at)) == 3
    window = at.slider(key="inside_window")
    assert window.max == 10_000 - 80
    window.set_value(500).run()
    heat = charts(at)[_titles(at)[0]]
    assert heat["data"][0]["x"][0].startswith("500 ") and len(heat["data"][0]["x"]) == 80


def test_characters_outside_the_vocabulary_are_flagged_not_dropped():
    at = open_page(PAGE)
    at.text_area(key="inside_text").set_value("The Time Machine! by Wells").run()
    warning = texts(at.warning)
    assert "5 characters" in warning and "'T' ×2, 'M' ×1, '!' ×1, 'W' ×1" in warning
    heat = charts(at)[_titles(at)[0]]
    assert heat["layout"]["xaxis"]["ticktext"][0] == "T"  # shown in place, read as <unk>


def test_raw_model_reads_a_passage_with_quotes_and_line_breaks_and_selects_the_quotation():
    at = open_page(PAGE, "f-raw")
    text = at.text_area(key="inside_text").value
    assert '"' in text and "\n" in text and text.count('"') % 2 == 0
    a, b = at.slider(key="hidden_span").value
    assert text[a:b].startswith('"') and text[a:b].endswith('"')
    at.segmented_control(key="hidden_sort").set_value("feature").run()
    at.selectbox(key="hidden_feature").set_value("quotes").run()
    assert not at.warning and "inside \"quotes\"" in _titles(at)[0]


def test_a_new_model_gets_its_own_default_text_unless_the_text_was_edited():
    at = open_page(PAGE)
    lower = at.text_area(key="inside_text").value
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:f-raw").run()
    assert at.text_area(key="inside_text").value != lower
    at.text_area(key="inside_text").set_value("my own words").run()
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:a-lstm").run()
    assert at.text_area(key="inside_text").value == "my own words"


def test_bidirectional_two_layer_model_shows_both_directions_and_a_layer_picker():
    at = open_page(PAGE, "e-bilstm")
    assert "bidirectional" in texts(at.caption)
    at.segmented_control(key="inside_layer").set_value(1).run()
    assert not at.exception
    spec = charts(at)[_titles(at)[0]]
    assert "layer 2" in _titles(at)[0]
    labels = spec["data"][0]["y"]
    assert any("→" in y for y in labels) and any("←" in y for y in labels)


def test_relu_rnn_hidden_states_are_explained_as_non_negative():
    at = open_page(PAGE, "d-relu")
    assert any("ReLU" in c.value for c in at.caption)


def test_settings_from_a_bigger_model_are_brought_into_range_for_a_smaller_one():
    at = open_page(PAGE)
    at.number_input(key="hidden_n_units").set_value(12).run()
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:b-gru").run()  # 10 units
    assert not at.exception
    assert at.number_input(key="hidden_n_units").value == 10 and "10 of 10 units" in _titles(at)[0]
    at.sidebar.selectbox(key="sidebar_model").set_value("shipped:d-relu").run()  # 6 units: no picker at all
    assert not at.exception and at.number_input(key="hidden_k").value == 5


def test_without_a_corpus_to_sample_matches_are_sought_in_the_text_itself():
    at = open_page(PAGE, "g-own")  # trained on an own text that this session does not have
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    assert not at.exception
    assert at.text_area(key="inside_text").value.startswith("the time traveller")
    assert "elsewhere in this text" in texts(at.markdown)



LONG = "the time machine was a story of a man who travelled far into the future and came back to tell of it " * 3




SETTINGS = ("inside_text", "inside_layer", "inside_window", "hidden_sort", "hidden_feature", "hidden_n_units",
            "hidden_unit", "hidden_span", "hidden_k", "hidden_step_t", "hidden_step_unit")


def test_settings_round_trip_through_the_url():
    at = open_page(PAGE, "e-bilstm")
    at.text_area(key="inside_text").set_value(LONG).run()
    at.segmented_control(key="inside_layer").set_value(1).run()
    at.slider(key="inside_window").set_value(20).run()
    at.segmented_control(key="hidden_sort").set_value("feature").run()
    at.selectbox(key="hidden_feature").set_value("space").run()
    at.number_input(key="hidden_n_units").set_value(9).run()
    at.selectbox(key="hidden_unit").select_index(3).run()
    at.slider(key="hidden_span").set_range(30, 42).run()
    at.number_input(key="hidden_k").set_value(3).run()
    at.selectbox(key="hidden_step_t").set_value(33).run()
    at.selectbox(key="hidden_step_unit").select_index(2).run()
    assert not at.exception, at.exception
    before = {key: at.session_state[key] for key in SETTINGS}
    query = dict(at.query_params)
    assert set(SETTINGS) <= set(query) and query["sidebar_model"] in ("shipped:e-bilstm", ["shipped:e-bilstm"])
    fresh = opened_at(PAGE, query)
    assert not fresh.exception, fresh.exception
    assert {key: fresh.session_state[key] for key in SETTINGS} == before
    assert fresh.text_area(key="inside_text").value == LONG and fresh.slider(key="hidden_span").value == (30, 42)
    assert "layer 2" in _titles(fresh)[0] and "|r| with" in _titles(fresh)[0]
    assert not fresh.warning


def test_tampered_settings_in_the_url_fall_back_with_a_note():
    at = opened_at(PAGE, {"hidden_sort": "alphabetical", "hidden_n_units": "many", "hidden_unit": "999",
                    "hidden_feature": "../etc", "inside_window": "far"})
    assert not at.exception, at.exception
    assert at.segmented_control(key="hidden_sort").value == "variance"
    assert at.selectbox(key="hidden_feature").value == "vowel"
    notes = texts(at.warning)
    for name in ("hidden_sort", "hidden_n_units", "hidden_feature", "hidden_unit"):
        assert name in notes
    assert at.selectbox(key="hidden_unit").index == 0  # the first unit of the order
