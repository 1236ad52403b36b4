"""Metrics to watch during training: averages over the same selected elements as the losses.

A metric is called as ``metric(Y, target, mask=None, lengths=None) -> float`` with the same
targets, ``mask`` and ``lengths`` conventions as the losses (see
:mod:`recurrent_zoo.training.losses`): per-step or last-step targets, steps weighted by ``mask``
and cut at ``lengths``.

=====================  =========================================================================
name                   value
=====================  =========================================================================
``"mse"``              mean squared error
``"mae"``              mean absolute error
``"accuracy"``         fraction of steps whose ``argmax`` over classes is the target class
                       (integer class targets, or the ``argmax`` of probability targets)
``"binary_accuracy"``  fraction of outputs on the right side of ``threshold`` (0 for logits),
                       a target counting as 1 when it is above 0.5
=====================  =========================================================================
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from .._core.validation import NDArray
from .losses import check_outputs, expand_class_targets, expand_real_targets

__all__ = [
    "Metric",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Accuracy",
    "BinaryAccuracy",
    "METRICS",
    "get_metric",
]


class Metric(abc.ABC):
    """Base class of metrics: ``metric(Y, target, mask=None, lengths=None) -> float``.

    Like a :class:`~recurrent_zoo.training.losses.Loss`, a metric provides :meth:`expand` and
    :meth:`weighted_sum` (here ``(sum, count)``), so that
    :func:`~recurrent_zoo.training.fit` can accumulate it over minibatches.
    """

    #: key of the metric in the training history
    name: str = ""

    def __call__(self, Y: Any, target: Any, mask: Any = None, lengths: Any = None) -> float:
        """The metric over the elements that ``mask`` and ``lengths`` select."""
        Y = check_outputs(Y)
        target, weights = self.expand(Y.shape, target, mask, lengths)
        total, count = self.weighted_sum(Y, target, weights)
        return total / count

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
    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        """``(weighted sum of the per-element values, element count)``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _RealMetric(Metric):
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


class MeanSquaredError(_RealMetric):
    """Mean squared error over the selected elements.

    Examples
    --------
    >>> import numpy as np
    >>> MeanSquaredError()(np.zeros((2, 1, 1)), np.array([[[1.0]], [[3.0]]]), mask=[[1], [0]])
    1.0
    """

    name = "mse"

    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        diff = Y.astype(np.float64, copy=False) - target
        total = float((weights[:, :, None] * diff * diff).sum())
        return total, float(weights.sum()) * Y.shape[2]


class MeanAbsoluteError(_RealMetric):
    """Mean absolute error over the selected elements.

    Examples
    --------
    >>> import numpy as np
    >>> MeanAbsoluteError()(np.zeros((2, 1, 1)), np.array([[1.0], ]))   # last-step target
    1.0
    """

    name = "mae"

    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        diff = np.abs(Y.astype(np.float64, copy=False) - target)
        return float((weights[:, :, None] * diff).sum()), float(weights.sum()) * Y.shape[2]


class Accuracy(Metric):
    """Fraction of selected steps whose predicted class (``argmax`` of ``Y``) is right.

    Targets are integer class indices (``(T, B)`` or last-step ``(B,)``) or class
    probabilities (``(T, B, C)``, ``(B, C)``; the target class is their ``argmax``).

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.array([[[2.0, 1.0], [0.0, 3.0]]])     # (T=1, B=2, C=2)
    >>> Accuracy()(Y, np.array([[0, 0]]))
    0.5
    >>> Accuracy()(Y, np.array([0, 1]))             # last-step targets (B,)
    1.0
    """

    name = "accuracy"

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

    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        classes = target if target.ndim == 2 else target.argmax(axis=2)  # (T, B)
        correct = Y.argmax(axis=2) == classes
        return float((weights * correct).sum()), float(weights.sum())


class BinaryAccuracy(Metric):
    """Fraction of selected outputs on the target's side of ``threshold``.

    Parameters
    ----------
    threshold : float, default 0.0
        Decision threshold on ``Y``: 0 for logits (what
        :class:`~recurrent_zoo.training.losses.BinaryCrossEntropy` takes), 0.5 for
        probabilities. A target counts as positive when it is above 0.5.

    Examples
    --------
    >>> import numpy as np
    >>> BinaryAccuracy()(np.array([[[2.0], [-1.0]]]), np.array([[[1.0], [1.0]]]))
    0.5
    """

    name = "binary_accuracy"

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = float(threshold)

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

    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        correct = (Y > self.threshold) == (target > 0.5)  # (T, B, O)
        return float((weights[:, :, None] * correct).sum()), float(weights.sum()) * Y.shape[2]

    def __repr__(self) -> str:
        return f"BinaryAccuracy(threshold={self.threshold!r})"


#: the metrics :func:`get_metric` knows, by name
METRICS: dict[str, type[Metric]] = {
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "accuracy": Accuracy,
    "binary_accuracy": BinaryAccuracy,
}


def get_metric(metric: str | Metric) -> Metric:
    """Return a :class:`Metric` from its name (see :data:`METRICS`) or an instance, as is.

    Examples
    --------
    >>> get_metric("accuracy")
    Accuracy()
    >>> get_metric("f1")
    Traceback (most recent call last):
    ...
    ValueError: metrics must hold Metric objects or names among 'mse', ...; got 'f1'
    """
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str) and metric.lower() in METRICS:
        return METRICS[metric.lower()]()
    choices = ", ".join(repr(k) for k in METRICS)
    raise ValueError(f"metrics must hold Metric objects or names among {choices}; got {metric!r}")
