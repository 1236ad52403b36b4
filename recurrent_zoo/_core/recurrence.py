r"""The fully connected recurrent layer, forward and backward through time.

.. math::

    h_t = \phi\left(W x_t + R h_{t-1} + b\right)

Several architectures are built from this one recurrence (Williams & Zipser's fully recurrent
net, the hidden and output layers of a recurrent MLP), so it lives here once. Past its length
a sequence's state is held (``mask``) and the caller zeroes its outputs.
"""

from __future__ import annotations

import numpy as np

from .ops import ACTIVATIONS
from .validation import NDArray

__all__ = ["recurrent_layer", "recurrent_layer_backward"]


def recurrent_layer(
    X: NDArray,
    W: NDArray,
    R: NDArray,
    b: NDArray | None,
    h0: NDArray,
    activation: str,
    mask: NDArray | None,
) -> tuple[NDArray, NDArray, NDArray]:
    """Run :math:`h_t = \\phi(W x_t + R h_{t-1} + b)` over a whole sequence.

    Parameters
    ----------
    X : ndarray, shape (T, B, I)
    W : ndarray, shape (H, I)
    R : ndarray, shape (H, H)
    b : ndarray, shape (H,), or None
    h0 : ndarray, shape (B, H)
    activation : str
        A key of :data:`~recurrent_zoo._core.ops.ACTIVATIONS`.
    mask : ndarray, shape (T, B, 1), or None
        1 up to each sequence's length; the state is held past it.

    Returns
    -------
    F : ndarray, shape (T, B, H)
        The new activation of every step (what the unit outputs while the sequence runs).
    Hs : ndarray, shape (T, B, H)
        The held states (``F`` itself when there is no mask).
    h_T : ndarray, shape (B, H)
        The final state.

    Examples
    --------
    >>> X = np.ones((3, 1, 1))
    >>> F, Hs, h = recurrent_layer(X, np.ones((1, 1)), np.zeros((1, 1)), None,
    ...                            np.zeros((1, 1)), "identity", None)
    >>> F[:, 0, 0]
    array([1., 1., 1.])
    """
    T, B, I = X.shape
    H = W.shape[0]
    act = ACTIVATIONS[activation].forward
    F = (X.reshape(T * B, I) @ W.T).reshape(T, B, H)  # (T, B, H): every input drive, one GEMM
    if b is not None:
        F += b
    R_T = R.T
    Hs = F if mask is None else np.empty_like(F)
    h = h0
    for t in range(T):
        a = F[t]
        a += h @ R_T
        act(a, out=a)  # F[t] now holds the new activation
        if mask is None:
            h = a
        else:
            m = mask[t]
            np.multiply(m, a, out=Hs[t])
            Hs[t] += (1.0 - m) * h
            h = Hs[t]
    return F, Hs, h


def recurrent_layer_backward(
    X: NDArray,
    h0: NDArray,
    F: NDArray,
    Hs: NDArray,
    W: NDArray,
    R: NDArray,
    dF: NDArray,
    dh_T: NDArray,
    activation: str,
    mask: NDArray | None,
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """BPTT through :func:`recurrent_layer`.

    ``dF`` (T, B, H) is the gradient reaching each step's new activation from outside the
    recurrence (the layer's outputs) and ``dh_T`` the one reaching the final state. Returns
    ``(dX, dh0, dW, dR, db)``.

    Examples
    --------
    >>> X, W, R, h0 = np.ones((2, 1, 1)), np.ones((1, 1)), np.full((1, 1), 0.5), np.zeros((1, 1))
    >>> F, Hs, _ = recurrent_layer(X, W, R, None, h0, "identity", None)   # h = 1, 1.5
    >>> dX, dh0, dW, dR, db = recurrent_layer_backward(
    ...     X, h0, F, Hs, W, R, np.ones_like(F), np.zeros((1, 1)), "identity", None)
    >>> float(dR[0, 0])                       # d(h_1 + h_2)/dR = h_1 = 1
    1.0
    """
    T, B, I = X.shape
    H = W.shape[0]
    dact = ACTIVATIONS[activation].backward
    dA = np.empty_like(F)  # (T, B, H) gradients at the pre-activations
    dh = dh_T.copy()
    for t in reversed(range(T)):
        g = dF[t] + dh
        if mask is None:
            dA[t] = dact(F[t], g)
            dh = dA[t] @ R
        else:
            dA[t] = dact(F[t], g * mask[t])
            dh = dA[t] @ R + (1.0 - mask[t]) * dh
    # weight gradients: one GEMM each after the loop
    H_prev = np.concatenate([h0[None], Hs[:-1]], axis=0).reshape(T * B, H)
    dA2 = dA.reshape(T * B, H)
    dW = dA2.T @ X.reshape(T * B, I)
    dR = dA2.T @ H_prev
    db = dA2.sum(axis=0)
    dX = (dA2 @ W).reshape(T, B, I)
    return dX, dh, dW, dR, db
