"""CTRNN: Beer's oscillator, the integrators, BPTT through Runge-Kutta stages, fitting."""

import numpy as np
import pytest

from recurrent_zoo._core.ode import TABLEAUS, integrate, rk_step, rk_step_backward, time_grid
from recurrent_zoo.analysis.dynamics import ctrnn_fixed_points, limit_cycle_period
from recurrent_zoo.ctrnn import (
    CTRNN,
    beer_oscillator,
    compare_run,
    ctrnn_jacobian,
    ctrnn_vector_field,
)
from recurrent_zoo.testing import gradient_errors, numerical_gradient, relative_error

FIXED = ("euler", "midpoint", "heun", "rk4")


# ----------------------------------------------------------------------------- reference behaviour
def test_beer_oscillator_limit_cycle_period_rk45_equals_rk4():
    """Beer (1995)'s two-neuron oscillator: tau = 1, theta = (-2.75, -1.75), self-weights 4.5,
    w(2 -> 1) = +1, w(1 -> 2) = -1. It settles on a limit cycle around its single fixed point,
    (2.75, 1.75), an unstable focus. Its period, measured here, is 28.99991 time units; RK45 at
    rtol 1e-10 and fixed-step RK4 at dt = 0.01 must agree on it to 1e-3 (they agree to ~1e-9).
    """
    net = beer_oscillator()
    t_end = 150.0
    grid = np.arange(0.0, t_end + 1e-9, 0.01)
    ref = net.simulate((0.0, t_end), [0.0, 0.0], method="RK45", t_eval=grid, rtol=1e-10, atol=1e-12)
    rk4 = net.simulate((0.0, t_end), [0.0, 0.0], method="rk4", dt=0.01)
    np.testing.assert_allclose(rk4.t, grid, atol=1e-12)
    on_cycle = ref.t >= 50.0  # past the transient
    p_ref = limit_cycle_period(ref.t[on_cycle], ref.y[on_cycle, 0])
    p_rk4 = limit_cycle_period(rk4.t[on_cycle], rk4.y[on_cycle, 0])
    p_ref_y2 = limit_cycle_period(ref.t[on_cycle], ref.y[on_cycle, 1])
    assert abs(p_ref - p_rk4) < 1e-3
    assert abs(p_ref - p_ref_y2) < 1e-6  # both neurons share the period
    assert abs(p_ref - 28.99991) < 1e-4  # the value reported in the docs and compare_run
    # a limit cycle, not a fixed point: a large, constant amplitude around the unstable focus
    amp = [np.ptp(ref.y[(ref.t >= s) & (ref.t < s + p_ref), 0]) for s in (60.0, 110.0)]
    assert amp[0] > 2.5 and abs(amp[0] - amp[1]) < 1e-4  # (sampling error of the max ~1e-5)
    (fp,) = ctrnn_fixed_points(net, seed=0)
    np.testing.assert_allclose(fp.point, [2.75, 1.75], atol=1e-10)
    assert fp.stability == "unstable focus"
    np.testing.assert_allclose(
        sorted(fp.eigenvalues, key=lambda z: z.imag), [0.125 - 0.25j, 0.125 + 0.25j], atol=1e-12
    )


