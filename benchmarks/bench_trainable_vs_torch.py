"""Forward + backward time of our Elman, LSTM and GRU against torch.nn.RNN / LSTM / GRU.

For every cell and every grid point ``(T, B, I, H)`` both sides run one forward pass over a
``(T, B, I)`` float32 batch and backpropagate a gradient of ones on the outputs (input gradient
included), one layer, one direction. Each side runs in its own process, so that numpy's and
torch's thread pools never compete; both get the same number of threads (numpy's OpenBLAS
through ``OPENBLAS_NUM_THREADS``, torch through ``torch.set_num_threads``; the default is the
number of CPUs). After two warm-up runs each point is timed ``--repeat`` times and the minimum is
kept, the usual estimate on a machine shared with other work; with ``--rounds N`` the two
processes of a cell alternate N times and the minimum over the rounds is kept, which evens out
load that comes and goes.

The table gives ``ours / torch`` at every point and the geometric mean of those ratios per cell.
Note that on CPU PyTorch runs LSTM training through oneDNN's fused kernel, while RNN and GRU go
through autograd op by op.

Usage::

    python benchmarks/bench_trainable_vs_torch.py                 # the full grid
    python benchmarks/bench_trainable_vs_torch.py --cells lstm --threads 1 --rounds 3

Some machines force OpenBLAS's kernels with ``OPENBLAS_CORETYPE`` (this project's build machine
sets ``Haswell``, i.e. AVX2, on an AVX-512 CPU), while torch's oneDNN always uses the CPU's full
instruction set; ``--native-blas`` unsets the variable for our side so that both use the CPU's
own kernels. The header says which was measured.

Multi-threaded OpenBLAS is fragile on a loaded machine (a worker thread that has to be woken up
waits for a free core, which turns microseconds into milliseconds), so run it on a quiet one, or
compare ``--threads 1`` runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

GRID = [(100, 32, 64, 128), (200, 1, 8, 32), (50, 64, 128, 256), (1000, 16, 1, 64)]
CELLS = ("elman", "lstm", "gru")


def _numpy_blas_threads() -> int | None:
    """OpenBLAS's thread count as numpy sees it (best effort: ``None`` if it cannot be read)."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line}
    except OSError:
        return None
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                return int(fn())
    return None


def _time(run, reset, repeat: int) -> float:
    for _ in range(2):
        run()
        reset()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
        reset()
    return best


def worker_ours(cell: str, repeat: int) -> dict[str, float]:
    import numpy as np

    from recurrent_zoo.elman import Elman
    from recurrent_zoo.gru import GRU
    from recurrent_zoo.lstm import LSTM

    cls = {"elman": Elman, "lstm": LSTM, "gru": GRU}[cell]
    times = {}
    for T, B, I, H in GRID:
        model = cls(I, H, seed=0, dtype=np.float32)
        X = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
        dY = np.ones((T, B, H), np.float32)

        def run(model=model, X=X, dY=dY) -> None:
            model.forward(X)
            model.backward(dY)

        times[str((T, B, I, H))] = _time(run, lambda: None, repeat)
    return times


def worker_torch(cell: str, repeat: int, threads: int) -> dict[str, float]:
    import torch

    torch.set_num_threads(threads)
    cls = {"elman": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    torch.manual_seed(0)
    times = {}
    for T, B, I, H in GRID:
        model = cls(I, H)  # float32
        X = torch.randn(T, B, I, requires_grad=True)
        dY = torch.ones(T, B, H)

        def run(model=model, X=X, dY=dY) -> None:
            Y, _ = model(X)
            Y.backward(dY)

        def reset(model=model, X=X) -> None:
            model.zero_grad(set_to_none=True)
            X.grad = None

        times[str((T, B, I, H))] = _time(run, reset, repeat)
    return times


def run_side(
    side: str, cell: str, repeat: int, threads: int, native_blas: bool = False
) -> dict[str, float]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    if native_blas:  # let OpenBLAS pick the kernels for this CPU, as torch's oneDNN does
        env.pop("OPENBLAS_CORETYPE", None)
    cmd = [sys.executable, __file__, "--worker", side, "--cells", cell]
    cmd += ["--repeat", str(repeat), "--threads", str(threads)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--native-blas",
        action="store_true",
        help="unset OPENBLAS_CORETYPE for our side (see the module docstring)",
    )
    parser.add_argument("--worker", choices=("ours", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "ours":
        times = worker_ours(args.cells[0], args.repeat)
        times["blas_threads"] = _numpy_blas_threads() or -1
        print(json.dumps(times))
        return
    if args.worker == "torch":
        print(json.dumps(worker_torch(args.cells[0], args.repeat, args.threads)))
        return

    import numpy
    import torch

    print(
        f"forward + backward, float32, min of {args.repeat} runs x {args.rounds} rounds; "
        f"threads: numpy (OpenBLAS) {args.threads}, torch.set_num_threads({args.threads}); "
        f"one process per side; numpy {numpy.__version__}, torch {torch.__version__}"
    )
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        chosen = "unset for our side (--native-blas)" if args.native_blas else "inherited"
        print(f"OPENBLAS_CORETYPE={coretype} in the environment: {chosen}")
    header = f"{'cell':6} {'(T, B, I, H)':>20} {'ours ms':>9} {'torch ms':>9} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    summary = {}
    for cell in args.cells:
        ours: dict[str, float] = {}
        theirs: dict[str, float] = {}
        for _ in range(args.rounds):
            ours_now = run_side("ours", cell, args.repeat, args.threads, args.native_blas)
            blas = ours_now.pop("blas_threads")
            if blas not in (-1, args.threads):
                print(f"warning: numpy's OpenBLAS runs {blas} threads, not {args.threads}")
            theirs_now = run_side("torch", cell, args.repeat, args.threads)
            for k in ours_now:
                ours[k] = min(ours.get(k, math.inf), ours_now[k])
                theirs[k] = min(theirs.get(k, math.inf), theirs_now[k])
        ratios = []
        for point in map(str, GRID):
            ratio = ours[point] / theirs[point]
            ratios.append(ratio)
            print(
                f"{cell:6} {point:>20} {1e3 * ours[point]:9.2f} {1e3 * theirs[point]:9.2f} "
                f"{ratio:7.2f}"
            )
        summary[cell] = math.exp(sum(map(math.log, ratios)) / len(ratios))
    print()
    for cell, gm in summary.items():
        print(f"geometric mean ours/torch  {cell:6} {gm:5.2f}")


if __name__ == "__main__":
    main()
