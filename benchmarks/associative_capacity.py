"""Capacity curves of the Hopfield learning rules, and of the dense memories, at larger N.

Prints recall quality against the load P/N (clean and 10%-noise probes) next to the theoretical
marks, and saves the plot of :func:`recurrent_zoo.hopfield.plot_capacity_curves` when
matplotlib is installed. Takes about a minute on one core::

    OPENBLAS_NUM_THREADS=1 python benchmarks/associative_capacity.py [N] [out.png]
"""

from __future__ import annotations

import sys
import time

from recurrent_zoo.dense_associative_memory import DenseAssociativeMemory
from recurrent_zoo.hopfield import Hopfield
from recurrent_zoo.tasks.patterns import capacity_curve, theoretical_capacities


def main(n_units: int = 200, out: str | None = "capacity_curves.png") -> None:
    marks = theoretical_capacities(n_units)
    print(
        f"N = {n_units}; theoretical marks: " + ", ".join(f"{k} {v:.3f}" for k, v in marks.items())
    )
    loads = [0.05, 0.1, 0.138, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, (n_units - 1) / n_units]
    for noise in (0.0, 0.1):
        print(f"\nprobes with {noise:.0%} flipped bits; fraction recalled exactly / mean overlap")
        print("load           " + " ".join(f"{a:6.3f}" for a in loads))
        for rule in ("hebbian", "storkey", "pseudo_inverse"):
            start = time.perf_counter()
            c = capacity_curve(
                lambda n, rule=rule: Hopfield(n, rule=rule),
                n_units,
                loads,
                noise=noise,
                n_trials=3,
                seed=0,
            )
            sec = time.perf_counter() - start
            print(f"{rule:14s} " + " ".join(f"{v:6.2f}" for v in c["exact"]) + f"   ({sec:.1f} s)")
            print(" " * 15 + " ".join(f"{v:6.2f}" for v in c["overlap"]))
    n_small = 50
    dense_loads = [0.5, 1.0, 2.0, 4.0, 8.0]
    print(f"\ndense memories, N = {n_small}, 20% flipped bits; fraction recalled exactly")
    print("load K/N       " + " ".join(f"{a:6.2f}" for a in dense_loads))
    for label, kw in [
        ("n = 2", {"degree": 2}),
        ("n = 3", {"degree": 3}),
        ("n = 4", {"degree": 4}),
        ("exp", {"interaction": "exponential"}),
    ]:
        c = capacity_curve(
            lambda n, kw=kw: DenseAssociativeMemory(n, **kw),
            n_small,
            dense_loads,
            noise=0.2,
            n_trials=1,
            seed=0,
        )
        print(f"{label:14s} " + " ".join(f"{v:6.2f}" for v in c["exact"]))
    if out:
        try:
            import matplotlib

            matplotlib.use("Agg")
            from recurrent_zoo.hopfield import plot_capacity_curves

            ax, _ = plot_capacity_curves(n_units=n_units, n_trials=3, seed=0)
            ax.figure.savefig(out, dpi=100)
            print(f"\nplot saved to {out}")
        except ImportError:
            print("\nmatplotlib not installed: no plot")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 200, args[1] if len(args) > 1 else "capacity_curves.png")
