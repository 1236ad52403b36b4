r"""Videos of moving, bouncing handwritten digits, tagged frame by frame: a video-tagging task.

How the data are made
---------------------
As in Moving MNIST (Srivastava, Mansimov & Salakhutdinov 2015), digits move inside a square
frame and bounce off its edges; here they are scikit-learn's 8x8 handwritten digits
(:mod:`~recurrent_zoo.tasks.handwritten`: training images for ``split="train"``, held-out
images for ``split="test"``) on a ``size x size`` frame (24 by default), and each digit moves
along one axis so that every frame has a plain description. For each video
:func:`moving_digits` draws ``n_digits`` digits of distinct classes; for each, an axis
(horizontal or vertical) and a direction, a speed (pixels per frame, uniform in ``speeds``), and
a start position away from the edges by at least that speed (so nothing bounces between the
first two frames), the other coordinate uniform. Each frame the position :math:`p` (of the
digit's top-left corner, in :math:`[0, L]`, :math:`L = \text{size} - 8`) moves by the velocity
:math:`v`; a digit that would leave the frame is reflected back and turns round:

.. math::

    p' = p + v; \qquad p' < 0 \Rightarrow p' = -p',\ v = -v; \qquad
    p' > L \Rightarrow p' = 2L - p',\ v = -v.

Frames show the digits' ink (in [0, 1]; where two overlap, the larger value).

The tags
--------
Frame :math:`t \ge 1` is tagged with what each digit did between frames :math:`t - 1` and
:math:`t`: for the digit 3, one of "the 3 moves left / right / up / down" or "the 3 bounces off
the left / right / top / bottom" (it turned round at that edge). Frame 0 shows no motion and
is not tagged (its mask is 0). There are ``10 x 8 = 80`` tags, :data:`TAGS`, tag
``8 d + e`` for digit ``d`` and event ``e`` of :data:`EVENTS`; a frame has one tag per digit in
the video. The targets are multi-label, ``(T, N, 80)`` zeros and ones for ``loss="bce"``.
Telling "moves left" from "moves right" needs two frames; telling a bounce needs three (the
digit turned round), so a model that sees one frame at a time cannot tag them.

Each digit does exactly one thing per frame, so a tagged frame's targets divided by
``n_digits`` are a probability distribution over the 80 tags: the gallery example and
``benchmarks/video_tagging.py`` train a softmax over the tags on them (``fit`` with
``loss="cross_entropy"``) and take each frame's ``n_digits`` highest-scoring tags. Eighty
independent sigmoids with the binary cross-entropy (``loss="bce"``, the multi-label default)
stay, in small taggers trained for minutes, on the plateau where every tag is predicted off
(each tag holds in about one frame in forty).

:func:`tag_scores` scores predicted tags: *frame accuracy*, the fraction of (tagged) frames
whose set of tags is predicted exactly, *tag accuracy*, the fraction of the true tags
predicted, and *event F1*, the F1 score of the bounces (a predicted bounce tag at a frame is a
true positive if that frame has that bounce).

References
----------
N. Srivastava, E. Mansimov and R. Salakhutdinov, "Unsupervised learning of video
representations using LSTMs", ICML 2015 (Moving MNIST).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_array, check_choice, check_positive_int
from .base import SequenceDataset
from .handwritten import handwritten_digits

__all__ = ["EVENTS", "TAGS", "moving_digits", "tag_scores", "frame_tags"]

#: What a digit does between two frames.
EVENTS: tuple[str, ...] = (
    "moves left",
    "moves right",
    "moves up",
    "moves down",
    "bounces off the left",
    "bounces off the right",
    "bounces off the top",
    "bounces off the bottom",
)
#: Tag ``8 d + e``: digit ``d`` does event ``e``.
TAGS: tuple[str, ...] = tuple(f"the {d} {e}" for d in range(10) for e in EVENTS)
_BOUNCES = np.array([e.startswith("bounces") for e in EVENTS] * 10)
DIGIT_SIZE = 8


def moving_digits(
    n_videos: int,
    *,
    frames: int = 16,
    size: int = 24,
    n_digits: int = 2,
    speeds: tuple[int, int] = (1, 3),
    split: str = "train",
    seed: Any = None,
) -> SequenceDataset:
    """Videos of bouncing handwritten digits with per-frame tags (see the module docstring).

    Parameters
    ----------
    n_videos : int
    frames : int, default 16
    size : int, default 24
        Frame side in pixels (at least 8 + 2 * the largest speed + 1).
    n_digits : int, default 2
        Digits per video, of distinct classes (1..10).
    speeds : (int, int), default (1, 3)
        The smallest and largest speed in pixels per frame (uniform, inclusive).
    split : {"train", "test"}
        Which handwritten digit images the videos use (disjoint sets of images).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(frames, n_videos, size ** 2)`` (each frame flattened, row-major),
        ``targets`` ``(frames, n_videos, 80)`` 0/1 tags, ``mask`` 0 at frame 0 and 1 elsewhere,
        ``loss="bce"``. ``info``: ``"digits"`` ``(n_videos, n_digits)`` the classes,
        ``"events"`` ``(frames, n_videos, n_digits)`` event indices (-1 at frame 0),
        ``"positions"`` ``(frames, n_videos, n_digits, 2)`` (row, column) of each digit's
        corner, ``"size"``.

    Examples
    --------
    >>> data = moving_digits(4, seed=0)                               # doctest: +SKIP
    >>> data.inputs.shape, data.targets.shape, data.mask[:2, 0].tolist()  # doctest: +SKIP
    ((16, 4, 576), (16, 4, 80), [0.0, 1.0])
    >>> frame_tags(data.targets[:, 0])[1]                             # doctest: +SKIP
    ['the 1 moves down', 'the 5 moves right']
    """
    n_videos = check_positive_int(n_videos, "n_videos")
    frames = check_positive_int(frames, "frames", minimum=2)
    n_digits = check_positive_int(n_digits, "n_digits")
    if n_digits > 10:
        raise ValueError(f"n_digits must be at most 10 (distinct classes); got {n_digits}")
    lo, hi = (check_positive_int(s, "speeds") for s in speeds)
    if lo > hi:
        raise ValueError(f"speeds must be (smallest, largest); got {speeds}")
    size = check_positive_int(size, "size")
    if size < DIGIT_SIZE + 2 * hi + 1:
        raise ValueError(
            f"size must be at least 8 + 2 * the largest speed + 1 = {DIGIT_SIZE + 2 * hi + 1}; "
            f"got {size}"
        )
    check_choice(split, "split", ("train", "test"))
    rng = make_rng(seed)
    pool, pool_labels = handwritten_digits(split)
    by_class = [np.flatnonzero(pool_labels == d) for d in range(10)]
    L = size - DIGIT_SIZE
    video = np.zeros((frames, n_videos, size, size))
    targets = np.zeros((frames, n_videos, len(TAGS)))
    events = np.full((frames, n_videos, n_digits), -1, dtype=np.int64)
    positions = np.zeros((frames, n_videos, n_digits, 2), dtype=np.int64)
    classes = np.zeros((n_videos, n_digits), dtype=np.int64)
    for n in range(n_videos):
        classes[n] = rng.choice(10, size=n_digits, replace=False)
        for k, d in enumerate(classes[n]):
            image = pool[by_class[d][rng.integers(len(by_class[d]))]]
            axis = int(rng.integers(2))  # 0: moves up/down (rows), 1: left/right (columns)
            speed = int(rng.integers(lo, hi + 1))
            v = speed * (1 if rng.integers(2) else -1)
            p = np.empty(2, dtype=np.int64)
            p[axis] = rng.integers(speed, L - speed + 1)
            p[1 - axis] = rng.integers(0, L + 1)
            for t in range(frames):
                if t:
                    q = p[axis] + v
                    bounced = q < 0 or q > L
                    if q < 0:
                        q = -q
                    elif q > L:
                        q = 2 * L - q
                    if bounced:  # turned round at the edge it was heading for
                        edge = (2 if v < 0 else 3) if axis == 0 else (0 if v < 0 else 1)
                        e, v = 4 + edge, -v
                    else:
                        e = (2 if v < 0 else 3) if axis == 0 else (0 if v < 0 else 1)
                    p[axis] = q
                    events[t, n, k] = e
                    targets[t, n, 8 * d + e] = 1.0
                positions[t, n, k] = p
                r, c = p
                patch = video[t, n, r : r + DIGIT_SIZE, c : c + DIGIT_SIZE]
                np.maximum(patch, image, out=patch)
    mask = np.ones((frames, n_videos))
    mask[0] = 0.0
    return SequenceDataset(
        inputs=video.reshape(frames, n_videos, size * size),
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=len(TAGS),
        info={"digits": classes, "events": events, "positions": positions, "size": size},
        per_sequence=("digits",),
        name="moving_digits",
    )


def frame_tags(scores: Any, threshold: float = 0.0) -> list[list[str]]:
    """The tags of each frame whose score exceeds ``threshold``: 0/1 targets or logits.

    Parameters
    ----------
    scores : array_like, shape (T, 80)
        One video's targets, or a model's logits (``threshold=0``: probability above 1/2).

    Examples
    --------
    >>> s = np.zeros((2, 80)); s[1, 8 * 3 + 4] = 1
    >>> frame_tags(s)
    [[], ['the 3 bounces off the left']]
    """
    S = check_array(scores, "scores", ndim=2, shape=(None, len(TAGS)), shape_doc="(T, 80)")
    return [[TAGS[i] for i in np.flatnonzero(row > threshold)] for row in S]


def tag_scores(logits: Any, targets: Any, mask: Any, threshold: float = 0.0) -> dict[str, float]:
    """Frame accuracy, tag accuracy and the bounces' event F1 of predicted tags.

    Parameters
    ----------
    logits : array_like, shape (T, N, 80)
        A model's scores; a tag is predicted where its score exceeds ``threshold``.
    targets : array_like, shape (T, N, 80)
        The true tags (0/1).
    mask : array_like, shape (T, N)
        1 at the frames that count (frame 0 has no tags).

    Returns
    -------
    dict
        ``"frame_accuracy"`` (the frames whose tag set is exactly right), ``"tag_accuracy"``
        (the true tags predicted), ``"event_precision"``, ``"event_recall"``, ``"event_f1"``
        (the bounce tags).

    Examples
    --------
    >>> y = np.zeros((3, 1, 80)); y[1:, 0, 8 * 3 + 1] = 1; y[2, 0, 8 * 7 + 6] = 1
    >>> guess = 2 * y - 1; guess[1, 0, 8 * 7 + 6] = 1           # one bounce too many
    >>> scores = tag_scores(guess, y, np.array([[0], [1], [1]]))
    >>> scores["frame_accuracy"], scores["event_precision"], scores["event_recall"]
    (0.5, 0.5, 1.0)
    """
    Y = check_array(targets, "targets", ndim=3, shape=(None, None, len(TAGS)))
    P = check_array(logits, "logits", ndim=3, shape=Y.shape, shape_doc=f"{Y.shape}") > threshold
    m = check_array(mask, "mask", shape=Y.shape[:2], shape_doc=f"{Y.shape[:2]}") > 0
    Y, P = Y[m] > 0.5, P[m]  # (frames, 80)
    if not len(Y):
        raise ValueError("mask selects no frame")
    tp = (P & Y & _BOUNCES).sum()
    fp, fn = (P & ~Y & _BOUNCES).sum(), (~P & Y & _BOUNCES).sum()
    precision = float(tp / (tp + fp)) if tp + fp else 0.0
    recall = float(tp / (tp + fn)) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "frame_accuracy": float((P == Y).all(axis=1).mean()),
        "tag_accuracy": float((P & Y).sum() / max(Y.sum(), 1)),
        "event_precision": precision,
        "event_recall": recall,
        "event_f1": float(f1),
    }
