r"""A toy language pair for translation: reordering, agreement-free, exactly known.

How the data are made
---------------------
The source language is English-like: a *clause* is ``[adjective] noun verb [adjective] noun``
(5 nouns, 3 adjectives, 4 verbs: 20 x 4 x 20 = 1600 clauses), and a *sentence* is one to
``max_clauses`` clauses joined by ``and``. The target language is invented, with its own
words, subject-object-verb order, adjectives after their nouns and case particles (like
Japanese ``ga`` and ``o``); its clauses are joined by ``se``:

.. code-block:: text

    big cat chases small dog              ->  miu gor ga wof pil o zat
    dog sees fish and red bird eats cat   ->  wof ga blub o mek se tirr rua ga miu o nom

The translation is a function of the source, so a model's output is either exactly right or
not. Every word moves: the verb goes to the end of its clause, past the whole object, which is
what makes a fixed-size summary of the source hard to decode as sentences grow, and what
attention (:class:`~recurrent_zoo.attention_decoder.AttentionDecoder`) is for.

:func:`toy_translation` draws sentences uniformly: the number of clauses uniformly in
``[min_clauses, max_clauses]``, then each clause uniformly among the 1600, without repeating a
sentence and never drawing one in ``exclude`` (pass the training sources when drawing held-out
sentences); once all the one-clause sentences are drawn, the rest have more clauses.
:meth:`TranslationPairs.sources_onehot` and :meth:`TranslationPairs.target_ids` encode them
for a model (``</s>`` ends each target; ``<s>`` starts a decoder).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_positive_int

__all__ = [
    "SOURCE_VOCABULARY",
    "TARGET_VOCABULARY",
    "TranslationPairs",
    "alignment",
    "decode_target",
    "toy_translation",
    "translate",
]

NOUNS = {"cat": "miu", "dog": "wof", "bird": "tirr", "fish": "blub", "horse": "hin"}
ADJECTIVES = {"big": "gor", "small": "pil", "red": "rua"}
VERBS = {"sees": "mek", "eats": "nom", "likes": "lov", "chases": "zat"}
#: The source words, sorted.
SOURCE_VOCABULARY: tuple[str, ...] = tuple(sorted([*NOUNS, *ADJECTIVES, *VERBS, "and"]))
#: ``</s>`` (index 0) ends a target, ``<s>`` (1) starts the decoder, then the words, sorted.
TARGET_VOCABULARY: tuple[str, ...] = (
    "</s>",
    "<s>",
    *sorted([*NOUNS.values(), *ADJECTIVES.values(), *VERBS.values(), "ga", "o", "se"]),
)
_SOURCE_INDEX = {w: i for i, w in enumerate(SOURCE_VOCABULARY)}
_TARGET_INDEX = {w: i for i, w in enumerate(TARGET_VOCABULARY)}
_PHRASES = [[n] for n in NOUNS] + [[a, n] for a in ADJECTIVES for n in NOUNS]
_CLAUSES = [" ".join(s + [v] + o) for s, v, o in itertools.product(_PHRASES, VERBS, _PHRASES)]


def _clause(words: list[str], at: int) -> list[tuple[str, int]]:
    """A clause's target words, each with the source position it translates (-1: a particle);
    ``at`` is the clause's first position in the sentence."""
    verb_at = next((i for i, w in enumerate(words) if w in VERBS), None)
    if verb_at is None:
        raise ValueError(f"a clause needs a verb ({sorted(VERBS)}); got {' '.join(words)!r}")

    def phrase(first: int, last: int) -> list[tuple[str, int]]:  # [adj] noun -> noun [adj]
        p = words[first:last]
        if not 1 <= len(p) <= 2 or p[-1] not in NOUNS or (len(p) == 2 and p[0] not in ADJECTIVES):
            raise ValueError(f"a noun phrase is [adjective] noun; got {' '.join(p)!r}")
        out = [(NOUNS[p[-1]], at + last - 1)]
        return out + [(ADJECTIVES[p[0]], at + first)] if len(p) == 2 else out

    return (
        phrase(0, verb_at)
        + [("ga", -1)]
        + phrase(verb_at + 1, len(words))
        + [("o", -1), (VERBS[words[verb_at]], at + verb_at)]
    )


def _aligned(sentence: str) -> list[tuple[str, int]]:
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a string; got {type(sentence).__name__}")
    out: list[tuple[str, int]] = []
    at = 0
    for k, clause in enumerate(sentence.split(" and ")):
        if k:
            out.append(("se", at - 1))  # "and" -> "se"
        words = clause.split()
        out += _clause(words, at)
        at += len(words) + 1
    return out


def translate(sentence: str) -> str:
    """The target-language sentence of a source sentence.

    Examples
    --------
    >>> translate("big cat chases small dog")
    'miu gor ga wof pil o zat'
    >>> translate("dog sees fish and red bird eats cat")
    'wof ga blub o mek se tirr rua ga miu o nom'
    """
    return " ".join(w for w, _ in _aligned(sentence))


