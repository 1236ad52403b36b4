r"""Hierarchical recurrent net with levels on slower clocks, El Hihi & Bengio (1995).

El Hihi & Bengio's prior is that long-term dependencies are structured hierarchically, so they
should be carried by state variables that change on long time scales. The net is a stack of
recurrent levels; level :math:`l` updates once every :math:`k_l` steps (fixed intervals,
increasing with :math:`l`) and keeps its state in between, and each level reads the level below
it -- level 0 reads the input:

.. math::

    h^{(l)}_t = \begin{cases}
        \phi\left(W^{(l)} u^{(l)}_t + R^{(l)} h^{(l)}_{t-1} + b^{(l)}\right)
            & c_t \bmod k_l = 0 \\[2pt]
        h^{(l)}_{t-1} & \text{otherwise}
    \end{cases}
    \qquad u^{(0)}_t = x_t,\quad u^{(l)}_t = h^{(l-1)}_t

with :math:`c_t` the sequence's clock (its step count, from 0). A slow level thus sees the
level below subsampled every :math:`k_l` steps, and a dependency spanning :math:`\Delta`
steps crosses only :math:`\Delta / k_l` of its nonlinear updates: the gradient through it
vanishes that much more slowly. The outputs are every level's state,
:math:`[h^{(0)}_t; \dots; h^{(L-1)}_t]`, so a readout (a :class:`~recurrent_zoo.Linear` stacked
on top) sees the slow levels directly.

Any depth: ``hidden_sizes`` has one entry per level, ``intervals`` one interval per level
(``2**l`` by default). Parameters of level ``l``: ``weight_ih_{l}`` ``(H_l, in_l)`` (``in_0``
the input size, ``in_l = H_{l-1}``), ``weight_hh_{l}`` ``(H_l, H_l)``, ``bias_{l}``
``(H_l,)``. The state is ``(h, clock)``: all levels' units ``(B, sum H_l)`` and each sequence's
clock ``(B,)`` (floats holding step counts, rounded when read, gradient zero), so a state
carried into the next call continues the clocks.

Each level runs only at its own update steps (:mod:`recurrent_zoo._core.schedule`): level
:math:`l` is a recurrent layer over :math:`\sim T / k_l` steps whose inputs are the level below
at those steps, and backpropagation through time crosses the levels the same way, top to bottom.

What we could check: the principle (levels of increasing, fixed time scales; each level
subsampling the one below) is the paper's, from its abstract and its description of
"delays and multiple time scales". We could not read its full text: the exact inter-level
connections of its figures (whether slower levels also feed faster ones, as the clockwork RNN
does), its output layer and its experiments' sizes are not reproduced here; this net is the
bottom-up reading the issue asks for, and its reference behaviour is our own nested-periodic
task (:func:`compare_run`).

References
----------
S. El Hihi and Y. Bengio, "Hierarchical recurrent neural networks for long-term dependencies",
Advances in Neural Information Processing Systems 8 (NIPS 1995), MIT Press, 1996, pp. 493-499.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.schedule import (
    clock_from_state,
    clock_schedule,
    scheduled_layer,
    scheduled_layer_backward,
)
from ._core.sequence import length_mask
from ._core.validation import NDArray, check_choice, check_positive_int
from .catalogue import Entry

__all__ = ["HierarchicalRNN", "compare_run", "train_nested_periodic"]

_NONLINEARITIES = ("tanh", "sigmoid", "relu", "identity")


def _int_tuple(values: Any, name: str) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a sequence of ints; got {values!r}")
    out = tuple(check_positive_int(v, f"{name}[{k}]") for k, v in enumerate(values))
    if not out:
        raise ValueError(f"{name} must hold at least one level; got {values!r}")
    return out


class HierarchicalRNN(SequenceModel):
    """El Hihi & Bengio's hierarchical recurrent net: levels on fixed, slower clocks.

    Parameters
    ----------
    input_size : int
    hidden_sizes : sequence of int, default (32, 32)
        Units of each level, bottom (fastest) first; any number of levels.
    intervals : sequence of int, optional
        Update interval of each level, non-decreasing; ``2**l`` by default.
    nonlinearity : {"tanh", "sigmoid", "relu", "identity"}, default "tanh"
    seed : int or numpy.random.Generator, optional
        Level ``l``'s weights and bias from U(-1/sqrt(H_l), 1/sqrt(H_l)), as PyTorch's RNN.
    dtype : {np.float64, np.float32}

    Examples
    --------
    >>> net = HierarchicalRNN(3, hidden_sizes=(4, 2, 2), intervals=(1, 2, 4), seed=0)
    >>> Y, (h, clock) = net.forward(np.zeros((8, 5, 3)))      # (T, B, I)
    >>> Y.shape, h.shape, float(clock[0])                     # every level's units side by side
    ((8, 5, 8), (5, 8), 8.0)
    >>> net.params["weight_ih_1"].shape                         # level 1 reads level 0
    (2, 4)
    >>> net.level_slices()
    [slice(0, 4, None), slice(4, 6, None), slice(6, 8, None)]
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Any = (32, 32),
        *,
        intervals: Any = None,
        nonlinearity: str = "tanh",
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.hidden_sizes = _int_tuple(hidden_sizes, "hidden_sizes")
        L = len(self.hidden_sizes)
        if intervals is None:
            self.intervals = tuple(2**level for level in range(L))
        else:
            self.intervals = _int_tuple(intervals, "intervals")
            if len(self.intervals) != L:
                raise ValueError(
                    f"intervals must hold one interval per level ({L}); got {self.intervals}"
                )
            if any(b < a for a, b in zip(self.intervals, self.intervals[1:], strict=False)):
                raise ValueError(f"intervals must be non-decreasing; got {self.intervals}")
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
        self.output_size = int(sum(self.hidden_sizes))
        rng = make_rng(seed)
        fan_in = self.input_size
        for level, H in enumerate(self.hidden_sizes):
            bound = 1.0 / np.sqrt(H)
            self.params[f"weight_ih_{level}"] = uniform((H, fan_in), bound, rng, self.dtype)
            self.params[f"weight_hh_{level}"] = uniform((H, H), bound, rng, self.dtype)
            self.params[f"bias_{level}"] = uniform((H,), bound, rng, self.dtype)
            fan_in = H

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["hidden_sizes"] = list(self.hidden_sizes)
        config["intervals"] = list(self.intervals)
        return config

    @classmethod
    def equations(cls) -> list[Any]:
        import sympy as sp

        t = sp.Symbol("t", integer=True)
        level = sp.Symbol("l", integer=True, nonnegative=True)
        h, u, c = sp.IndexedBase("h"), sp.IndexedBase("u"), sp.IndexedBase("c")
        W, R, b, k = (sp.IndexedBase(n) for n in ("W", "R", "b", "k"))
        phi = sp.Function("phi")
        update = sp.Piecewise(
            (
                phi(W[level] * u[level, t] + R[level] * h[level, t - 1] + b[level]),
                sp.Eq(sp.Mod(c[t], k[level]), 0),
            ),
            (h[level, t - 1], True),
        )
        return [
            sp.Eq(h[level, t], update, evaluate=False),
            sp.Eq(u[level, t], h[level - 1, t], evaluate=False),
        ]

    def level_slices(self) -> list[slice]:
        """Where each level's units sit in the outputs and the state."""
        edges = np.concatenate([[0], np.cumsum(self.hidden_sizes)]).tolist()
        return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]

    def initial_state(self, batch_size: int) -> State:
        return (
            np.zeros((batch_size, self.output_size), dtype=self.dtype),
            np.zeros(batch_size, dtype=self.dtype),
        )

    # ------------------------------------------------------------------ the recurrence
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, _ = X.shape
        p = self.params
        h0, c0 = state
        clock = clock_from_state(c0, "state[1] (the clock)")
        Y = np.empty((T, B, self.output_size), dtype=self.dtype)  # (T, B, sum H)
        h_T = np.empty_like(h0)
        below = X  # what the current level reads: (T, B, in_l)
        caches = []
        for level, cols in enumerate(self.level_slices()):
            schedule = clock_schedule(clock, T, self.intervals[level], lengths)
            U = schedule.gather(below)  # (n_l, B, in_l): the level below at this level's updates
            held, h_T[:, cols], cache = scheduled_layer(
                U,
                p[f"weight_ih_{level}"],
                p[f"weight_hh_{level}"],
                p[f"bias_{level}"],
                h0[:, cols],
                self.nonlinearity,
                schedule,
            )
            Y[:, :, cols] = held
            below = held
            caches.append(cache)
        mask = length_mask(lengths, T, self.dtype)  # (T, B, 1) or None
        if mask is not None:
            Y *= mask
        self._cache = (X.shape, mask, caches)
        steps = T if lengths is None else lengths
        return Y, (h_T, (clock + steps).astype(self.dtype))

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        (T, B, I), mask, caches = self._cache
        p = self.params
        dh_T = dstate[0]
        if mask is not None:
            dY = dY * mask
        dh0 = np.empty((B, self.output_size), dtype=self.dtype)
        grads: dict[str, NDArray] = {}
        from_above = None  # gradient the level above sends to this level's states, (T + 1, B, H)
        slices = self.level_slices()
        for level in reversed(range(len(slices))):
            cols = slices[level]
            d_held = dY[:, :, cols]
            if from_above is not None:
                d_held = d_held + from_above[:T]
            W, R = p[f"weight_ih_{level}"], p[f"weight_hh_{level}"]
            dU, dh0[:, cols], dW, dR, db = scheduled_layer_backward(
                caches[level], W, R, d_held, dh_T[:, cols], self.nonlinearity
            )
            schedule = caches[level][-1]
            from_above = np.zeros((T + 1, B, W.shape[1]), dtype=self.dtype)  # row T: spare
            schedule.scatter(dU, from_above)
            grads[f"weight_ih_{level}"] = dW
            grads[f"weight_hh_{level}"] = dR
            grads[f"bias_{level}"] = db
        self.grads = {k: grads[k] for k in self.params}
        assert from_above is not None
        return from_above[:T], (dh0, np.zeros(B, dtype=self.dtype))

    def level_updates(self, T: int, clock: int = 0) -> list[int]:
        """How many times each level updates over ``T`` steps from ``clock``.

        Examples
        --------
        >>> HierarchicalRNN(1, (2, 2, 2), intervals=(1, 4, 16)).level_updates(32)
        [32, 8, 2]
        """
        t = int(clock) + np.arange(check_positive_int(T, "T"))
        return [int((t % k == 0).sum()) for k in self.intervals]


