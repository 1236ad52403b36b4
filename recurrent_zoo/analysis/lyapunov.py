r"""The largest Lyapunov exponent of a trajectory, by Benettin's two-trajectory method.

The largest Lyapunov exponent measures the mean exponential rate at which nearby trajectories
of :math:`\dot y = f(t, y)` separate:

.. math::

    \lambda_1 = \lim_{t \to \infty} \frac{1}{t} \ln \frac{\lVert \delta y(t) \rVert}
                                                        {\lVert \delta y(0) \rVert}.

Benettin et al. (1980) follow a reference trajectory and a companion started a distance
:math:`d_0` away. Every ``renorm_every`` steps (time :math:`\Delta`) the separation
:math:`d_k` is measured, :math:`\ln(d_k / d_0)` accumulated, and the companion pulled back to
distance :math:`d_0` along the current separation, so it stays in the linear regime and aligns
with the most expanding direction:

.. math:: \lambda_1 \approx \frac{1}{K \Delta} \sum_{k=1}^{K} \ln \frac{d_k}{d_0}.

Both trajectories of every starting point advance together through one batched fixed-step
integrator (:mod:`recurrent_zoo._core.ode`), so a batch of starting points costs one loop. A
positive exponent signals chaos (Lorenz: :math:`\lambda_1 \approx 0.906`); a trajectory that
settles to a stable fixed point has :math:`\lambda_1` equal to the largest real part of the
Jacobian's eigenvalues there (negative); a limit cycle has :math:`\lambda_1 = 0`.

References
----------
G. Benettin, L. Galgani, A. Giorgilli and J.-M. Strelcyn, "Lyapunov characteristic exponents for
smooth dynamical systems and for Hamiltonian systems; a method for computing all of them",
Meccanica 15:9-30, 1980.
A. Wolf, J. B. Swift, H. L. Swinney and J. A. Vastano, "Determining Lyapunov exponents from a
time series", Physica D 16:285-317, 1985.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.ode import TABLEAUS, check_step, rk_step
from .._core.validation import NDArray, check_array, check_choice, check_positive_int

__all__ = ["largest_lyapunov", "lorenz"]


def lorenz(
    sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0
) -> Callable[[float, NDArray], NDArray]:
    r"""The Lorenz (1963) system :math:`\dot x = \sigma(y - x),\ \dot y = x(\rho - z) - y,\
    \dot z = xy - \beta z`, vectorised over leading axes.

    Examples
    --------
    >>> lorenz()(0.0, np.array([1.0, 1.0, 1.0]))
    array([ 0.        , 26.        , -1.66666667])
    """

    def f(t: float, y: NDArray) -> NDArray:
        x, v, z = y[..., 0], y[..., 1], y[..., 2]
        return np.stack([sigma * (v - x), x * (rho - z) - v, x * v - beta * z], axis=-1)

    return f


def largest_lyapunov(
    f: Callable[[float, NDArray], NDArray],
    y0: Any,
    *,
    t_total: float = 100.0,
    dt: float = 0.01,
    t_transient: float = 0.0,
    renorm_every: int = 10,
    d0: float = 1e-8,
    method: str = "rk4",
    t0: float = 0.0,
    seed: Any = 0,
) -> Any:
    """The largest Lyapunov exponent of the trajectory from ``y0`` (Benettin's method).

    Parameters
    ----------
    f : callable ``f(t, y) -> dy/dt``
        Any vector field, vectorised over a leading batch axis: ``y`` of shape ``(M, D)``.
    y0 : array_like, shape (D,) or (K, D)
        Starting point(s); ``K`` exponents are estimated together.
    t_total : float, default 100
        Averaging time (after the transient).
    dt : float, default 0.01
        Integration step.
    t_transient : float, default 0
        Time integrated first and discarded, to reach the attractor.
    renorm_every : int, default 10
        Steps between renormalisations of the separation.
    d0 : float, default 1e-8
        Initial (and renormalised) separation.
    method : {"euler", "midpoint", "heun", "rk4"}, default "rk4"
    t0 : float, default 0
        Start time (for non-autonomous ``f``).
    seed : int or numpy.random.Generator, default 0
        Draws the initial direction of the separation.

    Returns
    -------
    float, or ndarray of shape (K,) when ``y0`` is 2-dimensional

    Examples
    --------
    A linear contraction :math:`\\dot y = -y/2` has exponent -1/2:

    >>> round(largest_lyapunov(lambda t, y: -0.5 * y, [1.0, 2.0], t_total=10.0), 6)
    -0.5
    """
    y = check_array(y0, "y0", ndim=(1, 2), dtype=np.float64)
    single = y.ndim == 1
    Y = y[None] if single else y
    K, D = Y.shape
    t_total, d0, dt = check_step(t_total, "t_total"), check_step(d0, "d0"), check_step(dt)
    if isinstance(t_transient, (bool, np.bool_)) or not isinstance(t_transient, numbers.Real):
        raise TypeError(f"t_transient must be a real number >= 0; got {t_transient!r}")
    if not (np.isfinite(t_transient) and t_transient >= 0):
        raise ValueError(f"t_transient must be a real number >= 0; got {t_transient!r}")
    renorm_every = check_positive_int(renorm_every, "renorm_every")
    tableau = TABLEAUS[check_choice(method, "method", tuple(TABLEAUS))]
    t = float(t0)
    for _ in range(int(round(float(t_transient) / dt))):
        Y, _, _ = rk_step(f, t, Y, dt, tableau)
        t += dt
    direction = make_rng(seed).standard_normal((K, D))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    both = np.concatenate([Y, Y + d0 * direction])  # (2K, D): references, then companions
    n_blocks = max(1, int(round(t_total / (dt * renorm_every))))
    log_growth = np.zeros(K)
    for _ in range(n_blocks):
        for _ in range(renorm_every):
            both, _, _ = rk_step(f, t, both, dt, tableau)
            t += dt
        if not np.all(np.isfinite(both)):
            raise FloatingPointError("the trajectory diverged (non-finite state); reduce dt")
        sep = both[K:] - both[:K]
        dist = np.linalg.norm(sep, axis=1)
        if np.any(dist == 0.0):
            raise FloatingPointError(
                "the separation collapsed to zero (below floating-point resolution); "
                "use a larger d0 or a shorter renorm_every"
            )
        log_growth += np.log(dist / d0)
        both[K:] = both[:K] + (d0 / dist)[:, None] * sep
    exponents = log_growth / (n_blocks * renorm_every * dt)
    return float(exponents[0]) if single else exponents
