r"""Recursive nets over forests of networkx graphs: the structure contract and its machinery.

A *recursive* net applies one set of weights at every node of a tree or a directed acyclic graph
(DAG), bottom up: a node's state is a function of its own features and of its children's states
(Goller & Küchler 1996, "backpropagation through structure", BPTS). This module holds what every
such net shares:

:class:`Forest`
    A list of networkx graphs compiled once into index arrays: node features stacked into one
    ``(N, input_size)`` matrix, edges as (parent, child) row pairs, and the *schedule* -- the
    nodes grouped by height (a leaf has height 0, any other node one more than its highest
    child), which is ``networkx.topological_generations`` of the disjoint union with every edge
    reversed, computed here with numpy. Every node of one height can be computed at once, since
    its children all have smaller heights.
:class:`StructureModel`
    The contract: ``forward(forest) -> H`` (every node's state, ``(N, output_size)``) and
    ``backward(dH) -> dX`` (gradients with respect to the node features, setting ``grads``);
    ``params`` as the single source of truth, save/load through :mod:`.io`.
:class:`ScatterAdd`
    ``target[rows] += values`` with repeated rows summed, from index arrays prepared once: the
    gradient of a node shared by several parents (a DAG) is the sum over its parents.

Conventions
-----------
A forest is a list of :class:`networkx.DiGraph` (or :class:`networkx.MultiDiGraph`, where one
child may fill two slots of a parent, as in :math:`f(a, a)`). Edges point from parent to child.
Every node carries its features, a 1-d array of ``input_size`` numbers, in the node attribute
``feature`` (``"x"`` by default). Models that tell their children apart by position (the
N-ary ones) read each edge's slot, an integer in ``[0, arity)``, from the edge attribute
``order`` (``"order"`` by default); a missing slot is an absent child, whose state is zero.
Models that sum over their children (child-sum) ignore it.

The rows of ``H`` and ``dX`` follow the forest: graph 0's nodes in ``G.nodes`` order, then graph
1's, and so on (:meth:`Forest.rows`, :meth:`Forest.roots` and :meth:`Forest.node_index` map
between rows and nodes). Internally the models work in *level order* -- rows sorted by height --
so that a level is one contiguous block: one matrix product per level and gate, children
gathered and gradients scatter-added through index arrays computed once per forest.

A node shared by several parents is computed once; in the backward pass its state gradient is
the sum of what each parent sends back, which is backpropagation through structure on a DAG.

References
----------
C. Goller and A. Küchler, "Learning task-dependent distributed representations by
backpropagation through structure", Proc. ICNN 1996, vol. 1, 347-352.

M. Looks, M. Herreshoff, D. Hutchins and P. Norvig, "Deep learning with dynamic computation
graphs" (TensorFlow Fold), ICLR 2017 -- batching by depth, as here.
"""

from __future__ import annotations

import abc
import inspect
import numbers
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import io
from .validation import NDArray, check_array, check_dtype, check_positive_int

__all__ = [
    "Forest",
    "LevelEdges",
    "LevelSlots",
    "ScatterAdd",
    "StructureModel",
    "as_forest",
]


# ----------------------------------------------------------------------------- scatter-add
@dataclass(frozen=True)
class ScatterAdd:
    """``target[rows] += values``, with the values of repeated rows summed.

    Built once from the row indices (:meth:`build`); applying it costs one fancy-indexed add when
    the rows are distinct (a tree) and a sort-free ``np.add.reduceat`` over precomputed segments
    otherwise (a DAG node with several parents in one level).

    Examples
    --------
    >>> add = ScatterAdd.build(np.array([2, 0, 2]))
    >>> target = np.zeros((3, 1))
    >>> add(target, np.array([[1.0], [2.0], [3.0]]))
    >>> target.ravel()
    array([2., 0., 4.])
    """

    rows: NDArray  # (E,) target row of each value
    unique: bool
    order: NDArray | None = None  # (E,) values sorted by target row
    starts: NDArray | None = None  # (U,) first sorted value of each distinct row
    targets: NDArray | None = None  # (U,) the distinct rows

    @classmethod
    def build(cls, rows: NDArray) -> ScatterAdd:
        """Prepare the index arrays for adding into ``rows``."""
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size == np.unique(rows).size:
            return cls(rows, True)
        order = np.argsort(rows, kind="stable")
        targets, starts = np.unique(rows[order], return_index=True)
        return cls(rows, False, order, starts, targets)

    def __call__(self, target: NDArray, values: NDArray) -> None:
        if self.unique:
            target[self.rows] += values
        else:
            assert self.order is not None and self.starts is not None
            target[self.targets] += np.add.reduceat(values[self.order], self.starts, axis=0)


