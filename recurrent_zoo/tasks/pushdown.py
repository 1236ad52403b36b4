r"""Accept / reject strings of deterministic context-free languages (the NNPDA's tasks).

Das, Giles & Sun (1992) and Sun, Giles, Chen & Lee (1993) trained the neural network pushdown
automaton on labelled strings of deterministic context-free languages and tested it on longer
ones: balanced parentheses (Dyck-1), :math:`1^n 0^n` (here :math:`a^n b^n`) and the
deterministic palindromes :math:`w c w^R` with :math:`w \in \{a, b\}^*`. :func:`cfl_strings`
draws labelled strings of these languages (Dyck-2 too) and :func:`cfl_dataset` encodes them for
a string acceptor: one one-hot symbol per step, the label (1 = in the language) at each
string's last step, as :func:`~recurrent_zoo.tasks.tomita_dataset` lays out its Tomita strings.

Sampling. Half the strings (``positive_fraction``) are in the language: a length is drawn
uniformly among the lengths in ``[min_length, max_length]`` that have strings in the language,
then a string uniformly among those of that length (Dyck words by the cycle lemma, see
:mod:`~recurrent_zoo.tasks.dyck`). The others are not: half of them *near misses*, a string of
the language with one symbol replaced, two adjacent symbols swapped, or one symbol inserted or
deleted (chosen at random, repeated until the result is outside the language and within the
length range), and half uniform random strings of a uniform length, redrawn until outside the
language. Near misses have the counts and shapes of positives, so that neither length nor
symbol counts decide the label.

References
----------
S. Das, C. L. Giles and G. Z. Sun, "Learning context-free grammars: capabilities and
limitations of a recurrent neural network with an external stack memory", Proc. 14th Annual
Conference of the Cognitive Science Society, 791-795, 1992.

G. Z. Sun, C. L. Giles, H. H. Chen and Y. C. Lee, "The neural network pushdown automaton:
model, stack and learning simulations", UMIACS-TR-93-77, University of Maryland, 1993.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_choice, check_positive_int, check_probability
from .anbn import anbn_accepts
from .base import SequenceDataset, last_step_labels, one_hot
from .dyck import _dyck_word, dyck_accepts

__all__ = ["CFL_LANGUAGES", "Language", "cfl_dataset", "cfl_strings", "wcwr_accepts"]

_MAX_TRIES = 1000


def wcwr_accepts(s: str) -> bool:
    """Whether ``s`` is :math:`w c w^R` for some :math:`w \\in \\{a, b\\}^*`.

    Examples
    --------
    >>> wcwr_accepts("abcba"), wcwr_accepts("c"), wcwr_accepts("abcab"), wcwr_accepts("acca")
    (True, True, False, False)
    """
    if not isinstance(s, str):
        raise TypeError(f"s must be a str over a, b, c; got {type(s).__name__}")
    bad = set(s) - {"a", "b", "c"}
    if bad:
        raise ValueError(f"s must contain only 'a', 'b' and 'c'; got {sorted(bad)!r} in {s!r}")
    n = len(s) // 2
    return len(s) % 2 == 1 and s[n] == "c" and "c" not in s[:n] and s[n + 1 :] == s[:n][::-1]


@dataclass(frozen=True)
class Language:
    """A language of :data:`CFL_LANGUAGES`: its alphabet, membership and positive sampler."""

    name: str
    alphabet: str
    accepts: Callable[[str], bool]
    #: ``sample(length, rng)``: a uniform string of the language of that length
    sample: Callable[[int, np.random.Generator], str]
    #: whether the language has strings of a given length
    has_length: Callable[[int], bool]
    definition: str


def _sample_anbn(length: int, rng: np.random.Generator) -> str:
    return "a" * (length // 2) + "b" * (length // 2)


def _sample_wcwr(length: int, rng: np.random.Generator) -> str:
    w = "".join(rng.choice(["a", "b"], size=length // 2))
    return w + "c" + w[::-1]


#: The languages, by name: ``"dyck1"``, ``"dyck2"``, ``"anbn"``, ``"wcwr"``.
CFL_LANGUAGES: dict[str, Language] = {
    "dyck1": Language(
        "dyck1",
        "()",
        dyck_accepts,
        lambda n, rng: _dyck_word(n // 2, 1, rng),
        lambda n: n % 2 == 0 and n > 0,
        "balanced parentheses (Dyck-1)",
    ),
    "dyck2": Language(
        "dyck2",
        "([)]",
        dyck_accepts,
        lambda n, rng: _dyck_word(n // 2, 2, rng),
        lambda n: n % 2 == 0 and n > 0,
        "balanced strings of two bracket types (Dyck-2)",
    ),
    "anbn": Language(
        "anbn",
        "ab",
        anbn_accepts,
        _sample_anbn,
        lambda n: n % 2 == 0 and n > 0,
        "a^n b^n, n >= 1",
    ),
    "wcwr": Language(
        "wcwr",
        "abc",
        wcwr_accepts,
        _sample_wcwr,
        lambda n: n % 2 == 1,
        "w c w^R, w in {a, b}* (deterministic palindromes)",
    ),
}


def _near_miss(lang: Language, lo: int, hi: int, rng: np.random.Generator) -> str | None:
    """One edit of a string of the language, outside it, with a length in [lo, hi]."""
    lengths = [n for n in range(max(lo - 1, 1), hi + 2) if lang.has_length(n)]
    if not lengths:
        return None
    for _ in range(_MAX_TRIES):
        s = list(lang.sample(int(rng.choice(lengths)), rng))
        edit = int(rng.integers(4))
        i = int(rng.integers(len(s)))
        if edit == 0:
            s[i] = str(rng.choice(list(lang.alphabet)))
        elif edit == 1 and len(s) > 1:
            i = min(i, len(s) - 2)
            s[i], s[i + 1] = s[i + 1], s[i]
        elif edit == 2:
            s.insert(int(rng.integers(len(s) + 1)), str(rng.choice(list(lang.alphabet))))
        else:
            del s[i]
        out = "".join(s)
        if lo <= len(out) <= hi and not lang.accepts(out):
            return out
    return None


def _random_negative(lang: Language, lo: int, hi: int, rng: np.random.Generator) -> str:
    for _ in range(_MAX_TRIES):
        n = int(rng.integers(lo, hi + 1))
        s = "".join(rng.choice(list(lang.alphabet), size=n))
        if not lang.accepts(s):
            return s
    raise ValueError(  # pragma: no cover - every language here has many negatives
        f"could not draw a string outside {lang.name} with length in [{lo}, {hi}]"
    )


def cfl_strings(
    language: str,
    n_sequences: int,
    max_length: int,
    seed: Any = None,
    *,
    min_length: int = 1,
    positive_fraction: float = 0.5,
) -> tuple[list[str], np.ndarray]:
    """Draw labelled strings of one of :data:`CFL_LANGUAGES` (see the module docstring).

    Returns
    -------
    strings : list of str
    labels : ndarray of int, shape (n_sequences,)
        1 for strings in the language.

    Examples
    --------
    >>> strings, labels = cfl_strings("wcwr", 4, 9, seed=3)
    >>> [(s, int(y)) for s, y in zip(strings, labels)]
    [('baaabbba', 0), ('aa', 0), ('abcba', 1), ('aacaa', 1)]
    """
    check_choice(language, "language", tuple(CFL_LANGUAGES))
    lang = CFL_LANGUAGES[language]
    n = check_positive_int(n_sequences, "n_sequences")
    hi = check_positive_int(max_length, "max_length")
    lo = check_positive_int(min_length, "min_length")
    if lo > hi:
        raise ValueError(f"min_length must be <= max_length={hi}; got {lo}")
    frac = check_probability(positive_fraction, "positive_fraction")
    good_lengths = [k for k in range(lo, hi + 1) if lang.has_length(k)]
    if frac > 0 and not good_lengths:
        raise ValueError(
            f"{language} has no strings with length in [{lo}, {hi}]; lower positive_fraction "
            "to 0 or widen the range"
        )
    rng = make_rng(seed)
    n_pos = int(round(frac * n))
    positive = rng.permutation(np.arange(n) < n_pos)
    strings = []
    for pos in positive:
        if pos:
            strings.append(lang.sample(int(rng.choice(good_lengths)), rng))
        else:
            miss = _near_miss(lang, lo, hi, rng) if rng.random() < 0.5 else None
            strings.append(miss if miss is not None else _random_negative(lang, lo, hi, rng))
    labels = np.array([lang.accepts(s) for s in strings], dtype=np.int64)
    return strings, labels


def cfl_dataset(
    language: str,
    n_sequences: int | None,
    max_length: int,
    seed: Any = None,
    *,
    min_length: int = 1,
    positive_fraction: float = 0.5,
    strings: list[str] | None = None,
    loss: str = "bce",
    prefixes: bool = False,
) -> SequenceDataset:
    """Labelled strings of a context-free language, one-hot, label at the last step.

    Parameters
    ----------
    language : {"dyck1", "dyck2", "anbn", "wcwr"}
    n_sequences : int or None
        Number of strings drawn by :func:`cfl_strings` (None with ``strings``).
    max_length, min_length, positive_fraction, seed
        As for :func:`cfl_strings`.
    strings : list of str, optional
        Encode these strings instead of drawing (e.g. every string up to a length).
    loss : {"bce", "cross_entropy"}, default "bce"
        As for :func:`~recurrent_zoo.tasks.tomita_dataset`.
    prefixes : bool, default False
        Label every step: the target at step ``t`` says whether the prefix of ``t + 1``
        symbols is in the language (each prefix is a string of the language's alphabet no
        longer than the string), the mask is 1 on every step of each string.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, len(alphabet))`` one-hot, ``lengths`` ``(N,)``, the label at
        each string's last step; ``info``: per-sequence ``"strings"`` and ``"labels"``, and
        ``"alphabet"``, ``"language"``, ``"definition"``.

    Examples
    --------
    >>> data = cfl_dataset("anbn", None, 4, strings=["ab", "aabb", "abb"])
    >>> data.info["labels"], data.inputs.shape, data.info["alphabet"]
    (array([1, 1, 0]), (4, 3, 2), ['a', 'b'])
    """
    check_choice(language, "language", tuple(CFL_LANGUAGES))
    lang = CFL_LANGUAGES[language]
    check_choice(loss, "loss", ("bce", "cross_entropy"))
    if strings is None:
        if n_sequences is None:
            raise ValueError("n_sequences must be given unless strings are")
        strings, labels = cfl_strings(
            language,
            n_sequences,
            max_length,
            seed,
            min_length=min_length,
            positive_fraction=positive_fraction,
        )
    else:
        strings = [str(s) for s in strings]
        if not strings or min(len(s) for s in strings) < 1:
            raise ValueError("strings must hold at least one string, none of them empty")
        labels = np.array([lang.accepts(s) for s in strings], dtype=np.int64)
    alphabet = list(lang.alphabet)
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    T, N = int(lengths.max()), len(strings)
    codes = np.full((T, N), -1, dtype=np.int64)
    for j, s in enumerate(strings):
        codes[: len(s), j] = [alphabet.index(c) for c in s]
    if prefixes:
        mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
        member = np.zeros((T, N), dtype=np.int64)
        for j, s in enumerate(strings):
            member[: len(s), j] = [lang.accepts(s[: i + 1]) for i in range(len(s))]
        output_size = 1 if loss == "bce" else 2
        targets = member[:, :, None].astype(np.float64) if loss == "bce" else member
    else:
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
            "language": language,
            "definition": lang.definition,
        },
        per_sequence=("strings", "labels"),
        name="cfl",
    )
