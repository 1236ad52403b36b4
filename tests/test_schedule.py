"""The clocked recurrence of _core.schedule: against a step-by-step loop, and float64 finite
differences of every argument (shared clock phase, per-sequence phases, lengths, no update)."""

import numpy as np
import pytest

from recurrent_zoo._core.schedule import (
    clock_from_state,
    clock_schedule,
    scheduled_layer,
    scheduled_layer_backward,
)
from recurrent_zoo.testing import numerical_gradient, relative_error


def _naive(X, W, R, b, h0, clock, period, lengths):
    """The definition, one step at a time: update when (clock + t) % period == 0, else hold."""
    T, B, _ = X.shape
    held = np.zeros((T, B, W.shape[0]))
    h = h0.copy()
    L = np.full(B, T) if lengths is None else lengths
    for t in range(T):
        for k in range(B):
            if t < L[k] and (clock[k] + t) % period == 0:
                h[k] = np.tanh(W @ X[t, k] + R @ h[k] + b)
            held[t, k] = h[k]
    return held, h


# clocks (B,) and lengths; whether the phases are shared depends on the period
CASES = [
    ("clocks 0 0 0", np.array([0, 0, 0]), None),
    ("clocks 1 1 1", np.array([1, 1, 1]), None),
    ("clocks 4 0 8, lengths", np.array([4, 0, 8]), np.array([7, 3, 1])),
    ("clocks 0 1 3", np.array([0, 1, 3]), None),
    ("clocks -1 2 5, lengths", np.array([-1, 2, 5]), np.array([7, 4, 2])),
]


@pytest.mark.parametrize("period", [1, 2, 4])
@pytest.mark.parametrize("label, clock, lengths", CASES, ids=[c[0] for c in CASES])
def test_scheduled_layer_is_the_definition(label, clock, lengths, period):
    rng = np.random.default_rng(0)
    T, B, I, H = 7, 3, 2, 3
    X = rng.normal(size=(T, B, I))
    W, R, b = rng.normal(size=(H, I)), 0.5 * rng.normal(size=(H, H)), rng.normal(size=H)
    h0 = rng.normal(size=(B, H))
    s = clock_schedule(clock, T, period, lengths)
    held, h_T, _ = scheduled_layer(s.gather(X), W, R, b, h0, "tanh", s)
    ref_held, ref_h = _naive(X, W, R, b, h0, clock, period, lengths)
    L = np.full(B, T) if lengths is None else lengths
    for k in range(B):
        np.testing.assert_allclose(held[: L[k], k], ref_held[: L[k], k], rtol=1e-12)
    np.testing.assert_allclose(h_T, ref_h, rtol=1e-12)
    assert s.n_updates == sum(
        sum((clock[k] + t) % period == 0 for t in range(L[k])) for k in range(B)
    )


@pytest.mark.parametrize("period", [1, 3])
@pytest.mark.parametrize("label, clock, lengths", CASES, ids=[c[0] for c in CASES])
def test_scheduled_layer_gradients(label, clock, lengths, period):
    """Every argument against central differences; the loss reads the held states (before each
    sequence's length) and the final state."""
    rng = np.random.default_rng(1)
    T, B, I, H = 7, 3, 2, 3
    X = rng.normal(size=(T, B, I))
    W, R, b = rng.normal(size=(H, I)), 0.5 * rng.normal(size=(H, H)), rng.normal(size=H)
    h0 = rng.normal(size=(B, H))
    s = clock_schedule(clock, T, period, lengths)
    L = np.full(B, T) if lengths is None else lengths
    keep = (np.arange(T)[:, None] < L[None, :])[:, :, None]
    Rh, Rs = rng.normal(size=(T, B, H)) * keep, rng.normal(size=(B, H))

    def loss():
        held, h_T, _ = scheduled_layer(s.gather(X), W, R, b, h0, "tanh", s)
        return float((held * Rh).sum() + (h_T * Rs).sum())

    held, h_T, cache = scheduled_layer(s.gather(X), W, R, b, h0, "tanh", s)
    dU, dh0, dW, dR, db = scheduled_layer_backward(cache, W, R, Rh, Rs, "tanh")
    dX = np.zeros((T + 1, B, I))
    s.scatter(dU, dX)
    for name, analytic, array in [
        ("X", dX[:T], X),
        ("W", dW, W),
        ("R", dR, R),
        ("b", db, b),
        ("h0", dh0, h0),
    ]:
        err = relative_error(analytic, numerical_gradient(loss, array))
        assert err < 1e-7, f"{name}: relative error {err:.2e}"


def test_a_block_that_never_updates_shows_its_initial_state():
    s = clock_schedule(np.array([1, 1]), 3, 8)  # next update at step 7 > T
    assert s.n == 0 and s.n_updates == 0
    h0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    held, h_T, cache = scheduled_layer(
        s.gather(np.ones((3, 2, 1))), np.ones((2, 1)), np.eye(2), None, h0, "tanh", s
    )
    np.testing.assert_array_equal(held, np.broadcast_to(h0, (3, 2, 2)))
    np.testing.assert_array_equal(h_T, h0)
    dU, dh0, dW, dR, db = scheduled_layer_backward(
        cache, np.ones((2, 1)), np.eye(2), np.ones((3, 2, 2)), np.ones((2, 2)), "tanh"
    )
    np.testing.assert_array_equal(dh0, np.full((2, 2), 4.0))  # three held steps + final state
    assert dU.shape == (0, 2, 1) and not dW.any() and not dR.any() and not db.any()


def test_schedule_counts_only_active_steps():
    """Period 4 over 10 steps from clock 1: updates at t = 3 and 7 only."""
    s = clock_schedule(np.array([1]), 10, 4)
    np.testing.assert_array_equal(s.shared, [3, 7])
    np.testing.assert_array_equal(s.hold_index[:, 0], [0, 0, 0, 1, 1, 1, 1, 2, 2, 2])


def test_clock_from_state_rounds_and_refuses_huge_values():
    np.testing.assert_array_equal(clock_from_state(np.array([2.4, -0.6])), [2, -1])
    with pytest.raises(ValueError, match="clock"):
        clock_from_state(np.array([1e300]))
