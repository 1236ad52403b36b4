r"""Fixed points, their stability, and limit-cycle periods of continuous-time systems.

A fixed point :math:`y^*` of :math:`\dot y = f(y)` solves :math:`f(y^*) = 0`. There is no
closed form for a nonlinear network, so :func:`find_fixed_points` runs a root finder
(:func:`scipy.optimize.root`, Powell's hybrid method) from many starting points drawn in a box,
keeps the converged ones and merges duplicates. Each fixed point is classified by the
eigenvalues :math:`\lambda` of the Jacobian there (Hartman-Grobman: for a hyperbolic point the
linearisation decides):

=====================  =====================================================
``"stable node"``      all :math:`\mathrm{Re}\,\lambda < 0`, all real
``"stable focus"``     all :math:`\mathrm{Re}\,\lambda < 0`, some complex
``"unstable node"``    all :math:`\mathrm{Re}\,\lambda > 0`, all real
``"unstable focus"``   all :math:`\mathrm{Re}\,\lambda > 0`, some complex
``"saddle"``           real parts of both signs
``"non-hyperbolic"``   some :math:`\mathrm{Re}\,\lambda = 0` (within ``tol``)
=====================  =====================================================

For a CTRNN, :func:`ctrnn_fixed_points` uses the Jacobian that sympy derives
(:func:`recurrent_zoo.analysis.equations.ctrnn_jacobian_function`) and searches the box that
must contain every fixed point, :math:`|y_i - I_i| \le \sum_j |w_{ij}|`.

:func:`limit_cycle_period` measures the period of an oscillation from a sampled trajectory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_positive_int

__all__ = [
    "FixedPoint",
    "classify",
    "numerical_jacobian",
    "find_fixed_points",
    "ctrnn_fixed_points",
    "limit_cycle_period",
]

STABILITY_TYPES = (
    "stable node",
    "stable focus",
    "unstable node",
    "unstable focus",
    "saddle",
    "non-hyperbolic",
)


@dataclass(frozen=True)
class FixedPoint:
    """A fixed point, its Jacobian's eigenvalues and its stability type.

    Attributes
    ----------
    point : ndarray, shape (D,)
    eigenvalues : ndarray of complex, shape (D,)
        Sorted by decreasing real part.
    stability : str
        One of ``"stable node"``, ``"stable focus"``, ``"unstable node"``,
        ``"unstable focus"``, ``"saddle"``, ``"non-hyperbolic"``.
    residual : float
        :math:`\\lVert f(y^*) \\rVert_\\infty`.
    """

    point: NDArray
    eigenvalues: NDArray
    stability: str
    residual: float

    @property
    def stable(self) -> bool:
        """Whether the point attracts its neighbourhood (all real parts negative)."""
        return self.stability.startswith("stable")


def classify(eigenvalues: Any, tol: float = 1e-9) -> str:
    """The stability type of a fixed point from its Jacobian's eigenvalues.

    Examples
    --------
    >>> classify([-1.0, -2.0]), classify([-1 + 2j, -1 - 2j]), classify([1.0, -1.0])
    ('stable node', 'stable focus', 'saddle')
    >>> classify([0.125 + 0.25j, 0.125 - 0.25j]), classify([1j, -1j])
    ('unstable focus', 'non-hyperbolic')
    """
    ev = np.asarray(eigenvalues, dtype=np.complex128).reshape(-1)
    if ev.size == 0:
        raise ValueError("eigenvalues must hold at least one value")
    re, im = ev.real, ev.imag
    if np.any(np.abs(re) <= tol):
        return "non-hyperbolic"
    oscillating = bool(np.any(np.abs(im) > tol))
    if np.all(re < 0):
        return "stable focus" if oscillating else "stable node"
    if np.all(re > 0):
        return "unstable focus" if oscillating else "unstable node"
    return "saddle"


def numerical_jacobian(
    f: Callable[[float, NDArray], NDArray], y: Any, eps: float = 1e-6
) -> NDArray:
    """Central finite-difference Jacobian of ``f(0, y)`` at ``y`` (all columns in one batch).

    ``f`` must accept a batch ``(B, D)`` of states, as the vector fields of this library do.

    Examples
    --------
    >>> A = np.array([[0.0, 1.0], [-2.0, -3.0]])
    >>> np.round(numerical_jacobian(lambda t, y: y @ A.T, [1.0, 1.0]), 6)
    array([[ 0.,  1.],
           [-2., -3.]])
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    D = y.size
    steps = eps * np.maximum(1.0, np.abs(y))
    E = np.diag(steps)
    F = np.asarray(f(0.0, np.concatenate([y + E, y - E])), dtype=np.float64)  # (2D, D)
    return ((F[:D] - F[D:]) / (2 * steps[:, None])).T


