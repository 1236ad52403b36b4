r"""The sparse leaky-integrator reservoir every reservoir model shares: drawn once, run in batches.

A reservoir of :math:`N` units driven by :math:`d_t` (the input's :math:`W_{in} u_t + b`, plus
whatever else drives it: a fed-back output, the layer below) follows

.. math::

    x_t = (1 - a)\, x_{t-1} + a\, \phi\left(W x_{t-1} + d_t\right)

with leak rate :math:`a \in (0, 1]` and :math:`\phi = \tanh` (or the identity).

**Drawing** (:func:`draw_reservoir`). :math:`W` is an ``N x N`` ``scipy.sparse`` matrix with
``round(connectivity * N^2)`` non-zeros at uniformly random positions, values from U(-1, 1)
or N(0, 1), rescaled so that its spectral radius (its largest absolute eigenvalue) equals
``spectral_radius``. The radius comes from ARPACK (``scipy.sparse.linalg.eigs``, relative
tolerance 1e-6, a Krylov basis of 100 vectors). The basis matters more than the tolerance: the
eigenvalues of a random matrix fill a disk, so the largest has close rivals, and with ARPACK's
default basis of 20 vectors ``eigs`` converged to a smaller eigenvalue for 18 of 46 random
matrices of 500-2000 units (10 % connectivity, checked against dense ``numpy.linalg.eigvals``),
underestimating the radius by up to 2.3 %, so that W came out up to 2.3 % too large. With 100
vectors 69 of 70 such matrices were within 1.1e-7 of the dense value and one 7.6e-5 below it
(tolerance 1e-10 finds that one too, for 50 % more ARPACK time); drawing takes about 0.04 s at
1000 units and 0.2 s at 2000. :math:`W_{in}` is dense ``N x I``, entries from U(-1, 1) or
{-1, +1} ("bernoulli", each sign with probability 1/2) times ``input_scaling``,
``round(input_connectivity * N * I)`` of them non-zero at uniformly random places; the bias
:math:`b` is U(-1, 1) times ``bias_scaling`` and an optional feedback matrix :math:`W_{fb}`
U(-1, 1) times ``feedback_scaling``. Each matrix has its own random stream, so that ``W`` does
not depend on the input size.

**Running a batch** (:func:`run_reservoir`). Sequences run together, each a column of an
``(N, b)`` block, so that a step's :math:`W X` is one call of scipy's CSR kernel for the whole
batch (one sparse matrix-vector product per step for a single sequence). Sequences of different
lengths are sorted longest first (:class:`SequenceBatch`) and packed by step, as PyTorch's
``PackedSequence``: step :math:`t` holds the :math:`b_t` sequences still running, the first
:math:`b_t` columns, and when sequences end the state keeps its first :math:`b_t` columns, so
no work is spent on padding. The drive of every step is computed before the loop, one GEMM for
all steps. A column's arithmetic does not depend on the other columns, so a batch gives the
states of its sequences run one by one (to rounding; tested to 1e-12 in float64).

Each step costs one sparse product, ``connectivity * N^2 * b`` multiply-adds, plus
:math:`\phi` and one ``axpy`` for the leak. In float64, :math:`a \tanh(z)` is computed as
:math:`a - 2a / (e^{2z} + 1)`: numpy vectorises ``exp`` but not its float64 ``tanh``, and this
form, within 4e-16 of ``np.tanh`` (exactly :math:`\pm 1` where :math:`e^{2z}` overflows),
takes half the time of ``tanh`` and the multiplication by :math:`a`. With scipy's CSR kernel
a batch's product costs, per sequence, about 0.4 of a single sequence's matrix-vector product
(measured at 500 units, 10 % connectivity, 64-300 sequences), so most of what batching saves is
the per-step work of the interpreter, not arithmetic.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from . import init, io
from .init import make_rng, sparse_random
from .ops import ACTIVATIONS
from .validation import NDArray, check_array

try:  # the C kernels behind ``csr_matrix @ vector`` and ``@ matrix``, called directly to skip
    # ~2 us of Python dispatch per time step (they accumulate: y += A @ x); ``@`` is the fallback
    from scipy.sparse import _sparsetools

    _CSR_MATVEC = _sparsetools.csr_matvec
    _CSR_MATVECS = _sparsetools.csr_matvecs
except (ImportError, AttributeError):  # pragma: no cover - depends on the scipy build
    _CSR_MATVEC = _CSR_MATVECS = None

__all__ = [
    "RESERVOIR_KEYS",
    "ReservoirModel",
    "SequenceBatch",
    "Steps",
    "draw_reservoir",
    "r2_score",
    "record_finals",
    "recurrent_matrix",
    "run_reservoir",
]

#: the arrays a drawn reservoir holds (``W`` as CSR arrays)
RESERVOIR_KEYS = ("W_data", "W_indices", "W_indptr", "W_in", "bias")
#: ARPACK's settings for the spectral radius W is scaled by (see the module docstring)
_SR_TOL, _SR_NCV = 1e-6, 100


_M = TypeVar("_M", bound="ReservoirModel")


# ----------------------------------------------------------------------------- the models
class ReservoirModel:
    """What every reservoir model shares: scikit-learn's hyperparameters, one seed, files.

    A subclass stores each ``__init__`` argument unchanged under its own name, ends
    ``__init__`` with :meth:`_setup` and checks its arguments in ``_validate`` (called again
    by :meth:`set_params`); ``_readout_params`` names the hyperparameters whose change keeps
    the drawn reservoir. Then:

    - :meth:`get_params` / :meth:`set_params` follow scikit-learn (``sklearn.base.clone`` and
      ``sklearn.model_selection`` work on the model);
    - the reservoir is drawn from one integer, fixed the first time it is needed
      (:meth:`_resolved_seed`): ``seed`` itself if it is an int, fresh entropy from the
      operating system for None, one integer drawn from the generator for a
      ``numpy.random.Generator``. :meth:`get_config` writes that integer as the seed, so a
      model saved before or after fitting draws the same reservoir as the one it was saved
      from (a generator cannot be written to a file; the integer drawn from it can);
    - :meth:`save` writes a safetensors file (``params`` + the config), which
      :func:`recurrent_zoo.load` reads back.
    """

    #: hyperparameters a model file leaves out (the dtype is stored beside the config)
    _config_exclude = ("dtype",)
    #: hyperparameters whose change keeps the drawn reservoir (the readout's)
    _readout_params: frozenset[str] = frozenset()
    params: dict[str, NDArray]
    seed: Any
    dtype: Any

    def _setup(self) -> None:
        self._validate()
        self.params = {}
        self._seed_int: int | None = None

    def _validate(self) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [n for n in sig.parameters if n != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, scikit-learn style."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self: _M, **params: Any) -> _M:
        """Set constructor arguments; a change to the reservoir discards the drawn weights.

        A refused value (a ``ValueError`` or ``TypeError`` naming it) leaves the model as it
        was.
        """
        names = self._param_names()
        old = self.get_params()
        for key, value in params.items():
            if key not in names:
                raise ValueError(
                    f"invalid parameter {key!r} for {type(self).__name__}; "
                    f"valid: {', '.join(names)}"
                )
            setattr(self, key, value)
        try:
            self._validate()
        except (TypeError, ValueError):
            for key, value in old.items():
                setattr(self, key, value)
            raise
        if any(k not in self._readout_params and _differ(params[k], old[k]) for k in params):
            self.params = {}
        if "seed" in params and _differ(params["seed"], old["seed"]):
            self._seed_int = None
        return self

    def _resolved_seed(self) -> int:
        """The integer the reservoir is drawn from, fixed the first time it is asked for."""
        if getattr(self, "_seed_int", None) is None:
            if isinstance(self.seed, np.random.Generator):
                self._seed_int = int(self.seed.integers(0, 2**63 - 1))
            elif self.seed is None:
                self._seed_int = secrets.randbits(63)
            else:
                self._seed_int = int(self.seed)
        assert self._seed_int is not None
        return self._seed_int

    def get_config(self) -> dict[str, Any]:
        """The JSON-serialisable hyperparameters: all but ``dtype``, the seed as an int."""
        config = {k: io.to_jsonable(v) for k, v in self.get_params().items() if k not in ("dtype",)}
        config["seed"] = self._resolved_seed()
        return config

    @classmethod
    def from_config(cls: type[_M], config: dict[str, Any], dtype: Any = np.float64) -> _M:
        """An unfitted model with the given hyperparameters (used by :func:`recurrent_zoo.load`)."""
        return cls(**config, dtype=dtype)  # type: ignore[call-arg]

    def save(self, path: Any) -> None:
        """Save the hyperparameters (JSON) and ``params`` (``W`` as CSR) to a safetensors file."""
        io.save(self, path)

    def __repr__(self) -> str:
        params = self.get_params()
        args = ", ".join(f"{k}={io.to_jsonable(v)!r}" for k, v in params.items() if k != "dtype")
        return f"{type(self).__name__}({args})"


def _differ(a: Any, b: Any) -> bool:
    try:
        return bool(np.any(a != b))
    except (TypeError, ValueError):  # pragma: no cover - incomparable values
        return a is not b


# ----------------------------------------------------------------------------- drawing
def draw_reservoir(
    units: int,
    input_size: int,
    seed: int,
    *,
    spectral_radius: float = 0.9,
    connectivity: float = 0.1,
    distribution: str = "uniform",
    input_scaling: float = 1.0,
    input_connectivity: float = 1.0,
    input_distribution: str = "uniform",
    bias_scaling: float = 0.0,
    feedback_size: int = 0,
    feedback_scaling: float = 1.0,
    dtype: Any = np.float64,
) -> dict[str, NDArray]:
    """Draw ``W`` (CSR arrays), ``W_in`` ``(N, I)``, ``bias`` ``(N,)`` and ``W_fb`` ``(N, O)``.

    ``W_fb`` only when ``feedback_size > 0``. The arguments are checked by the models that
    call this.

    Examples
    --------
    >>> p = draw_reservoir(50, 2, 0, connectivity=0.2, spectral_radius=0.8)
    >>> int(p["W_data"].size), p["W_in"].shape
    (500, (50, 2))
    >>> round(init.spectral_radius(recurrent_matrix(p)), 6)
    0.8
    """
    N, I = int(units), int(input_size)
    rng = make_rng(seed)
    # one independent stream per matrix, so that W does not depend on the input size
    s_w, s_in, s_b, s_fb = (make_rng(int(s)) for s in rng.integers(0, 2**63 - 1, size=4))
    W = sparse_random(N, connectivity, s_w, np.float64, distribution)
    rho = init.spectral_radius(W, tol=_SR_TOL, ncv=_SR_NCV)
    if rho == 0.0:
        raise ValueError(
            f"the drawn W has spectral radius 0 (connectivity={connectivity} gives "
            f"{W.nnz} non-zeros for {N} units): it cannot be rescaled"
        )
    W = sp.csr_matrix(W * (spectral_radius / rho))
    W.sort_indices()
    if input_distribution == "uniform":
        W_in = s_in.uniform(-1.0, 1.0, size=(N, I))
    else:
        W_in = s_in.choice(np.array([-1.0, 1.0]), size=(N, I))
    if input_connectivity < 1.0 and I > 0:
        keep = max(1, int(round(input_connectivity * N * I)))
        mask = np.zeros(N * I, dtype=bool)
        mask[s_in.choice(N * I, size=keep, replace=False)] = True
        W_in *= mask.reshape(N, I)
    params = {
        "W_data": W.data.astype(dtype),
        "W_indices": W.indices.astype(np.int32),
        "W_indptr": W.indptr.astype(np.int32),
        "W_in": (input_scaling * W_in).astype(dtype),
        "bias": (bias_scaling * s_b.uniform(-1.0, 1.0, size=N)).astype(dtype),
    }
    if feedback_size > 0:
        W_fb = s_fb.uniform(-1.0, 1.0, size=(N, int(feedback_size)))
        params["W_fb"] = (feedback_scaling * W_fb).astype(dtype)
    return params


def recurrent_matrix(params: dict[str, NDArray]) -> sp.csr_matrix:
    """``W`` as a ``scipy.sparse.csr_matrix`` sharing the CSR arrays of ``params``."""
    N = params["W_indptr"].shape[0] - 1
    return sp.csr_matrix(
        (params["W_data"], params["W_indices"], params["W_indptr"]), shape=(N, N), copy=False
    )


# ----------------------------------------------------------------------------- batches
class SequenceBatch:
    """Inputs in one of three forms, validated and laid out for a batched reservoir run.

    ``X`` is ``(T, I)`` (one sequence, form ``"2d"``), ``(T, B, I)`` (a batch, ``"3d"``) or a
    list of ``(T_k, I)`` arrays (``"list"``). A list is sorted longest first (``order[k]`` is
    the list index of column ``k``) and zero-padded into ``U`` ``(T, B, I)``; ``live[t]``
    is the number of sequences still running at step ``t`` (the first ``live[t]`` columns).

    Examples
    --------
    >>> b = SequenceBatch.from_input([np.ones((2, 1)), np.ones((4, 1))])
    >>> b.U.shape, b.live, b.order.tolist()
    ((4, 2, 1), [2, 2, 1, 1], [1, 0])
    >>> [a.shape for a in b.unpack(np.zeros((4, 2, 3)))]
    [(2, 3), (4, 3)]
    """

    def __init__(
        self, form: str, U: NDArray, lengths: NDArray | None, order: NDArray | None
    ) -> None:
        self.form, self.U, self.lengths, self.order = form, U, lengths, order
        T, B = U.shape[:2]
        if lengths is None:
            self.live = [B] * T
        else:
            self.live = [int(n) for n in (lengths[None, :] > np.arange(T)[:, None]).sum(axis=1)]

    @property
    def T(self) -> int:
        return int(self.U.shape[0])

    @property
    def B(self) -> int:
        return int(self.U.shape[1])

    @property
    def seq_lengths(self) -> NDArray:
        """Each column's length (sorted longest first for a list)."""
        return np.full(self.B, self.T) if self.lengths is None else self.lengths

    @classmethod
    def from_input(
        cls,
        X: Any,
        *,
        name: str = "X",
        dtype: Any = np.float64,
        n_features: int | None = None,
        owner: str = "model",
    ) -> SequenceBatch:
        """Validate ``X``; errors name ``name`` (and ``owner``'s known ``input_size``)."""
        if isinstance(X, (list, tuple)):
            if len(X) == 0:
                raise ValueError(f"{name} must not be an empty list")
            seqs = [
                check_array(x, f"{name}[{k}]", ndim=2, dtype=dtype, shape_doc="(T_k, I)")
                for k, x in enumerate(X)
            ]
            I = seqs[0].shape[1]
            for k, s in enumerate(seqs):
                if s.shape[0] < 1:
                    raise ValueError(f"{name}[{k}] must have at least one time step")
                if s.shape[1] != I:
                    raise ValueError(
                        f"every sequence of {name} must have the same number of features; "
                        f"{name}[{k}] has {s.shape[1]}, {name}[0] has {I}"
                    )
            _check_features(I, n_features, name, owner)
            lengths = np.array([s.shape[0] for s in seqs])
            order = np.argsort(-lengths, kind="stable")
            U = np.zeros((int(lengths.max()), len(seqs), I), dtype=dtype)
            for k, j in enumerate(order):
                U[: lengths[j], k] = seqs[j]
            if np.all(lengths == lengths[0]):
                return cls("list", U, None, order)
            return cls("list", U, lengths[order], order)
        arr = check_array(X, name, ndim=(2, 3), dtype=dtype, shape_doc="(T, I) or (T, B, I)")
        if arr.shape[0] < 1:
            raise ValueError(f"{name} must have at least one time step; got shape {arr.shape}")
        form = "2d" if arr.ndim == 2 else "3d"
        U = arr[:, None, :] if form == "2d" else arr
        if U.shape[1] < 1:
            raise ValueError(f"{name} must hold at least one sequence; got shape {arr.shape}")
        _check_features(U.shape[2], n_features, name, owner)
        return cls(form, U, None, None)

    def targets(
        self,
        Y: Any,
        *,
        name: str = "Y",
        x_name: str = "X",
        dtype: Any = np.float64,
        n_outputs: int | None = None,
        owner: str = "model",
    ) -> NDArray:
        """Validate per-step targets ``Y`` shaped like the inputs; return them ``(T, B, O)``."""
        T, B = self.T, self.B
        if self.form == "list":
            if not isinstance(Y, (list, tuple)) or len(Y) != B:
                raise ValueError(
                    f"{name} must be a list of {B} arrays (T_k, O) like {x_name}; "
                    f"got {type(Y).__name__}"
                    + (f" of length {len(Y)}" if isinstance(Y, (list, tuple)) else "")
                )
            lengths = self.unsort(self.seq_lengths)  # in the input's order
            ys: list[NDArray] = []
            for j in range(B):
                y = check_array(Y[j], f"{name}[{j}]", ndim=(1, 2))
                y = y[:, None] if y.ndim == 1 else y
                if y.shape[0] != lengths[j]:
                    raise ValueError(
                        f"{name}[{j}] must have T={lengths[j]} steps like its inputs; "
                        f"got shape {y.shape}"
                    )
                if y.shape[1] != ys[0].shape[1] if ys else False:
                    raise ValueError(
                        f"every target of {name} must have {ys[0].shape[1]} outputs; "
                        f"{name}[{j}] has {y.shape[1]}"
                    )
                ys.append(y)
            Yt = np.zeros((T, B, ys[0].shape[1]), dtype=dtype)
            order = self.order if self.order is not None else range(B)
            for k, j in enumerate(order):
                Yt[: ys[j].shape[0], k] = ys[j]
        else:
            y = check_array(Y, name, ndim=(1, 2, 3), dtype=dtype)
            if self.form == "2d":
                y = y[:, None] if y.ndim == 1 else y
                if y.ndim != 2 or y.shape[0] != T:
                    raise ValueError(
                        f"{name} must have shape (T={T}, O) like {x_name}; got shape {y.shape}"
                    )
                Yt = y[:, None, :]
            else:
                if y.ndim != 3 or y.shape[:2] != (T, B):
                    raise ValueError(
                        f"{name} must have shape (T={T}, B={B}, O) like {x_name}; "
                        f"got shape {y.shape}"
                    )
                Yt = y
        O = Yt.shape[2]
        if n_outputs is not None and O != n_outputs:
            raise ValueError(
                f"{name} must have {n_outputs} outputs (the {owner}'s output_size); got {O}"
            )
        return Yt

    def rows(self, A: NDArray, t0: int = 0, t1: int | None = None) -> NDArray:
        """The live entries of ``A`` ``(T, B, F)`` (aligned with the batch) at steps t0..t1-1.

        Step-major packed order ``(n, F)``, the order :class:`Steps` keeps its blocks in.
        """
        t1 = self.T if t1 is None else t1
        return self.pack(A[t0:t1], t0)

    def pack(self, part: NDArray, t0: int = 0) -> NDArray:
        """The live entries of ``part`` ``(n, B, F)``, aligned with steps t0..t0+n-1, as rows."""
        if self.lengths is None:
            return part.reshape(part.shape[0] * part.shape[1], part.shape[2])
        return part[self.mask(t0, t0 + part.shape[0])]

    def mask(self, t0: int = 0, t1: int | None = None) -> NDArray:
        """``(t1 - t0, B)`` booleans: whether column ``b`` is running at step ``t``."""
        t1 = self.T if t1 is None else t1
        live = np.array(self.live[t0:t1])
        return np.arange(self.B)[None, :] < live[:, None]

    def unsort(self, A: NDArray) -> NDArray:
        """Rows of ``A`` ``(B, ...)`` in column order back to the input's order."""
        if self.order is None:
            return A
        out = np.empty_like(A)
        out[self.order] = A
        return out

    def sort(self, A: NDArray) -> NDArray:
        """Rows of ``A`` ``(B, ...)`` in the input's order to column order."""
        return A if self.order is None else A[self.order]

    def unpack(self, A: NDArray) -> Any:
        """``A`` ``(T, B, F)`` (aligned with the batch) in the input's form."""
        if self.form == "2d":
            return A[:, 0]
        if self.form == "3d":
            return A
        lengths = self.seq_lengths
        out: list[Any] = [None] * self.B
        order = self.order if self.order is not None else np.arange(self.B)
        for k, j in enumerate(order):
            out[int(j)] = A[: int(lengths[k]), k]
        return out


