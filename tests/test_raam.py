"""RAAM (Pollack 1990): the encoder and decoder by hand, the exact reconstruction gradient,
the terminal test, and exact reconstruction of a small grammar after training."""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo._core.structure import Forest
from recurrent_zoo.raam import RAAM, exact_reconstructions, train_raam
from recurrent_zoo.tasks.trees import from_bracketed, raam_grammar, to_bracketed
from recurrent_zoo.testing import numerical_gradient, relative_error

TERMINALS = {"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "C": [0.0, 0.0, 1.0, 0.0]}


def test_codes_by_hand():
    model = RAAM(4, seed=0)
    We, be = model.params["encoder_weight"], model.params["encoder_bias"]
    G = from_bracketed("((A B) C)", features=TERMINALS)
    H = model.forward(G)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    ab = sig(We @ np.r_[TERMINALS["A"], TERMINALS["B"]] + be)
    np.testing.assert_allclose(H[1], ab, rtol=1e-13)
    np.testing.assert_allclose(H[0], sig(We @ np.r_[ab, TERMINALS["C"]] + be), rtol=1e-13)
    np.testing.assert_array_equal(H[2], TERMINALS["A"])  # a leaf's code is its terminal
    Wd, bd = model.params["decoder_weight"], model.params["decoder_bias"]
    np.testing.assert_allclose(model.decode(H[:1])[0].ravel(), sig(Wd @ H[0] + bd), rtol=1e-13)
    assert model.decode(H).shape == (5, 2, 4)


def _forest():
    trees = ["((A B) C)", "(A (B (C A)))", "((A A) (B C))", "(C B)"]
    return Forest([from_bracketed(t, features=TERMINALS) for t in trees])


def test_reconstruction_loss_gradient_is_exact():
    model = RAAM(4, seed=1)
    forest = _forest()
    model.reconstruction_loss(forest)
    analytic = {k: v.copy() for k, v in model.grads.items()}
    for k, p in model.params.items():
        numeric = numerical_gradient(lambda: model.reconstruction_loss(forest), p)
        assert relative_error(analytic[k], numeric) <= 1e-6, k


def test_moving_target_holds_the_targets_fixed():
    """Pollack's moving target: the same decoder gradient, an encoder gradient without the
    targets' own dependence on the weights (so it differs from the exact one)."""
    model = RAAM(4, seed=2)
    forest = _forest()
    model.reconstruction_loss(forest)
    exact = {k: v.copy() for k, v in model.grads.items()}
    model.reconstruction_loss(forest, moving_target=True)
    for k in ("decoder_weight", "decoder_bias"):
        np.testing.assert_allclose(model.grads[k], exact[k], rtol=1e-12)
    assert not np.allclose(model.grads["encoder_weight"], exact["encoder_weight"])
    # the fixed-target gradient: finite differences of the loss whose targets -- the children's
    # codes -- are frozen at their current values while the weights move
    table = forest.child_table(2)
    internal = np.flatnonzero(forest.n_children > 0)
    frozen = model.forward(forest)[table[internal]].reshape(internal.size, 8)

    def loss_with_frozen_targets():
        codes = model.forward(forest)
        r = model.decode(codes[internal]).reshape(internal.size, 8)
        return 0.5 * float(((r - frozen) ** 2).sum()) / internal.size

    for k in ("encoder_weight", "encoder_bias"):
        numeric = numerical_gradient(loss_with_frozen_targets, model.params[k])
        assert relative_error(model.grads[k], numeric) <= 1e-6, k


def test_reconstruct_terminal_test_and_nil():
    """A linear decoder set by hand: code e4 decodes into (A, nil, e3), code e3 into
    (B, C, nil); e3 is near no terminal, so it is decoded again."""
    model = RAAM(4, arity=3, activation="identity", seed=0)
    Wd, bd = model.params["decoder_weight"], model.params["decoder_bias"]
    terminals = {"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "C": [0.0, 0.0, 1.0, 1.0]}
    Wd[...] = 0.0
    bd[...] = 0.0
    Wd[0:4, 3] = terminals["A"]  # e4 -> slot 0: A
    Wd[8:12, 3] = [0.0, 0.0, 1.0, 0.0]  # e4 -> slot 2: e3; slot 1 stays 0 (nil)
    Wd[0:4, 2] = terminals["B"]  # e3 -> slot 0: B
    Wd[4:8, 2] = terminals["C"]  # e3 -> slot 1: C
    code = np.eye(4)[3][None]
    (G,) = model.reconstruct(code, terminals, tolerance=0.3)
    assert to_bracketed(G) == "(A (B C))"
    assert sorted(s for _, _, s in G.out_edges(0, data="order")) == [0, 2]
    (cut,) = model.reconstruct(code, terminals, tolerance=0.3, max_depth=1)
    assert to_bracketed(cut) == "(A None)"  # e3 not decoded further: a failure marker
    with pytest.raises(ValueError, match="terminals"):
        model.reconstruct(code, {"A": [1.0, 0.0]})
    with pytest.raises(ValueError, match="no internal node"):
        model.reconstruction_loss(from_bracketed("A", features=TERMINALS))


def test_raam_reconstructs_a_small_grammar_exactly():
    """All 4 binary trees of height 1 over A, B: exact after training (Pollack 1990)."""
    data = raam_grammar(("A", "B"), max_depth=1, code_size=8)
    model = RAAM(8, seed=0)
    train_raam(
        model,
        data.forest(),
        steps=1500,
        lr=0.03,
        check=lambda: exact_reconstructions(model, data).all(),
    )
    ok = exact_reconstructions(model, data)
    assert ok.all(), [t for t, o in zip(data.info["bracketed"], ok, strict=True) if not o]
    trees = model.reconstruct(model.encode(data.forest()), data.symbols, tolerance=0.3)
    assert [to_bracketed(G) for G in trees] == data.info["bracketed"]
    assert isinstance(trees[0], nx.DiGraph)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raam_reconstructs_every_tree_up_to_height_2(seed):
    """The compare run: all 36 binary trees over A, B of height 1-2 come back exactly."""
    from recurrent_zoo.raam import compare_run

    assert compare_run(quick=True, seed=seed)["value"] == 1.0
