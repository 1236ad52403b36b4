r"""Additive attention (Bahdanau, Cho & Bengio 2015): a query reads a weighted sum of a memory.

A decoder about to write its :math:`i`-th output, in state :math:`s_{i-1}` (the *query*), scores
each of the :math:`N` vectors :math:`h_j` of a memory (the *keys*: in Bahdanau et al. the
annotations of the source words, in Xu et al. 2015 the features of image regions) with a small
feed-forward net, turns the scores into weights by a softmax over the memory, and reads the
weighted sum of the *values* (the keys themselves unless given apart):

.. math::

    u_{ij} &= W_q s_{i-1} + W_k h_j + b && \text{(alignment net's hidden layer)} \\
    e_{ij} &= v^\top \tanh(u_{ij}) && \text{(score)} \\
    \alpha_{ij} &= \frac{\exp e_{ij}}{\sum_{k \le N_b} \exp e_{ik}}
        && \text{(weights; zero past a memory's length } N_b) \\
    c_i &= \sum_j \alpha_{ij} h_j && \text{(context)}

Bahdanau et al. (appendix A.1.2) write the score as :math:`v_a^\top \tanh(W_a s_{i-1} + U_a
h_j)`, without :math:`b`; ``bias=False`` gives exactly that form. The parameters are
``weight_query`` :math:`W_q` ``(A, Q)``, ``weight_key`` :math:`W_k` ``(A, K)``, ``bias``
:math:`b` ``(A,)`` and ``weight_score`` :math:`v` ``(A,)``, with ``A`` the ``attention_size``.

Backpropagation, with :math:`\bar c_i` the gradient reaching the context and
:math:`\bar\alpha_{ij}` any gradient reaching the weights directly:

.. math::

    \bar\alpha_{ij} &\mathrel{+}= \bar c_i \cdot h_j, \qquad
    \bar e_{ij} = \alpha_{ij} \Big(\bar\alpha_{ij} - \sum_k \alpha_{ik} \bar\alpha_{ik}\Big),
    \qquad \bar u_{ij} = \bar e_{ij}\, v \odot (1 - \tanh^2 u_{ij}) \\
    \bar v &= \sum_{ij} \bar e_{ij} \tanh u_{ij}, \qquad
    \bar W_q = \sum_i \Big(\sum_j \bar u_{ij}\Big) s_{i-1}^\top, \qquad
    \bar s_{i-1} = W_q^\top \sum_j \bar u_{ij} \\
    \bar W_k &= \sum_j \Big(\sum_i \bar u_{ij}\Big) h_j^\top, \qquad
    \bar b = \sum_{ij} \bar u_{ij}, \qquad
    \bar h_j = W_k^\top \sum_i \bar u_{ij} + \sum_i \alpha_{ij} \bar c_i

How it is computed: :math:`W_k h_j + b` does not depend on the query, so it is computed once per
memory (:meth:`AdditiveAttention.memory`), before a decoder's time loop; each step's
:meth:`~AdditiveAttention.attend` then costs one ``(B, N, A)`` tanh. Backward mirrors that: each
step's :meth:`~AdditiveAttention.attend_backward` adds to the memory's gradient accumulators and
:meth:`~AdditiveAttention.memory_backward` takes them through :math:`W_k` once, after the loop.
:meth:`~AdditiveAttention.forward` and :meth:`~AdditiveAttention.backward` do both at once for a
block of queries that do not depend on each other. The memory is time-major, ``(N, B, K)``, like
a recurrent encoder's outputs; queries are ``(B, Q)`` (one step) or ``(S, B, Q)``.

References
----------
D. Bahdanau, K. Cho and Y. Bengio, "Neural machine translation by jointly learning to align and
translate", ICLR 2015 (arXiv:1409.0473), section 3.1 and appendix A.1.2.

K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov, R. Zemel and Y. Bengio, "Show,
attend and tell: neural image caption generation with visual attention", ICML 2015 (soft
attention, section 4.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .init import make_rng, uniform
from .ops import softmax, softmax_backward
from .validation import NDArray, check_array, check_dtype, check_lengths, check_positive_int

__all__ = ["AdditiveAttention", "AttentionMemory"]


@dataclass(eq=False)
class AttentionMemory:
    """A memory prepared for attention: its keys projected once, kept batch-major.

    Made by :meth:`AdditiveAttention.memory`; each :meth:`~AdditiveAttention.attend_backward`
    adds to ``d_projected`` and ``d_values``, which :meth:`~AdditiveAttention.memory_backward`
    turns into gradients with respect to the keys and values.

    Attributes
    ----------
    projected : ndarray, shape (B, N, A)
        :math:`W_k h_j + b` for every memory vector.
    values : ndarray, shape (B, N, V)
        The values, batch-major.
    valid : ndarray of bool, shape (B, N), or None
        True within each memory's length (``None``: every position is valid).
    keys : ndarray, shape (N, B, K), or None
        The keys as given (needed by :meth:`~AdditiveAttention.memory_backward` only).
    shared : bool
        Whether the values are the keys themselves.
    d_projected, d_values : ndarray
        Gradient accumulators, shaped like ``projected`` and ``values``.
    """

    projected: NDArray
    values: NDArray
    valid: NDArray | None = None
    keys: NDArray | None = None
    shared: bool = True
    d_projected: NDArray | None = None
    d_values: NDArray | None = None

    @property
    def size(self) -> int:
        """Number of memory vectors ``N``."""
        return int(self.projected.shape[1])

    def zero_grad(self) -> None:
        """Reset the gradient accumulators."""
        self.d_projected = np.zeros_like(self.projected)
        self.d_values = np.zeros_like(self.values)


class AdditiveAttention:
    """Additive (Bahdanau) attention over a time-major memory, with its backward pass.

    Parameters
    ----------
    query_size : int
        Features of a query ``Q`` (a decoder's state).
    key_size : int
        Features of a key ``K`` (a memory vector).
    attention_size : int
        Units ``A`` of the alignment net's hidden layer.
    bias : bool, default True
        Add :math:`b` inside the tanh (Bahdanau et al. have none).
    seed : int or numpy.random.Generator, optional
        Weights are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as ``torch.nn.Linear`` does
        (fan-in ``Q`` for :math:`W_q`, ``K`` for :math:`W_k` and :math:`b`, ``A`` for :math:`v`).
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    params, grads : dict of str to ndarray
        ``weight_query`` ``(A, Q)``, ``weight_key`` ``(A, K)``, ``bias`` ``(A,)`` (with
        ``bias=True``), ``weight_score`` ``(A,)``; ``grads`` has the same keys.

    Examples
    --------
    Two queries read a memory of three vectors (the third past the second sequence's length):

    >>> import numpy as np
    >>> attn = AdditiveAttention(query_size=4, key_size=2, attention_size=5, seed=0)
    >>> keys = np.random.default_rng(0).normal(size=(3, 2, 2))          # (N, B, K)
    >>> queries = np.ones((2, 2, 4))                                      # (S, B, Q)
    >>> context, weights = attn.forward(queries, keys, lengths=[3, 2])
    >>> context.shape, weights.shape                                      # (S, B, K), (S, B, N)
    ((2, 2, 2), (2, 2, 3))
    >>> weights.sum(axis=-1).round(12).tolist(), float(weights[0, 1, 2])
    ([[1.0, 1.0], [1.0, 1.0]], 0.0)
    >>> dqueries, dkeys, dvalues = attn.backward(np.ones_like(context))
    >>> dqueries.shape, dkeys.shape, dvalues is None, attn.grads["weight_key"].shape
    ((2, 2, 4), (3, 2, 2), True, (5, 2))
    """

    def __init__(
        self,
        query_size: int,
        key_size: int,
        attention_size: int,
        *,
        bias: bool = True,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        self.query_size = check_positive_int(query_size, "query_size")
        self.key_size = check_positive_int(key_size, "key_size")
        self.attention_size = check_positive_int(attention_size, "attention_size")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False; got {bias!r}")
        self.bias = bool(bias)
        self.dtype = check_dtype(dtype)
        rng = make_rng(seed)
        A, Q, K = self.attention_size, self.query_size, self.key_size
        self.params: dict[str, NDArray] = {
            "weight_query": uniform((A, Q), 1 / np.sqrt(Q), rng, self.dtype),
            "weight_key": uniform((A, K), 1 / np.sqrt(K), rng, self.dtype),
        }
        if self.bias:
            self.params["bias"] = uniform((A,), 1 / np.sqrt(K), rng, self.dtype)
        self.params["weight_score"] = uniform((A,), 1 / np.sqrt(A), rng, self.dtype)
        self.grads: dict[str, NDArray] = {}
        self._last: tuple[Any, ...] | None = None

    def zero_grad(self) -> None:
        """Set every gradient to zero; :meth:`attend_backward` and :meth:`memory_backward` add."""
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    # ------------------------------------------------------------------ the memory
    def memory(self, keys: Any, values: Any = None, lengths: Any = None) -> AttentionMemory:
        """Prepare a memory: project the keys once (:math:`W_k h_j + b`), outside any loop.

        Parameters
        ----------
        keys : array_like, shape (N, B, key_size)
            Time-major memory vectors (an encoder's outputs, image regions...).
        values : array_like, shape (N, B, V), optional
            What the weights average; the keys themselves by default.
        lengths : array_like of int, shape (B,), optional
            Each memory's length in ``[1, N]``: the positions past it get weight 0.

        Returns
        -------
        AttentionMemory
        """
        keys = check_array(
            keys, "keys", ndim=3, dtype=self.dtype, shape_doc=f"(N, B, key_size={self.key_size})"
        )
        N, B, K = keys.shape
        if N < 1 or B < 1 or K != self.key_size:
            raise ValueError(
                f"keys must have shape (N, B, key_size={self.key_size}) with N, B >= 1; "
                f"got shape {keys.shape}"
            )
        shared = values is None
        if shared:
            vals = keys
        else:
            vals = check_array(
                values, "values", ndim=3, dtype=self.dtype, shape_doc=f"(N={N}, B={B}, V)"
            )
            if vals.shape[:2] != (N, B) or vals.shape[2] < 1:
                raise ValueError(f"values must have shape (N={N}, B={B}, V); got {vals.shape}")
        checked = check_lengths(lengths, N, B)
        valid = None if checked is None else np.arange(N)[None, :] < checked[:, None]  # (B, N)
        projected = keys @ self.params["weight_key"].T  # (N, B, A)
        if self.bias:
            projected += self.params["bias"]
        mem = AttentionMemory(
            projected=np.ascontiguousarray(projected.transpose(1, 0, 2)),  # (B, N, A)
            values=np.ascontiguousarray(vals.transpose(1, 0, 2)),  # (B, N, V)
            valid=valid,
            keys=keys,
            shared=shared,
        )
        mem.zero_grad()
        return mem

    # ------------------------------------------------------------------ one block of queries
    def attend(self, query: Any, memory: AttentionMemory) -> tuple[NDArray, NDArray, Any]:
        """Read the memory with a query: the context and the attention weights.

        Parameters
        ----------
        query : array_like, shape (B, query_size) or (S, B, query_size)
            One query per memory (a decoder's state), or ``S`` of them.
        memory : AttentionMemory
            From :meth:`memory`.

        Returns
        -------
        context : ndarray, shape (..., B, V)
        weights : ndarray, shape (..., B, N)
            :math:`\\alpha`, zero past each memory's length.
        cache : for :meth:`attend_backward`
        """
        B = memory.projected.shape[0]
        q_in = check_array(
            query,
            "query",
            ndim=(2, 3),
            dtype=self.dtype,
            shape_doc=f"(B={B}, query_size={self.query_size}) or (S, B={B}, "
            f"query_size={self.query_size})",
        )
        if q_in.shape[-2:] != (B, self.query_size):
            raise ValueError(
                f"query must have shape (B={B}, query_size={self.query_size}) or (S, B={B}, "
                f"query_size={self.query_size}); got shape {q_in.shape}"
            )
        p = self.params
        q = q_in @ p["weight_query"].T  # (..., B, A)
        U = np.tanh(q[..., None, :] + memory.projected)  # (..., B, N, A)
        e = U @ p["weight_score"]  # (..., B, N)
        if memory.valid is not None:
            e = np.where(memory.valid, e, -np.inf)  # each memory has length >= 1
        w = softmax(e, axis=-1)  # (..., B, N)
        context = (w[..., None, :] @ memory.values)[..., 0, :]  # (..., B, V)
        return context, w, (q_in, U, w, memory)

    def attend_backward(self, dcontext: Any, cache: Any, dweights: Any = None) -> NDArray:
        """Backward through one :meth:`attend`; returns the gradient with respect to the query.

        Adds the gradients of ``weight_query`` and ``weight_score`` to :attr:`grads` (call
        :meth:`zero_grad` first) and those of the projected keys and the values to the memory's
        accumulators (:meth:`memory_backward` takes them on to the keys, ``weight_key`` and
        ``bias``).

        Parameters
        ----------
        dcontext : array_like, shaped like the context
        cache : the third value :meth:`attend` returned
        dweights : array_like, shaped like the weights, optional
            A gradient reaching the weights directly (a coverage penalty, say).
        """
        q_in, U, w, memory = cache
        if not self.grads:
            self.zero_grad()
        dc = check_array(
            dcontext,
            "dcontext",
            shape=w.shape[:-1] + (memory.values.shape[2],),
            dtype=self.dtype,
            shape_doc=f"{w.shape[:-1] + (memory.values.shape[2],)} like the context",
        )
        lead = tuple(range(w.ndim - 2))  # the query block's own axes, summed over below
        dw = (dc[..., None, :] @ memory.values.transpose(0, 2, 1))[..., 0, :]  # (..., B, N)
        if dweights is not None:
            dw = dw + check_array(
                dweights, "dweights", shape=w.shape, dtype=self.dtype, shape_doc=f"{w.shape}"
            )
        memory.d_values += (w[..., :, None] * dc[..., None, :]).sum(axis=lead)  # (B, N, V)
        de = softmax_backward(w, dw)  # (..., B, N); zero where the weights are
        dU = de[..., None] * self.params["weight_score"] * (1.0 - U * U)  # (..., B, N, A)
        A, Q = self.attention_size, self.query_size
        self.grads["weight_score"] += de.reshape(-1) @ U.reshape(-1, A)
        memory.d_projected += dU.sum(axis=lead)
        dq = dU.sum(axis=-2)  # (..., B, A)
        self.grads["weight_query"] += dq.reshape(-1, A).T @ q_in.reshape(-1, Q)
        return dq @ self.params["weight_query"]

    def memory_backward(self, memory: AttentionMemory) -> tuple[NDArray, NDArray | None]:
        """Take the memory's accumulated gradients through the key projection.

        Adds the gradients of ``weight_key`` and ``bias`` to :attr:`grads`.

        Returns
        -------
        dkeys : ndarray, shape (N, B, key_size)
            Including the values' gradient when the values are the keys.
        dvalues : ndarray, shape (N, B, V), or None when the values are the keys
        """
        if memory.keys is None or memory.d_projected is None or memory.d_values is None:
            raise ValueError("memory_backward needs a memory made by memory() (it keeps the keys)")
        if not self.grads:
            self.zero_grad()
        dP = memory.d_projected.transpose(1, 0, 2)  # (N, B, A)
        A, K = self.attention_size, self.key_size
        self.grads["weight_key"] += dP.reshape(-1, A).T @ memory.keys.reshape(-1, K)
        if self.bias:
            self.grads["bias"] += dP.sum(axis=(0, 1))
        dkeys = dP @ self.params["weight_key"]  # (N, B, K)
        dvalues = memory.d_values.transpose(1, 0, 2)  # (N, B, V)
        if memory.shared:
            return dkeys + dvalues, None
        return dkeys, np.ascontiguousarray(dvalues)

    # ------------------------------------------------------------------ all at once
    def forward(
        self, queries: Any, keys: Any, values: Any = None, lengths: Any = None
    ) -> tuple[NDArray, NDArray]:
        """Attend with a block of queries that do not depend on the contexts.

        Parameters
        ----------
        queries : array_like, shape (B, query_size) or (S, B, query_size)
        keys : array_like, shape (N, B, key_size)
        values : array_like, shape (N, B, V), optional (the keys by default)
        lengths : array_like of int, shape (B,), optional
            Each memory's length.

        Returns
        -------
        context : ndarray, shape (..., B, V)
        weights : ndarray, shape (..., B, N)
        """
        memory = self.memory(keys, values, lengths)
        context, weights, cache = self.attend(queries, memory)
        self._last = (memory, cache)
        return context, weights

    def backward(
        self, dcontext: Any, dweights: Any = None
    ) -> tuple[NDArray, NDArray, NDArray | None]:
        """Backward through the last :meth:`forward`; sets :attr:`grads`.

        Returns
        -------
        dqueries : ndarray, shaped like the queries
        dkeys : ndarray, shape (N, B, key_size)
        dvalues : ndarray, shape (N, B, V), or None when the values are the keys
        """
        if self._last is None:
            raise RuntimeError("backward() needs a forward() first")
        memory, cache = self._last
        memory.zero_grad()
        self.zero_grad()
        dqueries = self.attend_backward(dcontext, cache, dweights)
        dkeys, dvalues = self.memory_backward(memory)
        return dqueries, dkeys, dvalues

    def __repr__(self) -> str:
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (
            f"AdditiveAttention(query_size={self.query_size}, key_size={self.key_size}, "
            f"attention_size={self.attention_size}, bias={self.bias}{dt})"
        )
