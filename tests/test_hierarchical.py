"""Hierarchical RNN (El Hihi & Bengio 1995): the update rule step by step, held levels, each
level reading the one below at the same step, gradients with mixed clocks, and the reduction
to an Elman net.

The reference is the definition in the module docstring (levels with fixed, increasing update
intervals, each reading the level below), written here as a loop over steps and sequences.
"""

import numpy as np
import pytest

from recurrent_zoo.elman import Elman
from recurrent_zoo.hierarchical import HierarchicalRNN, compare_run
from recurrent_zoo.testing import gradient_errors


def _naive(net, X, h0, clock, lengths=None):
    T, B, _ = X.shape
    p = net.params
    slices = net.level_slices()
    L = np.full(B, T) if lengths is None else lengths
    Y = np.zeros((T, B, net.output_size))
    h_T = h0.copy()
    for k in range(B):
        h = [h0[k, s].copy() for s in slices]
        for t in range(L[k]):
            below = X[t, k]
            for level, interval in enumerate(net.intervals):
                if (clock[k] + t) % interval == 0:
                    h[level] = np.tanh(
                        p[f"weight_ih_{level}"] @ below
                        + p[f"weight_hh_{level}"] @ h[level]
                        + p[f"bias_{level}"]
                    )
                below = h[level]  # the level above reads this level's state after step t
            Y[t, k] = np.concatenate(h)
        h_T[k] = np.concatenate(h)
    return Y, h_T


@pytest.mark.parametrize(
    "sizes, intervals",
    [((3, 2), (1, 2)), ((2, 3, 2), (1, 3, 6)), ((2, 2, 2), (2, 3, 5)), ((3,), (1,))],
)
@pytest.mark.parametrize(
    "clock, lengths",
    [([0, 0, 0], None), ([4, 4, 4], [10, 3, 1]), ([0, 1, 5], None), ([2, 0, 7], [4, 10, 8])],
    ids=["fresh", "same-phase-lengths", "mixed-phases", "mixed-phases-lengths"],
)
def test_the_update_rule(sizes, intervals, clock, lengths):
    rng = np.random.default_rng(0)
    net = HierarchicalRNN(2, sizes, intervals=intervals, seed=1)
    X = rng.normal(size=(10, 3, 2))
    h0 = rng.normal(size=(3, net.output_size))
    clock = np.array(clock)
    lengths = None if lengths is None else np.array(lengths)
    Y, (h_T, c_T) = net.forward(X, (h0, clock.astype(float)), lengths)
    Y_ref, h_ref = _naive(net, X, h0, clock, lengths)
    np.testing.assert_allclose(Y, Y_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_T, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(c_T, clock + (10 if lengths is None else lengths))


def test_gradients_three_levels_mixed_clocks():
    rng = np.random.default_rng(2)
    net = HierarchicalRNN(2, (3, 2, 2), intervals=(1, 2, 4), seed=3)
    X = rng.normal(size=(6, 3, 2))
    state = (rng.normal(size=(3, 7)), np.array([0.0, 3.0, 6.0]))
    for lengths in (None, np.array([6, 5, 2])):
        errors = gradient_errors(net, X, state, lengths, seed=4)
        assert max(errors.values()) < 1e-7, errors


def test_gradients_with_shared_clocks_and_lengths():
    rng = np.random.default_rng(12)
    net = HierarchicalRNN(2, (3, 2), intervals=(1, 3), seed=13)
    X = rng.normal(size=(7, 4, 2))
    state = (rng.normal(size=(4, 5)), np.full(4, 2.0))
    errors = gradient_errors(net, X, state, np.array([7, 3, 1, 5]), seed=14)
    assert max(errors.values()) < 1e-7, errors


def test_slow_levels_hold_and_read_the_level_below_at_their_update():
    rng = np.random.default_rng(5)
    net = HierarchicalRNN(1, (2, 2), intervals=(1, 4), seed=6)
    X = rng.normal(size=(12, 1, 1))
    Y, _ = net.forward(X)
    top = Y[:, 0, 2:]
    for t in range(12):
        np.testing.assert_array_equal(top[t], top[t - t % 4])
    # the input at step 5 reaches the top level only at its next update, step 8
    X2 = X.copy()
    X2[5] += 1.0
    Y2, _ = net.forward(X2)
    np.testing.assert_array_equal(Y2[:8, 0, 2:], Y[:8, 0, 2:])
    assert np.abs(Y2[8, 0, 2:] - Y[8, 0, 2:]).max() > 1e-6
    # and the input at step 8 reaches it at step 8 (the level below runs first)
    X3 = X.copy()
    X3[8] += 1.0
    Y3, _ = net.forward(X3)
    assert np.abs(Y3[8, 0, 2:] - Y[8, 0, 2:]).max() > 1e-6


def test_the_input_reaches_only_the_bottom_level():
    net = HierarchicalRNN(3, (4, 2), seed=7)
    assert net.params["weight_ih_0"].shape == (4, 3)
    assert net.params["weight_ih_1"].shape == (2, 4)


def test_one_level_every_step_is_an_elman_net():
    rng = np.random.default_rng(8)
    net = HierarchicalRNN(3, (5,), intervals=(1,), seed=9)
    elman = Elman(3, 5, seed=0)
    elman.params["weight_ih_l0"][...] = net.params["weight_ih_0"]
    elman.params["weight_hh_l0"][...] = net.params["weight_hh_0"]
    elman.params["bias_ih_l0"][...] = net.params["bias_0"]
    elman.params["bias_hh_l0"][...] = 0.0
    X = rng.normal(size=(7, 2, 3))
    np.testing.assert_allclose(net.forward(X)[0], elman.forward(X)[0], rtol=1e-12)


def test_level_updates_and_default_intervals():
    net = HierarchicalRNN(1, (2, 2, 2, 2))
    assert net.intervals == (1, 2, 4, 8)
    assert net.level_updates(16) == [16, 8, 4, 2]
    assert net.level_updates(16, clock=1) == [16, 8, 4, 2]
    assert net.level_updates(3, clock=1) == [3, 1, 0, 0]


def test_each_level_computes_only_its_own_updates():
    """Level l's recurrence runs over ceil(T / k_l) steps, not T: the states it computes."""
    net = HierarchicalRNN(1, (4, 3, 2), intervals=(1, 4, 16), seed=10)
    net.forward(np.ones((64, 3, 1)))
    _, _, caches = net._cache
    computed = [cache[3].shape for cache in caches]  # the states each level computed
    assert computed == [(64, 3, 4), (16, 3, 3), (4, 3, 2)]
    assert [shape[0] for shape in computed] == net.level_updates(64)


def test_equations():
    update, reads = HierarchicalRNN.equations()
    assert "Mod" in str(update.rhs) and "h[l - 1, t]" in str(reads.rhs)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="intervals"):
        HierarchicalRNN(1, (2, 2), intervals=(4, 2))
    with pytest.raises(ValueError, match="intervals"):
        HierarchicalRNN(1, (2, 2), intervals=(1,))
    with pytest.raises(ValueError, match="hidden_sizes"):
        HierarchicalRNN(1, ())
    with pytest.raises(TypeError, match="hidden_sizes"):
        HierarchicalRNN(1, 3)


@pytest.mark.slow
def test_compare_run_full():
    """The full comparison (40 epochs): the hierarchical net beats the 64-unit Elman net."""
    result = compare_run(quick=False, seed=0)
    assert result["passed"], result
