r"""Next-symbol prediction on :math:`a^n b^n` and the other counting languages.

Gers & Schmidhuber (2001) showed that LSTM learns the context-free language
:math:`a^n b^n` and the context-sensitive :math:`a^n b^n c^n` by predicting, at every step,
which symbols may come next. A string is framed by a start symbol ``S`` and a terminal symbol
``T``: ``S a^n b^n T``. The input is ``S a^n b^n`` (one-hot over ``S, a, b``), one symbol per
step; the target at step :math:`t` is the multi-hot set of symbols that may follow the prefix
read so far, over the outputs ``a, b, T``, in the language
:math:`\{a^n b^n : n \ge n_{min}\}` (not bounded above, so the target never reveals
``n_max``):

- after ``S``: ``a`` (and ``T`` too when ``n_min = 0``, since the empty string is allowed);
- after :math:`a^j`: ``a``, and ``b`` once :math:`j \ge n_{min}`;
- after :math:`a^n b^j` with :math:`j < n`: ``b``; after :math:`a^n b^n`: ``T``.

Until the first ``b`` the next symbol is uncertain; from the first ``b`` on it is determined,
and predicting it requires counting the ``a``\ s. Gers & Schmidhuber count a string as processed
correctly when every output is on the right side of 0.5 at every step (outputs trained with a
sigmoid, hence ``loss="bce"``). With ``n_letters=3`` the strings are ``S a^n b^n c^n`` with a
``c`` channel added to inputs and outputs, ``n_letters=4`` adds ``d``.

Joulin & Mikolov (2015) used the same kind of task to show what a stack-augmented RNN learns:
:math:`a^n b^n`, :math:`a^n b^n c^n`, :math:`a^n b^n c^n d^n`, :math:`a^n b^{2n}`
(``anbn(..., repeats=(1, 2))``: each letter after ``a`` repeated ``repeats[i] n`` times) and
the addition :math:`a^n b^m c^{n+m}` (:func:`anbmcnm`), trained with ``n < 20`` and tested up
to ``n = 60``. They score a model by *the fraction of n whose deterministic part is predicted
right*: a string counts as right when every symbol that can be predicted with certainty (from
the first ``b`` on, here every step whose target holds a single symbol) is the model's most
likely prediction, and an ``n`` counts when all its strings are right
(:func:`deterministic_accuracy`). They trained on a stream of strings with a softmax over the
next symbol; here each string is a sequence of its own, started by ``S`` and ended by ``T``
(the start of the next string in their stream), and the multi-hot targets can be normalised
into distributions for a cross-entropy loss (:func:`next_symbol_distributions`).

References
----------
F. A. Gers and J. Schmidhuber, "LSTM recurrent networks learn simple context-free and
context-sensitive languages", IEEE Trans. Neural Networks 12(6):1333-1340, 2001.

A. Joulin and T. Mikolov, "Inferring algorithmic patterns with stack-augmented recurrent
nets", NIPS 2015 (arXiv:1503.01007).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_array, check_positive_int
from .base import SequenceDataset, one_hot

__all__ = [
    "anbn",
    "anbn_accepts",
    "anbmcnm",
    "deterministic_accuracy",
    "deterministic_correct",
    "next_symbol_distributions",
]

_LETTERS = "abcd"


def anbn_accepts(s: str, n_min: int = 1) -> bool:
    r"""Whether ``s`` is :math:`a^n b^n` with :math:`n \ge n_{min}` (a string of a's and b's).

    Examples
    --------
    >>> anbn_accepts("aabb"), anbn_accepts("abab"), anbn_accepts(""), anbn_accepts("", 0)
    (True, False, False, True)
    """
    if not isinstance(s, str):
        raise TypeError(f"s must be a str of a's and b's; got {type(s).__name__}")
    bad = set(s) - {"a", "b"}
    if bad:
        raise ValueError(f"s must contain only 'a' and 'b'; got {sorted(bad)!r} in {s!r}")
    n = len(s) // 2
    return len(s) % 2 == 0 and n >= n_min and s == "a" * n + "b" * n


def anbn(
    n_max: int,
    n_min: int = 1,
    n_sequences: int | None = None,
    seed: Any = None,
    *,
    n_letters: int = 2,
    repeats: tuple[int, ...] | None = None,
) -> SequenceDataset:
    """Generate :math:`a^n b^n` (:math:`a^n b^n c^n`, ...) strings for next-symbol prediction.

    Parameters
    ----------
    n_max : int
        Largest ``n``.
    n_min : int, default 1
        Smallest ``n`` (0 allows the empty string ``S T``).
    n_sequences : int, optional
        ``None`` (default): one string for each ``n`` in ``[n_min, n_max]``, in order. An int:
        that many strings with ``n`` drawn uniformly from ``[n_min, n_max]``.
    seed : None, int or numpy.random.Generator
        Source of randomness (used only with ``n_sequences``).
    n_letters : {2, 3, 4}, default 2
        2 for :math:`a^n b^n`, 3 for :math:`a^n b^n c^n`, 4 for :math:`a^n b^n c^n d^n`.
    repeats : tuple of int, optional
        How many times ``n`` each letter is repeated, the first 1: ``(1, 2)`` gives
        :math:`a^n b^{2n}`. Default all 1.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1 + n_letters)`` one-hot over ``S, a, b[, c]``,
        ``T = 1 + sum(repeats) * n_max``; ``targets`` ``(T, N, n_letters + 1)`` multi-hot
        over ``a, b[, c], T``; ``mask`` ``(T, N)``, 1 on each string's steps; ``lengths``
        ``(N,)`` = ``1 + sum(repeats) * n``; ``loss="bce"``. ``info`` holds per-sequence
        ``"n"``, the channel names ``"input_alphabet"`` and ``"output_alphabet"``, and
        ``"repeats"``.

    Examples
    --------
    >>> data = anbn(2, n_min=1)
    >>> data.inputs.shape, data.targets.shape, data.lengths
    ((5, 2, 3), (5, 2, 3), array([3, 5]))
    >>> data.inputs[:, 1].argmax(-1)  # S a a b b
    array([0, 1, 1, 2, 2])
    >>> data.targets[:, 1]  # next-symbol sets over a, b, T
    array([[1., 0., 0.],
           [1., 1., 0.],
           [1., 1., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    """
    hi = check_positive_int(n_max, "n_max")
    lo = check_positive_int(n_min, "n_min", minimum=0)
    if lo > hi:
        raise ValueError(f"n_min must be <= n_max={hi}; got {lo}")
    k = check_positive_int(n_letters, "n_letters", minimum=2)
    if k > 4:
        raise ValueError(f"n_letters must be 2, 3 or 4; got {k}")
    reps = (1,) * k if repeats is None else tuple(repeats)
    if (
        len(reps) != k
        or any(isinstance(r, (bool, np.bool_)) or int(r) != r or r < 1 for r in reps)
        or reps[0] != 1
    ):
        raise ValueError(
            f"repeats must hold {k} positive integers (one per letter), the first 1; "
            f"got {repeats!r}"
        )
    reps = tuple(int(r) for r in reps)
    if n_sequences is None:
        ns = np.arange(lo, hi + 1)
    else:
        N = check_positive_int(n_sequences, "n_sequences")
        ns = make_rng(seed).integers(lo, hi + 1, size=N)
    N = len(ns)
    lengths = 1 + sum(reps) * ns  # (N,)
    T = int(lengths.max())
    end = k  # output index of the terminal symbol T

    codes = np.full((T, N), -1, dtype=np.int64)  # input indices: 0 = S, 1.. = letters
    targets = np.zeros((T, N, k + 1))
    for j, n in enumerate(ns.tolist()):
        letters = np.repeat(np.arange(k), np.array(reps) * n)  # the string's letters
        codes[0, j] = 0
        codes[1 : 1 + len(letters), j] = 1 + letters
        # after S a^i (0 <= i <= n): 'a' may follow; 'b' once i >= max(n_min, 1); 'T' if i = 0
        # and the empty string is allowed
        i = np.arange(n + 1)
        targets[i, j, 0] = 1.0
        targets[i, j, 1] = (i >= max(lo, 1)).astype(np.float64)
        targets[0, j, end] = float(lo == 0)
        # after S a^n and u >= 1 later letters the continuation is determined: the string's
        # next letter, then T
        u = np.arange(1, len(letters) - n + 1)
        nxt = np.append(letters[n + 1 :], end)
        targets[n + u, j, nxt] = 1.0
    mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    return SequenceDataset(
        inputs=one_hot(codes, k + 1),
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=k + 1,
        lengths=lengths.astype(np.int64),
        info={
            "n": ns.astype(np.int64),
            "input_alphabet": ["S"] + list(_LETTERS[:k]),
            "output_alphabet": list(_LETTERS[:k]) + ["T"],
            "repeats": reps,
        },
        per_sequence=("n",),
        name="anbn",
    )


def anbmcnm(
    n_max: int, n_min: int = 2, n_sequences: int | None = None, seed: Any = None
) -> SequenceDataset:
    r"""Generate :math:`a^n b^m c^{n+m}` (Joulin & Mikolov's addition) for next-symbol prediction.

    Strings ``S a^n b^m c^{n+m}`` with :math:`n, m \ge 1`, grouped by their total
    :math:`n + m` (the ``n`` of Joulin & Mikolov's test): after ``S`` comes ``a``; after the
    ``a``\ s ``a`` or ``b``; after the ``b``\ s ``b`` or ``c``; from the first ``c`` on the rest
    is determined.

    Parameters
    ----------
    n_max, n_min : int
        Range of the totals :math:`n + m` (``n_min >= 2``).
    n_sequences : int, optional
        ``None``: every split :math:`(n, m)` of every total in range, in order. An int: that
        many strings, the total uniform in range and ``m`` uniform in ``[1, total - 1]``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        As :func:`anbn` with three letters: inputs over ``S, a, b, c``, targets over
        ``a, b, c, T``; ``info["n"]`` the totals and ``info["m"]``.

    Examples
    --------
    >>> data = anbmcnm(3)
    >>> data.info["n"], data.info["m"]
    (array([2, 3, 3]), array([1, 1, 2]))
    >>> data.inputs[:, 1].argmax(-1)                  # S a a b c c c
    array([0, 1, 1, 2, 3, 3, 3])
    >>> data.targets[:, 1].argmax(-1)[4:], data.targets[:, 1].sum(-1)
    (array([2, 2, 3]), array([1., 2., 2., 2., 1., 1., 1.]))
    """
    hi = check_positive_int(n_max, "n_max", minimum=2)
    lo = check_positive_int(n_min, "n_min", minimum=2)
    if lo > hi:
        raise ValueError(f"n_min must be <= n_max={hi}; got {lo}")
    if n_sequences is None:
        pairs = [(total - m, m) for total in range(lo, hi + 1) for m in range(1, total)]
    else:
        count = check_positive_int(n_sequences, "n_sequences")
        rng = make_rng(seed)
        totals = rng.integers(lo, hi + 1, size=count)
        splits = rng.integers(1, totals)
        pairs = [(int(s) - int(m), int(m)) for s, m in zip(totals, splits, strict=True)]
    N = len(pairs)
    lengths = np.array([1 + 2 * (n + m) for n, m in pairs], dtype=np.int64)
    T = int(lengths.max())
    codes = np.full((T, N), -1, dtype=np.int64)
    targets = np.zeros((T, N, 4))
    for j, (n, m) in enumerate(pairs):
        letters = np.repeat(np.arange(3), [n, m, n + m])
        codes[0, j] = 0
        codes[1 : 1 + len(letters), j] = 1 + letters
        targets[0, j, 0] = 1.0  # after S: a
        targets[1 : n + 1, j, 0:2] = 1.0  # after a^i: a or b
        targets[n + 1 : n + m + 1, j, 1:3] = 1.0  # after a^n b^j: b or c
        u = np.arange(1, n + m + 1)  # after the u-th c: c, then T
        targets[n + m + u, j, np.where(u < n + m, 2, 3)] = 1.0
    mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    return SequenceDataset(
        inputs=one_hot(codes, 4),
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=4,
        lengths=lengths,
        info={
            "n": np.array([n + m for n, m in pairs], dtype=np.int64),
            "m": np.array([m for _, m in pairs], dtype=np.int64),
            "input_alphabet": ["S", "a", "b", "c"],
            "output_alphabet": ["a", "b", "c", "T"],
        },
        per_sequence=("n", "m"),
        name="anbmcnm",
    )


def next_symbol_distributions(data: SequenceDataset) -> NDArray:
    """The multi-hot next-symbol sets of a counting task as distributions (each row sums to 1).

    Targets for a softmax output trained with ``loss="cross_entropy"``, as Joulin & Mikolov
    train theirs; rows past a string's end stay 0 (the mask excludes them).

    Examples
    --------
    >>> next_symbol_distributions(anbn(1))[:, 0]
    array([[1. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0. , 0. , 1. ]])
    """
    sums = data.targets.sum(axis=2, keepdims=True)
    return np.divide(data.targets, sums, out=np.zeros_like(data.targets), where=sums > 0)


def deterministic_correct(outputs: Any, data: SequenceDataset) -> NDArray:
    """Whether each string's deterministic part is predicted right, ``(N,)`` bool.

    ``outputs`` ``(T, N, n_outputs)`` are the model's scores for the next symbol (logits or
    probabilities). The deterministic part of a string is its longest run of final steps whose
    target sets hold a single symbol (after the first ``b`` of :math:`a^n b^n`, the first
    ``c`` of :math:`a^n b^m c^{n+m}`, Joulin & Mikolov's deterministic part); it is right when
    that symbol has the highest score at each of these steps.

    Examples
    --------
    >>> data = anbn(2)
    >>> deterministic_correct(data.targets, data)             # the targets themselves
    array([ True,  True])
    """
    Y = check_array(outputs, "outputs", shape=data.targets.shape, shape_doc="like data.targets")
    T = data.targets.shape[0]
    live = data.mask > 0  # (T, N)
    uncertain = (data.targets.sum(axis=2) != 1) & live
    # the deterministic part starts after the last uncertain step
    last = np.where(uncertain.any(axis=0), T - 1 - np.argmax(uncertain[::-1], axis=0), -1)
    scored = (np.arange(T)[:, None] > last[None, :]) & live
    right = Y.argmax(axis=2) == data.targets.argmax(axis=2)
    return np.all(right | ~scored, axis=0)


def deterministic_accuracy(outputs: Any, data: SequenceDataset) -> float:
    """Joulin & Mikolov's score: the fraction of ``n`` whose deterministic part is right.

    The strings are grouped by ``data.info["n"]``; an ``n`` counts when every string of it
    is right (:func:`deterministic_correct`).

    Examples
    --------
    >>> data = anbn(4)
    >>> guess = data.targets.copy(); guess[-1, -1] = [1, 0, 0]   # n = 4 ends wrong
    >>> deterministic_accuracy(guess, data)
    0.75
    """
    ok = deterministic_correct(outputs, data)
    ns = np.asarray(data.info["n"])
    values = np.unique(ns)
    return float(np.mean([ok[ns == n].all() for n in values]))
