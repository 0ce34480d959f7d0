"""Many students at once: N headless browser sessions against one `streamlit run app.py`.

    RNNVIZ_TIMEMACHINE=/path/to/timemachine.txt python benchmarks/load_sessions.py [--sessions 10] [--hold 30]
        [--max-jobs 2] [--browser-nice 0] [--series] [--json out.json]

What it does, with real websockets (Chromium through Playwright, one browser context per session, so each is
its own Streamlit session):

1. starts the app on a free port of 127.0.0.1 (through benchmarks/timed_server.py: `streamlit run app.py`
   with the server's own response times written to a file, and serve.py's environment, as `python serve.py`
   starts it) and, as the lecturer would before the class
   arrives, opens the pages the students will visit once;
2. opens N sessions at once; each visits Home, Text to tokens, Generate and Train through the sidebar,
   presses Start training with the page's defaults, waits until its run trains (the Step metric moves) or
   shows the queue message, then leaves for Language statistics and comes back to Train;
3. holds them open for --hold seconds; then the first session that trains presses Stop, and a queued session
   must start training within 60 s (the freed slot passes on);
4. closes every session and watches the server until no thread trains any more (ui/scheduler.py names a
   thread that trains run <id>, and the OpenMP threads it starts, `rnnviz-train<id>` at the OS level, so
   /proc/<pid>/task/*/comm shows them; an idle slot is `rnnviz-slot`) and its CPU use has fallen to idle.

Meanwhile the server's resident memory (RSS), thread count and CPU time are sampled every second from /proc
(psutil is used when installed). Each page load is timed three ways:

- page time, in the browser: from the navigation (goto or sidebar click) until the new page's title is
  visible, the browser has received the message that its script run finished, and Streamlit's running
  indicator is gone;
- server response, on the websocket: from the frame asking for the page to the frame saying its run finished,
  by the timestamps of Chromium's network stack (DevTools protocol, see WireClock);
- in the server: from the request's arrival to the end of the script run it started (timed_server.py).

The first includes drawing the page, which here is done by N renderers on the server's own two cores (1.2–1.4
cores of them while the sessions are open); in a lecture hall the browsers are on the students' laptops.
Chromium runs at nice 0 by default. --browser-nice 19 lowers it (its process group too: Playwright starts it
in a session of its own, where nice alone does not reach), but then the pages wait behind the training runs
to be drawn and sessions time out.

Prints sessions, jobs run, jobs queued, the three times (p50/p95/max), peak memory, thread counts and CPU
shares, and exits non-zero if a session got neither a run nor a queue message, a page did not load, the server
logged a traceback or died, or a training thread was left. tests/e2e/test_load.py runs it with N = 3.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import serve  # noqa: E402

CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
NAV_TIMEOUT_MS = 120_000
PAGES = ("text", "generate", "train", "statistics")  # where each session goes after Home, in order

# The live panel's Step metric (0 before a run shows); the same reading as tests/e2e/test_app_e2e.py.
STEP_JS = """() => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
        const label = m.querySelector('[data-testid="stMetricLabel"]');
        if (label && label.innerText.trim().startsWith('Step')) {
            return parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/[^0-9]/g, '')) || 0;
        }
    }
    return 0;
}"""
QUEUED_JS = """() => [...document.querySelectorAll('[data-testid="stAlert"]')]
    .some(a => a.innerText.includes('⏳'))"""
TITLE_JS = """() => { const h = document.querySelector('[data-testid="stMain"] h1'); return h ? h.innerText.trim() : ''; }"""
# A new title is on screen (the server has started sending the page).
SHOWN_JS = """(prev) => { const h = document.querySelector('[data-testid="stMain"] h1');
    return !!(h && h.innerText.trim() && h.innerText.trim() !== prev); }"""
# ... and no script run is under way (the status widget shows while one is).
LOADED_JS = """(prev) => { const h = document.querySelector('[data-testid="stMain"] h1');
    return !!(h && h.innerText.trim() && h.innerText.trim() !== prev)
        && !document.querySelector('[data-testid="stStatusWidget"]'); }"""


# ---------------------------------------------------------------- the server and its process figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on 127.0.0.1, its output in a log file."""

    def __init__(self, env: dict | None = None, log_dir: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir = Path(log_dir or tempfile.mkdtemp(prefix="rnnviz-load-"))
        self.log_path = log_dir / "streamlit.log"
        self.times_path = log_dir / "responses.txt"  # the server's own response times (timed_server.py)
        cmd = [sys.executable, str(ROOT / "benchmarks" / "timed_server.py"), str(self.times_path),
               "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(self.port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with open(self.log_path, "wb") as out:
            # serve.py's environment (glibc's arena cap), so that what is measured is what `python serve.py` runs
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=serve.environment({**os.environ, "PYTHONUNBUFFERED": "1",
                                                                               **(env or {})}),
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not start:\n{self.log()[-3000:]}")
            time.sleep(0.3)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def response_times(self) -> list[float]:
        """Seconds from each page request's arrival to the end of the script run it started (timed_server.py)."""
        try:
            return [float(line.split()[1]) for line in self.times_path.read_text().splitlines() if line.strip()]
        except (OSError, IndexError, ValueError):
            return []

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclasses.dataclass
class Sample:
    t: float  # seconds since the sampler started
    rss: int  # bytes
    threads: int
    cpu_s: float  # user + system CPU seconds so far
    training_threads: int  # threads named rnnviz-train<id> (ui/scheduler.py names the threads training run <id> so)


TRAIN_THREAD_PREFIX = "rnnviz-train"  # ui.scheduler.OS_THREAD_PREFIX (not imported: that would import torch here)


def training_threads(pid: int) -> int:
    """Threads of `pid` whose OS name a training run gave them (threads they start inherit the name)."""
    n = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            n += (task / "comm").read_text().startswith(TRAIN_THREAD_PREFIX)
        except OSError:  # the thread ended while we looked
            pass
    return n


def process_sample(pid: int) -> tuple[int, int, float]:
    """(RSS bytes, threads, CPU seconds) of a process: psutil when installed, else /proc."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        p = psutil.Process(pid)
        cpu = p.cpu_times()
        return p.memory_info().rss, p.num_threads(), cpu.user + cpu.system
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields["VmRSS"].split()[0]) * 1024
    threads = int(fields["Threads"])
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_name = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(after_name[11]) + int(after_name[12])) / ticks  # utime, stime (fields 14, 15)
    return rss, threads, cpu


def descendants(root: int, skip: int) -> list[int]:
    """Processes descended from `root`, leaving out `skip` and its descendants."""
    parent = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == skip:
                return False
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    return [pid for pid in parent if pid != root and under(pid)]


def renice(pids: list[int], nice: int, server_pid: int) -> None:
    """Lower the priority of these processes and of all their threads (Chromium's renderers are forked later
    from its zygote, whose nice value they inherit).

    Linux's autogroup scheduler first shares the CPU between sessions and only then, inside each, by nice value;
    Playwright starts Chromium in a session of its own, so its session's nice is set too. Not for a process in
    the server's session (Playwright's driver is), which would lower the server with it."""
    server_group = _autogroup(server_pid)
    for pid in pids:
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
            group = _autogroup(pid)
            if group and group != server_group:
                Path(f"/proc/{pid}/autogroup").write_text(str(nice))
        except OSError:  # gone, or not ours
            pass


def _autogroup(pid: int) -> str:
    """The name of the process's scheduling autogroup ('' where the kernel has none)."""
    try:
        return Path(f"/proc/{pid}/autogroup").read_text().split()[0]
    except (OSError, IndexError):
        return ""


def browser_cpu_s(root: int, skip: int) -> float:
    """CPU seconds used so far by the processes descended from `root` (this script: Playwright's driver and the
    Chromium it starts), leaving out `skip` (the server)."""
    total = 0.0
    for pid in descendants(root, skip):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Sampler(threading.Thread):
    """Samples a process every `every` seconds until stopped."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[Sample] = []
        self._halt = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        while not self._halt.is_set():
            self.take()
            self._halt.wait(self.every)

    def take(self) -> Sample | None:
        """A sample now; None once the process is gone. A read that fails while threads end (a /proc entry
        vanishing under it) is tried again."""
        for _ in range(5):
            try:
                rss, threads, cpu = process_sample(self.pid)
                training = training_threads(self.pid)
                break
            except (OSError, KeyError, ValueError):
                if not Path(f"/proc/{self.pid}").exists():
                    return None
                time.sleep(0.05)
        else:
            return None
        s = Sample(time.monotonic() - self._t0, rss, threads, cpu, training)
        self.samples.append(s)
        return s

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def cpu_share(self, seconds: float) -> float:
        """The process's CPU use over the last `seconds`, in cores (1.0 = one core busy)."""
        recent = [s for s in self.samples if s.t >= self.samples[-1].t - seconds]
        if len(recent) < 2 or recent[-1].t <= recent[0].t:
            return math.nan
        return (recent[-1].cpu_s - recent[0].cpu_s) / (recent[-1].t - recent[0].t)


# ---------------------------------------------------------------- one browser session


@dataclasses.dataclass
class SessionResult:
    index: int
    page_times: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # page -> seconds per visit
    shown_times: list[float] = dataclasses.field(default_factory=list)  # seconds until the new title showed
    wire_times: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # page -> server response (s)
    ran: bool = False  # its run trained (the Step metric moved)
    queued: bool = False  # it was shown the queue message
    error: str = ""
    page: object = dataclasses.field(default=None, repr=False)  # its Playwright page, while open


class WireClock:
    """The server's response to a page request, timed on the websocket: from the frame that asks for the page
    (a rerun_script BackMsg) until the frame that says its script run finished successfully (a script_finished
    ForwardMsg), by the timestamps Chromium's network stack gives the two frames (DevTools protocol). This
    leaves out the time the browser takes to send the request after the click and to draw the page, which on
    this machine is spent by ten renderers on the server's own two cores, and in a lecture hall on the students'
    laptops."""

    def __init__(self, result: SessionResult):
        self.result = result
        self.armed: str | None = None  # the page a navigation is under way to
        self.sent_at: float | None = None
        self.finished = asyncio.Event()  # the armed navigation's script run has finished

    async def attach(self, context, page) -> None:
        cdp = await context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameSent", self._sent)
        cdp.on("Network.webSocketFrameReceived", self._received)
        await cdp.send("Network.enable")

    def arm(self, name: str) -> None:
        self.armed, self.sent_at = name, None
        self.finished.clear()

    @staticmethod
    def _payload(params: dict) -> bytes | None:
        frame = params.get("response", {})
        if frame.get("opcode") != 2:  # Streamlit's messages are binary frames (protobuf)
            return None
        return base64.b64decode(frame.get("payloadData", ""))

    def _sent(self, params: dict) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        data = self._payload(params)
        if self.armed is None or self.sent_at is not None or data is None:
            return
        msg = BackMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
            self.sent_at = params["timestamp"]

    def _received(self, params: dict) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        data = self._payload(params)
        if self.armed is None or self.sent_at is None or data is None:
            return
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.result.wire_times.setdefault(self.armed, []).append(params["timestamp"] - self.sent_at)
            self.armed = None
            self.finished.set()


async def _visit(page, result: SessionResult, name: str, how, wire: WireClock) -> None:
    """Navigate (``how`` is a coroutine function doing the goto or click) and time it until the new page is
    loaded: its title visible, the script run over (the browser has received the run's script_finished message:
    Streamlit's running indicator shows only after a delay, so its absence alone can come before a slow page's
    end) and the indicator gone."""
    prev = await page.evaluate(TITLE_JS)
    wire.arm(name)
    t0 = time.monotonic()
    await how()
    await page.wait_for_function(SHOWN_JS, arg=prev, timeout=NAV_TIMEOUT_MS, polling=100)
    result.shown_times.append(time.monotonic() - t0)
    await asyncio.wait_for(wire.finished.wait(), NAV_TIMEOUT_MS / 1000)
    await page.wait_for_function(LOADED_JS, arg=prev, timeout=NAV_TIMEOUT_MS, polling=100)
    result.page_times.setdefault(name, []).append(time.monotonic() - t0)


async def _nav(page, result: SessionResult, url_path: str, wire: WireClock) -> None:
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').first
    await _visit(page, result, url_path, link.click, wire)


async def _run_state(page) -> tuple[bool, bool]:
    return (await page.evaluate(STEP_JS)) > 0, await page.evaluate(QUEUED_JS)


async def _context(browser, url: str, **options):
    """A browser context on the app in which a click waits for its link as long as a page load may take (the
    first pages wait on the server's warm-up, longer than Playwright's 30 s)."""
    ctx = await browser.new_context(base_url=url, **options)
    ctx.set_default_timeout(NAV_TIMEOUT_MS)
    return ctx


async def session(index: int, browser, url: str, start_gate: asyncio.Event, result: SessionResult,
                  contexts: list) -> None:
    ctx = await _context(browser, url, viewport={"width": 1280, "height": 1000})
    contexts.append(ctx)
    page = await ctx.new_page()
    result.page = page
    wire = WireClock(result)
    try:
        await wire.attach(ctx, page)
        await start_gate.wait()
        await _visit(page, result, "home", lambda: page.goto("/"), wire)
        for path in PAGES[:3]:
            await _nav(page, result, path, wire)
        await page.locator(".st-key-train_start button").first.click()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            ran, queued = await _run_state(page)
            result.ran |= ran
            result.queued |= queued
            if ran or queued:
                break
            await asyncio.sleep(0.5)
        else:
            result.error = "neither training nor queued 90 s after Start"
            return
        await _nav(page, result, "statistics", wire)
        await _nav(page, result, "train", wire)
    except Exception as e:  # noqa: BLE001 — one session's failure is a finding to print, not a crash
        result.error = f"{type(e).__name__}: {(str(e).splitlines() or [type(e).__name__])[0][:300]}"


# ---------------------------------------------------------------- the whole load


@dataclasses.dataclass
class LoadReport:
    sessions: int
    max_jobs: int
    jobs_run: int  # sessions whose run trained before one was stopped
    jobs_queued: int  # sessions shown the queue message
    served: int  # sessions that got a run or a queue message
    page_times: list[float]
    per_page: dict[str, list[float]]
    shown_times: list[float]
    wire_per_page: dict[str, list[float]]  # the server's response on the websocket (WireClock)
    server_times: list[float]  # the server's own, from the request's arrival (timed_server.py)
    baseline_rss: int
    peak_rss: int
    threads_before: int
    threads_peak: int
    threads_after: int
    training_threads_peak: int  # threads training at once (slots and their OpenMP threads; a queued run has none)
    training_threads_after: int
    cpu_after_close: float  # cores busy over the last seconds after the sessions closed
    server_cores: float  # the server's CPU use while the sessions were open (1.0 = one core busy)
    browser_cores: float  # Chromium's, on the same machine
    load_before: float  # the machine's 1-minute load average when the sessions arrived
    browser_nice: int
    workers_ended: bool
    queue_moved: bool | None  # a queued run started after a running one was stopped (None: nothing queued)
    server_alive: bool
    tracebacks: int
    errors: list[str]
    wall_s: float
    series: list[Sample]

    def percentile(self, q: float, times: list[float] | None = None) -> float:
        """Nearest-rank percentile of the page times (or of ``times``)."""
        xs = sorted(self.page_times if times is None else times)
        if not xs:
            return math.nan
        return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]

    def _spread(self, label: str, xs: list[float], what: str) -> str:
        return (f"{label} p50 {self.percentile(50, xs):.2f} s · p95 {self.percentile(95, xs):.2f} s · "
                f"max {max(xs, default=math.nan):.2f} s over {len(xs)} {what}")

    @staticmethod
    def _medians(per_page: dict[str, list[float]]) -> list[str]:
        return [f"  {name:<17} median {statistics.median(xs):.2f} s · max {max(xs):.2f} s ({len(xs)})"
                for name, xs in per_page.items()]

    @property
    def wire_times(self) -> list[float]:
        return [x for xs in self.wire_per_page.values() for x in xs]

    @property
    def ok(self) -> bool:
        return (self.served == self.sessions and not self.errors and self.workers_ended and self.server_alive
                and not self.tracebacks and self.queue_moved is not False)

    def summary(self) -> str:
        mb = 1024**2
        lines = [
            f"sessions            {self.sessions} (training slots RNNVIZ_MAX_JOBS={self.max_jobs}; Chromium at nice "
            f"{self.browser_nice})",
            f"jobs run            {self.jobs_run}",
            f"jobs queued         {self.jobs_queued}",
            f"served              {self.served}/{self.sessions} sessions got a running job or a queue message",
            f"queue moved on      {self.queue_moved} (a queued run started when a running one was stopped)",
            self._spread("page time         ", self.page_times, "page loads"),
            f"  title shown after p50 {self.percentile(50, self.shown_times):.2f} s · "
            f"p95 {self.percentile(95, self.shown_times):.2f} s",
            *self._medians(self.per_page),
            self._spread("server response   ", self.wire_times,
                         "page requests (on the websocket: request frame sent → script-finished frame received)"),
            *self._medians(self.wire_per_page),
            self._spread("  in the server   ", self.server_times,
                         "requests that rerun a page (navigation and button presses; from the message's arrival to "
                         "the end of its script run)"),
        ]
        lines += [
            f"peak memory         {self.peak_rss / mb:.0f} MB server RSS ({self.baseline_rss / mb:.0f} MB "
            "before the sessions)",
            f"server threads      {self.threads_before} before, peak {self.threads_peak}, "
            f"{self.threads_after} after closing",
            f"training threads    peak {self.training_threads_peak}, {self.training_threads_after} after closing",
            f"CPU                 server {self.server_cores:.2f} cores, Chromium {self.browser_cores:.2f} cores while the "
            f"sessions were open; server {self.cpu_after_close:.2f} cores after closing; machine load average "
            f"{self.load_before:.2f} when the sessions came",
            f"workers ended       {self.workers_ended}",
            f"server alive        {self.server_alive}, tracebacks in its log: {self.tracebacks}",
            f"wall time           {self.wall_s:.0f} s",
        ]
        lines += [f"ERROR {e}" for e in self.errors]
        return "\n".join(lines)


