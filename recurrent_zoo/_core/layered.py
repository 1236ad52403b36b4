"""Multi-layer, optionally bidirectional recurrent nets laid out exactly as PyTorch lays them out.

Elman, LSTM and GRU share PyTorch's scaffolding: ``num_layers`` layers, each with one or two
directions; parameters named ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (suffix ``_reverse`` for the backward direction) holding the gate blocks stacked
along the first axis; a state whose arrays have shape ``(num_layers * num_directions, B, size)``;
and weights drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). :class:`TorchStyleRNN`
implements that scaffolding once; an architecture only writes one direction of one layer as
``_layer_forward`` / ``_layer_backward``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import SequenceModel, State
from .init import make_rng, uniform
from .sequence import length_mask, reverse_padded
from .validation import NDArray, check_positive_int

__all__ = [
    "TorchStyleRNN",
    "PackedBatch",
    "packed_batch",
    "input_projection",
    "step_rows",
    "running_rows",
]


@dataclass(frozen=True)
class PackedBatch:
    """How a padded batch is run the way PyTorch runs a packed sequence.

    With the batch sorted by decreasing length (``order``), the sequences still running at step
    ``t`` are the first ``batch_sizes[t]`` rows, so a recurrence only touches ``[:batch_sizes[t]]``
    and the others keep their state untouched -- no masking arithmetic at all.

    Attributes
    ----------
    order : ndarray of int or None
        Batch permutation sorting the lengths in decreasing order (``None``: all sequences run to
        the end and the batch stays as it is).
    inverse : ndarray of int or None
        The inverse permutation.
    lengths : ndarray of int or None
        The sorted lengths.
    batch_sizes : list of int
        Number of sequences still running at each step (PyTorch's ``batch_sizes``).
    """

    order: NDArray | None
    inverse: NDArray | None
    lengths: NDArray | None
    batch_sizes: list[int]

    @property
    def padded(self) -> bool:
        """Whether some sequence ends before the last step."""
        return self.order is not None

    def alloc(self, shape: tuple[int, ...], dtype: Any) -> NDArray:
        """A work array: zeros when padded (padding must read as zeros), else uninitialised."""
        return np.zeros(shape, dtype) if self.padded else np.empty(shape, dtype)

    def pack(self, a: NDArray, axis: int = 1) -> NDArray:
        """``a`` with its batch axis in packed (length-sorted) order."""
        return a if self.order is None else np.take(a, self.order, axis=axis)

    def unpack(self, a: NDArray, axis: int = 1) -> NDArray:
        """``a`` with its batch axis back in the caller's order."""
        return a if self.inverse is None else np.take(a, self.inverse, axis=axis)

    def padding(self) -> NDArray:
        """``(T, B)`` booleans, True where a (packed) sequence has already ended."""
        if self.lengths is None:
            return np.zeros((len(self.batch_sizes), self.batch_sizes[0]), bool)
        return self.lengths[None, :] <= np.arange(len(self.batch_sizes))[:, None]

    def last(self, seq: NDArray, initial: NDArray) -> NDArray:
        """Each sequence's row of ``seq`` (``(T, B, ...)``, packed) at its own last step, in the
        caller's order (a new array); a sequence of length 0 keeps its row of ``initial``
        (``(B, ...)``, packed), the state it started from."""
        if self.lengths is None or self.inverse is None:
            return seq[-1].copy()
        out = seq[np.maximum(self.lengths - 1, 0), np.arange(len(self.lengths))]
        empty = self.lengths == 0  # only the private _forward lets these through
        out[empty] = initial[empty]
        return out[self.inverse]


def packed_batch(mask: NDArray | None, batch_size: int, steps: int) -> PackedBatch:
    """The :class:`PackedBatch` of a ``(T, B, 1)`` length mask (``None``: no padding).

    Examples
    --------
    >>> from recurrent_zoo._core.sequence import length_mask
    >>> pb = packed_batch(length_mask(np.array([1, 3, 2]), 3), 3, 3)
    >>> pb.order, pb.lengths, pb.batch_sizes
    (array([1, 2, 0]), array([3, 2, 1]), [3, 2, 1])
    """
    if mask is None:
        return PackedBatch(None, None, None, [batch_size] * steps)
    lengths = np.rint(mask[:, :, 0].sum(axis=0)).astype(np.int64)
    order = np.argsort(-lengths, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(batch_size)
    sorted_lengths = lengths[order]
    batch_sizes = (sorted_lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)
    return PackedBatch(order, inverse, sorted_lengths, batch_sizes.tolist())


def input_projection(
    X: NDArray, W: NDArray, bias: NDArray | None = None, out: NDArray | None = None
) -> NDArray:
    """``X @ W.T + bias`` for ``X`` of shape ``(N, I)``, ``W`` of shape ``(G, I)`` and ``bias`` of
    shape ``(G,)``: the input projection of every step at once, as one GEMM.

    The bias rides in the GEMM as a column of ones appended to ``X``, which saves a pass over the
    ``(N, G)`` result (and keeps the product off BLAS's slow path for a single input feature).
    ``out`` may be a strided view (rows of a wider buffer).

    Examples
    --------
    >>> X, W = np.arange(3.0).reshape(3, 1), np.array([[1.0], [2.0]])
    >>> input_projection(X, W, bias=np.array([0.5, -1.0]))
    array([[ 0.5, -1. ],
           [ 1.5,  1. ],
           [ 2.5,  3. ]])
    """
    if bias is not None:
        X = np.concatenate([X, np.ones((X.shape[0], 1), X.dtype)], axis=1)  # (N, I + 1)
        W = np.concatenate([W, bias[:, None]], axis=1)  # (G, I + 1)
    if X.shape[1] == 1:  # an outer product: BLAS is several times slower than broadcasting
        return np.multiply(X, W[:, 0], out=out)
    return np.matmul(X, W.T, out=out)


def step_rows(X: NDArray, batch_sizes: list[int]) -> list[NDArray]:
    """Each step's running rows, ``[X[t, :batch_sizes[t]] for t in range(T)]``, made before a time
    loop: when no sequence ends early they come from one C-level iteration over ``X``, cheaper
    than slicing inside the loop.

    Examples
    --------
    >>> X = np.arange(6.0).reshape(3, 2, 1)
    >>> [v[:, 0].tolist() for v in step_rows(X, [2, 1, 1])]
    [[0.0, 1.0], [2.0], [4.0]]
    """
    if batch_sizes and batch_sizes[-1] == X.shape[1]:
        return list(X[: len(batch_sizes)])
    return [X[t, :n] for t, n in enumerate(batch_sizes)]


def running_rows(buffer: NDArray, batch_sizes: list[int]) -> list[NDArray]:
    """``[buffer[:n] for n in batch_sizes]``: a ``(B, ...)`` work buffer's running rows per step.

    Examples
    --------
    >>> [v.shape for v in running_rows(np.zeros((2, 3)), [2, 1])]
    [(2, 3), (1, 3)]
    """
    if batch_sizes and batch_sizes[-1] == buffer.shape[0]:
        return [buffer] * len(batch_sizes)
    return [buffer[:n] for n in batch_sizes]


class TorchStyleRNN(SequenceModel):
    """Abstract base of PyTorch-compatible multi-layer, bidirectional recurrent nets.

    Subclasses set ``gate_count`` (1 for Elman, 3 for GRU, 4 for LSTM) and provide
    ``_layer_forward(p, X, state0, mask)`` returning ``(Y, final_state, cache)`` and
    ``_layer_backward(p, cache, dY, dstate)`` returning ``(dX, dstate0, dparams)``, where ``p``
    maps the suffix-free names (``"weight_ih"``, ...) to one layer-direction's arrays and states
    are tuples of ``(B, size)`` arrays.
    """

    gate_count: int = 1

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
        super().__init__(input_size, dtype=dtype)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.bias = bool(bias)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if self.bidirectional else 1
        self.output_size = self._out_features() * self.num_directions
        self._init_params(make_rng(seed))

    # ------------------------------------------------------------------ layout
    def _out_features(self) -> int:
        """Size of one direction's output (``hidden_size``, or ``proj_size`` for LSTM)."""
        return self.hidden_size

    def _state_sizes(self) -> tuple[int, ...]:
        """Sizes of the state arrays (one for Elman/GRU: h; two for LSTM: h and c)."""
        return (self.hidden_size,)

    def _layer_shapes(self, in_size: int) -> dict[str, tuple[int, ...]]:
        G, H, O = self.gate_count, self.hidden_size, self._out_features()
        shapes: dict[str, tuple[int, ...]] = {
            "weight_ih": (G * H, in_size),
            "weight_hh": (G * H, O),
        }
        if self.bias:
            shapes["bias_ih"] = (G * H,)
            shapes["bias_hh"] = (G * H,)
        return shapes

    def _suffixes(self) -> list[tuple[int, int, str]]:
        """(layer, direction, name suffix) in PyTorch's parameter order."""
        return [
            (layer, d, f"_l{layer}" + ("_reverse" if d else ""))
            for layer in range(self.num_layers)
            for d in range(self.num_directions)
        ]

    def _init_params(self, rng: np.random.Generator) -> None:
        bound = 1.0 / np.sqrt(self.hidden_size)
        for layer, _, suffix in self._suffixes():
            in_size = self.input_size if layer == 0 else self.output_size
            for name, shape in self._layer_shapes(in_size).items():
                self.params[name + suffix] = uniform(shape, bound, rng, self.dtype)

    def _layer_params(self, suffix: str) -> dict[str, NDArray]:
        n = len(suffix)
        return {k[:-n]: v for k, v in self.params.items() if k.endswith(suffix)}

    @property
    def is_causal(self) -> bool:
        return not self.bidirectional

    # ------------------------------------------------------------------ state
    def initial_state(self, batch_size: int) -> State:
        L = self.num_layers * self.num_directions
        arrays = tuple(np.zeros((L, batch_size, s), self.dtype) for s in self._state_sizes())
        return arrays[0] if len(arrays) == 1 else arrays

    def _as_tuple(self, state: State) -> tuple[NDArray, ...]:
        return state if isinstance(state, tuple) else (state,)

    def _from_tuple(self, arrays: tuple[NDArray, ...]) -> State:
        return arrays[0] if len(arrays) == 1 else arrays

    # ------------------------------------------------------------------ one layer-direction
    @abc.abstractmethod
    def _layer_forward(
        self, p: dict[str, NDArray], X: NDArray, state0: tuple[NDArray, ...], mask: NDArray | None
    ) -> tuple[NDArray, tuple[NDArray, ...], Any]:
        """One direction of one layer over time-ordered ``X``; see the class docstring."""

    @abc.abstractmethod
    def _layer_backward(
        self, p: dict[str, NDArray], cache: Any, dY: NDArray, dstate: tuple[NDArray, ...]
    ) -> tuple[NDArray, tuple[NDArray, ...], dict[str, NDArray]]:
        """BPTT through one ``_layer_forward``; see the class docstring."""

    # ------------------------------------------------------------------ the stack
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T = X.shape[0]
        states = self._as_tuple(state)
        finals = tuple(np.empty_like(s) for s in states)
        mask = length_mask(lengths, T, self.dtype)
        caches = []
        layer_input = X
        for layer in range(self.num_layers):
            outputs = []
            for d in range(self.num_directions):
                idx = layer * self.num_directions + d
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                p = self._layer_params(suffix)
                Xd = layer_input if d == 0 else reverse_padded(layer_input, lengths)
                Y, sT, cache = self._layer_forward(p, Xd, tuple(s[idx] for s in states), mask)
                for f, s in zip(finals, sT, strict=True):
                    f[idx] = s
                outputs.append(Y if d == 0 else reverse_padded(Y, lengths))
                caches.append(cache)
            layer_input = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)
        self._cache = (caches, lengths)
        return layer_input, self._from_tuple(finals)

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        caches, lengths = self._cache
        dstates = self._as_tuple(dstate)
        dstates0 = tuple(np.empty_like(s) for s in dstates)
        grads: dict[str, NDArray] = {}
        O = self._out_features()
        d_output = dY
        for layer in reversed(range(self.num_layers)):
            d_input: NDArray | None = None
            for d in range(self.num_directions):
                idx = layer * self.num_directions + d
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                p = self._layer_params(suffix)
                dYd = d_output[:, :, d * O : (d + 1) * O]
                if d == 1:
                    dYd = reverse_padded(dYd, lengths)
                dYd = np.ascontiguousarray(dYd)
                dX, ds0, dp = self._layer_backward(
                    p, caches[idx], dYd, tuple(s[idx] for s in dstates)
                )
                if d == 1:
                    dX = reverse_padded(dX, lengths)
                d_input = dX if d_input is None else d_input + dX
                for target, s in zip(dstates0, ds0, strict=True):
                    target[idx] = s
                for k, v in dp.items():
                    grads[k + suffix] = v
            assert d_input is not None
            d_output = d_input
        self.grads = {k: grads[k] for k in self.params}
        return d_output, self._from_tuple(dstates0)

    # ------------------------------------------------------------------ PyTorch interop
    def to_torch_state_dict(self) -> dict[str, NDArray]:
        """The parameters under PyTorch's key names, as numpy arrays (copies).

        ``torch.nn.RNN/LSTM/GRU.load_state_dict({k: torch.from_numpy(v) ...})`` accepts them.
        """
        return {k: v.copy() for k, v in self.params.items()}

    @classmethod
    def _infer_from_state_dict(cls, sd: dict[str, NDArray]) -> dict[str, Any]:
        if "weight_ih_l0" not in sd:
            raise ValueError("state_dict must contain 'weight_ih_l0' (a PyTorch RNN state dict)")
        w_ih = sd["weight_ih_l0"]
        layers = 1 + max(int(k.split("_l")[1].split("_")[0]) for k in sd if "_l" in k)
        return {
            "input_size": int(w_ih.shape[1]),
            "hidden_size": int(w_ih.shape[0]) // cls.gate_count,
            "num_layers": layers,
            "bidirectional": any(k.endswith("_reverse") for k in sd),
            "bias": "bias_ih_l0" in sd,
        }

    @classmethod
    def from_torch_state_dict(
        cls, state_dict: dict[str, Any], *, dtype: Any = None, **kwargs: Any
    ) -> TorchStyleRNN:
        """Build a model from a PyTorch state dict (numpy arrays or CPU tensors; no torch import).

        Sizes, ``num_layers``, ``bidirectional`` and ``bias`` are read from the keys and shapes;
        other hyperparameters (``nonlinearity`` for Elman) come from ``kwargs``. The dtype is the
        arrays' unless given.
        """
        sd = {
            k: np.asarray(v.detach().cpu() if hasattr(v, "detach") else v)
            for k, v in state_dict.items()
        }
        config = cls._infer_from_state_dict(sd)
        config.update(kwargs)
        if dtype is None:
            dtype = sd["weight_ih_l0"].dtype
        model = cls(**config, dtype=dtype)
        missing = set(model.params) - set(sd)
        unexpected = set(sd) - set(model.params)
        if missing or unexpected:
            raise ValueError(
                f"state_dict keys do not match: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}"
            )
        for k, v in sd.items():
            if v.shape != model.params[k].shape:
                raise ValueError(
                    f"state_dict[{k!r}] has shape {v.shape}; expected {model.params[k].shape}"
                )
            model.params[k][...] = v
        return model
