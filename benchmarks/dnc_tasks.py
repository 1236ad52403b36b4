"""The differentiable neural computer's tasks: repeat copy with a curriculum, copy with memory
reuse (and the free-gate ablation), graph traversal beside an LSTM, and a NaN/inf watch.

Every run trains one model on fresh batches (:func:`recurrent_zoo.training.fit_generated`),
scores it on held-out sets drawn from a fixed seed, and prints one JSON line (also appended to
``--out``); seeds run one after another in this one process. ``report`` prints the tables of
``benchmarks/results/dnc_tasks.txt`` from the JSON lines.

Usage::

    python benchmarks/dnc_tasks.py repeat_copy --seeds 0 1 2 3 4 --batches 3000
    python benchmarks/dnc_tasks.py repeat_copy_criterion --seeds 0 1 2 3 4 --batches 12000
    python benchmarks/dnc_tasks.py reuse --seeds 0 1 2 --batches 2000 [--pin-free-gates] \\
        [--controller feedforward]
    python benchmarks/dnc_tasks.py graph --model dnc --seeds 0 --batches 3000
    python benchmarks/dnc_tasks.py graph --model lstm --seeds 0 --batches 3000
    python benchmarks/dnc_tasks.py graph --model dnc --query stepwise --lessons small --seeds 0
    python benchmarks/dnc_tasks.py graph --model dnc --controller feedforward --gate-biases \
        --query stepwise --lessons small --seeds 0 --batches 8000
    python benchmarks/dnc_tasks.py report benchmarks/results/dnc_tasks.jsonl

Settings (the defaults; where they come from):

- repeat copy: DeepMind's ``train.py`` defaults (github.com/google-deepmind/dnc): 4 bits,
  vectors 1-2, repeats 1-2, batch 16, an LSTM controller of 64 units, a 16 x 16 memory, 4 read
  heads, gradients clipped to norm 50 (their ``max_grad_norm``). Two changes, for a budget of
  minutes rather than their 100 000 iterations: Adam with learning rate 3e-3 instead of RMSprop
  at 1e-4, and a curriculum to longer sequences after the defaults: lesson ``k`` draws vectors
  and repeats from 1..k (k = 2, 3, ..., ``--max-lesson``), advanced when the mean bit errors per
  sequence on 64 fresh sequences of the lesson, checked every ``--window`` batches, are at most
  ``--threshold`` (:class:`recurrent_zoo.tasks.Curriculum`); a fifth of the batches
  (``--review``) come from an earlier lesson. The repeat channel is normalised
  over the last lesson's range 1..max throughout, so that the encoding does not change from
  lesson to lesson.
- DeepMind's set-up, for comparison (their ``train.py`` and ``dnc/repeat_copy.py``): TF1's
  RMSProp (learning rate 1e-4, decay 0.9, epsilon 1e-10 inside the square root, mean squares
  starting at 1), gradients clipped to global norm 50, batch 16, 100 000 iterations of
  1-2 x 1-2 and no curriculum; the loss summed over answer steps and bits, averaged over the
  batch (nats), where ours (:func:`~recurrent_zoo.training.fit`'s ``"bce"``) is the mean over
  the answer bits -- theirs times ``B / (O * mask.sum())``, about 1/16 here. Adam is invariant
  to that scale, and the clip is inert under both: ``repeat_copy_criterion`` records the
  gradient norm of a fixed batch under both normalisations at every check. They also clip the
  controller's outputs and state and the logits to [-20, 20] (``clip_value``); ours does not.
  Their repeat count is ``R / 10``; ours is standardised over the training range (the NTM
  paper's), and their start marker comes before the vectors, our delimiter after them (the NTM
  paper's layout); the steps and the answers are the same.
- repeat copy to a criterion (``repeat_copy_criterion``): the training lengths of the target
  are DeepMind's, 1-2 vectors x 1-2 repeats; train on them alone (as ``train.py`` does) until
  the mean bit errors on a fixed validation set of ``--val`` sequences, checked every
  ``--window`` batches, are at most ``--threshold``; then score on the 1000 test sequences.
- copy with reuse: 4 copy episodes of 4 six-bit vectors each (16 vectors) into a memory of 8
  slots (2 x the slots), the same controller and read heads; trained on 1-4 episodes of 1-4
  vectors. ``--pin-free-gates`` fixes every free gate at exactly 0 (:func:`pin_free_gates`).
  ``--controller feedforward`` is the ablation that bites: an LSTM controller of 64 units holds
  an episode of 4 vectors by itself and succeeds without freeing (recorded), a feedforward one
  keeps nothing between steps but what it reads from memory.
- graph traversal: see :func:`recurrent_zoo.tasks.graph_traversal`; lessons ``GRAPH_LESSONS``
  (``--lessons small``: two smaller first ones), advanced at ``--graph-threshold`` of 64 fresh
  queries answered exactly. The setting that learns it (benchmarks/results/dnc_graph_probes.txt):
  ``--controller feedforward --gate-biases --query stepwise --lessons small``. With an LSTM
  controller the DNC answers from the controller's own state, like the LSTM, and leaves its
  memory unused; a feedforward controller has only the memory to answer from, and the biases
  (:data:`GATE_BIASES`) make every step write to a free slot and read by content from the
  first batch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def _git_commit() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.abspath(__file__)),
        check=False,
    )
    return out.stdout.strip()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pin_free_gates(model) -> None:
    """Fix every free gate of ``model`` (a DNC) at exactly 0, for the ablation.

    The free gates are ``sigmoid`` of their rows of the interface layer; with those rows' weights
    0 and biases -1e4 the sigmoid is exactly 0.0 in float64 and float32, and so is its
    derivative: the gradient of those rows is exactly 0 and Adam never moves them. The retention
    is then 1 at every step, and no slot is ever freed.
    """
    from recurrent_zoo._core.dnc_memory import interface_layout

    rows = interface_layout(model.read_heads, model.word_size)["free_gates"][0]
    model.params["interface_weight"][rows] = 0.0
    model.params["interface_bias"][rows] = -1e4


#: ``--gate-biases``: interface biases under which the memory is used from the first batch
#: (sigmoid(3) = 0.95, oneplus(3) = 4.05): every step writes (write gate) wholly to a free slot
#: (allocation gate), and the read heads read by content (read modes, content 0.91 at first)
#: with sharper weightings (strengths). The paper and DeepMind's code start them at 0.
GATE_BIASES = {"allocation_gate": 3.0, "write_gate": 3.0, "read_strengths": 3.0}


def set_gate_biases(model) -> None:
    """Set the interface biases of ``model`` (a DNC) to :data:`GATE_BIASES`, and each read
    head's content mode to 3 (the backward and forward modes keep theirs)."""
    from recurrent_zoo._core.dnc_memory import interface_layout

    layout = interface_layout(model.read_heads, model.word_size)
    bias = model.params["interface_bias"]
    for name, value in GATE_BIASES.items():
        bias[layout[name][0]] = value
    modes = bias[layout["read_modes"][0]].reshape(model.read_heads, 3)  # backward, content, fwd
    modes[:, 1] = 3.0
    bias[layout["read_modes"][0]] = modes.ravel()


