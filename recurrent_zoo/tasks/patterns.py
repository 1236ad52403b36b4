r"""Patterns, noisy probes and capacity experiments for the associative memories.

Pattern generators
------------------
:func:`random_patterns`
    Independent bipolar units, :math:`P(\xi_i = +1) = (1 + m)/2` for a mean activity ``m``.
:func:`correlated_patterns`
    Patterns scattered around one random prototype :math:`\eta`: each unit copies
    :math:`\eta_i` with probability :math:`(1 + c)/2`, so two patterns overlap by
    :math:`\langle \xi^\mu \cdot \xi^\nu \rangle / N = c^2` on average.
:func:`image_patterns`
    Small binary images drawn in code (cross, ring, letters, ...), flattened row by row.
:func:`continuous_patterns`
    Gaussian vectors for the modern (continuous) Hopfield network.

Noise models for probes
-----------------------
:func:`flip_noise` flips an exact fraction of each pattern's units, :func:`occlude` overwrites a
fraction (random units or the end of the pattern, e.g. the bottom of an image) and
:func:`gaussian_noise` adds Gaussian noise to continuous patterns.

Capacity
--------
:func:`capacity_curve` stores :math:`P = \operatorname{round}(\alpha N)` random patterns for each
load :math:`\alpha = P/N`, recalls each of them from a noisy probe and reports the mean final
overlap :math:`m = \xi \cdot s / N` and the fraction of patterns recalled exactly, for any memory
with ``store(P)`` and ``recall(probes)``; :func:`recurrent_zoo.hopfield.plot_capacity_curves`
draws the curves of the three Hopfield learning rules against their theoretical limits.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.associative import check_bipolar
from .._core.init import make_rng
from .._core.validation import (
    NDArray,
    check_array,
    check_choice,
    check_positive_int,
    check_probability,
)

__all__ = [
    "IMAGE_NAMES",
    "capacity_curve",
    "continuous_patterns",
    "correlated_patterns",
    "flip_noise",
    "gaussian_noise",
    "image_patterns",
    "occlude",
    "overlap",
    "pair_recall",
    "pattern_recall",
    "random_patterns",
    "theoretical_capacities",
]


# ----------------------------------------------------------------------------- generators
def random_patterns(
    n_patterns: int,
    n_units: int,
    *,
    mean_activity: float = 0.0,
    seed: Any = None,
    dtype: Any = np.float64,
) -> NDArray:
    """Independent random bipolar patterns, shape (n_patterns, n_units).

    Parameters
    ----------
    n_patterns, n_units : int
    mean_activity : float in (-1, 1), default 0
        Expected value of each unit: ``P(+1) = (1 + mean_activity) / 2``.
    seed : int or numpy.random.Generator, optional
    dtype : numpy dtype, default float64

    Examples
    --------
    >>> P = random_patterns(3, 8, seed=0)
    >>> P.shape, sorted(np.unique(P).tolist())
    ((3, 8), [-1.0, 1.0])
    """
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    n_units = check_positive_int(n_units, "n_units")
    m = check_probability(mean_activity, "mean_activity", low=-1.0, high=1.0, closed="neither")
    rng = make_rng(seed)
    on = rng.random((n_patterns, n_units)) < (1.0 + m) / 2.0
    return np.where(on, 1.0, -1.0).astype(dtype)


def correlated_patterns(
    n_patterns: int,
    n_units: int,
    *,
    correlation: float = 0.5,
    seed: Any = None,
    dtype: Any = np.float64,
) -> NDArray:
    """Bipolar patterns around one random prototype; mean pairwise overlap ``correlation**2``.

    Each unit equals the prototype's with probability ``(1 + correlation) / 2``.

    Examples
    --------
    >>> P = correlated_patterns(200, 400, correlation=0.6, seed=0)
    >>> C = P @ P.T / 400
    >>> round(float(C[np.triu_indices(200, 1)].mean()), 1)   # about 0.6 ** 2 = 0.36
    0.4
    """
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    n_units = check_positive_int(n_units, "n_units")
    c = check_probability(correlation, "correlation")
    rng = make_rng(seed)
    prototype = np.where(rng.random(n_units) < 0.5, 1.0, -1.0)  # (N,)
    keep = rng.random((n_patterns, n_units)) < (1.0 + c) / 2.0  # (P, N)
    return np.where(keep, prototype, -prototype).astype(dtype)


def _glyph(name: str, size: int) -> NDArray:
    """One size x size boolean image drawn from simple geometry on [0, 1]^2."""
    t = (np.arange(size) + 0.5) / size  # pixel centres
    y, x = np.meshgrid(t, t, indexing="ij")  # (size, size), y grows downwards
    th = max(1, size // 8)  # stroke width unit in pixels
    w = th / size - 1e-9  # half-width of a stroke on [0, 1], clear of pixel-centre ties
    row, col = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    r = np.hypot(x - 0.5, y - 0.5)
    box = np.maximum(np.abs(x - 0.5), np.abs(y - 0.5))
    vertical = np.abs(2 * col - (size - 1)) <= th  # centre column(s)
    horizontal = np.abs(2 * row - (size - 1)) <= th
    shapes = {
        "cross": vertical | horizontal,
        "x": (np.abs(row - col) < th) | (np.abs(row + col - (size - 1)) < th),
        "square": (box < 0.42) & (box > 0.42 - 2 * w),
        "ring": (r < 0.45) & (r > 0.45 - 2 * w),
        "disc": r < 0.3,
        "triangle": (y > 0.15) & (y < 0.85) & (np.abs(x - 0.5) < 0.5 * (y - 0.15) / 0.7 * 0.8),
        "letter_T": ((y < 0.15 + 2 * w) & (y > 0.15) & (np.abs(x - 0.5) < 0.4))
        | (vertical & (y > 0.15) & (y < 0.85)),
        "letter_L": ((np.abs(x - 0.25) < w) & (y > 0.1) & (y < 0.9))
        | ((y < 0.9) & (y > 0.9 - 2 * w) & (x > 0.2) & (x < 0.8)),
        "letter_H": (((np.abs(x - 0.2) < w) | (np.abs(x - 0.8) < w)) & (np.abs(y - 0.5) < 0.4))
        | (horizontal & (np.abs(x - 0.5) < 0.3)),
        "stripes": (np.floor(y * 4) % 2) == 0,
        "checker": ((np.floor(y * 4) + np.floor(x * 4)) % 2) == 0,
        "diagonal": x > y,
    }
    return shapes[name]


IMAGE_NAMES = (
    "cross",
    "x",
    "square",
    "ring",
    "disc",
    "triangle",
    "letter_T",
    "letter_L",
    "letter_H",
    "stripes",
    "checker",
    "diagonal",
)


def image_patterns(
    names: Sequence[str] | None = None, *, size: int = 12, dtype: Any = np.float64
) -> NDArray:
    """Small binary images built in code, flattened: shape (len(names), size * size).

    Ink is +1 and background -1; ``images.reshape(-1, size, size)`` gives the pictures back.
    Unlike random patterns these are strongly correlated (they share much background).

    Parameters
    ----------
    names : sequence of str, optional
        Any of :data:`IMAGE_NAMES` (default all of them).
    size : int, default 12
        Side of each image in pixels (at least 5).

    Examples
    --------
    >>> imgs = image_patterns(["cross", "ring"], size=7)
    >>> imgs.shape
    (2, 49)
    >>> print("\\n".join("".join("#" if v > 0 else "_" for v in row)
    ...                 for row in imgs[0].reshape(7, 7)))
    ___#___
    ___#___
    ___#___
    #######
    ___#___
    ___#___
    ___#___
    """
    size = check_positive_int(size, "size", minimum=5)
    chosen = IMAGE_NAMES if names is None else tuple(names)
    if len(chosen) == 0:
        raise ValueError("names must name at least one image")
    for n in chosen:
        check_choice(n, "names", IMAGE_NAMES)
    return np.stack([np.where(_glyph(n, size), 1.0, -1.0).ravel() for n in chosen]).astype(dtype)


def continuous_patterns(
    n_patterns: int,
    dim: int,
    *,
    seed: Any = None,
    norm: float | None = None,
    dtype: Any = np.float64,
) -> NDArray:
    """Standard Gaussian patterns, shape (n_patterns, dim); rescaled to length ``norm`` if given.

    Examples
    --------
    >>> X = continuous_patterns(4, 3, seed=0, norm=1.0)
    >>> np.round(np.linalg.norm(X, axis=1), 6)
    array([1., 1., 1., 1.])
    """
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    dim = check_positive_int(dim, "dim")
    X = make_rng(seed).standard_normal((n_patterns, dim))
    if norm is not None:
        if not (np.isfinite(norm) and norm > 0):
            raise ValueError(f"norm must be a positive finite number; got {norm!r}")
        X *= norm / np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(dtype)


# ----------------------------------------------------------------------------- noise models
def flip_noise(patterns: Any, fraction: float, *, seed: Any = None) -> NDArray:
    """Flip exactly ``round(fraction * n_units)`` randomly chosen units of each bipolar pattern.

    Examples
    --------
    >>> P = random_patterns(4, 50, seed=0)
    >>> Q = flip_noise(P, 0.1, seed=1)
    >>> (Q != P).sum(axis=1)
    array([5, 5, 5, 5])
    """
    P = check_bipolar(patterns, "patterns", size_name="n_units")
    fraction = check_probability(fraction, "fraction")
    B, N = P.shape
    k = int(round(fraction * N))
    rng = make_rng(seed)
    ranks = rng.random((B, N)).argsort(axis=1)  # a random permutation per row
    flip = np.zeros((B, N), dtype=bool)
    np.put_along_axis(flip, ranks[:, :k], True, axis=1)
    return np.where(flip, -P, P)


def occlude(
    patterns: Any,
    fraction: float,
    *,
    where: str = "random",
    fill: Any = -1.0,
    seed: Any = None,
) -> NDArray:
    """Overwrite a fraction of each bipolar pattern's units (missing part of a probe).

    Parameters
    ----------
    patterns : array_like, shape (B, n_units)
    fraction : float in [0, 1]
        Share of units overwritten, ``round(fraction * n_units)`` of them.
    where : {"random", "end"}
        Random units (per pattern), or the last units (the bottom rows of an image).
    fill : {-1, +1, "random"}
        The value written, or independent random signs.
    seed : int or numpy.random.Generator, optional

    Examples
    --------
    >>> occlude(np.ones((1, 6)), 0.5, where="end")
    array([[ 1.,  1.,  1., -1., -1., -1.]])
    """
    P = check_bipolar(patterns, "patterns", size_name="n_units")
    fraction = check_probability(fraction, "fraction")
    check_choice(where, "where", ("random", "end"))
    if not (isinstance(fill, str) and fill == "random") and fill not in (-1, 1):
        raise ValueError(f"fill must be -1, +1 or 'random'; got {fill!r}")
    B, N = P.shape
    k = int(round(fraction * N))
    rng = make_rng(seed)
    mask = np.zeros((B, N), dtype=bool)
    if where == "end":
        mask[:, N - k :] = True
    else:
        ranks = rng.random((B, N)).argsort(axis=1)
        np.put_along_axis(mask, ranks[:, :k], True, axis=1)
    if isinstance(fill, str):
        values = np.where(rng.random((B, N)) < 0.5, 1.0, -1.0)
    else:
        values = np.full((B, N), float(fill))
    return np.where(mask, values, P).astype(P.dtype)


def gaussian_noise(patterns: Any, std: float, *, seed: Any = None) -> NDArray:
    """Add independent N(0, std^2) noise to continuous patterns.

    Examples
    --------
    >>> gaussian_noise(np.zeros((2, 3)), 0.0, seed=0)
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    X = check_array(patterns, "patterns", ndim=2, dtype=np.float64)
    if not (np.isfinite(std) and std >= 0):
        raise ValueError(f"std must be a finite number >= 0; got {std!r}")
    return X + std * make_rng(seed).standard_normal(X.shape)


