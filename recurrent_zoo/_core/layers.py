"""Stateless layers applied at every time step, to put on top of a recurrent model.

A readout is part of most recurrent nets in the literature (Elman's output layer, an LSTM's
softmax); PyTorch's nn.RNN has none, so ours follow it and a :class:`Linear` readout is stacked
on top with :class:`~recurrent_zoo._core.sequence.Stacked`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import SequenceModel, State
from .init import make_rng, uniform
from .ops import ACTIVATIONS
from .sequence import length_mask
from .validation import NDArray, check_choice, check_positive_int

__all__ = ["Linear"]


class Linear(SequenceModel):
    r"""A time-distributed affine map with an optional activation.

    .. math:: y_t = \phi(W x_t + b)

    Parameters
    ----------
    input_size, output_size : int
    activation : {"identity", "tanh", "sigmoid", "relu"}
    bias : bool
    seed : int or numpy.random.Generator, optional
        Weights are drawn from U(-1/sqrt(input_size), 1/sqrt(input_size)) like torch.nn.Linear.
    dtype : {np.float64, np.float32}

    Examples
    --------
    >>> m = Linear(3, 2, seed=0)
    >>> Y, _ = m.forward(np.ones((4, 5, 3)))
    >>> Y.shape, m.params["weight"].shape
    ((4, 5, 2), (2, 3))
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        activation: str = "identity",
        bias: bool = True,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.output_size = check_positive_int(output_size, "output_size")
        self.activation = check_choice(activation, "activation", tuple(ACTIVATIONS))
        self.bias = bool(bias)
        rng = make_rng(seed)
        bound = 1.0 / np.sqrt(input_size)
        self.params["weight"] = uniform((output_size, input_size), bound, rng, self.dtype)
        if self.bias:
            self.params["bias"] = uniform((output_size,), bound, rng, self.dtype)

    def initial_state(self, batch_size: int) -> State:
        return None

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        Z = (X.reshape(T * B, I) @ self.params["weight"].T).reshape(T, B, self.output_size)
        if self.bias:
            Z += self.params["bias"]
        Y = ACTIVATIONS[self.activation].forward(Z)
        mask = length_mask(lengths, T, self.dtype)
        if mask is not None:
            Y = Y * mask
        self._cache = (X, Y, mask)
        return Y, None

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, Y, mask = self._cache
        T, B, I = X.shape
        if mask is not None:
            dY = dY * mask
        dZ = ACTIVATIONS[self.activation].backward(Y, dY).reshape(T * B, self.output_size)
        self.grads = {"weight": dZ.T @ X.reshape(T * B, I)}
        if self.bias:
            self.grads["bias"] = dZ.sum(axis=0)
        dX = (dZ @ self.params["weight"]).reshape(T, B, I)
        return dX, None