def _budget(args, callback=None):
    """``callback`` (if any), and a stop once ``--max-seconds`` of wall time have passed (the
    run's ``batches`` then says how far it got)."""
    start = time.perf_counter()

    def check(i, logs):
        stop = callback(i, logs) if callback is not None else False
        return bool(stop) or time.perf_counter() - start > args.max_seconds

    return check


def _finite(model, history) -> bool:
    """Every training loss and every parameter finite (a non-finite loss would also have stopped
    ``fit_generated`` with a FloatingPointError)."""
    losses = np.isfinite(history["loss"]).all()
    return bool(losses and all(np.isfinite(p).all() for p in model.params.values()))


def _free_gates(model, X) -> np.ndarray:
    """The free gates of every step of a forward pass, ``(T, B, R)`` (from the model's cache)."""
    model.forward(X)
    return np.stack([c[0]["free_gates"] for c in model._cache[15]])


# ----------------------------------------------------------------------------- repeat copy
def repeat_copy_run(args, seed: int) -> dict:
    from recurrent_zoo.dnc import DNC
    from recurrent_zoo.tasks import Curriculum, bit_errors, repeat_copy
    from recurrent_zoo.training import fit_generated

    top = args.max_lesson
    norm = (1, top)
    lessons = list(range(2, top + 1))
    model = DNC(args.bits + 2, args.bits + 1, controller_size=64, memory_slots=16, word_size=16,
                read_heads=4, seed=seed)  # fmt: skip

    def batch(k, rng, n=16):
        return repeat_copy(n, (1, k), (1, k), n_bits=args.bits, seed=rng, repeat_range=norm)

    def score(k, rng):
        data = batch(k, rng, 64)
        Y, _ = model.forward(data.inputs, lengths=data.lengths)
        return float(bit_errors(Y, data).mean())

    curriculum = Curriculum(lessons, batch, threshold=args.threshold, window=args.window,
                            score=score, review=args.review, seed=seed + 1)  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    history = fit_generated(model, curriculum, args.batches, lr=args.lr, clip_norm=50.0,
                            seed=seed, callback=_budget(args, curriculum.callback))  # fmt: skip
    cpu = time.process_time() - c0
    errors = {}
    for k in sorted({2, curriculum.lesson, top}):
        test = batch(k, np.random.default_rng(10_000 + k), 1000)
        Y, _ = model.forward(test.inputs, lengths=test.lengths)
        errors[f"1-{k} x 1-{k}"] = float(bit_errors(Y, test).mean())
    return {
        "experiment": "repeat_copy",
        "seed": seed,
        "batches": len(history["loss"]),
        "sequences": 16 * len(history["loss"]),
        "lesson_reached": f"1-{curriculum.lesson} x 1-{curriculum.lesson}",
        "level": curriculum.level,
        "advanced_at_sequences": [16 * a for a in curriculum.advanced_at],
        "completed_at_sequences": (
            None if curriculum.completed_at is None else 16 * curriculum.completed_at
        ),
        "bit_errors": errors,
        "bit_errors_defaults": errors["1-2 x 1-2"],
        "finite": _finite(model, history),
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "checks": curriculum.checks,
        "settings": {
            "lr": args.lr,
            "threshold": args.threshold,
            "window": args.window,
            "max_lesson": top,
            "bits": args.bits,
            "review": args.review,
        },
    }


