"""Why does the DNC ignore the edge label in graph traversal? Short probes on the first lesson.

Each probe trains one model for ``--batches`` batches of 16 on the graph curriculum's first
lesson alone (3-4 nodes, 1 hop, ``query="stepwise"``: the start node and the edge label on the
step that answers), then scores 1000 held-out one-hop queries split by the start's out-degree
(one out-edge: the start alone gives the answer; two: only the label separates them, chance
0.5). For a DNC it also asks whether the label reaches memory and the read key: a linear
(least-squares, one-vs-rest) read-out is fitted on the write vectors of 500 sequences' triple
steps (and on the first read key of their query steps) and scored on 500 more, for the label
and, for comparison, the source and destination.

Usage::

    python benchmarks/dnc_graph_probes.py --probe base lr1e-3 lr1e-2 word32 heads8 ...

The probes (one process, one after another; each prints a JSON line and appends it to
``--out``): ``base`` (the setting of dnc_tasks.py graph: LSTM 64, 16 x 16 memory, 4 read heads,
Adam 3e-3), ``lr1e-3``, ``lr1e-2``, ``word32`` (32-number words), ``heads8``,
``ctrl128`` (128 controller units), ``ff`` (a feedforward controller of 64), ``blank2`` (the
query on its own step, two blank steps, then the answer step with only the answer flag),
``lstm`` (the LSTM of 96 units of dnc_tasks.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

LESSON = ((3, 4), 1)
N_IDS, N_LABELS = 8, 3
I = 2 * N_IDS + N_LABELS + 3

PROBES = {
    "base": {},
    "lr1e-3": {"lr": 1e-3},
    "lr1e-2": {"lr": 1e-2},
    "word32": {"word_size": 32},
    "heads8": {"read_heads": 8},
    "ctrl128": {"controller_size": 128},
    "ff": {"controller": "feedforward"},
    "blank2": {"blank": 2},
    "lstm": {"model": "lstm"},
    "gates": {"gates": True},
    "gates_ff": {"gates": True, "controller": "feedforward"},
    "gates_lr1e-3": {"gates": True, "lr": 1e-3},
    "gates_blank2": {"gates": True, "blank": 2},
}

#: ``gates``: interface biases set so that the memory is used from the first batch (sigmoid(3)
#: = 0.95, oneplus(3) = 4.05): every step writes wholly to a free slot (allocation and write
#: gates), and the read heads read by content (read modes) with sharper weightings (strengths)
GATE_BIASES = {"allocation_gate": 3.0, "write_gate": 3.0, "read_strengths": 3.0}


def set_gate_biases(model) -> None:
    from recurrent_zoo._core.dnc_memory import interface_layout

    layout = interface_layout(model.read_heads, model.word_size)
    bias = model.params["interface_bias"]
    for name, value in GATE_BIASES.items():
        bias[layout[name][0]] = value
    modes = bias[layout["read_modes"][0]].reshape(model.read_heads, 3)  # (backward, content, fwd)
    modes[:, 1] = 3.0
    bias[layout["read_modes"][0]] = modes.ravel()


def _commit() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=here, check=False)  # fmt: skip
    return out.stdout.strip()


def with_blanks(data, k: int):
    """Each answer step of a one-hop stepwise query split in three: the query (start, label and
    their flags) on one step, ``k`` blank steps, then the answer flag alone, where the loss is."""
    from recurrent_zoo.tasks.base import SequenceDataset

    T, B, _ = data.inputs.shape
    lengths = data.lengths if data.lengths is not None else np.full(B, T)
    X = np.zeros((T + k + 1, B, I))
    targets = np.zeros((T + k + 1, B), dtype=np.int64)
    mask = np.zeros((T + k + 1, B))
    for b in range(B):
        t = int(np.flatnonzero(data.mask[:, b])[0])  # the one answer step (1 hop)
        assert t == lengths[b] - 1
        X[: t + 1, b] = data.inputs[: t + 1, b]
        X[t, b, -1] = 0.0  # the answer flag moves to the answer step
        X[t + k + 1, b, -1] = 1.0
        targets[t + k + 1, b] = data.targets[t, b]
        mask[t + k + 1, b] = 1.0
    new_lengths = lengths + k + 1
    return SequenceDataset(inputs=X, targets=targets, mask=mask, loss="cross_entropy",
                           output_size=N_IDS, lengths=new_lengths, info=data.info,
                           per_sequence=("graphs", "paths", "hops", "edges"),
                           name="graph_traversal")  # fmt: skip


def make_model(cfg: dict, seed: int):
    from recurrent_zoo import Linear, Stacked
    from recurrent_zoo.dnc import DNC
    from recurrent_zoo.lstm import LSTM

    if cfg.get("model") == "lstm":
        return Stacked([LSTM(I, 96, seed=seed), Linear(96, N_IDS, seed=seed + 1)])
    model = DNC(I, N_IDS, controller=cfg.get("controller", "lstm"),
               controller_size=cfg.get("controller_size", 64), memory_slots=16,
               word_size=cfg.get("word_size", 16), read_heads=cfg.get("read_heads", 4),
               seed=seed)  # fmt: skip
    if cfg.get("gates"):
        set_gate_biases(model)
    return model


def batch(cfg: dict, rng, n: int = 16, start: str = "any"):
    from recurrent_zoo.tasks import graph_traversal

    data = graph_traversal(n, *LESSON, n_ids=N_IDS, query="stepwise", start=start, seed=rng)
    return with_blanks(data, cfg["blank"]) if cfg.get("blank") else data


def split_accuracy(model, cfg: dict, seed: int = 31_003, n: int = 1000) -> dict:
    data = batch(cfg, np.random.default_rng(seed), n)
    Y, _ = model.forward(data.inputs, lengths=data.lengths)
    wrong = ((Y.argmax(axis=2) != data.targets) & (data.mask > 0)).any(axis=0)
    degree = np.array([g.out_degree(p[0]) for g, p in
                       zip(data.info["graphs"], data.info["paths"], strict=True)])  # fmt: skip
    out = {"all": round(float(1 - wrong.mean()), 3)}
    for d in (1, 2):
        out[f"out-degree {d}"] = [round(float(1 - wrong[degree == d].mean()), 3),
                                  int((degree == d).sum())]  # fmt: skip
    return out


def _linear_decode(Xtr, ytr, Xte, yte, classes: int) -> float:
    """One-vs-rest least squares (with a bias), scored by the arg-max on held-out rows."""
    A = np.c_[Xtr, np.ones(len(Xtr))]
    W, *_ = np.linalg.lstsq(A, np.eye(classes)[ytr], rcond=None)
    pred = (np.c_[Xte, np.ones(len(Xte))] @ W).argmax(axis=1)
    return round(float((pred == yte).mean()), 3)


def write_probe(model, cfg: dict) -> dict:
    """Can the label (and source, destination) be read linearly off the written words, and off
    the read keys at the query step?"""
    from recurrent_zoo.dnc import DNC

    if not isinstance(model, DNC):
        return {}
    feats: dict[str, list] = {"word": [], "key": []}
    labels: dict[str, list] = {"word": [], "key": []}
    for seed in (41_000, 42_000):  # fit, then score
        data = batch(cfg, np.random.default_rng(seed), 500)
        model.forward(data.inputs, lengths=data.lengths)
        caches = model._cache[15]  # per step: (xi, ...)
        words, keys, ylab, klab = [], [], [], []
        for b in range(data.inputs.shape[1]):
            E = int(data.info["edges"][b])
            for t in range(E):  # the triple steps
                x = data.inputs[t, b]
                words.append(caches[t][0]["write_vector"][b, 0])
                ylab.append([x[:N_IDS].argmax(), x[N_IDS : N_IDS + N_LABELS].argmax(),
                             x[N_IDS + N_LABELS : 2 * N_IDS + N_LABELS].argmax()])  # fmt: skip
            x = data.inputs[E, b]  # the query step
            keys.append(caches[E][0]["read_keys"][b].ravel())
            klab.append([x[:N_IDS].argmax(), x[N_IDS : N_IDS + N_LABELS].argmax()])
        feats["word"].append(np.array(words))
        labels["word"].append(np.array(ylab))
        feats["key"].append(np.array(keys))
        labels["key"].append(np.array(klab))
    out = {}
    for what, names in (("word", ("source", "label", "destination")), ("key", ("source", "label"))):
        (Xtr, Xte), (ytr, yte) = feats[what], labels[what]
        for j, name in enumerate(names):
            classes = N_LABELS if name == "label" else N_IDS
            out[f"{what}: {name}"] = _linear_decode(Xtr, ytr[:, j], Xte, yte[:, j], classes)
    return out


def attention_probe(model, cfg: dict) -> dict:
    """Where the answer step's reads go, on 300 one-hop queries from a start with two
    out-edges: the mean write gate on triple and query steps; the read mass (summed over
    heads, then averaged over queries) on the right triple's slot, on the sibling triple's (same
    source, other label), on other triples' and on the slot written at the query step itself."""
    from recurrent_zoo.dnc import DNC

    if not isinstance(model, DNC):
        return {}
    data = batch(cfg, np.random.default_rng(43_000), 300, start="branching")
    model.forward(data.inputs, lengths=data.lengths)
    WR, WW, caches = model._cache[8], model._cache[9], model._cache[15]
    gate = {"triple steps": [], "query step": []}
    mass = {"right": [], "sibling": [], "other triples": [], "query's own write": []}
    for b in range(data.inputs.shape[1]):
        E = int(data.info["edges"][b])
        t_ans = int(np.flatnonzero(data.mask[:, b])[0])
        gate["triple steps"] += [float(caches[t][0]["write_gate"][b]) for t in range(E)]
        gate["query step"] += [float(caches[t][0]["write_gate"][b]) for t in range(E, t_ans + 1)]
        slot = [int(WW[t + 1, b].argmax()) for t in range(t_ans + 1)]
        start, label = data.info["paths"][b][0], None
        x = data.inputs[:, b]
        q = E  # the query step
        label = int(x[q, N_IDS : N_IDS + N_LABELS].argmax())
        read = WR[t_ans + 1, b].sum(axis=0)  # (N,) summed over heads
        right = sibling = None
        for t in range(E):
            if x[t, :N_IDS].argmax() == start:
                if x[t, N_IDS : N_IDS + N_LABELS].argmax() == label:
                    right = t
                else:
                    sibling = t
        if right is None or sibling is None:
            continue
        others = [slot[t] for t in range(E) if t not in (right, sibling)]
        mass["right"].append(read[slot[right]])
        mass["sibling"].append(read[slot[sibling]])
        mass["other triples"].append(read[others].sum() if others else 0.0)
        mass["query's own write"].append(read[slot[q]] if slot[q] not in slot[:E] else np.nan)
    out = {f"write gate, {k}": round(float(np.mean(v)), 3) for k, v in gate.items()}
    out.update({f"read mass, {k}": round(float(np.nanmean(v)), 3) for k, v in mass.items()})
    return out


