"""Stability of the DNC: no NaN or inf in 10 training runs, and a 10 000-step float32 sequence.

The issue's checks (Graves et al. 2016 give no numbers here; ``ixaxaar/pytorch-dnc`` warns that
"nans in the gradients are common"): ten training runs (seeds 0-9) of a DNC on the copy task,
every loss and every gradient finite; then one forward and backward pass of 10 000 steps in
float32 (LSTM 64, memory 16 x 16, 4 read heads, the issue's configuration; batch 2, random
binary inputs), every output, state and gradient finite, usage in [0, 1], links non-negative
with columns summing to at most 1.

Usage::

    python benchmarks/dnc_stability.py [--runs 10] [--batches 200] [--steps 10000]

Recorded output: ``benchmarks/results/dnc_stability.txt``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from recurrent_zoo.dnc import DNC
from recurrent_zoo.ntm import train_copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10000)
    args = parser.parse_args()
    print(f"load average at start {tuple(round(x, 2) for x in os.getloadavg())}")
    print(
        f"training runs: DNC(9, 8, controller_size=32, memory_slots=16, word_size=8, "
        f"read_heads=1), copy lengths 1-5, {args.batches} batches of 16, Adam 1e-2, clip norm 10"
    )
    for seed in range(args.runs):
        model = DNC(9, 8, controller_size=32, memory_slots=16, word_size=8, read_heads=1, seed=seed)
        t0 = time.process_time()
        # fit_generated stops with a clear error if a loss or a gradient is not finite
        history = train_copy(model, lengths=(1, 5), batches=args.batches, lr_drop=None, seed=seed)
        losses = np.asarray(history["loss"])
        finite = bool(np.isfinite(losses).all()) and all(
            bool(np.isfinite(p).all()) for p in model.params.values()
        )
        print(
            f"  seed {seed}: {len(losses)} batches, all losses and parameters finite: {finite}, "
            f"loss first 10 {losses[:10].mean():.4f} -> last 10 {losses[-10:].mean():.4f} "
            f"({time.process_time() - t0:.1f} s CPU)",
            flush=True,
        )

    model = DNC(9, 8, seed=0, dtype=np.float32)  # LSTM 64, 16 x 16, 4 read heads
    rng = np.random.default_rng(0)
    X = (rng.random((args.steps, 2, 9)) < 0.5).astype(np.float32)
    t0 = time.process_time()
    Y, state = model.forward(X)
    dX = model.backward(rng.standard_normal(Y.shape).astype(np.float32))
    usage, link = state[5], state[7]
    checks = {
        "outputs finite": bool(np.isfinite(Y).all()),
        "final state finite": all(bool(np.isfinite(a).all()) for a in state),
        "input and parameter gradients finite": bool(np.isfinite(dX).all())
        and all(bool(np.isfinite(g).all()) for g in model.grads.values()),
        "usage in [0, 1]": bool(((usage >= 0) & (usage <= 1)).all()),
        "links >= 0, columns sum <= 1": bool((link >= 0).all() and link.sum(1).max() <= 1 + 1e-5),
    }
    print(
        f"{args.steps}-step float32 sequence, batch 2, DNC(9, 8) defaults "
        f"({time.process_time() - t0:.1f} s CPU; max |y| {np.abs(Y).max():.3g}, "
        f"max |dx| {np.abs(dX).max():.3g}):"
    )
    for name, ok in checks.items():
        print(f"  {name}: {ok}")
    print(f"load average at end {tuple(round(x, 2) for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
