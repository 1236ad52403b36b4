r"""Frame encoders for image sequences: a shared per-patch filter bank read out as keypoints.

:class:`PatchKeypoints` turns each frame of a video into a few numbers per channel: *where* a
pattern is and *how strongly* it is there. The same small filter bank (one linear filter of
``kernel_shape`` pixels per channel, weights tied across positions: a valid convolution with
``stride``) scores every patch :math:`x_p` of the frame,

.. math::

    a_{pc} = w_c^\top x_p + b_c,

and each channel's scores over the :math:`P` positions are read out by a spatial softmax
(the "spatial soft-argmax" keypoints of Levine, Finn, Darrell & Abbeel 2016 and Finn et al.
2016): the expected row and column of the patch under :math:`s_{pc} = \operatorname{softmax}_p
a_{pc}`, and the channel's presence, the log-mean-exp of its scores,

.. math::

    m_c = \log \tfrac{1}{P} \textstyle\sum_p e^{a_{pc}}, \qquad
    \bar r_c = \textstyle\sum_p s_{pc}\, r_p, \qquad
    \bar c_c = \textstyle\sum_p s_{pc}\, c_p,

with the patch coordinates :math:`r_p, c_p` scaled to :math:`[-1, 1]`. With ``hidden=H`` the
scores come from a small two-layer net applied to every patch (the same net everywhere, a
convolution followed by a :math:`1 \times 1` one):

.. math::

    h_p = \tanh(U x_p + d), \qquad a_{pc} = w_c^\top h_p + b_c,

so a channel can respond to a shape that no single linear filter separates from the others
(a handwritten digit's class, across writers). The output of a frame is
:math:`(m_1..m_C, \bar r_1..\bar r_C, \bar c_1..\bar c_C)`, ``3 * channels`` numbers. With
``glimpse=True`` each channel also reports *what* is at its keypoint, the pixels of the patch
under its spatial softmax,

.. math::

    g_c = \textstyle\sum_p s_{pc}\, x_p \qquad (k = k_h k_w \text{ numbers}),

a soft crop of the frame around the pattern the channel found, read by the layers above (a
glimpse, as in attention models of vision): a channel then only has to *find* a digit, and
the layers above can name it from its pixels, where the presence :math:`m_c` alone asks one
linear filter per channel to tell the digits apart (the output grows to ``(3 + k) *
channels``). A channel
that learns to respond to one pattern (one digit's shape) reports where that pattern is,
whatever else is in the frame: a recurrent net on top sees each pattern's track and presence,
so it can tell which pattern moved which way. Weight tying makes the filter the same wherever
the pattern appears, so it is learnt from every position at once (a fully connected layer on
the pixels has to learn each pattern at each position separately, and overfits).

Backward: with :math:`g^m, g^r, g^c` the gradients of the three outputs of a channel,

.. math::

    \frac{\partial L}{\partial a_{pc}} = s_{pc}\bigl(g^m_c + g^r_c (r_p - \bar r_c)
    + g^c_c (c_p - \bar c_c) + (g^g_c)^\top (x_p - g_c)\bigr),

(the last term with glimpses, :math:`g^g_c` the gradient of :math:`g_c`; the glimpses also
pass :math:`s_{pc}\, g^g_c` straight to the pixels of patch :math:`p`), then the usual
gradients of a linear map (and, with ``hidden``, of the tanh layer under it), the input
gradient scattered back from the patches onto the pixels (each pixel is in several patches).

A detector. When the positions of known classes of objects are given for training frames,
the filter bank can be trained directly as a detector, one channel per class:
:meth:`PatchKeypoints.score_maps` gives the scores :math:`a_{pc}` before the readout (and
:meth:`PatchKeypoints.score_maps_backward` their backward), and
:func:`keypoint_detection_loss` asks each present class's spatial softmax to put its mass on
the class's position and a softmax over the channels' presences to name the classes in the
frame. Its keypoints then bind each class (the channel) to its position by construction; the
layers above, trained afterwards, read *which* classes are there from the presences and
*where* from the rows and columns.

References
----------
S. Levine, C. Finn, T. Darrell and P. Abbeel, "End-to-end training of deep visuomotor
policies", JMLR 17(39), 2016 (the spatial soft-argmax). C. Finn, X. Y. Tan, Y. Duan,
T. Darrell, S. Levine and P. Abbeel, "Deep spatial autoencoders for visuomotor learning", ICRA
2016.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import SequenceModel, State
from .init import make_rng, uniform
from .ops import log_softmax
from .sequence import length_mask
from .validation import (
    NDArray,
    check_array,
    check_positive_int,
    check_probability,
    check_sequence,
)

__all__ = ["PatchKeypoints", "keypoint_detection_loss"]


def _pair(value: Any, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a pair of positive ints (rows, columns); got {value!r}")
    return (check_positive_int(value[0], name), check_positive_int(value[1], name))


def _coordinates(n: int, dtype: Any) -> NDArray:
    return np.linspace(-1.0, 1.0, n).astype(dtype) if n > 1 else np.zeros(1, dtype=dtype)


class PatchKeypoints(SequenceModel):
    r"""A shared per-patch filter bank with a spatial-softmax readout, at every time step.

    See the module docstring for the equations. The input of a time step is one frame,
    flattened row-major: ``input_size = rows * columns`` of ``image_shape``.

    Parameters
    ----------
    image_shape : (int, int)
        Rows and columns of a frame.
    kernel_shape : (int, int)
        Rows and columns of a patch (at most ``image_shape``).
    channels : int
        Filters; the output has ``3 * channels`` numbers per frame (presences, rows, columns).
    hidden : int, optional
        Units of a tanh layer applied to every patch under the channels' scores (parameters
        ``weight_in (hidden, k)`` and ``bias_in``; then ``weight`` is ``(channels, hidden)``).
        By default the scores are linear in the patch (``weight`` is ``(channels, k)``).
    stride : int, default 1
        Step between patches, in pixels, along both axes.
    glimpse : bool, default False
        Also output, for each channel, the ``kh * kw`` pixels of the patch under its spatial
        softmax (after the ``3 * channels`` keypoint numbers, channel by channel).
    seed : int or numpy.random.Generator, optional
        Each layer's weights drawn from U(-1/sqrt(n), 1/sqrt(n)), n its inputs (k, the pixels
        of a patch, or ``hidden``).
    dtype : {np.float64, np.float32}

    Examples
    --------
    >>> m = PatchKeypoints((6, 6), (3, 3), 2, seed=0)
    >>> frame = np.zeros((6, 6)); frame[3:6, 0:3] = 1.0  # a block in the bottom-left corner
    >>> m.params["weight"][0] = 1.0                      # channel 0: the sum of a patch
    >>> Y, _ = m.forward(frame.reshape(1, 1, 36) * 20)
    >>> Y.shape, np.round(Y[0, 0, [2, 4]], 2)            # channel 0's row and column
    ((1, 1, 6), array([ 1., -1.]))
    """

    def __init__(
        self,
        image_shape: Any,
        kernel_shape: Any,
        channels: int,
        *,
        hidden: int | None = None,
        stride: int = 1,
        glimpse: bool = False,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        H, W = _pair(image_shape, "image_shape")
        kh, kw = _pair(kernel_shape, "kernel_shape")
        if kh > H or kw > W:
            raise ValueError(f"kernel_shape must fit in image_shape {(H, W)}; got {(kh, kw)}")
        super().__init__(H * W, dtype=dtype)
        self.image_shape = (H, W)
        self.kernel_shape = (kh, kw)
        self.channels = check_positive_int(channels, "channels")
        self.hidden = None if hidden is None else check_positive_int(hidden, "hidden")
        self.stride = check_positive_int(stride, "stride")
        if not isinstance(glimpse, (bool, np.bool_)):
            raise TypeError(f"glimpse must be a bool; got {glimpse!r}")
        self.glimpse = bool(glimpse)
        self.grid = ((H - kh) // self.stride + 1, (W - kw) // self.stride + 1)
        self.output_size = (3 + (kh * kw if self.glimpse else 0)) * self.channels
        rng = make_rng(seed)
        fan_in = kh * kw
        if self.hidden is not None:
            bound = 1.0 / np.sqrt(fan_in)
            self.params["weight_in"] = uniform((self.hidden, fan_in), bound, rng, self.dtype)
            self.params["bias_in"] = uniform((self.hidden,), bound, rng, self.dtype)
            fan_in = self.hidden
        bound = 1.0 / np.sqrt(fan_in)
        self.params["weight"] = uniform((self.channels, fan_in), bound, rng, self.dtype)
        self.params["bias"] = uniform((self.channels,), bound, rng, self.dtype)
        gh, gw = self.grid
        # the coordinates of each patch position, row-major over the grid, in [-1, 1]
        self._rows = np.repeat(_coordinates(gh, self.dtype), gw)  # (P,)
        self._cols = np.tile(_coordinates(gw, self.dtype), gh)  # (P,)

    def initial_state(self, batch_size: int) -> State:
        return None

    def _patches(self, X: NDArray) -> NDArray:
        """``(T * B * P, kh * kw)``: every patch of every frame, row-major over the grid."""
        (H, W), (kh, kw), s = self.image_shape, self.kernel_shape, self.stride
        frames = X.reshape(-1, H, W)
        windows = np.lib.stride_tricks.sliding_window_view(frames, (kh, kw), axis=(1, 2))
        return windows[:, ::s, ::s].reshape(-1, kh * kw)

    def _scores(self, X: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """``(patches (N * P, k), units, A (N, P, C))``: every patch and its channel scores."""
        N, P, C = X.shape[0] * X.shape[1], self._rows.size, self.channels
        patches = self._patches(X)  # (N * P, k)
        units = patches
        if self.hidden is not None:  # (N * P, hidden)
            units = np.tanh(patches @ self.params["weight_in"].T + self.params["bias_in"])
        A = (units @ self.params["weight"].T + self.params["bias"]).reshape(N, P, C)
        return patches, units, A

    def _scores_backward(
        self, dA: NDArray, patches: NDArray, units: NDArray, N: int, dpatch_extra: Any = None
    ) -> NDArray:
        """Set ``grads`` from ``dA`` ``(N * P, C)``; the pixels' gradient ``(N, H, W)``
        (``dpatch_extra`` ``(k, N * P)``: a gradient reaching the patches' pixels directly)."""
        self.grads = {"weight": dA.T @ units, "bias": dA.sum(axis=0)}
        weight, dA_T = self.params["weight"], dA.T  # the layer on the pixels and its dA
        if self.hidden is not None:
            dpre = (dA @ weight) * (1.0 - units * units)  # (N * P, hidden) through the tanh
            self.grads["weight_in"] = dpre.T @ patches
            self.grads["bias_in"] = dpre.sum(axis=0)
            weight, dA_T = self.params["weight_in"], dpre.T
        (H, W), (kh, kw), s = self.image_shape, self.kernel_shape, self.stride
        gh, gw = self.grid
        # (k, N, gh, gw): the gradient of each patch pixel, one contiguous block per offset
        dpatch = weight.T @ dA_T  # (k, N * P)
        if dpatch_extra is not None:
            dpatch = dpatch + dpatch_extra
        dpatch = dpatch.reshape(kh, kw, N, gh, gw)
        dframes = np.zeros((N, H, W), dtype=self.dtype)
        for i in range(kh):  # each pixel collects the gradient of every patch it is in
            for j in range(kw):
                rows, cols = slice(i, i + s * (gh - 1) + 1, s), slice(j, j + s * (gw - 1) + 1, s)
                dframes[:, rows, cols] += dpatch[i, j]
        return dframes

    def score_maps(self, X: Any) -> NDArray:
        """The channels' scores :math:`a_{pc}` at every patch position, before the readout.

        For training the filter bank directly on where things are (a detector: see
        :func:`keypoint_detection_loss`); :meth:`score_maps_backward` backpropagates a
        gradient of these scores. The keypoint outputs of :meth:`forward` are read from them.

        Parameters
        ----------
        X : array_like, shape (T, B, rows * columns)

        Returns
        -------
        ndarray, shape (T, B, grid rows, grid columns, channels)
            ``grid`` is ``((rows - kh) // stride + 1, (columns - kw) // stride + 1)``; position
            ``(i, j)`` is the patch whose top-left pixel is ``(i * stride, j * stride)``.

        Examples
        --------
        >>> m = PatchKeypoints((6, 6), (3, 3), 2, stride=3, seed=0)
        >>> m.score_maps(np.zeros((4, 1, 36))).shape
        (4, 1, 2, 2, 2)
        """
        X = check_sequence(X, "X", input_size=self.input_size, dtype=self.dtype)
        T, B, _ = X.shape
        patches, units, A = self._scores(X)
        self._score_cache = (X.shape, patches, units)
        return A.reshape(T, B, *self.grid, self.channels)

    def score_maps_backward(self, dA: Any) -> NDArray:
        """Backpropagate a gradient of the last :meth:`score_maps`: sets ``grads``.

        Parameters
        ----------
        dA : array_like, shape (T, B, grid rows, grid columns, channels)

        Returns
        -------
        dX : ndarray, shape (T, B, rows * columns)
        """
        cache = getattr(self, "_score_cache", None)
        if cache is None:
            raise RuntimeError("score_maps_backward() needs a score_maps() first")
        shape, patches, units = cache
        T, B, _ = shape
        want = (T, B, *self.grid, self.channels)
        dA = check_array(dA, "dA", shape=want, dtype=self.dtype, shape_doc=f"{want}")
        dframes = self._scores_backward(dA.reshape(-1, self.channels), patches, units, T * B)
        return dframes.reshape(T, B, self.input_size)

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, _ = X.shape
        N, P = T * B, self._rows.size
        patches, units, A = self._scores(X)  # (N * P, k), ., (N, P, C)
        top = A.max(axis=1, keepdims=True)  # (N, 1, C)
        E = np.exp(A - top)
        Z = E.sum(axis=1, keepdims=True)
        S = E / Z  # (N, P, C) spatial softmax of each channel
        presence = (top + np.log(Z))[:, 0] - float(np.log(P))  # (N, C)
        row = np.einsum("npc,p->nc", S, self._rows)  # (N, C)
        col = np.einsum("npc,p->nc", S, self._cols)
        parts = [presence, row, col]
        if self.glimpse:  # (N, C, k): each channel's patch under its spatial softmax
            parts.append((S.transpose(0, 2, 1) @ patches.reshape(N, P, -1)).reshape(N, -1))
        Y = np.concatenate(parts, axis=1).reshape(T, B, self.output_size)
        mask = length_mask(lengths, T, self.dtype)
        if mask is not None:
            Y = Y * mask
        self._cache = (X.shape, patches, units, S, row, col, mask)
        return Y, None

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        shape, patches, units, S, row, col, mask = self._cache
        T, B, _ = shape
        N, P, C = T * B, self._rows.size, self.channels
        if mask is not None:
            dY = dY * mask
        dY = dY.reshape(N, -1)
        g = dY[:, : 3 * C].reshape(N, 3, C)
        dA = S * (
            g[:, None, 0]
            + g[:, None, 1] * (self._rows[None, :, None] - row[:, None])
            + g[:, None, 2] * (self._cols[None, :, None] - col[:, None])
        )  # (N, P, C)
        dglimpse = None
        if self.glimpse:  # through the softmax's Jacobian: s_pc (dg_c . (x_p - g_c))
            k = patches.shape[1]
            dglimpse = dY[:, 3 * C :].reshape(N, C, k)
            dS = patches.reshape(N, P, k) @ dglimpse.transpose(0, 2, 1)  # (N, P, C)
            dA = dA + S * (dS - (S * dS).sum(axis=1, keepdims=True))
        dA = dA.reshape(N * P, C)
        extra = None
        if dglimpse is not None:  # the glimpses read the pixels directly
            extra = (S @ dglimpse).reshape(N * P, -1).T
        dframes = self._scores_backward(dA, patches, units, N, extra)
        H, W = self.image_shape
        return dframes.reshape(T, B, H * W), None


def keypoint_detection_loss(
    scores: Any, where: Any, present: Any, *, presence_weight: float = 1.0
) -> tuple[float, NDArray]:
    r"""Train a :class:`PatchKeypoints` as a detector: *where* each class is, and *whether*.

    Channel :math:`k` of the score maps (:meth:`PatchKeypoints.score_maps`) stands for class
    :math:`k` (the first ``K`` channels; any further channels are left out of the loss). For a
    frame holding the classes :math:`\mathcal{K}` (``present``), at the grid positions
    :math:`p^*_k` (``where``), the loss is the cross-entropy of each present channel's spatial
    softmax against its class's position (localisation), plus ``presence_weight`` times the
    cross-entropy of a softmax over the channels' presences :math:`\lambda_k =
    \log\sum_p e^{a_{pk}}` (the readout's :math:`m_k` up to a constant) against :math:`1 /
    |\mathcal{K}|` on each present class (naming):

    .. math::

        L = \frac{1}{|\mathcal{K}|} \sum_{k \in \mathcal{K}} -\log s_{p^*_k k}
            \;-\; w \sum_{k < K} y_k \log q_k, \qquad
        s_{pk} = \operatorname{softmax}_p a_{pk},\quad
        q_k = \operatorname{softmax}_k \lambda_k,\quad y_k = \frac{[k \in \mathcal{K}]}
        {|\mathcal{K}|},

    averaged over the frames. Its gradient is :math:`\partial L / \partial a_{pk} =
    \frac{[k \in \mathcal{K}]}{|\mathcal{K}|}(s_{pk} - [p = p^*_k]) + w\,(q_k - y_k)\, s_{pk}`
    (over the number of frames), computed in float64 and returned in the scores' dtype.

    Parameters
    ----------
    scores : array_like, shape (..., grid rows, grid columns, C)
        Score maps, e.g. ``PatchKeypoints.score_maps(X)`` of shape ``(T, B, gh, gw, C)``.
    where : array_like of int, shape (..., K, 2)
        Each class's (row, column) on the grid (the patch that holds it; ignored where the
        class is absent), ``K <= C``.
    present : array_like of bool or 0/1, shape (..., K)
        Which classes each frame holds (at least one per frame).
    presence_weight : float, default 1.0
        :math:`w`, the weight of the naming term.

    Returns
    -------
    value : float
    dscores : ndarray, the shape and dtype of ``scores``

    Examples
    --------
    >>> A = np.zeros((1, 3, 3, 2)); A[0, 2, 1, 0] = 5.0   # channel 0 peaks at (2, 1)
    >>> good, _ = keypoint_detection_loss(A, [[[2, 1], [0, 0]]], [[1, 0]])
    >>> bad, dA = keypoint_detection_loss(A, [[[0, 0], [0, 0]]], [[1, 0]])
    >>> bool(good < bad), dA.shape
    (True, (1, 3, 3, 2))
    """
    A = check_array(scores, "scores", finite=True)
    if A.dtype.kind != "f" or A.ndim < 3:
        raise ValueError(
            f"scores must be a float array of shape (..., grid rows, grid columns, C); got "
            f"dtype {A.dtype}, shape {A.shape}"
        )
    lead, (gh, gw, C) = A.shape[:-3], A.shape[-3:]
    Wh = np.asarray(where)
    if Wh.dtype.kind not in "iu" or Wh.ndim != len(lead) + 2 or Wh.shape[-1] != 2:
        raise ValueError(
            f"where must be an int array of shape {(*lead, 'K', 2)} (each class's grid row and "
            f"column); got dtype {Wh.dtype}, shape {Wh.shape}"
        )
    K = Wh.shape[-2]
    if Wh.shape[:-2] != lead or K > C:
        raise ValueError(
            f"where must have shape {(*lead, 'K', 2)} with K <= {C} channels; got {Wh.shape}"
        )
    doc = f"{(*lead, K)}"
    on = check_array(present, "present", shape=(*lead, K), shape_doc=doc) > 0
    w = check_probability(presence_weight, "presence_weight", high=np.inf, closed="left")
    N, P = int(np.prod(lead, dtype=np.int64)), gh * gw
    on = on.reshape(N, K)
    Wh = Wh.reshape(N, K, 2)
    count = on.sum(axis=1)  # (N,)
    if not count.all():
        raise ValueError("present must mark at least one class in every frame")
    inside = (Wh[..., 0] >= 0) & (Wh[..., 0] < gh) & (Wh[..., 1] >= 0) & (Wh[..., 1] < gw)
    if not inside[on].all():
        raise ValueError(f"where must be inside the {gh} x {gw} grid for every present class")
    a = A.reshape(N, P, C)[:, :, :K].astype(np.float64)  # (N, P, K)
    log_S = log_softmax(a, axis=1)  # (N, P, K) each channel's spatial log-softmax
    S = np.exp(log_S)
    lam = (a - log_S)[:, 0]  # (N, K) log-sum-exp over positions (any position gives it)
    log_q = log_softmax(lam, axis=1)  # (N, K) log-softmax over the presences
    q = np.exp(log_q)
    y = on / count[:, None]  # (N, K)
    target = np.where(on, Wh[..., 0] * gw + Wh[..., 1], 0)  # (N, K) the flat grid position
    n, k = np.arange(N)[:, None], np.arange(K)[None, :]
    value = -(y * log_S[n, target, k]).sum() - w * (y * log_q).sum()
    dA = y[:, None, :] * S + w * (q - y)[:, None, :] * S  # (N, P, K)
    dA[n, target, k] -= y
    full = np.zeros((N, P, C))
    full[:, :, :K] = dA / N
    return float(value) / N, full.reshape(A.shape).astype(A.dtype, copy=False)
