"""ListOps: an N-ary (binary) Tree-LSTM on the gold parse trees beside a flat LSTM on the tokens.

Nangia & Bowman (2018) built ListOps so that only a model that follows the expressions'
structure can solve it: with the gold parse a Tree-LSTM reaches 98.7% on their test set, a
sequential LSTM 71.5%. This script reproduces the comparison at a scale one CPU can afford and
adds the test they did not run: depth. Both models are trained on expressions of nesting depth
1 to 4 and tested on held-out expressions of depths 1-4 and, never seen in training, 6-8.

- Tree-LSTM: :class:`recurrent_zoo.nary_tree_lstm.NaryTreeLSTM` with ``arity=2`` on the gold
  binary parse (left-branching inside each list, every token a leaf with its one-hot code,
  internal nodes without features), a linear readout; level-batched over minibatches of trees.
- LSTM: :class:`recurrent_zoo.lstm.LSTM` over the same tokens, one-hot, the readout at each
  sequence's last token.

Same hidden size, training examples, epochs, minibatch size, optimizer (Adam) and learning
rate for both. ``--supervision roots`` trains on the value of each whole expression only, as
Nangia & Bowman; ``--supervision lists`` also on the value of every complete sub-list and every
digit (``node_targets`` of :func:`recurrent_zoo.tasks.trees.listops`; the LSTM then gets the
value of every completed list at the step of its closing bracket, the same supervision read
off the same tokens); ``--supervision prefixes`` (the default) also on the value of every
partial list, the operator applied to the arguments so far (``listops(..., prefixes=True)``;
the LSTM gets it at the step of every digit argument, see
:func:`~recurrent_zoo.tasks.trees.listops_step_targets`). Partial lists are the nodes at which
the binary parse accumulates a list left to right: supervising them teaches SM (sum modulo 10)
and MED far sooner than the lists' ends alone (measured on depth-1 expressions, 8000 of them,
hidden 64: SM 0.82 against 0.33 held out after 6 epochs). The model of the best validation
epoch is kept. Results, by depth, go to a JSON file beside this script's recorded output in
``benchmarks/results/`` (the gallery's ListOps example plots them when present); with
``--save PREFIX`` the best models also go to safetensors files (``PREFIX.tree.safetensors`` and
``PREFIX.readout.safetensors``, or ``PREFIX.lstm.safetensors``), to be loaded with ``load``.

Usage (the full protocol: 20 000 training expressions, 30 epochs, 1000 validation, 2000 + 1000
test expressions; estimated from the CPU time of the recorded 10 000 x 20 runs, about 20 minutes
of one idle core for the Tree-LSTM and 10 for the LSTM, hours on a crowded machine)::

    python benchmarks/listops_tree_lstm.py --model tree --supervision prefixes
    python benchmarks/listops_tree_lstm.py --model lstm --supervision prefixes

The runs recorded in ``benchmarks/results/`` are reduced ones, each file headed by its command
(``--train``, ``--epochs``, ``--valid`` and ``--test`` cut to what a shared machine finished
in the time at hand): their numbers are not the full protocol's.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def accuracy_by_depth(pred: np.ndarray, data) -> dict[str, float]:
    """Accuracy at each depth, by the outermost operator (``[MAX`` ...) and over all."""
    depth = data.info["depth"]
    ok = pred == data.targets
    out = {str(int(d)): float(np.mean(ok[depth == d])) for d in np.unique(depth)}
    op = np.array([s.split()[0] for s in data.info["source"]])
    out.update({o: float(np.mean(ok[op == o])) for o in sorted(set(op))})
    out["all"] = float(np.mean(ok))
    return out


def tree_model(args, train, valid, tests, log):
    from recurrent_zoo import Linear
    from recurrent_zoo.nary_tree_lstm import NaryTreeLSTM
    from recurrent_zoo.training.structure import evaluate_forest, fit_forest, predict_forest

    dtype = np.float32 if args.float32 else np.float64
    model = NaryTreeLSTM(15, args.hidden, arity=2, seed=args.seed, dtype=dtype)
    readout = Linear(args.hidden, 10, seed=args.seed + 1, dtype=dtype)
    best = {"acc": -1.0}
    curve = []

    def snapshot(epoch, history):
        acc = evaluate_forest(model, readout, valid.forest(), valid.targets)["accuracy"]
        curve.append({"epoch": epoch + 1, "loss": history["loss"][-1], "valid": acc})
        log(f"tree epoch {epoch + 1}: loss {history['loss'][-1]:.4f} valid {acc:.4f}")
        if acc > best["acc"]:
            best.update(acc=acc, epoch=epoch + 1)
            best["params"] = {k: v.copy() for k, v in model.params.items()}
            best["readout"] = {k: v.copy() for k, v in readout.params.items()}
        return acc >= 1.0

    if args.supervision in ("lists", "prefixes"):
        targets, mask, on = train.node_targets, train.node_mask, "nodes"
    else:
        targets, mask, on = train.targets, None, "roots"
    fit_forest(
        model,
        readout,
        train.forest(),
        targets,
        on=on,
        mask=mask,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        clip_norm=5.0,
        seed=args.seed,
        callback=snapshot,
    )
    for k, v in best["params"].items():
        model.params[k][...] = v
    for k, v in best["readout"].items():
        readout.params[k][...] = v
    if args.save is not None:
        model.save(args.save.with_name(args.save.name + ".tree.safetensors"))
        readout.save(args.save.with_name(args.save.name + ".readout.safetensors"))
    results = {}
    for name, data in tests.items():
        forest = data.forest()
        pred = predict_forest(model, readout, forest)[forest.roots()].argmax(axis=1)
        results[name] = accuracy_by_depth(pred, data)
    return results, curve, best["epoch"]


def lstm_model(args, train, valid, tests, log):
    from recurrent_zoo import Linear, Stacked
    from recurrent_zoo.lstm import LSTM
    from recurrent_zoo.tasks.trees import listops_step_targets, token_sequences
    from recurrent_zoo.training import Adam, clip_grad_norm, get_loss, predict

    dtype = np.float32 if args.float32 else np.float64
    model = Stacked(
        [
            LSTM(15, args.hidden, seed=args.seed, dtype=dtype),
            Linear(args.hidden, 10, seed=args.seed + 1, dtype=dtype),
        ]
    )
    X, lengths = token_sequences(train.info["tokens"])
    if args.supervision in ("lists", "prefixes"):
        Y, mask = listops_step_targets(
            train.info["tokens"], prefixes=args.supervision == "prefixes"
        )
    else:  # the value at each sequence's last token only
        Y = np.zeros((X.shape[0], len(train)), dtype=np.int64)
        mask = np.zeros(Y.shape)
        Y[lengths - 1, np.arange(len(train))] = train.targets
        mask[lengths - 1, np.arange(len(train))] = 1.0
    X = X.astype(dtype)

    def predict_last(data):
        Xd, ld = token_sequences(data.info["tokens"])
        out = predict(model, Xd.astype(dtype), lengths=ld)  # (T, B, 10)
        return out[ld - 1, np.arange(len(ld))].argmax(axis=1)

    loss_fn = get_loss("cross_entropy")
    opt = Adam(model.params, lr=args.lr)
    rng = np.random.default_rng(args.seed)
    best = {"acc": -1.0}
    curve = []
    # the same number and size of minibatches as the tree's; each batch cut to its own longest
    # sequence (padding past it would only cost time)
    for epoch in range(args.epochs):
        order = rng.permutation(len(train))
        total, count = 0.0, 0
        for b0 in range(0, len(order), args.batch_size):
            idx = order[b0 : b0 + args.batch_size]
            T = int(lengths[idx].max())
            out, _ = model.forward(X[:T, idx], lengths=lengths[idx])
            value, dY = loss_fn(out, Y[:T, idx], mask[:T, idx])
            model.backward(dY)
            clip_grad_norm(model.grads, 5.0)
            opt.step(model.grads)
            total += value
            count += 1
        acc = float(np.mean(predict_last(valid) == valid.targets))
        curve.append({"epoch": epoch + 1, "loss": total / count, "valid": acc})
        log(f"lstm epoch {epoch + 1}: loss {total / count:.4f} valid {acc:.4f}")
        if acc > best["acc"]:
            best.update(acc=acc, epoch=epoch + 1)
            best["params"] = {k: v.copy() for k, v in model.params.items()}
    for k, v in best["params"].items():
        model.params[k][...] = v
    if args.save is not None:
        model.save(args.save.with_name(args.save.name + ".lstm.safetensors"))
    results = {name: accuracy_by_depth(predict_last(data), data) for name, data in tests.items()}
    return results, curve, best["epoch"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("tree", "lstm"), required=True)
    parser.add_argument("--supervision", choices=("roots", "lists", "prefixes"), default="prefixes")
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--valid", type=int, default=1000, help="validation expressions")
    parser.add_argument(
        "--test", type=int, default=2000, help="test expressions of depth 1-4 (half as many 6-8)"
    )
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--save",
        type=Path,
        default=None,
        help="save the best model as PREFIX.tree.safetensors (+ .readout) or PREFIX.lstm...",
    )
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from recurrent_zoo.tasks.trees import listops

    out = args.out or RESULTS / f"listops_tree_lstm_{args.model}_{args.supervision}.json"
    start = time.time()

    def log(msg):
        print(f"[{time.time() - start:7.0f} s, load {os.getloadavg()[0]:.1f}] {msg}", flush=True)

    log(f"settings: {vars(args)}")
    prefixes = args.supervision == "prefixes"
    train = listops(args.train, min_depth=1, max_depth=4, prefixes=prefixes, seed=args.seed)
    valid = listops(args.valid, min_depth=1, max_depth=4, seed=args.seed + 1)
    tests = {
        "depth 1-4": listops(args.test, min_depth=1, max_depth=4, seed=args.seed + 2),
        "depth 6-8": listops(args.test // 2, min_depth=6, max_depth=8, seed=args.seed + 3),
    }
    log("data ready")
    run = tree_model if args.model == "tree" else lstm_model
    results, curve, best_epoch = run(args, train, valid, tests, log)
    for name, res in results.items():
        log(f"test {name}: " + ", ".join(f"{k}: {v:.4f}" for k, v in res.items()))
    record = {
        "model": args.model,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "best_epoch": best_epoch,
        "curve": curve,
        "test": results,
        "seconds": time.time() - start,
        "load_average_end": os.getloadavg(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
