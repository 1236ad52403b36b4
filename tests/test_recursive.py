"""RecursiveNN: the composition by hand, BPTS on a DAG by hand, a learning test.

The reference numbers come from the papers' equations written out in the test (Goller &
Küchler 1996's folding architecture, Socher et al. 2011's composition ``tanh(W [c1; c2] + b)``),
independent of the library's per-node cells; the learning test trains on Boolean expressions
of depth 1-3 and scores depth 4-5.
"""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo import Linear
from recurrent_zoo.recursive import RecursiveNN
from recurrent_zoo.tasks.trees import boolean_expressions, from_bracketed
from recurrent_zoo.training.structure import evaluate_forest, fit_forest


def test_recursive_composition_by_hand():
    """((a b) c): Socher 2011's binary composition with labels as Goller & Küchler's input."""
    feats = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.0, 0.0, 1.0]}
    G = from_bracketed("((a b) c)", features=feats)
    model = RecursiveNN(3, 4, seed=0)
    W, U, b = (model.params[k] for k in ("weight_ih", "weight_hh", "bias"))
    H = model.forward(G)
    leaf = {k: np.tanh(W @ np.asarray(v) + b) for k, v in feats.items()}
    ab = np.tanh(U @ np.r_[leaf["a"], leaf["b"]] + b)  # the internal nodes have zero features
    root = np.tanh(U @ np.r_[ab, leaf["c"]] + b)
    np.testing.assert_allclose(H[0], root, rtol=1e-13)
    np.testing.assert_allclose(H[1], ab, rtol=1e-13)
    np.testing.assert_allclose(H[[2, 3, 4]], [leaf["a"], leaf["b"], leaf["c"]], rtol=1e-13)


def test_recursive_bpts_on_a_dag_by_hand():
    """p = f(s, s) with s shared: d/ds sums what both slots send back (BPTS on a DAG)."""
    G = nx.MultiDiGraph()
    G.add_node("p", x=np.zeros(2))
    G.add_node("s", x=np.array([0.3, -0.7]))
    G.add_edge("p", "s", order=0)
    G.add_edge("p", "s", order=1)
    model = RecursiveNN(2, 3, activation="sigmoid", seed=1)
    W, U, b = (model.params[k] for k in ("weight_ih", "weight_hh", "bias"))
    H = model.forward(G)
    s = 1 / (1 + np.exp(-(W @ G.nodes["s"]["x"] + b)))
    p = 1 / (1 + np.exp(-(U @ np.r_[s, s] + b)))
    np.testing.assert_allclose(H, [p, s], rtol=1e-13)
    dH = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # the loss reads p[0] only
    dX = model.backward(dH)
    dzp = dH[0] * p * (1 - p)
    ds = U[:, :3].T @ dzp + U[:, 3:].T @ dzp  # both slots
    dzs = ds * s * (1 - s)
    np.testing.assert_allclose(dX[1], W.T @ dzs, rtol=1e-12)
    np.testing.assert_allclose(model.grads["bias"], dzp + dzs, rtol=1e-12)
    np.testing.assert_allclose(model.grads["weight_hh"], np.outer(dzp, np.r_[s, s]), rtol=1e-12)


def test_recursive_learns_boolean_expressions_deeper_than_trained():
    """Trained on depths 1-3 with every sub-expression's value as a target (per-node loss),
    tested at the root on depths 4-5; the compare run and the slow test train on the roots'
    values only and go deeper."""
    train = boolean_expressions(400, max_depth=3, seed=0)
    test = boolean_expressions(300, min_depth=4, max_depth=5, seed=1)
    model, readout = RecursiveNN(6, 12, seed=0), Linear(12, 2, seed=1)
    forest = train.forest()
    fit_forest(model, readout, forest, train.node_targets, on="nodes", lr=0.02, epochs=10, seed=0)
    accuracy = evaluate_forest(model, readout, test.forest(), test.targets)["accuracy"]
    assert accuracy >= 0.95, accuracy


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recursive_boolean_target_at_the_roots(seed):
    """The issue's target: >= 99% on held-out expressions deeper than training (depths 5-7
    after depths 1-4), from the roots' values only -- the compare run in full mode, three seeds
    (measured 1.0 for each, benchmarks/results/boolean_recursive.txt; quick mode's budget
    leaves seed 2 at 0.978)."""
    from recurrent_zoo.recursive import compare_run

    result = compare_run(quick=False, seed=seed)
    assert result["value"] >= 0.99, result