def test_solve_ivp_methods_agree_and_dense_output():
    net = beer_oscillator()
    ends = {}
    for method in ("RK45", "DOP853", "LSODA", "Radau", "BDF", "RK23"):
        traj = net.simulate((0.0, 10.0), [0.5, -0.5], method=method, rtol=1e-10, atol=1e-12)
        ends[method] = traj.y[-1]
        assert traj.t[-1] == 10.0 and traj.nfev > 0
    for method, end in ends.items():
        np.testing.assert_allclose(end, ends["DOP853"], atol=2e-6, err_msg=method)
    dense = net.simulate(
        (0.0, 10.0),
        [0.5, -0.5],
        method="RK45",
        dense_output=True,
        t_eval=[2.0, 7.5],
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_allclose(dense.sol([2.0, 7.5]), dense.y, atol=1e-8)
    np.testing.assert_allclose(dense.outputs, net.activation(dense.y))


def test_simulate_events_pass_through():
    net = beer_oscillator()
    level = 2.75

    def crossing(t, y):  # y1 crossing its fixed-point value upwards
        return y[0] - level

    crossing.direction = 1.0
    traj = net.simulate(
        (0.0, 150.0), [0.0, 0.0], method="RK45", events=[crossing], rtol=1e-10, atol=1e-12
    )
    times = traj.t_events[0]
    assert abs(np.diff(times[-4:]).mean() - 28.99991) < 1e-4


def test_batch_of_initial_conditions_and_of_networks():
    rng = np.random.default_rng(0)
    net = CTRNN(2, 3, tau=[1.0, 0.5, 2.0], gain=[1.0, 2.0, 0.5], seed=0)
    y0 = rng.normal(size=(4, 3))
    x = rng.normal(size=(4, 2))
    batch = net.simulate((0.0, 3.0), y0, inputs=x, method="rk4", dt=0.01)
    assert batch.y.shape == (301, 4, 3)
    for b in range(4):
        one = net.simulate((0.0, 3.0), y0[b], inputs=x[b], method="rk4", dt=0.01)
        np.testing.assert_allclose(batch.y[:, b], one.y, rtol=1e-13, atol=1e-13)
    # a batch of different networks in one loop
    W = rng.normal(scale=3.0, size=(5, 3, 3))
    theta = rng.normal(size=(5, 3))
    tau = rng.uniform(0.5, 2.0, size=(5, 3))
    start = rng.normal(size=(5, 3))
    t, ys = integrate(ctrnn_vector_field(W, theta, tau), (0.0, 2.0), start, dt=0.01)
    for b in range(5):
        _, yb = integrate(ctrnn_vector_field(W[b], theta[b], tau[b]), (0.0, 2.0), start[b], dt=0.01)
        np.testing.assert_allclose(ys[:, b], yb, rtol=1e-12, atol=1e-12)
    # the same networks through scipy, one at a time
    for b in (0, 4):
        other = CTRNN.from_weights(W[b], theta[b], tau=tau[b])
        ref = other.simulate((0.0, 2.0), start[b], method="DOP853", rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(ys[-1, b], ref.y[-1], atol=1e-7)


def test_time_varying_input():
    net = beer_oscillator()

    def drive(t):
        return np.array([np.sin(t), 0.5 * np.cos(2 * t)])

    a = net.simulate((0.0, 20.0), [1.0, 1.0], inputs=drive, method="RK45", rtol=1e-11, atol=1e-12)
    b = net.simulate((0.0, 20.0), [1.0, 1.0], inputs=drive, method="rk4", dt=0.005)
    np.testing.assert_allclose(b.y[-1], a.y[-1], atol=1e-8)
    c = net.simulate((0.0, 20.0), [1.0, 1.0], method="rk4", dt=0.005)
    assert np.abs(c.y[-1] - b.y[-1]).max() > 0.1  # the input matters


@pytest.mark.parametrize("method, order", [("euler", 1), ("midpoint", 2), ("heun", 2), ("rk4", 4)])
def test_fixed_step_convergence_order(method, order):
    """Halving the step divides the global error by 2^order: the tableaus are right."""
    f = ctrnn_vector_field([[2.0, -1.0], [1.5, 0.5]], [-1.0, 0.5], [1.0, 0.7], [1.0, 2.0])
    exact = integrate(f, (0.0, 2.0), [0.3, -0.2], dt=1e-3, method="rk4")[1][-1]
    errors = [
        np.abs(integrate(f, (0.0, 2.0), [0.3, -0.2], dt=h, method=method)[1][-1] - exact).max()
        for h in (0.04, 0.02)
    ]
    assert abs(np.log2(errors[0] / errors[1]) - order) < 0.25


def test_time_grid_ends_exactly():
    np.testing.assert_allclose(time_grid((0.0, 1.0), 0.3), [0.0, 0.3, 0.6, 0.9, 1.0])
    assert time_grid((0.0, 100.0), 0.01).size == 10001


# ----------------------------------------------------------------------------- BPTT
def test_rk_step_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 3))

    def f(t, y):
        return np.tanh(y @ A.T) - 0.3 * y

    def vjp_at(Z):
        def vjp(i, dk):
            s = np.tanh(Z[i] @ A.T)
            return ((1 - s**2) * dk) @ A - 0.3 * dk

        return vjp

    y = rng.normal(size=(2, 3))
    R = rng.normal(size=(2, 3))
    for name, tab in TABLEAUS.items():
        _, Z, _ = rk_step(f, 0.0, y, 0.2, tab)
        analytic = rk_step_backward(vjp_at(Z), R, 0.2, tab)
        num = numerical_gradient(
            lambda tab=tab: float((R * rk_step(f, 0.0, y, 0.2, tab)[0]).sum()), y
        )
        assert relative_error(analytic, num) < 1e-8, name


@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("output", ["activation", "state"])
def test_gradients_through_each_discretisation(method, output):
    rng = np.random.default_rng(2)
    net = CTRNN(
        2,
        3,
        tau=[0.5, 1.0, 2.0],
        gain=[1.0, 2.0, 0.5],
        dt=0.3,
        method=method,
        output=output,
        learn_tau=True,
        seed=1,
    )
    X = rng.normal(size=(5, 3, 2))
    state = rng.normal(size=(3, 3))
    for lengths in (None, np.array([5, 2, 1])):
        errors = gradient_errors(net, X, state, lengths, seed=3)
        assert max(errors.values()) < 1e-7, errors


