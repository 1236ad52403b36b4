"""Random number generation and weight initialisers.

Every random thing in the library goes through :func:`make_rng`, so ``seed`` may be ``None``,
an int or a :class:`numpy.random.Generator`, and the same seed gives the same result bit for bit.

Initialisers take a shape, a generator and a dtype and return a fresh array.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .validation import NDArray, check_positive_int, check_probability

__all__ = [
    "AllocationBudgetExceeded",
    "allocation_budget",
    "make_rng",
    "uniform",
    "normal",
    "glorot_uniform",
    "glorot_normal",
    "orthogonal",
    "identity",
    "sparse_random",
    "spectral_radius",
    "scale_to_spectral_radius",
]

Seed = int | np.random.Generator | None

_BUDGET: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("budget", default=None)


class AllocationBudgetExceeded(MemoryError):
    """An initialiser was asked for more values than the active :func:`allocation_budget`."""


@contextlib.contextmanager
def allocation_budget(n_values: int) -> Iterator[None]:
    """Let the initialisers below draw at most ``n_values`` values in all inside this block.

    :func:`recurrent_zoo.load` builds a model's skeleton under a budget of the number of values
    its file holds, so that a crafted config (``hidden_size=10**6`` beside a few tensors) is
    refused before its weights are drawn.

    Examples
    --------
    >>> with allocation_budget(10):
    ...     uniform((100, 100), 0.1, make_rng(0))
    Traceback (most recent call last):
    ...
    recurrent_zoo._core.init.AllocationBudgetExceeded: ...
    """
    token = _BUDGET.set([int(n_values)])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(shape: Any) -> None:
    """Count a draw of ``shape`` against the active budget, before anything is allocated."""
    budget = _BUDGET.get()
    if budget is None:
        return
    n = 1
    for d in np.atleast_1d(np.asarray(shape, dtype=object)).tolist():
        n *= int(d)
    budget[0] -= n
    if budget[0] < 0:
        raise AllocationBudgetExceeded(
            f"the config implies more parameter values than the file holds (a draw of shape "
            f"{tuple(np.atleast_1d(np.asarray(shape, dtype=object)).tolist())} went past them)"
        )


def make_rng(seed: Any = None) -> np.random.Generator:
    """Return a numpy Generator from ``seed`` (None, an int, or a Generator, returned as is).

    Examples
    --------
    >>> int(make_rng(0).integers(10)) == int(make_rng(0).integers(10))
    True
    >>> g = np.random.default_rng(1); make_rng(g) is g
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None, an int or a numpy.random.Generator; got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed}")
    return np.random.default_rng(int(seed))


def uniform(
    shape: tuple[int, ...], bound: float, rng: np.random.Generator, dtype: Any = np.float64
) -> NDArray:
    """Draw from U(-bound, bound), PyTorch's default for recurrent layers (bound = 1/sqrt(H)).

    Examples
    --------
    >>> w = uniform((3, 4), 0.5, make_rng(0))
    >>> w.shape, bool(np.abs(w).max() <= 0.5)
    ((3, 4), True)
    """
    _charge(shape)
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


def normal(
    shape: tuple[int, ...], std: float, rng: np.random.Generator, dtype: Any = np.float64
) -> NDArray:
    """Draw from N(0, std^2).

    Examples
    --------
    >>> normal((2, 2), 1.0, make_rng(0)).shape
    (2, 2)
    """
    _charge(shape)
    return (std * rng.standard_normal(size=shape)).astype(dtype, copy=False)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def glorot_uniform(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float64, gain: float = 1.0
) -> NDArray:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    ``shape`` is ``(fan_out, fan_in)`` as for a weight applied as ``W @ x``.

    Examples
    --------
    >>> glorot_uniform((4, 6), make_rng(0)).shape
    (4, 6)
    """
    fan_in, fan_out = _fans(shape)
    return uniform(shape, gain * np.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def glorot_normal(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float64, gain: float = 1.0
) -> NDArray:
    """Glorot & Bengio (2010): N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).

    Examples
    --------
    >>> glorot_normal((4, 6), make_rng(0)).dtype
    dtype('float64')
    """
    fan_in, fan_out = _fans(shape)
    return normal(shape, gain * np.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def orthogonal(
    shape: tuple[int, int], rng: np.random.Generator, dtype: Any = np.float64, gain: float = 1.0
) -> NDArray:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al. 2014).

    Examples
    --------
    >>> Q = orthogonal((3, 3), make_rng(0))
    >>> bool(np.allclose(Q @ Q.T, np.eye(3)))
    True
    """
    rows, cols = shape
    _charge((max(rows, cols), min(rows, cols)))
    flat = rng.standard_normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # make the decomposition unique
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).astype(dtype, copy=False)


