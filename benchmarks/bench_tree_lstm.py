"""Child-Sum Tree-LSTM, forward + backward over a forest: level-batched against node by node.

A forest of 256 random trees of 20 to 60 nodes (each node attached to a uniformly chosen
earlier node, a random recursive tree), node features of 300 numbers (the GloVe vectors of
Tai et al. and ``treelstm.pytorch``), a Child-Sum Tree-LSTM with 128 hidden units, float32. One
forward pass computes every node's state and one backward pass takes a fixed random gradient on
every node's ``h`` back to the parameters and the node features. Four implementations, each in
its own process:

``ours``
    :class:`recurrent_zoo.child_sum_tree_lstm.ChildSumTreeLSTM`: the whole forest by
    topological level, one product per level, index gathers and scatter-adds (the forest is
    compiled once beforehand; its compile time is reported apart).
``ours-node``
    The same model, :meth:`forward_node_by_node` / :meth:`backward_node_by_node`: one node at a
    time, recursively from the networkx graphs.
``torch-node``
    PyTorch as ``treelstm.pytorch`` (dasguptar) does it: ``ioux``, ``iouh``, ``fx``, ``fh``
    linear layers, a recursive walk over each tree calling ``node_forward`` once per node with
    ``(1, H)`` tensors, and autograd's backward, tree by tree (its training loop calls
    ``loss.backward()`` per example).
``torch-level``
    PyTorch batched by level like ours (the same schedule: children gathered with
    ``index_select``, sums with ``index_add``, states written level by level into buffers,
    one product per level) with autograd's backward: what a DGL- or TensorFlow-Fold-style
    implementation does.

The four must agree: each prints a checksum of its states and gradients (sums of ``h`` and
of the gradients with respect to the features and the recurrent weights), compared in the table.
After two warm-up runs each implementation is timed ``--repeat`` times and the minimum kept (wall
clock and, apart, CPU time of the process, the steadier measure on a loaded machine); with
``--rounds N`` the processes alternate N times (the minimum over rounds kept), which evens out
load that comes and goes. Threads: numpy's BLAS via threadpoolctl and
``torch.set_num_threads``, the same number for all (default 1). The load average before and
after each round is printed: on a shared machine, the ratios are what to read.

Usage::

    python benchmarks/bench_tree_lstm.py                      # 256 trees, H = 128
    python benchmarks/bench_tree_lstm.py --rounds 3 --threads 1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

MODES = ("ours", "ours-node", "torch-node", "torch-level")


def make_forest(n_trees: int, lo: int, hi: int, input_size: int, seed: int):
    """Random recursive trees; features in float32."""
    import networkx as nx
    import numpy as np

    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_trees):
        n = int(rng.integers(lo, hi + 1))
        G = nx.DiGraph()
        X = rng.standard_normal((n, input_size)).astype(np.float32)
        for k in range(n):
            G.add_node(k, x=X[k])
        for k in range(1, n):
            G.add_edge(int(rng.integers(k)), k)
        graphs.append(G)
    return graphs


def _time(run, repeat: int) -> tuple[float, float]:
    """Minimum wall-clock and minimum CPU time (this process, all its threads) of ``run``."""
    for _ in range(2):
        run()
    best, best_cpu = math.inf, math.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def worker(mode: str, args: argparse.Namespace) -> dict:
    import numpy as np
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    graphs = make_forest(args.trees, args.min_nodes, args.max_nodes, args.input_size, args.seed)
    from recurrent_zoo._core.structure import Forest
    from recurrent_zoo.child_sum_tree_lstm import ChildSumTreeLSTM

    t0 = time.perf_counter()
    forest = Forest(graphs)
    compile_s = time.perf_counter() - t0
    model = ChildSumTreeLSTM(args.input_size, args.hidden, seed=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    dH = rng.standard_normal((forest.n_nodes, args.hidden)).astype(np.float32)
    info = {
        "nodes": forest.n_nodes,
        "levels": forest.n_levels,
        "compile_s": compile_s,
        "load": os.getloadavg(),
    }
    if mode in ("ours", "ours-node"):
        if mode == "ours":
            fwd, bwd = model.forward, model.backward
        else:
            fwd, bwd = model.forward_node_by_node, model.backward_node_by_node
        out = {}

        def run():
            out["H"] = fwd(forest)
            out["dX"] = bwd(dH)

        seconds, cpu = _time(run, args.repeat)
        checksum = [
            float(out["H"].sum(dtype=np.float64)),
            float(out["dX"].sum(dtype=np.float64)),
            float(model.grads["weight_hh"].sum(dtype=np.float64)),
        ]
        return {"seconds": seconds, "cpu_seconds": cpu, "checksum": checksum, **info}
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    H, I = args.hidden, args.input_size
    p = {k: torch.from_numpy(v.copy()) for k, v in model.params.items()}
    lin = torch.nn.ModuleDict(
        {
            "ioux": torch.nn.Linear(I, 3 * H),
            "iouh": torch.nn.Linear(H, 3 * H),
            "fx": torch.nn.Linear(I, H),
            "fh": torch.nn.Linear(H, H),
        }
    )
    with torch.no_grad():  # our weights; the second bias of each pair zero
        lin["ioux"].weight.copy_(p["weight_ih"][: 3 * H])
        lin["ioux"].bias.copy_(p["bias"][: 3 * H])
        lin["iouh"].weight.copy_(p["weight_hh"][: 3 * H])
        lin["iouh"].bias.zero_()
        lin["fx"].weight.copy_(p["weight_ih"][3 * H :])
        lin["fx"].bias.copy_(p["bias"][3 * H :])
        lin["fh"].weight.copy_(p["weight_hh"][3 * H :])
        lin["fh"].bias.zero_()
    X = torch.from_numpy(forest.features.astype(np.float32))
    R = torch.from_numpy(dH)
    if mode == "torch-node":
        offsets = forest.offsets
        children = [
            {n: list(G.successors(n)) for n in G.nodes} for G in graphs
        ]  # the tree objects treelstm.pytorch walks

        def node_forward(x, child_c, child_h):  # treelstm.pytorch's ChildSumTreeLSTM
            child_h_sum = torch.sum(child_h, dim=0, keepdim=True)
            iou = lin["ioux"](x) + lin["iouh"](child_h_sum)
            i, o, u = torch.split(iou, iou.size(1) // 3, dim=1)
            i, o, u = torch.sigmoid(i), torch.sigmoid(o), torch.tanh(u)
            f = torch.sigmoid(lin["fh"](child_h) + lin["fx"](x).repeat(len(child_h), 1))
            fc = torch.mul(f, child_c)
            c = torch.mul(i, u) + torch.sum(fc, dim=0, keepdim=True)
            h = torch.mul(o, torch.tanh(c))
            return c, h

        zero = torch.zeros(1, H)

        def run():
            lin.zero_grad()
            Xg = X.clone().requires_grad_(True)
            total_h = 0.0
            for g, G in enumerate(graphs):
                base = int(offsets[g])
                kids = children[g]
                states = {}

                def walk(n, base=base, kids=kids, states=states):
                    for c in kids[n]:
                        walk(c)
                    if kids[n]:
                        cc = torch.cat([states[c][0] for c in kids[n]])
                        ch = torch.cat([states[c][1] for c in kids[n]])
                    else:
                        cc, ch = zero, zero
                    states[n] = node_forward(Xg[base + n][None], cc, ch)

                walk(0)
                Hg = torch.cat([states[n][1] for n in range(G.number_of_nodes())])
                loss = (Hg * R[base : base + G.number_of_nodes()]).sum()
                loss.backward()  # per tree, as treelstm.pytorch's trainer
                total_h += float(Hg.detach().double().sum())
            run.out = (total_h, Xg.grad)

        sys.setrecursionlimit(10000)
        seconds, cpu = _time(run, args.repeat)
        total_h, dX = run.out
        checksum = [
            total_h,
            float(dX.double().sum()),
            float(lin["iouh"].weight.grad.double().sum() + lin["fh"].weight.grad.double().sum()),
        ]
        return {"seconds": seconds, "cpu_seconds": cpu, "checksum": checksum, **info}
    # torch-level: our schedule, autograd
    W_ih = p["weight_ih"].clone().requires_grad_(True)
    W_hh = p["weight_hh"].clone().requires_grad_(True)
    b = p["bias"].clone().requires_grad_(True)
    levels = forest.edges_by_level()
    bounds = [int(v) for v in forest.level_bounds]
    idx = [
        (
            torch.from_numpy(lv.children.astype(np.int64)),
            torch.from_numpy(lv.parents.astype(np.int64)),
        )
        for lv in levels
    ]
    perm = torch.from_numpy(forest.perm.astype(np.int64))
    position = torch.from_numpy(forest.position.astype(np.int64))
    N = forest.n_nodes

    def run():
        for t in (W_ih, W_hh, b):
            t.grad = None
        Xg = X.clone().requires_grad_(True)
        P = Xg[perm] @ W_ih.T + b  # (N, 4H), level order
        Hb = torch.zeros(N, H)
        Cb = torch.zeros(N, H)
        Qb = torch.zeros(N, 4 * H)
        for L in range(forest.n_levels):
            a, e = bounds[L], bounds[L + 1]
            g = P[a:e, : 3 * H]
            if L > 0:
                ch, par = idx[L - 1]
                q = Qb.index_select(0, ch)
                g = g + torch.zeros(e - a, 3 * H).index_add(0, par, q[:, : 3 * H])
                f = torch.sigmoid(P[a:e, 3 * H :].index_select(0, par) + q[:, 3 * H :])
                fc = torch.zeros(e - a, H).index_add(0, par, f * Cb.index_select(0, ch))
            i, o = torch.sigmoid(g[:, :H]), torch.sigmoid(g[:, H : 2 * H])
            u = torch.tanh(g[:, 2 * H :])
            c = i * u + fc if L > 0 else i * u
            h = o * torch.tanh(c)
            Hb[a:e] = h
            Cb[a:e] = c
            if L < forest.n_levels - 1:
                Qb[a:e] = h @ W_hh.T
        Hout = Hb[position]
        (Hout * R).sum().backward()
        run.out = (Hout.detach(), Xg.grad, W_hh.grad)

    seconds, cpu = _time(run, args.repeat)
    Hout, dX, dW = run.out
    checksum = [float(Hout.double().sum()), float(dX.double().sum()), float(dW.double().sum())]
    return {"seconds": seconds, "cpu_seconds": cpu, "checksum": checksum, **info}


def _worker_args(argv: list[str]) -> list[str]:
    """The command line without ``--rounds N`` / ``--rounds=N`` (a worker runs one round)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--rounds":
            skip = True
        elif not a.startswith("--rounds="):
            out.append(a)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", type=int, default=256)
    parser.add_argument("--min-nodes", type=int, default=20)
    parser.add_argument("--max-nodes", type=int, default=60)
    parser.add_argument("--input-size", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    import numpy
    import torch

    best: dict[str, dict] = {}
    print(
        f"# recorded {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} CPUs, "
        f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print("# command: python benchmarks/bench_tree_lstm.py " + " ".join(sys.argv[1:]))
    print(
        f"\nChild-Sum Tree-LSTM, forward + backward, float32; {args.trees} random trees of "
        f"{args.min_nodes}-{args.max_nodes} nodes, input {args.input_size}, hidden "
        f"{args.hidden}; {args.threads} thread(s) each; min of {args.repeat} runs x "
        f"{args.rounds} round(s), one process per implementation; numpy {numpy.__version__}, "
        f"torch {torch.__version__}"
    )
    for r in range(args.rounds):
        for mode in args.modes:
            cmd = [sys.executable, __file__, "--worker", mode] + _worker_args(sys.argv[1:])
            before = os.getloadavg()[0]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            res["load_before"] = before
            print(
                f"round {r + 1} {mode:<12} {res['seconds'] * 1e3:10.1f} ms wall "
                f"{res['cpu_seconds'] * 1e3:10.1f} ms CPU  (load {before:.2f})",
                flush=True,
            )
            if mode not in best:
                best[mode] = res
            else:  # the minimum of each over the rounds
                for key in ("seconds", "cpu_seconds"):
                    best[mode][key] = min(best[mode][key], res[key])
    first = next(iter(best.values()))
    print(
        f"\nforest: {first['nodes']} nodes, {first['levels']} levels; compiling it from the "
        f"networkx graphs (ours, once per forest): {first['compile_s'] * 1e3:.0f} ms"
    )
    ref = best.get("ours")
    print(
        f"\n{'implementation':<14}{'wall ms':>10}{'x ours':>8}{'CPU ms':>10}{'x ours':>8}"
        "   checksum (sum h, sum dX, sum dW_hh)"
    )
    for mode, res in best.items():
        ratio = res["seconds"] / ref["seconds"] if ref else float("nan")
        cpu_ratio = res["cpu_seconds"] / ref["cpu_seconds"] if ref else float("nan")
        cs = ", ".join(f"{v:.6g}" for v in res["checksum"])
        print(
            f"{mode:<14}{res['seconds'] * 1e3:10.1f}{ratio:8.2f}"
            f"{res['cpu_seconds'] * 1e3:10.1f}{cpu_ratio:8.2f}   {cs}"
        )
    if ref:
        print("\n(wall clock, then CPU time: on a loaded machine the CPU times are the steadier)")
        for key in ("seconds", "cpu_seconds"):
            if "torch-node" in best:
                s = best["torch-node"][key] / ref[key]
                print(f"{key}: ours is {s:.1f}x faster than torch node by node (target >= 10x)")
            if "torch-level" in best:
                s = ref[key] / best["torch-level"][key]
                print(f"{key}: ours / torch level-batched = {s:.2f} (target <= 1.0)")
            if "ours-node" in best:
                s = best["ours-node"][key] / ref[key]
                print(f"{key}: ours level-batched is {s:.1f}x faster than ours node by node")
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
