"""Hostile and absurd input (issue 10): each gets a clear message, nothing runs that should not, and the session
stays usable afterwards.

The first half drives the engine (rnnviz.data, rnnviz.checkpoint, rnnviz.train, rnnviz.generate, the training
worker); the second half drives the app's pages through AppTest.
"""
from __future__ import annotations

import contextlib
import copy
import gzip
import io
import os
import pickle
import time
import zipfile
import zlib

import pytest
import torch
from apptest_utils import APP, TIMEOUT, TINY, app_env, new_app, only_job, run_book, set_widgets, wait_for  # noqa: F401

from rnnviz import checkpoint as ckpt_module
from rnnviz.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint
from rnnviz.data import MAX_UPLOAD_BYTES, CorpusError, Vocab, decode_user_text, load_corpus
from rnnviz.generate import MAX_PREFIX, generate, score
from rnnviz.inspect import MAX_TRACE_CHARS, trace
from rnnviz.models import KINDS, ConfigError, ModelConfig, build_model
from rnnviz.train import TrainConfig, Trainer, TrainingDiverged, check_fits
from ui import worker

TEXT = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity. ") * 4
LETTERS = Vocab(list("abcdefghijklmnopqrstuvwxyz "))


def zip_bomb(inflated: int = 50_000_000) -> bytes:
    """A real zip bomb: `inflated` zero bytes deflated into a few tens of kilobytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("notes.txt", "w") as f:
            chunk = b"\0" * 1_000_000
            for _ in range(inflated // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


@contextlib.contextmanager
def never_unpacked():
    """Fail if anything decompresses inside the block: archives must be refused from their bytes alone."""
    def refuse(*args, **kwargs):
        raise AssertionError("something tried to decompress an uploaded archive")

    with pytest.MonkeyPatch.context() as mp:
        for name in ("decompress", "decompressobj"):
            mp.setattr(zlib, name, refuse)
        mp.setattr(gzip, "decompress", refuse)
        mp.setattr(zipfile.ZipFile, "open", refuse)
        mp.setattr(zipfile.ZipFile, "read", refuse)
        yield


class PickleBomb:
    """A pickle that, if ever unpickled, creates a file: the proof that it ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def tiny_checkpoint(kind: str = "gru", hidden: int = 8, seed: int = 0) -> bytes:
    torch.manual_seed(seed)
    cfg = ModelConfig(kind=kind, hidden_size=hidden, vocab_size=len(LETTERS))
    return checkpoint_bytes(build_model(cfg), LETTERS, cfg, corpus={"label": f"Tiny {kind}"})


def evil_checkpoint(marker) -> bytes:
    """A file shaped like an rnnviz checkpoint (the torch zip format, the format marker) that carries code."""
    cfg = ModelConfig(kind="gru", hidden_size=8, vocab_size=len(LETTERS))
    buf = io.BytesIO()
    torch.save({"format": "rnnviz-checkpoint", "version": 1, "model_config": cfg.to_dict(), "train_config": None,
                "state_dict": {"payload": PickleBomb(marker)}, "vocab": LETTERS.to_dict()}, buf)
    return buf.getvalue()


# ================================================================ engine: texts


BAD_TEXTS = {
    "empty": (b"", "empty"),
    "binary": (os.urandom(4096) + b"\0", "binary"),
    "non-UTF-8": ("Où est la gare ? Ça coûte très cher. ".encode("latin-1") * 20, "not valid UTF-8"),
    "one repeated character": (b"a" * 5000, "repeated"),
    "one character and spaces": (b"z z z z " * 500, "repeated"),
    "200 MB": (b"a" * 200_000_000, "200.0 MB"),
    "PNG renamed .txt": (b"\x89PNG\r\n\x1a\n" + os.urandom(500), "PNG"),
    "pickle renamed .txt": (pickle.dumps(list(range(300)), protocol=4), "pickle"),
}


@pytest.mark.parametrize("case", list(BAD_TEXTS))
def test_bad_texts_are_refused_with_a_message(case):
    data, message = BAD_TEXTS[case]
    with pytest.raises(CorpusError, match=message):
        load_corpus("user", data)


