"""Checkpoints: round trip, and refusal of truncated, tampered, mismatched and code-carrying files."""
import io
import os
import pickle
import zipfile

import pytest
import torch

import rnnviz
from rnnviz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, shipped_checkpoints
from rnnviz.data import Vocab
from rnnviz.models import ModelConfig, build_model
from rnnviz.train import TrainConfig, fit

TEXT = "it was the best of times, it was the worst of times. " * 10


@pytest.fixture(scope="module")
def trained():
    vocab = Vocab(list(TEXT))
    mcfg = ModelConfig(kind="gru", vocab_size=len(vocab), hidden_size=12, num_layers=2)
    tcfg = TrainConfig(batch_size=2, num_steps=8, epochs=2, lr=0.01, optimizer="adam")
    trainer = fit(mcfg, tcfg, [vocab[c] for c in TEXT])
    return trainer, vocab, mcfg, tcfg


@pytest.fixture
def saved(tmp_path, trained):
    trainer, vocab, mcfg, tcfg = trained
    path = tmp_path / "m.pt"
    save_checkpoint(path, trainer.model, vocab, mcfg, tcfg, trainer.history,
                    corpus={"name": "Dickens", "kind": "user"}, metrics={"val_ppl": 3.5})
    return path


def test_round_trip_keeps_weights_vocab_config_history(saved, trained):
    trainer, vocab, mcfg, tcfg = trained
    ck = rnnviz.load_checkpoint(saved)
    assert ck.config == mcfg and ck.train_config == tcfg
    assert ck.vocab.idx_to_token == vocab.idx_to_token and ck.vocab.token_freqs == vocab.token_freqs
    assert ck.history == [r.to_dict() for r in trainer.history]
    assert ck.corpus["name"] == "Dickens" and ck.metrics["val_ppl"] == 3.5
    assert not ck.model.training
    X = torch.randint(0, len(vocab), (2, 9))
    trainer.model.eval()
    device = next(trainer.model.parameters()).device  # CUDA when the test machine has a GPU
    torch.testing.assert_close(ck.model(X)[0], trainer.model(X.to(device))[0].cpu())


def test_loads_from_bytes_too(saved):
    assert load_checkpoint(saved.read_bytes()).config.kind == "gru"


def test_truncated_file_is_refused(saved):
    raw = saved.read_bytes()
    saved.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(saved)


def test_tampered_weights_are_refused(saved, tmp_path):
    """Rewrite the archive with one tensor's storage replaced by garbage of a different length."""
    src = zipfile.ZipFile(saved)
    out = tmp_path / "tampered.pt"
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if "/data/" in item.filename and len(data) > 64:
                data = data[:-16]
            dst.writestr(item, data)
    with pytest.raises(CheckpointError):
        load_checkpoint(out)


@pytest.mark.parametrize("raw", [b"", b"\x00" * 100, b"hello, I am not a checkpoint", os.urandom(4096)])
def test_garbage_is_refused(tmp_path, raw):
    p = tmp_path / "x.pt"
    p.write_bytes(raw)
    with pytest.raises(CheckpointError):
        load_checkpoint(p)


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = _Payload()
    payload.marker = marker
    p = tmp_path / "evil.pt"
    torch.save({"format": "rnnviz-checkpoint", "version": 1, "x": payload}, p)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(p)
    assert not marker.exists()
    # and a raw pickle (not a torch zip) too
    p.write_bytes(pickle.dumps(payload))
    with pytest.raises(CheckpointError):
        load_checkpoint(p)
    assert not marker.exists()


def test_weights_of_another_shape_are_refused(tmp_path, trained):
    trainer, vocab, mcfg, tcfg = trained
    other = build_model(ModelConfig(kind="lstm", vocab_size=len(vocab), hidden_size=12))
    p = tmp_path / "mismatch.pt"
    save_checkpoint(p, other, vocab, mcfg)  # claims to be a GRU, holds LSTM weights
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(p)


def test_vocabulary_size_mismatch_is_refused(tmp_path, trained):
    trainer, vocab, mcfg, tcfg = trained
    p = tmp_path / "v.pt"
    save_checkpoint(p, trainer.model, Vocab(list("abc")), mcfg)
    with pytest.raises(CheckpointError, match="vocabulary"):
        load_checkpoint(p)


def test_not_an_rnnviz_file_is_refused(tmp_path):
    p = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(3)}, p)
    with pytest.raises(CheckpointError, match="not an rnnviz checkpoint"):
        load_checkpoint(p)


def test_save_is_atomic_when_writing_fails(tmp_path, trained, monkeypatch):
    trainer, vocab, mcfg, tcfg = trained
    p = tmp_path / "good.pt"
    save_checkpoint(p, trainer.model, vocab, mcfg)
    good = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        save_checkpoint(p, trainer.model, vocab, mcfg)
    assert p.read_bytes() == good
    assert [f.name for f in tmp_path.iterdir()] == ["good.pt"]


def test_shipped_checkpoints_load_are_small_and_generate():
    ships = shipped_checkpoints()
    if not ships:
        pytest.skip("no shipped checkpoints in checkpoints/")
    for name, path in ships.items():
        assert path.stat().st_size < 5 * 1024**2, name
        ck = load_checkpoint(path)
        assert ck.metrics.get("train_seconds", 0) > 0 and ck.history
        assert ck.corpus.get("name", "").startswith("The Time Machine")
        out = rnnviz.generate(ck.model, ck.vocab, "time traveller ", 30)
        assert len(out.generated) == 30
