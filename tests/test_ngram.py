"""rnnviz.ngram, rnnviz.text_views and rnnviz.ngram_plots against d2l's published tables, the
Laplace formulas worked by hand, and the samplers' own batches."""

import math
import random

import numpy as np
import pytest

from rnnviz import ngram_plots, text_views
from rnnviz.batches import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential
from rnnviz.data import CorpusError, Vocab, clean_lines, load_corpus, tokenize
from rnnviz.ngram import (
    CurvePoint,
    NGramLM,
    corpus_tokens,
    log_ranks,
    neural_split,
    ngram_counts,
    ngram_growth,
    ngram_stats,
    perplexity_curve,
    rank_frequencies,
    top_ngrams,
    train_val_tokens,
    zipf_fit,
    zipf_refit,
    zipf_series,
)

TINY = "a b a b a c".split()


@pytest.fixture(scope="module")
def book(time_machine_file):
    return load_corpus("timemachine", fallback=False)


@pytest.fixture(scope="module")
def book_words(book):
    return corpus_tokens(book, "word")


# ---------------------------------------------------------------- d2l's tables


def test_top_unigrams_bigrams_trigrams_match_d2l(book_words):
    assert top_ngrams(book_words, 1, 5) == [
        (("the",), 2261), (("i",), 1267), (("and",), 1245), (("of",), 1155), (("a",), 816)]
    assert top_ngrams(book_words, 2, 5) == [
        (("of", "the"), 309), (("in", "the"), 169), (("i", "had"), 130), (("i", "was"), 112),
        (("and", "the"), 109)]
    assert top_ngrams(book_words, 3, 5) == [
        (("the", "time", "traveller"), 59), (("the", "time", "machine"), 30), (("the", "medical", "man"), 24),
        (("it", "seemed", "to"), 16), (("it", "was", "a"), 15)]


def test_corpus_tokens_concatenate_lines_like_d2l(book):
    words = corpus_tokens(book, "word")
    assert words == [tok for line in tokenize(book.lines, "word") for tok in line]
    assert len(corpus_tokens(book, "char")) == 170_580  # d2l's figure


# ---------------------------------------------------------------- Zipf


def test_zipf_fit_recovers_exact_power_law():
    alpha, C = 1.3, 5000.0
    ranks = np.arange(1, 201)
    freqs = C * ranks ** -alpha
    fit = zipf_fit(np.random.default_rng(0).permutation(freqs), (5, 150))  # sorted by the fit
    assert fit.alpha == pytest.approx(alpha, abs=1e-9)
    assert fit.c == pytest.approx(math.log(C), abs=1e-9)
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert (fit.lo, fit.hi) == (5, 150)
    assert fit.predict([7]) == pytest.approx([C * 7 ** -alpha])


def test_zipf_fit_clips_range_and_refuses_one_rank():
    assert zipf_fit([9, 4, 1], (2, None)).hi == 3
    assert zipf_fit([9, 4, 1], (1, 1000)).hi == 3
    with pytest.raises(ValueError, match="two ranks"):
        zipf_fit([9, 4, 1], (3, 10))
    with pytest.raises(ValueError, match="positive"):
        zipf_fit([9, 4, 0], (1, 3))


def test_zipf_on_the_book_word_unigrams(book_words):
    uni, bi, tri = zipf_series(book_words, (1, 2, 3), rank_range=(10, 1000))
    # measured: α = 1.044, R² = 0.995; Zipf's α ≈ 1 for words
    assert uni.fit.alpha == pytest.approx(1.044, abs=0.01)
    assert uni.fit.r2 > 0.99
    # n-grams of higher order fall off more slowly (d2l 8.3's observation)
    assert uni.fit.alpha > bi.fit.alpha > tri.fit.alpha
    assert uni.freqs[0] == 2261 and len(uni.freqs) == len(set(book_words))


def test_rank_frequencies_sorts_counts():
    assert rank_frequencies(ngram_counts(TINY, 1)).tolist() == [3, 2, 1]


# ---------------------------------------------------------------- distinct n-grams


