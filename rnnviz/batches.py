"""Minibatches of token indices for language models: d2l's two samplers (section 8.3).

Both start at a random offset in [0, num_steps - 1] so every epoch sees a different phase of
the text, and both yield (X, Y) LongTensors of shape (batch_size, num_steps) with Y = X shifted
one token ahead. They draw only from the `random.Random` they are given, so a seed reproduces
a run. `rnnviz.data` re-exports every public name here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import torch

from rnnviz.data import CorpusError

Batch = tuple[torch.Tensor, torch.Tensor]


def min_corpus_tokens(batch_size: int, num_steps: int) -> int:
    """Fewest tokens that give at least one batch whatever the offset: the worst offset,
    num_steps - 1, plus batch_size * num_steps inputs, plus one for the last target.
    SeqDataLoader demands this, so no training epoch is ever empty."""
    return (batch_size + 1) * num_steps


def num_batches(num_tokens: int, batch_size: int, num_steps: int, offset: int) -> int:
    """Batches either sampler yields from `num_tokens` tokens after dropping `offset` of them.

    Random sampling makes (n - offset - 1) // num_steps subsequences, then // batch_size
    batches; sequential makes rows of (n - offset - 1) // batch_size tokens, then // num_steps
    batches. Nested floor divisions compose, so both equal (n - offset - 1) // (B * T).
    """
    return max(num_tokens - offset - 1, 0) // (batch_size * num_steps)


def _check(corpus: Sequence[int], batch_size: int, num_steps: int, need: int) -> None:
    if batch_size < 1 or num_steps < 1:
        raise CorpusError(
            f"batch size and steps must be at least 1, got {batch_size} and {num_steps}")
    if len(corpus) < need:
        raise CorpusError(
            f"the corpus has {len(corpus)} tokens; batch size {batch_size} with {num_steps} steps "
            f"needs at least {need}. Use more text, a smaller batch or fewer steps."
        )


def _draw_offset(rng: random.Random, num_steps: int) -> int:
    """First draw of every epoch; shared with SeqDataLoader.__len__, which replays it."""
    return rng.randint(0, num_steps - 1)


def seq_data_iter_random(corpus: Sequence[int], batch_size: int, num_steps: int,
                         rng: random.Random) -> Iterator[Batch]:
    """d2l's random sampling: non-overlapping subsequences in shuffled order.

    Neighbouring batches are not neighbours in the text, so a model must reset its state per
    batch. Draws from `rng` (offset, then shuffle) when called, not on the first `next()`.
    Raises CorpusError only when no offset could give a batch (fewer than B * T + 1 tokens);
    between that and `min_corpus_tokens` some offsets give none, as in d2l.
    """
    _check(corpus, batch_size, num_steps, batch_size * num_steps + 1)
    offset = _draw_offset(rng, num_steps)
    tokens = torch.as_tensor(corpus[offset:], dtype=torch.long)
    num_subseqs = (len(tokens) - 1) // num_steps
    starts = list(range(0, num_subseqs * num_steps, num_steps))
    rng.shuffle(starts)
    steps = torch.arange(num_steps)

    def batches() -> Iterator[Batch]:
        for i in range(0, (num_subseqs // batch_size) * batch_size, batch_size):
            idx = torch.tensor(starts[i:i + batch_size])[:, None] + steps  # (B, T)
            yield tokens[idx], tokens[idx + 1]

    return batches()


def seq_data_iter_sequential(corpus: Sequence[int], batch_size: int, num_steps: int,
                             rng: random.Random) -> Iterator[Batch]:
    """d2l's sequential partitioning: row b of batch i+1 continues row b of batch i.

    The text is cut into batch_size long rows, read num_steps columns at a time, so a model may
    carry its hidden state across batches. Draws the offset from `rng` when called. Raises
    CorpusError, like `seq_data_iter_random`, only below B * T + 1 tokens.

    d2l draws this offset from [0, num_steps]; num_steps gives the same phase as 0 with one
    batch fewer, so both samplers here use [0, num_steps - 1].
    """
    _check(corpus, batch_size, num_steps, batch_size * num_steps + 1)
    offset = _draw_offset(rng, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    tokens = torch.as_tensor(corpus[offset:offset + num_tokens + 1], dtype=torch.long)
    Xs = tokens[:-1].reshape(batch_size, -1)  # (B, num_tokens / B)
    Ys = tokens[1:].reshape(batch_size, -1)

    def batches() -> Iterator[Batch]:
        for i in range(0, (Xs.shape[1] // num_steps) * num_steps, num_steps):
            yield Xs[:, i:i + num_steps], Ys[:, i:i + num_steps]

    return batches()


SAMPLERS = {"random": seq_data_iter_random, "sequential": seq_data_iter_sequential}


def split_train_val(corpus: Sequence[int], val_frac: float) -> tuple[list[int], list[int]]:
    """Hold out the last `val_frac` of the tokens (floor), contiguous, so validation text is
    text the model never saw rather than shuffled neighbours of training windows."""
    if not 0 <= val_frac <= 0.5:
        raise ValueError(f"val_frac must be in [0, 0.5], got {val_frac}")
    n_train = len(corpus) - int(len(corpus) * val_frac)
    return list(corpus[:n_train]), list(corpus[n_train:])


class SeqDataLoader:
    """Re-iterable minibatches: each `iter()` is one epoch drawn from the loader's own rng.

    Epochs differ from one another, while the same seed reproduces the whole sequence of
    epochs. The corpus must give a batch at every offset (`min_corpus_tokens`), checked here so
    a too-short text fails before training starts rather than as an empty epoch.
    """

    def __init__(self, corpus: Sequence[int], batch_size: int, num_steps: int,
                 sampler: str = "random", seed: int = 0):
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; expected one of {sorted(SAMPLERS)}")
        _check(corpus, batch_size, num_steps, min_corpus_tokens(batch_size, num_steps))
        self.corpus, self.batch_size, self.num_steps = corpus, batch_size, num_steps
        self.sampler = sampler
        self._rng = random.Random(seed)

    def __iter__(self) -> Iterator[Batch]:
        return SAMPLERS[self.sampler](self.corpus, self.batch_size, self.num_steps, self._rng)

    def __len__(self) -> int:
        """Exact batch count of the epoch the next `iter()` starts. It can differ by one between
        epochs because the offset does, so it is replayed from a copy of the rng's state."""
        peek = random.Random()
        peek.setstate(self._rng.getstate())
        offset = _draw_offset(peek, self.num_steps)
        return num_batches(len(self.corpus), self.batch_size, self.num_steps, offset)
