"""d2l 9.4's lesson, measured: a bidirectional language model scores text well only because it reads the answer.

At position t the output predicts x_{t+1} from ``[→h_t, ←h_t]``. The backward direction reads the sequence
from its end, so ``←h_t`` has already read x_{t+1}, …, x_T — the very character to predict. Scored on a
whole text (how training and validation see it) the model can copy the answer; generating, it only ever
has the past, and ``←h_t`` has read nothing but x_t. :func:`leak` scores the same text both ways:

- *seen*: one forward pass over the whole text, as in training and in ``generate.score``;
- *causal*: P(x_{t+1} | x_1..x_t) from a pass over the prefix x_1..x_t alone, as in generation.

For a unidirectional model both are the same numbers (a test checks it); for a bidirectional one the gap
is the lesson.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Vocab
from .generate import unknown_chars

MAX_LEAK_CHARS = 240  # the causal score runs one pass per prefix: T passes of up to T characters


@dataclass
class Leak:
    text: str
    seen: list[float]  # P(x_{t+1} | the whole text) for t = 1..T-1
    causal: list[float]  # P(x_{t+1} | x_1..x_t)
    unknown: list[tuple[int, str]]

    @staticmethod
    def _ppl(probs: list[float]) -> float:
        if any(p <= 0.0 for p in probs):
            return math.inf
        return math.exp(-sum(math.log(p) for p in probs) / len(probs))

    @property
    def seen_ppl(self) -> float:
        return self._ppl(self.seen)

    @property
    def causal_ppl(self) -> float:
        return self._ppl(self.causal)


def is_bidirectional(model: nn.Module) -> bool:
    config = getattr(model, "config", None)
    return bool(getattr(config, "bidirectional", False))


@torch.no_grad()
def leak(model: nn.Module, vocab: Vocab, text: str) -> Leak:
    """Score ``text`` with the future visible and without it. ``model`` maps (B, T) ids → ((B, T, V), state)."""
    if len(text) < 2:
        raise ValueError("the text needs at least two characters")
    if len(text) > MAX_LEAK_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; the limit here is {MAX_LEAK_CHARS:,}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = torch.tensor([vocab[list(text)]], device=device)  # (1, T)
    targets = ids[0, 1:]  # (T-1,)
    logits, _ = model(ids[:, :-1], None)  # (1, T-1, V): position t sees x_1..x_{T-1}, in both directions
    seen = F.softmax(logits[0].float(), dim=-1).gather(1, targets[:, None]).squeeze(1).cpu().tolist()
    causal = []
    for t in range(1, len(text)):
        out, _ = model(ids[:, :t], None)  # (1, t, V): only the prefix exists
        causal.append(float(F.softmax(out[0, -1].float(), dim=-1)[targets[t - 1]]))
    model.train(was_training)
    return Leak(text=text, seen=seen, causal=causal, unknown=unknown_chars(vocab, text))
