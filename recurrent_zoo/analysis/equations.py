r"""Recurrent networks' equations as sympy expressions, and what follows from them.

The continuous-time networks are written here once, symbolically: :func:`ctrnn_equations` in
index notation (shown by ``recurrent-zoo info ctrnn`` and the docs), :func:`ctrnn_rhs` as an
explicit ``N``-unit vector field, :func:`ctrnn_jacobian_symbolic` as its Jacobian matrix, and
:func:`ctrnn_jacobian_function` as that Jacobian lambdified to numpy -- the Jacobian that
:mod:`recurrent_zoo.analysis.dynamics` uses to classify fixed points. For the CTRNN

.. math::

    J_{ik} = \frac{\partial \dot y_i}{\partial y_k}
           = \frac{1}{\tau_i}\left(-\delta_{ik} + w_{ki}\, g_k\,
             \sigma'\!\left(g_k (y_k + \theta_k)\right)\right),

which sympy derives from the vector field rather than us writing it by hand.

Examples
--------
>>> import sympy as sp
>>> y, params, J = ctrnn_jacobian_symbolic(1)
>>> sp.simplify(J[0, 0].subs({params["w"][0, 0]: 0}))
-1/tau_1
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .._core.validation import NDArray, check_positive_int

__all__ = [
    "ctrnn_equations",
    "mtrnn_equations",
    "ctrnn_symbols",
    "ctrnn_rhs",
    "ctrnn_jacobian_symbolic",
    "ctrnn_jacobian_function",
]


def _sigma(x: Any) -> Any:
    import sympy as sp

    return 1 / (1 + sp.exp(-x))


def ctrnn_equations() -> list[Any]:
    r"""Beer's CTRNN in index notation, as sympy ``Eq`` objects.

    .. math::

        \tau_i \frac{d y_i}{dt} = -y_i + \sum_{j=1}^{N} w_{ji}\,
            \sigma\!\left(g_j (y_j + \theta_j)\right) + I_i(t),
        \qquad \sigma(x) = \frac{1}{1 + e^{-x}}

    Examples
    --------
    >>> eqs = ctrnn_equations()
    >>> len(eqs), eqs[1]
    (2, Eq(sigma(x), 1/(1 + exp(-x))))
    """
    import sympy as sp

    t = sp.Symbol("t", real=True)
    N = sp.Symbol("N", integer=True, positive=True)
    i, j = sp.symbols("i j", integer=True, positive=True)
    y, I, w = sp.IndexedBase("y"), sp.IndexedBase("I"), sp.IndexedBase("w")
    tau, theta, g = sp.IndexedBase("tau"), sp.IndexedBase("theta"), sp.IndexedBase("g")
    sigma = sp.Function("sigma")
    x = sp.Symbol("x", real=True)
    rhs = -y[i] + sp.Sum(w[j, i] * sigma(g[j] * (y[j] + theta[j])), (j, 1, N)) + I[i]
    return [
        sp.Eq(tau[i] * sp.Derivative(y[i], t), rhs),
        sp.Eq(sigma(x), _sigma(x)),
    ]


def mtrnn_equations() -> list[Any]:
    r"""Yamashita & Tani's MTRNN update (Euler form with unit step), as sympy ``Eq`` objects.

    .. math::

        u_{i,t} = \left(1 - \frac{1}{\tau_i}\right) u_{i,t-1}
                  + \frac{1}{\tau_i}\Bigl(\sum_{j=1}^{I} w^{in}_{ij}\, x_{j,t}
                  + \sum_{k=1}^{C} w^{c}_{ik}\, f(u^{c}_{k,t-1}) + b_i\Bigr),
        \qquad y_{i,t} = f_{out}(u_{i,t})

    for every unit :math:`i` (input-output, fast or slow context), with :math:`\tau_i` its
    group's time constant, :math:`x_t` the input, :math:`u^c` the context units' potentials
    and :math:`y` read from the input-output units. The weights between the input-output and
    slow-context groups (and from the inputs to the slow group) are zero.

    Examples
    --------
    >>> len(mtrnn_equations())
    2
    """
    import sympy as sp

    t = sp.Symbol("t", integer=True)
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    n_in, n_ctx = sp.symbols("I C", integer=True, positive=True)
    u, u_c, x, y = (sp.IndexedBase(n) for n in ("u", "u^c", "x", "y"))
    tau, b = sp.IndexedBase("tau"), sp.IndexedBase("b")
    w_in, w_ctx = sp.IndexedBase("w^in"), sp.IndexedBase("w^c")
    f, f_out = sp.Function("f"), sp.Function("f_out")
    synaptic = (
        sp.Sum(w_in[i, j] * x[j, t], (j, 1, n_in))
        + sp.Sum(w_ctx[i, k] * f(u_c[k, t - 1]), (k, 1, n_ctx))
        + b[i]
    )
    return [
        sp.Eq(u[i, t], (1 - 1 / tau[i]) * u[i, t - 1] + synaptic / tau[i]),
        sp.Eq(y[i, t], f_out(u[i, t])),
    ]


@lru_cache(maxsize=16)
def ctrnn_symbols(n: int) -> tuple[Any, dict[str, Any]]:
    """Symbols of an ``n``-unit CTRNN: the state vector and a dict of parameter matrices.

    Returns
    -------
    y : sympy.Matrix, shape (n, 1)
        ``y_1 .. y_n``.
    params : dict
        ``"w"``: (n, n) matrix whose entry ``[i, j]`` is the weight *to* unit ``i+1`` *from*
        unit ``j+1`` (printed ``w_{j+1,i+1}``, Beer's :math:`w_{ji}`); ``"theta"``, ``"tau"``,
        ``"g"``, ``"I"``: (n, 1) matrices.

    Examples
    --------
    >>> y, p = ctrnn_symbols(2)
    >>> p["w"][0, 1]                 # from unit 2 to unit 1
    w_21
    """
    import sympy as sp

    n = check_positive_int(n, "n")
    y = sp.Matrix(sp.symbols(f"y_1:{n + 1}", real=True))
    w = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w_{j + 1}{i + 1}", real=True))
    theta = sp.Matrix(sp.symbols(f"theta_1:{n + 1}", real=True))
    tau = sp.Matrix(sp.symbols(f"tau_1:{n + 1}", positive=True))
    g = sp.Matrix(sp.symbols(f"g_1:{n + 1}", real=True))
    I = sp.Matrix(sp.symbols(f"I_1:{n + 1}", real=True))
    return y, {"w": w, "theta": theta, "tau": tau, "g": g, "I": I}


def ctrnn_rhs(n: int) -> tuple[Any, dict[str, Any], Any]:
    r"""The vector field :math:`\dot y = f(y)` of an ``n``-unit CTRNN, symbolically.

    Returns
    -------
    y, params : as :func:`ctrnn_symbols`
    rhs : sympy.Matrix, shape (n, 1)

    Examples
    --------
    >>> y, p, rhs = ctrnn_rhs(1)
    >>> rhs[0]
    (I_1 + w_11/(1 + exp(-g_1*(theta_1 + y_1))) - y_1)/tau_1
    """
    import sympy as sp

    y, p = ctrnn_symbols(n)
    rates = sp.Matrix([_sigma(p["g"][k] * (y[k] + p["theta"][k])) for k in range(n)])
    drive = p["w"] * rates
    rhs = sp.Matrix([(-y[i] + drive[i] + p["I"][i]) / p["tau"][i] for i in range(n)])
    return y, p, rhs


@lru_cache(maxsize=16)
def ctrnn_jacobian_symbolic(n: int) -> tuple[Any, dict[str, Any], Any]:
    """The Jacobian matrix of :func:`ctrnn_rhs` with respect to the state, derived by sympy.

    Examples
    --------
    >>> y, p, J = ctrnn_jacobian_symbolic(2)
    >>> J.shape
    (2, 2)
    """
    y, p, rhs = ctrnn_rhs(n)
    return y, p, rhs.jacobian(y)


@lru_cache(maxsize=16)
def _lambdified_jacobian(n: int) -> Callable[..., Any]:
    import sympy as sp

    y, p, J = ctrnn_jacobian_symbolic(n)
    args = [list(y), list(p["w"]), list(p["theta"]), list(p["tau"]), list(p["g"])]
    return sp.lambdify(args, J, modules="numpy")


def ctrnn_jacobian_function(
    weight: Any, bias: Any, tau: Any = 1.0, gain: Any = 1.0
) -> Callable[[Any], NDArray]:
    """The CTRNN's symbolic Jacobian, lambdified and bound to numeric parameters.

    Parameters
    ----------
    weight : array_like, shape (n, n)
        ``weight[i, j]``: from unit ``j`` to unit ``i``.
    bias, tau, gain : float or array_like of shape (n,)

    Returns
    -------
    jac : callable ``jac(y) -> (n, n) ndarray``

    Examples
    --------
    >>> jac = ctrnn_jacobian_function([[4.5, 1.0], [-1.0, 4.5]], [-2.75, -1.75])
    >>> jac([2.75, 1.75])            # Beer's oscillator at its fixed point
    array([[ 0.125,  0.25 ],
           [-0.25 ,  0.125]])
    """
    W = np.asarray(weight, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"weight must be a square (n, n) array; got shape {W.shape}")
    n = W.shape[0]

    def vec(v: Any, name: str) -> list[float]:
        arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
        return [float(a) for a in arr]

    w_flat = [float(a) for a in W.reshape(-1)]
    theta, tau_v, g = vec(bias, "bias"), vec(tau, "tau"), vec(gain, "gain")
    fn = _lambdified_jacobian(n)

    def jac(y: Any) -> NDArray:
        yv = [float(a) for a in np.asarray(y, dtype=np.float64).reshape(n)]
        return np.asarray(fn(yv, w_flat, theta, tau_v, g), dtype=np.float64)

    return jac
