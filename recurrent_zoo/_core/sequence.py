"""Variable-length sequences, and the wrappers that make any model bidirectional or deep.

Sequences are time-major, ``(T, B, features)``. A batch of sequences of different lengths is
padded to the longest and described by ``lengths`` (``(B,)`` ints); :func:`length_mask` turns
that into a ``(T, B, 1)`` mask, and :func:`reverse_padded` reverses each sequence within its own
length, which is how a backward direction starts at each sequence's own end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import io
from .base import SequenceModel, State, zeros_like_state
from .validation import NDArray, check_choice

__all__ = [
    "length_mask",
    "reverse_padded",
    "pad_sequences",
    "zeros_like_state",
    "Bidirectional",
    "Stacked",
]


def length_mask(lengths: NDArray | None, T: int, dtype: Any = np.float64) -> NDArray | None:
    """``(T, B, 1)`` mask with ones where ``t < lengths[b]``; ``None`` when ``lengths`` is.

    Examples
    --------
    >>> length_mask(np.array([2, 1]), 3)[:, :, 0]
    array([[1., 1.],
           [1., 0.],
           [0., 0.]])
    """
    if lengths is None:
        return None
    t = np.arange(T)[:, None]
    return (t < lengths[None, :]).astype(dtype)[:, :, None]


def reverse_padded(X: NDArray, lengths: NDArray | None) -> NDArray:
    """Reverse each sequence in time within its own length; padding stays where it is.

    The operation is its own inverse (and its own adjoint, so it also reverses gradients).

    Examples
    --------
    >>> X = np.arange(6.0).reshape(3, 2, 1)
    >>> reverse_padded(X, np.array([3, 2]))[:, :, 0]
    array([[4., 3.],
           [2., 1.],
           [0., 5.]])
    """
    if lengths is None:
        return X[::-1]
    T = X.shape[0]
    t = np.arange(T)[:, None]
    src = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)  # (T, B)
    return np.take_along_axis(X, src[:, :, None], axis=0)


def pad_sequences(
    sequences: list[Any], dtype: Any = np.float64, value: float = 0.0
) -> tuple[NDArray, NDArray]:
    """Stack a list of ``(T_k, F)`` arrays into a padded ``(T, B, F)`` array and the lengths.

    Examples
    --------
    >>> X, lengths = pad_sequences([np.ones((2, 1)), np.ones((3, 1))])
    >>> X.shape, lengths
    ((3, 2, 1), array([2, 3]))
    """
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence")
    arrays = [np.asarray(s, dtype=dtype) for s in sequences]
    for k, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[0] < 1:
            raise ValueError(
                f"sequences[{k}] must have shape (T_k, F) with T_k >= 1; got {a.shape}"
            )
        if a.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"sequences[{k}] has {a.shape[1]} features; sequences[0] has {arrays[0].shape[1]}"
            )
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    out = np.full((int(lengths.max()), len(arrays), arrays[0].shape[1]), value, dtype=dtype)
    for b, a in enumerate(arrays):
        out[: a.shape[0], b] = a
    return out, lengths


def _prefixed(children: list[tuple[str, SequenceModel]], attr: str) -> dict[str, NDArray]:
    return {f"{p}.{k}": v for p, m in children for k, v in getattr(m, attr).items()}


def _descendants(name: str, model: SequenceModel) -> list[tuple[str, SequenceModel]]:
    """``model`` and every model wrapped inside it, with where each sits (``models[0].fwd``)."""
    out = [(name, model)]
    for child_name, child in getattr(model, "_children", []):
        out += _descendants(f"{name}.{child_name}", child)
    return out


class _Wrapper(SequenceModel):
    """Shared plumbing of models made of other models (abstract)."""

    _children: list[tuple[str, SequenceModel]]

    def _init_children(self, children: list[tuple[str, SequenceModel]], labels: list[str]) -> None:
        """Adopt ``children`` (prefix, model); ``labels`` name them as the caller passed them."""
        seen: dict[int, str] = {}
        for label, (_, m) in zip(labels, children, strict=True):
            if not isinstance(m, SequenceModel):
                raise TypeError(f"{label} must be a SequenceModel; got {type(m).__name__}")
            for where, part in _descendants(label, m):
                if id(part) in seen:
                    raise ValueError(
                        f"{where} is the same {type(part).__name__} object as {seen[id(part)]}; "
                        "give each position its own instance (one instance keeps one cache and "
                        "one grads dict, so sharing it would give wrong gradients)"
                    )
                seen[id(part)] = where
        dtypes = {m.dtype for _, m in children}
        if len(dtypes) != 1:
            raise ValueError(
                f"all wrapped models must share one dtype; got {sorted(map(str, dtypes))}"
            )
        SequenceModel.__init__(self, children[0][1].input_size, dtype=dtypes.pop())
        self._children = children
        self.params = _prefixed(children, "params")

    def apply_constraints(self) -> None:
        for _, m in self._children:
            m.apply_constraints()

    def _collect_grads(self) -> None:
        self.grads = _prefixed(self._children, "grads")

    def get_config(self) -> dict[str, Any]:
        return {"models": [io.header(m) for _, m in self._children], **self._extra_config()}

    def _extra_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for _, m in self._children)
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_config().items())
        return f"{type(self).__name__}({inner}{extra})"


class Bidirectional(_Wrapper):
    r"""Run one model forward in time and another backward, and merge their outputs.

    .. math::

        \overrightarrow{y}_t, \_ = f(x_{1..t}), \qquad
        \overleftarrow{y}_t, \_ = g(x_{L..t}), \qquad
        y_t = \mathrm{merge}(\overrightarrow{y}_t, \overleftarrow{y}_t)

    With ``lengths``, the backward model starts at each sequence's own end (Schuster & Paliwal
    1997; as PyTorch does with packed sequences).

    Parameters
    ----------
    forward_model, backward_model : SequenceModel
        Any two trainable models with the same ``input_size`` and dtype (for a merge other than
        ``"concat"``, also the same ``output_size``).
    merge : {"concat", "sum", "mul", "ave"}
        How the two outputs are combined.

    Examples
    --------
    >>> from recurrent_zoo.elman import Elman
    >>> m = Bidirectional(Elman(2, 3, seed=0), Elman(2, 3, seed=1))
    >>> Y, (h_fwd, h_bwd) = m.forward(np.zeros((5, 4, 2)))
    >>> Y.shape
    (5, 4, 6)
    """

    def __init__(
        self, forward_model: SequenceModel, backward_model: SequenceModel, merge: str = "concat"
    ) -> None:
        check_choice(merge, "merge", ("concat", "sum", "mul", "ave"))
        self._init_children(
            [("forward", forward_model), ("backward", backward_model)],
            ["forward_model", "backward_model"],
        )
        if backward_model.input_size != forward_model.input_size:
            raise ValueError(
                f"backward_model.input_size ({backward_model.input_size}) must equal "
                f"forward_model.input_size ({forward_model.input_size})"
            )
        if merge != "concat" and backward_model.output_size != forward_model.output_size:
            raise ValueError(
                f"merge={merge!r} needs equal output sizes; got {forward_model.output_size} "
                f"and {backward_model.output_size}"
            )
        self.forward_model = forward_model
        self.backward_model = backward_model
        self.merge = merge
        f, b = forward_model.output_size, backward_model.output_size
        self.output_size = f + b if merge == "concat" else f

    _config_keys = ("models", "merge")

    def _extra_config(self) -> dict[str, Any]:
        return {"merge": self.merge}

    @classmethod
    def equations(cls) -> list[Any]:
        """The forward (hf) and backward (hb) recurrences and the merge, as sympy ``Eq``."""
        import sympy as sp

        x, y = sp.Symbol("x_t"), sp.Symbol("y_t")
        hf, hf_prev = sp.Symbol("hf_t"), sp.Symbol("hf_{t-1}")
        hb, hb_next = sp.Symbol("hb_t"), sp.Symbol("hb_{t+1}")
        f, g, merge = sp.Function("f"), sp.Function("g"), sp.Function("merge")
        return [
            sp.Eq(hf, f(hf_prev, x), evaluate=False),
            sp.Eq(hb, g(hb_next, x), evaluate=False),
            sp.Eq(y, merge(hf, hb), evaluate=False),
        ]

    @property
    def is_causal(self) -> bool:
        return False

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> Bidirectional:
        fwd, bwd = (io.build(h) for h in config["models"])
        return cls(fwd, bwd, merge=config.get("merge", "concat"))

    def initial_state(self, batch_size: int) -> State:
        return (
            self.forward_model.initial_state(batch_size),
            self.backward_model.initial_state(batch_size),
        )

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        Yf, sf = self.forward_model._forward(X, state[0], lengths)
        Yb_rev, sb = self.backward_model._forward(reverse_padded(X, lengths), state[1], lengths)
        Yb = reverse_padded(Yb_rev, lengths)
        if self.merge == "concat":
            Y = np.concatenate([Yf, Yb], axis=2)
        elif self.merge == "sum":
            Y = Yf + Yb
        elif self.merge == "mul":
            Y = Yf * Yb
        else:
            Y = 0.5 * (Yf + Yb)
        self._cache = (lengths, Yf, Yb)
        return Y, (sf, sb)

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        lengths, Yf, Yb = self._cache
        if self.merge == "concat":
            f = self.forward_model.output_size
            dYf, dYb = dY[:, :, :f], dY[:, :, f:]
        elif self.merge == "sum":
            dYf, dYb = dY, dY
        elif self.merge == "mul":
            dYf, dYb = dY * Yb, dY * Yf
        else:
            dYf = dYb = 0.5 * dY
        dXf, dsf = self.forward_model._backward(np.ascontiguousarray(dYf), dstate[0])
        dXb_rev, dsb = self.backward_model._backward(
            np.ascontiguousarray(reverse_padded(dYb, lengths)), dstate[1]
        )
        self._collect_grads()
        return dXf + reverse_padded(dXb_rev, lengths), (dsf, dsb)


class Stacked(_Wrapper):
    r"""A deep recurrent net: each model's output sequence is the next model's input.

    .. math::

        h^{(1)}_{1..T} = f_1(x_{1..T}), \quad h^{(k)}_{1..T} = f_k(h^{(k-1)}_{1..T}), \quad
        y = h^{(K)}

    Parameters
    ----------
    models : list of SequenceModel
        At least one model; ``models[k].output_size == models[k + 1].input_size``.

    Examples
    --------
    >>> from recurrent_zoo.elman import Elman
    >>> from recurrent_zoo._core.layers import Linear
    >>> m = Stacked([Elman(2, 8, seed=0), Linear(8, 1, seed=0)])
    >>> Y, state = m.forward(np.zeros((5, 4, 2)))
    >>> Y.shape
    (5, 4, 1)
    """

    _config_keys = ("models",)

    def __init__(self, models: list[SequenceModel]) -> None:
        models = list(models)
        if len(models) == 0:
            raise ValueError("models must hold at least one SequenceModel")
        self._init_children(
            [(str(k), m) for k, m in enumerate(models)],
            [f"models[{k}]" for k in range(len(models))],
        )
        for k in range(len(models) - 1):
            if models[k].output_size != models[k + 1].input_size:
                raise ValueError(
                    f"models[{k}].output_size ({models[k].output_size}) must equal "
                    f"models[{k + 1}].input_size ({models[k + 1].input_size})"
                )
        self.models = models
        self.output_size = models[-1].output_size

    @classmethod
    def equations(cls) -> list[Any]:
        """Layer ``k`` reads layer ``k - 1``'s outputs at the same step (``h^(0) = x``)."""
        import sympy as sp

        k = sp.Symbol("k", integer=True, positive=True)
        h = sp.IndexedBase("h")
        t = sp.Symbol("t", integer=True)
        f = sp.Function("f_k")
        return [sp.Eq(h[k, t], f(h[k, t - 1], h[k - 1, t]), evaluate=False)]

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> Stacked:
        return cls([io.build(h) for h in config["models"]])

    def initial_state(self, batch_size: int) -> State:
        return tuple(m.initial_state(batch_size) for m in self.models)

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        finals = []
        for m, s in zip(self.models, state, strict=True):
            X, s_final = m._forward(X, s, lengths)
            finals.append(s_final)
        self._cache = True
        return X, tuple(finals)

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        dstates = []
        for m, ds in zip(reversed(self.models), reversed(dstate), strict=True):
            dY, ds0 = m._backward(dY, ds)
            dstates.append(ds0)
        self._collect_grads()
        return dY, tuple(reversed(dstates))

    @property
    def is_causal(self) -> bool:
        return all(m.is_causal for m in self.models)

    def __getitem__(self, k: int) -> SequenceModel:
        return self.models[k]

    def __len__(self) -> int:
        return len(self.models)
