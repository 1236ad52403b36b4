"""The shared reservoir readouts (``recurrent_zoo._core.readouts``).

Reference behaviour and where it comes from:
- ridge equals numpy's least squares on the augmented system with a free intercept (definition);
- RLS from P0 = I / lambda equals the closed-form ridge solution with lambda on every weight
  (exact recursive identity), one row at a time or in blocks;
- the logistic loss's gradient equals float64 central finite differences (rel. error <= 1e-6),
  and the fitted readout equals scikit-learn's ``LogisticRegression(C=1/lambda)`` (peer library).
"""

import numpy as np
import pytest

from recurrent_zoo._core import readouts
from recurrent_zoo._core.readouts import (
    RLS,
    RidgeAccumulator,
    fit_logistic,
    logistic_loss,
    softmax,
    solve_spd,
)
from recurrent_zoo.testing import numerical_gradient, relative_error


def _data(n=300, F=6, O=2, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, F)) * rng.uniform(0.1, 3.0, F) + rng.uniform(-2, 2, F)
    Y = np.tanh(Z @ rng.standard_normal((F, O))) + 0.1 * rng.standard_normal((n, O)) + 1.5
    return Z, Y


def _ridge_lstsq(Z, Y, lam, penalise_intercept=False):
    n, F = Z.shape
    A = np.hstack([np.ones((n, 1)), Z])
    pen = np.sqrt(lam) * np.eye(F + 1)
    if not penalise_intercept:
        pen = pen[1:]
    sol = np.linalg.lstsq(np.vstack([A, pen]), np.vstack([Y, np.zeros((len(pen), Y.shape[1]))]))[0]
    return sol[1:].T, sol[0]


@pytest.mark.parametrize("lam", [1e-6, 1e-1, 10.0])
def test_ridge_equals_least_squares_with_a_free_intercept(lam):
    Z, Y = _data()
    acc = RidgeAccumulator(6, 2)
    acc.add(Z, Y)
    W, b = acc.solve(lam)
    W_ref, b_ref = _ridge_lstsq(Z, Y, lam)
    np.testing.assert_allclose(W, W_ref, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-10)


def test_ridge_in_chunks_and_in_the_background_equals_one_block():
    Z, Y = _data(n=500)
    whole = RidgeAccumulator(6, 2)
    whole.add(Z, Y)
    cuts = [0, 7, 8, 100, 333, 500]
    chunked = RidgeAccumulator(6, 2)
    with RidgeAccumulator(6, 2, background=True) as threaded:
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            chunked.add(Z[a:b], Y[a:b])
            threaded.add(Z[a:b], Y[a:b])
        Wt, bt = threaded.solve(1e-3)
    Wc, bc = chunked.solve(1e-3)
    np.testing.assert_array_equal(Wt, Wc)  # the worker thread does the same sums in order
    np.testing.assert_array_equal(bt, bc)
    Ww, bw = whole.solve(1e-3)
    np.testing.assert_allclose(Wc, Ww, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bc, bw, rtol=1e-10, atol=1e-12)
    assert chunked.count == 500


def test_ridge_refuses_nothing_and_wrong_shapes():
    acc = RidgeAccumulator(3, 1)
    with pytest.raises(ValueError, match="no rows"):
        acc.solve(1.0)
    with pytest.raises(ValueError, match=r"Z must have shape \(n, 3\)"):
        acc.add(np.ones((4, 2)), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 1\)"):
        acc.add(np.ones((4, 3)), np.ones((4, 2)))


def test_solve_spd_falls_back_to_least_squares():
    A = np.array([[1.0, 0.0], [1.0, 1.0]])  # lower triangle of the singular [[1, 1], [1, 1]]
    x = solve_spd(A, np.array([[2.0], [2.0]]))
    np.testing.assert_allclose(x.ravel(), [1.0, 1.0])


@pytest.mark.parametrize("block", [1, 4])
def test_rls_equals_ridge_with_a_penalised_intercept(block):
    Z, Y = _data(n=200, F=4)
    lam = 0.5
    rls = RLS.start(4, 2, ridge=lam)
    for t in range(0, 200, block):
        prior = rls.step(Z[t : t + block], Y[t : t + block])
        assert prior.shape == (block, 2)
    W_ref, b_ref = _ridge_lstsq(Z, Y, lam, penalise_intercept=True)
    np.testing.assert_allclose(rls.W_out, W_ref, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(rls.b_out, b_ref, rtol=1e-9, atol=1e-10)


def test_rls_learns_only_the_chosen_rows_and_forgets():
    Z, Y = _data(n=60, F=3)
    a, b = RLS.start(3, 2, 1.0), RLS.start(3, 2, 1.0)
    for t in range(0, 60, 2):
        a.step(Z[t : t + 2], Y[t : t + 2], rows=np.array([True, False]))
        b.step(Z[t : t + 1], Y[t : t + 1])
    np.testing.assert_allclose(a.W_out, b.W_out, rtol=1e-12, atol=1e-12)
    # forgetting mu: row t weighs mu^(n-1-t), i.e. weighted ridge with a decaying penalty
    mu = 0.9
    f = RLS.start(3, 2, 1.0, forgetting=mu)
    for t in range(60):
        f.step(Z[t : t + 1], Y[t : t + 1])
    w = mu ** np.arange(59, -1, -1)[:, None]
    A = np.hstack([np.ones((60, 1)), Z])
    ref = np.linalg.solve(A.T @ (w * A) + mu**60 * np.eye(4), A.T @ (w * Y))
    np.testing.assert_allclose(f.W_out, ref[1:].T, rtol=1e-8, atol=1e-9)


def test_logistic_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((20, 4))
    Y = np.eye(3)[rng.integers(0, 3, 20)]
    theta = rng.standard_normal(3 * 4 + 3)
    _, grad = logistic_loss(theta, Z, Y, 0.7)
    probe = theta.copy()  # perturbed in place by numerical_gradient
    numeric = numerical_gradient(lambda: logistic_loss(probe, Z, Y, 0.7)[0], probe)
    assert relative_error(grad, numeric) <= 1e-6


def test_logistic_loss_is_the_penalised_negative_log_likelihood():
    rng = np.random.default_rng(2)
    Z, labels = rng.standard_normal((15, 3)), rng.integers(0, 4, 15)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(4)
    P = softmax(Z @ W.T + b)
    expected = -np.log(P[np.arange(15), labels]).sum() + 0.5 * 0.3 * (W**2).sum()
    loss, _ = logistic_loss(np.concatenate([W.ravel(), b]), Z, np.eye(4)[labels], 0.3)
    assert loss == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    assert np.all(np.isfinite(softmax(np.array([[1e4, -1e4, 0.0]]))))


def test_logistic_equals_scikit_learn():
    """Peer: scikit-learn's LogisticRegression(C = 1 / lambda), multinomial, free intercept."""
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((3, 5)) * 1.5
    labels = rng.integers(0, 3, 240)
    Z = centres[labels] + rng.standard_normal((240, 5))
    lam = 2.0
    W, b, info = fit_logistic(Z, labels, 3, lam)
    assert info["converged"]
    with readouts.blas_threads():  # tiny products: one BLAS thread (see fit_logistic)
        ref = sklearn_linear.LogisticRegression(C=1 / lam, tol=1e-12, max_iter=10000)
        ref.fit(Z, labels)
    # the optimum is unique up to adding a constant to every class's intercept
    np.testing.assert_allclose(W, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b - b.mean(), ref.intercept_ - ref.intercept_.mean(), atol=1e-5)
