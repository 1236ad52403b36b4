"""The contract every trainable sequence model keeps.

:class:`SequenceModel` owns what is common to all of them -- argument checking, the parameter and
gradient dictionaries, state handling, save and load -- and leaves the mathematics to the
architecture. Arrays are numpy and sequences are time-major: ``X`` has shape ``(T, B, I)``.

What a new architecture provides
--------------------------------
``__init__(input_size, ..., *, seed=None, dtype=np.float64)``
    Call ``super().__init__(input_size, dtype=dtype)``, store every hyperparameter unchanged
    under its own name (``self.hidden_size = hidden_size``, so that :meth:`get_config` finds it),
    draw the weights from ``make_rng(seed)`` and put them in ``self.params``.
``output_size``
    An attribute or property: the size of the last axis of ``Y``.
``initial_state(batch_size)``
    The zero state: an array, a tuple of arrays, or ``None`` for a stateless model.
``_forward(X, state, lengths)``
    The recurrence on validated input (``X`` in the model's dtype, ``state`` of the right
    structure, ``lengths`` ``None`` or int64 ``(B,)`` in ``[0, T]``). Returns ``(Y, final_state)``
    and keeps whatever the backward pass needs in ``self._cache``. Past its length a sequence's
    outputs are 0 and its state stops updating.
``_backward(dY, dstate)``
    Backpropagation through time through the last ``_forward``. ``dstate`` always has the
    state's structure (zeros when the caller gave none). Sets ``self.grads`` (same keys and
    shapes as ``self.params``) and returns ``(dX, dstate0)``, the gradients with respect to the
    input and to the initial state.
``equations()`` (optional classmethod)
    The defining equations as a list of :class:`sympy.Eq`, shown by ``recurrent-zoo info``.

Everything else -- :meth:`forward`, :meth:`backward`, :meth:`get_config`, :meth:`save`,
:func:`recurrent_zoo.load` -- comes from this class, and ``recurrent_zoo.testing`` checks that a
new architecture keeps the contract.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any

import numpy as np

from . import io
from .validation import (
    NDArray,
    check_array,
    check_dtype,
    check_lengths,
    check_positive_int,
    check_sequence,
    check_state,
)

__all__ = ["SequenceModel", "State", "zeros_like_state"]

State = Any  # an ndarray, a (nested) tuple of ndarrays, or None


class SequenceModel(abc.ABC):
    """Abstract base class of trainable sequence models (see the module docstring).

    Parameters
    ----------
    input_size : int
        Number of input features ``I``.
    dtype : {np.float64, np.float32}
        Floating-point type of the parameters, the outputs and the gradients.

    Attributes
    ----------
    params : dict of str to ndarray
        The parameters: the single source of truth. Edit arrays in place (``p[...] = v``);
        the next forward pass uses the new values.
    grads : dict of str to ndarray
        Gradients of the last :meth:`backward`, same keys and shapes as ``params``.
    state_grad : state or None
        Gradient with respect to the initial state given to the last forward pass.
    """

    #: names of ``__init__`` arguments that are not hyperparameters saved in the config
    _config_exclude: tuple[str, ...] = ("seed", "dtype")

    def __init__(self, input_size: int, *, dtype: Any = np.float64) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.dtype = check_dtype(dtype)
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.state_grad: State = None
        self._cache: Any = None
        self._last_shape: tuple[int, ...] | None = None
        self._last_state: State = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls):
            io.register_class(cls)

    # ------------------------------------------------------------------ to be provided
    output_size: int

    @abc.abstractmethod
    def initial_state(self, batch_size: int) -> State:
        """The zero state for a batch of ``batch_size`` sequences."""

    @abc.abstractmethod
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        """The recurrence on validated arguments; see the module docstring."""

    @abc.abstractmethod
    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        """BPTT through the last :meth:`_forward`; see the module docstring."""

    @classmethod
    def equations(cls) -> list[Any]:
        """The defining equations as sympy ``Eq`` objects (empty if not provided)."""
        return []

    # ------------------------------------------------------------------ public contract
    def forward(self, X: Any, state: State = None, lengths: Any = None) -> tuple[NDArray, State]:
        """Run the model over a batch of sequences.

        Parameters
        ----------
        X : array_like, shape (T, B, input_size)
            Time-major inputs.
        state : optional
            Initial state, as returned by a previous call or :meth:`initial_state`;
            zeros by default.
        lengths : array_like of int, shape (B,), optional
            Length of each sequence, in ``[1, T]``. Past its length a sequence's outputs are 0
            and its state stops updating.

        Returns
        -------
        Y : ndarray, shape (T, B, output_size)
        state : the final state (each sequence's state at its own length)
        """
        X = check_sequence(X, "X", input_size=self.input_size, dtype=self.dtype)
        T, B, _ = X.shape
        lengths = check_lengths(lengths, T, B)
        template = self.initial_state(B)
        state = template if state is None else check_state(state, template, "state")
        Y, final = self._forward(X, state, lengths)
        self._last_shape = Y.shape
        self._last_state = template
        # architectures may keep Y in their backward cache: hand the caller its own copy, so
        # that editing the outputs in place cannot corrupt the gradients
        return Y.copy(), final

    def backward(self, dY: Any, dstate: State = None) -> NDArray:
        """Backpropagate through time through the last :meth:`forward`.

        Parameters
        ----------
        dY : array_like, shape (T, B, output_size)
            Gradient of the loss with respect to the outputs.
        dstate : optional
            Gradient with respect to the final state (zeros by default).

        Returns
        -------
        dX : ndarray, shape (T, B, input_size)
            Gradient with respect to the inputs. ``self.grads`` holds the parameter gradients
            and ``self.state_grad`` the gradient with respect to the initial state.
        """
        if self._last_shape is None or self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        shape = self._last_shape
        doc = f"(T={shape[0]}, B={shape[1]}, output_size={shape[2]}) like the last output"
        dY = check_array(dY, "dY", shape=shape, dtype=self.dtype, shape_doc=doc)
        template = self._last_state
        if dstate is None:
            dstate = zeros_like_state(template)
        else:
            dstate = check_state(dstate, template, "dstate")
        dX, dstate0 = self._backward(dY, dstate)
        self.state_grad = dstate0
        return dX

    def __call__(self, X: Any, state: State = None, lengths: Any = None) -> tuple[NDArray, State]:
        return self.forward(X, state, lengths)

    @property
    def is_causal(self) -> bool:
        """Whether output t depends only on inputs up to t (False for bidirectional models).

        Only causal models can carry their state from one call to the next (truncated BPTT).
        """
        return True

    def apply_constraints(self) -> None:
        """Project the parameters back onto their allowed set after an optimizer step.

        A no-op unless the architecture constrains its weights (IndRNN's bound on the recurrent
        weights, for instance); :func:`recurrent_zoo.training.fit` calls it after each update.
        """
        return None

    def zero_grad(self) -> None:
        """Set every gradient to zero (creating ``grads`` if backward has not run)."""
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    # ------------------------------------------------------------------ config and files
    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__`` (JSON-serialisable).

        Read from the attributes named like the ``__init__`` arguments, scikit-learn style.
        """
        sig = inspect.signature(type(self).__init__)
        config: dict[str, Any] = {}
        for name, p in sig.parameters.items():
            if name == "self" or name in self._config_exclude:
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            config[name] = io.to_jsonable(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> SequenceModel:
        """Build a model skeleton from :meth:`get_config`'s output (weights are then loaded)."""
        return cls(**config, dtype=dtype)

    def save(self, path: Any) -> None:
        """Save parameters (tensors) and hyperparameters (JSON metadata) to one safetensors file.

        Examples
        --------
        >>> import os, tempfile, recurrent_zoo
        >>> from recurrent_zoo.elman import Elman
        >>> m = Elman(2, 3, seed=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
        >>> m.save(path)
        >>> m2 = recurrent_zoo.load(path)
        >>> all(np.array_equal(m.params[k], m2.params[k]) for k in m.params)
        True
        """
        io.save(self, path)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"{type(self).__name__}({args}{dt})"


def zeros_like_state(template: State) -> State:
    """Zeros with the structure of ``template`` (an array, a nested tuple, or None)."""
    if template is None:
        return None
    if isinstance(template, tuple):
        return tuple(zeros_like_state(t) for t in template)
    return np.zeros_like(template)
