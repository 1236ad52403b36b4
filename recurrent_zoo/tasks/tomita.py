r"""The seven Tomita grammars: small regular languages over {0, 1}.

Tomita (1982) chose seven regular languages to test the inference of finite automata from
labelled strings; Giles et al. (1992) and Watrous & Kuhn (1992) made them the standard
benchmark for second-order recurrent nets and automaton extraction. Over the alphabet
``"01"``:

1. ``1*``.
2. ``(10)*``.
3. Any string without an odd-length block of 0s anywhere after an odd-length block of 1s.
   A *block* is a maximal run of equal symbols; "after" means anywhere later in the string,
   not only immediately after -- the reading that fits Tomita's own negative examples
   ``0111001101`` and ``11011100110``. Some implementations use the "immediately after"
   reading; the two languages first differ on ``100110``, which is rejected here.
4. Any string without more than two consecutive 0s (no ``000``).
5. Any string of even length that, read as consecutive pairs, has an even number of ``01``
   and ``10`` pairs in total; equivalently, an even number of 0s and an even number of 1s.
6. Any string in which the number of 0s minus the number of 1s is a multiple of 3.
7. ``0*1*0*1*``.

Every grammar accepts the empty string. :func:`tomita_accepts` decides membership from these
definitions directly; :func:`tomita_dfa` gives each language's minimal complete DFA (2, 3, 5,
4, 4, 3 and 5 states), used to sample strings of a given label uniformly.

:func:`tomita_dataset` encodes strings for a recurrent classifier. Each symbol is one step of a
one-hot input with channels ``0``, ``1``, then ``<s>`` if ``start_symbol`` and ``</s>`` if
``end_symbol``; a string :math:`w` becomes ``[<s>] w [</s>]``, zero-padded to the longest, and
its accept (1) / reject (0) label is the target at its own last step. With the default
``end_symbol=True`` the empty string is the one-step sequence ``</s>``, and the label is read
after the end symbol, as Giles et al. (1992) did. Without start and end symbols the empty
string has no step to carry its label, so ``min_length`` must then be at least 1.

References
----------
M. Tomita, "Dynamic construction of finite-state automata from examples using hill-climbing",
Proc. 4th Annual Conference of the Cognitive Science Society, 105-108, 1982.

C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun and Y. C. Lee, "Learning and
extracting finite state automata with second-order recurrent neural networks", Neural
Computation 4(3):393-405, 1992.

R. L. Watrous and G. M. Kuhn, "Induction of finite-state languages using second-order
recurrent networks", Neural Computation 4(3):406-414, 1992.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_choice, check_positive_int
from .base import SequenceDataset, check_bool, last_step_labels, one_hot

__all__ = [
    "TOMITA_DEFINITIONS",
    "all_strings",
    "tomita_accepts",
    "tomita_dataset",
    "tomita_dfa",
    "tomita_labels",
]

#: One-line definition of each grammar, indexed by its number.
TOMITA_DEFINITIONS: dict[int, str] = {
    1: "1*",
    2: "(10)*",
    3: "no odd-length block of 0s anywhere after an odd-length block of 1s",
    4: "no more than two consecutive 0s (no 000)",
    5: "even length with an even number of 01 and 10 pairs (even #0s and even #1s)",
    6: "#0s - #1s is a multiple of 3",
    7: "0*1*0*1*",
}

# Largest max_length for which tomita_dataset enumerates every string (2**17 - 1 strings).
_MAX_ENUMERATE = 16


def _check_grammar(grammar: Any) -> int:
    if isinstance(grammar, (bool, np.bool_)) or not isinstance(grammar, numbers.Integral):
        raise TypeError(f"grammar must be an integer in 1..7; got {grammar!r}")
    if not 1 <= int(grammar) <= 7:
        raise ValueError(f"grammar must be an integer in 1..7; got {grammar!r}")
    return int(grammar)


def _check_string(s: Any, name: str = "s") -> str:
    if not isinstance(s, str):
        raise TypeError(f"{name} must be a str over the alphabet '01'; got {type(s).__name__}")
    if s.strip("01"):
        raise ValueError(f"{name} must contain only the characters '0' and '1'; got {s!r}")
    return s


def _blocks(s: str) -> list[tuple[str, int]]:
    """Maximal runs of equal symbols as (symbol, length) pairs."""
    return [(symbol, len(list(run))) for symbol, run in itertools.groupby(s)]


def tomita_accepts(grammar: int, s: str) -> bool:
    """Decide whether Tomita grammar ``grammar`` (1..7) accepts the string ``s`` over ``"01"``.

    The decision follows each grammar's definition (see the module docstring) directly.

    Parameters
    ----------
    grammar : int
        Grammar number, 1 to 7.
    s : str
        A string of ``'0'`` and ``'1'`` characters; ``""`` is accepted by every grammar.

    Examples
    --------
    >>> tomita_accepts(2, "1010"), tomita_accepts(2, "0101")
    (True, False)
    >>> tomita_accepts(3, "1100"), tomita_accepts(3, "100110")
    (True, False)
    >>> [tomita_accepts(g, "") for g in range(1, 8)]
    [True, True, True, True, True, True, True]
    """
    g = _check_grammar(grammar)
    s = _check_string(s)
    if g == 1:
        return "0" not in s
    if g == 2:
        return s == "10" * (len(s) // 2)
    if g == 3:
        seen_odd_ones = False
        for symbol, size in _blocks(s):
            if symbol == "0" and size % 2 == 1 and seen_odd_ones:
                return False
            if symbol == "1" and size % 2 == 1:
                seen_odd_ones = True
        return True
    if g == 4:
        return "000" not in s
    if g == 5:
        if len(s) % 2:
            return False
        mixed_pairs = sum(s[i] != s[i + 1] for i in range(0, len(s), 2))
        return mixed_pairs % 2 == 0
    if g == 6:
        return (s.count("0") - s.count("1")) % 3 == 0
    # g == 7: the sequence of block symbols must fit the pattern 0, 1, 0, 1
    return "".join(symbol for symbol, _ in _blocks(s)) in "0101"


def tomita_labels(grammar: int, strings: Iterable[str]) -> NDArray:
    """Accept/reject labels of ``strings`` under grammar ``grammar``, as a bool array.

    Examples
    --------
    >>> tomita_labels(4, ["", "000", "1001"])
    array([ True, False,  True])
    """
    g = _check_grammar(grammar)
    return np.array([tomita_accepts(g, s) for s in strings], dtype=bool)


# Minimal complete DFAs: rows are states (0 = start), columns the symbols '0' and '1'.
_DFAS: dict[int, tuple[list[list[int]], list[bool]]] = {
    # 0: only 1s so far; 1: dead
    1: ([[1, 0], [1, 1]], [True, False]),
    # 0: expecting '1' (accept); 1: expecting '0'; 2: dead
    2: ([[2, 1], [0, 2], [2, 2]], [True, False, False]),
    # 0: no odd 1-block closed yet, not inside one; 1: inside an odd 1-block, none closed yet;
    # 2: after a closed odd 1-block, inside an odd 0-block; 3: after a closed odd 1-block, no
    # odd 0-block open; 4: dead
    3: ([[0, 1], [2, 0], [3, 4], [2, 3], [4, 4]], [True, True, False, True, False]),
    # state k < 3: k trailing 0s; 3: dead
    4: ([[1, 0], [2, 0], [3, 0], [3, 3]], [True, True, True, False]),
    # parities of (#0s, #1s): 0 = (even, even), 1 = (odd, even), 2 = (even, odd), 3 = (odd, odd)
    5: ([[1, 2], [0, 3], [3, 0], [2, 1]], [True, False, False, False]),
    # (#0s - #1s) mod 3
    6: ([[1, 2], [2, 0], [0, 1]], [True, False, False]),
    # 0: in the first 0*; 1: first 1*; 2: second 0*; 3: second 1*; 4: dead
    7: ([[0, 1], [2, 1], [2, 3], [4, 3], [4, 4]], [True, True, True, True, False]),
}


def tomita_dfa(grammar: int) -> tuple[NDArray, NDArray]:
    """The minimal complete DFA of Tomita grammar ``grammar``.

    Returns
    -------
    transitions : ndarray of shape (n_states, 2), int64
        ``transitions[q, a]`` is the state after reading symbol ``a`` (0 for ``'0'``, 1 for
        ``'1'``) in state ``q``; the start state is 0.
    accepting : ndarray of shape (n_states,), bool

    Examples
    --------
    >>> transitions, accepting = tomita_dfa(6)
    >>> transitions
    array([[1, 2],
           [2, 0],
           [0, 1]])
    >>> accepting
    array([ True, False, False])
    """
    table, accept = _DFAS[_check_grammar(grammar)]
    return np.array(table, dtype=np.int64), np.array(accept, dtype=bool)


def all_strings(max_length: int, min_length: int = 0) -> list[str]:
    """Every string over ``"01"`` with ``min_length <= len <= max_length``, in shortlex order.

    Examples
    --------
    >>> all_strings(2)
    ['', '0', '1', '00', '01', '10', '11']
    >>> len(all_strings(10))
    2047
    """
    hi = check_positive_int(max_length, "max_length", minimum=0)
    lo = check_positive_int(min_length, "min_length", minimum=0)
    if lo > hi:
        raise ValueError(f"min_length must be <= max_length={hi}; got {lo}")
    return ["".join(p) for n in range(lo, hi + 1) for p in itertools.product("01", repeat=n)]


def _count_completions(
    transitions: NDArray, accepting: NDArray, max_length: int, label: bool
) -> list[list[int]]:
    """``counts[k][q]``: strings of length ``k`` leading from state ``q`` to a ``label`` state."""
    counts = [[int(a == label) for a in accepting]]
    for _ in range(max_length):
        prev = counts[-1]
        counts.append([prev[transitions[q, 0]] + prev[transitions[q, 1]] for q in range(len(prev))])
    return counts


def _sample_string(
    transitions: NDArray, counts: list[list[int]], length: int, rng: np.random.Generator
) -> str:
    """Uniform sample among the strings of ``length`` whose label matches ``counts``."""
    q, out = 0, []
    for remaining in range(length, 0, -1):
        n0 = counts[remaining - 1][transitions[q, 0]]
        n1 = counts[remaining - 1][transitions[q, 1]]
        a = int(rng.random() >= n0 / (n0 + n1))  # exact int division, even for huge counts
        out.append("01"[a])
        q = int(transitions[q, a])
    return "".join(out)


def tomita_dataset(
    grammar: int,
    max_length: int,
    seed: Any = None,
    *,
    min_length: int = 0,
    n_sequences: int | None = None,
    balanced: bool = False,
    loss: str = "bce",
    start_symbol: bool = False,
    end_symbol: bool = True,
) -> SequenceDataset:
    """Encode Tomita-grammar strings as padded one-hot sequences labelled accept/reject.

    Parameters
    ----------
    grammar : int
        Grammar number, 1 to 7.
    max_length : int
        Longest string (without start/end symbols).
    seed : None, int or numpy.random.Generator
        Source of randomness for sampling; unused when every string is enumerated.
    min_length : int, default 0
        Shortest string; 0 includes the empty string.
    n_sequences : int, optional
        ``None`` (default): every string with ``min_length <= len <= max_length``, in shortlex
        order (``max_length`` at most 16). An int: draw that many strings, each with a length
        uniform in ``[min_length, max_length]`` and uniform symbols.
    balanced : bool, default False
        With ``n_sequences``: draw half accepted and half rejected strings (the extra one, if
        any, accepted), in random order; each string's length is uniform among the lengths that
        have strings of its label, and the string is uniform among those of that length and
        label.
    loss : {"bce", "cross_entropy"}, default "bce"
        ``"bce"``: targets ``(T, N, 1)`` float 1/0; ``"cross_entropy"``: targets ``(T, N)``
        int, class 1 = accept.
    start_symbol, end_symbol : bool, default False, True
        Add a ``<s>`` step before and a ``</s>`` step after each string.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 2 + start_symbol + end_symbol)`` one-hot, ``T`` = the longest
        encoded string; ``targets`` and ``mask`` set at each sequence's last step; ``lengths``
        ``(N,)``. ``info`` holds per-sequence ``"strings"`` and ``"labels"`` (1 = accept), and
        ``"alphabet"`` (the input channels), ``"grammar"`` and ``"definition"``.

    Examples
    --------
    >>> data = tomita_dataset(2, max_length=2)
    >>> data.info["strings"], data.info["labels"]
    (['', '0', '1', '00', '01', '10', '11'], array([1, 0, 0, 0, 0, 1, 0]))
    >>> data.inputs.shape, data.lengths, data.info["alphabet"]
    ((3, 7, 3), array([1, 2, 2, 3, 3, 3, 3]), ['0', '1', '</s>'])
    >>> data.inputs[:, 5].argmax(-1), data.targets[:, 5, 0], data.mask[:, 5]
    (array([1, 0, 2]), array([0., 0., 1.]), array([0., 0., 1.]))
    """
    g = _check_grammar(grammar)
    hi = check_positive_int(max_length, "max_length", minimum=0)
    lo = check_positive_int(min_length, "min_length", minimum=0)
    if lo > hi:
        raise ValueError(f"min_length must be <= max_length={hi}; got {lo}")
    balanced = check_bool(balanced, "balanced")
    start_symbol = check_bool(start_symbol, "start_symbol")
    end_symbol = check_bool(end_symbol, "end_symbol")
    check_choice(loss, "loss", ("bce", "cross_entropy"))
    if lo == 0 and not (start_symbol or end_symbol):
        raise ValueError(
            "min_length must be >= 1 without start_symbol or end_symbol: the empty string "
            "would have no step to carry its label"
        )

    if n_sequences is None:
        if balanced:
            raise ValueError("balanced=True needs n_sequences (it samples strings)")
        if hi > _MAX_ENUMERATE:
            raise ValueError(
                f"max_length must be <= {_MAX_ENUMERATE} to enumerate every string; got {hi} "
                "(pass n_sequences to sample instead)"
            )
        strings = all_strings(hi, lo)
    else:
        n = check_positive_int(n_sequences, "n_sequences")
        rng = make_rng(seed)
        if balanced:
            strings = _sample_balanced(g, n, lo, hi, rng)
        else:
            lengths = rng.integers(lo, hi + 1, size=n)
            strings = ["".join("01"[b] for b in rng.integers(0, 2, size=k)) for k in lengths]
    labels = tomita_labels(g, strings).astype(np.int64)

    alphabet = ["0", "1"] + ["<s>"] * start_symbol + ["</s>"] * end_symbol
    N = len(strings)
    lengths = np.array([len(s) for s in strings], dtype=np.int64) + start_symbol + end_symbol
    T = int(lengths.max())
    codes = np.full((T, N), -1, dtype=np.int64)  # (T, N) alphabet indices, -1 = padding
    for j, s in enumerate(strings):
        body = [2] * start_symbol + [int(c) for c in s] + [len(alphabet) - 1] * end_symbol
        codes[: len(body), j] = body
    targets, mask, output_size = last_step_labels(labels, lengths, T, loss)
    return SequenceDataset(
        inputs=one_hot(codes, len(alphabet)),
        targets=targets,
        mask=mask,
        loss=loss,
        output_size=output_size,
        lengths=lengths,
        info={
            "strings": strings,
            "labels": labels,
            "alphabet": alphabet,
            "grammar": g,
            "definition": TOMITA_DEFINITIONS[g],
        },
        per_sequence=("strings", "labels"),
        name="tomita",
    )


def _sample_balanced(
    grammar: int, n: int, min_length: int, max_length: int, rng: np.random.Generator
) -> list[str]:
    transitions, accepting = tomita_dfa(grammar)
    labels = rng.permutation(np.arange(n) < (n + 1) // 2)  # True = accept
    tables = []
    for label in (True, False):
        counts = _count_completions(transitions, accepting, max_length, label)
        feasible = [k for k in range(min_length, max_length + 1) if counts[k][0] > 0]
        if not feasible and np.any(labels == label):
            kind = "accepted" if label else "rejected"
            raise ValueError(
                f"grammar {grammar} has no {kind} strings with length in "
                f"[{min_length}, {max_length}]; balanced=True cannot be satisfied"
            )
        tables.append((counts, feasible))
    out = []
    for label in labels:
        counts, feasible = tables[0] if label else tables[1]
        k = feasible[int(rng.integers(len(feasible)))]
        out.append(_sample_string(transitions, counts, k, rng))
    return out