def overlap(states: Any, targets: Any) -> NDArray:
    r"""Overlap :math:`m = \xi \cdot s / N` of each state with its target, shape (B,).

    For bipolar states :math:`m = 1 - 2 d_H / N` with :math:`d_H` the Hamming distance.

    Examples
    --------
    >>> overlap([[1, 1, -1, -1]], [[1, 1, 1, -1]])
    array([0.5])
    """
    S = check_array(states, "states", ndim=2, dtype=np.float64)
    T = check_array(targets, "targets", ndim=2, dtype=np.float64)
    if S.shape != T.shape:
        raise ValueError(f"states and targets must have the same shape; got {S.shape}, {T.shape}")
    return np.einsum("bi,bi->b", S, T) / S.shape[1]


# ----------------------------------------------------------------------------- recall tasks
def pattern_recall(
    n_patterns: int, n_units: int, *, noise: float = 0.1, seed: Any = None
) -> tuple[NDArray, NDArray]:
    """The canonical auto-associative task: random patterns and a noisy probe of each.

    Returns ``(patterns, probes)``, both (n_patterns, n_units) bipolar, each probe its pattern
    with ``round(noise * n_units)`` units flipped. Store ``patterns``, recall ``probes``,
    compare with ``patterns``.

    Examples
    --------
    >>> P, probes = pattern_recall(3, 20, noise=0.1, seed=0)
    >>> (P != probes).sum(axis=1)
    array([2, 2, 2])
    """
    rng = make_rng(seed)
    patterns = random_patterns(n_patterns, n_units, seed=rng)
    return patterns, flip_noise(patterns, noise, seed=rng)