def _check_features(I: int, n_features: int | None, name: str, owner: str) -> None:
    if n_features is not None and I != n_features:
        raise ValueError(
            f"{name} must have {n_features} features (the {owner}'s input_size); got {I}"
        )


# ----------------------------------------------------------------------------- running
class Steps:
    """A run's states packed by step: step ``t`` is an ``(N, live[t])`` block, one column a
    sequence (the longest first), the blocks one after another in ``flat``.

    Examples
    --------
    >>> s = Steps(np.arange(10.0), [2, 2, 1], 2)
    >>> s.block(1)
    array([[4., 5.],
           [6., 7.]])
    >>> s.rows(1).tolist()
    [[4.0, 6.0], [5.0, 7.0], [8.0, 9.0]]
    """

    __slots__ = ("flat", "live", "units", "offsets")

    def __init__(self, flat: NDArray, live: Sequence[int], units: int) -> None:
        self.flat, self.live, self.units = flat, list(live), int(units)
        self.offsets = [0]
        for b in self.live:
            self.offsets.append(self.offsets[-1] + self.units * b)

    def __len__(self) -> int:
        return len(self.live)

    @property
    def uniform(self) -> bool:
        """Whether every step holds the same sequences (no sequence ends before the last)."""
        return all(b == self.live[0] for b in self.live)

    def dense(self) -> NDArray:
        """The states as one ``(T, N, B)`` array (a view; only when :attr:`uniform`)."""
        return self.flat.reshape(len(self.live), self.units, -1)

    def block(self, t: int) -> NDArray:
        """Step ``t``'s states ``(N, live[t])`` (a view)."""
        t = t % len(self.live)
        return self.flat[self.offsets[t] : self.offsets[t + 1]].reshape(self.units, -1)

    def rows(self, t0: int = 0, t1: int | None = None) -> NDArray:
        """Steps t0..t1-1 as rows ``(n, N)``, step-major (a view for a single sequence)."""
        t1 = len(self.live) if t1 is None else t1
        if t0 >= t1:
            return self.flat[:0].reshape(0, self.units)
        if self.uniform:
            S = self.dense()[t0:t1]  # (n, N, B)
            return S.transpose(0, 2, 1).reshape(-1, self.units)
        return np.concatenate([self.block(t).T for t in range(t0, t1)])


