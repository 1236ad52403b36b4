"""How deep does a RAAM hold? Exact reconstruction of every binary tree of a small grammar.

Pollack (1990) trained his RAAMs on a few dozen trees and showed that every one of them came
back exactly from its code. Here the grammar is every binary tree over two terminals up to a
height (4 trees of height 1, 36 up to height 2, 1444 up to height 3), the terminals one-hot in
``K`` units, a RAAM with ``K``-unit codes trained full-batch with Adam on the exact gradient of
its reconstruction loss (:meth:`recurrent_zoo.raam.RAAM.reconstruction_loss`) until every
training tree is reconstructed or the step budget runs out. For each training height the table
gives the fraction reconstructed exactly at every height, and at the next height, never seen.

Usage::

    python benchmarks/raam_depth.py                    # K = 16 and 32, heights 1 to 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code-sizes", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--heights", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop a configuration's training after this long (checked every 250 steps)",
    )
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from recurrent_zoo.raam import RAAM, exact_reconstructions, train_raam
    from recurrent_zoo.tasks.trees import raam_grammar

    print(
        f"# recorded {time.strftime('%Y-%m-%d %H:%M %Z')}, load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print("# command: python benchmarks/raam_depth.py " + " ".join(sys.argv[1:]))
    print(
        f"\nbinary trees over A, B; Adam lr {args.lr}, full batch, at most {args.steps} steps; "
        f"seed {args.seed}; terminal test tolerance 0.3"
        + ("" if args.max_seconds is None else f"; at most {args.max_seconds:.0f} s each")
        + "\n"
    )
    print(f"{'K':>4} {'trained on':>12} {'trees':>6} {'steps':>6} {'s':>6}   exact by height")
    for K in args.code_sizes:
        for top in args.heights:
            data = raam_grammar(("A", "B"), max_depth=top, code_size=K)
            model = RAAM(K, seed=args.seed)
            start = time.time()

            def check(data=data, model=model, start=start):
                if args.max_seconds is not None and time.time() - start > args.max_seconds:
                    return True
                return bool(exact_reconstructions(model, data).all())

            losses = train_raam(
                model, data.forest(), steps=args.steps, lr=args.lr, check=check, check_every=250
            )
            seconds = time.time() - start
            ok = exact_reconstructions(model, data)
            cells = [
                f"{h}: {100 * ok[data.info['depth'] == h].mean():5.1f}%" for h in range(1, top + 1)
            ]
            if top < 4:
                nxt = raam_grammar(("A", "B"), max_depth=top + 1, code_size=K)
                nxt = nxt.subset(np.flatnonzero(nxt.info["depth"] == top + 1))
                cells.append(
                    f"{top + 1} (unseen): {100 * exact_reconstructions(model, nxt).mean():5.1f}%"
                )
            print(
                f"{K:>4} {'height <= ' + str(top):>12} {len(data):>6} {len(losses):>6} "
                f"{seconds:>6.0f}   " + ", ".join(cells),
                flush=True,
            )
    print(f"\nload average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
