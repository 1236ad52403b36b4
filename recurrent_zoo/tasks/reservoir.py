r"""Reservoir-computing benchmarks: Mackey-Glass, NARMA-10, Lorenz, memory capacity; metrics.

Each generator comes twice: a raw series function (``*_series``) returning numpy arrays, and a
task function returning a :class:`~recurrent_zoo.tasks.base.SequenceDataset` of ``N``
independent sequences (time-major, ``loss="mse"``).

**Mackey-Glass** (Mackey & Glass 1977), the delay differential equation

.. math::

    \dot x(t) = \beta \frac{x(t - \tau)}{1 + x(t - \tau)^{n}} - \gamma x(t),
    \qquad \beta = 0.2,\ \gamma = 0.1,\ n = 10,\ \tau = 17,

integrated with the classical fourth-order Runge-Kutta method on a grid of step ``dt`` (0.1 by
default) that divides :math:`\tau`, from a constant history :math:`x(t) = x_0` on
:math:`[-\tau, 0]`. The delayed value at a grid point is read from the grid; at the half steps
RK4 needs, it is the cubic Hermite interpolant of the two neighbouring grid points from their
values and derivatives (the derivative at every grid point is the right-hand side, already
known), which is accurate to :math:`O(dt^4)` like RK4 itself -- holding :math:`x(t-\tau)`
constant over a step, as an Euler scheme or some libraries' RK4 do, is only first order in the
delay. The series is sampled every ``sample_every`` = 1 time unit (Jaeger 2001 used an Euler
step of 0.1, subsampled by 10). The error falls 16-fold each time ``dt`` is halved, and at
``dt = 0.1`` it is about :math:`3 \cdot 10^{-9}` over the first 300 time units
(``tests/test_reservoir_tasks.py``); ReservoirPy 0.4.2's generator (RK4 with step 1 and the
delayed value frozen over the step) is off by :math:`2.6 \cdot 10^{-3}` after one step from the
same history.

**NARMA-10** (Atiya & Parlos 2000), input :math:`u_t \sim U(0, 0.5)` i.i.d. and

.. math::

    y_{t+1} = 0.3\, y_t + 0.05\, y_t \sum_{i=0}^{9} y_{t-i} + 1.5\, u_{t-9}\, u_t + 0.1,

with :math:`y_t = 0` for :math:`t < 10`. The task maps :math:`u_0..u_t` to :math:`y_{t+1}`.

**Lorenz** (Lorenz 1963), :math:`\dot x = \sigma (y - x)`, :math:`\dot y = x (\rho - z) - y`,
:math:`\dot z = x y - \beta z` with :math:`\sigma = 10, \rho = 28, \beta = 8/3`, integrated by
``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-10, atol 1e-12) and sampled every ``dt``.

**Memory capacity** (Jaeger 2001b): i.i.d. inputs :math:`u_t \sim U(-0.5, 0.5)`; output ``k``
must recall :math:`u_{t-k}`, :math:`k = 1..K`. With :math:`y_k` the trained outputs,

.. math::

    MC = \sum_{k=1}^{K} MC_k, \qquad
    MC_k = \frac{\mathrm{cov}^2(u_{t-k}, y_k(t))}{\mathrm{var}(u_t)\, \mathrm{var}(y_k(t))},

and for i.i.d. input an ESN with ``N`` units has :math:`MC \le N` (Jaeger 2001b, Prop. 2).

Metrics: :func:`nrmse` (root mean squared error over the target's standard deviation),
:func:`nmse` (its square) and :func:`memory_capacity`.

References
----------
M. C. Mackey and L. Glass, "Oscillation and chaos in physiological control systems", Science
197(4300):287-289, 1977.

A. F. Atiya and A. G. Parlos, "New results on recurrent network training: unifying the
algorithms and accelerating convergence", IEEE Trans. Neural Networks 11(3):697-709, 2000.

E. N. Lorenz, "Deterministic nonperiodic flow", J. Atmospheric Sciences 20(2):130-141, 1963.

H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural networks",
GMD Report 148, 2001.

H. Jaeger (2001b), "Short term memory in echo state networks", GMD Report 152, 2001.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_positive_int
from .base import SequenceDataset

__all__ = [
    "mackey_glass_series",
    "narma10_series",
    "lorenz_series",
    "mackey_glass",
    "narma10",
    "lorenz",
    "memory_capacity_task",
    "nrmse",
    "nmse",
    "memory_capacity",
]


def _positive_float(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number > 0; got {value!r}") from exc
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite real number > 0; got {value!r}")
    return v


def _grid_ratio(a: float, b: float, what: str) -> int:
    k = int(round(a / b))
    if k < 1 or abs(k * b - a) > 1e-9 * max(1.0, a):
        raise ValueError(f"{what}; got {a} / {b} = {a / b}")
    return k


# ---------------------------------------------------------------------- Mackey-Glass
def mackey_glass_series(
    n_steps: int,
    *,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    n: float = 10.0,
    x0: float = 1.2,
    dt: float = 0.1,
    sample_every: float = 1.0,
    discard: int = 500,
) -> NDArray:
    """Sample the Mackey-Glass delay equation (RK4, step ``dt``, Hermite-interpolated delay).

    Parameters
    ----------
    n_steps : int
        Number of samples returned.
    tau, beta, gamma, n : float
        The equation's parameters (chaotic for ``tau`` > 16.8).
    x0 : float
        Constant history on ``[-tau, 0]``.
    dt : float
        Integration step; ``tau / dt`` and ``sample_every / dt`` must be integers.
    sample_every : float
        Time between returned samples.
    discard : int
        Samples dropped at the start (the transient from the constant history).

    Returns
    -------
    ndarray of shape (n_steps,)

    Examples
    --------
    >>> x = mackey_glass_series(1000)
    >>> x.shape, bool(0.2 < x.min() < x.max() < 1.5)
    ((1000,), True)
    """
    n_steps = check_positive_int(n_steps, "n_steps")
    discard = check_positive_int(discard, "discard", minimum=0)
    dt = _positive_float(dt, "dt")
    tau = _positive_float(tau, "tau")
    m = _grid_ratio(tau, dt, "tau must be a whole number of integration steps dt")
    k = _grid_ratio(
        _positive_float(sample_every, "sample_every"),
        dt,
        "sample_every must be a whole number of integration steps dt",
    )
    total = (n_steps + discard) * k
    beta, gamma, n, x0 = float(beta), float(gamma), float(n), float(x0)
    # xs[j], fs[j]: value and derivative at grid time (j - m) dt; j < m+1 is the history
    xs = [x0] * (m + 1) + [0.0] * total
    fs = [0.0] * (m + 1) + [0.0] * total
    h, h2, h8 = dt, 0.5 * dt, dt / 8.0

    def g(x: float, d: float) -> float:
        return beta * d / (1.0 + d**n) - gamma * x

    # the derivative jumps at t = 0: 0 on the history's side, g(x0, x0) on the solution's
    fs[m] = g(x0, x0)
    for i in range(m, m + total):
        x = xs[i]
        d0, d1 = xs[i - m], xs[i - m + 1]
        f1 = 0.0 if i == 2 * m - 1 else fs[i - m + 1]  # left derivative at t = 0
        dh = 0.5 * (d0 + d1) + h8 * (fs[i - m] - f1)  # Hermite midpoint
        k1 = fs[i]
        k2 = g(x + h2 * k1, dh)
        k3 = g(x + h2 * k2, dh)
        k4 = g(x + h * k3, d1)
        x_new = x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        xs[i + 1] = x_new
        fs[i + 1] = g(x_new, xs[i + 1 - m])
    out = np.asarray(xs[m + discard * k + k :: k][:n_steps], dtype=np.float64)
    return out


def mackey_glass(
    n_sequences: int = 1,
    length: int = 1000,
    *,
    horizon: int = 1,
    seed: Any = None,
    **kwargs: Any,
) -> SequenceDataset:
    """Mackey-Glass ``horizon``-step-ahead prediction: input ``x_t``, target ``x_{t+horizon}``.

    Every sequence starts from its own constant history ``x0 ~ U(0.5, 1.5)`` (``x0 = 1.2``
    for a single sequence with ``seed=None``); other keyword arguments go to
    :func:`mackey_glass_series`.

    Examples
    --------
    >>> X, Y, mask = mackey_glass(2, 100, seed=0)
    >>> X.shape, Y.shape, bool(np.allclose(X[1:], Y[:-1]))
    ((100, 2, 1), (100, 2, 1), True)
    """
    N = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    h = check_positive_int(horizon, "horizon")
    if N == 1 and seed is None:
        starts = [kwargs.pop("x0", 1.2)]
    else:
        starts = list(make_rng(seed).uniform(0.5, 1.5, size=N))
    series = np.stack([mackey_glass_series(T + h, x0=s, **kwargs) for s in starts], axis=1)
    return SequenceDataset(
        inputs=series[:T, :, None],
        targets=series[h:, :, None],
        mask=np.ones((T, N)),
        loss="mse",
        output_size=1,
        info={"horizon": h},
        name="mackey_glass",
    )


# ---------------------------------------------------------------------- NARMA-10
def narma10_series(n_steps: int, *, seed: Any = None) -> tuple[NDArray, NDArray]:
    """Inputs ``u`` and outputs ``y`` of Atiya & Parlos's (2000) tenth-order NARMA system.

    ``y[t + 1]`` is computed from ``y[t-9..t]``, ``u[t]`` and ``u[t-9]``; ``y[t] = 0`` for
    ``t < 10``. Raises ValueError in the rare case the recursion diverges (try another seed).

    Examples
    --------
    >>> u, y = narma10_series(500, seed=0)
    >>> u.shape, y.shape, bool(0 <= u.min() and u.max() <= 0.5)
    ((500,), (500,), True)
    >>> t = 100
    >>> bool(np.isclose(y[t + 1], 0.3 * y[t] + 0.05 * y[t] * y[t - 9 : t + 1].sum()
    ...                  + 1.5 * u[t - 9] * u[t] + 0.1))
    True
    """
    T = check_positive_int(n_steps, "n_steps")
    u = make_rng(seed).uniform(0.0, 0.5, size=T)
    y = np.zeros(T)
    ys = [0.0] * T
    uu = u.tolist()
    for t in range(9, T - 1):
        yt = ys[t]
        ys[t + 1] = 0.3 * yt + 0.05 * yt * sum(ys[t - 9 : t + 1]) + 1.5 * uu[t - 9] * uu[t] + 0.1
    y[:] = ys
    if not np.all(np.isfinite(y)) or np.abs(y).max() > 1e3:
        raise ValueError("the NARMA-10 recursion diverged for this seed; use another seed")
    return u, y


def narma10(n_sequences: int = 1, length: int = 1000, *, seed: Any = None) -> SequenceDataset:
    """NARMA-10 system identification: input ``u_t``, target ``y_{t+1}``.

    Examples
    --------
    >>> X, Y, mask = narma10(3, 200, seed=0)
    >>> X.shape, Y.shape
    ((200, 3, 1), (200, 3, 1))
    """
    N = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    rng = make_rng(seed)
    us, ys = zip(*(narma10_series(T + 1, seed=rng) for _ in range(N)), strict=True)
    U = np.stack(us, axis=1)  # (T + 1, N)
    Yv = np.stack(ys, axis=1)
    return SequenceDataset(
        inputs=U[:T, :, None],
        targets=Yv[1:, :, None],
        mask=np.ones((T, N)),
        loss="mse",
        output_size=1,
        name="narma10",
    )


# ---------------------------------------------------------------------- Lorenz
def lorenz_series(
    n_steps: int,
    *,
    dt: float = 0.02,
    sigma: float = 10.0,
    rho: float = 28.0,
    beta: float = 8.0 / 3.0,
    x0: Any = (1.0, 1.0, 1.0),
    discard: int = 500,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> NDArray:
    """Sample the Lorenz system every ``dt`` with ``scipy.integrate.solve_ivp`` (DOP853).

    Returns an array of shape ``(n_steps, 3)`` (x, y, z), after dropping ``discard`` samples.

    Examples
    --------
    >>> s = lorenz_series(200)
    >>> s.shape, bool(s[:, 2].min() > 0)
    ((200, 3), True)
    """
    T = check_positive_int(n_steps, "n_steps")
    discard = check_positive_int(discard, "discard", minimum=0)
    dt = _positive_float(dt, "dt")
    y0 = check_array(x0, "x0", shape=(3,), dtype=np.float64)

    def rhs(_t: float, s: NDArray) -> NDArray:
        x, y, z = s
        return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    t_eval = np.arange(T + discard) * dt
    sol = solve_ivp(
        rhs, (0.0, t_eval[-1]), y0, method="DOP853", t_eval=t_eval, rtol=rtol, atol=atol
    )
    if not sol.success:  # pragma: no cover
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return np.ascontiguousarray(sol.y.T[discard:])


def lorenz(
    n_sequences: int = 1,
    length: int = 1000,
    *,
    horizon: int = 1,
    dt: float = 0.02,
    seed: Any = None,
) -> SequenceDataset:
    """Lorenz ``horizon``-step-ahead prediction of the full state (3 inputs, 3 targets).

    Sequences start from ``(1, 1, 1)`` plus U(-1, 1) noise drawn from ``seed`` (exactly
    ``(1, 1, 1)`` for one sequence with ``seed=None``).

    Examples
    --------
    >>> X, Y, mask = lorenz(2, 50, seed=0)
    >>> X.shape, Y.shape
    ((50, 2, 3), (50, 2, 3))
    """
    N = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    h = check_positive_int(horizon, "horizon")
    if N == 1 and seed is None:
        starts = np.ones((1, 3))
    else:
        starts = 1.0 + make_rng(seed).uniform(-1.0, 1.0, size=(N, 3))
    series = np.stack([lorenz_series(T + h, dt=dt, x0=s) for s in starts], axis=1)  # (T+h, N, 3)
    return SequenceDataset(
        inputs=series[:T],
        targets=series[h:],
        mask=np.ones((T, N)),
        loss="mse",
        output_size=3,
        info={"horizon": h, "dt": dt},
        name="lorenz",
    )


# ---------------------------------------------------------------------- memory capacity
def memory_capacity_task(
    n_sequences: int = 1,
    length: int = 2000,
    *,
    max_delay: int = 40,
    seed: Any = None,
) -> SequenceDataset:
    """Jaeger's (2001b) memory task: input ``u_t ~ U(-0.5, 0.5)``, target ``k`` is ``u_{t-k}``.

    Targets have ``max_delay`` channels (``k = 1..max_delay``); the mask is 0 for the first
    ``max_delay`` steps, where some delayed inputs do not exist.

    Examples
    --------
    >>> X, Y, mask = memory_capacity_task(1, 100, max_delay=5, seed=0)
    >>> Y.shape, bool(np.array_equal(Y[10:, 0, 2], X[7:97, 0, 0])), float(mask[:5].sum())
    ((100, 1, 5), True, 0.0)
    """
    N = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    K = check_positive_int(max_delay, "max_delay")
    if K >= T:
        raise ValueError(f"max_delay must be < length={T}; got {K}")
    u = make_rng(seed).uniform(-0.5, 0.5, size=(T, N))
    Y = np.zeros((T, N, K))
    for k in range(1, K + 1):
        Y[k:, :, k - 1] = u[:-k]
    mask = np.ones((T, N))
    mask[:K] = 0.0
    return SequenceDataset(
        inputs=u[:, :, None],
        targets=Y,
        mask=mask,
        loss="mse",
        output_size=K,
        info={"max_delay": K},
        name="memory_capacity",
    )


# ---------------------------------------------------------------------- metrics
def _pair(y_true: Any, y_pred: Any) -> tuple[NDArray, NDArray]:
    t = check_array(y_true, "y_true", dtype=np.float64)
    p = check_array(y_pred, "y_pred", dtype=np.float64, finite=False)
    if t.shape != p.shape:
        raise ValueError(f"y_pred must have the shape of y_true {t.shape}; got {p.shape}")
    if t.size == 0:
        raise ValueError("y_true must not be empty")
    t2 = t.reshape(-1, 1) if t.ndim <= 1 else t.reshape(-1, t.shape[-1])
    return t2, p.reshape(t2.shape)


def nmse(y_true: Any, y_pred: Any) -> float:
    """Normalised mean squared error: MSE over the variance of the target, per output, averaged.

    Arrays of shape ``(..., O)`` (the last axis holds the outputs) or 1-D. A non-finite
    prediction gives ``inf``.

    Examples
    --------
    >>> nmse([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])  # 1/3 / (2/3)
    0.5
    """
    t, p = _pair(y_true, y_pred)
    if not np.all(np.isfinite(p)):
        return float("inf")
    var = t.var(axis=0)
    if np.any(var == 0):
        raise ValueError("y_true must vary (zero variance) for a normalised error")
    return float(np.mean(((t - p) ** 2).mean(axis=0) / var))


def nrmse(y_true: Any, y_pred: Any) -> float:
    """Normalised root mean squared error: RMSE over the target's standard deviation.

    Computed per output and averaged over outputs (last axis).

    Examples
    --------
    >>> round(nrmse([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]), 6)  # sqrt(0.5)
    0.707107
    """
    t, p = _pair(y_true, y_pred)
    if not np.all(np.isfinite(p)):
        return float("inf")
    var = t.var(axis=0)
    if np.any(var == 0):
        raise ValueError("y_true must vary (zero variance) for a normalised error")
    return float(np.mean(np.sqrt(((t - p) ** 2).mean(axis=0) / var)))


def memory_capacity(y_true: Any, y_pred: Any) -> float:
    """Jaeger's memory capacity: the sum over delays of squared correlation coefficients.

    ``y_true`` and ``y_pred`` are ``(T, K)``: column ``k - 1`` holds ``u_{t-k}`` and its
    reconstruction (steps where some delay is undefined must be cut off by the caller).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u = rng.uniform(-0.5, 0.5, (1000, 3))
    >>> memory_capacity(u, 2 * u + 1)  # perfect up to an affine map: 1 per delay
    3.0
    """
    t, p = _pair(y_true, y_pred)
    if not np.all(np.isfinite(p)):
        raise ValueError("y_pred must be finite")
    tc = t - t.mean(axis=0)
    pc = p - p.mean(axis=0)
    cov = (tc * pc).mean(axis=0)
    var_t, var_p = (tc**2).mean(axis=0), (pc**2).mean(axis=0)
    r2 = np.where(var_p > 0, cov**2 / (var_t * np.where(var_p > 0, var_p, 1.0)), 0.0)
    return float(np.round(r2.sum(), 12))