def _grad_norms(model, data) -> tuple[float, float]:
    """The global gradient norm of one batch under this library's loss (the mean over the
    answer bits, what :func:`~recurrent_zoo.training.fit` clips) and under DeepMind's
    (``masked_sigmoid_cross_entropy``: summed over answer steps and bits, averaged over the
    batch), which is the first times ``O * mask.sum() / B``."""
    from recurrent_zoo.training.losses import BinaryCrossEntropy

    Y, _ = model.forward(data.inputs, lengths=data.lengths)
    _, dY = BinaryCrossEntropy()(Y, data.targets, data.mask, data.lengths)
    model.backward(dY)
    norm = float(np.sqrt(sum(float((g * g).sum()) for g in model.grads.values())))
    count = data.targets.shape[2] * float(data.mask.sum())
    return norm, norm * count / data.inputs.shape[1]


def _repeat_copy_curriculum(args, seed: int, model, batch) -> dict:
    """After the criterion: the curriculum of ``repeat_copy`` from lesson 1-3 x 1-3 on (a fresh
    Adam), ``--curriculum-batches`` batches; then the test sets at 1-2 x 1-2 and the lesson
    reached."""
    from recurrent_zoo.tasks import Curriculum, bit_errors
    from recurrent_zoo.training import fit_generated

    top = args.max_lesson

    def lesson_batch(k, rng, n=16):
        return batch(rng, n, k)

    def score(k, rng):
        data = lesson_batch(k, rng, 64)
        Y, _ = model.forward(data.inputs, lengths=data.lengths)
        return float(bit_errors(Y, data).mean())

    curriculum = Curriculum(list(range(2, top + 1)), lesson_batch, threshold=args.threshold,
                            window=args.window, score=score, review=args.review,
                            seed=seed + 1)  # fmt: skip
    curriculum.level = 1  # lesson 1-2 x 1-2 is passed: start at 1-3 x 1-3 (reviewing 1-2)
    c0 = time.process_time()
    history = fit_generated(model, curriculum, args.curriculum_batches, lr=args.lr,
                            clip_norm=50.0, seed=seed + 100,
                            callback=curriculum.callback)  # fmt: skip
    errors = {}
    for k in sorted({2, curriculum.lesson, top}):
        test = lesson_batch(k, np.random.default_rng(10_000 + k), 1000)
        Y, _ = model.forward(test.inputs, lengths=test.lengths)
        errors[f"1-{k} x 1-{k}"] = float(bit_errors(Y, test).mean())
    return {
        "batches": len(history["loss"]),
        "sequences": 16 * len(history["loss"]),
        "lesson_reached": f"1-{curriculum.lesson} x 1-{curriculum.lesson}",
        "advanced_at_sequences": [16 * a for a in curriculum.advanced_at],
        "bit_errors": errors,
        "finite": _finite(model, history),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "checks": curriculum.checks,
        "review": args.review,
    }


