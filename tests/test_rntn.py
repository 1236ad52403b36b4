"""RNTN: the tensor composition by hand, and a learning test on logical terms.

The reference is Socher et al. 2013's composition ``tanh(c^T V^[1:d] c + W c + b)`` written out
in the test, independent of the library's per-node cell; without the tensor the RNTN must be a
RecursiveNN with the same other weights.
"""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo.recursive import RecursiveNN
from recurrent_zoo.rntn import RNTN


def test_rntn_tensor_term_by_hand():
    rng = np.random.default_rng(2)
    G = nx.DiGraph()
    x = {n: rng.standard_normal(2) for n in "plr"}
    for n in "plr":
        G.add_node(n, x=x[n])
    G.add_edge("p", "l", order=0)
    G.add_edge("p", "r", order=1)
    model = RNTN(2, 3, seed=3)
    Wx, Wc, b, V = (model.params[k] for k in ("weight_ih", "weight_hh", "bias", "tensor"))
    H = model.forward(G)
    hl, hr = np.tanh(Wx @ x["l"] + b), np.tanh(Wx @ x["r"] + b)  # leaves: no children
    c = np.r_[hl, hr]
    bilinear = np.array(
        [sum(c[d] * V[k, d, e] * c[e] for d in range(6) for e in range(6)) for k in range(3)]
    )
    np.testing.assert_allclose(H[0], np.tanh(bilinear + Wc @ c + Wx @ x["p"] + b), rtol=1e-12)
    # without the tensor it is a RecursiveNN with the same other weights
    V[...] = 0.0
    rnn = RecursiveNN(2, 3, seed=0)
    for k in ("weight_ih", "weight_hh", "bias"):
        rnn.params[k][...] = model.params[k]
    np.testing.assert_allclose(model.forward(G), rnn.forward(G), rtol=1e-14)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rntn_logical_terms(seed):
    """The RNTN's compare run: instances of f(Z, Z) among DAG terms, >= 95% held out."""
    from recurrent_zoo.rntn import compare_run

    result = compare_run(quick=True, seed=seed)
    assert result["value"] >= 0.95, result
