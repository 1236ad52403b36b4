"""Stack RNN (Joulin & Mikolov's recipe): which test strings a trained model gets wrong.

Trains the seeds given with :func:`recurrent_zoo.stack_rnn.joulin_run` (``keep_models``;
with ``--empty-each-block``, ``empty_each_block=True``) and replays the test stream through
each kept model (the library's :class:`StackRNN` and its softmax readout) three ways:

- ``as_tested_final_code``: the test of ``joulin_run`` and of their final ``train_toy.cpp``
  -- the stacks emptied once, a first step on the input ``I - 1`` (the last symbol), then
  the strings of ``n = 2, 3, ...`` in one stream. The first step's push stays: the line
  that would empty the stacks after it is commented out in their test loop from commit
  a3fd762 (May 2015) on;
- ``emptied_after_first_step``: the stacks emptied again after that first step only --
  the start of every training epoch (their ``ip == 0 && iseq == 0``);
- ``each_block_emptied_april_2015``: emptied again after the first step of each ``n``'s
  block, as their test did up to 460be1c (April 2015, "change script to match paper"):
  ``joulin_run(empty_each_block=True)``'s test.

For each it records the accuracy (percent of the tested ``n`` with every scored string
right, unrounded), the per-``n`` scores of the failing ``n``, and which steps of the test
stream's first string are wrong (counted from the stream's first step; only the steps after
the first b, and the next string's first, are scored). The replay of the way the model was
tested must give ``joulin_run``'s accuracy (the script stops otherwise). One JSON line per
seed goes to ``benchmarks/results/stack_rnn_first_string.jsonl``; with ``--record`` the
run's usual record goes to ``pushdown_reference.jsonl`` too.

Usage (one BLAS thread; the seeds train side by side, ~45 min for 8 seeds at 500 strings
an epoch at load 3)::

    python benchmarks/stack_rnn_first_string.py anbncn --seeds 2 4 5 7 9 10 14 16 \\
        --strings-per-epoch 500
    python benchmarks/stack_rnn_first_string.py anbncn --seeds 1 2 3 4 5 6 7 8 9 10 11 12 \\
        13 14 15 16 --strings-per-epoch 500 --empty-each-block --record
    python benchmarks/stack_rnn_first_string.py anbncn --seeds 1 2 3 4 5 6 7 8 \\
        --strings-per-epoch 500 --reset-every 50 --record
"""

from __future__ import annotations

import argparse
import importlib.util
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
    _joulin_test_strings,
    joulin_run,
)

RESULTS = Path(__file__).parent / "results" / "stack_rnn_first_string.jsonl"
_spec = importlib.util.spec_from_file_location(
    "pushdown_reference", Path(__file__).parent / "pushdown_reference.py"
)
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def replay(model, strings: list[np.ndarray], n_symbols: int, empty_after) -> np.ndarray:
    """Whether the model's most likely symbol is the observed one at each step ``(T,)``.

    The stacks start empty and are emptied again right after each step in ``empty_after``.
    """
    stream = np.concatenate(strings)
    inputs = np.concatenate([[n_symbols - 1], stream[:-1]])  # their first input: I - 1
    X = np.eye(n_symbols)[inputs][:, None, :]  # (T, 1, I)
    core, readout = model.models
    cuts = [0, *(int(t) + 1 for t in empty_after), len(stream)]
    state, Y = None, []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if a > 0:  # every element empty, as StackRNN.initial_state
            state = (state[0], np.full_like(state[1], -1.0))
        y, state = core.forward(X[a:b], state)
        Y.append(y)
    Z, _ = readout.forward(np.concatenate(Y))  # (T, 1, I) logits
    return Z[:, 0].argmax(axis=1) == stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(JOULIN_TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--strings-per-epoch", type=int, default=500)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--validation-strings", type=int, default=100)
    parser.add_argument("--test-strings", type=int, default=5)
    parser.add_argument(
        "--empty-each-block",
        action="store_true",
        help="train and test with joulin_run(empty_each_block=True), their April 2015 code",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="also append each run to pushdown_reference.jsonl, as pushdown_reference.py does",
    )
    parser.add_argument(
        "--reset-every",
        type=int,
        default=None,
        help="train with joulin_run(reset_every=N): the stacks emptied before every N-th "
        "training string (their -nreset; default: joulin_run's 1000)",
    )
    args = parser.parse_args()
    settings = {
        "recipe": "joulin",
        "rounding": False,
        "strings_per_epoch": args.strings_per_epoch,
        "max_epochs": args.max_epochs,
        "validation_strings": args.validation_strings,
        "test_strings": args.test_strings,
    }
    if args.empty_each_block:
        settings["empty_each_block"] = True
    if args.reset_every is not None:
        settings["reset_every"] = args.reset_every
    start = time.perf_counter()
    kwargs = {k: v for k, v in settings.items() if k != "recipe"}  # joulin_run's keywords
    runs = joulin_run(args.task, args.seeds, keep_models=True, **kwargs)
    seconds = time.perf_counter() - start
    n_symbols, _, trigger = JOULIN_TASKS[args.task]
    strings = _joulin_test_strings(args.task, args.test_strings, 60)
    first_len = len(strings[0])
    starts = np.concatenate([[0], np.cumsum([len(x) for x in strings])[:-1]])
    modes = {  # the steps after which the stacks are emptied again
        "as_tested_final_code": [],
        "emptied_after_first_step": [0],
        "each_block_emptied_april_2015": starts[:: args.test_strings].tolist(),
    }
    tested = "each_block_emptied_april_2015" if args.empty_each_block else "as_tested_final_code"
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
        for label, empty_after in modes.items():
            right = replay(r["model"], strings, n_symbols, empty_after)
            per_n = _joulin_scores(strings, right[None], args.test_strings, trigger)[0]
            accuracy = 100.0 * float(np.mean(per_n == 1.0))
            if label == tested and accuracy != r["accuracy"]:
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
        if args.record:
            r.pop("model")
            reference._append({"experiment": "stack_rnn", "settings": settings, **r})


if __name__ == "__main__":
    main()
