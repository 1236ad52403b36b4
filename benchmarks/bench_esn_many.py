"""Many sequences through one reservoir: recurrent_zoo (batched) against ReservoirPy 0.4.2.

Two workloads where users wait on reservoirs, timed from the reservoir's construction to the
test predictions (fit + predict), each library in its own fresh process:

``classify``
    Sequence classification: 300 training and 370 test sequences of 7-30 steps with 12 channels
    (:func:`recurrent_zoo.tasks.trajectory_classification`, 9 classes, training seed 1, test
    seed 2), a reservoir of 500 units, the last state of each sequence fed to a ridge readout
    on one-hot targets, the class the largest output. ReservoirPy runs its tutorial's recipe
    (``tutorials/5-Classification-with-RC.ipynb`` in ReservoirPy 0.4.2: for each sequence
    ``reservoir.run(x)``, ``reservoir.reset()``, keep the last state; ``readout.fit`` on those;
    the same for the test set), with ``Reservoir >> Ridge`` built as there; the variant
    ``--rpy-list`` runs ``reservoir.run(list)`` instead (each series from the zero state, one
    after another). Ours: :class:`recurrent_zoo.esn_classifier.ESNClassifier`, one batched run
    per set (sorted by length, one sparse product per step for the sequences still running).
    The tutorial's hyperparameters for both: 500 units, spectral radius 0.9, leak rate 0.1,
    input scaling 1, ridge 1e-6; ReservoirPy's default matrices (10 % recurrent and input
    connectivity, N(0, 1) recurrent weights, +-1 input weights, no bias), matched by
    ``distribution="normal"``, ``input_distribution="bernoulli"``, ``connectivity=0.1``,
    ``input_connectivity=0.1``. Accuracy of both printed.

``series``
    One reservoir over 64 Mackey-Glass series (tau = 17,
    :func:`recurrent_zoo.tasks.mackey_glass_series` with constant initial histories x0 = 0.5,
    0.52, ..., rescaled to [-1, 1]) of 1,000 steps: one-step-ahead prediction fitted on all 64
    (warmup 100 steps each) and run on 64 fresh series (x0 = 0.51, 0.53, ...), NRMSE over
    their steps past the first 100. 500 units, the hyperparameters of
    ``bench_esn_vs_reservoirpy.py`` (leak rate 0.3, spectral radius 1.25, ridge 1e-7, the same
    matrix distributions). ReservoirPy: ``model = reservoir >> Ridge(ridge)``,
    ``model.fit(X_list, Y_list, warmup=100)``, ``model.run(X_test_list)`` (it runs the series
    one after another, each test series from the state the training ended in). Ours:
    ``ESN.fit`` / ``ESN.predict`` on the lists (one batch of 64, one sparse product per step,
    each test series from the zero state).

The libraries' random generators differ, so their reservoirs are different draws from the same
distributions: accuracies and NRMSEs are compared over the ``--repeats`` seeds (0, 1, ...),
never single runs. Each repeat runs ours and ReservoirPy back to back, alternating which goes
first, each in a fresh process (``python thisfile.py --worker LIB WORKLOAD SEED``), and records
``os.getloadavg()`` before and after. The table gives the median wall time of each, the ratio of the
medians (ReservoirPy / ours) and the per-repeat ratios' median, and the same for the workers'
CPU time (``time.process_time``, all their threads), which a busy machine distorts less than
the wall clock; data are generated once in the parent process and handed to the workers in a
temporary file.

Usage::

    python benchmarks/bench_esn_many.py                      # both workloads, 5 repeats
    python benchmarks/bench_esn_many.py --workload classify --repeats 9
    python benchmarks/bench_esn_many.py --blas-threads 1      # both with one BLAS thread

The output is also written to ``benchmarks/results/bench_esn_many.txt`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSIFY = {"units": 500, "sr": 0.9, "lr": 0.1, "input_scaling": 1.0, "ridge": 1e-6}
SERIES = {"units": 500, "sr": 1.25, "lr": 0.3, "input_scaling": 1.0, "ridge": 1e-7}
N_SERIES, SERIES_STEPS, WARMUP = 64, 1000, 100


# ----------------------------------------------------------------------------- data
def make_data(path: str) -> None:
    import numpy as np

    from recurrent_zoo.tasks import mackey_glass_series, trajectory_classification

    train = trajectory_classification(300, seed=1)
    test = trajectory_classification(370, seed=2)
    arrays = {
        "y_train": train.info["labels"],
        "y_test": test.info["labels"],
        "train_lengths": train.lengths,
        "test_lengths": test.lengths,
        "train_inputs": train.inputs,
        "test_inputs": test.inputs,
    }
    series = [mackey_glass_series(SERIES_STEPS + 1, x0=0.5 + 0.01 * k) for k in range(2 * N_SERIES)]
    S = np.stack(series)  # (128, 1001): even k train, odd k test
    S = 2.0 * (S - S.min()) / (S.max() - S.min()) - 1.0
    arrays["series"] = S
    np.savez(path, **arrays)


def load_data(path: str, workload: str) -> tuple:
    import numpy as np

    d = np.load(path)
    if workload == "classify":

        def seqs(inputs: np.ndarray, lengths: np.ndarray) -> list:
            return [np.ascontiguousarray(inputs[: int(L), n]) for n, L in enumerate(lengths)]

        return (
            seqs(d["train_inputs"], d["train_lengths"]),
            d["y_train"],
            seqs(d["test_inputs"], d["test_lengths"]),
            d["y_test"],
        )
    S = d["series"]
    train, test = S[0::2], S[1::2]
    return (
        [s[:-1, None] for s in train],
        [s[1:, None] for s in train],
        [s[:-1, None] for s in test],
        [s[1:, None] for s in test],
    )


# ----------------------------------------------------------------------------- the workers
def ours_classify(data: tuple, seed: int) -> tuple[float, float, float]:
    import numpy as np

    from recurrent_zoo.esn_classifier import ESNClassifier

    Xtr, ytr, Xte, yte = data
    t0, c0 = time.perf_counter(), time.process_time()
    clf = ESNClassifier(
        units=CLASSIFY["units"],
        spectral_radius=CLASSIFY["sr"],
        leak_rate=CLASSIFY["lr"],
        input_scaling=CLASSIFY["input_scaling"],
        connectivity=0.1,
        input_connectivity=0.1,
        distribution="normal",
        input_distribution="bernoulli",
        ridge=CLASSIFY["ridge"],
        pooling="last",
        seed=seed,
    )
    clf.fit(Xtr, ytr)
    pred = clf.predict(Xte)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, float(np.mean(pred == yte))


def rpy_classify(data: tuple, seed: int, as_list: bool = False) -> tuple[float, float, float]:
    import numpy as np
    from reservoirpy.nodes import Reservoir, Ridge

    Xtr, ytr, Xte, yte = data
    C = int(max(ytr.max(), yte.max())) + 1
    Ytr = [np.eye(C)[[c]] for c in ytr]  # one (1, C) target per sequence, as the tutorial
    t0, c0 = time.perf_counter(), time.process_time()
    reservoir = Reservoir(
        CLASSIFY["units"],
        sr=CLASSIFY["sr"],
        lr=CLASSIFY["lr"],
        input_scaling=CLASSIFY["input_scaling"],
        seed=seed,
    )
    readout = Ridge(ridge=CLASSIFY["ridge"])
    _model = reservoir >> readout  # built as in the tutorial (which then fits its parts)

    def last_states(X: list) -> list:
        if as_list:  # each series from the zero state, one after another
            if reservoir.initialized:
                reservoir.reset()
            return [s[-1, np.newaxis] for s in reservoir.run(X)]
        out = []
        for x in X:
            states = reservoir.run(x)
            reservoir.reset()
            out.append(states[-1, np.newaxis])
        return out

    readout.fit(last_states(Xtr), Ytr)
    pred = [int(np.argmax(readout.run(s))) for s in last_states(Xte)]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, float(np.mean(np.array(pred) == yte))


def ours_series(data: tuple, seed: int) -> tuple[float, float, float]:
    from recurrent_zoo.esn import ESN

    Xtr, Ytr, Xte, Yte = data
    t0, c0 = time.perf_counter(), time.process_time()
    esn = ESN(
        units=SERIES["units"],
        spectral_radius=SERIES["sr"],
        leak_rate=SERIES["lr"],
        input_scaling=SERIES["input_scaling"],
        connectivity=0.1,
        input_connectivity=0.1,
        distribution="normal",
        input_distribution="bernoulli",
        ridge=SERIES["ridge"],
        seed=seed,
    )
    esn.fit(Xtr, Ytr, warmup=WARMUP)
    pred = esn.predict(Xte)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, _series_nrmse(Yte, pred)


def rpy_series(data: tuple, seed: int) -> tuple[float, float, float]:
    from reservoirpy.nodes import Reservoir, Ridge

    Xtr, Ytr, Xte, Yte = data
    t0, c0 = time.perf_counter(), time.process_time()
    reservoir = Reservoir(
        SERIES["units"],
        sr=SERIES["sr"],
        lr=SERIES["lr"],
        input_scaling=SERIES["input_scaling"],
        seed=seed,
    )
    model = reservoir >> Ridge(ridge=SERIES["ridge"])
    model.fit(Xtr, Ytr, warmup=WARMUP)
    pred = model.run(Xte)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, _series_nrmse(Yte, pred)


def _series_nrmse(Y: list, pred: list) -> float:
    """NRMSE over the test series' steps past the warmup (each prediction starts from zero)."""
    import numpy as np

    from recurrent_zoo.tasks import nrmse

    return nrmse(
        np.concatenate([y[WARMUP:] for y in Y]), np.concatenate([p[WARMUP:] for p in pred])
    )


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info

        return "; ".join(
            sorted(
                f"{i.get('internal_api')} {i.get('version')} threads={i.get('num_threads')}"
                for i in threadpool_info()
            )
        )
    except ImportError:
        return "threadpoolctl not installed"


