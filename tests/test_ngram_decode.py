"""n-gram decoding and scoring (rnnviz.ngram_decode) against hand-made loops and hand-counted texts, and the
Generate page's figures (rnnviz.generate_plots)."""
import html
import json
import math

import numpy as np
import pytest

from rnnviz import generate_plots as gp
from rnnviz.generate import Generation, Score, StepGuess
from rnnviz.ngram import NGramLM
from rnnviz.ngram_decode import ngram_generate, ngram_score, unknown_chars

TEXT = list("the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us ")


@pytest.fixture(scope="module")
def lm():
    return NGramLM(order=3).fit(TEXT * 3)


def test_greedy_is_the_argmax_of_the_distribution_never_unk(lm):
    gen = ngram_generate(lm, "the ", 30, "greedy")
    context = list("he ")[-2:]
    for step in gen.steps:
        p = lm.distribution(context)
        p[0] = -1  # '<unk>' is never emitted
        assert step.chosen == lm.vocab[int(np.argmax(p))]
        context = (context + [step.chosen])[-2:]
    assert gen.text == "the " + gen.generated and len(gen.generated) == 30


def test_top5_and_chosen_probabilities_are_the_models(lm):
    gen = ngram_generate(lm, "time ", 20, "sample", temperature=1.3, seed=4)
    context = list("me ")[-2:]
    for step in gen.steps:
        p = lm.distribution(context)
        assert step.prob == pytest.approx(p[lm.vocab.index(step.chosen)])
        assert [q for _, q in step.top] == pytest.approx(sorted(p, reverse=True)[:5])
        context = (context + [step.chosen])[-2:]


def test_seeds_reproduce_and_top_1_is_greedy(lm):
    a, b = ngram_generate(lm, "the ", 40, "sample", seed=1), ngram_generate(lm, "the ", 40, "sample", seed=1)
    c = ngram_generate(lm, "the ", 40, "sample", seed=2)
    assert a.generated == b.generated != c.generated
    assert ngram_generate(lm, "the ", 40, "top-k", top_k=1, seed=3).generated == \
        ngram_generate(lm, "the ", 40, "greedy").generated
    allowed = ngram_generate(lm, "t", 200, "top-k", top_k=2, seed=0)
    assert all(s.chosen in [ch for ch, _ in s.top[:2]] for s in allowed.steps)


def test_score_by_hand_counts():
    """ε2 = 0 and a text where 'a' is always followed by 'b' and 'b' by 'a': every bigram has probability 1."""
    lm = NGramLM(order=2, eps=(1.0, 0.0)).fit(list("ab" * 10))
    sc = ngram_score(lm, "abab")
    assert sc.per_char == [0.0, 0.0, 0.0] and sc.perplexity == 1.0 and sc.n_predicted == 3
    unseen = ngram_score(lm, "aab")  # n(a, a) = 0 with ε2 = 0: impossible
    assert unseen.per_char[0] == -math.inf and unseen.perplexity == math.inf


def test_score_is_the_sum_of_the_conditionals(lm):
    text = "the apple and pear salad"
    sc = ngram_score(lm, text)
    expected = [math.log(lm.prob(list(text[max(0, t - 2):t]), text[t])) for t in range(1, len(text))]
    assert sc.per_char == pytest.approx(expected)
    assert sc.log_likelihood == pytest.approx(sum(expected))
    assert sc.perplexity == pytest.approx(math.exp(-sum(expected) / len(expected)))
    assert sc.unknown == []


def test_unknown_characters_and_bad_requests(lm):
    assert unknown_chars(lm, "Tea!") == [(0, "T"), (3, "!")]
    assert ngram_generate(lm, "Tea!", 3).unknown == [(0, "T"), (3, "!")]
    for kwargs, msg in [({"prefix": ""}, "empty"), ({"strategy": "beam"}, "decoding"), ({"num_chars": -1}, "length"),
                        ({"strategy": "sample", "temperature": 0.0}, "temperature"),
                        ({"strategy": "top-k", "top_k": 0}, "k must")]:
        with pytest.raises(ValueError, match=msg):
            ngram_generate(lm, **{"prefix": "the", **kwargs})
    with pytest.raises(ValueError, match="two characters"):
        ngram_score(lm, "a")


# ---------------------------------------------------------------- figures and views


def _gen():
    steps = [StepGuess("a", 0.9, [("a", 0.9), ("b", 0.05), (" ", 0.03), ("c", 0.01), ("d", 0.005)]),
             StepGuess("<", 0.02, [("b", 0.5), ("a", 0.3), (" ", 0.1), ("c", 0.05), ("d", 0.03)])]
    return Generation(prefix="x<b>&", generated="a<", steps=steps)


def test_generation_html_escapes_text_and_explains_every_character():
    out = gp.generation_html(_gen())
    assert "x&lt;b&gt;&amp;" in out and "<b>" not in out
    spans = out.split('<span title="')[1:]
    assert len(spans) == 2
    first = html.unescape(spans[0].split('"', 1)[0])
    assert first.splitlines()[0] == "character 1: a (90.0%)" and "▶ a" in first and "␣" in first
    second = html.unescape(spans[1].split('"', 1)[0])
    assert "▶ <" in second  # the chosen one is not in the top 5: listed after them
    assert f"background:{gp.confidence_color(0.9)}" in spans[0] and ">&lt;</span>" in spans[1]


def test_confidence_colors_follow_the_scale():
    assert gp.confidence_color(0.0) == gp.CONFIDENCE_SCALE[0][1]
    assert gp.confidence_color(1.0) == gp.CONFIDENCE_SCALE[-1][1]
    assert gp.confidence_color(0.5) == gp.CONFIDENCE_SCALE[2][1]
    assert gp.confidence_color(7) == gp.CONFIDENCE_SCALE[-1][1] and gp.confidence_color(-1) == gp.CONFIDENCE_SCALE[0][1]


def test_distribution_figure_shows_the_top_five_and_the_choice():
    fig = gp.distribution_figure(_gen(), 1, "Tiny")
    bar = fig.data[0]
    assert list(bar.y) == ["'d'", "'c'", "'␣'", "'a'", "'b'"] and fig.layout.yaxis.type == "category"
    assert fig.layout.title.text == "Character 2: the five most likely" and fig.layout.font.size >= 16
    assert fig.layout.title.subtitle.text == "Tiny, after “…x<b>&a”"
    assert fig.layout.xaxis.title.text


def test_score_figure_labels_where_sentences_differ():
    a = Score("the pear", -5.0, 7, [-1.0] * 7)
    b = Score("the pair", -6.0, 7, [-1.0] * 5 + [-2.0, -1.0])
    fig = gp.score_figure([a, b])
    assert len(fig.data) == 2 and list(fig.data[0].y) == a.per_char
    assert [t for t in fig.data[1].text if t] == ["a", "i"]  # p-e-a-r against p-a-i-r
    assert list(fig.layout.xaxis.ticktext) == list("the␣pear".replace(" ", "␣"))
    assert "log-likelihood -6.00" in fig.data[1].name
    json.loads(fig.to_json())
