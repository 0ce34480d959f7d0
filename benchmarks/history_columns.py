"""A long run's history as row dicts vs in columns (rnnviz/history.py): bytes a step, and the Train page's redraw.

    python benchmarks/history_columns.py [--steps 130000] [--repeat 5]

Builds one history of --steps rows (about what two cores train in 30 minutes with the page's defaults) both
ways, measures the memory each keeps per step with tracemalloc, and times what the live Train page does on every
redraw with it: the run's view (the rows so far) and its three figures (loss, perplexity, gradient norm).
Prints the figures and the ratios.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz import plots  # noqa: E402
from rnnviz.history import StepHistory  # noqa: E402


def make_rows(n: int) -> list[dict]:
    rng = random.Random(0)
    rows = []
    for i in range(1, n + 1):
        end = i % 150 == 0
        rows.append(dict(step=i, epoch=1 + i // 150, loss=rng.uniform(1, 3), ppl=rng.uniform(3, 20),
                         grad_norm=rng.uniform(0.1, 5), grad_norm_clipped=1.0, lr=0.01, tokens=1120 * i,
                         tokens_per_s=rng.uniform(1e4, 2e4), elapsed_s=0.014 * i,
                         val_ppl=rng.uniform(4, 9) if end else None, epoch_end=end,
                         epoch_ppl=rng.uniform(4, 9) if end else None, time=1.7e9 + 0.014 * i))
    return rows


def bytes_per_step(build, n: int) -> float:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del kept
    return grown / n


def redraw_s(view, repeat: int) -> float:
    """Best of ``repeat``: take the view, build the three live figures."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        history = view()
        plots.loss_figure(history)
        plots.perplexity_figure(history, 28)
        plots.grad_norm_figure(history, 1.0)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=130_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.steps
    rows = make_rows(n)
    dict_b = bytes_per_step(lambda: make_rows(n), n)
    col_b = bytes_per_step(lambda: StepHistory(rows), n)
    hist = StepHistory(rows)
    dict_s = redraw_s(lambda: rows[:], args.repeat)  # the worker used to copy its list of rows for each view
    col_s = redraw_s(hist.view, args.repeat)
    print(f"steps                {n:,}")
    print(f"bytes a step         rows {dict_b:,.0f}   columns {col_b:,.0f}   ratio {dict_b / col_b:.1f}x")
    print(f"history in memory    rows {dict_b * n / 1e6:,.1f} MB   columns {col_b * n / 1e6:,.1f} MB")
    print(f"redraw (3 figures)   rows {dict_s * 1e3:,.1f} ms   columns {col_s * 1e3:,.1f} ms   "
          f"ratio {dict_s / col_s:.2f}x")


if __name__ == "__main__":
    main()
