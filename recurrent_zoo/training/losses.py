r"""Loss functions for sequence models: each returns its value and its gradient.

A loss is called as ``loss(Y, target, mask=None, lengths=None)`` on a model's time-major output
``Y`` of shape ``(T, B, O)`` and returns ``(value, dY)``: the mean of the per-element losses over
the selected elements (PyTorch's ``reduction="mean"``) and its gradient with respect to ``Y``,
an array shaped like ``Y`` that is zero wherever nothing is selected. That gradient is what
:meth:`~recurrent_zoo.SequenceModel.backward` takes.

Which elements count
--------------------
*Per-step targets* have one target per step (``(T, B, O)`` for :class:`MSE` and
:class:`BinaryCrossEntropy`, ``(T, B)`` class indices or ``(T, B, C)`` probabilities for
:class:`SoftmaxCrossEntropy`). Every step counts, except that ``mask`` (``(T, B)``, non-negative
weights, usually 0/1) weights step ``t`` of sequence ``b`` by ``mask[t, b]``, and ``lengths``
drops the padding after each sequence's end. With weights :math:`w_{tb}` and per-element losses
:math:`\ell_{tbo}`, a loss over ``O`` output units is

.. math::

    L = \frac{\sum_{t,b} w_{tb} \sum_o \ell_{tbo}}{O \sum_{t,b} w_{tb}}

(for the cross-entropy, one element per step: drop the :math:`\sum_o` and the :math:`O`).

*Last-step targets* have one target per sequence (``(B, O)``, or ``(B,)`` class indices,
``(B, C)`` probabilities): they are compared with the output at each sequence's last step,
``t = lengths[b] - 1`` (``T - 1`` without ``lengths``). A mask cannot be combined with them.

The per-element losses, on outputs :math:`y` and targets :math:`\hat y`:

.. math::

    \text{MSE:}\quad & \ell = (y - \hat y)^2,
        \qquad \partial \ell / \partial y = 2 (y - \hat y) \\
    \text{softmax cross-entropy:}\quad & \ell = -\sum_c \hat y_c \log \mathrm{softmax}(y)_c,
        \qquad \partial \ell / \partial y = \mathrm{softmax}(y) \textstyle\sum_c \hat y_c
        - \hat y \\
    \text{binary cross-entropy:}\quad & \ell = \max(y, 0) - y \hat y + \log(1 + e^{-|y|}),
        \qquad \partial \ell / \partial y = \sigma(y) - \hat y

with class-index targets one-hot encoded, and :math:`y` the *logits* for both cross-entropies
(as :class:`torch.nn.CrossEntropyLoss` and :class:`torch.nn.BCEWithLogitsLoss` take them).
Values are computed in float64; ``dY`` has ``Y``'s dtype.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from .._core.ops import log_softmax, sigmoid
from .._core.validation import NDArray, check_array, check_lengths

__all__ = [
    "Loss",
    "MSE",
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropy",
    "LOSSES",
    "get_loss",
]


# ----------------------------------------------------------------------------- shared plumbing
def check_outputs(Y: Any, name: str = "Y") -> NDArray:
    """Validate a model's output: a finite float array of shape ``(T, B, O)``."""
    Y = check_array(Y, name, ndim=3, shape_doc="(T, B, O)")
    if Y.dtype.kind != "f":
        Y = Y.astype(np.float64)
    return Y


def step_weights(
    shape: tuple[int, ...],
    mask: Any,
    lengths: Any,
    last_step: bool,
    *,
    target_name: str = "target",
) -> tuple[NDArray, NDArray | None]:
    """The ``(T, B)`` float64 weights that select steps, and the last step of each sequence.

    Returns ``(weights, last)`` where ``last`` is the ``(B,)`` index of each sequence's last step
    when ``last_step`` is true (and ``None`` otherwise).
    """
    T, B = shape[0], shape[1]
    lengths = check_lengths(lengths, T, B)
    if last_step:
        if mask is not None:
            raise ValueError(
                f"mask cannot be combined with last-step targets ({target_name} of shape (B, ...) "
                "is compared with each sequence's last step); give per-step targets of shape "
                "(T, B, ...) to use a mask"
            )
        last = np.full(B, T - 1, dtype=np.int64) if lengths is None else lengths - 1
        weights = np.zeros((T, B))
        weights[last, np.arange(B)] = 1.0
        return weights, last
    weights = np.ones((T, B))
    if mask is not None:
        m = check_array(mask, "mask", shape=(T, B), dtype=np.float64, shape_doc=f"(T={T}, B={B})")
        if (m < 0).any():
            raise ValueError(f"mask must hold non-negative weights; got min {m.min()}")
        weights = weights * m
    if lengths is not None:
        weights *= np.arange(T)[:, None] < lengths[None, :]
    return weights, None


def _at_last_step(target: NDArray, last: NDArray, T: int) -> NDArray:
    """Place one target per sequence at that sequence's last step, zeros elsewhere."""
    B = target.shape[0]
    full = np.zeros((T,) + target.shape, dtype=target.dtype)
    full[last, np.arange(B)] = target
    return full