def identity(shape: tuple[int, int], dtype: Any = np.float64, gain: float = 1.0) -> NDArray:
    """``gain`` times the identity (Le et al. 2015's IRNN initialisation).

    Examples
    --------
    >>> identity((2, 2), gain=0.5)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    _charge(shape)
    return (gain * np.eye(shape[0], shape[1])).astype(dtype, copy=False)


def sparse_random(
    n: int,
    connectivity: float,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    distribution: str = "uniform",
) -> sp.csr_matrix:
    """A random ``n x n`` sparse matrix with about ``connectivity * n * n`` non-zeros.

    Non-zero values are drawn from U(-1, 1) (``distribution="uniform"``) or N(0, 1)
    (``"normal"``). Positions are drawn without replacement.

    Examples
    --------
    >>> W = sparse_random(100, 0.1, make_rng(0))
    >>> W.shape, W.nnz
    ((100, 100), 1000)
    """
    n = check_positive_int(n, "n")
    connectivity = check_probability(connectivity, "connectivity", closed="right")
    nnz = max(1, int(round(connectivity * n * n)))
    _charge((2 * nnz + n + 1,))  # what the CSR matrix keeps: values, indices, row pointers
    flat = rng.choice(n * n, size=nnz, replace=False)
    rows, cols = np.divmod(flat, n)
    if distribution == "uniform":
        values = rng.uniform(-1.0, 1.0, size=nnz)
    elif distribution == "normal":
        values = rng.standard_normal(size=nnz)
    else:
        raise ValueError(f"distribution must be 'uniform' or 'normal'; got {distribution!r}")
    return sp.csr_matrix((values.astype(dtype), (rows, cols)), shape=(n, n))


def spectral_radius(W: Any, *, seed: Any = 0, tol: float = 1e-10, ncv: int | None = None) -> float:
    """The largest absolute eigenvalue of a square dense or sparse matrix.

    Uses ARPACK (``scipy.sparse.linalg.eigs``) for matrices larger than 64 and falls back to
    a dense eigen-decomposition below that or if ARPACK does not converge. ``tol`` is ARPACK's
    relative accuracy of the eigenvalue it converges to and ``ncv`` the size of its Krylov
    basis (ARPACK's default, 20, when None). When the top of the spectrum is crowded, as for a
    large random matrix whose eigenvalues fill a disk, a small basis can converge to an
    eigenvalue that is *not* the largest in modulus (an underestimate of up to a few percent);
    a larger ``ncv`` makes that much rarer.

    Examples
    --------
    >>> round(spectral_radius(np.diag([0.5, -2.0, 1.0])), 6)
    2.0
    """
    n = W.shape[0]
    if n > 64:
        v0 = make_rng(seed).uniform(-1.0, 1.0, size=n)
        try:
            vals = spla.eigs(
                W.astype(np.float64),
                k=1,
                which="LM",
                v0=v0,
                return_eigenvectors=False,
                tol=tol,
                ncv=None if ncv is None else min(n, max(3, int(ncv))),
                maxiter=20 * n,
            )
            return float(np.abs(vals).max())
        except spla.ArpackNoConvergence:
            pass
    dense = W.toarray() if sp.issparse(W) else np.asarray(W)
    return float(np.abs(np.linalg.eigvals(dense.astype(np.float64))).max())


def scale_to_spectral_radius(
    W: Any, radius: float, *, seed: Any = 0, tol: float = 1e-10, ncv: int | None = None
) -> Any:
    """Return ``W`` rescaled so that its spectral radius equals ``radius``.

    ``tol`` and ``ncv`` are passed to :func:`spectral_radius`.

    Examples
    --------
    >>> W = scale_to_spectral_radius(np.diag([0.5, -2.0]), 0.9)
    >>> round(spectral_radius(W), 6)
    0.9
    """
    rho = spectral_radius(W, seed=seed, tol=tol, ncv=ncv)
    if rho == 0.0:
        raise ValueError("W has spectral radius 0 and cannot be rescaled")
    return W * (radius / rho)
