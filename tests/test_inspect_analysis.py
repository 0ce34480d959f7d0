"""rnnviz.inspect_analysis and its figures against truths worked by hand, numpy, and the LSTM's own cell recurrence."""
import json
import math

import numpy as np
import pytest
import torch

from rnnviz import inspect_analysis as ia
from rnnviz import inspect_analysis_plots as iap
from rnnviz import inspect_plots as ip
from rnnviz.data import Vocab
from rnnviz.inspect import GATE_NAMES, MAX_TRACE_CHARS, Trace, trace
from rnnviz.models import ModelConfig, build_model

VOCAB = Vocab(list("the time traveller was expounding a recondite matter to us\n\"q(),."))


def _model(kind, hidden=8, seed=0, **kw):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(kind=kind, vocab_size=len(VOCAB), hidden_size=hidden, **kw)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # gates spread over their range
    return model


def _trace(hidden, text=None, kind="lstm", gates=None, directions=1):
    """A hand-made one-layer trace: hidden (T, U) given; gates default to 0.5."""
    hidden = torch.as_tensor(hidden, dtype=torch.float32)
    T, U = hidden.shape
    text = text if text is not None else "a" * T
    given = gates or {}
    g = {n: torch.as_tensor(given[n], dtype=torch.float32)[None] if n in given else torch.full((1, T, U), 0.5)
         for n in GATE_NAMES[kind]}
    return Trace(kind=kind, text=text, tokens=list(text), ids=torch.ones(T, dtype=torch.long), unknown=[],
                 hidden=hidden[None], cell=torch.zeros(1, T, U) if kind == "lstm" else None, gates=g,
                 probs=torch.full((T, 2), 0.5), vocab_tokens=["<unk>", "a"], layer_names=["layer 1"],
                 hidden_size=U // directions, directions=directions)


def _spec(fig):
    return json.loads(fig.to_json())


# ---------------------------------------------------------------- limits and texts


def test_traceable_chars_is_exactly_what_trace_accepts(monkeypatch):
    model = _model("lstm")
    assert ia.traceable_chars(model.config) == MAX_TRACE_CHARS
    monkeypatch.setattr("rnnviz.inspect.MAX_TRACE_VALUES", 1000)  # 8 units × 6 quantities: 48 values a character
    n = ia.traceable_chars(model.config)
    assert n == 20
    assert trace(model, VOCAB, "a" * n).num_steps == n
    with pytest.raises(ValueError):
        trace(model, VOCAB, "a" * (n + 1))
    assert ia.traceable_chars(ModelConfig(kind="gru", vocab_size=5, hidden_size=8, num_layers=2,
                                          bidirectional=True)) == 1000 // (2 * 2 * 8 * 4)


def test_describe_unknown_counts_and_names_characters():
    assert ia.describe_unknown([(0, "T"), (3, "!"), (7, "T"), (9, "\n")]) == "'T' ×2, '!' ×1, line break ×1"
    many = [(i, chr(0x400 + i)) for i in range(15)]
    assert ia.describe_unknown(many, most=3).endswith("and 12 more")


def test_fit_to_vocab_lowercases_and_drops_only_for_lowercase_vocabularies():
    lower = Vocab(list("abc "))
    assert ia.fit_to_vocab("A b!\nC  a", lower) == "a b c a"
    raw = Vocab(list("AaBb \n\""))
    assert ia.fit_to_vocab('"Ab"\nba!', raw) == '"Ab"\nba'


def test_default_passage_with_line_breaks_picks_balanced_quotes():
    lines = ["Title", "", "Some prose without quotes here and there,", "more of it.",
             'He said "one" and', '"two" then', "silence.", 'A stray " mark', "Tail line."]
    vocab = Vocab(list("".join(lines)) + ["\n"])
    text = ia.default_passage(lines, True, vocab, span_lines=3)
    assert text == 'He said "one" and\n"two" then\nsilence.'
    assert text.count('"') % 2 == 0


def test_default_passage_of_clean_prose_starts_at_the_first_long_line_and_ends_at_a_word():
    lines = ["the time machine", "", "the time traveller for so it will be convenient to speak",
             "of him was expounding a recondite matter to us"]
    text = ia.default_passage(lines, False, Vocab(list("".join(lines))), length=60)
    assert text.startswith("the time traveller") and len(text) <= 60 and not text.endswith(" ")
    assert "\n" not in text and text.split()[-1] in " ".join(lines).split()


def test_corpus_sample_comes_from_the_middle_at_a_line_start():
    text = "".join(f"line {i:04d}\n" for i in range(2000))
    sample = ia.corpus_sample(text, 500)
    assert len(sample) == 500 and sample.startswith("line ") and sample in text
    assert text.index(sample) > len(text) // 3
    assert ia.corpus_sample("short", 500) == "short"


def test_default_span_prefers_a_quotation_then_a_word():
    text = 'I said "No," and left the lawn.'
    a, b = ia.default_span(text)
    assert text[a:b] == '"No,"'
    a, b = ia.default_span(text, 12)
    assert text[a:b] == "left"
    assert ia.default_span("a b c", 0) == (0, 4)


def test_window_keeps_values_and_labels_absolute_positions():
    tr = trace(_model("lstm", num_layers=2), VOCAB, "the time traveller was expounding")
    win = ia.window(tr, 4, 12)
    assert win.offset == 4 and win.text == "time tra" and win.num_steps == 8
    torch.testing.assert_close(win.hidden, tr.hidden[:, 4:12])
    torch.testing.assert_close(win.gates["forget"], tr.gates["forget"][:, 4:12])
    torch.testing.assert_close(win.cell, tr.cell[:, 4:12])
    torch.testing.assert_close(win.probs, tr.probs[4:12])
    inner = ia.window(win, 2, 5)
    assert inner.offset == 6 and inner.text == tr.text[6:9]
    hm = _spec(ip.hidden_heatmap(win, layer=1, units=3))["data"][0]
    assert hm["x"][0] == "4 t" and hm["x"][-1] == "11 a"
    assert "position 4 &#x27;t&#x27;" in ip.unit_text_html(win, 0, 0)
    with pytest.raises(ValueError, match="outside"):
        ia.window(tr, 5, 5)


def test_window_keeps_unknown_characters_relative_to_it():
    tr = trace(_model("gru"), VOCAB, "the Time Was")
    assert tr.unknown == [(4, "T"), (9, "W")]
    assert ia.window(tr, 2, 12).unknown == [(2, "T"), (7, "W")] and ia.window(tr, 5, 9).unknown == []


# ---------------------------------------------------------------- features and correlation


def test_features_by_hand():
    text = 'He said "hi (x)"\nok'
    f = {name: ia.feature_values(text, name).tolist() for name in ia.FEATURES}
    assert f["quotes"] == [0] * 8 + [1] * 7 + [0, 0, 0, 0]
    assert f["parentheses"] == [0] * 12 + [1, 1] + [0] * 5
    assert f["line_position"][:3] == [1, 2, 3] and f["line_position"][16:] == [0, 1, 2]
    assert f["word_position"][:4] == [1, 2, 0, 1]
    assert f["uppercase"][:2] == [1, 0] and sum(f["uppercase"]) == 1
    assert f["vowel"][:3] == [0, 1, 0] and f["space"][2] == 1 and f["space"][16] == 1
    assert f["punctuation"][8] == 1 and f["punctuation"][0] == 0
    with pytest.raises(ValueError, match="unknown feature"):
        ia.feature_values(text, "rhymes")


def test_correlations_equal_numpy_and_constant_units_give_zero():
    gen = np.random.default_rng(0)
    h = gen.normal(size=(30, 4))
    h[:, 2] = 0.25  # a unit that never moves
    x = gen.normal(size=30)
    h[:, 1] = -3 * x + 0.1 * gen.normal(size=30)
    tr = _trace(h)
    r = ia.correlations(tr, torch.tensor(x), 0)
    for u in (0, 1, 3):
        assert r[u].item() == pytest.approx(np.corrcoef(x, h[:, u])[0, 1], abs=1e-5)
    assert r[2] == 0
    order, r2 = ia.units_by_correlation(tr, torch.tensor(x), 0)
    assert order[0] == 1 and r2[1] < -0.9  # the strongest, whatever its sign
    assert torch.equal(ia.correlations(tr, torch.ones(30), 0), torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="values for a text"):
        ia.correlations(tr, torch.ones(5), 0)


# ---------------------------------------------------------------- PCA


def test_pca_equals_the_covariance_eigenvectors():
    gen = np.random.default_rng(1)
    h = gen.normal(size=(40, 6)) @ np.diag([3, 2, 1, 0.5, 0.2, 0.1])
    tr = _trace(h)
    pca = ia.pca_2d(tr, 0)
    hc = h.astype(np.float32).astype(np.float64)
    hc = hc - hc.mean(0)
    evals, evecs = np.linalg.eigh(hc.T @ hc)
    top = evecs[:, ::-1][:, :2].T
    for i in range(2):
        sign = np.sign(top[i][np.abs(top[i]).argmax()])
        np.testing.assert_allclose(pca.components[i].numpy(), sign * top[i], atol=1e-6)
        assert pca.components[i][pca.components[i].abs().argmax()] > 0
    np.testing.assert_allclose(pca.explained.numpy(), evals[::-1][:2] / evals.sum(), rtol=1e-6)
    np.testing.assert_allclose(pca.coords.numpy(), hc @ pca.components.numpy().T, atol=1e-6)


def test_pca_of_a_single_unit_or_a_still_state_does_not_fail():
    one = ia.pca_2d(_trace(np.arange(5.0)[:, None]), 0)
    assert one.coords.shape == (5, 2) and one.explained.tolist() == [1.0, 0.0]
    still = ia.pca_2d(_trace(np.ones((4, 3))), 0)
    assert still.explained.tolist() == [0.0, 0.0] and torch.all(still.coords == 0)


# ---------------------------------------------------------------- select and match


def _q_trace():
    """Unit 2 jumps to +1 at every 'q', unit 0 drops to -1 at every 'x'; the rest is noise."""
    text = "abqcdefqghxijqklmxn" * 2
    gen = np.random.default_rng(2)
    h = 0.05 * gen.normal(size=(len(text), 5))
    for t, ch in enumerate(text):
        if ch == "q":
            h[t, 2] = 1.0
        if ch == "x":
            h[t, 0] = -1.0
    return _trace(h, text)


def test_select_units_finds_the_unit_that_fires_on_the_span_with_its_sign():
    tr = _q_trace()
    q = tr.text.index("q")
    sel = ia.select_units(tr, 0, q, q + 1, k=2)
    assert sel.units[0] == 2 and sel.signs[0] == 1 and sel.scores[0] > 2
    x = tr.text.index("x")
    sel = ia.select_units(tr, 0, x, x + 1, k=1)
    assert sel.units == [0] and sel.signs == [-1]
    with pytest.raises(ValueError, match="outside"):
        ia.select_units(tr, 0, 3, 3)


def test_find_matches_returns_every_other_occurrence_and_not_the_selection():
    tr = _q_trace()
    q = tr.text.index("q")
    sel = ia.select_units(tr, 0, q, q + 1, k=1)
    matches = ia.find_matches(tr, sel, exclude=(q, q + 1), limit=20)
    others = [t for t, ch in enumerate(tr.text) if ch == "q" and t != q]
    assert sorted(m.start for m in matches) == others
    assert all(m.text == "q" and m.stop == m.start + 1 and m.strength == pytest.approx(1, abs=0.2) for m in matches)
    assert matches[0].before == tr.text[max(0, matches[0].start - 30): matches[0].start]
    assert len(ia.find_matches(tr, sel, limit=2)) == 2


def test_matches_are_as_long_as_the_selection_never_overlap_and_are_measured_against_the_reference():
    tr = _q_trace()
    sel = ia.select_units(tr, 0, 1, 4, k=2, reference=tr)  # 'bqc'
    strength = ia.match_strength(tr, sel)
    assert strength.shape == (tr.num_steps - 2,) and strength[1] == pytest.approx(1.0)
    matches = ia.find_matches(tr, sel, min_strength=0.1, limit=50)
    spans = sorted((m.start, m.stop) for m in matches)
    assert all(b - a == 3 for a, b in spans) and all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    assert [m.strength for m in matches] == sorted((m.strength for m in matches), reverse=True)
    q = ia.select_units(tr, 0, 2, 3, k=1)
    later = ia.find_matches(ia.window(tr, 10, tr.num_steps), q, limit=50)  # positions stay those of the full text
    assert sorted(m.start for m in later) == [t for t, ch in enumerate(tr.text) if ch == "q" and t >= 10]


# ---------------------------------------------------------------- saturation


def test_saturation_fractions_by_hand_for_sigmoid_and_tanh():
    forget = torch.tensor([[0.05, 0.5], [0.95, 0.5], [0.08, 0.91], [0.5, 0.5]])  # (T=4, U=2)
    tr = _trace(torch.tensor([[0.95, 0.0], [-0.95, 0.0], [0.0, 0.5], [0.0, 0.0]]), gates={"forget": forget})
    low, high = ia.saturation_fractions(tr, "forget", 0)
    assert low.tolist() == [0.5, 0.0] and high.tolist() == [0.25, 0.25]
    low, high = ia.saturation_fractions(tr, "hidden", 0)  # tanh: within 0.1 of -1 and 1
    assert low.tolist() == [0.25, 0.0] and high.tolist() == [0.25, 0.0]
    with pytest.raises(ValueError, match="unbounded"):
        ia.saturation_fractions(tr, "cell", 0)


def test_saturation_quantities_by_kind():
    assert ia.saturation_quantities(trace(_model("lstm"), VOCAB, "a t")) == ("input", "forget", "output")
    assert ia.saturation_quantities(trace(_model("gru"), VOCAB, "a t")) == ("reset", "update")
    assert ia.saturation_quantities(trace(_model("scratch"), VOCAB, "a t")) == ("hidden",)
    assert ia.saturation_quantities(trace(_model("rnn", nonlinearity="relu"), VOCAB, "a t")) == ()


# ---------------------------------------------------------------- memory


def test_memory_retention_is_the_running_product_from_the_start_position():
    f = torch.tensor([[0.9, 0.5], [0.8, 0.5], [0.5, 1.0], [0.1, 0.5]])
    tr = _trace(torch.zeros(4, 2), gates={"forget": f})
    kept = ia.memory_retention(tr, 0, 1)
    assert math.isnan(kept[0, 0]) and kept[1].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(kept[2:].numpy(), [[0.5, 1.0], [0.05, 0.5]])
    steps, lasted = ia.memory_span(kept)
    assert steps.tolist() == [1, 2] and lasted.tolist() == [False, True]
    with pytest.raises(ValueError, match="outside"):
        ia.memory_retention(tr, 0, 4)


def test_backward_units_remember_to_the_left():
    f = torch.tensor([[0.5, 0.9], [0.5, 0.8], [0.5, 0.7]])  # unit 0 forward, unit 1 backward
    tr = _trace(torch.zeros(3, 2), gates={"forget": f}, directions=2)
    kept = ia.memory_retention(tr, 0, 2)
    assert kept[:, 0].tolist()[2] == 1.0 and all(math.isnan(v) for v in kept[:2, 0].tolist())
    np.testing.assert_allclose(kept[:, 1].numpy(), [0.9 * 0.8, 0.8, 1.0])


def test_gru_memory_is_the_update_gate_and_a_plain_rnn_has_none():
    z = torch.tensor([[0.5], [0.25], [0.5]])
    tr = _trace(torch.zeros(3, 1), kind="gru", gates={"update": z})
    assert ia.memory_gate(tr) == "update"
    assert ia.memory_retention(tr, 0, 0)[:, 0].tolist() == [1.0, 0.25, 0.125]
    with pytest.raises(ValueError, match="no gate"):
        ia.memory_retention(_trace(torch.zeros(3, 1), kind="rnn"), 0, 0)


def test_retention_is_what_the_lstm_cell_carries_from_the_start():
    """C_t = (∏ F) C_start + Σ_s (∏_{r>s} F_r) I_s C̃_s, with C from the module-checked trace."""
    tr = trace(_model("lstm", num_layers=2), VOCAB, "the time traveller was expounding")
    for layer in range(2):
        f, i, g = (tr.gates[n][layer].double() for n in ("forget", "input", "candidate"))
        c = tr.cell[layer].double()
        start = 5
        kept = ia.memory_retention(tr, layer, start)
        written = torch.zeros_like(c[0])
        for t in range(start + 1, tr.num_steps):
            written = f[t] * written + i[t] * g[t]
            torch.testing.assert_close(kept[t] * c[start] + written, c[t], atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- figures


@pytest.fixture(scope="module")
def lstm2():
    return trace(_model("lstm", num_layers=2), VOCAB, 'the "time" traveller\nwas expounding')


def test_selection_heatmap_outlines_the_span_and_names_the_units(lstm2):
    win = ia.window(lstm2, 2, 20)
    sel = ia.select_units(lstm2, 1, 4, 10, k=3)
    spec = _spec(iap.selection_heatmap(win, sel))
    hm = spec["data"][0]
    assert len(hm["y"]) == 3 and all(y.endswith(("high", "low")) for y in hm["y"])
    assert '“"time"”' in spec["layout"]["title"]["text"] and "layer 2" in spec["layout"]["title"]["text"]
    (shape,) = spec["layout"]["shapes"]
    assert (shape["x0"], shape["x1"]) == (1.5, 7.5)


def test_matches_html_escapes_and_marks_line_breaks():
    m = ia.Match(start=1234, stop=1240, strength=0.87, before="<b>", text='a\n"x"', after="&")
    out = iap.matches_html([m])
    assert "<b>" not in out
    assert "&lt;b&gt;" in out and "a⏎&quot;x&quot;" in out and "&amp;" in out and "1,234" in out and "87%" in out


def test_pca_trajectory_labels_every_point_with_its_character(lstm2):
    spec = _spec(iap.pca_trajectory(lstm2, 1))
    points = spec["data"][1]
    assert points["text"][:5] == ["t", "h", "e", "␣", "\""] and len(points["x"]) == lstm2.num_steps
    layout = spec["layout"]
    assert "layer 2" in layout["title"]["text"] and "variance" in layout["xaxis"]["title"]["text"]
    assert layout["yaxis"]["title"]["text"]


def test_saturation_scatter_has_a_panel_per_gate_and_a_series_per_layer(lstm2):
    spec = _spec(iap.saturation_scatter(lstm2))
    units = [d for d in spec["data"] if d["mode"] == "markers"]
    assert len(units) == 3 * 2 and {d["name"] for d in units} == {"layer 1", "layer 2"}
    low, high = ia.saturation_fractions(lstm2, "forget", 1)
    np.testing.assert_allclose(units[3]["x"], low.numpy())
    np.testing.assert_allclose(units[3]["y"], high.numpy())
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == ["input gate", "forget gate", "output gate"]
    assert spec["layout"]["title"]["text"] and spec["layout"]["xaxis"]["title"]["text"] == "share of steps < 0.1"
    with pytest.raises(ValueError, match="bounded"):
        iap.saturation_scatter(trace(_model("rnn", nonlinearity="relu"), VOCAB, "a t"))


def test_memory_heatmap_sorts_units_longest_memory_first(lstm2):
    spec = _spec(iap.memory_heatmap(lstm2, 0, 3))
    hm = spec["data"][0]
    kept = ia.memory_retention(lstm2, 0, 3)
    steps, _ = ia.memory_span(kept)
    shown = [int(y.split()[1]) for y in hm["y"]]
    assert sorted(shown) == list(range(lstm2.num_units))
    assert [int(steps[u]) for u in shown] == sorted((int(s) for s in steps), reverse=True)
    np.testing.assert_allclose(hm["customdata"][0][3:], kept[3:, shown[0]].numpy(), rtol=1e-6)
    assert hm["z"][0][0] is None  # before the start position nothing is carried forward
    assert "position 3" in spec["layout"]["title"]["text"] and spec["layout"]["xaxis"]["title"]["text"]


def test_memory_curves_use_a_log_axis_and_show_the_chosen_unit(lstm2):
    spec = _spec(iap.memory_curves(lstm2, 0, 2, unit=4))
    names = [d["name"] for d in spec["data"]]
    assert names[1] == "median unit" and names[-1] == "unit 4"
    assert spec["layout"]["yaxis"]["type"] == "log" and spec["layout"]["xaxis"]["title"]["text"]
    kept = ia.memory_retention(lstm2, 0, 2)[2:, 4].clamp_min(1e-5)
    np.testing.assert_allclose(spec["data"][-1]["y"], kept[: len(spec["data"][-1]["y"])].numpy(), rtol=1e-6)


def test_unit_lines_can_start_with_some_lines_hidden(lstm2):
    spec = _spec(ip.unit_lines(lstm2, 0, 1, legend_only=("hidden", "candidate")))
    visible = {d["name"]: d.get("visible", True) for d in spec["data"]}
    assert visible == {"hidden state": "legendonly", "cell": True, "input gate": True, "forget gate": True,
                       "output gate": True, "candidate": "legendonly"}
