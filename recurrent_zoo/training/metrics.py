r"""Metrics to watch during training: averages over the same selected elements as the losses.

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
``"perplexity"``       :math:`\exp` of the mean cross-entropy (nats) of softmax(logits) against
                       integer class targets: a language model's per-word score
``"bits_per_char"``    the mean cross-entropy in bits (:math:`\log_2`): a character-level
                       language model's score
=====================  =========================================================================

A metric averages a per-element value over the selected elements and may then transform the
mean (:meth:`Metric.finalize`): perplexity is the exponential of a mean, not a mean of
exponentials, whatever the minibatches.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from .._core.softmax_output import softmax_cross_entropy
from .._core.validation import NDArray
from .losses import check_outputs, expand_class_targets, expand_real_targets

__all__ = [
    "Metric",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Accuracy",
    "BinaryAccuracy",
    "Perplexity",
    "BitsPerCharacter",
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
        return self.finalize(total / count)

    def finalize(self, mean: float) -> float:
        """The metric from the mean of its per-element values (the mean itself by default)."""
        return float(mean)

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


class _CrossEntropyMetric(Metric):
    """Mean cross-entropy of softmax(logits) against integer class targets, in nats."""

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        target, weights = expand_class_targets(
            shape, target, mask, lengths, target_name=target_name
        )
        if target.ndim != 2:
            raise TypeError(f"{self.name} needs integer class targets; got class probabilities")
        return target, weights

    def weighted_sum(self, Y: NDArray, target: NDArray, weights: NDArray) -> tuple[float, float]:
        T, B, C = Y.shape
        # the softmax in the logits' dtype (float32 logits stay float32), summed in float64
        total, _ = softmax_cross_entropy(
            Y.reshape(T * B, C), target.reshape(-1), weights.reshape(-1), gradient=False
        )
        return total, float(weights.sum())


class Perplexity(_CrossEntropyMetric):
    r"""Perplexity, :math:`\exp\big(-\frac{1}{N}\sum_n \log p(y_n)\big)`, of softmax(logits).

    The score of word-level language models: the geometric mean of the inverse probabilities
    given to the right tokens (a uniform guess over ``V`` words scores ``V``).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.zeros((3, 2, 10))                 # uniform over 10 classes
    >>> float(np.round(Perplexity()(logits, np.zeros((3, 2), dtype=int)), 6))
    10.0
    """

    name = "perplexity"

    def finalize(self, mean: float) -> float:
        return float(np.exp(mean))


class BitsPerCharacter(_CrossEntropyMetric):
    r"""Mean cross-entropy in bits, :math:`-\frac{1}{N}\sum_n \log_2 p(y_n)`.

    The score of character-level language models (a uniform guess over ``V`` characters scores
    :math:`\log_2 V`).

    Examples
    --------
    >>> import numpy as np
    >>> float(np.round(BitsPerCharacter()(np.zeros((3, 2, 8)), np.zeros((3, 2), dtype=int)), 6))
    3.0
    """

    name = "bits_per_char"

    def finalize(self, mean: float) -> float:
        return float(mean / np.log(2.0))


#: the metrics :func:`get_metric` knows, by name
METRICS: dict[str, type[Metric]] = {
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "accuracy": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "perplexity": Perplexity,
    "bits_per_char": BitsPerCharacter,
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
