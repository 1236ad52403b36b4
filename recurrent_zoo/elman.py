r"""Elman network: the simple (vanilla) recurrent net.

Elman (1990) fed a copy of the hidden layer back as "context units" at the next step. In the form
PyTorch's :class:`torch.nn.RNN` uses -- and that we follow, equations, parameter names and shapes
-- each layer computes

.. math::

    h_t = \phi\left(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}\right),
    \qquad \phi \in \{\tanh, \mathrm{relu}\}

with ``weight_ih_l{k}`` of shape ``(H, I)`` (``(H, D H)`` above the first layer),
``weight_hh_l{k}`` of shape ``(H, H)``, and the biases of shape ``(H,)``. Layer ``k > 0`` reads
layer ``k - 1``'s outputs; with ``bidirectional=True`` each layer also runs backward in time and
its outputs are concatenated. There is no output layer: stack a
:class:`~recurrent_zoo._core.layers.Linear` readout on top as Elman's output units.

Backpropagation through time, with :math:`a_t` the pre-activation and
:math:`\delta_t = \partial L / \partial a_t`:

.. math::

    \delta_t = \left(\frac{\partial L}{\partial y_t} + W_{hh}^\top \delta_{t+1}\right)
               \odot \phi'(a_t),
    \qquad \frac{\partial L}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^\top,
    \qquad \frac{\partial L}{\partial W_{ih}} = \sum_t \delta_t x_t^\top

References
----------
J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core.layered import TorchStyleRNN, input_projection, packed_batch
from ._core.ops import ACTIVATIONS
from ._core.validation import NDArray, check_choice
from .catalogue import Entry

__all__ = ["Elman"]


class Elman(TorchStyleRNN):
    """Elman's simple recurrent network, with PyTorch nn.RNN's equations and parameters.

    Parameters
    ----------
    input_size : int
        Number of input features.
    hidden_size : int
        Number of hidden (context) units per layer and direction.
    num_layers : int, default 1
        Number of stacked recurrent layers.
    nonlinearity : {"tanh", "relu"}, default "tanh"
    bias : bool, default True
        Use ``bias_ih`` and ``bias_hh``.
    bidirectional : bool, default False
        Add a backward direction to every layer; outputs have ``2 * hidden_size`` features.
    seed : int or numpy.random.Generator, optional
        Weights are drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``hidden_size * (2 if bidirectional else 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> rnn = Elman(input_size=3, hidden_size=5, num_layers=2, seed=0)
    >>> X = np.random.default_rng(0).normal(size=(7, 4, 3))   # (T, B, I)
    >>> Y, h = rnn.forward(X)
    >>> Y.shape, h.shape                                      # (T, B, H), (L, B, H)
    ((7, 4, 5), (2, 4, 5))
    >>> dX = rnn.backward(np.ones_like(Y))
    >>> rnn.grads["weight_hh_l1"].shape
    (5, 5)
    """

    gate_count = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        nonlinearity: str = "tanh",
        bias: bool = True,
        bidirectional: bool = False,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias=bias,
            bidirectional=bidirectional,
            seed=seed,
            dtype=dtype,
        )

    @classmethod
    def equations(cls) -> list[Any]:
        import sympy as sp

        H, I = sp.symbols("H I", integer=True, positive=True)
        x, h_prev, h = (
            sp.MatrixSymbol("x_t", I, 1),
            sp.MatrixSymbol("h_{t-1}", H, 1),
            sp.MatrixSymbol("h_t", H, 1),
        )
        W_ih, W_hh = sp.MatrixSymbol("W_ih", H, I), sp.MatrixSymbol("W_hh", H, H)
        b_ih, b_hh = sp.MatrixSymbol("b_ih", H, 1), sp.MatrixSymbol("b_hh", H, 1)
        phi = sp.Function("phi")
        return [sp.Eq(h, phi(W_ih * x + b_ih + W_hh * h_prev + b_hh), evaluate=False)]

    # ------------------------------------------------------------------ one layer-direction
    def _layer_forward(
        self, p: dict[str, NDArray], X: NDArray, state0: tuple[NDArray, ...], mask: NDArray | None
    ) -> tuple[NDArray, tuple[NDArray, ...], Any]:
        T, B, I = X.shape
        H = self.hidden_size
        act = ACTIVATIONS[self.nonlinearity].forward
        pb = packed_batch(mask, B, T)
        X, h0 = pb.pack(X), pb.pack(state0[0], axis=0)  # sorted by length: step t runs [:n]
        W_hh_T = np.ascontiguousarray(p["weight_hh"].T)
        b = p["bias_ih"] + p["bias_hh"] if self.bias else None
        # the input projection of every step at once: one GEMM outside the loop
        A = input_projection(X.reshape(T * B, I), p["weight_ih"], b).reshape(T, B, H)  # (T, B, H)
        if pb.padded:  # padding reads as zeros: outputs past a length are 0
            A[pb.padding()] = 0.0
        rec = np.empty((B, H), dtype=self.dtype)
        h = h0  # (B, H)
        for t, n in enumerate(pb.batch_sizes):
            a = A[t, :n]
            np.dot(h[:n], W_hh_T, out=rec[:n])
            a += rec[:n]
            act(a, out=a)  # A[t] now holds h_t
            h = A[t]
        # each sequence's state at its own length; everything back in the caller's order
        return pb.unpack(A), (pb.last(A, h0),), (X, h0, A, pb)

    def _layer_backward(
        self, p: dict[str, NDArray], cache: Any, dY: NDArray, dstate: tuple[NDArray, ...]
    ) -> tuple[NDArray, tuple[NDArray, ...], dict[str, NDArray]]:
        X, h0, A, pb = cache
        T, B, I = X.shape
        H = self.hidden_size
        dY, dh_T = pb.pack(dY), pb.pack(dstate[0], axis=0)
        W_hh = p["weight_hh"]
        # phi'(a_t) for every step at once, before the loop; dA then turns into delta in place
        if self.nonlinearity == "relu":
            dA = (A > 0).astype(self.dtype)  # (T, B, H)
        else:
            dA = A * A
            np.subtract(1.0, dA, out=dA)
        if pb.padded:  # rows past a length get no gradient
            dA[pb.padding()] = 0.0
        dh = dh_T.copy()  # (B, H) gradient reaching h_t from step t + 1
        g = np.empty((B, H), dtype=self.dtype)
        for t in range(T - 1, -1, -1):
            n = pb.batch_sizes[t]
            d = dA[t, :n]
            np.add(dY[t, :n], dh[:n], out=g[:n])
            d *= g[:n]  # delta_t = (dL/dy_t + W_hh^T delta_{t+1}) * phi'(a_t)
            np.dot(d, W_hh, out=dh[:n])
        # weight gradients: one GEMM each after the loop
        H_prev = np.concatenate([h0[None], A[:-1]], axis=0).reshape(T * B, H)
        dA2 = dA.reshape(T * B, H)
        grads = {
            "weight_ih": dA2.T @ X.reshape(T * B, I),
            "weight_hh": dA2.T @ H_prev,
        }
        if self.bias:
            db = dA2.sum(axis=0)
            grads["bias_ih"] = db
            grads["bias_hh"] = db.copy()
        dX = (dA2 @ p["weight_ih"]).reshape(T, B, I)
        return pb.unpack(dX), (pb.unpack(dh, axis=0),), grads


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="elman",
    title="Elman network (simple recurrent network)",
    cls=Elman,
    family="classic",
    year=1990,
    reference='J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990',
    task="adding",
    trainable=True,
    summary="Hidden state fed back as context units; PyTorch nn.RNN's equations.",
    examples=(
        {"hidden_size": 3},
        {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
        {"hidden_size": 2, "nonlinearity": "relu", "bias": False},
    ),
    recipe=(
        {
            "model": {"hidden_size": 32},
            "readout": True,
            "optimizer": "adam",
            "lr": 0.01,
            "epochs": 30,
            "batch_size": 32,
            # simple recurrent nets do not learn the adding problem at T = 50, the full
            # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
            "full": {"task_options": {"length": 10}},
        }
    ),
)
