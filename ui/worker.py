"""Training runs for the app: what the page asks of a run, and what it reads back.

No Streamlit here: the page talks to a :class:`RunBook` (one per browser session) and reads
:class:`RunView` snapshots, which are plain data copied under a lock. The threads that train live in
ui/scheduler.py: a run is queued when it starts or resumes, and one of the scheduler's slots trains it for a
*stretch* — until it is paused, stopped, finished or fails.

Locks, per run (:class:`TrainingJob`):

- at any moment at most one slot works on a run, and it is the only caller of ``trainer.step()``; it holds
  ``_model_lock`` for each step (and the publishing of its record) and for the few-second sample, so anything
  else that reads the weights (a snapshot for the active model, checkpoint bytes) takes the same lock and sees
  the model *between* steps, with a history that ends at exactly that step;
- ``_cond`` (a Condition over ``_data_lock``) guards the plain fields the UI reads (status, history
  length, rates, sample) and what the page asked for (run, pause, stop).

The lock order is always ``_model_lock``, then ``_data_lock``, then the scheduler's.

Pausing stops calling ``step()``: the Trainer keeps its place in the data, so resuming continues with
the next minibatch. A paused run gives its slot back; the scheduler caps how many runs train at once in the
process (RNNVIZ_MAX_JOBS, default 2) and shares the CPU's torch threads among them.
"""
from __future__ import annotations

import collections
import copy
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from rnnviz.checkpoint import checkpoint_bytes
from rnnviz.data import Vocab
from rnnviz.generate import generate, unknown_chars
from rnnviz.history import HistoryView, StepHistory
from rnnviz.i18n import t
from rnnviz.models import count_parameters
from rnnviz.train import Trainer, TrainingDiverged
from ui.scheduler import OS_THREAD_PREFIX, TRAIN_NICE, Scheduler, max_jobs_from_env  # noqa: F401 (tests use them)

log = logging.getLogger(__name__)

SAMPLE_PREFIX = "time traveller "
SAMPLE_CHARS = 80
SAMPLE_EVERY_S = 5.0
RATE_WINDOW_S = 5.0  # tokens/s shown live is measured over this much recent wall time

# Run states. Active ones may still change; the others are final.
QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
DONE, STOPPED, DIVERGED, FAILED = "done", "stopped", "diverged", "failed"
ACTIVE = (QUEUED, RUNNING, PAUSED)

_ids = itertools.count(1)


SCHEDULER = Scheduler(max_jobs_from_env())


@dataclass
class RunView:
    """What the page shows about a run: plain data, safe to read on the script thread."""

    id: int
    number: int  # 1, 2, ... within its session
    label: str
    status: str
    message_key: str  # "" or a catalogue key (rnnviz/locales/*/worker.toml), translated when shown
    message_values: dict
    model_config: dict
    train_config: dict
    corpus: dict
    n_params: int
    steps_per_epoch: int
    total_steps: int
    history: HistoryView  # reads as StepRecord dicts plus "time" (Unix seconds when the step ended)
    sample: str = ""
    sample_prefix: str = ""
    sample_step: int = 0
    tokens_per_s: float = 0.0  # recent wall-clock rate while running, else the run's average
    eta_s: float = math.nan
    queue_ahead: int | None = None
    slots: int = 1  # how many runs may train at once on this server
    device: str = "cpu"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def message(self) -> str:
        """The run's last message in the language of the thread that asks (the page's, not the trainer's)."""
        return t(self.message_key, **self.message_values) if self.message_key else ""

    @property
    def last(self) -> dict | None:
        return self.history[-1] if self.history else None

    @property
    def step(self) -> int:
        return self.history[-1]["step"] if self.history else 0

    @property
    def val_ppl(self) -> float | None:
        """The latest validation perplexity."""
        return self.history.latest("val_ppl")

    @property
    def train_ppl(self) -> float | None:
        """d2l's epoch perplexity of the last finished epoch, else the last minibatch's."""
        found = self.history.latest("epoch_ppl")
        if found is not None:
            return found
        return self.history[-1]["ppl"] if self.history else None


