"""The training engine: clipping by hand, overfitting, pause/resume, divergence, presets."""
import math

import pytest
import torch

from rnnviz.data import Vocab, load_corpus_time_machine
from rnnviz.models import ConfigError, ModelConfig
from rnnviz.train import (PRESETS, TrainConfig, Trainer, TrainingDiverged, check_fits, clip_gradients,
                          evaluate_perplexity, fit)

TEXT = "hello world, hello rnn. " * 20


def _ids(text=TEXT):
    vocab = Vocab(list(text))
    return [vocab[c] for c in text], vocab


def test_clipping_by_global_norm_worked_by_hand():
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(1))
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])  # ‖g‖ = sqrt(9 + 16 + 144) = 13
    before, after = clip_gradients([a, b], theta=1.0)
    assert before == pytest.approx(13.0)
    assert after == pytest.approx(1.0)
    torch.testing.assert_close(a.grad, torch.tensor([3 / 13, 4 / 13]))
    torch.testing.assert_close(b.grad, torch.tensor([12 / 13]))
    # below θ nothing changes; θ = 0 disables clipping
    assert clip_gradients([a, b], theta=5.0) == pytest.approx((1.0, 1.0))
    a.grad = torch.tensor([30.0, 40.0])
    b.grad = torch.tensor([0.0])
    assert clip_gradients([a, b], theta=0.0) == pytest.approx((50.0, 50.0))


@pytest.mark.parametrize("kind", ["scratch", "rnn", "gru", "lstm"])
def test_loss_falls_when_overfitting_a_short_string(kind):
    ids, vocab = _ids()
    mcfg = ModelConfig(kind=kind, vocab_size=len(vocab), hidden_size=32)
    tcfg = TrainConfig(batch_size=4, num_steps=10, lr=0.02, optimizer="adam", epochs=30, seed=0)
    trainer = fit(mcfg, tcfg, ids)
    first, last = trainer.history[0], trainer.history[-1]
    assert first.ppl > 0.8 * len(vocab)  # starts near the uniform guess
    assert last.epoch_ppl < 2.0, f"{kind} did not overfit: {last.epoch_ppl}"
    assert all(r.grad_norm_clipped <= tcfg.clip + 1e-6 for r in trainer.history)


def test_records_carry_every_field_and_validation():
    ids, vocab = _ids()
    mcfg = ModelConfig(kind="gru", vocab_size=len(vocab), hidden_size=8)
    tcfg = TrainConfig(batch_size=2, num_steps=8, epochs=2, sampler="random", val_frac=0.0)
    trainer = Trainer(mcfg, tcfg, ids[:400], ids[400:])
    recs = list(trainer.run())
    assert sum(r.epoch_end for r in recs) == 2 and trainer.done
    assert [r.step for r in recs] == list(range(1, len(recs) + 1))
    ends = [r for r in recs if r.epoch_end]
    assert [r.epoch for r in ends] == [1, 2]
    assert all(r.val_ppl is not None and r.epoch_ppl is not None for r in ends)
    assert all(r.val_ppl is None for r in recs if not r.epoch_end)
    r = recs[-1]
    assert r.tokens == len(recs) * 2 * 8 and r.tokens_per_s > 0 and r.elapsed_s > 0 and r.lr == tcfg.lr
    assert r.ppl == pytest.approx(math.exp(r.loss))


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("sampler", ["random", "sequential"])
def test_pause_and_resume_equals_an_uninterrupted_run(sampler):
    ids, vocab = _ids()
    mcfg = ModelConfig(kind="lstm", vocab_size=len(vocab), hidden_size=8)
    tcfg = TrainConfig(batch_size=3, num_steps=7, epochs=3, sampler=sampler, seed=5)
    straight = fit(mcfg, tcfg, ids)
    paused = Trainer(mcfg, tcfg, ids)
    for i, _ in enumerate(paused.run()):  # stop at an arbitrary step in the middle of an epoch
        if i == 4:
            break
    assert paused.step_count == 5 and not paused.done
    for _ in paused.run(max_steps=3):
        pass
    for _ in paused.run():
        pass
    assert paused.step_count == straight.step_count
    for a, b in zip(_weights(paused.model), _weights(straight.model)):
        torch.testing.assert_close(a, b)
    assert [r.loss for r in paused.history] == pytest.approx([r.loss for r in straight.history])


def test_same_seed_same_run_other_seed_other_run():
    ids, vocab = _ids()
    mcfg = ModelConfig(kind="rnn", vocab_size=len(vocab), hidden_size=8)
    a = fit(mcfg, TrainConfig(batch_size=2, num_steps=5, epochs=1, sampler="random", seed=1), ids)
    b = fit(mcfg, TrainConfig(batch_size=2, num_steps=5, epochs=1, sampler="random", seed=1), ids)
    c = fit(mcfg, TrainConfig(batch_size=2, num_steps=5, epochs=1, sampler="random", seed=2), ids)
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    assert [r.loss for r in a.history] != [r.loss for r in c.history]


