r"""Neural history compressor (neural sequence chunker), Schmidhuber (1991, 1992).

**The principle of history compression.** A predictor that has seen a sequence up to step
:math:`t` and predicts its next input carries no new information in the inputs it predicted
correctly: the sequence is described without loss by its *unpredicted* inputs and the steps at
which they occurred. So a stack of recurrent predictors can divide and conquer: the lowest,
the **automatiser**, reads every input and learns to predict the next; only the inputs it fails
to predict -- surprises -- go up, with their time stamps, to the next level, the **chunker**,
which runs on that much shorter sequence and learns to predict *its* next input; and so on for
any number of levels. A dependency spanning hundreds of predictable steps becomes a few steps
apart at the level where the surprising events meet.

Each level :math:`l` is a simple recurrent net (an :class:`~recurrent_zoo.elman.Elman` layer)
with a linear readout, run over its own events :math:`e^{(l)}_1, e^{(l)}_2, \dots`:

.. math::

    h^{(l)}_k = \tanh\left(W^{(l)} e^{(l)}_k + R^{(l)} h^{(l)}_{k-1} + b^{(l)}\right), \qquad
    o^{(l)}_k = V^{(l)} h^{(l)}_k + c^{(l)} = \bigl[\,p^{(l)}_k;\ d^{(l)}_k;\ q^{(l)}_k\,\bigr]

where :math:`p_k` (softmax) predicts the next event's symbol, :math:`d_k` (logistic) its
teaching vector, and :math:`q_k` (linear) the state of the level above -- the collapse term
below. An event is the vector :math:`e = [\,\mathrm{onehot}(x);\ d;\ \delta\,]`: the input
symbol, the task's target for the previous step if there is one (:math:`\delta = 1`; "if there
is a target, it becomes part of the next input") and, with ``time_stamps``, :math:`1/\Delta t`,
the reciprocal of the steps since the level's previous event. Level 0's events are all the
inputs; event :math:`e^{(l)}_{k+1}` goes up to level :math:`l + 1` when level :math:`l`
predicted it badly:

.. math::

    p^{(l)}_k[x_{k+1}] < \theta \quad\text{or}\quad
    \delta_{k+1} = 1 \text{ and } \max_i \bigl|\sigma(d^{(l)}_k)_i - d_{k+1,i}\bigr| > 1 - \theta

with :math:`\theta` the ``threshold`` (0.9: a surprise is any input given less than 90 %).

**Training** is online and unsupervised plus the task's targets, each level on its own events:
cross-entropy of the next symbol, binary cross-entropy of the next teaching vector (at level
:math:`l > 0` only where level :math:`l - 1` failed on it: "C will try to make :math:`d_C` equal
to the teaching vector if A failed to emit it"), and for every level below the top the
**collapse** term

.. math:: \lambda \,\bigl\| q^{(l)}_k - h^{(l+1)}(\tau_k) \bigr\|^2

where :math:`h^{(l+1)}(\tau_k)` is the state of the level above after the step :math:`\tau_k`
of event :math:`k` (held fixed as the target). Predicting the chunker's state forces the
automatiser to build the chunker's internal representations itself, from error signals at every
step rather than only at the rare surprises; once it has, it predicts what used to surprise it,
the chunker receives almost nothing, and the hierarchy has **collapsed** into the automatiser,
one net that bridges the long lags on its own (:attr:`HistoryCompressor.automatiser`).

**The system's prediction** of a target is read off in cascade: the automatiser's, if it is
confident (the larger of :math:`\sigma(d)` and :math:`1 - \sigma(d)` is at least
:math:`\theta`), else the next level's prediction of its next event, and so on up to the top.
A confident level that is right passes nothing up; an unconfident one always passes the event
up, so the level that answers is the one that will be trained on it.

Streams are processed in chunks (:meth:`HistoryCompressor.process`), every level's state
carried from chunk to chunk, with truncated backpropagation through time: within a chunk each
level backpropagates through its own events, starting one event back (its last event of the
previous chunk, recomputed), so that this event's prediction is trained once its successor is
known.

What we could check (Schmidhuber 1992, Neural Computation 4(2), Sects. 2-5, and the 1991
chunker pages it builds on, read through the author's online copies): the principle; the
self-organising multi-level hierarchy; the two-net automatiser/chunker system with the three
terms of the automatiser's error (targets, next input, the chunker's state including its
outputs), the chunker fed the unpredicted input together with its teaching vector and a time
representation, and trained to predict targets only where the automatiser failed; the 22-symbol
experiment (:func:`recurrent_zoo.tasks.long_lag_symbols`: a continuous stream without episode
boundaries; 13 of 17 runs needed fewer than 5,000 training sequences, the rest fewer than
35,000; a conventional net made no progress in 1,000,000; BPTT truncated to 3 steps; no time
representation needed). What we could not: the sizes, learning rates and error threshold of the
experiment are not in those texts; ours are stated in :func:`train_long_lag`. Differences: we
train in chunks with Adam instead of online gradient descent, the automatiser predicts the
chunker's hidden units (not also its outputs), and a "surprise" is a probability below
:math:`\theta` rather than an output error above a margin.

References
----------
J. Schmidhuber, "Learning complex, extended sequences using the principle of history
compression", Neural Computation 4(2):234-242, 1992.

J. Schmidhuber, "Neural sequence chunkers", Technical Report FKI-148-91, Institut für
Informatik, Technische Universität München, 1991.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import io
from ._core.init import make_rng
from ._core.layers import Linear
from ._core.ops import sigmoid, softmax
from ._core.sequence import Stacked
from ._core.validation import (
    NDArray,
    check_array,
    check_dtype,
    check_positive_int,
    check_probability,
    check_real,
)
from .catalogue import Entry
from .elman import Elman

__all__ = [
    "ChunkReport",
    "CompressorState",
    "HistoryCompressor",
    "LevelTrace",
    "compare_run",
    "evaluate_stream",
    "train_long_lag",
]


@dataclass
class CompressorState:
    """Where every level of a batch of streams stands between two chunks.

    Attributes
    ----------
    clock : ndarray of int, shape (B,)
        Steps each stream has run.
    hidden : list of ndarray, each (B, H_l)
        Level ``l``'s state *before* its pending event.
    pending : list of ndarray, each (B, F)
        Level ``l``'s last event, processed but not yet predicted-from (a zero "null" event at a
        stream's start: a level's first real event is predicted from it).
    pending_time : list of ndarray of int, each (B,)
        The step of the pending event (-1 for the null start event).
    carry_target, carry_mask : ndarray, (B, D) and (B,)
        The last step's teaching vector, which rides on the next chunk's first event.
    """

    clock: NDArray
    hidden: list[NDArray]
    pending: list[NDArray]
    pending_time: list[NDArray]
    carry_target: NDArray
    carry_mask: NDArray

    @property
    def batch_size(self) -> int:
        return int(self.clock.shape[0])


@dataclass
class LevelTrace:
    """What one level did on a chunk (rows: its pending event, then its new events).

    Attributes
    ----------
    times : ndarray of int, shape (R, B)
        Step of each row's event; rows past ``counts + 1`` are padding (``-2``).
    counts : ndarray of int, shape (B,)
        New events of each stream in the chunk.
    surprise : ndarray of bool, shape (R - 1, B)
        Whether row ``j + 1``'s event went up (it was predicted badly by row ``j``).
    symbol_prob : ndarray, shape (R, B, S)
        Each row's predicted distribution of the next event's symbol.
    target_prob : ndarray, shape (R, B, D)
        Each row's predicted teaching vector of the next event.
    hidden : ndarray, shape (R, B, H)
        The level's state after each row.
    losses : dict of str to float
        ``symbol``, ``target`` and ``collapse`` losses (means; ``nan`` when nothing counted).
    """

    times: NDArray
    counts: NDArray
    surprise: NDArray
    symbol_prob: NDArray
    target_prob: NDArray
    hidden: NDArray
    losses: dict[str, float] = field(default_factory=dict)


@dataclass
class ChunkReport:
    """The outcome of :meth:`HistoryCompressor.process` on one chunk.

    Attributes
    ----------
    levels : list of LevelTrace
    labels : dict of str to ndarray
        At every labelled step of the chunk (``target_mask`` 1), in (step, stream) order:
        ``"truth"`` ``(n, D)``, ``"step"`` and ``"stream"`` ``(n,)``, ``"by_level"``
        ``(L, n, D)`` each level's current prediction of it, ``"system"`` ``(n, D)`` the
        cascade's answer and ``"answered_by"`` ``(n, D)`` the level that gave it.
    """

    levels: list[LevelTrace]
    labels: dict[str, NDArray]

    @property
    def events(self) -> list[int]:
        """New events per level in the chunk (level 0: every step of every stream)."""
        return [int(tr.counts.sum()) for tr in self.levels]

    def label_accuracy(self, source: Any = "system") -> float:
        """Fraction of labels predicted right (rounded) by ``"system"`` or level ``source``."""
        truth = self.labels["truth"]
        if truth.shape[0] == 0:
            return float("nan")
        pred = self.labels["system"] if source == "system" else self.labels["by_level"][source]
        return float(np.mean(np.all((pred >= 0.5) == (truth >= 0.5), axis=1)))


class HistoryCompressor:
    """Schmidhuber's history compressor: a stack of predictors, each fed the surprises below.

    Parameters
    ----------
    n_symbols : int
        Size ``S`` of the input alphabet (inputs are symbol indices).
    hidden_sizes : sequence of int, default (32, 32)
        Hidden units of each level, the automatiser first; any number of levels.
    target_size : int, default 0
        Size ``D`` of the task's teaching vectors (values in [0, 1]); 0 for pure prediction.
    threshold : float in (0.5, 1), default 0.9
        An input is a surprise when it was given less probability than this (see the module
        docstring); also the confidence the cascade asks of a level's target prediction.
    collapse_weight : float >= 0, default 1.0
        Weight of the term that trains each level to predict the state of the level above
        (0: no collapse).
    time_stamps : bool, default False
        Add ``1 / (steps since the level's previous event)`` to every event.
    lr : float, default 0.01
        Adam's learning rate (one optimizer over all levels).
    clip_norm : float, default 1.0
        Each level's gradient norm is clipped to this before an update.
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    levels : list of Stacked
        Level ``l`` as a sequence model ``Stacked([Elman(F, H_l), Linear(H_l, O_l)])`` over
        events of size ``F`` with outputs ``[symbol logits (S); target logits (D); prediction
        of level l + 1's state (H_{l+1}, not for the top level)]``.
    params : dict of str to ndarray
        Every level's parameters, ``"level{l}.{name}"`` (the same arrays).
    state : CompressorState or None
        The streams' state, set by :meth:`reset` and advanced by :meth:`process`.

    Examples
    --------
    >>> from recurrent_zoo.tasks import long_lag_symbols
    >>> data = long_lag_symbols(4, n_streams=2, lag=5, seed=0)
    >>> hc = HistoryCompressor(7, (8, 8), target_size=1, seed=0)
    >>> symbols = data.info["symbols"].T                                 # (T, B) indices
    >>> report = hc.process(symbols, data.targets, data.mask)            # learns from it
    >>> len(report.levels), report.events[0]                             # 24 steps x 2 streams
    (2, 48)
    >>> report.events[1] <= report.events[0]                             # only surprises go up
    True
    """

    def __init__(
        self,
        n_symbols: int,
        hidden_sizes: Any = (32, 32),
        *,
        target_size: int = 0,
        threshold: float = 0.9,
        collapse_weight: float = 1.0,
        time_stamps: bool = False,
        lr: float = 0.01,
        clip_norm: float = 1.0,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        from .training.optimizers import Adam

        self.n_symbols = check_positive_int(n_symbols, "n_symbols")
        if isinstance(hidden_sizes, (str, bytes)) or not hasattr(hidden_sizes, "__len__"):
            raise TypeError(f"hidden_sizes must be a sequence of ints; got {hidden_sizes!r}")
        self.hidden_sizes = tuple(
            check_positive_int(h, f"hidden_sizes[{k}]") for k, h in enumerate(hidden_sizes)
        )
        if not self.hidden_sizes:
            raise ValueError("hidden_sizes must hold at least one level")
        self.target_size = check_positive_int(target_size, "target_size", minimum=0)
        self.threshold = check_probability(threshold, "threshold", low=0.5, closed="neither")
        self.collapse_weight = check_real(collapse_weight, "collapse_weight", low=0.0)
        if not isinstance(time_stamps, (bool, np.bool_)):
            raise TypeError(f"time_stamps must be True or False; got {time_stamps!r}")
        self.time_stamps = bool(time_stamps)
        self.lr = check_real(lr, "lr", low=0.0)
        self.clip_norm = check_real(clip_norm, "clip_norm", low=0.0, closed="neither")
        self.dtype = check_dtype(dtype)
        S, D = self.n_symbols, self.target_size
        # event: [one-hot symbol (S); teaching vector (D); its flag (1)] [+ 1/gap]
        self.event_size = S + (D + 1 if D else 0) + (1 if self.time_stamps else 0)
        rng = make_rng(seed)
        self.levels: list[Stacked] = []
        L = len(self.hidden_sizes)
        for level, H in enumerate(self.hidden_sizes):
            above = self.hidden_sizes[level + 1] if level < L - 1 else 0
            self.levels.append(
                Stacked(
                    [
                        Elman(self.event_size, H, seed=rng, dtype=self.dtype),
                        Linear(H, S + D + above, seed=rng, dtype=self.dtype),
                    ]
                )
            )
        self.params: dict[str, NDArray] = {
            f"level{level}.{k}": v
            for level, m in enumerate(self.levels)
            for k, v in m.params.items()
        }
        self.optimizer = Adam(self.params, lr=self.lr)
        self.state: CompressorState | None = None
        self._last_runs: list[dict[str, Any]] | None = None  # the last chunk's forward passes

    @classmethod
    def equations(cls) -> list[Any]:
        """Level ``l``'s recurrence over its events, its readout, and what goes up."""
        import sympy as sp

        k, level = sp.Symbol("k", integer=True), sp.Symbol("l", integer=True, nonnegative=True)
        h, e, o, p = (sp.IndexedBase(n) for n in ("h", "e", "o", "p"))
        W, R, b, V, c = (sp.IndexedBase(n) for n in ("W", "R", "b", "V", "c"))
        x, up, theta = sp.IndexedBase("x"), sp.IndexedBase("up"), sp.Symbol("theta")
        return [
            sp.Eq(
                h[level, k],
                sp.tanh(W[level] * e[level, k] + R[level] * h[level, k - 1] + b[level]),
                evaluate=False,
            ),
            sp.Eq(o[level, k], V[level] * h[level, k] + c[level], evaluate=False),
            sp.Eq(
                up[level, k + 1],
                sp.Piecewise((1, p[level, k, x[level, k + 1]] < theta), (0, True)),
                evaluate=False,
            ),
        ]

    # ------------------------------------------------------------------ bookkeeping
    @property
    def automatiser(self) -> Stacked:
        """Level 0 as a sequence model over events: after collapse, the whole system in one net."""
        return self.levels[0]

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict[str, Any]:
        return {
            "n_symbols": self.n_symbols,
            "hidden_sizes": list(self.hidden_sizes),
            "target_size": self.target_size,
            "threshold": self.threshold,
            "collapse_weight": self.collapse_weight,
            "time_stamps": self.time_stamps,
            "lr": self.lr,
            "clip_norm": self.clip_norm,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> HistoryCompressor:
        return cls(**config, dtype=dtype)

    def save(self, path: Any) -> None:
        """Save every level's parameters and the hyperparameters (not the streams' state or the
        optimizer's moments) to a safetensors file; :func:`recurrent_zoo.load` reads it back."""
        io.save(self, path)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"HistoryCompressor({args})"

    def reset(self, batch_size: int) -> CompressorState:
        """Start ``batch_size`` fresh streams (:meth:`fresh_state`) as ``self.state``."""
        self.state = self.fresh_state(batch_size)
        return self.state

    def fresh_state(self, batch_size: int) -> CompressorState:
        """The state of ``batch_size`` new streams: every level at its null start event."""
        B = check_positive_int(batch_size, "batch_size")
        F = self.event_size
        return CompressorState(
            clock=np.zeros(B, dtype=np.int64),
            hidden=[np.zeros((B, H), dtype=self.dtype) for H in self.hidden_sizes],
            pending=[np.zeros((B, F), dtype=self.dtype) for _ in self.hidden_sizes],
            pending_time=[np.full(B, -1, dtype=np.int64) for _ in self.hidden_sizes],
            carry_target=np.zeros((B, self.target_size), dtype=self.dtype),
            carry_mask=np.zeros(B, dtype=self.dtype),
        )

    # ------------------------------------------------------------------ one chunk
    def _check_chunk(
        self, symbols: Any, targets: Any, target_mask: Any
    ) -> tuple[NDArray, NDArray, NDArray]:
        sym = np.asarray(symbols)
        if sym.dtype.kind not in "iu":
            raise TypeError(f"symbols must be integer symbol indices (T, B); got dtype {sym.dtype}")
        if sym.ndim != 2 or sym.shape[0] < 1 or sym.shape[1] < 1:
            raise ValueError(f"symbols must have shape (T, B) with T, B >= 1; got {sym.shape}")
        if sym.min() < 0 or sym.max() >= self.n_symbols:
            raise ValueError(
                f"symbols must lie in [0, n_symbols={self.n_symbols}); got {sym.min()}..{sym.max()}"
            )
        T, B = sym.shape
        D = self.target_size
        if targets is None:
            if target_mask is not None:
                raise ValueError("target_mask needs targets")
            return sym, np.zeros((T, B, D), self.dtype), np.zeros((T, B), self.dtype)
        if D == 0:
            raise ValueError("targets given to a compressor with target_size=0")
        doc = f"(T={T}, B={B}, target_size={D})"
        tg = check_array(targets, "targets", shape=(T, B, D), dtype=self.dtype, shape_doc=doc)
        if np.any((tg < 0) | (tg > 1)):
            raise ValueError("targets must lie in [0, 1]")
        if target_mask is None:
            mk = np.ones((T, B), self.dtype)
        else:
            mk = check_array(target_mask, "target_mask", shape=(T, B), dtype=self.dtype)
            if not np.all((mk == 0) | (mk == 1)):
                raise ValueError("target_mask must hold only 0 and 1")
        return sym, tg, mk

    def process(
        self,
        symbols: Any,
        targets: Any = None,
        target_mask: Any = None,
        *,
        state: CompressorState | None = None,
        learn: bool = True,
    ) -> ChunkReport:
        """Run (and by default train) the hierarchy on the next chunk of every stream.

        Parameters
        ----------
        symbols : array_like of int, shape (T, B)
            The chunk's inputs, symbol indices in ``[0, n_symbols)``.
        targets : array_like, shape (T, B, target_size), optional
            ``targets[t]`` is what the system should output after reading ``symbols[t]``
            (values in [0, 1]).
        target_mask : array_like, shape (T, B), optional
            1 where ``targets`` counts (all steps by default when ``targets`` is given).
        state : CompressorState, optional
            The streams to continue (advanced in place); ``self.state`` by default, started
            fresh with :meth:`reset` when there is none.
        learn : bool, default True
            Update the weights (one Adam step from this chunk's gradients).

        Returns
        -------
        ChunkReport
        """
        sym, tg, mk = self._check_chunk(symbols, targets, target_mask)
        T, B = sym.shape
        if state is None:
            if self.state is None or self.state.batch_size != B:
                self.reset(B)
            state = self.state
        assert state is not None
        if state.batch_size != B:
            raise ValueError(f"state holds {state.batch_size} streams; symbols has B={B}")
        S, D, L = self.n_symbols, self.target_size, len(self.levels)
        # level 0's events: every step; a step's teaching vector rides on the next step's event
        raw = np.zeros((T, B, S + (D + 1 if D else 0)), dtype=self.dtype)
        raw[np.arange(T)[:, None], np.arange(B)[None, :], sym] = 1.0
        if D:
            raw[0, :, S : S + D] = state.carry_target
            raw[0, :, S + D] = state.carry_mask
            raw[1:, :, S : S + D] = tg[:-1]
            raw[1:, :, S + D] = mk[:-1]
        times = state.clock[None, :] + np.arange(T)[:, None]  # (T, B)
        counts = np.full(B, T, dtype=np.int64)
        train_target = np.ones((T, B), dtype=bool)  # level 0 learns every teaching vector
        runs = []
        for level in range(L):
            run = self._run_level(level, state, raw, times, counts, train_target)
            runs.append(run)
            if level < L - 1:  # the surprises, in order, become the next level's events
                surprise = run["trace"].surprise
                order = np.argsort(~surprise, axis=0, kind="stable")  # surprises first
                counts = surprise.sum(axis=0)
                n = int(counts.max())
                take = order[:n]  # (n, B) rows j: event j + 1 of this level went up
                cols = np.arange(B)[None, :]
                raw = run["raw"][take + 1, cols]
                times = run["tau"][take + 1, cols]
                train_target = run["target_fail"][take, cols]
                pad = np.arange(n)[:, None] >= counts[None, :]
                times = np.where(pad, np.iinfo(np.int64).max // 2, times)
        if learn:
            self._learn(runs)
        self._last_runs = runs
        self._advance(state, runs, T, tg, mk)
        labels = self._labels(runs, tg, mk, state.clock - T)
        return ChunkReport([r["trace"] for r in runs], labels)

    def _run_level(
        self,
        level: int,
        state: CompressorState,
        raw: NDArray,
        times: NDArray,
        counts: NDArray,
        train_target: NDArray,
    ) -> dict[str, Any]:
        """Forward one level over its pending event and its new events (padded to ``n``)."""
        S, D = self.n_symbols, self.target_size
        n, B = times.shape
        tau = np.concatenate([state.pending_time[level][None], times], axis=0)  # (n + 1, B)
        Z = np.empty((n + 1, B, self.event_size), dtype=self.dtype)
        Z[0] = state.pending[level]
        Z[1:, :, : raw.shape[2]] = raw
        if self.time_stamps:
            gap = np.maximum(tau[1:] - tau[:-1], 1)
            Z[1:, :, -1] = np.where(np.arange(n)[:, None] < counts[None, :], 1.0 / gap, 0.0)
        pad = np.arange(n)[:, None] >= counts[None, :]  # (n, B) rows j + 1 past the events
        Z[1:][pad] = 0.0
        lengths = counts + 1
        elman, readout = self.levels[level].models
        hid, _ = elman.forward(Z, state.hidden[level][None], lengths)  # (n + 1, B, H)
        out, _ = readout.forward(hid, lengths=lengths)  # (n + 1, B, O)
        sym_prob = softmax(out[:, :, :S], axis=-1)
        tgt_prob = sigmoid(out[:, :, S : S + D])
        valid = ~pad  # (n, B): row j predicts a real event j + 1
        nxt = Z[1:, :, :S].argmax(axis=2)  # (n, B) the next events' symbols
        p_actual = np.take_along_axis(sym_prob[:-1], nxt[:, :, None], axis=2)[:, :, 0]
        symbol_fail = p_actual < self.threshold
        if D:
            flag = Z[1:, :, S + D] > 0.5
            miss = np.abs(tgt_prob[:-1] - Z[1:, :, S : S + D]).max(axis=2) > 1 - self.threshold
            target_fail = flag & miss
        else:
            flag = np.zeros((n, B), dtype=bool)
            target_fail = flag
        surprise = (symbol_fail | target_fail) & valid
        trace = LevelTrace(
            times=np.where(np.arange(n + 1)[:, None] <= counts[None, :], tau, -2),
            counts=counts.copy(),
            surprise=surprise,
            symbol_prob=sym_prob,
            target_prob=tgt_prob,
            hidden=hid,
        )
        return {
            "Z": Z,
            "raw": Z[:, :, : raw.shape[2]],
            "tau": tau,
            "counts": counts,
            "lengths": lengths,
            "out": out,
            "hid": hid,
            "valid": valid,
            "next_symbol": nxt,
            "flag": flag & valid & train_target,
            "target_fail": target_fail,
            "trace": trace,
        }

    def _learn(self, runs: list[dict[str, Any]]) -> None:
        """One Adam step from every level's losses on the chunk (each level on its own)."""
        from .training.clipping import clip_grad_norm

        grads: dict[str, NDArray] = {}
        for level, (_, level_grads) in enumerate(self._objective(runs)):
            clip_grad_norm(level_grads, self.clip_norm)
            grads.update({f"level{level}.{k}": v for k, v in level_grads.items()})
        self.optimizer.lr = self.lr
        self.optimizer.step(grads)

    def _objective(self, runs: list[dict[str, Any]]) -> list[tuple[float, dict[str, NDArray]]]:
        """Each level's loss on the chunk and its gradient (names as in ``levels[l].params``).

        Level ``l``'s loss is its mean next-symbol cross-entropy, plus its mean target binary
        cross-entropy, plus ``collapse_weight`` times the mean squared error of its prediction
        of level ``l + 1``'s state (a fixed target: no gradient reaches the level above).
        """
        S, D, L = self.n_symbols, self.target_size, len(self.levels)
        result = []
        for level, run in enumerate(runs):
            out, valid = run["out"], run["valid"]
            n1, B, O = out.shape
            dout = np.zeros_like(out)
            losses = {"symbol": float("nan"), "target": float("nan"), "collapse": float("nan")}
            sym_prob = run["trace"].symbol_prob[:-1]
            n_sym = int(valid.sum())
            if n_sym:
                g = sym_prob.copy()
                onehot = np.zeros_like(g)
                np.put_along_axis(onehot, run["next_symbol"][:, :, None], 1.0, axis=2)
                p = np.sum(sym_prob * onehot, axis=2)
                losses["symbol"] = float(-np.log(np.maximum(p[valid], 1e-300)).mean())
                dout[:-1, :, :S] = (g - onehot) * valid[:, :, None] / n_sym
            flag = run["flag"]
            n_tgt = int(flag.sum())
            if D and n_tgt:
                prob = run["trace"].target_prob[:-1]
                d = run["Z"][1:, :, S : S + D]
                eps = 1e-12
                bce = -(d * np.log(prob + eps) + (1 - d) * np.log(1 - prob + eps))
                losses["target"] = float(bce.sum(axis=2)[flag].mean())
                dout[:-1, :, S : S + D] = (prob - d) * flag[:, :, None] / n_tgt
            if level < L - 1 and self.collapse_weight > 0:
                above = runs[level + 1]
                # the state of the level above after each of this level's rows' steps
                idx = (above["tau"][None, :, :] <= run["tau"][:, None, :]).sum(axis=1) - 1
                target = np.take_along_axis(above["hid"], idx[:, :, None], axis=0)  # (n1, B, H')
                rows = (np.arange(n1)[:, None] >= 1) & (
                    np.arange(n1)[:, None] <= run["counts"][None, :]
                )  # each event once: row 0 was counted as the last row of the previous chunk
                n_c = int(rows.sum())
                if n_c:
                    q = out[:, :, S + D :]
                    err = (q - target) * rows[:, :, None]
                    size = n_c * q.shape[2]
                    losses["collapse"] = float((err**2).sum() / size)
                    dout[:, :, S + D :] = self.collapse_weight * 2.0 * err / size
            run["trace"].losses = losses
            elman, readout = self.levels[level].models
            dhid = readout.backward(dout)
            elman.backward(dhid)
            level_grads = {f"0.{k}": v for k, v in elman.grads.items()}
            level_grads.update({f"1.{k}": v for k, v in readout.grads.items()})
            total = sum(
                w * v
                for w, v in zip((1.0, 1.0, self.collapse_weight), losses.values(), strict=True)
                if not np.isnan(v)
            )
            result.append((float(total), level_grads))
        return result

    def _advance(
        self, state: CompressorState, runs: list[dict[str, Any]], T: int, tg: NDArray, mk: NDArray
    ) -> None:
        """Move every level's pending event to its last event of the chunk."""
        for level, run in enumerate(runs):
            c = run["counts"]
            B = c.shape[0]
            cols = np.arange(B)
            moved = c > 0
            state.pending[level] = run["Z"][c, cols].copy()
            state.pending_time[level] = run["tau"][c, cols].copy()
            before = run["hid"][np.maximum(c - 1, 0), cols]
            state.hidden[level] = np.where(moved[:, None], before, state.hidden[level])
        state.clock = state.clock + T
        if self.target_size:
            state.carry_target = tg[-1].copy()
            state.carry_mask = mk[-1].copy()

    def _labels(
        self, runs: list[dict[str, Any]], tg: NDArray, mk: NDArray, clock0: NDArray
    ) -> dict[str, NDArray]:
        """Every level's and the cascade's prediction at the chunk's labelled steps."""
        D, L = self.target_size, len(runs)
        steps, streams = np.nonzero(mk > 0.5)
        if D == 0 or steps.size == 0:
            empty = np.zeros((0, D))
            return {
                "truth": empty,
                "step": steps,
                "stream": streams,
                "by_level": np.zeros((L, 0, D)),
                "system": empty,
                "answered_by": np.zeros((0, D), dtype=np.int64),
            }
        t_abs = clock0[streams] + steps
        by_level = []
        for run in runs:
            tau = run["tau"][:, streams]  # (R, n)
            row = (tau <= t_abs[None, :]).sum(axis=0) - 1  # the level's last row at that step
            by_level.append(run["trace"].target_prob[row, streams])  # (n, D)
        probs = np.stack(by_level)  # (L, n, D)
        confident = np.maximum(probs, 1 - probs) >= self.threshold
        confident[-1] = True  # the top level always answers
        answered_by = np.argmax(confident, axis=0)  # the first confident level, bottom up
        system = np.take_along_axis(probs, answered_by[None], axis=0)[0]
        return {
            "truth": tg[steps, streams],
            "step": steps,
            "stream": streams,
            "by_level": probs,
            "system": system,
            "answered_by": answered_by,
        }


io.register_class(HistoryCompressor)


# ----------------------------------------------------------------------------- the 22-symbol task
def evaluate_stream(
    hc: HistoryCompressor, data: Any, *, chunk: int, state: CompressorState | None = None
) -> dict[str, Any]:
    """Run ``hc`` without learning over a :func:`~recurrent_zoo.tasks.long_lag_symbols` dataset.

    The streams continue from ``state`` (copied, not changed) or start fresh, and are fed
    ``chunk`` steps at a time. Returns the label accuracy of the cascade (``"system"``) and of
    every level (``"level0"``, ...), the fraction of each level's events passed up
    (``"passed_up"``, one per pair of levels) and the event counts.
    """
    symbols = data.info["symbols"].T  # (T, N)
    T, N = symbols.shape
    state = hc.fresh_state(N) if state is None else copy.deepcopy(state)
    labels: list[dict[str, NDArray]] = []
    events = np.zeros(len(hc.levels), dtype=np.int64)
    for t0 in range(0, T, chunk):
        sl = slice(t0, min(T, t0 + chunk))
        report = hc.process(symbols[sl], data.targets[sl], data.mask[sl], state=state, learn=False)
        labels.append(report.labels)
        events += np.array(report.events)
    truth = np.concatenate([lab["truth"] for lab in labels])
    system = np.concatenate([lab["system"] for lab in labels])
    by_level = np.concatenate([lab["by_level"] for lab in labels], axis=1)

    def accuracy(pred: NDArray) -> float:
        return float(np.mean(np.all((pred >= 0.5) == (truth >= 0.5), axis=-1)))

    out: dict[str, Any] = {"system": accuracy(system), "n_labels": int(truth.shape[0])}
    for level in range(len(hc.levels)):
        out[f"level{level}"] = accuracy(by_level[level])
    out["events"] = events.tolist()
    out["passed_up"] = (events[1:] / np.maximum(events[:-1], 1)).tolist()
    return out


def train_long_lag(
    *,
    n_sequences: int = 5000,
    hidden_sizes: Any = (32, 32),
    n_streams: int = 4,
    blocks_per_chunk: int = 2,
    threshold: float = 0.9,
    collapse_weight: float = 1.0,
    lr: float = 0.01,
    lag: int = 20,
    eval_every: int = 250,
    eval_blocks: int = 50,
    seed: int = 0,
) -> dict[str, Any]:
    """Train a history compressor on Schmidhuber's 22-symbol stream; evaluate as it learns.

    ``n_streams`` continuous streams of blocks (``a b1 .. b_lag`` or ``x b1 .. b_lag``,
    :func:`~recurrent_zoo.tasks.long_lag_symbols`) are fed ``blocks_per_chunk`` blocks at a
    time, one Adam step per chunk, until ``n_sequences`` blocks (the paper's "training
    sequences") have been seen. Every ``eval_every`` blocks the compressor runs without learning
    on ``n_streams`` held-out streams of ``eval_blocks`` blocks that continue the training
    streams (from a copy of their state: the task has no episode boundaries, and a fresh start
    is a transient the system never trains on). With ``hidden_sizes`` of
    length 1 this is a single recurrent net trained on the same data and losses (no chunker,
    no collapse): the baseline.

    Returns
    -------
    dict
        ``"solved_at"``: blocks seen when the cascade's held-out label accuracy first reached
        0.99 (``None`` if never); ``"history"``: one dict per evaluation (``"sequences"``,
        ``"system"``, ``"level0"``, ..., ``"passed_up"``, ``"train_passed_up"`` -- the fraction
        of the automatiser's events passed up in the training chunks since the last
        evaluation); ``"final"``: the last evaluation; ``"compressor"``: the trained system.

    Examples
    --------
    >>> out = train_long_lag(n_sequences=16, lag=3, eval_every=8, eval_blocks=2, seed=0)
    >>> [h["sequences"] for h in out["history"]]
    [8, 16]
    """
    from .tasks import long_lag_symbols

    n_sequences = check_positive_int(n_sequences, "n_sequences")
    per_chunk = check_positive_int(n_streams, "n_streams") * check_positive_int(
        blocks_per_chunk, "blocks_per_chunk"
    )
    block = check_positive_int(lag, "lag") + 1
    hc = HistoryCompressor(
        lag + 2,
        hidden_sizes,
        target_size=1,
        threshold=threshold,
        collapse_weight=collapse_weight if len(hidden_sizes) > 1 else 0.0,
        lr=lr,
        seed=seed,
    )
    rng = make_rng(seed)
    n_chunks = -(-n_sequences // per_chunk)
    train = long_lag_symbols(n_chunks * blocks_per_chunk, n_streams, lag, seed=rng)
    held_out = long_lag_symbols(eval_blocks, n_streams, lag, seed=rng)
    symbols = train.info["symbols"].T
    chunk = blocks_per_chunk * block
    hc.reset(n_streams)
    history: list[dict[str, Any]] = []
    solved_at = None
    seen = 0
    events = np.zeros(len(hc.levels), dtype=np.int64)
    next_eval = eval_every
    for c in range(n_chunks):
        sl = slice(c * chunk, (c + 1) * chunk)
        report = hc.process(symbols[sl], train.targets[sl], train.mask[sl])
        events += np.array(report.events)
        seen += per_chunk
        if seen >= next_eval or c == n_chunks - 1:
            next_eval += eval_every
            scores = evaluate_stream(hc, held_out, chunk=chunk, state=hc.state)
            scores["sequences"] = seen
            scores["train_passed_up"] = (events[1:] / np.maximum(events[:-1], 1)).tolist()
            events[:] = 0
            history.append(scores)
            if solved_at is None and scores["system"] >= 0.99:
                solved_at = seen
    return {"solved_at": solved_at, "history": history, "final": history[-1], "compressor": hc}


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Schmidhuber's 22-symbol task: the history compressor's label accuracy on held-out blocks.

    :func:`train_long_lag` with its defaults (automatiser and chunker of 32 units) for 1,000
    training blocks (quick) or 5,000 (full: the paper's budget, with a single 64-unit recurrent
    net trained on the same data as the baseline). Target: 0.99, the accuracy at which a run
    counts as solved (Schmidhuber 1992: 13 of 17 runs within 5,000 training sequences).
    """
    start = time.perf_counter()
    n = 1000 if quick else 5000
    out = train_long_lag(n_sequences=n, seed=seed)
    final = out["final"]
    details: dict[str, Any] = {
        "solved_at": out["solved_at"],
        "automatiser_alone": final["level0"],
        "chunker": final["level1"],
        "passed_to_chunker": final["passed_up"][0],
        "training_blocks": n,
    }
    if not quick:
        details["single_rnn"] = train_long_lag(n_sequences=n, hidden_sizes=(64,), seed=seed)[
            "final"
        ]["system"]
    return {
        "task": "long_lag_symbols",
        "metric": "label_accuracy",
        "value": final["system"],
        "target": 0.99,
        "higher_is_better": True,
        "target_source": "Schmidhuber 1992 (Neural Computation 4(2)): 13 of 17 runs solved the "
        "20-step lag within 5,000 training sequences",
        "passed": bool(final["system"] >= 0.99),
        "seconds": time.perf_counter() - start,
        "curve": [1.0 - h["system"] for h in out["history"]],
        "details": details,
    }


def _level_example(level: int, **kwargs: Any) -> Any:
    """A catalogue example: level ``level`` of a small compressor over ``input_size`` symbols."""

    def make(input_size: int, *, seed: Any = None, dtype: Any = np.float64) -> Stacked:
        return HistoryCompressor(input_size, **kwargs, seed=seed, dtype=dtype).levels[level]

    return make


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="history_compressor",
    title="Neural history compressor (sequence chunker)",
    cls=HistoryCompressor,
    family="hierarchical",
    year=1992,
    reference=(
        'J. Schmidhuber, "Learning complex, extended sequences using the principle of history '
        'compression", Neural Computation 4(2):234-242, 1992'
    ),
    task="long_lag_symbols",
    trainable=True,
    summary=(
        "An automatiser predicts its next input; only surprises go up to a chunker on the "
        "shorter sequence; the automatiser learns the chunker's states and the stack collapses. "
        "The common checks run on its levels."
    ),
    examples=(
        _level_example(0, hidden_sizes=(3, 2)),
        _level_example(1, hidden_sizes=(3, 2)),
        _level_example(1, hidden_sizes=(2, 3, 2), collapse_weight=0.0),
    ),
    recipe={"run": compare_run},
)
