r"""Deep echo state network: a stack of reservoirs, each driven by the one below.

Gallicchio, Micheli & Pedrelli (2017) stack :math:`L` leaky-integrator reservoirs of
:math:`N` units. The first is driven by the input :math:`u_t`, every other one by the state the
layer below reached at the same step:

.. math::

    x^{(1)}_t &= (1 - a^{(1)})\, x^{(1)}_{t-1}
        + a^{(1)} \tanh\left(W^{(1)} x^{(1)}_{t-1} + W^{(1)}_{in} u_t + b^{(1)}\right) \\
    x^{(l)}_t &= (1 - a^{(l)})\, x^{(l)}_{t-1}
        + a^{(l)} \tanh\left(W^{(l)} x^{(l)}_{t-1} + W^{(l)}_{in} x^{(l-1)}_t + b^{(l)}\right),
        \qquad l = 2, \ldots, L

and a linear readout, the only trained part, sees every layer's state (and, with
``input_to_readout=True``, the input):

.. math::

    y_t = W_{out} \left[x^{(1)}_t; \ldots; x^{(L)}_t\right] + b_{out}.

Every layer is drawn like the echo state network's reservoir
(:func:`recurrent_zoo._core.reservoir.draw_reservoir`): a sparse :math:`W^{(l)}` scaled to
spectral radius :math:`\rho^{(l)}` (``spectral_radius``), :math:`W^{(1)}_{in}` with
``input_scaling``, ``input_connectivity`` and ``input_distribution`` as the ESN's, and the
inter-layer matrices :math:`W^{(l)}_{in}`, :math:`l \geq 2`, dense U(-1, 1) times
``inter_scaling`` (the authors' DeepESN code draws every layer's input matrix from
U(-scale, scale)). ``spectral_radius`` and ``leak_rate`` take one value for all layers or one
per layer. One difference from the authors' DeepESN library: it scales the leaky matrix
:math:`(1 - a) I + a W` to the spectral radius (the quantity of the echo state property's
necessary condition for leaky units, Gallicchio & Micheli 2017), where this module, like the
ESN and ReservoirPy, scales :math:`W`; the two agree for :math:`a = 1`.

**Why layers.** Each layer filters the one below, so the layers' states carry the input's
history on different time scales; :meth:`DeepESN.memory_capacity` measures, layer by layer,
Jaeger's short-term memory capacity -- how much of the past input a linear readout of that
layer's states recovers -- and that of all layers together.

**Computation.** Because layer :math:`l` only reads layer :math:`l - 1` at the same step,
each layer runs over the whole batch before the next one: its drive for every step is one GEMM
from the states of the layer below, then the shared reservoir kernel runs the recurrence
(one sparse product per step for all the sequences still running; a list of sequences of
different lengths is packed by length, :mod:`recurrent_zoo._core.reservoir`). The readout is
the shared chunked ridge regression (:mod:`recurrent_zoo._core.readouts`).

References
----------
C. Gallicchio, A. Micheli and L. Pedrelli, "Deep reservoir computing: A critical experimental
analysis", Neurocomputing 268:87-99, 2017.

C. Gallicchio and A. Micheli, "Echo state property of deep reservoir computing networks",
Cognitive Computation 9(3):337-350, 2017.

H. Jaeger, "Short term memory in echo state networks", GMD Report 152, 2001.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import numpy as np

from ._core import io
from ._core.init import make_rng
from ._core.readouts import RidgeAccumulator, capped_blas
from ._core.reservoir import (
    RESERVOIR_KEYS,
    ReservoirModel,
    SequenceBatch,
    Steps,
    draw_reservoir,
    r2_score,
    record_finals,
    recurrent_matrix,
    run_reservoir,
)
from ._core.validation import (
    NDArray,
    check_array,
    check_choice,
    check_dtype,
    check_positive_int,
    check_probability,
    check_real,
)
from .catalogue import Entry

__all__ = ["DeepESN", "compare_run", "depth_memory"]

#: reservoir steps held in memory at once (times batch x units x layers)
_CHUNK_ELEMENTS = 1 << 21


def _per_layer(value: Any, name: str, layers: int, check: Any) -> list[float]:
    """One checked value per layer from a number or a sequence of ``layers`` numbers."""
    if isinstance(value, (list, tuple, np.ndarray)):
        values = list(np.asarray(value, dtype=object).ravel())
        if len(values) != layers:
            raise ValueError(
                f"{name} must be a number or a sequence of layers={layers} numbers; "
                f"got {len(values)} values"
            )
        return [check(v, f"{name}[{k}]") for k, v in enumerate(values)]
    return [check(value, name)] * layers


def _radius(value: Any, name: str) -> float:
    return check_real(value, name, low=0.0, closed="neither")


def _leak(value: Any, name: str) -> float:
    return check_probability(value, name, closed="right")


def _nonnegative(value: Any, name: str) -> float:
    return check_real(value, name, low=0.0, closed="left")


class DeepESN(ReservoirModel):
    r"""Deep echo state network: ``layers`` stacked reservoirs and a ridge readout on them all.

    Parameters
    ----------
    units : int, default 100
        Units per layer ``N``.
    layers : int, default 2
        Number of layers ``L``.
    spectral_radius : float or sequence of floats, default 0.9
        :math:`\rho(W^{(l)})`, one value for every layer or one per layer (> 0).
    leak_rate : float or sequence of floats, default 1.0
        :math:`a^{(l)}` in (0, 1], one value or one per layer.
    input_scaling : float, default 1.0
        Scale of :math:`W^{(1)}_{in}`.
    inter_scaling : float, default 1.0
        Scale of the inter-layer matrices :math:`W^{(l)}_{in}`, :math:`l \geq 2`.
    connectivity : float, default 0.1
        Fraction of non-zero entries of each :math:`W^{(l)}`.
    input_connectivity : float, default 1.0
        Fraction of non-zero entries of :math:`W^{(1)}_{in}` (the inter-layer ones are dense).
    distribution : {"uniform", "normal"}, default "uniform"
        Distribution of the non-zero entries of each :math:`W^{(l)}` before rescaling.
    input_distribution : {"uniform", "bernoulli"}, default "uniform"
        U(-1, 1) or {-1, +1} entries of :math:`W^{(1)}_{in}`.
    bias_scaling : float, default 0.0
        Scale of each layer's bias (U(-1, 1) entries).
    activation : {"tanh", "identity"}, default "tanh"
    input_to_readout : bool, default False
        Let the readout see the input as well as the states.
    ridge : float, default 1e-8
        Ridge penalty of the readout (intercept unpenalised).
    seed : None, int or numpy.random.Generator
        Fixed to one integer the first time it is needed (drawing, saving), as the ESN's;
        layer ``l`` is drawn from its own stream.
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    params : dict of str to ndarray
        ``layer{l}.W_data``, ``layer{l}.W_indices``, ``layer{l}.W_indptr`` (CSR arrays of
        :math:`W^{(l)}`), ``layer{l}.W_in``, ``layer{l}.bias`` for ``l = 1..L``, and once
        fitted ``W_out`` ``(O, L N [+ I])`` and ``b_out`` ``(O,)``.
    last_state_ : ndarray of shape (B, L N)
        Each sequence's state (all layers, layer 1 first) at its last step in the latest
        ``fit``, ``run`` or ``predict``.

    Examples
    --------
    >>> from recurrent_zoo.tasks import mackey_glass_series, nrmse
    >>> s = mackey_glass_series(1200)[:, None]
    >>> deep = DeepESN(units=50, layers=3, leak_rate=0.5, ridge=1e-7, seed=0)
    >>> deep = deep.fit(s[:999], s[1:1000], warmup=100)
    >>> bool(nrmse(s[1001:], deep.predict(s[1000:-1], state=deep.last_state_)) < 0.05)
    True
    >>> deep.run(s[:10]).shape, deep.params["W_out"].shape
    ((10, 150), (1, 150))
    """

    def __init__(
        self,
        units: int = 100,
        layers: int = 2,
        *,
        spectral_radius: Any = 0.9,
        leak_rate: Any = 1.0,
        input_scaling: float = 1.0,
        inter_scaling: float = 1.0,
        connectivity: float = 0.1,
        input_connectivity: float = 1.0,
        distribution: str = "uniform",
        input_distribution: str = "uniform",
        bias_scaling: float = 0.0,
        activation: str = "tanh",
        input_to_readout: bool = False,
        ridge: float = 1e-8,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.units = units
        self.layers = layers
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.inter_scaling = inter_scaling
        self.connectivity = connectivity
        self.input_connectivity = input_connectivity
        self.distribution = distribution
        self.input_distribution = input_distribution
        self.bias_scaling = bias_scaling
        self.activation = activation
        self.input_to_readout = input_to_readout
        self.ridge = ridge
        self.seed = seed
        self.dtype = dtype
        self._setup()

    # ------------------------------------------------------------------ hyperparameters
    _readout_params = frozenset({"ridge"})

    def _validate(self) -> None:
        check_positive_int(self.units, "units")
        L = check_positive_int(self.layers, "layers")
        self._radii = _per_layer(self.spectral_radius, "spectral_radius", L, _radius)
        self._leaks = _per_layer(self.leak_rate, "leak_rate", L, _leak)
        for name in ("input_scaling", "inter_scaling", "bias_scaling", "ridge"):
            _nonnegative(getattr(self, name), name)
        check_probability(self.connectivity, "connectivity", closed="right")
        check_probability(self.input_connectivity, "input_connectivity", closed="right")
        check_choice(self.distribution, "distribution", ("uniform", "normal"))
        check_choice(self.input_distribution, "input_distribution", ("uniform", "bernoulli"))
        check_choice(self.activation, "activation", ("tanh", "identity"))
        if not isinstance(self.input_to_readout, (bool, np.bool_)):
            got = self.input_to_readout
            raise TypeError(f"input_to_readout must be True or False; got {got!r}")
        if not isinstance(self.seed, np.random.Generator):
            make_rng(self.seed)  # raises on a bad seed
        self._dtype = check_dtype(self.dtype)

    @classmethod
    def equations(cls) -> list[Any]:
        """Layer 1, layer ``l >= 2`` and the readout as sympy ``Eq`` objects."""
        import sympy as sp

        N, I, O, L = sp.symbols("N I O L", integer=True, positive=True)
        a1, al = sp.Symbol("a^{(1)}"), sp.Symbol("a^{(l)}")
        tanh = sp.Function("tanh")  # applied elementwise
        x1, x1p = sp.MatrixSymbol("x^{(1)}_t", N, 1), sp.MatrixSymbol("x^{(1)}_{t-1}", N, 1)
        xl, xlp = sp.MatrixSymbol("x^{(l)}_t", N, 1), sp.MatrixSymbol("x^{(l)}_{t-1}", N, 1)
        below = sp.MatrixSymbol("x^{(l-1)}_t", N, 1)
        u, y = sp.MatrixSymbol("u_t", I, 1), sp.MatrixSymbol("y_t", O, 1)
        W1, Win1 = sp.MatrixSymbol("W^{(1)}", N, N), sp.MatrixSymbol("W^{(1)}_{in}", N, I)
        Wl, Winl = sp.MatrixSymbol("W^{(l)}", N, N), sp.MatrixSymbol("W^{(l)}_{in}", N, N)
        b1, bl = sp.MatrixSymbol("b^{(1)}", N, 1), sp.MatrixSymbol("b^{(l)}", N, 1)
        W_out, b_out = sp.MatrixSymbol("W_out", O, L * N), sp.MatrixSymbol("b_out", O, 1)
        states = sp.MatrixSymbol("[x^{(1)}_t; ...; x^{(L)}_t]", L * N, 1)
        return [
            sp.Eq(
                x1,
                sp.Add((1 - a1) * x1p, a1 * tanh(W1 * x1p + Win1 * u + b1), evaluate=False),
                evaluate=False,
            ),
            sp.Eq(
                xl,
                sp.Add((1 - al) * xlp, al * tanh(Wl * xlp + Winl * below + bl), evaluate=False),
                evaluate=False,
            ),
            sp.Eq(y, W_out * states + b_out, evaluate=False),
        ]

    def allocate_params(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Build zero parameter arrays of the stored shapes, checked against the hyperparameters."""
        N, L = int(self.units), int(self.layers)
        if not shapes:
            self.params = {}
            return
        want: dict[str, tuple[int, ...]] = {}
        I = -1
        for l in range(1, L + 1):
            keys = [f"layer{l}.{k}" for k in RESERVOIR_KEYS]
            missing = [k for k in keys if k not in shapes]
            if missing:
                raise ValueError(f"the file lacks DeepESN parameters {missing}")
            data = shapes[f"layer{l}.W_data"]
            nnz = data[0] if len(data) == 1 else -1
            W_in = shapes[f"layer{l}.W_in"]
            fan_in = (W_in[1] if len(W_in) == 2 else -1) if l == 1 else N
            I = fan_in if l == 1 else I
            want.update(
                {
                    f"layer{l}.W_data": (nnz,),
                    f"layer{l}.W_indices": (nnz,),
                    f"layer{l}.W_indptr": (N + 1,),
                    f"layer{l}.W_in": (N, fan_in),
                    f"layer{l}.bias": (N,),
                }
            )
        if "W_out" in shapes:
            O = shapes["W_out"][0] if len(shapes["W_out"]) == 2 else -1
            want["W_out"] = (O, L * N + (I if self.input_to_readout else 0))
            want["b_out"] = (O,)
        for key, shape in shapes.items():
            if key not in want or tuple(shape) != want[key] or min(want[key]) < 0:
                raise ValueError(
                    f"parameter {key!r} of shape {tuple(shape)} does not fit a DeepESN with "
                    f"units={N}, layers={L}, input_to_readout={self.input_to_readout}"
                )
        self.params = {
            k: np.zeros(s, dtype=np.int32 if k.endswith(("W_indices", "W_indptr")) else self._dtype)
            for k, s in want.items()
        }

    # ------------------------------------------------------------------ the reservoirs
    @property
    def input_size(self) -> int | None:
        W_in = self.params.get("layer1.W_in")
        return None if W_in is None else int(W_in.shape[1])

    @property
    def output_size(self) -> int | None:
        W_out = self.params.get("W_out")
        return None if W_out is None else int(W_out.shape[0])

    @property
    def is_fitted(self) -> bool:
        """Whether a readout has been learned."""
        return "W_out" in self.params

    def layer(self, l: int) -> dict[str, NDArray]:
        """Layer ``l``'s arrays (1-based) under the ESN's names, sharing ``params``' arrays."""
        self._require_reservoir()
        if not 1 <= l <= self.layers:
            raise ValueError(f"l must be in [1, layers={self.layers}]; got {l}")
        return {k: self.params[f"layer{l}.{k}"] for k in RESERVOIR_KEYS}

    def W(self, l: int) -> Any:
        """Layer ``l``'s recurrent matrix (1-based) as a ``scipy.sparse.csr_matrix``."""
        return recurrent_matrix(self.layer(l))

    def initialize(self, input_size: int) -> DeepESN:
        """Draw every layer for ``input_size`` inputs.

        Examples
        --------
        >>> deep = DeepESN(units=20, layers=3, seed=0).initialize(2)
        >>> deep.params["layer1.W_in"].shape, deep.params["layer3.W_in"].shape
        ((20, 2), (20, 20))
        """
        I = check_positive_int(input_size, "input_size", minimum=0)
        N = int(self.units)
        rng = make_rng(self._resolved_seed())
        seeds = [int(s) for s in rng.integers(0, 2**63 - 1, size=int(self.layers))]
        params: dict[str, NDArray] = {}
        for l, seed in enumerate(seeds, start=1):
            first = l == 1
            drawn = draw_reservoir(
                N,
                I if first else N,
                seed,
                spectral_radius=self._radii[l - 1],
                connectivity=self.connectivity,
                distribution=self.distribution,
                input_scaling=self.input_scaling if first else self.inter_scaling,
                input_connectivity=self.input_connectivity if first else 1.0,
                input_distribution=self.input_distribution if first else "uniform",
                bias_scaling=self.bias_scaling,
                dtype=self._dtype,
            )
            params.update({f"layer{l}.{k}": v for k, v in drawn.items()})
        self.params = params
        return self

    def _require_reservoir(self) -> None:
        if "layer1.W_data" not in self.params:
            raise RuntimeError("the reservoirs are not drawn yet: call fit() or initialize() first")

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError("this DeepESN is not fitted yet: call fit() first")

    def _drive(
        self,
        batch: SequenceBatch,
        t0: int,
        t1: int,
        states: list[NDArray],
        *,
        last_rows: bool = True,
    ) -> tuple[list[Steps], list[NDArray]]:
        """Run every layer over steps t0..t1-1 from ``states`` (one (N, b) per layer).

        Returns each layer's states, packed by step, and the same as rows ``(n, N)`` (the last
        layer's only if ``last_rows``: the others' are the next layer's input anyway).
        """
        rows = batch.rows(batch.U, t0, t1)  # (n, I): the first layer's input
        live = batch.live[t0:t1]
        steps, layer_rows = [], []
        for l in range(int(self.layers)):
            S = run_reservoir(
                self.layer(l + 1),
                rows,
                live,
                states[l],
                leak_rate=self._leaks[l],
                activation=self.activation,
            )
            steps.append(S)
            if last_rows or l + 1 < int(self.layers):
                rows = S.rows()  # (n, N): this layer's states drive the next
                layer_rows.append(rows)
        return steps, layer_rows

    def _features(
        self, layer_rows: list[NDArray], batch: SequenceBatch, t0: int, t1: int
    ) -> NDArray:
        parts = list(layer_rows)
        if self.input_to_readout:
            parts.append(batch.rows(batch.U, t0, t1))
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def _chunks(self, T: int, B: int) -> range:
        step = max(1, _CHUNK_ELEMENTS // max(1, B * int(self.units) * int(self.layers)))
        return range(0, T, step)

    def _initial_states(self, state: Any, batch: SequenceBatch) -> list[NDArray]:
        N, L, B = int(self.units), int(self.layers), batch.B
        if state is None:
            return [np.zeros((N, B), dtype=self._dtype) for _ in range(L)]
        s = check_array(state, "state", ndim=(1, 2), dtype=self._dtype)
        if s.ndim == 1:
            s = np.broadcast_to(s, (B, s.shape[0]))
        if s.shape != (B, L * N):
            raise ValueError(
                f"state must have shape (L N={L * N},) or (B={B}, L N={L * N}); got {s.shape}"
            )
        s = batch.sort(s)
        return [np.ascontiguousarray(s[:, l * N : (l + 1) * N].T) for l in range(L)]

    def _batch(self, X: Any, Y: Any = None) -> tuple[SequenceBatch, NDArray | None]:
        batch = SequenceBatch.from_input(
            X, dtype=self._dtype, n_features=self.input_size, owner="DeepESN"
        )
        if Y is None:
            return batch, None
        return batch, batch.targets(
            Y, dtype=self._dtype, n_outputs=self.output_size, owner="DeepESN"
        )

    def _set_last_state(self, batch: SequenceBatch, finals: list[NDArray]) -> None:
        self.last_state_ = batch.unsort(np.concatenate(finals, axis=0).T.copy())  # (B, L N)

    # ------------------------------------------------------------------ fitting and running
    @capped_blas
    def fit(self, X: Any, Y: Any, warmup: int = 0) -> DeepESN:
        """Learn the readout from inputs ``X`` and targets ``Y`` (reservoirs drawn if needed).

        ``X`` is ``(T, I)``, ``(T, B, I)`` or a list of ``(T_k, I)`` arrays, ``Y`` the targets
        step by step in the same form; ``warmup`` steps at the start of every sequence are left
        out of the regression. Returns ``self``.
        """
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        if Y is None:
            raise ValueError("Y is required to fit the readout")
        batch = SequenceBatch.from_input(
            X, dtype=self._dtype, n_features=self.input_size, owner="DeepESN"
        )
        Yt = batch.targets(Y, dtype=self._dtype)
        self.params.pop("W_out", None)
        self.params.pop("b_out", None)
        if "layer1.W_data" not in self.params:
            self.initialize(batch.U.shape[2])
        T, B, O = Yt.shape
        N, L = int(self.units), int(self.layers)
        F = L * N + (batch.U.shape[2] if self.input_to_readout else 0)
        states = self._initial_states(None, batch)
        finals = [np.zeros((N, B), dtype=self._dtype) for _ in range(L)]
        with RidgeAccumulator(F, O, background=True) as acc:
            chunks = self._chunks(T, B)
            for t0 in chunks:
                t1 = min(T, t0 + chunks.step)
                steps, layer_rows = self._drive(batch, t0, t1, states)
                for l, S in enumerate(steps):
                    states[l] = S.block(-1)
                    record_finals(S, t0, batch.live, finals[l])
                lo = max(warmup, t0)
                if lo < t1:
                    n_skip = sum(batch.live[t0:lo])  # rows of the warmup steps in this chunk
                    Z = self._features([r[n_skip:] for r in layer_rows], batch, lo, t1)
                    acc.add(Z, batch.rows(Yt, lo, t1))
            self._set_last_state(batch, finals)
            if acc.count == 0:
                raise ValueError(
                    f"warmup={warmup} leaves no training step: every sequence is shorter"
                )
            W_out, b_out = acc.solve(float(self.ridge))
        self.params["W_out"] = W_out.astype(self._dtype)
        self.params["b_out"] = b_out.astype(self._dtype)
        return self

    def _run(self, X: Any, state: Any, readout: bool) -> tuple[SequenceBatch, NDArray]:
        """States ``(T, B, L N)`` (or outputs ``(T, B, O)``) aligned with the batch, zero past
        each sequence's end."""
        batch, _ = self._batch(X)
        T, B = batch.T, batch.B
        states = self._initial_states(state, batch)
        finals = [np.zeros_like(s) for s in states]
        width = self.params["W_out"].shape[0] if readout else len(states) * int(self.units)
        out = np.zeros((T, B, width), dtype=self._dtype)
        chunks = self._chunks(T, B)
        for t0 in chunks:
            t1 = min(T, t0 + chunks.step)
            steps, layer_rows = self._drive(batch, t0, t1, states)
            for l, S in enumerate(steps):
                states[l] = S.block(-1)
                record_finals(S, t0, batch.live, finals[l])
            if readout:
                Z = self._features(layer_rows, batch, t0, t1)
                rows = Z @ self.params["W_out"].T + self.params["b_out"]
            else:
                rows = np.concatenate(layer_rows, axis=1)
            out[t0:t1][batch.mask(t0, t1)] = rows
        self._set_last_state(batch, finals)
        return batch, out

    @capped_blas
    def pool(self, X: Any, how: str = "last", *, state: Any = None) -> NDArray:
        """One feature vector per sequence: every layer's last state, or its mean over steps.

        ``X`` in any of the input forms; returns ``(B, L N)`` in the order of the sequences
        (layer 1's units first). The batch runs chunk by chunk, so memory does not grow with
        the sequences' lengths. ``last_state_`` is set as by :meth:`run`.

        Examples
        --------
        >>> deep = DeepESN(units=8, layers=2, connectivity=0.5, seed=0).initialize(1)
        >>> X = [np.ones((5, 1)), np.ones((3, 1))]
        >>> bool(np.allclose(deep.pool(X, "mean")[1], deep.run(X[1]).mean(axis=0)))
        True
        >>> bool(np.allclose(deep.pool(X)[0], deep.run(X[0])[-1]))
        True
        """
        check_choice(how, "how", ("last", "mean"))
        batch, _ = self._batch(X)
        if "layer1.W_data" not in self.params:
            self.initialize(batch.U.shape[2])
        T, B = batch.T, batch.B
        states = self._initial_states(state, batch)
        finals = [np.zeros_like(s) for s in states]
        sums = [np.zeros_like(s) for s in states] if how == "mean" else []
        chunks = self._chunks(T, B)
        for t0 in chunks:
            t1 = min(T, t0 + chunks.step)
            steps, _ = self._drive(batch, t0, t1, states, last_rows=False)
            for l, S in enumerate(steps):
                states[l] = S.block(-1)
                record_finals(S, t0, batch.live, finals[l])
                if sums:
                    if S.uniform:
                        sums[l] += S.dense().sum(axis=0)
                    else:
                        for i, b in enumerate(S.live):
                            sums[l][:, :b] += S.block(i)
        self._set_last_state(batch, finals)
        if how == "mean":
            feats = np.concatenate(sums, axis=0) / batch.seq_lengths  # (L N, B)
        else:
            feats = np.concatenate(finals, axis=0)
        return batch.unsort(np.ascontiguousarray(feats.T))

    @capped_blas
    def run(self, X: Any, *, state: Any = None) -> Any:
        """Every layer's states driven by ``X``, shaped like ``X`` with ``L N`` features.

        Layer ``l``'s states are features ``(l - 1) N .. l N - 1``. ``state`` ``(L N,)`` or
        ``(B, L N)`` is the initial state of every layer (zeros by default).
        """
        self._require_reservoir()
        batch, out = self._run(X, state, readout=False)
        return batch.unpack(out)

    @capped_blas
    def predict(self, X: Any, *, state: Any = None) -> Any:
        """Outputs for inputs ``X``, shaped like ``X`` with ``output_size`` features.

        Each call starts from ``state`` (zeros by default; ``last_state_`` continues the
        latest ``fit``, ``run`` or ``predict``).
        """
        self._require_fitted()
        batch, out = self._run(X, state, readout=True)
        return batch.unpack(out)

    def score(self, X: Any, Y: Any, *, warmup: int = 0, state: Any = None) -> float:
        """R^2 (``1 - NMSE``, averaged over outputs) of ``predict(X, state=state)`` past
        ``warmup`` steps of every sequence, as :meth:`recurrent_zoo.esn.ESN.score`."""
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        pred = self.predict(X, state=state)
        batch, Yt = self._batch(X, Y)
        assert Yt is not None
        return r2_score(pred, batch.unpack(Yt), warmup)

    # ------------------------------------------------------------------ memory capacity
    @capped_blas
    def memory_capacity(
        self,
        max_delay: int | None = None,
        *,
        train_steps: int = 5000,
        test_steps: int = 5000,
        warmup: int = 200,
        data_seed: Any = 0,
    ) -> dict[str, Any]:
        r"""Jaeger's short-term memory capacity of each layer, of the layers up to each, of all.

        Drives the (one-input) network with i.i.d. :math:`u_t \sim U(-0.5, 0.5)`; for every
        delay :math:`k = 1..K` a linear readout (ridge, this model's penalty) is fitted on
        ``train_steps`` steps to recall :math:`u_{t-k}`, and on ``test_steps`` fresh steps
        :math:`MC_k = r^2(u_{t-k}, y_k(t))`, :math:`MC = \sum_k MC_k`
        (:func:`recurrent_zoo.tasks.memory_capacity`). The readout sees layer ``l`` alone
        (``per_layer``), layers ``1..l`` (``cumulative``; its last value is the whole
        network's). ``K`` defaults to ``2 L N``. The model's own readout is left alone; the
        reservoirs are drawn for one input if they are not yet.

        Returns a dict with ``per_layer`` and ``cumulative`` (lists of ``L`` floats),
        ``per_delay`` (``(L, K)``: each layer's :math:`MC_k`) and ``max_delay``.

        Examples
        --------
        >>> mc = DeepESN(units=30, layers=2, spectral_radius=0.9, input_scaling=0.1,
        ...              seed=0).memory_capacity(train_steps=1000, test_steps=1000)
        >>> len(mc["per_layer"]), bool(0 < mc["cumulative"][-1] <= 60)
        (2, True)
        """
        from .tasks.reservoir import memory_capacity

        N, L = int(self.units), int(self.layers)
        K = check_positive_int(2 * L * N if max_delay is None else max_delay, "max_delay")
        train_steps = check_positive_int(train_steps, "train_steps")
        test_steps = check_positive_int(test_steps, "test_steps")
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        if "layer1.W_data" not in self.params:
            self.initialize(1)
        elif self.input_size != 1:
            raise ValueError(
                f"memory_capacity needs a one-input network; input_size={self.input_size}"
            )
        start = warmup + K  # every delay exists from here on
        total = start + train_steps + test_steps
        u = make_rng(data_seed).uniform(-0.5, 0.5, size=total).astype(self._dtype)
        batch = SequenceBatch.from_input(u[:, None], dtype=self._dtype)
        steps, layer_rows = self._drive(batch, 0, total, self._initial_states(None, batch))
        lagged = np.stack([u[start - k : total - k] for k in range(1, K + 1)], axis=1)  # (n, K)
        split = train_steps
        per_layer, cumulative, per_delay = [], [], []
        for l in range(L):
            for which, Z in (("alone", layer_rows[l]), ("upto", np.hstack(layer_rows[: l + 1]))):
                Z = Z[start:]
                acc = RidgeAccumulator(Z.shape[1], K)
                acc.add(Z[:split], lagged[:split])
                W, b = acc.solve(float(self.ridge))
                pred = Z[split:] @ W.T + b  # (test, K)
                if which == "alone":
                    per_layer.append(memory_capacity(lagged[split:], pred))
                    per_delay.append(_per_delay_r2(lagged[split:], pred))
                else:
                    cumulative.append(memory_capacity(lagged[split:], pred))
        return {
            "per_layer": per_layer,
            "cumulative": cumulative,
            "per_delay": np.array(per_delay),
            "max_delay": K,
        }


io.register_class(DeepESN)


def _per_delay_r2(true: NDArray, pred: NDArray) -> NDArray:
    tc, pc = true - true.mean(axis=0), pred - pred.mean(axis=0)
    cov = (tc * pc).mean(axis=0)
    var_t, var_p = (tc**2).mean(axis=0), (pc**2).mean(axis=0)
    return np.where(var_p > 0, cov**2 / (var_t * np.where(var_p > 0, var_p, 1.0)), 0.0)


def _catalogue_example(input_size: int, *, seed: Any, dtype: Any, **kwargs: Any) -> DeepESN:
    """A small unfitted deep ESN for the common checks (``recurrent_zoo.testing``)."""
    base: dict[str, Any] = {
        "units": 10,
        "layers": 3,
        "spectral_radius": 0.9,
        "connectivity": 0.3,
        "bias_scaling": 0.2,
        "ridge": 1e-3,
    }
    base.update(kwargs)
    return DeepESN(**base, seed=seed, dtype=dtype)


# ---------------------------------------------------------------------- experiments
#: the memory experiment's network: 4 layers of 50 units against one reservoir of 200
_MEMORY_SETUP: dict[str, Any] = {
    "spectral_radius": 0.9,
    "leak_rate": 1.0,
    "input_scaling": 0.1,
    "inter_scaling": 0.1,
    "connectivity": 0.1,
    "ridge": 1e-10,
}


def depth_memory(
    units: int = 50,
    layers: int = 4,
    *,
    max_delay: int = 400,
    train_steps: int = 3000,
    test_steps: int = 3000,
    seed: Any = 0,
    data_seed: Any = 0,
    **hyperparameters: Any,
) -> dict[str, Any]:
    """Memory capacity of a deep ESN, layer by layer, against one reservoir of the same size.

    The deep ESN has ``layers`` x ``units`` units, the single reservoir (a one-layer DeepESN,
    the ESN's reservoir) ``layers * units``, both drawn from the same distributions
    (``_MEMORY_SETUP``, updated by ``hyperparameters``) and measured on the same input by
    :meth:`DeepESN.memory_capacity`. Returns the deep ESN's ``per_layer``, ``cumulative`` and
    ``per_delay`` capacities, the single reservoir's ``shallow`` capacity and ``gain`` =
    whole deep ESN / single reservoir.

    Measured (``benchmarks/results/esn_depth_and_leak.txt``: seeds 0-2, K = 400, 3000 + 3000
    steps, input scaling 0.1): with inter-layer scaling 0.1 each higher layer alone holds more
    memory than the one below (4 x 50 units, spectral radius 0.9, leak rate 1: 22.1, 29.6,
    34.5, 38.0) and the whole deep ESN about as much as one reservoir of 200 units (41.5
    against 40.2; 37.6 against 47.9 at spectral radius 0.99); with inter-layer scaling 0.5 or 1
    each layer holds less than the one below and the whole network less than the single
    reservoir (26.1 and 23.7 against 40.2). The file has the full table.
    """
    setup = {**_MEMORY_SETUP, **hyperparameters}
    common = {"max_delay": max_delay, "train_steps": train_steps, "test_steps": test_steps}
    deep = DeepESN(units=units, layers=layers, seed=seed, **setup)
    mc = deep.memory_capacity(data_seed=data_seed, **common)
    single = DeepESN(units=units * layers, layers=1, seed=seed, **setup)
    shallow = single.memory_capacity(data_seed=data_seed, **common)["cumulative"][-1]
    return {**mc, "shallow": shallow, "gain": mc["cumulative"][-1] / shallow, "setup": setup}


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Jaeger's memory task: a 4 x 50 deep ESN against one reservoir of 200 units.

    See :func:`depth_memory`; quick mode recalls 200 delays over 2000 + 2000 steps, full mode
    400 over 4000 + 4000.
    """
    start = time.perf_counter()
    if quick:
        result = depth_memory(max_delay=200, train_steps=2000, test_steps=2000, seed=seed)
    else:
        result = depth_memory(max_delay=400, train_steps=4000, test_steps=4000, seed=seed)
    value = result["cumulative"][-1]
    target = 0.9 * result["shallow"]
    return {
        "task": "memory_capacity",
        "metric": "memory_capacity",
        "value": value,
        "target": target,
        "target_source": (
            "90 % of the memory capacity of one reservoir of the same 200 units, drawn from the "
            "same distributions and measured on the same input in this run (Gallicchio, Micheli "
            "& Pedrelli 2017 compare deep and shallow ESNs at equal total size; stacking should "
            f"not lose memory); that reservoir's: {result['shallow']:.1f}"
        ),
        "higher_is_better": True,
        "passed": bool(value >= target),
        "seconds": time.perf_counter() - start,
        "details": {
            "per_layer": result["per_layer"],
            "cumulative": result["cumulative"],
            "shallow": result["shallow"],
            "gain": result["gain"],
        },
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="deep_esn",
    title="Deep echo state network (stacked leaky reservoirs, readout on every layer)",
    cls=DeepESN,
    family="reservoir",
    year=2017,
    reference=(
        'C. Gallicchio, A. Micheli and L. Pedrelli, "Deep reservoir computing: A critical '
        'experimental analysis", Neurocomputing 268:87-99, 2017'
    ),
    task="memory_capacity",
    trainable=False,
    summary=(
        "Reservoirs stacked, each driven by the states of the one below; a ridge readout on all "
        "layers' states. Memory capacity reported layer by layer."
    ),
    examples=(
        _catalogue_example,
        partial(_catalogue_example, layers=2, leak_rate=[1.0, 0.4], input_to_readout=True),
    ),
    tags=frozenset({"reservoir"}),
    recipe={"run": compare_run},
)
