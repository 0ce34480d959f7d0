"""Synthetic sequence tasks whose dependency length T is a knob: does a cell carry information T steps?

Every task draws batches on the fly from a ``torch.Generator`` (no files) as a :class:`Batch`:

===========  ============  ========================================================================
field        shape         meaning
===========  ============  ========================================================================
``x``        (B, L, in)    the inputs, one row per step (one-hot symbols, or value + marker)
``y``        (B, L)        the target at every step: float (regression) or long (a class index)
``scored``   (B, L) bool   the steps whose output is scored; the others' outputs are ignored
``cues``     (B, L) bool   the inputs the answer depends on (the marked numbers, the subject, ...)
===========  ============  ========================================================================

L is the sequence length the task builds around T. The four tasks are the lecture's RNN shapes:

* ``adding`` — many-to-one: T numbers in [0, 1], two of them marked (one in the first tenth, one in
  the second half); output their sum at the last step. Regression; right when within ``TOLERANCE``.
* ``agreement`` — many-to-one, characters: "cat." or "cats", T random letters, then "w": is the next
  character 'a' (was) or 'e' (were)? The subject at the start decides the end.
* ``copy`` — many-to-many, different lengths: k symbols, T blanks, a go mark, then k blanks during
  which the k symbols must be written back in order.
* ``echo`` — many-to-many, equal lengths (tagging): tag every step t ≥ T with the symbol read at t − T.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .i18n import t

TOLERANCE = 0.1  # the adding problem counts an answer right when |ŷ − y| < this
LETTERS = "abcdefghijklmnopqrstuvwxyz"
AGREE_CHARS = LETTERS + " ."  # the agreement task's vocabulary (one-hot inputs)
AGREE_ANSWERS = ("a", "e")  # class 0: singular "w|a|s", class 1: plural "w|e|re"
SUBJECTS = ("cat.", "cats")
COPY_SYMBOLS = 8  # the copy task's alphabet: symbols 1..8; 0 is the blank, 9 the go mark
COPY_K = 3
ECHO_SYMBOLS = 4
ECHO_TAGS = 8  # scored steps after the first T
MAX_T = 500
SHAPES = ("many-to-one", "many-to-many (equal)", "many-to-many (different)", "one-to-many")  # the lecture's shapes
_SHAPE_KEYS = {"many-to-one": "many_to_one", "many-to-many (equal)": "many_to_many_equal",
               "many-to-many (different)": "many_to_many_different", "one-to-many": "one_to_many"}


def shape_name(shape: str) -> str:
    """The name of an RNN shape ("many-to-one" ...) in the interface's language."""
    return t(f"memory_tasks.shape_{_SHAPE_KEYS[shape]}")


def shape_text(shape: str) -> str:
    """One line on what an RNN shape reads and writes."""
    return t(f"memory_tasks.shape_{_SHAPE_KEYS[shape]}_text")


class TaskError(ValueError):
    """A task setting that cannot be built; the message is meant for the user."""


@dataclass
class Batch:
    """One batch of a task; the module docstring lists the shapes."""

    x: torch.Tensor  # (B, L, in) float
    y: torch.Tensor  # (B, L) float or long
    scored: torch.Tensor  # (B, L) bool
    cues: torch.Tensor  # (B, L) bool


@dataclass(frozen=True)
class Task:
    """What a model needs to know about a task: sizes, loss type, the lecture's shape; its title and one-line story
    come from the catalogue, in the interface's language."""

    name: str
    shape: str  # one of SHAPES
    in_dim: int
    out_dim: int  # 1 for regression, the number of classes otherwise
    regression: bool
    chance: float  # accuracy of the best guess that ignores the inputs

    @property
    def title(self) -> str:
        return t(f"memory_tasks.{self.name}_title")

    @property
    def story(self) -> str:
        return t(f"memory_tasks.{self.name}_story", tolerance=TOLERANCE, k=COPY_K, tags=ECHO_TAGS)

    def length(self, T: int) -> int:
        """The sequence length L for dependency length T."""
        return {"adding": T, "agreement": T + 5, "copy": T + 2 * COPY_K + 1, "echo": T + ECHO_TAGS}[self.name]

    def batch(self, T: int, batch_size: int, gen: torch.Generator) -> Batch:
        """A fresh batch drawn with ``gen``."""
        _check_T(self, T)
        if not 1 <= batch_size <= 4096:
            raise TaskError(f"batch size must be between 1 and 4096, got {batch_size}")
        return _MAKERS[self.name](T, batch_size, gen)


def _check_T(task: Task, T: int) -> None:
    lo = 2 if task.name == "adding" else 1
    if isinstance(T, bool) or not isinstance(T, int) or not lo <= T <= MAX_T:
        raise TaskError(f"the dependency length T must be a whole number between {lo} and {MAX_T}, got {T!r}")


