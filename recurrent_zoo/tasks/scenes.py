r"""Scenes of handwritten digits with captions: a small image-description task.

How the data are made
---------------------
A scene is a square canvas of ``grid x grid`` cells of ``cell_size`` pixels (3 x 3 cells of 10
pixels: 30 x 30 pixels by default). :func:`digit_scenes` picks a number of digits uniformly in
``[min_digits, max_digits]``, that many distinct cells uniformly, and for each cell a real
handwritten digit (an 8x8 image of scikit-learn's digits, :mod:`~recurrent_zoo.tasks.handwritten`:
the training images for ``split="train"``, the held-out ones for ``split="test"``), pasted at a
uniformly random offset inside its cell (``jitter=True``) or centred in it. Pixels are ink in
[0, 1] on a 0 background.

The caption names the digits in reading order (by row, then by column) and says how each lies
relative to the next, from a small grammar:

.. code-block:: text

    caption   := "a" DIGIT ( RELATION "a" DIGIT )*
    RELATION  := "left of"                 (same row: the earlier digit is to the left)
               | "above"                   (lower row, same column)
               | "above and left of"       (lower row, the earlier digit's column is left)
               | "above and right of"      (lower row, the earlier digit's column is right)

so a 3 at the top left, a 7 at the top right and a 1 in the middle of the bottom row read
"a 3 left of a 7 above and right of a 1". The caption is a function of the scene (the digits'
classes and cells), so a model's caption is either exactly right or not; it does not say how
far apart two digits are, so two scenes can share one.

For a model, :meth:`DigitScenes.regions` cuts the canvas into its cells, a sequence of
``grid * grid`` regions in reading order, each a vector of ``cell_size**2`` pixels: what an
encoder reads and a decoder's attention chooses between. :func:`encode_captions` turns
captions into word indices in :data:`CAPTION_VOCABULARY` (``</s>`` ends each one), and
:func:`caption_bleu` scores captions against references with sacrebleu's corpus BLEU-4
(``pip install 'recurrent-zoo[text]'``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_choice, check_positive_int
from .base import check_bool
from .handwritten import handwritten_digits

__all__ = [
    "CAPTION_VOCABULARY",
    "DigitScenes",
    "caption_bleu",
    "decode_caption",
    "describe_scene",
    "digit_scenes",
    "encode_captions",
]

#: The words of every caption; ``</s>`` (index 0) ends a caption and ``<s>`` (1) starts the
#: decoder.
CAPTION_VOCABULARY: tuple[str, ...] = (
    ("</s>", "<s>", "a")
    + tuple(str(d) for d in range(10))
    + ("above", "and", "left", "of", "right")
)
_INDEX = {w: i for i, w in enumerate(CAPTION_VOCABULARY)}
DIGIT_SIZE = 8


def _relation(earlier: tuple[int, int], later: tuple[int, int]) -> list[str]:
    """How the earlier digit (in reading order) lies relative to the later one."""
    (r0, c0), (r1, c1) = earlier, later
    if r0 == r1:
        return ["left", "of"]
    if c0 == c1:
        return ["above"]
    return ["above", "and", "left" if c0 < c1 else "right", "of"]


def describe_scene(digits: Any, cells: Any) -> str:
    """The caption of a scene: its digits in reading order and how each lies to the next.

    Parameters
    ----------
    digits : sequence of int
        Each digit's class, 0..9.
    cells : sequence of (row, column) pairs
        Each digit's cell, all distinct.

    Examples
    --------
    >>> describe_scene([7, 3, 1], [(0, 2), (0, 0), (2, 1)])
    'a 3 left of a 7 above and right of a 1'
    >>> describe_scene([5, 5], [(1, 1), (0, 1)])
    'a 5 above a 5'
    """
    pairs = sorted(
        ((int(r), int(c)), int(d)) for d, (r, c) in zip(digits, cells, strict=True)
    )  # reading order
    if len({cell for cell, _ in pairs}) != len(pairs):
        raise ValueError("cells must be distinct")
    words: list[str] = []
    for k, (cell, digit) in enumerate(pairs):
        if k:
            words += _relation(pairs[k - 1][0], cell)
        words += ["a", str(digit)]
    return " ".join(words)


@dataclass(eq=False)
class DigitScenes:
    """Images of digit scenes with their captions (made by :func:`digit_scenes`).

    Attributes
    ----------
    images : ndarray of shape (n, grid * cell_size, grid * cell_size)
        Ink in [0, 1].
    captions : list of str
    digits : list of int arrays
        Each scene's digit classes, in reading order.
    cells : list of (k, 2) int arrays
        Each scene's digits' (row, column) cells, in reading order.
    grid, cell_size : int
    """

    images: NDArray
    captions: list[str]
    digits: list[NDArray]
    cells: list[NDArray]
    grid: int
    cell_size: int

    def __len__(self) -> int:
        return len(self.captions)

    def regions(self, positions: bool = False) -> NDArray:
        """The canvas cut into its cells, time-major: ``(grid ** 2, n, cell_size ** 2)``.

        Parameters
        ----------
        positions : bool, default False
            Append each region's position, one-hot (``grid ** 2`` more features), so that what
            an encoder makes of a region can say where it is.

        Examples
        --------
        >>> scenes = digit_scenes(4, seed=0)                    # doctest: +SKIP
        >>> scenes.regions().shape, scenes.regions(positions=True).shape  # doctest: +SKIP
        ((9, 4, 100), (9, 4, 109))
        """
        n, g, c = len(self), self.grid, self.cell_size
        blocks = self.images.reshape(n, g, c, g, c).transpose(1, 3, 0, 2, 4)  # (g, g, n, c, c)
        out = blocks.reshape(g * g, n, c * c)
        if check_bool(positions, "positions"):
            where = np.broadcast_to(np.eye(g * g)[:, None, :], (g * g, n, g * g))
            return np.concatenate([out, where], axis=2)
        return out.copy()

    def subset(self, indices: Any) -> DigitScenes:
        """The scenes at ``indices`` (an index array or a slice), in that order."""
        idx = np.arange(len(self))[indices]
        return DigitScenes(
            images=self.images[idx],
            captions=[self.captions[i] for i in idx],
            digits=[self.digits[i] for i in idx],
            cells=[self.cells[i] for i in idx],
            grid=self.grid,
            cell_size=self.cell_size,
        )


def digit_scenes(
    n_scenes: int,
    *,
    split: str = "train",
    grid: int = 3,
    cell_size: int = 10,
    min_digits: int = 2,
    max_digits: int = 4,
    jitter: bool = True,
    seed: Any = None,
) -> DigitScenes:
    """Scenes of 2-4 handwritten digits on a grid, with captions (see the module docstring).

    Parameters
    ----------
    n_scenes : int
    split : {"train", "test"}
        Which handwritten digit images the scenes use (disjoint sets of images).
    grid : int, default 3
        Cells per side.
    cell_size : int, default 10
        Pixels per cell side, at least 8 (a digit's size).
    min_digits, max_digits : int, default 2 and 4
        The number of digits is uniform in ``[min_digits, max_digits]`` (at most
        ``grid ** 2``).
    jitter : bool, default True
        Place each digit at a random offset in its cell (else centred).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    DigitScenes

    Examples
    --------
    >>> scenes = digit_scenes(3, seed=0)                         # doctest: +SKIP
    >>> scenes.images.shape, scenes.captions[0]                  # doctest: +SKIP
    ((3, 30, 30), 'a 7 left of a 3 above and right of a 6')
    """
    n_scenes = check_positive_int(n_scenes, "n_scenes")
    check_choice(split, "split", ("train", "test"))
    grid = check_positive_int(grid, "grid")
    cell_size = check_positive_int(cell_size, "cell_size", minimum=DIGIT_SIZE)
    min_digits = check_positive_int(min_digits, "min_digits")
    max_digits = check_positive_int(max_digits, "max_digits")
    if not min_digits <= max_digits <= grid * grid:
        raise ValueError(
            f"need min_digits <= max_digits <= grid ** 2 = {grid * grid}; got min_digits "
            f"{min_digits}, max_digits {max_digits}"
        )
    jitter = check_bool(jitter, "jitter")
    rng = make_rng(seed)
    pool, pool_labels = handwritten_digits(split)
    side, slack = grid * cell_size, cell_size - DIGIT_SIZE
    images = np.zeros((n_scenes, side, side))
    captions, digits, cells = [], [], []
    for n in range(n_scenes):
        k = int(rng.integers(min_digits, max_digits + 1))
        where = rng.choice(grid * grid, size=k, replace=False)
        picks = rng.integers(len(pool), size=k)
        offsets = rng.integers(0, slack + 1, size=(k, 2)) if jitter else np.full((k, 2), slack // 2)
        rc = np.stack([where // grid, where % grid], axis=1)  # (k, 2)
        for (r, c), pick, (dy, dx) in zip(rc, picks, offsets, strict=True):
            y, x = r * cell_size + dy, c * cell_size + dx
            images[n, y : y + DIGIT_SIZE, x : x + DIGIT_SIZE] = pool[pick]
        order = np.lexsort((rc[:, 1], rc[:, 0]))  # reading order
        labels = pool_labels[picks][order]
        captions.append(describe_scene(labels, rc[order]))
        digits.append(labels)
        cells.append(rc[order])
    return DigitScenes(images, captions, digits, cells, grid, cell_size)


# ----------------------------------------------------------------------------- words
def encode_captions(captions: Any) -> tuple[NDArray, NDArray]:
    """Word indices in :data:`CAPTION_VOCABULARY`, each caption ended by ``</s>``, time-major.

    Returns
    -------
    ids : ndarray of shape (T, n), int64
        Padded with ``</s>`` (index 0) past each caption's end.
    lengths : ndarray of shape (n,), int64
        Words per caption, ``</s>`` included.

    Examples
    --------
    >>> ids, lengths = encode_captions(["a 3 above a 7", "a 1 left of a 2"])
    >>> ids[:, 0].tolist(), lengths.tolist()
    ([2, 6, 13, 2, 10, 0, 0], [6, 7])
    """
    if isinstance(captions, str):
        raise TypeError("captions must be a list of strings, not one string")
    rows = []
    for text in captions:
        words = str(text).split()
        unknown = [w for w in words if w not in _INDEX or w in ("</s>", "<s>")]
        if unknown:
            raise ValueError(f"captions hold words outside the vocabulary: {unknown[:5]}")
        rows.append([_INDEX[w] for w in words] + [_INDEX["</s>"]])
    if not rows:
        raise ValueError("captions must hold at least one caption")
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    ids = np.zeros((int(lengths.max()), len(rows)), dtype=np.int64)
    for b, r in enumerate(rows):
        ids[: len(r), b] = r
    return ids, lengths


def decode_caption(ids: Any) -> str:
    """The words of a sequence of indices, up to the first ``</s>``.

    Examples
    --------
    >>> decode_caption([2, 6, 13, 2, 10, 0, 2])
    'a 3 above a 7'
    """
    words = []
    for i in np.asarray(ids, dtype=np.int64).tolist():
        if i == _INDEX["</s>"]:
            break
        if not 0 <= i < len(CAPTION_VOCABULARY):
            raise ValueError(f"ids must index CAPTION_VOCABULARY; got {i}")
        words.append(CAPTION_VOCABULARY[i])
    return " ".join(words)


def caption_bleu(references: Any, hypotheses: Any) -> float:
    """Corpus BLEU-4 of captions against one reference each, by sacrebleu (0..100).

    sacrebleu's :func:`~sacrebleu.corpus_bleu` with its defaults: up to 4-grams, uniform
    weights, the brevity penalty, the ``13a`` tokeniser (which leaves these captions' words as
    they are). Needs ``pip install 'recurrent-zoo[text]'``.

    Examples
    --------
    >>> caption_bleu(["a 3 above a 7 left of a 1"], ["a 3 above a 7 left of a 1"])  # doctest: +SKIP
    100.0
    """
    try:
        import sacrebleu
    except ImportError as exc:
        raise ImportError(
            "BLEU is computed by sacrebleu, which is not installed: "
            "pip install 'recurrent-zoo[text]'"
        ) from exc
    refs, hyps = [str(r) for r in references], [str(h) for h in hypotheses]
    if len(refs) != len(hyps) or not refs:
        raise ValueError(
            f"references and hypotheses must be two equally long, non-empty lists; got "
            f"{len(refs)} and {len(hyps)}"
        )
    return float(sacrebleu.corpus_bleu(hyps, [refs]).score)
