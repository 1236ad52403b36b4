"""Clockwork RNN speed: time follows the active module-updates, not modules x steps.

A CW-RNN computes, at each step, only the modules whose clock ticks (``ClockworkRNN``: steps
grouped by their set of active modules, one ``(B, H) x (H, r)`` product per step for the ``r``
active units). Its forward + backward time should therefore follow the number of
module-updates it does -- about ``2T`` for the default periods ``2^i``, whatever the number of
modules -- and the multiply-adds fall roughly as ``1/G`` at a fixed hidden size ``H``. An Elman
net of the same hidden size updates all ``H`` units at every step.

Three tables, each point the minimum over ``--repeat`` runs, the CW-RNN and the Elman net timed
alternately in the same process (float64, one BLAS thread unless ``OPENBLAS_NUM_THREADS`` says
otherwise):

1. time against the number of modules ``G`` at fixed ``H``, with the module-updates and the
   multiply-adds of the recurrence (``sum over updates of B * m * H``), against Elman's time;
2. time against the number of module-updates at fixed ``G`` and ``H``, varying only the periods
   (all 1: every module every step, ``G T`` updates; ``2^i``; ``4^i``);
3. a few sizes ``(T, B, H)`` with 8 modules against Elman: the ratio ``CW / Elman``.

Usage (a few minutes)::

    python benchmarks/bench_clockwork_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import numpy as np  # noqa: E402

from recurrent_zoo.clockwork import ClockworkRNN  # noqa: E402
from recurrent_zoo.elman import Elman  # noqa: E402


def header() -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# recorded {now} on {os.cpu_count()} CPUs ({platform.machine()}, Python "
        f"{platform.python_version()}), load average before the run: {load}"
    )
    print("# command: " + " ".join(["python"] + sys.argv))
    print(
        f"# OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, numpy {np.__version__}"
    )
    print()


def fwd_bwd(model, X: np.ndarray) -> float:
    start = time.perf_counter()
    Y, _ = model.forward(X)
    model.backward(np.ones_like(Y))
    return time.perf_counter() - start


def timed(models: list, X: np.ndarray, repeat: int) -> list[float]:
    """Minimum forward + backward time of each model, timed alternately."""
    for m in models:  # warm up (and fill the CW-RNN's schedule cache)
        fwd_bwd(m, X)
    best = [np.inf] * len(models)
    for _ in range(repeat):
        for k, m in enumerate(models):
            best[k] = min(best[k], fwd_bwd(m, X))
    return best


def recurrence_macs(net: ClockworkRNN, T: int, B: int) -> int:
    return B * net.module_size * net.hidden_size * net.module_updates(T)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    header()
    rng = np.random.default_rng(0)

    T, B, H = 256, 32, 256
    X = rng.normal(size=(T, B, 8))
    print(f"1. time against the number of modules G; T={T}, B={B}, H={H}, input 8, periods 2^i")
    print("   G   module-updates   recurrence MACs   CW ms    Elman ms   CW / Elman")
    elman = Elman(8, H, seed=0)
    for G in (1, 2, 4, 8, 16, 32):
        cw = ClockworkRNN(8, H, G, seed=0)
        t_cw, t_el = timed([cw, elman], X, args.repeat)
        print(
            f"{G:4d}   {cw.module_updates(T):14d}   {recurrence_macs(cw, T, B):15.3g}   "
            f"{1e3 * t_cw:7.1f}   {1e3 * t_el:8.1f}   {t_cw / t_el:10.3f}",
            flush=True,
        )

    G = 8
    print(f"\n2. time against module-updates at fixed G={G}; T={T}, B={B}, H={H}")
    print("   periods                         module-updates   CW ms   ms per 1000 updates")
    for label, periods in (
        ("all 1 (every module, every step)", (1,) * G),
        ("1, 1, 2, 2, 4, 4, 8, 8", (1, 1, 2, 2, 4, 4, 8, 8)),
        ("2^i (the paper's)", tuple(2**i for i in range(G))),
        ("4^i", tuple(4**i for i in range(G))),
    ):
        cw = ClockworkRNN(8, H, G, periods=periods, seed=0)
        (t_cw,) = timed([cw], X, args.repeat)
        n = cw.module_updates(T)
        print(f"   {label:32s} {n:14d}   {1e3 * t_cw:6.1f}   {1e6 * t_cw / n:8.2f}", flush=True)

    print("\n3. CW-RNN (8 modules, periods 2^i) against Elman of the same hidden size")
    print("     T     B      H    CW ms   Elman ms   CW / Elman")
    for T, B, H in ((320, 1, 64), (320, 1, 256), (256, 32, 64), (256, 32, 128), (256, 32, 512)):
        X = rng.normal(size=(T, B, 8))
        cw, el = ClockworkRNN(8, H, 8, seed=0), Elman(8, H, seed=0)
        t_cw, t_el = timed([cw, el], X, args.repeat)
        print(
            f"{T:6d}{B:6d}{H:7d}  {1e3 * t_cw:7.1f}   {1e3 * t_el:8.1f}   {t_cw / t_el:10.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
