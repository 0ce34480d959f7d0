"""A run's history in the app: one row per optimizer step, read like the ``StepRecord.to_dict()`` dict the
charts, the run table and the checkpoint expect, plus "time" (Unix seconds when the step ended).

A row is an object with slots rather than a dict. A dict of fourteen entries is too big for Python's
small-object allocator, so every step's dict came from the C allocator, in the arena of the training thread,
between the step's short-lived tensors; one live row every few kilobytes kept glibc from handing the freed pages
around them back (``malloc_trim`` can return only whole free pages), and each pause and resume, a new thread on
another arena, left such a peppered heap behind. A row with slots is about 150 bytes and comes from Python's own
pools, away from the tensors, and the history takes well under half the memory.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping

from rnnviz.train import StepRecord

FIELDS: tuple[str, ...] = (*(f.name for f in dataclasses.fields(StepRecord)), "time")


class StepRow(Mapping):
    """One step of a run: ``row["loss"]``, ``row.get("val_ppl")``, ``dict(row)`` as with the dict it replaces."""

    __slots__ = FIELDS

    def __init__(self, rec: StepRecord, when: float | None = None):
        for name in FIELDS[:-1]:
            object.__setattr__(self, name, getattr(rec, name))
        object.__setattr__(self, "time", time.time() if when is None else when)

    def __setattr__(self, name, value):
        raise AttributeError("a history row is read-only")

    def __getitem__(self, key: str):
        if key not in FIELDS:  # a slot's name only: not the class's own attributes
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)

    def __reduce__(self):  # copy and pickle: through the constructor, the slots being read-only
        return _row, tuple(getattr(self, name) for name in FIELDS)

    def __repr__(self) -> str:
        return f"StepRow({dict(self)!r})"


def _row(*values) -> StepRow:
    row = StepRow.__new__(StepRow)
    for name, value in zip(FIELDS, values, strict=True):
        object.__setattr__(row, name, value)
    return row