async def _note_states(results: list[SessionResult]) -> None:
    for r in results:
        if not r.error:
            ran, queued = await _run_state(r.page)
            r.ran |= ran
            r.queued |= queued


async def _load(server: Server, sampler: Sampler, n: int, hold_s: float, settle_s: float,
                browser_nice: int) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if browser_nice:  # only when asked: at 19 the pages wait behind the training runs to be drawn
            renice(descendants(os.getpid(), server.proc.pid), browser_nice, server.proc.pid)
        # Warm-up: the lecturer opens the pages the students will visit before they arrive.
        warm = SessionResult(-1)
        ctx = await _context(browser, server.url)
        page = await ctx.new_page()
        wire = WireClock(warm)
        await wire.attach(ctx, page)
        await _visit(page, warm, "home", lambda: page.goto("/"), wire)
        for path in PAGES:
            await _nav(page, warm, path, wire)
        await ctx.close()
        await asyncio.sleep(2)
        before = sampler.take()
        out["baseline_rss"], out["threads_before"] = before.rss, before.threads
        out["load_before"] = os.getloadavg()[0]

        out["responses_before"] = len(server.response_times())  # the warm-up's
        cpu0 = (before.cpu_s, browser_cpu_s(os.getpid(), server.proc.pid), time.monotonic())
        gate = asyncio.Event()
        results = [SessionResult(i) for i in range(n)]
        contexts: list = []
        tasks = [asyncio.create_task(session(i, browser, server.url, gate, results[i], contexts)) for i in range(n)]
        await asyncio.sleep(1)  # contexts created; now everyone opens the app at once
        gate.set()
        await asyncio.gather(*tasks)

        # Hold the sessions open; keep noting who trains and who waits.
        end = time.monotonic() + hold_s
        while time.monotonic() < end:
            await _note_states(results)
            await asyncio.sleep(1)
        await _note_states(results)
        out["jobs_run"] = sum(r.ran for r in results)
        now = sampler.take()
        if now is None:
            raise RuntimeError(f"the server is gone (exit status {server.proc.poll()}):\n{server.log()[-3000:]}")
        wall = time.monotonic() - cpu0[2]
        out["server_cores"] = (now.cpu_s - cpu0[0]) / wall  # while the sessions were open
        out["browser_cores"] = (browser_cpu_s(os.getpid(), server.proc.pid) - cpu0[1]) / wall

        # Stop one running run: a queued one must take its slot.
        out["queue_moved"] = None
        states = [(r, await _run_state(r.page)) for r in results if not r.error]
        training = [r for r, (ran, _) in states if ran]
        waiting = [r for r, (ran, queued) in states if queued and not ran]
        if training and waiting:
            await training[0].page.locator(".st-key-train_stop button").first.click()
            out["queue_moved"] = False
            end = time.monotonic() + 60
            while time.monotonic() < end and not out["queue_moved"]:
                for r in waiting:
                    if (await _run_state(r.page))[0]:
                        out["queue_moved"] = True
                await asyncio.sleep(1)

        for ctx in contexts:
            await ctx.close()
        await browser.close()
    out["results"] = results

    # Closed tabs pause their runs at once (and stop them after the session TTL): no thread trains any more.
    end = time.monotonic() + settle_s
    while True:
        await asyncio.sleep(1)
        last = sampler.samples[-1]
        out["workers_ended"] = last.training_threads == 0 and sampler.cpu_share(5) < 0.1
        if out["workers_ended"] or time.monotonic() > end:
            break
    out["cpu_after_close"] = sampler.cpu_share(5)
    out["threads_after"] = sampler.samples[-1].threads
    out["training_threads_after"] = sampler.samples[-1].training_threads
    return out