def _box(bounds: Any, name: str = "bounds") -> tuple[NDArray, NDArray]:
    arr = check_array(bounds, name, ndim=2, dtype=np.float64, shape_doc="(D, 2)")
    if arr.shape[1] != 2 or not np.all(arr[:, 0] <= arr[:, 1]):
        raise ValueError(f"{name} must have shape (D, 2) with low <= high per row; got {arr}")
    return arr[:, 0], arr[:, 1]


def find_fixed_points(
    f: Callable[[float, NDArray], NDArray],
    bounds: Any,
    *,
    jac: Callable[[NDArray], NDArray] | None = None,
    n_starts: int = 100,
    starts: Any = None,
    tol: float = 1e-9,
    merge_tol: float = 1e-6,
    seed: Any = None,
) -> list[FixedPoint]:
    """Fixed points of an autonomous vector field, from many starting points.

    Parameters
    ----------
    f : callable ``f(t, y) -> dy/dt``
        Called with ``t = 0`` and ``y`` of shape ``(D,)`` (and ``(2D, D)`` by
        :func:`numerical_jacobian` when ``jac`` is not given).
    bounds : array_like, shape (D, 2)
        Box ``[low, high]`` per coordinate in which starting points are drawn uniformly.
    jac : callable ``jac(y) -> (D, D)``, optional
        The Jacobian; central finite differences otherwise. Used by the root finder and for
        the stability.
    n_starts : int, default 100
        Number of random starting points (in addition to ``starts``).
    starts : array_like, shape (K, D), optional
        Extra starting points (e.g. the box's centre).
    tol : float, default 1e-9
        A root is kept when ``max |f(y)| <= tol``.
    merge_tol : float, default 1e-6
        Roots closer than ``merge_tol * (1 + |y|)`` (max norm) are the same fixed point.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    list of FixedPoint
        Sorted by their coordinates (lexicographically).

    Examples
    --------
    The damped Duffing oscillator :math:`\\dot x = v,\\ \\dot v = x - x^3 - v/2` has a saddle at
    the origin and two stable foci at :math:`x = \\pm 1`:

    >>> def f(t, y):
    ...     x, v = y[..., 0], y[..., 1]
    ...     return np.stack([v, x - x**3 - 0.5 * v], axis=-1)
    >>> for fp in find_fixed_points(f, [[-2, 2], [-2, 2]], seed=0):
    ...     print(np.round(fp.point, 6) + 0.0, fp.stability)
    [-1.  0.] stable focus
    [0. 0.] saddle
    [1. 0.] stable focus
    """
    from scipy.optimize import root

    low, high = _box(bounds)
    D = low.size
    n_starts = check_positive_int(n_starts, "n_starts", minimum=0)
    rng = make_rng(seed)
    points = [rng.uniform(low, high, size=(n_starts, D))]
    if starts is not None:
        extra = check_array(starts, "starts", ndim=2, dtype=np.float64)
        if extra.shape[1] != D:
            raise ValueError(f"starts must have shape (K, D={D}); got shape {extra.shape}")
        points.insert(0, extra)
    candidates = np.concatenate(points)
    if candidates.shape[0] == 0:
        raise ValueError("no starting points: give n_starts >= 1 or starts")

    def fun(y: NDArray) -> NDArray:
        return np.asarray(f(0.0, y), dtype=np.float64).reshape(D)

    def jacobian(y: NDArray) -> NDArray:
        return jac(y) if jac is not None else numerical_jacobian(f, y)

    found: list[tuple[NDArray, float]] = []
    for y0 in candidates:
        sol = root(fun, y0, jac=jacobian, method="hybr")
        y = sol.x
        if not np.all(np.isfinite(y)):
            continue
        residual = float(np.max(np.abs(fun(y))))
        if residual > tol:
            continue
        scale = merge_tol * (1.0 + np.abs(y))
        for k, (z, r) in enumerate(found):
            if np.all(np.abs(z - y) <= scale):
                if residual < r:  # keep the more accurate copy
                    found[k] = (y, residual)
                break
        else:
            found.append((y, residual))
    found.sort(key=lambda item: tuple(item[0]))
    result = []
    for y, r in found:
        ev = np.linalg.eigvals(jacobian(y))
        ev = ev[np.lexsort((-ev.imag, -ev.real))]
        result.append(FixedPoint(y, ev, classify(ev), r))
    return result


