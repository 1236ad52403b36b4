r"""Echo state network: a fixed random recurrent reservoir and a trained linear readout.

Jaeger (2001) drives a large, sparse, random recurrent network -- the *reservoir* -- with the
input and trains only a linear readout of its states. With the leaky-integrator units of
Jaeger, Lukosevicius, Popovici & Siewert (2007) the reservoir state
:math:`x_t \in \mathbb{R}^N` follows

.. math::

    \tilde x_t = \phi\left(W x_{t-1} + W_{in} u_t + b + W_{fb} y_{t-1}\right), \qquad
    x_t = (1 - a)\, x_{t-1} + a\, \tilde x_t

with leak rate :math:`a \in (0, 1]`, :math:`\phi = \tanh` (or the identity, for a linear
reservoir), and the feedback term only when ``feedback=True``. The readout is affine in the
features :math:`z_t = x_t` (or :math:`z_t = [x_t; u_t]` with ``input_to_readout=True``):

.. math::

    y_t = W_{out} z_t + b_{out}.

The reservoir is drawn once and never trained:

- :math:`W` is an ``N x N`` ``scipy.sparse`` matrix with ``round(connectivity * N^2)`` non-zeros at
  uniformly random positions, values from U(-1, 1) or N(0, 1), rescaled so that its spectral
  radius (its largest absolute eigenvalue) equals ``spectral_radius``, found by ARPACK with a
  basis large enough that it is the largest eigenvalue and not a close rival (see
  :mod:`recurrent_zoo._core.reservoir`, which draws and runs the reservoir of every reservoir
  model); drawing takes about 0.04 s at 1000 units and 0.2 s at 2000;
- :math:`W_{in}` is dense ``N x I``, entries from U(-1, 1) or {-1, +1} ("bernoulli", each
  sign with probability 1/2) times ``input_scaling``, ``round(input_connectivity * N * I)`` of
  them non-zero at uniformly random places;
- :math:`b` is U(-1, 1) times ``bias_scaling`` (0 by default) and :math:`W_{fb}` is U(-1, 1)
  times ``feedback_scaling``.

ReservoirPy 0.4.2's ``Reservoir`` draws from the same distributions with its defaults when
given ``distribution="normal"``, ``input_distribution="bernoulli"``,
``input_connectivity=0.1`` and ``bias_scaling=0`` (its ``W=normal``, ``Win=bernoulli``,
``input_connectivity=0.1``, ``bias=0``); only its spectral radius is computed with ARPACK's
default basis (see above and ``benchmarks/bench_esn_vs_reservoirpy.py``).

**Readouts.** The readout is learned by one of the readouts every reservoir model shares
(:mod:`recurrent_zoo._core.readouts`, where the equations are):

- ``readout="ridge"``: ridge regression over every step past ``warmup`` of every training
  sequence, intercept unpenalised, solved in closed form. The sums of products are accumulated
  in float64 chunk by chunk while the reservoir runs (memory :math:`O(N^2)` whatever the length
  of the data) and the system solved by a Cholesky factorisation. With ``feedback=True`` the
  reservoir is teacher-forced: :math:`y_{t-1}` in the state equation is the target.
- ``readout="rls"``: recursive least squares, the same readout learned online one step at a
  time from :math:`P_0 = I / \lambda` with forgetting factor ``forgetting`` (with 1, exactly
  ridge regression with :math:`\lambda` on every weight, intercept included), teacher-forced.
- ``readout="force"`` (Sussillo & Abbott 2009): RLS with ``feedback=True`` where the reservoir
  is fed back its *own* output :math:`W_{t-1} [1; z_t]` instead of the teacher, so that the
  readout learns to be stable in closed loop.

Independent sequences learned together are one block RLS update per step (exactly the
sequential update when ``forgetting=1``).

Inputs are ``(T, I)`` (one sequence), ``(T, B, I)`` (a batch, run together: the reservoir
update is one sparse matrix-matrix product per step) or a list of ``(T_k, I)`` arrays of
different lengths, which also runs as one batch: sorted longest first and packed by step, so
that each step is one sparse product for the sequences still running (no work on padding),
with the same states as running each sequence alone (to 1e-12 in float64). Outputs keep the
form of the inputs (a list in the list's order).

**Cost.** Each step costs one sparse matrix-vector product per sequence, ``connectivity * N^2``
multiply-adds (``scipy.sparse``'s CSR kernel, called directly; a batch of sequences is one sparse
matrix-matrix product), plus :math:`\tanh` (computed from ``exp``, which numpy vectorises, see
:mod:`recurrent_zoo._core.reservoir`) and one ``axpy`` for the leak: about 42 us a step at 1000
units and 10 % connectivity, 175 us at 2000, of which the product is 38 us and 165 us (measured
before the exp form of the tanh). A dense ``W`` only pays above about 25 % connectivity at those
sizes (a dense matrix-vector product measured 86-95 us at 1000 units with one thread), so ``W``
stays sparse. The ridge sums, :math:`O(T N^2)`, are computed for one chunk in a worker thread while
the main thread runs the reservoir over the next; during ``fit`` the BLAS thread pools are capped at
one thread fewer than the CPUs (threadpoolctl), so that BLAS and the recurrence do not oversubscribe
the machine (on 2 busy cores, OpenBLAS with 2 threads took 0.7 s for a 1000 x 1000 Cholesky
factorisation that takes 0.012 s on one). Against ReservoirPy 0.4.2, whose step spends the same 38
us in the same kernel, fit + 2000-step prediction on 10,000 Mackey-Glass steps was 1.3-1.5x faster
at 1000 units and 1.5-1.6x at 2000 on a quiet 2-core machine
(``benchmarks/results/esn_vs_reservoirpy*.txt``); in one run of 3 seeds under a load average of 4,
where ReservoirPy's threaded BLAS stalls, 2.5x at 1000 units.

References
----------
H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural networks",
GMD Report 148, German National Research Center for Information Technology, 2001.

H. Jaeger, M. Lukosevicius, D. Popovici and U. Siewert, "Optimization and applications of echo
state networks with leaky-integrator neurons", Neural Networks 20(3):335-352, 2007.

D. Sussillo and L. F. Abbott, "Generating coherent patterns of activity from chaotic neural
networks", Neuron 63(4):544-557, 2009.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._core import io
from ._core.init import make_rng
from ._core.readouts import RLS, RidgeAccumulator, capped_blas
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

__all__ = ["ESN", "compare_run", "mackey_glass_nrmse84", "narma10_nmse"]

#: reservoir steps held in memory at once while fitting and predicting (times batch x units)
_CHUNK_ELEMENTS = 1 << 21


def _check_nonnegative(value: Any, name: str) -> float:
    return check_real(value, name, low=0.0, closed="left")


class ESN(ReservoirModel):
    r"""Echo state network with a sparse leaky-integrator reservoir and a linear readout.

    Parameters
    ----------
    units : int
        Number of reservoir units ``N``.
    spectral_radius : float, default 0.9
        Spectral radius :math:`\rho(W)` the recurrent matrix is rescaled to (> 0).
    leak_rate : float, default 1.0
        Leak rate ``a`` in (0, 1]; 1 is Jaeger's (2001) original, non-leaky update.
    input_scaling : float, default 1.0
        Scale of the input weights.
    connectivity : float, default 0.1
        Fraction of non-zero entries of ``W``, in (0, 1].
    input_connectivity : float, default 1.0
        Fraction of non-zero entries of ``W_in``, in (0, 1].
    distribution : {"uniform", "normal"}, default "uniform"
        Distribution of the non-zero entries of ``W`` before rescaling.
    input_distribution : {"uniform", "bernoulli"}, default "uniform"
        U(-1, 1) or {-1, +1} entries of ``W_in`` before ``input_scaling``.
    bias_scaling : float, default 0.0
        Scale of the reservoir bias ``b`` (U(-1, 1) entries); 0 means no bias.
    activation : {"tanh", "identity"}, default "tanh"
        Reservoir nonlinearity; "identity" gives a linear reservoir.
    feedback : bool, default False
        Feed the previous output back into the reservoir through ``W_fb``.
    feedback_scaling : float, default 1.0
        Scale of ``W_fb`` (U(-1, 1) entries).
    input_to_readout : bool, default False
        Let the readout see the input as well as the state.
    readout : {"ridge", "rls", "force"}, default "ridge"
        Closed-form ridge regression, recursive least squares with teacher forcing, or FORCE
        learning (RLS in closed loop; needs ``feedback=True``).
    ridge : float, default 1e-8
        Ridge penalty :math:`\lambda` (for RLS and FORCE, :math:`P_0 = I / \lambda`, so it must
        be > 0 there).
    forgetting : float, default 1.0
        RLS forgetting factor in (0, 1].
    seed : None, int or numpy.random.Generator
        Source of the reservoir's randomness. The weights are drawn at the first ``fit`` (or
        :meth:`initialize`), when the input size is known, from one integer that the ESN
        fixes the first time it needs it (drawing the reservoir, or saving): ``seed`` itself
        if it is an int, fresh entropy from the operating system for None, one integer drawn
        from the generator for a ``Generator``. That integer is what :meth:`save` writes as
        the seed (a generator cannot be written to a file), so a saved ESN -- fitted or not
        -- draws the same reservoir as the one it was saved from, and a redraw after
        :meth:`set_params` changes the reservoir's hyperparameters reuses it (a new ``seed``
        starts afresh).
    dtype : {np.float64, np.float32}
        Type of the reservoir, the states and the readout (normal equations are always solved
        in float64).

    Attributes
    ----------
    params : dict of str to ndarray
        ``W_data``, ``W_indices``, ``W_indptr`` (the CSR arrays of ``W``), ``W_in`` ``(N, I)``,
        ``bias`` ``(N,)``, ``W_fb`` ``(N, O)`` with feedback, and once fitted ``W_out``
        ``(O, F)`` and ``b_out`` ``(O,)`` (``P`` ``(F + 1, F + 1)`` for RLS/FORCE). Editing
        the values in place takes effect at the next call.
    input_size, output_size : int or None
        Known after the first fit.
    last_state_ : ndarray of shape (B, N)
        Each sequence's reservoir state at its last step in the latest ``fit``, ``run`` or
        ``predict`` (pass it as ``state=`` to continue).

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo.tasks import mackey_glass_series, nrmse
    >>> s = mackey_glass_series(1500)
    >>> X, Y = s[:-1, None], s[1:, None]          # one-step-ahead prediction, (T, 1)
    >>> esn = ESN(units=100, spectral_radius=0.9, leak_rate=0.5, ridge=1e-7, seed=0)
    >>> esn = esn.fit(X[:1000], Y[:1000], warmup=100)
    >>> Y_hat = esn.predict(X[1000:], state=esn.last_state_)  # continue after training
    >>> bool(nrmse(Y[1000:], Y_hat) < 0.01)
    True
    >>> esn.params["W_in"].shape, esn.params["W_out"].shape
    ((100, 1), (1, 100))
    """

    def __init__(
        self,
        units: int = 100,
        *,
        spectral_radius: float = 0.9,
        leak_rate: float = 1.0,
        input_scaling: float = 1.0,
        connectivity: float = 0.1,
        input_connectivity: float = 1.0,
        distribution: str = "uniform",
        input_distribution: str = "uniform",
        bias_scaling: float = 0.0,
        activation: str = "tanh",
        feedback: bool = False,
        feedback_scaling: float = 1.0,
        input_to_readout: bool = False,
        readout: str = "ridge",
        ridge: float = 1e-8,
        forgetting: float = 1.0,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.units = units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.connectivity = connectivity
        self.input_connectivity = input_connectivity
        self.distribution = distribution
        self.input_distribution = input_distribution
        self.bias_scaling = bias_scaling
        self.activation = activation
        self.feedback = feedback
        self.feedback_scaling = feedback_scaling
        self.input_to_readout = input_to_readout
        self.readout = readout
        self.ridge = ridge
        self.forgetting = forgetting
        self.seed = seed
        self.dtype = dtype
        self._setup()

    # ------------------------------------------------------------------ hyperparameters
    _readout_params = frozenset({"ridge", "forgetting"})

    def _validate(self) -> None:
        self.units = check_positive_int(self.units, "units")
        self.spectral_radius = _check_nonnegative(self.spectral_radius, "spectral_radius")
        if self.spectral_radius == 0:
            raise ValueError("spectral_radius must be > 0; got 0")
        self.leak_rate = check_probability(self.leak_rate, "leak_rate", closed="right")
        self.input_scaling = _check_nonnegative(self.input_scaling, "input_scaling")
        self.connectivity = check_probability(self.connectivity, "connectivity", closed="right")
        self.input_connectivity = check_probability(
            self.input_connectivity, "input_connectivity", closed="right"
        )
        check_choice(self.distribution, "distribution", ("uniform", "normal"))
        check_choice(self.input_distribution, "input_distribution", ("uniform", "bernoulli"))
        self.bias_scaling = _check_nonnegative(self.bias_scaling, "bias_scaling")
        check_choice(self.activation, "activation", ("tanh", "identity"))
        for name in ("feedback", "input_to_readout"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {value!r}")
            setattr(self, name, bool(value))
        self.feedback_scaling = _check_nonnegative(self.feedback_scaling, "feedback_scaling")
        check_choice(self.readout, "readout", ("ridge", "rls", "force"))
        self.ridge = _check_nonnegative(self.ridge, "ridge")
        if self.readout != "ridge" and self.ridge == 0:
            raise ValueError(f"ridge must be > 0 with readout={self.readout!r} (P0 = I / ridge)")
        if self.readout == "force" and not self.feedback:
            raise ValueError("readout='force' needs feedback=True (FORCE learns in closed loop)")
        self.forgetting = check_probability(self.forgetting, "forgetting", closed="right")
        if not isinstance(self.seed, np.random.Generator):
            make_rng(self.seed)  # raises on a bad seed
        self.dtype = check_dtype(self.dtype)

    @classmethod
    def equations(cls) -> list[Any]:
        """The leaky-integrator reservoir and the linear readout as sympy ``Eq`` objects."""
        import sympy as sp

        N, I, O = sp.symbols("N I O", integer=True, positive=True)
        a = sp.Symbol("a")  # the leak rate
        x, x_prev = sp.MatrixSymbol("x_t", N, 1), sp.MatrixSymbol("x_{t-1}", N, 1)
        u, y, y_prev = (
            sp.MatrixSymbol("u_t", I, 1),
            sp.MatrixSymbol("y_t", O, 1),
            sp.MatrixSymbol("y_{t-1}", O, 1),
        )
        W, W_in, W_fb = (
            sp.MatrixSymbol("W", N, N),
            sp.MatrixSymbol("W_in", N, I),
            sp.MatrixSymbol("W_fb", N, O),
        )
        b, W_out, b_out = (
            sp.MatrixSymbol("b", N, 1),
            sp.MatrixSymbol("W_out", O, N),
            sp.MatrixSymbol("b_out", O, 1),
        )
        tanh = sp.Function("tanh")  # applied elementwise
        drive = tanh(W * x_prev + W_in * u + b + W_fb * y_prev)
        return [
            sp.Eq(x, sp.Add((1 - a) * x_prev, a * drive, evaluate=False), evaluate=False),
            sp.Eq(y, W_out * x + b_out, evaluate=False),
        ]

    def save(self, path: Any) -> None:
        """Save hyperparameters (JSON) and arrays (the sparse ``W`` as CSR) to a safetensors file.

        The config holds the seed as the integer the reservoir is drawn from, so a saved ESN
        -- fitted or not -- draws the same reservoir as this one (see ``seed`` above).

        Examples
        --------
        >>> import os, tempfile, recurrent_zoo
        >>> esn = ESN(units=30, seed=0).fit(np.ones((50, 1)), np.ones((50, 1)))
        >>> path = os.path.join(tempfile.mkdtemp(), "esn.safetensors")
        >>> esn.save(path)
        >>> esn2 = recurrent_zoo.load(path)
        >>> bool(np.array_equal(esn.predict(np.ones((5, 1))), esn2.predict(np.ones((5, 1)))))
        True
        >>> ESN(units=20, seed=3).get_config()["seed"], ESN(units=20).set_params(ridge=1e-3).ridge
        (3, 0.001)
        """
        io.save(self, path)

    def allocate_params(self, shapes: dict[str, tuple[int, ...]]) -> None:
        """Build zero parameter arrays of the given shapes (the loader then fills them).

        The reservoir's shapes depend on the data it was fitted to, so they are read from the
        file; each is checked against the hyperparameters.
        """
        N = self.units
        expected_keys = set(RESERVOIR_KEYS) | ({"W_fb"} if self.feedback else set())
        if not shapes:
            self.params = {}
            return
        missing = expected_keys - set(shapes)
        if missing:
            raise ValueError(f"the file lacks ESN parameters {sorted(missing)}")
        I = shapes["W_in"][1] if len(shapes["W_in"]) == 2 else -1
        nnz = shapes["W_data"][0] if len(shapes["W_data"]) == 1 else -1
        want: dict[str, tuple[int, ...]] = {
            "W_data": (nnz,),
            "W_indices": (nnz,),
            "W_indptr": (N + 1,),
            "W_in": (N, I),
            "bias": (N,),
        }
        O = None
        if self.feedback:
            O = shapes["W_fb"][1] if len(shapes["W_fb"]) == 2 else -1
            want["W_fb"] = (N, O)
        if "W_out" in shapes:
            O = shapes["W_out"][0] if O is None else O
            F = N + (I if self.input_to_readout else 0)
            want["W_out"] = (O, F)
            want["b_out"] = (O,)
            if self.readout != "ridge":
                want["P"] = (F + 1, F + 1)
        for key, shape in shapes.items():
            if key not in want or tuple(shape) != want[key] or min(want[key]) < 0:
                raise ValueError(
                    f"parameter {key!r} of shape {tuple(shape)} does not fit an ESN with "
                    f"units={N}, feedback={self.feedback}, readout={self.readout!r}"
                )
        self.params = {
            k: np.zeros(s, dtype=np.int32 if k in ("W_indices", "W_indptr") else self.dtype)
            for k, s in want.items()
            if k in shapes
        }

    # ------------------------------------------------------------------ the reservoir
    @property
    def input_size(self) -> int | None:
        W_in = self.params.get("W_in")
        return None if W_in is None else int(W_in.shape[1])

    @property
    def output_size(self) -> int | None:
        for key in ("W_out", "W_fb"):
            if key in self.params:
                return int(self.params[key].shape[0 if key == "W_out" else 1])
        return None

    @property
    def is_fitted(self) -> bool:
        """Whether a readout has been learned."""
        return "W_out" in self.params

    @property
    def W(self) -> sp.csr_matrix:
        """The recurrent matrix as a ``scipy.sparse.csr_matrix`` sharing ``params``' arrays."""
        self._require_reservoir()
        return recurrent_matrix(self.params)

    def initialize(self, input_size: int, output_size: int | None = None) -> ESN:
        """Draw the reservoir for ``input_size`` inputs (and ``output_size`` fed-back outputs).

        The draw is :func:`recurrent_zoo._core.reservoir.draw_reservoir`'s (see there how
        ``W`` is scaled to its spectral radius).

        Examples
        --------
        >>> esn = ESN(units=50, connectivity=0.2, spectral_radius=0.8, seed=0).initialize(2)
        >>> esn.W.nnz, esn.params["W_in"].shape
        (500, (50, 2))
        >>> from recurrent_zoo._core.init import spectral_radius
        >>> round(spectral_radius(esn.W), 6)
        0.8
        """
        I = check_positive_int(input_size, "input_size", minimum=0)
        if self.feedback:
            if output_size is None:
                raise ValueError("output_size is needed to draw W_fb when feedback=True")
            output_size = check_positive_int(output_size, "output_size")
        self.params = draw_reservoir(
            self.units,
            I,
            self._resolved_seed(),
            spectral_radius=self.spectral_radius,
            connectivity=self.connectivity,
            distribution=self.distribution,
            input_scaling=self.input_scaling,
            input_connectivity=self.input_connectivity,
            input_distribution=self.input_distribution,
            bias_scaling=self.bias_scaling,
            feedback_size=(output_size or 0) if self.feedback else 0,
            feedback_scaling=self.feedback_scaling,
            dtype=self.dtype,
        )
        return self

    def _require_reservoir(self) -> None:
        if "W_data" not in self.params:
            raise RuntimeError("the reservoir is not drawn yet: call fit() or initialize() first")

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError("this ESN is not fitted yet: call fit() first")

    def _drive(
        self, batch: SequenceBatch, t0: int, t1: int, x: NDArray, Y_prev: NDArray | None
    ) -> Steps:
        """Run the reservoir over steps t0..t1-1 of ``batch`` from state ``x`` (N, b).

        ``Y_prev`` is what the feedback sees at each step (the teacher shifted by one, or the
        fed-back output), ``(t1 - t0, B, O)`` or already packed as rows ``(n, O)``. Returns
        the states, packed by step.
        """
        live = batch.live[t0:t1]
        extra = None
        if Y_prev is not None:
            Yp = batch.pack(Y_prev, t0) if Y_prev.ndim == 3 else Y_prev
            extra = Yp @ self.params["W_fb"].T  # (n, N)
        return run_reservoir(
            self.params,
            batch.rows(batch.U, t0, t1),
            live,
            x,
            leak_rate=self.leak_rate,
            activation=self.activation,
            extra=extra,
        )

    # ------------------------------------------------------------------ inputs
    def _batch(self, X: Any, Y: Any = None, *, need_y: bool = False) -> tuple[SequenceBatch, Any]:
        """Validate ``X`` (and ``Y``) into a batch and its targets ``(T, B, O)`` (or None)."""
        if X is None:
            if not self.feedback or Y is None:
                raise ValueError("X may be None only for a feedback ESN given targets Y")
            X = _empty_like_inputs(Y)
        batch = SequenceBatch.from_input(
            X, dtype=self.dtype, n_features=self.input_size, owner="ESN"
        )
        if Y is None:
            if need_y:
                raise ValueError("Y is required")
            return batch, None
        return batch, batch.targets(Y, dtype=self.dtype, n_outputs=self.output_size, owner="ESN")

    # ------------------------------------------------------------------ features and readout
    def _features(self, S: Steps, batch: SequenceBatch, t0: int, lo: int, t1: int) -> NDArray:
        """Readout features (n, F) at steps lo..t1-1 from the states of steps t0..t1-1."""
        Z = S.rows(lo - t0, t1 - t0)  # (n, N)
        if self.input_to_readout:
            Z = np.concatenate([Z, batch.rows(batch.U, lo, t1)], axis=1)
        return Z

    def _chunks(self, T: int, B: int) -> range:
        step = max(1, _CHUNK_ELEMENTS // max(1, B * self.units))
        return range(0, T, step)

    def _teacher_prev(self, Yt: NDArray, t0: int, t1: int, y0: NDArray) -> NDArray:
        """The fed-back value at steps t0..t1-1: the target one step earlier (y0 before t=0)."""
        if t0 == 0:
            return np.concatenate([y0[None], Yt[: t1 - 1]], axis=0)
        return Yt[t0 - 1 : t1 - 1]

    def fit(self, X: Any, Y: Any, warmup: int = 0) -> ESN:
        """Learn the readout from inputs ``X`` and targets ``Y`` (reservoir drawn if needed).

        Parameters
        ----------
        X : array (T, I), (T, B, I) or list of (T_k, I) arrays
            Inputs. ``None`` for a feedback ESN without inputs (a pattern generator).
        Y : array (T, O), (T,), (T, B, O) or list of (T_k, O) arrays
            Targets, aligned with ``X`` step by step.
        warmup : int, default 0
            Steps at the start of every sequence that drive the reservoir but are left out of
            the regression (the washout of the initial state).

        Returns
        -------
        self
        """
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        if Y is None:
            raise ValueError("Y is required to fit the readout")
        batch, Yt = self._batch(X, Y, need_y=True)
        if "W_data" not in self.params:
            self.initialize(batch.U.shape[2], Yt.shape[2] if self.feedback else None)
        elif self.feedback and (O_fb := self.params["W_fb"].shape[1]) != Yt.shape[2]:
            raise ValueError(f"Y must have {O_fb} outputs (the size of W_fb)")
        for key in ("W_out", "b_out", "P"):
            self.params.pop(key, None)
        if self.readout == "ridge":
            self._fit_ridge(batch, Yt, warmup)
        else:
            self._fit_online(batch, Yt, warmup, reset=True)
        return self

    def partial_fit(self, X: Any, Y: Any, warmup: int = 0) -> ESN:
        """Continue RLS/FORCE learning on more data (``readout="rls"`` or ``"force"``)."""
        if self.readout == "ridge":
            raise ValueError("partial_fit needs readout='rls' or 'force'; ridge refits with fit()")
        if not self.is_fitted:
            return self.fit(X, Y, warmup=warmup)
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        batch, Yt = self._batch(X, Y, need_y=True)
        self._fit_online(batch, Yt, warmup, reset=False)
        return self

    def _fit_ridge(self, batch: SequenceBatch, Yt: NDArray, warmup: int) -> None:
        N = self.units
        F = N + ((self.input_size or 0) if self.input_to_readout else 0)
        T, B, O = Yt.shape
        x = np.zeros((N, B), dtype=self.dtype)
        y0 = np.zeros((B, O), dtype=self.dtype)
        finals = np.zeros((N, B), dtype=self.dtype)
        # The sums of a chunk are computed in a worker thread while the reservoir runs over
        # the next chunk: BLAS and the sparse kernel release the GIL, so another core does
        # the O(T N^2) regression work during the O(T nnz) recurrence.
        with RidgeAccumulator(F, O, background=True) as acc:
            chunks = self._chunks(T, B)
            for t0 in chunks:
                t1 = min(T, t0 + chunks.step)
                Yp = self._teacher_prev(Yt, t0, t1, y0) if self.feedback else None
                S = self._drive(batch, t0, t1, x, Yp)
                x = S.block(-1)
                record_finals(S, t0, batch.live, finals)
                lo = max(warmup, t0)
                if lo < t1:  # rows of the running sequences (a view for one sequence)
                    acc.add(self._features(S, batch, t0, lo, t1), batch.rows(Yt, lo, t1))
            self._set_last_state(batch, finals)
            if acc.count == 0:
                raise ValueError(
                    f"warmup={warmup} leaves no training step: every sequence is shorter"
                )
            W_out, b_out = acc.solve(self.ridge)  # float64, under the BLAS cap
        self.params["W_out"] = W_out.astype(self.dtype)
        self.params["b_out"] = b_out.astype(self.dtype)

    def _fit_online(self, batch: SequenceBatch, Yt: NDArray, warmup: int, *, reset: bool) -> None:
        N = self.units
        F = N + ((self.input_size or 0) if self.input_to_readout else 0)
        T, B, O = Yt.shape
        if reset:
            self.params["W_out"] = np.zeros((O, F), dtype=self.dtype)
            self.params["b_out"] = np.zeros(O, dtype=self.dtype)
            self.params["P"] = (np.eye(F + 1) / self.ridge).astype(self.dtype)
        p = self.params
        rls = RLS(p["W_out"], p["b_out"], p["P"], self.forgetting)  # float64 inside
        force = self.readout == "force"
        x = np.zeros((N, B), dtype=self.dtype)
        y_prev = np.zeros((B, O), dtype=self.dtype)
        finals = np.zeros((N, B), dtype=self.dtype)
        for t in range(T):
            b = batch.live[t]  # the sequences still running: the first b columns
            Yp = y_prev[:b] if self.feedback else None  # (b, O) rows
            S = self._drive(batch, t, t + 1, x, Yp)
            record_finals(S, t, batch.live, finals)
            x = S.block(0)  # (N, b)
            z = self._features(S, batch, t, t, t + 1)  # (b, F)
            learn = t >= warmup
            y_hat = rls.step(z, Yt[t, :b] if learn else None)  # (b, O) prior outputs
            # FORCE feeds back the readout's own output, RLS the teacher
            fed = y_hat if (force and learn) else Yt[t, :b]
            y_prev = np.asarray(fed, dtype=self.dtype)
        self._set_last_state(batch, finals)
        self.params["W_out"] = rls.W_out.astype(self.dtype)
        self.params["b_out"] = rls.b_out.astype(self.dtype)
        self.params["P"] = rls.P.astype(self.dtype)

    # ------------------------------------------------------------------ running
    @capped_blas
    def run(self, X: Any, Y: Any = None, *, state: Any = None) -> Any:
        """The reservoir states driven by ``X`` (and, with feedback, teacher-forced by ``Y``).

        Returns states shaped like ``X`` with ``units`` features: ``(T, N)``, ``(T, B, N)`` or
        a list of ``(T_k, N)``. ``state`` ``(N,)`` or ``(B, N)`` is the initial state (zeros
        by default). A list of sequences of different lengths runs as one batch, packed by
        length (:mod:`recurrent_zoo._core.reservoir`).

        Examples
        --------
        >>> esn = ESN(units=10, seed=0).initialize(1)
        >>> esn.run(np.ones((4, 1))).shape
        (4, 10)
        >>> [s.shape for s in esn.run([np.ones((4, 1)), np.ones((2, 1))])]
        [(4, 10), (2, 10)]
        """
        self._require_reservoir()
        if self.feedback and Y is None:
            raise ValueError("a feedback ESN is run open loop only when teacher-forced: pass Y")
        batch, Yt = self._batch(X, Y if self.feedback else None)
        T, B = batch.T, batch.B
        x0 = self._initial_state(state, batch)
        Yp = None
        if Yt is not None:
            Yp = self._teacher_prev(Yt, 0, T, np.zeros((B, Yt.shape[2]), self.dtype))
        S = self._drive(batch, 0, T, x0, Yp)
        finals = np.zeros_like(x0)
        record_finals(S, 0, batch.live, finals)
        self._set_last_state(batch, finals)
        if S.uniform:
            return batch.unpack(S.dense().transpose(0, 2, 1))  # (T, B, N), a view
        out = np.zeros((T, B, self.units), dtype=self.dtype)
        out[batch.mask()] = S.rows()
        return batch.unpack(out)

    def _initial_state(self, state: Any, batch: SequenceBatch | int) -> NDArray:
        """The state before the first step, (N, B) in the batch's column order."""
        N = self.units
        B = batch if isinstance(batch, int) else batch.B
        if state is None:
            return np.zeros((N, B), dtype=self.dtype)
        s = check_array(state, "state", ndim=(1, 2), dtype=self.dtype)
        if s.ndim == 1:
            s = np.broadcast_to(s, (B, s.shape[0]))
        if s.shape != (B, N):
            raise ValueError(f"state must have shape (N={N},) or (B={B}, N={N}); got {s.shape}")
        if not isinstance(batch, int):
            s = batch.sort(s)
        return np.ascontiguousarray(s.T)

    def _set_last_state(self, batch: SequenceBatch | None, finals: NDArray) -> None:
        last = finals.T.copy()  # (B, N)
        self.last_state_ = last if batch is None else batch.unsort(last)

    @capped_blas
    def predict(self, X: Any, *, state: Any = None) -> Any:
        """Outputs for inputs ``X``, shaped like ``X`` with ``output_size`` features.

        Each call starts from ``state`` (zeros by default; pass ``esn.last_state_`` to continue
        where the last ``fit``, ``run`` or ``predict`` stopped). With ``feedback=True`` the ESN's
        own outputs are fed back (closed loop in the feedback channel).
        """
        self._require_fitted()
        batch, _ = self._batch(X)
        T, B = batch.T, batch.B
        x = self._initial_state(state, batch)
        finals = np.zeros_like(x)
        if self.feedback:
            y0 = np.zeros((B, self.output_size or 0), self.dtype)
            Yout, _, _ = self._closed_loop(batch, x, y0, finals=finals)
            self._set_last_state(batch, finals)
            return batch.unpack(Yout)
        W_out, b_out = self.params["W_out"], self.params["b_out"]
        Yout = np.zeros((T, B, W_out.shape[0]), dtype=self.dtype)
        chunks = self._chunks(T, B)
        for t0 in chunks:
            t1 = min(T, t0 + chunks.step)
            S = self._drive(batch, t0, t1, x, None)
            x = S.block(-1)
            record_finals(S, t0, batch.live, finals)
            Z = self._features(S, batch, t0, t0, t1)  # (n, F)
            if batch.lengths is None:
                np.matmul(Z, W_out.T, out=Yout[t0:t1].reshape(-1, W_out.shape[0]))
            else:
                Yout[t0:t1][batch.mask(t0, t1)] = Z @ W_out.T
        Yout[batch.mask()] += b_out
        self._set_last_state(batch, finals)
        return batch.unpack(Yout)

    def _closed_loop(
        self,
        batch: SequenceBatch | None,
        x: NDArray,
        y_prev: NDArray,
        n_steps: int | None = None,
        autoregressive: bool = False,
        finals: NDArray | None = None,
        inputs: NDArray | None = None,
    ) -> tuple[NDArray, NDArray, NDArray]:
        """Run step by step, feeding the readout's output back (and as input if autoregressive).

        The inputs are ``batch``'s (or ``inputs`` (T, B, I) when there is no batch). Returns
        outputs (T, B, O), the final state (N, b) and the final output (b, O).
        """
        p = self.params
        W_out, b_out = p["W_out"], p["b_out"]
        N = self.units
        B = x.shape[1]
        if batch is None:
            U = inputs if inputs is not None else np.zeros((int(n_steps or 0), B, 0), self.dtype)
            step_batch = SequenceBatch("3d", U, None, None)
        else:
            step_batch = batch
        T = step_batch.T
        O = W_out.shape[0]
        Yout = np.zeros((T, B, O), dtype=self.dtype)
        Wx, Wu = W_out[:, :N], W_out[:, N:]
        for t in range(T):
            b = step_batch.live[t]
            if autoregressive:  # the previous output is the input
                step_batch.U[t, :b] = y_prev[:b]
            Yp = y_prev[:b] if self.feedback else None  # (b, O) rows
            S = self._drive(step_batch, t, t + 1, x, Yp)
            if finals is not None:
                record_finals(S, t, step_batch.live, finals)
            x = S.block(0)  # (N, b)
            y = (Wx @ x).T + b_out  # (b, O)
            if self.input_to_readout:
                y += step_batch.U[t, :b] @ Wu.T
            Yout[t, :b] = y
            y_prev = y
        return Yout, x, y_prev

    @capped_blas
    def generate(
        self,
        n_steps: int,
        *,
        prime: Any = None,
        prime_inputs: Any = None,
        inputs: Any = None,
        state: Any = None,
    ) -> NDArray:
        """Run the trained ESN in closed loop for ``n_steps`` steps.

        Two modes, chosen by ``feedback``:

        - ``feedback=False`` (autoregressive: the output becomes the next input, which needs
          ``output_size == input_size``): ``prime`` ``(T0, I)`` or ``(T0, B, I)`` drives the
          reservoir first; the first generated value is the prediction after the last primed
          step, each later one is computed from the previous one fed back as input.
        - ``feedback=True``: ``prime`` ``(T0, O)`` / ``(T0, B, O)`` is a teacher the reservoir is
          forced with (with ``prime_inputs`` if it has inputs); then it runs free on its own
          outputs, given ``inputs`` ``(n_steps, [B,] I)`` if it has inputs.

        Returns ``(n_steps, O)`` or ``(n_steps, B, O)`` outputs.

        Examples
        --------
        >>> t = np.arange(600) * 0.2
        >>> s = np.sin(t)[:, None]
        >>> esn = ESN(units=50, spectral_radius=0.8, ridge=1e-9, seed=1).fit(s[:-1], s[1:], 50)
        >>> y = esn.generate(50, prime=s[:400])
        >>> bool(np.abs(y[:, 0] - s[400:450, 0]).max() < 1e-2)
        True
        """
        self._require_fitted()
        n = check_positive_int(n_steps, "n_steps")
        O = self.output_size or 0
        I = self.input_size or 0
        if not self.feedback:
            if O != I:
                raise ValueError(
                    f"autoregressive generation feeds outputs back as inputs and needs "
                    f"output_size == input_size; got {O} and {I} (use feedback=True)"
                )
            if prime is None:
                raise ValueError("prime (T0, I) is required to start autoregressive generation")
            P = check_array(prime, "prime", ndim=(2, 3), dtype=self.dtype)
            batched = P.ndim == 3
            Pu = P if batched else P[:, None]
            if Pu.shape[2] != I or Pu.shape[0] < 1:
                raise ValueError(f"prime must have shape (T0 >= 1, [B,] I={I}); got {P.shape}")
            B, T0 = Pu.shape[1], Pu.shape[0]
            primed = SequenceBatch("3d", Pu, None, None)
            S = self._drive(primed, 0, T0, self._initial_state(state, B), None)
            z = self._features(S, primed, 0, T0 - 1, T0)  # (B, F) at the last primed step
            y0 = z @ self.params["W_out"].T + self.params["b_out"]
            fed = np.zeros((n - 1, B, I), dtype=self.dtype)  # filled with the outputs
            rest, _, _ = self._closed_loop(None, S.block(-1), y0, autoregressive=True, inputs=fed)
            Yout = np.concatenate([y0[None], rest], axis=0)
            return Yout if batched else Yout[:, 0]
        batched = False
        B = 1
        if prime is not None:
            Pt = check_array(prime, "prime", ndim=(2, 3), dtype=self.dtype)
            batched = Pt.ndim == 3
            Pt = Pt if batched else Pt[:, None]
            if Pt.shape[2] != O:
                raise ValueError(f"prime must have shape (T0, [B,] O={O}); got {np.shape(prime)}")
            B = Pt.shape[1]
        if inputs is not None:
            Uf = check_array(inputs, "inputs", ndim=(2, 3), dtype=self.dtype)
            Uf = Uf if Uf.ndim == 3 else Uf[:, None]
            if Uf.shape[0] != n or Uf.shape[2] != I:
                raise ValueError(
                    f"inputs must have shape (n_steps={n}, [B,] I={I}); got {np.shape(inputs)}"
                )
            batched = batched or np.ndim(inputs) == 3
            B = max(B, Uf.shape[1])
        elif I > 0:
            raise ValueError(f"this ESN has {I} inputs: pass inputs (n_steps, [B,] {I})")
        else:
            Uf = np.zeros((n, B, 0), dtype=self.dtype)
        x = self._initial_state(state, B)
        y_prev = np.zeros((B, O), dtype=self.dtype)
        if prime is not None:
            T0 = Pt.shape[0]
            if prime_inputs is not None:
                Up = check_array(prime_inputs, "prime_inputs", ndim=(2, 3), dtype=self.dtype)
                Up = Up if Up.ndim == 3 else Up[:, None]
                if Up.shape[0] != T0 or Up.shape[2] != I:
                    raise ValueError(
                        f"prime_inputs must have shape (T0={T0}, [B,] I={I}); got "
                        f"{np.shape(prime_inputs)}"
                    )
            elif I > 0:
                raise ValueError(f"this ESN has {I} inputs: pass prime_inputs (T0, [B,] {I})")
            else:
                Up = np.zeros((T0, B, 0), dtype=self.dtype)
            primed = SequenceBatch("3d", np.broadcast_to(Up, (T0, B, I)), None, None)
            Pt = np.broadcast_to(Pt, (T0, B, O))
            S = self._drive(primed, 0, T0, x, self._teacher_prev(Pt, 0, T0, y_prev))
            x, y_prev = S.block(-1), np.array(Pt[-1])
        Uf = np.ascontiguousarray(np.broadcast_to(Uf, (n, B, I)))
        Yout, _, _ = self._closed_loop(None, x, y_prev, inputs=Uf)
        return Yout if batched else Yout[:, 0]

    def score(self, X: Any, Y: Any, *, warmup: int = 0, state: Any = None) -> float:
        """Coefficient of determination R^2 of ``predict(X, state=state)`` past ``warmup`` steps.

        Over the steps past ``warmup`` of every sequence (pooled), per output
        ``R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean(y))^2`` -- that is ``1 - NMSE`` -- averaged
        over outputs. The prediction starts from ``state`` (zeros by default), as in
        :meth:`predict`; like ``warmup`` in :meth:`fit`, ``warmup`` leaves out the first steps
        of every sequence, where the reservoir still remembers its initial state. Scoring a
        short stretch from a zero state without a warmup counts that transient: pass
        ``state=esn.last_state_`` to continue where the training data ended, or a ``warmup``.

        Examples
        --------
        >>> X = np.random.default_rng(0).uniform(-1, 1, (300, 1))
        >>> esn = ESN(units=30, seed=0).fit(X, 2 * X, warmup=10)
        >>> bool(esn.score(X, 2 * X, warmup=10) > 0.999)
        True
        """
        warmup = check_positive_int(warmup, "warmup", minimum=0)
        pred = self.predict(X, state=state)
        batch, Yt = self._batch(X, Y, need_y=True)
        return r2_score(pred, batch.unpack(Yt), warmup)  # targets in X's form, like pred


io.register_class(ESN)


def _catalogue_example(input_size: int, *, seed: Any, dtype: Any, **kwargs: Any) -> ESN:
    """A small unfitted ESN for the common checks (``recurrent_zoo.testing``)."""
    base: dict[str, Any] = {
        "units": 12,
        "spectral_radius": 0.9,
        "connectivity": 0.3,
        "bias_scaling": 0.2,
        "ridge": 1e-3,
    }
    base.update(kwargs)
    return ESN(**base, seed=seed, dtype=dtype)


def _empty_like_inputs(Y: Any) -> Any:
    if isinstance(Y, (list, tuple)):
        return [np.zeros((np.shape(y)[0], 0)) for y in Y]
    shape = np.shape(Y)
    if len(shape) == 3:
        return np.zeros((shape[0], shape[1], 0))
    return np.zeros((shape[0], 0))


# ---------------------------------------------------------------------- experiments
def mackey_glass_nrmse84(
    *,
    units: int = 400,
    train_steps: int = 3000,
    warmup: int = 1000,
    n_trials: int = 20,
    prime_steps: int = 1000,
    horizon: int = 84,
    ridge: float = 1e-12,
    connectivity: float = 0.0125,
    seed: Any = 0,
) -> dict[str, Any]:
    """Jaeger's (2001, section 6.4) Mackey-Glass (tau = 17) 84-step prediction, NRMSE84.

    The protocol of the report: the series (here RK4 with step 0.1 and a Hermite-interpolated
    delay, where Jaeger used an Euler step of 0.1; both subsampled to unit time) is squashed by
    ``y = tanh(x - 1)``; an ESN with output feedback and a constant input ``u = 0.2`` is
    teacher-forced on ``train_steps`` steps, the first ``warmup`` discarded, and its readout
    fitted by ridge regression. Then, ``n_trials`` times on consecutive fresh stretches of the
    series, it is teacher-forced for ``prime_steps`` steps and runs free for ``horizon`` steps;
    ``NRMSE84 = sqrt(mean_i (x_i - x_hat_i)^2 / var(x))`` at the last free step, in the original
    coordinates ``x = artanh(y) + 1``.

    The network follows the report's: 400 units; Jaeger's update
    ``x <- (1 - C a) x + C tanh(...)`` with ``C = 0.44``, ``a = 0.9`` and ``|lambda_max| = 0.79``
    equals ours with ``leak_rate = C a = 0.396`` and ``spectral_radius = 0.79 / 0.9`` (the state
    rescaled by ``a``); input weights 0, +-0.14 with probabilities 1/2, 1/4, 1/4; feedback
    weights U(-0.56, 0.56). Jaeger's reservoir connectivity is not restated there; we use
    ``connectivity`` (default 1.25 %, five connections per unit) and a tiny ridge where he used
    plain linear regression. He reports NRMSE84 ~ 0.00028 for 3000 training steps and ~ 0.00012
    for 21000.
    """
    from .tasks.reservoir import mackey_glass_series

    total = train_steps + n_trials * (prime_steps + horizon)
    x = mackey_glass_series(total)
    y = np.tanh(x - 1.0)[:, None]  # (total, 1)
    esn = ESN(
        units=units,
        spectral_radius=0.79 / 0.9,
        leak_rate=0.44 * 0.9,
        connectivity=connectivity,
        input_scaling=0.14,
        input_connectivity=0.5,
        input_distribution="bernoulli",
        feedback=True,
        feedback_scaling=0.56,
        ridge=ridge,
        seed=seed,
    )
    u = np.full((train_steps, 1), 0.2)
    esn.fit(u, y[:train_steps], warmup=warmup)
    seg = y[train_steps:].reshape(n_trials, prime_steps + horizon).T[:, :, None]  # (T, B, 1)
    pred = esn.generate(
        horizon,
        prime=seg[:prime_steps],
        prime_inputs=np.full((prime_steps, n_trials, 1), 0.2),
        inputs=np.full((horizon, n_trials, 1), 0.2),
    )  # (horizon, B, 1)
    with np.errstate(invalid="ignore"):
        x_hat = np.arctanh(np.clip(pred[-1, :, 0], -1.0, 1.0)) + 1.0
    x_true = np.arctanh(seg[-1, :, 0]) + 1.0
    value = float(np.sqrt(np.mean((x_true - x_hat) ** 2) / x.var()))
    return {
        "nrmse84": value if np.isfinite(value) else float("inf"),
        "units": units,
        "train_steps": train_steps,
        "n_trials": n_trials,
        "variance": float(x.var()),
        "config": esn.get_config(),
    }


def narma10_nmse(
    units: int = 100,
    *,
    train_steps: int = 2000,
    test_steps: int = 2000,
    warmup: int = 200,
    seed: Any = 0,
    data_seed: Any = 2,
) -> float:
    """Test NMSE of an ESN on NARMA-10 (input ``u_t``, target ``y_{t+1}``).

    One series of ``warmup + train_steps + test_steps`` steps from ``data_seed``: the readout is
    fitted on the first ``warmup + train_steps`` (warmup discarded) and the test part is
    predicted continuing from the training run's final state. The configuration -- spectral
    radius 0.95, input scaling 0.1, bias scaling 0.5, ten recurrent connections per unit, ridge
    1e-8 -- was picked on a small grid with ``data_seed=1``, not on the reported data.

    Measured (seeds 0-4, ``data_seed=2``): NMSE 0.051-0.079 at 100 units, 0.012-0.018 at 400.

    Published figures to set beside these are not reproduced here: the NARMA-10 results of
    Jaeger (2003, "Adaptive nonlinear system identification with echo state networks", NIPS
    15, 100 units), Verstraeten, Schrauwen, D'Haene & Stroobandt (2007, "An experimental
    unification of reservoir computing methods", Neural Networks 20(3):391-403) and Rodan &
    Tino (2011, "Minimum complexity echo state network", IEEE Trans. Neural Networks
    22(1):131-144, reservoirs of up to a few hundred units) are the usual references, but the
    copies of those papers reachable when this was written held only their opening pages, so
    their numbers -- and their exact protocols (training length, input range, washout, whether
    the target is ``y_t`` or ``y_{t+1}``), which change NMSE several-fold -- were not checked.
    """
    from .tasks.reservoir import narma10_series, nmse

    u, y = narma10_series(warmup + train_steps + test_steps + 1, seed=data_seed)
    X, Y = u[:-1, None], y[1:, None]
    n_fit = warmup + train_steps
    esn = ESN(
        units=units,
        spectral_radius=0.95,
        input_scaling=0.1,
        bias_scaling=0.5,
        connectivity=min(1.0, 10.0 / units),
        ridge=1e-8,
        seed=seed,
    ).fit(X[:n_fit], Y[:n_fit], warmup=warmup)
    return nmse(Y[n_fit:], esn.predict(X[n_fit:], state=esn.last_state_))


# ---------------------------------------------------------------------- the catalogue's run
def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Mackey-Glass (tau=17) 84-step free-running prediction, Jaeger (2001) section 6.4.

    See :func:`mackey_glass_nrmse84` for the protocol; quick mode averages 5 trials, full 20.
    """
    start = time.perf_counter()
    result = mackey_glass_nrmse84(seed=seed, n_trials=5 if quick else 20)
    published = 2.8e-4
    target = 3 * published  # a random reservoir's NRMSE84 varies about 3x from seed to seed
    value = result["nrmse84"]
    return {
        "task": "mackey_glass",
        "metric": "nrmse84",
        "value": value,
        "target": target,
        "target_source": (
            "3x Jaeger (2001)'s NRMSE84 = 0.00028 for a 400-unit ESN trained on 3000 steps "
            "(GMD Report 148, sec. 6.4); seeds 0-5 here give 0.0001-0.0006"
        ),
        "higher_is_better": False,
        "passed": bool(value <= target),
        "seconds": time.perf_counter() - start,
        "details": result,
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="esn",
    title="Echo state network (leaky-integrator reservoir; ridge, RLS or FORCE readout)",
    cls=ESN,
    family="reservoir",
    year=2001,
    reference=(
        "H. Jaeger, \"The 'echo state' approach to analysing and training recurrent neural "
        'networks", GMD Report 148, 2001; leaky integrators: H. Jaeger, M. Lukosevicius, '
        "D. Popovici and U. Siewert, Neural Networks 20(3):335-352, 2007"
    ),
    task="mackey_glass",
    trainable=False,
    summary=(
        "Fixed sparse random reservoir scaled to a spectral radius; only a linear readout "
        "is learned (closed-form ridge, RLS or FORCE)."
    ),
    examples=(
        _catalogue_example,
        partial(_catalogue_example, feedback=True, leak_rate=0.5),
        partial(_catalogue_example, readout="rls", input_to_readout=True),
    ),
    tags=frozenset({"reservoir"}),
    recipe={"run": compare_run},
)
