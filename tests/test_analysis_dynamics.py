"""Analysis: sympy equations and Jacobians, fixed points and stability, Lyapunov exponents."""

import numpy as np
import pytest
import sympy as sp

from recurrent_zoo.analysis import (
    classify,
    ctrnn_equations,
    ctrnn_fixed_points,
    ctrnn_jacobian_function,
    ctrnn_jacobian_symbolic,
    ctrnn_rhs,
    find_fixed_points,
    largest_lyapunov,
    limit_cycle_period,
    lorenz,
    mtrnn_equations,
    numerical_jacobian,
)
from recurrent_zoo.ctrnn import CTRNN, beer_oscillator, ctrnn_jacobian


def _exact_classification(M):
    """Stability type from sympy's exact eigenvalues of a rational matrix."""
    return classify([complex(sp.N(ev, 30)) for ev in M.eigenvals(multiple=True)], tol=1e-20)


# ----------------------------------------------------------------------------- fixed points
@pytest.mark.parametrize(
    "rows, expected",
    [
        ([[-2, 1, 0], [1, -3, 1], [0, 1, -4]], "stable node"),
        ([[-1, -5, 0], [5, -1, 0], [0, 0, -2]], "stable focus"),
        ([[1, 2, 0], [0, -1, 3], [1, 0, -2]], "saddle"),
        ([[1, -2, 0], [3, 1, 0], [0, 0, 2]], "unstable focus"),
        ([[2, 1, 0], [0, 3, 0], [0, 1, 1]], "unstable node"),
    ],
)
def test_linear_system_fixed_point_matches_sympy_exact_solution(rows, expected):
    A = sp.Matrix(rows)
    b = sp.Matrix([sp.Rational(1, 2), -3, sp.Rational(7, 3)])
    y = sp.Matrix(sp.symbols("y1:4"))
    exact = sp.solve(list(A * y + b), list(y), dict=True)
    assert len(exact) == 1
    y_star = np.array([float(exact[0][s]) for s in y])
    An, bn = np.array(rows, dtype=float), np.array([float(v) for v in b])
    found = find_fixed_points(lambda t, x: x @ An.T + bn, [[-10, 10]] * 3, n_starts=20, seed=0)
    assert len(found) == 1
    np.testing.assert_allclose(found[0].point, y_star, rtol=1e-12, atol=1e-12)
    assert found[0].stability == expected == _exact_classification(A)
    exact_ev = np.array([complex(sp.N(e, 30)) for e in A.eigenvals(multiple=True)])
    # each exact eigenvalue is matched (the Jacobian came from finite differences: no jac given)
    gaps = np.abs(exact_ev[:, None] - found[0].eigenvalues[None, :]).min(axis=1)
    assert gaps.max() < 1e-6


def test_nonlinear_fixed_points_match_sympy_and_eigenvalues():
    """Damped Duffing oscillator: saddle at 0, stable foci at x = +-1 (sympy, exactly)."""
    x, v = sp.symbols("x v", real=True)
    rhs = sp.Matrix([v, x - x**3 - v / 2])
    exact = sp.solve(list(rhs), [x, v], dict=True)
    J_sym = rhs.jacobian([x, v])
    expected = {}
    for sol in exact:
        point = (float(sol[x]), float(sol[v]))
        expected[point] = _exact_classification(J_sym.subs(sol))
    f_num = sp.lambdify([x, v], list(rhs), "numpy")

    def f(t, y):
        return np.stack(f_num(y[..., 0], y[..., 1]), axis=-1)

    jac_num = sp.lambdify([x, v], J_sym, "numpy")
    for jac in (None, lambda y: np.array(jac_num(*y), dtype=float)):
        found = find_fixed_points(f, [[-3, 3], [-3, 3]], jac=jac, n_starts=60, seed=1)
        assert len(found) == len(expected) == 3
        for fp in found:
            key = min(expected, key=lambda p: np.hypot(p[0] - fp.point[0], p[1] - fp.point[1]))
            np.testing.assert_allclose(fp.point, key, atol=1e-10)
            assert fp.stability == expected[key]
            assert fp.stability == classify(np.linalg.eigvals(jac_num(*key)))
    assert sorted(expected.values()) == ["saddle", "stable focus", "stable focus"]


