"""Real handwritten digits, from scikit-learn, split once into training and held-out images.

scikit-learn ships, inside the package, the UCI "optical recognition of handwritten digits"
test set (:func:`sklearn.datasets.load_digits`): 1797 digits written by 13 people (Alpaydin &
Kaynak 1998), each an 8x8 image of ink counts 0..16 from a 32x32 bitmap. Nothing is downloaded.
:func:`handwritten_digits` scales them to [0, 1] and splits them once: within each digit class,
every fifth image in scikit-learn's order (the class's 1st, 6th, 11th, ...) is held out, 364
images for ``split="test"`` (35 to 37 of each digit) and 1433 for ``"train"``. The
image-description and video tasks build their training data from the training images only and
their held-out data from the held-out images only, so a test scene or video never shows a
digit image that training saw.

scikit-learn is an optional dependency: ``pip install 'recurrent-zoo[vision]'``.

References
----------
E. Alpaydin and C. Kaynak, "Cascading classifiers", Kybernetika 34(4):369-374, 1998; the data:
UCI Machine Learning Repository, "Optical Recognition of Handwritten Digits".
"""

from __future__ import annotations

import functools

import numpy as np

from .._core.validation import NDArray, check_choice

__all__ = ["handwritten_digits"]

#: within each class, every HOLD_OUT-th image (in scikit-learn's order) is held out
HOLD_OUT = 5


@functools.lru_cache(maxsize=1)
def _load() -> tuple[NDArray, NDArray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "the handwritten digits come with scikit-learn, which is not installed: "
            "pip install 'recurrent-zoo[vision]'"
        ) from exc
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float64)  # (1797, 8, 8) in [0, 1]
    images.setflags(write=False)
    labels = digits.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def handwritten_digits(split: str = "train") -> tuple[NDArray, NDArray]:
    """scikit-learn's 8x8 handwritten digits, scaled to [0, 1], training or held-out part.

    Parameters
    ----------
    split : {"train", "test", "all"}
        ``"test"``: every fifth image of each digit class; ``"train"``: the others;
        ``"all"``: all 1797.

    Returns
    -------
    images : ndarray of shape (n, 8, 8), float64 in [0, 1] (read-only)
    labels : ndarray of shape (n,), int64 in 0..9

    Examples
    --------
    >>> images, labels = handwritten_digits("test")     # doctest: +SKIP
    >>> images.shape, labels[:5].tolist()               # doctest: +SKIP
    ((364, 8, 8), [0, 1, 2, 3, 4])
    """
    check_choice(split, "split", ("train", "test", "all"))
    images, labels = _load()
    if split == "all":
        return images, labels
    # each image's rank among the images of its class, in scikit-learn's order
    rank = np.empty(len(labels), dtype=np.int64)
    for c in range(10):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(len(where))
    held_out = rank % HOLD_OUT == 0
    keep = held_out if split == "test" else ~held_out
    return images[keep], labels[keep]
