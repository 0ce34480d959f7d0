"""The command line: help is complete, train → generate works end to end, errors are messages."""
import subprocess
import sys

import pytest

from rnnviz.__main__ import build_parser, main
from rnnviz.checkpoint import load_checkpoint
from rnnviz.train import TrainConfig

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


def _help(*cmd) -> str:
    out = subprocess.run([sys.executable, "-m", "rnnviz", *cmd, "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_help_lists_every_engine_option():
    text = _help("train")
    for name in TrainConfig().to_dict():
        flag = "--" + name.replace("_", "-")
        assert flag in text, f"{flag} missing from train --help"
    for flag in ("--kind", "--hidden", "--layers", "--bidirectional", "--dropout", "--embedding", "--preset",
                 "--corpus", "--text-file", "--out"):
        assert flag in text
    assert "--prefix" in _help("generate") and "--strategy" in _help("generate")
    assert "--corpus" in _help("stats")


def test_train_then_generate_on_a_text_file(tmp_path, capsys):
    src = tmp_path / "fox.txt"
    src.write_text(TEXT)
    out = tmp_path / "fox.pt"
    rc = main(["train", "--text-file", str(src), "--kind", "gru", "--hidden", "16", "--epochs", "3",
               "--batch-size", "4", "--num-steps", "10", "--optimizer", "adam", "--lr", "0.01",
               "--val-frac", "0.1", "--out", str(out), "--label", "fox"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "tok/s" in err and "validation perplexity" in err
    ck = load_checkpoint(out)
    assert ck.config.kind == "gru" and ck.config.hidden_size == 16
    assert ck.train_config.epochs == 3 and ck.corpus["label"] == "fox"
    assert ck.metrics["val_ppl"] > 1 and ck.history[-1]["epoch"] == 3
    rc = main(["generate", "--checkpoint", str(out), "--prefix", "The quick", "--length", "20"])
    captured = capsys.readouterr()
    assert rc == 0 and captured.out.startswith("The quick") and len(captured.out.strip()) == len("The quick") + 20
    assert "'T'" in captured.err  # the capital is not in the cleaned vocabulary, and we say so


def test_keep_best_saves_the_epoch_with_the_lowest_validation_perplexity(tmp_path, capsys):
    src = tmp_path / "fox.txt"
    src.write_text(TEXT)
    out = tmp_path / "best.pt"
    # a learning rate this high overfits (or bounces) after the first epochs, so the best is rarely the last
    assert main(["train", "--text-file", str(src), "--kind", "lstm", "--hidden", "16", "--epochs", "6",
                 "--batch-size", "4", "--num-steps", "10", "--optimizer", "adam", "--lr", "0.05",
                 "--val-frac", "0.2", "--keep-best", "--quiet", "--out", str(out)]) == 0
    ck = load_checkpoint(out)
    vals = {h["epoch"]: h["val_ppl"] for h in ck.history if h["epoch_end"]}
    best_epoch = min(vals, key=vals.get)
    assert ck.metrics["best_epoch"] == best_epoch
    assert ck.metrics["val_ppl"] == pytest.approx(vals[best_epoch], rel=1e-5)


def test_preset_fills_options_and_flags_override(tmp_path, capsys, time_machine_file):
    out = tmp_path / "p.pt"
    rc = main(["train", "--preset", "d2l-9.3-deep-lstm", "--hidden", "8", "--epochs", "1", "--max-tokens", "2000",
               "--quiet", "--out", str(out)])
    assert rc == 0
    ck = load_checkpoint(out)
    assert ck.config.num_layers == 2 and ck.config.hidden_size == 8 and ck.train_config.lr == 2.0


def test_stats_prints_d2l_figures(capsys, time_machine_file):
    assert main(["stats", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "lines: 3,221" in out and "characters: 170,580 (vocabulary 28" in out
    assert "the" in out and "2,261" in out and "of the" in out and "309" in out


@pytest.mark.parametrize("args,msg", [
    (["train", "--hidden", "0", "--out", "x.pt"], "hidden size"),
    (["train", "--lr", "-1", "--out", "x.pt"], "learning rate"),
    (["generate", "--checkpoint", "missing.pt"], "no checkpoint"),
])
def test_errors_are_messages_not_tracebacks(args, msg, capsys, tmp_path, monkeypatch, time_machine_file):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert msg in capsys.readouterr().err


def test_bad_text_file_is_a_message(tmp_path, capsys):
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["train", "--text-file", str(p), "--out", str(tmp_path / "o.pt")]) == 2
    assert "binary" in capsys.readouterr().err


def test_parser_requires_a_command():
    with pytest.raises(SystemExit):
        build_parser().parse_args([])
