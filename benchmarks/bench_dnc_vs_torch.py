"""Forward + backward time of our DNC against the same DNC written in PyTorch (autograd).

The issue's configuration: an LSTM controller of 64 units, 4 read heads, 9 inputs and 8 outputs,
float32 on the CPU, a batch of 16 sequences of 40 steps (binary inputs, a fixed random output
gradient), with memories of 16 x 16 (DeepMind's default) and 256 x 64 slots x word size. Both
sides compute the same thing -- outputs, then the gradients of every parameter and of the input
-- from the same weights: ``benchmarks/peers/dnc_torch.py`` is our DNC equation for equation in
torch, and ``tests/test_dnc.py`` checks that the two agree to rounding.

Each side runs in its own process with the same number of threads (``--threads``, default 1:
OpenBLAS through ``OPENBLAS_NUM_THREADS``, torch through ``torch.set_num_threads``); after two
warm-up runs each configuration is timed ``--repeat`` times and the minimum kept, and the two
processes alternate ``--rounds`` times (the minimum over rounds is kept), which evens out load
that comes and goes on a shared machine. The load average is recorded with the results.

With ``--scaling`` it also times one step (forward + backward of a batch of 16, one step,
averaged over 10-step sequences) of our DNC for ``memory_slots`` 64 ... 1024 (word size 16):
with dense links the link matrix makes a step grow like N^2 in time and memory (a batch of 16
keeps 16 N^2 numbers per step for the backward pass: 2048 slots would need 3 GB for 10 steps),
which is what the paper's sparse links avoid (``DNC(..., sparse_links=8)``; dense against
sparse up to 4096 slots: ``benchmarks/bench_dnc_sparse_links.py``).

Usage::

    python benchmarks/bench_dnc_vs_torch.py                       # 16 x 16 and 256 x 64
    python benchmarks/bench_dnc_vs_torch.py --rounds 5 --scaling
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
T, B, I, O = 40, 16, 9, 8
CONFIG = {"controller_size": 64, "read_heads": 4}
MEMORIES = {"16x16": (16, 16), "256x64": (256, 64)}


def _data(steps: int = T, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = (rng.random((steps, B, I)) < 0.5).astype(np.float32)
    dY = rng.standard_normal((steps, B, O)).astype(np.float32)
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


def _model(slots: int, word: int):
    import numpy as np

    from recurrent_zoo.dnc import DNC

    return DNC(I, O, memory_slots=slots, word_size=word, **CONFIG, seed=0, dtype=np.float32)


def worker_ours(repeat: int) -> dict:
    X, dY = _data()
    out = {}
    for name, (slots, word) in MEMORIES.items():
        model = _model(slots, word)

        def run(model=model) -> None:
            model.forward(X)
            model.backward(dY)

        out[name] = _time(run, lambda: None, repeat)
    return out


def worker_torch(repeat: int, threads: int) -> dict:
    import torch

    sys.path.insert(0, os.path.join(HERE, "peers"))
    from dnc_torch import TorchDNC

    torch.set_num_threads(threads)
    X, dY = _data()
    Xt, dYt = torch.tensor(X), torch.tensor(dY)
    out = {}
    for name, (slots, word) in MEMORIES.items():
        params = _model(slots, word).params  # the same weights as ours
        model = TorchDNC.from_params(
            params,
            dtype=torch.float32,
            input_size=I,
            output_size=O,
            memory_slots=slots,
            word_size=word,
            **CONFIG,
        )
        Xg = Xt.clone().requires_grad_(True)

        def run(model=model, Xg=Xg) -> None:
            model(Xg).backward(dYt)

        def reset(model=model, Xg=Xg) -> None:
            model.zero_grad(set_to_none=True)
            Xg.grad = None

        out[name] = _time(run, reset, repeat)
    return out


def worker_scaling(slots_list: list[int]) -> dict:
    steps = 10
    X, dY = _data(steps)
    out = {}
    for slots in slots_list:
        model = _model(slots, 16)

        def run(model=model) -> None:
            model.forward(X)
            model.backward(dY)

        out[str(slots)] = _time(run, lambda: None, 2) / steps
    return out


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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--scaling-slots", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--worker", choices=("ours", "torch", "scaling"), default=None)
    args = parser.parse_args()
    if args.worker == "ours":
        print(json.dumps(worker_ours(args.repeat)))
        return
    if args.worker == "torch":
        print(json.dumps(worker_torch(args.repeat, args.threads)))
        return
    if args.worker == "scaling":
        print(json.dumps(worker_scaling(args.scaling_slots)))
        return

    import numpy as np
    import torch

    load_before = os.getloadavg()
    best: dict[str, dict[str, float]] = {"ours": {}, "torch": {}}
    for _ in range(args.rounds):
        for side in ("ours", "torch"):
            extra = ["--threads", str(args.threads)] if side == "torch" else []
            res = _spawn(["--repeat", str(args.repeat), "--worker", side, *extra], args.threads)
            for name, v in res.items():
                best[side][name] = min(best[side].get(name, math.inf), v)
    load_after = os.getloadavg()
    print(
        f"DNC forward + backward, float32, batch {B}, {T} steps, LSTM controller "
        f"{CONFIG['controller_size']}, {CONFIG['read_heads']} read heads, 1 write head"
    )
    print(
        f"numpy {np.__version__}, torch {torch.__version__}, {args.threads} thread(s) each, "
        f"min of {args.repeat} runs x {args.rounds} alternating rounds"
    )
    print(
        f"load average before {tuple(round(x, 2) for x in load_before)}, "
        f"after {tuple(round(x, 2) for x in load_after)} on {os.cpu_count()} CPUs"
    )
    print(f"{'memory':>8s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    results: dict[str, object] = {}
    for name in MEMORIES:
        o, t = best["ours"][name], best["torch"][name]
        results[name] = {"ours": o, "torch": t, "ratio": o / t}
        print(f"{name:>8s} {1e3 * o:9.1f} {1e3 * t:9.1f} {o / t:6.2f}")
    if args.scaling:
        slots = ["--scaling-slots", *map(str, args.scaling_slots)]
        scaling = _spawn([*slots, "--worker", "scaling"], args.threads)
        print("\none step of our DNC (forward + backward, batch 16, word size 16, dense links):")
        for n, v in scaling.items():
            print(f"  {n:>5s} slots  {1e3 * v:8.2f} ms")
        results["scaling"] = scaling
    if args.json:
        payload = {"load_before": load_before, "load_after": load_after, "results": results}
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=1)


if __name__ == "__main__":
    main()
