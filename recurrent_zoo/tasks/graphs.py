r"""Graph traversal after Graves et al. (2016): a random graph given as triples, then a path query.

The differentiable neural computer's graph tasks (Graves et al. 2016, figure 2 and Methods,
"graph tasks") present a graph as a sequence of labelled edges, ``(source, label, destination)``
triples, one per step, then ask questions about it; in the traversal task the question is a
start node and a sequence of edge labels, and the answer the nodes the path visits. This is that
task scaled to what a CPU trains in minutes (the paper's graphs had up to hundreds of nodes and
took ~1e9 training sequences on GPUs): graphs of 5-8 nodes, 2-4 hops.

Each graph is :func:`networkx.random_k_out_graph` (every node has ``out_degree`` out-edges to
distinct targets before parallel edges are merged, no self-loops), so every node has an
out-edge and every walk can continue; each node's out-edges carry distinct labels drawn from
``n_labels``. Nodes get random names among ``n_ids`` symbols (a new naming per graph, so that
nothing can be learned about a particular node), the triples come in a random order, and the
query's path is a random walk from a random start node.

Encoding, one step per row, ``2 n_ids + n_labels + 3`` input channels
``[source | label | destination | query start | query label | answer]``:

1. one step per triple: one-hot source, label and destination;
2. the query start: the start node on the source channels, and the "query start" flag;
3. one step per hop: the edge label on the label channels, and the "query label" flag;
4. one step per hop: the "answer" flag; the target is the node reached by that hop (a class in
   ``[0, n_ids)``, ``loss="cross_entropy"``, ``mask`` 1 on these steps).

With ``query="stepwise"`` steps 2-4 become one step per hop: hop ``j``'s label (with the "query
label" and "answer" flags) on the step that answers it, and on the first of them also the start
node (with the "query start" flag). The first hop is then one look-up of a (source, label) pair
given on a single step, as a triple is written; each later hop must start from the node the
model itself answered on the step before. It asks less than the default layout (``"upfront"``,
in which the labels must be held until the answers) and still needs the whole graph in memory
and a chain of look-ups.

:func:`traversal_accuracy` is the fraction of queries answered exactly (every hop's node right).

Reference
---------
A. Graves, G. Wayne, M. Reynolds, T. Harley, I. Danihelka, A. Grabska-Barwinska et al.,
"Hybrid computing using a neural network with dynamic external memory", Nature 538:471-476,
2016 (figure 2, Methods: graph tasks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_choice, check_positive_int
from .algorithmic import _int_range
from .base import SequenceDataset

__all__ = ["graph_traversal", "traversal_accuracy"]

#: the flag channels after the triple's one-hots
FLAGS = ("query start", "query label", "answer")


def _random_graph(n: int, out_degree: int, n_labels: int, rng: np.random.Generator) -> Any:
    """A random k-out digraph on nodes 0..n-1, each node's out-edges labelled distinctly."""
    import networkx as nx

    k = min(out_degree, n - 1)
    multi = nx.random_k_out_graph(n, k, alpha=1.0, self_loops=False, seed=int(rng.integers(2**31)))
    graph = nx.DiGraph(multi)  # parallel edges merged: out-degree 1..k
    for node in range(n):
        targets = sorted(graph.successors(node))
        labels = rng.permutation(n_labels)[: len(targets)]
        for v, label in zip(targets, labels, strict=True):
            graph.edges[node, v]["label"] = int(label)
    return graph


