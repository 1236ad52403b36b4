"""Training recursive nets: per-node and per-root losses (gradients by finite differences),
the minibatch loop over graphs, evaluation, argument checks."""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo import Linear
from recurrent_zoo._core.structure import Forest
from recurrent_zoo.child_sum_tree_lstm import ChildSumTreeLSTM
from recurrent_zoo.recursive import RecursiveNN
from recurrent_zoo.tasks.trees import boolean_expressions
from recurrent_zoo.testing import numerical_gradient, relative_error
from recurrent_zoo.training import get_optimizer
from recurrent_zoo.training.structure import (
    evaluate_forest,
    fit_forest,
    node_loss,
    parameters,
    predict_forest,
    root_loss,
)


def _forest():
    G1 = nx.DiGraph([(0, 1), (0, 2)])
    G2 = nx.DiGraph([("a", "c"), ("b", "c")])  # two roots
    for G in (G1, G2):
        nx.set_node_attributes(G, {n: np.ones(2) for n in G}, "x")
    return Forest([G1, G2])


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce"])
def test_losses_and_their_gradients(loss):
    rng = np.random.default_rng(0)
    forest = _forest()
    Y = rng.standard_normal((6, 3))
    if loss == "cross_entropy":
        node_t, root_t = rng.integers(0, 3, 6), rng.integers(0, 3, 3)
    else:
        node_t, root_t = rng.random((6, 3)), rng.random((3, 3))
    mask = np.array([1.0, 0.0, 2.0, 1.0, 1.0, 0.0])
    value, dY = node_loss(Y, node_t, mask, loss=loss)
    numeric = numerical_gradient(lambda: node_loss(Y, node_t, mask, loss=loss)[0], Y)
    assert relative_error(dY, numeric) < 1e-7
    assert np.all(dY[mask == 0] == 0)
    value, dY = root_loss(Y, forest, root_t, loss=loss)
    numeric = numerical_gradient(lambda: root_loss(Y, forest, root_t, loss=loss)[0], Y)
    assert relative_error(dY, numeric) < 1e-7
    assert forest.roots().tolist() == [0, 3, 5]  # G2 nodes: a, c, b
    assert np.all(dY[[1, 2, 4]] == 0)
    # the per-root loss is the per-node loss restricted to the roots
    full = np.zeros((6, *root_t.shape[1:]), dtype=root_t.dtype)
    full[[0, 3, 5]] = root_t
    assert value == pytest.approx(node_loss(Y, full, [1, 0, 0, 1, 0, 1], loss=loss)[0])


def test_fit_evaluate_predict():
    data = boolean_expressions(120, max_depth=2, seed=0)
    forest = data.forest()
    model, readout = ChildSumTreeLSTM(6, 6, seed=0), Linear(6, 2, seed=1)
    before = evaluate_forest(model, readout, forest, data.targets)
    history = fit_forest(model, readout, forest, data.targets, lr=0.05, epochs=8, seed=0)
    after = evaluate_forest(model, readout, forest, data.targets)
    assert history.epochs == 8 and history["loss"][-1] < history["loss"][0]
    assert after["loss"] < before["loss"]
    Y = predict_forest(model, readout, forest)
    accuracy = np.mean(Y[forest.roots()].argmax(1) == data.targets)
    assert after["accuracy"] == pytest.approx(accuracy)
    # same seed, same training
    m2, r2 = ChildSumTreeLSTM(6, 6, seed=0), Linear(6, 2, seed=1)
    fit_forest(m2, r2, forest, data.targets, lr=0.05, epochs=8, seed=0)
    np.testing.assert_array_equal(m2.params["weight_hh"], model.params["weight_hh"])


def test_fit_nodes_without_readout_and_a_callback():
    data = boolean_expressions(40, max_depth=2, seed=1)
    model = RecursiveNN(6, 2, activation="identity", seed=0)
    seen = []
    history = fit_forest(
        model,
        None,
        data.forest(),
        data.node_targets,
        on="nodes",
        epochs=5,
        seed=0,
        callback=lambda epoch, h: seen.append(epoch) or epoch == 2,
    )
    assert seen == [0, 1, 2] and history.epochs == 3
    opt = get_optimizer("sgd", parameters(model), lr=0.1)
    fit_forest(model, None, data.forest(), data.targets, optimizer=opt, epochs=1, seed=0)


def test_bad_arguments():
    data = boolean_expressions(10, max_depth=2, seed=2)
    forest = data.forest()
    model, readout = RecursiveNN(6, 3, seed=0), Linear(3, 2, seed=0)
    with pytest.raises(TypeError, match="StructureModel"):
        fit_forest(Linear(6, 2), readout, forest, data.targets)
    with pytest.raises(ValueError, match="one entry per root"):
        fit_forest(model, readout, forest, data.targets[:-1])
    with pytest.raises(ValueError, match="one entry per node"):
        fit_forest(model, readout, forest, data.targets, on="nodes")
    with pytest.raises(ValueError, match="on must be"):
        fit_forest(model, readout, forest, data.targets, on="leaves")
    with pytest.raises(ValueError, match="mask applies"):
        fit_forest(model, readout, forest, data.targets, mask=np.ones(forest.n_nodes))
    with pytest.raises(ValueError, match="Y must have one row per node"):
        root_loss(np.zeros((3, 2)), forest, data.targets)
