r"""Token embeddings: a lookup table whose rows are the vectors of a vocabulary's tokens.

A language model reads token ids, not feature vectors. The embedding turns id :math:`x_t` into
row :math:`x_t` of a trainable table :math:`E \in \mathbb{R}^{V \times D}` (Bengio et al.
2003), which is what a one-hot input times a weight matrix computes, without the ``V``-wide
product:

.. math::

    e_t = E_{x_t,:}, \qquad
    \frac{\partial L}{\partial E_{v,:}} = \sum_{(t, b):\ x_{tb} = v}
        \frac{\partial L}{\partial e_{tb}}

The gradient is accumulated into the rows of the tokens that occur in the batch and nowhere
else (a scatter-add, :func:`embedding_backward`); the other rows' gradients are exactly zero.

Token ids keep the :class:`~recurrent_zoo.SequenceModel` contract's time-major layout with one
feature: ``X`` of shape ``(T, B, 1)`` holding integers in ``[0, V)``, in any numeric dtype
(``ids[:, :, None]`` turns a ``(T, B)`` array of ids into one). Float arrays hold such ids
exactly up to :math:`2^{24}` (float32) and :math:`2^{53}` (float64).

References
----------
Y. Bengio, R. Ducharme, P. Vincent and C. Jauvin, "A neural probabilistic language model",
JMLR 3:1137-1155, 2003.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import SequenceModel, State
from .init import make_rng, normal, uniform
from .validation import NDArray, check_array, check_positive_int, check_real

__all__ = ["Embedding", "token_ids", "embedding_backward"]

#: the largest vocabulary whose ids a float32 array holds exactly
_FLOAT32_EXACT = 2**24


def token_ids(X: Any, vocab_size: int, name: str = "X") -> NDArray:
    """The ``(T, B)`` int64 token ids of ``X`` (``(T, B, 1)``), checked to lie in ``[0, V)``.

    Examples
    --------
    >>> token_ids(np.array([[[2.0], [0.0]]]), 3)
    array([[2, 0]])
    >>> token_ids(np.array([[[3]]]), 3)
    Traceback (most recent call last):
    ...
    ValueError: X must hold token ids in [0, 3); got min 3, max 3
    """
    arr = check_array(X, name, ndim=3, shape_doc="(T, B, 1) token ids")
    if arr.shape[2] != 1:
        raise ValueError(f"{name} must have shape (T, B, 1) token ids; got shape {arr.shape}")
    ids = arr[:, :, 0]
    if arr.dtype.kind == "f":
        if not np.array_equal(ids, np.floor(ids)):
            raise ValueError(f"{name} must hold integer token ids; got non-integral values")
    elif arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold integer token ids; got dtype bool")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"{name} must hold token ids in [0, {vocab_size}); got min {ids.min():g}, "
            f"max {ids.max():g}"
        )
    return ids.astype(np.int64)


def embedding_backward(ids: NDArray, dE: NDArray, num_embeddings: int) -> NDArray:
    """The table's gradient: ``dE`` (``(N, D)``) summed into the rows ``ids`` (``(N,)``).

    Rows of tokens absent from ``ids`` are zero. The rows are summed in a fixed order (the ids
    sorted stably), so the result does not depend on anything but the arguments.

    Examples
    --------
    >>> embedding_backward(np.array([2, 0, 2]), np.ones((3, 2)), 4)
    array([[1., 1.],
           [0., 0.],
           [2., 2.],
           [0., 0.]])
    """
    dW = np.zeros((num_embeddings, dE.shape[1]), dE.dtype)
    if ids.size == 0:
        return dW
    # a sort and one segmented sum: faster than np.add.at's per-index loop, same sums
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    dW[sorted_ids[starts]] = np.add.reduceat(dE[order], starts, axis=0)
    return dW


class Embedding(SequenceModel):
    r"""A trainable lookup table from token ids to vectors, :math:`e_t = E_{x_t,:}`.

    Parameters
    ----------
    num_embeddings : int
        Vocabulary size ``V``.
    embedding_dim : int
        Size ``D`` of each vector.
    init_range : float, optional
        Draw the table from U(-init_range, init_range); by default from N(0, 1), as
        :class:`torch.nn.Embedding`.
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Notes
    -----
    ``X`` is ``(T, B, 1)`` token ids (see the module docstring); ``Y`` is ``(T, B, D)``. Ids
    are not differentiable: :meth:`backward` returns zeros for ``dX`` and puts the gradient in
    ``grads["weight"]``, nonzero only in the rows of the tokens that were read. With
    ``lengths``, outputs past a sequence's length are 0 and contribute nothing.

    Examples
    --------
    >>> emb = Embedding(5, 3, seed=0)
    >>> ids = np.array([[1, 4], [1, 0]])[:, :, None]      # (T=2, B=2, 1)
    >>> Y, _ = emb.forward(ids)
    >>> Y.shape, bool(np.array_equal(Y[0, 0], emb.params["weight"][1]))
    ((2, 2, 3), True)
    >>> _ = emb.backward(np.ones_like(Y))
    >>> emb.grads["weight"][:, 0]                          # rows 1, 4, 0 read (1 twice)
    array([1., 2., 0., 0., 1.])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        init_range: float | None = None,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(1, dtype=dtype)
        self.num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = self.output_size = check_positive_int(embedding_dim, "embedding_dim")
        if self.dtype == np.float32 and self.num_embeddings > _FLOAT32_EXACT:
            raise ValueError(
                f"num_embeddings must be at most 2**24 for a float32 model (float32 holds larger "
                f"ids inexactly); got {self.num_embeddings}"
            )
        self.init_range = (
            None if init_range is None else check_real(init_range, "init_range", low=0.0)
        )
        rng = make_rng(seed)
        shape = (self.num_embeddings, self.embedding_dim)
        if self.init_range is None:
            self.params["weight"] = normal(shape, 1.0, rng, self.dtype)
        else:
            self.params["weight"] = uniform(shape, self.init_range, rng, self.dtype)

    def initial_state(self, batch_size: int) -> State:
        return None

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        ids = token_ids(X, self.num_embeddings)  # (T, B)
        Y = self.params["weight"][ids]  # (T, B, D)
        if lengths is not None:
            past = np.arange(X.shape[0])[:, None] >= lengths[None, :]  # (T, B)
            Y[past] = 0.0
            ids = np.where(past, -1, ids)  # -1: read nothing, gets no gradient
        self._cache = (ids, X.shape)
        return Y, None

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        ids, shape = self._cache
        flat = ids.reshape(-1)
        used = flat >= 0
        dE = dY.reshape(-1, self.embedding_dim)
        if not used.all():
            flat, dE = flat[used], dE[used]
        self.grads = {"weight": embedding_backward(flat, dE, self.num_embeddings)}
        return np.zeros(shape, self.dtype), None
