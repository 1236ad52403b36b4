"""The forest machinery of recursive nets (recurrent_zoo._core.structure).

The schedule is checked against networkx itself: the levels are
``networkx.topological_generations`` of the disjoint union with the edges reversed; the index
arrays against plain loops; ``ScatterAdd`` against ``np.add.at``.
"""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo._core.structure import Forest, ScatterAdd, segment_sum
from recurrent_zoo.recursive import RecursiveNN


def _random_graphs(rng, n_graphs=6, dag=True, arity=2):
    """Random trees and (every other graph) DAGs, at most ``arity`` children per node."""
    graphs = []
    for g in range(n_graphs):
        n = int(rng.integers(1, 12))
        G = nx.MultiDiGraph() if dag and g % 2 else nx.DiGraph()
        used = {}
        for k in range(n):
            G.add_node((g, k), x=rng.standard_normal(2))
        for k in range(1, n):
            n_parents = 1 + int(dag and g % 2 and rng.random() < 0.4)
            for _ in range(n_parents):
                free = [p for p in range(k) if used.get(p, 0) < arity]
                if not free:
                    break
                p = free[int(rng.integers(len(free)))]
                G.add_edge((g, p), (g, k), order=used.get(p, 0))
                used[p] = used.get(p, 0) + 1
        graphs.append(G)
    return graphs


def test_levels_are_networkx_topological_generations_of_the_reversed_union():
    rng = np.random.default_rng(0)
    for _ in range(5):
        graphs = _random_graphs(rng)
        forest = Forest(graphs)
        union = nx.disjoint_union_all([nx.DiGraph(G) for G in graphs])
        generations = list(nx.topological_generations(union.reverse()))
        assert forest.n_levels == len(generations)
        for L, gen in enumerate(generations):
            rows = forest.perm[forest.level_bounds[L] : forest.level_bounds[L + 1]]
            assert sorted(rows.tolist()) == sorted(gen)
        # heights by their definition
        for r in range(forest.n_nodes):
            kids = forest.child[forest.parent == r]
            expected = 0 if kids.size == 0 else 1 + forest.height[kids].max()
            assert forest.height[r] == expected


def test_rows_roots_and_maps():
    G1 = nx.DiGraph([("a", "b"), ("a", "c")])
    G2 = nx.DiGraph()
    G2.add_node("z")
    for G in (G1, G2):
        nx.set_node_attributes(G, {n: [float(ord(n))] for n in G}, "x")
    forest = Forest([G1, G2])
    assert forest.rows(1) == slice(3, 4)
    assert forest.roots().tolist() == [0, 3]
    assert forest.node_of(2) == (0, "c") and forest.node_index(1, "z") == 3
    assert forest.graph_of_rows([0, 3]).tolist() == [0, 1]
    parts = forest.to_dicts(forest.features)
    assert parts[0]["c"].tolist() == [99.0] and parts[1]["z"].tolist() == [122.0]
    assert "2 graphs, 4 nodes" in repr(forest)
    with pytest.raises(KeyError, match="forest\\[0\\] has no node 'q'"):
        forest.node_index(0, "q")


def test_subset_equals_compiling_the_chosen_graphs():
    rng = np.random.default_rng(1)
    graphs = _random_graphs(rng, 8)
    forest = Forest(graphs)
    pick = [5, 0, 3]
    sub, direct = forest.subset(pick), Forest([graphs[k] for k in pick])
    for name in ("features", "offsets", "parent", "child", "slot", "height", "perm"):
        np.testing.assert_array_equal(getattr(sub, name), getattr(direct, name), err_msg=name)
    model = RecursiveNN(2, 3, arity=2, seed=0)
    np.testing.assert_array_equal(model.forward(sub), model.forward(direct))
    with pytest.raises(IndexError, match="graph indices"):
        forest.subset([8])


