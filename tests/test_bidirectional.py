"""d2l 9.4's lesson: a bidirectional language model is scored well only because it reads the answer."""
from __future__ import annotations

import math

import pytest
import torch

from rnnviz import bidirectional as bi
from rnnviz.bidirectional_plots import leak_figure, reading_figure
from rnnviz.checkpoint import load_checkpoint, shipped_checkpoints
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model

TEXT = "the time traveller"


def _model(bidirectional: bool, kind: str = "lstm"):
    torch.manual_seed(0)
    vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))
    model = build_model(ModelConfig(kind=kind, hidden_size=8, bidirectional=bidirectional, vocab_size=len(vocab)))
    return model, vocab


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_a_unidirectional_model_loses_nothing_without_the_future(kind):
    model, vocab = _model(False, kind)
    leak = bi.leak(model, vocab, TEXT)
    assert leak.seen == pytest.approx(leak.causal, abs=1e-6)
    assert leak.seen_ppl == pytest.approx(leak.causal_ppl, rel=1e-6)


def test_causal_scores_come_from_the_prefix_alone():
    """P(x_{t+1} | x_1..x_t) must not change when the characters after x_{t+1} change."""
    model, vocab = _model(True)
    a, b = bi.leak(model, vocab, "the cat sat"), bi.leak(model, vocab, "the cab zzz")
    assert a.causal[:5] == pytest.approx(b.causal[:5], abs=1e-7)  # targets h,e,' ',c,a: same prefixes
    assert a.seen[:5] != pytest.approx(b.seen[:5], abs=1e-4)  # with the future visible they differ


def test_first_causal_score_is_one_step_by_hand():
    """For t = 1 the model has read one character in each direction: the output is the head on [→h_1, ←h_1],
    both one LSTM step from zero, computed here with torch.nn.LSTM on that single character."""
    model, vocab = _model(True)
    ids = torch.tensor([vocab[list("th")]])
    with torch.no_grad():
        out, _ = model(ids[:, :1], None)
        expected = torch.softmax(out[0, -1], -1)[ids[0, 1]].item()
    assert bi.leak(model, vocab, "th").causal[0] == pytest.approx(expected, abs=1e-7)


def test_limits():
    model, vocab = _model(True)
    with pytest.raises(ValueError, match="two characters"):
        bi.leak(model, vocab, "t")
    with pytest.raises(ValueError, match="limit"):
        bi.leak(model, vocab, "a" * (bi.MAX_LEAK_CHARS + 1))


def test_the_shipped_bidirectional_model_reads_the_answer():
    path = shipped_checkpoints().get("bilstm")
    assert path is not None, "checkpoints/bilstm.pt is shipped"
    ckpt = load_checkpoint(path)
    assert ckpt.config.bidirectional and ckpt.metrics["val_ppl"] < 1.5  # near 1: it copies the answer
    leak = bi.leak(ckpt.model, ckpt.vocab, "the time traveller was one of those men who are too clever")
    assert leak.seen_ppl < 1.5 and leak.causal_ppl > 3 * leak.seen_ppl
    uni = load_checkpoint(shipped_checkpoints()["lstm"])
    honest = bi.leak(uni.model, uni.vocab, leak.text)
    assert honest.causal_ppl < leak.causal_ppl  # the small honest model writes better than the cheat


def test_figures_are_labelled():
    model, vocab = _model(True)
    fig = leak_figure(bi.leak(model, vocab, TEXT))
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert len(fig.data) == 2 and all(math.isfinite(v) for v in fig.data[0].y)
    diagram = reading_figure("traveller", at=3)
    assert "4" in diagram.layout.title.text
