r"""Differentiable stacks, queues and deques: each operation a forward/backward pair.

Two families of continuous memory serve the pushdown architectures of the catalogue.

**Elements with real-valued strengths** (Sun, Giles, Chen & Lee's analog stack for the NNPDA,
1993; Grefenstette et al.'s neural stack, queue and deque, 2015). The memory is a list of
value vectors :math:`V[i]`, each held with a *strength* (Sun et al.: a *length*)
:math:`s[i] \ge 0`. Slot 0 is the top, the last slot the bottom. Popping an amount :math:`u`
from an end removes strength from the elements nearest that end until :math:`u` is used up;
reading takes the elements nearest the end until their strengths add up to a unit depth. With
:math:`\text{above}[i] = \sum_{j < i} s[j]` the strength between slot :math:`i` and the end
operated on (from the top; from the bottom the sums run the other way):

.. math::

    \text{pop:}\quad s'[i] &= \max\Big(0,\; s[i] - \max\big(0,\; u - \text{above}[i]\big)\Big) \\
    \text{read:}\quad r &= \sum_i \min\Big(s[i],\; \max\big(0,\; \delta - \text{above}[i]\big)
    \Big)\, V[i] \qquad (\delta = 1 \text{ by default})

A push writes a new value with its strength at an end. A stack pushes, pops and reads at the top;
a queue pushes at the top and pops and reads at the bottom; a deque does all of them at both
ends. :func:`strength_pop` and :func:`strength_read` are the blocks (with
:func:`strength_pop_backward` and :func:`strength_read_backward`); :class:`StrengthMemory` runs
a whole sequence of pops, pushes and reads over a batch, forward and backward, for the models.

**A superposition of pushed and popped copies** (Joulin & Mikolov 2015): a fixed-depth array
:math:`S` whose new content is the action-weighted sum of the array shifted down (push, a new
value on top), shifted up (pop, an empty value entering at the bottom) and unchanged (no-op):

.. math::

    S'[0] &= a_{push}\, v + a_{pop}\, S[1] + a_{noop}\, S[0] \\
    S'[i] &= a_{push}\, S[i-1] + a_{pop}\, S[i+1] + a_{noop}\, S[i], \qquad S[D] = e

with :math:`e` the empty value (-1 in their code). :func:`superposition_update` and
:func:`superposition_update_backward`.

Every block has a float64 central finite-difference check in ``tests/test_stacks.py``. The
maxima and minima make the strength memory piecewise linear; its gradient is the one of the
piece the arguments lie in (ties go to one side), as autodiff frameworks compute it.

References
----------
G. Z. Sun, C. L. Giles, H. H. Chen and Y. C. Lee, "The neural network pushdown automaton:
model, stack and learning simulations", UMIACS-TR-93-77, University of Maryland, 1993.

E. Grefenstette, K. M. Hermann, M. Suleyman and P. Blunsom, "Learning to transduce with
unbounded memory", NIPS 2015 (arXiv:1506.02516).

A. Joulin and T. Mikolov, "Inferring algorithmic patterns with stack-augmented recurrent
nets", NIPS 2015 (arXiv:1503.01007).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .validation import NDArray

__all__ = [
    "ENDS",
    "StrengthMemory",
    "compact_slots",
    "strength_pop",
    "strength_pop_backward",
    "strength_read",
    "strength_read_backward",
    "superposition_update",
    "superposition_update_backward",
]

#: The two ends of a strength memory: slot 0 is the top, the last slot the bottom.
ENDS = ("top", "bottom")


def _check_end(end: str) -> str:
    if end not in ENDS:
        raise ValueError(f"end must be 'top' or 'bottom'; got {end!r}")
    return end


def _oriented(a: NDArray, end: str) -> NDArray:
    """A view of ``a`` whose slot axis (axis 1) starts at ``end``."""
    return a if end == "top" else a[:, ::-1]


def _exclusive_cumsum(s: NDArray) -> NDArray:
    """``out[:, i] = sum_{j < i} s[:, j]``."""
    out = np.empty_like(s)
    if s.shape[1]:
        out[:, 0] = 0.0
        np.cumsum(s[:, :-1], axis=1, out=out[:, 1:])
    return out


def _reverse_exclusive_cumsum(g: NDArray) -> NDArray:
    """``out[:, j] = sum_{i > j} g[:, i]``: the adjoint of :func:`_exclusive_cumsum`."""
    out = np.empty_like(g)
    if g.shape[1]:
        out[:, -1] = 0.0
        np.cumsum(g[:, :0:-1], axis=1, out=out[:, -2::-1])
    return out


# ----------------------------------------------------------------------------- strength memory
def strength_pop(s: NDArray, u: NDArray, end: str = "top") -> tuple[NDArray, tuple[Any, ...]]:
    r"""Pop the amount ``u`` of strength from one end (Grefenstette et al. 2015, eq. 2).

    .. math:: s'[i] = \max\big(0,\, s[i] - \max(0,\, u - \text{above}[i])\big)

    Parameters
    ----------
    s : ndarray, shape (B, W)
        Strengths of ``W`` slots, slot 0 at the top.
    u : ndarray, shape (B,)
        Amount to pop, >= 0.
    end : {"top", "bottom"}
        The end popped from (a stack pops its top, a queue its bottom).

    Returns
    -------
    s_new : ndarray, shape (B, W)
    cache : tuple, for :func:`strength_pop_backward`

    Examples
    --------
    >>> s = np.array([[0.5, 0.4, 1.0]])                  # top first
    >>> strength_pop(s, np.array([0.7]))[0]              # 0.5 from the top slot, 0.2 below it
    array([[0. , 0.2, 1. ]])
    >>> strength_pop(s, np.array([0.7]), "bottom")[0]
    array([[0.5, 0.4, 0.3]])
    """
    end = _check_end(end)
    so = _oriented(s, end)
    a = u[:, None] - _exclusive_cumsum(so)  # (B, W) what is left to pop when reaching slot i
    a_pos = a > 0
    z = so - np.where(a_pos, a, 0.0)
    z_pos = z > 0
    out = np.where(z_pos, z, 0.0).astype(s.dtype, copy=False)
    return _oriented(out, end), (a_pos, z_pos, end)


def strength_pop_backward(ds_new: NDArray, cache: tuple[Any, ...]) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`strength_pop` with respect to ``s`` and ``u``."""
    a_pos, z_pos, end = cache
    dz = np.where(z_pos, _oriented(ds_new, end), 0.0)  # (B, W)
    da = np.where(a_pos, -dz, 0.0)  # d z / d a = -1 where the pop reaches slot i
    du = da.sum(axis=1)
    # a[i] = u - above[i]: the gradient reaching above[i] is -da[i], shared by the slots above
    ds = dz - _reverse_exclusive_cumsum(da)
    return np.ascontiguousarray(_oriented(ds, end)), du