def repeat_copy_criterion_run(args, seed: int) -> dict:
    """DeepMind's training distribution alone (1-2 vectors x 1-2 repeats; their train.py has no
    curriculum), until the mean bit errors on a fixed validation set of ``--val`` sequences
    are <= ``--threshold`` (checked every ``--window`` batches) or ``--batches`` run out; then
    scored on 1000 held-out test sequences (the set ``repeat_copy`` scores on)."""
    from recurrent_zoo.dnc import DNC
    from recurrent_zoo.tasks import bit_errors, repeat_copy
    from recurrent_zoo.training import fit_generated

    norm = (1, args.max_lesson)
    model = DNC(args.bits + 2, args.bits + 1, controller_size=64, memory_slots=16, word_size=16,
                read_heads=4, seed=seed)  # fmt: skip

    def batch(rng, n=16, k=2):
        return repeat_copy(n, (1, k), (1, k), n_bits=args.bits, seed=rng, repeat_range=norm)

    val = batch(np.random.default_rng(40_000), args.val)
    probe = batch(np.random.default_rng(50_000))
    checks: list[tuple[int, float, float, float]] = []
    reached: list[int] = []

    def check(i, logs):
        if (i + 1) % args.window:
            return False
        Y, _ = model.forward(val.inputs, lengths=val.lengths)
        err = float(bit_errors(Y, val).mean())
        mean_norm, dm_norm = _grad_norms(model, probe)
        checks.append((i + 1, round(err, 4), round(mean_norm, 4), round(dm_norm, 3)))
        print(f"seed {seed} batch {i + 1}: validation bit errors {err:.3f}, grad norm "
              f"{mean_norm:.3f} (DeepMind's loss {dm_norm:.2f})", flush=True)  # fmt: skip
        if err <= args.threshold:
            reached.append(i + 1)
            return True
        return False

    t0, c0 = time.perf_counter(), time.process_time()
    history = fit_generated(model, batch, args.batches, lr=args.lr, clip_norm=50.0, seed=seed,
                            callback=_budget(args, check))  # fmt: skip
    cpu = time.process_time() - c0
    test = batch(np.random.default_rng(10_000 + 2), 1000)
    Y, _ = model.forward(test.inputs, lengths=test.lengths)
    errors = bit_errors(Y, test)
    after = None
    if args.curriculum_batches and reached:
        after = _repeat_copy_curriculum(args, seed, model, batch)
    return {
        "experiment": "repeat_copy_criterion",
        "curriculum_after_criterion": after,
        "seed": seed,
        "batches": len(history["loss"]),
        "sequences": 16 * len(history["loss"]),
        "criterion_met_at_sequences": 16 * reached[0] if reached else None,
        "validation_bit_errors": checks[-1][1] if checks else None,
        "bit_errors_defaults": float(errors.mean()),
        "sequences_all_correct": float((errors == 0).mean()),
        "finite": _finite(model, history),
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "checks (batches, validation bit errors, grad norm, DeepMind-loss grad norm)": checks,
        "settings": {
            "lr": args.lr,
            "threshold": args.threshold,
            "window": args.window,
            "validation_sequences": args.val,
            "repeat_normalisation_range": norm,
            "bits": args.bits,
            "clip_norm": 50.0,
            "optimizer": "adam",
        },
    }