def test_divergence_is_detected_and_the_last_finite_weights_are_kept():
    ids, vocab = _ids()
    mcfg = ModelConfig(kind="lstm", vocab_size=len(vocab), hidden_size=8)
    trainer = Trainer(mcfg, TrainConfig(batch_size=2, num_steps=5, epochs=5), ids)
    trainer.step()
    trainer.step()
    good = _weights(trainer.model)
    trainer.model.head.register_forward_hook(lambda mod, inp, out: out * float("nan"))
    with pytest.raises(TrainingDiverged, match="step 3"):
        trainer.step()
    for a, b in zip(_weights(trainer.model), good):
        torch.testing.assert_close(a, b)
    assert trainer.step_count == 2


def test_time_budget_stops_training():
    ids, vocab = _ids()
    mcfg = ModelConfig(kind="rnn", vocab_size=len(vocab), hidden_size=8)
    trainer = Trainer(mcfg, TrainConfig(batch_size=2, num_steps=5, epochs=10_000, max_seconds=0.3), ids)
    list(trainer.run())
    assert trainer.done and 0.3 <= trainer.elapsed < 5 and trainer.epoch < 10_000


@pytest.mark.parametrize("bad,msg", [
    (dict(batch_size=0), "batch size"),
    (dict(num_steps=-3), "sequence length"),
    (dict(lr=0), "learning rate"),
    (dict(lr=float("nan")), "learning rate"),
    (dict(clip=-1), "clipping"),
    (dict(optimizer="lbfgs"), "optimizer"),
    (dict(sampler="shuffle"), "sampler"),
    (dict(val_frac=0.9), "validation"),
    (dict(epochs=0), "epochs"),
])
def test_absurd_training_configs_are_refused(bad, msg):
    with pytest.raises(ConfigError, match=msg):
        TrainConfig(**bad).validate()


def test_a_run_beyond_memory_is_refused_before_allocating():
    with pytest.raises(ConfigError, match="GiB"):
        check_fits(ModelConfig(kind="lstm", hidden_size=1024, num_layers=4),
                   TrainConfig(batch_size=4096, num_steps=2000))


def test_cuda_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="no GPU"):
        TrainConfig(device="cuda").validate()


def test_evaluation_of_a_uniform_model_is_the_vocabulary_size():
    ids, vocab = _ids()
    model = torch.nn.Module()

    class Uniform(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, X, state=None):
            return torch.zeros(*X.shape, len(vocab)) + self.w, state

    assert evaluate_perplexity(Uniform(), ids) == pytest.approx(len(vocab))


def test_d2l_8_5_preset_reaches_the_books_perplexity(time_machine_file):
    """d2l 8.5 prints 'perplexity 1.0' after 500 epochs of the scratch RNN on the first 10,000 characters."""
    preset = PRESETS["d2l-8.5-scratch"]
    corpus, vocab = load_corpus_time_machine(max_tokens=preset.train.max_tokens)
    mcfg = ModelConfig(**{**preset.model.to_dict(), "vocab_size": len(vocab)})
    trainer = fit(mcfg, preset.train, corpus)
    final = trainer.history[-1]
    assert final.epoch == 500 and final.epoch_end
    assert final.epoch_ppl < 1.1
    assert all(r.grad_norm_clipped <= 1.0 + 1e-5 for r in trainer.history)


def test_a_trainer_leaves_the_global_random_generator_alone():
    """Two runs in one process (two browser sessions) must not reseed each other: the seed goes into the
    model's initialisation only, and the same seed still gives the same initial weights."""
    from rnnviz.models import ModelConfig
    from rnnviz.train import TrainConfig, Trainer
    cfg = ModelConfig(kind="lstm", hidden_size=8, vocab_size=5)
    tcfg = TrainConfig(batch_size=2, num_steps=3, seed=7, device="cpu")
    corpus = [1, 2, 3, 4] * 20
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = Trainer(cfg, tcfg, corpus)
    assert torch.equal(torch.get_rng_state(), before)
    b = Trainer(cfg, tcfg, corpus)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)


def test_a_trainer_told_not_to_keep_history_returns_the_same_records():
    vocab = Vocab(list("abcd efgh"))
    ids = vocab[list("abcd efgh hgfe dcba " * 40)]
    cfgs = (ModelConfig(kind="gru", hidden_size=6, vocab_size=len(vocab)),
            TrainConfig(batch_size=2, num_steps=5, epochs=3, lr=0.05, seed=3))
    keeping, lean = Trainer(*cfgs, ids), Trainer(*cfgs, ids, keep_history=False)
    a = [keeping.step().loss for _ in range(6)]
    b = [lean.step().loss for _ in range(6)]
    assert a == b and len(keeping.history) == 6 and lean.history == []
