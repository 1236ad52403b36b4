r"""Recurrences that update only on a clock, and cost nothing between their updates.

A block of units with period :math:`P` updates at the steps where its sequence's clock reads a
multiple of :math:`P` and holds its state otherwise:

.. math::

    h_t = \begin{cases}
        \phi\left(W u_t + R h_{t-1} + b\right) & (c + t) \bmod P = 0 \\
        h_{t-1} & \text{otherwise}
    \end{cases}

where :math:`c` is the sequence's clock when the call starts (the number of steps it has run
before) and :math:`u_t` whatever the block reads at step :math:`t`. The clockwork RNN's
modules (Koutník et al. 2014) and the levels of El Hihi & Bengio's (1995) hierarchical net are
such blocks. Between two updates nothing happens, so the block is a plain recurrent layer
(:func:`~recurrent_zoo._core.recurrence.recurrent_layer`) run on its own **active steps**
only, followed by a *hold* that repeats each new state until the next update:

1. :func:`clock_schedule` lists, for every sequence of the batch, the steps at which the block
   updates (fewer near the end of a shorter sequence: ``lengths``);
2. :meth:`Schedule.gather` takes the block's inputs at those steps only, ``(n, B, F)``;
3. the recurrent layer runs over the ``n`` active steps (``n ~ T / P``);
4. :meth:`Schedule.hold` spreads the ``n`` new states back over the ``T`` steps.

Backpropagation runs the same way backwards: :meth:`Schedule.hold_backward` sums each held
state's gradients over the steps it was held (a segment sum), BPTT runs over the active steps,
and :meth:`Schedule.scatter` puts the input gradients back at their steps. The cost of a block
is proportional to its number of updates, not to ``T``, apart from the hold itself (a copy).

When every sequence of the batch has the same clock phase (the usual case: a fresh batch), the
active steps are one shared index vector and the gathers are plain ``A[steps]``; sequences with
different clocks (a state carried from a batch of unequal lengths) take per-sequence indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .recurrence import recurrent_layer, recurrent_layer_backward
from .validation import NDArray

__all__ = [
    "Schedule",
    "clock_schedule",
    "clock_from_state",
    "scheduled_layer",
    "scheduled_layer_backward",
]

#: Largest clock value accepted in a state (exact in float64; float32 is exact to 2**24).
MAX_CLOCK = 2**40


def clock_from_state(clock: NDArray, name: str = "state clock") -> NDArray:
    """A state's clock array (floats holding step counts) as int64, rounded to the nearest integer.

    The clock lives in the state as a float array (a state's arrays share the model's dtype);
    finite-difference checks perturb it by tiny amounts, which the rounding ignores: the clock
    is not differentiable and its gradient is zero.

    Examples
    --------
    >>> clock_from_state(np.array([0.0, 2.0000001, -1.0]))
    array([ 0,  2, -1])
    """
    if np.any(np.abs(clock) > MAX_CLOCK):
        raise ValueError(
            f"{name} must hold step counts in [-2**40, 2**40]; got values up to "
            f"{float(np.abs(clock).max()):.3g}"
        )
    return np.rint(clock).astype(np.int64)


@dataclass(frozen=True)
class Schedule:
    """Where a block with one period updates, for each sequence of a ``(T, B)`` batch.

    Attributes
    ----------
    T : int
        Steps in the call.
    steps : ndarray of int, shape (n, B)
        ``steps[j, b]``: the step of sequence ``b``'s ``j``-th update; ``T`` past its count.
    counts : ndarray of int, shape (B,)
        Number of updates of each sequence (steps before its length only).
    hold_index : ndarray of int, shape (T, B)
        Which state each step shows: 0 for the initial state (before the first update),
        ``j + 1`` from the ``j``-th update on.
    shared : ndarray of int, shape (n,), or None
        The active steps when every sequence has the same clock phase (then
        ``steps[j, b] == shared[j]`` for ``j < counts[b]``); ``None`` otherwise.
    """

    T: int
    steps: NDArray
    counts: NDArray
    hold_index: NDArray
    shared: NDArray | None

    @property
    def n(self) -> int:
        """The number of active rows, ``max(counts)``."""
        return int(self.steps.shape[0])

    @property
    def n_updates(self) -> int:
        """Total number of (step, sequence) updates in the batch."""
        return int(self.counts.sum())

    def mask(self, dtype: Any) -> NDArray | None:
        """``(n, B, 1)`` mask of the rows each sequence really runs; ``None`` if all run ``n``."""
        if np.all(self.counts == self.n):
            return None
        return (np.arange(self.n)[:, None] < self.counts[None, :]).astype(dtype)[:, :, None]

    def gather(self, A: NDArray, cols: slice = slice(None)) -> NDArray:
        """``A`` (``(T, B, F)`` or ``(T + 1, B, F)``) at the active steps: ``(n, B, F')``.

        Rows past a sequence's count are filler (masked by the recurrence).

        Examples
        --------
        >>> s = clock_schedule(np.array([0, 1]), 4, 2)
        >>> A = np.arange(8.0).reshape(4, 2, 1)
        >>> s.gather(A)[:, :, 0]            # steps 0, 2 for the first, 1, 3 for the second
        array([[0., 3.],
               [4., 7.]])
        """
        if self.shared is not None:
            return A[self.shared, :, cols]
        idx = self.steps if A.shape[0] > self.T else np.minimum(self.steps, A.shape[0] - 1)
        return A[idx, np.arange(A.shape[1])[None, :], cols]

    def scatter(self, dA: NDArray, out: NDArray, cols: slice = slice(None)) -> None:
        """Add ``dA`` (``(n, B, F)``, zero on filler rows) into ``out[:, :, cols]`` at the steps.

        ``out`` has ``T + 1`` rows (row ``T`` receives the filler rows' zeros).
        """
        if self.shared is not None:
            out[self.shared, :, cols] += dA  # the shared steps are distinct: no collisions
            return
        # per sequence the steps are distinct; filler rows all point at the spare row T
        target = out[:, :, cols]
        np.add.at(target, (self.steps, np.arange(dA.shape[1])[None, :]), dA)

    def hold(self, h0: NDArray, Hs: NDArray) -> NDArray:
        """The state shown at every step: ``h0`` before the first update, then ``Hs[j]``.

        ``h0`` is ``(B, H)`` and ``Hs`` the ``(n, B, H)`` states after each update (held past
        a sequence's count, as :func:`recurrent_layer` leaves them); returns ``(T, B, H)``.

        Examples
        --------
        >>> s = clock_schedule(np.array([0]), 5, 2)                   # updates at 0, 2, 4
        >>> s.hold(np.zeros((1, 1)), np.array([[[1.0]], [[2.0]], [[3.0]]]))[:, 0, 0]
        array([1., 1., 2., 2., 3.])
        """
        ext = np.concatenate([h0[None], Hs], axis=0)  # (n + 1, B, H)
        if self.shared is not None:
            return ext[self.hold_index[:, 0]]
        return ext[self.hold_index, np.arange(h0.shape[0])[None, :]]

    def hold_backward(self, dH: NDArray) -> NDArray:
        """Gradient of :meth:`hold`: ``(n + 1, B, H)``, row 0 for ``h0``, row ``j + 1`` for
        ``Hs[j]``.

        Each row sums the gradients of the steps that showed it (exact segment sums, no
        cumulative-sum cancellation).
        """
        T, B, H = dH.shape
        out = np.zeros((self.n + 1, B, H), dtype=dH.dtype)
        if self.shared is not None:
            starts = self.shared
            if self.n == 0:
                out[0] = dH.sum(axis=0)
                return out
            if starts[0] > 0:
                out[0] = dH[: starts[0]].sum(axis=0)
            out[1:] = np.add.reduceat(dH, starts, axis=0)
            return out
        np.add.at(out, (self.hold_index, np.arange(B)[None, :]), dH)
        return out


def clock_schedule(clock: NDArray, T: int, period: int, lengths: NDArray | None = None) -> Schedule:
    """The :class:`Schedule` of a block with ``period`` over ``T`` steps.

    Parameters
    ----------
    clock : ndarray of int, shape (B,)
        Each sequence's clock at the first step of the call; the block updates at step ``t``
        when ``(clock + t) % period == 0``.
    T : int
    period : int >= 1
    lengths : ndarray of int, shape (B,), optional
        Steps each sequence runs (``T`` by default); there are no updates past them.

    Examples
    --------
    >>> s = clock_schedule(np.array([0, 0]), 7, 3, lengths=np.array([7, 2]))
    >>> s.shared, s.counts
    (array([0, 3, 6]), array([3, 1]))
    >>> s.hold_index[:, 0]
    array([1, 1, 1, 2, 2, 2, 3])
    """
    clock = np.asarray(clock, dtype=np.int64)
    B = clock.shape[0]
    L = np.full(B, T, dtype=np.int64) if lengths is None else np.asarray(lengths, np.int64)
    first = (-clock) % period  # (B,) first active step of each sequence
    counts = np.maximum(0, -(-(L - first) // period))  # ceil((L - first) / period)
    n = int(counts.max()) if B else 0
    t = np.arange(T)
    if np.all(first == first[0]):
        shared = np.arange(int(first[0]), T, period)[:n]
        j = np.arange(n)[:, None]
        steps = np.where(j < counts[None, :], shared[:, None], T)
        # past a sequence's length its index runs on; those steps are masked by the caller
        hold_index = np.broadcast_to(np.searchsorted(shared, t, side="right")[:, None], (T, B))
        return Schedule(T, steps, counts, hold_index, shared)
    j = np.arange(n)[:, None]
    steps = first[None, :] + j * period
    steps = np.where(j < counts[None, :], steps, T)
    since = t[:, None] - first[None, :]  # (T, B)
    hold_index = np.clip(np.floor_divide(since, period) + 1, 0, counts[None, :])
    return Schedule(T, steps, counts, hold_index, None)


def scheduled_layer(
    U: NDArray,
    W: NDArray,
    R: NDArray,
    b: NDArray | None,
    h0: NDArray,
    activation: str,
    schedule: Schedule,
) -> tuple[NDArray, NDArray, Any]:
    """Run :math:`h = \\phi(W u + R h + b)` at the active steps only and hold it in between.

    Parameters
    ----------
    U : ndarray, shape (n, B, F)
        The block's inputs at its active steps (:meth:`Schedule.gather`).
    W, R, b, h0, activation
        As for :func:`~recurrent_zoo._core.recurrence.recurrent_layer`.
    schedule : Schedule

    Returns
    -------
    held : ndarray, shape (T, B, H)
        The state shown at every step (past a sequence's length: its last state).
    h_T : ndarray, shape (B, H)
        Each sequence's state after its last update (``h0`` if it had none).
    cache
        For :func:`scheduled_layer_backward`.

    Examples
    --------
    >>> s = clock_schedule(np.array([0]), 4, 2)                       # updates at 0 and 2
    >>> U = s.gather(np.ones((4, 1, 1)))
    >>> held, h_T, _ = scheduled_layer(U, np.ones((1, 1)), np.ones((1, 1)), None,
    ...                                np.zeros((1, 1)), "identity", s)
    >>> held[:, 0, 0]                                                 # 1, then 1 + 1
    array([1., 1., 2., 2.])
    """
    mask = schedule.mask(U.dtype)
    if schedule.n == 0:
        held = np.broadcast_to(h0, (schedule.T, *h0.shape)).copy()
        return held, h0.copy(), (U, h0, None, None, mask, schedule)
    F, Hs, h_T = recurrent_layer(U, W, R, b, h0, activation, mask)
    held = schedule.hold(h0, Hs)
    return held, h_T.copy(), (U, h0, F, Hs, mask, schedule)


def scheduled_layer_backward(
    cache: Any, W: NDArray, R: NDArray, d_held: NDArray, dh_T: NDArray, activation: str
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """BPTT through :func:`scheduled_layer`.

    ``d_held`` ``(T, B, H)`` is the gradient reaching the state shown at each step and ``dh_T``
    the one reaching the final state. Returns ``(dU, dh0, dW, dR, db)`` with ``dU`` at the
    active steps, ``(n, B, F)`` (zero on filler rows; :meth:`Schedule.scatter` puts it back).

    Examples
    --------
    >>> s = clock_schedule(np.array([0]), 4, 2)
    >>> U = s.gather(np.ones((4, 1, 1)))
    >>> W, R = np.ones((1, 1)), np.full((1, 1), 0.5)
    >>> held, h_T, cache = scheduled_layer(U, W, R, None, np.zeros((1, 1)), "identity", s)
    >>> dU, dh0, dW, dR, db = scheduled_layer_backward(
    ...     cache, W, R, np.ones_like(held), np.zeros((1, 1)), "identity")
    >>> float(dR[0, 0])           # h_2 = 1 + 0.5 h_0 is shown twice: d/dR = 2 h_0 = 2
    2.0
    """
    U, h0, F, Hs, mask, schedule = cache
    d_ext = schedule.hold_backward(d_held)  # (n + 1, B, H)
    if F is None:  # no updates at all: the initial state is shown throughout
        I, H = W.shape[1], W.shape[0]
        zeros = np.zeros
        return (
            zeros(U.shape, U.dtype),
            d_ext[0] + dh_T,
            zeros((H, I), U.dtype),
            zeros((H, H), U.dtype),
            zeros((H,), U.dtype),
        )
    dU, dh0, dW, dR, db = recurrent_layer_backward(
        U, h0, F, Hs, W, R, d_ext[1:], dh_T, activation, mask
    )
    return dU, dh0 + d_ext[0], dW, dR, db