def strength_read(
    s: NDArray, V: NDArray, end: str = "top", depth: float = 1.0
) -> tuple[NDArray, tuple[Any, ...]]:
    r"""Read the unit depth nearest one end (Grefenstette et al. 2015, eq. 3; Sun et al. 1993).

    .. math:: r = \sum_i \min\big(s[i],\, \max(0,\, \delta - \text{above}[i])\big)\, V[i]

    Parameters
    ----------
    s : ndarray, shape (B, W)
        Strengths, slot 0 at the top.
    V : ndarray, shape (B, W, m)
        The slots' value vectors.
    end : {"top", "bottom"}
    depth : float, default 1.0
        The depth :math:`\delta` read.

    Returns
    -------
    r : ndarray, shape (B, m)
    cache : tuple, for :func:`strength_read_backward`

    Examples
    --------
    >>> s = np.array([[0.6, 0.8, 1.0]]); V = np.eye(3)[None]   # slot i holds e_i
    >>> strength_read(s, V)[0]                                 # 0.6 of slot 0, 0.4 of slot 1
    array([[0.6, 0.4, 0. ]])
    >>> strength_read(s, V, "bottom")[0]
    array([[0., 0., 1.]])
    """
    end = _check_end(end)
    so, Vo = _oriented(s, end), _oriented(V, end)
    room = depth - _exclusive_cumsum(so)  # (B, W) depth still to read when reaching slot i
    room_pos = room > 0
    c = np.where(room_pos, room, 0.0)
    take_s = so < c  # the slot is read whole; otherwise only the remaining room
    w = np.where(take_s, so, c).astype(s.dtype, copy=False)
    r = np.matmul(w[:, None, :], Vo)[:, 0]  # (B, m)
    return r, (w, Vo, take_s, room_pos, end)