class TrainingJob:
    """One training run: a :class:`Trainer`, the thread that steps it, and what the page reads."""

    def __init__(self, trainer: Trainer, vocab: Vocab, label: str | Callable[[], str], corpus: dict, number: int = 1,
                 scheduler: Scheduler | None = None, sample_prefix: str = SAMPLE_PREFIX):
        self.id = next(_ids)
        self.number = number
        self._label = label
        self.trainer = trainer
        trainer.keep_history = False  # every step is kept here, in columns; the trainer's copy would double it
        self.vocab = vocab
        self.corpus = dict(corpus)
        self.scheduler = scheduler or SCHEDULER
        self.sample_prefix = sample_prefix if not unknown_chars(vocab, sample_prefix) else ""
        self._model_lock = threading.Lock()
        self._data_lock = threading.Lock()
        self._cond = threading.Condition(self._data_lock)
        self._want = RUNNING  # RUNNING, PAUSED or STOPPED: what the page asked for
        self._status = QUEUED
        self._message: tuple[str, dict] = ("", {})  # catalogue key and values: the page translates it
        self._history = StepHistory()
        self._sample, self._sample_step = "", 0
        self._rate = collections.deque()  # (wall time, tokens) while running, for the live rate
        self._snapshot: tuple[int, torch.nn.Module] | None = None
        self._started = False
        self._in_stretch = False  # a slot is working on this run

    # ------------------------------------------------------------------ page side

    @property
    def label(self) -> str:
        """The run's name; a callable label is asked each time, so it follows the page's language."""
        return self._label() if callable(self._label) else self._label

    def start(self) -> "TrainingJob":
        """Queue the run for training (a second call does nothing)."""
        with self._cond:
            if not self._started and self._status == QUEUED:
                self._started = True
                self.scheduler.submit(self)
        return self

    def pause(self) -> None:
        self._ask(PAUSED)

    def resume(self) -> None:
        self._ask(RUNNING)

    def stop(self) -> None:
        self._ask(STOPPED)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until nothing works on this run or waits to (paused, or ended); True when so. A run that was
        never started counts as settled."""
        with self._cond:
            return self._cond.wait_for(self._settled, timeout)

    def _settled(self) -> bool:
        return not self._started or (self._status not in (QUEUED, RUNNING) and not self._in_stretch)

    @property
    def status(self) -> str:
        with self._data_lock:
            return self._status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def view(self) -> RunView:
        """A consistent copy of everything the page shows; the history is a view of the rows published so far."""
        with self._data_lock:
            history = self._history.view()
            status, (message_key, message_values) = self._status, self._message
            sample, sample_step = self._sample, self._sample_step
            rate = self._recent_rate()
        t = self.trainer
        if not rate and history:
            rate = history[-1]["tokens_per_s"]
        return RunView(
            id=self.id, number=self.number, label=self.label, status=status, message_key=message_key,
            message_values=dict(message_values),
            model_config=t.model_cfg.to_dict(), train_config=t.cfg.to_dict(), corpus=self.corpus,
            n_params=count_parameters(t.model), steps_per_epoch=t.steps_per_epoch, total_steps=t.total_steps,
            history=history, sample=sample, sample_prefix=self.sample_prefix, sample_step=sample_step,
            tokens_per_s=rate, eta_s=self._eta(history, rate) if status in ACTIVE else math.nan,
            queue_ahead=self.scheduler.ahead_of(self.id) if status == QUEUED else None,
            slots=self.scheduler.max_running,
            device=str(t.device),
        )

    def snapshot(self) -> tuple[int, torch.nn.Module]:
        """(step, a copy of the model as it is after that step), on the CPU in eval mode.

        Taken between steps under the model lock, and reused until the next step, so pages that ask on
        every rerun copy at most once per step.
        """
        with self._model_lock:
            step = self.trainer.step_count
            if self._snapshot is None or self._snapshot[0] != step:
                model = copy.deepcopy(self.trainer.model).to("cpu").eval()
                self._snapshot = (step, model)
            return self._snapshot

    def checkpoint_bytes(self) -> bytes:
        """The run as an rnnviz checkpoint (weights between steps, config, vocab, history, metrics)."""
        with self._model_lock:
            return self._checkpoint_bytes()

    def _checkpoint_bytes(self) -> bytes:
        view = self.view()
        metrics = {
            "train_ppl": view.train_ppl, "val_ppl": view.val_ppl, "train_seconds": self.trainer.elapsed,
            "tokens_per_s": view.last["tokens_per_s"] if view.last else 0.0, "steps": view.step,
            "epochs": self.trainer.epoch, "device": view.device,
            "diverged": view.message if view.status == DIVERGED else "",  # in the language of the page asking
        }
        history = view.history.rows(exclude=("time",))
        return checkpoint_bytes(self.trainer.model, self.vocab, self.trainer.model_cfg, self.trainer.cfg,
                                history, {**self.corpus, "label": self.label}, metrics)

    # ------------------------------------------------------------------ worker side

    def _ask(self, want: str) -> None:
        with self._cond:
            if self._status not in ACTIVE:
                return
            self._want = want
            # PAUSED is set at the very end of a stretch, so nothing works on a paused run: a resume queues
            # it again, a stop needs nothing more. A queued run still in the queue leaves it at once.
            if self._status == PAUSED and want == RUNNING:
                self._status = QUEUED  # shown at once, so the page that asked sees it on its next draw
                self.scheduler.submit(self)
            elif self._status == PAUSED and want == STOPPED:
                self._status = STOPPED
                self._message = self._stopped_message()
            elif self._status == QUEUED and want != RUNNING and (
                    not self._started or self.scheduler.withdraw(self)):
                if want == STOPPED:
                    self._status, self._message = STOPPED, self._stopped_message()
                elif self._started:
                    self._status = PAUSED
            self._cond.notify_all()

    def _cancelled(self) -> bool:
        with self._data_lock:
            return self._want != RUNNING

    def on_cpu(self) -> bool:
        """Whether this run trains on the CPU (and so takes a share of its threads)."""
        return self.trainer.device.type == "cpu"

    def _set(self, status: str, message: tuple[str, dict] | None = None) -> None:
        with self._cond:
            self._status = status
            if message is not None:
                self._message = message
            if status != RUNNING:
                self._rate.clear()
            self._cond.notify_all()

    def _stretch(self, between_steps: Callable[[], None]) -> None:
        """Train until paused, stopped, finished or failed; called by a scheduler slot, on its thread.

        ``between_steps`` runs before each step (the slot adjusts its share of the cores there). The run's
        final status for the stretch is set as the very last thing, together with the end of the stretch, so a
        page that sees PAUSED may queue the run again at once."""
        end: tuple[str, tuple[str, dict] | None] | None = None  # (status, message) the stretch ends in
        with self._cond:
            self._in_stretch = True
        try:
            if not self._cancelled():
                self._set(RUNNING)
            while not self._cancelled():
                if self.trainer.done:
                    self._refresh_sample()
                    end = (DONE, self._done_message())
                    break
                between_steps()
                with self._model_lock:  # published under the lock: weights and history always agree
                    self._publish(self.trainer.step())
                if time.monotonic() - self._sample_time >= SAMPLE_EVERY_S:
                    self._refresh_sample()
        except TrainingDiverged:
            end = (DIVERGED, self._diverged_message())
        except Exception as e:  # noqa: BLE001 — a crash in a run must reach the page, not vanish
            log.exception("training run %s failed", self.id)
            end = (FAILED, ("worker.failed", {"error": f"{type(e).__name__}: {e}"}))
        finally:
            with self._cond:
                self.scheduler.finished(self)
                if end is None:  # the page asked: pause or stop, or run again if it changed its mind meanwhile
                    if self._want == STOPPED:
                        end = (STOPPED, self._stopped_message())
                    elif self._want == PAUSED:
                        end = (PAUSED, None)
                    else:
                        end = (QUEUED, None)
                        self.scheduler.submit(self)
                self._status = end[0]
                if end[1] is not None:
                    self._message = end[1]
                self._rate.clear()
                self._in_stretch = False
                self._cond.notify_all()

    _sample_time = -math.inf

    def _publish(self, rec) -> None:
        row = rec.to_dict()
        row["time"] = time.time()
        now = time.monotonic()
        with self._cond:
            self._history.append(row)
            self._rate.append((now, rec.tokens))
            while len(self._rate) > 2 and now - self._rate[0][0] > RATE_WINDOW_S:
                self._rate.popleft()

    def _recent_rate(self) -> float:
        """Tokens per wall-clock second over the last few seconds (needs the data lock)."""
        if len(self._rate) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._rate[0], self._rate[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def _eta(self, history: HistoryView, rate: float) -> float:
        t = self.trainer
        if not history or rate <= 0:
            return math.nan
        last = history[-1]
        tokens_per_step = last["tokens"] / last["step"]
        eta = max(0, t.total_steps - last["step"]) * tokens_per_step / rate
        if t.cfg.max_seconds:
            eta = min(eta, max(0.0, t.cfg.max_seconds - last["elapsed_s"]))
        return eta

    def _refresh_sample(self) -> None:
        self._sample_time = time.monotonic()
        prefix = self.sample_prefix or self._corpus_prefix()
        if not prefix:
            return
        with self._model_lock:
            step = self.trainer.step_count
            text = generate(self.trainer.model, self.vocab, prefix, SAMPLE_CHARS).generated
        with self._cond:
            self._sample, self._sample_step = text, step
            if not self.sample_prefix:
                self.sample_prefix = prefix

    def _corpus_prefix(self) -> str:
        """For a text without the book's letters: its own first 15 characters as the prefix."""
        ids = self.trainer.train_corpus[:15]
        return "".join(self.vocab.to_tokens(ids)) if ids else ""

    # Messages are written here, on the training thread, whose language is English; they are kept as a
    # catalogue key and its values, and RunView.message translates them on the page's thread.

    def _stopped_message(self) -> tuple[str, dict]:
        return "worker.stopped", {"steps": self.trainer.step_count}

    def _diverged_message(self) -> tuple[str, dict]:
        """Trainer.step raised before counting the step, so step_count is the last finite one."""
        tr = self.trainer
        return "worker.diverged", {"step": tr.step_count + 1, "kept": tr.step_count, "lr": tr.cfg.lr}

    def _done_message(self) -> tuple[str, dict]:
        tr = self.trainer
        values = {"steps": tr.step_count, "seconds": tr.elapsed, "epochs": tr.epoch, "budget": tr.cfg.max_seconds}
        if tr.cfg.max_seconds and tr.elapsed >= tr.cfg.max_seconds:
            return "worker.done_budget", values
        return ("worker.done_epoch" if tr.epoch == 1 else "worker.done_epochs"), values


