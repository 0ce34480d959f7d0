"""A long training run in the app, through the browser: does the server's memory grow beyond the run's own?

    RNNVIZ_TIMEMACHINE=/path/to/timemachine.txt python benchmarks/long_run.py [--minutes 30]
        [--away-every 120] [--pause-every 300]

One headless Chromium tab on `streamlit run app.py` (127.0.0.1, a free port) opens /train, sets Epochs to
100,000 so the run outlasts the window, and presses Start with the page's defaults (LSTM 256, batch 32 × 35,
Adam, the whole book). Then, for --minutes:

- every --away-every seconds the tab leaves for another page (Generate, Hidden states, Gates, Language
  statistics, Text to tokens, Gradients in turn), stays 20 s and comes back: the run must have gone on training;
- every --pause-every seconds it presses Pause, checks that the step count stands still for 15 s, presses
  Resume and checks that it moves again;
- once a minute it notes the server's resident memory (RSS), thread count, and the run's step.

The run's own history legitimately grows (one row per optimizer step, kept in columns for the charts and the
checkpoint: rnnviz/history.py), so the report separates it: growth of RSS from minute 2 to the end, the bytes the history
accounts for (steps × measured bytes per record), and what is left over. Prints the series and the figures;
exits non-zero if a check failed or the server logged a traceback. The server runs with serve.py's environment
(glibc's arena cap), as `python serve.py` starts it.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from load_sessions import CHROMIUM, CHROMIUM_ARGS, LOADED_JS, STEP_JS, TITLE_JS, Sampler, Server  # noqa: E402

EPOCHS = 100_000
AWAY = ("generate", "hidden_states", "gates", "statistics", "text", "gradients")
AWAY_S = 20.0
PAUSED_S = 15.0


def history_bytes_per_step(steps: int = 100_000) -> float:
    """Bytes of Python memory the run keeps per optimizer step, measured: the worker's published row (a
    StepRecord's fields and the time, kept in columns for the charts, the run table and the checkpoint; the
    trainer keeps no copy of its own under the worker). One real record published ``steps`` times: the columns'
    buffers grow in jumps, so a short count overstates (3,000 steps measured 390 bytes, 100,000 about 120)."""
    import tracemalloc

    sys.path.insert(0, str(BENCH.parent))
    from rnnviz.data import Vocab
    from rnnviz.models import ModelConfig
    from rnnviz.train import TrainConfig, Trainer
    from ui.worker import Scheduler, TrainingJob

    vocab = Vocab(list("abcdefgh "))
    ids = vocab[list("abc defg hab cdef gh " * 50)]
    trainer = Trainer(ModelConfig(kind="rnn", hidden_size=4, vocab_size=len(vocab)),
                      TrainConfig(batch_size=1, num_steps=2, epochs=10**5, lr=0.01), ids)
    job = TrainingJob(trainer, vocab, "measure", {}, scheduler=Scheduler(1))
    for _ in range(100):
        job._publish(trainer.step())
    rec = trainer.step()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        job._publish(rec)
    job._rate.clear()  # the live rate's last 5 s of steps: all of them when publishing this fast, 350 when training
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown / steps


class Tab:
    """The browser tab and what it checks."""

    def __init__(self, page, log):
        self.page, self.log = page, log
        self.failures: list[str] = []
        self.train_load_s: list[tuple[float, float]] = []  # (minute, seconds to load /train)

    def goto(self, path: str) -> float:
        """Open a page (the first time by its address, then through the sidebar as a user does); seconds taken."""
        prev = self.page.evaluate(TITLE_JS)
        t0 = time.monotonic()
        if not prev:
            self.page.goto("/" if path == "home" else f"/{path}")
        else:
            self.page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
        self.page.wait_for_function(LOADED_JS, arg=prev, timeout=120_000, polling=200)
        exc = self.page.locator('[data-testid="stException"]')
        if exc.count():
            self.failures.append(f"{path}: the page shows an exception: {exc.first.inner_text()[:300]}")
        return time.monotonic() - t0

    def step(self) -> int:
        return self.page.evaluate(STEP_JS)

    def wait_step_above(self, n: int, timeout_s: float = 60.0) -> bool:
        try:
            self.page.wait_for_function(f"() => ({STEP_JS})() > {n}", timeout=timeout_s * 1000, polling=500)
            return True
        except Exception:  # noqa: BLE001 — Playwright's timeout: recorded as a failed check
            return False

    def click(self, key: str) -> None:
        self.page.locator(f".st-key-{key} button").first.click()

    def pause_resume(self, n: int) -> None:
        """Pause, check the step stands still for PAUSED_S seconds, resume, check it moves again."""
        self.click("train_pause")
        self.page.wait_for_function(
            "() => { const b = document.querySelector('.st-key-train_resume button'); return !!b && !b.disabled; }",
            timeout=60_000, polling=250)
        time.sleep(3)  # the page's poll shows the last step
        held = self.step()
        time.sleep(PAUSED_S)
        if self.step() != held:
            self.failures.append(f"pause {n}: the step moved from {held} while paused")
        self.click("train_resume")
        if not self.wait_step_above(held, 60):
            self.failures.append(f"pause {n}: no step after Resume (held at {held})")
        print(f"  pause/resume {n}: held at step {held:,} for {PAUSED_S:.0f} s, then went on", flush=True)

    def trip(self, dest: str, n: int, t0: float) -> None:
        """Leave /train for ``dest`` for AWAY_S seconds and come back; the run must have trained meanwhile."""
        before = self.step()
        self.goto(dest)
        time.sleep(AWAY_S)
        load_s = self.goto("train")
        self.train_load_s.append(((time.monotonic() - t0) / 60, load_s))
        if not self.wait_step_above(before, 30):
            self.failures.append(f"trip {n} to {dest}: no training while away (step {before})")
        print(f"  away to {dest}: step {before:,} -> {self.step():,}, /train back in {load_s:.2f} s", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--away-every", type=float, default=120.0, help="seconds between trips to another page")
    ap.add_argument("--pause-every", type=float, default=300.0, help="seconds between pause/resume checks")
    args = ap.parse_args()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores",
          flush=True)
    server = Server()
    sampler = Sampler(server.proc.pid)
    sampler.start()
    rows: list[dict] = []
    trips = pauses = 0
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, base_url=server.url)
            tab = Tab(ctx.new_page(), print)
            tab.goto("home")
            tab.goto("train")
            epochs = tab.page.locator(".st-key-train_epochs input").first
            epochs.fill(str(EPOCHS))
            epochs.press("Enter")
            tab.page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
            time.sleep(1.5)
            tab.click("train_start")
            if not tab.wait_step_above(0, 120):
                raise SystemExit("the run did not start")
            t0 = time.monotonic()
            end = t0 + args.minutes * 60
            next_minute, next_away, next_pause = t0, t0 + args.away_every, t0 + args.pause_every
            step = tab.step()
            where = "train"
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_minute:
                    s = sampler.samples[-1]
                    if where == "train":
                        step = tab.step()
                    rows.append({"minute": round((now - t0) / 60), "rss_mb": s.rss / 1024**2, "threads": s.threads,
                                 "step": step, "on": where, "trips": trips})
                    r = rows[-1]
                    print(f"  minute {r['minute']:3d}  rss {r['rss_mb']:7.1f} MB  threads {r['threads']:3d}  "
                          f"step {r['step']:7,d} ({'read now' if where == 'train' else 'last read'})", flush=True)
                    next_minute += 60
                elif now >= next_pause:
                    pauses += 1
                    try:
                        tab.pause_resume(pauses)
                    except PlaywrightError as e:  # recorded, and the run goes on being watched
                        tab.failures.append(f"pause {pauses}: {str(e).splitlines()[0]}")
                    next_pause += args.pause_every
                elif now >= next_away:
                    dest = AWAY[trips % len(AWAY)]
                    trips += 1
                    try:
                        where = dest
                        tab.trip(dest, trips, t0)
                    except PlaywrightError as e:
                        tab.failures.append(f"trip {trips} to {dest}: {str(e).splitlines()[0]}")
                        tab.page.goto("/train")
                    where = "train"
                    next_away += args.away_every
                else:
                    time.sleep(0.5)
            final_step = tab.step()
            tab.click("train_stop")
            time.sleep(3)
            failures = tab.failures
            train_load = tab.train_load_s
            ctx.close()
            browser.close()
    finally:
        sampler.stop()
        server.stop()

    log = server.log()
    tracebacks = log.count("Traceback")
    per_row = history_bytes_per_step()
    print("\nminute  RSS (MB)  threads  step")
    for r in rows:
        print(f"{r['minute']:6d}  {r['rss_mb']:8.1f}  {r['threads']:7d}  {r['step']:,}")
    base = next((r for r in rows if r["minute"] >= 2), rows[0])
    last = rows[-1]
    growth = last["rss_mb"] - base["rss_mb"]
    history_mb = (last["step"] - base["step"]) * per_row / 1024**2
    half = [r for r in rows if r["minute"] >= args.minutes / 2]
    if len(half) > 1:  # beyond the history, per 10 minutes
        span = max(1, half[-1]["minute"] - half[0]["minute"])
        beyond = (half[-1]["rss_mb"] - half[0]["rss_mb"]) - (half[-1]["step"] - half[0]["step"]) * per_row / 1024**2
        slope = beyond / span * 10
    else:
        slope = math.nan
    print(f"\nminutes             {args.minutes:g} (run stopped at step {final_step:,})")
    print(f"memory              {base['rss_mb']:.0f} MB at minute {base['minute']} -> {last['rss_mb']:.0f} MB at "
          f"minute {last['minute']}: +{growth:.1f} MB; peak {max(s.rss for s in sampler.samples) / 1024**2:.0f} MB")
    print(f"the run's history   {last['step'] - base['step']:,} steps × {per_row:.0f} bytes (measured) = "
          f"{history_mb:.1f} MB")
    print(f"beyond the history  {growth - history_mb:+.1f} MB; in the second half {slope:+.1f} MB per 10 minutes")
    toured = next((r for r in rows if r["trips"] >= len(AWAY)), None)  # every page's caches are filled by now
    if toured is not None and toured is not last:
        grown = last["rss_mb"] - toured["rss_mb"]
        hist = (last["step"] - toured["step"]) * per_row / 1024**2
        print(f"after every page    {toured['rss_mb']:.0f} MB at minute {toured['minute']} (all pages visited once) "
              f"-> {last['rss_mb']:.0f} MB: +{grown:.1f} MB, of which the history {hist:.1f} MB, "
              f"beyond it {grown - hist:+.1f} MB")
    if train_load:
        print(f"/train load time    first {train_load[0][1]:.2f} s, last {train_load[-1][1]:.2f} s, "
              f"max {max(x for _, x in train_load):.2f} s over {len(train_load)} returns")
    print(f"trips away          {trips}, pause/resume checks {pauses}")
    print(f"tracebacks in log   {tracebacks}")
    for f in failures:
        print(f"FAILED {f}")
    return 0 if not failures and not tracebacks else 1


if __name__ == "__main__":
    sys.exit(main())
