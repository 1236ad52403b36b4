"""Sum-of-sines generation: the clockwork RNN against an Elman net with as many parameters.

Koutník et al. (2014, Sect. 4.1) trained nets with no input to generate a 320-step piece of
audio and found the CW-RNN's error far below a simple RNN's with the same number of parameters.
The audio is not distributed; a public numpy reproduction (cybertronai/schmidhuber-problems,
``clockwork-rnn``) replaced it by a sum of four sines of periods 8, 32, 80 and 160 steps
(:func:`recurrent_zoo.tasks.sum_of_sines`) and reports, over 5 seeds, a final (half) MSE of
0.11 for a 64-unit, 8-module CW-RNN against 0.25 for a 48-unit simple RNN, both with 2,497
parameters (plain SGD, lr 0.02, clipped at 1, 1,500 full-batch epochs).

For each of 5 seeds (the seed draws the target's phases and both nets' weights) both nets,
each with a linear readout, 2,497 parameters, are trained with the same budget, 1,500
full-batch epochs of BPTT through all 320 steps, gradient norms clipped at 1, in one of two
settings:

``adam``
    this library's recipe (:func:`recurrent_zoo.clockwork.train_generation`): the default
    initialisation (U(-1/sqrt(H), 1/sqrt(H))), the gradient of the MSE, Adam with lr 0.01;
``reproduction``
    that reproduction's protocol: weights drawn from N(0, 1/fan-in) (recurrent and readout
    weights over the hidden size, input weights over the input size), zero biases, the gradient
    of half the MSE, plain SGD with lr 0.02.

The MSE reported is the mean squared error of the generated sequence (not halved; the
reproduction's numbers are halved). The target of issue 16: CW-RNN MSE <= 0.5 x Elman's.

``clock_start`` (``reproduction`` only) starts the CW-RNN's clock at that step count: at 0
(the default) every module runs at the first step, at 1 only module 0 does, and module
:math:`i` first runs at step :math:`2^i - 1` -- the two readings of the paper's
:math:`t \bmod T_i = 0`, which does not say whether :math:`t` starts at 0 or 1.
``first_seed`` runs seeds ``first_seed .. first_seed + n_seeds - 1`` (seeds in parallel
processes).

Usage (about 10 minutes per setting on one core)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/clockwork_sum_of_sines.py [adam|reproduction] \\
        [epochs] [n_seeds] [clock_start] [first_seed]
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.clockwork import ClockworkRNN, matched_elman_size, train_generation
from recurrent_zoo.elman import Elman
from recurrent_zoo.tasks import sum_of_sines
from recurrent_zoo.training import SGD, clip_grad_norm


def header() -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# recorded {now} on {os.cpu_count()} CPUs ({platform.machine()}, Python "
        f"{platform.python_version()}), load average before the run: {load}"
    )
    print("# command: " + " ".join(["python"] + sys.argv))
    print()


def reproduction_net(model, seed: int) -> Stacked:
    """``model`` + readout initialised as the reproduction does: N(0, 1/fan-in), zero biases."""
    H = model.output_size
    net = Stacked([model, Linear(H, 1, seed=seed)])
    rng = np.random.default_rng(seed)
    for name, p in net.params.items():
        if "bias" in name:
            p[...] = 0.0
        else:
            fan_in = model.input_size if "weight_ih" in name else H
            p[...] = rng.standard_normal(p.shape) / np.sqrt(fan_in)
    return net


def start_state(net: Stacked, clock_start: int):
    """The stacked net's initial state, the CW-RNN's clock at ``clock_start``."""
    state = net.initial_state(1)
    if isinstance(net.models[0], ClockworkRNN):
        state = ((state[0][0], np.full(1, float(clock_start))), *state[1:])
    return state


def train(
    model, target: np.ndarray, setting: str, epochs: int, seed: int, clock_start: int = 0
) -> tuple[Stacked, object]:
    if setting == "adam":
        net, _ = train_generation(model, target, epochs=epochs, lr=0.01, seed=seed)
        return net, None
    net = reproduction_net(model, seed)
    state = start_state(net, clock_start)
    opt = SGD(net.params, lr=0.02)
    X = np.ones((target.shape[0], 1, 1))
    for _ in range(epochs):
        Y, _ = net.forward(X, state)
        err = Y - target
        net.backward(err / err.size)  # the gradient of half the MSE
        clip_grad_norm(net.grads, 1.0)
        opt.step(net.grads)
    return net, state


def main(
    setting: str = "adam",
    epochs: int = 1500,
    n_seeds: int = 5,
    clock_start: int = 0,
    first_seed: int = 0,
) -> None:
    if setting not in ("adam", "reproduction"):
        raise SystemExit(f"setting must be 'adam' or 'reproduction'; got {setting!r}")
    if clock_start and setting != "reproduction":
        raise SystemExit("clock_start is an option of the 'reproduction' setting")
    header()
    n_cw = ClockworkRNN(1, 64, 8).n_params + 64 + 1
    h_elman = matched_elman_size(n_cw)
    n_elman = Elman(1, h_elman).n_params + h_elman + 1
    print(
        f"CW-RNN: 64 units, 8 modules, periods 1..128, {n_cw} parameters with its readout; "
        f"Elman: {h_elman} units, {n_elman} parameters; T = 320, {epochs} epochs; "
        f"setting {setting!r}" + (f", CW-RNN clock from {clock_start}" if clock_start else "")
    )
    print("seed   CW-RNN MSE   Elman MSE   ratio      seconds (CW, Elman)")
    mse: dict[str, list[float]] = {"cw": [], "elman": []}
    for seed in range(first_seed, first_seed + n_seeds):
        target = sum_of_sines(1, length=320, seed=seed).targets
        row = {}
        secs = []
        for name, model in (
            ("cw", ClockworkRNN(1, 64, 8, seed=seed)),
            ("elman", Elman(1, h_elman, seed=seed)),
        ):
            start = time.perf_counter()
            net, state = train(model, target, setting, epochs, seed, clock_start)
            secs.append(time.perf_counter() - start)
            Y, _ = net.forward(np.ones((320, 1, 1)), state)
            row[name] = float(np.mean((Y - target) ** 2))
            mse[name].append(row[name])
        print(
            f"{seed:4d}   {row['cw']:10.3g}   {row['elman']:9.4f}   "
            f"{row['cw'] / row['elman']:8.3g}   {secs[0]:.0f}, {secs[1]:.0f}",
            flush=True,
        )
    cw, el = np.mean(mse["cw"]), np.mean(mse["elman"])
    worst = max(c / e for c, e in zip(mse["cw"], mse["elman"], strict=True))
    print(
        f"mean   {cw:10.3g}   {el:9.4f}   {cw / el:8.3g}   (worst seed's ratio {worst:.3g}; "
        "target <= 0.5; the reproduction: 0.1125 / 0.2454 = 0.46 in half-MSE)"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*args[:1], *[int(a) for a in args[1:]])
