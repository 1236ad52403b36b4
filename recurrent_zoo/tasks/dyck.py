r"""Dyck languages: balanced brackets of one or more types.

The Dyck language :math:`D_k` is the set of well-nested strings over :math:`k` pairs of
brackets, e.g. ``([]())`` in :math:`D_2`. :math:`D_1` needs a counter, :math:`D_k` for
:math:`k \ge 2` a stack; by the Chomsky-Schützenberger theorem every context-free language is a
homomorphic image of a Dyck language intersected with a regular one, which makes them the
standard probe of whether a recurrent net can count or emulate a stack (e.g. Suzgun et al.
2019; see :mod:`recurrent_zoo.tasks.anbn` for the related :math:`a^n b^n`).

Symbols ``()``, ``[]``, ``{}``, ``<>`` are the bracket types 1 to 4. Input channels are the
opening brackets then the closing brackets, ``( [ ... ) ] ...``, one-hot, one symbol per step.
Two tasks:

``task="recognition"``
    Half the strings are balanced words drawn uniformly among Dyck words of their length; the
    other half are the same kind of word with two symbols swapped (redrawn until unbalanced),
    so positives and negatives have the same length and the same number of each symbol, and
    a classifier cannot succeed by counting symbols or checking the length. The label (1 =
    balanced) is the target at the last step.
``task="next_symbol"``
    Balanced words only. At each step the target is the multi-hot set of symbols that may
    follow the prefix in :math:`D_k` (outputs: the opening brackets, the closing brackets, then
    an end symbol): any opening bracket, the closing bracket matching the innermost open one
    if the depth is positive, and the end symbol if the depth is 0 -- the formulation of
    Suzgun et al. (2019), which makes the task deterministic to score.

Lengths are even, drawn uniformly from the even numbers in ``[min_length, max_length]``;
a word of a given length is uniform among Dyck words of that length (cycle lemma) with each
matched pair's type uniform.

References
----------
M. Suzgun, S. Gehrmann, Y. Belinkov and S. M. Shieber, "LSTM networks can perform dynamic
counting", ACL Workshop on Deep Learning and Formal Languages, 2019 (arXiv:1906.03648).

N. Chomsky and M. P. Schützenberger, "The algebraic theory of context-free languages", in
Computer Programming and Formal Systems, North-Holland, 118-161, 1963.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_choice, check_positive_int
from .base import SequenceDataset, last_step_labels, one_hot

__all__ = ["dyck", "dyck_accepts"]

_OPEN = "([{<"
_CLOSE = ")]}>"
_MAX_TRIES = 1000


def dyck_accepts(s: str) -> bool:
    """Whether ``s`` is a balanced (well-nested) string of the brackets ``()[]{}<>``.

    Examples
    --------
    >>> dyck_accepts("([]())"), dyck_accepts("([)]"), dyck_accepts("")
    (True, False, True)
    """
    if not isinstance(s, str):
        raise TypeError(f"s must be a str of the brackets ()[]{{}}<>; got {type(s).__name__}")
    stack: list[str] = []
    for c in s:
        if c in _OPEN:
            stack.append(_CLOSE[_OPEN.index(c)])
        elif c in _CLOSE:
            if not stack or stack.pop() != c:
                return False
        else:
            raise ValueError(f"s must contain only the brackets ()[]{{}}<>; got {c!r} in {s!r}")
    return not stack


def _dyck_word(semilength: int, n_types: int, rng: np.random.Generator) -> str:
    """A uniform Dyck word of ``semilength`` pairs, each pair's type uniform (cycle lemma)."""
    steps = rng.permutation(np.r_[np.ones(semilength, int), -np.ones(semilength + 1, int)])
    first_min = int(np.argmin(np.cumsum(steps)))
    # the rotation starting after the first minimum stays >= 0 until its final -1
    shape = np.concatenate([steps[first_min + 1 :], steps[: first_min + 1]])[:-1]
    types = rng.integers(0, n_types, size=semilength)
    out, stack, k = [], [], 0
    for step in shape:
        if step > 0:
            out.append(_OPEN[types[k]])
            stack.append(types[k])
            k += 1
        else:
            out.append(_CLOSE[stack.pop()])
    return "".join(out)


def _corrupt(word: str, rng: np.random.Generator) -> str:
    """Swap two different symbols of ``word`` until the result is unbalanced."""
    chars = np.array(list(word))
    for _ in range(_MAX_TRIES):
        i, j = rng.choice(len(chars), size=2, replace=False)
        if chars[i] == chars[j]:
            continue
        swapped = chars.copy()
        swapped[[i, j]] = swapped[[j, i]]
        candidate = "".join(swapped)
        if not dyck_accepts(candidate):
            return candidate
    raise RuntimeError(f"could not corrupt {word!r} in {_MAX_TRIES} tries")  # pragma: no cover


def _next_symbol_sets(word: str, n_types: int) -> NDArray:
    """``(len(word), 2 n_types + 1)`` multi-hot sets of allowed next symbols after each prefix."""
    out = np.zeros((len(word), 2 * n_types + 1))
    out[:, :n_types] = 1.0  # any opening bracket may always follow
    stack: list[int] = []
    for t, c in enumerate(word):
        if c in _OPEN:
            stack.append(_OPEN.index(c))
        else:
            stack.pop()
        if stack:
            out[t, n_types + stack[-1]] = 1.0
        else:
            out[t, 2 * n_types] = 1.0
    return out


