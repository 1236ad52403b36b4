r"""A recurrent decoder that attends over a memory at every step (Bahdanau et al. 2015).

An encoder-decoder with a fixed-size summary must squeeze a whole sentence (or image) into the
decoder's initial state. Bahdanau, Cho & Bengio (2015) let the decoder look back instead: at
every step it reads a *context*, a weighted average of the encoder's outputs (the *memory*)
whose weights it chooses from its own state by additive attention
(:mod:`recurrent_zoo._core.attention`). Xu et al. (2015) used the same decoder over the feature
vectors of an image's regions to write captions. At step :math:`t`, with :math:`x_t` the input
(the previous word, fed back) and :math:`h_{t-1}` the recurrent cell's previous output:

.. math::

    c_t &= \sum_j \alpha_{tj} m_j, \qquad
        \alpha_{tj} = \mathrm{softmax}_j\!\big(v^\top \tanh(W_q h_{t-1} + W_k m_j + b)\big)
        && \text{(attention, queried by the previous state)} \\
    h_t, s_t &= \mathrm{cell}\big([x_t; c_t],\ s_{t-1}\big)
        && \text{(an LSTM or GRU step, PyTorch's equations)} \\
    y_t &= [h_t; c_t] && \text{(the output: the state and what it read)}

The attention reads *before* the recurrent update, as in Bahdanau et al. (their
:math:`c_i` is scored with :math:`s_{i-1}`) and Xu et al. (their :math:`\hat z_t` with
:math:`h_{t-1}`); both then predict the next word from the state *and* the context, so the
output is :math:`[h_t; c_t]`, to be put through a readout (a
:class:`~recurrent_zoo.Linear` to the vocabulary's logits: the deep output of Bahdanau et al.
without its maxout layer). ``cell="lstm"`` steps :class:`~recurrent_zoo.lstm.LSTM`'s own
equations, ``cell="gru"`` :class:`~recurrent_zoo.gru.GRU`'s, one step at a time through their
tested layer code: the parameters are theirs, prefixed ``cell.`` (``cell.weight_ih_l0`` of shape
``(G H, input_size + memory_size)``, PyTorch's key after the prefix), and the attention's are
prefixed ``attention.``.

Backpropagation through time runs the steps in reverse: at step :math:`t` the cell's backward
gives the gradient of its input :math:`[x_t; c_t]` and of its previous state; the context's part
(plus the output's :math:`\bar c_t`) goes back through the attention, whose query gradient joins
:math:`\bar h_{t-1}`; the memory gathers its gradient from every step and passes it through the
key projection once at the end. Past a sequence's length the outputs are 0 and the state stops
updating; past a memory's length the attention weights are 0.

Decoding one step at a time (greedy or beam search, :mod:`recurrent_zoo.decoding`) uses
:meth:`AttentionDecoder.start` and :meth:`AttentionDecoder.step`, whose state is a tuple of
batch-first arrays that a search may reorder along its first axis.

References
----------
D. Bahdanau, K. Cho and Y. Bengio, "Neural machine translation by jointly learning to align and
translate", ICLR 2015 (arXiv:1409.0473), appendix A.

K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov, R. Zemel and Y. Bengio, "Show,
attend and tell: neural image caption generation with visual attention", ICML 2015.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core import io
from ._core.attention import AdditiveAttention, AttentionMemory
from ._core.base import State, zeros_like_state
from ._core.init import make_rng
from ._core.layered import TorchStyleRNN
from ._core.sequence import length_mask
from ._core.validation import (
    NDArray,
    check_array,
    check_choice,
    check_dtype,
    check_lengths,
    check_positive_int,
    check_sequence,
    check_state,
)
from .gru import GRU
from .lstm import LSTM

__all__ = ["AttentionDecoder"]

_CELLS = {"lstm": LSTM, "gru": GRU}


@io.register_class
class AttentionDecoder:
    """An LSTM or GRU decoder with additive attention over a time-major memory.

    Parameters
    ----------
    input_size : int
        Features of the decoder's input ``x_t`` (a one-hot or embedded previous word).
    hidden_size : int
        Units ``H`` of the recurrent cell.
    memory_size : int
        Features ``M`` of a memory vector (an encoder output, an image region's features).
    attention_size : int, optional
        Units of the attention's hidden layer (``hidden_size`` by default).
    cell : {"lstm", "gru"}, default "lstm"
    attention_bias : bool, default True
        The bias inside the attention's tanh (Bahdanau et al. have none).
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``hidden_size + memory_size``: each step's output is ``[h_t; c_t]``.
    params, grads : dict of str to ndarray
        ``cell.*`` (PyTorch's LSTM/GRU keys) and ``attention.*``; the arrays are the cell's and
        the attention's own, so editing one in place changes the next forward.
    attention_weights : ndarray, shape (T, B, N)
        The weights of the last :meth:`forward` (zero past a sequence's or a memory's length).
    state_grad : state
        Gradient with respect to the initial state of the last :meth:`forward`.

    Notes
    -----
    The state is the cell's: ``(h, c)`` of shapes ``(1, B, H)`` for the LSTM, ``h`` of shape
    ``(1, B, H)`` for the GRU, as a one-layer :class:`~recurrent_zoo.lstm.LSTM` or
    :class:`~recurrent_zoo.gru.GRU` keeps it, so an encoder's final state can start it.

    Examples
    --------
    >>> import numpy as np
    >>> dec = AttentionDecoder(input_size=3, hidden_size=5, memory_size=4, seed=0)
    >>> rng = np.random.default_rng(0)
    >>> X, memory = rng.normal(size=(6, 2, 3)), rng.normal(size=(7, 2, 4))  # (T, B, I), (N, B, M)
    >>> Y, (h, c) = dec.forward(X, memory, memory_lengths=[7, 4], lengths=[6, 3])
    >>> Y.shape, h.shape, dec.attention_weights.shape                      # (T, B, H + M)
    ((6, 2, 9), (1, 2, 5), (6, 2, 7))
    >>> float(dec.attention_weights[0, 1, 4:].sum())                       # past memory length 4
    0.0
    >>> dX, dmemory = dec.backward(np.ones_like(Y))
    >>> dX.shape, dmemory.shape, dec.grads["attention.weight_query"].shape
    ((6, 2, 3), (7, 2, 4), (5, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        memory_size: int,
        *,
        attention_size: int | None = None,
        cell: str = "lstm",
        attention_bias: bool = True,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.memory_size = check_positive_int(memory_size, "memory_size")
        self.attention_size = (
            None if attention_size is None else check_positive_int(attention_size, "attention_size")
        )
        self.cell = check_choice(cell, "cell", tuple(_CELLS))
        self.attention_bias = attention_bias
        self.dtype = check_dtype(dtype)
        self.output_size = self.hidden_size + self.memory_size
        rng = make_rng(seed)
        self._cell: TorchStyleRNN = _CELLS[cell](
            self.input_size + self.memory_size, self.hidden_size, seed=rng, dtype=self.dtype
        )
        self._attention = AdditiveAttention(
            self.hidden_size,
            self.memory_size,
            attention_size or self.hidden_size,
            bias=attention_bias,
            seed=rng,
            dtype=self.dtype,
        )
        self.params: dict[str, NDArray] = {f"cell.{k}": v for k, v in self._cell.params.items()}
        self.params.update({f"attention.{k}": v for k, v in self._attention.params.items()})
        self.grads: dict[str, NDArray] = {}
        self.state_grad: State = None
        self.attention_weights: NDArray | None = None
        self._cache: Any = None

    # ------------------------------------------------------------------ config and files
    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__``."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "memory_size": self.memory_size,
            "attention_size": self.attention_size,
            "cell": self.cell,
            "attention_bias": self.attention_bias,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> AttentionDecoder:
        """Build a skeleton from :meth:`get_config`'s output (weights are then loaded)."""
        return cls(**config, dtype=dtype)

    def save(self, path: Any) -> None:
        """Save to a safetensors file; :func:`recurrent_zoo.load` reads it back."""
        io.save(self, path)

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"AttentionDecoder({args}{dt})"

    # ------------------------------------------------------------------ state
    def initial_state(self, batch_size: int) -> State:
        """The zero state: ``(h, c)`` (LSTM) or ``h`` (GRU), each ``(1, B, H)``."""
        return self._cell.initial_state(batch_size)

    def _cell_state(self, state: State) -> tuple[NDArray, ...]:
        """``(1, B, .)`` state arrays -> the cell layer's tuple of ``(B, .)`` arrays."""
        arrays = state if isinstance(state, tuple) else (state,)
        return tuple(a[0] for a in arrays)

    def _public_state(self, arrays: tuple[NDArray, ...]) -> State:
        out = tuple(a[None].copy() for a in arrays)
        return out if len(out) > 1 else out[0]

    def _check_memory(self, memory: Any, memory_lengths: Any, B: int | None) -> tuple[Any, Any]:
        memory = check_sequence(memory, "memory", input_size=self.memory_size, dtype=self.dtype)
        if B is not None and memory.shape[1] != B:
            raise ValueError(
                f"memory must have shape (N, B={B}, memory_size={self.memory_size}) with the "
                f"inputs' batch size; got shape {memory.shape}"
            )
        N, Bm = memory.shape[:2]
        return memory, check_lengths(memory_lengths, N, Bm, "memory_lengths")

    # ------------------------------------------------------------------ training: whole sequences
    def forward(
        self,
        X: Any,
        memory: Any,
        memory_lengths: Any = None,
        state: State = None,
        lengths: Any = None,
    ) -> tuple[NDArray, State]:
        """Decode with teacher forcing: the inputs are given for every step.

        Parameters
        ----------
        X : array_like, shape (T, B, input_size)
            Each step's input (the previous target word).
        memory : array_like, shape (N, B, memory_size)
            What the decoder attends over, time-major.
        memory_lengths : array_like of int, shape (B,), optional
            Each memory's length in ``[1, N]``.
        state : optional
            The cell's initial state (zeros by default), as :meth:`initial_state` shapes it.
        lengths : array_like of int, shape (B,), optional
            Each output sequence's length in ``[1, T]``.

        Returns
        -------
        Y : ndarray, shape (T, B, hidden_size + memory_size)
            ``[h_t; c_t]`` at every step, 0 past each sequence's length.
        state : the final state (each sequence's at its own length)
        """
        X = check_sequence(X, "X", input_size=self.input_size, dtype=self.dtype)
        T, B, _ = X.shape
        memory, memory_lengths = self._check_memory(memory, memory_lengths, B)
        lengths = check_lengths(lengths, T, B)
        template = self.initial_state(B)
        state = template if state is None else check_state(state, template, "state")
        H, mask = self.hidden_size, length_mask(lengths, T, self.dtype)  # (T, B, 1) or None
        p = self._cell._layer_params("_l0")
        mem = self._attention.memory(memory, lengths=memory_lengths)
        s = self._cell_state(state)  # the cell's (B, .) arrays; s[0] is h_{t-1}
        Y = np.empty((T, B, self.output_size), self.dtype)
        weights = np.empty((T, B, mem.size), self.dtype)
        caches = []
        for t in range(T):
            context, weights[t], attention_cache = self._attention.attend(s[0], mem)  # (B, M)
            x = np.concatenate([X[t], context], axis=1)[None]  # (1, B, I + M)
            # a step's mask only where some sequence has ended (past its length the cell's own
            # layer code keeps the state and gives zero gradients)
            step_mask = None if mask is None or mask[t].all() else mask[t : t + 1]
            h, s, cell_cache = self._cell._layer_forward(p, x, s, step_mask)
            Y[t, :, :H], Y[t, :, H:] = h[0], context
            caches.append((attention_cache, cell_cache, step_mask))
        if mask is not None:
            Y *= mask
            weights *= mask
        self.attention_weights = weights
        self._cache = (mem, caches, mask, template)
        return Y.copy(), self._public_state(s)

    def backward(self, dY: Any, dstate: State = None) -> tuple[NDArray, NDArray]:
        """Backpropagate through time through the last :meth:`forward`.

        Parameters
        ----------
        dY : array_like, shape (T, B, hidden_size + memory_size)
        dstate : optional
            Gradient with respect to the final state (zeros by default).

        Returns
        -------
        dX : ndarray, shape (T, B, input_size)
        dmemory : ndarray, shape (N, B, memory_size)
            ``self.grads`` holds the parameters' gradients and ``self.state_grad`` the initial
            state's.
        """
        if self._cache is None:
            raise RuntimeError("backward() needs a forward() first")
        mem, caches, mask, template = self._cache
        T, H, I = len(caches), self.hidden_size, self.input_size
        B = mem.projected.shape[0]
        dY = check_array(
            dY,
            "dY",
            shape=(T, B, self.output_size),
            dtype=self.dtype,
            shape_doc=f"(T={T}, B={B}, output_size={self.output_size}) like the last output",
        )
        if mask is not None:
            dY = dY * mask
        if dstate is None:
            dstate = zeros_like_state(template)
        else:
            dstate = check_state(dstate, template, "dstate")
        p = self._cell._layer_params("_l0")
        ds = self._cell_state(dstate)
        self._attention.zero_grad()
        mem.zero_grad()
        cell_grads = {k: np.zeros_like(v) for k, v in p.items()}
        dX = np.empty((T, B, I), self.dtype)
        for t in reversed(range(T)):
            attention_cache, cell_cache, _ = caches[t]
            dx, ds, g = self._cell._layer_backward(p, cell_cache, dY[t, :, :H][None], ds)
            for k, v in g.items():
                cell_grads[k] += v
            dX[t] = dx[0, :, :I]
            dcontext = dx[0, :, I:] + dY[t, :, H:]
            dquery = self._attention.attend_backward(dcontext, attention_cache)
            ds = (ds[0] + dquery,) + tuple(ds[1:])
        dmemory, _ = self._attention.memory_backward(mem)
        grads = {f"cell.{k}_l0": v for k, v in cell_grads.items()}
        grads.update({f"attention.{k}": v for k, v in self._attention.grads.items()})
        self.grads = {k: grads[k] for k in self.params}
        self.state_grad = self._public_state(ds)
        return dX, dmemory

    # ------------------------------------------------------------------ inference, step by step
    def start(self, memory: Any, memory_lengths: Any = None, state: State = None) -> tuple:
        """The decoding state before the first :meth:`step`.

        Parameters
        ----------
        memory : array_like, shape (N, B, memory_size)
        memory_lengths : array_like of int, shape (B,), optional
        state : optional
            The cell's initial state (zeros by default).

        Returns
        -------
        tuple of ndarrays, batch-first
            The cell's state arrays ``(B, H)`` then the prepared memory (projected keys
            ``(B, N, A)``, values ``(B, N, M)``, and validity ``(B, N)`` when lengths are
            given). A search may reorder (or repeat) every array along its first axis.
        """
        memory, memory_lengths = self._check_memory(memory, memory_lengths, None)
        B = memory.shape[1]
        template = self.initial_state(B)
        state = template if state is None else check_state(state, template, "state")
        mem = self._attention.memory(memory, lengths=memory_lengths)
        s = tuple(a.copy() for a in self._cell_state(state))
        valid = () if mem.valid is None else (mem.valid,)
        return s + (mem.projected, mem.values) + valid

    def step(self, x: Any, state: tuple) -> tuple[NDArray, tuple, NDArray]:
        """One decoding step: the same computation as one step of :meth:`forward`.

        Parameters
        ----------
        x : array_like, shape (B, input_size)
            This step's input (the previous word chosen).
        state : tuple
            From :meth:`start` or the previous :meth:`step`.

        Returns
        -------
        y : ndarray, shape (B, hidden_size + memory_size)
            ``[h_t; c_t]``.
        state : tuple
            The next decoding state.
        weights : ndarray, shape (B, N)
            The attention weights of this step.
        """
        n_cell = 2 if self.cell == "lstm" else 1
        if not isinstance(state, tuple) or len(state) not in (n_cell + 2, n_cell + 3):
            raise ValueError("state must be the tuple start() or step() returned")
        s, rest = state[:n_cell], state[n_cell:]
        mem = AttentionMemory(
            projected=rest[0], values=rest[1], valid=rest[2] if len(rest) == 3 else None
        )
        B = mem.projected.shape[0]
        x = check_array(
            x, "x", shape=(B, self.input_size), dtype=self.dtype, shape_doc=f"(B={B}, input_size)"
        )
        context, weights, _ = self._attention.attend(s[0], mem)
        p = self._cell._layer_params("_l0")
        h, s, _ = self._cell._layer_forward(p, np.concatenate([x, context], axis=1)[None], s, None)
        y = np.concatenate([h[0], context], axis=1)
        return y, tuple(s) + tuple(rest), weights