def test_ctrnn_with_nine_fixed_points():
    """Two uncoupled bistable units (self-weight 6, bias -3): each has 3 fixed points, the
    network 9 -- 4 stable nodes, 4 saddles and 1 unstable node (the product of the 1-D cases)."""
    net = CTRNN.from_weights(6.0 * np.eye(2), [-3.0, -3.0])
    found = ctrnn_fixed_points(net, n_starts=300, seed=0)
    kinds = [fp.stability for fp in found]
    assert len(found) == 9
    assert kinds.count("stable node") == 4
    assert kinds.count("saddle") == 4
    assert kinds.count("unstable node") == 1
    f = net.vector_field()
    for fp in found:
        assert np.abs(f(0.0, fp.point)).max() < 1e-9
    # one unit's fixed points solve y = 6 sigma(y - 3): the middle one is y = 3 exactly
    centre = [fp for fp in found if fp.stability == "unstable node"][0]
    np.testing.assert_allclose(centre.point, [3.0, 3.0], atol=1e-12)


def test_ctrnn_fixed_points_with_constant_input():
    net = CTRNN.from_weights(np.zeros((2, 2)), [0.0, 0.0], tau=[1.0, 2.0])
    (fp,) = ctrnn_fixed_points(net, inputs=[0.7, -1.2], seed=0)
    np.testing.assert_allclose(fp.point, [0.7, -1.2], atol=1e-12)  # y* = I when W = 0
    np.testing.assert_allclose(sorted(fp.eigenvalues.real), [-1.0, -0.5], atol=1e-12)


def test_classify_table():
    assert classify([-1.0, -0.5]) == "stable node"
    assert classify([-0.1 + 1j, -0.1 - 1j]) == "stable focus"
    assert classify([2.0, 1.0]) == "unstable node"
    assert classify([0.3 + 1j, 0.3 - 1j]) == "unstable focus"
    assert classify([0.3, -1.0]) == "saddle"
    assert classify([0.0, -1.0]) == "non-hyperbolic"
    with pytest.raises(ValueError, match="eigenvalues"):
        classify([])


def test_find_fixed_points_bad_arguments():
    with pytest.raises(ValueError, match="bounds"):
        find_fixed_points(lambda t, y: y, [[1.0, -1.0]])
    with pytest.raises(ValueError, match="starts"):
        find_fixed_points(lambda t, y: y, [[-1.0, 1.0]], starts=[[0.0, 0.0]])


