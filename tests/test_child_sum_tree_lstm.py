"""Child-Sum Tree-LSTM: parity with ``treelstm.pytorch``, the equations by hand, a learning test.

The peer reference is the node-by-node PyTorch implementation of ``treelstm.pytorch``
(dasguptar), the one most users meet: ``ioux``/``iouh`` and ``fx``/``fh`` linear layers, the
children's ``h`` summed for the ``i, o, u`` gates, one forget gate per child, autograd through a
recursive walk. It is rebuilt here in torch (float64) on our weights; states and every gradient
must agree to 1e-10.
"""

import networkx as nx
import numpy as np
import pytest
from tree_helpers import mixed_forest, torch_run

from recurrent_zoo._core.ops import sigmoid
from recurrent_zoo._core.structure import Forest
from recurrent_zoo.child_sum_tree_lstm import ChildSumTreeLSTM


def _torch_child_sum(torch, model):
    """treelstm.pytorch's ChildSumTreeLSTM on our weights (its two biases: ours and zero)."""
    H, I = model.hidden_size, model.input_size
    p = model.params
    m = torch.nn.ModuleDict(
        {
            "ioux": torch.nn.Linear(I, 3 * H),
            "iouh": torch.nn.Linear(H, 3 * H),
            "fx": torch.nn.Linear(I, H),
            "fh": torch.nn.Linear(H, H),
        }
    ).double()
    with torch.no_grad():
        m["ioux"].weight.copy_(torch.from_numpy(p["weight_ih"][: 3 * H]))
        m["ioux"].bias.copy_(torch.from_numpy(p["bias"][: 3 * H]))
        m["iouh"].weight.copy_(torch.from_numpy(p["weight_hh"][: 3 * H]))
        m["iouh"].bias.zero_()
        m["fx"].weight.copy_(torch.from_numpy(p["weight_ih"][3 * H :]))
        m["fx"].bias.copy_(torch.from_numpy(p["bias"][3 * H :]))
        m["fh"].weight.copy_(torch.from_numpy(p["weight_hh"][3 * H :]))
        m["fh"].bias.zero_()

    def node_forward(x, child_c, child_h):  # as treelstm.pytorch's node_forward
        child_h_sum = torch.sum(child_h, dim=0, keepdim=True)
        iou = m["ioux"](x) + m["iouh"](child_h_sum)
        i, o, u = torch.split(iou, iou.size(1) // 3, dim=1)
        i, o, u = torch.sigmoid(i), torch.sigmoid(o), torch.tanh(u)
        f = torch.sigmoid(m["fh"](child_h) + m["fx"](x).repeat(len(child_h), 1))
        fc = torch.mul(f, child_c)
        c = torch.mul(i, u) + torch.sum(fc, dim=0, keepdim=True)
        h = torch.mul(o, torch.tanh(c))
        return c, h

    return m, node_forward


@pytest.mark.parametrize("dtype_name", ["float64"])
def test_child_sum_matches_treelstm_pytorch(dtype_name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    model = ChildSumTreeLSTM(3, 4, seed=1)
    graphs = mixed_forest(rng, 3)
    forest = Forest(graphs)
    H = model.forward(forest)
    R = rng.standard_normal(H.shape)
    dX = model.backward(R)
    m, node_forward = _torch_child_sum(torch, model)
    X = torch.tensor(forest.features, requires_grad=True)
    zero = torch.zeros(1, 4, dtype=torch.float64)

    def step(x, kids):
        if not kids:
            return node_forward(x, zero, zero)
        return node_forward(x, torch.cat([c for c, _ in kids]), torch.cat([h for _, h in kids]))

    Ht = torch_run(torch, graphs, X, step, zero)
    (Ht * torch.from_numpy(R)).sum().backward()
    np.testing.assert_allclose(H, Ht.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, X.grad.numpy(), rtol=1e-10, atol=1e-12)
    g, H4 = model.grads, 4
    pairs = [
        (g["weight_ih"][: 3 * H4], m["ioux"].weight.grad),
        (g["bias"][: 3 * H4], m["ioux"].bias.grad),
        (g["bias"][: 3 * H4], m["iouh"].bias.grad),
        (g["weight_hh"][: 3 * H4], m["iouh"].weight.grad),
        (g["weight_ih"][3 * H4 :], m["fx"].weight.grad),
        (g["bias"][3 * H4 :], m["fx"].bias.grad),
        (g["weight_hh"][3 * H4 :], m["fh"].weight.grad),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_child_sum_one_node_by_hand():
    """A parent with two leaves, Tai et al.'s eqs. 2-8 written out in numpy."""
    rng = np.random.default_rng(1)
    model = ChildSumTreeLSTM(2, 3, seed=2)
    W, U, b = (model.params[k] for k in ("weight_ih", "weight_hh", "bias"))
    x = {n: rng.standard_normal(2) for n in "pab"}
    G = nx.DiGraph([("p", "a"), ("p", "b")])
    nx.set_node_attributes(G, x, "x")
    H = model.forward([G])

    def gates(xj, h_tilde):
        z = W @ xj + b + np.r_[U[:9] @ h_tilde, np.zeros(3)]
        return sigmoid(z[:3]), sigmoid(z[3:6]), np.tanh(z[6:9])

    leaf = {}
    for n in "ab":
        i, o, u = gates(x[n], np.zeros(3))
        c = i * u
        leaf[n] = (o * np.tanh(c), c)
    i, o, u = gates(x["p"], leaf["a"][0] + leaf["b"][0])
    f = {n: sigmoid(W[9:] @ x["p"] + U[9:] @ leaf[n][0] + b[9:]) for n in "ab"}
    c = i * u + f["a"] * leaf["a"][1] + f["b"] * leaf["b"][1]
    np.testing.assert_allclose(H[0], o * np.tanh(c), rtol=1e-13)
    np.testing.assert_allclose(H[1], leaf["a"][0], rtol=1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_child_sum_boolean_deeper_than_trained(seed):
    """The Child-Sum compare run: unordered AND/OR/NOT, depths 4-5 after 1-3, >= 95%."""
    from recurrent_zoo.child_sum_tree_lstm import compare_run

    result = compare_run(quick=True, seed=seed)
    assert result["value"] >= 0.95, result
