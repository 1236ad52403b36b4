"""The image-description and video-tagging data (recurrent_zoo.tasks.handwritten, .scenes,
.moving_digits): the digit split, the caption grammar against scenes read back from their pixels,
the bouncing-digit physics and tags against positions read back from the frames, the scores,
seeds and bad input."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from recurrent_zoo.tasks.handwritten import handwritten_digits  # noqa: E402
from recurrent_zoo.tasks.moving_digits import (  # noqa: E402
    EVENTS,
    TAGS,
    frame_tags,
    moving_digits,
    tag_scores,
)
from recurrent_zoo.tasks.scenes import (  # noqa: E402
    CAPTION_VOCABULARY,
    caption_bleu,
    decode_caption,
    describe_scene,
    digit_scenes,
    encode_captions,
)


# ----------------------------------------------------------------------------- digits
def test_split_is_disjoint_and_complete():
    train, train_labels = handwritten_digits("train")
    test, test_labels = handwritten_digits("test")
    everything, labels = handwritten_digits("all")
    # scikit-learn's digits: 1797 images of 8x8 (its documentation); every fifth per class held out
    assert everything.shape == (1797, 8, 8) and len(train) + len(test) == 1797
    assert len(test) == 364 and np.bincount(test_labels).min() >= 35
    assert everything.min() == 0.0 and everything.max() == 1.0
    rows = {r.tobytes() for r in test}
    assert not any(r.tobytes() in rows for r in train)  # no image in both parts
    np.testing.assert_array_equal(np.sort(np.concatenate([train_labels, test_labels])),
                                  np.sort(labels))  # fmt: skip
    with pytest.raises(ValueError, match="split"):
        handwritten_digits("valid")


# ----------------------------------------------------------------------------- scenes
def test_caption_grammar():
    # "a 3 at the top left, a 7 at the top right and a 1 in the middle of the bottom row"
    assert describe_scene([7, 3, 1], [(0, 2), (0, 0), (2, 1)]) == (
        "a 3 left of a 7 above and right of a 1"
    )
    assert describe_scene([4, 2], [(1, 0), (2, 2)]) == "a 4 above and left of a 2"
    assert describe_scene([4, 2], [(0, 1), (1, 1)]) == "a 4 above a 2"
    assert describe_scene([9], [(1, 1)]) == "a 9"
    with pytest.raises(ValueError, match="distinct"):
        describe_scene([1, 2], [(0, 0), (0, 0)])


def test_scenes_hold_the_digits_their_captions_name():
    scenes = digit_scenes(40, seed=3)
    regions = scenes.regions()  # (9, 40, 100)
    assert regions.shape == (9, 40, 100) and scenes.images.shape == (40, 30, 30)
    for n in range(len(scenes)):
        assert 2 <= len(scenes.digits[n]) <= 4
        inked = np.flatnonzero(regions[:, n].any(axis=1))  # the cells with ink
        cells = scenes.cells[n][:, 0] * 3 + scenes.cells[n][:, 1]
        np.testing.assert_array_equal(np.sort(cells), inked)
        np.testing.assert_array_equal(np.diff(cells) > 0, True)  # reading order
        assert scenes.captions[n] == describe_scene(scenes.digits[n], scenes.cells[n])
    with_positions = scenes.regions(positions=True)
    np.testing.assert_array_equal(with_positions[:, :, 100:], np.eye(9)[:, None].repeat(40, 1))
    sub = scenes.subset([3, 1])
    assert sub.captions == [scenes.captions[3], scenes.captions[1]]


def test_scenes_seed_and_split():
    a, b = digit_scenes(5, seed=0), digit_scenes(5, seed=0)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions
    assert digit_scenes(5, seed=1).captions != a.captions
    # centred digits (offset 1 in a 10-pixel cell) are held-out images of the named class
    pool, pool_labels = handwritten_digits("test")
    label_of = {img.tobytes(): int(d) for img, d in zip(pool, pool_labels, strict=True)}
    centred = digit_scenes(10, split="test", jitter=False, seed=0)
    for n in range(10):
        for (r, c), d in zip(centred.cells[n], centred.digits[n], strict=True):
            patch = centred.images[n, 10 * r + 1 : 10 * r + 9, 10 * c + 1 : 10 * c + 9]
            assert label_of[patch.tobytes()] == d
    with pytest.raises(ValueError, match="max_digits"):
        digit_scenes(3, max_digits=10)
    with pytest.raises(ValueError, match="cell_size"):
        digit_scenes(3, cell_size=7)


def test_caption_words_and_bleu():
    ids, lengths = encode_captions(["a 3 above a 7", "a 1 left of a 2"])
    assert ids.shape == (7, 2) and lengths.tolist() == [6, 7]
    assert [decode_caption(ids[:, b]) for b in range(2)] == ["a 3 above a 7", "a 1 left of a 2"]
    assert CAPTION_VOCABULARY[0] == "</s>" and CAPTION_VOCABULARY[1] == "<s>"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        encode_captions(["a 3 below a 7"])
    with pytest.raises(TypeError, match="list of strings"):
        encode_captions("a 3")
    pytest.importorskip("sacrebleu")
    assert np.isclose(
        caption_bleu(["a 3 above a 7 left of a 1"], ["a 3 above a 7 left of a 1"]), 100.0
    )
    # BLEU-4 by hand for one hypothesis of 8 words against a reference of 8 words with one word
    # wrong in the middle: n-gram precisions 7/8, 5/7, 3/6, 2/5... (sacrebleu: geometric mean,
    # no brevity penalty at equal lengths)
    ref, hyp = "a 3 above a 7 left of a", "a 3 above a 5 left of a"
    p = [7 / 8, 5 / 7, 3 / 6, 1 / 5]
    expected = 100 * np.exp(np.mean(np.log(p)))
    assert np.isclose(caption_bleu([ref], [hyp]), expected, rtol=1e-9)
    with pytest.raises(ValueError, match="equally long"):
        caption_bleu(["a 1"], [])


# ----------------------------------------------------------------------------- videos
def _corner(frame, image):
    """Where an 8x8 image's ink sits in a frame (the top-left corner), by exhaustive search."""
    size = frame.shape[0]
    for r in range(size - 7):
        for c in range(size - 7):
            if np.all(frame[r : r + 8, c : c + 8] >= image - 1e-12):
                return r, c
    return None


