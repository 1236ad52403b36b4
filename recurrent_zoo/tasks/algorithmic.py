r"""Graves, Wayne & Danihelka's (2014) algorithmic tasks, in the paper's encodings.

Four tasks from section 4 of the neural Turing machine paper, each a batch of random binary
vectors with the delimiter channels the paper describes; the model answers on steps where its
input is all zero (or, for repeat copy, holds nothing new), trained and scored with the binary
cross-entropy on logits (``loss="bce"``) over the answer steps (``mask``). Sequences of
different lengths are zero-padded to the longest and carry ``lengths``.

:func:`binary_copy` (section 4.1)
    ``L`` random ``n_bits``-bit vectors, a delimiter flag on its own channel, then ``L`` steps
    of no input during which the model must reproduce the vectors in order. Each sequence has
    ``2 L + 1`` steps. (The :func:`~recurrent_zoo.tasks.copy_task` of this package is the other
    classic, symbol by symbol after a delay, Hochreiter & Schmidhuber's form.)
:func:`copy_reuse` (Graves et al. 2016's memory reuse)
    Several copy episodes of :func:`binary_copy`'s layout one after another in one sequence, so
    that a memory-augmented model writes more vectors in all than its memory has slots and can
    only succeed by freeing the slots of an episode it has answered (the differentiable neural
    computer's free gates).
:func:`repeat_copy` (4.2)
    ``L`` vectors, the delimiter, then the number of repeats ``R`` as a scalar on a separate
    channel, normalised to mean 0 and variance 1 over the training range; the model outputs the
    vectors ``R`` times and then an end marker on an extra output channel:
    ``L + 2 + R L + 1`` steps.
:func:`associative_recall` (4.3)
    ``n`` items of ``item_length`` vectors, each item opened by an item-delimiter step; then a
    query item between two query-delimiter steps; the model must output the item that followed
    the query: ``n (item_length + 1) + 2 item_length + 2`` steps.
:func:`priority_sort` (4.5)
    ``n_items`` vectors, each with a priority drawn from U(-1, 1) on an extra channel, a
    delimiter, then the ``n_sorted`` highest-priority vectors, highest first.

:func:`bit_errors` counts, per sequence, the output bits on the wrong side of 0.5 (a sigmoid on
the logits), as Collier & Beel (2018) report; :func:`sequence_cost` is the paper's "cost per
sequence": the cross-entropy summed over a sequence's answer bits, in bits.

References
----------
A. Graves, G. Wayne and I. Danihelka, "Neural Turing machines", arXiv:1410.5401, 2014,
section 4.

M. Collier and J. Beel, "Implementing neural Turing machines", ICANN 2018 (arXiv:1807.08518).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_positive_int
from .base import SequenceDataset

__all__ = [
    "associative_recall",
    "binary_copy",
    "bit_errors",
    "copy_reuse",
    "priority_sort",
    "repeat_copy",
    "sequence_cost",
]


def _int_range(value: Any, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int ``v`` or a pair ``(low, high)`` as an inclusive range ``(low, high)``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        v = check_positive_int(value, name, minimum=minimum)
        return v, v
    try:
        low, high = value
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an int or a pair (low, high) of ints; got {value!r}"
        ) from None
    low = check_positive_int(low, f"{name}[0]", minimum=minimum)
    high = check_positive_int(high, f"{name}[1]", minimum=minimum)
    if high < low:
        raise ValueError(f"{name} must satisfy low <= high; got {value!r}")
    return low, high


def _bits(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray:
    return (rng.random(shape) < 0.5).astype(np.float64)


def _dataset(
    inputs: NDArray,
    targets: NDArray,
    mask: NDArray,
    lengths: NDArray | None,
    name: str,
    info: dict[str, Any],
    per_sequence: tuple[str, ...],
) -> SequenceDataset:
    return SequenceDataset(
        inputs=inputs,
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=targets.shape[2],
        lengths=lengths,
        info=info,
        per_sequence=per_sequence,
        name=name,
    )


# ----------------------------------------------------------------------------- copy
def binary_copy(
    n_sequences: int, length: Any = (1, 20), n_bits: int = 8, seed: Any = None
) -> SequenceDataset:
    """The NTM copy task (Graves et al. 2014, section 4.1).

    Parameters
    ----------
    n_sequences : int
    length : int or (int, int), default (1, 20)
        Number ``L`` of vectors to copy, or the inclusive range it is drawn from uniformly
        (the paper trains on 1 to 20).
    n_bits : int, default 8
        Bits per vector.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, n_bits + 1)``, the last channel the delimiter; ``targets``
        ``(T, N, n_bits)``; ``mask`` 1 on the ``L`` answer steps; ``T = 2 max(L) + 1``;
        ``lengths`` ``2 L + 1`` (``None`` when every ``L`` is the same);
        ``info["sequence_length"]`` holds each ``L``.

    Examples
    --------
    >>> data = binary_copy(2, length=2, n_bits=3, seed=1)
    >>> data.inputs[:, 0].astype(int)          # two vectors, the delimiter, two blank steps
    array([[0, 0, 1, 0],
           [0, 1, 0, 0],
           [0, 0, 0, 1],
           [0, 0, 0, 0],
           [0, 0, 0, 0]])
    >>> data.targets[3:, 0].astype(int), data.mask[:, 0].astype(int)
    (array([[0, 0, 1],
           [0, 1, 0]]), array([0, 0, 0, 1, 1]))
    """
    n = check_positive_int(n_sequences, "n_sequences")
    low, high = _int_range(length, "length")
    n_bits = check_positive_int(n_bits, "n_bits")
    rng = make_rng(seed)
    L = rng.integers(low, high + 1, size=n)  # (N,)
    T = 2 * high + 1
    vectors = _bits(rng, (high, n, n_bits))  # (max L, N, bits); each uses its first L rows
    inputs = np.zeros((T, n, n_bits + 1))
    targets = np.zeros((T, n, n_bits))
    mask = np.zeros((T, n))
    steps = np.arange(high)[:, None]
    valid = steps < L[None, :]  # (max L, N)
    cols = np.arange(n)
    inputs[:high, :, :n_bits] = vectors * valid[:, :, None]
    inputs[L, cols, n_bits] = 1.0
    for b in range(n):  # answer steps L+1 .. 2L
        targets[L[b] + 1 : 2 * L[b] + 1, b] = vectors[: L[b], b]
        mask[L[b] + 1 : 2 * L[b] + 1, b] = 1.0
    lengths = None if low == high else 2 * L + 1
    return _dataset(
        inputs,
        targets,
        mask,
        lengths,
        "binary_copy",
        {"sequence_length": L},
        ("sequence_length",),
    )


# ----------------------------------------------------------------------------- copy with reuse
def copy_reuse(
    n_sequences: int,
    episodes: Any = 4,
    length: Any = 4,
    n_bits: int = 6,
    seed: Any = None,
) -> SequenceDataset:
    """Copy episodes back to back: more vectors to remember in all than a memory holds at once.

    Each sequence is ``K`` copy episodes of :func:`binary_copy`'s layout, one after the other:
    ``L_k`` random vectors, the delimiter, then ``L_k`` steps without input in which the model
    outputs the vectors in order. An episode only needs its own vectors, so a memory of ``N``
    slots suffices for any number of episodes of at most ``N`` vectors -- if the model frees
    what it has answered. With ``K L`` larger than ``N`` (Graves et al. 2016 show the
    differentiable neural computer reusing memory this way, figure 1 and Methods, "memory
    allocation"), a model that never frees its slots runs out of them.

    Parameters
    ----------
    n_sequences : int
    episodes : int or (int, int), default 4
        Number ``K`` of episodes per sequence, or the inclusive range it is drawn from.
    length : int or (int, int), default 4
        Vectors ``L_k`` per episode, or the range each episode's count is drawn from.
    n_bits : int, default 6
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, n_bits + 1)``, the last channel the delimiter; ``targets``
        ``(T, N, n_bits)``; ``mask`` 1 on the answer steps; a sequence has
        ``sum_k (2 L_k + 1)`` steps (``lengths``, ``None`` when all are equal);
        ``info["episodes"]`` ``(N,)``, ``info["episode_lengths"]`` ``(N, max K)`` (0 past a
        sequence's episodes) and ``info["written"]`` ``(N,)``, the vectors written in all.

    Examples
    --------
    >>> data = copy_reuse(1, episodes=2, length=1, n_bits=2, seed=0)
    >>> data.inputs[:, 0].astype(int)     # vector, delimiter, answer step; twice
    array([[0, 1, 0],
           [0, 0, 1],
           [0, 0, 0],
           [1, 1, 0],
           [0, 0, 1],
           [0, 0, 0]])
    >>> data.targets[:, 0].astype(int)[[2, 5]], data.mask[:, 0].astype(int)
    (array([[0, 1],
           [1, 1]]), array([0, 0, 1, 0, 0, 1]))
    """
    n = check_positive_int(n_sequences, "n_sequences")
    k_low, k_high = _int_range(episodes, "episodes")
    low, high = _int_range(length, "length")
    n_bits = check_positive_int(n_bits, "n_bits")
    rng = make_rng(seed)
    K = rng.integers(k_low, k_high + 1, size=n)  # (N,)
    L = rng.integers(low, high + 1, size=(n, k_high)) * (np.arange(k_high)[None, :] < K[:, None])
    total = (2 * L + (L > 0)).sum(axis=1)  # (N,)
    T = int(total.max())
    inputs = np.zeros((T, n, n_bits + 1))
    targets = np.zeros((T, n, n_bits))
    mask = np.zeros((T, n))
    for b in range(n):
        t = 0
        for ell in L[b, : K[b]]:
            seq = _bits(rng, (int(ell), n_bits))
            inputs[t : t + ell, b, :n_bits] = seq
            inputs[t + ell, b, n_bits] = 1.0
            targets[t + ell + 1 : t + 2 * ell + 1, b] = seq
            mask[t + ell + 1 : t + 2 * ell + 1, b] = 1.0
            t += 2 * ell + 1
    lengths = None if np.all(total == T) else total
    return _dataset(
        inputs,
        targets,
        mask,
        lengths,
        "copy_reuse",
        {"episodes": K, "episode_lengths": L, "written": L.sum(axis=1)},
        ("episodes", "episode_lengths", "written"),
    )


# ----------------------------------------------------------------------------- repeat copy
def repeat_copy(
    n_sequences: int,
    length: Any = (1, 10),
    repeats: Any = (1, 10),
    n_bits: int = 8,
    seed: Any = None,
    *,
    repeat_range: tuple[int, int] = (1, 10),
) -> SequenceDataset:
    """The NTM repeat-copy task (Graves et al. 2014, section 4.2).

    Parameters
    ----------
    n_sequences : int
    length : int or (int, int), default (1, 10)
        Number ``L`` of vectors, or the inclusive range it is drawn from (paper: 1 to 10).
    repeats : int or (int, int), default (1, 10)
        Number of copies ``R``, or its range (paper: 1 to 10).
    n_bits : int, default 8
    seed : None, int or numpy.random.Generator
    repeat_range : (int, int), default (1, 10)
        The training range of ``R`` whose uniform distribution sets the normalisation of the
        repeat channel, ``(R - mean) / std``; keep it when testing on other counts.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, n_bits + 2)``: the bits, the delimiter (step ``L``) and the
        normalised repeat count (step ``L + 1``); ``targets`` ``(T, N, n_bits + 1)``, the last
        channel the end marker (step ``L + 2 + R L``); ``mask`` 1 on the ``R L + 1`` answer
        steps; ``info["sequence_length"]``, ``info["repeats"]``.

    Examples
    --------
    >>> data = repeat_copy(1, length=2, repeats=3, n_bits=2, seed=0)
    >>> data.n_steps, data.targets[4:, 0].astype(int)    # 2 + 2 + 3 x 2 + 1 steps
    (11, array([[0, 1, 0],
           [1, 1, 0],
           [0, 1, 0],
           [1, 1, 0],
           [0, 1, 0],
           [1, 1, 0],
           [0, 0, 1]]))
    >>> round(float(data.inputs[3, 0, 3]), 4)      # (3 - 5.5) / sqrt(99 / 12)
    -0.8704
    """
    n = check_positive_int(n_sequences, "n_sequences")
    low, high = _int_range(length, "length")
    r_low, r_high = _int_range(repeats, "repeats")
    n_bits = check_positive_int(n_bits, "n_bits")
    lo, hi = _int_range(repeat_range, "repeat_range")
    mean, std = (lo + hi) / 2.0, np.sqrt(((hi - lo + 1) ** 2 - 1) / 12.0)
    if std == 0.0:
        std = 1.0  # a single training count: centre it only
    rng = make_rng(seed)
    L = rng.integers(low, high + 1, size=n)
    Rn = rng.integers(r_low, r_high + 1, size=n)
    total = L + 2 + Rn * L + 1
    T = int(total.max())
    vectors = _bits(rng, (high, n, n_bits))
    inputs = np.zeros((T, n, n_bits + 2))
    targets = np.zeros((T, n, n_bits + 1))
    mask = np.zeros((T, n))
    for b in range(n):
        seq = vectors[: L[b], b]
        inputs[: L[b], b, :n_bits] = seq
        inputs[L[b], b, n_bits] = 1.0
        inputs[L[b] + 1, b, n_bits + 1] = (Rn[b] - mean) / std
        start, end = L[b] + 2, L[b] + 2 + Rn[b] * L[b]
        targets[start:end, b, :n_bits] = np.tile(seq, (Rn[b], 1))
        targets[end, b, n_bits] = 1.0
        mask[start : end + 1, b] = 1.0
    lengths = None if np.all(total == T) else total
    return _dataset(
        inputs,
        targets,
        mask,
        lengths,
        "repeat_copy",
        {"sequence_length": L, "repeats": Rn, "repeat_normalisation": (mean, std)},
        ("sequence_length", "repeats"),
    )


# ----------------------------------------------------------------------------- associative recall
def associative_recall(
    n_sequences: int,
    items: Any = (2, 6),
    item_length: int = 3,
    n_bits: int = 6,
    seed: Any = None,
) -> SequenceDataset:
    """The NTM associative-recall task (Graves et al. 2014, section 4.3).

    Parameters
    ----------
    n_sequences : int
    items : int or (int, int), default (2, 6)
        Number ``n >= 2`` of items, or the inclusive range it is drawn from (paper: 2 to 6).
    item_length : int, default 3
        Vectors per item (paper: 3 six-bit vectors, 18 bits per item).
    n_bits : int, default 6
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, n_bits + 2)``: the bits, the item delimiter, the query delimiter;
        ``targets`` ``(T, N, n_bits)``: the item that followed the query, on the
        ``item_length`` steps after the second query delimiter (``mask``);
        ``info["items"]`` and ``info["query"]`` (the queried item's index, in
        ``[0, n - 2]``).

    Examples
    --------
    >>> data = associative_recall(1, items=2, item_length=1, n_bits=2, seed=3)
    >>> data.inputs[:, 0].astype(int)  # 2 items, query delimiter, query, delimiter, answer
    array([[0, 0, 1, 0],
           [1, 1, 0, 0],
           [0, 0, 1, 0],
           [0, 0, 0, 0],
           [0, 0, 0, 1],
           [1, 1, 0, 0],
           [0, 0, 0, 1],
           [0, 0, 0, 0]])
    >>> data.targets[-1, 0].astype(int)             # the item after the query
    array([0, 0])
    """
    n = check_positive_int(n_sequences, "n_sequences")
    low, high = _int_range(items, "items", minimum=2)
    ell = check_positive_int(item_length, "item_length")
    n_bits = check_positive_int(n_bits, "n_bits")
    rng = make_rng(seed)
    counts = rng.integers(low, high + 1, size=n)
    vectors = _bits(rng, (n, high, ell, n_bits))
    query = (rng.random(n) * (counts - 1)).astype(np.int64)  # uniform in [0, count - 2]
    total = counts * (ell + 1) + 2 * ell + 2
    T = int(total.max())
    inputs = np.zeros((T, n, n_bits + 2))
    targets = np.zeros((T, n, n_bits))
    mask = np.zeros((T, n))
    for b in range(n):
        k = counts[b]
        for i in range(k):
            t0 = i * (ell + 1)
            inputs[t0, b, n_bits] = 1.0
            inputs[t0 + 1 : t0 + 1 + ell, b, :n_bits] = vectors[b, i]
        t0 = k * (ell + 1)
        inputs[t0, b, n_bits + 1] = 1.0
        inputs[t0 + 1 : t0 + 1 + ell, b, :n_bits] = vectors[b, query[b]]
        inputs[t0 + 1 + ell, b, n_bits + 1] = 1.0
        answer = t0 + 2 + ell
        targets[answer : answer + ell, b] = vectors[b, query[b] + 1]
        mask[answer : answer + ell, b] = 1.0
    lengths = None if np.all(total == T) else total
    return _dataset(
        inputs,
        targets,
        mask,
        lengths,
        "associative_recall",
        {"items": counts, "query": query},
        ("items", "query"),
    )


# ----------------------------------------------------------------------------- priority sort
def priority_sort(
    n_sequences: int,
    n_items: int = 20,
    n_sorted: int = 16,
    n_bits: int = 8,
    seed: Any = None,
) -> SequenceDataset:
    """The NTM priority-sort task (Graves et al. 2014, section 4.5).

    Parameters
    ----------
    n_sequences : int
    n_items : int, default 20
        Input vectors, each with a priority drawn uniformly from [-1, 1] (paper: 20).
    n_sorted : int, default 16
        How many of the highest-priority vectors the model outputs, highest first (paper: 16).
    n_bits : int, default 8
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(n_items + 1 + n_sorted, N, n_bits + 2)``: the bits, the priority, the
        delimiter (step ``n_items``); ``targets`` ``(T, N, n_bits)``; ``mask`` 1 on the
        ``n_sorted`` answer steps; ``info["priorities"]`` ``(N, n_items)``.

    Examples
    --------
    >>> data = priority_sort(1, n_items=3, n_sorted=2, n_bits=2, seed=0)
    >>> data.inputs[:4, 0, 2]                           # priorities, then the delimiter step
    array([0.21327155, 0.45899312, 0.08724998, 0.        ])
    >>> bool((data.targets[4:, 0] == data.inputs[[1, 0], 0, :2]).all())   # highest first
    True
    """
    n = check_positive_int(n_sequences, "n_sequences")
    n_items = check_positive_int(n_items, "n_items")
    n_sorted = check_positive_int(n_sorted, "n_sorted")
    if n_sorted > n_items:
        raise ValueError(f"n_sorted must be at most n_items ({n_items}); got {n_sorted}")
    n_bits = check_positive_int(n_bits, "n_bits")
    rng = make_rng(seed)
    vectors = _bits(rng, (n_items, n, n_bits))
    priorities = rng.uniform(-1.0, 1.0, size=(n_items, n))
    T = n_items + 1 + n_sorted
    inputs = np.zeros((T, n, n_bits + 2))
    inputs[:n_items, :, :n_bits] = vectors
    inputs[:n_items, :, n_bits] = priorities
    inputs[n_items, :, n_bits + 1] = 1.0
    order = np.argsort(-priorities, axis=0, kind="stable")[:n_sorted]  # (n_sorted, N)
    targets = np.zeros((T, n, n_bits))
    targets[n_items + 1 :] = np.take_along_axis(vectors, order[:, :, None], axis=0)
    mask = np.zeros((T, n))
    mask[n_items + 1 :] = 1.0
    return _dataset(
        inputs,
        targets,
        mask,
        None,
        "priority_sort",
        {"priorities": priorities.T.copy()},
        ("priorities",),
    )


# ----------------------------------------------------------------------------- metrics
def _check_outputs(outputs: Any, data: SequenceDataset) -> NDArray:
    shape = data.targets.shape
    doc = f"(T={shape[0]}, N={shape[1]}, output_size={shape[2]}) like data.targets"
    return check_array(outputs, "outputs", shape=shape, dtype=np.float64, shape_doc=doc)


def bit_errors(outputs: Any, data: SequenceDataset, *, logits: bool = True) -> NDArray:
    """Wrong bits per sequence: outputs on the wrong side of 0.5, counted over the answer steps.

    Parameters
    ----------
    outputs : array_like, shape (T, N, output_size)
        The model's outputs: logits (``logits=True``, a bit is 1 where the logit is positive,
        i.e. where its sigmoid exceeds 0.5) or probabilities.
    data : SequenceDataset
        One of this module's tasks (binary targets, ``mask`` on the answer steps).

    Returns
    -------
    ndarray, shape (N,)
        The number of wrong bits of each sequence (Collier & Beel's "error per sequence" is
        its mean).

    Examples
    --------
    >>> data = binary_copy(2, length=3, n_bits=4, seed=0)
    >>> perfect = np.where(data.targets > 0.5, 5.0, -5.0)        # logits
    >>> bit_errors(perfect, data).astype(int)
    array([0, 0])
    >>> bit_errors(np.zeros_like(perfect), data).astype(int)     # all zeros: every 1 is wrong
    array([6, 4])
    """
    outputs = _check_outputs(outputs, data)
    predicted = outputs > (0.0 if logits else 0.5)
    wrong = predicted != (data.targets > 0.5)
    return (wrong.sum(axis=2) * data.mask).sum(axis=0)


def sequence_cost(outputs: Any, data: SequenceDataset) -> NDArray:
    """The paper's cost per sequence: cross-entropy over the answer bits, in bits.

    ``sum_t,o -[y log2 sigmoid(z) + (1 - y) log2(1 - sigmoid(z))]`` over the answer steps of
    each sequence, on logits ``z`` -- the quantity on the y-axes of Graves et al.'s learning
    curves (figures 3, 7, 10, 16).

    Examples
    --------
    >>> data = binary_copy(1, length=2, n_bits=4, seed=0)
    >>> sequence_cost(np.zeros(data.targets.shape), data)       # 8 bits at chance: 1 bit each
    array([8.000])
    """
    z = _check_outputs(outputs, data)
    y = data.targets
    per_bit = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))  # nats
    return (per_bit.sum(axis=2) * data.mask).sum(axis=0) / np.log(2.0)