def ctrnn_fixed_points(
    model: Any,
    *,
    inputs: Any = None,
    n_starts: int = 100,
    seed: Any = None,
    tol: float = 1e-9,
) -> list[FixedPoint]:
    r"""Fixed points of a :class:`~recurrent_zoo.ctrnn.CTRNN` under a constant input.

    Uses the sympy-derived Jacobian and searches the box
    :math:`I_i - \sum_j |w_{ij}| \le y_i \le I_i + \sum_j |w_{ij}|`, which holds every fixed
    point because firing rates lie in (0, 1).

    Parameters
    ----------
    model : CTRNN
    inputs : array_like, shape (input_size,), optional
        A constant input (mapped through ``weight_ih``); zero by default.
    n_starts, seed, tol
        As for :func:`find_fixed_points`.

    Examples
    --------
    >>> from recurrent_zoo.ctrnn import beer_oscillator
    >>> (fp,) = ctrnn_fixed_points(beer_oscillator(), seed=0)
    >>> np.round(fp.point, 6), fp.stability
    (array([2.75, 1.75]), 'unstable focus')
    """
    from .equations import ctrnn_jacobian_function

    p = model.params
    W = p["weight_hh"].astype(np.float64)
    current = np.zeros(W.shape[0])
    if inputs is not None:
        x = check_array(
            inputs,
            "inputs",
            shape=(model.input_size,),
            dtype=np.float64,
            shape_doc=f"(input_size={model.input_size},)",
        )
        current = p["weight_ih"].astype(np.float64) @ x
    reach = np.abs(W).sum(axis=1) + 1e-6
    bounds = np.stack([current - reach, current + reach], axis=1)
    jac = ctrnn_jacobian_function(W, p["bias"], model.time_constants(), model.gain)
    f = model.vector_field(None if inputs is None else np.asarray(inputs, dtype=np.float64))
    return find_fixed_points(
        f, bounds, jac=jac, n_starts=n_starts, starts=current[None], tol=tol, seed=seed
    )


def limit_cycle_period(t: Any, x: Any, level: float | None = None, discard: int = 1) -> float:
    """The period of a sampled oscillation, from its upward crossings of ``level``.

    The signal is interpolated by a cubic spline (error :math:`O(h^4)` for step ``h``) and
    the crossing times are the spline's roots; the period is the mean interval between
    successive upward crossings.

    Parameters
    ----------
    t : array_like, shape (n,)
        Increasing sample times.
    x : array_like, shape (n,)
        One coordinate of the trajectory, sampled on the limit cycle.
    level : float, optional
        Crossing level; the midpoint of the signal's range by default.
    discard : int, default 1
        Number of initial crossings to ignore (transient).

    Examples
    --------
    >>> t = np.linspace(0.0, 20.0, 2001)
    >>> round(limit_cycle_period(t, np.sin(2 * np.pi * t / 3.0)), 8)
    3.0
    """
    from scipy.interpolate import CubicSpline

    t = check_array(t, "t", ndim=1, dtype=np.float64)
    x = check_array(x, "x", shape=(t.size,), dtype=np.float64, shape_doc=f"({t.size},) like t")
    if level is None:
        level = 0.5 * (float(x.max()) + float(x.min()))
    spline = CubicSpline(t, x - level)
    roots = spline.roots(extrapolate=False)
    up = roots[spline(roots, 1) > 0]
    up = up[discard:]
    if up.size < 2:
        raise ValueError(
            f"fewer than two upward crossings of level {level:.6g} after discarding {discard}: "
            "the signal does not oscillate over t, or t is too short"
        )
    return float(np.diff(up).mean())
