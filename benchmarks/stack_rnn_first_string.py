"""Stack RNN (Joulin & Mikolov's recipe): which test strings a trained model gets wrong.

Trains the seeds given with :func:`recurrent_zoo.stack_rnn.joulin_run` (``keep_models``)
and replays the test stream through each kept model (the library's :class:`StackRNN` and
its softmax readout) twice:

- ``as tested``: exactly the test of ``joulin_run`` and of their ``train_toy.cpp`` -- the
  stacks emptied once, a first step on the input ``I - 1`` (the last symbol), then the
  strings of ``n = 2, 3, ...`` in one stream. The first step's push is kept: the line that
  would empty the stacks after it is commented out in their test loop;
- ``emptied after the first step``: the same stream, the stacks emptied again after that
  first step -- what their training does at the start of every epoch (``ip == 0 && iseq ==
  0``), so the only start state training ever shows.

For each it prints the accuracy (percent of the tested ``n`` with every scored string
right, unrounded), the per-``n`` scores of the failing ``n``, and which steps of the test
stream's first string are wrong (counted from the stream's first step; only the steps after
the first b, and the next string's first, are scored). The ``as tested`` accuracy must equal
``joulin_run``'s (the script stops otherwise): the replay is the test. One JSON line per seed
goes to
``benchmarks/results/stack_rnn_first_string.jsonl``.

Usage (one BLAS thread; the seeds train side by side, ~45 min for 8 seeds at 500 strings
an epoch at load 3)::

    python benchmarks/stack_rnn_first_string.py anbncn --seeds 2 4 5 7 9 10 14 16 \\
        --strings-per-epoch 500
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from recurrent_zoo.stack_rnn import (  # noqa: E402
    JOULIN_TASKS,
    _joulin_scores,
    joulin_run,
    joulin_string,
)

RESULTS = Path(__file__).parent / "results" / "stack_rnn_first_string.jsonl"


def test_stream(task: str, test_strings: int, test_max: int) -> list[np.ndarray]:
    """The strings of ``joulin_run``'s test, in order (drawn from seed 10, as theirs)."""
    rng = np.random.default_rng(10)
    return [
        joulin_string(task, n, n + 1, rng) for n in range(2, test_max) for _ in range(test_strings)
    ]


def replay(model, strings: list[np.ndarray], n_symbols: int, empty_after_first: bool):
    """Whether the model's most likely symbol is the observed one at each step ``(T,)``."""
    stream = np.concatenate(strings)
    inputs = np.concatenate([[n_symbols - 1], stream[:-1]])  # their first input: I - 1
    X = np.eye(n_symbols)[inputs][:, None, :]  # (T, 1, I)
    core, readout = model.models
    if empty_after_first:
        Y0, (h, S) = core.forward(X[:1])
        S = np.full_like(S, -1.0)  # every element empty, as StackRNN.initial_state
        Y1, _ = core.forward(X[1:], (h, S))
        Y = np.concatenate([Y0, Y1])
    else:
        Y, _ = core.forward(X)
    Z, _ = readout.forward(Y)  # (T, 1, I) logits
    return Z[:, 0].argmax(axis=1) == stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(JOULIN_TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--strings-per-epoch", type=int, default=500)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--validation-strings", type=int, default=100)
    parser.add_argument("--test-strings", type=int, default=5)
    args = parser.parse_args()
    settings = {
        "recipe": "joulin",
        "rounding": False,
        "strings_per_epoch": args.strings_per_epoch,
        "max_epochs": args.max_epochs,
        "validation_strings": args.validation_strings,
        "test_strings": args.test_strings,
    }
    start = time.perf_counter()
    runs = joulin_run(
        args.task,
        args.seeds,
        rounding=False,
        strings_per_epoch=args.strings_per_epoch,
        max_epochs=args.max_epochs,
        validation_strings=args.validation_strings,
        test_strings=args.test_strings,
        keep_models=True,
    )
    seconds = time.perf_counter() - start
    n_symbols, _, trigger = JOULIN_TASKS[args.task]
    strings = test_stream(args.task, args.test_strings, 60)
    first_len = len(strings[0])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    for r in runs:
        record = {
            "task": args.task,
            "seed": r["seed"],
            "settings": settings,
            "validation_loss": r["validation_loss"],
            "epochs": r["epochs"],
        }
        for label, empty in (("as_tested", False), ("emptied_after_first_step", True)):
            right = replay(r["model"], strings, n_symbols, empty)
            per_n = _joulin_scores(strings, right[None], args.test_strings, trigger)[0]
            accuracy = 100.0 * float(np.mean(per_n == 1.0))
            if not empty and accuracy != r["accuracy"]:
                raise SystemExit(f"seed {r['seed']}: replay {accuracy} != test {r['accuracy']}")
            record[label] = {
                "accuracy": accuracy,
                "failing_n": {
                    str(n): round(float(s), 4)
                    for n, s in zip(range(2, 60), per_n, strict=True)
                    if s < 1.0
                },
                "wrong_steps_of_first_string": np.flatnonzero(~right[:first_len]).tolist(),
            }
        record.update(
            seconds=seconds,
            batch=args.seeds,
            load=[round(x, 2) for x in os.getloadavg()],
            date=time.strftime("%Y-%m-%d %H:%M"),
            commit=commit,
        )
        print(json.dumps(record), flush=True)
        with RESULTS.open("a") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
