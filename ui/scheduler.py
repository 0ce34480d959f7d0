"""Where training runs: a few long-lived threads ("slots"), a first-come queue of runs in front of them.

No Streamlit here. A run (ui/worker.py's TrainingJob) is submitted when it starts or resumes; a slot takes the
first one in the queue and trains it for a *stretch* (until it is paused, stopped, finished or fails), then takes
the next. There are at most ``max_running`` slots (RNNVIZ_MAX_JOBS, default 2), which is the cap on runs that
train at once in the process; each slot starts when there is work for it and ends after ``idle_exit_s`` without.

Why slots rather than a thread per stretch: glibc gives each thread that allocates an arena of its own (up to
eight per core) and keeps freed memory in it. With a fresh thread for every resume, training's allocations
wandered through the arenas that Streamlit's script threads also use, and the server's resident memory grew
in a 30-minute run with pause/resume while the memory in use stood still (README "Long runs"). A slot stays
on its arena for as long as it lives.

Why a slot lets its OpenMP pool go whenever a stretch ends or its share of the cores changes: libgomp keeps a
pool of worker threads per thread that opened a parallel region, and an idle pool counts against the cores, so
libgomp makes every other run's threads stop spinning and sleep instead — measured on 2 cores: an LSTM run's
steps 2.5× slower next to an idle pool. ``omp_pause_resource_all`` (OpenMP 5.0) ends the calling thread's pool.
"""
from __future__ import annotations

import ctypes
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch

log = logging.getLogger(__name__)

OS_THREAD_PREFIX = "rnnviz-train"  # a slot's OS name while it trains run N is this + N
IDLE_OS_NAME = "rnnviz-slot"  # ... and this while it waits for work
TRAIN_NICE = 10  # how much nicer than the server a slot (and the OpenMP pool it starts) runs
IDLE_EXIT_S = 600.0


class Stretchable(Protocol):
    """What a slot needs of a run (ui/worker.py's TrainingJob)."""

    id: int

    def on_cpu(self) -> bool: ...

    def _stretch(self, between_steps: Callable[[], None]) -> None: ...