def expand_real_targets(
    shape: tuple[int, ...],
    target: Any,
    mask: Any,
    lengths: Any,
    *,
    target_name: str = "target",
    unit_interval: bool = False,
) -> tuple[NDArray, NDArray]:
    """Validate real targets (``(T, B, O)`` or last-step ``(B, O)``) and expand them per step.

    Returns ``(targets, weights)`` of shapes ``(T, B, O)`` and ``(T, B)``, float64.
    """
    T, B, O = shape
    doc = f"(T={T}, B={B}, O={O}) or last-step (B={B}, O={O})"
    arr = check_array(target, target_name, ndim=(2, 3), dtype=np.float64, shape_doc=doc)
    if arr.shape not in ((T, B, O), (B, O)):
        raise ValueError(f"{target_name} must have shape {doc}; got shape {arr.shape}")
    if unit_interval and ((arr < 0).any() or (arr > 1).any()):
        raise ValueError(f"{target_name} must lie in [0, 1]; got min {arr.min()}, max {arr.max()}")
    last_step = arr.ndim == 2
    weights, last = step_weights(shape, mask, lengths, last_step, target_name=target_name)
    if last is not None:
        arr = _at_last_step(arr, last, T)
    _check_selection(weights)
    return arr, weights


def expand_class_targets(
    shape: tuple[int, ...],
    target: Any,
    mask: Any,
    lengths: Any,
    *,
    target_name: str = "target",
) -> tuple[NDArray, NDArray]:
    """Validate class targets and expand them per step.

    Integer class indices (``(T, B)`` or last-step ``(B,)``, in ``[0, C)``) come back as an
    int64 ``(T, B)`` array; class probabilities (floats, ``(T, B, C)`` or last-step ``(B, C)``)
    as a float64 ``(T, B, C)`` array. The weights are ``(T, B)`` float64.
    """
    T, B, C = shape
    arr = np.asarray(target) if not isinstance(target, np.ndarray) else target
    if arr.dtype.kind in "iu":
        doc = f"(T={T}, B={B}) or last-step (B={B},) integer class indices"
        arr = check_array(arr, target_name, ndim=(1, 2), shape_doc=doc)
        if arr.shape not in ((T, B), (B,)):
            raise ValueError(f"{target_name} must have shape {doc}; got shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= C):
            raise ValueError(
                f"{target_name} must hold class indices in [0, C={C}); "
                f"got min {arr.min()}, max {arr.max()}"
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f":
        doc = f"(T={T}, B={B}, C={C}) or last-step (B={B}, C={C}) class probabilities"
        if arr.ndim in (1, 2) and arr.shape in ((T, B), (B,)) and arr.shape != (B, C):
            raise TypeError(
                f"{target_name} holds floats of shape {arr.shape}: class indices must have an "
                f"integer dtype (for example {target_name}.astype(int)); float targets are class "
                f"probabilities of shape (T, B, C) or (B, C)"
            )
        arr = check_array(arr, target_name, ndim=(2, 3), dtype=np.float64, shape_doc=doc)
        if arr.shape not in ((T, B, C), (B, C)):
            raise ValueError(f"{target_name} must have shape {doc}; got shape {arr.shape}")
        if (arr < 0).any():
            raise ValueError(
                f"{target_name} must hold non-negative class probabilities; got min {arr.min()}"
            )
    else:
        raise TypeError(
            f"{target_name} must hold integer class indices or float class probabilities; "
            f"got dtype {arr.dtype}"
        )
    last_step = arr.ndim == (1 if arr.dtype.kind in "iu" else 2)
    weights, last = step_weights(shape, mask, lengths, last_step, target_name=target_name)
    if last is not None:
        arr = _at_last_step(arr, last, T)
    _check_selection(weights)
    return arr, weights


def _check_selection(weights: NDArray) -> None:
    if not weights.sum() > 0:
        raise ValueError("mask and lengths select no step: at least one weight must be positive")


# ----------------------------------------------------------------------------- losses
class Loss(abc.ABC):
    """Base class of losses: ``loss(Y, target, mask=None, lengths=None) -> (value, dY)``.

    A loss provides :meth:`expand` (validate ``target``, ``mask`` and ``lengths`` and return
    per-step targets and ``(T, B)`` weights) and :meth:`weighted_sum` (the weighted sum of the
    per-element losses, its gradient and the number of elements it averages over).
    :func:`~recurrent_zoo.training.fit` uses those two so that it can validate the data once and
    then work on slices (minibatches and truncated-BPTT chunks).
    """

    #: short name used by :func:`get_loss` and in the training history
    name: str = ""
    #: True for a loss that scores each sequence as a whole (CTC): :func:`fit` then refuses
    #: truncated-BPTT chunks
    sequence_level: bool = False

    def __call__(
        self, Y: Any, target: Any, mask: Any = None, lengths: Any = None
    ) -> tuple[float, NDArray]:
        """Mean loss over the selected elements and its gradient with respect to ``Y``.

        Parameters
        ----------
        Y : array_like, shape (T, B, O)
            Model outputs.
        target : array_like
            Per-step or last-step targets; see the module docstring.
        mask : array_like, shape (T, B), optional
            Non-negative step weights (0/1 selects steps).
        lengths : array_like of int, shape (B,), optional
            Sequence lengths in ``[1, T]``; steps past a sequence's end do not count.

        Returns
        -------
        value : float
        dY : ndarray, same shape and dtype as ``Y``
        """
        Y = check_outputs(Y)
        target, weights = self.expand(Y.shape, target, mask, lengths)
        total, dY, count = self.weighted_sum(Y, target, weights)
        return total / count, (dY / count).astype(Y.dtype, copy=False)

    @abc.abstractmethod
    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        """Validate the targets for outputs of ``shape`` and return ``(targets, weights)``."""

    @abc.abstractmethod
    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        """``(sum of weighted losses, its float64 gradient w.r.t. Y, element count)``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error, as :class:`torch.nn.MSELoss` (``reduction="mean"``).

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.zeros((3, 2, 1))                       # (T, B, O)
    >>> value, dY = MSE()(Y, np.ones((3, 2, 1)))
    >>> value, float(dY[0, 0, 0])
    (1.0, -0.333...)
    >>> MSE()(Y, np.array([[2.0], [0.0]]), lengths=[3, 2])[0]   # last-step targets (B, O)
    2.0
    """

    name = "mse"

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        return expand_real_targets(shape, target, mask, lengths, target_name=target_name)

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        w = weights[:, :, None]  # (T, B, 1)
        diff = Y.astype(np.float64, copy=False) - target  # (T, B, O)
        wdiff = w * diff
        return float((wdiff * diff).sum()), 2.0 * wdiff, float(weights.sum()) * Y.shape[2]


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of softmax(logits), as :class:`torch.nn.CrossEntropyLoss`.

    Targets are integer class indices (``(T, B)`` per step, ``(B,)`` last step) or class
    probabilities (``(T, B, C)``, ``(B, C)``).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.zeros((2, 1, 4))                  # (T, B, C): uniform predictions
    >>> value, dY = SoftmaxCrossEntropy()(logits, np.array([[3], [0]]))
    >>> bool(np.isclose(value, np.log(4))), dY[0, 0]
    (True, array([ 0.125,  0.125,  0.125, -0.375]))
    """

    name = "cross_entropy"

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        return expand_class_targets(shape, target, mask, lengths, target_name=target_name)

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        logp = log_softmax(Y.astype(np.float64, copy=False), axis=2)  # (T, B, C)
        p = np.exp(logp)
        w = weights[:, :, None]  # (T, B, 1)
        if target.ndim == 2:  # class indices (T, B)
            picked = np.take_along_axis(logp, target[:, :, None], axis=2)  # (T, B, 1)
            total = -float((w * picked).sum())
            T, B = target.shape
            dY = p  # softmax minus the one-hot target
            dY[np.arange(T)[:, None], np.arange(B)[None, :], target] -= 1.0
            dY *= w
        else:  # class probabilities (T, B, C)
            total = -float((w * target * logp).sum())
            dY = w * (p * target.sum(axis=2, keepdims=True) - target)
        return total, dY, float(weights.sum())


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on logits, as :class:`torch.nn.BCEWithLogitsLoss`.

    Computed as ``max(y, 0) - y * t + log1p(exp(-|y|))``, which neither overflows nor loses
    precision for large logits. Targets lie in ``[0, 1]``, shaped like ``Y`` or ``(B, O)``.

    Examples
    --------
    >>> import numpy as np
    >>> value, dY = BinaryCrossEntropy()(np.zeros((1, 2, 1)), np.array([[[1.0], [0.0]]]))
    >>> bool(np.isclose(value, np.log(2))), dY[0, :, 0]
    (True, array([-0.25,  0.25]))
    """

    name = "bce"

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        return expand_real_targets(
            shape, target, mask, lengths, target_name=target_name, unit_interval=True
        )

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        z = Y.astype(np.float64, copy=False)  # (T, B, O) logits
        w = weights[:, :, None]
        per_element = np.maximum(z, 0.0) - z * target + np.log1p(np.exp(-np.abs(z)))
        total = float((w * per_element).sum())
        dY = w * (sigmoid(z) - target)
        return total, dY, float(weights.sum()) * Y.shape[2]


#: the losses :func:`get_loss` knows, by name (aliases included)
LOSSES: dict[str, type[Loss]] = {
    "mse": MSE,
    "cross_entropy": SoftmaxCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "bce": BinaryCrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
}


def get_loss(loss: str | Loss) -> Loss:
    """Return a :class:`Loss` from its name (see :data:`LOSSES`) or an instance, as is.

    Examples
    --------
    >>> get_loss("cross_entropy")
    SoftmaxCrossEntropy()
    >>> get_loss("hinge")
    Traceback (most recent call last):
    ...
    ValueError: loss must be a Loss or one of 'mse', 'cross_entropy', ...; got 'hinge'
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]()
    choices = ", ".join(repr(k) for k in LOSSES)
    raise ValueError(f"loss must be a Loss or one of {choices}; got {loss!r}")