def test_growth_by_hand():
    g1, g2, g3 = ngram_growth(TINY, 3)
    assert (g1.total, g1.distinct, g1.hapax, g1.possible) == (6, 3, 1, 3)  # c once
    assert (g2.total, g2.distinct, g2.hapax) == (5, 3, 1)  # ab ×2, ba ×2, ac ×1
    assert (g3.total, g3.distinct, g3.hapax, g3.possible) == (4, 3, 2, 27)  # aba ×2, bab, bac
    assert g3.hapax_share == pytest.approx(2 / 3)
    assert len(ngram_growth(TINY, 10)) == 6  # no 7-grams in 6 tokens


def test_growth_agrees_with_counters_on_the_book(book):
    chars = book.char_tokens()
    for g in ngram_growth(chars, 5):
        counts = ngram_counts(chars, g.n)
        assert g.distinct == len(counts)
        assert g.hapax == sum(c == 1 for c in counts.values())
        assert g.total == len(chars) - g.n + 1


# ---------------------------------------------------------------- Laplace-smoothed models


def test_laplace_formulas_by_hand():
    e1, e2, e3 = 0.5, 2.0, 3.0
    lm = NGramLM(3, (e1, e2, e3)).fit(TINY)
    m, n = 4, 6  # <unk>, a, b, c
    assert lm.m == m
    P = {x: (c + e1 / m) / (n + e1) for x, c in {"a": 3, "b": 2, "c": 1, "<unk>": 0}.items()}
    assert lm.prob([], "a") == pytest.approx(P["a"])
    assert lm.prob([], "zzz") == pytest.approx(P["<unk>"])  # unknown tokens read as <unk>
    p_b_a = (2 + e2 * P["b"]) / (3 + e2)  # n(a,b) = 2, n(a) = 3
    p_c_b = (0 + e2 * P["c"]) / (2 + e2)  # n(b,c) = 0, n(b) = 2
    p_a_b = (2 + e2 * P["a"]) / (2 + e2)
    assert lm.prob(["a"], "b") == pytest.approx(p_b_a)
    assert lm.prob(["b"], "c") == pytest.approx(p_c_b)
    assert lm.prob(["a", "b"], "c") == pytest.approx((0 + e3 * p_c_b) / (2 + e3))  # n(a,b) = 2
    assert lm.prob(["x", "a", "b"], "a") == pytest.approx((2 + e3 * p_a_b) / (2 + e3))  # only 2 count
    # 'c' ends the text, so it is never a context: (0 + ε2 P(a)) / (0 + ε2) = P(a)
    assert lm.prob(["c"], "a") == pytest.approx(P["a"])


def test_d2l_unigram_prior_by_hand():
    e1, e2, e3 = 0.5, 2.0, 3.0
    lm = NGramLM(3, (e1, e2, e3), prior="unigram").fit(TINY)
    p_c = (1 + e1 / 4) / (6 + e1)
    assert lm.prob(["a", "b"], "c") == pytest.approx((0 + e3 * p_c) / (2 + e3))  # d2l: ε3 P(x'')
    assert lm.prob(["b"], "c") == pytest.approx((0 + e2 * p_c) / (2 + e2))
    assert lm.distribution(["a", "b"]).sum() == pytest.approx(1.0)
    val = "a b c c b a".split()
    logs = [math.log(lm.prob(val[max(0, t - 2):t], val[t])) for t in range(len(val))]
    assert lm.evaluate(val).nll == pytest.approx(-sum(logs) / len(val))
    with pytest.raises(ValueError, match="prior"):
        NGramLM(2, prior="kneser-ney")


def test_unseen_context_with_zero_eps_falls_back_to_lower_order():
    lm = NGramLM(2, (0.0, 0.0)).fit(TINY)
    assert lm.prob(["c"], "a") == pytest.approx(3 / 6)  # 0/0 defined as P(a)
    assert lm.prob(["a"], "b") == pytest.approx(2 / 3)
    assert lm.prob(["a"], "a") == 0.0