# ----------------------------------------------------------------------------- comparison run
def train_nested_periodic(
    model: SequenceModel,
    *,
    n_train: int = 256,
    epochs: int = 30,
    lr: float = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    task: dict[str, Any] | None = None,
) -> tuple[Any, float, dict[str, Any]]:
    """Train ``model`` + a Linear readout on :func:`recurrent_zoo.tasks.nested_periodic`.

    Adam (``lr``), gradient norm clipped at 1, cross-entropy at every step, full BPTT over each
    sequence. Returns the stacked net, its accuracy on 256 held-out sequences and the history.

    Examples
    --------
    >>> net, acc, _ = train_nested_periodic(
    ...     HierarchicalRNN(5, (4, 4), intervals=(1, 4), seed=0), n_train=8, epochs=1,
    ...     task={"length": 32, "slow_period": 16})
    >>> 0.0 <= acc <= 1.0
    True
    """
    from ._core.layers import Linear
    from ._core.sequence import Stacked
    from .tasks import nested_periodic
    from .training import evaluate, fit

    options = {"length": 128, "fast_period": 4, "slow_period": 64, "n_keys": 4, **(task or {})}
    train = nested_periodic(n_train, **options, seed=seed)
    test = nested_periodic(256, **options, seed=seed + 1000)
    net = Stacked([model, Linear(model.output_size, train.output_size, seed=seed + 1)])
    history = fit(
        net,
        train.inputs,
        train.targets,
        mask=train.mask,
        loss="cross_entropy",
        optimizer="adam",
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        clip_norm=1.0,
        seed=seed,
        progress=False,
    )
    scores = evaluate(
        net, test.inputs, test.targets, mask=test.mask, loss="cross_entropy", metrics=("accuracy",)
    )
    return net, float(scores["accuracy"]), {"loss": list(history["loss"])}


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """The nested-periodic task: a two-level hierarchical net against an Elman net of equal size.

    Both have 64 hidden units and a linear readout and get the same budget (Adam, lr 0.01,
    clipped at 1, 256 training sequences of 128 steps, fast period 4, slow period 64, 4 keys;
    10 epochs quick, 40 full): the hierarchical net's levels have 32 units each, updating every
    step and every 8 steps. The value is the hierarchical net's held-out accuracy; it passes
    when it beats the Elman net's (reported in ``details``) by at least 0.1. Chance is 1/4.

    One seed is a glimpse (``benchmarks/results/hierarchical_nested_periodic*.txt``, seeds
    0-4): at 40 epochs the hierarchical net scores 0.999-1.000 on every seed and the Elman net
    0.625-0.999 (mean 0.829), so 3 of 5 seeds pass the 0.1 margin (on the other two the Elman
    net solves the task too); at 10 epochs seeds 0 and 2 pass.
    """
    from .elman import Elman

    start = time.perf_counter()
    epochs = 10 if quick else 40
    hier = HierarchicalRNN(5, (32, 32), intervals=(1, 8), seed=seed)
    elman = Elman(5, 64, seed=seed)
    acc = {}
    curves = {}
    for name, model in (("hierarchical", hier), ("elman", elman)):
        _, acc[name], hist = train_nested_periodic(model, epochs=epochs, seed=seed)
        curves[name] = hist["loss"]
    return {
        "task": "nested_periodic",
        "metric": "accuracy",
        "value": acc["hierarchical"],
        "target": acc["elman"] + 0.1,
        "higher_is_better": True,
        "target_source": "issue 16: beat an Elman net of equal size (64 units) on the nested-"
        "periodic task, here by 0.1 in accuracy",
        "passed": bool(acc["hierarchical"] >= acc["elman"] + 0.1),
        "seconds": time.perf_counter() - start,
        "curve": curves["hierarchical"],
        "details": {
            "accuracy": acc,
            "n_params": {"hierarchical": hier.n_params, "elman": elman.n_params},
            "epochs": epochs,
        },
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="hierarchical",
    title="Hierarchical recurrent net (levels on slower clocks)",
    cls=HierarchicalRNN,
    family="hierarchical",
    year=1995,
    reference=(
        'S. El Hihi and Y. Bengio, "Hierarchical recurrent neural networks for long-term '
        'dependencies", NIPS 8 (1995), pp. 493-499'
    ),
    task="nested_periodic",
    trainable=True,
    summary=(
        "Recurrent levels updating every k_l steps, each reading the one below: long "
        "dependencies carried by slow levels."
    ),
    examples=(
        {"hidden_sizes": (3, 2)},
        {"hidden_sizes": (2, 3, 2), "intervals": (1, 3, 3), "nonlinearity": "sigmoid"},
        {"hidden_sizes": (3,), "intervals": (2,)},
    ),
    recipe={"run": compare_run},
)
