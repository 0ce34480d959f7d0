"""The columnar step history against the plain list of row dicts it replaces."""
import math
import threading
import tracemalloc

import pytest

from rnnviz import plots
from rnnviz.history import FIELDS, StepHistory, column, having, latest
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig
from rnnviz.train import StepRecord, TrainConfig, Trainer


def _rows(n):
    """``n`` real rows: a tiny run's StepRecords (epochs of 8 steps, validation every 5) and a clock time."""
    text = "the time machine by h g wells " * 12
    vocab = Vocab(list(text))
    ids = vocab[list(text)]
    trainer = Trainer(ModelConfig(kind="rnn", hidden_size=4, vocab_size=len(vocab)),
                      TrainConfig(batch_size=4, num_steps=8, epochs=10**4, eval_every=5), ids[:300], ids[300:])
    return [{**trainer.step().to_dict(), "time": 1.7e9 + i} for i in range(n)]


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
    ends = [i for i, r in enumerate(rows) if r["epoch_ppl"] is not None]
    vals = [i for i, r in enumerate(rows) if r["val_ppl"] is not None]
    assert len(ends) >= 2 and len(vals) > len(ends)
    assert latest(view, "epoch_ppl") == latest(rows, "epoch_ppl") == rows[ends[-1]]["epoch_ppl"]
    assert latest(view[:ends[0]], "epoch_ppl") is None and latest(view[:vals[1]], "val_ppl") == rows[vals[0]]["val_ppl"]
    assert view.rows(exclude=("time",)) == [{k: v for k, v in r.items() if k != "time"} for r in rows]
    assert isinstance(view[0]["epoch_end"], bool) and isinstance(view[0]["step"], int)


def test_a_view_does_not_change_while_the_run_appends():
    hist = StepHistory()
    rows = _rows(100) * 50
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
    rows = _rows(300) * 4
    view = StepHistory(rows).view()
    assert 0 < len(having(rows, "val_ppl")) < len(rows)
    for make in (lambda h: plots.loss_figure(h), lambda h: plots.perplexity_figure(h, 28),
                 lambda h: plots.grad_norm_figure(h, 1.0),
                 lambda h: plots.compare_figure([("a", h)], "val_ppl", "time")):
        assert make(view).to_json() == make(rows).to_json()


def test_a_step_costs_a_tenth_of_a_dict_row():
    rows = _rows(500) * 40
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
