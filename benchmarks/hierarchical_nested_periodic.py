"""The nested-periodic task: El Hihi & Bengio's hierarchical net against Elman nets.

The task (:func:`recurrent_zoo.tasks.nested_periodic`): 128-step sequences of a tune with a
fast period of 4 steps whose key (one of 4) is cued only at the first step of each 64-step slow
period; the target at every step is the current note, so it needs the key seen up to 63 steps
earlier. Chance is 1/4.

For each seed, with the same budget (256 training sequences, Adam lr 0.01, gradient norm
clipped at 1, batches of 32, ``epochs`` epochs), each net with a linear readout:

* ``HierarchicalRNN(5, (32, 32), intervals=(1, 8))``: 64 units in two levels, the top one
  updating every 8 steps;
* an Elman net of equal size (64 units; more parameters, as its recurrence is full);
* an Elman net with at most as many parameters as the hierarchical net (54 units).

Reported: held-out accuracy on 256 new sequences, per seed and the mean. A third argument
changes the slow period (the sequences are two slow periods long).

Usage (about 15 minutes on one core)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/hierarchical_nested_periodic.py \\
        [epochs] [n_seeds] [slow_period]
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np

from recurrent_zoo.elman import Elman
from recurrent_zoo.hierarchical import HierarchicalRNN, train_nested_periodic


def header() -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# recorded {now} on {os.cpu_count()} CPUs ({platform.machine()}, Python "
        f"{platform.python_version()}), load average before the run: {load}"
    )
    print("# command: " + " ".join(["python"] + sys.argv))
    print()


def main(epochs: int = 40, n_seeds: int = 5, slow_period: int = 64) -> None:
    header()
    task = {"length": 2 * slow_period, "slow_period": slow_period}
    hier_params = HierarchicalRNN(5, (32, 32), intervals=(1, 8)).n_params + 64 * 4 + 4
    small = max(h for h in range(1, 65) if Elman(5, h).n_params + h * 4 + 4 <= hier_params)
    makers = {
        "hierarchical (32+32, every 1 and 8 steps)": lambda s: HierarchicalRNN(
            5, (32, 32), intervals=(1, 8), seed=s
        ),
        "Elman, 64 units (equal size)": lambda s: Elman(5, 64, seed=s),
        f"Elman, {small} units (<= parameters)": lambda s: Elman(5, small, seed=s),
    }
    print(f"slow period {slow_period}, {2 * slow_period} steps; {epochs} epochs; parameters:")
    for name, make in makers.items():
        model = make(0)
        print(f"  {name:44s} {model.n_params + model.output_size * 4 + 4}")
    print()
    acc: dict[str, list[float]] = {name: [] for name in makers}
    for seed in range(n_seeds):
        cells = []
        for name, make in makers.items():
            start = time.perf_counter()
            _, a, _ = train_nested_periodic(make(seed), epochs=epochs, seed=seed, task=task)
            acc[name].append(a)
            cells.append(f"{a:.3f} ({time.perf_counter() - start:.0f} s)")
        print(f"seed {seed}: " + "   ".join(cells), flush=True)
    print()
    for name, values in acc.items():
        print(f"{name:44s} mean accuracy {np.mean(values):.3f}  (min {min(values):.3f})")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