# ----------------------------------------------------------------------------- copy with reuse
def reuse_run(args, seed: int) -> dict:
    from recurrent_zoo.dnc import DNC
    from recurrent_zoo.tasks import copy_reuse
    from recurrent_zoo.training import fit_generated

    bits, slots = 6, args.slots
    model = DNC(bits + 1, bits, controller=args.controller, controller_size=64,
                memory_slots=slots, word_size=16, read_heads=args.read_heads,
                seed=seed)  # fmt: skip
    if args.pin_free_gates:
        pin_free_gates(model)
    L = args.episode_length
    K = 2 * slots // L  # episodes writing 2 x the slots in all

    def batch(rng):
        return copy_reuse(16, (1, K), (1, L), n_bits=bits, seed=rng)

    t0, c0 = time.perf_counter(), time.process_time()
    history = fit_generated(model, batch, args.batches, lr=args.lr, clip_norm=50.0, seed=seed,
                            callback=_budget(args))  # fmt: skip
    cpu = time.process_time() - c0
    test = copy_reuse(500, K, L, n_bits=bits, seed=20_000)
    Y, _ = model.forward(test.inputs)
    wrong = ((Y > 0) != (test.targets > 0.5)).sum(axis=2) * test.mask  # (T, N)
    per_episode = []
    T_ep = 2 * L + 1
    for k in range(K):
        per_episode.append(1.0 - float(wrong[k * T_ep : (k + 1) * T_ep].sum())
                           / (bits * L * test.inputs.shape[1]))  # fmt: skip
    gates = _free_gates(model, test.inputs[:, :50])
    return {
        "experiment": "reuse"
        + ("_feedforward" if args.controller == "feedforward" else "")
        + ("_pinned" if args.pin_free_gates else ""),
        "seed": seed,
        "batches": len(history["loss"]),
        "sequences": 16 * len(history["loss"]),
        "memory_slots": slots,
        "test": f"{K} episodes x {L} vectors = {K * L} written",
        "bits_correct": 1.0 - float(wrong.sum()) / (bits * test.mask.sum()),
        "bits_correct_by_episode": per_episode,
        "free_gate_mean": float(gates.mean()),
        "free_gate_max": float(gates.max()),
        "finite": _finite(model, history),
        "final_loss": float(np.mean(history["loss"][-50:])),
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "settings": {
            "lr": args.lr,
            "read_heads": args.read_heads,
            "slots": slots,
            "episode_length": L,
            "pin_free_gates": args.pin_free_gates,
            "controller": args.controller,
        },  # fmt: skip
    }


