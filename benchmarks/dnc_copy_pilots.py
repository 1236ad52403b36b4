"""How reliably a small DNC learns to copy on a small budget: seeds 0-4, two budgets.

The setting of ``tests/test_dnc.py`` and the gallery (``examples/memory/plot_dnc_copy.py``): a
DNC with an LSTM controller of 32 units, 16 slots of 8 numbers and one read head, trained by
``recurrent_zoo.ntm.train_copy`` on fresh batches of 16 copy sequences (8 bits) with Adam
(learning rate 0.02, a tenth of it for the last quarter), clipped to norm 10. Scored on 200
held-out sequences of the longest training length and of twice that, in wrong bits per
sequence (outputs thresholded at 0.5). Also reported: whether the four input vectors of a test
sequence went to four different slots (allocation) and the mean forward read mode while the
model answers.

Usage::

    python benchmarks/dnc_copy_pilots.py [--seeds 0 1 2 3 4] [--batches 400 800]
    python benchmarks/dnc_copy_pilots.py --batches 800 --sparse-links 0 2

``--sparse-links`` runs each seed once per value, ``0`` meaning dense links, ``K`` the paper's
sparse links (``DNC(..., sparse_links=K)``) -- the paper's claim that they learn as well.

Recorded output: ``benchmarks/results/dnc_copy_pilots.txt`` (and
``benchmarks/results/dnc_sparse_links_copy.txt`` for dense against sparse).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from recurrent_zoo.dnc import DNC
from recurrent_zoo.ntm import train_copy
from recurrent_zoo.tasks import binary_copy, bit_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--batches", type=int, nargs="+", default=[400, 800])
    parser.add_argument("--max-length", type=int, default=4)
    parser.add_argument("--sparse-links", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    L = args.max_length
    print(f"load average at start {tuple(round(x, 2) for x in os.getloadavg())}")
    for batches, k in [(b, k) for b in args.batches for k in args.sparse_links]:
        links = (
            f", sparse links K={k}" if k else (", dense links" if args.sparse_links != [0] else "")
        )
        print(f"\n{batches} batches of 16, lengths 1-{L}{links}:")
        head = f"{'seed':>4s} {f'len {L}':>7s} {f'len {2 * L}':>7s}"
        print(f"{head} {'slots':>5s} {'fwd':>5s} {'CPU s':>6s}")
        errors = []
        for seed in args.seeds:
            model = DNC(9, 8, controller_size=32, memory_slots=16, word_size=8, read_heads=1,
                        sparse_links=k or None, seed=seed)  # fmt: skip
            t0 = time.process_time()
            train_copy(model, lengths=(1, L), batch_size=16, batches=batches, lr=2e-2,
                       lr_drop=3 * batches // 4, seed=seed)  # fmt: skip
            cpu = time.process_time() - t0
            row = []
            for n in (L, 2 * L):
                test = binary_copy(200, n, seed=1000 + n)
                Y, _ = model.forward(test.inputs)
                row.append(float(bit_errors(Y, test).mean()))
            one = binary_copy(1, 4, seed=7)
            model.forward(one.inputs)
            cache = model._cache
            slots = len(set(cache[9][1:5, 0].argmax(-1).tolist()))
            fwd = float(np.mean([c[0]["read_modes"][0, 0, 2] for c in cache[15][6:]]))
            errors.append(row[0])
            print(f"{seed:>4d} {row[0]:7.2f} {row[1]:7.2f} {slots:>5d} {fwd:5.2f} {cpu:6.1f}",
                  flush=True)  # fmt: skip
        print(f"median wrong bits at length {L}: {np.median(errors):.2f}")
    print(f"\nload average at end {tuple(round(x, 2) for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
