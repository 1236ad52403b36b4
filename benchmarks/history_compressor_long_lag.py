"""Schmidhuber's (1992) 22-symbol experiment: 17 runs of the history compressor.

The task (:func:`recurrent_zoo.tasks.long_lag_symbols`): a continuous stream of blocks
``a b1 .. b20`` and ``x b1 .. b20`` in random order; after each block the target unit must say
whether it began with ``a``. Schmidhuber (1992, Sect. 5) reports that 13 of 17 runs of the
two-net chunking system needed fewer than 5,000 training sequences (blocks), the rest fewer than
35,000, while a conventional recurrent net made no progress in 1,000,000.

Every run trains :func:`recurrent_zoo.history_compressor.train_long_lag` (automatiser and
chunker of 32 units, threshold 0.9, collapse weight 1, Adam lr 0.01, 4 streams x 2 blocks per
update) for 5,000 blocks, evaluating every 250 blocks on 4 x 50 held-out blocks that continue
the training streams. A run "solves" the task when the cascade's label accuracy reaches 0.99.
Reported per run: the blocks needed, the final accuracy of the system, of the chunker and of
the automatiser alone (after collapse), and the fraction of steps passed to the chunker. Then
the baselines on the same budget: a single 64-unit recurrent net (the automatiser without a
chunker) and the two-net system without the collapse term.

Usage (about 10 minutes on one core)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/history_compressor_long_lag.py [n_runs] [n_baseline]
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np

from recurrent_zoo.history_compressor import train_long_lag


def header() -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# recorded {now} on {os.cpu_count()} CPUs ({platform.machine()}, Python "
        f"{platform.python_version()}), load average before the run: {load}"
    )
    print("# command: " + " ".join(["python"] + sys.argv))
    print()


def describe(label: str, out: dict, seconds: float) -> dict:
    final = out["final"]
    levels = len(out["compressor"].levels)
    solved = out["solved_at"]
    row = {
        "solved_at": solved,
        "system": final["system"],
        "automatiser": final["level0"],
        "chunker": final.get("level1", float("nan")),
        "passed_up": final["passed_up"][0] if levels > 1 else float("nan"),
        "train_passed_up": [h["train_passed_up"][0] for h in out["history"]] if levels > 1 else [],
    }
    print(
        f"{label:10s} solved at {str(solved):>5s}   system {row['system']:.3f}   "
        f"chunker {row['chunker']:.3f}   automatiser alone {row['automatiser']:.3f}   "
        f"passed up {row['passed_up']:.3f}   ({seconds:.0f} s)",
        flush=True,
    )
    return row


def main(n_runs: int = 17, n_baseline: int = 5) -> None:
    header()
    print("history compressor: automatiser 32 + chunker 32 units, 5,000 training blocks per run")
    rows = []
    for seed in range(n_runs):
        start = time.perf_counter()
        out = train_long_lag(seed=seed)
        rows.append(describe(f"seed {seed}", out, time.perf_counter() - start))
    solved = [r["solved_at"] for r in rows if r["solved_at"] is not None]
    print()
    print(
        f"solved (system label accuracy >= 0.99) within 5,000 blocks: {len(solved)} of {n_runs} "
        "(Schmidhuber 1992: 13 of 17)"
    )
    if solved:
        print(
            f"blocks needed: median {np.median(solved):.0f}, max {max(solved)}; "
            f"all values {sorted(solved)}"
        )
    collapsed = sum(r["automatiser"] >= 0.95 for r in rows)
    print(
        f"automatiser alone >= 0.95 label accuracy after 5,000 blocks (collapsed): "
        f"{collapsed} of {n_runs}; mean {np.mean([r['automatiser'] for r in rows]):.3f}"
    )
    passed = np.array([r["passed_up"] for r in rows])
    print(
        f"fraction of steps passed to the chunker on held-out blocks at the end: "
        f"mean {passed.mean():.4f} (1/21 = {1 / 21:.4f}: one surprise per block)"
    )
    first = np.array([r["train_passed_up"][0] for r in rows])
    print(
        f"... and during the first 250 training blocks: mean {first.mean():.3f} "
        "(the untrained automatiser passes nearly everything up)"
    )
    print()
    print("baseline: a single 64-unit recurrent net, same data, losses and budget")
    singles = []
    for seed in range(n_baseline):
        start = time.perf_counter()
        out = train_long_lag(hidden_sizes=(64,), seed=seed)
        singles.append(describe(f"seed {seed}", out, time.perf_counter() - start))
    accs = ", ".join(f"{r['system']:.3f}" for r in singles)
    print(f"single net label accuracy after 5,000 blocks: {accs} (chance 0.5)")
    print()
    print("ablation: the two-net system without the collapse term (collapse_weight=0)")
    ablation = []
    for seed in range(n_baseline):
        start = time.perf_counter()
        out = train_long_lag(collapse_weight=0.0, seed=seed)
        ablation.append(describe(f"seed {seed}", out, time.perf_counter() - start))
    accs = ", ".join(f"{r['automatiser']:.3f}" for r in ablation)
    print(f"without collapse, automatiser alone: {accs}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