@pytest.mark.parametrize("prior", ["chain", "unigram"])
@pytest.mark.parametrize("eps", [(1.0, 1.0, 1.0), (0.1, 5.0, 0.01), (0.0, 0.0, 0.0)])
def test_conditionals_sum_to_one(eps, prior):
    rng = random.Random(0)
    tokens = [rng.choice("abcde") for _ in range(300)]
    lm = NGramLM(3, eps, prior).fit(tokens, vocab=list("abcdefg"))  # f, g never seen
    for ctx in [(), ("a",), ("a", "b"), ("f", "g"), ("g",), ("a", "f"), ("q", "a")]:
        p = lm.distribution(ctx)
        assert p.shape == (lm.m,)
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert (p >= 0).all()


def test_zero_eps_unseen_gives_inf_with_message():
    res = NGramLM(1, 0.0).fit("a b a b".split()).evaluate("a b c a".split())
    assert res.perplexity == math.inf and res.nll == math.inf
    assert res.unseen == ("c",) and res.position == 2
    assert "unigram ('c',)" in res.message and "ε1 = 0" in res.message
    res = NGramLM(2, (1.0, 0.0)).fit(TINY).evaluate("a b b a".split())
    assert res.perplexity == math.inf and res.unseen == ("b", "b") and "ε2 = 0" in res.message
    ok = NGramLM(2, (1.0, 1.0)).fit(TINY).evaluate("a b b a".split())
    assert math.isfinite(ok.perplexity) and ok.message == "" and ok.unseen is None


def test_unseen_validation_token_gets_eps1_over_m():
    lm = NGramLM(1, 2.0).fit("a b a b".split(), vocab=["<unk>", "a", "b", "c"])
    assert lm.prob([], "c") == pytest.approx((0 + 2.0 / 4) / (4 + 2.0))
    assert math.isfinite(lm.perplexity(list("cc")))


def test_uniform_model_perplexity_is_vocabulary_size():
    tokens = ["<unk>", "a", "b", "c", "d"] * 4  # every vocabulary entry equally often
    lm = NGramLM(1, 0.0).fit(tokens)
    assert lm.m == 5
    assert lm.perplexity(list("abcdaaab")) == pytest.approx(5.0)
    lm = NGramLM(2, (1e12, 1e12)).fit(TINY)  # huge ε: every distribution tends to uniform
    assert lm.perplexity(TINY) == pytest.approx(lm.m, rel=1e-6)


def test_vectorised_perplexity_matches_scalar_probabilities():
    rng = random.Random(1)
    train = [rng.choice("abcdef") for _ in range(500)]
    val = [rng.choice("abcdefg") for _ in range(60)]
    lm = NGramLM(3, (0.3, 0.7, 1.5)).fit(train)
    logs = [math.log(lm.prob(val[max(0, t - 2):t], val[t])) for t in range(len(val))]
    res = lm.evaluate(val)
    assert res.nll == pytest.approx(-sum(logs) / len(val), rel=1e-12)
    assert res.perplexity == pytest.approx(math.exp(-sum(logs) / len(val)))
    assert res.num_tokens == len(val)


def test_perplexity_curve_equals_separate_models():
    rng = random.Random(2)
    train = [rng.choice("abcdef") for _ in range(400)]
    val = [rng.choice("abcdefg") for _ in range(50)]
    points = perplexity_curve(train, val, [0.0, 0.1, 10.0], (1, 2, 3))
    assert len(points) == 9 and points[0] == CurvePoint(1, 0.0, math.inf, points[0].message)
    assert "'g'" in points[0].message
    for p in points[1:]:
        if p.eps > 0:
            assert p.perplexity == pytest.approx(NGramLM(p.order, p.eps).fit(train).perplexity(val))


def test_char_models_on_the_book_split_like_the_rnn(book):
    train, val, vocab = train_val_tokens(book, "char", 0.1)
    assert len(vocab) == 28 and len(val) == 17_058  # the RNN's vocabulary and split
    ppl = {p.order: p.perplexity for p in perplexity_curve(train, val, [1.0], (1, 2, 3), vocab)}
    # measured: 17.06, 10.01, 6.95; below the uniform model's 28 and falling with the order
    assert ppl[1] == pytest.approx(17.06, abs=0.01)
    assert ppl[2] == pytest.approx(10.01, abs=0.01)
    assert ppl[3] == pytest.approx(6.95, abs=0.01)