@dataclass
class RunBook:
    """The runs of one browser session, numbered 1, 2, ... in the order they were started."""

    max_kept: int = 20
    jobs: dict[int, TrainingJob] = field(default_factory=dict)
    closed: bool = False
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _auto_paused: set[int] = field(default_factory=set)
    _reaper: threading.Timer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_number(self) -> int:
        return next(self._numbers)

    def add(self, job: TrainingJob) -> list[str]:
        """Keep ``job``; returns the labels of old finished runs dropped to stay within ``max_kept``."""
        with self._lock:
            self.jobs[job.id] = job
            dropped = []
            for old in list(self.jobs.values()):
                if len(self.jobs) <= self.max_kept:
                    break
                if not old.active:
                    del self.jobs[old.id]
                    dropped.append(old.label)
            return dropped

    def get(self, job_id: int | None) -> TrainingJob | None:
        return self.jobs.get(job_id) if job_id is not None else None

    def remove(self, job_id: int) -> None:
        with self._lock:
            job = self.jobs.pop(job_id, None)
        if job:
            job.stop()

    def active_count(self) -> int:
        return sum(j.active for j in self.jobs.values())

    def close(self) -> None:
        """Stop every run (the session is gone)."""
        with self._lock:
            self.closed = True
            jobs = list(self.jobs.values())
        for job in jobs:
            job.stop()

    def on_disconnect(self, grace_s: float) -> None:
        """The browser went away: pause what trains now, and stop everything unless it comes back
        within ``grace_s`` seconds (a reload or a closed tab never comes back)."""
        with self._lock:
            for job in self.jobs.values():
                if job.status in (QUEUED, RUNNING):
                    job.pause()
                    self._auto_paused.add(job.id)
            if self._reaper:
                self._reaper.cancel()
            self._reaper = threading.Timer(grace_s, self.close)
            self._reaper.daemon = True
            self._reaper.start()

    def on_reconnect(self) -> None:
        """The same session is back: cancel the stop and resume what the disconnect paused."""
        with self._lock:
            if self._reaper:
                self._reaper.cancel()
                self._reaper = None
            resumed = [self.jobs[i] for i in self._auto_paused if i in self.jobs]
            self._auto_paused.clear()
        for job in resumed:
            job.resume()
