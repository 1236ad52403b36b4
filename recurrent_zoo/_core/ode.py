r"""Fixed-step explicit Runge-Kutta integration, batched, with its backward pass.

A continuous-time model :math:`\dot y = f(t, y)` becomes a recurrence once it is discretised.
The explicit Runge-Kutta methods do so with a Butcher tableau :math:`(a, b, c)`: one step of
size :math:`h` from :math:`y_n` evaluates :math:`s` stages

.. math::

    z_i = y_n + h \sum_{j < i} a_{ij} k_j, \qquad k_i = f(t_n + c_i h,\, z_i), \qquad
    y_{n+1} = y_n + h \sum_i b_i k_i .

As in :func:`scipy.integrate.solve_ivp`, a method is only its tableau (:data:`TABLEAUS`); the
code below is shared. Everything is vectorised over leading batch axes: ``y`` may be ``(D,)``
or ``(B, D)``, which integrates a batch of initial conditions (or of networks, if ``f``
broadcasts over their parameters) in one loop.

Backpropagation through one step (the adjoint of the recurrence above) runs the stages in
reverse. With :math:`\bar y_{n+1} = \partial L / \partial y_{n+1}`,

.. math::

    \bar k_i = h\, b_i\, \bar y_{n+1} + h \sum_{l > i} a_{li}\, \bar z_l, \qquad
    \bar z_i = \left(\frac{\partial f}{\partial z}\right)^{\!\top}_{z_i} \bar k_i, \qquad
    \bar y_n = \bar y_{n+1} + \sum_i \bar z_i ,

where the vector-Jacobian product of ``f`` is supplied by the caller (who also accumulates the
gradients of ``f``'s parameters there): :func:`rk_step_backward`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .validation import NDArray, check_array, check_choice, check_real

__all__ = [
    "Tableau",
    "TABLEAUS",
    "rk_step",
    "rk_step_backward",
    "integrate",
    "time_grid",
    "check_t_span",
    "check_step",
]


@dataclass(frozen=True)
class Tableau:
    """The Butcher tableau of an explicit Runge-Kutta method.

    Attributes
    ----------
    name : str
    a : tuple of tuple of float
        Stage coefficients, ``a[i][j]`` for ``j < i`` (row ``i`` has ``i`` entries).
    b : tuple of float
        Weights of the stages in the step.
    c : tuple of float
        Stage times as fractions of the step.
    order : int

    Examples
    --------
    >>> TABLEAUS["rk4"].b
    (0.16666666666666666, 0.3333333333333333, 0.3333333333333333, 0.16666666666666666)
    """

    name: str
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]
    order: int

    @property
    def stages(self) -> int:
        return len(self.b)


TABLEAUS: dict[str, Tableau] = {
    "euler": Tableau("euler", ((),), (1.0,), (0.0,), 1),
    "midpoint": Tableau("midpoint", ((), (0.5,)), (0.0, 1.0), (0.0, 0.5), 2),
    "heun": Tableau("heun", ((), (1.0,)), (0.5, 0.5), (0.0, 1.0), 2),
    "rk4": Tableau(
        "rk4",
        ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
        (1 / 6, 1 / 3, 1 / 3, 1 / 6),
        (0.0, 0.5, 0.5, 1.0),
        4,
    ),
}

VectorField = Callable[[float, NDArray], NDArray]


def rk_step(
    f: VectorField, t: float, y: NDArray, dt: float, tableau: Tableau
) -> tuple[NDArray, list[NDArray], list[NDArray]]:
    """One explicit Runge-Kutta step.

    Parameters
    ----------
    f : callable ``f(t, y) -> dy/dt``
        Must accept and return arrays shaped like ``y``.
    t, dt : float
        Current time and step size.
    y : ndarray
    tableau : Tableau

    Returns
    -------
    y_next : ndarray
    Z : list of ndarray
        The stage inputs :math:`z_i` (what a backward pass needs).
    K : list of ndarray
        The stage derivatives :math:`k_i`.

    Examples
    --------
    >>> y1, Z, K = rk_step(lambda t, y: -y, 0.0, np.array([1.0]), 0.1, TABLEAUS["rk4"])
    >>> bool(abs(y1[0] - np.exp(-0.1)) < 1e-6), len(Z)
    (True, 4)
    """
    Z: list[NDArray] = []
    K: list[NDArray] = []
    for i in range(tableau.stages):
        z = y
        for j, aij in enumerate(tableau.a[i]):
            if aij != 0.0:
                z = z + (dt * aij) * K[j]
        Z.append(z)
        K.append(f(t + tableau.c[i] * dt, z))
    y_next = y.copy()
    for bi, k in zip(tableau.b, K, strict=True):
        if bi != 0.0:
            y_next += (dt * bi) * k
    return y_next, Z, K


def rk_step_backward(
    vjp: Callable[[int, NDArray], NDArray], dy_next: NDArray, dt: float, tableau: Tableau
) -> NDArray:
    """Backpropagate through one :func:`rk_step`.

    Parameters
    ----------
    vjp : callable ``vjp(i, dk) -> dz``
        The vector-Jacobian product of ``f`` at stage ``i``: given the gradient ``dk`` with
        respect to :math:`k_i`, return the gradient with respect to the stage input
        :math:`z_i`. It is called for ``i = s - 1, ..., 0``; accumulate the gradients of
        ``f``'s parameters (and of anything else ``f`` reads) inside it.
    dy_next : ndarray
        Gradient with respect to the step's result.
    dt : float
    tableau : Tableau

    Returns
    -------
    dy : ndarray
        Gradient with respect to the step's starting point.

    Examples
    --------
    For ``f(y) = -y`` one Euler step is ``y (1 - dt)``:

    >>> rk_step_backward(lambda i, dk: -dk, np.array([1.0]), 0.1, TABLEAUS["euler"])
    array([0.9])
    """
    s = tableau.stages
    dK: list[NDArray | None] = [(dt * bi) * dy_next if bi != 0.0 else None for bi in tableau.b]
    dy = dy_next.copy()
    for i in reversed(range(s)):
        dk = dK[i]
        if dk is None:  # the stage feeds nothing that reaches the loss
            continue
        dz = vjp(i, dk)
        dy += dz
        for j, aij in enumerate(tableau.a[i]):
            if aij != 0.0:
                contrib = (dt * aij) * dz
                prev = dK[j]
                dK[j] = contrib if prev is None else prev + contrib
    return dy


def time_grid(t_span: Any, dt: Any) -> NDArray:
    """The times a fixed-step integration visits: ``t0, t0 + dt, ...``, ending exactly at ``t1``.

    The last step is shortened when ``t1 - t0`` is not a multiple of ``dt``.

    Examples
    --------
    >>> time_grid((0.0, 1.0), 0.25)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> time_grid((0.0, 0.5), 0.2)
    array([0. , 0.2, 0.4, 0.5])
    """
    t0, t1 = check_t_span(t_span)
    dt = check_step(dt)
    n = int(np.floor((t1 - t0) / dt * (1 + 1e-12)))
    t = t0 + dt * np.arange(n + 1)
    if t1 - t[-1] > 1e-9 * max(dt, abs(t1)):
        t = np.append(t, t1)
    else:
        t[-1] = t1
    return t


def check_t_span(t_span: Any) -> tuple[float, float]:
    """Validate ``t_span = (t0, t1)`` with finite ``t0 < t1``."""
    arr = check_array(t_span, "t_span", shape=(2,), dtype=np.float64, shape_doc="(t0, t1)")
    t0, t1 = float(arr[0]), float(arr[1])
    if not t1 > t0:
        raise ValueError(f"t_span must satisfy t0 < t1; got ({t0}, {t1})")
    return t0, t1


def check_step(dt: Any, name: str = "dt") -> float:
    """Validate a positive finite step size."""
    return check_real(dt, name, low=0.0, closed="neither")


def integrate(
    f: VectorField, t_span: Any, y0: Any, dt: float, method: str = "rk4"
) -> tuple[NDArray, NDArray]:
    """Integrate ``dy/dt = f(t, y)`` with a fixed step; ``y0`` may carry batch axes.

    Parameters
    ----------
    f : callable ``f(t, y) -> dy/dt``
        Vectorised: takes and returns arrays shaped like ``y0`` (e.g. ``(B, D)``).
    t_span : (float, float)
    y0 : array_like, shape (D,) or (B, D) or any shape ``f`` accepts
    dt : float
        Step size; the last step is shortened to end exactly at ``t1``.
    method : {"euler", "midpoint", "heun", "rk4"}

    Returns
    -------
    t : ndarray, shape (n,)
    y : ndarray, shape (n,) + y0.shape

    Examples
    --------
    >>> t, y = integrate(lambda t, y: -y, (0.0, 1.0), [1.0, 2.0], dt=0.01)
    >>> np.round(y[-1] / np.exp(-1.0), 8)
    array([1., 2.])
    """
    tableau = TABLEAUS[check_choice(method, "method", tuple(TABLEAUS))]
    y = check_array(y0, "y0", dtype=np.result_type(np.asarray(y0).dtype, np.float64)).copy()
    t = time_grid(t_span, dt)
    out = np.empty((t.size,) + y.shape, dtype=y.dtype)
    out[0] = y
    for n in range(t.size - 1):
        y, _, _ = rk_step(f, t[n], y, t[n + 1] - t[n], tableau)
        out[n + 1] = y
    return t, out