def test_sample_is_seeded_and_follows_the_counts():
    lm = NGramLM(3, 0.0).fit(list("abc") * 10)
    assert "".join(lm.sample(list("ab"), 7, seed=3)) == "cabcabc"  # the only continuation seen
    lm = NGramLM(2, 1.0).fit(TINY)
    a, b = lm.sample(["a"], 20, seed=5), lm.sample(["a"], 20, seed=5)
    assert a == b and len(a) == 20 and set(a) <= set(lm.vocab)


def test_model_arguments_are_checked():
    with pytest.raises(ValueError, match="3 ε values"):
        NGramLM(3, (1.0, 1.0))
    with pytest.raises(ValueError, match="≥ 0"):
        NGramLM(2, (1.0, -1.0))
    with pytest.raises(ValueError, match="order"):
        NGramLM(0)
    with pytest.raises(ValueError, match="twice"):
        NGramLM(1).fit(TINY, vocab=["a", "b", "a"])
    with pytest.raises(ValueError, match="empty"):
        NGramLM(2).fit([])
    with pytest.raises(ValueError, match="no tokens"):
        NGramLM(2).fit(TINY).evaluate([])


# ---------------------------------------------------------------- text views


def test_preprocess_steps_by_hand():
    raw = ["Hello, World!", "", "the World's end"]
    s = text_views.preprocess_steps(raw, 0, "word")
    # vocab: <unk>, world (2), then hello, the, s, end (1 each, first-seen order)
    assert (s.raw, s.cleaned) == ("Hello, World!", "hello world")
    assert (s.tokens, s.indices) == (["hello", "world"], [2, 1])
    assert text_views.preprocess_steps(raw, 1).tokens == []
    c = text_views.preprocess_steps(raw, 2, "char")
    assert c.cleaned == "the world s end" and c.tokens == list("the world s end")
    with pytest.raises(IndexError, match="3 lines"):
        text_views.preprocess_steps(raw, 3)


def test_preprocess_steps_on_the_book(time_machine_file):
    raw = load_corpus("raw", fallback=False).lines
    s = text_views.preprocess_steps(raw, 50, "char")
    vocab = Vocab(tokenize(clean_lines("\n".join(raw)), "char"))
    assert s.cleaned == clean_lines(raw[50])[0] and s.indices == vocab[list(s.cleaned)]


def test_vocab_table_marks_unk():
    t = text_views.vocab_table([["a", "a", "b"], ["a", "b", "c"]], min_freq=2)
    assert t.rows == [
        {"token": "<unk>", "index": 0, "freq": 1, "unk": True},
        {"token": "<pad>", "index": 1, "freq": 0, "unk": False},
        {"token": "<bos>", "index": 2, "freq": 0, "unk": False},
        {"token": "<eos>", "index": 3, "freq": 0, "unk": False},
        {"token": "a", "index": 4, "freq": 3, "unk": False},
        {"token": "b", "index": 5, "freq": 2, "unk": False},
        {"token": "c", "index": 0, "freq": 1, "unk": True},
    ]
    assert t.unk_tokens == ["c"] and t.unk_share == pytest.approx(1 / 6) and len(t.vocab) == 6


@pytest.mark.parametrize("sampler", ["random", "sequential"])
def test_minibatch_spans_are_the_real_batches(sampler):
    rng = random.Random(9)
    ids = [rng.randrange(1000) for _ in range(200)]
    spans = text_views.minibatch_spans(ids, 3, 7, sampler, seed=4, max_batches=2)
    it = {"random": seq_data_iter_random, "sequential": seq_data_iter_sequential}[sampler]
    real = list(it(ids, 3, 7, random.Random(4)))[:2]
    loader = list(SeqDataLoader(ids, 3, 7, sampler, seed=4))[:2]  # what training with seed 4 sees
    assert [(X.tolist(), Y.tolist()) for X, Y in real] == [(X.tolist(), Y.tolist()) for X, Y in loader]
    assert len(spans) == 2 * 2 * 3
    for s in spans:
        X, Y = real[s.batch]
        assert s.length == 7
        assert ids[s.start:s.stop] == (X if s.role == "X" else Y)[s.row].tolist()
    xs = {(s.batch, s.row): s.start for s in spans if s.role == "X"}
    assert all(s.start == xs[s.batch, s.row] + 1 for s in spans if s.role == "Y")


