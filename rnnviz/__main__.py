"""Command line: ``python -m rnnviz train | generate | stats``."""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from . import data
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .generate import STRATEGIES, generate
from .models import KINDS, ConfigError, ModelConfig
from .ngram import top_ngrams
from .train import OPTIMIZERS, PRESETS, SAMPLERS, TrainConfig, Trainer, TrainingDiverged, prepare_data

CORPORA = ("timemachine", "raw", "offline")


def _add_corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", choices=CORPORA, default="timemachine",
                   help="timemachine: d2l's cleaned book (a-z and space); raw: the book with case, punctuation "
                        "and line breaks; offline: Python's bundled documentation (default: %(default)s)")
    p.add_argument("--text-file", type=Path, help="train on your own UTF-8 text file instead of --corpus")
    p.add_argument("--keep-case", action="store_true",
                   help="with --text-file: keep case, punctuation and line breaks instead of cleaning")


def _corpus(args) -> data.Corpus:
    if args.text_file:
        try:
            raw = args.text_file.read_bytes()
        except OSError as e:
            raise data.CorpusError(f"cannot read {args.text_file}: {e.strerror}") from None
        return data.load_corpus("user", raw, clean=not args.keep_case)
    return data.load_corpus(args.corpus)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnnviz",
                                     description="Train, sample and inspect character-level RNN language models.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and write a checkpoint",
                       description="Train a character-level language model and write a checkpoint. "
                                   "A --preset sets every option as d2l does; options given after it override it.")
    t.add_argument("--preset", choices=sorted(PRESETS), help="a d2l run: " + "; ".join(
        f"{k} = {v.name}" for k, v in PRESETS.items()))
    m, d = ModelConfig(), TrainConfig()
    g = t.add_argument_group("model")
    g.add_argument("--kind", choices=KINDS, help=f"architecture (default {m.kind})")
    g.add_argument("--hidden", type=int, dest="hidden_size", help=f"hidden units per layer (default {m.hidden_size})")
    g.add_argument("--layers", type=int, dest="num_layers", help=f"stacked recurrent layers (default {m.num_layers})")
    g.add_argument("--bidirectional", action="store_true", default=None, help="bidirectional layers (not scratch)")
    g.add_argument("--dropout", type=float, help=f"dropout between layers (default {m.dropout})")
    g.add_argument("--embedding", type=int, dest="embedding_dim",
                   help="learned embedding size; 0 = one-hot inputs (default 0)")
    g.add_argument("--nonlinearity", choices=("tanh", "relu"), help="φ for scratch and nn.RNN (default tanh)")
    g = t.add_argument_group("training")
    g.add_argument("--batch-size", type=int, help=f"minibatch size (default {d.batch_size})")
    g.add_argument("--num-steps", type=int, help=f"sequence length / BPTT steps (default {d.num_steps})")
    g.add_argument("--lr", type=float, help=f"learning rate (default {d.lr})")
    g.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default {d.optimizer})")
    g.add_argument("--clip", type=float, help=f"gradient clipping threshold θ, 0 = off (default {d.clip})")
    g.add_argument("--epochs", type=int, help=f"passes over the data (default {d.epochs})")
    g.add_argument("--max-seconds", type=float, help="stop after this much training time (default: no limit)")
    g.add_argument("--sampler", choices=SAMPLERS, help=f"minibatch sampling (default {d.sampler})")
    g.add_argument("--val-frac", type=float, help="hold out this last fraction for validation (default 0)")
    g.add_argument("--max-tokens", type=int, help="use only the first N characters; -1 = all (default -1)")
    g.add_argument("--seed", type=int, help=f"random seed (default {d.seed})")
    g.add_argument("--device", help="auto, cpu or cuda (default auto: CUDA when present)")
    g.add_argument("--eval-every", type=int, help="validation perplexity every N steps too (default: per epoch)")
    _add_corpus_args(t)
    t.add_argument("--out", type=Path, required=True, help="checkpoint file to write")
    t.add_argument("--label", default="", help="a name for the model shown in the app")
    t.add_argument("--keep-best", action="store_true",
                   help="with --val-frac: save the weights of the epoch with the lowest validation perplexity "
                        "(early stopping) instead of the last")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    gen = sub.add_parser("generate", help="generate text from a checkpoint",
                         description="Warm up on a prefix, then generate characters.")
    gen.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file (.pt)")
    gen.add_argument("--prefix", default="time traveller ", help="text to start from (default %(default)r)")
    gen.add_argument("--length", type=int, default=200, help="characters to generate (default %(default)s)")
    gen.add_argument("--strategy", choices=STRATEGIES, default="greedy", help="decoding (default %(default)s)")
    gen.add_argument("--temperature", type=float, default=1.0, help="for sample and top-k (default %(default)s)")
    gen.add_argument("--top-k", type=int, default=5, help="k for top-k (default %(default)s)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")

    s = sub.add_parser("stats", help="corpus statistics", description="Lines, characters, vocabulary and top n-grams.")
    _add_corpus_args(s)
    s.add_argument("--top", type=int, default=10, help="how many n-grams to list (default %(default)s)")
    return parser


def _configs(args) -> tuple[ModelConfig, TrainConfig]:
    if args.preset:
        preset = PRESETS[args.preset]
        mcfg, tcfg = ModelConfig(**preset.model.to_dict()), TrainConfig(**preset.train.to_dict())
    else:
        mcfg, tcfg = ModelConfig(), TrainConfig()
    for name in ("kind", "hidden_size", "num_layers", "bidirectional", "dropout", "embedding_dim", "nonlinearity"):
        if getattr(args, name) is not None:
            setattr(mcfg, name, getattr(args, name))
    for name in tcfg.to_dict():
        if getattr(args, name, None) is not None:
            setattr(tcfg, name, getattr(args, name))
    return mcfg, tcfg


