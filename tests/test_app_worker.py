"""The training worker without Streamlit: the queue, pause/resume, disconnects, divergence, snapshots."""
import math
import os
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from apptest_utils import ROOT  # noqa: F401  (puts the app's root on sys.path)

from rnnviz import i18n
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig
from rnnviz.train import TrainConfig, Trainer
from ui import scheduler, worker

TEXT = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter " * 20


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("RNNVIZ_TORCH_THREADS", "1")


def make_job(scheduler, epochs=1000, lr=0.005, kind="lstm", clip=1.0, optimizer="adam", nonlinearity="tanh",
             label="test run"):
    vocab = Vocab(list(TEXT))
    ids = vocab[list(TEXT)]
    mcfg = ModelConfig(kind=kind, hidden_size=8, vocab_size=len(vocab), nonlinearity=nonlinearity)
    tcfg = TrainConfig(batch_size=2, num_steps=8, epochs=epochs, lr=lr, optimizer=optimizer, clip=clip)
    trainer = Trainer(mcfg, tcfg, ids[:1500], ids[1500:])
    return worker.TrainingJob(trainer, vocab, label, {"name": "test"}, scheduler=scheduler)


def until(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture
def jobs():
    made = []
    yield made
    for job in made:
        job.stop()
    for job in made:
        assert job.join(10)


def test_scheduler_caps_running_jobs_and_keeps_first_come_order(jobs):
    sched = worker.Scheduler(max_running=1, cores=2)
    a, b, c = (make_job(sched) for _ in range(3))
    jobs += [a, b, c]
    a.start()
    until(lambda: a.status == worker.RUNNING)
    b.start()
    until(lambda: sched.ahead_of(b.id) == 1)
    c.start()
    until(lambda: sched.ahead_of(c.id) == 2)
    assert b.view().queue_ahead == 1 and b.view().slots == 1
    a.stop()
    until(lambda: b.status == worker.RUNNING)
    assert c.status == worker.QUEUED and sched.ahead_of(c.id) == 1


def test_pause_gives_the_slot_away_and_resume_continues_where_it_stopped(jobs):
    sched = worker.Scheduler(max_running=1, cores=2)
    a, b = make_job(sched), make_job(sched)
    jobs += [a, b]
    a.start()
    until(lambda: a.view().step >= 3)
    b.start()
    a.pause()
    until(lambda: a.status == worker.PAUSED and b.status == worker.RUNNING)
    step = a.view().step
    time.sleep(0.1)
    assert a.view().step == step and a.trainer.step_count == step
    b.stop()
    a.resume()
    until(lambda: a.view().step > step + 2)
    steps = [h["step"] for h in a.view().history]
    assert steps == list(range(1, len(steps) + 1))  # no step lost or repeated


def test_threads_are_shared_out_between_running_jobs(monkeypatch, jobs):
    monkeypatch.delenv("RNNVIZ_TORCH_THREADS")
    sched = worker.Scheduler(max_running=2, cores=2)
    assert sched.threads_per_run() == 2
    a, b = make_job(sched), make_job(sched)
    jobs += [a, b]
    a.start()
    until(lambda: a.status == worker.RUNNING)
    assert sched.threads_per_run() == 2
    b.start()
    until(lambda: b.status == worker.RUNNING)
    assert sched.running == 2 and sched.threads_per_run() == 1
    monkeypatch.setenv("RNNVIZ_TORCH_THREADS", "3")
    assert sched.threads_per_run() == 3


def test_a_finished_run_reports_done_with_a_sample_and_rates(jobs):
    job = make_job(worker.Scheduler(2, cores=2), epochs=2)
    jobs.append(job.start())
    until(lambda: not job.active)
    v = job.view()
    assert v.status == worker.DONE and "2 epochs" in v.message
    with i18n.using("zh"):  # kept as a key and values: shown in the language of whoever reads it
        assert v.message.startswith("训练完成") and f"{v.step:,} 步" in v.message
    assert v.sample and v.sample_prefix == worker.SAMPLE_PREFIX and v.sample_step == v.step
    assert v.val_ppl is not None and math.isfinite(v.train_ppl) and v.last["tokens_per_s"] > 0
    assert all("time" in h for h in v.history)


def test_divergence_stops_the_run_and_keeps_finite_weights(jobs):
    job = make_job(worker.Scheduler(2, cores=2), kind="rnn", nonlinearity="relu", optimizer="sgd", lr=100.0,
                   clip=0.0)
    jobs.append(job.start())
    until(lambda: not job.active)
    v = job.view()
    assert job.status == worker.DIVERGED and "diverged" in v.message
    assert f"weights of step {job.trainer.step_count:,}" in v.message and "(now 100)" in v.message
    assert all(torch.isfinite(p).all() for p in job.trainer.model.parameters())


def test_snapshot_is_a_cpu_eval_copy_reused_until_the_next_step(jobs):
    job = make_job(worker.Scheduler(2, cores=2))
    jobs.append(job.start())
    until(lambda: job.view().step >= 2)
    job.pause()
    until(lambda: job.status == worker.PAUSED)
    step, model = job.snapshot()
    assert job.snapshot()[1] is model and step == job.trainer.step_count
    assert not model.training and job.trainer.model.training
    job.resume()
    until(lambda: job.view().step > step)
    assert job.snapshot()[1] is not model


def test_disconnect_pauses_and_a_reconnect_resumes(jobs):
    book = worker.RunBook()
    job = make_job(worker.Scheduler(2, cores=2))
    jobs.append(job.start())
    book.add(job)
    until(lambda: job.status == worker.RUNNING)
    book.on_disconnect(grace_s=60)
    until(lambda: job.status == worker.PAUSED)
    book.on_reconnect()
    until(lambda: job.status == worker.RUNNING)
    assert not book.closed


def test_a_session_that_does_not_come_back_is_stopped(jobs):
    book = worker.RunBook()
    job = make_job(worker.Scheduler(2, cores=2))
    jobs.append(job.start())
    book.add(job)
    book.on_disconnect(grace_s=0.2)
    until(lambda: job.status == worker.STOPPED)
    assert book.closed and job.join(5)


def test_the_book_drops_the_oldest_finished_runs_beyond_its_limit(jobs):
    book = worker.RunBook(max_kept=2)
    sched = worker.Scheduler(2, cores=2)
    done = make_job(sched, epochs=1)
    jobs.append(done.start())
    until(lambda: not done.active)
    book.add(done)
    running = [make_job(sched), make_job(sched)]
    jobs += running
    assert book.add(running[0]) == []
    assert book.add(running[1]) == ["test run"] and done.id not in book.jobs


def test_checkpoint_bytes_round_trip_while_training(jobs):
    from rnnviz.checkpoint import load_checkpoint
    job = make_job(worker.Scheduler(2, cores=2))
    jobs.append(job.start())
    until(lambda: job.view().step >= 3)
    results = []
    reader = threading.Thread(target=lambda: results.append(load_checkpoint(job.checkpoint_bytes())))
    reader.start()
    reader.join(10)
    ckpt = results[0]
    assert ckpt.config.hidden_size == 8 and ckpt.train_config.batch_size == 2 and len(ckpt.history) >= 3
    assert "time" not in ckpt.history[0] and ckpt.corpus["label"] == "test run"


def test_a_text_without_the_book_letters_samples_from_its_own_opening(jobs):
    text = "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜" * 40
    vocab = Vocab(list(text))
    ids = vocab[list(text)]
    trainer = Trainer(ModelConfig(kind="gru", hidden_size=8, vocab_size=len(vocab)),
                      TrainConfig(batch_size=2, num_steps=8, epochs=1), ids)
    job = worker.TrainingJob(trainer, vocab, "chinese", {}, scheduler=worker.Scheduler(2, cores=2))
    jobs.append(job.start())
    until(lambda: not job.active)
    v = job.view()
    assert v.sample_prefix == text[:15] and len(v.sample) == worker.SAMPLE_CHARS


def test_a_label_may_be_a_callable_asked_each_time(jobs):
    names = iter(["first", "second"])  # the app's labels follow the page's language this way
    job = make_job(worker.Scheduler(2, cores=2), epochs=1, label=lambda: next(names))
    assert job.label == "first" and job.view().label == "second"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_a_run_trains_at_a_lower_os_priority_than_the_pages(jobs):
    """The run's thread, found from outside Python by its OS name, has the training nice value; the process's
    other threads (Streamlit's script threads among them) keep theirs."""
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    job = make_job(worker.Scheduler(max_running=1, cores=1))
    jobs.append(job)
    job.start()
    until(lambda: job.status == worker.RUNNING and job.view().step > 0)
    name = f"{worker.OS_THREAD_PREFIX}{job.id}"
    tids = [int(p.name) for p in Path("/proc/self/task").iterdir()
            if (p / "comm").read_text().strip() == name]
    assert len(tids) == 1
    assert os.getpriority(os.PRIO_PROCESS, tids[0]) == min(19, os.getpriority(os.PRIO_PROCESS, os.getpid())
                                                             + worker.TRAIN_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


def test_the_run_keeps_each_step_once(jobs):
    """The job's rows are the history (charts, run table, checkpoint); the trainer under it keeps none."""
    job = make_job(worker.Scheduler(max_running=1, cores=1))
    jobs.append(job)
    job.start()
    until(lambda: job.view().step >= 5)
    job.pause()
    until(lambda: job.status == worker.PAUSED)
    view = job.view()
    assert [h["step"] for h in view.history] == list(range(1, view.step + 1))
    assert job.trainer.history == []


def _os_threads(name: str) -> list[int]:
    """Native ids of this process's threads whose OS name is ``name``."""
    found = []
    for p in Path("/proc/self/task").iterdir():
        try:
            if (p / "comm").read_text().strip() == name:
                found.append(int(p.name))
        except OSError:  # a thread that ended while we looked
            pass
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="OS thread names are read from /proc")
def test_pause_and_resume_train_on_the_same_long_lived_slot(jobs):
    """A resume does not start a thread: the scheduler's slot that trained the run before trains it again, and
    waits under its idle name in between (a fresh thread per resume let glibc's arenas grow: README "Long runs")."""
    sched = worker.Scheduler(max_running=1, cores=1)
    job = make_job(sched)
    jobs.append(job.start())
    name = f"{worker.OS_THREAD_PREFIX}{job.id}"
    until(lambda: job.view().step > 0 and len(_os_threads(name)) == 1)
    (tid,) = _os_threads(name)
    for _ in range(3):
        job.pause()
        until(lambda: job.status == worker.PAUSED and not _os_threads(name))
        assert tid in _os_threads(scheduler.IDLE_OS_NAME)
        step = job.view().step
        job.resume()
        until(lambda: job.view().step > step)
        assert _os_threads(name) == [tid] and sched.slots == 1


@pytest.mark.skipif(not scheduler.release_openmp_pool(), reason="needs libgomp's omp_pause_resource_all")
def test_a_slot_lets_its_openmp_pool_go_when_its_run_pauses(monkeypatch, jobs):
    """An idle OpenMP pool made the other run's steps 2.5x slower on 2 cores (ui/scheduler.py): while the run
    trains on two threads, its slot and one pool thread carry its name; paused, neither does."""
    monkeypatch.delenv("RNNVIZ_TORCH_THREADS")
    sched = worker.Scheduler(max_running=1, cores=2)
    vocab = Vocab(list(TEXT))
    trainer = Trainer(ModelConfig(kind="lstm", hidden_size=256, vocab_size=len(vocab)),
                      TrainConfig(batch_size=32, num_steps=35, epochs=1000), vocab[list(TEXT)])
    job = worker.TrainingJob(trainer, vocab, "wide", {}, scheduler=sched)
    jobs.append(job.start())
    name = f"{worker.OS_THREAD_PREFIX}{job.id}"
    until(lambda: len(_os_threads(name)) == 2, timeout=30)
    job.pause()
    until(lambda: job.status == worker.PAUSED and not _os_threads(name))
    assert len(_os_threads(scheduler.IDLE_OS_NAME)) >= 1


def test_an_idle_slot_ends_after_its_time(jobs):
    sched = worker.Scheduler(max_running=2, cores=2, idle_exit_s=0.3)
    job = make_job(sched)
    jobs.append(job.start())
    until(lambda: job.status == worker.RUNNING)
    assert sched.slots == 1
    job.stop()
    until(lambda: sched.slots == 0)
    job2 = make_job(sched, epochs=1)  # a later run gets a fresh slot
    jobs.append(job2.start())
    until(lambda: job2.status == worker.DONE)


def test_a_run_stopped_while_queued_leaves_the_queue_at_once(jobs):
    sched = worker.Scheduler(max_running=1, cores=2)
    a, b = make_job(sched), make_job(sched)
    jobs += [a, b]
    a.start()
    until(lambda: a.status == worker.RUNNING)
    b.start()
    b.pause()
    assert b.status == worker.PAUSED and sched.ahead_of(b.id) is None and b.join(0)
    b.resume()
    assert b.status == worker.QUEUED and sched.ahead_of(b.id) == 1
    b.stop()
    assert b.status == worker.STOPPED and b.join(0) and b.view().step == 0
