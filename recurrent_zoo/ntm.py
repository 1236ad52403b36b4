r"""Neural Turing machine: a controller network with an external memory it reads and writes.

Graves, Wayne & Danihelka (2014) coupled a recurrent (or feedforward) *controller* to a memory
matrix :math:`M_t` of ``N`` slots of ``W`` numbers, accessed through *heads* whose soft
attention -- a weighting :math:`w_t` over the slots -- makes every access differentiable, so
that the whole machine learns from examples by backpropagation through time. At step
:math:`t`, with ``R`` read heads and ``E`` write heads:

1. The controller reads the input and the previous read vectors,
   :math:`u_t = [x_t; r^1_{t-1}; \dots; r^R_{t-1}]`. An LSTM controller (PyTorch's equations,
   as :class:`recurrent_zoo.lstm.LSTM`) computes :math:`h_t, c_t` from :math:`u_t` and
   :math:`h_{t-1}, c_{t-1}`; a feedforward one computes
   :math:`h_t = \tanh(W_c u_t + b_c)`.
2. A linear layer maps :math:`h_t` to every head's parameters, squashed as in section 3: the key
   :math:`k_t = \tanh(\hat k_t)`, key strength :math:`\beta_t = \operatorname{softplus}(\hat
   \beta_t)`, interpolation gate :math:`g_t = \sigma(\hat g_t)`, shift weighting
   :math:`s_t = \operatorname{softmax}(\hat s_t)` over the ``2 * shift_range + 1`` shifts,
   sharpening :math:`\gamma_t = 1 + \operatorname{softplus}(\hat\gamma_t)`, and for a write head
   the erase vector :math:`e_t = \sigma(\hat e_t)` and the add vector
   :math:`a_t = \tanh(\hat a_t)` (the paper leaves the key and the add vector unsquashed;
   the tanh is Collier & Beel's (2018), which keeps the memory bounded).
3. Each head addresses the memory (eqs. 5-9, :func:`recurrent_zoo._core.memory.address`):

   .. math::

       w^c_t &= \operatorname{softmax}_i\big(\beta_t K(k_t, M_{t-1}(i))\big), \quad
       K(u, v) = \frac{u \cdot v}{(\lVert u \rVert + \epsilon)(\lVert v \rVert + \epsilon)} \\
       w^g_t &= g_t w^c_t + (1 - g_t) w_{t-1} \\
       \tilde w_t(i) &= \sum_j w^g_t(j)\, s_t(i - j) \\
       w_t(i) &= \tilde w_t(i)^{\gamma_t} / \textstyle\sum_j \tilde w_t(j)^{\gamma_t}

4. The read heads read :math:`r_t = \sum_i w_t(i) M_{t-1}(i)` (eq. 2); then the write heads
   write, erasing then adding (eqs. 3-4):
   :math:`M_t = M_{t-1} \odot \prod_h (1 - w^h_t e^{h\top}_t) + \sum_h w^h_t a^{h\top}_t`.
5. The output (logits) is a linear function of the controller output and the new read
   vectors, :math:`y_t = W_y [h_t; r^1_t; \dots; r^R_t] + b_y`.

Where a sequence starts: the controller from zeros, the read vectors from the learned
``params["read_init"]`` (Collier & Beel learn them too), every head's weighting :math:`w_0`
from ``weighting_init``, and the memory from ``memory_init``. ``weighting_init``:

``"one_hot"`` (default)
    every head at slot 0: something must tell the slots of a memory whose rows are all equal
    apart, and a one-hot start does it at once.
``"learned"``
    :math:`w_0 = \operatorname{softmax}(\text{params["weighting_init"]})`, one row of logits
    per head (read heads first), trained; the logits start drawn like a bias vector,
    U(-b, b) with b = sqrt(6 / (1 + N)), so the start is spread nearly evenly over the slots
    -- Collier & Beel's (2018) learned initial weightings. On associative recall this start is
    what let the feedforward NTM learn the task (``benchmarks/results/
    ntm_associative_recall_learned_start.txt``): from the one-hot start its write head went
    back, at every item, to the slot it had just written, overwriting the item before.

``memory_init``:

``"constant"`` (default)
    every number :math:`10^{-6}`, not learned. Collier & Beel (2018) found this converges about
    twice as fast as the next best scheme.
``"learned"``
    ``params["memory_init"]``, trained; it starts at small values drawn like a
    bias vector, U(-b, b) with b = sqrt(6 / (1 + N W)).
``"random"``
    ``params["memory_init"]`` drawn from tanh(N(0, 0.5^2)) and trained with the rest, as in
    Collier & Beel's code.

The learned initial values receive gradients when a forward pass starts from the model's own
initial state (``forward(X)`` without ``state``, and :func:`~recurrent_zoo.training.fit`); from a
state given explicitly (carried over from the previous chunk, say) they get none. The state is the
tuple ``(h, c, reads, weights, memory)`` for an LSTM controller and ``(reads, weights, memory)``
for a feedforward one, of shapes ``(B, H)``, ``(B, H)``, ``(B, R, W)``, ``(B, R + E, N)`` (read
heads first) and ``(B, N, W)``.

Backpropagation through time runs the steps in reverse; within a step, the gradient reaching
:math:`M_t` goes back through the write (:func:`~recurrent_zoo._core.memory.write_backward`),
picks up the read's and the addressing's gradients with respect to :math:`M_{t-1}`, and the
gradient reaching each weighting goes back through sharpening, shift, interpolation and content
addressing to the head parameters, the controller and the previous weighting. How it is computed:
the input's share of the controller's pre-activations and the output layer, which do not depend
on the recurrence, are one matrix product each over all steps; so are all the weight gradients,
after the backward loop. Inside the loop the memory is kept slot-minor, ``(B, W, N)``, the
layout :mod:`recurrent_zoo._core.memory` computes in (the state holds the paper's ``(B, N, W)``).
A padded batch runs every sequence for every step; each final state is
read at the sequence's own length and the gradient of the final state enters there, so that
nothing past a length contributes (exactly zero) to any gradient.

References
----------
A. Graves, G. Wayne and I. Danihelka, "Neural Turing machines", arXiv:1410.5401, 2014.

M. Collier and J. Beel, "Implementing neural Turing machines", ICANN 2018, LNCS 11141:94-104
(arXiv:1807.08518).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.special import expit

from ._core.base import SequenceModel, State
from ._core.init import make_rng, normal, uniform
from ._core.memory import address, address_backward, read, read_backward, write, write_backward
from ._core.ops import softmax, softmax_backward
from ._core.validation import NDArray, check_choice, check_positive_int
from .catalogue import Entry

__all__ = ["NTM", "COMPARE_SETTINGS", "compare_run", "copy_experiment", "train_copy"]

#: Collier & Beel's (2018) constant initial memory
CONSTANT_MEMORY = 1e-6


class NTM(SequenceModel):
    """Neural Turing machine (Graves, Wayne & Danihelka 2014).

    Parameters
    ----------
    input_size : int
        Number of input features ``I``.
    output_size : int
        Number of outputs ``O`` (logits; a sigmoid gives the bits of the paper's tasks).
    controller : {"lstm", "feedforward"}, default "lstm"
    controller_size : int, default 100
        Units ``H`` of the controller.
    memory_slots : int, default 128
        Slots ``N`` of the memory.
    word_size : int, default 20
        Numbers ``W`` in a slot.
    read_heads, write_heads : int, default 1
    shift_range : int, default 1
        Shifts ``-shift_range .. shift_range`` (``2 shift_range + 1 <= memory_slots``).
    memory_init : {"constant", "learned", "random"}, default "constant"
        The memory a sequence starts from (see the module docstring).
    weighting_init : {"one_hot", "learned"}, default "one_hot"
        The head weightings a sequence starts from (see the module docstring).
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Notes
    -----
    Parameters (``P`` head parameters: ``(R + E)(W + 3 + S) + 2 E W`` with ``S = 2
    shift_range + 1``, laid out as all keys, strengths, gates, shifts, sharpenings, then the
    write heads' erase and add vectors):

    - LSTM controller: ``controller_weight_ih`` ``(4H, I + R W)``, ``controller_weight_hh``
      ``(4H, H)``, ``controller_bias`` ``(4H,)``, gates in PyTorch's order (i, f, g, o); the
      forget gate's bias starts at 1. Feedforward: ``controller_weight`` ``(H, I + R W)``,
      ``controller_bias`` ``(H,)``.
    - ``head_weight`` ``(P, H)``, ``head_bias`` ``(P,)``;
      ``output_weight`` ``(O, H + R W)``, ``output_bias`` ``(O,)``.
    - ``read_init`` ``(R, W)``, and with ``memory_init`` ``"learned"`` or ``"random"``,
      ``memory_init`` ``(N, W)``; with ``weighting_init`` ``"learned"``, ``weighting_init``
      ``(R + E, N)`` (logits).

    Examples
    --------
    >>> import numpy as np
    >>> ntm = NTM(9, 8, controller_size=20, memory_slots=16, word_size=6, seed=0)
    >>> X = np.random.default_rng(0).integers(0, 2, size=(5, 3, 9))   # (T, B, I)
    >>> Y, (h, c, reads, weights, memory) = ntm.forward(X)
    >>> Y.shape, reads.shape, weights.shape, memory.shape
    ((5, 3, 8), (3, 1, 6), (3, 2, 16), (3, 16, 6))
    >>> bool(np.allclose(weights.sum(-1), 1.0))                        # distributions
    True
    >>> dX = ntm.backward(np.ones_like(Y))
    >>> ntm.grads["head_weight"].shape                                 # P = 2 (6 + 3 + 3) + 12
    (36, 20)
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        controller: str = "lstm",
        controller_size: int = 100,
        memory_slots: int = 128,
        word_size: int = 20,
        read_heads: int = 1,
        write_heads: int = 1,
        shift_range: int = 1,
        memory_init: str = "constant",
        weighting_init: str = "one_hot",
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.output_size = check_positive_int(output_size, "output_size")
        self.controller = check_choice(controller, "controller", ("lstm", "feedforward"))
        self.controller_size = check_positive_int(controller_size, "controller_size")
        self.memory_slots = check_positive_int(memory_slots, "memory_slots")
        self.word_size = check_positive_int(word_size, "word_size")
        self.read_heads = check_positive_int(read_heads, "read_heads")
        self.write_heads = check_positive_int(write_heads, "write_heads")
        self.shift_range = check_positive_int(shift_range, "shift_range", minimum=0)
        if 2 * self.shift_range + 1 > self.memory_slots:
            raise ValueError(
                f"shift_range must satisfy 2 * shift_range + 1 <= memory_slots "
                f"({self.memory_slots}); got {self.shift_range}"
            )
        self.memory_init = check_choice(
            memory_init, "memory_init", ("constant", "learned", "random")
        )
        self.weighting_init = check_choice(weighting_init, "weighting_init", ("one_hot", "learned"))
        rng = make_rng(seed)
        I, O, H = self.input_size, self.output_size, self.controller_size
        N, W, R = self.memory_slots, self.word_size, self.read_heads
        dt = self.dtype
        bound = 1.0 / np.sqrt(H)
        p = self.params
        if self.controller == "lstm":
            p["controller_weight_ih"] = uniform((4 * H, I + R * W), bound, rng, dt)
            p["controller_weight_hh"] = uniform((4 * H, H), bound, rng, dt)
            p["controller_bias"] = uniform((4 * H,), bound, rng, dt)
            p["controller_bias"][H : 2 * H] += 1.0  # forget gate open at first (Gers et al.)
        else:
            fan_in = 1.0 / np.sqrt(I + R * W)
            p["controller_weight"] = uniform((H, I + R * W), fan_in, rng, dt)
            p["controller_bias"] = uniform((H,), fan_in, rng, dt)
        self._slices = self._layout()
        P = self._slices["size"]
        p["head_weight"] = uniform((P, H), bound, rng, dt)
        p["head_bias"] = uniform((P,), bound, rng, dt)
        out_bound = 1.0 / np.sqrt(H + R * W)
        p["output_weight"] = uniform((O, H + R * W), out_bound, rng, dt)
        p["output_bias"] = uniform((O,), out_bound, rng, dt)
        # learned start of the read vectors, drawn like a bias vector of that size (Glorot's
        # bound for one input)
        p["read_init"] = uniform((R, W), np.sqrt(6.0 / (1 + W)), rng, dt)
        if self.memory_init == "learned":
            p["memory_init"] = uniform((N, W), np.sqrt(6.0 / (1 + N * W)), rng, dt)
        elif self.memory_init == "random":
            p["memory_init"] = np.tanh(normal((N, W), 0.5, rng, dt))
        # drawn last, so that every other parameter is the same as with a one-hot start
        if self.weighting_init == "learned":
            p["weighting_init"] = uniform((self.n_heads, N), np.sqrt(6.0 / (1 + N)), rng, dt)
        self._default_start: State = None

    # ------------------------------------------------------------------ layout
    @property
    def n_heads(self) -> int:
        """Number of heads, read heads first."""
        return self.read_heads + self.write_heads

    def _layout(self) -> dict[str, Any]:
        """Where each head parameter sits in the head layer's output.

        Grouped by squashing function, so that each is one call on one block: the tanh block
        (keys, add vectors), the sigmoid block (gates, erase vectors), the softplus block
        (strengths, sharpening) and the softmax block (shifts).
        """
        Hd, E, W, S = self.n_heads, self.write_heads, self.word_size, 2 * self.shift_range + 1
        sizes = [
            ("keys", Hd * W),
            ("add", E * W),
            ("gates", Hd),
            ("erase", E * W),
            ("strengths", Hd),
            ("sharpening", Hd),
            ("shifts", Hd * S),
        ]
        layout: dict[str, Any] = {}
        start = 0
        for name, size in sizes:
            layout[name] = slice(start, start + size)
            start += size
        layout["size"] = start
        layout["tanh"] = slice(0, layout["add"].stop)
        layout["sigmoid"] = slice(layout["gates"].start, layout["erase"].stop)
        layout["softplus"] = slice(layout["strengths"].start, layout["sharpening"].stop)
        return layout

    @classmethod
    def equations(cls) -> list[Any]:
        """The addressing, read and write equations (Graves et al. 2014, eqs. 2-9).

        Examples
        --------
        >>> [str(eq.lhs) for eq in NTM.equations()]
        ['w^c_t(i)', 'w^g_t(i)', 'tilde{w}_t(i)', 'w_t(i)', 'r_t', 'M_t(i)']
        """
        import sympy as sp

        i, j, N = sp.symbols("i j N", integer=True)
        beta, g, gamma = sp.symbols("beta_t g_t gamma_t", positive=True)
        K = sp.Function("K")
        k, Mrow = sp.Symbol("k_t"), sp.Function("M_{t-1}")
        wc, wg, wt, w, wp = (
            sp.Function("w^c_t"),
            sp.Function("w^g_t"),
            sp.Function("tilde{w}_t"),
            sp.Function("w_t"),
            sp.Function("w_{t-1}"),
        )
        s, e, a = sp.Function("s_t"), sp.Symbol("e_t"), sp.Symbol("a_t")
        return [
            sp.Eq(
                wc(i),
                sp.exp(beta * K(k, Mrow(i))) / sp.Sum(sp.exp(beta * K(k, Mrow(j))), (j, 0, N - 1)),
                evaluate=False,
            ),
            sp.Eq(wg(i), g * wc(i) + (1 - g) * wp(i), evaluate=False),
            sp.Eq(wt(i), sp.Sum(wg(j) * s(i - j), (j, 0, N - 1)), evaluate=False),
            sp.Eq(w(i), wt(i) ** gamma / sp.Sum(wt(j) ** gamma, (j, 0, N - 1)), evaluate=False),
            sp.Eq(sp.Symbol("r_t"), sp.Sum(w(i) * Mrow(i), (i, 0, N - 1)), evaluate=False),
            sp.Eq(sp.Function("M_t")(i), Mrow(i) * (1 - w(i) * e) + w(i) * a, evaluate=False),
        ]

    # ------------------------------------------------------------------ state
    def initial_state(self, batch_size: int) -> State:
        """Where every sequence starts: zeros for the controller, the learned read vectors,
        the head weightings chosen by ``weighting_init`` and the memory chosen by
        ``memory_init``."""
        B, H, N, W = batch_size, self.controller_size, self.memory_slots, self.word_size
        p, dt = self.params, self.dtype
        reads = np.repeat(p["read_init"][None], B, axis=0)
        if self.weighting_init == "learned":
            weights = np.repeat(softmax(p["weighting_init"])[None], B, axis=0)
        else:
            weights = np.zeros((B, self.n_heads, N), dt)
            weights[:, :, 0] = 1.0
        if self.memory_init == "constant":
            memory = np.full((B, N, W), CONSTANT_MEMORY, dtype=dt)
        else:
            memory = np.repeat(p["memory_init"][None], B, axis=0)
        rest = (reads, weights, memory)
        state: State = rest
        if self.controller == "lstm":
            state = (np.zeros((B, H), dt), np.zeros((B, H), dt), *rest)
        # a forward pass that starts from this very tuple is the one the learned initial
        # values get gradients from
        self._default_start = state
        return state

    def random_state(self, batch_size: int, seed: Any = None) -> State:
        """A random valid state (weightings are distributions), for tests.

        Examples
        --------
        >>> state = NTM(2, 1, controller_size=3, memory_slots=5, word_size=2).random_state(4, 0)
        >>> [a.shape for a in state]
        [(4, 3), (4, 3), (4, 1, 2), (4, 2, 5), (4, 5, 2)]
        """
        rng = make_rng(seed)
        template = self.initial_state(batch_size)
        out = [(0.5 * rng.standard_normal(a.shape)).astype(self.dtype) for a in template]
        out[-2] = softmax(rng.standard_normal(template[-2].shape)).astype(self.dtype)
        return tuple(out)

    # ------------------------------------------------------------------ forward
    def _heads(self, raw: NDArray, out: NDArray) -> None:
        """Squash the head layer's output ``raw`` (B, P) into ``out`` (section 3's ranges)."""
        L = self._slices
        np.tanh(raw[:, L["tanh"]], out=out[:, L["tanh"]])
        expit(raw[:, L["sigmoid"]], out=out[:, L["sigmoid"]])
        np.logaddexp(0.0, raw[:, L["softplus"]], out=out[:, L["softplus"]])  # softplus
        out[:, L["sharpening"]] += 1.0
        B, S = raw.shape[0], 2 * self.shift_range + 1
        s = raw[:, L["shifts"]].reshape(B, -1, S)
        e = s - np.maximum.reduce(s, -1, keepdims=True)
        np.exp(e, out=e)
        np.divide(e, np.add.reduce(e, -1, keepdims=True), out=out[:, L["shifts"]].reshape(B, -1, S))

    def _heads_backward(self, d: NDArray, raw: NDArray, act: NDArray, out: NDArray) -> None:
        """Gradient ``out`` at the head layer's output ``raw`` from the gradient ``d`` at the
        squashed values ``act``."""
        L = self._slices
        B, S = d.shape[0], 2 * self.shift_range + 1
        y = act[:, L["tanh"]]
        np.multiply(y, y, out=out[:, L["tanh"]])
        np.subtract(1.0, out[:, L["tanh"]], out=out[:, L["tanh"]])
        out[:, L["tanh"]] *= d[:, L["tanh"]]
        y = act[:, L["sigmoid"]]
        np.subtract(1.0, y, out=out[:, L["sigmoid"]])
        out[:, L["sigmoid"]] *= y
        out[:, L["sigmoid"]] *= d[:, L["sigmoid"]]
        expit(raw[:, L["softplus"]], out=out[:, L["softplus"]])  # softplus' = sigmoid
        out[:, L["softplus"]] *= d[:, L["softplus"]]
        s = act[:, L["shifts"]].reshape(B, -1, S)
        ds = d[:, L["shifts"]].reshape(B, -1, S)
        o = out[:, L["shifts"]].reshape(B, -1, S)
        np.multiply(ds, s, out=o)
        np.subtract(ds, np.add.reduce(o, -1, keepdims=True), out=o)
        o *= s

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        p, dt = self.params, self.dtype
        H, N, W = self.controller_size, self.memory_slots, self.word_size
        R, Hd, S = self.read_heads, self.n_heads, 2 * self.shift_range + 1
        lstm = self.controller == "lstm"
        from_default = state is self._default_start
        if lstm:
            h, c, reads, weights, memory = state
        else:
            reads, weights, memory = state
            h = c = np.zeros((B, H), dt)
        if (weights < 0).any():
            raise ValueError("state: the head weightings (state[-2]) must be non-negative")
        L = self._slices

        # the controller's pre-activations: the input's share for all steps at once; the
        # recurrent share (previous reads and, for an LSTM, h_{t-1}) step by step.
        # An LSTM's gates are computed in the order (i, f, o, g), so that the three sigmoids
        # act on one contiguous block; the parameters keep PyTorch's (i, f, g, o).
        if lstm:
            rows = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
            W_x = p["controller_weight_ih"][rows, :I]
            W_rec = np.concatenate(
                [p["controller_weight_ih"][rows, I:], p["controller_weight_hh"][rows]], axis=1
            ).T  # (R W + H, 4H)
            bias = p["controller_bias"][rows]
        else:
            rows = None
            W_x = p["controller_weight"][:, :I]
            W_rec = p["controller_weight"][:, I:].T  # (R W, H)
            bias = p["controller_bias"]
        G = W_rec.shape[1]
        A = X.reshape(T * B, I) @ W_x.T  # (T B, G)
        A = A.reshape(T, B, G)
        A += bias
        Z = np.empty((T, B, W_rec.shape[0]), dt)  # [r_{t-1}; h_{t-1}] of each step
        W_head_T = p["head_weight"].T  # (H, P)
        RAW = np.empty((T, B, L["size"]), dt)  # the head layer's outputs
        HP = np.empty_like(RAW)  # squashed: the head parameters
        Hs = np.empty((T + 1, B, H), dt)  # controller outputs, Hs[t + 1] = h_t
        Cs = np.empty((T + 1, B, H), dt) if lstm else None
        TC = np.empty((T, B, H), dt) if lstm else None  # tanh(c_t)
        Rs = np.empty((T + 1, B, R, W), dt)
        Ws = np.empty((T + 1, B, Hd, N), dt)
        # M_t, one array per step, slot-minor (B, W, N) as _core.memory computes it
        Ms = [np.ascontiguousarray(memory.transpose(0, 2, 1))]
        caches = []
        Hs[0], Rs[0], Ws[0] = h, reads, weights
        if lstm:
            Cs[0] = c
        for t in range(T):
            z = Z[t]
            z[:, : R * W] = Rs[t].reshape(B, R * W)
            if lstm:
                z[:, R * W :] = Hs[t]
            a = A[t]
            a += z @ W_rec
            if lstm:
                expit(a[:, : 3 * H], out=a[:, : 3 * H])
                np.tanh(a[:, 3 * H :], out=a[:, 3 * H :])
                c_new = Cs[t + 1]
                np.multiply(a[:, H : 2 * H], Cs[t], out=c_new)
                c_new += a[:, :H] * a[:, 3 * H :]
                np.tanh(c_new, out=TC[t])
                np.multiply(a[:, 2 * H : 3 * H], TC[t], out=Hs[t + 1])
            else:
                np.tanh(a, out=a)
                Hs[t + 1] = a
            raw = RAW[t]
            np.matmul(Hs[t + 1], W_head_T, out=raw)
            raw += p["head_bias"]
            hp = HP[t]
            self._heads(raw, hp)
            w, a_cache = address(
                hp[:, L["keys"]].reshape(B, Hd, W),
                hp[:, L["strengths"]],
                hp[:, L["gates"]],
                hp[:, L["shifts"]].reshape(B, Hd, S),
                hp[:, L["sharpening"]],
                Ws[t],
                Ms[t],
            )
            Ws[t + 1] = w
            Rs[t + 1] = read(Ms[t], w[:, :R])
            new_memory, w_cache = write(
                Ms[t],
                w[:, R:],
                hp[:, L["erase"]].reshape(B, -1, W),
                hp[:, L["add"]].reshape(B, -1, W),
            )
            Ms.append(new_memory)
            caches.append((a_cache, w_cache))

        # the output layer, for all steps at once: y_t = W_y [h_t; r_t] + b_y
        F = np.concatenate([Hs[1:], Rs[1:].reshape(T, B, R * W)], axis=2)  # (T, B, H + R W)
        Y = (F.reshape(T * B, -1) @ p["output_weight"].T).reshape(T, B, -1)
        Y += p["output_bias"]
        if lengths is None:
            last = np.full(B, T)
            final_memory = Ms[T].transpose(0, 2, 1).copy()
        else:
            last = lengths
            Y *= (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
            final_memory = np.stack([Ms[int(n)][b].T for b, n in enumerate(lengths)])
        cols = np.arange(B)
        final: tuple[NDArray, ...] = (Rs[last, cols], Ws[last, cols], final_memory)
        if lstm:
            final = (Hs[last, cols], Cs[last, cols], *final)
        self._cache = (
            X,
            lengths,
            A,
            Z,
            RAW,
            HP,
            Hs,
            Cs,
            TC,
            Rs,
            Ws,
            Ms,
            F,
            caches,
            rows,
            from_default,
        )
        return Y, final

    # ------------------------------------------------------------------ backward
    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, lengths, A, Z, RAW, HP, Hs, Cs, TC, Rs, Ws, Ms, F, caches, rows, from_default = (
            self._cache
        )
        T, B, I = X.shape
        p, dt = self.params, self.dtype
        H, N, W = self.controller_size, self.memory_slots, self.word_size
        R, Hd = self.read_heads, self.n_heads
        lstm = self.controller == "lstm"
        L = self._slices
        if lengths is not None:
            dY = dY * (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
        dF = (dY.reshape(T * B, -1) @ p["output_weight"]).reshape(T, B, -1)  # (T, B, H + R W)
        grads = {
            "output_weight": dY.reshape(T * B, -1).T @ F.reshape(T * B, -1),
            "output_bias": dY.sum(axis=(0, 1)),
        }
        if lstm:
            W_rec = np.concatenate(
                [p["controller_weight_ih"][rows, I:], p["controller_weight_hh"][rows]], axis=1
            )  # (4H, R W + H)
        else:
            W_rec = p["controller_weight"][:, I:]  # (H, R W)
        W_head = p["head_weight"]
        dstate = tuple(dstate)
        if not lstm:
            dstate = (np.zeros((B, H), dt), np.zeros((B, H), dt), *dstate)
        # the memory's gradient in the slot-minor layout of the loop
        dstate = (*dstate[:4], np.ascontiguousarray(dstate[4].transpose(0, 2, 1)))
        # the gradient of each sequence's final state enters at its own last step
        if lengths is None:
            dh, dc, dr, dw, dM = (a.copy() for a in dstate)
            enter: dict[int, NDArray] = {}
        else:
            dh, dc = np.zeros((B, H), dt), np.zeros((B, H), dt)
            dr, dw = np.zeros((B, R, W), dt), np.zeros((B, Hd, N), dt)
            dM = np.zeros((B, W, N), dt)
            enter = {}
            for b, n in enumerate(lengths):
                enter.setdefault(int(n), []).append(b)
            enter = {n: np.array(cols) for n, cols in enter.items()}
        dA = np.empty_like(A)  # (T, B, G) at the controller's pre-activations
        dHP = np.empty_like(HP)  # (T, B, P) at the head layer's output
        dw_all = np.empty((B, Hd, N), dt)
        dhp = np.empty((B, L["size"]), dt)
        for t in reversed(range(T)):
            cols = enter.get(t + 1)
            if cols is not None:
                for carry, d in zip((dh, dc, dr, dw, dM), dstate, strict=True):
                    carry[cols] += d[cols]
            dh += dF[t, :, :H]
            dr += dF[t, :, H:].reshape(B, R, W)
            a_cache, w_cache = caches[t]
            w = Ws[t + 1]
            # write, then read, then addressing: each adds its share to dL/dM_{t-1}
            dM_prev, dw_write, derase, dadd = write_backward(dM, w_cache)
            dM_read, dw_read = read_backward(dr, Ms[t], w[:, :R])
            dM_prev += dM_read
            dw_all[:, :R] = dw[:, :R] + dw_read
            dw_all[:, R:] = dw[:, R:] + dw_write
            dkeys, dbeta, dgate, dshift, dgamma, dw_prev, dM_content = address_backward(
                dw_all, a_cache
            )
            dM_prev += dM_content
            dhp[:, L["keys"]] = dkeys.reshape(B, -1)
            dhp[:, L["strengths"]] = dbeta
            dhp[:, L["gates"]] = dgate
            dhp[:, L["shifts"]] = dshift.reshape(B, -1)
            dhp[:, L["sharpening"]] = dgamma
            dhp[:, L["erase"]] = derase.reshape(B, -1)
            dhp[:, L["add"]] = dadd.reshape(B, -1)
            draw = dHP[t]
            self._heads_backward(dhp, RAW[t], HP[t], draw)
            dh += draw @ W_head
            da = dA[t]
            g = A[t]
            if lstm:
                i_, f_, o_, gg = g[:, :H], g[:, H : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
                tc = TC[t]
                dc += dh * o_ * (1.0 - tc * tc)
                np.multiply(dh, tc, out=da[:, 2 * H : 3 * H])  # d o
                np.multiply(dc, gg, out=da[:, :H])  # d i
                np.multiply(dc, Cs[t], out=da[:, H : 2 * H])  # d f
                np.multiply(dc, i_, out=da[:, 3 * H :])  # d g
                sg = g[:, : 3 * H]
                da[:, : 3 * H] *= sg * (1.0 - sg)
                da[:, 3 * H :] *= 1.0 - gg * gg
                dc = dc * f_
            else:
                np.multiply(dh, 1.0 - g * g, out=da)
            dz = da @ W_rec  # (B, R W [+ H])
            dr = dz[:, : R * W].reshape(B, R, W).copy()
            dh = dz[:, R * W :].copy() if lstm else np.zeros((B, H), dt)
            dw = dw_prev
            dM = dM_prev
        if lengths is not None and 0 in enter:  # empty sequences: the state passes through
            cols = enter[0]
            for carry, d in zip((dh, dc, dr, dw, dM), dstate, strict=True):
                carry[cols] += d[cols]

        # weight gradients: one matrix product each over all steps
        dA2 = dA.reshape(T * B, -1)
        dX = dA2 @ (p["controller_weight_ih"][rows, :I] if lstm else p["controller_weight"][:, :I])
        dW_x = dA2.T @ X.reshape(T * B, I)
        dW_rec = dA2.T @ Z.reshape(T * B, -1)
        if lstm:
            back = np.argsort(rows)
            grads["controller_weight_ih"] = np.concatenate([dW_x, dW_rec[:, : R * W]], axis=1)[back]
            grads["controller_weight_hh"] = dW_rec[:, R * W :][back]
            grads["controller_bias"] = dA2.sum(axis=0)[back]
        else:
            grads["controller_weight"] = np.concatenate([dW_x, dW_rec], axis=1)
            grads["controller_bias"] = dA2.sum(axis=0)
        dHP2 = dHP.reshape(T * B, -1)
        grads["head_weight"] = dHP2.T @ Hs[1:].reshape(T * B, H)
        grads["head_bias"] = dHP2.sum(axis=0)
        dM = dM.transpose(0, 2, 1).copy()  # back to the state's (B, N, W)
        # the learned initial values, when this pass started from them
        if from_default:
            grads["read_init"] = dr.sum(axis=0)
            if "memory_init" in p:
                grads["memory_init"] = dM.sum(axis=0)
            if "weighting_init" in p:
                grads["weighting_init"] = softmax_backward(
                    softmax(p["weighting_init"]), dw.sum(axis=0)
                )  # (R + E, N)
        else:
            grads["read_init"] = np.zeros_like(p["read_init"])
            if "memory_init" in p:
                grads["memory_init"] = np.zeros_like(p["memory_init"])
            if "weighting_init" in p:
                grads["weighting_init"] = np.zeros_like(p["weighting_init"])
        self.grads = {k: grads[k].astype(dt, copy=False) for k in p}
        dstate0: tuple[NDArray, ...] = (dr, dw, dM)
        if lstm:
            dstate0 = (dh, dc, *dstate0)
        return dX.reshape(T, B, I), dstate0


# ----------------------------------------------------------------------------- comparison
#: ``compare_run``'s two modes: the network, the training lengths and the budget
COMPARE_SETTINGS: dict[str, dict[str, Any]] = {
    "quick": {
        "model": {"controller_size": 32, "memory_slots": 16, "word_size": 8},
        "test_length": 5,
        "training": {
            "lengths": (1, 5),
            "batch_size": 16,
            "batches": 600,
            "optimizer": "adam",
            "lr": 1e-2,
            "lr_drop": 450,
            "clip_norm": 10.0,
        },
    },
    # the settings of benchmarks/ntm_experiments.py (see benchmarks/results/ntm_experiments_*)
    "full": {
        "model": {"controller_size": 100, "memory_slots": 128, "word_size": 20},
        "test_length": 20,
        "training": {
            "lengths": (1, 20),
            "batch_size": 1,
            "batches": 10000,
            "optimizer": "rmsprop",
            "lr": 1e-4,
            "optimizer_kwargs": {"momentum": 0.9, "alpha": 0.99},
            "lr_drop": None,
            "clip_norm": 1.0,
            "clip_value": 10.0,
        },
    },
}


def train_copy(
    model: SequenceModel,
    *,
    lengths: tuple[int, int] = (1, 5),
    batch_size: int = 16,
    batches: int = 600,
    optimizer: str = "adam",
    lr: float = 1e-2,
    optimizer_kwargs: dict[str, Any] | None = None,
    lr_drop: int | None = 450,
    clip_norm: float | None = 10.0,
    clip_value: float | None = None,
    seed: Any = 0,
) -> Any:
    """Train ``model`` on Graves et al.'s copy task: fresh batches, clipped gradients.

    ``model`` is an NTM or any sequence model with ``n_bits + 1`` inputs and ``n_bits`` outputs
    (the gallery trains an LSTM baseline with it). A thin wrapper around
    :func:`~recurrent_zoo.training.fit_generated` with
    :func:`~recurrent_zoo.tasks.binary_copy` batches whose lengths are drawn uniformly from
    ``lengths``; the learning rate is divided by 10 after ``lr_drop`` batches (``None``: never).
    Returns the :class:`~recurrent_zoo.training.History`. The defaults are the quick setting of
    :func:`compare_run`: a small NTM learns lengths 1 to 5 in a few seconds (seeds 0-5 measured
    0.05 to 0.3 wrong bits per sequence of length 5); :data:`COMPARE_SETTINGS` ``["full"]``
    holds the paper-sized setting.

    Examples
    --------
    >>> model = NTM(9, 8, controller_size=16, memory_slots=8, word_size=4, seed=0)
    >>> history = train_copy(model, batches=3)
    >>> len(history["loss"])
    3
    """
    from .tasks import binary_copy
    from .training import fit_generated, get_optimizer

    opt = get_optimizer(optimizer, model.params, lr=lr, **(optimizer_kwargs or {}))

    def drop(i: int, logs: dict[str, float]) -> None:
        if lr_drop is not None and i + 1 == lr_drop:
            opt.lr = lr / 10

    return fit_generated(
        model,
        lambda rng: binary_copy(batch_size, lengths, n_bits=model.output_size, seed=rng),
        batches,
        optimizer=opt,
        clip_norm=clip_norm,
        clip_value=clip_value,
        seed=seed,
        callback=drop,
    )


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """The catalogue's comparison run: Graves et al.'s copy task, scored in bit errors.

    The NTM (LSTM controller) is trained by :func:`train_copy` on fresh batches of
    :func:`~recurrent_zoo.tasks.binary_copy` sequences, then scored on 200 held-out sequences of
    the longest training length (and of twice that, reported in ``details``): the value is the
    mean number of wrong bits per sequence (Collier & Beel's error per sequence; a sequence of
    length 5 holds 40 bits, of length 20, 160).

    ``quick``: a small NTM (32 controller units, 16 x 8 memory) on lengths 1 to 5, 600 batches
    of 16 with Adam (a few seconds). Otherwise the paper's network (100 units, 128 x 20 memory)
    on lengths 1 to 20, 10 000 sequences one at a time with RMSprop (minutes on an idle CPU;
    the settings of ``benchmarks/ntm_experiments.py``, whose recorded runs are in
    ``benchmarks/results/ntm_experiments_copy.txt``). See :data:`COMPARE_SETTINGS`.

    Examples
    --------
    >>> quick = COMPARE_SETTINGS["quick"]["training"]
    >>> quick["lengths"], quick["batches"], quick["batch_size"]
    ((1, 5), 600, 16)
    """
    return copy_experiment(COMPARE_SETTINGS["quick" if quick else "full"], seed)[1]


def copy_experiment(mode: dict[str, Any], seed: int = 0) -> tuple[NTM, dict[str, Any]]:
    """:func:`compare_run`'s experiment with the settings ``mode``: the trained model and the
    result row.

    Examples
    --------
    >>> quick = COMPARE_SETTINGS["quick"]
    >>> tiny = {**quick, "training": {**quick["training"], "batches": 2, "lr_drop": None}}
    >>> model, result = copy_experiment(tiny, seed=0)
    >>> result["details"]["training_sequences"], sorted(result["details"]["bit_errors_by_length"])
    (32, [5, 10])
    """
    model = NTM(9, 8, **mode["model"], seed=seed)
    target_source = (
        "Graves et al. 2014 (figure 3, section 4.1): the NTM learns to copy sequences of the "
        "training lengths near-perfectly; Collier & Beel 2018 report under 1 bit error per "
        "sequence"
    )
    return model, score_copy(model, mode, seed, target_source)


def score_copy(
    model: SequenceModel, mode: dict[str, Any], seed: int, target_source: str
) -> dict[str, Any]:
    """Train ``model`` by :func:`train_copy` with ``mode["training"]``, score its bit errors on
    copies of ``mode["test_length"]`` and twice that, and return the comparison's result row
    (the copy experiment of the NTM and of the DNC).
    """
    from .tasks import binary_copy, bit_errors

    start = time.perf_counter()
    history = train_copy(model, **mode["training"], seed=seed)
    errors = {}
    for L in (mode["test_length"], 2 * mode["test_length"]):
        test = binary_copy(200, L, seed=seed + 1000 + L)
        Y, _ = model.forward(test.inputs)
        errors[L] = float(bit_errors(Y, test).mean())
    value = errors[mode["test_length"]]
    curve = history["loss"]
    return {
        "task": "binary_copy",
        "metric": f"bit errors per sequence, copy of length {mode['test_length']}",
        "value": value,
        "target": 1.0,
        "higher_is_better": False,
        "target_source": target_source,
        "passed": bool(value <= 1.0),
        "seconds": time.perf_counter() - start,
        "curve": [float(np.mean(curve[i : i + 10])) for i in range(0, len(curve), 10)],
        "details": {
            "bit_errors_by_length": errors,
            "training_sequences": mode["training"]["batch_size"] * len(curve),
            "training": dict(mode["training"]),
            "model": dict(mode["model"]),
        },
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="ntm",
    title="Neural Turing machine",
    cls=NTM,
    family="memory-augmented",
    year=2014,
    reference=(
        'A. Graves, G. Wayne and I. Danihelka, "Neural Turing machines", arXiv:1410.5401, 2014; '
        'memory initialisation: M. Collier and J. Beel, "Implementing neural Turing machines", '
        "ICANN 2018"
    ),
    task="binary_copy",
    trainable=True,
    recipe={"run": compare_run},
    summary=(
        "A controller with an external memory read and written through soft attention: "
        "content and location addressing, erase-then-add writes."
    ),
    examples=(
        {"output_size": 2, "controller_size": 3, "memory_slots": 5, "word_size": 3},
        {
            "output_size": 3,
            "controller": "feedforward",
            "controller_size": 4,
            "memory_slots": 6,
            "word_size": 2,
            "read_heads": 2,
            "write_heads": 2,
            "shift_range": 2,
            "memory_init": "learned",
        },
        {
            "output_size": 1,
            "controller_size": 2,
            "memory_slots": 4,
            "word_size": 2,
            "read_heads": 2,
            "shift_range": 0,
            "memory_init": "random",
        },
    ),
)
