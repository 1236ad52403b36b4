"""Shared helpers of test_child_sum_tree_lstm.py and test_nary_tree_lstm.py: a forest of random
trees and a DAG, children in slot order, and a memoised recursive walk (a DAG node once) that
runs a torch cell node by node, as ``treelstm.pytorch`` does."""

import networkx as nx


def mixed_forest(rng, I, arity=None, dag=True):
    """Three trees and a DAG (a node with two parents) with random features."""
    graphs = []
    for n in (1, 5, 9):
        G = nx.DiGraph()
        used = {}
        for k in range(n):
            G.add_node(k, x=rng.standard_normal(I))
            if k:
                free = [p for p in range(k) if arity is None or used.get(p, 0) < arity]
                p = free[int(rng.integers(len(free)))]
                G.add_edge(p, k, order=used.get(p, 0))
                used[p] = used.get(p, 0) + 1
        graphs.append(G)
    if dag:
        G = nx.DiGraph()
        for k in range(4):
            G.add_node(k, x=rng.standard_normal(I))
        G.add_edges_from([(0, 1, {"order": 0}), (0, 2, {"order": 1}), (1, 3, {"order": 0})])
        G.add_edge(2, 3, order=1 if arity != 1 else 0)
        graphs.append(G)
    return graphs


def children_by_slot(G, node):
    return sorted(((s, v) for _, v, s in G.out_edges(node, data="order")), key=lambda e: e[0])


def torch_run(torch, graphs, X, step, zero):
    """Recursive walk with memo (a DAG node once); every node's h, in forest row order."""
    out, row = [], 0
    for G in graphs:
        index = {node: row + k for k, node in enumerate(G.nodes)}
        memo = {}

        def walk(node, G=G, index=index, memo=memo):
            if node not in memo:
                kids = [walk(v) for _, v in children_by_slot(G, node)]
                memo[node] = step(X[index[node]][None], kids)
            return memo[node]

        for node in G.nodes:
            out.append(walk(node)[1])
        row += G.number_of_nodes()
    return torch.cat(out)
