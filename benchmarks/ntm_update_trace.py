"""Trace every optimizer update of one ``ntm_experiments.py train`` run.

A diagnostic for the copy runs that learn and then collapse (seed 9 in
``results/ntm_experiments_copy_stability_full.txt``). It runs ``ntm_experiments.py train`` with
the arguments given after ``--`` and records, for each update: the training sequence's loss, the
global norm of the gradient handed to the optimizer (after clipping), the norm of the update
applied to the parameters, the largest single-entry step, and the smallest root of RMSprop's
squared-gradient average. It prints those around the first training loss above ``--spike``
after the validation error first reached ``--learnt`` or less.

Example::

    OPENBLAS_NUM_THREADS=1 python benchmarks/ntm_update_trace.py --window 4000 3970 -- \\
        --task copy --model ntm --seed 9 --float32 --sequences 4250 --eval-every 250

The trace is taken by wrapping the optimizer's ``step`` and ``fit_generated``'s callback from
outside; the training itself is the unchanged script's, so its curve is the recorded one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import ntm_experiments  # noqa: E402

import recurrent_zoo.training as training  # noqa: E402
from recurrent_zoo.training import optimizers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--window",
        type=int,
        nargs=2,
        default=None,
        metavar=("END", "START"),
        help="print the updates START..END-1 (default: around the first spike)",
    )
    parser.add_argument("--spike", type=float, default=1.0, help="a training loss above this")
    parser.add_argument("train_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    train_args = [a for a in args.train_args if a != "--"]

    trace: list[tuple[float, float, float, float]] = []
    losses: list[float] = []
    step = optimizers.Optimizer.step
    fit_generated = training.fit_generated

    def traced_step(self, grads):
        before = {k: p.astype(np.float64) for k, p in self.params.items()}
        g2 = sum(float((np.asarray(g, np.float64) ** 2).sum()) for g in grads.values())
        step(self, grads)
        d2, dmax, root = 0.0, 0.0, np.inf
        for k, p in self.params.items():
            d = p.astype(np.float64) - before[k]
            d2 += float((d * d).sum())
            dmax = max(dmax, float(np.abs(d).max()))
            if "square_avg" in self.state[k]:
                root = min(root, float(np.sqrt(self.state[k]["square_avg"]).min()))
        trace.append((g2**0.5, d2**0.5, dmax, root))

    def traced_fit(*a, callback=None, **kw):
        def cb(i, logs):
            losses.append(float(logs["loss"]))
            return callback(i, logs)

        return fit_generated(*a, callback=cb, **kw)

    optimizers.Optimizer.step = traced_step
    training.fit_generated = traced_fit
    sys.argv = ["ntm_experiments.py", "train", *train_args]
    ntm_experiments.main()

    t, loss = np.array(trace), np.array(losses)
    if args.window:
        end, start = args.window
    else:
        spikes = np.flatnonzero(loss > args.spike)
        late = spikes[spikes > len(loss) // 2]
        first = int(late[0]) if late.size else len(loss) - 20
        start, end = max(0, first - 10), min(len(loss), first + 20)
    print("update  loss  grad-norm(clipped)  update-norm  max-step  min-sqrt(avg g^2)")
    for j in range(start, end):
        print(
            f"{j:6d} {loss[j]:6.3f} {t[j, 0]:10.4g} {t[j, 1]:12.4g} {t[j, 2]:10.4g} {t[j, 3]:10.4g}"
        )
    for lo in range(max(0, start - 750), end, 250):
        hi = min(lo + 250, len(loss))
        print(
            f"updates {lo}-{hi - 1}: median loss {np.median(loss[lo:hi]):.3f}, median grad-norm "
            f"{np.median(t[lo:hi, 0]):.3f}, median update-norm {np.median(t[lo:hi, 1]):.4f}"
        )


if __name__ == "__main__":
    main()