def strength_read_backward(dr: NDArray, cache: tuple[Any, ...]) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`strength_read` with respect to ``s`` and ``V``."""
    w, Vo, take_s, room_pos, end = cache
    dw = np.matmul(Vo, dr[:, :, None])[:, :, 0]  # (B, W)
    dV = w[:, :, None] * dr[:, None, :]  # (B, W, m)
    ds = np.where(take_s, dw, 0.0)
    droom = np.where(room_pos & ~take_s, dw, 0.0)  # room = depth - above
    ds -= _reverse_exclusive_cumsum(droom)
    return np.ascontiguousarray(_oriented(ds, end)), _oriented(dV, end)


def compact_slots(
    s: NDArray, V: NDArray, size: int | None = None
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Move the slots holding something (strength != 0) to the top, in order; pad with zeros.

    A slot of strength exactly 0 holds nothing: popping and reading pass over it. Returns
    ``(s_c, V_c, index, valid)`` with ``size`` slots (default: the largest number of live
    slots in the batch); ``index[b, i]`` is the slot that went to position ``i`` and ``valid``
    says which positions hold one (live slots past ``size`` are dropped, from the bottom).

    Examples
    --------
    >>> s = np.array([[0.0, 0.5, 0.0, 0.9]]); V = np.arange(4.0).reshape(1, 4, 1)
    >>> s_c, V_c, index, valid = compact_slots(s, V)
    >>> s_c, V_c[..., 0], index
    (array([[0.5, 0.9]]), array([[1., 3.]]), array([[1, 3]]))
    """
    live = s != 0
    count = live.sum(axis=1)
    n = int(count.max(initial=0)) if size is None else int(size)
    order = np.argsort(~live, axis=1, kind="stable")[:, :n]  # live slots first, in order
    k = order.shape[1]
    valid = np.arange(k)[None, :] < count[:, None]  # (B, k)
    s_c = np.zeros((s.shape[0], n), dtype=s.dtype)
    V_c = np.zeros((s.shape[0], n, V.shape[2]), dtype=V.dtype)
    s_c[:, :k] = np.where(valid, np.take_along_axis(s, order, axis=1), 0.0)
    V_c[:, :k] = np.where(valid[:, :, None], np.take_along_axis(V, order[:, :, None], 1), 0.0)
    index = np.zeros((s.shape[0], n), dtype=np.int64)
    index[:, :k] = order
    full_valid = np.zeros((s.shape[0], n), dtype=bool)
    full_valid[:, :k] = valid
    return s_c, V_c, index, full_valid


