r"""Differentiable external memory: addressing, reading and writing, each a forward/backward pair.

The mechanisms of the neural Turing machine (Graves, Wayne & Danihelka 2014, section 3), one
small function per mechanism, like DeepMind's ``dnc`` ``addressing.py``: each forward returns
its output and a cache, each backward takes that cache and the gradient of the loss with respect
to the output and returns the gradients with respect to the inputs. All of them work on a batch
and on several heads at once. Shapes, with ``B`` the batch, ``H`` the heads, ``N`` the memory
slots and ``W`` the word size:

=================  ===============  ==========================================================
argument           shape            meaning
=================  ===============  ==========================================================
``memory``         ``(B, W, N)``    :math:`M_{t-1}`, *slot-minor*: column ``i`` of
                                    ``memory[b]`` is slot ``i``'s word (the transpose of the
                                    paper's ``N x W`` matrix)
``keys``           ``(B, H, W)``    :math:`k_t`, what content addressing looks for
``strengths``      ``(B, H)``       :math:`\beta_t \ge 0`, the key strength
``gates``          ``(B, H)``       :math:`g_t \in [0, 1]`, the interpolation gate
``shifts``         ``(B, H, S)``    :math:`s_t`, a distribution over shifts
                                    ``-(S // 2) .. S // 2``
``sharpening``     ``(B, H)``       :math:`\gamma_t \ge 1`
``weights``        ``(B, H, N)``    :math:`w_t`, a distribution over the slots
``erase``/``add``  ``(B, H, W)``    :math:`e_t \in [0, 1]^W`, :math:`a_t`
=================  ===============  ==========================================================

The addressing pipeline (figure 2 of the paper) is

.. math::

    K(u, v) &= \frac{u \cdot v}{(\lVert u \rVert + \epsilon)(\lVert v \rVert + \epsilon)}
        && \text{(6, cosine similarity)} \\
    w^c_t(i) &= \frac{\exp(\beta_t K(k_t, M_t(i)))}{\sum_j \exp(\beta_t K(k_t, M_t(j)))}
        && \text{(5, content)} \\
    w^g_t &= g_t w^c_t + (1 - g_t) w_{t-1} && \text{(7, interpolation)} \\
    \tilde w_t(i) &= \sum_{j=0}^{N-1} w^g_t(j)\, s_t(i - j) && \text{(8, circular shift)} \\
    w_t(i) &= \frac{(\tilde w_t(i) + \epsilon)^{\gamma_t}}
        {\sum_j (\tilde w_t(j) + \epsilon)^{\gamma_t}} && \text{(9, sharpening)}

and memory is read and written with the resulting weightings:

.. math::

    r_t &= \sum_i w_t(i) M_t(i) && \text{(2, read)} \\
    M_t(i) &= M_{t-1}(i) \odot \prod_h \big(1 - w^h_t(i)\, e^h_t\big)
        + \sum_h w^h_t(i)\, a^h_t && \text{(3-4, erase then add)}

Why slot-minor: the per-slot work of a step -- the outer products :math:`w e^\top` and
:math:`w a^\top` of a write, the norms of the cosine similarity, the rescaling of each slot in
its backward pass -- broadcasts a length-``W`` vector against a length-``N`` one. With the slots
along the last, contiguous axis numpy's inner loops run over ``N`` (128 to thousands) instead of
``W`` (20), which measured 1.5 to 2 times faster per operation; the matrix products take either
layout at the same speed.

Every softmax subtracts its maximum (the sharpening is a softmax of
:math:`\gamma \log(\tilde w + \epsilon)`), and every normalisation holds an
:math:`\epsilon`, so that a memory whose rows are all equal -- or all zero -- gives a uniform
weighting rather than NaN, and no weighting underflows to a 0/0. The DNC (Graves et al. 2016)
reuses :func:`content_weighting`, :func:`read` and :func:`write`.

Reference
---------
A. Graves, G. Wayne and I. Danihelka, "Neural Turing machines", arXiv:1410.5401, 2014.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .validation import NDArray

__all__ = [
    "COSINE_EPS",
    "SHARPEN_EPS",
    "content_weighting",
    "content_weighting_backward",
    "interpolate",
    "interpolate_backward",
    "shift",
    "shift_backward",
    "sharpen",
    "sharpen_backward",
    "address",
    "address_backward",
    "read",
    "read_backward",
    "write",
    "write_backward",
]

#: the epsilon added to each norm in the cosine similarity (eq. 6)
COSINE_EPS = 1e-8
#: the epsilon added to each weight before sharpening (eq. 9), so that log(0) never occurs
SHARPEN_EPS = 1e-12


# ----------------------------------------------------------------------------- helpers
# The weightings are small, (B, H, N): a step's cost there is the number of numpy calls, not
# the arithmetic, so these do in one C-level call (a matrix product) what einsum or a
# multiply-then-sum would do in two or three Python-level ones, and the reductions come straight
# from the ufuncs (ndarray.sum and .max go through a Python wrapper).
_add = np.add.reduce
_max = np.maximum.reduce


def _rowdot(a: NDArray, b: NDArray) -> NDArray:
    """``(a * b).sum(-1)`` for (..., n) arrays, as one batched matrix product."""
    return (a[..., None, :] @ b[..., :, None])[..., 0, 0]


def _softmax_backward(y: NDArray, dy: NDArray) -> NDArray:
    """Through a softmax along the last axis, from its output: ``y (dy - <dy, y>)``."""
    out = dy - _rowdot(dy, y)[..., None]
    out *= y
    return out


@functools.lru_cache(maxsize=64)
def _shift_indices(N: int, S: int) -> tuple[NDArray, NDArray]:
    """Gather indices of a circular shift: ``forward[k, i] = (i - k + S // 2) mod N`` (where
    shift ``k`` takes slot ``i``'s weight from) and ``backward[k, j] = (j + k - S // 2) mod N``
    (where it sends slot ``j``'s)."""
    offsets = np.arange(S)[:, None] - S // 2
    slots = np.arange(N)[None, :]
    return (slots - offsets) % N, (slots + offsets) % N


# ----------------------------------------------------------------------------- content (5, 6)
def content_weighting(
    keys: NDArray, strengths: NDArray, memory: NDArray, eps: float = COSINE_EPS
) -> tuple[NDArray, tuple[Any, ...]]:
    r"""Focus by content (eqs. 5-6): a softmax over slots of :math:`\beta_t K(k_t, M_t(i))`.

    :math:`K` is the cosine similarity with :math:`\epsilon` added to each norm (as
    :func:`recurrent_zoo._core.ops.cosine_similarity`, on the slot-minor layout).

    Parameters
    ----------
    keys : ndarray, shape (B, H, W)
    strengths : ndarray, shape (B, H), non-negative
    memory : ndarray, shape (B, W, N)
    eps : float
        Added to each norm of the cosine similarity.

    Returns
    -------
    weights : ndarray, shape (B, H, N)
    cache : tuple, for :func:`content_weighting_backward`

    Examples
    --------
    >>> M = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]])      # (B=1, W=2, N=3)
    >>> w, _ = content_weighting(np.array([[[0.0, 2.0]]]), np.array([[50.0]]), M)
    >>> np.round(w, 3).tolist()                                   # the two matching slots
    [[[0.0, 0.5, 0.5]]]
    >>> content_weighting(np.ones((1, 1, 2)), np.ones((1, 1)), np.zeros((1, 2, 3)))[0]
    array([[[0.33333333, 0.33333333, 0.33333333]]])
    """
    k_raw = np.sqrt(_rowdot(keys, keys))  # (B, H)
    m_raw = np.sqrt(_add(memory * memory, 1))  # (B, N)
    kn, mn = k_raw + eps, m_raw + eps
    similarity = keys @ memory  # (B, H, N): the dot products, then divided by the norms
    similarity /= kn[:, :, None]
    similarity /= mn[:, None, :]
    z = strengths[..., None] * similarity
    z -= _max(z, -1, keepdims=True)
    np.exp(z, out=z)
    z /= _add(z, -1, keepdims=True)
    return z, (keys, memory, strengths, similarity, k_raw, m_raw, kn, mn, z)


def content_weighting_backward(
    dweights: NDArray, cache: tuple[Any, ...]
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`content_weighting` with respect to keys, strengths and memory."""
    keys, memory, strengths, similarity, k_raw, m_raw, kn, mn, weights = cache
    dz = _softmax_backward(weights, dweights)  # (B, H, N)
    dstrengths = _rowdot(dz, similarity)
    dz *= strengths[..., None]  # dL/dK
    # K = dots / (kn mn): through the dot products, then through each norm
    dKK = dz * similarity
    dkn = -_add(dKK, -1) / kn  # (B, H)
    dmn = -_add(dKK, 1) / mn  # (B, N)
    g = dz / kn[:, :, None]
    g /= mn[:, None, :]  # dL/d dots
    dkeys = g @ memory.transpose(0, 2, 1)  # (B, H, W)
    dmemory = keys.transpose(0, 2, 1) @ g  # (B, W, N)
    # d|v|/dv = v / |v|; a zero vector's norm has no gradient (its subgradient 0 is used)
    dkeys += (dkn / np.where(k_raw > 0, k_raw, 1.0))[:, :, None] * keys
    dmemory += (dmn / np.where(m_raw > 0, m_raw, 1.0))[:, None, :] * memory
    return dkeys, dstrengths, dmemory


# ----------------------------------------------------------------------------- interpolation (7)
def interpolate(w_content: NDArray, w_prev: NDArray, gates: NDArray) -> NDArray:
    r"""The interpolation gate (eq. 7): :math:`w^g_t = g_t w^c_t + (1 - g_t) w_{t-1}`.

    Examples
    --------
    >>> interpolate(np.array([[[1.0, 0.0]]]), np.array([[[0.0, 1.0]]]), np.array([[0.25]]))
    array([[[0.25, 0.75]]])
    """
    g = gates[..., None]
    return g * w_content + (1.0 - g) * w_prev


def interpolate_backward(
    dout: NDArray, w_content: NDArray, w_prev: NDArray, gates: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """Gradients of :func:`interpolate` with respect to ``w_content``, ``w_prev``, ``gates``."""
    g = gates[..., None]
    dgates = _rowdot(dout, w_content - w_prev)
    return g * dout, (1.0 - g) * dout, dgates


# ----------------------------------------------------------------------------- shift (8)
def shift(weights: NDArray, shifts: NDArray) -> NDArray:
    r"""Rotate weightings by a distribution over shifts (eq. 8), a circular convolution.

    :math:`\tilde w(i) = \sum_j w(j)\, s(i - j)`: shift ``k - S // 2`` (``s[..., k]``) moves
    weight from slot ``i`` to slot ``i + k - S // 2`` (mod ``N``), so ``s = (0, 0, 1)`` moves
    every weight one slot forward.

    Parameters
    ----------
    weights : ndarray, shape (B, H, N)
    shifts : ndarray, shape (B, H, S), ``S`` odd and at most ``N``

    Examples
    --------
    >>> shift(np.array([[[0.0, 1.0, 0.0, 0.0]]]), np.array([[[0.0, 0.0, 1.0]]])).tolist()
    [[[0.0, 0.0, 1.0, 0.0]]]
    """
    forward, _ = _shift_indices(weights.shape[-1], shifts.shape[-1])
    # (B, H, 1, S) @ (B, H, S, N): out[i] = sum_k s_k w[i - (k - S // 2)]
    return (shifts[..., None, :] @ weights[..., forward])[..., 0, :]


def shift_backward(dout: NDArray, weights: NDArray, shifts: NDArray) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`shift` with respect to ``weights`` and ``shifts``."""
    forward, backward = _shift_indices(weights.shape[-1], shifts.shape[-1])
    dweights = (shifts[..., None, :] @ dout[..., backward])[..., 0, :]
    dshifts = (weights[..., forward] @ dout[..., :, None])[..., 0]
    return dweights, dshifts


# ----------------------------------------------------------------------------- sharpening (9)
def sharpen(
    weights: NDArray, sharpening: NDArray, eps: float = SHARPEN_EPS
) -> tuple[NDArray, tuple[Any, ...]]:
    r"""Sharpen weightings (eq. 9): :math:`(\tilde w_i + \epsilon)^\gamma / \sum_j (\cdot)^\gamma`.

    Computed as a softmax of :math:`\gamma \log(\tilde w + \epsilon)` with its maximum
    subtracted, so that a large :math:`\gamma` never underflows every term to zero.

    Parameters
    ----------
    weights : ndarray, shape (B, H, N), non-negative
    sharpening : ndarray, shape (B, H), ``>= 1``

    Examples
    --------
    >>> np.round(sharpen(np.array([[[0.5, 0.25, 0.25]]]), np.array([[2.0]]))[0], 4)
    array([[[0.6667, 0.1667, 0.1667]]])
    >>> sharpen(np.array([[[0.5, 0.25, 0.25]]]), np.array([[1e6]]))[0].tolist()   # no 0 / 0
    [[[1.0, 0.0, 0.0]]]
    """
    shifted = weights + eps
    logw = np.log(shifted)
    z = sharpening[..., None] * logw
    z -= _max(z, -1, keepdims=True)
    np.exp(z, out=z)
    z /= _add(z, -1, keepdims=True)
    return z, (shifted, logw, z, sharpening)


def sharpen_backward(dout: NDArray, cache: tuple[Any, ...]) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`sharpen` with respect to ``weights`` and ``sharpening``."""
    shifted, logw, out, sharpening = cache
    dz = _softmax_backward(out, dout)
    dsharpening = _rowdot(dz, logw)
    dz *= sharpening[..., None]
    dz /= shifted
    return dz, dsharpening


# ----------------------------------------------------------------------------- the pipeline
def address(
    keys: NDArray,
    strengths: NDArray,
    gates: NDArray,
    shifts: NDArray,
    sharpening: NDArray,
    w_prev: NDArray,
    memory: NDArray,
) -> tuple[NDArray, tuple[Any, ...]]:
    r"""The NTM's addressing (figure 2): content, interpolation, shift, sharpening (eqs. 5-9).

    Parameters
    ----------
    keys : ndarray, shape (B, H, W)
    strengths : ndarray, shape (B, H)
    gates : ndarray, shape (B, H)
    shifts : ndarray, shape (B, H, S)
    sharpening : ndarray, shape (B, H)
    w_prev : ndarray, shape (B, H, N)
        The heads' previous weightings :math:`w_{t-1}`.
    memory : ndarray, shape (B, W, N)

    Returns
    -------
    weights : ndarray, shape (B, H, N)
    cache : tuple, for :func:`address_backward`

    Examples
    --------
    >>> M = np.eye(4)[None]                                  # (B=1, W=4, N=4)
    >>> w_prev = np.array([[[0.0, 1.0, 0.0, 0.0]]])
    >>> w, _ = address(np.ones((1, 1, 4)), np.ones((1, 1)), np.zeros((1, 1)),
    ...                np.array([[[0.0, 0.0, 1.0]]]), np.ones((1, 1)), w_prev, M)
    >>> np.round(w, 6).tolist()              # gate 0: previous weighting, one slot forward
    [[[0.0, 0.0, 1.0, 0.0]]]
    """
    w_content, content_cache = content_weighting(keys, strengths, memory)
    w_gated = interpolate(w_content, w_prev, gates)
    w_shifted = shift(w_gated, shifts)
    w, sharpen_cache = sharpen(w_shifted, sharpening)
    return w, (content_cache, w_content, w_prev, gates, w_gated, shifts, sharpen_cache)


def address_backward(dweights: NDArray, cache: tuple[Any, ...]) -> tuple[NDArray, ...]:
    """Gradients of :func:`address`.

    Returns
    -------
    dkeys, dstrengths, dgates, dshifts, dsharpening, dw_prev, dmemory
    """
    content_cache, w_content, w_prev, gates, w_gated, shifts, sharpen_cache = cache
    dw_shifted, dsharpening = sharpen_backward(dweights, sharpen_cache)
    dw_gated, dshifts = shift_backward(dw_shifted, w_gated, shifts)
    dw_content, dw_prev, dgates = interpolate_backward(dw_gated, w_content, w_prev, gates)
    dkeys, dstrengths, dmemory = content_weighting_backward(dw_content, content_cache)
    return dkeys, dstrengths, dgates, dshifts, dsharpening, dw_prev, dmemory


# ----------------------------------------------------------------------------- read (2)
def read(memory: NDArray, weights: NDArray) -> NDArray:
    r"""Read (eq. 2): :math:`r_t = \sum_i w_t(i) M_t(i)`, one vector per head.

    Parameters
    ----------
    memory : ndarray, shape (B, W, N)
    weights : ndarray, shape (B, H, N)

    Returns
    -------
    ndarray, shape (B, H, W)

    Examples
    --------
    >>> M = np.array([[[1.0, 3.0], [2.0, 4.0]]])                  # slots (1, 2) and (3, 4)
    >>> read(M, np.array([[[0.5, 0.5]]])).tolist()
    [[[2.0, 3.0]]]
    """
    return weights @ memory.transpose(0, 2, 1)


def read_backward(dreads: NDArray, memory: NDArray, weights: NDArray) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`read` with respect to ``memory`` and ``weights``."""
    return dreads.transpose(0, 2, 1) @ weights, dreads @ memory


# ----------------------------------------------------------------------------- write (3, 4)
def write(
    memory: NDArray, weights: NDArray, erase: NDArray, add: NDArray
) -> tuple[NDArray, tuple[Any, ...]]:
    r"""Write by erase then add (eqs. 3-4), for several heads applied together.

    .. math:: M_t = M_{t-1} \odot \prod_h (1 - w^h_t e^{h\top}_t) + \sum_h w^h_t a^{h\top}_t

    The erasures commute, so the heads' order does not matter (section 3.2).

    Parameters
    ----------
    memory : ndarray, shape (B, W, N)
    weights : ndarray, shape (B, H, N)
    erase : ndarray, shape (B, H, W), values in [0, 1]
    add : ndarray, shape (B, H, W)

    Returns
    -------
    new_memory : ndarray, shape (B, W, N)
    cache : tuple, for :func:`write_backward`

    Examples
    --------
    >>> M = np.ones((1, 2, 2)); w = np.array([[[1.0, 0.0]]])     # write slot 0
    >>> new, _ = write(M, w, np.array([[[1.0, 0.0]]]), np.array([[[5.0, 5.0]]]))
    >>> new[0].T.tolist()                                         # slots as rows
    [[5.0, 6.0], [1.0, 1.0]]
    """
    if weights.shape[1] == 1:
        # one head: outer products by broadcasting, the inner loops along the slots
        w = weights[:, 0, None, :]  # (B, 1, N)
        keep = erase[:, 0, :, None] * w  # (B, W, N): w e^T
        np.subtract(1.0, keep, out=keep)
        keeps = None
        new = memory * keep
        new += add[:, 0, :, None] * w
    else:
        keeps = 1.0 - erase[:, :, :, None] * weights[:, :, None, :]  # (B, H, W, N)
        keep = keeps.prod(axis=1)
        new = memory * keep
        new += add.transpose(0, 2, 1) @ weights
    return new, (memory, weights, erase, add, keep, keeps)


def write_backward(dnew: NDArray, cache: tuple[Any, ...]) -> tuple[NDArray, ...]:
    """Gradients of :func:`write`.

    Returns
    -------
    dmemory, dweights, derase, dadd
    """
    memory, weights, erase, add, keep, keeps = cache
    dmemory = dnew * keep
    dkeep = dnew * memory  # gradient reaching the product of the keeps
    dweights = add @ dnew  # (B, H, W) @ (B, W, N): through the add
    dadd = weights @ dnew.transpose(0, 2, 1)  # (B, H, N) @ (B, N, W)
    if keeps is None:
        dweights -= erase @ dkeep
        derase = -(weights @ dkeep.transpose(0, 2, 1))
        return dmemory, dweights, derase, dadd
    H = weights.shape[1]
    # the product of the other heads' keeps, from prefix and suffix products (no division:
    # a keep can be 0)
    before = np.ones_like(keeps)
    after = np.ones_like(keeps)
    for h in range(1, H):
        before[:, h] = before[:, h - 1] * keeps[:, h - 1]
        after[:, H - 1 - h] = after[:, H - h] * keeps[:, H - h]
    dkeeps = dkeep[:, None] * before * after  # (B, H, W, N)
    dweights -= np.einsum("bhwn,bhw->bhn", dkeeps, erase)
    derase = -np.einsum("bhwn,bhn->bhw", dkeeps, weights)
    return dmemory, dweights, derase, dadd