def _spmm(params: dict[str, NDArray], N: int, b: int) -> Callable[[NDArray, NDArray], None]:
    """A function ``acc(x, out)`` doing ``out += W @ x`` on flat (N b,) views of (N, b)."""
    indptr, indices, data = params["W_indptr"], params["W_indices"], params["W_data"]
    if _CSR_MATVEC is None:  # pragma: no cover
        W = recurrent_matrix(params)

        def acc_fallback(x: NDArray, out: NDArray) -> None:
            out += (W @ x.reshape(N, b)).ravel()

        return acc_fallback
    if b == 1:
        return lambda x, out: _CSR_MATVEC(N, N, indptr, indices, data, x, out)
    return lambda x, out: _CSR_MATVECS(N, N, b, indptr, indices, data, x, out)


def run_reservoir(
    params: dict[str, NDArray],
    rows: NDArray,
    live: Sequence[int],
    state: NDArray,
    *,
    leak_rate: float,
    activation: str = "tanh",
    extra: NDArray | None = None,
) -> Steps:
    """Run the reservoir over inputs ``rows`` ``(n, I)`` packed by step from ``state``.

    ``live[t]`` sequences run at step ``t`` (non-increasing), ``rows`` holds their inputs
    step after step (``n = sum(live)``; :meth:`SequenceBatch.rows`), ``extra`` ``(n, N)``
    is added to the drive (a fed-back output, a lower layer), and ``state`` ``(N, b)``
    (``b >= live[0]``; only its first ``live[0]`` columns are used) is the state before the
    first step. Returns the states (``state`` is left untouched).
    """
    N = params["W_in"].shape[0]
    dtype = params["W_in"].dtype
    T = len(live)
    # The drive of every step, which does not depend on the recurrence, before the loop; each
    # step's block (N, b_t) is contiguous, and the buffer becomes the states in place.
    W_in = params["W_in"]
    if all(b == live[0] for b in live):  # one GEMM for all steps, then one transposing copy
        D = rows @ W_in.T  # (n, N)
        D += params["bias"]
        if extra is not None:
            D += extra
        flat = np.ascontiguousarray(
            D.reshape(T, live[0] if T else 0, N).transpose(0, 2, 1), dtype=dtype
        ).reshape(-1)
    else:  # one GEMM a step, straight into the step's block: no transposing copy
        flat = np.empty(N * sum(live), dtype=dtype)
        bias = params["bias"][:, None]
        r = o = 0
        for b in live:
            block = flat[o : o + N * b].reshape(N, b)
            np.matmul(W_in, rows[r : r + b].T, out=block)
            block += bias
            if extra is not None:
                block += extra[r : r + b].T
            r, o = r + b, o + N * b
    act = ACTIVATIONS[activation].forward
    a = float(leak_rate)
    leaky = a != 1.0
    # a tanh(z) = a - 2a / (exp(2z) + 1) for float64: numpy's exp is vectorised, its float64
    # tanh is not, and this form (within 3.4e-16 of np.tanh, the leak's factor folded in) takes
    # half the time of tanh and the multiplication by a
    fast_tanh = activation == "tanh" and dtype == np.float64
    # y += alpha x in one BLAS call: the leaky update costs one call, not two
    axpy = blas.get_blas_funcs("axpy", (flat,))
    keep = 1.0 - a
    b = state.shape[1] if state.ndim == 2 else 1
    prev = np.ascontiguousarray(state, dtype=dtype).reshape(-1)
    acc = _spmm(params, N, b)
    o = 0
    with np.errstate(over="ignore"):  # exp(2z) = inf for z > 354 gives a tanh of 1 exactly
        for bt in live:
            if bt != b:  # sequences ended: the state keeps the first bt columns
                prev = np.ascontiguousarray(prev.reshape(N, b)[:, :bt]).reshape(-1)
                b = bt
                acc = _spmm(params, N, b)
            n = N * b
            st = flat[o : o + n]
            o += n
            acc(prev, st)  # st = z = W x_{t-1} + drive_t
            if fast_tanh:  # st = a tanh(z)
                np.multiply(st, 2.0, out=st)
                np.exp(st, out=st)
                st += 1.0
                np.divide(-2.0 * a, st, out=st)
                st += a
            else:
                act(st, out=st)
                if leaky:
                    st *= a
            if leaky:  # x_t = a phi(z) + (1 - a) x_{t-1}
                axpy(prev, st, n, keep)
            prev = st
    return Steps(flat, live, N)


