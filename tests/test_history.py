"""The columnar step history against the plain list of row dicts it replaces."""
import math
import random
import threading
import tracemalloc

import pytest

from rnnviz import plots
from rnnviz.history import FIELDS, StepHistory, column, having, latest
from rnnviz.train import StepRecord


def _rows(n, seed=0):
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        end = i % 7 == 0
        rows.append(dict(step=i, epoch=1 + i // 7, loss=rng.uniform(1, 3), ppl=rng.uniform(3, 20),
                         grad_norm=rng.uniform(0, 5), grad_norm_clipped=1.0, lr=0.01, tokens=35 * i,
                         tokens_per_s=rng.uniform(1e4, 2e4), elapsed_s=0.1 * i,
                         val_ppl=rng.uniform(4, 9) if i % 5 == 0 else None, epoch_end=end,
                         epoch_ppl=rng.uniform(4, 9) if end else None, time=1.7e9 + i))
    return rows


def test_fields_are_a_step_record_and_its_time():
    assert list(FIELDS) == [f for f in StepRecord.__dataclass_fields__] + ["time"]


def test_a_view_reads_exactly_like_the_rows_it_was_given():
    rows = _rows(60)
    view = StepHistory(rows).view()
    assert len(view) == 60 and list(view) == rows and view[-1] == rows[-1] and view[7] == rows[7]
    assert list(view[10:20]) == rows[10:20] and list(view[::-7]) == rows[::-7]
    assert view[10:20][3] == rows[13]
    for name in FIELDS:
        assert column(view, name) == column(rows, name) == [r[name] for r in rows]
    assert column(view, "loss", [0, 5, 59]) == [rows[i]["loss"] for i in (0, 5, 59)]
    assert list(having(view, "val_ppl")) == having(rows, "val_ppl") == [r for r in rows if r["val_ppl"]]
    assert latest(view, "epoch_ppl") == latest(rows, "epoch_ppl") == rows[55]["epoch_ppl"]
    assert latest(view[:6], "epoch_ppl") is None and latest(view[:6], "val_ppl") == rows[4]["val_ppl"]
    assert view.rows(exclude=("time",)) == [{k: v for k, v in r.items() if k != "time"} for r in rows]
    assert isinstance(view[0]["epoch_end"], bool) and isinstance(view[0]["step"], int)


def test_a_view_does_not_change_while_the_run_appends():
    hist = StepHistory()
    rows = _rows(5000)
    for r in rows[:100]:
        hist.append(r)
    view = hist.view()
    seen = []

    def read():
        for _ in range(200):
            seen.append((len(view), column(view, "step")[-1], view[-1]["step"]))

    reader = threading.Thread(target=read)
    reader.start()
    for r in rows[100:]:
        hist.append(r)
    reader.join()
    assert set(seen) == {(100, 100, 100)} and len(hist) == 5000 and hist.view()[-1] == rows[-1]


def test_figures_from_a_view_equal_figures_from_the_rows():
    rows = _rows(1234)
    view = StepHistory(rows).view()
    for make in (lambda h: plots.loss_figure(h), lambda h: plots.perplexity_figure(h, 28),
                 lambda h: plots.grad_norm_figure(h, 1.0),
                 lambda h: plots.compare_figure([("a", h)], "val_ppl", "time")):
        assert make(view).to_json() == make(rows).to_json()


def test_a_step_costs_a_tenth_of_a_dict_row():
    rows = _rows(20000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    hist = StepHistory(rows)
    per_step = (tracemalloc.get_traced_memory()[0] - before) / len(rows)
    tracemalloc.stop()
    assert per_step < 8 * len(FIELDS) * 1.2 and hist.nbytes() >= 8 * 13 * len(rows)
    assert not math.isnan(column(hist.view(), "loss")[0])


def test_a_row_missing_a_field_is_refused_and_the_columns_stay_aligned():
    rows = _rows(3)
    hist = StepHistory(rows[:2])
    with pytest.raises(KeyError):
        hist.append({"step": 3, "epoch": 1})
    hist.append(rows[2])
    assert list(hist.view()) == rows