def run(name: str, args) -> dict:
    from recurrent_zoo.training import fit_generated

    cfg = dict(PROBES[name])
    lr = cfg.get("lr", 3e-3)
    model = make_model(cfg, args.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    checks = []

    def callback(i, logs):
        if (i + 1) % args.window == 0:
            checks.append([i + 1, split_accuracy(model, cfg, seed=50_000 + i, n=256)])
            print(name, checks[-1], flush=True)
        return time.process_time() - c0 > args.max_cpu

    history = fit_generated(model, lambda rng: batch(cfg, rng), args.batches, lr=lr,
                            clip_norm=50.0, seed=args.seed, callback=callback)  # fmt: skip
    if args.save:
        model.save(f"{args.save}/dnc_probe_{name}_seed{args.seed}.safetensors")
    return {
        "probe": name,
        "settings": {"lesson": LESSON, "query": "stepwise", "lr": lr, **cfg},
        "seed": args.seed,
        "parameters": int(sum(p.size for p in model.params.values())),
        "batches": len(history["loss"]),
        "final_loss": round(float(np.mean(history["loss"][-50:])), 4),
        "exact_by_start_out_degree": split_accuracy(model, cfg),
        "linear_read_out": write_probe(model, cfg),
        "attention": attention_probe(model, cfg),
        "checks": checks,
        "cpu_seconds": round(time.process_time() - c0, 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probe", nargs="+", choices=sorted(PROBES), default=["base"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batches", type=int, default=1000)
    parser.add_argument("--window", type=int, default=250)
    parser.add_argument("--max-cpu", type=float, default=float("inf"))
    parser.add_argument("--save", default=None, help="a folder to save each trained model in")
    parser.add_argument("--out", default="benchmarks/results/dnc_graph_probes.jsonl")
    args = parser.parse_args()
    commit = _commit()
    for name in args.probe:
        load = list(os.getloadavg())
        result = run(name, args)
        result.update(commit=commit, load_start=load, load_end=list(os.getloadavg()),
                      command=" ".join(sys.argv))  # fmt: skip
        line = json.dumps(result)
        print(line, flush=True)
        with open(args.out, "a") as f:
            print(line, file=f)


if __name__ == "__main__":
    main()
