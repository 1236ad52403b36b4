"""Forward + backward time of our NTM against the same NTM written in PyTorch (autograd).

The configuration of the issue (and of Graves et al.'s copy experiments): an LSTM controller of
100 units, a 128 x 20 memory, one read and one write head, shifts -1..1, 9 inputs and 8 outputs,
float32 on the CPU, a batch of 16 sequences of 42 steps (binary inputs, a fixed random output
gradient). Both sides compute the same thing -- outputs, then the gradients of every parameter
and of the input -- from the same weights: ``benchmarks/peers/ntm_torch.py`` is our NTM
equation for equation in torch, and ``tests/test_ntm.py`` checks that the two agree to rounding.

Each side runs in its own process (numpy's and torch's thread pools never compete) with the same
number of threads (``--threads``, default 1: OpenBLAS through ``OPENBLAS_NUM_THREADS``, torch
through ``torch.set_num_threads``). After two warm-up runs each configuration is timed
``--repeat`` times and the minimum kept; with ``--rounds N`` the two processes alternate N times
and the minimum over rounds is kept, which evens out load that comes and goes on a shared
machine. The load average is recorded with the results.

Also measured: the scaling with ``memory_slots`` (128, 512, 2048), and where our time goes
(``--profile``: the share of the forward and backward passes spent in each memory mechanism,
from cProfile's cumulative times, whose own overhead inflates small calls a little).

Usage::

    python benchmarks/bench_ntm_vs_torch.py                       # 128, 512, 2048 slots
    python benchmarks/bench_ntm_vs_torch.py --slots 128 --rounds 5 --profile
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
T, B, I, O = 42, 16, 9, 8
CONFIG = {"controller_size": 100, "word_size": 20, "read_heads": 1, "write_heads": 1}


def _data(seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = (rng.random((T, B, I)) < 0.5).astype(np.float32)
    dY = rng.standard_normal((T, B, O)).astype(np.float32)
    return X, dY


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


def _model(slots: int):
    import numpy as np

    from recurrent_zoo.ntm import NTM

    return NTM(I, O, memory_slots=slots, **CONFIG, seed=0, dtype=np.float32)


def worker_ours(slots_list: list[int], repeat: int) -> dict:
    X, dY = _data()
    out = {}
    for slots in slots_list:
        model = _model(slots)

        def run(model=model) -> None:
            model.forward(X)
            model.backward(dY)

        fwd = _time(lambda model=model: model.forward(X), lambda: None, repeat)
        out[str(slots)] = {"total": _time(run, lambda: None, repeat), "forward": fwd}
    return out


def worker_torch(slots_list: list[int], repeat: int, threads: int) -> dict:
    import torch

    sys.path.insert(0, os.path.join(HERE, "peers"))
    from ntm_torch import TorchNTM

    torch.set_num_threads(threads)
    X, dY = _data()
    Xt, dYt = torch.tensor(X), torch.tensor(dY)
    out = {}
    for slots in slots_list:
        params = _model(slots).params  # the same weights as ours
        model = TorchNTM.from_params(
            params, dtype=torch.float32, input_size=I, output_size=O, memory_slots=slots, **CONFIG
        )
        Xg = Xt.clone().requires_grad_(True)

        def run(model=model, Xg=Xg) -> None:
            model(Xg).backward(dYt)

        def reset(model=model, Xg=Xg) -> None:
            model.zero_grad(set_to_none=True)
            Xg.grad = None

        def forward(model=model, Xg=Xg) -> None:
            with torch.no_grad():
                model(Xg)

        out[str(slots)] = {
            "total": _time(run, reset, repeat),
            "forward": _time(forward, lambda: None, repeat),
        }
    return out


def worker_profile(slots: int) -> dict:
    """Where our forward and backward time goes, by mechanism (cProfile cumulative times)."""
    import cProfile
    import pstats

    X, dY = _data()
    model = _model(slots)
    model.forward(X)
    model.backward(dY)
    prof = cProfile.Profile()
    n = 5
    prof.enable()
    for _ in range(n):
        model.forward(X)
        model.backward(dY)
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    cum: dict[str, float] = {}
    for (file, _, name), (_, _, _, ct, _) in stats.items():
        if file.endswith(("memory.py", "ntm.py")):
            cum[name] = cum.get(name, 0.0) + ct / n
    total = cum.get("_forward", 0.0) + cum.get("_backward", 0.0)
    parts = {
        "forward: addressing (content, interpolation, shift, sharpening)": cum.get("address", 0),
        "forward: read": cum.get("read", 0),
        "forward: write": cum.get("write", 0),
        "forward: head squashing": cum.get("_heads", 0),
        "backward: addressing": cum.get("address_backward", 0),
        "backward: read": cum.get("read_backward", 0),
        "backward: write": cum.get("write_backward", 0),
        "backward: head squashing": cum.get("_heads_backward", 0),
    }
    named = sum(parts.values())
    parts["controller, head and output layers, bookkeeping"] = total - named
    return {"total_profiled": total, "parts": parts}


def _spawn(args: list[str], threads: int) -> dict:
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slots", type=int, nargs="+", default=[128, 512, 2048])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--worker", choices=("ours", "torch", "profile"), default=None)
    args = parser.parse_args()
    if args.worker == "ours":
        print(json.dumps(worker_ours(args.slots, args.repeat)))
        return
    if args.worker == "torch":
        print(json.dumps(worker_torch(args.slots, args.repeat, args.threads)))
        return
    if args.worker == "profile":
        print(json.dumps(worker_profile(args.slots[0])))
        return

    import numpy as np
    import torch

    load_before = os.getloadavg()
    base = ["--slots", *map(str, args.slots), "--repeat", str(args.repeat)]
    best: dict[str, dict] = {"ours": {}, "torch": {}}
    for _ in range(args.rounds):
        for side in ("ours", "torch"):
            extra = ["--threads", str(args.threads)] if side == "torch" else []
            res = _spawn([*base, "--worker", side, *extra], args.threads)
            for slots, times in res.items():
                cur = best[side].setdefault(slots, {k: math.inf for k in times})
                for k, v in times.items():
                    cur[k] = min(cur[k], v)
    load_after = os.getloadavg()
    print(
        f"NTM forward + backward, float32, batch {B}, {T} steps, LSTM controller "
        f"{CONFIG['controller_size']}, word size {CONFIG['word_size']}, 1 read + 1 write head"
    )
    print(
        f"numpy {np.__version__}, torch {torch.__version__}, {args.threads} thread(s) each, "
        f"min of {args.repeat} runs x {args.rounds} alternating rounds"
    )
    print(
        f"load average before {tuple(round(x, 2) for x in load_before)}, "
        f"after {tuple(round(x, 2) for x in load_after)} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'slots':>6s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>6s}   forward only: ours / torch"
    )
    results = {}
    for slots in map(str, args.slots):
        o, t = best["ours"][slots], best["torch"][slots]
        ratio = o["total"] / t["total"]
        results[slots] = {"ours": o, "torch": t, "ratio": ratio}
        print(
            f"{slots:>6s} {1e3 * o['total']:9.1f} {1e3 * t['total']:9.1f} {ratio:6.2f}   "
            f"{1e3 * o['forward']:.1f} / {1e3 * t['forward']:.1f} ms"
        )
    if args.profile:
        prof = _spawn(["--slots", str(args.slots[0]), "--worker", "profile"], args.threads)
        total = prof["total_profiled"]
        print(f"\nwhere our time goes ({args.slots[0]} slots, cProfile, {1e3 * total:.1f} ms):")
        for name, v in prof["parts"].items():
            print(f"  {100 * v / total:5.1f} %  {name}")
        results["profile"] = prof
    if args.json:
        payload = {"load_before": load_before, "load_after": load_after, "results": results}
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=1)


if __name__ == "__main__":
    main()