def adding(T: int, B: int, gen: torch.Generator) -> Batch:
    """x[..., 0] uniform values, x[..., 1] the two markers; y at the last step = the sum of the marked values.

    The first marker lies in the first tenth of the sequence (at least position 0), the second in the second
    half, so the answer needs something read about T steps earlier.
    """
    values = torch.rand(B, T, generator=gen)
    first_span = max(1, T // 10)
    first = torch.randint(0, first_span, (B,), generator=gen)
    second = torch.randint(max(first_span, T // 2), T, (B,), generator=gen)
    marks = torch.zeros(B, T)
    rows = torch.arange(B)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = torch.zeros(B, T)
    y[:, -1] = (values * marks).sum(1)
    scored = torch.zeros(B, T, dtype=torch.bool)
    scored[:, -1] = True
    return Batch(torch.stack([values, marks], dim=-1), y, scored, marks.bool())


def _one_hot(ids: torch.Tensor, n: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(ids, n).float()


def agreement_strings(T: int, B: int, gen: torch.Generator) -> tuple[list[str], torch.Tensor]:
    """(strings, labels): B strings "cat." or "cats" + T random letters/spaces + "w", label 0 ('a') or 1 ('e')."""
    labels = torch.randint(0, 2, (B,), generator=gen)
    filler = torch.randint(0, 27, (B, T), generator=gen)  # a–z and space
    filler_chars = LETTERS + " "
    strings = [SUBJECTS[int(lab)] + "".join(filler_chars[int(i)] for i in row) + "w" for lab, row in zip(labels, filler)]
    return strings, labels


def encode_agreement(strings: list[str]) -> torch.Tensor:
    """(B, L, 28) one-hot rows of ``AGREE_CHARS``."""
    index = {c: i for i, c in enumerate(AGREE_CHARS)}
    ids = torch.tensor([[index[c] for c in s] for s in strings])
    return _one_hot(ids, len(AGREE_CHARS))


def agreement(T: int, B: int, gen: torch.Generator) -> Batch:
    strings, labels = agreement_strings(T, B, gen)
    x = encode_agreement(strings)
    L = x.shape[1]
    y = torch.zeros(B, L, dtype=torch.long)
    y[:, -1] = labels
    scored = torch.zeros(B, L, dtype=torch.bool)
    scored[:, -1] = True
    cues = torch.zeros(B, L, dtype=torch.bool)
    cues[:, 3] = True  # the '.' or 's' that makes the subject singular or plural
    return Batch(x, y, scored, cues)


def copy(T: int, B: int, gen: torch.Generator) -> Batch:
    """Inputs: k symbols (1..8), T blanks (0), the go mark (9), k blanks. Targets: blanks, then the k symbols."""
    k = COPY_K
    L = T + 2 * k + 1
    symbols = torch.randint(1, COPY_SYMBOLS + 1, (B, k), generator=gen)
    ids = torch.zeros(B, L, dtype=torch.long)
    ids[:, :k] = symbols
    ids[:, k + T] = COPY_SYMBOLS + 1
    y = torch.zeros(B, L, dtype=torch.long)
    y[:, L - k:] = symbols
    scored = torch.zeros(B, L, dtype=torch.bool)
    scored[:, L - k:] = True
    cues = torch.zeros(B, L, dtype=torch.bool)
    cues[:, :k] = True
    return Batch(_one_hot(ids, COPY_SYMBOLS + 2), y, scored, cues)


def echo(T: int, B: int, gen: torch.Generator) -> Batch:
    """Random symbols 0..3 at every step; the tag at step t ≥ T is the symbol read at step t − T."""
    L = T + ECHO_TAGS
    ids = torch.randint(0, ECHO_SYMBOLS, (B, L), generator=gen)
    y = torch.zeros(B, L, dtype=torch.long)
    y[:, T:] = ids[:, :L - T]
    scored = torch.zeros(B, L, dtype=torch.bool)
    scored[:, T:] = True
    cues = torch.zeros(B, L, dtype=torch.bool)
    cues[:, :ECHO_TAGS] = True
    return Batch(_one_hot(ids, ECHO_SYMBOLS), y, scored, cues)


_MAKERS = {"adding": adding, "agreement": agreement, "copy": copy, "echo": echo}

TASKS: dict[str, Task] = {
    "agreement": Task("agreement", "many-to-one", len(AGREE_CHARS), 2, False, 0.5),
    "adding": Task("adding", "many-to-one", 2, 1, True, 0.19),
    "copy": Task("copy", "many-to-many (different)", COPY_SYMBOLS + 2, COPY_SYMBOLS + 1, False, 1 / COPY_SYMBOLS),
    "echo": Task("echo", "many-to-many (equal)", ECHO_SYMBOLS, ECHO_SYMBOLS, False, 1 / ECHO_SYMBOLS),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise TaskError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name]


def describe_example(task: Task, batch: Batch, i: int = 0) -> tuple[str, str]:
    """(input, answer) of example ``i`` as short readable strings for a caption."""
    x, y, s = batch.x[i], batch.y[i], batch.scored[i]
    if task.name == "adding":
        marked = [f"{float(v):.2f}" for v, m in zip(x[:, 0], x[:, 1]) if m > 0]
        return (t("memory_tasks.adding_example", n=len(x), first=marked[0], second=marked[1]), f"{float(y[-1]):.2f}")
    if task.name == "agreement":
        text = "".join(AGREE_CHARS[int(j)] for j in x.argmax(1))
        return (text, AGREE_ANSWERS[int(y[-1])])
    ids = x.argmax(1).tolist()
    if task.name == "copy":
        show = {0: "_", COPY_SYMBOLS + 1: "|"}
        return ("".join(show.get(j, str(j)) for j in ids), "".join(str(int(v)) for v in y[s]))
    return ("".join(str(j) for j in ids), "".join(str(int(v)) for v in y[s]))


__all__ = ["Batch", "Task", "TASKS", "SHAPES", "shape_name", "shape_text", "TaskError", "TOLERANCE", "get_task", "describe_example",
           "adding", "agreement", "copy", "echo", "agreement_strings", "encode_agreement"]
