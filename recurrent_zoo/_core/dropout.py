r"""Dropout, and the training mode that switches it on.

Dropout (Srivastava et al. 2014) zeroes each unit with probability :math:`p` while training
and scales the survivors by :math:`1 / (1 - p)` ("inverted" dropout, as PyTorch), so that
nothing changes at evaluation, where it is the identity:

.. math::

    y = \frac{m \odot x}{1 - p}, \quad m_i \sim \mathrm{Bernoulli}(1 - p), \qquad
    \frac{\partial L}{\partial x} = \frac{m \odot \partial L / \partial y}{1 - p}

Zaremba, Sutskever & Vinyals (2014) regularise recurrent nets by applying it to the
*non-recurrent* connections only -- a layer's input from the layer below, and the softmax's input
-- with a fresh mask at every step, never to the state carried from step to step, which keeps
the memory intact. :class:`Dropout` is such a layer, placed between recurrent layers (see
:class:`recurrent_zoo.language_model.LanguageModel`); its masks come from its own seeded
generator, so the same seed gives the same masks and the same training run bit for bit.

Training mode, Keras style: a :class:`Dropout` layer is off (the identity) unless its
``training`` attribute is true, and :func:`~recurrent_zoo.training.fit` turns it on for the
training steps only (:func:`training_mode`), never for validation, :func:`evaluate`,
:func:`predict` or a direct ``forward`` call.

References
----------
N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout: a simple
way to prevent neural networks from overfitting", JMLR 15:1929-1958, 2014.

W. Zaremba, I. Sutskever and O. Vinyals, "Recurrent neural network regularization",
arXiv:1409.2329, 2014.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .base import SequenceModel, State
from .init import make_rng
from .validation import NDArray, check_positive_int, check_probability

__all__ = ["Dropout", "dropout_mask", "set_training", "training_mode"]


def dropout_mask(
    shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype: Any = np.float64
) -> NDArray:
    """A mask of ``1 / (1 - p)`` (kept, probability ``1 - p``) and ``0`` (dropped, ``p``).

    Examples
    --------
    >>> m = dropout_mask((1000,), 0.25, np.random.default_rng(0))
    >>> sorted(set(m.tolist())), bool(abs(m.mean() - 1) < 0.1)
    ([0.0, 1.333...], True)
    """
    if p <= 0.0:
        return np.ones(shape, dtype)
    if p >= 1.0:
        return np.zeros(shape, dtype)
    keep = rng.random(shape, dtype=np.dtype(dtype).type) >= p  # True with probability 1 - p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype)


class Dropout(SequenceModel):
    r"""Inverted dropout with a fresh, seeded mask at every step (off outside training).

    Parameters
    ----------
    size : int
        Number of features (input and output).
    p : float in [0, 1), default 0.5
        Probability of dropping each unit.
    seed : int or numpy.random.Generator, optional
        The masks' generator: the same seed gives the same sequence of masks.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    training : bool
        Whether masks are applied (False: the identity). :func:`~recurrent_zoo.training.fit`
        sets it for its training steps; :func:`training_mode` does it by hand.

    Examples
    --------
    >>> d = Dropout(4, p=0.5, seed=0)
    >>> X = np.ones((2, 3, 4))
    >>> bool(np.array_equal(d.forward(X)[0], X))          # not training: the identity
    True
    >>> with training_mode(d):
    ...     Y, _ = d.forward(X)
    >>> sorted(set(Y.ravel().tolist()))                   # dropped, or kept and scaled
    [0.0, 2.0]
    """

    def __init__(
        self, size: int, p: float = 0.5, *, seed: Any = None, dtype: Any = np.float64
    ) -> None:
        super().__init__(size, dtype=dtype)
        self.size = self.output_size = check_positive_int(size, "size")
        self.p = check_probability(p, "p", closed="left")
        self.training = False
        self._rng = make_rng(seed)

    def initial_state(self, batch_size: int) -> State:
        return None

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        mask = None
        if self.training and self.p > 0.0:
            mask = dropout_mask(X.shape, self.p, self._rng, self.dtype)  # (T, B, F)
            Y = X * mask
        else:
            Y = X.copy()
        if lengths is not None:
            Y[np.arange(X.shape[0])[:, None] >= lengths[None, :]] = 0.0
        self._cache = (mask, lengths)
        return Y, None

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        mask, lengths = self._cache
        dX = dY * mask if mask is not None else dY.copy()
        if lengths is not None:
            dX[np.arange(dY.shape[0])[:, None] >= lengths[None, :]] = 0.0
        self.grads = {}
        return dX, None


def _modules(model: Any) -> Iterator[Any]:
    """``model`` and every model inside it (wrappers' ``_children``)."""
    yield model
    for _, child in getattr(model, "_children", ()):
        yield from _modules(child)


def set_training(model: Any, mode: bool) -> dict[int, bool]:
    """Set ``training`` on every part of ``model`` that has it; return the previous values.

    Examples
    --------
    >>> d = Dropout(2)
    >>> set_training(d, True) == {id(d): False}, d.training
    (True, True)
    """
    previous = {}
    for m in _modules(model):
        if hasattr(m, "training"):
            previous[id(m)] = bool(m.training)
            m.training = bool(mode)
    return previous


@contextlib.contextmanager
def training_mode(model: Any, mode: bool = True) -> Iterator[Any]:
    """Inside the block, every dropout layer of ``model`` is on (``mode=True``) or off.

    The previous modes come back afterwards, whatever happens inside.

    Examples
    --------
    >>> d = Dropout(2)
    >>> with training_mode(d):
    ...     d.training
    True
    >>> d.training
    False
    """
    previous = set_training(model, mode)
    try:
        yield model
    finally:
        for m in _modules(model):
            if id(m) in previous:
                m.training = previous[id(m)]
