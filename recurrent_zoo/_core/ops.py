r"""Differentiable building blocks, each a forward function next to its backward.

A block's backward takes what its forward returned (and, where needed, its inputs) and the
gradient of the loss with respect to its output, and returns the gradients with respect to its
inputs. Every block has a float64 finite-difference check in ``tests/test_ops.py``.

Activations are objects in :data:`ACTIVATIONS` whose derivative is written in terms of the
*output*, which is what a recurrence stores anyway:

=============  =====================  ===========================
name           :math:`y = \phi(z)`    :math:`\phi'(z)` from y
=============  =====================  ===========================
``identity``   :math:`z`              :math:`1`
``tanh``       :math:`\tanh z`        :math:`1 - y^2`
``sigmoid``    :math:`1/(1+e^{-z})`   :math:`y (1 - y)`
``relu``       :math:`\max(z, 0)`     :math:`[y > 0]`
=============  =====================  ===========================

Other blocks: :func:`softmax`, :func:`log_softmax`, :func:`softplus`,
:func:`cosine_similarity`, :func:`circular_convolution` (the NTM's shift),
:func:`sharpen`, :func:`erase_add_write` (the NTM/DNC memory write).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .validation import NDArray

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "sigmoid",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
    "softplus",
    "softplus_backward",
    "cosine_similarity",
    "cosine_similarity_backward",
    "circular_convolution",
    "circular_convolution_backward",
    "sharpen",
    "sharpen_backward",
    "erase_add_write",
    "erase_add_write_backward",
]


def sigmoid(z: NDArray, out: NDArray | None = None) -> NDArray:
    """The logistic function, computed without overflow for large ``|z|``.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    # 1/(1+exp(-z)) = 0.5 * (1 + tanh(z/2)), which never overflows
    if out is None:
        return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _identity_fwd(z: NDArray, out: NDArray | None = None) -> NDArray:
    if out is None:
        return z.copy()
    if out is not z:
        out[...] = z
    return out


def _relu_fwd(z: NDArray, out: NDArray | None = None) -> NDArray:
    return np.maximum(z, 0, out=out)


def _identity_bwd(y: NDArray, dy: NDArray) -> NDArray:
    return dy


def _tanh_bwd(y: NDArray, dy: NDArray) -> NDArray:
    return dy * (1.0 - y * y)


def _sigmoid_bwd(y: NDArray, dy: NDArray) -> NDArray:
    return dy * y * (1.0 - y)


def _relu_bwd(y: NDArray, dy: NDArray) -> NDArray:
    return dy * (y > 0)


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity: ``forward(z, out=None)`` and ``backward(y, dy)``.

    ``backward`` takes the forward's *output* ``y`` and returns ``dy * phi'(z)``.

    Examples
    --------
    >>> act = ACTIVATIONS["tanh"]
    >>> y = act.forward(np.array([0.5]))
    >>> bool(np.allclose(act.backward(y, np.ones(1)), 1 - np.tanh(0.5) ** 2))
    True
    """

    name: str
    forward: Callable[..., NDArray]
    backward: Callable[[NDArray, NDArray], NDArray]
    sympy_name: str

    def sympy(self, z: Any) -> Any:
        """The activation applied to a sympy expression."""
        import sympy

        if self.name == "identity":
            return z
        if self.name == "relu":
            return sympy.Max(z, 0)
        if self.name == "sigmoid":
            return 1 / (1 + sympy.exp(-z))
        return sympy.tanh(z)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", _identity_fwd, _identity_bwd, "z"),
    "tanh": Activation("tanh", np.tanh, _tanh_bwd, "tanh"),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_bwd, "sigma"),
    "relu": Activation("relu", _relu_fwd, _relu_bwd, "relu"),
}


# ----------------------------------------------------------------------------- softmax family
def softmax(z: NDArray, axis: int = -1) -> NDArray:
    r"""Numerically stable softmax along ``axis``: :math:`y_i = e^{z_i} / \sum_j e^{z_j}`.

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(y: NDArray, dy: NDArray, axis: int = -1) -> NDArray:
    r"""Gradient through softmax from its output: :math:`y \odot (dy - \langle dy, y\rangle)`."""
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