@pytest.mark.parametrize("make, name", [(zip_bomb, "ZIP"), (lambda: gzip.compress(b"\0" * 20_000_000), "gzip")])
def test_compressed_files_are_refused_unopened(make, name):
    bomb = make()
    assert len(bomb) < 200_000  # tens of megabytes of zeros inside
    with never_unpacked(), pytest.raises(CorpusError, match=f"{name} archive.*never unpacks"):
        load_corpus("user", bomb)


def test_one_letter_once_lowercased_is_refused_unless_case_is_kept():
    text = "Aa" * 500
    with pytest.raises(CorpusError, match="once lowercased"):
        load_corpus("user", text)
    assert set(load_corpus("user", text, clean=False).char_tokens()) == {"A", "a"}


def test_two_distinct_characters_are_enough():
    assert set(load_corpus("user", "ab" * 200).char_tokens()) == {"a", "b"}
    assert decode_user_text("x" * 199 + "y") == "x" * 199 + "y"


def test_the_size_cap_comes_before_any_decoding():
    with pytest.raises(CorpusError, match="limit is 5 MB"):
        decode_user_text(b"\xff" * (MAX_UPLOAD_BYTES + 1))


# ================================================================ engine: prefixes and probe texts


@pytest.fixture(scope="module")
def tiny_lstm():
    torch.manual_seed(0)
    return build_model(ModelConfig(kind="lstm", hidden_size=8, vocab_size=len(LETTERS))).eval()


def test_a_100000_character_prefix_is_read_and_one_more_is_refused(tiny_lstm):
    prefix = ("the time traveller " * 6000)[:MAX_PREFIX]
    assert len(generate(tiny_lstm, LETTERS, prefix, 5).generated) == 5
    with pytest.raises(ValueError, match="limit is 100,000"):
        generate(tiny_lstm, LETTERS, prefix + "x", 5)
    with pytest.raises(ValueError, match="limit is 100,000"):
        score(tiny_lstm, LETTERS, prefix + "x")


def test_generation_keeps_no_autograd_graph(tiny_lstm):
    """A 100,000-character prefix read with gradients on would keep every step's activations for a backward pass
    that never comes."""
    seen = []
    hook = tiny_lstm.register_forward_hook(lambda module, args, out: seen.append(torch.is_grad_enabled()))
    try:
        generate(tiny_lstm, LETTERS, "the time traveller", 3)
        score(tiny_lstm, LETTERS, "the time traveller")
    finally:
        hook.remove()
    assert seen and not any(seen)


def test_a_prefix_of_only_unknown_characters_is_read_as_unk_and_listed(tiny_lstm):
    out = generate(tiny_lstm, LETTERS, "你好！€€", 10)
    assert len(out.generated) == 10 and "<unk>" not in out.generated
    assert [ch for _, ch in out.unknown] == list("你好！€€")
    assert len(score(tiny_lstm, LETTERS, "你好！€€").per_char) == 4


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan"), float("inf"), 1e-45, 3.4028235677973366e38])
def test_absurd_temperatures_are_refused_rather_than_sampled_from_nan(tiny_lstm, temperature):
    with pytest.raises(ValueError, match="temperature must be a positive number between"):
        generate(tiny_lstm, LETTERS, "ab", 3, "sample", temperature)


def test_a_trace_beyond_its_limit_is_refused_before_running(tiny_lstm):
    with pytest.raises(ValueError, match="tracing is limited"):
        trace(tiny_lstm, LETTERS, "a" * (MAX_TRACE_CHARS + 1))
    assert trace(tiny_lstm, LETTERS, "€" * 50).unknown


