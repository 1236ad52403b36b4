r"""Learning-rate schedules: the factor that multiplies the base learning rate at each epoch.

A schedule is any callable ``schedule(epoch) -> factor`` (``epoch`` counting from 0);
:func:`~recurrent_zoo.training.fit` sets the optimizer's rate to ``lr * schedule(epoch)`` at the
start of every epoch and records it in the history under ``"lr"`` (the role of PyTorch's
``LambdaLR``). :class:`StepDecay` is the schedule the classic language models were trained
with: Zaremba, Sutskever & Vinyals (2014) keep the rate for the first epochs, then multiply it
by a constant factor at every later epoch,

.. math::

    \gamma_e = \gamma_0 \cdot \mathrm{factor}^{\max(0,\ e - \mathrm{after} + 1)}, \qquad
    e = 0, 1, 2, \ldots

(their small model: ``after=4, factor=0.5``, so epochs 1-4 at :math:`\gamma_0` and the rate
halved every epoch from the fifth on; medium: ``after=6, factor=1/1.2``; large: ``after=14,
factor=1/1.15``).
"""

from __future__ import annotations

from typing import Any

from .._core.validation import check_positive_int, check_real

__all__ = ["StepDecay"]


class StepDecay:
    """Keep the rate for ``after`` epochs, then multiply it by ``factor`` at every epoch.

    Parameters
    ----------
    after : int >= 0
        Number of epochs at the base rate.
    factor : float in (0, 1], default 0.5
        The per-epoch multiplier from epoch ``after`` (counting from 0) on.

    Examples
    --------
    >>> schedule = StepDecay(after=4, factor=0.5)        # Zaremba et al.'s small model
    >>> [schedule(epoch) for epoch in range(7)]
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.125]
    """

    def __init__(self, after: int, factor: float = 0.5) -> None:
        self.after = check_positive_int(after, "after", minimum=0)
        self.factor = check_real(factor, "factor", low=0.0, high=1.0, closed="right")

    def __call__(self, epoch: int) -> float:
        epoch = check_positive_int(epoch, "epoch", minimum=0)
        return float(self.factor ** max(0, epoch - self.after + 1))

    def __repr__(self) -> str:
        return f"StepDecay(after={self.after!r}, factor={self.factor!r})"

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, StepDecay)
            and other.after == self.after
            and other.factor == self.factor
        )

    def __hash__(self) -> int:
        return hash((self.after, self.factor))
