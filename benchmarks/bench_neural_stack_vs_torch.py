"""Time per training sequence: our neural stack / queue / deque against a PyTorch autograd one.

For every grid point ``(memory, T, B, I, H, m)`` both sides run a forward pass of an LSTM
controlling Grefenstette et al.'s memory over a ``(T, B, I)`` float32 batch, from an empty
memory, and backpropagate a gradient of ones on the outputs (input gradient included): ours is
:class:`recurrent_zoo.neural_stack.NeuralStack` with its explicit backward pass, the peer
``benchmarks/peers/torch_neural_stack.py`` (the same equations written with torch tensors, the
memory grown by concatenation, ``torch.nn.LSTMCell``, autograd). Both hold the same weights.
Each side runs in its own process with one thread (``OPENBLAS_NUM_THREADS=1``,
``torch.set_num_threads(1)``);
after two warm-up runs each point is timed ``--repeat`` times and the minimum kept; with
``--rounds N`` the two processes alternate N times and the minimum over the rounds is kept.
The table gives milliseconds per sequence (the batch's time divided by ``B``) and
``ours / torch``; the header records ``os.getloadavg()`` before and after.

Usage::

    python benchmarks/bench_neural_stack_vs_torch.py                 # the grid, 3 rounds
    python benchmarks/bench_neural_stack_vs_torch.py --rounds 1 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (memory, T, B, I, H, m): the training batches of the transduction protocol (source length
# 64: T = 129; vocabulary 16 or 128), a test-length batch, a single sequence
GRID = [
    ("stack", 129, 10, 17, 64, 32),
    ("queue", 129, 10, 17, 64, 32),
    ("deque", 129, 10, 17, 64, 32),
    ("stack", 129, 10, 129, 128, 64),
    ("stack", 257, 10, 17, 64, 32),
    ("stack", 129, 1, 17, 64, 32),
]


def _measure(side: str, point: list, repeat: int) -> float:
    memory, T, B, I, H, m = point
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(T, B, I)).astype(np.float32)
    from recurrent_zoo.neural_stack import NeuralStack

    ours = NeuralStack(I, H, memory=memory, value_size=m, seed=0, dtype=np.float32)
    if side == "ours":

        def run() -> None:
            Y, _ = ours.forward(X)
            ours.backward(np.ones_like(Y))

    else:
        import importlib.util

        import torch

        torch.set_num_threads(1)
        spec = importlib.util.spec_from_file_location(
            "tns", HERE / "peers" / "torch_neural_stack.py"
        )
        tns = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tns)
        model = tns.TorchNeuralStack(I, H, memory, m)
        model.load_numpy_params(ours.params)
        Xt = torch.from_numpy(X)

        def run() -> None:
            x = Xt.clone().requires_grad_(True)
            model.zero_grad(set_to_none=True)
            Y = model(x)
            Y.backward(torch.ones_like(Y))

    run()
    run()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def _child(side: str, repeat: int) -> None:
    out = {str(p): _measure(side, p, repeat) for p in (list(g) for g in GRID)}
    print(json.dumps(out))


def _spawn(side: str, repeat: int) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side, "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("ours", "torch"))
    parser.add_argument("--out", default=str(HERE / "results" / "bench_neural_stack_vs_torch.txt"))
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.repeat)
        return
    load_before = os.getloadavg()
    best: dict[str, dict[str, float]] = {"ours": {}, "torch": {}}
    for _ in range(args.rounds):
        for side in ("ours", "torch"):
            for k, v in _spawn(side, args.repeat).items():
                best[side][k] = min(v, best[side].get(k, math.inf))
    load_after = os.getloadavg()
    import numpy
    import torch

    lines = [
        "Neural stack / queue / deque + LSTM controller, forward + backward, float32, one thread",
        f"numpy {numpy.__version__}, torch {torch.__version__}; {args.rounds} rounds x "
        f"{args.repeat} repeats, minimum kept",
        f"load average before {tuple(round(x, 2) for x in load_before)}, "
        f"after {tuple(round(x, 2) for x in load_after)} (2 cores)",
        "",
        f"{'memory':6} {'T':>4} {'B':>3} {'I':>4} {'H':>4} {'m':>3} "
        f"{'ours ms/seq':>12} {'torch ms/seq':>13} {'ours/torch':>10}",
    ]
    ratios = []
    for point in GRID:
        key = str(list(point))
        B = point[2]
        o, t = best["ours"][key] / B * 1e3, best["torch"][key] / B * 1e3
        ratios.append(o / t)
        memory, T, _, I, H, m = point
        lines.append(
            f"{memory:6} {T:>4} {B:>3} {I:>4} {H:>4} {m:>3} {o:12.2f} {t:13.2f} {o / t:10.2f}"
        )
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    lines += ["", f"geometric mean ours/torch: {geo:.2f} (target <= 1.0)"]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