def graph_traversal(
    n_sequences: int,
    nodes: Any = (5, 8),
    hops: Any = (2, 4),
    *,
    out_degree: int = 2,
    n_labels: int = 3,
    n_ids: int | None = None,
    query: str = "upfront",
    start: str = "any",
    seed: Any = None,
) -> SequenceDataset:
    """Random labelled graphs as triples, then a traversal query (Graves et al. 2016, scaled).

    Parameters
    ----------
    n_sequences : int
    nodes : int or (int, int), default (5, 8)
        Nodes per graph (at least 2), or the inclusive range it is drawn from.
    hops : int or (int, int), default (2, 4)
        Edges the query follows, or the range it is drawn from.
    out_degree : int, default 2
        ``k`` of :func:`networkx.random_k_out_graph` (at most ``n - 1`` on an ``n``-node graph);
        parallel edges are merged, so a node has 1 to ``k`` out-edges.
    n_labels : int, default 3
        Edge labels (at least ``out_degree``: a node's out-edges have distinct labels).
    n_ids : int, optional
        Node names, the classes of the answer (at least the largest ``nodes``; default it).
    query : {"upfront", "stepwise"}, default "upfront"
        The query's layout (see the module's docstring): the start node and every label before
        the answers, or each label on the step that answers its hop.
    start : {"any", "branching"}, default "any"
        The query's start node: any node, or one with two or more out-edges (where the first
        hop's label decides the answer; any node when the graph has none), for a first lesson
        that cannot be passed without reading the label.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 2 n_ids + n_labels + 3)`` (see the module's docstring for the
        channels), ``targets`` ``(T, N)`` node names on the answer steps, ``mask`` 1 there,
        ``lengths`` ``edges + 1 + 2 hops`` (``edges + hops`` with ``query="stepwise"``;
        ``None`` when all are equal);
        ``info["graphs"]`` (networkx DiGraphs on the names, edges with a ``"label"``),
        ``info["paths"]`` (the names visited, start first), ``info["hops"]``,
        ``info["edges"]``.

    Examples
    --------
    >>> data = graph_traversal(1, nodes=3, hops=2, out_degree=1, n_labels=1, seed=0)
    >>> g, path = data.info["graphs"][0], data.info["paths"][0]
    >>> sorted(g.edges(data="label")), path        # one out-edge each; 0 -> 2 -> 0
    ([(0, 2, 0), (1, 2, 0), (2, 0, 0)], [0, 2, 0])
    >>> data.inputs[:, 0].astype(int)      # 3 triples; query: start 0, label 0 twice; answer
    array([[1, 0, 0, 1, 0, 0, 1, 0, 0, 0],
           [0, 0, 1, 1, 1, 0, 0, 0, 0, 0],
           [0, 1, 0, 1, 0, 0, 1, 0, 0, 0],
           [1, 0, 0, 0, 0, 0, 0, 1, 0, 0],
           [0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
           [0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
           [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
           [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]])
    >>> data.targets[6:, 0], data.mask[:, 0].astype(int)
    (array([2, 0]), array([0, 0, 0, 0, 0, 0, 1, 1]))
    """
    n = check_positive_int(n_sequences, "n_sequences")
    low, high = _int_range(nodes, "nodes", minimum=2)
    h_low, h_high = _int_range(hops, "hops")
    out_degree = check_positive_int(out_degree, "out_degree")
    n_labels = check_positive_int(n_labels, "n_labels")
    if n_labels < out_degree:
        raise ValueError(
            f"n_labels must be at least out_degree ({out_degree}), so that a node's out-edges "
            f"have distinct labels; got {n_labels}"
        )
    n_ids = high if n_ids is None else check_positive_int(n_ids, "n_ids")
    if n_ids < high:
        raise ValueError(
            f"n_ids must be at least the largest number of nodes ({high}); got {n_ids}"
        )
    query = check_choice(query, "query", ("upfront", "stepwise"))
    stepwise = query == "stepwise"
    branching = check_choice(start, "start", ("any", "branching")) == "branching"
    rng = make_rng(seed)
    I = 2 * n_ids + n_labels + len(FLAGS)
    src, lab, dst = 0, n_ids, n_ids + n_labels
    flag = dst + n_ids
    graphs, paths, walks = [], [], []
    for _ in range(n):
        size = int(rng.integers(low, high + 1))
        g = _random_graph(size, out_degree, n_labels, rng)
        names = rng.permutation(n_ids)[:size]
        g = _rename(g, names)
        h = int(rng.integers(h_low, h_high + 1))
        starts = sorted(g.nodes)
        if branching:  # where the label matters: nodes with two or more out-edges, if any
            starts = [u for u in starts if g.out_degree(u) > 1] or starts
        node = int(rng.choice(starts))
        path, labels = [node], []
        for _ in range(h):
            edges = sorted(g.out_edges(node, data="label"))
            _, node, label = edges[int(rng.integers(len(edges)))]
            path.append(node)
            labels.append(label)
        graphs.append(g)
        paths.append(path)
        walks.append(labels)
    n_edges = np.array([g.number_of_edges() for g in graphs])
    n_hops = np.array([len(w) for w in walks])
    total = n_edges + (n_hops if stepwise else 1 + 2 * n_hops)
    T = int(total.max())
    inputs = np.zeros((T, n, I))
    targets = np.zeros((T, n), dtype=np.int64)
    mask = np.zeros((T, n))
    for b, (g, path, labels) in enumerate(zip(graphs, paths, walks, strict=True)):
        triples = sorted(g.edges(data="label"))
        for t, i in enumerate(rng.permutation(len(triples))):
            u, v, label = triples[i]
            inputs[t, b, [src + u, lab + label, dst + v]] = 1.0
        t = len(triples)
        if stepwise:  # hop j's label on the step answering it, the start on the first
            answers = t + np.arange(len(labels))
            inputs[t, b, [src + path[0], flag]] = 1.0
            for j, label in enumerate(labels):
                inputs[t + j, b, [lab + label, flag + 1]] = 1.0
        else:
            inputs[t, b, [src + path[0], flag]] = 1.0
            for j, label in enumerate(labels):
                inputs[t + 1 + j, b, [lab + label, flag + 1]] = 1.0
            answers = t + 1 + len(labels) + np.arange(len(labels))
        inputs[answers, b, flag + 2] = 1.0
        targets[answers, b] = path[1:]
        mask[answers, b] = 1.0
    lengths = None if np.all(total == T) else total
    return SequenceDataset(
        inputs=inputs,
        targets=targets,
        mask=mask,
        loss="cross_entropy",
        output_size=n_ids,
        lengths=lengths,
        info={"graphs": graphs, "paths": paths, "hops": n_hops, "edges": n_edges},
        per_sequence=("graphs", "paths", "hops", "edges"),
        name="graph_traversal",
    )


