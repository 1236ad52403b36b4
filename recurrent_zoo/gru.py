r"""Gated recurrent unit (GRU), as PyTorch's :class:`torch.nn.GRU`.

Cho et al. (2014) proposed, for their RNN encoder-decoder, a hidden unit with two gates and no
separate memory cell: a reset gate that decides how much of the previous state the candidate
sees, and an update gate that interpolates between the previous state and the candidate. In the
form :class:`torch.nn.GRU` uses -- and that we follow, equations, gate order, parameter names and
shapes -- each layer computes

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) && \text{reset gate} \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) && \text{update gate} \\
    n_t &= \tanh\left(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\right)
          && \text{candidate} \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

Note where the reset gate acts: on :math:`W_{hn} h_{t-1} + b_{hn}`, after the matrix product
and with its bias inside (PyTorch's and cuDNN's variant), where Cho et al. reset
:math:`h_{t-1}` before multiplying, :math:`W_{hn}(r_t \odot h_{t-1})`. That is why both bias
vectors are needed. ``weight_ih_l{k}`` stacks :math:`(W_{ir}, W_{iz}, W_{in})` into a
``(3H, I)`` matrix (``(3H, D H)`` above the first layer), ``weight_hh_l{k}`` the recurrent
blocks into ``(3H, H)``, and the biases into ``(3H,)`` vectors.

Backpropagation through time, with :math:`\bar h_t = \partial L / \partial h_t` (from the output
and from step :math:`t+1`) and :math:`u_t = W_{hn} h_{t-1} + b_{hn}`:

.. math::

    \delta^n_t &= \bar h_t \odot (1 - z_t) \odot (1 - n_t^2), \qquad
    \delta^z_t = \bar h_t \odot (h_{t-1} - n_t) \odot z_t (1 - z_t), \\
    \delta^r_t &= \delta^n_t \odot u_t \odot r_t (1 - r_t), \qquad
    \delta^u_t = \delta^n_t \odot r_t, \\
    \bar h_{t-1} &\mathrel{+}= \bar h_t \odot z_t
        + W_{hh}^\top (\delta^r_t, \delta^z_t, \delta^u_t), \qquad
    \frac{\partial L}{\partial W_{ih}} = \sum_t (\delta^r_t, \delta^z_t, \delta^n_t)\, x_t^\top,
    \qquad \frac{\partial L}{\partial W_{hh}} = \sum_t (\delta^r_t, \delta^z_t, \delta^u_t)\,
    h_{t-1}^\top

The factors that do not depend on the backward recurrence are computed for all steps at once
before the time loop.

References
----------
K. Cho, B. van Merrienboer, C. Gulcehre, D. Bahdanau, F. Bougares, H. Schwenk and Y. Bengio,
"Learning phrase representations using RNN encoder-decoder for statistical machine translation",
EMNLP 2014 (arXiv:1406.1078).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core.layered import TorchStyleRNN, input_projection, packed_batch
from ._core.validation import NDArray, check_positive_int
from .catalogue import Entry

__all__ = ["GRU"]


class GRU(TorchStyleRNN):
    """Gated recurrent unit: PyTorch nn.GRU's equations and parameters.

    Parameters
    ----------
    input_size : int
        Number of input features.
    hidden_size : int
        Number of hidden units ``H`` per layer and direction.
    num_layers : int, default 1
        Number of stacked GRU layers.
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
    >>> gru = GRU(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, seed=0)
    >>> X = np.random.default_rng(0).normal(size=(7, 4, 3))   # (T, B, I)
    >>> Y, h = gru.forward(X, lengths=[7, 5, 2, 7])
    >>> Y.shape, h.shape                                      # (T, B, 2H), (L * 2, B, H)
    ((7, 4, 10), (4, 4, 5))
    >>> float(abs(Y[5:, 1]).max())                            # zero past the length
    0.0
    >>> dX = gru.backward(np.ones_like(Y))
    >>> gru.grads["weight_ih_l1_reverse"].shape
    (15, 10)
    """

    gate_count = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bias: bool = True,
        bidirectional: bool = False,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        H = check_positive_int(hidden_size, "hidden_size")
        # PyTorch stacks the gates as (r, z, n). We multiply the inputs by rows (n, z, r) and the
        # state by rows (z, r, n), so that each step reads and writes contiguous blocks (see
        # _layer_forward and _layer_backward).
        self._input_rows = np.r_[2 * H : 3 * H, H : 2 * H, 0:H]
        self._state_rows = np.r_[H : 2 * H, 0:H, 2 * H : 3 * H]
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
        """The cell's equations as sympy ``Eq`` objects (one layer, one direction).

        Examples
        --------
        >>> [str(eq.lhs) for eq in GRU.equations()]
        ['r_t', 'z_t', 'n_t', 'h_t']
        """
        import sympy as sp

        H, I = sp.symbols("H I", integer=True, positive=True)
        sigma, tanh = sp.Function("sigma"), sp.Function("tanh")  # applied elementwise
        x, h_prev = sp.MatrixSymbol("x_t", I, 1), sp.MatrixSymbol("h_{t-1}", H, 1)
        r_t, z_t, n_t, h_t = (sp.MatrixSymbol(s, H, 1) for s in ("r_t", "z_t", "n_t", "h_t"))

        def W(name: str, cols: Any) -> Any:
            return sp.MatrixSymbol(name, H, cols)

        def b(name: str) -> Any:
            return sp.MatrixSymbol(name, H, 1)

        def gate(g: str) -> Any:
            return W(f"W_i{g}", I) * x + b(f"b_i{g}") + W(f"W_h{g}", H) * h_prev + b(f"b_h{g}")

        candidate = (
            W("W_in", I) * x
            + b("b_in")
            + sp.HadamardProduct(r_t, W("W_hn", H) * h_prev + b("b_hn"))
        )
        ones = sp.OneMatrix(H, 1)
        return [
            sp.Eq(r_t, sigma(gate("r")), evaluate=False),
            sp.Eq(z_t, sigma(gate("z")), evaluate=False),
            sp.Eq(n_t, tanh(candidate), evaluate=False),
            sp.Eq(h_t, sp.HadamardProduct(ones - z_t, n_t) + sp.HadamardProduct(z_t, h_prev)),
        ]

    # ------------------------------------------------------------------ one layer-direction
    def _layer_forward(
        self, p: dict[str, NDArray], X: NDArray, state0: tuple[NDArray, ...], mask: NDArray | None
    ) -> tuple[NDArray, tuple[NDArray, ...], Any]:
        T, B, I = X.shape
        H, dt = self.hidden_size, self.dtype
        pb = packed_batch(mask, B, T)
        X, h0 = pb.pack(X), pb.pack(state0[0], axis=0)  # sorted by length: step t runs [:n]
        # Input side in gate order (n, z, r), state side in (z, r, n): the gates z, r are then
        # one block on both sides. sigma(a) = (1 + tanh(a / 2)) / 2, so the sigmoid gates' rows
        # are halved (exact in floating point) and a step needs one tanh for both.
        W_ih = p["weight_ih"][self._input_rows]
        W_ih[H:] *= 0.5
        W_hh_T = p["weight_hh"][self._state_rows]
        W_hh_T[: 2 * H] *= 0.5
        W_hh_T = np.ascontiguousarray(W_hh_T.T)  # (H, 3H)
        b = b_hn = None
        if self.bias:
            b = p["bias_ih"][self._input_rows]
            b[H:] += p["bias_hh"][self._state_rows[: 2 * H]]  # z's and r's recurrent biases
            b[H:] *= 0.5
            b_hn = p["bias_hh"][2 * H :]  # n's stays inside the reset: r * (W_hn h + b_hn)
        # the input projection of every step at once: one GEMM outside the loop
        A = input_projection(X.reshape(T * B, I), W_ih, b).reshape(T, B, 3 * H)  # (n, z, r)
        if pb.padded:  # padding reads as zeros
            A[pb.padding()] = 0.0
        # U[t] = W_hh h_{t-1} in row order (z, r, n); b_hn joins its last block in place: u_t
        U = pb.alloc((T, B, 3 * H), dt)
        Hs = pb.alloc((T, B, H), dt)  # h_t
        half = np.asarray(0.5, dt)
        tmp = np.empty((B, H), dt)
        h = h0
        for t, n in enumerate(pb.batch_sizes):
            a, u = A[t, :n], U[t, :n]  # (n, 3H)
            h_prev = h[:n]
            np.dot(h_prev, W_hh_T, out=u)
            zr = a[:, H:]
            zr += u[:, : 2 * H]
            np.tanh(zr, out=zr)
            zr *= half
            zr += half
            un = u[:, 2 * H :]
            if b_hn is not None:
                un += b_hn
            cand = a[:, :H]
            np.multiply(a[:, 2 * H :], un, out=tmp[:n])  # r * u
            cand += tmp[:n]
            np.tanh(cand, out=cand)
            h_t = Hs[t, :n]  # h = n + z * (h_{t-1} - n)
            np.subtract(h_prev, cand, out=h_t)
            h_t *= a[:, H : 2 * H]
            h_t += cand
            h = Hs[t]
        # each sequence's state at its own length; everything back in the caller's order
        return pb.unpack(Hs), (pb.last(Hs, h0),), (X, h0, A, U, Hs, pb)

    def _layer_backward(
        self, p: dict[str, NDArray], cache: Any, dY: NDArray, dstate: tuple[NDArray, ...]
    ) -> tuple[NDArray, tuple[NDArray, ...], dict[str, NDArray]]:
        X, h0, A, U, Hs, pb = cache
        T, B, I = X.shape
        H, dt = self.hidden_size, self.dtype
        dY, dh_T = pb.pack(dY), pb.pack(dstate[0], axis=0)
        W_hh = p["weight_hh"][self._state_rows]  # (3H, H), rows (z, r, n)
        n, z, r = (A[:, :, k * H : (k + 1) * H] for k in range(3))
        # The local derivatives of every step at once, before the loop. With dh_t the total
        # gradient reaching h_t: (dh_t z, delta_n, delta_z) = dh_t * ZNZ_t and
        # (delta_r, delta_u) = delta_n * RR_t.
        H_prev = np.concatenate([h0[None], Hs[:-1]])  # (T, B, H)
        ZNZ = np.empty((T, B, 3, H), dt)
        ZNZ[:, :, 0] = z
        np.multiply(1.0 - z, 1.0 - n * n, out=ZNZ[:, :, 1])
        np.multiply(H_prev - n, z * (1.0 - z), out=ZNZ[:, :, 2])
        RR = np.empty((T, B, 2, H), dt)
        u_n = U[..., 2 * H :]  # W_hn h_{t-1} + b_hn (the bias was added in place)
        np.multiply(u_n, r * (1.0 - r), out=RR[:, :, 0])
        RR[:, :, 1] = r

        # D[t] = [dh_t z, delta_n, delta_z, delta_r, delta_u]: blocks 1-3 are the input side's
        # delta in order (n, z, r), blocks 2-4 the state side's in order (z, r, n)
        D = pb.alloc((T, B, 5, H), dt)
        dh = dh_T.copy()  # (B, H) gradient reaching h_t from step t + 1
        dh_t = np.empty((B, H), dt)
        for t in range(T - 1, -1, -1):
            k = pb.batch_sizes[t]
            d = D[t, :k]  # (k, 5, H)
            np.add(dY[t, :k], dh[:k], out=dh_t[:k])
            np.multiply(dh_t[:k, None, :], ZNZ[t, :k], out=d[:, :3])
            np.multiply(d[:, 1:2], RR[t, :k], out=d[:, 3:])
            np.matmul(d[:, 2:].reshape(k, 3 * H), W_hh, out=dh[:k])
            dh[:k] += d[:, 0]
        # weight gradients: one GEMM each after the loop
        D2 = D.reshape(T * B, 5 * H)
        d_in, d_state = D2[:, H : 4 * H], D2[:, 2 * H :]
        back_in, back_state = np.argsort(self._input_rows), np.argsort(self._state_rows)
        grads = {
            "weight_ih": (d_in.T @ X.reshape(T * B, I))[back_in],
            "weight_hh": (d_state.T @ H_prev.reshape(T * B, H))[back_state],
        }
        if self.bias:
            grads["bias_ih"] = d_in.sum(axis=0)[back_in]
            grads["bias_hh"] = d_state.sum(axis=0)[back_state]
        dX = (d_in @ p["weight_ih"][self._input_rows]).reshape(T, B, I)
        return pb.unpack(dX), (pb.unpack(dh, axis=0),), grads


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="gru",
    title="Gated recurrent unit (GRU)",
    cls=GRU,
    family="gated",
    year=2014,
    reference=(
        "K. Cho, B. van Merrienboer, C. Gulcehre, D. Bahdanau, F. Bougares, H. Schwenk and "
        'Y. Bengio, "Learning phrase representations using RNN encoder-decoder for '
        'statistical machine translation", EMNLP 2014'
    ),
    task="adding",
    trainable=True,
    summary="Reset and update gates, no separate cell; PyTorch nn.GRU's equations.",
    examples=(
        {"hidden_size": 3},
        {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
        {"hidden_size": 2, "bias": False},
    ),
    recipe=(
        {
            "model": {"hidden_size": 32},
            "readout": True,
            "optimizer": "adam",
            "lr": 0.01,
            "epochs": 30,
            "batch_size": 32,
            "clip_norm": 1.0,
        }
    ),
)