class StrengthMemory:
    r"""A strength memory run over ``T`` steps of a batch: pops, pushes and reads, with BPTT.

    The models call, at every step ``t``, :meth:`step` with the amounts to pop and the values
    and strengths to push (from the ends the memory works at), and receive the reads of the
    updated memory; :meth:`final_state` gives the memory after the last step. The backward
    pass runs :meth:`step_backward` from the last step to the first.

    Within a run the memory is unbounded, as in Grefenstette et al.: step ``t`` adds one slot
    at each end it pushes to (a pop-only step pushes strength 0). Slots are laid out in one
    buffer, ``T`` positions for the top pushes, then the initial slots, then ``T`` positions
    for the bottom pushes, so that step ``t`` operates on a contiguous window of
    ``k + t + 1`` (stack, queue) or ``k + 2 (t + 1)`` (deque) slots, ``k`` the slots of the
    initial memory that hold something: one step costs O(depth). Between calls the memory is
    carried as ``capacity`` slots, those holding something moved to the top (slots of
    strength 0 are dropped, they hold nothing, and so is what lies below ``capacity`` such
    slots); a memory given as a state is read the same way, and its empty slots get no
    gradient.

    Parameters
    ----------
    V0 : ndarray, shape (B, C, m)
        Initial values, slot 0 at the top.
    s0 : ndarray, shape (B, C)
        Initial strengths.
    T : int
        Number of steps.
    pop_ends, push_ends, read_ends : sequences of "top" / "bottom"
        Where the memory pops (in this order), pushes and reads: a stack ``("top",)`` for all
        three; a queue pops and reads at the bottom; a deque has both ends everywhere.
    mask : ndarray, shape (T, B), optional
        1 while a sequence runs, 0 past its length (the memory then stays as it is).
    depth : float, default 1.0
        The depth read.

    Examples
    --------
    A stack: push e_0 (strength 1), push e_1 (0.5), then pop 0.8 and push nothing.

    >>> V0, s0 = np.zeros((1, 4, 2)), np.zeros((1, 4))
    >>> mem = StrengthMemory(V0, s0, T=3, pop_ends=("top",), push_ends=("top",),
    ...                      read_ends=("top",))
    >>> none = {"top": np.zeros(1)}
    >>> mem.step(0, none, {"top": (np.array([[1.0, 0.0]]), np.ones(1))})["top"]
    array([[1., 0.]])
    >>> mem.step(1, none, {"top": (np.array([[0.0, 1.0]]), np.array([0.5]))})["top"]
    array([[0.5, 0.5]])
    >>> mem.step(2, {"top": np.array([0.8])}, {"top": (np.zeros((1, 2)), np.zeros(1))})["top"]
    array([[0.7, 0. ]])
    >>> V, s = mem.final_state(4)
    >>> s
    array([[0.7, 0. , 0. , 0. ]])
    """

    def __init__(
        self,
        V0: NDArray,
        s0: NDArray,
        T: int,
        *,
        pop_ends: Sequence[str],
        push_ends: Sequence[str],
        read_ends: Sequence[str],
        mask: NDArray | None = None,
        depth: float = 1.0,
    ) -> None:
        self.pop_ends = tuple(_check_end(e) for e in pop_ends)
        self.push_ends = tuple(_check_end(e) for e in push_ends)
        self.read_ends = tuple(_check_end(e) for e in read_ends)
        self.depth = float(depth)
        B, C, m = V0.shape
        self.T, self.B, self.m, self.capacity = T, B, m, C
        self.dtype = V0.dtype
        self.mask = mask
        s_c, V_c, self.index0, self.valid0 = compact_slots(s0, V0)
        k = s_c.shape[1]
        self.k = k
        top = T if "top" in self.push_ends else 0
        bottom = T if "bottom" in self.push_ends else 0
        self.top0 = top  # position of the initial top slot
        P = top + k + bottom
        self.U = np.zeros((B, P, m), dtype=self.dtype)  # every value ever held, by position
        self.U[:, top : top + k] = V_c
        # H[t] strengths after t steps; H[0] the initial memory
        self.H = np.zeros((T + 1, B, P), dtype=self.dtype)
        self.H[0, :, top : top + k] = s_c
        self._caches: list[Any] = [None] * T
        self._read_caches: list[dict[str, Any]] = [{}] * (T + 1)
        self._dH: NDArray | None = None
        self._dU: NDArray | None = None

    # -------------------------------------------------------------------- layout
    def window(self, t: int) -> tuple[int, int]:
        """Positions ``[lo, hi)`` of the slots after ``t`` steps."""
        lo = self.top0 - (t if "top" in self.push_ends else 0)
        hi = self.top0 + self.k + (t if "bottom" in self.push_ends else 0)
        return lo, hi

    def strengths(self, t: int) -> NDArray:
        """Strengths after ``t`` steps, shape (B, window), slot 0 at the top."""
        lo, hi = self.window(t)
        return self.H[t, :, lo:hi]

    def values(self, t: int) -> NDArray:
        """Values of the slots after ``t`` steps, shape (B, window, m)."""
        lo, hi = self.window(t)
        return self.U[:, lo:hi]

    def total(self, t: int) -> NDArray:
        """The total strength (Sun et al.'s stack length) after ``t`` steps, shape (B,)."""
        return self.strengths(t).sum(axis=1)

    # -------------------------------------------------------------------- forward
    def _read(self, t: int) -> dict[str, NDArray]:
        s, V = self.strengths(t), self.values(t)
        reads, caches = {}, {}
        for end in self.read_ends:
            reads[end], caches[end] = strength_read(s, V, end, self.depth)
        self._read_caches[t] = caches
        return reads

    def initial_reads(self) -> dict[str, NDArray]:
        """The reads of the initial memory, ``{end: (B, m)}``."""
        return self._read(0)

    def step(
        self,
        t: int,
        pops: Mapping[str, NDArray],
        pushes: Mapping[str, tuple[NDArray, NDArray]],
    ) -> dict[str, NDArray]:
        """Step ``t``: pop ``pops[end]`` (B,), then push ``pushes[end] = (values (B, m),
        strengths (B,))``; return the reads of the updated memory, ``{end: (B, m)}``."""
        lo, hi = self.window(t)
        s = self.H[t, :, lo:hi]
        pop_caches = []
        for end in self.pop_ends:
            s, cache = strength_pop(s, pops[end], end)
            pop_caches.append(cache)
        nlo, nhi = self.window(t + 1)
        new = self.H[t + 1]
        new[:, lo:hi] = s
        m = None if self.mask is None else self.mask[t]
        for end in self.push_ends:
            value, strength = pushes[end]
            pos = nlo if end == "top" else nhi - 1
            self.U[:, pos] = value
            new[:, pos] = strength if m is None else strength * m
        if m is not None:  # past its length a sequence keeps its memory
            held = m == 0
            new[held, lo:hi] = self.H[t, held, lo:hi]
        self._caches[t] = pop_caches
        return self._read(t + 1)

    def final_state(self, capacity: int | None = None) -> tuple[NDArray, NDArray]:
        """The memory after the last step as ``capacity`` slots: ``(V (B, C, m), s (B, C))``."""
        C = self.capacity if capacity is None else capacity
        lo, hi = self.window(self.T)
        s_c, V_c, index, valid = compact_slots(self.H[self.T, :, lo:hi], self.U[:, lo:hi], C)
        self._final = (index + lo, valid)
        return V_c, s_c

    # -------------------------------------------------------------------- backward
    def begin_backward(self, dV_final: NDArray, ds_final: NDArray) -> None:
        """Start the backward pass from the gradients of :meth:`final_state`'s output."""
        self._dH = np.zeros(self.H.shape[1:], dtype=self.dtype)  # gradient of H[t], (B, P)
        self._dU = np.zeros_like(self.U)
        pos, valid = self._final
        rows = np.broadcast_to(np.arange(self.B)[:, None], pos.shape)[valid]
        cols = pos[valid]  # distinct in each row: a plain scatter
        self._dH[rows, cols] += ds_final[valid]
        self._dU[rows, cols] += dV_final[valid]

    def total_backward(self, t: int, dtotal: NDArray) -> None:
        """Backward through :meth:`total` ``t`` (before :meth:`step_backward` ``t - 1``)."""
        assert self._dH is not None
        lo, hi = self.window(t)
        self._dH[:, lo:hi] += dtotal[:, None]

    def _read_backward(self, t: int, dreads: Mapping[str, NDArray]) -> None:
        assert self._dH is not None and self._dU is not None
        lo, hi = self.window(t)
        for end, cache in self._read_caches[t].items():
            ds, dV = strength_read_backward(dreads[end], cache)
            self._dH[:, lo:hi] += ds
            self._dU[:, lo:hi] += dV

    def step_backward(
        self, t: int, dreads: Mapping[str, NDArray]
    ) -> tuple[dict[str, NDArray], dict[str, tuple[NDArray, NDArray]]]:
        """Backward through :meth:`step` ``t`` given the gradients of the reads it returned.

        Returns ``(dpops, dpushes)``: ``{end: du (B,)}`` and ``{end: (dvalue (B, m),
        dstrength (B,))}``.
        """
        assert self._dH is not None and self._dU is not None
        self._read_backward(t + 1, dreads)
        lo, hi = self.window(t)
        nlo, nhi = self.window(t + 1)
        dH = self._dH
        m = None if self.mask is None else self.mask[t]
        dpushes = {}
        for end in self.push_ends:
            pos = nlo if end == "top" else nhi - 1
            dstrength = dH[:, pos].copy()
            if m is not None:
                dstrength *= m
            dpushes[end] = (self._dU[:, pos].copy(), dstrength)
            dH[:, pos] = 0.0
        ds = dH[:, lo:hi].copy()  # gradient of the strengths after the pops
        held = None if m is None else ~(m != 0)
        if held is not None:
            ds[held] = 0.0
        dpops = {}
        for end, cache in zip(reversed(self.pop_ends), reversed(self._caches[t]), strict=True):
            ds, dpops[end] = strength_pop_backward(ds, cache)
        if held is not None:  # a held memory passes its gradient through unchanged
            ds[held] = dH[held, lo:hi]
            for end in dpops:
                dpops[end] = np.where(held, 0.0, dpops[end])
        dH[:, lo:hi] = ds
        return dpops, dpushes

    def initial_reads_backward(self, dreads: Mapping[str, NDArray]) -> None:
        """Backward through :meth:`initial_reads` (call after every :meth:`step_backward`)."""
        self._read_backward(0, dreads)

    def state_grad(self) -> tuple[NDArray, NDArray]:
        """Gradients with respect to ``V0`` and ``s0``, after the backward pass."""
        assert self._dH is not None and self._dU is not None
        B, C, m = self.B, self.capacity, self.m
        lo = self.top0
        dV0 = np.zeros((B, C, m), dtype=self.dtype)
        ds0 = np.zeros((B, C), dtype=self.dtype)
        if self.k:
            valid = self.valid0
            rows = np.broadcast_to(np.arange(B)[:, None], valid.shape)[valid]
            cols = self.index0[valid]  # distinct in each row
            ds0[rows, cols] = self._dH[:, lo : lo + self.k][valid]
            dV0[rows, cols] = self._dU[:, lo : lo + self.k][valid]
        return dV0, ds0