# ================================================================ engine: numbers


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_refused_beyond_memory_before_anything_is_allocated(kind, monkeypatch):
    """check_fits knows every kind (a new one added to KINDS must be taught to it), and Trainer refuses absurd
    runs before building the model."""
    from rnnviz import train
    small = ModelConfig(kind=kind, hidden_size=8, vocab_size=30)
    check_fits(small, TrainConfig(batch_size=2, num_steps=5))

    def no_build(cfg):
        raise AssertionError(f"a model was allocated for {cfg}")

    monkeypatch.setattr(train, "build_model", no_build)
    huge = [
        (ModelConfig(kind=kind, hidden_size=4096, num_layers=8, vocab_size=30), TrainConfig()),  # parameters
        (ModelConfig(kind=kind, hidden_size=1024, vocab_size=30), TrainConfig(batch_size=4096, num_steps=2000)),
        (ModelConfig(kind=kind, hidden_size=10**9, vocab_size=30), TrainConfig()),
        (ModelConfig(kind=kind, hidden_size=8, vocab_size=10**7), TrainConfig()),
    ]
    for mcfg, tcfg in huge:
        with pytest.raises(ConfigError):
            Trainer(mcfg, tcfg, list(range(30)) * 50)


@pytest.mark.parametrize("field, value", [
    ("hidden_size", 0), ("hidden_size", -8), ("num_layers", 0), ("num_layers", -1), ("vocab_size", 0),
    ("embedding_dim", -1), ("dropout", -0.1), ("hidden_size", 8.5), ("hidden_size", True),
])
def test_zero_or_negative_model_settings_are_refused(field, value):
    with pytest.raises(ConfigError):
        ModelConfig(**{"kind": "lstm", field: value}).validate()


@pytest.mark.parametrize("field, value", [
    ("batch_size", 0), ("batch_size", -32), ("num_steps", 0), ("num_steps", -35), ("lr", 0.0), ("lr", -0.1),
    ("lr", float("nan")), ("lr", float("inf")), ("clip", -1.0), ("clip", float("nan")), ("epochs", 0),
    ("epochs", -3), ("max_seconds", -1.0), ("val_frac", -0.1), ("max_tokens", 0), ("max_tokens", -5),
    ("seed", -1), ("eval_every", -10),
])
def test_zero_or_negative_training_settings_are_refused(field, value):
    with pytest.raises(ConfigError):
        TrainConfig(**{field: value}).validate()


# ================================================================ engine: divergence


def _diverging_trainer():
    ids = LETTERS[list("the quick brown fox jumps over the lazy dog " * 30)]
    mcfg = ModelConfig(kind="rnn", hidden_size=16, vocab_size=len(LETTERS), nonlinearity="relu")
    return Trainer(mcfg, TrainConfig(batch_size=4, num_steps=10, epochs=100, lr=100.0, optimizer="sgd", clip=0.0), ids)


def test_divergence_keeps_exactly_the_weights_of_the_last_finite_step():
    trainer = _diverging_trainer()
    with pytest.raises(TrainingDiverged, match="diverged") as err:
        while True:
            good = copy.deepcopy(trainer.model.state_dict())
            trainer.step()
    assert f"weights of step {trainer.step_count}" in str(err.value)
    for name, tensor in trainer.model.state_dict().items():
        assert torch.equal(tensor, good[name]), name
    assert len(trainer.history) == trainer.step_count


def test_a_diverged_run_ends_frees_its_slot_and_its_checkpoint_loads(monkeypatch):
    monkeypatch.setenv("RNNVIZ_TORCH_THREADS", "1")
    sched = worker.Scheduler(max_running=1, cores=2)
    job = worker.TrainingJob(_diverging_trainer(), LETTERS, "diverging", {"name": "test"}, scheduler=sched)
    job.start()
    assert job.join(30) and job.status == worker.DIVERGED and "diverged" in job.view().message
    assert sched.running == 0  # the slot passed on
    ckpt = load_checkpoint(job.checkpoint_bytes())  # loadable: every weight is finite
    assert len(ckpt.history) == job.trainer.step_count and ckpt.metrics["diverged"]


# ================================================================ engine: checkpoints