# ----------------------------------------------------------------------------- level schedules
@dataclass(frozen=True)
class LevelEdges:
    """The edges of one level for a child-sum model, all as level-order rows.

    ``start:stop`` are the level's rows; ``parents`` (``(E,)``) each edge's parent as an offset
    into the level, sorted; ``children`` (``(E,)``) each edge's child row; ``segments`` the
    first edge of each parent (every node above level 0 has a child), for
    ``np.add.reduceat``; ``scatter`` adds per-edge values into the children's rows.
    """

    start: int
    stop: int
    parents: NDArray
    children: NDArray
    segments: NDArray
    scatter: ScatterAdd


@dataclass(frozen=True)
class LevelSlots:
    """The children of one level for an N-ary model, by slot.

    ``table`` (``(stop - start, arity)``) holds each node's child row in each slot, or the
    row ``N`` (one past the last node: a row of zeros) for an empty slot; ``filled`` the flat
    indices of the filled slots and ``scatter`` adds per-slot values into their children's rows.
    """

    start: int
    stop: int
    table: NDArray
    filled: NDArray
    scatter: ScatterAdd


# ----------------------------------------------------------------------------- the forest
def _is_int(value: Any) -> bool:
    if type(value) is int:  # the common case, without the slow abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_graph(G: Any, g: int) -> None:
    import networkx as nx

    if not isinstance(G, nx.DiGraph):
        kind = type(G).__name__
        hint = (
            " (an undirected graph: build a DiGraph whose edges point from parent to child)"
            if isinstance(G, nx.Graph)
            else ""
        )
        raise TypeError(
            f"forest[{g}] must be a networkx DiGraph or MultiDiGraph with edges parent -> child; "
            f"got {kind}{hint}"
        )
    if G.number_of_nodes() == 0:
        raise ValueError(f"forest[{g}] has no nodes; every graph of a forest needs at least one")


def _node_features(G: Any, g: int, feature: str) -> NDArray:
    """The ``(n, I)`` features of graph ``g`` in ``G.nodes`` order, each node checked."""
    values = []
    for node, data in G.nodes(data=True):
        if feature not in data:
            raise ValueError(
                f"forest[{g}], node {node!r}: no feature {feature!r} (node attribute); every "
                "node needs one, a 1-d array of input_size numbers"
            )
        values.append(data[feature])
    try:
        arr = np.asarray(values)
        ok = arr.dtype.kind in "biuf" and arr.ndim == 2
    except (ValueError, TypeError):  # ragged sizes or unconvertible objects
        ok = False
    if not ok:
        sizes = None
        for node, value in zip(G.nodes, values, strict=True):
            where = f"forest[{g}], node {node!r}: feature {feature!r}"
            try:
                v = np.asarray(value)
            except (ValueError, TypeError) as exc:
                raise TypeError(
                    f"{where} must be a 1-d array of numbers; got {value!r:.60}"
                ) from exc
            if v.dtype.kind not in "biuf":
                raise TypeError(
                    f"{where} must hold real numbers (bool, int or float); got dtype {v.dtype}"
                )
            if v.ndim != 1:
                raise ValueError(f"{where} must be a 1-d array; got shape {v.shape}")
            if sizes is not None and v.shape[0] != sizes[1]:
                raise ValueError(
                    f"{where} has {v.shape[0]} numbers, while node {sizes[0]!r} of the same "
                    f"graph has {sizes[1]}; every node needs the same input_size"
                )
            sizes = (node, v.shape[0])
        raise AssertionError(
            "unreachable: the features were checked node by node"
        )  # pragma: no cover
    if not np.isfinite(arr).all():
        bad = int(np.argwhere(~np.isfinite(arr))[0, 0])
        node = list(G.nodes)[bad]
        raise ValueError(
            f"forest[{g}], node {node!r}: feature {feature!r} must be finite; it contains "
            + ("NaN" if np.isnan(arr[bad]).any() else "inf")
        )
    return arr.astype(np.float64, copy=False)