def test_sequence_model_is_the_fixed_step_simulation():
    """forward() with input held over each step equals simulate() on the same grid."""
    rng = np.random.default_rng(3)
    for method in FIXED:
        net = CTRNN(2, 4, tau=[0.5, 1.0, 2.0, 3.0], dt=0.1, method=method, output="state", seed=4)
        x = rng.normal(size=2)
        y0 = rng.normal(size=4)
        Y, final = net.forward(np.tile(x, (30, 1, 1)), y0[None])
        traj = net.simulate((0.0, 3.0), y0, inputs=x, method=method, dt=0.1)
        np.testing.assert_allclose(Y[:, 0], traj.y[1:], rtol=1e-12, atol=1e-12)
        net.output = "activation"
        Ya, _ = net.forward(np.tile(x, (30, 1, 1)), y0[None])
        np.testing.assert_allclose(Ya[:, 0], traj.outputs[1:], rtol=1e-12, atol=1e-12)


def test_float32_forward_close_to_float64():
    X = np.random.default_rng(4).normal(size=(20, 3, 2))
    a = CTRNN(2, 5, dt=0.2, method="rk4", seed=5, dtype=np.float32)
    b = CTRNN(2, 5, dt=0.2, method="rk4", seed=5)
    Ya, _ = a.forward(X)
    Yb, _ = b.forward(X)
    assert Ya.dtype == np.float32
    np.testing.assert_allclose(Ya, Yb, atol=1e-5)


def test_learnable_tau_and_constraint():
    net = CTRNN(1, 2, tau=[1.0, 3.0], dt=0.1, learn_tau=True, seed=0)
    np.testing.assert_array_equal(net.params["tau"], [1.0, 3.0])
    net.params["tau"][...] = [-1.0, 0.05]
    net.apply_constraints()
    np.testing.assert_array_equal(net.params["tau"], [0.1, 0.1])
    fixed = CTRNN(1, 2, tau=2.0, seed=0)
    assert "tau" not in fixed.params
    fixed.apply_constraints()  # no-op


def test_fit_beer_oscillator_recovers_weights_and_period():
    """BPTT through RK4 on windows of Beer's oscillator recovers its weights and period."""
    result = compare_run(quick=True, seed=0)
    assert result["passed"], result["details"]
    assert result["value"] < 1e-3
    np.testing.assert_allclose(result["details"]["weight_hh"], [[4.5, 1.0], [-1.0, 4.5]], atol=1e-2)
    np.testing.assert_allclose(result["details"]["bias"], [-2.75, -1.75], atol=1e-2)
    assert set(result) >= {
        "task",
        "metric",
        "value",
        "target",
        "target_source",
        "passed",
        "seconds",
    }


@pytest.mark.slow
def test_fit_beer_oscillator_several_seeds():
    for seed in range(1, 5):
        result = compare_run(quick=True, seed=seed)
        assert result["passed"], (seed, result["value"])


# ----------------------------------------------------------------------------- equations, API
def test_equations_and_jacobian_match_the_code():
    import sympy as sp

    eqs = CTRNN.equations()
    assert all(isinstance(e, sp.Eq) for e in eqs)
    assert "tau" in str(eqs[0]) and "sigma" in str(eqs[0])
    rng = np.random.default_rng(5)
    W, theta = rng.normal(size=(3, 3)), rng.normal(size=3)
    net = CTRNN.from_weights(W, theta, tau=[0.5, 1.0, 2.0], gain=[1.0, 0.5, 2.0])
    y = rng.normal(size=3)
    J = net.jacobian(y)
    num = np.stack(
        [
            (net.vector_field()(0, y + e) - net.vector_field()(0, y - e)) / 2e-6
            for e in 1e-6 * np.eye(3)
        ],
        axis=1,
    )
    np.testing.assert_allclose(J, num, atol=1e-8)
    np.testing.assert_allclose(
        ctrnn_jacobian(W, theta, [0.5, 1.0, 2.0], [1.0, 0.5, 2.0], y), J, atol=1e-15
    )


def test_bad_arguments_name_themselves():
    net = beer_oscillator()
    with pytest.raises(ValueError, match="method"):
        net.simulate((0, 1), [0, 0], method="rk5")
    with pytest.raises(ValueError, match="y0"):
        net.simulate((0, 1), [0, 0, 0])
    with pytest.raises(ValueError, match="t_span"):
        net.simulate((1, 0), [0, 0])
    with pytest.raises(ValueError, match="dt"):
        net.simulate((0, 1), [0, 0], method="rk4", dt=-0.1)
    with pytest.raises(ValueError, match="t_eval"):
        net.simulate((0, 1), [0, 0], method="rk4", t_eval=[0.5])
    with pytest.raises(ValueError, match="inputs"):
        net.simulate((0, 1), [0, 0], inputs=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="tau"):
        CTRNN(2, 3, tau=0.0)
    with pytest.raises(ValueError, match="tau"):
        CTRNN(2, 3, tau=[1.0, 2.0])
    with pytest.raises(ValueError, match="method"):
        CTRNN(2, 3, method="RK45")
    with pytest.raises(ValueError, match="output"):
        CTRNN(2, 3, output="rates")
    with pytest.raises(ValueError, match="weight"):
        CTRNN.from_weights(np.ones((2, 3)), [0, 0])
    with pytest.raises(ValueError, match="bias"):
        CTRNN.from_weights(np.ones((2, 2)), [0, 0, 0])