def test_a_truncated_checkpoint_is_refused():
    raw = tiny_checkpoint()
    for cut in (10, len(raw) // 3, len(raw) - 30):
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            load_checkpoint(raw[:cut])


def test_a_pickle_payload_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(CheckpointError, match="refused.*never loads"):
        load_checkpoint(evil_checkpoint(marker))
    with pytest.raises(CheckpointError, match="not an rnnviz checkpoint"):
        load_checkpoint(pickle.dumps(PickleBomb(marker)))  # a bare pickle, torch's oldest format
    assert not marker.exists()
    pickle.loads(pickle.dumps(PickleBomb(marker))).close()  # the control: unpickled, it does create the file
    assert marker.exists()


def test_a_checkpoint_of_another_model_kind_is_refused():
    raw = tiny_checkpoint("lstm")
    ckpt = torch.load(io.BytesIO(raw), weights_only=True)
    ckpt["model_config"]["kind"] = "gru"  # LSTM weights that claim to be a GRU
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    with pytest.raises(CheckpointError, match="do not match a gru model"):
        load_checkpoint(buf.getvalue())
    ckpt["model_config"]["kind"] = "transformer"
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    with pytest.raises(CheckpointError, match="unknown model kind"):
        load_checkpoint(buf.getvalue())


def test_settings_that_ask_for_more_weights_than_the_file_holds_are_refused_before_building(monkeypatch):
    ckpt = torch.load(io.BytesIO(tiny_checkpoint("lstm")), weights_only=True)
    ckpt["model_config"].update(hidden_size=2048, num_layers=2)  # 200 MB of model for a 3 kB file
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    monkeypatch.setattr(ckpt_module, "build_model", lambda cfg: pytest.fail("a model was built"))
    with pytest.raises(CheckpointError, match="do not match a lstm model.*another kind or size of model"):
        load_checkpoint(buf.getvalue())


def test_a_compressed_or_oversized_archive_is_refused_unopened():
    bomb = zip_bomb(5_000_000)
    with never_unpacked(), pytest.raises(CheckpointError, match="compressed entry"):
        load_checkpoint(bomb)
    # a zip whose directory claims entries larger than the limit
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", b"x")
    raw = bytearray(buf.getvalue())
    cd = raw.rfind(b"PK\x01\x02")  # central directory entry: uncompressed size at offset 24
    raw[cd + 24:cd + 28] = (1 << 31).to_bytes(4, "little")
    with never_unpacked(), pytest.raises(CheckpointError, match="above the 200 MB limit"):
        load_checkpoint(bytes(raw))


def test_save_is_atomic_when_the_write_dies_half_way(tmp_path, monkeypatch):
    """A crash in the middle of writing (some bytes already on disk) leaves the good file as it was."""
    good = tmp_path / "model.pt"
    cfg = ModelConfig(kind="gru", hidden_size=8, vocab_size=len(LETTERS))
    ckpt_module.save_checkpoint(good, build_model(cfg), LETTERS, cfg)
    before = good.read_bytes()
    real_fdopen = os.fdopen

    class DiesHalfWay:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError("the machine lost power")

    monkeypatch.setattr(ckpt_module.os, "fdopen", lambda fd, mode: DiesHalfWay(real_fdopen(fd, mode)))
    torch.manual_seed(1)
    with pytest.raises(OSError, match="lost power"):
        ckpt_module.save_checkpoint(good, build_model(cfg), LETTERS, cfg)
    assert good.read_bytes() == before and load_checkpoint(good).config == cfg
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no half-written temporary left


# ================================================================ pages (AppTest)


@pytest.fixture
def tiny_shipped(tmp_path, monkeypatch):
    """One shipped checkpoint, a tiny GRU, instead of whatever checkpoints/ holds."""
    from ui import loaders
    path = tmp_path / "tiny.pt"
    path.write_bytes(tiny_checkpoint("gru"))
    monkeypatch.setattr(loaders, "shipped_checkpoints", lambda: {"tiny": path})


def _upload_text(at, name: str, data: bytes):
    at.sidebar.selectbox(key="sidebar_corpus").set_value("user").run()
    at.sidebar.file_uploader(key="sidebar_upload").set_value((name, data, "text/plain")).run()
    return at


@pytest.mark.parametrize("case", list(BAD_TEXTS) + ["zip bomb renamed .txt"])
def test_a_bad_upload_gets_a_message_and_the_session_goes_on(case, app_env):
    data, message = BAD_TEXTS[case] if case in BAD_TEXTS else (zip_bomb(), "ZIP archive")
    at = new_app()
    with never_unpacked():
        _upload_text(at, "notes.txt", data)
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith("notes.txt") and message in errors[0]
    at.switch_page("pages/train.py").run()
    assert not at.exception and any("Upload a text file" in i.value for i in at.info)
    at.sidebar.file_uploader(key="sidebar_upload").set_value(("tale.txt", TEXT.encode(), "text/plain")).run()
    assert not at.sidebar.error and "tale.txt" in at.sidebar.success[0].value  # the session is still usable
    assert not at.exception


def test_generate_caps_a_100000_character_prefix_and_long_sentences_with_a_message(app_env, tiny_shipped):
    at = new_app("pages/generate.py")
    at.text_input(key="gen_prefix").set_value("the time traveller " * 5300).run()
    assert not at.exception
    assert len(at.text_input(key="gen_prefix").value) == 2000
    assert any("limited to 2,000 characters" in c.value for c in at.caption)
    at.text_area(key="gen_sentences").set_value("\n".join(["the apple and pear salad " * 5000] * 30)).run()
    assert not at.exception
    assert any("limited to 20 sentences" in c.value for c in at.caption)
    table = at.dataframe[-1].value  # the scores
    assert 0 < len(table) <= 20 and table.map(lambda v: len(v) if isinstance(v, str) else 0).max().max() <= 2000


def test_generate_reads_a_prefix_of_only_unknown_characters_as_unk(app_env, tiny_shipped):
    at = new_app("pages/generate.py")
    at.text_input(key="gen_prefix").set_value("你好，世界！" * 10).run()
    assert not at.exception and not at.error
    assert any("<unk>" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["pages/hidden_states.py", "pages/gates.py"])
def test_probe_texts_of_100000_or_only_unknown_characters(page, app_env, tiny_shipped):
    at = new_app(page)
    at.text_area(key="inside_text").set_value("the time traveller " * 5300).run()
    assert not at.exception and not at.get("plotly_chart")  # refused before tracing, with an offer
    assert any("at a time" in w.value for w in at.warning)
    at.button(key="inside_cut").click().run()
    assert not at.exception and at.get("plotly_chart")  # the session goes on with the first part
    at.text_area(key="inside_text").set_value("你好，世界！" * 20).run()
    assert not at.exception and any("<unk>" in w.value for w in at.warning)


def test_train_page_refuses_a_run_beyond_memory_and_then_trains_a_sane_one(app_env):
    at = new_app("pages/train.py")
    set_widgets(at, {"train_hidden": 1024, "train_batch_size": 4096, "train_num_steps": 2000})
    assert not at.exception
    assert any("GiB" in e.value for e in at.error) and at.button(key="train_start").disabled
    assert not run_book(at).jobs
    set_widgets(at, TINY)
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: not job.active)
    assert job.status == "done" and not at.exception