def _fmt_time(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(s)
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _progress(trainer: Trainer, rec, width: int = 24) -> str:
    frac = rec.step / max(1, trainer.total_steps)
    if trainer.cfg.max_seconds:
        frac = max(frac, rec.elapsed_s / trainer.cfg.max_seconds)
    frac = min(frac, 1.0)
    bar = "#" * int(frac * width) + "." * (width - int(frac * width))
    eta = rec.elapsed_s * (1 - frac) / frac if frac > 0 else math.inf
    val = f" val ppl {rec.val_ppl:.2f}" if rec.val_ppl is not None else ""
    return (f"\repoch {rec.epoch}/{trainer.cfg.epochs} [{bar}] loss {rec.loss:.3f} ppl {rec.ppl:.2f}{val} "
            f"| {rec.tokens_per_s:,.0f} tok/s | {_fmt_time(rec.elapsed_s)} ETA {_fmt_time(eta)} ")


def cmd_train(args) -> int:
    mcfg, tcfg = _configs(args)
    corpus = _corpus(args)
    if corpus.note:
        print(corpus.note, file=sys.stderr)
    train_ids, val_ids, vocab = prepare_data(corpus, tcfg)
    mcfg.vocab_size = len(vocab)
    trainer = Trainer(mcfg, tcfg, train_ids, val_ids)
    print(f"{corpus.name}: {len(train_ids):,} training / {len(val_ids):,} validation characters, "
          f"vocabulary {len(vocab)}, {mcfg.kind} with {sum(p.numel() for p in trainer.model.parameters()):,} "
          f"parameters on {trainer.device}", file=sys.stderr)
    last_print = 0.0
    best = (math.inf, 0, None)  # (validation perplexity, epoch, weights)
    diverged = ""
    try:
        for rec in trainer.run():
            if args.keep_best and rec.epoch_end and rec.val_ppl is not None and rec.val_ppl < best[0]:
                weights = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
                best = (rec.val_ppl, rec.epoch, weights)
            now = time.monotonic()
            if not args.quiet and (now - last_print > 0.5 or trainer.done):
                print(_progress(trainer, rec), end="", file=sys.stderr, flush=True)
                last_print = now
            if rec.epoch_end and not args.quiet and (rec.epoch % 50 == 0 or trainer.done):
                print(file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted: saving the model as it is", file=sys.stderr)
    except TrainingDiverged as e:
        diverged = str(e)
        print(f"\n{e}", file=sys.stderr)
    hist = trainer.history
    if best[2] is not None:
        trainer.model.load_state_dict(best[2])
        print(f"\nkeeping the weights of epoch {best[1]} (validation perplexity {best[0]:.3f})", file=sys.stderr)
    epoch_ppls = [r.epoch_ppl for r in hist if r.epoch_ppl is not None and (not best[1] or r.epoch <= best[1])]
    metrics = {
        "train_ppl": epoch_ppls[-1] if epoch_ppls else (hist[-1].ppl if hist else math.nan),
        "val_ppl": trainer.validation_perplexity() if len(val_ids) > 1 else None,
        "train_seconds": trainer.elapsed,
        "tokens_per_s": hist[-1].tokens_per_s if hist else 0.0,
        "steps": trainer.step_count,
        "epochs": trainer.epoch,
        "device": str(trainer.device),
        "diverged": diverged,
        "best_epoch": best[1] or None,
    }
    corpus_info = {"name": corpus.name, "kind": corpus.kind, "n_tokens": len(train_ids) + len(val_ids),
                   "newlines": corpus.newlines, "label": args.label}
    save_checkpoint(args.out, trainer.model, vocab, mcfg, tcfg, hist, corpus_info, metrics)
    val = f", validation perplexity {metrics['val_ppl']:.3f}" if metrics["val_ppl"] else ""
    print(f"\ntraining perplexity {metrics['train_ppl']:.3f}{val}, {metrics['tokens_per_s']:,.0f} tokens/s, "
          f"{metrics['train_seconds']:.1f} s on {trainer.device}; wrote {args.out}", file=sys.stderr)
    return 1 if diverged else 0


def cmd_generate(args) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    out = generate(ckpt.model, ckpt.vocab, args.prefix, args.length, args.strategy, args.temperature,
                   args.top_k, args.seed)
    if out.unknown:
        chars = ", ".join(repr(c) for _, c in out.unknown[:20])
        print(f"note: {len(out.unknown)} prefix character(s) are not in the model's vocabulary and were fed "
              f"as <unk>: {chars}", file=sys.stderr)
    print(out.text)
    return 0


def cmd_stats(args) -> int:
    corpus = _corpus(args)
    if corpus.note:
        print(corpus.note, file=sys.stderr)
    chars = corpus.char_tokens()
    words = [w for line in data.tokenize(corpus.lines, "word") for w in line]
    print(f"corpus: {corpus.name}")
    print(f"lines: {len(corpus.lines):,}")
    print(f"characters: {len(chars):,} (vocabulary {len(data.Vocab(chars))} with <unk>)")
    print(f"words: {len(words):,} (vocabulary {len(data.Vocab(words))} with <unk>)")
    for n, name in ((1, "unigrams"), (2, "bigrams"), (3, "trigrams")):
        print(f"\ntop {args.top} word {name}:")
        for gram, count in top_ngrams(words, n, args.top):
            print(f"  {' '.join(gram):<30} {count:>6,}")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"train": cmd_train, "generate": cmd_generate, "stats": cmd_stats}[args.command](args)
    except BrokenPipeError:  # `| head` closed the pipe: not an error
        return 0
    except (data.CorpusError, ConfigError, CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
