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

How it is computed: every per-step array is stored *feature-major*, ``(T, features, B)``, so that
a step's gate block, state or derivative is one contiguous ``(features, B)`` slab. numpy's
elementwise calls are several times slower on a strided block (rows of a wider array, which a
gate block of a ``(B, 4H)`` array is) than on a contiguous one, and a step makes a dozen of them.
The gate pre-activations come from one GEMM per step against ``[x_t; 1; h_{t-1}]`` (the input,
the bias and the recurrence at once). In the backward pass the gate derivatives, which do not
depend on the backward recurrence, are computed vectorised over blocks of steps small enough to
stay in cache, just before the steps that use them; the weight gradients are one GEMM after the
loop. A padded batch runs every column for every step: the padding of ``x`` reads as zeros, each
sequence's final state is read at its own length and the gradient enters at its own last step,
so that nothing past a length contributes (exactly zero) to any gradient.

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

from ._core.layered import TorchStyleRNN
from ._core.validation import NDArray, check_positive_int
from .catalogue import Entry

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
    # Step t of the backward pass reads gate derivatives computed, a block of steps at a time,
    # just before; a block holds about this many numbers per derivative array. 2**17 (512 kB of
    # float32) measured best with a 512 kB L2 cache, 2**16 .. 2**19 within a few per cent; one
    # step per block is slower by call overhead on small batches, all steps at once by memory
    # traffic on long sequences.
    _derivative_block = 2**17

    def _layer_forward(
        self, p: dict[str, NDArray], X: NDArray, state0: tuple[NDArray, ...], mask: NDArray | None
    ) -> tuple[NDArray, tuple[NDArray, ...], Any]:
        T, B, I = X.shape
        H, P, dt = self.hidden_size, self._out_features(), self.dtype
        # One step's GEMM computes every gate from [x_t; 1; h_{t-1}] (K rows): folding the input
        # projection into the recurrent GEMM saves a pass over the gates per step, and measured
        # faster than one input GEMM before the loop plus its transposition into this layout.
        # The gates are computed in the order (o, i, f, g): the sigmoid gates form one block.
        # sigma(a) = (1 + tanh(a / 2)) / 2, so their weight rows are halved (exact in floating
        # point) and one tanh per step serves all four gates.
        blocks = [p["weight_ih"], p["weight_hh"]]
        if self.bias:
            blocks.insert(1, (p["bias_ih"] + p["bias_hh"])[:, None])
        W = np.concatenate(blocks, axis=1)[self._forward_rows]  # (4H, K)
        W[: 3 * H] *= 0.5
        K = W.shape[1]
        pad = None if mask is None else mask[:, :, 0] == 0  # (T, B) True past a length
        # XH[t] = [x_t; 1; h_{t-1}] (K, B); step t writes h_t into XH[t + 1]
        XH = np.empty((T + 1, K, B), dt)
        np.copyto(XH[:T, :I], X.transpose(0, 2, 1))
        if pad is not None:  # padding reads as zeros, whatever the caller put there
            XH[:T, :I].transpose(0, 2, 1)[pad] = 0.0
        if self.bias:
            XH[:, I] = 1.0
        XH[0, K - P :] = state0[0].T
        Hs = XH[1:, K - P :]  # (T, P, B) h_t
        # Z[t] = [u_o, u_i, u_f, g, c_{t-1}] (5H, B), u = tanh(a / 2); step t writes c_t into
        # Z[t + 1], so that (i, f) * (g, c_{t-1}) is one product
        Z = np.empty((T + 1, 5 * H, B), dt)
        Z[0, 4 * H :] = state0[1].T
        # SIG[t] = [o, i, f]; SIG[T] (f past the last step) = 0: no gradient comes from there
        SIG = np.empty((T + 1, 3 * H, B), dt)
        SIG[T] = 0.0
        TC = np.empty((T, H, B), dt)  # tanh(c_t)
        R = Hs if not self.proj_size else np.empty((T, H, B), dt)  # o_t * tanh(c_t)
        W_hr = p["weight_hr"] if self.proj_size else None  # (P, H)
        half = np.asarray(0.5, dt)  # a 0-d array: a Python float costs a conversion per call
        prod = np.empty((2 * H, B), dt)  # [i * g, f * c_{t-1}]
        ig, fc = prod[:H], prod[H:]
        # every step's views made ahead of the loop (one C-level iteration each)
        steps = zip(
            XH[:T],
            Z[:T, : 4 * H],  # the gates' pre-activations, then u and g
            Z[:T, : 3 * H],  # u_o, u_i, u_f
            Z[:T, 3 * H :],  # (g, c_{t-1})
            Z[1:, 4 * H :],  # c_t
            SIG[:T],
            SIG[:T, H:],  # (i, f)
            SIG[:T, :H],  # o
            TC,
            R,
            Hs,
            strict=True,
        )
        # (outputs are passed positionally: parsing ``out=`` costs measurably at small sizes)
        for xh, gates, u, g_c, c, sig, i_f, o, tc, r, h in steps:
            np.dot(W, xh, gates)
            np.tanh(gates, gates)
            np.multiply(u, half, sig)
            np.add(sig, half, sig)
            np.multiply(i_f, g_c, prod)
            np.add(ig, fc, c)  # c_t = i * g + f * c_{t-1}
            np.tanh(c, tc)
            np.multiply(o, tc, r)  # o * tanh(c_t)
            if W_hr is not None:
                np.dot(W_hr, r, h)
        Y = Hs.transpose(0, 2, 1).copy()  # (T, B, P)
        if pad is None:
            lengths = None
            hT, cT = XH[T, K - P :].T.copy(), Z[T, 4 * H :].T.copy()
        else:
            Y[pad] = 0.0
            # the state after a sequence's last step is in block t = its length (0: the
            # initial state, which a sequence of length 0 passes through)
            lengths = (~pad).sum(axis=0)
            cols = np.arange(B)
            hT, cT = XH[lengths, K - P :, cols], Z[lengths, 4 * H :, cols]  # (B, P), (B, H)
        return Y, (hT, cT), (XH, Z, SIG, TC, R, lengths, pad)

    def _layer_backward(
        self, p: dict[str, NDArray], cache: Any, dY: NDArray, dstate: tuple[NDArray, ...]
    ) -> tuple[NDArray, tuple[NDArray, ...], dict[str, NDArray]]:
        XH, Z, SIG, TC, R, lengths, pad = cache
        T, B = TC.shape[0], TC.shape[2]
        H, P, dt = self.hidden_size, self._out_features(), self.dtype
        I, K = p["weight_ih"].shape[1], XH.shape[1]
        rows = self._forward_rows  # the gate order (o, i, f, g) of the forward pass
        dh_T, dc_T = dstate
        # The gradient reaching each h_t from the outputs, (T, P, B); dstate's h part joins it
        # at each sequence's last step, its c part is added to dc there (see the loop). Past a
        # length nothing flows in, so the steps run there carry exactly zero gradient.
        DY = dY.transpose(0, 2, 1).copy()
        if lengths is None:
            DY[T - 1] += dh_T.T
            last_step: dict[int, Any] = {T - 1: slice(None)}
        else:
            DY.transpose(0, 2, 1)[pad] = 0.0
            running = np.flatnonzero(lengths)
            DY[lengths[running] - 1, :, running] += dh_T[running]
            last_step = {}
            for b in running:
                last_step.setdefault(int(lengths[b]) - 1, []).append(int(b))
        dc_last = dc_T.T  # (H, B) dstate's c part, added to dc_t at each sequence's last step
        W_hh_T = np.ascontiguousarray(p["weight_hh"][rows].T)  # (P, 4H)
        W_hr_T = p["weight_hr"].T if self.proj_size else None  # (H, P)
        dA = np.empty((T, 4 * H, B), dt)  # delta_t
        DH = np.empty((T, P, B), dt) if W_hr_T is not None else None  # gradient reaching h_t
        # D = [dr, dc, dc, dc] (gate order o, i, f, g): one product with Q_t gives delta_t
        D = np.zeros((4 * H, B), dt)
        dr, dr_dc, dc3 = D[:H], D[: 2 * H], D.reshape(4, H, B)[1:]
        dh = np.zeros((P, B), dt)  # W_hh^T delta_{t+1}: the gradient reaching h_t from step t+1
        pair = np.empty((2 * H, B), dt)  # [dr_t K_t, dc_{t+1} f_{t+1}]
        pair0, pair1 = pair[:H], pair[H:]
        # The local derivatives, for a block of steps at a time. With dr_t the gradient reaching
        # o_t * tanh(c_t) and dc_t the one reaching c_t (from step t + 1 and from h_t):
        #   dc_t = dr_t * K_t + dc_{t+1} * f_{t+1},     K_t = o_t * (1 - tanh(c_t)^2)
        #   delta_t = (dr_t, dc_t, dc_t, dc_t) * Q_t   (gate order o, i, f, g)
        # Each derivative is 1 - y^2 for a tanh output y: sigma'(a) = (1 - u^2) / 4.
        size = max(1, min(T, self._derivative_block // (4 * H * B)))
        Q_block = np.empty((size, 4 * H, B), dt)
        KF_block = np.empty((size, 2 * H, B), dt)  # [K_t, f_{t+1}]
        # every step's views made ahead of the loop; blocks start at multiples of ``size``, so
        # step t's derivatives are row t % size of the block arrays
        Qs, KFs = list(Q_block), list(KF_block)
        steps = list(
            zip(
                DY,
                dA,
                DH if DH is not None else [None] * T,
                [Qs[t % size] for t in range(T)],
                [KFs[t % size] for t in range(T)],
                strict=True,
            )
        )
        for start in reversed(range(0, T, size)):
            stop = min(start + size, T)
            Q, KF = Q_block[: stop - start], KF_block[: stop - start]
            np.multiply(Z[start:stop, : 4 * H], Z[start:stop, : 4 * H], Q)
            np.subtract(1.0, Q, Q)  # 1 - [u_o, u_i, u_f, g]^2
            Q[:, :H] *= TC[start:stop]
            Q[:, H : 3 * H] *= Z[start:stop, 3 * H :]  # g, c_{t-1}
            Q[:, : 3 * H] *= 0.25
            Q[:, 3 * H :] *= SIG[start:stop, H : 2 * H]  # i
            Kt = KF[:, :H]
            np.multiply(TC[start:stop], TC[start:stop], Kt)
            np.subtract(1.0, Kt, Kt)
            Kt *= SIG[start:stop, :H]  # o
            KF[:, H:] = SIG[start + 1 : stop + 1, 2 * H :]  # f_{t+1}
            for t in range(stop - 1, start - 1, -1):
                dy, da, dh_t, q, kf = steps[t]
                if dh_t is None:
                    np.add(dy, dh, dr)
                else:
                    np.add(dy, dh, dh_t)
                    np.dot(W_hr_T, dh_t, dr)
                np.multiply(dr_dc, kf, pair)
                np.add(pair0, pair1, dc3)  # dc_t = dr_t K_t + dc_{t+1} f_{t+1}
                if t in last_step:  # these sequences end at step t: dstate's c part enters
                    cols = last_step[t]
                    dc3[:, :, cols] += dc_last[:, cols]
                np.multiply(D, q, da)
                np.dot(W_hh_T, da, dh)
        # dc_0 goes through f_0 to c_{-1}; a sequence of length 0 passes dstate through
        dh0, dc0 = dh.T.copy(), (D[H : 2 * H] * SIG[0, 2 * H :]).T.copy()
        if lengths is not None:
            empty = lengths == 0
            dh0[empty], dc0[empty] = dh_T[empty], dc_T[empty]
        # weight gradients: one GEMM over all steps and sequences, (4H, T B) x (T B, K), giving
        # [dW_ih | db | dW_hh] at once; rows back in PyTorch's gate order
        # (dA as a (4H, T B) matrix: numpy copies the transposition in runs of B numbers, slow
        # for a small batch, where copying it to (T B, 4H) measured faster, crossing near 32)
        back = np.argsort(rows)
        if B < 32:
            dA2 = dA.transpose(0, 2, 1).reshape(T * B, 4 * H).T
        else:
            dA2 = dA.transpose(1, 0, 2).reshape(4 * H, T * B)
        dW = (dA2 @ XH[:T].transpose(0, 2, 1).reshape(T * B, K))[back]
        grads = {"weight_ih": dW[:, :I].copy(), "weight_hh": dW[:, K - P :].copy()}
        if self.bias:
            grads["bias_ih"] = dW[:, I].copy()
            grads["bias_hh"] = dW[:, I].copy()
        if DH is not None:
            grads["weight_hr"] = np.tensordot(DH, R, axes=([0, 2], [0, 2]))  # (P, H)
        dX = (dA2.T @ p["weight_ih"][rows]).reshape(T, B, I)
        return dX, (dh0, dc0), grads


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="lstm",
    title="Long short-term memory (LSTM)",
    cls=LSTM,
    family="gated",
    year=1997,
    reference=(
        'S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation '
        "9(8):1735-1780, 1997; forget gate: F. A. Gers, J. Schmidhuber and F. Cummins, "
        '"Learning to forget: continual prediction with LSTM", Neural Computation '
        "12(10):2451-2471, 2000"
    ),
    task="adding",
    trainable=True,
    summary="Gated memory cell with forget gate; PyTorch nn.LSTM's equations, proj_size.",
    examples=(
        {"hidden_size": 3},
        {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
        {"hidden_size": 4, "proj_size": 2, "num_layers": 2, "bidirectional": True},
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