def _rename(graph: Any, names: NDArray) -> Any:
    import networkx as nx

    return nx.relabel_nodes(graph, {i: int(names[i]) for i in range(len(names))})


def traversal_accuracy(outputs: Any, data: SequenceDataset) -> float:
    """The fraction of queries answered exactly: every answer step's arg-max output is right.

    Parameters
    ----------
    outputs : array_like, shape (T, N, n_ids)
        The model's outputs (logits or probabilities) on ``data``.
    data : SequenceDataset
        From :func:`graph_traversal`.

    Examples
    --------
    >>> data = graph_traversal(4, seed=0)
    >>> perfect = np.eye(data.output_size)[data.targets]          # one-hot answers
    >>> traversal_accuracy(perfect, data)
    1.0
    >>> perfect[data.mask.argmax(axis=0)[0], 0] = 0.0             # one hop of query 0 wrong
    >>> traversal_accuracy(perfect, data)
    0.75
    """
    shape = data.targets.shape + (data.output_size,)
    doc = f"(T={shape[0]}, N={shape[1]}, n_ids={shape[2]})"
    outputs = check_array(outputs, "outputs", shape=shape, dtype=np.float64, shape_doc=doc)
    wrong = (outputs.argmax(axis=2) != data.targets) & (data.mask > 0)  # (T, N)
    return float(1.0 - wrong.any(axis=0).mean())