# ----------------------------------------------------------------------------- superposition
def superposition_update(
    S: NDArray, actions: NDArray, value: NDArray, empty: float = -1.0
) -> NDArray:
    r"""Joulin & Mikolov's (2015) stack update: a weighted sum of push, pop and no-op.

    .. math::

        S'[0] = a_{push} v + a_{pop} S[1] + a_{noop} S[0], \quad
        S'[i] = a_{push} S[i-1] + a_{pop} S[i+1] + a_{noop} S[i]

    with the empty value entering at the bottom on a pop.

    Parameters
    ----------
    S : ndarray, shape (B, K, D)
        ``K`` stacks of depth ``D``, element 0 the top.
    actions : ndarray, shape (B, K, 2) or (B, K, 3)
        Weights of (push, pop) or (push, pop, no-op).
    value : ndarray, shape (B, K)
        The value pushed on each stack.
    empty : float, default -1.0
        The value of an empty element.

    Examples
    --------
    >>> S = np.array([[[0.9, 0.2, -1.0]]])
    >>> superposition_update(S, np.array([[[1.0, 0.0]]]), np.array([[0.5]]))   # push 0.5
    array([[[0.5, 0.9, 0.2]]])
    >>> superposition_update(S, np.array([[[0.0, 1.0]]]), np.array([[0.5]]))   # pop
    array([[[ 0.2, -1. , -1. ]]])
    """
    pushed = np.concatenate([value[:, :, None], S[:, :, :-1]], axis=2)
    popped = np.concatenate([S[:, :, 1:], np.full(S.shape[:2] + (1,), empty, S.dtype)], axis=2)
    out = actions[:, :, 0:1] * pushed + actions[:, :, 1:2] * popped
    if actions.shape[2] == 3:
        out += actions[:, :, 2:3] * S
    return out


def superposition_update_backward(
    dS_new: NDArray, S: NDArray, actions: NDArray, value: NDArray, empty: float = -1.0
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`superposition_update` with respect to ``S``, ``actions``, ``value``."""
    pushed = np.concatenate([value[:, :, None], S[:, :, :-1]], axis=2)
    popped = np.concatenate([S[:, :, 1:], np.full(S.shape[:2] + (1,), empty, S.dtype)], axis=2)
    dpushed = actions[:, :, 0:1] * dS_new
    dpopped = actions[:, :, 1:2] * dS_new
    dS = np.zeros_like(S)
    dS[:, :, :-1] += dpushed[:, :, 1:]
    dS[:, :, 1:] += dpopped[:, :, :-1]
    dactions = np.empty(actions.shape, dtype=dS_new.dtype)
    dactions[:, :, 0] = (dS_new * pushed).sum(axis=2)
    dactions[:, :, 1] = (dS_new * popped).sum(axis=2)
    if actions.shape[2] == 3:
        dS += actions[:, :, 2:3] * dS_new
        dactions[:, :, 2] = (dS_new * S).sum(axis=2)
    return dS, dactions, dpushed[:, :, 0]
