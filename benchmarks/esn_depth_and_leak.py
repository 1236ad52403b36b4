"""Reservoir design on the generated classification set and on Jaeger's memory task.

Three questions, each answered over several reservoirs (seeds 0, 1, ... ``--seeds``):

1. **Leaky units.** Test accuracy of :class:`recurrent_zoo.esn_classifier.ESNClassifier`
   (500 units, spectral radius 0.9, input scaling 0.5, ridge 1e-4 -- a small penalty, so
   that the reservoirs' differences show: with the classifier's default penalty 1 the leaky
   reservoirs reach 0.99-1.00) on
   :func:`recurrent_zoo.tasks.trajectory_classification` (9 classes, 12 channels, 7-30 steps;
   300 training sequences, seed 1; 370 test sequences, seed 2) with Jaeger's original units
   (leak rate 1) and with leaky units (leak rates 0.5, 0.3, 0.1), for the last-state and the
   mean-state readout.
2. **Depth, classification.** The same with a deep ESN's reservoir (Gallicchio, Micheli &
   Pedrelli 2017) of the same total size: 2 x 250 and 5 x 100 units against 1 x 500, inter-layer
   scaling 0.1, 0.2, 0.5, leak rates 1 and 0.3, last-state readout.
3. **Depth, memory.** Jaeger's short-term memory capacity
   (:func:`recurrent_zoo.deep_esn.depth_memory`: i.i.d. input U(-0.5, 0.5), input scaling 0.1,
   400 delays, 3000 training and 3000 test steps) of 2 x 100 and 4 x 50 units against one
   reservoir of 200, layer by layer, spectral radius 0.9 and 0.99, leak rates 1 and 0.5,
   inter-layer scaling 0.1, 0.5, 1.

Usage::

    python benchmarks/esn_depth_and_leak.py            # 3 seeds, about 10 minutes on 2 cores
    python benchmarks/esn_depth_and_leak.py --seeds 5

The output is also written to ``benchmarks/results/esn_depth_and_leak.txt`` (``--out``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "esn_depth_and_leak.txt"))
    args = parser.parse_args()

    from recurrent_zoo.deep_esn import depth_memory
    from recurrent_zoo.esn_classifier import ESNClassifier
    from recurrent_zoo.tasks import trajectory_classification

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    seeds = range(args.seeds)
    say(f"{time.strftime('%Y-%m-%d %H:%M %Z')}; seeds {list(seeds)}; load {os.getloadavg()}")
    train = trajectory_classification(300, seed=1)
    test = trajectory_classification(370, seed=2)
    X, y = train.sequences(), train.info["labels"]
    Xt, yt = test.sequences(), test.info["labels"]

    def accuracy(**kw: object) -> np.ndarray:
        base = {"spectral_radius": 0.9, "input_scaling": 0.5, "ridge": 1e-4}
        base.update(kw)
        return np.array(
            [ESNClassifier(**base, seed=s).fit(X, y).score(Xt, yt) for s in seeds]  # type: ignore[arg-type]
        )

    def row(label: str, accs: np.ndarray) -> None:
        say(f"{label:<44} {accs.mean():.3f}  [{', '.join(f'{a:.3f}' for a in accs)}]")

    say()
    say("1. leaky units: test accuracy, 500 units (mean over seeds, then each seed)")
    for pooling in ("last", "mean"):
        for leak in (1.0, 0.5, 0.3, 0.1):
            row(
                f"pooling={pooling}, leak_rate={leak}",
                accuracy(units=500, leak_rate=leak, pooling=pooling),
            )

    say()
    say("2. depth at equal total size (500 units), last-state readout: test accuracy")
    for leak in (1.0, 0.3):
        single = accuracy(units=500, leak_rate=leak)
        row(f"leak_rate={leak}: 1 x 500", single)
        for (L, N), inter in itertools.product([(2, 250), (5, 100)], [0.1, 0.2, 0.5]):
            deep = accuracy(units=N, layers=L, inter_scaling=inter, leak_rate=leak)
            row(f"leak_rate={leak}: {L} x {N}, inter_scaling={inter}", deep)
            say(f"{'':<44} gain over 1 x 500: {deep.mean() - single.mean():+.3f}")

    say()
    say("3. depth at equal total size (200 units): memory capacity (K = 400 delays)")
    say(
        f"{'rho  leak inter':<16} {'1 x 200':>8} {'2 x 100 [per layer]':>30} "
        f"{'4 x 50 [per layer]':>40}"
    )
    for rho, leak, inter in itertools.product([0.9, 0.99], [1.0, 0.5], [0.1, 0.5, 1.0]):
        cells, shallow = [], []
        for L, N in ((2, 100), (4, 50)):
            runs = [
                depth_memory(N, L, spectral_radius=rho, leak_rate=leak, inter_scaling=inter, seed=s)
                for s in seeds
            ]
            shallow += [r["shallow"] for r in runs]
            whole = np.mean([r["cumulative"][-1] for r in runs])
            per_layer = np.mean([r["per_layer"] for r in runs], axis=0)
            cells.append(f"{whole:6.1f} [{', '.join(f'{v:.1f}' for v in per_layer)}]")
        say(f"{rho:<4} {leak:<4} {inter:<5} {np.mean(shallow):>8.1f} {cells[0]:>30} {cells[1]:>40}")
    say()
    say(f"done {time.strftime('%H:%M')}; load {os.getloadavg()}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write("$ python benchmarks/esn_depth_and_leak.py " + " ".join(sys.argv[1:]))
            f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
