r"""Differentiable neural computer: a controller with a memory it allocates and links in time.

Graves et al. (2016) kept the neural Turing machine's picture -- a controller network reading
and writing an external memory :math:`M_t` of ``N`` slots of ``W`` numbers through soft
weightings -- and replaced its location addressing by two mechanisms that do not depend on
where things sit in memory: *dynamic allocation* (a usage per slot; writes go to free slots,
and read heads free what they have read) and *temporal linkage* (a link matrix that records
the order of writes, so that a read head can walk forwards or backwards through it). At step
:math:`t`, with ``R`` read heads and one write head (the paper's methods section; the blocks
are in :mod:`recurrent_zoo._core.dnc_memory` and :mod:`recurrent_zoo._core.memory`):

1. The controller reads :math:`\chi_t = [x_t; r^1_{t-1}; \dots; r^R_{t-1}]`: an LSTM
   (PyTorch's equations, as :class:`recurrent_zoo.lstm.LSTM`) or a feedforward layer
   :math:`h_t = \tanh(W_c \chi_t + b_c)`. A linear layer maps :math:`h_t` to the *interface
   vector* :math:`\xi_t = W_\xi h_t + b_\xi`, cut into read keys :math:`k^{r,i}_t`, read
   strengths :math:`\beta^{r,i}_t = \operatorname{oneplus}(\hat\beta^{r,i}_t)`, the write key
   :math:`k^w_t` and strength :math:`\beta^w_t`, the erase vector :math:`e_t = \sigma(\hat e_t)`,
   the write vector :math:`v_t`, free gates :math:`f^i_t = \sigma(\hat f^i_t)`, the
   allocation and write gates :math:`g^a_t, g^w_t` (sigmoids) and the read modes
   :math:`\pi^i_t = \operatorname{softmax}(\hat\pi^i_t)`.
2. Allocation: retention :math:`\psi_t = \prod_i (1 - f^i_t w^{r,i}_{t-1})`, usage
   :math:`u_t = (u_{t-1} + w^w_{t-1} - u_{t-1} \circ w^w_{t-1}) \circ \psi_t`, and the
   allocation weighting :math:`a_t` (the least used slots first, by sorting :math:`u_t`).
3. Write: :math:`c^w_t = \mathcal{C}(M_{t-1}, k^w_t, \beta^w_t)` (content weighting, cosine
   similarity), :math:`w^w_t = g^w_t (g^a_t a_t + (1 - g^a_t) c^w_t)`, and
   :math:`M_t = M_{t-1} \circ (E - w^w_t e_t^\top) + w^w_t v_t^\top`.
4. Temporal links: :math:`L_t[i, j] = (1 - w^w_t[i] - w^w_t[j]) L_{t-1}[i, j] + w^w_t[i]
   p_{t-1}[j]` (zero diagonal), :math:`p_t = (1 - \sum_i w^w_t[i]) p_{t-1} + w^w_t`.
5. Read: forward :math:`f^i_t = L_t w^{r,i}_{t-1}` and backward
   :math:`b^i_t = L_t^\top w^{r,i}_{t-1}` weightings, content
   :math:`c^{r,i}_t = \mathcal{C}(M_t, k^{r,i}_t, \beta^{r,i}_t)`, mixed by the read modes
   :math:`w^{r,i}_t = \pi^i_t[1] b^i_t + \pi^i_t[2] c^{r,i}_t + \pi^i_t[3] f^i_t`, and read
   :math:`r^i_t = M_t^\top w^{r,i}_t`.
6. The output (logits): :math:`y_t = W_y [h_t; r^1_t; \dots; r^R_t] + b_y` (the paper's
   :math:`\nu_t + W_r [r^1_t; \dots; r^R_t]`, one matrix).

Every sequence starts from zeros -- controller, read vectors, weightings, usage, precedence,
links and memory -- as in the paper and DeepMind's code; none of it is learned. The state is the
tuple ``(h, c, reads, read_weights, write_weights, usage, precedence, link, memory)`` for an
LSTM controller (without ``h, c`` for a feedforward one), of shapes ``(B, H)``, ``(B, H)``,
``(B, R, W)``, ``(B, R, N)``, ``(B, N)``, ``(B, N)``, ``(B, N)``, ``(B, N, N)``, ``(B, N, W)``.

Backpropagation through time runs the steps in reverse, each block through its own backward
in the reverse of the forward order; the gradient through the sort in the allocation flows
through the sorted values only (the permutation is piecewise constant, as in DeepMind's
reference). As in :mod:`recurrent_zoo.ntm`, the input's share of the controller and the output
layer are one matrix product over all steps, the weight gradients too, the memory is kept
slot-minor ``(B, W, N)`` inside the loop, and a padded batch reads each final state at the
sequence's own length.

**Sparse links** (``sparse_links=K``). The dense link matrix costs :math:`O(N^2)` time and
memory a step, fine for the tens to hundreds of slots of the paper's tasks. For thousands of
slots the paper ("Sparse link matrix") keeps only the ``K`` largest entries of the write
weighting and of the previous precedence, :math:`\hat w^w_t` and :math:`\hat p_{t-1}`,
updates

.. math::

    \hat L_t[i, j] = (1 - \hat w^w_t[i] - \hat w^w_t[j]) \hat L_{t-1}[i, j]
        + \hat w^w_t[i] \hat p_{t-1}[j], \qquad \hat L_t[i, i] = 0,

and prunes :math:`\hat L_t` to at most ``K`` non-zeros per row and per column; the forward
and backward weightings are then sparse products. A step costs :math:`O(N \log N)` (the
allocation's sort and the top-``K`` selections; the rest is :math:`O(N K + N W)`) and the
links take :math:`O(N K)` memory. Two details differ from the paper's text, so that with
``K >= memory_slots`` the sparse links *are* the dense ones (tested: outputs, state and every
gradient to 1e-12): the kept ``K`` values are rescaled to the weighting's own mass rather than
to 1 (the same for a full write; a half-shut write gate stays a half write), and each row and
column keeps its ``K`` largest entries rather than those above :math:`1/K` (every entry the
paper keeps is kept, with the same bound of ``K`` per row and column). The selections and the
pruning carry no gradient, as the allocation's sort (see
:func:`recurrent_zoo._core.dnc_memory.sparse_link_update`). The state then holds the links as
``link_values`` and ``link_columns``, both ``(B, N, K')`` with ``K' = min(K, N - 1)``, in
place of ``link``: ``L[b, i, link_columns[b, i, e]] = link_values[b, i, e]`` (the columns are
whole numbers kept in the float dtype; their gradient is zero).
:func:`recurrent_zoo._core.dnc_memory.sparse_link_to_dense` gives the dense matrix back.
``benchmarks/bench_dnc_sparse_links.py`` times a step against ``N`` (64 ... 4096), dense and
sparse.

Reference
---------
A. Graves, G. Wayne, M. Reynolds, T. Harley, I. Danihelka, A. Grabska-Barwinska et al.,
"Hybrid computing using a neural network with dynamic external memory", Nature 538:471-476,
2016 (Methods). DeepMind's reference implementation: github.com/google-deepmind/dnc.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from ._core import dnc_memory as dm
from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.memory import (
    content_weighting,
    content_weighting_backward,
    read,
    read_backward,
    write,
    write_backward,
)
from ._core.ops import softmax
from ._core.validation import NDArray, check_choice, check_positive_int
from .catalogue import Entry

__all__ = ["DNC", "COMPARE_SETTINGS", "compare_run", "copy_experiment"]

#: the names of the state's arrays after the controller's (h, c)
MEMORY_STATE = (
    "reads",
    "read_weights",
    "write_weights",
    "usage",
    "precedence",
    "link",
    "memory",
)
#: the same with sparse links: the link as row-wise values and their columns
SPARSE_MEMORY_STATE = (*MEMORY_STATE[:5], "link_values", "link_columns", "memory")


class DNC(SequenceModel):
    """Differentiable neural computer (Graves et al. 2016).

    Parameters
    ----------
    input_size : int
        Number of input features ``I``.
    output_size : int
        Number of outputs ``O`` (logits).
    controller : {"lstm", "feedforward"}, default "lstm"
    controller_size : int, default 64
        Units ``H`` of the controller.
    memory_slots : int, default 16
        Slots ``N`` of the memory.
    word_size : int, default 16
        Numbers ``W`` in a slot.
    read_heads : int, default 4
        Read heads ``R`` (one write head, as in the paper).
    sparse_links : int, optional
        ``K``: keep the temporal link matrix sparse, with at most ``K`` non-zeros per row and
        column (the paper's approximation for large memories; it uses ``K = 8``). ``None``
        (default): dense links. With ``K >= memory_slots`` the result equals the dense links.
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Notes
    -----
    Parameters (``P = R W + 3 W + 5 R + 3`` interface numbers, in the paper's order, see
    :func:`recurrent_zoo._core.dnc_memory.interface_layout`):

    - LSTM controller: ``controller_weight_ih`` ``(4H, I + R W)``, ``controller_weight_hh``
      ``(4H, H)``, ``controller_bias`` ``(4H,)``, gates in PyTorch's order (i, f, g, o); the
      forget gate's bias starts at 1. Feedforward: ``controller_weight`` ``(H, I + R W)``,
      ``controller_bias`` ``(H,)``.
    - ``interface_weight`` ``(P, H)``, ``interface_bias`` ``(P,)``;
      ``output_weight`` ``(O, H + R W)``, ``output_bias`` ``(O,)``.

    Examples
    --------
    >>> import numpy as np
    >>> dnc = DNC(5, 4, controller_size=12, memory_slots=8, word_size=6, read_heads=2, seed=0)
    >>> X = np.random.default_rng(0).integers(0, 2, size=(7, 3, 5))   # (T, B, I)
    >>> Y, state = dnc.forward(X)
    >>> h, c, reads, read_w, write_w, usage, precedence, link, memory = state
    >>> Y.shape, read_w.shape, link.shape, memory.shape
    ((7, 3, 4), (3, 2, 8), (3, 8, 8), (3, 8, 6))
    >>> bool((usage >= 0).all() and (usage <= 1).all() and (np.diagonal(link, 0, 1, 2) == 0).all())
    True
    >>> dX = dnc.backward(np.ones_like(Y))
    >>> dnc.grads["interface_weight"].shape                          # P = 12 + 18 + 10 + 3
    (43, 12)

    A memory of 1024 slots with the paper's sparse links: the links are stored as ``K = 8``
    entries per row.

    >>> big = DNC(5, 4, controller_size=12, memory_slots=1024, word_size=6, read_heads=2,
    ...           sparse_links=8, seed=0)
    >>> Y, state = big.forward(X)
    >>> link_values, link_columns = state[7], state[8]
    >>> link_values.shape
    (3, 1024, 8)
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        controller: str = "lstm",
        controller_size: int = 64,
        memory_slots: int = 16,
        word_size: int = 16,
        read_heads: int = 4,
        sparse_links: int | None = None,
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
        if sparse_links is not None:
            sparse_links = check_positive_int(sparse_links, "sparse_links")
        self.sparse_links = sparse_links
        rng = make_rng(seed)
        I, O, H = self.input_size, self.output_size, self.controller_size
        W, R = self.word_size, self.read_heads
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
        self._layout = dm.interface_layout(R, W)
        P = self._layout["size"]
        p["interface_weight"] = uniform((P, H), bound, rng, dt)
        p["interface_bias"] = uniform((P,), bound, rng, dt)
        out_bound = 1.0 / np.sqrt(H + R * W)
        p["output_weight"] = uniform((O, H + R * W), out_bound, rng, dt)
        p["output_bias"] = uniform((O,), out_bound, rng, dt)

    @classmethod
    def equations(cls) -> list[Any]:
        """The allocation and temporal-link equations (Graves et al. 2016, Methods).

        Examples
        --------
        >>> [str(eq.lhs) for eq in DNC.equations()]
        ['psi_t', 'u_t', 'w^w_t', 'p_t', 'L_t[i, j]', 'w^r_t']
        """
        import sympy as sp

        i, j, r, R, N = sp.symbols("i j r R N", integer=True)
        f, wrp = sp.Function("f_t"), sp.Function("w^r_{t-1}")
        u, up, wwp, ww = (
            sp.Symbol("u_t"),
            sp.Symbol("u_{t-1}"),
            sp.Symbol("w^w_{t-1}"),
            sp.Symbol("w^w_t"),
        )
        psi = sp.Symbol("psi_t")
        ga, gw, a, cw = sp.symbols("g^a_t g^w_t a_t c^w_t")
        p, pp = sp.Symbol("p_t"), sp.Symbol("p_{t-1}")
        wwi = sp.Function("w^w_t")
        L, Lp, ppj = sp.IndexedBase("L_t"), sp.IndexedBase("L_{t-1}"), sp.Function("p_{t-1}")
        pi1, pi2, pi3, b, c, fw = sp.symbols("pi_1 pi_2 pi_3 b_t c^r_t f_t")
        return [
            sp.Eq(psi, sp.Product(1 - f(r) * wrp(r), (r, 1, R)), evaluate=False),
            sp.Eq(u, (up + wwp - up * wwp) * psi, evaluate=False),
            sp.Eq(ww, gw * (ga * a + (1 - ga) * cw), evaluate=False),
            sp.Eq(p, (1 - sp.Sum(wwi(i), (i, 1, N))) * pp + ww, evaluate=False),
            sp.Eq(L[i, j], (1 - wwi(i) - wwi(j)) * Lp[i, j] + wwi(i) * ppj(j), evaluate=False),
            sp.Eq(sp.Symbol("w^r_t"), pi1 * b + pi2 * c + pi3 * fw, evaluate=False),
        ]

    # ------------------------------------------------------------------ state
    def initial_state(self, batch_size: int) -> State:
        """Zeros everywhere (the paper's and DeepMind's start): controller, read vectors,
        weightings, usage, precedence, links and memory."""
        B, H, N, W, R = (
            batch_size,
            self.controller_size,
            self.memory_slots,
            self.word_size,
            self.read_heads,
        )
        z = lambda *shape: np.zeros(shape, self.dtype)  # noqa: E731
        if self.sparse_links is None:
            link: tuple[NDArray, ...] = (z(B, N, N),)
        else:
            link = dm.sparse_link_init(B, N, self.sparse_links, self.dtype)
        rest = (z(B, R, W), z(B, R, N), z(B, N), z(B, N), z(B, N), *link, z(B, N, W))
        if self.controller == "lstm":
            return (z(B, H), z(B, H), *rest)
        return rest

    def random_state(self, batch_size: int, seed: Any = None) -> State:
        """A random valid state, for tests: weightings and precedence are (sub-)distributions,
        usages in (0, 1), links non-negative with rows and columns summing to at most 1 and a
        zero diagonal.

        Examples
        --------
        >>> state = DNC(2, 1, controller_size=3, memory_slots=4, word_size=2,
        ...             read_heads=2).random_state(5, 0)
        >>> [a.shape for a in state]                    # doctest: +NORMALIZE_WHITESPACE
        [(5, 3), (5, 3), (5, 2, 2), (5, 2, 4), (5, 4), (5, 4), (5, 4), (5, 4, 4), (5, 4, 2)]
        """
        rng = make_rng(seed)
        B, N = batch_size, self.memory_slots
        template = self.initial_state(B)
        out = [(0.5 * rng.standard_normal(a.shape)).astype(self.dtype) for a in template]
        k = len(out) - len(self._memory_state_names)
        out[k + 1] = 0.9 * softmax(rng.standard_normal(template[k + 1].shape))
        out[k + 2] = 0.9 * softmax(rng.standard_normal((B, N)))
        out[k + 3] = rng.uniform(0.05, 0.95, size=(B, N))
        out[k + 4] = 0.9 * softmax(rng.standard_normal((B, N)))
        if self.sparse_links is None:
            link = rng.uniform(size=(B, N, N)) / N
            link[:, np.arange(N), np.arange(N)] = 0.0
            out[k + 5] = link
        else:  # K' distinct off-diagonal columns per row, each column used K' times
            K = template[k + 5].shape[-1]
            cols = np.empty((B, N, K))
            for b in range(B):
                s = rng.permutation(N)
                cols[b, s] = s[(np.arange(N)[:, None] + 1 + np.arange(K)) % N]
            out[k + 5] = rng.uniform(size=(B, N, K)) / (2 * K)
            out[k + 6] = cols
        return tuple(a.astype(self.dtype) for a in out)

    @property
    def _memory_state_names(self) -> tuple[str, ...]:
        return MEMORY_STATE if self.sparse_links is None else SPARSE_MEMORY_STATE

    def _check_memory_state(self, parts: tuple[NDArray, ...]) -> None:
        """Weightings, usage and precedence must be non-negative, usage at most 1 (the
        allocation divides by the mapped usage, which must stay positive)."""
        k = 2 if self.controller == "lstm" else 0
        N = self.memory_slots
        for i, (name, a) in enumerate(zip(MEMORY_STATE[1:5], parts[1:5], strict=True)):
            if (a < 0).any():
                i = k + 1 + i
                raise ValueError(f"state: the {name} (state[{i}]) must be non-negative")
        if (parts[3] > 1).any():
            raise ValueError(f"state: the usage (state[{k + 3}]) must lie in [0, 1]")
        if self.sparse_links is not None:  # the pruning ranks the values: they must be >= 0
            if (parts[5] < 0).any():
                raise ValueError(f"state: the link_values (state[{k + 5}]) must be non-negative")
            cols = parts[6]
            near = np.rint(cols)
            if (np.abs(cols - near) > 0.25).any() or (near < 0).any() or (near >= N).any():
                raise ValueError(
                    f"state: the link columns (state[{k + 6}]) must be whole numbers in [0, {N})"
                )
            if (np.diff(np.sort(near, axis=-1), axis=-1) == 0).any():
                raise ValueError(
                    f"state: the link columns (state[{k + 6}]) must be distinct within a row"
                )

    # ------------------------------------------------------------------ forward
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        p, dt = self.params, self.dtype
        H, N, W, R = self.controller_size, self.memory_slots, self.word_size, self.read_heads
        lstm = self.controller == "lstm"
        if lstm:
            h, c, *mem_state = state
        else:
            mem_state = list(state)
            h = c = np.zeros((B, H), dt)
        self._check_memory_state(tuple(mem_state))
        sparse = self.sparse_links
        if sparse is None:
            reads, read_w, write_w, usage, prec, link, memory = mem_state
        else:
            reads, read_w, write_w, usage, prec, link_values, link_cols, memory = mem_state
            link = (link_values, np.rint(link_cols))

        # the controller's pre-activations: the input's share for all steps at once. An LSTM's
        # gates are computed in the order (i, f, o, g) (three sigmoids on one block); the
        # parameters keep PyTorch's (i, f, g, o).
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
        A = (X.reshape(T * B, I) @ W_x.T).reshape(T, B, G)
        A += bias
        Z = np.empty((T, B, W_rec.shape[0]), dt)  # [r_{t-1}; h_{t-1}] of each step
        W_if_T = p["interface_weight"].T  # (H, P)
        Hs = np.empty((T + 1, B, H), dt)  # controller outputs, Hs[t + 1] = h_t
        Cs = np.empty((T + 1, B, H), dt) if lstm else None
        TC = np.empty((T, B, H), dt) if lstm else None  # tanh(c_t)
        Rs = np.empty((T + 1, B, R, W), dt)
        WR = np.empty((T + 1, B, R, N), dt)  # read weightings
        WW = np.empty((T + 1, B, N), dt)  # write weightings
        U = np.empty((T + 1, B, N), dt)  # usage
        Pr = np.empty((T + 1, B, N), dt)  # precedence
        Ls = [link]  # link matrices, (B, N, N), or sparse: (values, columns), each (B, N, K)
        Ms = [np.ascontiguousarray(memory.transpose(0, 2, 1))]  # slot-minor (B, W, N)
        Hs[0], Rs[0], WR[0], WW[0], U[0], Pr[0] = h, reads, read_w, write_w, usage, prec
        if lstm:
            Cs[0] = c
        caches = []
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
            raw = Hs[t + 1] @ W_if_T
            raw += p["interface_bias"]
            xi, xi_cache = dm.parse_interface(raw, R, W)
            # allocation: retention, usage, allocation weighting
            psi = dm.retention(xi["free_gates"], WR[t])
            U[t + 1] = dm.usage_update(U[t], WW[t], psi)
            alloc, alloc_cache = dm.allocation(U[t + 1])
            # write: content weighting on M_{t-1}, write weighting, erase then add
            cw, cw_cache = content_weighting(xi["write_key"], xi["write_strength"], Ms[t])
            ww = dm.write_weighting(alloc, cw[:, 0], xi["allocation_gate"], xi["write_gate"])
            WW[t + 1] = ww
            new_memory, write_cache = write(Ms[t], ww[:, None], xi["erase"], xi["write_vector"])
            Ms.append(new_memory)
            # temporal links, then precedence
            if sparse is None:
                Ls.append(dm.link_update(Ls[t], ww, Pr[t]))
                link_cache = None
            else:  # top-K write weighting and previous precedence, then the sparse update
                w_idx, w_val, w_cache = dm.top_k_weighting(ww, sparse)
                p_idx, p_val, p_cache = dm.top_k_weighting(Pr[t], sparse)
                *new_link, up_cache = dm.sparse_link_update(*Ls[t], w_idx, w_val, p_idx, p_val)
                Ls.append(tuple(new_link))
                link_cache = (w_cache, p_cache, up_cache)
            Pr[t + 1] = dm.precedence_update(Pr[t], ww)
            # read: forward, backward and content weightings, mixed by the read modes
            if sparse is None:
                fw, bw = dm.directional_weightings(Ls[t + 1], WR[t])
            else:
                fw, bw = dm.sparse_directional_weightings(*Ls[t + 1], WR[t])
            cr, cr_cache = content_weighting(xi["read_keys"], xi["read_strengths"], new_memory)
            WR[t + 1] = dm.read_weighting(bw, cr, fw, xi["read_modes"])
            Rs[t + 1] = read(new_memory, WR[t + 1])
            caches.append(
                (xi, xi_cache, psi, alloc, alloc_cache, cw, cw_cache, write_cache, fw, bw, cr,
                 cr_cache, link_cache)
            )  # fmt: skip

        # the output layer, for all steps at once: y_t = W_y [h_t; r_t] + b_y
        F = np.concatenate([Hs[1:], Rs[1:].reshape(T, B, R * W)], axis=2)  # (T, B, H + R W)
        Y = (F.reshape(T * B, -1) @ p["output_weight"].T).reshape(T, B, -1)
        Y += p["output_bias"]
        cols = np.arange(B)

        # sparse: the link's values and columns side by side, (B, N, 2K), to pick them together
        def link_at(n: int) -> NDArray:
            return Ls[n] if sparse is None else np.concatenate(Ls[n], axis=-1)

        if lengths is None:
            last = np.full(B, T)
            final_link = link_at(T).copy()
            final_memory = Ms[T].transpose(0, 2, 1).copy()
        else:
            last = lengths
            Y *= (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
            steps = {int(n): link_at(int(n)) for n in set(lengths.tolist())}
            final_link = np.stack([steps[int(n)][b] for b, n in enumerate(lengths)])
            final_memory = np.stack([Ms[int(n)][b].T for b, n in enumerate(lengths)])
        final_links = (final_link,) if sparse is None else tuple(np.split(final_link, 2, -1))
        final: tuple[NDArray, ...] = (
            Rs[last, cols],
            WR[last, cols],
            WW[last, cols],
            U[last, cols],
            Pr[last, cols],
            *final_links,
            final_memory,
        )
        if lstm:
            final = (Hs[last, cols], Cs[last, cols], *final)
        self._cache = (X, lengths, A, Z, Hs, Cs, TC, Rs, WR, WW, U, Pr, Ls, Ms, F, caches, rows)
        return Y, final

    # ------------------------------------------------------------------ backward
    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, lengths, A, Z, Hs, Cs, TC, Rs, WR, WW, U, Pr, Ls, Ms, F, caches, rows = self._cache
        T, B, I = X.shape
        p, dt = self.params, self.dtype
        H, W, R = self.controller_size, self.word_size, self.read_heads
        lstm = self.controller == "lstm"
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
        W_if = p["interface_weight"]
        dstate = tuple(dstate)
        if not lstm:
            dstate = (np.zeros((B, H), dt), np.zeros((B, H), dt), *dstate)
        # the memory's gradient in the slot-minor layout of the loop
        sparse = self.sparse_links
        # (h, c, reads, read weights, write weights, usage, precedence, link, memory): with
        # sparse links, "link" is the values' gradient (the columns pass none)
        dstate = (*dstate[:8], np.ascontiguousarray(dstate[-1].transpose(0, 2, 1)))
        # carried gradients: h, c, reads, read weights, write weights, usage, precedence, link,
        # memory; the gradient of each sequence's final state enters at its own last step
        enter: dict[int, Any] = {}
        if lengths is None:
            carry = [a.copy() for a in dstate]
        else:
            carry = [np.zeros_like(a) for a in dstate]
            for b, n in enumerate(lengths):
                enter.setdefault(int(n), []).append(b)
            enter = {n: np.array(c) for n, c in enter.items()}
        dA = np.empty_like(A)  # (T, B, G) at the controller's pre-activations
        dRAW = np.empty((T, B, self._layout["size"]), dt)  # at the interface layer's output
        for t in reversed(range(T)):
            cols = enter.get(t + 1)
            if cols is not None:
                for a, d in zip(carry, dstate, strict=True):
                    a[cols] += d[cols]
            dh, dc, dr, dwr, dww, du, dp, dL, dM = carry
            dh = dh + dF[t, :, :H]
            dr = dr + dF[t, :, H:].reshape(B, R, W)
            xi, xi_cache, psi, alloc, alloc_cache, cw, cw_cache, write_cache = caches[t][:8]
            fw, bw, cr, cr_cache, link_cache = caches[t][8:]
            M_new = Ms[t + 1]
            dxi: dict[str, NDArray] = {}
            # read
            dM_read, dwr_read = read_backward(dr, M_new, WR[t + 1])
            dM = dM + dM_read
            dwr = dwr + dwr_read
            # read modes, content and directional weightings
            dbw, dcr, dfw, dxi["read_modes"] = dm.read_weighting_backward(
                dwr, bw, cr, fw, xi["read_modes"]
            )
            dxi["read_keys"], dxi["read_strengths"], dM_c = content_weighting_backward(
                dcr, cr_cache
            )
            dM += dM_c
            ww = WW[t + 1]
            if sparse is None:
                dL_dir, dwr_prev = dm.directional_weightings_backward(dfw, dbw, Ls[t + 1], WR[t])
            else:
                dL_dir, dwr_prev = dm.sparse_directional_weightings_backward(
                    dfw, dbw, *Ls[t + 1], WR[t]
                )
            dL = dL + dL_dir
            # precedence and links
            dp_prev, dww_p = dm.precedence_update_backward(dp, Pr[t], ww)
            if sparse is None:
                dL_prev, dww_l, dp_prev_l = dm.link_update_backward(dL, Ls[t], ww, Pr[t])
            else:
                w_cache, p_cache, up_cache = link_cache
                dL_prev, dw_val, dp_val = dm.sparse_link_update_backward(dL, up_cache)
                dww_l = dm.top_k_weighting_backward(dw_val, w_cache)
                dp_prev_l = dm.top_k_weighting_backward(dp_val, p_cache)
            dp_prev += dp_prev_l
            # write
            dM_prev, dww_w, derase, dv = write_backward(dM, write_cache)
            dxi["erase"], dxi["write_vector"] = derase, dv
            dww_t = dww + dww_p + dww_l + dww_w[:, 0]
            dalloc, dcw, dxi["allocation_gate"], dxi["write_gate"] = dm.write_weighting_backward(
                dww_t, alloc, cw[:, 0], xi["allocation_gate"], xi["write_gate"]
            )
            dxi["write_key"], dxi["write_strength"], dM_cw = content_weighting_backward(
                dcw[:, None], cw_cache
            )
            dM_prev += dM_cw
            # allocation: usage, retention
            du_t = du + dm.allocation_backward(dalloc, alloc_cache)
            du_prev, dww_prev, dpsi = dm.usage_update_backward(du_t, U[t], WW[t], psi)
            dxi["free_gates"], dwr_ret = dm.retention_backward(dpsi, xi["free_gates"], WR[t])
            dwr_prev += dwr_ret
            # the interface layer and the controller
            draw = dm.parse_interface_backward(dxi, xi_cache)
            dRAW[t] = draw
            dh += draw @ W_if
            da = dA[t]
            g = A[t]
            if lstm:
                i_, f_, o_, gg = g[:, :H], g[:, H : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
                tc = TC[t]
                dc = dc + dh * o_ * (1.0 - tc * tc)
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
                dc = np.zeros((B, H), dt)
            dz = da @ W_rec  # (B, R W [+ H])
            dr = dz[:, : R * W].reshape(B, R, W).copy()
            dh = dz[:, R * W :].copy() if lstm else np.zeros((B, H), dt)
            carry = [dh, dc, dr, dwr_prev, dww_prev, du_prev, dp_prev, dL_prev, dM_prev]
        if lengths is not None and 0 in enter:  # empty sequences: the state passes through
            cols = enter[0]
            for a, d in zip(carry, dstate, strict=True):
                a[cols] += d[cols]

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
        dRAW2 = dRAW.reshape(T * B, -1)
        grads["interface_weight"] = dRAW2.T @ Hs[1:].reshape(T * B, H)
        grads["interface_bias"] = dRAW2.sum(axis=0)
        self.grads = {k: grads[k].astype(dt, copy=False) for k in p}
        carry[8] = carry[8].transpose(0, 2, 1).copy()  # back to the state's (B, N, W)
        if sparse is not None:  # the link columns' gradient: zeros
            carry = [*carry[:8], np.zeros_like(carry[7]), carry[8]]
        dstate0 = tuple(carry) if lstm else tuple(carry[2:])
        return dX.reshape(T, B, I), dstate0


# ----------------------------------------------------------------------------- comparison
#: ``compare_run``'s quick mode: the network, the training lengths and the budget
COMPARE_SETTINGS: dict[str, dict[str, Any]] = {
    "quick": {
        "model": {"controller_size": 32, "memory_slots": 16, "word_size": 8, "read_heads": 1},
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
    # the paper's controller and DeepMind's default memory (LSTM 64, 16 x 16, 4 read heads)
    "full": {
        "model": {"controller_size": 64, "memory_slots": 16, "word_size": 16, "read_heads": 4},
        "test_length": 10,
        "training": {
            "lengths": (1, 10),
            "batch_size": 16,
            "batches": 2000,
            "optimizer": "adam",
            "lr": 3e-3,
            "lr_drop": 1500,
            "clip_norm": 10.0,
        },
    },
}


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """The catalogue's comparison run: Graves et al.'s copy task, scored in bit errors.

    The same experiment as the NTM's (:func:`recurrent_zoo.ntm.compare_run`), so that the two
    sit side by side: fresh batches of :func:`~recurrent_zoo.tasks.binary_copy` sequences
    (trained by :func:`recurrent_zoo.ntm.train_copy`), scored on 200 held-out sequences of the
    longest training length (and of twice that, in ``details``) as the mean number of wrong
    bits per sequence. ``quick``: a small DNC (32 controller units, 16 x 8 memory, one read
    head) on lengths 1 to 5, the NTM's quick budget of 600 batches of 16 (seeds 0, 1, 2
    measured 0.04, 0.14 and 0.14 wrong bits per sequence of length 5; smaller budgets in
    ``benchmarks/results/dnc_copy_pilots.txt``); otherwise the
    paper's controller with DeepMind's default memory on lengths 1 to 10 (a setting not yet
    measured: it may need a larger budget). See :data:`COMPARE_SETTINGS`.

    Examples
    --------
    >>> COMPARE_SETTINGS["quick"]["training"]["lengths"]
    (1, 5)
    """
    return copy_experiment(COMPARE_SETTINGS["quick" if quick else "full"], seed)[1]


def copy_experiment(mode: dict[str, Any], seed: int = 0) -> tuple[DNC, dict[str, Any]]:
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
    from .ntm import score_copy

    model = DNC(9, 8, **mode["model"], seed=seed)
    target_source = (
        "the NTM's copy target in this library (Graves et al. 2014, figure 3: near-perfect "
        "copies at the training lengths); the DNC paper reports no copy numbers"
    )
    return model, score_copy(model, mode, seed, target_source)


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="dnc",
    title="Differentiable neural computer",
    cls=DNC,
    family="memory-augmented",
    year=2016,
    reference=(
        "A. Graves, G. Wayne, M. Reynolds, T. Harley, I. Danihelka, A. Grabska-Barwinska et "
        'al., "Hybrid computing using a neural network with dynamic external memory", Nature '
        "538:471-476, 2016"
    ),
    task="binary_copy",
    trainable=True,
    recipe={"run": compare_run},
    summary=(
        "The NTM's successor: writes go to free slots (usage, free gates, allocation by sorted "
        "usage) and a temporal link matrix lets read heads replay writes in order."
    ),
    examples=(
        {
            "output_size": 2,
            "controller_size": 3,
            "memory_slots": 4,
            "word_size": 3,
            "read_heads": 1,
        },
        {
            "output_size": 3,
            "controller": "feedforward",
            "controller_size": 4,
            "memory_slots": 5,
            "word_size": 2,
            "read_heads": 2,
        },
        {  # sparse links small enough that the pruning acts
            "output_size": 2,
            "controller_size": 3,
            "memory_slots": 6,
            "word_size": 2,
            "read_heads": 1,
            "sparse_links": 2,
        },
    ),
)
