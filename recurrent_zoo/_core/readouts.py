r"""Trained readouts for reservoirs: ridge regression, recursive least squares, logistic regression.

A reservoir (an echo state network's, a deep ESN's, ...) turns a sequence into features
:math:`z \in \mathbb{R}^F` -- its state at each step, or one pooled vector per sequence -- and
only a readout on those features is learned. The three readouts here know nothing about how the
features were made, so every reservoir model shares them.

**Ridge regression** (:class:`RidgeAccumulator`): with the intercept left unpenalised,

.. math::

    (W, b) = \arg\min \sum_n \lVert y_n - W z_n - b \rVert^2 + \lambda \lVert W \rVert_F^2,
    \qquad W^\top = (C_{zz} + \lambda I)^{-1} C_{zy}, \quad b = \bar y - W \bar z,

where :math:`C_{zz}` and :math:`C_{zy}` are the centred sums of products (the normal equations
of :math:`[1; z_n]` with a free intercept, better conditioned). The sums are accumulated in
float64 chunk by chunk, so memory is :math:`O(F^2)` whatever the number of rows: each chunk is
shifted by the first chunk's means (a shift close to the mean keeps the sums as well
conditioned as centring would) and the exact centring is one rank-one correction at the end.
:math:`C_{zz}` is a symmetric rank-k update (numpy runs ``Z.T @ Z`` as BLAS ``syrk``, half a
GEMM, and releases the GIL meanwhile). The system is solved by a float64 Cholesky factorisation,
or by least squares if it is not numerically positive definite (:func:`solve_spd`). With
``background=True`` the sums of one chunk are computed in a worker thread while the caller
produces the next (the reservoir's sparse kernel and BLAS both release the GIL), one chunk at
a time in order, so the result is the same bit for bit.

**Recursive least squares** (:class:`RLS`): the same regression learned online, with
:math:`P_0 = I / \lambda` over :math:`\xi_t = [1; z_t]` (the intercept is penalised too, so with
forgetting factor :math:`\mu = 1` the result is exactly ridge regression with penalty
:math:`\lambda` on every weight):

.. math::

    k_t = \frac{P_{t-1} \xi_t}{\mu + \xi_t^\top P_{t-1} \xi_t}, \quad
    e_t = W_{t-1} \xi_t - y_t, \quad
    W_t = W_{t-1} - e_t k_t^\top, \quad
    P_t = \frac{P_{t-1} - k_t \xi_t^\top P_{t-1}}{\mu}.

Rows learned together (independent sequences at one step) are one block update,
:math:`K = P X^\top (\mu I + X P X^\top)^{-1}`, exactly the sequential updates when
:math:`\mu = 1`. FORCE learning (Sussillo & Abbott 2009) is this update run while the
reservoir hears the readout's own output; the reservoir model decides what it feeds back.

**Multinomial logistic regression** (:func:`fit_logistic`): for class labels :math:`c_n` among
:math:`C` classes, :math:`p_n = \mathrm{softmax}(W z_n + b)` and

.. math::

    L(W, b) = -\sum_n \log p_{n, c_n} + \frac{\lambda}{2} \lVert W \rVert_F^2,
    \qquad \frac{\partial L}{\partial W} = (P - Y)^\top Z + \lambda W, \quad
    \frac{\partial L}{\partial b} = (P - Y)^\top \mathbf{1},

(:math:`Y` one-hot), minimised by L-BFGS (``scipy.optimize``). This is scikit-learn's
``LogisticRegression(C=1 / lambda)`` with its default multinomial loss and free intercept.

References
----------
A. N. Tikhonov and V. Y. Arsenin, *Solutions of Ill-Posed Problems*, Winston, 1977 (ridge).

S. Haykin, *Adaptive Filter Theory*, 4th ed., Prentice Hall, 2002, ch. 9 (recursive least
squares).

D. Sussillo and L. F. Abbott, "Generating coherent patterns of activity from chaotic neural
networks", Neuron 63(4):544-557, 2009.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from .validation import NDArray

try:  # caps the BLAS thread pools while a reservoir runs (see blas_threads)
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - threadpoolctl is a dependency, but stay usable without
    ThreadpoolController = None

__all__ = [
    "RLS",
    "RidgeAccumulator",
    "blas_threads",
    "capped_blas",
    "fit_logistic",
    "logistic_loss",
    "softmax",
    "solve_spd",
]

_THREADPOOLS: list[Any] = []
_F = TypeVar("_F", bound=Callable[..., Any])


def blas_threads() -> contextlib.AbstractContextManager[Any]:
    """Cap the BLAS thread pools at one thread fewer than the CPUs this process may use.

    While the ridge sums of one chunk are computed in a worker thread (BLAS), the main thread
    runs the reservoir over the next chunk (the sparse kernel, one core). A BLAS pool as large
    as the machine then oversubscribes it, and OpenBLAS's spinning threads slow both sides
    badly: measured on 2 shared cores, a 1000 x 1000 Cholesky took 0.7 s with 2 BLAS threads
    and 0.012 s with 1. The cap only lowers the current setting (a caller's own, smaller limit
    stands) and is undone on exit. Without threadpoolctl this does nothing.

    Examples
    --------
    >>> with blas_threads():
    ...     pass
    """
    if ThreadpoolController is None:  # pragma: no cover
        return contextlib.nullcontext()
    if not _THREADPOOLS:  # inspecting the loaded libraries takes ~10 ms: once per process
        _THREADPOOLS.append(ThreadpoolController().select(user_api="blas"))
    pools = _THREADPOOLS[0]
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    current = min((lib.num_threads for lib in pools.lib_controllers), default=1)
    return pools.limit(limits=max(1, min(current, cpus - 1)))


def capped_blas(method: _F) -> _F:
    """Run ``method`` under :func:`blas_threads` (a decorator for a model's public methods).

    A reservoir's products are many and small (a step's input drive, a readout's scores), so a
    BLAS pool as large as the machine gains little and, on a busy machine, its spinning threads
    cost a great deal: on 2 cores under a load average of 30, classifying 670 sequences took
    14.6 s with OpenBLAS's 2 threads and 3.7 s with one.
    """

    @functools.wraps(method)
    def capped(*args: Any, **kwargs: Any) -> Any:
        with blas_threads():
            return method(*args, **kwargs)

    return capped  # type: ignore[return-value]


def solve_spd(A: NDArray, rhs: NDArray) -> NDArray:
    """Solve ``A X = rhs`` for ``A`` symmetric positive (semi-)definite, given by its lower part.

    Cholesky in float64 (LAPACK ``potrf``/``potrs``, which read only the lower triangle); if
    ``A`` is not numerically positive definite, least squares on the full symmetric matrix.

    Examples
    --------
    >>> solve_spd(np.array([[4.0, 99.0], [2.0, 3.0]]), np.array([[2.0], [1.0]])).ravel()
    array([0.5, 0. ])
    """
    try:
        factor = sla.cho_factor(A, lower=True, check_finite=False)
        return np.asarray(sla.cho_solve(factor, rhs, check_finite=False))
    except np.linalg.LinAlgError:
        full = np.tril(A) + np.tril(A, -1).T
        return np.asarray(sla.lstsq(full, rhs, check_finite=False)[0])


class RidgeAccumulator:
    """Ridge regression with a free intercept, from rows added chunk by chunk.

    Parameters
    ----------
    n_features, n_outputs : int
        ``F`` and ``O``: rows of features are ``(n, F)``, targets ``(n, O)``.
    background : bool, default False
        Compute each chunk's sums in a worker thread while the caller prepares the next (use
        as a context manager, which also caps BLAS at one thread fewer than the CPUs; see
        :func:`blas_threads`). The arrays given to :meth:`add` must then stay unchanged until
        the next :meth:`add` or :meth:`solve`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((200, 3)); Y = Z @ np.array([[1.0], [-2.0], [0.5]]) + 3.0
    >>> acc = RidgeAccumulator(3, 1)
    >>> acc.add(Z[:120], Y[:120]); acc.add(Z[120:], Y[120:])
    >>> W, b = acc.solve(1e-9)
    >>> np.round(W, 6), np.round(b, 6)
    (array([[ 1. , -2. ,  0.5]]), array([3.]))
    """

    def __init__(self, n_features: int, n_outputs: int, *, background: bool = False) -> None:
        self.n_features, self.n_outputs = int(n_features), int(n_outputs)
        F, O = self.n_features, self.n_outputs
        self._Szz = np.zeros((F, F))  # sum (z - r_z)(z - r_z)^T, lower triangle used
        self._Szy = np.zeros((F, O))  # sum (z - r_z)(y - r_y)^T
        self._s_z, self._s_y = np.zeros(F), np.zeros(O)
        self._shift: list[NDArray] = []  # r_z, r_y: the first chunk's means
        self.count = 0
        self.background = bool(background)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._stack: contextlib.ExitStack | None = None

    def __enter__(self) -> RidgeAccumulator:
        self._stack = contextlib.ExitStack()
        if self.background:
            self._stack.enter_context(blas_threads())
            self._pool = self._stack.enter_context(ThreadPoolExecutor(max_workers=1))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._wait()
        finally:
            self._pool = None
            if self._stack is not None:
                self._stack.close()
                self._stack = None

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _accumulate(self, Z: NDArray, Y: NDArray) -> None:
        if not self._shift:
            self._shift[:] = [Z.mean(axis=0, dtype=np.float64), Y.mean(axis=0, dtype=np.float64)]
        Zs = Z - self._shift[0]  # (n, F), float64
        Ys = Y - self._shift[1]  # (n, O)
        # numpy turns Zs.T @ Zs into the symmetric rank-k update (syrk, half a GEMM's work)
        # and releases the GIL while it runs; scipy.linalg.blas.dsyrk holds the GIL, which
        # would stall a reservoir running in the caller's thread for the whole product
        self._Szz += Zs.T @ Zs
        self._Szy += Zs.T @ Ys
        self._s_z += Zs.sum(axis=0)
        self._s_y += Ys.sum(axis=0)

    def add(self, Z: NDArray, Y: NDArray) -> None:
        """Add rows ``Z`` ``(n, F)`` with targets ``Y`` ``(n, O)`` (float32 or float64)."""
        if Z.ndim != 2 or Z.shape[1] != self.n_features:
            raise ValueError(f"Z must have shape (n, {self.n_features}); got {Z.shape}")
        if Y.shape != (Z.shape[0], self.n_outputs):
            raise ValueError(f"Y must have shape ({Z.shape[0]}, {self.n_outputs}); got {Y.shape}")
        if Z.shape[0] == 0:
            return
        self.count += Z.shape[0]
        if self._pool is None:
            self._accumulate(Z, Y)
            return
        self._wait()  # one chunk at a time, in order: the same sums as without the thread
        self._pending = self._pool.submit(self._accumulate, Z, Y)

    def solve(self, ridge: float) -> tuple[NDArray, NDArray]:
        """``W`` ``(O, F)`` and ``b`` ``(O,)``, float64, for penalty ``ridge`` (free intercept)."""
        self._wait()
        if self.count == 0:
            raise ValueError("no rows were added: there is nothing to fit")
        F, n = self.n_features, self.count
        m_z, m_y = self._s_z / n, self._s_y / n  # means of the shifted data
        C = self._Szz.copy()
        C -= n * np.outer(m_z, m_z)  # ridge on centred data = ridge on [1, z], intercept free
        C[np.diag_indices(F)] += ridge
        W = solve_spd(C, self._Szy - n * np.outer(m_z, m_y))  # (F, O)
        z_mean, y_mean = self._shift[0] + m_z, self._shift[1] + m_y
        return np.ascontiguousarray(W.T), y_mean - z_mean @ W


class RLS:
    """Recursive least squares over ``xi = [1; z]``, block updates for rows learned together.

    Parameters
    ----------
    W_out : ndarray (O, F)
    b_out : ndarray (O,)
    P : ndarray (F + 1, F + 1)
        The inverse correlation matrix over ``[1; z]`` (the intercept first).
    forgetting : float in (0, 1]
        ``mu``; 1 keeps every row's weight (exact ridge regression).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((100, 2)); Y = Z @ np.array([[2.0], [-1.0]]) + 0.5
    >>> rls = RLS.start(2, 1, ridge=1e-6)
    >>> for t in range(100):
    ...     _ = rls.step(Z[t : t + 1], Y[t : t + 1])
    >>> np.round(rls.W_out, 4), np.round(rls.b_out, 4)
    (array([[ 2., -1.]]), array([0.5]))
    """

    def __init__(self, W_out: NDArray, b_out: NDArray, P: NDArray, forgetting: float = 1.0):
        self._W = np.concatenate([np.asarray(b_out)[:, None], np.asarray(W_out)], axis=1)
        self._W = self._W.astype(np.float64)  # (O, F + 1)
        self.P = np.array(P, dtype=np.float64)  # (F + 1, F + 1)
        self.forgetting = float(forgetting)

    @classmethod
    def start(cls, n_features: int, n_outputs: int, ridge: float, forgetting: float = 1.0) -> RLS:
        """Zero weights and ``P_0 = I / ridge``."""
        F, O = int(n_features), int(n_outputs)
        return cls(np.zeros((O, F)), np.zeros(O), np.eye(F + 1) / ridge, forgetting)

    @property
    def W_out(self) -> NDArray:
        return np.ascontiguousarray(self._W[:, 1:])

    @property
    def b_out(self) -> NDArray:
        return self._W[:, 0].copy()

    def step(self, Z: NDArray, Y: NDArray | None = None, rows: Any = None) -> NDArray:
        """The prior outputs ``(b, O)`` for rows ``Z`` ``(b, F)``; then learn ``Y`` if given.

        ``rows`` (a boolean mask or index) picks the rows that are learned (the others, e.g.
        sequences already ended, only get their outputs).
        """
        xi = np.concatenate([np.ones((Z.shape[0], 1)), Z], axis=1)  # (b, F + 1)
        y_hat = xi @ self._W.T  # (b, O) prior outputs
        if Y is None:
            return y_hat
        pick = slice(None) if rows is None else rows
        xa = xi[pick]
        mu = self.forgetting
        PX = self.P @ xa.T  # (F + 1, b)
        S = mu * np.eye(xa.shape[0]) + xa @ PX
        K = np.linalg.solve(S, PX.T).T  # (F + 1, b) gains
        E = y_hat[pick] - Y[pick]  # (b, O) prior errors
        self._W -= E.T @ K.T
        self.P -= K @ PX.T
        self.P = 0.5 * (self.P + self.P.T)
        if mu != 1.0:
            self.P /= mu
        return y_hat


# ----------------------------------------------------------------------------- logistic
def softmax(S: NDArray) -> NDArray:
    """Row-wise softmax of scores ``(n, C)``, computed stably.

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def logistic_loss(theta: NDArray, Z: NDArray, Y: NDArray, l2: float) -> tuple[float, NDArray]:
    """The penalised multinomial log-loss and its gradient (see the module docstring).

    ``theta`` is ``[W.ravel(), b]`` for ``W`` ``(C, F)``; ``Z`` ``(n, F)``; ``Y`` ``(n, C)``
    one-hot (or any rows of class probabilities). Returns ``(L, dL/dtheta)``.

    Examples
    --------
    >>> Z = np.zeros((4, 2)); Y = np.eye(2)[[0, 1, 0, 1]]
    >>> loss, grad = logistic_loss(np.zeros(6), Z, Y, 1.0)
    >>> round(loss, 6), grad.shape  # 4 log 2
    (2.772589, (6,))
    """
    n, F = Z.shape
    C = Y.shape[1]
    W, b = theta[: C * F].reshape(C, F), theta[C * F :]
    S = Z @ W.T + b  # (n, C) scores
    S = S - S.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(S).sum(axis=1))  # (n,)
    loss = float(-(Y * S).sum() + (Y.sum(axis=1) * log_norm).sum() + 0.5 * l2 * (W * W).sum())
    P = np.exp(S - log_norm[:, None])  # (n, C)
    G = P * Y.sum(axis=1, keepdims=True) - Y  # (n, C) dL/dS
    grad_W = G.T @ Z + l2 * W
    return loss, np.concatenate([grad_W.ravel(), G.sum(axis=0)])