def log_softmax(z: NDArray, axis: int = -1) -> NDArray:
    """Numerically stable ``log(softmax(z))``.

    Examples
    --------
    >>> np.round(np.exp(log_softmax(np.array([1.0, 1.0]))), 3)
    array([0.5, 0.5])
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(y: NDArray, dy: NDArray, axis: int = -1) -> NDArray:
    """Gradient through log-softmax from its output ``y``: ``dy - softmax * sum(dy)``."""
    return dy - np.exp(y) * dy.sum(axis=axis, keepdims=True)


def softplus(z: NDArray) -> NDArray:
    """``log(1 + exp(z))`` without overflow.

    Examples
    --------
    >>> np.round(softplus(np.array([-50.0, 0.0, 50.0])), 4)
    array([ 0.    ,  0.6931, 50.    ])
    """
    return np.logaddexp(0.0, z)


def softplus_backward(z: NDArray, dy: NDArray) -> NDArray:
    """Gradient through softplus from its *input*: ``dy * sigmoid(z)``."""
    return dy * sigmoid(z)


# ----------------------------------------------------------------------------- addressing
def cosine_similarity(
    keys: NDArray, memory: NDArray, eps: float = 1e-8
) -> tuple[NDArray, tuple[NDArray, ...]]:
    r"""Cosine similarity of each key with each memory row.

    .. math:: K[b, h, n] = \frac{k_{bh} \cdot M_{bn}}{(\lVert k_{bh}\rVert + \epsilon)
              (\lVert M_{bn}\rVert + \epsilon)}

    Parameters
    ----------
    keys : ndarray, shape (B, H, W)
        ``H`` keys (heads) per batch item.
    memory : ndarray, shape (B, N, W)
        ``N`` memory rows per batch item.

    Returns
    -------
    K : ndarray, shape (B, H, N)
    cache : tuple, for :func:`cosine_similarity_backward`

    Examples
    --------
    >>> k = np.array([[[1.0, 0.0]]]); M = np.array([[[2.0, 0.0], [0.0, 3.0]]])
    >>> np.round(cosine_similarity(k, M)[0], 6)
    array([[[1., 0.]]])
    """
    kn = np.sqrt((keys * keys).sum(-1)) + eps  # (B, H)
    mn = np.sqrt((memory * memory).sum(-1)) + eps  # (B, N)
    dots = keys @ memory.transpose(0, 2, 1)  # (B, H, N)
    K = dots / (kn[:, :, None] * mn[:, None, :])
    return K, (keys, memory, kn, mn, dots)


def cosine_similarity_backward(
    dK: NDArray, cache: tuple[NDArray, ...], eps: float = 1e-8
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`cosine_similarity` with respect to ``keys`` and ``memory``."""
    keys, memory, kn, mn, dots = cache
    denom = kn[:, :, None] * mn[:, None, :]  # (B, H, N)
    g = dK / denom  # d/d dots
    dkeys = g @ memory  # (B, H, W)
    dmem = g.transpose(0, 2, 1) @ keys  # (B, N, W)
    # through the norms: d K / d kn = -dots / (kn^2 mn)
    dkn = -(dK * dots / (denom * kn[:, :, None])).sum(-1)  # (B, H)
    dmn = -(dK * dots / (denom * mn[:, None, :])).sum(1)  # (B, N)
    kraw = kn - eps
    mraw = mn - eps
    dkeys += (dkn / np.where(kraw > 0, kraw, 1.0))[:, :, None] * keys
    dmem += (dmn / np.where(mraw > 0, mraw, 1.0))[:, :, None] * memory
    return dkeys, dmem


def circular_convolution(w: NDArray, s: NDArray) -> NDArray:
    r"""Rotate each weighting by a distribution over shifts (Graves et al. 2014, eq. 8).

    .. math:: \tilde w[i] = \sum_{j} w[j]\, s[(i - j) \bmod N]

    Parameters
    ----------
    w : ndarray, shape (..., N)
        Weightings over ``N`` memory locations.
    s : ndarray, shape (..., S)
        Shift weightings over shifts ``-(S // 2) .. S // 2`` (``S`` odd, ``S <= N``).

    Examples
    --------
    >>> circular_convolution(np.array([1.0, 0, 0, 0]), np.array([0.0, 0.0, 1.0]))
    array([0., 1., 0., 0.])
    """
    N, S = w.shape[-1], s.shape[-1]
    half = S // 2
    out = np.zeros(np.broadcast_shapes(w.shape[:-1], s.shape[:-1]) + (N,), dtype=w.dtype)
    for k in range(S):  # S is small (3 in the paper): one roll per shift
        out += np.roll(w, k - half, axis=-1) * s[..., k : k + 1]
    return out