# ----------------------------------------------------------------------------- graph traversal
#: the graph curriculum: (nodes, hops) per lesson, the last one the task's 5-8 nodes, 2-4 hops
GRAPH_LESSONS = [((5, 6), 1), ((5, 7), (1, 2)), ((5, 8), (1, 3)), ((5, 8), (2, 4))]
#: ``--lessons small``: two smaller first lessons (3-4 and 3-5 nodes, 1 hop) before those
GRAPH_LESSONS_SMALL = [((3, 4), 1), ((3, 5), 1), *GRAPH_LESSONS]


def graph_model(kind: str, seed: int, args=None):
    """The DNC (LSTM 64, 16 x 16 memory, 4 read heads: 48 463 parameters) or an LSTM of about
    the same size (96 units and a linear read-out: 46 856). ``args`` may change the DNC's
    controller (``--controller``), word size, read heads, and set ``--gate-biases``."""
    from recurrent_zoo import Linear, Stacked
    from recurrent_zoo.dnc import DNC
    from recurrent_zoo.lstm import LSTM

    I, O = 2 * 8 + 3 + 3, 8
    if kind == "dnc":
        controller = "lstm" if args is None else args.controller
        word_size = 16 if args is None else args.word_size
        heads = 4 if args is None else args.read_heads
        model = DNC(I, O, controller=controller, controller_size=64, memory_slots=16,
                    word_size=word_size, read_heads=heads, seed=seed)  # fmt: skip
        if args is not None and args.gate_biases:
            set_gate_biases(model)
        return model
    return Stacked([LSTM(I, 96, seed=seed), Linear(96, O, seed=seed + 1)])


