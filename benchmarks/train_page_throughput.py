"""Does the Train page slow training down? Tokens/s of the engine run bare vs the app training the same config.

    RNNVIZ_TIMEMACHINE=/path/to/timemachine.txt python benchmarks/train_page_throughput.py \\
        [--mode browser|apptest] [--seconds 30] [--rounds 2]

bare     Trainer.step() in a loop for N seconds in this process, with torch's default thread count (what
         the page's worker uses when it is the only run training).
browser  The real app: `streamlit run app.py` on 127.0.0.1, driven by headless Chromium (Debian's
         /usr/bin/chromium through Playwright). It opens /train, sets Epochs to 1000, presses Start with
         the page's default settings (LSTM 256, batch 32 × 35, Adam) and reads the Step metric N seconds
         apart. Chromium draws the live charts on the same machine, as on a lecturer's laptop.
apptest  The same page in this process under AppTest, one at.run() per poll interval, reading the run's
         own record. Each at.run() is a full script run: more UI work than the real fragment poll.

Rounds alternate bare and page so drift in the machine's load hits both. Prints every measurement, the
medians and the ratio page / bare. Run it on an otherwise idle machine (the load average is printed).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnviz.data import load_corpus  # noqa: E402
from rnnviz.train import Trainer, prepare_data  # noqa: E402
from ui.train_form import DEFAULT_MODEL, DEFAULT_TRAIN  # noqa: E402

EPOCHS = 1000  # never finishes inside the window
WARMUP_S = 8.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def configs():
    return DEFAULT_MODEL, dataclasses.replace(DEFAULT_TRAIN, epochs=EPOCHS)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Bare:
    """Trainer.step() in a loop in this process; each measure() continues the same run."""

    def __init__(self):
        mcfg, tcfg = configs()
        train_ids, val_ids, vocab = prepare_data(load_corpus("timemachine"), tcfg)
        self.trainer = Trainer(dataclasses.replace(mcfg, vocab_size=len(vocab)), tcfg, train_ids, val_ids)
        self._steps_for(WARMUP_S)

    def _steps_for(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.trainer.step()

    def measure(self, seconds: float) -> float:
        t0, n0 = time.perf_counter(), self.trainer.tokens
        self._steps_for(seconds)
        return (self.trainer.tokens - n0) / (time.perf_counter() - t0)

    def close(self) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrowserPage:
    """The real app under `streamlit run`, driven by headless Chromium. One run is started once; between
    measurements it is paused and the browser shows the home page (no polling), so the bare measurement
    runs alone. Resuming after a switch back to Train also exercises the run surviving a page switch."""

    def __init__(self):
        from playwright.sync_api import expect, sync_playwright

        self.expect = expect
        self.port = _free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(self.port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.playwright = sync_playwright().start()
        self.chromium = self.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        self.page = self.chromium.new_page(viewport={"width": 1400, "height": 2200})
        for _ in range(60):
            try:
                self.page.goto(self._url("/train"))
                break
            except Exception:  # noqa: BLE001 — the server is still starting
                time.sleep(0.5)
        epochs = self.page.get_by_label("Epochs")
        epochs.fill(str(EPOCHS))
        epochs.press("Enter")
        expect(self.page.get_by_text(re.compile(r"\d,000 in all"))).to_be_visible(timeout=30_000)  # rerun landed
        self.page.get_by_role("button", name="Start training").click()
        self._wait_for_training()
        time.sleep(WARMUP_S)
        self._pause()

    def _url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _wait_for_training(self) -> None:
        self.expect(self.page.get_by_role("button", name="Pause")).to_be_enabled(timeout=30_000)

    def _pause(self) -> None:
        self.page.get_by_role("button", name="Pause").click()
        self.expect(self.page.get_by_text("is paused at step", exact=False)).to_be_visible(timeout=30_000)
        self._go("Home")

    def _go(self, page: str) -> None:
        """Navigate inside the app (a new URL would open a new session, without this run)."""
        self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=page).click()
        # the address carries the page's settings as query parameters (URL state)
        self.page.wait_for_url(re.compile(r"/train(\?.*)?$" if page == "Train" else r"/(home)?(\?.*)?$"))

    def _step(self) -> int:
        box = self.page.locator('[data-testid="stMetric"]').filter(has_text="Step")
        return int(box.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))

    def measure(self, seconds: float) -> float:
        """Tokens per wall-clock second, from the Step metric read ``seconds`` apart (each reading is as
        stale as one poll, at both ends alike)."""
        _, tcfg = configs()
        self._go("Train")
        self.page.get_by_role("button", name="Resume").click()
        self._wait_for_training()
        time.sleep(3.0)
        t0, s0 = time.perf_counter(), self._step()
        time.sleep(seconds)
        t1, s1 = time.perf_counter(), self._step()
        self._pause()
        return (s1 - s0) * tcfg.batch_size * tcfg.num_steps / (t1 - t0)

    def close(self) -> None:
        self.chromium.close()
        self.playwright.stop()
        self.server.terminate()
        self.server.wait(10)


class AppTestPage:
    """The page in this process under AppTest, one at.run() per poll interval (a full script run each)."""

    def __init__(self):
        from streamlit.testing.v1 import AppTest

        from ui.training import POLL_S

        self.poll_s = POLL_S
        self.at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        self.at.switch_page("pages/train.py").run()
        self.at.number_input(key="train_epochs").set_value(EPOCHS).run()
        self.at.button(key="train_start").click().run()
        self.job = list(self.at.session_state["train_run_book"].jobs.values())[-1]
        self._poll(WARMUP_S)
        self.job.pause()

    def _poll(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            time.sleep(max(0.0, min(self.poll_s, end - time.perf_counter())))
            self.at.run()

    def _tokens(self) -> int:
        return self.job.view().history[-1]["tokens"]

    def measure(self, seconds: float) -> float:
        self.job.resume()
        self._poll(3.0)
        t0, n0 = time.perf_counter(), self._tokens()
        self._poll(seconds)
        t1, n1 = time.perf_counter(), self._tokens()
        self.job.pause()
        return (n1 - n0) / (t1 - t0)

    def close(self) -> None:
        self.job.stop()
        self.job.join(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("browser", "apptest"), default="browser")
    parser.add_argument("--seconds", type=float, default=15.0, help="measuring window per measurement")
    parser.add_argument("--rounds", type=int, default=6, help="bare/page pairs, alternating")
    parser.add_argument("--torch-threads", type=int, default=0,
                        help="torch threads for both (sets RNNVIZ_TORCH_THREADS for the page); 0: torch's default")
    args = parser.parse_args()
    import torch

    if args.torch_threads:
        os.environ["RNNVIZ_TORCH_THREADS"] = str(args.torch_threads)  # the server inherits it
        torch.set_num_threads(args.torch_threads)

    mcfg, tcfg = configs()
    print(f"config: {mcfg.kind} {mcfg.hidden_size}, batch {tcfg.batch_size} × {tcfg.num_steps}, {tcfg.optimizer} "
          f"{tcfg.lr}, val {tcfg.val_frac}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs; {args.rounds} rounds of {args.seconds:g} s each; mode {args.mode}")
    print(f"load average at start: {load()}")
    page = BrowserPage() if args.mode == "browser" else AppTestPage()
    bare = Bare()
    bares, pages, ratios = [], [], []
    try:
        for r in range(args.rounds):
            bares.append(bare.measure(args.seconds))
            pages.append(page.measure(args.seconds))
            ratios.append(pages[-1] / bares[-1])
            print(f"round {r + 1}: bare {bares[-1]:>9,.0f}  page {pages[-1]:>9,.0f} tokens/s  "
                  f"ratio {ratios[-1]:.1%}  (load {load()})")
    finally:
        page.close()
        bare.close()
    b, p = statistics.median(bares), statistics.median(pages)
    print(f"median: bare {b:,.0f} tokens/s, page {p:,.0f} tokens/s; page / bare {p / b:.1%} "
          f"(median of the per-round ratios {statistics.median(ratios):.1%}); load average at end: {load()}")


if __name__ == "__main__":
    main()
