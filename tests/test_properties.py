"""Property-based tests (hypothesis) of the engine's text and number inputs: whatever a person types or uploads,
the engine answers with a result or with its own documented error (CorpusError, ConfigError, ValueError), never
with anything else.

Kept quick: tiny models, modest example counts, no deadline (the shared test machine's speed varies).
"""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.data import CorpusError, Vocab, decode_user_text, load_corpus, tokenize
from rnnviz.generate import STRATEGIES, generate, score
from rnnviz.inspect import trace
from rnnviz.models import KINDS, ConfigError, ModelConfig, build_model
from rnnviz.ngram import NGramLM, ngram_counts, ngrams, top_ngrams
from rnnviz.ngram_decode import ngram_generate, ngram_score
from rnnviz.train import TrainConfig, Trainer, TrainingDiverged, check_fits

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text: every Unicode category, lone surrogates included (they can arrive from a browser's paste).
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=400)
LIKELY_TEXT = st.one_of(ANY_TEXT, st.text(alphabet="abc xyzAB\n\r\t\ufeff你好", min_size=150, max_size=600))
WHOLE = st.one_of(st.integers(-10, 10), st.integers(-2**40, 2**40))
REAL = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, 2))


# ---------------------------------------------------------------- text in


@FAST
@given(data=st.one_of(st.binary(max_size=2000), LIKELY_TEXT))
def test_any_upload_is_accepted_or_refused_with_a_corpus_error(data):
    try:
        text = decode_user_text(data)
    except CorpusError as e:
        assert str(e)
        return
    assert "\r" not in text  # newlines as "\n" (and one leading BOM removed; a second is a character)
    assert len({c for c in text if not c.isspace()}) >= 2


@FAST
@given(text=LIKELY_TEXT, clean=st.booleans())
def test_any_text_becomes_a_corpus_whose_vocabulary_round_trips(text, clean):
    try:
        corpus = load_corpus("user", text, clean=clean)
    except CorpusError:
        return
    chars = corpus.char_tokens()
    vocab = Vocab(chars)
    ids = vocab[chars]
    assert vocab.to_tokens(ids) == chars and 0 not in ids  # every character of its own text is known
    assert len(vocab) >= 3  # <unk> and at least two characters
    assert Vocab.from_dict(vocab.to_dict()).idx_to_token == vocab.idx_to_token


@FAST
@given(lines=st.lists(ANY_TEXT, max_size=6), min_freq=WHOLE, kind=st.sampled_from(["char", "word"]))
def test_tokenize_and_vocab_take_any_lines(lines, min_freq, kind):
    tokens = tokenize(lines, kind)
    vocab = Vocab(tokens, min_freq=min_freq, reserved_tokens=["<pad>"])
    flat = [tok for line in tokens for tok in line]
    ids = vocab[flat]
    assert all(0 <= i < len(vocab) for i in ids)
    assert [vocab.to_tokens(i) if i else tok for i, tok in zip(ids, flat)] == flat or min_freq > 0


# ---------------------------------------------------------------- models reading any text


@pytest.fixture(scope="module")
def tiny():
    vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    torch.manual_seed(0)
    models = {kind: build_model(ModelConfig(kind=kind, hidden_size=4, vocab_size=len(vocab))).eval()
              for kind in KINDS}
    return vocab, models


@FAST
@given(prefix=ANY_TEXT, kind=st.sampled_from(KINDS), n=st.integers(-3, 12), strategy=st.text(max_size=6) |
       st.sampled_from(STRATEGIES), temperature=REAL, top_k=st.integers(-3, 40), seed=st.integers(0, 2**31))
def test_generate_from_any_prefix_gives_text_or_a_value_error(tiny, prefix, kind, n, strategy, temperature, top_k,
                                                              seed):
    vocab, models = tiny
    try:
        out = generate(models[kind], vocab, prefix, n, strategy, temperature, top_k, seed)
    except ValueError as e:
        assert str(e)
        return
    assert out.prefix == prefix and len(out.generated) == n and "<unk>" not in out.generated
    assert [ch for _, ch in out.unknown] == [ch for ch in prefix if ch not in vocab.token_to_idx]


@FAST
@given(text=ANY_TEXT, kind=st.sampled_from(KINDS))
def test_score_and_trace_of_any_text_give_numbers_or_a_value_error(tiny, text, kind):
    vocab, models = tiny
    try:
        sc = score(models[kind], vocab, text)
    except ValueError:
        assert len(text) < 2
    else:
        assert sc.n_predicted == len(text) - 1 and all(math.isfinite(x) and x <= 0 for x in sc.per_char)
    try:
        tr = trace(models[kind], vocab, text)
    except ValueError:
        assert not text
    else:
        assert tr.num_steps == len(text)