def graph_run(args, seed: int) -> dict:
    from recurrent_zoo.tasks import Curriculum, graph_traversal, traversal_accuracy
    from recurrent_zoo.training import fit_generated

    model = graph_model(args.model, seed, args)
    lessons = GRAPH_LESSONS_SMALL if args.lessons == "small" else GRAPH_LESSONS

    def batch(lesson, rng, n=16, start=args.start):  # training and the curriculum's checks
        return graph_traversal(n, *lesson, n_ids=8, query=args.query, start=start, seed=rng)

    def accuracy(lesson, rng, n, start=args.start):
        data = batch(lesson, rng, n, start)
        Y, _ = model.forward(data.inputs, lengths=data.lengths)
        return traversal_accuracy(Y, data)

    curriculum = Curriculum(lessons, batch, threshold=1.0 - args.graph_threshold,
                            window=args.window,
                            score=lambda lesson, rng: 1.0 - accuracy(lesson, rng, 64),
                            review=args.review, seed=seed + 1)  # fmt: skip

    def progress(i, logs):
        n = len(curriculum.checks)
        stop = curriculum.callback(i, logs)
        if len(curriculum.checks) > n:
            print(f"seed {seed}: batch, lesson, 1 - accuracy = {curriculum.checks[-1]}", flush=True)
        return stop

    t0, c0 = time.perf_counter(), time.process_time()
    history = fit_generated(model, curriculum, args.batches, lr=args.lr, clip_norm=50.0,
                            seed=seed, callback=_budget(args, progress))  # fmt: skip
    cpu = time.process_time() - c0
    # does the model use the label? one-hop queries split by the start node's out-degree: with
    # one out-edge the start alone gives the answer, with two only the label tells them apart
    by_degree = {}
    for nodes in ((3, 4), (5, 6)):
        data = batch((nodes, 1), np.random.default_rng(31_000 + nodes[0]), 1000, "any")
        Y, _ = model.forward(data.inputs, lengths=data.lengths)
        wrong = ((Y.argmax(axis=2) != data.targets) & (data.mask > 0)).any(axis=0)
        degree = np.array([g.out_degree(p[0]) for g, p in
                           zip(data.info["graphs"], data.info["paths"], strict=True)])  # fmt: skip
        by_degree[f"{nodes[0]}-{nodes[1]} nodes, 1 hop"] = {
            f"out-degree {d}": [round(float(1.0 - wrong[degree == d].mean()), 3),
                                int((degree == d).sum())]
            for d in (1, 2) if (degree == d).any()
        }  # fmt: skip
    scores = {}
    for name, lesson in (("5-8 nodes, 2-4 hops", GRAPH_LESSONS[-1]), ("5-8 nodes, 2 hops",
                         ((5, 8), 2)), ("5-8 nodes, 4 hops", ((5, 8), 4)),
                         ("5-6 nodes, 1 hop", ((5, 6), 1)),
                         ("3-4 nodes, 1 hop", ((3, 4), 1))):  # fmt: skip
        # the test sets: queries from any node, whatever --start trained on
        scores[name] = accuracy(lesson, np.random.default_rng(30_000 + len(scores)), 1000, "any")
    return {
        "experiment": f"graph_{args.model}"
        + ("" if args.query == "upfront" else f"_{args.query}")
        + ("" if args.lessons == "paper" else f"_{args.lessons}_lessons")
        + ("" if args.start == "any" else f"_{args.start}_start")
        + ("_gate_biases" if args.gate_biases and args.model == "dnc" else "")
        + ("_feedforward" if args.controller == "feedforward" and args.model == "dnc" else ""),
        "seed": seed,
        "parameters": int(sum(p.size for p in model.params.values())),
        "batches": len(history["loss"]),
        "sequences": 16 * len(history["loss"]),
        "lesson_reached": curriculum.level,
        "advanced_at_sequences": [16 * a for a in curriculum.advanced_at],
        "queries_exact": scores,
        "one_hop_exact_by_start_out_degree (accuracy, queries)": by_degree,
        "finite": _finite(model, history),
        "final_loss": float(np.mean(history["loss"][-50:])),
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "checks": curriculum.checks,
        "settings": {
            "lr": args.lr,
            "window": args.window,
            "threshold": args.graph_threshold,
            "lessons": lessons,
            "review": args.review,
            "query": args.query,
            "start": args.start,
            **(
                {}
                if args.model == "lstm"
                else {
                    "controller": args.controller,
                    "word_size": args.word_size,
                    "read_heads": args.read_heads,
                    "gate_biases": args.gate_biases,
                }
            ),
        },
    }


