"""Reservoir benchmarks and metrics: definitions, integration accuracy, memory capacity."""

import numpy as np
import pytest

from recurrent_zoo.esn import ESN
from recurrent_zoo.tasks import TASKS, get_task
from recurrent_zoo.tasks.reservoir import (
    lorenz,
    lorenz_series,
    mackey_glass,
    mackey_glass_series,
    memory_capacity,
    memory_capacity_task,
    narma10,
    narma10_series,
    nmse,
    nrmse,
)


# ---------------------------------------------------------------------- Mackey-Glass
def test_mackey_glass_rk4_converges_at_fourth_order():
    """Halving dt divides the error by ~16: RK4 with the delay interpolated to 4th order."""
    runs = [mackey_glass_series(300, dt=d, discard=0) for d in (0.2, 0.1, 0.05, 0.0125)]
    errors = [np.abs(r - runs[-1]).max() for r in runs[:-1]]
    assert errors[1] < 1e-8  # the default step
    assert 14 < errors[0] / errors[1] < 18 and 14 < errors[1] / errors[2] < 18


def test_mackey_glass_satisfies_the_delay_equation():
    # a fine sampling, then the derivative by central differences against the right-hand side
    x = mackey_glass_series(4000, dt=0.01, sample_every=0.01, discard=2000)
    t = np.arange(1700, 3990)
    dx = (x[t + 1] - x[t - 1]) / 0.02
    d = x[t - 1700]  # x(t - 17)
    rhs = 0.2 * d / (1 + d**10) - 0.1 * x[t]
    np.testing.assert_allclose(dx, rhs, atol=1e-5)


def test_reservoirpy_mackey_glass_is_off_by_a_frozen_delay_step():
    """ReservoirPy 0.4.2 holds x(t - tau) fixed over an RK4 step of 1: first-step error ~3e-3."""
    rpy = pytest.importorskip("reservoirpy.datasets")
    reference = mackey_glass_series(5, dt=0.0125, discard=0)
    ours = mackey_glass_series(5, discard=0)
    theirs = rpy.mackey_glass(6, x0=1.2, history=np.full(17, 1.2), h=1.0)[1:, 0]
    assert abs(ours[0] - reference[0]) < 1e-10
    assert abs(theirs[0] - reference[0]) > 1e-3


def test_mackey_glass_dataset():
    X, Y, mask = mackey_glass(3, 50, horizon=2, seed=0)
    assert X.shape == Y.shape == (50, 3, 1) and mask.all()
    np.testing.assert_array_equal(X[2:], Y[:-2])
    a, b = mackey_glass(3, 50, seed=1), mackey_glass(3, 50, seed=1)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs[:, 0], a.inputs[:, 1])
    with pytest.raises(ValueError, match="tau must be a whole number"):
        mackey_glass_series(10, dt=0.3)
    with pytest.raises(ValueError, match="n_steps"):
        mackey_glass_series(0)


# ---------------------------------------------------------------------- NARMA-10 and Lorenz
def test_narma10_follows_atiya_parlos():
    u, y = narma10_series(300, seed=3)
    assert np.all((0 <= u) & (u <= 0.5)) and np.all(y[:10] == 0)
    for t in range(9, 299):
        expected = 0.3 * y[t] + 0.05 * y[t] * y[t - 9 : t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
        assert y[t + 1] == pytest.approx(expected, rel=1e-14)
    X, Y, _ = narma10(2, 100, seed=0)
    assert X.shape == Y.shape == (100, 2, 1)
    u0, y0 = narma10_series(101, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(X[:, 0, 0], u0[:100])
    np.testing.assert_array_equal(Y[:, 0, 0], y0[1:])


def test_lorenz_satisfies_its_equations():
    s = lorenz_series(2000, dt=0.001, discard=0)
    h = 0.001  # fourth-order central differences: error ~ h^4 / 30 * |x^(5)|
    ds = (-s[4:] + 8 * s[3:-1] - 8 * s[1:-3] + s[:-4]) / (12 * h)
    x, y, z = s[2:-2].T
    rhs = np.stack([10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z], axis=1)
    np.testing.assert_allclose(ds, rhs, rtol=0, atol=5e-5)  # solver rtol 1e-10 / h dominates
    X, Y, _ = lorenz(2, 30, seed=0)
    assert X.shape == Y.shape == (30, 2, 3)
    np.testing.assert_array_equal(X[1:], Y[:-1])


def test_tasks_registered():
    for name in ("mackey_glass", "narma10", "lorenz", "memory_capacity"):
        assert name in TASKS
        X, Y, mask = get_task(name)(2, 60, seed=0)
        assert X.shape[:2] == Y.shape[:2] == mask.shape == (60, 2)


# ---------------------------------------------------------------------- metrics
def test_nrmse_nmse_definitions():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(500, 2))
    p = y + rng.normal(scale=0.1, size=y.shape)
    per_output = ((y - p) ** 2).mean(axis=0) / y.var(axis=0)
    assert nmse(y, p) == pytest.approx(per_output.mean())
    assert nrmse(y, p) == pytest.approx(np.sqrt(per_output).mean())
    assert nrmse(y[:, 0], y[:, 0]) == 0.0
    assert nrmse(y, np.full_like(y, np.nan)) == float("inf")
    with pytest.raises(ValueError, match="y_pred must have the shape"):
        nrmse(y, p[:, :1])
    with pytest.raises(ValueError, match="zero variance"):
        nmse(np.ones(5), np.zeros(5))


def test_memory_capacity_metric():
    rng = np.random.default_rng(1)
    u = rng.uniform(-0.5, 0.5, (2000, 4))
    assert memory_capacity(u, -3 * u + 2) == pytest.approx(4.0)
    assert memory_capacity(u, rng.normal(size=u.shape)) < 0.02
    X, Y, mask = memory_capacity_task(1, 50, max_delay=3, seed=0)
    np.testing.assert_array_equal(Y[3:, 0, 2], X[:47, 0, 0])
    assert mask[:3].sum() == 0 and mask[3:].all()


def _esn_memory_capacity(esn, T=6000, K=None, warmup=100):
    K = K or 2 * esn.units
    data = memory_capacity_task(1, T + K, max_delay=K, seed=11)
    X, Y = data.inputs[:, 0], data.targets[:, 0]
    n = (T + K) // 2
    esn.fit(X[:n], Y[:n], warmup=K)
    P = esn.predict(X[n:], state=esn.last_state_)
    return memory_capacity(Y[n:], P)  # measured on held-out steps


def test_memory_capacity_bounded_by_units_and_reached_by_a_linear_reservoir():
    """Jaeger (2001b): MC <= N for i.i.d. input; a linear reservoir comes close to N."""
    units = 20
    linear = ESN(
        units=units,
        spectral_radius=0.95,
        connectivity=0.5,
        activation="identity",
        input_scaling=0.1,
        ridge=1e-12,
        seed=0,
    )
    mc_linear = _esn_memory_capacity(linear)
    near_linear = ESN(
        units=units, spectral_radius=0.95, connectivity=0.5, input_scaling=0.01, ridge=1e-12, seed=0
    )
    mc_tanh = _esn_memory_capacity(near_linear)
    saturated = ESN(
        units=units, spectral_radius=0.95, connectivity=0.5, input_scaling=3.0, ridge=1e-10, seed=0
    )
    mc_sat = _esn_memory_capacity(saturated)
    assert mc_linear <= units and mc_tanh <= units and mc_sat <= units
    assert mc_linear > 0.9 * units and mc_tanh > 0.85 * units
    assert mc_sat < mc_tanh  # saturation costs memory