def test_videos_move_and_bounce_as_tagged():
    data = moving_digits(6, frames=12, size=20, seed=4)
    T, N = 12, 6
    assert data.inputs.shape == (T, N, 400) and data.targets.shape == (T, N, 80)
    assert data.mask[0].sum() == 0 and data.mask[1:].min() == 1
    pos, events, digits = data.info["positions"], data.info["events"], data.info["digits"]
    L = 20 - 8
    for n in range(N):
        assert len(set(digits[n])) == 2
        for k, d in enumerate(digits[n]):
            p = pos[:, n, k]  # (T, 2)
            assert p.min() >= 0 and p.max() <= L
            moved = np.flatnonzero(np.abs(np.diff(p, axis=0)).sum(axis=0))
            assert len(moved) == 1  # one axis only
            axis = moved[0]
            for t in range(1, T):
                e = events[t, n, k]
                assert data.targets[t, n, 8 * d + e] == 1
                assert e in ((2, 3, 6, 7) if axis == 0 else (0, 1, 4, 5))
        # the frames show the digits where the positions say (ink at least the digit's)
        frames = data.inputs[:, n].reshape(T, 20, 20)
        for t in (0, T - 1):
            for k in range(2):
                r, c = pos[t, n, k]
                assert frames[t, r : r + 8, c : c + 8].max() > 0
    assert data.targets[1:].sum(axis=2).min() == 2  # one tag per digit per frame
    assert data.targets[0].sum() == 0


def test_bounce_physics_by_hand():
    # size 20, L = 12: from the positions, each bounce is a reflection p' = -(p + v) or
    # 2L - (p + v) and its tag names the edge; every other step keeps its velocity
    data = moving_digits(30, frames=16, size=20, speeds=(2, 3), seed=7)
    pos, events = data.info["positions"], data.info["events"]
    L, seen = 12, 0
    for n in range(30):
        for k in range(2):
            axis = int(np.flatnonzero(np.ptp(pos[:, n, k], axis=0))[0])
            p = pos[:, n, k, axis]
            v = None
            for t in range(1, 16):
                e = EVENTS[events[t, n, k]]
                if v is None:  # the first step never bounces (starts >= speed from an edge)
                    assert not e.startswith("bounces")
                    v = p[1] - p[0]
                    continue
                q = p[t - 1] + v
                if q < 0:
                    assert p[t] == -q and e == ("bounces off the top" if axis == 0 else
                                                "bounces off the left")  # fmt: skip
                    v, seen = -v, seen + 1
                elif q > L:
                    assert p[t] == 2 * L - q and e == ("bounces off the bottom" if axis == 0
                                                       else "bounces off the right")  # fmt: skip
                    v, seen = -v, seen + 1
                else:
                    assert p[t] == q and e.startswith("moves")
    assert seen > 20  # the check saw bounces


def test_video_seed_split_and_bad_input():
    a, b = moving_digits(3, seed=0), moving_digits(3, seed=0)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(moving_digits(3, seed=1).inputs, a.inputs)
    with pytest.raises(ValueError, match="size must be at least"):
        moving_digits(2, size=12)
    with pytest.raises(ValueError, match="n_digits"):
        moving_digits(2, n_digits=11)
    with pytest.raises(ValueError, match="split"):
        moving_digits(2, split="valid")


def test_tag_scores_and_frame_tags():
    y = np.zeros((3, 2, 80))
    y[1:, :, 8 * 3 + 1] = 1
    y[2, 0, 8 * 7 + 6] = 1
    mask = np.array([[0, 0], [1, 1], [1, 1]])
    perfect = tag_scores(2 * y - 1, y, mask)
    assert perfect["frame_accuracy"] == 1.0 and perfect["event_f1"] == 1.0
    guess = 2 * y - 1
    guess[2, 0, 8 * 7 + 6] = -1  # the one bounce missed
    guess[1, 1, 8 * 2 + 0] = 1  # a tag too many
    s = tag_scores(guess, y, mask)
    assert s["frame_accuracy"] == 0.5  # frames (2, 0) and (1, 1) wrong of four
    assert s["tag_accuracy"] == 4 / 5 and s["event_recall"] == 0.0 and s["event_f1"] == 0.0
    assert frame_tags(y[:, 0])[2] == ["the 3 moves right", "the 7 bounces off the top"]
    assert TAGS[8 * 7 + 6] == "the 7 bounces off the top" and len(TAGS) == 80
    with pytest.raises(ValueError, match="mask selects no frame"):
        tag_scores(y, y, np.zeros((3, 2)))