def alignment(sentence: str) -> list[int]:
    """For each target word of ``translate(sentence)``, the position of the source word it
    translates; -1 for the case particles ``ga`` and ``o``, which translate none.

    Examples
    --------
    >>> translate("big cat chases dog")
    'miu gor ga wof o zat'
    >>> alignment("big cat chases dog")
    [1, 0, -1, 3, -1, 2]
    """
    return [i for _, i in _aligned(sentence)]


def decode_target(ids: Any) -> str:
    """The words of a sequence of target indices, up to the first ``</s>``.

    Examples
    --------
    >>> decode_target([TARGET_VOCABULARY.index("wof"), TARGET_VOCABULARY.index("ga"), 0, 5])
    'wof ga'
    """
    words = []
    for i in np.asarray(ids, dtype=np.int64).ravel():
        if i == 0:
            break
        words.append(TARGET_VOCABULARY[int(i)])
    return " ".join(words)


@dataclass(frozen=True)
class TranslationPairs:
    """Source sentences and their translations (made by :func:`toy_translation`)."""

    sources: list[str]
    targets: list[str]

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def source_lengths(self) -> NDArray:
        """Words per source sentence, ``(n,)``."""
        return np.array([len(s.split()) for s in self.sources], dtype=np.int64)

    @property
    def clauses(self) -> NDArray:
        """Clauses per sentence, ``(n,)``."""
        return np.array([s.count(" and ") + 1 for s in self.sources], dtype=np.int64)

    def sources_onehot(self, dtype: Any = np.float64) -> tuple[NDArray, NDArray]:
        """The sources one-hot over :data:`SOURCE_VOCABULARY`, time-major ``(N, n, V_src)``,
        zero past each length, and the lengths ``(n,)``."""
        lengths = self.source_lengths
        X = np.zeros((int(lengths.max()), len(self), len(SOURCE_VOCABULARY)), dtype=dtype)
        for b, s in enumerate(self.sources):
            X[np.arange(lengths[b]), b, [_SOURCE_INDEX[w] for w in s.split()]] = 1.0
        return X, lengths

    def target_ids(self) -> tuple[NDArray, NDArray]:
        """Target word indices in :data:`TARGET_VOCABULARY`, ``</s>`` ended, ``(T, n)`` int64
        (``</s>`` past the end), and the lengths ``(n,)`` (``</s>`` included)."""
        rows = [[_TARGET_INDEX[w] for w in t.split()] + [0] for t in self.targets]
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        ids = np.zeros((int(lengths.max()), len(rows)), dtype=np.int64)
        for b, r in enumerate(rows):
            ids[: len(r), b] = r
        return ids, lengths


def toy_translation(
    n: int,
    *,
    min_clauses: int = 1,
    max_clauses: int = 2,
    exclude: Any = (),
    seed: Any = None,
) -> TranslationPairs:
    """Draw ``n`` distinct source sentences and their translations.

    Parameters
    ----------
    n : int
        Sentence pairs.
    min_clauses, max_clauses : int, default 1 and 2
        Clauses per sentence, drawn uniformly in this range (each clause is 3-5 words).
    exclude : iterable of str, optional
        Source sentences never to draw (the training sources, for held-out pairs).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    TranslationPairs

    Examples
    --------
    >>> train = toy_translation(200, seed=0)
    >>> test = toy_translation(50, exclude=train.sources, seed=1)
    >>> len(set(train.sources) & set(test.sources))
    0
    >>> X, lengths = test.sources_onehot()
    >>> X.shape[1:], int(lengths.max()) <= 11
    ((50, 13), True)
    """
    n = check_positive_int(n, "n")
    min_clauses = check_positive_int(min_clauses, "min_clauses")
    max_clauses = check_positive_int(max_clauses, "max_clauses")
    if min_clauses > max_clauses:
        raise ValueError(f"min_clauses ({min_clauses}) must be at most max_clauses ({max_clauses})")
    if isinstance(exclude, str):
        raise TypeError("exclude must be a collection of sentences, not one string")
    excluded = set(exclude)
    one_clause = [c for c in _CLAUSES if c not in excluded] if min_clauses == 1 else []
    longer = sum(len(_CLAUSES) ** k for k in range(max(min_clauses, 2), max_clauses + 1))
    if n > len(one_clause) + longer // 2:
        raise ValueError(
            f"n ({n}) is too many distinct sentences of {min_clauses}-{max_clauses} clauses "
            f"(outside exclude); draw fewer"
        )
    rng = make_rng(seed)
    sources: list[str] = []
    seen = set(excluded)
    while len(sources) < n:
        # one clause: drawn from the unused ones (1600 in all); once they are all used, the
        # sentences drawn have more clauses
        low = min_clauses if one_clause or min_clauses > 1 else 2
        k = int(rng.integers(low, max_clauses + 1))
        if k == 1:
            sentence = one_clause.pop(int(rng.integers(len(one_clause))))
        else:
            sentence = " and ".join(_CLAUSES[i] for i in rng.integers(0, len(_CLAUSES), size=k))
            if sentence in seen:
                continue
        seen.add(sentence)
        sources.append(sentence)
    return TranslationPairs(sources, [translate(s) for s in sources])