def test_with_features_shares_the_structure():
    rng = np.random.default_rng(2)
    forest = Forest(_random_graphs(rng))
    other = forest.with_features(np.zeros((forest.n_nodes, 5)))
    assert other.input_size == 5 and forest.input_size == 2
    assert other.perm is forest.perm
    with pytest.raises(ValueError, match="features"):
        forest.with_features(np.zeros((forest.n_nodes + 1, 2)))


def test_level_edges_and_slots_against_loops():
    rng = np.random.default_rng(3)
    forest = Forest(_random_graphs(rng, 10))
    pos = forest.position
    edges = set()
    for lv in forest.edges_by_level():
        for parent, child in zip(lv.parents, lv.children, strict=True):
            edges.add((int(forest.perm[lv.start + parent]), int(forest.perm[child])))
        # segments start each parent's run of edges
        assert np.all(np.diff(lv.parents) >= 0)
        np.testing.assert_array_equal(lv.parents[lv.segments], np.arange(lv.stop - lv.start))
    assert edges == set(zip(forest.parent.tolist(), forest.child.tolist(), strict=True))
    table = forest.child_table(2)
    for lv in forest.slots_by_level(2):
        for k in range(lv.stop - lv.start):
            row = forest.perm[lv.start + k]
            for s in range(2):
                want = table[row, s]
                got = lv.table[k, s]
                assert (got == forest.n_nodes) if want < 0 else (got == pos[want])


def test_scatter_add_matches_add_at():
    rng = np.random.default_rng(4)
    for rows in (rng.permutation(7)[:5], rng.integers(0, 6, size=12)):
        values = rng.standard_normal((rows.size, 3))
        expected = np.zeros((7, 3))
        np.add.at(expected, rows, values)
        target = np.zeros((7, 3))
        ScatterAdd.build(rows)(target, values)
        np.testing.assert_allclose(target, expected, rtol=1e-15, atol=1e-15)


def test_segment_sum():
    values = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(
        segment_sum(values, np.array([0, 1, 4])), [[0, 1], [12, 15], [18, 20]]
    )


def test_multidigraph_parallel_edges_fill_two_slots():
    G = nx.MultiDiGraph()
    G.add_node("f", x=[1.0, 0.0])
    G.add_node("a", x=[0.0, 1.0])
    G.add_edge("f", "a", order=0)
    G.add_edge("f", "a", order=1)
    forest = Forest([G])
    assert forest.child_table(2).tolist() == [[1, 1], [-1, -1]]
    assert forest.n_levels == 2


def test_bad_forests_name_the_graph_and_node():
    G = nx.DiGraph([("a", "b")])
    nx.set_node_attributes(G, {"a": [1.0], "b": [2.0]}, "x")
    with pytest.raises(TypeError, match="list of networkx DiGraphs"):
        Forest(5)
    H = nx.DiGraph([("p", "q"), ("q", "r"), ("r", "p")])
    nx.set_node_attributes(H, [0.0], "x")
    with pytest.raises(ValueError, match=r"forest\[1\] has a cycle \('p' -> 'q' -> 'r' -> 'p'\)"):
        Forest([G, H])
    G2 = G.copy()
    G2.nodes["b"]["x"] = [1.0, 2.0]
    with pytest.raises(ValueError, match=r"forest\[0\], node 'b'.*2 numbers.*node 'a'.*has 1"):
        Forest([G2])
    G3 = G.copy()
    G3.add_edge("a", "c", order=0)
    G3.add_edge("a", "b", order=0)
    G3.nodes["c"]["x"] = [0.0]
    with pytest.raises(ValueError, match=r"node 'a': two children share slot order=0"):
        Forest([G3]).child_table(2)
    with pytest.raises(ValueError, match=r"node 'a' has 2 children; M\(arity=1\)"):
        Forest([G3]).child_table(1, "M(arity=1)")
    Forest([G], feature="x", order="slot")  # other attribute names
    with pytest.raises(ValueError, match=r"node 'a': no feature 'emb'"):
        Forest([G], feature="emb")