# ----------------------------------------------------------------------------- report
def report(files: list[str]) -> None:
    rows = [json.loads(line) for path in files for line in open(path) if line.strip()]
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["experiment"], []).append(r)
    for name, runs in by.items():
        print(f"\n{name}: {len(runs)} runs")
        if name == "repeat_copy":
            for r in runs:
                print(
                    f"  seed {r['seed']}: {r['sequences']} sequences, lesson reached "
                    f"{r['lesson_reached']}, bit errors {r['bit_errors']}, advanced at "
                    f"{r['advanced_at_sequences']} sequences, CPU {r['cpu_seconds']} s"
                )
            med = np.median([r["bit_errors_defaults"] for r in runs])
            print(f"  median bit errors per sequence at 1-2 x 1-2: {med:.3f}")
        elif name == "repeat_copy_criterion":
            for r in runs:
                print(
                    f"  seed {r['seed']}: criterion (validation <= {r['settings']['threshold']})"
                    f" met at {r['criterion_met_at_sequences']} sequences ({r['sequences']} "
                    f"trained), test bit errors at 1-2 x 1-2 {r['bit_errors_defaults']:.3f} "
                    f"({r['sequences_all_correct']:.3f} of sequences all correct), CPU "
                    f"{r['cpu_seconds']} s"
                )
                after = r.get("curriculum_after_criterion")
                if after:
                    print(f"    then {after['sequences']} sequences of curriculum: lesson reached "
                          f"{after['lesson_reached']}, advanced at (sequences after the "
                          f"criterion) {after['advanced_at_sequences']}, bit errors "
                          f"{ {k: round(v, 3) for k, v in after['bit_errors'].items()} }, CPU "
                          f"{after['cpu_seconds']} s")  # fmt: skip
            med = np.median([r["bit_errors_defaults"] for r in runs])
            print(f"  median test bit errors per sequence at 1-2 x 1-2: {med:.3f}")
        elif name.startswith("reuse"):
            for r in runs:
                print(f"  seed {r['seed']}: {r['sequences']} sequences, {r['test']}, bits "
                      f"correct {r['bits_correct']:.4f} (by episode "
                      f"{[round(x, 3) for x in r['bits_correct_by_episode']]}), free gates mean "
                      f"{r['free_gate_mean']:.3f} max {r['free_gate_max']:.3f}, CPU "
                      f"{r['cpu_seconds']} s")  # fmt: skip
            print(f"  median bits correct: {np.median([r['bits_correct'] for r in runs]):.4f}")
        else:
            for r in runs:
                exact = {k: round(v, 3) for k, v in r["queries_exact"].items()}
                last = r["checks"][-1] if r["checks"] else None
                print(
                    f"  seed {r['seed']}: {r['parameters']} parameters, {r['sequences']} "
                    f"sequences, lesson reached {r['lesson_reached']} of "
                    f"{len(r['settings']['lessons'])} (last check: batch, lesson, 1 - accuracy "
                    f"= {last}), queries answered exactly {exact}, CPU {r['cpu_seconds']} s"
                )
        print(f"  all finite: {all(r['finite'] for r in runs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    experiments = ["repeat_copy", "repeat_copy_criterion", "reuse", "graph", "report"]
    parser.add_argument("experiment", choices=experiments)
    parser.add_argument("files", nargs="*")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--max-lesson", type=int, default=6)
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--review", type=float, default=0.2)
    parser.add_argument("--max-seconds", type=float, default=float("inf"))
    parser.add_argument("--val", type=int, default=500)
    parser.add_argument("--curriculum-batches", type=int, default=0)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--episode-length", type=int, default=4)
    parser.add_argument("--read-heads", type=int, default=4)
    parser.add_argument("--pin-free-gates", action="store_true")
    parser.add_argument("--gate-biases", action="store_true")
    parser.add_argument("--word-size", type=int, default=16)
    parser.add_argument("--controller", choices=["lstm", "feedforward"], default="lstm")
    parser.add_argument("--model", choices=["dnc", "lstm"], default="dnc")
    parser.add_argument("--graph-threshold", type=float, default=0.9)
    parser.add_argument("--query", choices=["upfront", "stepwise"], default="upfront")
    parser.add_argument("--lessons", choices=["paper", "small"], default="paper")
    parser.add_argument("--start", choices=["any", "branching"], default="any")
    parser.add_argument("--out", default="benchmarks/results/dnc_tasks.jsonl")
    args = parser.parse_args()
    if args.experiment == "report":
        report(args.files or [args.out])
        return
    commit = _git_commit()  # the code that runs: HEAD at the start, not when a seed ends
    run = {
        "repeat_copy": repeat_copy_run,
        "repeat_copy_criterion": repeat_copy_criterion_run,
        "reuse": reuse_run,
        "graph": graph_run,
    }
    for seed in args.seeds:
        start_load = _load()
        result = run[args.experiment](args, seed)
        budget = None if args.max_seconds == float("inf") else args.max_seconds
        result.update(commit=commit, load_start=start_load, load_end=_load(),
                      max_seconds=budget,
                      stopped_by_budget=result["batches"] < args.batches
                      and not result.get("criterion_met_at_sequences"),
                      command=" ".join(sys.argv))  # fmt: skip
        line = json.dumps(result)
        print(line, flush=True)
        with open(args.out, "a") as f:
            print(line, file=f)


if __name__ == "__main__":
    main()
