"""A run's history in the app: one row per optimizer step, read like the ``StepRecord.to_dict()`` dict the
charts, the run table and the checkpoint expect, plus "time" (Unix seconds when the step ended).

A row is an object with slots rather than a dict because a run keeps one per optimizer step for as long as its
session lives: at 75 steps a second that is 270,000 rows an hour. A dict of fourteen entries and its key table
take 464 bytes before the values; a row takes 144, and a step costs 511 bytes in all instead of 930 (measured
with tracemalloc by ``benchmarks/long_run.py``).
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
