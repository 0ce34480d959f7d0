"""n-gram models decoded and scored exactly like the neural ones (rnnviz.generate), so they can stand side by side.

    lm = NGramLM(order=3).fit(corpus.char_tokens())
    gen = ngram_generate(lm, "the time ", 100, strategy="top-k", top_k=5, seed=0)   # a generate.Generation
    sc = ngram_score(lm, "the apple and pear salad")                                # a generate.Score

The same decoding rule picks the next character (greedy, sampling with a temperature, top-k; '<unk>' never
chosen); the model's distribution P(· | last order − 1 characters) plays the part of the softmax.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .generate import Generation, Score, StepGuess, _pick, check_request, check_sentence
from .ngram import UNK, NGramLM


def unknown_chars(lm: NGramLM, text: str) -> list[tuple[int, str]]:
    """Positions and characters of ``text`` outside the n-gram model's vocabulary (read as '<unk>')."""
    known = set(lm.vocab) - {UNK}
    return [(i, ch) for i, ch in enumerate(text) if ch not in known]


def _top(p: np.ndarray, vocab: list, k: int = 5) -> list[tuple[str, float]]:
    idx = np.argsort(-p, kind="stable")[:k]
    return [(vocab[i], float(p[i])) for i in idx]


def ngram_generate(lm: NGramLM, prefix: str, num_chars: int = 100, strategy: str = "greedy",
                   temperature: float = 1.0, top_k: int = 5, seed: int | None = 0) -> Generation:
    """Continue ``prefix`` by ``num_chars`` characters; the checks and the decoding rule are generate.generate's."""
    check_request(prefix, num_chars, strategy, temperature, top_k)
    if lm.vocab[0] != UNK:
        raise ValueError("the n-gram model's vocabulary must start with '<unk>'")
    gen = torch.Generator().manual_seed(0 if seed is None else seed)
    context = list(prefix[-(lm.order - 1):]) if lm.order > 1 else []
    out, steps = [], []
    for _ in range(num_chars):
        p = lm.distribution(context)
        with np.errstate(divide="ignore"):
            logits = torch.from_numpy(np.log(p))
        idx = _pick(logits, strategy, temperature, top_k, gen)
        ch = lm.vocab[idx]
        steps.append(StepGuess(chosen=ch, prob=float(p[idx]), top=_top(p, lm.vocab)))
        out.append(ch)
        if lm.order > 1:
            context = (context + [ch])[-(lm.order - 1):]
    return Generation(prefix=prefix, generated="".join(out), unknown=unknown_chars(lm, prefix), steps=steps)


def ngram_score(lm: NGramLM, text: str) -> Score:
    """Σ_t log P(x_t | the order − 1 characters before it) for t ≥ 2, as generate.score counts it."""
    check_sentence(text)
    per = []
    for t in range(1, len(text)):
        p = lm.prob(list(text[max(0, t - lm.order + 1):t]), text[t])
        per.append(math.log(p) if p > 0 else -math.inf)
    return Score(text=text, log_likelihood=float(sum(per)), n_predicted=len(per), per_char=per,
                 unknown=unknown_chars(lm, text))
