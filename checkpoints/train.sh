#!/usr/bin/env bash
# How the shipped checkpoints were made: every one by `python -m rnnviz train` on the full book with the
# last 10% held out for validation. Run from the repository root with RNNVIZ_TIMEMACHINE set (or online).
# The gated models overfit this 150k-character book within ~6 epochs of Adam, so they keep the epoch with
# the lowest validation perplexity (--keep-best); the scratch RNN with SGD is still improving at 60.
set -euo pipefail
common=(--val-frac 0.1 --batch-size 32 --num-steps 35 --clip 1 --sampler sequential --seed 0 --device cpu --quiet)
if [ "${1:-}" != "--skip-scratch" ]; then
python -m rnnviz train "${common[@]}" --kind scratch --hidden 512 --optimizer sgd --lr 1 --epochs 60 \
  --label "RNN from scratch, 512 units" --out checkpoints/scratch-rnn.pt
fi
python -m rnnviz train "${common[@]}" --kind gru --hidden 256 --optimizer adam --lr 0.005 --epochs 12 --keep-best \
  --label "GRU, 256 units" --out checkpoints/gru.pt
python -m rnnviz train "${common[@]}" --kind lstm --hidden 256 --optimizer adam --lr 0.005 --epochs 12 --keep-best \
  --label "LSTM, 256 units" --out checkpoints/lstm.pt
python -m rnnviz train "${common[@]}" --kind lstm --hidden 256 --layers 2 --dropout 0.2 --optimizer adam --lr 0.004 \
  --epochs 15 --keep-best --label "2-layer LSTM, 256 units" --out checkpoints/lstm-2layer.pt
python -m rnnviz train "${common[@]}" --corpus raw --kind lstm --hidden 384 --optimizer adam --lr 0.004 --epochs 15 \
  --keep-best --label "LSTM on the raw book (case, punctuation, line breaks), 384 units" --out checkpoints/lstm-raw.pt
# d2l 9.4's lesson (the Bidirectional page): a bidirectional LSTM reaches a perplexity near 1 by reading the answer
# through its backward direction, and cannot write. Four epochs are enough to show it.
python -m rnnviz train "${common[@]}" --kind lstm --hidden 128 --bidirectional --optimizer adam --lr 0.005 --epochs 4 \
  --label "Bidirectional LSTM, 128 units (d2l 9.4: the wrong tool for generation)" --out checkpoints/bilstm.pt