class Forest:
    """A list of networkx graphs compiled into the index arrays the recursive nets run on.

    Compile once and reuse: the graphs are read (and checked) here, and everything a model needs
    afterwards -- features, levels, gathers and scatter-adds -- is numpy arrays.

    Parameters
    ----------
    graphs : networkx.DiGraph or sequence of them
        Trees or DAGs (:class:`networkx.MultiDiGraph` too), edges parent -> child.
    feature : str, default "x"
        The node attribute holding each node's features (1-d, the same size on every node).
    order : str, default "order"
        The edge attribute holding a child's slot under its parent, for the models that tell
        children apart by position.

    Attributes
    ----------
    graphs : tuple of graphs
    features : ndarray, shape (N, input_size)
        float64, rows in forest order (graph by graph, each in ``G.nodes`` order).
    offsets : ndarray, shape (n_graphs + 1,)
        Graph ``g`` holds rows ``offsets[g]:offsets[g + 1]``.
    parent, child : ndarray, shape (E,)
        The edges as rows (a MultiDiGraph's parallel edges each count).
    slot : ndarray, shape (E,)
        Each edge's ``order`` attribute, or -1 where it has none.
    height : ndarray, shape (N,)
        0 for a leaf, else 1 + the largest height among the node's children.
    perm : ndarray, shape (N,)
        Level order: ``perm[k]`` is the row computed ``k``-th (rows sorted by height, stably).
    position : ndarray, shape (N,)
        The inverse: row ``r`` is computed ``position[r]``-th.
    level_bounds : ndarray, shape (n_levels + 1,)
        Level ``L`` is ``perm[level_bounds[L]:level_bounds[L + 1]]``.

    Raises
    ------
    TypeError, ValueError
        Naming the graph (``forest[g]``) and the node: not a directed graph, an empty graph, a
        cycle, a missing, non-numeric, non-finite or wrongly sized feature, a non-integer slot.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from([("s", {"x": [1.0, 0.0]}), ("a", {"x": [0.0, 1.0]}),
    ...                   ("b", {"x": [0.0, 1.0]})])
    >>> G.add_edges_from([("s", "a", {"order": 0}), ("s", "b", {"order": 1})])
    >>> forest = Forest([G])
    >>> forest.n_nodes, forest.n_levels, forest.roots().tolist(), forest.height.tolist()
    (3, 2, [0], [1, 0, 0])
    """

    def __init__(self, graphs: Any, *, feature: str = "x", order: str = "order") -> None:
        import networkx as nx

        if isinstance(graphs, nx.Graph):
            graphs = [graphs]
        if isinstance(graphs, (str, bytes)) or not isinstance(graphs, Iterable):
            raise TypeError(
                "forest must be a list of networkx DiGraphs (or one DiGraph); "
                f"got {type(graphs).__name__}"
            )
        graphs = tuple(graphs)
        if not graphs:
            raise ValueError("forest must hold at least one graph; got an empty list")
        if not isinstance(feature, str) or not isinstance(order, str):
            raise TypeError("feature and order must be attribute names (str)")
        self.graphs = graphs
        self.feature, self.order = feature, order
        feats, parents, children, slots, offsets = [], [], [], [], [0]
        for g, G in enumerate(graphs):
            _check_graph(G, g)
            feats.append(_node_features(G, g, feature))
            local = {node: k for k, node in enumerate(G.nodes)}
            base = offsets[-1]
            for u, v, slot in G.edges(data=order, default=None):
                if slot is not None and not (_is_int(slot) and slot >= 0):
                    raise TypeError(
                        f"forest[{g}], edge {u!r} -> {v!r}: the {order!r} attribute (the child's "
                        f"slot) must be an integer >= 0; got {slot!r}"
                    )
                parents.append(base + local[u])
                children.append(base + local[v])
                slots.append(-1 if slot is None else int(slot))
            offsets.append(base + G.number_of_nodes())
        sizes = {f.shape[1] for f in feats}
        if len(sizes) > 1:
            first = feats[0].shape[1]
            g = next(k for k, f in enumerate(feats) if f.shape[1] != first)
            node = next(iter(graphs[g].nodes))
            raise ValueError(
                f"forest[{g}], node {node!r}: feature {feature!r} has {feats[g].shape[1]} numbers, "
                f"while the nodes of forest[0] have {first}; every node needs the same input_size"
            )
        self.features: NDArray = np.concatenate(feats, axis=0)
        self.offsets = np.asarray(offsets, dtype=np.intp)
        self.parent = np.asarray(parents, dtype=np.intp)
        self.child = np.asarray(children, dtype=np.intp)
        self.slot = np.asarray(slots, dtype=np.intp)
        self._schedule()

    # ------------------------------------------------------------------ from arrays
    @classmethod
    def _from_arrays(
        cls,
        graphs: tuple[Any, ...],
        features: NDArray,
        offsets: NDArray,
        parent: NDArray,
        child: NDArray,
        slot: NDArray,
        feature: str,
        order: str,
    ) -> Forest:
        self = cls.__new__(cls)
        self.graphs, self.feature, self.order = graphs, feature, order
        self.features, self.offsets = features, offsets
        self.parent, self.child, self.slot = parent, child, slot
        self._schedule()
        return self

    def subset(self, graphs: Any) -> Forest:
        """The forest of the graphs at indices ``graphs`` (in that order), without re-reading them.

        Examples
        --------
        >>> import networkx as nx
        >>> one = nx.DiGraph(); one.add_node(0, x=[1.0])
        >>> two = nx.DiGraph(); two.add_node(0, x=[2.0]); two.add_node(1, x=[3.0])
        >>> two.add_edge(0, 1)
        >>> Forest([one, two]).subset([1]).features.ravel()
        array([2., 3.])
        """
        idx = np.asarray(graphs, dtype=np.intp).reshape(-1)
        if idx.size == 0:
            raise ValueError("subset needs at least one graph index")
        if idx.min() < -self.n_graphs or idx.max() >= self.n_graphs:
            raise IndexError(f"graph indices must lie in [0, {self.n_graphs}); got {idx.tolist()}")
        idx = idx % self.n_graphs
        counts = np.diff(self.offsets)[idx]
        new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
        rows = self.rows_of_graphs(idx)
        new_row = np.full(self.n_nodes, -1, dtype=np.intp)
        new_row[rows] = np.arange(rows.size)
        # edges, graph by graph in the new order (edges of a graph are contiguous, in order)
        graph_of_edge = np.searchsorted(self.offsets, self.parent, side="right") - 1
        e_bounds = np.searchsorted(graph_of_edge, np.arange(self.n_graphs + 1))
        e_idx = np.concatenate(
            [np.arange(e_bounds[g], e_bounds[g + 1]) for g in idx] or [np.zeros(0, np.intp)]
        ).astype(np.intp)
        return Forest._from_arrays(
            tuple(self.graphs[g] for g in idx),
            self.features[rows],
            new_offsets,
            new_row[self.parent[e_idx]],
            new_row[self.child[e_idx]],
            self.slot[e_idx],
            self.feature,
            self.order,
        )

    def with_features(self, features: Any) -> Forest:
        """The same forest with other node features (``(N, I)``, forest row order).

        The structure and its index arrays are shared, not recomputed: use it to feed features
        that change from step to step (embeddings being learned) through one compiled forest.

        Examples
        --------
        >>> import networkx as nx
        >>> G = nx.DiGraph([(0, 1)]); nx.set_node_attributes(G, {0: [1.0], 1: [2.0]}, "x")
        >>> Forest(G).with_features([[5.0, 5.0], [6.0, 6.0]]).input_size
        2
        """
        doc = f"(N={self.n_nodes}, input_size)"
        X = check_array(features, "features", ndim=2, shape=(self.n_nodes, None), shape_doc=doc)
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.features = X.astype(np.float64, copy=False)
        other._features_as = {}
        return other

    # ------------------------------------------------------------------ the schedule
    def _schedule(self) -> None:
        """Heights by Kahn's algorithm, one vectorised step per level; the level order."""
        N = self.n_nodes
        n_children = np.bincount(self.parent, minlength=N)
        by_child = np.argsort(self.child, kind="stable")
        child_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.child, minlength=N))])
        height = np.full(N, -1, dtype=np.intp)
        pending = n_children.copy()
        frontier = np.flatnonzero(pending == 0)
        level = 0
        while frontier.size:
            height[frontier] = level
            # the edges from the frontier's nodes up to their parents
            starts, stops = child_ptr[frontier], child_ptr[frontier + 1]
            counts = stops - starts
            if counts.sum() == 0:
                break
            offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            edges = by_child[np.arange(counts.sum()) + offsets]
            ups = self.parent[edges]
            pending -= np.bincount(ups, minlength=N)
            candidates = np.unique(ups)
            frontier = candidates[pending[candidates] == 0]
            level += 1
        if (height < 0).any():
            self._raise_cycle(int(np.flatnonzero(height < 0)[0]))
        self.height = height
        self.n_children = n_children
        self.perm = np.argsort(height, kind="stable").astype(np.intp)
        self.position = np.empty(N, dtype=np.intp)
        self.position[self.perm] = np.arange(N)
        self.n_levels = int(height.max()) + 1
        self.level_bounds = np.searchsorted(height[self.perm], np.arange(self.n_levels + 1))
        self._edges_by_level: list[LevelEdges] | None = None
        self._slots: dict[int, list[LevelSlots]] = {}
        self._tables: dict[int, NDArray] = {}
        self._features_as: dict[Any, NDArray] = {}

    def _raise_cycle(self, row: int) -> None:
        import networkx as nx

        g, node = self.node_of(row)
        try:
            cycle = nx.find_cycle(self.graphs[g])
            path = " -> ".join(repr(u) for u, *_ in cycle) + f" -> {cycle[0][0]!r}"
        except nx.NetworkXNoCycle:  # pragma: no cover - Kahn's algorithm found one
            path = f"through node {node!r}"
        raise ValueError(
            f"forest[{g}] has a cycle ({path}); recursive nets need acyclic graphs "
            "(trees or DAGs, edges parent -> child)"
        )

    # ------------------------------------------------------------------ sizes and maps
    @property
    def n_nodes(self) -> int:
        return int(self.offsets[-1])

    @property
    def n_graphs(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_edges(self) -> int:
        return int(self.parent.size)

    @property
    def input_size(self) -> int:
        return int(self.features.shape[1])

    def __len__(self) -> int:
        return self.n_graphs

    def __repr__(self) -> str:
        return (
            f"Forest({self.n_graphs} graphs, {self.n_nodes} nodes, {self.n_edges} edges, "
            f"{self.n_levels} levels, input_size={self.input_size})"
        )

    def rows(self, g: int) -> slice:
        """The rows of graph ``g``."""
        return slice(int(self.offsets[g]), int(self.offsets[g + 1]))

    def rows_of_graphs(self, graphs: Any) -> NDArray:
        """The rows of the graphs at indices ``graphs``, graph by graph."""
        idx = np.asarray(graphs, dtype=np.intp).reshape(-1)
        parts = [np.arange(self.offsets[g], self.offsets[g + 1]) for g in idx]
        return np.concatenate(parts).astype(np.intp) if parts else np.zeros(0, np.intp)

    def node_of(self, row: int) -> tuple[int, Hashable]:
        """``(g, node)``: the graph index and node label of a row."""
        g = int(np.searchsorted(self.offsets, row, side="right") - 1)
        return g, list(self.graphs[g].nodes)[row - int(self.offsets[g])]

    def node_index(self, g: int, node: Hashable) -> int:
        """The row of ``node`` in graph ``g``."""
        for k, n in enumerate(self.graphs[g].nodes):
            if n == node:
                return int(self.offsets[g]) + k
        raise KeyError(f"forest[{g}] has no node {node!r}")

    def roots(self) -> NDArray:
        """The rows of the nodes without a parent (each tree's root), in row order."""
        has_parent = np.zeros(self.n_nodes, dtype=bool)
        has_parent[self.child] = True
        return np.flatnonzero(~has_parent)

    def graph_of_rows(self, rows: Any) -> NDArray:
        """The graph index of each row."""
        return np.searchsorted(self.offsets, np.asarray(rows), side="right") - 1

    def to_dicts(self, H: Any) -> list[dict[Hashable, NDArray]]:
        """Split an ``(N, ...)`` array by graph: one ``{node: row}`` dict per graph."""
        H = np.asarray(H)
        if H.shape[:1] != (self.n_nodes,):
            raise ValueError(f"H must have {self.n_nodes} rows (one per node); got {H.shape}")
        return [dict(zip(G.nodes, H[self.rows(g)], strict=True)) for g, G in enumerate(self.graphs)]

    # ------------------------------------------------------------------ what models use
    def level_features(self, dtype: Any) -> NDArray:
        """The features in level order, as ``dtype`` (cached)."""
        key = np.dtype(dtype)
        if key not in self._features_as:
            self._features_as[key] = np.ascontiguousarray(self.features[self.perm], dtype=key)
        return self._features_as[key]

    def edges_by_level(self) -> list[LevelEdges]:
        """Per level above 0, its edges as level-order rows (child-sum models); cached."""
        if self._edges_by_level is None:
            pos = self.position
            p, c = pos[self.parent], pos[self.child]
            order = np.argsort(p, kind="stable")
            p, c = p[order], c[order]
            bounds = np.searchsorted(p, self.level_bounds)
            out = []
            for L in range(1, self.n_levels):
                a, b = int(self.level_bounds[L]), int(self.level_bounds[L + 1])
                ea, eb = int(bounds[L]), int(bounds[L + 1])
                parents = p[ea:eb] - a
                segments = np.searchsorted(parents, np.arange(b - a))
                children = c[ea:eb]
                out.append(
                    LevelEdges(a, b, parents, children, segments, ScatterAdd.build(children))
                )
            self._edges_by_level = out
        return self._edges_by_level

    def child_table(self, arity: int, model: str = "the model") -> NDArray:
        """``(N, arity)`` rows of each node's child in each slot, -1 where empty (forest order).

        Checks that every edge has a slot in ``[0, arity)``, that no slot is filled twice and
        that no node has more than ``arity`` children; errors name the graph and the node.
        """
        if arity in self._tables:
            return self._tables[arity]
        too_many = np.flatnonzero(self.n_children > arity)
        if too_many.size:
            g, node = self.node_of(int(too_many[0]))
            raise ValueError(
                f"forest[{g}], node {node!r} has {self.n_children[too_many[0]]} children; "
                f"{model} takes at most arity={arity}"
            )
        missing = np.flatnonzero(self.slot < 0)
        if missing.size:
            e = int(missing[0])
            g, u = self.node_of(int(self.parent[e]))
            _, v = self.node_of(int(self.child[e]))
            raise ValueError(
                f"forest[{g}], edge {u!r} -> {v!r} has no {self.order!r} attribute; {model} "
                f"tells children apart by slot, so every edge needs one, an integer in "
                f"[0, {arity})"
            )
        outside = np.flatnonzero(self.slot >= arity)
        if outside.size:
            e = int(outside[0])
            g, u = self.node_of(int(self.parent[e]))
            _, v = self.node_of(int(self.child[e]))
            raise ValueError(
                f"forest[{g}], edge {u!r} -> {v!r}: slot {self.order}={self.slot[e]} lies "
                f"outside [0, {arity}) for {model} (arity={arity})"
            )
        table = np.full((self.n_nodes, arity), -1, dtype=np.intp)
        flat = self.parent * arity + self.slot
        uniq, counts = np.unique(flat, return_counts=True)
        if (counts > 1).any():
            dup = int(uniq[np.flatnonzero(counts > 1)[0]])
            g, node = self.node_of(dup // arity)
            raise ValueError(
                f"forest[{g}], node {node!r}: two children share slot {self.order}={dup % arity}; "
                "each slot holds at most one child"
            )
        table.reshape(-1)[flat] = self.child
        self._tables[arity] = table
        return table

    def slots_by_level(self, arity: int, model: str = "the model") -> list[LevelSlots]:
        """Per level above 0, each node's child in each slot as level-order rows; cached.

        An empty slot points at row ``N`` (the caller keeps a row of zeros there).
        """
        if arity not in self._slots:
            table = self.child_table(arity, model)
            N, pos = self.n_nodes, self.position
            level_table = np.where(table >= 0, pos[np.maximum(table, 0)], N)[self.perm]
            out = []
            for L in range(1, self.n_levels):
                a, b = int(self.level_bounds[L]), int(self.level_bounds[L + 1])
                t = level_table[a:b]
                filled = np.flatnonzero(t.reshape(-1) < N)
                out.append(LevelSlots(a, b, t, filled, ScatterAdd.build(t.reshape(-1)[filled])))
            self._slots[arity] = out
        return self._slots[arity]


def as_forest(forest: Any) -> Forest:
    """``forest`` itself if it is a :class:`Forest`, else ``Forest(forest)``."""
    return forest if isinstance(forest, Forest) else Forest(forest)


def segment_sum(values: NDArray, segments: NDArray) -> NDArray:
    """Sums of consecutive non-empty row blocks starting at ``segments`` (``np.add.reduceat``)."""
    return np.add.reduceat(values, segments, axis=0)


# ----------------------------------------------------------------------------- the contract
NodeState = tuple[NDArray, ...]


class StructureModel(abc.ABC):
    """Abstract base class of recursive nets over forests (see the module docstring).

    Notes
    -----
    What a new recursive net provides:

    ``__init__(input_size, ..., *, seed=None, dtype=np.float64)``
        Call ``super().__init__(input_size, dtype=dtype)``, store every hyperparameter under its
        own name, put the weights in ``self.params``.
    ``output_size`` and ``arity``
        The width of a node's state; the number of child slots (an int), or ``None`` for a net
        that sums over any number of unordered children.
    ``_forward(forest, X) -> S`` and ``_backward(dS) -> dX``
        The level-batched computation on level-ordered arrays (``X`` is
        ``forest.level_features(dtype)``): return every node's state and keep what the backward
        needs in ``self._cache``; the backward sets ``self.grads`` and returns ``dX``.
    ``_cell(x, children) -> (state, cache)`` and ``_cell_backward(cache, dstate, grads)``
        One node at a time, the equations as written in the paper: ``children`` is a list of
        the children's node states (tuples of 1-d arrays; for an N-ary net one entry per slot,
        ``None`` where empty). The backward adds into ``grads`` and returns ``(dx,
        dchildren)``. They give :meth:`forward_node_by_node`, the plain recursive evaluation
        the level-batched one is checked against.

    Attributes
    ----------
    params, grads : dict of str to ndarray
        As for :class:`~recurrent_zoo.SequenceModel`: the parameters (the single source of
        truth, edited in place) and the gradients of the last :meth:`backward`.
    forest : Forest or None
        The forest of the last :meth:`forward`.
    """

    _config_exclude: tuple[str, ...] = ("seed", "dtype")
    #: the number of child slots, or None for an unordered (child-sum) net
    arity: int | None = None
    output_size: int

    def __init__(self, input_size: int, *, dtype: Any = np.float64) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.dtype = check_dtype(dtype)
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.forest: Forest | None = None
        self._cache: Any = None
        self._nbn: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls):
            io.register_class(cls)

    # ------------------------------------------------------------------ to be provided
    @abc.abstractmethod
    def _forward(self, forest: Forest, X: NDArray) -> NDArray:
        """Every node's state, level order ``(N, output_size)``, from level-ordered ``X``."""

    @abc.abstractmethod
    def _backward(self, dS: NDArray) -> NDArray:
        """Level-ordered ``dX`` from level-ordered ``dS``; sets ``self.grads``."""

    @abc.abstractmethod
    def _cell(self, x: NDArray, children: list[NodeState | None]) -> tuple[NodeState, Any]:
        """One node's state (a tuple whose first array is the output) and a cache."""

    @abc.abstractmethod
    def _cell_backward(
        self, cache: Any, dstate: NodeState, grads: dict[str, NDArray]
    ) -> tuple[NDArray, list[NodeState | None]]:
        """``(dx, dchildren)`` for one node, adding its parameter gradients into ``grads``."""

    @classmethod
    def equations(cls) -> list[Any]:
        """The defining equations as sympy ``Eq`` objects (empty if not provided)."""
        return []

    @property
    def state_params(self) -> tuple[str, ...]:
        """The parameters the node states depend on (all, unless a net has others, as RAAM)."""
        return tuple(self.params)

    # ------------------------------------------------------------------ the contract
    def _check_forest(self, forest: Any) -> Forest:
        forest = as_forest(forest)
        if forest.input_size != self.input_size:
            node = next(iter(forest.graphs[0].nodes))
            raise ValueError(
                f"forest[0], node {node!r}: feature {forest.feature!r} has {forest.input_size} "
                f"numbers; {type(self).__name__} has input_size={self.input_size}"
            )
        if self.arity is not None:
            forest.slots_by_level(self.arity, f"{type(self).__name__}(arity={self.arity})")
        return forest

    def forward(self, forest: Any) -> NDArray:
        """Every node's state, computed bottom-up level by level over the whole forest.

        Parameters
        ----------
        forest : Forest, networkx.DiGraph or list of them
            Trees or DAGs, edges parent -> child, features in node attribute ``"x"`` (compile a
            :class:`Forest` yourself for other attribute names, or to reuse it).

        Returns
        -------
        H : ndarray, shape (N, output_size)
            One row per node, graph by graph in each graph's ``G.nodes`` order.
        """
        forest = self._check_forest(forest)
        S = self._forward(forest, forest.level_features(self.dtype))
        self.forest = forest
        return S[forest.position]

    def backward(self, dH: Any) -> NDArray:
        """Backpropagation through structure through the last :meth:`forward`.

        Parameters
        ----------
        dH : array_like, shape (N, output_size)
            Gradient of the loss with respect to every node's state (zeros for the nodes it
            does not reach: give only the roots' rows for a per-tree loss).

        Returns
        -------
        dX : ndarray, shape (N, input_size)
            Gradient with respect to every node's features. ``self.grads`` holds the parameter
            gradients; a node shared by several parents has received the sum of their
            gradients.
        """
        if self.forest is None or self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        forest = self.forest
        shape = (forest.n_nodes, self.output_size)
        doc = f"(N={shape[0]}, output_size={shape[1]}) like the last output"
        dH = check_array(dH, "dH", shape=shape, dtype=self.dtype, shape_doc=doc)
        dX = self._backward(np.ascontiguousarray(dH[forest.perm]))
        return dX[forest.position]

    def __call__(self, forest: Any) -> NDArray:
        return self.forward(forest)

    # ------------------------------------------------------------------ node by node
    def _children_of(self, G: Any, node: Hashable, order: str) -> list[tuple[Hashable, int]]:
        """``(child, slot)`` pairs of ``node`` read from the graph (slot -1 when unordered)."""
        pairs = [(v, -1 if s is None else int(s)) for _, v, s in G.out_edges(node, data=order)]
        return pairs

    def forward_node_by_node(self, forest: Any) -> NDArray:
        """The same states as :meth:`forward`, one node at a time, recursively from the graphs.

        Each node's children are read from its graph (``G.out_edges``) and a node shared by
        several parents is evaluated once (memoised); nothing of the level schedule is used.
        This is the plain evaluation :meth:`forward` is checked against, and the "node by node"
        of the benchmark.
        """
        forest = self._check_forest(forest)
        states: list[dict[Hashable, NodeState]] = []
        caches: list[dict[Hashable, Any]] = []
        kids: list[dict[Hashable, list[tuple[Hashable, int]]]] = []
        H = np.empty((forest.n_nodes, self.output_size), dtype=self.dtype)
        for g, G in enumerate(forest.graphs):
            st: dict[Hashable, NodeState] = {}
            ca: dict[Hashable, Any] = {}
            ki: dict[Hashable, list[tuple[Hashable, int]]] = {}
            for root in G.nodes:
                # post-order walk with an explicit stack (no recursion limit)
                stack = [(root, False)]
                while stack:
                    node, expanded = stack.pop()
                    if node in st:
                        continue
                    if node not in ki:
                        ki[node] = self._children_of(G, node, forest.order)
                    if not expanded:
                        stack.append((node, True))
                        stack.extend((c, False) for c, _ in ki[node] if c not in st)
                        continue
                    x = np.asarray(G.nodes[node][forest.feature], dtype=self.dtype)
                    if self.arity is None:
                        children: list[NodeState | None] = [st[c] for c, _ in ki[node]]
                    else:
                        children = [None] * self.arity
                        for c, s in ki[node]:
                            children[s] = st[c]
                    st[node], ca[node] = self._cell(x, children)
            for k, node in enumerate(G.nodes):
                H[int(forest.offsets[g]) + k] = st[node][0]
            states.append(st)
            caches.append(ca)
            kids.append(ki)
        self._nbn = (forest, states, caches, kids)
        return H

    def backward_node_by_node(self, dH: Any) -> NDArray:
        """Backpropagation one node at a time through :meth:`forward_node_by_node`.

        Sets ``self.grads``; returns ``dX`` like :meth:`backward`.
        """
        if self._nbn is None:
            raise RuntimeError("backward_node_by_node() needs a forward_node_by_node() first")
        forest, states, caches, kids = self._nbn
        shape = (forest.n_nodes, self.output_size)
        dH = check_array(dH, "dH", shape=shape, dtype=self.dtype)
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        dX = np.zeros((forest.n_nodes, self.input_size), dtype=self.dtype)
        for g, G in enumerate(forest.graphs):
            base = int(forest.offsets[g])
            row = {node: base + k for k, node in enumerate(G.nodes)}
            pending: dict[Hashable, list[NDArray]] = {}
            # reverse topological order: every parent before its children
            order = _topological_order(G, kids[g])
            for node in order:
                st = states[g][node]
                d = pending.pop(node, None)
                if d is None:
                    d = [np.zeros_like(a) for a in st]
                d[0] = d[0] + dH[row[node]]
                dx, dchildren = self._cell_backward(caches[g][node], tuple(d), grads)
                dX[row[node]] = dx
                slots = (
                    list(enumerate(kids[g][node]))
                    if self.arity is None
                    else [(s, (c, s)) for c, s in kids[g][node]]
                )
                for k, (c, _) in slots:
                    dc = dchildren[k]
                    if dc is None:
                        continue
                    if c in pending:
                        pending[c] = [a + b for a, b in zip(pending[c], dc, strict=True)]
                    else:
                        pending[c] = [a.copy() for a in dc]
        self.grads = grads
        return dX

    # ------------------------------------------------------------------ housekeeping
    def zero_grad(self) -> None:
        """Set every gradient to zero (creating ``grads`` if backward has not run)."""
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__`` (JSON-serialisable)."""
        config: dict[str, Any] = {}
        for name, p in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or name in self._config_exclude:
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            config[name] = io.to_jsonable(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> StructureModel:
        """Build a model skeleton from :meth:`get_config`'s output (weights are then loaded)."""
        return cls(**config, dtype=dtype)

    def save(self, path: Any) -> None:
        """Save parameters and hyperparameters to one safetensors file (see ``load``)."""
        io.save(self, path)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"{type(self).__name__}({args}{dt})"


def _topological_order(G: Any, kids: dict[Hashable, list[tuple[Hashable, int]]]) -> list[Hashable]:
    """The nodes of ``G`` with every parent before its children (reverse post-order)."""
    seen: set[Hashable] = set()
    post: list[Hashable] = []
    for root in G.nodes:
        if root in seen:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                post.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c, _ in kids[node] if c not in seen)
    return post[::-1]