# ----------------------------------------------------------------------------- sympy
def test_symbolic_jacobian_matches_analytic_and_finite_differences():
    rng = np.random.default_rng(0)
    n = 3
    W = rng.normal(scale=2.0, size=(n, n))
    theta, tau, g = rng.normal(size=n), rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
    jac = ctrnn_jacobian_function(W, theta, tau, g)
    f = CTRNN.from_weights(W, theta, tau=tau, gain=g).vector_field()
    for y in rng.normal(scale=2.0, size=(4, n)):
        J = jac(y)
        np.testing.assert_allclose(J, ctrnn_jacobian(W, theta, tau, g, y), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(J, numerical_jacobian(f, y), atol=1e-8)


def test_symbolic_rhs_is_the_simulated_vector_field():
    rng = np.random.default_rng(1)
    y_sym, p, rhs = ctrnn_rhs(2)
    W, theta = rng.normal(size=(2, 2)), rng.normal(size=2)
    tau, g, I = np.array([0.5, 2.0]), np.array([1.5, 0.7]), np.array([0.3, -0.4])
    subs = {p["w"][i, j]: W[i, j] for i in range(2) for j in range(2)}
    for k in range(2):
        subs.update(
            {p["theta"][k]: theta[k], p["tau"][k]: tau[k], p["g"][k]: g[k], p["I"][k]: I[k]}
        )
    y = rng.normal(size=2)
    subs.update({y_sym[0]: y[0], y_sym[1]: y[1]})
    symbolic = np.array([float(e) for e in rhs.subs(subs)])
    net = CTRNN.from_weights(W, theta, tau=tau, gain=g)
    np.testing.assert_allclose(symbolic, net.vector_field(I)(0.0, y), rtol=1e-13)
    # the Jacobian is sympy's derivative of that field, entry by entry
    _, _, J = ctrnn_jacobian_symbolic(2)
    assert sp.simplify(J - rhs.jacobian(y_sym)) == sp.zeros(2, 2)


def test_equations_are_sympy_eqs():
    for eqs in (ctrnn_equations(), mtrnn_equations()):
        assert eqs and all(isinstance(e, sp.Eq) for e in eqs)
    text = sp.pretty(ctrnn_equations()[0])
    assert "τ" in text or "tau" in text


# ----------------------------------------------------------------------------- Lyapunov
def test_lorenz_largest_lyapunov_exponent():
    """Lorenz (sigma=10, rho=28, beta=8/3): lambda_1 = 0.9056 (J. C. Sprott, "Chaos and
    Time-Series Analysis", OUP 2003, appendix A; the issue's "about 0.906"). Benettin's
    method, 8 trajectories x 100 time units after a transient, within 0.05 (measured: 0.903)."""
    y0 = np.random.default_rng(0).normal(size=(8, 3)) + [0.0, 0.0, 25.0]
    exps = largest_lyapunov(lorenz(), y0, t_total=100.0, t_transient=10.0, dt=0.01, seed=0)
    assert exps.shape == (8,)
    assert abs(exps.mean() - 0.9056) < 0.05
    assert np.all(exps > 0.7)


def test_ctrnn_settling_to_a_fixed_point_has_negative_exponent():
    """A trajectory converging to a stable fixed point has lambda_1 = the largest real part of
    the Jacobian's eigenvalues there."""
    rng = np.random.default_rng(2)
    net = CTRNN.from_weights(
        rng.normal(scale=0.8, size=(3, 3)), rng.normal(size=3), tau=[1.0, 2.0, 3.0]
    )
    found = ctrnn_fixed_points(net, seed=0)
    assert len(found) == 1 and found[0].stable
    lam = largest_lyapunov(
        net.vector_field(), rng.normal(size=3), t_total=60.0, t_transient=20.0, dt=0.02
    )
    assert lam < 0
    assert abs(lam - found[0].eigenvalues.real.max()) < 0.01


def test_limit_cycle_exponent_is_zero():
    lam = largest_lyapunov(
        beer_oscillator().vector_field(), [2.0, 2.0], t_total=150.0, t_transient=30.0, dt=0.02
    )
    assert abs(lam) < 0.01


def test_lyapunov_seed_and_bad_arguments():
    f = lorenz()
    a = largest_lyapunov(f, [1.0, 1.0, 20.0], t_total=5.0, seed=3)
    b = largest_lyapunov(f, [1.0, 1.0, 20.0], t_total=5.0, seed=3)
    assert a == b
    with pytest.raises(ValueError, match="t_total"):
        largest_lyapunov(f, [1.0, 1.0, 1.0], t_total=-1.0)
    with pytest.raises(ValueError, match="y0"):
        largest_lyapunov(f, np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match="renorm_every"):
        largest_lyapunov(f, [1.0, 1.0, 1.0], renorm_every=0)


def test_limit_cycle_period_requires_oscillation():
    t = np.linspace(0, 10, 1001)
    assert abs(limit_cycle_period(t, np.cos(2 * np.pi * t / 2.5)) - 2.5) < 1e-8
    with pytest.raises(ValueError, match="crossings"):
        limit_cycle_period(t, np.exp(-t))
