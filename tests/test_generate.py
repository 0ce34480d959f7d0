"""Generation and scoring: reproducible under a seed, unknown characters reported, scores equal the logits."""
import math

import pytest
import torch
from torch.nn import functional as F

from rnnviz.data import Vocab
from rnnviz.generate import generate, score
from rnnviz.models import ModelConfig, build_model

VOCAB = Vocab(list("the time traveller was expounding a recondite matter to us"))


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="lstm", vocab_size=len(VOCAB), hidden_size=16))


def test_sampling_is_reproducible_under_a_seed(model):
    a = generate(model, VOCAB, "time ", 40, "sample", temperature=1.0, seed=7)
    b = generate(model, VOCAB, "time ", 40, "sample", temperature=1.0, seed=7)
    c = generate(model, VOCAB, "time ", 40, "sample", temperature=1.0, seed=8)
    assert a.text == b.text and a.text.startswith("time ") and len(a.generated) == 40
    assert a.generated != c.generated
    assert "<unk>" not in a.generated


def test_greedy_picks_the_argmax_and_equals_top_1(model):
    g = generate(model, VOCAB, "the ", 15, "greedy")
    k1 = generate(model, VOCAB, "the ", 15, "top-k", top_k=1, seed=3)
    assert g.generated == k1.generated
    for step in g.steps:  # the chosen character is the most likely one, and the top-5 are sorted
        assert step.top[0][0] == step.chosen or step.top[0][0] == "<unk>"
        probs = [p for _, p in step.top]
        assert probs == sorted(probs, reverse=True) and len(step.top) == 5


def test_greedy_continuation_matches_a_manual_loop(model):
    prefix, n = "the tim", 6
    g = generate(model, VOCAB, prefix, n, "greedy")
    ids = torch.tensor([VOCAB[list(prefix)]])
    out = []
    with torch.no_grad():
        logits, state = model(ids)
        for _ in range(n):
            last = logits[0, -1].clone()
            last[0] = -math.inf
            nxt = int(last.argmax())
            out.append(VOCAB.to_tokens(nxt))
            logits, state = model(torch.tensor([[nxt]]), state)
    assert g.generated == "".join(out)


def test_top_k_only_emits_the_k_most_likely(model):
    g = generate(model, VOCAB, "a", 30, "top-k", top_k=2, seed=1)
    for step in g.steps:
        allowed = [c for c, _ in step.top if c != "<unk>"][:2]
        assert step.chosen in allowed


def test_unknown_prefix_characters_are_reported_not_dropped(model):
    g = generate(model, VOCAB, "The Time!", 5)
    assert g.unknown == [(0, "T"), (4, "T"), (8, "!")]
    assert g.prefix == "The Time!"


@pytest.mark.parametrize("kwargs,msg", [
    (dict(prefix=""), "empty"),
    (dict(prefix="a" * 100_001), "limit"),
    (dict(num_chars=-1), "length"),
    (dict(strategy="beam"), "decoding"),
    (dict(strategy="sample", temperature=0.0), "temperature"),
    (dict(strategy="top-k", top_k=0), "k must"),
])
def test_bad_generation_requests_get_clear_errors(model, kwargs, msg):
    args = dict(prefix="the", num_chars=5, strategy="greedy")
    args.update(kwargs)
    with pytest.raises(ValueError, match=msg):
        generate(model, VOCAB, **args)


def test_score_is_the_sum_of_next_character_log_probabilities(model):
    text = "the matter"
    s = score(model, VOCAB, text)
    ids = torch.tensor([VOCAB[list(text)]])
    with torch.no_grad():
        logits, _ = model(ids)
    logp = F.log_softmax(logits[0], -1)
    expected = sum(float(logp[t - 1, ids[0, t]]) for t in range(1, len(text)))
    assert s.log_likelihood == pytest.approx(expected, abs=1e-4)
    assert s.n_predicted == len(text) - 1
    assert s.perplexity == pytest.approx(math.exp(-expected / (len(text) - 1)), rel=1e-5)


def test_a_trained_model_prefers_the_sentence_it_has_seen():
    text = "the apple and pear salad. " * 30
    vocab = Vocab(list(text + "i"))
    from rnnviz.train import TrainConfig, fit
    ids = [vocab[c] for c in text]
    trainer = fit(ModelConfig(kind="gru", vocab_size=len(vocab), hidden_size=24),
                  TrainConfig(batch_size=4, num_steps=12, lr=0.03, optimizer="adam", epochs=15), ids)
    good = score(trainer.model, vocab, "the apple and pear salad")
    bad = score(trainer.model, vocab, "the apple and pair salad")
    assert good.log_likelihood > bad.log_likelihood
    assert good.perplexity < bad.perplexity