def record_finals(steps: Steps, t0: int, live: Sequence[int], finals: NDArray) -> None:
    """Copy into ``finals`` ``(N, B)`` each sequence's state at its last step, if in ``steps``.

    ``steps`` ran steps ``t0 .. t0 + len(steps) - 1`` of a batch whose whole schedule is
    ``live``; the sequences ending at step ``t`` are columns ``live[t + 1] .. live[t] - 1``.
    """
    T = len(live)
    for i in range(len(steps)):
        t = t0 + i
        nxt = live[t + 1] if t + 1 < T else 0
        if nxt < live[t]:
            finals[:, nxt : live[t]] = steps.block(i)[:, nxt : live[t]]


def r2_score(pred: Any, targets: Any, warmup: int = 0) -> float:
    """R^2 of predictions past ``warmup`` steps of every sequence, pooled, averaged over outputs.

    ``pred`` and ``targets`` in the same form: ``(T, O)``, ``(T, B, O)`` or lists of
    ``(T_k, O)``. Per output ``1 - sum (y - y_hat)^2 / sum (y - mean y)^2``, i.e. ``1 - NMSE``.

    Examples
    --------
    >>> y = np.arange(6.0)[:, None]
    >>> r2_score(y + 1.0, y, warmup=0), r2_score([y, y[:2]], [y, y[:2]], warmup=1)
    (0.657142857142857, 1.0)
    """
    if isinstance(pred, list):
        true = np.concatenate([y[warmup:] for y in targets])
        got = np.concatenate([p[warmup:] for p in pred])
    else:
        O = targets.shape[-1]
        true, got = targets[warmup:].reshape(-1, O), pred[warmup:].reshape(-1, O)
    if true.shape[0] == 0:
        raise ValueError(f"warmup={warmup} leaves no step to score: every sequence is shorter")
    ss_res = ((true - got) ** 2).sum(axis=0)
    ss_tot = ((true - true.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1.0 - ss_res / np.where(ss_tot == 0, 1.0, ss_tot)))
