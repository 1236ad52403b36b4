r"""Long short-term memory (LSTM), with the forget gate, as PyTorch's :class:`torch.nn.LSTM`.

Hochreiter & Schmidhuber (1997) gave the recurrent net a memory cell whose content is carried
forward additively, so that error can flow back over long time lags, and gates that decide what
enters and leaves it; Gers, Schmidhuber & Cummins (2000) added the forget gate that lets the cell
reset itself. In the form :class:`torch.nn.LSTM` uses -- and that we follow, equations, gate
order, parameter names and shapes -- each layer computes

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate} \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate} \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{cell input} \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate} \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

``weight_ih_l{k}`` stacks :math:`(W_{ii}, W_{if}, W_{ig}, W_{io})` into a ``(4H, I)`` matrix
(``(4H, D P)`` above the first layer, ``D`` directions of ``P`` outputs), ``weight_hh_l{k}`` the
recurrent blocks into ``(4H, P)``, and ``bias_ih_l{k}``, ``bias_hh_l{k}`` the biases into
``(4H,)`` vectors. With ``proj_size = P > 0`` (Sak, Senior & Beaufays 2014) the output is
projected, :math:`h_t = W_{hr}\,(o_t \odot \tanh(c_t))` with ``weight_hr_l{k}`` of shape
``(P, H)``: :math:`h` then has ``P`` features and :math:`c` keeps ``H``. The state is the pair
``(h, c)`` of arrays of shapes ``(L D, B, P)`` and ``(L D, B, H)``, as in PyTorch.

Backpropagation through time, with :math:`\bar h_t = \partial L / \partial h_t` (from the output
and from step :math:`t+1`) and :math:`\bar c_t` likewise, :math:`r_t = o_t \odot \tanh c_t`:

.. math::

    \bar r_t &= W_{hr}^\top \bar h_t \quad (\bar r_t = \bar h_t \text{ without projection}) \\
    \bar c_t &\mathrel{+}= \bar r_t \odot o_t \odot (1 - \tanh^2 c_t) \\
    \delta^i_t &= \bar c_t \odot g_t \odot i_t (1 - i_t), \quad
    \delta^f_t = \bar c_t \odot c_{t-1} \odot f_t (1 - f_t), \\
    \delta^g_t &= \bar c_t \odot i_t \odot (1 - g_t^2), \quad
    \delta^o_t = \bar r_t \odot \tanh(c_t) \odot o_t (1 - o_t), \\
    \bar h_{t-1} &\mathrel{+}= W_{hh}^\top \delta_t, \qquad \bar c_{t-1} = \bar c_t \odot f_t,
    \qquad \frac{\partial L}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^\top,
    \qquad \frac{\partial L}{\partial W_{ih}} = \sum_t \delta_t x_t^\top

Everything in those equations that does not depend on the backward recurrence (the gate
derivatives) is computed for all steps at once before the time loop.

References
----------
S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9(8):1735-1780,
1997.

F. A. Gers, J. Schmidhuber and F. Cummins, "Learning to forget: continual prediction with LSTM",
Neural Computation 12(10):2451-2471, 2000.

H. Sak, A. Senior and F. Beaufays, "Long short-term memory recurrent neural network
architectures for large scale acoustic modeling", Interspeech 2014 (the projection layer).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core.layered import TorchStyleRNN, input_projection, packed_batch, running_rows, step_rows
from ._core.validation import NDArray, check_positive_int

__all__ = ["LSTM"]


class LSTM(TorchStyleRNN):
    """Long short-term memory with a forget gate: PyTorch nn.LSTM's equations and parameters.

    Parameters
    ----------
    input_size : int
        Number of input features.
    hidden_size : int
        Number of memory cells ``H`` per layer and direction.
    num_layers : int, default 1
        Number of stacked LSTM layers.
    bias : bool, default True
        Use ``bias_ih`` and ``bias_hh``.
    bidirectional : bool, default False
        Add a backward direction to every layer; outputs have twice the features.
    proj_size : int, default 0
        If positive (and smaller than ``hidden_size``), project ``h`` to ``proj_size`` features
        with ``weight_hr_l{k}``.
    seed : int or numpy.random.Generator, optional
        Weights are drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``(proj_size or hidden_size) * (2 if bidirectional else 1)``.

    Notes
    -----
    The state is the tuple ``(h, c)``; ``h`` has shape ``(num_layers * D, B, proj_size or
    hidden_size)`` and ``c`` has shape ``(num_layers * D, B, hidden_size)``.

    Examples
    --------
    >>> import numpy as np
    >>> lstm = LSTM(input_size=3, hidden_size=5, num_layers=2, seed=0)
    >>> X = np.random.default_rng(0).normal(size=(7, 4, 3))   # (T, B, I)
    >>> Y, (h, c) = lstm.forward(X)
    >>> Y.shape, h.shape, c.shape                             # (T, B, H), (L, B, H), (L, B, H)
    ((7, 4, 5), (2, 4, 5), (2, 4, 5))
    >>> dX = lstm.backward(np.ones_like(Y))
    >>> lstm.grads["weight_hh_l1"].shape
    (20, 5)
    >>> LSTM(3, 5, proj_size=2, seed=0).forward(X)[0].shape   # h projected to 2 features
    (7, 4, 2)
    """

    gate_count = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bias: bool = True,
        bidirectional: bool = False,
        proj_size: int = 0,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        H = check_positive_int(hidden_size, "hidden_size")
        self.proj_size = check_positive_int(proj_size, "proj_size", minimum=0)
        if self.proj_size >= H:
            raise ValueError(
                f"proj_size must be smaller than hidden_size ({H}); got {self.proj_size}"
            )
        # PyTorch stacks the gates as (i, f, g, o); the forward pass computes them as (o, i, f, g)
        # (see _layer_forward): rows _forward_rows of PyTorch's matrices
        self._forward_rows = np.r_[3 * H : 4 * H, 0 : 3 * H]
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias=bias,
            bidirectional=bidirectional,
            seed=seed,
            dtype=dtype,
        )

    # ------------------------------------------------------------------ layout
    def _out_features(self) -> int:
        return self.proj_size or self.hidden_size

    def _state_sizes(self) -> tuple[int, ...]:
        return (self._out_features(), self.hidden_size)

    def _layer_shapes(self, in_size: int) -> dict[str, tuple[int, ...]]:
        shapes = super()._layer_shapes(in_size)
        if self.proj_size:
            shapes["weight_hr"] = (self.proj_size, self.hidden_size)
        return shapes

    @classmethod
    def _infer_from_state_dict(cls, sd: dict[str, NDArray]) -> dict[str, Any]:
        config = super()._infer_from_state_dict(sd)
        if "weight_hr_l0" in sd:
            config["proj_size"] = int(sd["weight_hr_l0"].shape[0])
        return config

    @classmethod
    def equations(cls) -> list[Any]:
        """The cell's equations as sympy ``Eq`` objects (one layer, one direction).

        Examples
        --------
        >>> [str(eq.lhs) for eq in LSTM.equations()]
        ['i_t', 'f_t', 'g_t', 'o_t', 'c_t', 'h_t']
        """
        import sympy as sp

        H, I = sp.symbols("H I", integer=True, positive=True)
        sigma, tanh = sp.Function("sigma"), sp.Function("tanh")  # applied elementwise
        x, h_prev = sp.MatrixSymbol("x_t", I, 1), sp.MatrixSymbol("h_{t-1}", H, 1)
        c_prev = sp.MatrixSymbol("c_{t-1}", H, 1)
        vec = {name: sp.MatrixSymbol(name, H, 1) for name in ("i_t", "f_t", "g_t", "o_t")}
        c, h = sp.MatrixSymbol("c_t", H, 1), sp.MatrixSymbol("h_t", H, 1)

        def pre(gate: str) -> Any:
            W_i, W_h = sp.MatrixSymbol(f"W_i{gate}", H, I), sp.MatrixSymbol(f"W_h{gate}", H, H)
            b_i, b_h = sp.MatrixSymbol(f"b_i{gate}", H, 1), sp.MatrixSymbol(f"b_h{gate}", H, 1)
            return W_i * x + b_i + W_h * h_prev + b_h

        return [
            sp.Eq(vec["i_t"], sigma(pre("i")), evaluate=False),
            sp.Eq(vec["f_t"], sigma(pre("f")), evaluate=False),
            sp.Eq(vec["g_t"], tanh(pre("g")), evaluate=False),
            sp.Eq(vec["o_t"], sigma(pre("o")), evaluate=False),
            sp.Eq(
                c,
                sp.HadamardProduct(vec["f_t"], c_prev) + sp.HadamardProduct(vec["i_t"], vec["g_t"]),
            ),
            # tanh(c_t) as a named vector: sympy's Hadamard product takes matrix symbols only
            sp.Eq(h, sp.HadamardProduct(vec["o_t"], sp.MatrixSymbol("tanh(c_{t})", H, 1))),
        ]

    # ------------------------------------------------------------------ one layer-direction
    def _layer_forward(
        self, p: dict[str, NDArray], X: NDArray, state0: tuple[NDArray, ...], mask: NDArray | None
    ) -> tuple[NDArray, tuple[NDArray, ...], Any]:
        T, B, I = X.shape
        H, P, dt = self.hidden_size, self._out_features(), self.dtype
        pb = packed_batch(mask, B, T)
        X = pb.pack(X)  # sorted by decreasing length: step t runs rows [:n]
        h0, c0 = (pb.pack(s, axis=0) for s in state0)
        # The gates are computed in the order (o, i, f, g): the sigmoid gates form one block.
        # sigma(a) = (1 + tanh(a / 2)) / 2, so their weight rows are halved (exact in floating
        # point) and one tanh per step serves all four gates. Row t of Z holds
        # [u_o, u_i, u_f, g, c_{t-1}] (u = tanh(a / 2)), and step t writes c_t into row t + 1;
        # row t of SIG holds [o, i, f], so that (i, f) * (g, c_{t-1}) is one product.
        rows = self._forward_rows
        W_ih = p["weight_ih"][rows]
        W_ih[: 3 * H] *= 0.5
        W_hh_T = p["weight_hh"][rows]
        W_hh_T[: 3 * H] *= 0.5
        W_hh_T = np.ascontiguousarray(W_hh_T.T)  # (P, 4H)
        b = None
        if self.bias:
            b = (p["bias_ih"] + p["bias_hh"])[rows]
            b[: 3 * H] *= 0.5
        Z = pb.alloc((T + 1, B, 5 * H), dt)
        # the input projection of every step at once: one GEMM outside the loop
        input_projection(X.reshape(T * B, I), W_ih, b, out=Z[:T].reshape(T * B, 5 * H)[:, : 4 * H])
        if pb.padded:  # padding reads as zeros
            Z[:T][pb.padding()] = 0.0
        Z[0, :, 4 * H :] = c0
        SIG = pb.alloc((T, B, 3 * H), dt)  # o, i, f
        TC = pb.alloc((T, B, H), dt)  # tanh(c_t)
        R = pb.alloc((T, B, H), dt)  # o_t * tanh(c_t), the unprojected output
        Hs = R if not self.proj_size else pb.alloc((T, B, P), dt)  # h_t
        W_hr_T = p["weight_hr"].T if self.proj_size else None  # (H, P)
        half = np.asarray(0.5, dt)
        rec = np.empty((B, 4 * H), dt)
        prod = np.empty((B, 2 * H), dt)  # [i * g, f * c_{t-1}]
        # every step's views made ahead of the loop (cheaper than slicing inside it)
        sizes = pb.batch_sizes
        steps = zip(
            [h0[: sizes[0]]] + step_rows(Hs[:-1], sizes[1:]),  # h_{t-1}
            step_rows(Z[:T, :, : 4 * H], sizes),  # all gates' pre-activations, then u and g
            step_rows(Z[:T, :, : 3 * H], sizes),  # u_o, u_i, u_f
            step_rows(Z[:T, :, 3 * H :], sizes),  # (g, c_{t-1})
            step_rows(Z[1:, :, 4 * H :], sizes),  # c_t
            step_rows(SIG, sizes),
            step_rows(SIG[:, :, H:], sizes),  # (i, f)
            step_rows(SIG[:, :, :H], sizes),  # o
            step_rows(TC, sizes),
            step_rows(R, sizes),
            running_rows(rec, sizes),
            running_rows(prod, sizes),
            running_rows(prod[:, :H], sizes),
            running_rows(prod[:, H:], sizes),
            strict=True,
        )
        # (outputs are passed positionally: parsing ``out=`` costs measurably at small sizes)
        for t, (h, gates, u, g_c, c, sig, i_f, o, tc, r, rc, pr, ig, fc) in enumerate(steps):
            np.dot(h, W_hh_T, rc)
            np.add(gates, rc, gates)
            np.tanh(gates, gates)
            np.multiply(u, half, sig)
            np.add(sig, half, sig)
            np.multiply(i_f, g_c, pr)
            np.add(ig, fc, c)  # c_t = i * g + f * c_{t-1}
            np.tanh(c, tc)
            np.multiply(o, tc, r)  # o * tanh(c_t)
            if W_hr_T is not None:
                np.matmul(r, W_hr_T, out=Hs[t, : sizes[t]])
        Cs = Z[1:, :, 4 * H :]  # (T, B, H) c_t
        # each sequence's state at its own length; everything back in the caller's order
        hT, cT = pb.last(Hs, h0), pb.last(Cs, c0)
        return pb.unpack(Hs), (hT, cT), (X, h0, Z, SIG, TC, R, Hs, pb)

    def _layer_backward(
        self, p: dict[str, NDArray], cache: Any, dY: NDArray, dstate: tuple[NDArray, ...]
    ) -> tuple[NDArray, tuple[NDArray, ...], dict[str, NDArray]]:
        X, h0, Z, SIG, TC, R, Hs, pb = cache
        T, B, I = X.shape
        H, P, dt = self.hidden_size, self._out_features(), self.dtype
        dY = pb.pack(dY)
        dh_T, dc_T = (pb.pack(s, axis=0) for s in dstate)
        rows = self._forward_rows  # the gate order (o, i, f, g) of the forward pass
        W_hh = p["weight_hh"][rows]  # (4H, P)
        W_hr = p.get("weight_hr")  # (P, H)
        # The local derivatives of every step at once, before the loop. With dr_t the gradient
        # reaching o_t * tanh(c_t) and dc_t the one reaching c_t (from step t + 1 and from h_t):
        #   dc_t = dr_t * K_t + dc_{t+1} * f_{t+1},     K_t = o_t * (1 - tanh(c_t)^2)
        #   delta_t = (dr_t, dc_t, dc_t, dc_t) * Q_t   (gate order o, i, f, g)
        # Each derivative is 1 - y^2 for a tanh output y: sigma'(a) = (1 - u^2) / 4.
        one_minus_sq = Z[:T] * Z[:T]  # (T, B, 5H): 1 - [u_o, u_i, u_f, g, c_{t-1}]^2
        np.subtract(1.0, one_minus_sq, out=one_minus_sq)
        Q = np.empty((T, B, 4, H), dt)
        np.multiply(TC, one_minus_sq[..., :H], out=Q[:, :, 0])
        QQ = Q.reshape(T, B, 4 * H)
        np.multiply(Z[:T, :, 3 * H :], one_minus_sq[..., H : 3 * H], out=QQ[..., H : 3 * H])
        Q[:, :, :3] *= 0.25
        np.multiply(SIG[..., H : 2 * H], one_minus_sq[..., 3 * H : 4 * H], out=Q[:, :, 3])
        KF = np.empty((T, B, 2, H), dt)  # [K_t, f_{t+1}]
        np.multiply(TC, TC, out=KF[:, :, 0])
        np.subtract(1.0, KF[:, :, 0], out=KF[:, :, 0])
        KF[:, :, 0] *= SIG[..., :H]
        KF[:-1, :, 1] = SIG[1:, :, 2 * H :]
        KF[-1, :, 1] = 1.0
        if pb.padded:  # a sequence's last step: its dc comes from dstate, unscaled
            KF[:-1, :, 1][pb.padding()[1:]] = 1.0

        dA = pb.alloc((T, B, 4 * H), dt)  # delta_t (zero past a length)
        DH = pb.alloc((T, B, P), dt) if W_hr is not None else None  # gradient reaching h_t
        dh = dh_T.copy()  # (B, P) gradient reaching h_t from step t + 1
        D = np.empty((B, 4, H), dt)  # [dr, dc, dc, dc]: one product gives delta
        D[:, 1] = dc_T
        pair = np.empty((B, 2, H), dt)  # [dr_t K_t, dc_{t+1} f_{t+1}]
        sizes = pb.batch_sizes
        steps = zip(
            step_rows(dY, sizes),
            step_rows(KF, sizes),
            step_rows(Q, sizes),
            step_rows(dA.reshape(T, B, 4, H), sizes),
            step_rows(dA, sizes),
            step_rows(DH, sizes) if DH is not None else [None] * T,
            running_rows(dh, sizes),
            running_rows(D, sizes),
            running_rows(D[:, 0], sizes),  # dr
            running_rows(D[:, :2], sizes),  # (dr, dc_{t+1})
            running_rows(D[:, 1:], sizes),  # dc, three times
            running_rows(pair, sizes),
            running_rows(pair[:, :1], sizes),
            running_rows(pair[:, 1:], sizes),
            strict=True,
        )
        for dy, kf, q, da4, da, dh_t, dh_, d, dr, dr_dc, dc3, pr, pr0, pr1 in reversed(list(steps)):
            if dh_t is None:
                np.add(dy, dh_, dr)
            else:
                np.add(dy, dh_, out=dh_t)
                np.matmul(dh_t, W_hr, out=dr)
            np.multiply(dr_dc, kf, pr)
            np.add(pr0, pr1, dc3)  # dc_t = dr_t K_t + dc_{t+1} f_{t+1}
            np.multiply(d, q, da4)
            np.dot(da, W_hh, dh_)
        dc = D[:, 1].copy()  # dc_0 goes through f_0 to c_{-1} (a sequence of length 0 has no step)
        dc[: sizes[0]] *= SIG[0, : sizes[0], 2 * H :]
        # weight gradients: one GEMM each after the loop, rows back in PyTorch's gate order
        back = np.argsort(rows)
        dA2 = dA.reshape(T * B, 4 * H)
        H_prev = np.concatenate([h0[None], Hs[:-1]]).reshape(T * B, P)
        grads = {
            "weight_ih": (dA2.T @ X.reshape(T * B, I))[back],
            "weight_hh": (dA2.T @ H_prev)[back],
        }
        if self.bias:
            grads["bias_ih"] = dA2.sum(axis=0)[back]
            grads["bias_hh"] = grads["bias_ih"].copy()
        if DH is not None:
            grads["weight_hr"] = DH.reshape(T * B, P).T @ R.reshape(T * B, H)
        dX = (dA2 @ p["weight_ih"][rows]).reshape(T, B, I)
        return pb.unpack(dX), (pb.unpack(dh, axis=0), pb.unpack(dc, axis=0)), grads
