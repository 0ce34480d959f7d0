"""How much tracing costs next to a plain forward pass: the nn.LSTM call, rnnviz.inspect.trace, their ratio.

    python benchmarks/trace_speed.py [--chars 2000] [--repeats 21] [--threads N] [--checkpoint PATH]

Uses checkpoints/lstm.pt when it exists, else a fresh hidden-256 LSTM over a 28-token vocabulary. The text
is random characters from the vocabulary (speed does not depend on what they spell). Prints medians, the
three timed in turn in each round so that other processes' load falls on all alike.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere, without installing rnnviz

from rnnviz.checkpoint import load_checkpoint
from rnnviz.data import Vocab
from rnnviz.inspect import trace
from rnnviz.models import ModelConfig, build_model

DEFAULT_CKPT = ROOT / "checkpoints" / "lstm.pt"


def interleaved_medians(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, timed in turn within every round so that load from other processes
    on a shared machine falls on all of them alike."""
    for fn in fns.values():
        fn()  # warm-up: first calls allocate and pick kernels
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_CKPT)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.checkpoint.is_file():
        ckpt = load_checkpoint(args.checkpoint)
        model, vocab, source = ckpt.model, ckpt.vocab, str(args.checkpoint)
    else:
        vocab = Vocab(list("abcdefghijklmnopqrstuvwxyz "))  # 27 + <unk> = 28 tokens
        model = build_model(ModelConfig(kind="lstm", vocab_size=len(vocab), hidden_size=256)).eval()
        source = "fresh LSTM (no checkpoint found)"
    cfg = model.config
    chars = [t for t in vocab.idx_to_token[1:] if len(t) == 1]
    gen = torch.Generator().manual_seed(0)
    text = "".join(chars[i] for i in torch.randint(len(chars), (args.chars,), generator=gen).tolist())
    X = torch.tensor([vocab[list(text)]])  # (1, T)

    with torch.no_grad():
        x = model.embed(X)  # (T, 1, in), built once: the baseline is the recurrent module alone
        t = interleaved_medians({"rnn": lambda: model.rnn(x), "model": lambda: model(X),
                                 "trace": lambda: trace(model, vocab, text)}, args.repeats)
    t_rnn, t_model, t_trace = t["rnn"], t["model"], t["trace"]

    print(f"model: {source} ({cfg.kind}, hidden {cfg.hidden_size}, {cfg.num_layers} layer(s), vocab {len(vocab)})")
    print(f"text: {args.chars} characters, batch 1, {torch.get_num_threads()} torch thread(s), "
          f"median of {args.repeats}")
    module = f"nn.{type(model.rnn).__name__}"
    for what, seconds in [(f"{module} forward", t_rnn), ("whole model forward", t_model), ("trace()", t_trace)]:
        print(f"{what:<20} {seconds * 1e3:8.1f} ms")
    print(f"ratio trace / {module}: {t_trace / t_rnn:.2f}x")


if __name__ == "__main__":
    main()