def circular_convolution_backward(w: NDArray, s: NDArray, dout: NDArray) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`circular_convolution` with respect to ``w`` and ``s``."""
    S = s.shape[-1]
    half = S // 2
    dw = np.zeros_like(w)
    ds = np.empty(s.shape, dtype=dout.dtype)
    for k in range(S):
        dw += np.roll(dout * s[..., k : k + 1], -(k - half), axis=-1)
        ds[..., k] = (dout * np.roll(w, k - half, axis=-1)).sum(-1)
    return dw, ds


def sharpen(w: NDArray, gamma: NDArray, eps: float = 1e-12) -> tuple[NDArray, tuple[Any, ...]]:
    r"""Sharpen weightings (Graves et al. 2014, eq. 9): :math:`w_i^\gamma / \sum_j w_j^\gamma`.

    Parameters
    ----------
    w : ndarray, shape (..., N), non-negative
    gamma : ndarray, shape (...), ``>= 1``

    Examples
    --------
    >>> np.round(sharpen(np.array([0.5, 0.25, 0.25]), np.array(2.0))[0], 4)
    array([0.6667, 0.1667, 0.1667])
    """
    logw = np.log(w + eps)
    # a softmax of gamma log w: subtracting the maximum keeps a large gamma from underflowing
    # every term to 0 (and the quotient to 0 / 0)
    z = gamma[..., None] * logw
    p = np.exp(z - z.max(-1, keepdims=True))
    out = p / p.sum(-1, keepdims=True)
    return out, (logw, out)


def sharpen_backward(
    gamma: NDArray, dout: NDArray, cache: tuple[Any, ...], eps: float = 1e-12
) -> tuple[NDArray, NDArray]:
    """Gradients of :func:`sharpen` with respect to ``w`` and ``gamma``."""
    logw, out = cache
    # out = softmax(gamma * log w): gradient through the softmax, then the product
    dz = out * (dout - (dout * out).sum(-1, keepdims=True))
    dgamma = (dz * logw).sum(-1)
    dw = dz * gamma[..., None] / (np.exp(logw))
    return dw, dgamma


def erase_add_write(memory: NDArray, w: NDArray, erase: NDArray, add: NDArray) -> NDArray:
    r"""The NTM write (Graves et al. 2014, eqs. 3-4) for several heads applied together.

    .. math:: M' = M \odot \prod_h (1 - w_h e_h^\top) + \sum_h w_h a_h^\top

    Parameters
    ----------
    memory : ndarray, shape (B, N, W)
    w : ndarray, shape (B, H, N)
        Write weightings of ``H`` heads.
    erase : ndarray, shape (B, H, W), values in [0, 1]
    add : ndarray, shape (B, H, W)

    Examples
    --------
    >>> M = np.ones((1, 2, 2)); w = np.array([[[1.0, 0.0]]])
    >>> erase_add_write(M, w, np.array([[[1.0, 0.0]]]), np.array([[[5.0, 5.0]]]))
    array([[[5., 6.],
            [1., 1.]]])
    """
    keep = 1.0 - w[:, :, :, None] * erase[:, :, None, :]  # (B, H, N, W)
    return memory * keep.prod(axis=1) + w.transpose(0, 2, 1) @ add


def erase_add_write_backward(
    memory: NDArray, w: NDArray, erase: NDArray, add: NDArray, dout: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Gradients of :func:`erase_add_write` with respect to memory, w, erase and add."""
    H = w.shape[1]
    keep = 1.0 - w[:, :, :, None] * erase[:, :, None, :]  # (B, H, N, W)
    total = keep.prod(axis=1)  # (B, N, W)
    dmem = dout * total
    dM_erase = dout * memory  # gradient reaching the product of keeps
    dw = np.empty_like(w)
    derase = np.empty_like(erase)
    for h in range(H):  # product of the other heads' keeps (no division: keep may be 0)
        others = np.prod(np.delete(keep, h, axis=1), axis=1) if H > 1 else np.ones_like(total)
        dkeep = dM_erase * others  # (B, N, W)
        dw[:, h] = -(dkeep * erase[:, h, None, :]).sum(-1)
        derase[:, h] = -(dkeep * w[:, h, :, None]).sum(1)
    dw += add @ dout.transpose(0, 2, 1)  # (B, H, W) @ (B, W, N) -> (B, H, N)
    dadd = w @ dout  # (B, H, N) @ (B, N, W) -> (B, H, W)
    return dmem, dw, derase, dadd
