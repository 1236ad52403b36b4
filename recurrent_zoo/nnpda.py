r"""Neural network pushdown automaton (NNPDA): a higher-order recurrent net with an analog stack.

Das, Giles & Sun (1992) and Sun, Giles, Chen & Lee (1993) coupled the second-order recurrent
network of Giles et al. (1992; :mod:`recurrent_zoo.second_order`) to an external stack, so
that it can learn deterministic context-free languages and hand over a pushdown automaton.
At step :math:`t` the net reads the input symbol :math:`I(t)` (one-hot over ``L`` symbols) and
the top of its stack :math:`R(t)` (over ``G`` stack symbols plus the empty-stack reading
:math:`\bot`); its weights are third-order: every (state unit, input, stack reading) triple
selects a weight, as a pushdown automaton's transition :math:`\delta(q, a, Z)` does:

.. math::

    P_{jkl}(t) &= S_j(t)\, I_k(t)\, R_l(t) \\
    S_i(t+1) &= g\Big(\sum_{jkl} W_{ijkl}\, P_{jkl}(t) + b_i\Big), \qquad g(z) = 1/(1 + e^{-z}) \\
    A(t) &= \tanh\Big(\sum_{jkl} W^a_{jkl}\, P_{jkl}(t) + b^a\Big) \in (-1, 1)

The action :math:`A(t)` drives the *analog stack*: it pushes an element of length
:math:`\max(0, A)` or pops the length :math:`\max(0, -A)` (near 0: no operation). The element
pushed is the current input symbol (``stack_symbols=None``, as in the papers' experiments) or,
with ``stack_symbols=G``, a vector over ``G`` stack symbols chosen by the net,
:math:`g(W^p P(t) + b^p)` (logistic units, one per stack symbol). Elements have real-valued
lengths; popping removes length from the top until the amount is used up; the net reads the
top unit of depth,

.. math::

    R(t) = \Big(\sum_i \min\big(s_i, \max(0, 1 - \textstyle\sum_{j<i} s_j)\big) V_i,\;
           \max\big(0, 1 - \mathcal{L}(t)\big)\Big), \qquad \mathcal{L}(t) = \sum_i s_i

with :math:`V_i` the symbol of element :math:`i` (0 at the top), :math:`s_i` its length and
:math:`\mathcal{L}` the stack's total length: what is read past the stack's bottom is the
empty-stack channel :math:`\bot`. With lengths 0 and 1 and one-hot symbols this is exactly a
discrete stack and its top symbol. The stack blocks (pop, push, read) are
:mod:`recurrent_zoo._core.stacks`, shared with the neural stack of Grefenstette et al., which
reintroduced the same continuous stack in 2015.

Acceptance is by final state and empty stack: a string is accepted when the response unit
:math:`S_0` exceeds 0.5 and the stack is empty, scored as
:math:`p = S_0(T)\,\max(0, 1 - \mathcal{L}(T)) > 0.5`. As a
:class:`~recurrent_zoo.SequenceModel` the net returns ``Y[t] = (S(t+1), L(t+1))``, shape
``(T, B, n_states + 1)``; :class:`AcceptanceLoss` trains it, and :func:`extract_pda`
quantises the trained net into a discrete pushdown automaton (a networkx graph, run by
:func:`recurrent_zoo.analysis.pushdown.run_pda`).

Backpropagation through time runs through the state recurrence as in the second-order net and
through every stack operation (the pushed lengths and symbols, the popped amounts, the reads and
the stack length), each block's backward pass from :mod:`recurrent_zoo._core.stacks`.

What could and could not be checked against the papers. The architecture above -- third-order
weights on (state, input, top-of-stack reading), a single action unit whose sign pushes or pops
with a real amount, the analog stack of elements with continuous lengths, the read of the top
unit of depth, the empty-stack reading, acceptance by final state and empty stack, the training
languages (Dyck-1, :math:`1^n 0^n`, :math:`w c w^R`) and PDA extraction by quantisation -- is
what the papers' abstracts and the later accounts of the model (e.g. Mali et al. 2019/2020,
Stogin et al. 2020) describe. The full texts were not available here, so the following are
this implementation's choices, not the papers': the logistic state units and ``tanh`` action
unit; pushing the current input symbol by default; the read's empty-stack channel
:math:`\max(0, 1-\mathcal{L})`; the error function (:class:`AcceptanceLoss`: cross-entropy on
:math:`S_0 e^{-\mathcal{L}}` for strings of the language, on :math:`S_0 \max(0, 1-\mathcal{L})`
for the others, in place of the papers' error combining the final state and the stack length);
training with Adam by BPTT (the papers used real-time recurrent learning, hints and
incremental learning); the extraction's details (rounding the action to push / pop / no-op,
choosing the quantisation level as :func:`recurrent_zoo.analysis.automata.extract_automaton`
does, or clustering the visited states); the start state that rejects the empty string
(``start_accepting=False``); and "settling" a trained net by further training on the
discrete stack (``rounding=True``, a straight-through gradient), so that the net and the
automaton read off it share one stack. A net trained on the analog stack alone often uses
fractional pushes (a first ``a`` pushed with length 0.3, say) that no discrete automaton
reproduces; settled, its automaton can be exact (see ``benchmarks/results/
pushdown_reference.txt``). Settling may add a term pulling the state units to 0 or 1
(:class:`AcceptanceLoss`'s ``saturation``), so that the states too stay in the cells the
automaton is read from on strings longer than the training ones; it may instead round the
state units themselves to 0 or 1 at every step (``round_states``, again straight through),
so that the settled net is a finite control on a discrete stack and cannot drift at all;
and it may train on the analog and the discrete run at once (:func:`fit_nnpda`'s
``both_stacks``).

References
----------
S. Das, C. L. Giles and G. Z. Sun, "Learning context-free grammars: capabilities and
limitations of a recurrent neural network with an external stack memory", Proc. 14th Annual
Conference of the Cognitive Science Society, 791-795, 1992.

G. Z. Sun, C. L. Giles, H. H. Chen and Y. C. Lee, "The neural network pushdown automaton:
model, stack and learning simulations", UMIACS-TR-93-77, University of Maryland, 1993.

C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun and Y. C. Lee, "Learning and
extracting finite state automata with second-order recurrent neural networks", Neural
Computation 4(3):393-405, 1992.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.ops import sigmoid
from ._core.stacks import StrengthMemory
from ._core.validation import (
    NDArray,
    check_lengths,
    check_positive_int,
    check_probability,
    check_real,
    check_sequence,
)
from .catalogue import Entry
from .training.fit import History
from .training.losses import Loss, expand_real_targets

__all__ = [
    "NNPDA",
    "AcceptanceLoss",
    "NNPDA_SETTINGS",
    "compare_run",
    "dyck1_nnpda",
    "extract_pda",
    "fit_nnpda",
    "language_run",
]


class NNPDA(SequenceModel):
    """Sun et al.'s neural network pushdown automaton: third-order net + analog stack.

    Parameters
    ----------
    n_symbols : int
        Number of input symbols ``L`` (one-hot inputs; the ``input_size``).
    n_states : int
        Number of state units ``N``; unit 0 is the response unit.
    stack_symbols : int, optional
        ``None`` (default): the net pushes its current input symbol, so the stack alphabet is
        the input alphabet (``G = L``). An int ``G``: the net chooses the symbol pushed, with
        one logistic unit per stack symbol.
    capacity : int, default 64
        Stack elements carried from one call to the next in the state (within a call the
        stack is unbounded; see :class:`~recurrent_zoo._core.stacks.StrengthMemory`).
    bias : bool, default True
        Biases of the state units (the action unit always has one).
    init_scale : float, default 1.0
        Weights and biases are drawn from U(-init_scale, init_scale).
    start_accepting : bool, default True
        Whether the start state accepts (the empty string is in the language): start from
        :math:`S(0) = (1, 0, \\dots, 0)`, or else from :math:`(0, 1, 0, \\dots, 0)`. The net
        reads nothing of the empty string, so only its start state can classify it.
    rounding : bool, default False
        Run on the discrete stack of the extracted PDA: the action pushes or pops one whole
        element (:math:`A \\ge 0.5` / :math:`A \\le -0.5`) or does nothing, as
        :func:`extract_pda` rounds it. The backward pass lets the gradient through the rounding
        unchanged (a straight-through estimate), so that :func:`language_run` can train a net
        further on the discrete stack ("settling" it); finite differences do not apply.
    round_states : bool, default False
        Round the state units to 0 or 1 (:math:`S_i \\ge 0.5`) before the next step reads
        them, so that the control is a finite automaton and no state can drift on strings
        longer than those trained on (this implementation's choice, not the papers'). The
        outputs ``Y`` keep each step's unrounded :math:`g(\\cdot)` (the acceptance
        :math:`S_0 > 0.5` is unchanged by rounding), and the backward pass lets the gradient
        through the rounding unchanged (straight through), as for ``rounding``.
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``n_states + 1``: the state :math:`S(t+1)` and the stack length :math:`L(t+1)`.

    Notes
    -----
    Parameters: ``weight`` ``(N, N, L, G + 1)`` holding :math:`W_{ijkl}` (the last stack
    channel is the empty-stack reading), ``bias`` ``(N,)``, ``action_weight``
    ``(N, L, G + 1)``, ``action_bias`` ``(1,)`` and, with ``stack_symbols``, ``push_weight``
    ``(G, N, L, G + 1)``, ``push_bias`` ``(G,)``. The state is ``(S, V, s)``: the state units
    ``(B, N)``, the stack's symbols ``(B, capacity, G)`` and lengths ``(B, capacity)``, top
    first. A string starts from :math:`S(0) = (1, 0, \\dots, 0)` and an empty stack.

    Examples
    --------
    >>> net = NNPDA(2, 3, seed=0)
    >>> X = np.eye(2)[[[0, 0], [1, 0], [1, 1]]]          # (T=3, B=2, L=2) one-hot symbols
    >>> Y, (S, V, s) = net.forward(X)
    >>> Y.shape, S.shape, V.shape, s.shape              # (T, B, N + 1): states and length
    ((3, 2, 4), (2, 3), (2, 64, 2), (2, 64))
    >>> net.acceptance(X).shape                         # S_0 max(0, 1 - L) after the string
    (2,)
    >>> dX = net.backward(np.ones_like(Y))
    >>> sorted(net.grads)
    ['action_bias', 'action_weight', 'bias', 'weight']
    """

    def __init__(
        self,
        n_symbols: int,
        n_states: int,
        *,
        stack_symbols: int | None = None,
        capacity: int = 64,
        bias: bool = True,
        init_scale: float = 1.0,
        start_accepting: bool = True,
        rounding: bool = False,
        round_states: bool = False,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(check_positive_int(n_symbols, "n_symbols"), dtype=dtype)
        self.n_symbols = self.input_size
        self.n_states = check_positive_int(n_states, "n_states")
        self.stack_symbols = (
            None if stack_symbols is None else check_positive_int(stack_symbols, "stack_symbols")
        )
        self.capacity = check_positive_int(capacity, "capacity")
        self.bias = bool(bias)
        self.init_scale = check_probability(init_scale, "init_scale", high=np.inf, closed="neither")
        self.start_accepting = bool(start_accepting)
        if not self.start_accepting and self.n_states < 2:
            raise ValueError(
                f"n_states must be at least 2 when start_accepting=False; got {self.n_states}"
            )
        self.rounding = bool(rounding)
        self.round_states = bool(round_states)
        self.output_size = self.n_states + 1
        N, L, R = self.n_states, self.n_symbols, self.n_stack + 1
        rng, a = make_rng(seed), self.init_scale
        self.params["weight"] = uniform((N, N, L, R), a, rng, self.dtype)
        if self.bias:
            self.params["bias"] = uniform((N,), a, rng, self.dtype)
        self.params["action_weight"] = uniform((N, L, R), a, rng, self.dtype)
        self.params["action_bias"] = uniform((1,), a, rng, self.dtype)
        if self.stack_symbols is not None:
            G = self.stack_symbols
            self.params["push_weight"] = uniform((G, N, L, R), a, rng, self.dtype)
            self.params["push_bias"] = uniform((G,), a, rng, self.dtype)

    @property
    def n_stack(self) -> int:
        """Number of stack symbols ``G`` (the input symbols unless ``stack_symbols``)."""
        return self.n_symbols if self.stack_symbols is None else self.stack_symbols

    @classmethod
    def equations(cls) -> list[Any]:
        import sympy as sp

        i, j, k, l, t = sp.symbols("i j k l t", integer=True, nonnegative=True)
        N, L, G = sp.symbols("N L G", integer=True, positive=True)
        S, I, R = sp.IndexedBase("S"), sp.IndexedBase("I"), sp.IndexedBase("R")
        W, Wa, b = sp.IndexedBase("W"), sp.IndexedBase("W^a"), sp.IndexedBase("b")
        A, g = sp.Function("A"), sp.Function("g")
        total = sp.Sum(
            W[i, j, k, l] * S[j, t] * I[k, t] * R[l, t], (j, 0, N - 1), (k, 0, L - 1), (l, 0, G)
        )
        action = sp.Sum(
            Wa[j, k, l] * S[j, t] * I[k, t] * R[l, t], (j, 0, N - 1), (k, 0, L - 1), (l, 0, G)
        )
        return [
            sp.Eq(S[i, t + 1], g(total + b[i])),
            sp.Eq(A(t), sp.tanh(action + sp.Symbol("b^a"))),
        ]

    # ------------------------------------------------------------------ state
    def initial_state(self, batch_size: int) -> State:
        """``(S(0), V, s)``: the start state and an empty stack.

        The start state is (1, 0, ..., 0) -- the empty string accepted -- or, with
        ``start_accepting=False``, (0, 1, 0, ..., 0).
        """
        S0 = np.zeros((batch_size, self.n_states), dtype=self.dtype)
        S0[:, 0 if self.start_accepting else 1] = 1.0
        V = np.zeros((batch_size, self.capacity, self.n_stack), dtype=self.dtype)
        s = np.zeros((batch_size, self.capacity), dtype=self.dtype)
        return (S0, V, s)

    def _stacked_weights(self) -> tuple[NDArray, NDArray]:
        """All the units' weights as one ``(M, N L (G+1))`` matrix and biases ``(M,)``:
        the state units, the action unit, then the push units."""
        p, N = self.params, self.n_states
        K = N * self.n_symbols * (self.n_stack + 1)
        rows = [p["weight"].reshape(N, K), p["action_weight"].reshape(1, K)]
        biases = [p["bias"] if self.bias else np.zeros(N, self.dtype), p["action_bias"]]
        if self.stack_symbols is not None:
            rows.append(p["push_weight"].reshape(self.stack_symbols, K))
            biases.append(p["push_bias"])
        return np.concatenate(rows), np.concatenate(biases)

    # ------------------------------------------------------------------ recurrence
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, L = X.shape
        N, G = self.n_states, self.n_stack
        R = G + 1
        W, b = self._stacked_weights()  # (M, K), (M,)
        WT = W.T
        mask = None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])
        maskf = None if mask is None else mask.astype(self.dtype)
        S0, V0, s0 = state
        mem = StrengthMemory(
            V0, s0, T, pop_ends=("top",), push_ends=("top",), read_ends=("top",), mask=maskf
        )
        S = np.empty((T + 1, B, N), dtype=self.dtype)  # S[t]: the state read at step t
        Rd = np.empty((T + 1, B, R), dtype=self.dtype)  # Rd[t]: the stack reading at step t
        Ls = np.empty((T + 1, B), dtype=self.dtype)  # stack length after t steps
        P = np.empty((T, B, N * L * R), dtype=self.dtype)  # products S_j I_k R_l
        S_new = np.empty((T, B, N), dtype=self.dtype)  # S(t+1) as computed, before masking
        A = np.empty((T, B), dtype=self.dtype)  # actions
        pushed = np.empty((T, B, G), dtype=self.dtype)  # symbols pushed
        S[0] = S0
        Ls[0] = mem.total(0)
        Rd[0, :, :G] = mem.initial_reads()["top"]
        Rd[0, :, G] = np.maximum(1.0 - Ls[0], 0.0)
        for t in range(T):
            np.multiply(
                (S[t][:, :, None] * X[t][:, None, :])[:, :, :, None],
                Rd[t][:, None, None, :],
                out=P[t].reshape(B, N, L, R),
            )
            z = P[t] @ WT + b  # (B, M): every unit's net input, one product
            sigmoid(z[:, :N], out=S_new[t])
            A[t] = np.tanh(z[:, N])
            if self.stack_symbols is None:
                pushed[t] = X[t]
            else:
                sigmoid(z[:, N + 1 :], out=pushed[t])
            if self.rounding:  # the extracted PDA's discrete stack: whole elements or nothing
                push = (A[t] >= 0.5).astype(self.dtype)
                pop = (A[t] <= -0.5).astype(self.dtype)
            else:
                push, pop = np.maximum(A[t], 0.0), np.maximum(-A[t], 0.0)
            reads = mem.step(t, {"top": pop}, {"top": (pushed[t], push)})
            Ls[t + 1] = mem.total(t + 1)
            Rd[t + 1, :, :G] = reads["top"]
            Rd[t + 1, :, G] = np.maximum(1.0 - Ls[t + 1], 0.0)
            # the state read next: with round_states each unit rounded to 0 or 1
            S_read = (S_new[t] >= 0.5).astype(self.dtype) if self.round_states else S_new[t]
            if mask is None:
                S[t + 1] = S_read
            else:  # past its length a string keeps its state (the memory keeps its stack)
                S[t + 1] = np.where(mask[t][:, None], S_read, S[t])
        Y = np.concatenate([S_new, Ls[1:, :, None]], axis=2)
        if maskf is not None:
            Y *= maskf[:, :, None]
        V_T, s_T = mem.final_state()
        self._cache = (X, S, Rd, Ls, P, S_new, A, pushed, mem, maskf, W)
        return Y, (S[T].copy(), V_T, s_T)

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, S, Rd, Ls, P, S_new, A, pushed, mem, maskf, W = self._cache
        T, B, L = X.shape
        N, G = self.n_states, self.n_stack
        R = G + 1
        dS_T, dV_T, ds_T = dstate
        mem.begin_backward(dV_T, ds_T)
        M = W.shape[0]
        dZ = np.empty((T, B, M), dtype=self.dtype)  # gradients at every unit's net input
        dX = np.zeros_like(X)
        dS = dS_T.copy()  # dL/dS(t+1)
        dRd = np.zeros((B, R), dtype=self.dtype)  # dL/dRd[t+1], from step t+1
        for t in reversed(range(T)):
            m = None if maskf is None else maskf[t]
            # the stack length after step t: an output, and the empty-stack reading of step t+1
            dL = dY[t, :, N] - dRd[:, G] * (Ls[t + 1] < 1.0)
            if m is not None:
                dL = dL * m
            mem.total_backward(t + 1, dL)
            dpops, dpushes = mem.step_backward(t, {"top": dRd[:, :G]})
            g = dY[t, :, :N] + dS
            if m is not None:
                g = g * m[:, None]
            s_new = S_new[t]
            dZ[t, :, :N] = g * s_new * (1.0 - s_new)
            dvalue, dpush = dpushes["top"]
            a = A[t]
            # with rounding the gradient passes the rounding unchanged (straight through)
            dA = np.where(a > 0, dpush, 0.0) - np.where(a < 0, dpops["top"], 0.0)
            dZ[t, :, N] = dA * (1.0 - a * a)
            if self.stack_symbols is None:
                dX[t] += dvalue
            else:
                dZ[t, :, N + 1 :] = dvalue * pushed[t] * (1.0 - pushed[t])
            dP = (dZ[t] @ W).reshape(B, N, L, R)
            dS_prev = np.einsum("bjkl,bk,bl->bj", dP, X[t], Rd[t])
            dX[t] += np.einsum("bjkl,bj,bl->bk", dP, S[t], Rd[t])
            dRd = np.einsum("bjkl,bj,bk->bl", dP, S[t], X[t])
            dS = dS_prev if m is None else dS_prev + (1.0 - m)[:, None] * dS
        # the initial stack: its length and reading
        mem.total_backward(0, -dRd[:, G] * (Ls[0] < 1.0))
        mem.initial_reads_backward({"top": dRd[:, :G]})
        dV0, ds0 = mem.state_grad()
        dW = dZ.reshape(T * B, M).T @ P.reshape(T * B, -1)  # (M, K): one product after the loop
        db = dZ.reshape(T * B, M).sum(axis=0)
        K = dW.shape[1]
        grads = {
            "weight": dW[:N].reshape(N, N, L, R),
            "action_weight": dW[N].reshape(N, L, R),
            "action_bias": db[N : N + 1],
        }
        if self.bias:
            grads["bias"] = db[:N]
        if self.stack_symbols is not None:
            grads["push_weight"] = dW[N + 1 :].reshape(G, N, L, R)
            grads["push_bias"] = db[N + 1 :]
        assert K == N * L * R
        self.grads = grads
        return dX, (dS, dV0, ds0)

    # ------------------------------------------------------------------ convenience
    def acceptance(self, X: Any, lengths: Any = None) -> NDArray:
        """:math:`S_0(T) \\max(0, 1 - L(T))` after each string, shape ``(B,)``.

        A string is accepted (final state and empty stack) when this exceeds 0.5.
        """
        Y, _ = self.forward(X, None, lengths)
        T, B, _ = Y.shape
        lens = check_lengths(lengths, T, B)
        last = np.full(B, T - 1) if lens is None else lens - 1
        final = Y[last, np.arange(B)]  # (B, N + 1)
        return final[:, 0] * np.maximum(1.0 - final[:, self.n_states], 0.0)

    def accepts(self, X: Any, lengths: Any = None) -> NDArray:
        """Whether each string is accepted, ``(B,)`` bool (:meth:`acceptance` > 0.5)."""
        return self.acceptance(X, lengths) > 0.5

    def trace(self, X: Any) -> dict[str, Any]:
        """Run one batch and return what happened at each step, for plots.

        Returns a dict with ``"states"`` ``(T + 1, B, N)``, ``"actions"`` ``(T, B)``
        (positive: push, negative: pop), ``"readings"`` ``(T + 1, B, G + 1)``, ``"length"``
        ``(T + 1, B)`` and ``"stack"``: for each step ``t`` the stack after ``t`` steps as
        ``(symbols (B, depth, G), lengths (B, depth))``, top first (empty elements dropped).
        """
        self.forward(X)
        X_, S, Rd, Ls, P, S_new, A, pushed, mem, maskf, W = self._cache
        from ._core.stacks import compact_slots

        stacks = []
        for t in range(X_.shape[0] + 1):
            s_c, V_c, _, _ = compact_slots(mem.strengths(t), mem.values(t))
            stacks.append((V_c, s_c))
        return {
            "states": S.copy(),
            "actions": A.copy(),
            "readings": Rd.copy(),
            "length": Ls.copy(),
            "stack": stacks,
        }

    def transition(self, S: NDArray, symbol: int, top: int) -> tuple[NDArray, NDArray, NDArray]:
        """One step from states ``S`` (F, N) reading input ``symbol`` with ``top`` on the stack.

        ``top`` is a stack symbol index, or ``n_stack`` for the empty stack. Returns the next
        states ``(F, N)``, the actions ``(F,)`` and the symbols pushed ``(F, G)``: the
        network's transition function on a discrete stack, which :func:`extract_pda`
        quantises.
        """
        F, N, L, R = S.shape[0], self.n_states, self.n_symbols, self.n_stack + 1
        x = np.zeros((F, L), dtype=self.dtype)
        x[:, symbol] = 1.0
        r = np.zeros((F, R), dtype=self.dtype)
        r[:, top] = 1.0
        W, b = self._stacked_weights()
        prod = (S[:, :, None, None] * x[:, None, :, None] * r[:, None, None, :]).reshape(F, -1)
        z = prod @ W.T + b
        pushed = x if self.stack_symbols is None else sigmoid(z[:, N + 1 :])
        nxt = sigmoid(z[:, :N])
        if self.round_states:  # the state the next step reads
            nxt = (nxt >= 0.5).astype(self.dtype)
        return nxt, np.tanh(z[:, N]), pushed


# ----------------------------------------------------------------------------- training
class AcceptanceLoss(Loss):
    r"""Cross-entropy of acceptance by final state and empty stack (for ``fit``).

    At the selected steps (each string's last step for last-step targets, as
    :func:`recurrent_zoo.tasks.cfl_dataset` lays them out) the NNPDA's output holds the
    response :math:`S_0` and the stack length :math:`\mathcal{L}`. A string of the language
    (target 1) costs :math:`-\log S_0 + \mathcal{L}`, the cross-entropy of
    :math:`S_0 e^{-\mathcal{L}}`, which still pulls a long leftover stack down; a string outside
    it (target 0) costs :math:`-\log(1 - S_0 \max(0, 1 - \mathcal{L}))`, the cross-entropy of
    the acceptance :math:`p = S_0 \max(0, 1-\mathcal{L})` by which strings are classified --
    nothing once the stack holds a whole element. Both agree to first order at
    :math:`\mathcal{L} = 0`. (The papers' error function also combines the final state and the
    stack length; its exact form could not be checked.)

    ``saturation`` :math:`\lambda > 0` adds, at every selected step, a term pulling each state
    unit towards 0 or 1 (this implementation's choice, not the papers'):

    .. math::

        \lambda \sum_i S_i (1 - S_i)

    Saturated units make each step's map on the state nearly constant within a quantisation
    cell (the logistic's slope :math:`S(1 - S)` vanishes), so that the net's states stay in the
    cells the extracted automaton names however long the string: without it a state can drift
    slowly across a cell boundary after many more steps than any training string has.

    Parameters
    ----------
    saturation : float, default 0.0
        Weight :math:`\lambda \ge 0` of the saturation term (0: the plain cross-entropy).

    Examples
    --------
    >>> Y = np.array([[[0.9, 0.1, 0.0]], [[0.8, 0.2, 0.5]]])   # (T, B, N + 1), L = 0.5 at the end
    >>> value, dY = AcceptanceLoss()(Y, np.array([[1.0]]))
    >>> round(value, 4), dY[1, 0]                             # -log 0.8 + 0.5
    (0.7231, array([-1.25,  0.  ,  1.  ]))
    >>> value, dY = AcceptanceLoss(saturation=1.0)(Y, np.array([[1.0]]))
    >>> round(value, 4)                                       # + 0.8 * 0.2 + 0.2 * 0.8
    1.0431
    """

    name = "acceptance"

    def __init__(self, saturation: float = 0.0) -> None:
        self.saturation = check_real(saturation, "saturation", low=0.0, closed="left")

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        T, B, O = shape
        if O < 2:
            raise ValueError(f"outputs must hold the state units and the stack length; got {O}")
        arr = np.asarray(target)
        if arr.ndim == 1:
            arr = arr[:, None]
        targets, weights = expand_real_targets(
            (T, B, 1), arr, mask, lengths, target_name=target_name, unit_interval=True
        )
        return targets, weights

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        s = np.clip(Y[:, :, 0].astype(np.float64), 1e-15, 1.0 - 1e-15)  # (T, B)
        length = Y[:, :, -1].astype(np.float64)
        tau = target[:, :, 0]
        empty = np.maximum(1.0 - length, 0.0)
        p = np.clip(s * empty, 0.0, 1.0 - 1e-15)
        pos = -np.log(s) + length
        neg = -np.log1p(-p)
        per_step = tau * pos + (1.0 - tau) * neg
        dneg = 1.0 / (1.0 - p)  # d neg / d p
        ds = tau * (-1.0 / s) + (1.0 - tau) * dneg * empty
        dlen = tau - (1.0 - tau) * dneg * s * (length < 1.0)
        dY = np.zeros(Y.shape, dtype=np.float64)
        if self.saturation > 0.0:  # lambda sum_i S_i (1 - S_i): every state unit to 0 or 1
            states = Y[:, :, :-1].astype(np.float64)  # (T, B, N)
            per_step = per_step + self.saturation * (states * (1.0 - states)).sum(axis=2)
            dY[:, :, :-1] = (weights * self.saturation)[:, :, None] * (1.0 - 2.0 * states)
        dY[:, :, 0] += weights * ds
        dY[:, :, -1] = weights * dlen
        return float((weights * per_step).sum()), dY, float(weights.sum())


class _BothStacks(SequenceModel):
    """One NNPDA run twice on each batch, on its analog and on its discrete stack.

    The outputs are the two runs' side by side, ``(T, B, 2 (N + 1))``: the run with
    ``rounding=roundings[0]`` first. The weights are the net's own (``params`` is the net's
    dict), and the backward pass sums the two runs' gradients, so that training it with
    :class:`_BothLoss` descends the sum of the two runs' losses (the discrete run's gradient is
    the straight-through estimate of :class:`NNPDA`'s ``rounding``). A run without rounding
    also runs without ``round_states``; one with rounding keeps the net's ``round_states``.
    The final state returned is the second run's.
    """

    def __init__(self, net: NNPDA, roundings: tuple[bool, bool] = (False, True)) -> None:
        super().__init__(net.input_size, dtype=net.dtype)
        self.net = net
        self.roundings = (bool(roundings[0]), bool(roundings[1]))
        self.params = net.params  # the same arrays: an optimizer step moves both runs
        self.output_size = 2 * net.output_size

    def initial_state(self, batch_size: int) -> State:
        return self.net.initial_state(batch_size)

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        net, kept = self.net, (self.net.rounding, self.net.round_states)
        outputs, caches = [], []
        try:
            for rounding in self.roundings:
                net.rounding = rounding
                net.round_states = kept[1] and rounding  # the analog run: analog states too
                Y, final = net._forward(X, state, lengths)
                outputs.append(Y)
                caches.append(net._cache)
        finally:
            net.rounding, net.round_states = kept
        self._cache = caches
        return np.concatenate(outputs, axis=2), final  # (T, B, 2 (N + 1))

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        net, O = self.net, self.net.output_size
        dX: NDArray | None = None
        grads: dict[str, NDArray] = {}
        dstate0: Any = None
        zero = tuple(np.zeros_like(d) for d in dstate)  # the first run's final state is unused
        for half, cache in enumerate(self._cache):
            net._cache = cache
            dXh, d0 = net._backward(dY[:, :, half * O : (half + 1) * O], dstate if half else zero)
            dX = dXh if dX is None else dX + dXh
            for k, g in net.grads.items():
                grads[k] = g if k not in grads else grads[k] + g
            if dstate0 is None:
                dstate0 = d0
            else:
                dstate0 = tuple(a + b for a, b in zip(dstate0, d0, strict=True))
        self.grads = grads
        assert dX is not None
        return dX, dstate0


class _BothLoss(Loss):
    """A loss on the two halves of :class:`_BothStacks`' outputs, summed (each half its mean)."""

    name = "acceptance_both"

    def __init__(self, inner: AcceptanceLoss) -> None:
        self.inner = inner

    def expand(
        self,
        shape: tuple[int, ...],
        target: Any,
        mask: Any = None,
        lengths: Any = None,
        *,
        target_name: str = "target",
    ) -> tuple[NDArray, NDArray]:
        T, B, O = shape
        return self.inner.expand((T, B, O // 2), target, mask, lengths, target_name=target_name)

    def weighted_sum(
        self, Y: NDArray, target: NDArray, weights: NDArray
    ) -> tuple[float, NDArray, float]:
        O = Y.shape[2] // 2
        first, d_first, count = self.inner.weighted_sum(Y[:, :, :O], target, weights)
        second, d_second, _ = self.inner.weighted_sum(Y[:, :, O:], target, weights)
        return first + second, np.concatenate([d_first, d_second], axis=2), count


def fit_nnpda(
    model: NNPDA,
    X: Any,
    Y: Any,
    *,
    mask: Any = None,
    lengths: Any = None,
    epochs: int = 500,
    lr: float = 0.05,
    batch_size: int = 32,
    tolerance: float | None = 0.2,
    clip_norm: float | None = 1.0,
    seed: Any = None,
    progress: bool = False,
    callback: Any = None,
    keep_best: bool = True,
    saturation: float = 0.0,
    both_stacks: bool = False,
) -> History:
    """Train an NNPDA on labelled strings with :class:`AcceptanceLoss` (Adam, BPTT).

    Parameters
    ----------
    model : NNPDA
    X, Y, mask, lengths
        As :func:`recurrent_zoo.tasks.cfl_dataset` gives them (``data.inputs``,
        ``data.targets``, ``data.mask``, ``data.lengths``): one label per string at its last
        step, or (``prefixes=True``) one per step, each prefix's.
    epochs, lr, batch_size, clip_norm, seed, progress
        As for :func:`~recurrent_zoo.training.fit`.
    tolerance : float or None, default 0.2
        Stop after the first epoch at whose end every labelled acceptance is within
        ``tolerance`` of its label (None: train every epoch) and, with ``saturation``, every
        state unit at the labelled steps within ``tolerance`` of 0 or 1.
    callback : callable, optional
        Called as ``callback(epoch, logs)`` after each epoch; returning True stops.
    keep_best : bool, default True
        End with the parameters of the epoch whose end had the lowest loss on the training
        strings (training by Adam is not monotonic), the saturation term included.
    saturation : float, default 0.0
        Weight of :class:`AcceptanceLoss`'s term pulling the state units to 0 or 1.
    both_stacks : bool, default False
        Train on the sum of two losses: the net's on its analog stack and on its discrete
        stack (``rounding``), one set of weights, each batch run both ways, so that what the
        net does on the two stacks comes to agree (this implementation's choice, not the
        papers'). The tolerance must then hold on both stacks, and ``keep_best`` counts the
        sum. ``model.rounding`` is left as it was.

    Returns
    -------
    History

    Examples
    --------
    >>> from recurrent_zoo.tasks import cfl_dataset
    >>> data = cfl_dataset("dyck1", None, 4, strings=["()", "(", ")", "(())", "())", ")("])
    >>> net = NNPDA(2, 2, seed=0)
    >>> h = fit_nnpda(net, data.inputs, data.targets, mask=data.mask, lengths=data.lengths,
    ...               epochs=3, seed=0)
    >>> h.epochs
    3
    """
    from .training import fit

    criterion: Loss = AcceptanceLoss(saturation)
    trained: SequenceModel = model
    if both_stacks:  # the analog and the discrete stack, one set of weights
        trained, criterion = _BothStacks(model), _BothLoss(AcceptanceLoss(saturation))
    X = check_sequence(X, "X", input_size=model.input_size, dtype=model.dtype)
    T, B, _ = X.shape
    targets, weights = criterion.expand(
        (T, B, trained.output_size), Y, mask, lengths, target_name="Y"
    )
    selected = weights > 0  # (T, B)
    labels = targets[:, :, 0][selected]
    O = model.output_size

    best: list[Any] = []  # [(loss, params)] of the best epoch so far

    def check(epoch: int, logs: dict[str, float]) -> bool:
        out, _ = trained.forward(X, None, lengths)
        loss = criterion.weighted_sum(out, targets, weights)
        value = loss[0] / loss[2]
        if not best or value < best[0][0]:
            best[:] = [(value, {k: v.copy() for k, v in model.params.items()})]
        stop = False
        if tolerance is not None:
            stop = True
            for half in range(out.shape[2] // O):  # each stack's run (one, or both)
                run = out[:, :, half * O : (half + 1) * O]
                p = run[:, :, 0] * np.maximum(1.0 - run[:, :, -1], 0.0)
                stop = stop and bool(np.abs(p[selected] - labels).max() < tolerance)
                if saturation > 0.0:  # and every state unit near 0 or 1
                    states = run[:, :, : model.n_states][selected]
                    stop = stop and bool(np.minimum(states, 1.0 - states).max() < tolerance)
        if callback is not None and callback(epoch, logs) is True:
            stop = True
        return stop

    history = fit(
        trained,
        X,
        targets,
        loss=criterion,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        mask=weights,
        lengths=lengths,
        clip_norm=clip_norm,
        seed=seed,
        progress=progress,
        callback=check,
    )
    if keep_best and best:
        for k, v in best[0][1].items():
            model.params[k][...] = v
    return history


# ----------------------------------------------------------------------------- extraction
def extract_pda(
    model: NNPDA,
    *,
    alphabet: Sequence[str] | None = None,
    levels: Iterable[int] = range(2, 8),
    strings: Sequence[str] | None = None,
    labels: Sequence[bool] | None = None,
    max_length: int = 10,
    max_states: int = 500,
    minimal: bool = True,
    method: str = "grid",
    clusters: Iterable[int] = range(2, 13),
    seed: Any = 0,
) -> Any:
    """Quantise a trained NNPDA into a deterministic pushdown automaton (a networkx graph).

    As for finite automata (:func:`recurrent_zoo.analysis.automata.extract_automaton`), the
    state space is divided into ``q`` intervals per unit and explored breadth-first from the
    start state, one representative state vector per cell; here each cell has one transition
    per (input symbol, top of stack) pair, the top being a stack symbol or the empty stack.
    The network's step on that discrete reading gives the next cell and the stack action,
    rounded to the nearest of push (:math:`A \\ge 0.5`), pop (:math:`A \\le -0.5`) or no-op;
    the symbol pushed is the input symbol (or, with ``stack_symbols``, the most active one).
    A cell accepts when its representative's response unit exceeds 0.5 (acceptance also
    needs the empty stack). Each ``q`` in ``levels`` gives an automaton; the one chosen is
    consistent with ``strings`` / ``labels`` (default: the network's own verdict on every
    string up to ``max_length``) and has the fewest states.

    ``method="cluster"`` quantises the states the network actually visits instead: it runs
    the net on the check strings with the discrete stack (``rounding``), groups the visited
    states into ``k`` clusters (k-means, :func:`scipy.cluster.vq.kmeans2`, for each ``k`` in
    ``clusters``) and reads each cluster's transition for (input, top) off the steps taken
    from it (the most frequent next cluster and rounded action); a pair never seen there takes
    the network's step from the cluster's centroid, assigned to the nearest centroid. The start
    state :math:`S(0)` keeps a node of its own. A cluster accepts when most of its states'
    response units exceed 0.5. ``method="both"`` offers the automata of both methods to the
    same choice (consistent first, then the fewest states).

    Parameters
    ----------
    model : NNPDA
    alphabet : sequence of str, optional
        A name per input symbol (default ``"0"``, ``"1"``, ...); pushed input symbols keep
        these names; chosen stack symbols are named ``"Z0"``, ``"Z1"``, ...
    levels, strings, labels, max_length, max_states, minimal
        As for :func:`~recurrent_zoo.analysis.automata.extract_automaton` (``minimal``:
        merge states of the control that behave alike, :func:`minimize_pda`).
    method : {"grid", "cluster", "both"}, default "grid"
    clusters : iterable of int, default range(2, 13)
        The numbers of clusters tried by ``method="cluster"``.
    seed : int or numpy.random.Generator, default 0
        The k-means initialisation (``method="cluster"``).

    Returns
    -------
    networkx.MultiDiGraph
        The DPDA (see :mod:`recurrent_zoo.analysis.pushdown`), with graph attributes
        ``levels`` (its ``q``) and ``consistent``.

    Examples
    --------
    A hand-set NNPDA for balanced parentheses (see :func:`dyck1_nnpda`):

    >>> from recurrent_zoo.analysis.pushdown import run_pda
    >>> G = extract_pda(dyck1_nnpda(), alphabet="()")
    >>> G.number_of_nodes(), G.graph["consistent"], run_pda(G, ["(())()", "())("])
    (2, True, [True, False])
    """
    from .analysis.automata import all_strings_up_to, quantize
    from .analysis.pushdown import BOTTOM, minimize_pda, pda_from_table, run_pda

    L, G = model.n_symbols, model.n_stack
    names = tuple(str(k) for k in range(L)) if alphabet is None else tuple(alphabet)
    if len(names) != L:
        raise ValueError(f"alphabet must name the {L} input symbols; got {len(names)}")
    stack_names = names if model.stack_symbols is None else tuple(f"Z{k}" for k in range(G))
    tops = list(range(G)) + [G]  # G: the empty stack
    top_names = list(stack_names) + [BOTTOM]
    if strings is None:
        if labels is not None:
            raise ValueError("labels must come with strings")
        check = [s for s in all_strings_up_to(max_length, names) if len(s) > 0]
        X, lengths = _encode(check, names, model.dtype)
        expected = model.accepts(X, lengths)
        check = [""] + check
        empty_ok = bool(model.initial_state(1)[0][0, 0] > 0.5)
        expected = np.concatenate([[empty_ok], expected])
    else:
        check = [tuple(s) for s in strings]
        if labels is None:
            X, lengths = _encode(check, names, model.dtype)
            expected = model.accepts(X, lengths)
        else:
            expected = np.asarray(labels, dtype=bool)
            if expected.shape != (len(check),):
                raise ValueError(
                    f"labels must have one entry per string ({len(check)}); got {expected.shape}"
                )
    if method not in ("grid", "cluster", "both"):
        raise ValueError(f"method must be 'grid', 'cluster' or 'both'; got {method!r}")
    start = np.asarray(model.initial_state(1)[0][0], dtype=np.float64)
    best = None

    def offer(pda: Any) -> None:
        nonlocal best
        if minimal:
            pda = minimize_pda(pda)
        verdicts = run_pda(pda, [tuple(s) for s in check])
        correct = int(np.sum(np.asarray(verdicts) == expected))
        pda.graph["consistent"] = correct == len(check)
        key = (0 if pda.graph["consistent"] else 1, -correct, pda.number_of_nodes())
        if best is None or key < best[0]:
            best = (key, pda)

    if method in ("cluster", "both"):
        for table, accepting, k in _cluster_tables(
            model, check, names, stack_names, top_names, clusters, make_rng(seed)
        ):
            offer(
                pda_from_table(
                    table,
                    start="start",
                    accepting=accepting,
                    input_alphabet=names,
                    stack_alphabet=stack_names,
                    clusters=k,
                )
            )
    for q in levels if method in ("grid", "both") else ():
        q = check_positive_int(q, "levels")
        cells = {tuple(quantize(start[None], q)[0]): 0}
        reps = [start]
        table: dict[Any, Any] = {}
        frontier = [0]
        too_many = False
        while frontier and not too_many:
            F = np.stack([reps[c] for c in frontier]).astype(model.dtype)
            new = []
            for k in range(L):
                for top in tops:
                    nxt, action, pushed = model.transition(F, k, top)
                    nxt = np.asarray(nxt, dtype=np.float64)
                    keys = quantize(nxt, q)
                    for f, c in enumerate(frontier):
                        key = tuple(keys[f])
                        if key not in cells:
                            if len(cells) >= max_states:
                                too_many = True
                                break
                            cells[key] = len(cells)
                            reps.append(nxt[f])
                            new.append(cells[key])
                        a = float(action[f])
                        if a >= 0.5:
                            sym = stack_names[int(np.argmax(pushed[f]))]
                            act: tuple[Any, str, Any] = (cells[key], "push", sym)
                        elif a <= -0.5:
                            act = (cells[key], "pop", None)
                        else:
                            act = (cells[key], "noop", None)
                        table[(c, names[k], top_names[top])] = act
                    if too_many:
                        break
                if too_many:
                    break
            frontier = new
        if too_many:
            continue
        accepting = {c for c, r in enumerate(reps) if r[0] > 0.5}
        pda = pda_from_table(
            table,
            start=0,
            accepting=accepting,
            input_alphabet=names,
            stack_alphabet=stack_names,
            levels=q,
        )
        offer(pda)
    if best is None:
        raise ValueError(
            f"no quantisation level in levels explored fewer than max_states={max_states} cells"
        )
    return best[1]


def _nearest(P: NDArray, centroids: NDArray) -> NDArray:
    """The index of each row's nearest centroid."""
    return np.argmin(((P[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)


def _cluster_tables(
    model: NNPDA,
    strings: Sequence[Any],
    names: Sequence[str],
    stack_names: Sequence[str],
    top_names: Sequence[str],
    clusters: Iterable[int],
    rng: np.random.Generator,
) -> Iterable[tuple[dict[Any, Any], set[Any], int]]:
    """For each ``k``: the transition table of the visited states grouped into ``k`` clusters."""
    from scipy.cluster.vq import kmeans2

    G = model.n_stack
    nonempty = [s for s in strings if len(s) > 0]
    X, lengths = _encode(nonempty, names, model.dtype)
    rounding = model.rounding
    model.rounding = True  # the discrete stack of the PDA
    try:
        tr = model.trace(X)
    finally:
        model.rounding = rounding
    T, B = X.shape[:2]
    live = np.arange(T)[:, None] < lengths[None, :]  # (T, B): the steps taken
    S = np.asarray(tr["states"][:T][live], dtype=np.float64)  # (M, N) states read from
    S_next = np.asarray(tr["states"][1:][live], dtype=np.float64)  # (M, N) states reached
    inputs = np.argmax(X[live], axis=1)  # (M,)
    tops = np.argmax(tr["readings"][:T][live], axis=1)  # (M,): G is the empty stack
    start = np.asarray(model.initial_state(1)[0], dtype=np.float64)  # (1, N)
    first = np.zeros(T, dtype=bool)[:, None] & live
    first[0] = live[0]
    from_start = first[live]  # the steps taken from S(0): the start node's own
    visited = np.concatenate([S[~from_start], S_next])
    # every step's rounded action (0 push, 1 pop, 2 no-op) and the symbol it pushes
    code = np.full(len(S), 2)
    sym = np.zeros(len(S), dtype=np.int64)
    for k in range(model.n_symbols):
        for top in range(G + 1):
            here = (inputs == k) & (tops == top)
            if here.any():
                _, action, pushed = model.transition(S[here].astype(model.dtype), k, top)
                code[here] = np.where(action >= 0.5, 0, np.where(action <= -0.5, 1, 2))
                sym[here] = np.argmax(pushed, axis=1)
    kinds = ("push", "pop", "noop")

    def rounded(action: float, pushed: NDArray) -> tuple[str, Any]:
        if action >= 0.5:
            return "push", stack_names[int(np.argmax(pushed))]
        return ("pop", None) if action <= -0.5 else ("noop", None)

    for k in clusters:
        k = check_positive_int(k, "clusters")
        if k > len(visited):
            continue
        centroids, _ = kmeans2(visited, k, minit="++", seed=rng)

        used = np.unique(_nearest(visited, centroids))
        centroids = centroids[used]
        label_from, label_to = _nearest(S, centroids), _nearest(S_next, centroids)
        node_from = np.where(from_start, -1, label_from)  # -1: the start node
        # each (node, input, top): the most frequent (next cluster, action, symbol) taken
        rows = np.stack([node_from, inputs, tops, label_to, code, sym], axis=1)
        outcomes, counts = np.unique(rows, axis=0, return_counts=True)
        votes: dict[Any, tuple[int, tuple[Any, ...]]] = {}
        for (c, a, top, nxt, act, z), n in zip(outcomes.tolist(), counts.tolist(), strict=True):
            key = (c, names[a], top_names[top])
            if key not in votes or n > votes[key][0]:
                pushed_name = stack_names[z] if act == 0 else None
                votes[key] = (n, (nxt, kinds[act], pushed_name))
        table: dict[Any, Any] = {}
        for c, rep in [(-1, start[0])] + list(enumerate(centroids)):
            for a in range(model.n_symbols):
                for top in range(G + 1):
                    key = (c, names[a], top_names[top])
                    if key in votes:
                        table[key] = votes[key][1]
                    else:
                        nxt, action, pushed = model.transition(
                            rep[None].astype(model.dtype), a, top
                        )
                        outcome = rounded(float(action[0]), pushed[0])
                        table[key] = (
                            int(_nearest(np.asarray(nxt, np.float64), centroids)[0]),
                            *outcome,
                        )
        table = {("start" if c == -1 else c, a, z): v for (c, a, z), v in table.items()}
        members = _nearest(visited, centroids)
        accepting = {
            c for c in range(len(centroids)) if np.mean(visited[members == c, 0] > 0.5) > 0.5
        }
        if start[0, 0] > 0.5:
            accepting.add("start")
        yield table, accepting, len(centroids)


def _encode(strings: Sequence[Any], alphabet: Sequence[str], dtype: Any) -> tuple[NDArray, NDArray]:
    from .analysis.automata import encode_strings

    return encode_strings(strings, tuple(alphabet), dtype=dtype)


def dyck1_nnpda(strength: float = 10.0, *, dtype: Any = np.float64) -> NNPDA:
    """An NNPDA programmed by hand to accept balanced parentheses (input 0 = "(", 1 = ")").

    Two state units: :math:`S_0` "alive" (accepting with an empty stack) and :math:`S_1`
    "dead". Reading "(" pushes it; reading ")" with "(" on top pops it; reading ")" on an empty
    stack kills the run, and a dead run stays dead. The weights are :math:`\\pm H` with
    ``H = strength`` (Omlin & Giles' way of programming automata into second-order nets, here
    third-order), biases :math:`-H/2`.

    Examples
    --------
    >>> from recurrent_zoo.analysis.automata import encode_strings
    >>> X, lengths = encode_strings(["(())()", "(()", "())(", "()"], "()")
    >>> dyck1_nnpda().accepts(X, lengths)
    array([ True, False, False,  True])
    """
    net = NNPDA(2, 2, seed=0, dtype=dtype)
    H = float(strength)
    W = np.zeros((2, 2, 2, 3))
    OPEN, CLOSE, EMPTY = 0, 1, 2  # input symbols; reading channels 0 = "(", 2 = empty
    W[0, 0, OPEN, :] = H  # alive reading "(": stays alive
    W[0, 0, CLOSE, OPEN] = H  # alive reading ")" over "(": stays alive
    W[1, 0, CLOSE, EMPTY] = H  # alive reading ")" on an empty stack: dies
    W[1, 1, :, :] = H  # dead stays dead
    Wa = np.zeros((2, 2, 3))
    Wa[0, OPEN, :] = H  # push "("
    Wa[0, CLOSE, OPEN] = -H  # pop "("
    net.params["weight"][...] = W
    net.params["bias"][...] = -H / 2
    net.params["action_weight"][...] = Wa
    net.params["action_bias"][...] = 0.0
    return net


# ----------------------------------------------------------------------------- comparison
#: Training settings per language: state units, strings sampled up to length 20, every string
#: up to ``exhaustive`` symbols added, epochs and learning rate of :func:`language_run`.
NNPDA_SETTINGS: dict[str, dict[str, Any]] = {
    "dyck1": {"n_states": 3, "n_train": 1000, "exhaustive": 10, "epochs": 60, "lr": 0.02},
    "anbn": {"n_states": 3, "n_train": 1000, "exhaustive": 10, "epochs": 60, "lr": 0.02},
    # three symbols: every string up to 16 would be 6.5e7 of them; the check is for two-letter
    # languages (the issue asks it of Dyck-1 and a^n b^n)
    "wcwr": {
        "n_states": 3,
        "n_train": 1000,
        "exhaustive": 6,
        "epochs": 60,
        "lr": 0.02,
        "exhaustive_check": None,
    },
}


def _fit_arrays(data: Any) -> dict[str, Any]:
    """A prefixed :func:`cfl_dataset` as :func:`fit_nnpda`'s ``X``, ``Y``, ``mask``, ``lengths``."""
    return {"X": data.inputs, "Y": data.targets, "mask": data.mask, "lengths": data.lengths}


def language_run(
    language: str,
    seed: int = 0,
    *,
    train_max: int = 20,
    test_min: int = 21,
    test_max: int = 100,
    n_test: int = 1000,
    restarts: int = 1,
    n_val: int = 500,
    **settings: Any,
) -> dict[str, Any]:
    """The NNPDA's reference experiment on one language (see :data:`NNPDA_SETTINGS`).

    Trains on every string of up to ``exhaustive`` symbols plus ``n_train`` strings drawn by
    :func:`~recurrent_zoo.tasks.cfl_strings` up to ``train_max`` symbols (half of them in the
    language), each labelled at every step (the prefix read so far is a string of the
    language or not), keeping the epoch with the lowest training loss; then it scores the
    network and the PDA extracted from it (consistent with the
    training strings) on ``n_test`` strings of length ``test_min`` to ``test_max`` (drawn
    the same way), and the PDA on every string of up to ``exhaustive_check`` symbols (a
    setting: 16 unless :data:`NNPDA_SETTINGS` or the caller says otherwise; None skips it).

    ``restarts`` > 1 trains up to that many networks from fresh initialisations (attempt 0
    is the single run's; attempt ``r`` draws its weights from ``(seed, r)``) on the same
    strings and keeps the one that classifies ``n_val`` held-out strings of the *training*
    lengths (up to ``train_max``, drawn with another seed) best, ties to the lower training
    loss; it stops at the first attempt that met the training tolerance and classifies every
    validation string right. Nothing longer than ``train_max`` informs the choice.

    ``settle_epochs`` > 0 (a setting, default 0) trains each attempt that many epochs more
    (rate ``settle_lr``, default 0.02) with ``rounding=True``: on the discrete stack of the
    PDA that :func:`extract_pda` reads off, so that the net's own verdicts and the
    extracted automaton's come from the same discrete stack; the net is then kept (and
    scored, validation and test) with rounding. ``saturation`` (a setting, default 0) weighs
    :class:`AcceptanceLoss`'s term pulling the state units to 0 or 1 in that settling phase,
    so that the states, like the stack, stay in the cells the PDA is read from on strings
    longer than any trained on. ``settle_both`` (a setting, default False) settles on the
    sum of the losses on the analog and on the discrete stack (:func:`fit_nnpda`'s
    ``both_stacks``), so that the settled net keeps what it learned on the analog stack while
    its discrete run comes to agree with it. ``settle_states`` (a setting, default False)
    settles with the state units rounded to 0 or 1 as well (:class:`NNPDA`'s
    ``round_states``): the net kept is then a finite control on a discrete stack, read off
    exactly by the extraction. ``start_accepting`` (default: whether the
    language holds the empty string) sets the start state (see :class:`NNPDA`).

    ``incremental`` (a setting, default none) is a sequence of string lengths: before the
    training phase, each attempt is trained on the training strings of up to each length in
    turn (``incremental_epochs`` epochs at most, default ``epochs``; the rate ``lr``; each
    phase stops at the tolerance and keeps its best epoch), short strings first, as Das,
    Giles and Sun (1992) trained the NNPDA; ``"epochs"`` and ``"curve"`` count every phase.

    The PDA is read off by :func:`extract_pda` with ``method`` the setting ``extraction``
    (default ``"grid"``; ``"cluster"`` or ``"both"``), consistent with the training strings.

    Returns a dict: ``"accuracy"`` (the network as kept: with rounding after settling),
    ``"accuracy_analog"`` (its weights on the analog stack), ``"pda_accuracy"``,
    ``"pda_exhaustive"`` (fraction right up to ``exhaustive_check``, None if not checked),
    ``"pda_states"``,
    ``"train_accuracy"``, ``"val_accuracy"``, ``"attempt"`` (the one kept), ``"attempts"``
    (one ``(val_accuracy, epochs)`` pair per attempt trained), ``"epochs"``, ``"finite"``,
    ``"seconds"``, ``"curve"``, the extracted ``"pda"`` (a networkx graph) and the trained
    ``"model"``.
    """
    import itertools

    from .analysis.pushdown import run_pda
    from .tasks import CFL_LANGUAGES, cfl_dataset, cfl_strings

    start = time.perf_counter()
    options = {**NNPDA_SETTINGS[language], **settings}
    lang = CFL_LANGUAGES[language]
    alphabet = list(lang.alphabet)
    strings = [
        "".join(s)
        for n in range(1, options["exhaustive"] + 1)
        for s in itertools.product(alphabet, repeat=n)
    ]
    sampled, _ = cfl_strings(language, options["n_train"], train_max, seed=seed)
    train = cfl_dataset(language, None, train_max, strings=strings + sampled)
    # every prefix of a training string is a training string: labels at every step
    prefixed = cfl_dataset(language, None, train_max, strings=strings + sampled, prefixes=True)
    val = cfl_dataset(language, n_val, train_max, seed=seed + 2000)
    val_truth = val.info["labels"].astype(bool)
    n_restarts = check_positive_int(restarts, "restarts")
    best: tuple[Any, ...] | None = None  # (val accuracy, -loss), attempt, net, curve, finite
    attempts = []
    for attempt in range(n_restarts):
        init = seed if attempt == 0 else np.random.default_rng([seed, attempt])
        net = NNPDA(
            len(alphabet),
            options["n_states"],
            start_accepting=options.get("start_accepting", lang.accepts("")),
            seed=init,
        )
        finite = True
        fit_with = partial(  # every phase: the same batching, tolerance and seed
            fit_nnpda,
            net,
            batch_size=options.get("batch_size", 32),
            tolerance=options.get("tolerance", 0.1),
            seed=init,
        )
        fit_phase = partial(fit_with, **_fit_arrays(prefixed))  # on every training string
        try:
            curve = []
            for limit in options.get("incremental", ()):  # short strings first
                short = [s for s in strings + sampled if len(s) <= limit]
                part = cfl_dataset(language, None, limit, strings=short, prefixes=True)
                history = fit_with(
                    **_fit_arrays(part),
                    epochs=options.get("incremental_epochs", options["epochs"]),
                    lr=options["lr"],
                )
                curve += list(history["loss"])
            history = fit_phase(epochs=options["epochs"], lr=options["lr"])
            curve += list(history["loss"])
            converged = history.epochs < options["epochs"]
            if options.get("settle_epochs", 0) > 0:  # on the discrete stack of the PDA
                net.rounding = True
                net.round_states = bool(options.get("settle_states", False))
                settle_lr = options.get("settle_lr", 0.02)
                history = fit_phase(
                    epochs=options["settle_epochs"],
                    lr=settle_lr,
                    saturation=options.get("saturation", 0.0),
                    both_stacks=options.get("settle_both", False),
                )
                curve += list(history["loss"])
                converged = history.epochs < options["settle_epochs"]
        except FloatingPointError:
            finite, curve, converged = False, [], False
        val_accuracy = float(np.mean(net.accepts(val.inputs, val.lengths) == val_truth))
        attempts.append((val_accuracy, len(curve)))
        key = (val_accuracy, -min(curve) if curve else -np.inf)
        if best is None or key > best[0]:
            best = (key, attempt, net, curve, finite)
        if finite and converged and val_accuracy == 1.0:
            break  # converged on the training strings and right on every validation string
    assert best is not None
    (val_accuracy, _), attempt, net, curve, finite = best
    labels = train.info["labels"].astype(bool)
    train_accuracy = float(np.mean(net.accepts(train.inputs, train.lengths) == labels))
    test = cfl_dataset(language, n_test, test_max, seed=seed + 1000, min_length=test_min)
    truth = test.info["labels"].astype(bool)
    accuracy = float(np.mean(net.accepts(test.inputs, test.lengths) == truth))
    kept = net.rounding, net.round_states
    net.rounding = net.round_states = False  # the same weights on the analog stack and states
    accuracy_analog = float(np.mean(net.accepts(test.inputs, test.lengths) == truth))
    net.rounding, net.round_states = kept
    pda = extract_pda(
        net,
        alphabet=alphabet,
        strings=train.info["strings"],
        labels=labels,
        method=options.get("extraction", "grid"),
        seed=seed,
    )
    pda_accuracy = float(np.mean(np.array(run_pda(pda, test.info["strings"])) == truth))
    exhaustive, exhaustive_check = None, options.get("exhaustive_check", 16)
    if exhaustive_check is not None:
        right = total = 0
        for n in range(exhaustive_check + 1):  # one length at a time: memory stays small
            every = ["".join(s) for s in itertools.product(alphabet, repeat=n)]
            verdicts = np.array(run_pda(pda, every), dtype=bool)
            right += int(np.sum(verdicts == np.array([lang.accepts(s) for s in every])))
            total += len(every)
        exhaustive = right / total
    return {
        "language": language,
        "seed": seed,
        "accuracy": accuracy,
        "accuracy_analog": accuracy_analog,
        "train_accuracy": train_accuracy,
        "val_accuracy": val_accuracy,
        "attempt": attempt,
        "attempts": attempts,
        "pda_accuracy": pda_accuracy,
        "pda_exhaustive": exhaustive,
        "pda_states": pda.number_of_nodes(),
        "pda_consistent": bool(pda.graph["consistent"]),
        "epochs": len(curve),
        "finite": finite and bool(np.all(np.isfinite(curve))),
        "seconds": time.perf_counter() - start,
        "curve": [float(v) for v in curve],
        "pda": pda,
        "model": net,
    }


#: A small Dyck-1 run (the quick comparison and the gallery): strings of up to 8 symbols.
QUICK_DYCK1: dict[str, Any] = {
    "train_max": 8,
    "test_min": 9,
    "test_max": 30,
    "n_test": 200,
    "exhaustive_check": None,
    "n_train": 200,
    "exhaustive": 8,
    "epochs": 20,
    "lr": 0.05,
}


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """The catalogue's comparison run: balanced parentheses (and, in full, a^n b^n, w c w^R).

    ``quick``: :data:`QUICK_DYCK1`, Dyck-1 trained on strings of up to 8 symbols (every one of
    them and 200 drawn), tested on 200 strings of 9 to 30 symbols (seconds). Otherwise the three
    languages with :func:`language_run`'s protocol -- trained on length <= 20, tested on 1000
    strings of length 21-100 each; the value is the lowest accuracy.
    """
    start = time.perf_counter()
    if quick:
        runs = [language_run("dyck1", seed, **QUICK_DYCK1)]
    else:
        runs = [language_run(lang, seed) for lang in ("dyck1", "anbn", "wcwr")]
    for r in runs:
        r.pop("pda")
        r.pop("model")
    value = min(r["accuracy"] for r in runs)
    return {
        "task": "dyck1" if quick else "cfl",
        "metric": "accept/reject accuracy on strings longer than those trained on",
        "value": value,
        "target": 0.99,
        "higher_is_better": True,
        "target_source": (
            "Sun et al. 1993 (UMIACS-TR-93-77): NNPDAs trained on short strings of Dyck-1, "
            "1^n 0^n and w c w^R classify unseen strings of arbitrary length; 0.99 on longer "
            "strings is this catalogue's reading of it"
        ),
        "passed": bool(value >= 0.99),
        "seconds": time.perf_counter() - start,
        "curve": runs[0]["curve"],
        "details": runs[0] if quick else {r["language"]: r for r in runs},
    }


ENTRY = Entry(
    name="nnpda",
    title="Neural network pushdown automaton (NNPDA)",
    cls=NNPDA,
    family="memory-augmented",
    year=1993,
    reference=(
        'G. Z. Sun, C. L. Giles, H. H. Chen and Y. C. Lee, "The neural network pushdown '
        'automaton: model, stack and learning simulations", UMIACS-TR-93-77, 1993; S. Das, '
        "C. L. Giles and G. Z. Sun, Proc. 14th Conf. Cognitive Science Society, 1992"
    ),
    task="dyck1",
    trainable=True,
    summary=(
        "Third-order (state x input x stack-top) recurrent net driving a continuous stack; "
        "accepts by final state and empty stack; a pushdown automaton can be extracted."
    ),
    examples=(
        {"n_states": 2, "capacity": 4},
        {"n_states": 2, "stack_symbols": 2, "bias": False, "init_scale": 0.5, "capacity": 4},
    ),
    recipe={"run": compare_run},
)