def dyck(
    n_sequences: int,
    max_length: int,
    seed: Any = None,
    *,
    n_types: int = 1,
    task: str = "recognition",
    min_length: int = 2,
    loss: str = "bce",
) -> SequenceDataset:
    """Generate Dyck-language strings for recognition or next-symbol prediction.

    Parameters
    ----------
    n_sequences : int
        Number of strings ``N``.
    max_length : int
        Longest string (at least 2; odd values are rounded down to the even length below).
    seed : None, int or numpy.random.Generator
        Source of randomness.
    n_types : int, default 1
        Number of bracket types, 1 to 4 (1 = Dyck-1, 2 = Dyck-2, ...).
    task : {"recognition", "next_symbol"}, default "recognition"
    min_length : int, default 2
        Shortest string (at least 2, at most ``max_length``).
    loss : {"bce", "cross_entropy"}, default "bce"
        For recognition: ``"bce"`` targets ``(T, N, 1)`` or ``"cross_entropy"`` targets
        ``(T, N)`` with class 1 = balanced. Next-symbol prediction is always ``"bce"``.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 2 n_types)`` one-hot; ``lengths`` ``(N,)``. Recognition: the label
        at each string's last step, ``mask`` 1 there. Next-symbol: ``targets``
        ``(T, N, 2 n_types + 1)`` multi-hot, ``mask`` 1 on every step of each string. ``info``
        holds per-sequence ``"strings"`` and ``"labels"`` (1 = balanced), ``"input_alphabet"``
        and ``"output_alphabet"``.

    Examples
    --------
    >>> data = dyck(4, 6, seed=0, n_types=2)
    >>> data.info["strings"], data.info["labels"]
    (['][[[]]', '[)(]', '(())', '[]'], array([0, 0, 1, 1]))
    >>> data.inputs.shape, data.lengths
    ((6, 4, 4), array([6, 4, 4, 2]))
    >>> nxt = dyck(1, 4, seed=2, task="next_symbol")
    >>> nxt.info["strings"], nxt.targets[:, 0]  # outputs: ( ) end
    (['()()'], array([[1., 1., 0.],
           [1., 0., 1.],
           [1., 1., 0.],
           [1., 0., 1.]]))
    """
    n = check_positive_int(n_sequences, "n_sequences")
    hi = check_positive_int(max_length, "max_length", minimum=2)
    lo = check_positive_int(min_length, "min_length", minimum=2)
    if lo > hi:
        raise ValueError(f"min_length must be <= max_length={hi}; got {lo}")
    if lo % 2 and lo == hi:
        raise ValueError(f"[min_length, max_length] = [{lo}, {hi}] holds no even length")
    k = check_positive_int(n_types, "n_types")
    if k > len(_OPEN):
        raise ValueError(f"n_types must be an integer in 1..{len(_OPEN)}; got {k}")
    check_choice(task, "task", ("recognition", "next_symbol"))
    check_choice(loss, "loss", ("bce", "cross_entropy"))
    if task == "next_symbol" and loss != "bce":
        raise ValueError("loss must be 'bce' for task='next_symbol' (multi-hot targets)")
    rng = make_rng(seed)

    semilengths = rng.integers((lo + 1) // 2, hi // 2 + 1, size=n)  # (N,)
    if task == "recognition":
        positive = rng.permutation(np.arange(n) < (n + 1) // 2)
    else:
        positive = np.ones(n, dtype=bool)
    strings = []
    for m, pos in zip(semilengths, positive, strict=True):
        word = _dyck_word(int(m), k, rng)
        strings.append(word if pos else _corrupt(word, rng))
    labels = np.array([dyck_accepts(s) for s in strings], dtype=np.int64)

    lengths = 2 * semilengths.astype(np.int64)
    T = int(lengths.max())
    codes = np.full((T, n), -1, dtype=np.int64)  # (T, N) input indices, -1 = padding
    symbols = _OPEN[:k] + _CLOSE[:k]
    for j, s in enumerate(strings):
        codes[: len(s), j] = [symbols.index(c) for c in s]
    output_alphabet: list[str]
    if task == "recognition":
        targets, mask, output_size = last_step_labels(labels, lengths, T, loss)
        output_alphabet = ["balanced"]
    else:
        mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
        targets = np.zeros((T, n, 2 * k + 1))
        for j, s in enumerate(strings):
            targets[: len(s), j] = _next_symbol_sets(s, k)
        output_size = 2 * k + 1
        output_alphabet = list(symbols) + ["end"]
    return SequenceDataset(
        inputs=one_hot(codes, 2 * k),
        targets=targets,
        mask=mask,
        loss=loss,
        output_size=output_size,
        lengths=lengths,
        info={
            "strings": strings,
            "labels": labels,
            "input_alphabet": list(symbols),
            "output_alphabet": output_alphabet,
        },
        per_sequence=("strings", "labels"),
        name="dyck",
    )
