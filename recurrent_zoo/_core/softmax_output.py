r"""The output softmax over a vocabulary: logits, and the cross-entropy with its gradient.

A language model ends with one logit per vocabulary entry and a softmax (Bengio et al. 2003;
Mikolov et al. 2010):

.. math::

    z_t = W h_t + b, \qquad p_t = \mathrm{softmax}(z_t), \qquad
    L = -\sum_t w_t \log p_{t, y_t}

with :math:`W \in \mathbb{R}^{V \times H}`. Weight tying (Press & Wolf 2017; Inan, Khosravi &
Socher 2017) uses the input embedding as :math:`W` (then :math:`H` must equal the embedding
size): the table gets the sum of both gradients and the model loses ``V H`` parameters.

With ``V`` = 10,000 words this layer does most of a small language model's arithmetic, so each
direction is one GEMM over all ``N = T B`` steps at once:

.. math::

    Z = H W^\top + b, \qquad
    \frac{\partial L}{\partial Z} = w \odot (P - \mathrm{onehot}(y)), \qquad
    \frac{\partial L}{\partial H} = \frac{\partial L}{\partial Z} W, \qquad
    \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial Z}\Big)^{\!\top} H, \qquad
    \frac{\partial L}{\partial b} = \mathbf{1}^\top \frac{\partial L}{\partial Z}

and :func:`softmax_cross_entropy` computes the loss and :math:`\partial L / \partial Z` together
in the logits' own dtype: a row maximum, one shifted copy exponentiated in place, its row sums
and one scaling pass, which *is* the gradient (the softmax never exists separately), and no
float64 copy of a ``(N, V)`` array. The loss itself is summed in float64.

References
----------
O. Press and L. Wolf, "Using the output embedding to improve language models", EACL 2017.

H. Inan, K. Khosravi and R. Socher, "Tying word vectors and word classifiers: a loss framework
for language modeling", ICLR 2017.
"""

from __future__ import annotations

import numpy as np

from .validation import NDArray

__all__ = ["softmax_cross_entropy", "output_logits", "output_logits_backward"]


def softmax_cross_entropy(
    logits: NDArray, targets: NDArray, weights: NDArray | None = None, *, gradient: bool = True
) -> tuple[float, NDArray | None]:
    r"""Weighted cross-entropy of ``softmax(logits)`` against class indices, and its gradient.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
        Float32 or float64; not modified.
    targets : ndarray of int, shape (N,)
        Class indices in ``[0, C)``.
    weights : ndarray, shape (N,), optional
        Non-negative row weights (all ones by default).
    gradient : bool, default True
        Also return the gradient (otherwise ``None``: one pass less).

    Returns
    -------
    total : float
        :math:`-\sum_n w_n \log \mathrm{softmax}(z_n)_{y_n}`, summed in float64.
    dlogits : ndarray, shape (N, C), logits' dtype, or None
        :math:`w_n (\mathrm{softmax}(z_n) - \mathrm{onehot}(y_n))`.

    Examples
    --------
    >>> z = np.log(np.array([[1.0, 3.0], [1.0, 1.0]]))      # softmax rows (.25, .75), (.5, .5)
    >>> total, dz = softmax_cross_entropy(z, np.array([1, 0]))
    >>> bool(np.isclose(total, -np.log(0.75) - np.log(0.5)))
    True
    >>> dz
    array([[ 0.25, -0.25],
           [-0.5 ,  0.5 ]])
    """
    N = logits.shape[0]
    rows = np.arange(N)
    shift = logits.max(axis=1, keepdims=True)  # (N, 1)
    E = np.subtract(logits, shift)  # (N, C) z - max, then exp(z - max)
    picked = E[rows, targets].astype(np.float64)  # (N,) z_y - max
    np.exp(E, out=E)
    sums = E.sum(axis=1, keepdims=True)  # (N, 1), >= 1
    log_z = np.log(sums[:, 0].astype(np.float64)) - picked  # (N,) -log p_y
    total = float(log_z.sum() if weights is None else (weights * log_z).sum())
    if not gradient:
        return total, None
    scale = 1.0 / sums if weights is None else weights[:, None].astype(E.dtype) / sums
    E *= scale.astype(E.dtype, copy=False)  # softmax, weighted
    E[rows, targets] -= np.ones(N, E.dtype) if weights is None else weights.astype(E.dtype)
    return total, E


def output_logits(H: NDArray, W: NDArray, b: NDArray | None = None) -> NDArray:
    """``Z = H W^T + b`` for ``H`` ``(N, K)``, ``W`` ``(V, K)``, ``b`` ``(V,)``: one GEMM.

    Examples
    --------
    >>> output_logits(np.ones((2, 3)), np.arange(6.0).reshape(2, 3), np.array([0.0, 1.0]))
    array([[ 3., 13.],
           [ 3., 13.]])
    """
    Z = H @ W.T  # (N, V)
    if b is not None:
        Z += b
    return Z


def output_logits_backward(
    dZ: NDArray, H: NDArray, W: NDArray, bias: bool = True
) -> tuple[NDArray, NDArray, NDArray | None]:
    """Gradients of :func:`output_logits`: ``(dH, dW, db)`` (``db`` None without bias).

    Examples
    --------
    >>> dH, dW, db = output_logits_backward(np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 3)))
    >>> dH.shape, dW.shape, db
    ((2, 3), (2, 3), array([2., 2.]))
    """
    dH = dZ @ W  # (N, K)
    dW = dZ.T @ H  # (V, K)
    db = dZ.sum(axis=0) if bias else None
    return dH, dW, db
