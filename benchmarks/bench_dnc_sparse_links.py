"""One DNC step against the memory size: dense links (O(N^2)) against the paper's sparse links.

Graves et al. (2016, Methods, "Sparse link matrix") keep the temporal link matrix with at most
K non-zeros per row and column, so that a step costs O(N log N) time and O(N K) memory instead
of O(N^2). This times one step of our DNC -- forward + backward, averaged over a sequence of
``--steps`` steps -- for ``memory_slots`` N = 64 ... 4096, with dense links and with
``sparse_links=K`` (default 8, the paper's "K = 8 appears to be sufficient"), everything else
as in ``bench_dnc_vs_torch.py --scaling``: an LSTM controller of 64 units, 4 read heads, word
size 16, float32, a batch of 16, binary inputs and a fixed random output gradient.

Each (links, N) runs in its own process (one at a time, ``--threads`` BLAS threads, default 1),
after one warm-up run, the minimum of ``--repeat`` runs kept. The dense links keep a
``(B, N, N)`` matrix per step for the backward pass -- 16 x 2048^2 float32 numbers are 268 MB a
step, 4096 slots would need 1 GB a step and about 12 GB for 10 steps -- so the dense runs stop
at ``--dense-max`` slots (default 2048). The load average is recorded with the results; the
plot (log-log, with N log N and N^2 guides) goes beside the text.

Usage::

    python benchmarks/bench_dnc_sparse_links.py \\
        --out benchmarks/results/bench_dnc_sparse_links.txt \\
        --plot benchmarks/results/bench_dnc_sparse_links.png
    python benchmarks/bench_dnc_sparse_links.py --replot \
        benchmarks/results/bench_dnc_sparse_links.json --plot benchmarks/results/...png
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

B, I, O = 16, 9, 8
CONFIG = {"controller_size": 64, "read_heads": 4, "word_size": 16}
SLOTS = [64, 128, 256, 512, 1024, 2048, 4096]


def worker(slots: int, sparse: int | None, steps: int, repeat: int) -> dict:
    import numpy as np

    from recurrent_zoo.dnc import DNC

    rng = np.random.default_rng(0)
    X = (rng.random((steps, B, I)) < 0.5).astype(np.float32)
    dY = rng.standard_normal((steps, B, O)).astype(np.float32)
    model = DNC(I, O, memory_slots=slots, sparse_links=sparse, **CONFIG, seed=0,
                dtype=np.float32)  # fmt: skip
    model.forward(X)
    model.backward(dY)
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.forward(X)
        model.backward(dY)
        best = min(best, time.perf_counter() - t0)
    _, state = model.forward(X[:1])
    link_numbers = sum(a.size for a in state[7:-1]) // B  # the link state of one sequence
    return {"step_seconds": best / steps, "link_numbers": link_numbers}


def _spawn(args: list[str], threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _slopes(ns: list[int], ts: list[float]) -> list[str]:
    return [
        f"{math.log(t1 / t0) / math.log(n1 / n0):.2f}"
        for n0, n1, t0, t1 in zip(ns, ns[1:], ts, ts[1:], strict=False)
    ]


def plot(results: dict, k: int, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for name, style in (("dense", "o-"), (f"sparse K={k}", "s-")):
        rows = results[name]
        ns = [int(n) for n in rows]
        ts = [1e3 * rows[n]["step_seconds"] for n in rows]
        ax.plot(ns, ts, style, label=f"{name} links")
    # guides through the last measured point of each
    for name, shape, label in (
        (f"sparse K={k}", lambda n: n * math.log(n), r"$\propto N \log N$"),
        ("dense", lambda n: n * n, r"$\propto N^2$"),
    ):
        rows = results[name]
        n_last = max(int(n) for n in rows)
        t_last = 1e3 * rows[str(n_last)]["step_seconds"]
        grid = [n for n in SLOTS if n >= 256]
        ax.plot(grid, [t_last * shape(n) / shape(n_last) for n in grid], ":", color="gray")
        ax.annotate(label, (grid[-1], t_last * shape(grid[-1]) / shape(n_last)), fontsize=9,
                    color="gray", textcoords="offset points", xytext=(4, 0))  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlim(right=2 ** (math.log2(max(SLOTS)) + 0.9))  # room for the guides' labels
    ax.set_yscale("log")
    ax.set_xlabel("memory slots N")
    ax.set_ylabel("one step, forward + backward (ms)")
    ax.set_title(f"DNC step time: dense vs sparse links (batch {B}, W=16, R=4)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slots", type=int, nargs="+", default=SLOTS)
    parser.add_argument("--dense-max", type=int, default=2048)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="write the table here too")
    parser.add_argument("--plot", default=None, help="save the plot here (png)")
    parser.add_argument("--worker", nargs=2, type=int, default=None, help="slots, K (0: dense)")
    parser.add_argument("--replot", default=None, help="only redraw --plot from this .json")
    args = parser.parse_args()
    if args.replot:
        with open(args.replot) as f:
            plot(json.load(f)["results"], args.k, args.plot)
        return
    if args.worker:
        slots, k = args.worker
        print(json.dumps(worker(slots, k or None, args.steps, args.repeat)))
        return

    import numpy as np

    load_before = os.getloadavg()
    started = time.time()
    sparse_name = f"sparse K={args.k}"
    results: dict[str, dict[str, dict]] = {"dense": {}, sparse_name: {}}
    common = ["--steps", str(args.steps), "--repeat", str(args.repeat)]
    for n in args.slots:  # dense and sparse back to back at each size
        if n <= args.dense_max:
            results["dense"][str(n)] = _spawn([*common, "--worker", str(n), "0"], args.threads)
        results[sparse_name][str(n)] = _spawn(
            [*common, "--worker", str(n), str(args.k)], args.threads
        )
    load_after = os.getloadavg()
    here = os.path.dirname(os.path.abspath(__file__))
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, cwd=here).stdout.strip()
    lines = [
        "# python benchmarks/bench_dnc_sparse_links.py " + " ".join(sys.argv[1:]),
        f"# commit {commit}, numpy {np.__version__}, {args.threads} BLAS thread(s), "
        f"{time.time() - started:.0f} s in all",
        f"# load average before {tuple(round(x, 2) for x in load_before)}, after "
        f"{tuple(round(x, 2) for x in load_after)} on {os.cpu_count()} CPUs",
        f"DNC one step (forward + backward, mean over {args.steps} steps, min of {args.repeat} "
        f"runs), float32, batch {B}, LSTM 64, 4 read heads, word size 16",
        f"dense links only up to {args.dense_max} slots (a (B, N, N) matrix per step kept "
        "for the backward pass)",
        f"{'slots':>6s} {'dense ms':>10s} {'sparse ms':>10s} {'dense/sparse':>12s} "
        f"{'link numbers/seq dense':>22s} {'sparse':>8s}",
    ]
    for n in args.slots:
        s = results[sparse_name][str(n)]
        d = results["dense"].get(str(n))
        dense_ms = f"{1e3 * d['step_seconds']:10.2f}" if d else f"{'-':>10s}"
        ratio = f"{d['step_seconds'] / s['step_seconds']:12.2f}" if d else f"{'-':>12s}"
        dense_nums = f"{d['link_numbers']:22d}" if d else f"{n * n:>22d}"
        lines.append(
            f"{n:6d} {dense_ms} {1e3 * s['step_seconds']:10.2f} {ratio} {dense_nums} "
            f"{s['link_numbers']:8d}"
        )
    for name, rows in results.items():
        ns = [int(n) for n in rows]
        ts = [rows[n]["step_seconds"] for n in rows]
        lines.append(
            f"log-log slope between successive sizes, {name}: {', '.join(_slopes(ns, ts))}"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after,
                       "results": results}, f, indent=1)  # fmt: skip
    if args.plot:
        plot(results, args.k, args.plot)


if __name__ == "__main__":
    main()