def pair_recall(
    n_pairs: int, x_size: int, y_size: int, *, noise: float = 0.1, seed: Any = None
) -> tuple[NDArray, NDArray, NDArray]:
    """The canonical hetero-associative task: random pairs and a noisy probe of each ``x``.

    Returns ``(X, Y, probes)`` with X (n_pairs, x_size), Y (n_pairs, y_size) and probes like X
    with ``round(noise * x_size)`` units flipped.

    Examples
    --------
    >>> X, Y, probes = pair_recall(2, 10, 4, noise=0.2, seed=0)
    >>> X.shape, Y.shape, (X != probes).sum(axis=1)
    ((2, 10), (2, 4), array([2, 2]))
    """
    rng = make_rng(seed)
    X = random_patterns(n_pairs, x_size, seed=rng)
    Y = random_patterns(n_pairs, y_size, seed=rng)
    return X, Y, flip_noise(X, noise, seed=rng)


# ----------------------------------------------------------------------------- capacity
def capacity_curve(
    make_memory: Callable[[int], Any],
    n_units: int,
    loads: Sequence[float],
    *,
    noise: float = 0.0,
    n_trials: int = 5,
    patterns: Callable[..., NDArray] | None = None,
    recall_kwargs: dict[str, Any] | None = None,
    seed: Any = 0,
) -> dict[str, NDArray]:
    r"""Recall quality against the load :math:`\alpha = P / N`, for any memory.

    For each load and trial: draw :math:`P = \max(1, \operatorname{round}(\alpha N))` patterns,
    store them in a fresh memory, flip a fraction ``noise`` of each pattern's units and recall
    all ``P`` probes as one batch.

    Parameters
    ----------
    make_memory : callable
        ``make_memory(n_units)`` returns an empty memory with ``store(P)`` and
        ``recall(probes, **recall_kwargs) -> (B, n_units)``. A ``seed`` keyword of ``recall`` is
        fed from this function's random stream.
    n_units : int
        Pattern length ``N``.
    loads : sequence of float
        Loads ``P / N`` (positive).
    noise : float in [0, 1], default 0
        Fraction of flipped units in each probe (0: probes are the stored patterns, which
        measures whether they are attractors).
    n_trials : int, default 5
        Independent pattern sets per load.
    patterns : callable, optional
        ``patterns(n_patterns, n_units, seed=rng)``; default :func:`random_patterns`.
    recall_kwargs : dict, optional
        Extra keyword arguments for ``recall`` (e.g. ``{"mode": "sync"}``).
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    dict
        ``"loads"`` (L,) the realised loads ``P / N``, ``"n_patterns"`` (L,), ``"overlap"``
        (L,) the mean final overlap with the target pattern, ``"overlap_std"`` (L,) its
        standard deviation over all recalls, and ``"exact"`` (L,) the fraction of patterns
        recalled exactly (``sign`` of the output equal to the pattern).

    Examples
    --------
    >>> from recurrent_zoo.hopfield import Hopfield
    >>> c = capacity_curve(lambda n: Hopfield(n), 100, [0.05, 0.3], noise=0.1, n_trials=2)
    >>> c["n_patterns"], bool(c["exact"][0] > c["exact"][1])
    (array([ 5, 30]), True)
    """
    n_units = check_positive_int(n_units, "n_units")
    n_trials = check_positive_int(n_trials, "n_trials")
    noise = check_probability(noise, "noise")
    load_arr = check_array(loads, "loads", ndim=1, dtype=np.float64)
    if load_arr.size == 0 or (load_arr <= 0).any():
        raise ValueError(f"loads must be a non-empty list of positive numbers; got {loads!r}")
    make_patterns = random_patterns if patterns is None else patterns
    kwargs = dict(recall_kwargs or {})
    rng = make_rng(seed)
    counts = np.maximum(1, np.round(load_arr * n_units).astype(np.int64))
    mean_overlap = np.zeros(len(counts))
    std_overlap = np.zeros(len(counts))
    exact = np.zeros(len(counts))
    for i, P in enumerate(counts):
        overlaps, hits = [], []
        for _ in range(n_trials):
            stored = make_patterns(int(P), n_units, seed=rng)
            probes = flip_noise(stored, noise, seed=rng) if noise > 0 else stored.copy()
            memory = make_memory(n_units)
            memory.store(stored)
            call = dict(kwargs)
            if "seed" in inspect.signature(memory.recall).parameters and "seed" not in call:
                call["seed"] = rng
            out = np.asarray(memory.recall(probes, **call), dtype=np.float64)
            overlaps.append(overlap(out, stored))
            hits.append((np.sign(out) == stored).all(axis=1))
        o = np.concatenate(overlaps)
        mean_overlap[i], std_overlap[i] = o.mean(), o.std()
        exact[i] = np.concatenate(hits).mean()
    return {
        "loads": counts / n_units,
        "n_patterns": counts,
        "overlap": mean_overlap,
        "overlap_std": std_overlap,
        "exact": exact,
    }


def theoretical_capacities(n_units: int) -> dict[str, float]:
    r"""The theoretical load marks of the three Hopfield learning rules for ``N = n_units``.

    ``"hebbian"``: 0.138, where retrieval collapses for large N (Amit, Gutfreund and
    Sompolinsky 1985); ``"hebbian_absolute"``: :math:`1 / (2 \ln N)`, up to which nearly every
    pattern is an exact fixed point (McEliece et al. 1987); ``"storkey"``:
    :math:`1 / \sqrt{2 \ln N}`, Storkey's (1997) absolute capacity; ``"pseudo_inverse"``:
    :math:`(N - 1) / N`, every linearly independent set of up to ``N - 1`` patterns is stored.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in theoretical_capacities(100).items()}
    {'hebbian': 0.138, 'hebbian_absolute': 0.109, 'storkey': 0.33, 'pseudo_inverse': 0.99}
    """
    N = check_positive_int(n_units, "n_units", minimum=2)
    return {
        "hebbian": 0.138,
        "hebbian_absolute": float(1.0 / (2.0 * np.log(N))),
        "storkey": float(1.0 / np.sqrt(2.0 * np.log(N))),
        "pseudo_inverse": (N - 1) / N,
    }
