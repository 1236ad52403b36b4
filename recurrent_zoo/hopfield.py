r"""Hopfield network: a content-addressable memory of bipolar patterns.

Hopfield (1982) stored patterns :math:`\xi^\mu \in \{-1, +1\}^N` (:math:`\mu = 1..P`) in
symmetric couplings :math:`W` with no self-connections (:math:`w_{ii} = 0`). A probe is
completed by the sign dynamics

.. math::

    s_i \leftarrow \operatorname{sgn}(h_i), \qquad h_i = \sum_{j} w_{ij} s_j

(a unit whose field is exactly zero keeps its state), which never increase the energy

.. math::

    E(s) = -\tfrac12 \sum_{i,j} w_{ij} s_i s_j = -\tfrac12\, s^\top W s

when units are updated one at a time (asynchronously): flipping :math:`s_i` changes the energy by
:math:`-\Delta s_i\, h_i \le 0`. Asynchronous recall therefore ends at a fixed point; synchronous
recall (every unit at once) ends at a fixed point or a 2-cycle.

Learning rules
--------------
``"hebbian"`` (Hopfield 1982):
    :math:`w_{ij} = \frac1N \sum_\mu \xi^\mu_i \xi^\mu_j` for :math:`i \ne j`. Random patterns
    are retrieved up to the load :math:`\alpha = P/N \approx 0.138` (Amit, Gutfreund and
    Sompolinsky 1985); all of them are exact fixed points only up to about
    :math:`P = N / (2 \ln N)` (McEliece et al. 1987).
``"storkey"`` (Storkey 1997), local and incremental, pattern by pattern:
    .. math::

        w_{ij} \leftarrow w_{ij} + \frac1N \left(\xi_i \xi_j - \xi_i h_{ji} - h_{ij} \xi_j\right),
        \qquad h_{ij} = \sum_{k \ne i, j} w_{ik} \xi_k

    with absolute capacity :math:`N / \sqrt{2 \ln N}` against Hebb's :math:`N / (2 \ln N)`.
``"pseudo_inverse"`` (projection rule):
    Personnaz, Guyon and Dreyfus 1985; Kanter and Sompolinsky 1987.
    :math:`W = \Xi^{+} \Xi` with :math:`\Xi` the :math:`(P, N)` pattern matrix and :math:`\Xi^+`
    its Moore-Penrose pseudo-inverse: the orthogonal projection onto the span of the patterns,
    so :math:`W \xi^\mu = \xi^\mu`. Removing the diagonal leaves :math:`h_i = (1 - w_{ii})
    \xi^\mu_i` with :math:`w_{ii} < 1`, so every stored pattern stays a fixed point for up to
    :math:`N - 1` linearly independent patterns, correlated or not.

References
----------
J. J. Hopfield, "Neural networks and physical systems with emergent collective computational
abilities", PNAS 79(8):2554-2558, 1982.

A. J. Storkey, "Increasing the capacity of a Hopfield network without sacrificing
functionality", ICANN 1997, LNCS 1327:451-456.

L. Personnaz, I. Guyon and G. Dreyfus, "Information storage and retrieval in spin-glass like
neural networks", J. Physique Lettres 46(8):359-365, 1985; I. Kanter and H. Sompolinsky,
"Associative recall of memory without errors", Phys. Rev. A 35(1):380-392, 1987.

D. J. Amit, H. Gutfreund and H. Sompolinsky, "Storing infinite numbers of patterns in a
spin-glass model of neural networks", Phys. Rev. Lett. 55(14):1530-1533, 1985.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from ._core import io
from ._core.associative import RecallResult, check_bipolar, check_patterns, run_binary_recall
from ._core.validation import NDArray, check_choice, check_dtype, check_positive_int
from .catalogue import Entry

__all__ = ["Hopfield", "RULES", "RecallResult", "compare_run", "plot_capacity_curves"]

RULES = ("hebbian", "storkey", "pseudo_inverse")

#: a field within this many rounding errors of zero (relative to sum_j |w_ij|) counts as zero
_TIE_ULPS = 64


@io.register_class
class Hopfield:
    """Classical Hopfield network with Hebbian, Storkey or pseudo-inverse (projection) learning.

    Parameters
    ----------
    n_units : int
        Number of bipolar units ``N``.
    rule : {"hebbian", "storkey", "pseudo_inverse"}, default "hebbian"
        How :meth:`store` sets the couplings (see the module docstring).
    dtype : {np.float64, np.float32}
        Type of the couplings and of the returned states.

    Attributes
    ----------
    params : dict of str to ndarray
        ``"weights"`` (N, N), symmetric with a zero diagonal, and ``"patterns"`` (P, N), the
        stored patterns. Both are saved by :meth:`save`.
    probe_size : int
        Length of a probe, ``n_units``.

    Examples
    --------
    >>> import numpy as np
    >>> from recurrent_zoo.tasks.patterns import random_patterns, flip_noise
    >>> P = random_patterns(5, 100, seed=0)                    # (P, N) in {-1, +1}
    >>> net = Hopfield(100, rule="hebbian").store(P)
    >>> probes = flip_noise(P, 0.1, seed=1)                     # 10 of 100 bits flipped
    >>> out = net.recall(probes, seed=2)                        # (B, N)
    >>> bool((out == P).all())
    True
    >>> info = net.recall(probes, seed=2, return_info=True)
    >>> bool(info.converged.all()), bool(np.array_equal(info.states, out))
    (True, True)
    >>> bool((net.energy(out) <= net.energy(probes)).all())
    True
    """

    bipolar = True

    def __init__(self, n_units: int, rule: str = "hebbian", *, dtype: Any = np.float64) -> None:
        self.n_units = check_positive_int(n_units, "n_units")
        self.rule = check_choice(rule, "rule", RULES)
        self.dtype = check_dtype(dtype)
        N = self.n_units
        self.params: dict[str, NDArray] = {
            "weights": np.zeros((N, N), dtype=self.dtype),
            "patterns": np.zeros((0, N), dtype=self.dtype),
        }
        self._tol = np.zeros(N)  # per-unit tie tolerance of the fields, set by recall

    @classmethod
    def equations(cls) -> list[Any]:
        """The update rule and the energy as sympy equations (shown by ``recurrent-zoo info``)."""
        import sympy as sp

        i, j = sp.symbols("i j", integer=True)
        N = sp.Symbol("N", integer=True, positive=True)
        s, w = sp.IndexedBase("s"), sp.IndexedBase("w")
        new = sp.Indexed(sp.IndexedBase("s'"), i)
        return [
            sp.Eq(new, sp.sign(sp.Sum(w[i, j] * s[j], (j, 1, N)))),
            sp.Eq(
                sp.Symbol("E"),
                -sp.Rational(1, 2) * sp.Sum(w[i, j] * s[i] * s[j], (i, 1, N), (j, 1, N)),
            ),
        ]

    # ------------------------------------------------------------------ learning
    @property
    def probe_size(self) -> int:
        return self.n_units

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns."""
        return int(self.params["patterns"].shape[0])

    def store(self, patterns: Any, *, append: bool = False) -> Hopfield:
        """Store bipolar patterns, replacing the memory (or adding to it with ``append=True``).

        Parameters
        ----------
        patterns : array_like, shape (n_patterns, n_units)
            Entries -1 or +1; at least one pattern.
        append : bool, default False
            Keep what is stored and add ``patterns``. Hebbian and Storkey learning are
            incremental (the old couplings are updated); the pseudo-inverse rule is recomputed
            from all stored patterns.

        Returns
        -------
        self
        """
        new = check_patterns(
            patterns,
            "patterns",
            size=self.n_units,
            size_name="n_units",
            dtype=np.float64,
            bipolar=True,
        )  # (P, N)
        old_W = self.params["weights"].astype(np.float64)
        old_P = self.params["patterns"].astype(np.float64)
        if not append:
            old_W = np.zeros_like(old_W)
            old_P = old_P[:0]
        all_P = np.concatenate([old_P, new])  # (P_total, N)
        N = self.n_units
        if self.rule == "hebbian":
            W = old_W + new.T @ new / N
        elif self.rule == "storkey":
            W = old_W.copy()
            for xi in new:  # Storkey's rule is sequential, one pattern at a time
                h = W @ xi  # (N,) fields with the current couplings (w_ii = 0)
                # h_ij = sum_{k != i, j} w_ik xi_k = h_i - w_ij xi_j
                H = h[:, None] - W * xi[None, :]  # (N, N)
                W += (np.outer(xi, xi) - xi[:, None] * H.T - H * xi[None, :]) / N
                np.fill_diagonal(W, 0.0)
        else:
            W = np.linalg.pinv(all_P) @ all_P  # projection onto the span of the patterns
            W = 0.5 * (W + W.T)
        np.fill_diagonal(W, 0.0)
        self.params["weights"] = W.astype(self.dtype)
        self.params["patterns"] = all_P.astype(self.dtype)
        return self

    # ------------------------------------------------------------------ dynamics
    def _tolerance(self) -> NDArray:
        W = self.params["weights"]
        eps = np.finfo(W.dtype).eps
        return _TIE_ULPS * eps * np.abs(W).sum(axis=1)  # (N,)

    def _decide_all(self, S: NDArray) -> NDArray:
        h = S @ self.params["weights"]  # (B, N); W is symmetric
        h[np.abs(h) <= self._tol] = 0.0
        return h

    def _init_aux(self, S: NDArray) -> NDArray:
        return S @ self.params["weights"]  # (B, N) local fields

    def _decide_one(self, aux: NDArray, S: NDArray, rows: NDArray, units: NDArray) -> NDArray:
        h = aux[rows, units].copy()  # (B,)
        h[np.abs(h) <= self._tol[units]] = 0.0
        return h

    def _update_aux(self, aux: NDArray, rows: NDArray, units: NDArray, delta: NDArray) -> None:
        aux[rows] += delta[:, None] * self.params["weights"][units]  # (b, N)

    def _check_probes(self, probes: Any, name: str = "probes") -> NDArray:
        return check_bipolar(probes, name, size=self.n_units, dtype=self.dtype)

    def recall(
        self,
        probes: Any,
        mode: str = "async",
        max_iter: int = 100,
        seed: Any = None,
        *,
        order: str = "random",
        return_info: bool = False,
    ) -> Any:
        """Complete a batch of bipolar probes by running the dynamics to a fixed point.

        Parameters
        ----------
        probes : array_like, shape (B, n_units)
            Start states, entries -1 or +1.
        mode : {"async", "sync"}, default "async"
            ``"async"``: sweeps that update one unit at a time, every unit once per sweep;
            the whole batch is processed together, unit by unit. ``"sync"``: every unit at once
            per step; stops at a fixed point or a 2-cycle.
        max_iter : int, default 100
            Maximum number of sweeps (async) or steps (sync).
        seed : int or numpy.random.Generator, optional
            Seeds the asynchronous update orders (unused by ``"sync"``).
        order : {"random", "shared", "sequential"}, default "random"
            Asynchronous order: a fresh random permutation per probe and sweep; one random
            permutation per sweep shared by the whole batch (so a batch equals each probe
            recalled alone with the same seed); or units in index order.
        return_info : bool, default False
            Return a :class:`~recurrent_zoo._core.associative.RecallResult` (``states``,
            ``iterations``, ``converged``, ``two_cycle``) instead of the plain array.

        Returns
        -------
        ndarray, shape (B, n_units), or RecallResult
        """
        if self.n_patterns == 0:
            raise RuntimeError("recall() needs store() first: the network holds no patterns")
        S = self._check_probes(probes)
        self._tol = self._tolerance()
        result = run_binary_recall(self, S, mode=mode, max_iter=max_iter, order=order, seed=seed)
        return result if return_info else result.states

    def energy(self, states: Any) -> NDArray:
        r"""Energy :math:`E(s) = -\frac12 s^\top W s` of each state, shape (B,).

        Examples
        --------
        >>> net = Hopfield(3).store([[1, -1, 1]])
        >>> net.energy([[1, -1, 1], [1, 1, 1]]).round(3)
        array([-1.   ,  0.333])
        """
        S = self._check_probes(states, "states")
        return -0.5 * np.einsum("bi,bi->b", S @ self.params["weights"], S)

    # ------------------------------------------------------------------ config and files
    def get_config(self) -> dict[str, Any]:
        """The hyperparameters (JSON-serialisable)."""
        return {"n_units": self.n_units, "rule": self.rule}

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = np.float64) -> Hopfield:
        """An empty network, which :func:`load` fills with the saved arrays."""
        return cls(**config, dtype=dtype)

    def save(self, path: Any) -> None:
        """Save couplings and patterns to one safetensors file (no pickle)."""
        io.save(self, path)

    def __repr__(self) -> str:
        dt = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return f"Hopfield(n_units={self.n_units}, rule={self.rule!r}{dt})"


