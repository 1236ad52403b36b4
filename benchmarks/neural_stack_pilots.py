"""Neural stack / queue training pilots: why Grefenstette et al.'s protocol did not learn.

Two commands, each printing to stdout (the records are in
``benchmarks/results/neural_stack_pilots.txt``):

``train JSON``
    Trains a :class:`~recurrent_zoo.neural_stack.NeuralStack` (LSTM controller, softmax
    readout, Adam, gradient norm clipped) on a small transduction problem and prints, after
    every epoch, the training loss, the coarse / fine accuracy on 100 validation sequences of
    the training lengths, and the mean push and pop strengths of 20 of them in the source and
    the target phase -- whether the controller has learnt to push while reading and pop while
    writing. At the end, the accuracy on 100 longer sequences. The JSON overrides the
    defaults (the quick reversal problem: vocabulary 4, sources of 2-6, tested on 7-20):
    ``task, memory, H, m, V, lo, hi, test, epochs, n (sequences an epoch), bs, lr, opt,
    clip, seed, target_inputs`` and ``bpush`` / ``bpop`` (initial push / pop biases, as
    ``transduction_run(push_bias=, pop_bias=)``: a number, or a list of one per end). A
    deque's strengths are printed for both ends, ``top/bottom``. ``top_read`` (a deque's
    first read): ``"trained"`` (the model as it is), ``"zero_init"`` (the controller's
    ``weight_ih`` columns on it start at zero, then train), ``"held_zero"`` (and stay zero:
    the controller never sees it), ``"detached"`` (it sees it, trained, but no gradient goes
    back through it into the memory) or ``"frozen"`` (its weights stay as initialised).
    ``read_scale``: :class:`~recurrent_zoo.neural_stack.NeuralStack`'s ``read_scale`` (a number
    or one per end); with ``read_ramp`` ``[first, n]`` it grows linearly from there to 1 over
    epochs ``first`` to ``first + n - 1``. ``contrib``: after each epoch also print the spread
    of each input's part of the controller's gate pre-activations (``x/top/bottom/h``).
``run JSON``
    :func:`recurrent_zoo.neural_stack.transduction_run` with the JSON as its keyword
    arguments (``task`` and ``memory`` included; lists become tuples), printing a line per
    epoch (``progress=True``) and then the result (coarse / fine accuracy on the test
    lengths, validation accuracy of the model kept, epochs, seconds).
``gradients BPUSH,BPOP ...``
    At the initialisation (no training), on 50 reversal sequences of 8-16 symbols from a
    vocabulary of 128 (H 64, m 32), the gradient of the loss reaching the pop and push
    amounts of the source-phase steps: how often it is exactly zero, and its mean size, with
    the class's random biases (``none``) or the push / pop biases given.

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/neural_stack_pilots.py train '{"seed": 1}'
    OPENBLAS_NUM_THREADS=1 python benchmarks/neural_stack_pilots.py gradients none 1,-1 -1,-2
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from recurrent_zoo._core.layers import Linear  # noqa: E402
from recurrent_zoo._core.sequence import Stacked  # noqa: E402
from recurrent_zoo.neural_stack import NeuralStack  # noqa: E402
from recurrent_zoo.tasks import transduction, transduction_accuracy  # noqa: E402
from recurrent_zoo.training import fit  # noqa: E402
from recurrent_zoo.training.losses import SoftmaxCrossEntropy  # noqa: E402
from recurrent_zoo.training.optimizers import get_optimizer  # noqa: E402

DEFAULTS = {
    "task": "reversal",
    "memory": "stack",
    "H": 16,
    "m": 4,
    "V": 4,
    "lo": 2,
    "hi": 6,
    "epochs": 12,
    "n": 200,
    "bs": 5,
    "lr": 0.02,
    "opt": "adam",
    "bpush": None,
    "bpop": None,
    "seed": 0,
    "clip": 1.0,
    "test": (7, 20),
    "target_inputs": "shared",
    "top_read": "trained",
    "read_scale": 1.0,
    "read_ramp": None,
    "contrib": False,
}


def _model(V: int, H: int, m: int, memory: str, seed: int, bpush, bpop, n_inputs=None):
    I = V + 1 if n_inputs is None else n_inputs
    core = NeuralStack(I, H, memory=memory, value_size=m, seed=seed)
    if bpush is not None:
        core.params["bias_push"][...] = bpush
    if bpop is not None:
        core.params["bias_pop"][...] = bpop
    return core, Stacked([core, Linear(H, V + 1, seed=seed + 1)])


def train(cfg: dict) -> None:
    print(cfg, flush=True)
    s = cfg["seed"]
    task, V, ti = cfg["task"], cfg["V"], cfg["target_inputs"]
    val = transduction(
        task, 100, cfg["lo"], cfg["hi"], seed=s + 500_000, vocab_size=V, target_inputs=ti
    )
    test = transduction(task, 100, *cfg["test"], seed=s + 600_000, vocab_size=V, target_inputs=ti)
    core, model = _model(
        V, cfg["H"], cfg["m"], cfg["memory"], s, cfg["bpush"], cfg["bpop"], val.inputs.shape[2]
    )
    if cfg["top_read"] in ("zero_init", "held_zero"):  # the controller's weights on its top read
        cols = slice(core.input_size, core.input_size + core.value_size)
        core.params["weight_ih"][:, cols] = 0.0
        if cfg["top_read"] == "held_zero":  # and their gradient, so that they stay zero
            backward = core._backward

            def held(dY, dstate, backward=backward):
                out = backward(dY, dstate)
                core.grads["weight_ih"][:, cols] = 0.0
                return out

            core._backward = held  # type: ignore[method-assign]
    if cfg["top_read"] in ("detached", "frozen"):
        cols = slice(core.input_size, core.input_size + core.value_size)
        backward = core._backward

        def cut(dY, dstate, backward=backward, mode=cfg["top_read"]):
            if mode == "detached":  # the controller sees the top read; no gradient goes back
                mem = core._cache[7]  # through it into the memory (its pushes, pops, values)
                step_backward = mem.step_backward

                def step(t, dreads, step_backward=step_backward):
                    return step_backward(t, {**dreads, "top": np.zeros_like(dreads["top"])})

                mem.step_backward = step
                first = mem.initial_reads_backward
                mem.initial_reads_backward = lambda d, first=first: first(
                    {**d, "top": np.zeros_like(d["top"])}
                )
            out = backward(dY, dstate)
            if mode == "frozen":  # the weights on the top read stay as initialised
                core.grads["weight_ih"][:, cols] = 0.0
            return out

        core._backward = cut  # type: ignore[method-assign]
    opt = get_optimizer(cfg["opt"], model.params, lr=cfg["lr"])
    t0 = time.process_time()
    start = np.asarray(cfg["read_scale"], dtype=float)
    for ep in range(cfg["epochs"]):
        if cfg["read_ramp"] is not None:  # [first epoch, epochs]: linear from start to 1
            first, n = cfg["read_ramp"]
            grown = min(max((ep - first + 1) / n, 0.0), 1.0)
            core.read_scale = tuple(start + (1.0 - start) * grown)
        elif cfg["read_scale"] != 1.0:
            core.read_scale = cfg["read_scale"]
        data = transduction(
            task,
            cfg["n"],
            cfg["lo"],
            cfg["hi"],
            seed=s * 100_000 + ep,
            vocab_size=V,
            target_inputs=ti,
        )
        h = fit(
            model,
            data.inputs,
            data.targets,
            loss="cross_entropy",
            mask=data.mask,
            lengths=data.lengths,
            optimizer=opt,
            epochs=1,
            batch_size=cfg["bs"],
            clip_norm=cfg["clip"],
            seed=s * 100_000 + ep,
        )
        Y, _ = model.forward(val.inputs, lengths=val.lengths)
        sc = transduction_accuracy(Y, val)
        tr = core.trace(val.inputs[:, :20], val.lengths[:20])
        ns = np.asarray(val.info["n"][:20])
        steps = np.arange(tr["push"].shape[0])[:, None]
        src = (steps < ns[None]).astype(float)
        tgt = ((steps >= ns[None]) & (steps < 2 * ns[None] + 1)).astype(float)
        d, u = tr["push"], tr["pop"]  # (T, B, E): a deque's ends as "top/bottom"

        def mean(a, w):
            return "/".join(f"{(a[..., e] * w).sum() / w.sum():.2f}" for e in range(a.shape[-1]))

        scale = "/".join(f"{a:.2f}" for a in core.read_scale)
        if cfg["contrib"]:
            print(f"ep {ep} gate input std {_contributions(core, val.lengths[:20])}", flush=True)
        print(
            f"ep {ep} read {scale} loss {h['loss'][-1]:.3f} "
            f"val {sc['coarse']:.2f}/{sc['fine']:.2f} "
            f"push src {mean(d, src)} tgt {mean(d, tgt)} "
            f"pop src {mean(u, src)} tgt {mean(u, tgt)} "
            f"cpu {time.process_time() - t0:.0f}s",
            flush=True,
        )
    Y, _ = model.forward(test.inputs, lengths=test.lengths)
    print("test", transduction_accuracy(Y, test), flush=True)
    if cfg["top_read"] != "trained":
        top = core.params["weight_ih"][:, core.input_size : core.input_size + core.value_size]
        print(f"largest |weight| on the top read after training: {np.abs(top).max():.4g}")


def _contributions(core: NeuralStack, lengths: np.ndarray) -> str:
    """What drives the controller's gates on the last traced batch: the standard deviation over
    the steps inside the sequences (and the batch) of each input's part of the gate
    pre-activations, averaged over the 4H gate units: the input x_t, each end's read (as the
    controller sees it, scaled) and h_{t-1}. "x/top/bottom/h" (a deque), "x/read/h" else."""
    X, RH = core._cache[0], core._cache[1]
    T, I = X.shape[0], core.input_size
    W = core.params["weight_ih"]
    inside = np.arange(T)[:, None] < np.asarray(lengths)[None, :]  # (T, B)
    m, E = core.value_size, core.n_ends
    parts = [X @ W[:, :I].T]
    parts += [
        RH[:T, :, j * m : (j + 1) * m] @ W[:, I + j * m : I + (j + 1) * m].T for j in range(E)
    ]
    parts.append(RH[:T, :, E * m :] @ core.params["weight_hh"].T)
    return "/".join(f"{p[inside].std(axis=0).mean():.3f}" for p in parts)


def gradients(settings: list[str]) -> None:
    data = transduction("reversal", 50, 8, 16, seed=1, vocab_size=128)
    ns = np.asarray(data.info["n"])
    for setting in settings:
        bp, bu = (None, None) if setting == "none" else map(float, setting.split(","))
        core, model = _model(128, 64, 32, "stack", 0, bp, bu)
        Y, _ = model.forward(data.inputs, lengths=data.lengths)
        mem, record = core._cache[7], {}
        step_backward = mem.step_backward

        def wrapped(t, dreads, step_backward=step_backward, record=record):
            dpops, dpushes = step_backward(t, dreads)
            record[t] = (dpops["top"].copy(), dpushes["top"][1].copy())
            return dpops, dpushes

        mem.step_backward = wrapped
        _, dY = SoftmaxCrossEntropy()(Y, data.targets, data.mask)[:2]
        model.backward(dY)
        T = Y.shape[0]
        du = np.stack([record[t][0] for t in range(T)])
        dd = np.stack([record[t][1] for t in range(T)])
        src = np.arange(T)[:, None] < ns[None]
        tr = core.trace(data.inputs, data.lengths)
        print(
            f"biases push/pop {setting}: mean push {tr['push'][..., 0][src].mean():.2f} "
            f"pop {tr['pop'][..., 0][src].mean():.2f} (source steps); source steps whose "
            f"pop gets no gradient {np.mean(du[src] == 0):.2f}, whose push gets none "
            f"{np.mean(dd[src] == 0):.2f}; mean |dL/du| {np.abs(du[src]).mean():.2e}, "
            f"|dL/dd| {np.abs(dd[src]).mean():.2e}",
            flush=True,
        )


def run(kwargs: dict) -> None:
    from recurrent_zoo.neural_stack import transduction_run

    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    print(kwargs, flush=True)
    t0 = time.process_time()
    r = transduction_run(**kwargs, progress=True)
    keys = ("task", "memory", "seed", "coarse", "fine", "val_coarse", "val_fine", "epochs")
    print({k: r[k] for k in keys}, f"cpu {time.process_time() - t0:.0f}s", flush=True)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "train":
        cfg = dict(DEFAULTS)
        cfg.update(json.loads(argv[1]) if len(argv) > 1 else {})
        train(cfg)
    elif argv and argv[0] == "run":
        run(json.loads(argv[1]))
    elif argv and argv[0] == "gradients":
        gradients(argv[1:] or ["none"])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