def test_minibatch_spans_too_short_text():
    with pytest.raises(CorpusError):
        text_views.minibatch_spans(10, 4, 5)


# ---------------------------------------------------------------- figures


def _titles(fig):
    return fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text


def test_figures_have_titles_and_axis_titles():
    tokens = list("the quick brown fox jumps over the lazy dog " * 5)
    z = ngram_plots.zipf_figure(zipf_series(tokens, rank_range=(1, 20)))
    assert _titles(z)[1:] == ("rank (log scale)", "frequency (count, log scale)")
    assert z.layout.xaxis.type == "log" and z.layout.yaxis.type == "log"
    assert any("α = " in t.name and "R² = " in t.name for t in z.data)
    g = ngram_plots.growth_figure(ngram_growth(tokens, 5))
    spans = text_views.minibatch_spans(tokens, 2, 4, "sequential")
    figs = [z, g, ngram_plots.minibatch_figure(spans, len(tokens)),
            ngram_plots.perplexity_figure(perplexity_curve(tokens[:150], tokens[150:], [0.1, 1.0]))]
    for fig in figs:
        assert all(_titles(fig)), _titles(fig)


def test_perplexity_figure_shows_infinity_and_neural_line():
    points = [CurvePoint(1, 0.0, 20.0), CurvePoint(1, 1.0, 17.0),
              CurvePoint(2, 0.0, math.inf, "the bigram ('a', 'o') ..."), CurvePoint(2, 1.0, 10.0)]
    fig = ngram_plots.perplexity_figure(points, neural_ppl=5.2)
    assert fig.layout.xaxis.type == "log"
    inf = [t for t in fig.data if t.text and "∞" in t.text]
    assert len(inf) == 1 and "bigram" in inf[0].hovertext[0]
    assert "0" in fig.layout.xaxis.ticktext  # ε = 0 gets its own tick
    assert any("∞ (unseen n-gram)" in a.text for a in fig.layout.annotations)
    assert any("5.20" in (a.text or "") for a in fig.layout.annotations)
    assert [s.y0 for s in fig.layout.shapes] == [5.2]


def test_minibatch_html_escapes_and_marks_roles():
    tokens = ["<b>", "&", "x", "y", "z", "w", "v", "u", "t", "s", "r"]
    spans = text_views.minibatch_spans(tokens, 2, 2, "sequential", max_batches=1)
    out = ngram_plots.minibatch_html(tokens, spans, sep=" ")
    assert "&lt;b&gt;" in out and "&amp;" in out and "<b>" not in out
    assert "batch 0" in out and "border-bottom" in out and "background" in out


# ---------------------------------------------------------------- what the pages use


def test_ngram_stats_counts_once_and_gives_d2l_tables(book_words):
    stats = ngram_stats(book_words, (1, 2, 3), k=5)
    for n in (1, 2, 3):
        assert stats.top[n] == top_ngrams(book_words, n, 5)
    assert stats.top[2][0] == (("of", "the"), 309) and stats.top[3][0] == (("the", "time", "traveller"), 59)
    assert (stats.num_tokens, stats.num_types) == (32_775, 4_579) and stats.seconds >= 0
    refit = zipf_refit(stats.series, (10, 1000))
    assert [s.fit for s in refit] == [s.fit for s in zipf_series(book_words, (1, 2, 3), (10, 1000))]
    assert all(a.freqs is b.freqs for a, b in zip(refit, stats.series))  # no recounting


def test_zipf_series_without_enough_ranks_has_no_fit():
    uni, bi = zipf_series(list("aaaa"), (1, 2))  # one token repeated: one rank per order
    assert uni.fit is None and bi.fit is None and uni.freqs.tolist() == [4]
    s = zipf_refit(zipf_series(TINY, (1,)), (3, 10))
    assert s[0].fit is None  # ranks 3..3: one rank
    fig = ngram_plots.zipf_figure(s)
    assert "too few ranks" in fig.data[0].name and len(fig.data) == 1