def worker(lib: str, workload: str, seed: int, path: str) -> dict:
    data = load_data(path, workload)
    if workload == "classify":
        if lib == "recurrent_zoo":
            seconds, cpu, score = ours_classify(data, seed)
        else:
            seconds, cpu, score = rpy_classify(data, seed, as_list=lib == "reservoirpy-list")
    elif lib == "recurrent_zoo":
        seconds, cpu, score = ours_series(data, seed)
    else:
        seconds, cpu, score = rpy_series(data, seed)
    return {"lib": lib, "seconds": seconds, "cpu": cpu, "score": score, "blas": blas_info()}


def _run_worker(lib: str, workload: str, seed: int, path: str, env: dict) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, workload, str(seed), path]
    load0 = os.getloadavg()[0]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["load"] = (load0, os.getloadavg()[0])
    return result


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workload", choices=["classify", "series", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=5, help="seeds 0..repeats-1 per library")
    parser.add_argument("--rpy-list", action="store_true", help="also time reservoir.run(list)")
    parser.add_argument("--blas-threads", type=int, default=None, help="BLAS threads for both")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "bench_esn_many.txt"))
    parser.add_argument("--worker", nargs=4, metavar=("LIB", "WORKLOAD", "SEED", "DATA"))
    args = parser.parse_args()
    if args.worker:
        lib, workload, seed, path = args.worker
        print(json.dumps(worker(lib, workload, int(seed), path)))
        return

    import numpy as np
    import scipy

    try:
        import reservoirpy

        rpy_version = reservoirpy.__version__
    except ImportError:
        sys.exit("ReservoirPy is not installed: pip install reservoirpy==0.4.2 (the bench extra)")
    env = dict(os.environ)
    if args.blas_threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.blas_threads)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"reservoirpy {rpy_version}; {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    blas_env = {k: v for k, v in env.items() if k.startswith(("OPENBLAS", "OMP", "MKL"))}
    say(f"BLAS environment: {blas_env or 'none set'}")
    workloads = ["classify", "series"] if args.workload == "both" else [args.workload]
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "data.npz")
    make_data(path)
    blas_lines: set[str] = set()
    for workload in workloads:
        libs = ["recurrent_zoo", "reservoirpy"] + (
            ["reservoirpy-list"] if args.rpy_list and workload == "classify" else []
        )
        results: dict[str, list[dict]] = {lib: [] for lib in libs}
        metric = "accuracy" if workload == "classify" else "NRMSE"
        say()
        say(f"== {workload}: {metric}, seconds (construction + fit + predict) ==")
        say(f"{'seed':>4}  {'load before/after':>17}  " + "  ".join(f"{lib:>35}" for lib in libs))
        for seed in range(args.repeats):
            order = libs if seed % 2 == 0 else libs[::-1]  # alternate who goes first
            row = {lib: _run_worker(lib, workload, seed, path, env) for lib in order}
            loads = [x for lib in order for x in row[lib]["load"]]
            cells = []
            for lib in libs:
                results[lib].append(row[lib])
                blas_lines.add(f"{lib} worker: {row[lib]['blas']}")
                r = row[lib]
                cells.append(
                    f"{r['seconds']:>7.3f} s ({r['cpu']:6.3f} cpu)  {metric[:3]} {r['score']:.4f}"
                )
            say(f"{seed:>4}  {min(loads):>8.2f}/{max(loads):<8.2f}  " + "  ".join(cells))
        ours = np.array([r["seconds"] for r in results["recurrent_zoo"]])
        ours_cpu = np.array([r["cpu"] for r in results["recurrent_zoo"]])
        say()
        for lib in libs:
            t = np.array([r["seconds"] for r in results[lib]])
            c = np.array([r["cpu"] for r in results[lib]])
            s = np.array([r["score"] for r in results[lib]])
            say(
                f"{lib:>16}: median {np.median(t):.3f} s wall (min {t.min():.3f}), "
                f"{np.median(c):.3f} s CPU; {metric} median {np.median(s):.4f} "
                f"(range {s.min():.4f}-{s.max():.4f})"
            )
            if lib != "recurrent_zoo":
                say(
                    f"{'':>16}  wall: median / ours {np.median(t) / np.median(ours):.1f}x, "
                    f"per-seed ratios median {np.median(t / ours):.1f}x "
                    f"(range {np.min(t / ours):.1f}-{np.max(t / ours):.1f}); CPU time: median / "
                    f"ours {np.median(c) / np.median(ours_cpu):.1f}x"
                )
    for line in sorted(blas_lines):
        say(f"BLAS in the {line}")
    say("(recurrent_zoo caps BLAS at CPUs - 1 threads while fitting; ReservoirPy uses them as set)")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write("$ python benchmarks/bench_esn_many.py " + " ".join(sys.argv[1:]))
            f.write("\n" + "\n".join(lines) + "\n")
        print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
