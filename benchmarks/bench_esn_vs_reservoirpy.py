"""recurrent_zoo's ESN against ReservoirPy 0.4.2 on Mackey-Glass one-step prediction.

The same task for both: the Mackey-Glass series (tau = 17, ``recurrent_zoo.tasks.reservoir``,
RK4 with step 0.1, sampled every time unit) rescaled to [-1, 1]; input ``x_t``, target
``x_{t+1}``; 10,000 training steps (the first 100 a warmup left out of the regression) and the
next 2,000 as test, predicted by continuing from the state the training run ended in.

Matching hyperparameters, ReservoirPy's own Mackey-Glass tutorial values on its defaults:

===========================  ====================================  =============================
                             ReservoirPy 0.4.2                      recurrent_zoo
===========================  ====================================  =============================
units                        ``Reservoir(units)``                   ``ESN(units)``
leak rate 0.3                ``lr=0.3``                             ``leak_rate=0.3``
spectral radius 1.25         ``sr=1.25``                            ``spectral_radius=1.25``
W: 10 % non-zeros, N(0, 1)   ``rc_connectivity=0.1``, ``W=normal``  ``connectivity=0.1``,
                                                                    ``distribution="normal"``
W_in: 10 % non-zeros, +-1    ``input_connectivity=0.1``,            ``input_connectivity=0.1``,
                             ``Win=bernoulli``, scaling 1           ``input_distribution=
                                                                    "bernoulli"``, scaling 1
no reservoir bias            ``bias=0.0`` (default)                 ``bias_scaling=0``
ridge 1e-7, free intercept   ``Ridge(ridge=1e-7)`` (centres X, Y)   ``ridge=1e-7`` (intercept
                                                                    unpenalised: the same
                                                                    estimator)
===========================  ====================================  =============================

Each (library, units) pair runs in its own fresh process (``python thisfile.py --worker ...``)
so that the libraries never share threads or caches; the time is construction + fit + the
2,000-step prediction (both draw their reservoir inside ``fit``), the best of ``--repeats``
runs in that process, each repeat drawing its reservoir from another seed (seed + repeat). The
NRMSE printed is the median over the repeats, computed by the same function for both (RMSE over
the test target's standard deviation): the libraries' generators differ, so their reservoirs are
different draws from the same distribution, and with 10 % input connectivity the NRMSE varies
several-fold from draw to draw -- compare medians over several repeats, not single runs.

Usage::

    python benchmarks/bench_esn_vs_reservoirpy.py                 # 100, 500, 1000, 2000 units
    python benchmarks/bench_esn_vs_reservoirpy.py --units 1000 --repeats 3

Timings on a shared machine are provisional; the script prints the BLAS set-up (threadpoolctl,
if installed) and the load average so that a run can be judged.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

TRAIN, TEST, WARMUP = 10_000, 2_000, 100
HYPER = {"lr": 0.3, "sr": 1.25, "ridge": 1e-7, "connectivity": 0.1, "input_connectivity": 0.1}


def _data() -> tuple:
    import numpy as np

    from recurrent_zoo.tasks.reservoir import mackey_glass_series

    s = mackey_glass_series(TRAIN + TEST + 1)
    s = 2.0 * (s - s.min()) / (s.max() - s.min()) - 1.0
    X, Y = s[:-1, None], s[1:, None]
    return X[:TRAIN], Y[:TRAIN], X[TRAIN:], Y[TRAIN:], np


def _ours(units: int, seed: int, data: tuple) -> tuple[float, object]:
    from recurrent_zoo.esn import ESN

    Xtr, Ytr, Xte, _, _ = data
    t0 = time.perf_counter()
    esn = ESN(
        units=units,
        spectral_radius=HYPER["sr"],
        leak_rate=HYPER["lr"],
        input_scaling=1.0,
        connectivity=HYPER["connectivity"],
        input_connectivity=HYPER["input_connectivity"],
        distribution="normal",
        input_distribution="bernoulli",
        bias_scaling=0.0,
        ridge=HYPER["ridge"],
        seed=seed,
    )
    esn.fit(Xtr, Ytr, warmup=WARMUP)
    pred = esn.predict(Xte, state=esn.last_state_)
    return time.perf_counter() - t0, pred


def _reservoirpy(units: int, seed: int, data: tuple) -> tuple[float, object]:
    from reservoirpy.nodes import Reservoir, Ridge

    Xtr, Ytr, Xte, _, _ = data
    t0 = time.perf_counter()
    reservoir = Reservoir(
        units,
        lr=HYPER["lr"],
        sr=HYPER["sr"],
        input_scaling=1.0,
        rc_connectivity=HYPER["connectivity"],
        input_connectivity=HYPER["input_connectivity"],
        seed=seed,
    )
    model = reservoir >> Ridge(ridge=HYPER["ridge"])
    model.fit(Xtr, Ytr, warmup=WARMUP)
    pred = model.run(Xte)
    return time.perf_counter() - t0, pred


def worker(lib: str, units: int, seed: int, repeats: int) -> dict:
    import numpy as np

    from recurrent_zoo.tasks.reservoir import nrmse

    data = _data()
    run = _ours if lib == "recurrent_zoo" else _reservoirpy
    times, errors = [], []
    for r in range(repeats):  # repeat r draws its reservoir from seed + r
        seconds, pred = run(units, seed + r, data)
        times.append(seconds)
        errors.append(nrmse(data[3], pred))
    best, err = min(times), float(np.median(errors))
    return {"lib": lib, "units": units, "seconds": best, "nrmse": err}


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info

        return "; ".join(
            f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
            f"threads={i.get('num_threads')}"
            for i in threadpool_info()
        )
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl to see the BLAS kernels)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "UNITS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lib, units = args.worker
        print(json.dumps(worker(lib, int(units), args.seed, args.repeats)))
        return

    import numpy
    import scipy

    try:
        import reservoirpy

        rpy_version = reservoirpy.__version__
    except ImportError:
        sys.exit("ReservoirPy is not installed: pip install reservoirpy==0.4.2 (the bench extra)")
    print(
        f"python {sys.version.split()[0]}, numpy {numpy.__version__}, scipy {scipy.__version__}"
        f", reservoirpy {rpy_version}"
    )
    print(f"BLAS: {blas_info()}")
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MKL"))}
    print(f"environment: {env or 'no BLAS variables set'}; load average {os.getloadavg()}")
    print(
        f"task: Mackey-Glass one-step, train {TRAIN} (warmup {WARMUP}), test {TEST}; "
        f"hyperparameters {HYPER}; best of {args.repeats}"
    )
    print()
    header = (
        f"{'units':>6} {'ours s':>9} {'rpy s':>9} {'speed-up':>9} {'ours NRMSE':>11} "
        f"{'rpy NRMSE':>11}"
    )
    print(header)
    print("-" * len(header))
    here = os.path.abspath(__file__)
    for units in args.units:
        rows = {}
        for lib in ("recurrent_zoo", "reservoirpy"):
            cmd = [
                sys.executable,
                here,
                "--worker",
                lib,
                str(units),
                "--seed",
                str(args.seed),
                "--repeats",
                str(args.repeats),
            ]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            rows[lib] = json.loads(out.strip().splitlines()[-1])
        ours, rpy = rows["recurrent_zoo"], rows["reservoirpy"]
        print(
            f"{units:>6} {ours['seconds']:>9.3f} {rpy['seconds']:>9.3f} "
            f"{rpy['seconds'] / ours['seconds']:>8.2f}x {ours['nrmse']:>11.3e} "
            f"{rpy['nrmse']:>11.3e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
