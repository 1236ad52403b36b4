r"""Shared machinery of the binary associative memories (Hopfield, dense associative memory, BAM).

Bipolar units take the values :math:`\pm 1`. A unit is updated to the sign of its *decision
value* :math:`d_i` (the local field :math:`h_i` for a classical Hopfield net, an energy
difference for a dense associative memory) and keeps its state when :math:`d_i = 0`:

.. math::

    s_i \leftarrow \begin{cases} +1 & d_i > 0 \\ -1 & d_i < 0 \\ s_i & d_i = 0 \end{cases}

A decision value within floating-point rounding of zero counts as zero (each model says what its
rounding scale is), so that a batch and each of its probes alone give identical results whatever
order the sums were taken in.

:func:`run_binary_recall` runs these dynamics on a batch of probes, either **asynchronously**
(one unit at a time, each sweep visiting every unit once in an order drawn from a seed, per probe
or shared by the batch) or **synchronously** (every unit at once). Recall stops at a fixed point;
synchronous recall also stops on a 2-cycle (the only other attractor of synchronous dynamics with
symmetric couplings, Goles, Fogelman-Soulie and Pellegrin 1985). Both report per probe how many
sweeps (or steps) changed the state and whether a fixed point was reached, in a
:class:`RecallResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .init import make_rng
from .validation import NDArray, check_array, check_choice, check_positive_int

__all__ = [
    "RecallResult",
    "BinaryDynamics",
    "check_bipolar",
    "check_patterns",
    "run_binary_recall",
    "sign_keep",
    "RECALL_MODES",
    "UPDATE_ORDERS",
]

RECALL_MODES = ("async", "sync")
UPDATE_ORDERS = ("random", "shared", "sequential")


@dataclass(frozen=True)
class RecallResult:
    """What a recall returns with ``return_info=True``.

    Attributes
    ----------
    states : ndarray, shape (B, n_units)
        The final states (the same array ``recall`` returns by default).
    iterations : ndarray of int, shape (B,)
        Number of sweeps (asynchronous) or synchronous steps that changed each probe's state.
        A probe that already is a fixed point has 0.
    converged : ndarray of bool, shape (B,)
        Whether each probe ended at a fixed point within ``max_iter``.
    two_cycle : ndarray of bool, shape (B,)
        Whether synchronous recall ended on a 2-cycle (always False for asynchronous recall);
        ``states`` then holds the last state of the cycle.

    Examples
    --------
    >>> r = RecallResult(np.ones((1, 2)), np.array([0]), np.array([True]), np.array([False]))
    >>> bool(r.converged.all())
    True
    """

    states: NDArray
    iterations: NDArray
    converged: NDArray
    two_cycle: NDArray


def check_bipolar(
    a: Any, name: str, *, size: int | None = None, size_name: str = "n_units", dtype: Any = None
) -> NDArray:
    """Validate a ``(B, size)`` batch of bipolar vectors (every entry -1 or +1).

    Examples
    --------
    >>> check_bipolar([[1, -1, 1]], "probes", size=3, dtype=np.float64)
    array([[ 1., -1.,  1.]])
    >>> check_bipolar([[1, 0, 1]], "probes", size=3)
    Traceback (most recent call last):
    ...
    ValueError: probes must be bipolar: every entry -1 or +1; found 0
    """
    doc = f"(B, {size_name}={size})" if size is not None else f"(B, {size_name})"
    arr = check_array(a, name, ndim=2, dtype=dtype, shape_doc=doc)
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one row; got shape {arr.shape}")
    if size is not None and arr.shape[1] != size:
        raise ValueError(
            f"{name} must have shape {doc}; got shape {arr.shape} "
            f"(last axis {arr.shape[1]} != {size_name} {size})"
        )
    bad = (arr != 1) & (arr != -1)
    if bad.any():
        raise ValueError(
            f"{name} must be bipolar: every entry -1 or +1; found {arr[bad].flat[0].item()!r}"
        )
    return arr


def check_patterns(
    a: Any, name: str, *, size: int | None, size_name: str, dtype: Any, bipolar: bool
) -> NDArray:
    """Validate patterns to store: ``(n_patterns >= 1, size)``, finite, bipolar if asked.

    Examples
    --------
    >>> check_patterns(np.zeros((0, 3)), "patterns", size=3, size_name="n_units",
    ...                dtype=np.float64, bipolar=False)
    Traceback (most recent call last):
    ...
    ValueError: patterns must hold at least one pattern; got shape (0, 3)
    """
    doc = f"(n_patterns, {size_name}={size})" if size is not None else f"(n_patterns, {size_name})"
    arr = check_array(a, name, ndim=2, dtype=dtype, shape_doc=doc)
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one pattern; got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one unit per pattern; got shape {arr.shape}")
    if size is not None and arr.shape[1] != size:
        raise ValueError(
            f"{name} must have shape {doc}; got shape {arr.shape} "
            f"(last axis {arr.shape[1]} != {size_name} {size})"
        )
    if bipolar:
        arr = check_bipolar(arr, name, size=size, size_name=size_name, dtype=dtype)
    return arr.copy()


def sign_keep(d: NDArray, previous: NDArray) -> NDArray:
    """The new bipolar state: sign of the decision value ``d``, ``previous`` where ``d == 0``.

    Examples
    --------
    >>> sign_keep(np.array([0.5, -2.0, 0.0]), np.array([-1.0, 1.0, -1.0]))
    array([ 1., -1., -1.])
    """
    return np.where(d > 0, 1.0, np.where(d < 0, -1.0, previous)).astype(previous.dtype)


class BinaryDynamics(Protocol):
    """What :func:`run_binary_recall` needs from a memory (decision values, ties set to 0).

    ``aux`` is whatever the model keeps up to date to make one unit's decision cheap (the local
    fields of a Hopfield net, the overlaps with the stored patterns of a dense memory).
    """

    def _decide_all(self, S: NDArray) -> NDArray:
        """(B, N) decision values of every unit at once (synchronous update)."""

    def _init_aux(self, S: NDArray) -> Any:
        """Auxiliary quantities for the batch of states ``S`` (B, N)."""

    def _decide_one(self, aux: Any, S: NDArray, rows: NDArray, units: NDArray) -> NDArray:
        """(len(rows),) decision values of unit ``units[k]`` of probe ``rows[k]``."""

    def _update_aux(self, aux: Any, rows: NDArray, units: NDArray, delta: NDArray) -> None:
        """Account for ``S[rows, units] += delta`` in ``aux``."""


def run_binary_recall(
    model: BinaryDynamics,
    probes: NDArray,
    *,
    mode: str = "async",
    max_iter: int = 100,
    order: str = "random",
    seed: Any = None,
) -> RecallResult:
    """Run asynchronous or synchronous sign dynamics on a batch of validated bipolar probes.

    Parameters
    ----------
    model : BinaryDynamics
        Provides the decision values.
    probes : ndarray, shape (B, N)
        Validated bipolar start states (not modified).
    mode : {"async", "sync"}
        One unit at a time (sweeps) or all units at once (steps).
    max_iter : int
        Maximum number of sweeps (async) or steps (sync).
    order : {"random", "shared", "sequential"}
        Asynchronous update order of each sweep: a fresh random permutation per probe, one
        random permutation per sweep shared by the batch (then a batch gives exactly what each
        probe gives alone with the same seed), or units 0, 1, ..., N-1.
    seed : int or numpy.random.Generator, optional
        Seeds the random orders.

    Returns
    -------
    RecallResult
    """
    check_choice(mode, "mode", RECALL_MODES)
    check_choice(order, "order", UPDATE_ORDERS)
    max_iter = check_positive_int(max_iter, "max_iter")
    rng = make_rng(seed)
    S = probes.copy()  # (B, N)
    B, N = S.shape
    iterations = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    two_cycle = np.zeros(B, dtype=bool)
    active = np.arange(B)
    if mode == "sync":
        previous = None  # the state one step before, for the 2-cycle test
        for _ in range(max_iter):
            current = S[active]  # (A, N)
            new = sign_keep(model._decide_all(current), current)
            fixed = (new == current).all(axis=1)
            cycle = ~fixed
            if previous is not None:
                cycle &= (new == previous).all(axis=1)
            else:
                cycle[:] = False
            S[active] = new
            iterations[active[~fixed]] += 1
            converged[active[fixed]] = True
            two_cycle[active[cycle]] = True
            keep = ~(fixed | cycle)
            active, previous = active[keep], current[keep]
            if active.size == 0:
                break
        return RecallResult(S, iterations, converged, two_cycle)

    for _ in range(max_iter):
        if order == "random":
            orders = rng.permuted(np.tile(np.arange(N), (B, 1)), axis=1)[active]  # (A, N)
        elif order == "shared":
            orders = np.broadcast_to(rng.permutation(N), (active.size, N))
        else:
            orders = np.broadcast_to(np.arange(N), (active.size, N))
        Sa = S[active]  # (A, N), updated in place during the sweep
        aux = model._init_aux(Sa)
        rows = np.arange(active.size)
        changed = np.zeros(active.size, dtype=bool)
        for k in range(N):
            units = orders[:, k]
            old = Sa[rows, units]
            new = sign_keep(model._decide_one(aux, Sa, rows, units), old)
            delta = new - old
            flip = delta != 0
            if flip.any():
                r, u = rows[flip], units[flip]
                Sa[r, u] = new[flip]
                model._update_aux(aux, r, u, delta[flip])
                changed |= flip
        S[active] = Sa
        iterations[active[changed]] += 1
        converged[active[~changed]] = True
        active = active[changed]
        if active.size == 0:
            break
    return RecallResult(S, iterations, converged, two_cycle)