def test_train_page_after_a_diverged_run_still_trains(app_env):
    at = new_app("pages/train.py")
    set_widgets(at, {**TINY, "train_kind": "rnn", "train_nonlinearity": "relu", "train_optimizer": "sgd",
                     "train_lr": 100.0, "train_clip": 0.0, "train_epochs": 50})
    at.button(key="train_start").click().run()
    diverged = only_job(at)
    wait_for(at, lambda: not diverged.active)
    assert diverged.status == "diverged" and any("diverged" in e.value for e in at.error)
    set_widgets(at, {"train_lr": 0.01, "train_optimizer": "adam", "train_clip": 1.0, "train_epochs": 1})
    at.button(key="train_start").click().run()
    second = [j for j in run_book(at).jobs.values() if j is not diverged][0]
    wait_for(at, lambda: not second.active)
    assert second.status == "done" and not at.exception


def test_a_run_whose_tab_closes_is_stopped_cleanly_and_keeps_its_history(app_env, monkeypatch):
    """Streamlit releases the session's guard when the tab closes: the run pauses at once (its thread ends), stops
    when the session does not come back, and its history and weights stay in the session until it expires."""
    from ui import training
    at = new_app("pages/train.py")
    set_widgets(at, {**TINY, "train_epochs": 1000})
    at.button(key="train_start").click().run()
    job = only_job(at)
    wait_for(at, lambda: job.view().step >= 5)
    book = run_book(at)
    monkeypatch.setattr(training, "_grace_s", lambda: 0.5)  # the server's session TTL + 30 s, shortened
    training._release(training._Guard(book))  # what the session-scoped resource's on_release does
    assert job.join(10)  # no thread left training
    deadline = time.monotonic() + 10
    while job.status != worker.STOPPED:
        assert time.monotonic() < deadline, f"the run is {job.status}, not stopped"
        time.sleep(0.05)
    v = job.view()
    assert v.step == job.trainer.step_count >= 5
    assert [h["step"] for h in v.history] == list(range(1, v.step + 1))  # every step kept, none repeated
    assert at.session_state["train_run_book"] is book and book.jobs[job.id] is job
    assert len(load_checkpoint(job.checkpoint_bytes()).history) == v.step  # and still downloadable