def _catalogue_example(
    input_size: int, *, seed: Any = None, dtype: Any = np.float64, rule: str = "hebbian"
) -> Hopfield:
    """A network of ``input_size`` units holding ``input_size // 5`` random patterns (catalogue)."""
    from .tasks.patterns import random_patterns

    P = random_patterns(max(1, input_size // 5), input_size, seed=seed)
    return Hopfield(input_size, rule=rule, dtype=dtype).store(P)


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    r"""Canonical task: recall of random patterns from 10%-noise probes at load P/N = 0.05.

    Hebbian network of N = 100 units holding 5 random patterns, asynchronous updates, every
    pattern probed with 10 of its 100 bits flipped; quick mode 20 trials (100 probes), full
    mode 200 trials. The value is the fraction of probes recalled exactly.

    The target follows from the signal-to-noise analysis of the Hebbian rule (Hertz, Krogh and
    Palmer 1991, sec. 2.2; Amit, Gutfreund and Sompolinsky 1985): at load :math:`\alpha` a bit
    of a stored pattern is unstable with probability
    :math:`p = \tfrac12 \operatorname{erfc}(1 / \sqrt{2 \alpha}) = 3.9 \times 10^{-6}` at
    :math:`\alpha = 0.05`, so a whole pattern of 100 bits is recalled with probability
    :math:`(1 - p)^{100} = 0.9996`; the target is 0.99.

    Examples
    --------
    >>> r = compare_run(quick=True, seed=0)
    >>> r["passed"], r["metric"]
    (True, 'fraction recalled exactly')
    """
    from .tasks.patterns import capacity_curve

    start = time.perf_counter()
    n_units, load, trials = 100, 0.05, 20 if quick else 200
    curve = capacity_curve(
        lambda n: Hopfield(n, rule="hebbian"),
        n_units,
        [load],
        noise=0.1,
        n_trials=trials,
        seed=seed,
    )
    value = float(curve["exact"][0])
    target = 0.99
    return {
        "task": f"pattern_recall (Hebbian, N={n_units}, load P/N={load}, 10% flipped bits, "
        f"async, {trials} trials)",
        "metric": "fraction recalled exactly",
        "value": value,
        "target": target,
        "target_source": (
            "signal-to-noise theory of the Hebbian rule (Amit, Gutfreund & Sompolinsky 1985; "
            "Hertz, Krogh & Palmer 1991 sec. 2.2): per-bit error erfc(1/sqrt(2*0.05))/2 = 3.9e-6, "
            "so 0.9996 of 100-bit patterns recalled"
        ),
        "passed": bool(value >= target),
        "higher_is_better": True,
        "seconds": time.perf_counter() - start,
    }


def plot_capacity_curves(
    ax: Any = None,
    *,
    n_units: int = 100,
    loads: Sequence[float] | None = None,
    noise: float = 0.0,
    n_trials: int = 3,
    rules: Sequence[str] = ("hebbian", "storkey", "pseudo_inverse"),
    seed: int = 0,
) -> tuple[Any, dict[str, dict[str, NDArray]]]:
    """Plot the capacity curves of the Hopfield learning rules against their theoretical marks.

    For each rule: fraction of patterns recalled exactly (solid) and mean final overlap
    (dashed) against the load ``P / N``, with a dotted vertical line at the rule's theoretical
    capacity (see :func:`theoretical_capacities`; Hebbian gets both its 0.138 and its absolute
    ``1 / (2 ln N)``). Needs matplotlib (the ``plot`` extra), imported here.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Drawn into; a new figure is made otherwise.
    n_units : int, default 100
    loads : sequence of float, optional
        Default: 0.02 to 0.98 in steps of 0.04 (loads below 1, since at ``P = N`` the
        pseudo-inverse couplings vanish and every state is trivially fixed).
    noise : float, default 0
        Fraction of flipped units of the probes.
    n_trials : int, default 3
    rules : sequence of str
    seed : int, default 0

    Returns
    -------
    ax : matplotlib Axes
    curves : dict
        Rule name -> the :func:`recurrent_zoo.tasks.patterns.capacity_curve` result.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax, curves = plot_capacity_curves(n_units=40, loads=[0.1, 0.5], n_trials=1)
    >>> sorted(curves)
    ['hebbian', 'pseudo_inverse', 'storkey']
    """
    import matplotlib.pyplot as plt

    from .tasks.patterns import capacity_curve, theoretical_capacities

    for r in rules:
        check_choice(r, "rules", RULES)
    if loads is None:
        loads = np.arange(0.02, 1.0, 0.04).tolist()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    marks = theoretical_capacities(n_units)
    colors = {"hebbian": "C0", "storkey": "C1", "pseudo_inverse": "C2"}
    curves: dict[str, dict[str, NDArray]] = {}
    for rule in rules:
        c = capacity_curve(
            lambda n, rule=rule: Hopfield(n, rule=rule),
            n_units,
            loads,
            noise=noise,
            n_trials=n_trials,
            seed=seed,
        )
        curves[rule] = c
        color = colors.get(rule)
        ax.plot(c["loads"], c["exact"], "-o", ms=3, color=color, label=f"{rule}: exact recall")
        ax.plot(c["loads"], c["overlap"], "--", color=color, label=f"{rule}: overlap")
        ax.axvline(
            marks[rule], color=color, ls=":", lw=1.2, label=f"{rule}: theory {marks[rule]:.3f}"
        )
        if rule == "hebbian":
            ax.axvline(
                marks["hebbian_absolute"],
                color=color,
                ls=":",
                lw=0.8,
                alpha=0.6,
                label=f"hebbian: 1/(2 ln N) = {marks['hebbian_absolute']:.3f}",
            )
    ax.set_xlabel("load P / N")
    ax.set_ylabel("exact recall (solid), overlap (dashed)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"Hopfield capacity, N = {n_units}, {int(round(noise * 100))}% noise")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax, curves


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="hopfield",
    title="Hopfield network (Hebbian, Storkey and pseudo-inverse learning)",
    cls=Hopfield,
    family="associative",
    year=1982,
    reference=(
        'J. J. Hopfield, "Neural networks and physical systems with emergent collective '
        'computational abilities", PNAS 79(8):2554-2558, 1982'
    ),
    task="pattern_recall",
    trainable=False,
    summary="Bipolar content-addressable memory; energy-descending sign dynamics.",
    examples=(
        partial(_catalogue_example, rule="hebbian"),
        partial(_catalogue_example, rule="storkey"),
        partial(_catalogue_example, rule="pseudo_inverse"),
    ),
    tags={"associative"},
    recipe={"run": compare_run},
)