@FAST
@given(train=ANY_TEXT, prefix=ANY_TEXT, order=st.integers(1, 5), n=st.integers(0, 30), k=st.integers(1, 20),
       strategy=st.sampled_from(STRATEGIES))
def test_ngram_models_take_any_text(train, prefix, order, n, k, strategy):
    tokens = list(train)
    assert len(ngrams(tokens, order)) == max(0, len(tokens) - order + 1)
    assert sum(ngram_counts(tokens, order).values()) == max(0, len(tokens) - order + 1)
    assert len(top_ngrams(tokens, order, k)) <= k
    try:
        lm = NGramLM(order=order).fit(tokens)
    except ValueError:
        return
    try:
        out = ngram_generate(lm, prefix, n, strategy)
    except ValueError:
        assert not prefix
    else:
        assert len(out.generated) == n
    try:
        sc = ngram_score(lm, prefix)
    except ValueError:
        assert len(prefix) < 2
    else:
        assert sc.n_predicted == len(prefix) - 1 and all(math.isfinite(x) for x in sc.per_char)


# ---------------------------------------------------------------- numbers in


@FAST
@given(kind=st.sampled_from(KINDS) | st.text(max_size=8), vocab_size=WHOLE, hidden=WHOLE, layers=WHOLE,
       bidirectional=st.booleans(), dropout=REAL, embedding=WHOLE, nonlinearity=st.sampled_from(["tanh", "relu", "x"]))
def test_any_model_config_is_valid_or_a_config_error(kind, vocab_size, hidden, layers, bidirectional, dropout,
                                                     embedding, nonlinearity):
    cfg = ModelConfig(kind=kind, vocab_size=vocab_size, hidden_size=hidden, num_layers=layers,
                      bidirectional=bidirectional, dropout=dropout, embedding_dim=embedding, nonlinearity=nonlinearity)
    try:
        cfg.validate()
    except ConfigError as e:
        assert str(e)
        return
    assert cfg.kind in KINDS and cfg.hidden_size >= 1 and cfg.num_layers >= 1 and 0 <= cfg.dropout < 1
    if cfg.num_params() <= 20_000:  # small enough to build here: the count is the truth
        assert sum(p.numel() for p in build_model(cfg).parameters()) == cfg.num_params()
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


@FAST
@given(batch=WHOLE, steps=WHOLE, lr=REAL, clip=REAL, epochs=WHOLE, max_seconds=REAL, val_frac=REAL,
       max_tokens=WHOLE, seed=WHOLE, eval_every=WHOLE, sampler=st.sampled_from(["random", "sequential", "x"]),
       optimizer=st.sampled_from(["sgd", "adam", "x"]), device=st.sampled_from(["auto", "cpu", "cuda:7", "tpu", ""]))
def test_any_train_config_is_valid_or_a_config_error(batch, steps, lr, clip, epochs, max_seconds, val_frac,
                                                     max_tokens, seed, eval_every, sampler, optimizer, device):
    cfg = TrainConfig(batch_size=batch, num_steps=steps, lr=lr, clip=clip, epochs=epochs, max_seconds=max_seconds,
                      val_frac=val_frac, max_tokens=max_tokens, seed=seed, eval_every=eval_every, sampler=sampler,
                      optimizer=optimizer, device=device)
    try:
        check_fits(ModelConfig(kind="gru", hidden_size=8), cfg)
    except ConfigError as e:
        assert str(e)
        return
    assert cfg.batch_size >= 1 and cfg.num_steps >= 1 and 0 < cfg.lr <= 100 and math.isfinite(cfg.clip)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(KINDS), hidden=st.integers(1, 6), batch=st.integers(1, 8), steps=st.integers(1, 12),
       n_tokens=st.integers(0, 120), lr=st.floats(1e-4, 100), sampler=st.sampled_from(["random", "sequential"]),
       val_frac=st.sampled_from([0.0, 0.1, 0.5]))
def test_a_trainer_on_any_small_setting_steps_or_refuses_with_a_message(kind, hidden, batch, steps, n_tokens, lr,
                                                                         sampler, val_frac):
    torch.set_num_threads(1)
    vocab = Vocab(list("abcd"))
    ids = [i % len(vocab) for i in range(n_tokens)]
    try:
        trainer = Trainer(ModelConfig(kind=kind, hidden_size=hidden, vocab_size=len(vocab)),
                          TrainConfig(batch_size=batch, num_steps=steps, lr=lr, epochs=1, sampler=sampler,
                                      val_frac=val_frac, optimizer="adam"),
                          ids[: int(n_tokens * (1 - val_frac))], ids[int(n_tokens * (1 - val_frac)):])
    except (ConfigError, CorpusError) as e:
        assert str(e)
        return
    try:
        rec = trainer.step()
    except TrainingDiverged as e:
        assert "diverged" in str(e)
        return
    assert rec.step == 1 and math.isfinite(rec.loss)
