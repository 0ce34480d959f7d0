"""A training run's history, one row per optimizer step, kept in columns.

A row is a ``StepRecord.to_dict()`` plus ``"time"`` (Unix seconds at the end of the step). As a Python dict a
row costs about 930 bytes (measured with tracemalloc), and a run on two cores makes 70 steps a second: 120 MB in
half an hour, in many small objects that keep the interpreter's memory pools from being given back. Here each
field is one machine value in a typed array, about 110 bytes a step, in a few large buffers.

:class:`StepHistory` is appended to by one thread (the run's) while others read: a :class:`HistoryView` is a
fixed number of rows taken at one moment, so it never changes under its reader; reading an array item or slice
is a single operation under the interpreter's lock, and the arrays are never exported as buffers (that would
forbid them to grow). A view reads like a list of row dicts; :func:`column` and :func:`having` read a field
without building them, and also accept plain lists of dicts (histories in checkpoints).

Missing optional values (``val_ppl`` and ``epoch_ppl`` on the steps without them) are stored as NaN and read as
None; those two are never NaN otherwise (a run whose loss is not finite stops before recording the step).
"""
from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

# field -> array typecode: 'q' whole numbers, 'd' floats, 'b' flags
FIELDS: dict[str, str] = {
    "step": "q", "epoch": "q", "loss": "d", "ppl": "d", "grad_norm": "d", "grad_norm_clipped": "d", "lr": "d",
    "tokens": "q", "tokens_per_s": "d", "elapsed_s": "d", "val_ppl": "d", "epoch_end": "b", "epoch_ppl": "d",
    "time": "d",
}
OPTIONAL = frozenset({"val_ppl", "epoch_ppl"})


def _read(name: str, value: Any) -> Any:
    if name in OPTIONAL:
        return None if math.isnan(value) else value
    if name == "epoch_end":
        return bool(value)
    return value


class StepHistory:
    """The growing history of one run (appended to by one thread; read through :meth:`view`)."""

    def __init__(self, rows: Iterable[dict] = ()):
        self._cols = {name: array(code) for name, code in FIELDS.items()}
        self._n = 0
        for row in rows:
            self.append(row)

    def append(self, row: dict) -> None:
        """Add one row (every field of FIELDS; ``val_ppl``/``epoch_ppl`` may be None)."""
        values = [row[name] for name in FIELDS]  # all read first: a bad row leaves the columns aligned
        for col, value in zip(self._cols.values(), values):
            col.append(math.nan if value is None else value)
        self._n += 1  # last: a view taken meanwhile never sees a half-written row

    def __len__(self) -> int:
        return self._n

    def view(self) -> "HistoryView":
        """The rows so far; later appends do not show in it."""
        return HistoryView(self._cols, range(self._n))

    def nbytes(self) -> int:
        """Bytes held by the columns' buffers (allocated, not only used)."""
        return sum(col.buffer_info()[1] * col.itemsize for col in self._cols.values())


class HistoryView(Sequence):
    """Some rows of a :class:`StepHistory` (all up to a moment, a slice of them, or those having a field);
    indexing gives a row dict, built on demand."""

    __slots__ = ("_cols", "_idx")

    def __init__(self, cols: dict[str, array], idx: range | list[int]):
        self._cols, self._idx = cols, idx

    def __len__(self) -> int:
        return len(self._idx)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return HistoryView(self._cols, self._idx[i])
        j = self._idx[i]
        return {name: _read(name, col[j]) for name, col in self._cols.items()}

    def __iter__(self) -> Iterator[dict]:
        for j in self._idx:
            yield {name: _read(name, col[j]) for name, col in self._cols.items()}

    def __repr__(self) -> str:
        return f"<HistoryView of {len(self)} rows>"

    def column(self, name: str, at: Sequence[int] | None = None) -> list:
        """The field ``name`` of every row (or of the rows at positions ``at``), as a list."""
        col = self._cols[name]
        idx = self._idx if at is None else [self._idx[i] for i in at]
        if isinstance(idx, range) and idx.step == 1 and name not in OPTIONAL and name != "epoch_end":
            return col[idx.start:idx.stop].tolist()
        return [_read(name, col[j]) for j in idx]

    def having(self, name: str) -> "HistoryView":
        """The rows where the optional field ``name`` has a value."""
        idx = self._positions()
        return HistoryView(self._cols, idx[~np.isnan(self._values(name, idx))].tolist())

    def values(self, name: str) -> np.ndarray:
        """The field ``name`` of every row as floats (NaN where missing), for arithmetic on a whole run."""
        return self._values(name, self._positions())

    def _positions(self) -> np.ndarray:
        idx = self._idx
        return np.arange(idx.start, idx.stop, idx.step) if isinstance(idx, range) else np.asarray(idx, dtype=np.int64)

    def _values(self, name: str, idx: np.ndarray) -> np.ndarray:
        if not len(idx):
            return np.empty(0)
        lo, hi = int(idx.min()), int(idx.max())
        # A copy of the stretch: a buffer exported from the live array would stop it growing.
        return np.array(self._cols[name][lo:hi + 1], dtype=float)[idx - lo]

    def latest(self, name: str) -> Any:
        """The last value of ``name`` that is not None, or None."""
        col = self._cols[name]
        for j in reversed(self._idx):
            value = _read(name, col[j])
            if value is not None:
                return value
        return None

    def rows(self, exclude: Iterable[str] = ()) -> list[dict]:
        """Every row as a plain dict, without the fields in ``exclude`` (for a checkpoint)."""
        names = [n for n in FIELDS if n not in set(exclude)]
        cols = {n: self.column(n) for n in names}
        return [dict(zip(names, values)) for values in zip(*(cols[n] for n in names))]


def column(rows: Sequence[dict], name: str, at: Sequence[int] | None = None) -> list:
    """Field ``name`` of every row (or of the rows at positions ``at``; a missing value is None), from a
    :class:`HistoryView` without building its rows, or from a list of dicts."""
    if isinstance(rows, HistoryView):
        return rows.column(name, at)
    return [rows[i].get(name) for i in (range(len(rows)) if at is None else at)]


def values(rows: Sequence[dict], name: str) -> np.ndarray:
    """Field ``name`` of every row as a float array, NaN where missing."""
    if isinstance(rows, HistoryView):
        return rows.values(name)
    return np.array([r.get(name) for r in rows], dtype=float)


def having(rows: Sequence[dict], name: str) -> Sequence[dict]:
    """The rows where field ``name`` has a value."""
    if isinstance(rows, HistoryView):
        return rows.having(name)
    return [r for r in rows if r.get(name) is not None]


def latest(rows: Sequence[dict], name: str) -> Any:
    """The last value of field ``name`` that is not None, or None."""
    if isinstance(rows, HistoryView):
        return rows.latest(name)
    return next((r[name] for r in reversed(rows) if r.get(name) is not None), None)
