"""A run's history rows in the app read exactly like the StepRecord dicts they replace."""
import copy
import math
import pickle
import sys

import pytest
from apptest_utils import ROOT  # noqa: F401  (puts the app's root on sys.path)

from rnnviz.train import StepRecord
from ui.history import FIELDS, StepRow

REC = StepRecord(step=12, epoch=2, loss=2.5, ppl=math.exp(2.5), grad_norm=3.0, grad_norm_clipped=1.0, lr=0.01,
                 tokens=4200, tokens_per_s=1234.5, elapsed_s=3.4, val_ppl=11.0, epoch_end=True, epoch_ppl=12.5)


def test_a_row_reads_as_the_records_dict_plus_its_time():
    row = StepRow(REC, when=1_700_000_000.0)
    expected = {**REC.to_dict(), "time": 1_700_000_000.0}
    assert dict(row) == expected and row == expected and list(row) == list(expected)
    assert row["loss"] == 2.5 and row.get("val_ppl") == 11.0 and row.get("nothing", 7) == 7
    assert "time" in row and "nothing" not in row and len(row) == len(expected)
    assert {**row, "extra": 1}["epoch_ppl"] == 12.5
    assert {k: v for k, v in row.items() if k != "time"} == REC.to_dict()  # what a checkpoint keeps


def test_missing_keys_and_attributes_are_not_keys():
    row = StepRow(REC)
    for key in ("__slots__", "keys", "get", "_nothing"):
        with pytest.raises(KeyError):
            row[key]
    assert row.get("__class__") is None


def test_a_row_is_read_only_and_copies_and_pickles():
    row = StepRow(REC, when=5.0)
    with pytest.raises(AttributeError):
        row.loss = 0.0
    assert copy.copy(row) == row and pickle.loads(pickle.dumps(row)) == row


def test_every_field_of_the_record_is_kept():
    assert FIELDS[:-1] == tuple(REC.to_dict()) and FIELDS[-1] == "time"


def test_a_row_is_far_smaller_than_the_dict():
    """The reason it exists (ui/history.py): a row with slots is under a third of the dict's own size."""
    row, as_dict = StepRow(REC), {**REC.to_dict(), "time": 0.0}
    assert sys.getsizeof(row) * 3 < sys.getsizeof(as_dict), (sys.getsizeof(row), sys.getsizeof(as_dict))