def name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` at the OS level too (Linux; 15 bytes at most), so what a slot does can be
    seen from outside the process: benchmarks/load_sessions.py counts the threads that train to check that
    closed sessions leave none. Threads a slot starts (its OpenMP pool) inherit the name it had then. Python 3.11
    names threads only inside the interpreter. Elsewhere this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # 15 = PR_SET_NAME
    except (OSError, AttributeError):
        pass


def lower_os_priority(nice: int) -> None:
    """Make the calling thread ``nice`` steps nicer than the server's process (Linux: a thread is a task with
    its own nice value, and the threads it starts inherit it), so that on a loaded machine the pages answer
    before the runs train. A training run uses every core it is given; without this, a page's script run waits
    its turn behind two of them. Only ever lowers; elsewhere, or where the OS refuses, this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + nice)
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            os.setpriority(os.PRIO_PROCESS, tid, target)
    except OSError:
        pass


def _find_gomp_pause():
    """libgomp's ``omp_pause_resource_all`` as loaded by torch, or None (not Linux, not libgomp, too old).

    Only libgomp's is used: there it ends just the calling thread's pool; LLVM's libomp pauses the whole
    runtime, which would reach into the other slot's parallel region."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "/libgomp" in line}
    for path in sorted(paths):
        try:
            fn = ctypes.CDLL(path).omp_pause_resource_all
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


_gomp_pause = _find_gomp_pause() if sys.platform.startswith("linux") else None
OMP_PAUSE_SOFT = 1


def release_openmp_pool() -> bool:
    """End the calling thread's OpenMP worker threads (they are started again by its next parallel region);
    False where that is not possible here."""
    if _gomp_pause is None:
        return False
    return _gomp_pause(OMP_PAUSE_SOFT) == 0


def max_jobs_from_env(default: int = 2) -> int:
    """RNNVIZ_MAX_JOBS: how many runs may train at the same time in this server process."""
    raw = os.environ.get("RNNVIZ_MAX_JOBS", "")
    try:
        return max(1, int(raw)) if raw.strip() else default
    except ValueError:
        log.warning("RNNVIZ_MAX_JOBS=%r is not a whole number; using %d", raw, default)
        return default


def torch_threads_from_env() -> int | None:
    """RNNVIZ_TORCH_THREADS: intra-op threads per run, fixed; unset: shared out (see Scheduler)."""
    raw = os.environ.get("RNNVIZ_TORCH_THREADS", "")
    try:
        return max(1, int(raw)) if raw.strip() else None
    except ValueError:
        log.warning("RNNVIZ_TORCH_THREADS=%r is not a whole number; ignoring it", raw)
        return None


class Scheduler:
    """A cap on concurrently training runs, the slots that train them, and the queue of runs waiting.

    It also shares the CPU out: each training run uses ``cores // runs training now`` torch threads
    (at least 1), so two runs on two cores use one thread each instead of four threads fighting for two
    cores, which stalls every step (measured: 1 ms steps became 230 ms).

    Lock order: a run's own lock may be held while calling :meth:`submit` or :meth:`withdraw`; the scheduler
    never calls into a run while holding its lock.
    """

    def __init__(self, max_running: int, cores: int | None = None, idle_exit_s: float = IDLE_EXIT_S):
        self.max_running = max_running
        self.cores = cores or torch.get_num_threads()
        self.idle_exit_s = idle_exit_s
        self._cond = threading.Condition()
        self._queue: list[Stretchable] = []
        self._running: dict[int, int] = {}  # slot number -> id of the run it trains
        self._slots = 0  # slot threads alive
        self._slot_numbers = itertools.count(1)

    def submit(self, job: Stretchable) -> None:
        """Queue ``job`` for its next stretch (a no-op if it is queued already)."""
        with self._cond:
            if job not in self._queue:
                self._queue.append(job)
            while self._slots < min(self.max_running, len(self._running) + len(self._queue)):
                self._slots += 1
                number = next(self._slot_numbers)
                threading.Thread(target=self._slot, args=(number,), name=f"rnnviz-slot-{number}",
                                 daemon=True).start()
            self._cond.notify_all()

    def withdraw(self, job: Stretchable) -> bool:
        """Take ``job`` out of the queue; False if it is not there (a slot has it, or it was never queued)."""
        with self._cond:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            self._cond.notify_all()
            return True

    def finished(self, job: Stretchable) -> None:
        """``job``'s stretch is over: its slot counts as free from now on. Called by the run as it sets the
        status it ends in (under its own lock), so whoever sees that status sees the slot free too."""
        with self._cond:
            for slot in [s for s, j in self._running.items() if j == job.id]:
                del self._running[slot]
            self._cond.notify_all()

    def ahead_of(self, job_id: int) -> int | None:
        """Runs that will train before ``job_id`` starts (those training plus those queued earlier);
        None when it is not queued."""
        with self._cond:
            ids = [j.id for j in self._queue]
            if job_id not in ids:
                return None
            return len(self._running) + ids.index(job_id)

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def slots(self) -> int:
        """Slot threads alive now (training or waiting for work)."""
        with self._cond:
            return self._slots

    def threads_per_run(self) -> int:
        fixed = torch_threads_from_env()
        return fixed or max(1, self.cores // max(1, self.running))

    def _take(self, slot: int) -> Stretchable | None:
        """Wait for the next run in the queue and claim it for ``slot``; None after ``idle_exit_s`` without
        one (the slot then ends). Needs ``_cond``."""
        deadline = time.monotonic() + self.idle_exit_s
        while not (self._queue and len(self._running) < self.max_running):
            left = deadline - time.monotonic()
            if left <= 0:
                self._slots -= 1
                return None
            self._cond.wait(timeout=left)
        job = self._queue.pop(0)
        self._running[slot] = job.id
        self._cond.notify_all()
        return job

    def _slot(self, number: int) -> None:
        lower_os_priority(TRAIN_NICE)
        while True:
            name_os_thread(IDLE_OS_NAME)
            with self._cond:
                job = self._take(number)
            if job is None:
                return
            name_os_thread(f"{OS_THREAD_PREFIX}{job.id}")
            threads = 0

            def between_steps() -> None:
                # The share of the cores follows how many runs train now; the pool is rebuilt at the new size.
                nonlocal threads
                want = self.threads_per_run()
                if want != threads:
                    if threads:
                        release_openmp_pool()
                    torch.set_num_threads(want)
                    threads = want

            try:
                job._stretch(between_steps if job.on_cpu() else lambda: None)
            except Exception:  # noqa: BLE001 — a run reports its own failures; this keeps the slot alive
                log.exception("training slot %d: run %s ended abnormally", number, job.id)
            finally:
                release_openmp_pool()
                with self._cond:
                    self._running.pop(number, None)  # normally done by finished() already
                    self._cond.notify_all()