def run(sessions: int = 10, hold_s: float = 30.0, max_jobs: int = 2, settle_s: float = 60.0,
        log_dir: Path | None = None, browser_nice: int = 0) -> LoadReport:
    """Run the whole load against a fresh server and return the report (the server is stopped afterwards)."""
    t0 = time.monotonic()
    server = Server({"RNNVIZ_MAX_JOBS": str(max_jobs)}, log_dir)
    sampler = Sampler(server.proc.pid)
    sampler.start()
    try:
        out = asyncio.run(_load(server, sampler, sessions, hold_s, settle_s, browser_nice))
        alive = server.proc.poll() is None and server.healthy()
    finally:
        sampler.stop()
        server.stop()
    results: list[SessionResult] = out["results"]
    per_page: dict[str, list[float]] = {}
    wire_per_page: dict[str, list[float]] = {}
    for r in results:
        for name, xs in r.page_times.items():
            per_page.setdefault(name, []).extend(xs)
        for name, xs in r.wire_times.items():
            wire_per_page.setdefault(name, []).extend(xs)
    samples = sampler.samples
    log = server.log()
    return LoadReport(
        sessions=sessions, max_jobs=max_jobs, jobs_run=out["jobs_run"], jobs_queued=sum(r.queued for r in results),
        served=sum(r.ran or r.queued for r in results),
        page_times=[x for xs in per_page.values() for x in xs], per_page=per_page,
        shown_times=[x for r in results for x in r.shown_times], wire_per_page=wire_per_page,
        server_times=server.response_times()[out["responses_before"]:],
        baseline_rss=out["baseline_rss"], peak_rss=max(s.rss for s in samples),
        threads_before=out["threads_before"], threads_peak=max(s.threads for s in samples),
        threads_after=out["threads_after"], training_threads_peak=max(s.training_threads for s in samples),
        training_threads_after=out["training_threads_after"], cpu_after_close=out["cpu_after_close"],
        server_cores=out["server_cores"], browser_cores=out["browser_cores"], load_before=out["load_before"],
        browser_nice=browser_nice,
        workers_ended=out["workers_ended"], queue_moved=out["queue_moved"], server_alive=alive,
        tracebacks=log.count("Traceback"), errors=[f"session {r.index}: {r.error}" for r in results if r.error],
        wall_s=time.monotonic() - t0, series=samples,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10, help="browser sessions opened at once (default 10)")
    ap.add_argument("--hold", type=float, default=30.0, help="seconds the sessions stay open training (default 30)")
    ap.add_argument("--max-jobs", type=int, default=2, help="RNNVIZ_MAX_JOBS for the server (default 2)")
    ap.add_argument("--series", action="store_true", help="also print the memory/thread series, one line a second")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="nice value for Chromium (default 0: it competes with the server as an equal; 19 starves "
                         "the pages' drawing behind the training runs, and sessions time out)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file (tests/e2e/test_load.py reads it)")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores", flush=True)
    report = run(args.sessions, args.hold, args.max_jobs, browser_nice=args.browser_nice)
    if args.series:
        for s in report.series:
            print(f"  t={s.t:6.1f} s  rss={s.rss / 1024**2:7.1f} MB  threads={s.threads:3d}  "
                  f"training={s.training_threads:2d}  cpu={s.cpu_s:8.1f} s")
    print(report.summary())
    if args.json:
        figures = {k: v for k, v in dataclasses.asdict(report).items()
                   if k not in ("series", "page_times", "per_page", "shown_times", "wire_per_page", "server_times")}
        figures.update(ok=report.ok, p95_page_s=report.percentile(95),
                       p95_response_s=report.percentile(95, report.wire_times), responses=len(report.wire_times),
                       p95_server_s=report.percentile(95, report.server_times))
        args.json.write_text(json.dumps(figures, indent=1))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
