r"""A curriculum: lessons of increasing difficulty, advanced when the current one is learnt.

Graves et al. (2016) trained the differentiable neural computer on its graph tasks with a
curriculum (Methods, "curriculum learning"): a sequence of lessons of growing complexity (more
nodes, longer traversals), the next lesson begun once the network reached a threshold on the
current one. :class:`Curriculum` does this for any task generator, in the form
:func:`~recurrent_zoo.training.fit_generated` takes: it is the ``make_batch`` (a batch of the
current lesson) and its :meth:`~Curriculum.callback` is the ``callback`` that advances it.

How it advances: every ``window`` batches spent on a lesson, it computes a criterion and moves
to the next lesson when the criterion is at most ``threshold``. The criterion is ``score(lesson,
rng)`` when a ``score`` is given (say, the mean bit errors of the model on a fresh batch of
that lesson) and otherwise the mean training loss of the lesson's last ``window`` batches. On
the last lesson a pass is recorded as ``completed_at`` (and stops training when
``stop_when_done``). With ``review > 0`` a batch is drawn, with that probability, from an
earlier lesson chosen uniformly, so that the early lessons are not forgotten.

Examples
--------
>>> from recurrent_zoo.tasks import binary_copy
>>> curriculum = Curriculum([1, 2, 3], lambda L, rng: binary_copy(4, L, seed=rng),
...                         threshold=0.7, window=2)
>>> curriculum.lesson, curriculum(0).n_steps           # lesson 0: copies of length 1
(1, 3)
>>> for i, loss in enumerate([0.9, 0.6, 0.6, 0.5]):    # mean of the last two batches
...     _ = curriculum.callback(i, {"loss": loss})
>>> curriculum.level, curriculum.advanced_at            # advanced after batch 4 (index 3)
(1, [4])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int, check_probability, check_real

__all__ = ["Curriculum"]


class Curriculum:
    """Lessons of increasing difficulty for :func:`~recurrent_zoo.training.fit_generated`.

    Parameters
    ----------
    lessons : sequence
        One entry per lesson, easiest first (any objects: lengths, dicts of keyword
        arguments...), handed to ``make_batch``.
    make_batch : callable
        ``make_batch(lesson, rng) -> data``, a batch of the lesson ``lesson``.
    threshold : float
        Advance when the criterion is at most this.
    window : int, default 100
        Batches between two checks of the criterion (and the number of training losses
        averaged when there is no ``score``); a lesson lasts at least this many batches.
    score : callable, optional
        ``score(lesson, rng) -> float``, the criterion (lower is better), e.g. the model's
        error on a fresh batch of the lesson; default: the mean training loss.
    review : float in [0, 1), default 0
        Probability that a batch comes from an earlier lesson (chosen uniformly).
    stop_when_done : bool, default False
        Make :meth:`callback` return ``True`` (stop training) once the last lesson is passed.
    seed : None, int or numpy.random.Generator
        For ``score``'s batches and the review draws (the batches themselves use the ``rng``
        that ``fit_generated`` hands over).

    Attributes
    ----------
    level : int
        Index of the current lesson.
    advanced_at : list of int
        For each advance, the number of batches trained before it.
    completed_at : int or None
        Batches trained when the last lesson's criterion was first met.
    checks : list of (int, int, float)
        ``(batches trained, level, criterion)`` of every check.
    """

    def __init__(
        self,
        lessons: Sequence[Any],
        make_batch: Callable[[Any, np.random.Generator], Any],
        *,
        threshold: float,
        window: int = 100,
        score: Callable[[Any, np.random.Generator], float] | None = None,
        review: float = 0.0,
        stop_when_done: bool = False,
        seed: Any = None,
    ) -> None:
        self.lessons = list(lessons)
        if not self.lessons:
            raise ValueError("lessons must hold at least one lesson")
        if not callable(make_batch):
            raise TypeError(f"make_batch must be callable; got {type(make_batch).__name__}")
        if score is not None and not callable(score):
            raise TypeError(f"score must be callable or None; got {type(score).__name__}")
        self.threshold = check_real(threshold, "threshold")
        self.window = check_positive_int(window, "window")
        self.review = check_probability(review, "review", closed="left")
        self.make_batch = make_batch
        self.score = score
        self.stop_when_done = bool(stop_when_done)
        self._rng = make_rng(seed)
        self.level = 0
        self.advanced_at: list[int] = []
        self.completed_at: int | None = None
        self.checks: list[tuple[int, int, float]] = []
        self._losses: list[float] = []  # this lesson's training losses

    @property
    def lesson(self) -> Any:
        """The current lesson."""
        return self.lessons[self.level]

    def __call__(self, rng: Any) -> Any:
        """A batch of the current lesson (or, with probability ``review``, of an earlier one)."""
        rng = make_rng(rng)
        level = self.level
        if self.review > 0 and level > 0 and self._rng.random() < self.review:
            level = int(self._rng.integers(level))
        return self.make_batch(self.lessons[level], rng)

    def callback(self, index: int, logs: dict[str, float]) -> bool:
        """Record batch ``index``'s loss; check the criterion every ``window`` batches of a
        lesson and advance when it is met. Returns ``True`` to stop (``stop_when_done``)."""
        self._losses.append(float(logs["loss"]))
        if len(self._losses) % self.window:
            return False
        if self.score is None:
            value = float(np.mean(self._losses[-self.window :]))
        else:
            value = float(self.score(self.lesson, self._rng))
        self.checks.append((index + 1, self.level, value))
        if value > self.threshold:
            return False
        if self.level + 1 < len(self.lessons):
            self.level += 1
            self.advanced_at.append(index + 1)
            self._losses = []
            return False
        if self.completed_at is None:
            self.completed_at = index + 1
        return self.stop_when_done