def test_log_ranks():
    assert log_ranks(27) == [1, 2, 5, 10, 20, 27]
    assert log_ranks(1000) == [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    assert log_ranks(1) == [1]


def test_with_eps_and_evaluate_orders_equal_separate_models():
    rng = random.Random(3)
    train = [rng.choice("abcdef") for _ in range(400)]
    val = [rng.choice("abcdefg") for _ in range(50)]
    lm = NGramLM(3, 1.0).fit(train)
    eps = (0.5, 0.0, 2.0)
    results = lm.evaluate_orders(val, eps)
    for k, res in enumerate(results, start=1):
        alone = NGramLM(k, eps[:k]).fit(train).evaluate(val)
        assert res.perplexity == pytest.approx(alone.perplexity) and res.message == alone.message
        assert lm.with_eps(eps[:k]).perplexity(val) == pytest.approx(alone.perplexity)
    assert lm.with_eps((1.0, 1.0)).sample(["a"], 10, seed=2) == NGramLM(2, 1.0).fit(train).sample(["a"], 10, seed=2)
    assert lm.eps == (1.0, 1.0, 1.0) and lm.order == 3  # the fitted model itself is unchanged
    with pytest.raises(ValueError, match="up to n = 3"):
        lm.with_eps((1.0,) * 4)
    with pytest.raises(ValueError, match="≥ 0"):
        lm.evaluate_orders(val, (1.0, -1.0))


def test_curve_method_equals_the_function():
    tokens = list("the quick brown fox jumps over the lazy dog " * 4)
    lm = NGramLM(3, 1.0).fit(tokens[:140])
    expected = perplexity_curve(tokens[:140], tokens[140:], [0.0, 1.0], (1, 3))
    assert lm.curve(tokens[140:], [0.0, 1.0], (1, 3)) == expected
    with pytest.raises(ValueError, match="between 1 and 3"):
        lm.curve(tokens[140:], [1.0], (4,))


def test_one_repeated_token():
    tokens = ["a"] * 50
    growth = ngram_growth(tokens, 3)
    assert [(g.distinct, g.hapax) for g in growth] == [(1, 0)] * 3
    lm = NGramLM(3, 0.0).fit(tokens[:45])
    assert lm.perplexity(tokens[45:]) == pytest.approx(1.0)  # nothing else can come
    assert NGramLM(3, 1.0).fit(tokens[:45]).perplexity(tokens[45:]) > 1.0  # ε1 gives <unk> a share
    assert lm.sample(["a"], 5) == ["a"] * 5


def test_chinese_text_at_char_level():
    text = "我们今天学习循环神经网络。循环神经网络可以处理序列。我们喜欢学习。" * 10
    corpus = load_corpus("user", text)
    chars = corpus_tokens(corpus, "char")
    assert chars[:4] == ["我", "们", "今", "天"]
    train, val, vocab = train_val_tokens(corpus, "char", 0.1)
    assert len(val) == len(chars) // 10 and "循" in vocab.token_to_idx
    ppl = {p.order: p.perplexity for p in perplexity_curve(train, val, [0.1], (1, 2, 3), vocab)}
    assert ppl[3] < ppl[2] < ppl[1] < len(vocab)  # a repetitive text: context helps
    assert text_views.mean_word_length(corpus.lines) > 12  # no spaces: 'words' are whole lines
    assert top_ngrams(chars, 2, 1)[0][1] >= 20
    assert "".join(NGramLM(3, 0.0).fit(chars).sample(list("循环神"), 3)) == "经网络"


def test_empty_vocabulary_after_min_freq():
    t = text_views.vocab_table([["a", "b"], ["c"]], min_freq=5, reserved_tokens=())
    assert len(t.vocab) == 1 and t.unk_share == 1.0 and t.unk_tokens == ["a", "b", "c"]
    assert t.vocab[["a", "b", "c"]] == [0, 0, 0]


@pytest.mark.parametrize("kind", ["timemachine", "raw", "offline", "user", "user-kept"])
def test_raw_lines_cleaned_give_the_corpus_back(kind, time_machine_file):
    data = "Hello,  World!\n\n  Zweite   Zeile — ÄÖÜ.\n" * 30
    if kind.startswith("user"):
        corpus = load_corpus("user", data, clean=kind == "user")
    else:
        corpus = load_corpus(kind, fallback=False)
    rule = text_views.cleaning_of(corpus)
    raw = text_views.raw_lines(corpus, data.encode())
    assert [c for c in map(rule.clean, raw) if c or not rule.drops_empty] == corpus.lines
    assert rule.rule


def test_preprocess_steps_with_another_cleaning_rule():
    raw = ["Ni Hao, 世界!", "x"]
    s = text_views.preprocess_steps(raw, 0, "char", clean=lambda line: line.lower())
    assert s.cleaned == "ni hao, 世界!" and s.tokens[-3:] == ["世", "界", "!"]


def test_show_token_and_ngram_text():
    assert text_views.show_token(" ") == "␣" and text_views.show_token("\n") == "↵"
    assert text_views.show_token("\u3000") == "\\u3000" and text_views.show_token("é") == "é"
    assert text_views.ngram_text(("of", "the"), "word") == "of the"
    assert text_views.ngram_text(("e", " ", "t"), "char") == "e␣t"


@pytest.mark.parametrize("sampler, expected", [("sequential", (4, 4)), ("random", (0, 4))])
def test_continuations_tell_the_samplers_apart(sampler, expected):
    spans = text_views.minibatch_spans(1000, 2, 5, sampler, seed=0, max_batches=3)
    assert text_views.continuations(spans) == expected


def test_default_prefix():
    assert text_views.default_prefix(list("ky and circling disappear over"), "char") == "and circling disappear "
    assert text_views.default_prefix(["a", "b", "c", "d"], "word") == "a b c "
    assert text_views.default_prefix(list("我们今天学习"), "char") == "我们今天学习"
    assert text_views.default_prefix([], "word") == ""


def test_token_and_sample_html_escape():
    out = ngram_plots.tokens_html(["<b>", " "], [3, 0])
    assert "&lt;b&gt;" in out and "␣" in out and "&lt;unk&gt;" in out and "<b>" not in out
    assert "empty" in ngram_plots.tokens_html([])
    assert "and 5 more" in ngram_plots.tokens_html(list("abcdefg"), max_tokens=2)
    out = ngram_plots.sample_html("<p>", "a & b", note="x<y")
    assert "&lt;p&gt;" in out and "a &amp; b" in out and "x&lt;y" in out


# ---------------------------------------------------------------- beside a neural model


def _cfg(val_frac=0.1, max_tokens=-1):
    from types import SimpleNamespace
    return SimpleNamespace(val_frac=val_frac, max_tokens=max_tokens)


def test_neural_split_on_the_models_own_text(book):
    chars = book.char_tokens()
    vocab = Vocab(chars).idx_to_token
    info = {"kind": "timemachine", "n_tokens": len(chars), "newlines": False, "name": "The Time Machine"}
    s = neural_split(book, vocab, _cfg(0.2), info)
    assert s.comparable and s.same_text and (s.val_frac, s.max_tokens) == (0.2, -1) and "never trained" in s.note
    s = neural_split(book, vocab, _cfg(0.1, 10_000), {**info, "n_tokens": 10_000})  # d2l's first 10,000
    assert s.comparable and s.same_text and s.max_tokens == 10_000
    s = neural_split(book, vocab, _cfg(0.0), info)  # no held-out part of its own
    assert s.comparable and s.val_frac == 0.1 and "flattered" in s.note
    s = neural_split(book, vocab, _cfg(0.1), {**info, "kind": "offline", "name": "Python docs"})
    assert s.comparable and not s.same_text and "Python docs" in s.note


def test_neural_split_refuses_other_characters(book):
    raw_vocab = ["<unk>"] + sorted(set(book.char_tokens()) | set("ABC,.\n"))
    s = neural_split(book, raw_vocab, _cfg(), {"kind": "raw", "name": "the raw book"})
    assert not s.comparable and "'A'" in s.reason and "the raw book" in s.reason
    s = neural_split(book, ["<unk>"] + list("abc"), _cfg(), {})
    assert not s.comparable and "never seen" in s.reason and (s.val_frac, s.max_tokens) == (0.1, -1)