def fit_logistic(
    Z: NDArray, labels: NDArray, n_classes: int, l2: float, *, max_iter: int = 1000
) -> tuple[NDArray, NDArray, dict[str, Any]]:
    """Multinomial logistic regression with an L2 penalty on ``W`` (free intercept) by L-BFGS.

    ``Z`` ``(n, F)``, ``labels`` ``(n,)`` ints in ``[0, n_classes)``. Returns ``W`` ``(C, F)``,
    ``b`` ``(C,)`` (float64) and a dict with the optimiser's ``n_iter``, ``converged`` and
    ``loss``. Starts from zero weights (the loss is convex: a unique optimum for ``l2 > 0``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((300, 2)); labels = (Z[:, 0] > 0).astype(int)
    >>> W, b, info = fit_logistic(Z, labels, 2, l2=1.0)
    >>> bool(info["converged"]), bool(np.mean((Z @ W.T + b).argmax(1) == labels) > 0.95)
    (True, True)
    """
    Z = np.asarray(Z, dtype=np.float64)
    n, F = Z.shape
    C = int(n_classes)
    Y = np.zeros((n, C))
    Y[np.arange(n), labels] = 1.0
    # small products, many iterations: a BLAS pool spinning on every core costs more than it
    # gives (25 ms instead of 1 ms an iteration for 240 x 5 features on 2 busy cores)
    with blas_threads():
        res = minimize(
            logistic_loss,
            np.zeros(C * F + C),
            args=(Z, Y, float(l2)),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": int(max_iter), "gtol": 1e-8, "ftol": 64 * np.finfo(float).eps},
        )
    theta = res.x
    info = {"n_iter": int(res.nit), "converged": bool(res.success), "loss": float(res.fun)}
    return theta[: C * F].reshape(C, F).copy(), theta[C * F :].copy(), info
