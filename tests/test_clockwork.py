"""Clockwork RNN: the paper's update rule step by step, PyTorch autograd as a second opinion on
the gradients, block-triangular connectivity, held modules, the clock in the state, and the
cost of a forward pass counted in module-updates.

Reference: J. Koutník, K. Greff, F. Gomez, J. Schmidhuber, "A Clockwork RNN", ICML 2014, Sect. 3
(module i runs when t mod T_i = 0, T_i = 2^i; W_H block upper-triangular, slow feeds fast).
"""

import numpy as np
import pytest

from recurrent_zoo.clockwork import ClockworkRNN, compare_run, matched_elman_size
from recurrent_zoo.elman import Elman
from recurrent_zoo.testing import gradient_errors


def _naive(net, X, h0, clock, lengths=None):
    """The paper's equations one step and one sequence at a time, on the full W_H matrix.

    W_H is assembled here from the parameters, not by the model: block row i holds
    ``weight_hh_{i}`` in the columns of modules i, i + 1, ... and zeros left of them."""
    T, B, _ = X.shape
    m, H = net.module_size, net.hidden_size
    W_H = np.zeros((H, H))
    for i in range(net.n_modules):
        W_H[i * m : (i + 1) * m, i * m :] = net.params[f"weight_hh_{i}"]
    W_I = np.concatenate([net.params[f"weight_ih_{i}"] for i in range(net.n_modules)])
    b = np.concatenate([net.params[f"bias_{i}"] for i in range(net.n_modules)])
    L = np.full(B, T) if lengths is None else lengths
    Y = np.zeros((T, B, H))
    h_T = h0.copy()
    for k in range(B):
        h = h0[k].copy()
        for t in range(L[k]):
            new = np.tanh(W_I @ X[t, k] + W_H @ h + b)
            for i, period in enumerate(net.periods):
                if (clock[k] + t) % period == 0:
                    h[i * m : (i + 1) * m] = new[i * m : (i + 1) * m]
            Y[t, k] = h
        h_T[k] = h
    return Y, h_T


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_modules": 4},
        {"n_modules": 3, "periods": (1, 3, 3)},  # active sets {0}, {0, 1, 2}
        {"n_modules": 3, "periods": (2, 3, 4)},  # non-contiguous active sets, idle steps
        {"n_modules": 2, "periods": (1, 16)},  # the slow module may not run at all
    ],
)
@pytest.mark.parametrize(
    "clock, lengths",
    [([0, 0, 0], None), ([5, 5, 5], [9, 4, 1]), ([0, 1, 7], None), ([3, 0, 2], [2, 9, 6])],
    ids=["fresh", "same-phase-lengths", "mixed-phases", "mixed-phases-lengths"],
)
def test_the_update_rule_of_the_paper(kwargs, clock, lengths):
    rng = np.random.default_rng(0)
    n_modules = kwargs["n_modules"]
    net = ClockworkRNN(2, 2 * n_modules, **kwargs, seed=1)
    X = rng.normal(size=(9, 3, 2))
    h0 = rng.normal(size=(3, net.hidden_size))
    clock = np.array(clock)
    lengths = None if lengths is None else np.array(lengths)
    Y, (h_T, c_T) = net.forward(X, (h0, clock.astype(float)), lengths)
    Y_ref, h_ref = _naive(net, X, h0, clock, lengths)
    np.testing.assert_allclose(Y, Y_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_T, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(c_T, clock + (9 if lengths is None else lengths))


def test_gradients_match_torch_autograd():
    """A second opinion on BPTT: the same network written in torch, differentiated by autograd."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    net = ClockworkRNN(3, 8, 4, seed=3)
    T, B = 11, 2
    X = rng.normal(size=(T, B, 3))
    h0 = rng.normal(size=(B, 8))
    R = rng.normal(size=(T, B, 8))
    Y, _ = net.forward(X, (h0, np.zeros(B)))
    dX = net.backward(R)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    tX, th0 = torch.tensor(X, requires_grad=True), torch.tensor(h0, requires_grad=True)
    m = net.module_size
    h, outs = th0, []
    for t in range(T):
        parts = []
        for i, period in enumerate(net.periods):
            cols = slice(i * m, (i + 1) * m)
            if t % period == 0:
                drive = tX[t] @ tp[f"weight_ih_{i}"].T + h[:, i * m :] @ tp[f"weight_hh_{i}"].T
                parts.append(torch.tanh(drive + tp[f"bias_{i}"]))
            else:
                parts.append(h[:, cols])
        h = torch.cat(parts, dim=1)
        outs.append(h)
    loss = (torch.stack(outs) * torch.tensor(R)).sum()
    loss.backward()
    np.testing.assert_allclose(Y, torch.stack(outs).detach().numpy(), rtol=1e-12)
    for k, p in tp.items():
        np.testing.assert_allclose(net.grads[k], p.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.state_grad[0], th0.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_with_non_contiguous_active_sets_and_mixed_clocks():
    rng = np.random.default_rng(4)
    net = ClockworkRNN(2, 6, 3, periods=(2, 3, 4), seed=5)
    X = rng.normal(size=(6, 3, 2))
    state = (rng.normal(size=(3, 6)), np.array([0.0, 1.0, 5.0]))
    for lengths in (None, np.array([6, 2, 5])):
        errors = gradient_errors(net, X, state, lengths, seed=6)
        assert max(errors.values()) < 1e-7, errors


def test_gradients_with_shared_clocks_and_lengths():
    """One clock phase for the batch and unequal lengths: sequences finish while others run
    (the packed batch), with a gradient on every final state."""
    rng = np.random.default_rng(14)
    for periods in ((1, 2, 4), (2, 3, 4)):
        net = ClockworkRNN(2, 6, 3, periods=periods, seed=15)
        X = rng.normal(size=(7, 4, 2))
        state = (rng.normal(size=(4, 6)), np.full(4, 3.0))
        # a sequence of length 4 sits out an odd number of steps (its gradient must be carried
        # across the two buffers of the backward pass), one of length 5 an even number
        errors = gradient_errors(net, X, state, np.array([7, 4, 1, 5]), seed=16)
        assert max(errors.values()) < 1e-7, (periods, errors)


def test_the_recurrent_matrix_is_block_upper_triangular():
    net = ClockworkRNN(1, 8, 4, seed=17)
    W = net.recurrent_matrix()
    blocks = np.abs(W).reshape(4, 2, 4, 2).sum(axis=(1, 3))  # (G, G) block norms
    np.testing.assert_array_equal(blocks == 0, np.tril(np.ones((4, 4)), -1) == 1)


def test_slow_modules_never_read_fast_ones():
    """Changing the fastest module's initial state leaves every slower module untouched."""
    rng = np.random.default_rng(6)
    net = ClockworkRNN(2, 8, 4, seed=7)
    X = rng.normal(size=(16, 2, 2))
    h0 = rng.normal(size=(2, 8))
    Y, _ = net.forward(X, (h0, np.zeros(2)))
    h0b = h0.copy()
    h0b[:, :2] += 1.0  # module 0, the fastest
    Y2, _ = net.forward(X, (h0b, np.zeros(2)))
    np.testing.assert_array_equal(Y2[:, :, 2:], Y[:, :, 2:])
    assert np.abs(Y2[:, :, :2] - Y[:, :, :2]).max() > 1e-3
    h0c = h0.copy()
    h0c[:, 6:] += 1.0  # the slowest module reaches the fast ones
    Y3, _ = net.forward(X, (h0c, np.zeros(2)))
    assert np.abs(Y3[1, :, :2] - Y[1, :, :2]).max() > 1e-3


def test_modules_hold_between_their_updates():
    net = ClockworkRNN(1, 6, 3, seed=8)  # periods 1, 2, 4
    Y, _ = net.forward(np.random.default_rng(9).normal(size=(12, 1, 1)))
    slow = Y[:, 0, 4:]  # module 2 updates at t = 0, 4, 8
    for t in range(12):
        last_update = t - t % 4
        np.testing.assert_array_equal(slow[t], slow[last_update])
    assert np.abs(slow[4] - slow[0]).max() > 0


def test_every_module_runs_at_clock_zero_and_the_clock_carries():
    net = ClockworkRNN(1, 4, 2, periods=(1, 8), seed=10)
    X = np.ones((3, 1, 1))
    h0 = np.zeros((1, 4))
    Y, (_, clock) = net.forward(X, (h0, np.zeros(1)))
    assert np.abs(Y[0, 0, 2:]).min() > 0  # the slow module ran at step 0
    np.testing.assert_array_equal(clock, [3.0])
    Y1, _ = net.forward(X, (h0, np.ones(1)))  # a clock of 1: the slow module waits for step 7
    np.testing.assert_array_equal(Y1[:, 0, 2:], 0.0)


def test_a_single_module_is_an_elman_net():
    """One module of period 1 is a simple recurrent net: Elman with the same weights."""
    rng = np.random.default_rng(11)
    cw = ClockworkRNN(3, 5, 1, seed=12)
    elman = Elman(3, 5, seed=0)
    elman.params["weight_ih_l0"][...] = cw.params["weight_ih_0"]
    elman.params["weight_hh_l0"][...] = cw.params["weight_hh_0"]
    elman.params["bias_ih_l0"][...] = cw.params["bias_0"]
    elman.params["bias_hh_l0"][...] = 0.0
    X = rng.normal(size=(6, 4, 3))
    np.testing.assert_allclose(cw.forward(X)[0], elman.forward(X)[0], rtol=1e-12)


def test_inactive_modules_cost_nothing():
    """The forward pass computes exactly the active module-updates: the activation arrays it
    keeps hold B * module_size numbers per module-update, and no more."""
    net = ClockworkRNN(1, 16, 8, seed=13)
    T, B = 64, 3
    net.forward(np.ones((T, B, 1)))
    (_, caches) = net._cache
    acts = caches[0][1][6]
    computed = sum(a.size for a in acts)
    assert computed == B * net.module_size * net.module_updates(T)
    assert net.module_updates(T) == sum(-(-T // p) for p in net.periods) == 128  # of 8 * 64
    assert net.module_updates(T) <= 0.25 * net.n_modules * T


def test_parameters_count_only_real_connections():
    """64 units in 8 modules: W_H has 36 of 64 blocks (the npow/cybertronai reproduction counts
    2,497 parameters with a 1-output readout), matched by a 48-unit Elman net."""
    net = ClockworkRNN(1, 64, 8)
    assert net.n_params + 64 + 1 == 2497
    assert matched_elman_size(2497) == 48
    assert Elman(1, 48).n_params + 48 + 1 == 2497


def test_bad_periods_are_refused():
    with pytest.raises(ValueError, match="periods"):
        ClockworkRNN(1, 4, 2, periods=(2, 1))
    with pytest.raises(ValueError, match="periods"):
        ClockworkRNN(1, 4, 2, periods=(1, 2, 4))
    with pytest.raises(ValueError, match="periods"):
        ClockworkRNN(1, 4, 2, periods=(1, 0))
    with pytest.raises(ValueError, match="multiple of n_modules"):
        ClockworkRNN(1, 5, 2)


def test_equations():
    (eq,) = ClockworkRNN.equations()
    assert "Mod" in str(eq.rhs) and "tanh" in str(eq.rhs)


@pytest.mark.slow
def test_compare_run_full():
    """The full comparison (1,500 epochs): CW-RNN MSE <= 0.5 x the matched Elman net's."""
    result = compare_run(quick=False, seed=0)
    assert result["passed"], result
