"""Decoding from a prefix (greedy, temperature, top-k) and scoring whole strings."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from .data import Vocab

STRATEGIES = ("greedy", "sample", "top-k")
MAX_GENERATE = 20_000
MAX_PREFIX = 100_000
MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-4, 1e4


@dataclass
class StepGuess:
    """The model's distribution at one generated position: the top candidates and the choice made."""

    chosen: str
    prob: float  # probability of the chosen character
    top: list[tuple[str, float]]  # the five most likely next characters


@dataclass
class Generation:
    prefix: str
    generated: str  # the new characters only
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (position, char) in the prefix not in the vocab
    steps: list[StepGuess] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.prefix + self.generated


@dataclass
class Score:
    text: str
    log_likelihood: float  # Σ_t log P(x_t | x_<t) over t ≥ 2, natural log
    n_predicted: int  # characters scored (all but the first)
    per_char: list[float]  # log P(x_t | x_<t) for t = 2..n
    unknown: list[tuple[int, str]] = field(default_factory=list)

    @property
    def perplexity(self) -> float:
        if self.n_predicted == 0:
            return math.nan
        try:
            return math.exp(-self.log_likelihood / self.n_predicted)
        except OverflowError:
            return math.inf


def unknown_chars(vocab: Vocab, text: str) -> list[tuple[int, str]]:
    """Positions and characters of ``text`` that the vocabulary maps to ``<unk>``."""
    known = vocab.token_to_idx if hasattr(vocab, "token_to_idx") else None
    out = []
    for i, ch in enumerate(text):
        if (ch not in known) if known is not None else vocab[ch] == vocab.unk:
            out.append((i, ch))
    return out


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _pick(logits: torch.Tensor, strategy: str, temperature: float, top_k: int, gen: torch.Generator) -> int:
    """logits: (V,) → the chosen index. <unk> (index 0) is never chosen: it is not a character."""
    logits = logits.clone()
    logits[0] = -math.inf
    if strategy == "greedy":
        return int(logits.argmax())
    logits = logits / temperature
    if strategy == "top-k":
        k = min(top_k, logits.numel() - 1)
        kth = torch.topk(logits, k).values[-1]
        logits[logits < kth] = -math.inf
    probs = F.softmax(logits, dim=-1)
    return int(torch.multinomial(probs, 1, generator=gen))


def _top(probs: torch.Tensor, vocab: Vocab, k: int = 5) -> list[tuple[str, float]]:
    p, idx = torch.topk(probs, min(k, probs.numel()))
    return [(vocab.to_tokens(int(i)), float(v)) for v, i in zip(p, idx)]


def check_request(prefix: str, num_chars: int, strategy: str, temperature: float, top_k: int) -> None:
    """Raise ValueError, with a message for the reader, for a decoding request no decoder here should run."""
    if strategy not in STRATEGIES:
        raise ValueError(f"decoding must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if not prefix:
        raise ValueError("the prefix is empty: type at least one character")
    if len(prefix) > MAX_PREFIX:
        raise ValueError(f"the prefix has {len(prefix):,} characters; the limit is {MAX_PREFIX:,}")
    if not 0 <= num_chars <= MAX_GENERATE:
        raise ValueError(f"length must be between 0 and {MAX_GENERATE:,}, got {num_chars}")
    if strategy != "greedy" and not (MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE):
        # outside these bounds, logits / temperature overflows float32 (or is 0/0) and no distribution is left
        raise ValueError(f"temperature must be a positive number between {MIN_TEMPERATURE:g} and "
                         f"{MAX_TEMPERATURE:g}, got {temperature}")
    if strategy == "top-k" and top_k < 1:
        raise ValueError(f"k must be at least 1, got {top_k}")


def check_sentence(text: str) -> None:
    """Raise ValueError for a text that cannot be scored (too short to predict anything, or too long)."""
    if len(text) < 2:
        raise ValueError("a sentence needs at least two characters to be scored")
    if len(text) > MAX_PREFIX:
        raise ValueError(f"the text has {len(text):,} characters; the limit is {MAX_PREFIX:,}")


@torch.no_grad()
def generate(model: nn.Module, vocab: Vocab, prefix: str, num_chars: int = 100, strategy: str = "greedy",
             temperature: float = 1.0, top_k: int = 5, seed: int | None = 0) -> Generation:
    """Warm up on ``prefix`` character by character, then emit ``num_chars`` characters.

    Characters of the prefix that the vocabulary lacks are fed as ``<unk>`` and listed in
    ``Generation.unknown``. The same ``seed`` gives the same text.
    """
    check_request(prefix, num_chars, strategy, temperature, top_k)
    was_training = model.training
    model.eval()
    device = _device(model)
    gen = torch.Generator().manual_seed(0 if seed is None else seed)
    ids = torch.tensor([vocab[list(prefix)]], device=device)  # (1, T)
    logits, state = model(ids, None)  # warm-up over the whole prefix in one call
    last = logits[0, -1].float().cpu()
    out, steps = [], []
    for _ in range(num_chars):
        idx = _pick(last, strategy, temperature, top_k, gen)
        probs = F.softmax(last, dim=-1)
        ch = vocab.to_tokens(idx)
        steps.append(StepGuess(chosen=ch, prob=float(probs[idx]), top=_top(probs, vocab)))
        out.append(ch)
        logits, state = model(torch.tensor([[idx]], device=device), state)
        last = logits[0, -1].float().cpu()
    model.train(was_training)
    return Generation(prefix=prefix, generated="".join(out), unknown=unknown_chars(vocab, prefix), steps=steps)


@torch.no_grad()
def score(model: nn.Module, vocab: Vocab, text: str) -> Score:
    """Log-likelihood and perplexity the model gives ``text``: Σ log P(x_t | x_1..x_{t-1}) for t ≥ 2."""
    check_sentence(text)
    was_training = model.training
    model.eval()
    ids = torch.tensor([vocab[list(text)]], device=_device(model))  # (1, T)
    logits, _ = model(ids[:, :-1], None)  # (1, T-1, V)
    logp = F.log_softmax(logits[0].float(), dim=-1)
    per = logp.gather(1, ids[0, 1:, None]).squeeze(1).cpu().tolist()
    model.train(was_training)
    return Score(text=text, log_likelihood=float(sum(per)), n_predicted=len(per), per_char=per,
                 unknown=unknown_chars(vocab, text))