def test_tampered_url_parameters_leave_every_setting_valid(app_env):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/train.py")
    for key, value in {"train_batch_size": "0", "train_lr": "-1", "train_layers": "-3", "train_num_steps": "0",
                       "train_epochs": "nan", "train_hidden": "99999999", "train_clip": "inf", "train_seed": "-7",
                       "sidebar_model": "upload:deadbeefdead", "train_kind": "transformer"}.items():
        at.query_params[key] = value
    at.run()
    at.run()
    assert not at.exception
    model_cfg = ModelConfig(kind=at.get_by_key("train_kind").value, hidden_size=at.get_by_key("train_hidden").value,
                            num_layers=at.get_by_key("train_layers").value)
    model_cfg.validate()
    assert at.get_by_key("train_batch_size").value >= 1 and at.get_by_key("train_lr").value > 0


# ---------------------------------------------------------------- the uploaded-checkpoint path


def _upload_checkpoint(at, name: str, data: bytes):
    at.sidebar.file_uploader(key="sidebar_checkpoint_upload").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_an_uploaded_checkpoint_becomes_the_active_model(app_env, tiny_shipped):
    at = new_app()
    assert at.sidebar.selectbox(key="sidebar_model").value == "shipped:tiny"
    _upload_checkpoint(at, "my-lstm.pt", tiny_checkpoint("lstm", hidden=6))
    assert not at.exception and not at.sidebar.error
    key = at.sidebar.selectbox(key="sidebar_model").value
    assert key.startswith("upload:") and "my-lstm.pt" in at.sidebar.selectbox(key="sidebar_model").format_func(key)
    assert "my-lstm.pt" in at.sidebar.success[0].value
    at.switch_page("pages/generate.py").run()
    assert not at.exception and not at.error
    at.switch_page("pages/gates.py").run()  # an LSTM: the gates page draws its gates
    assert not at.exception and at.get("plotly_chart")
    from ui import active
    up = at.session_state[active.UPLOADED][key.split(":", 1)[1]].checkpoint
    assert up.config.kind == "lstm" and up.config.hidden_size == 6 and not up.model.training


@pytest.mark.parametrize("case", ["truncated", "pickle payload", "another kind", "text renamed .pt", "zip bomb"])
def test_a_bad_checkpoint_upload_shows_an_error_and_the_active_model_stays(case, app_env, tiny_shipped, tmp_path):
    marker = tmp_path / "pwned"
    good = tiny_checkpoint("lstm", hidden=6)
    at = _upload_checkpoint(new_app(), "good.pt", good)
    before = at.sidebar.selectbox(key="sidebar_model").value
    if case == "another kind":
        ckpt = torch.load(io.BytesIO(good), weights_only=True)
        ckpt["model_config"]["kind"] = "gru"
        buf = io.BytesIO()
        torch.save(ckpt, buf)
    data = {"truncated": lambda: good[: len(good) // 2], "pickle payload": lambda: evil_checkpoint(marker),
            "another kind": lambda: buf.getvalue(), "text renamed .pt": lambda: TEXT.encode(),
            "zip bomb": lambda: zip_bomb(5_000_000)}[case]()
    with never_unpacked():
        _upload_checkpoint(at, "bad.pt", data)
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith("bad.pt was not loaded")
    assert at.sidebar.selectbox(key="sidebar_model").value == before  # the previous model stays active
    assert not marker.exists()
    at.switch_page("pages/generate.py").run()
    assert not at.exception and not at.main.error  # and the session goes on with it
