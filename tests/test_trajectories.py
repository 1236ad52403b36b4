"""The multichannel trajectory classification set (recurrent_zoo.tasks.trajectories).

What is checked is the construction the module docstring states: shapes, lengths in range,
labels at the last step, the prototypes fixed by task_seed and read at the warped times, the
noise's size, and that the classes are told apart by shape, not length.
"""

import numpy as np
import pytest

from recurrent_zoo.tasks import get_task, trajectory_classification, trajectory_prototypes


def test_shapes_lengths_labels_and_seeds():
    data = trajectory_classification(200, seed=0)
    X, y = data.sequences(), data.info["labels"]
    assert len(X) == 200 and all(x.shape[1] == 12 for x in X)
    assert 7 <= data.lengths.min() and data.lengths.max() <= 30
    assert data.inputs.shape == (data.lengths.max(), 200, 12)
    assert data.loss == "cross_entropy" and data.output_size == 9
    assert set(np.unique(y)) == set(range(9))
    last = data.lengths - 1
    np.testing.assert_array_equal(data.targets[last, np.arange(200)], y)
    np.testing.assert_array_equal(data.mask.sum(axis=0), np.ones(200))
    assert np.all(data.inputs[np.arange(data.inputs.shape[0])[:, None] >= data.lengths] == 0)
    again = trajectory_classification(200, seed=0)
    np.testing.assert_array_equal(again.inputs, data.inputs)
    other = trajectory_classification(200, seed=1)
    assert not np.array_equal(other.info["labels"], y)
    assert get_task("trajectories") is trajectory_classification


def test_sequences_are_warped_prototypes_plus_noise():
    """With no noise, no warp and no per-sequence variability left, a sequence is its class's
    prototype read at evenly spaced times between its start and end."""
    clean = trajectory_classification(30, n_classes=3, warp=0.0, noise=0.0, seed=3)
    P = trajectory_prototypes(3, 12, n_points=1001)  # (1001, K, C) on a fine grid
    for x, k in zip(clean.sequences(), clean.info["labels"], strict=True):
        # up to the per-channel gain and offset, the channels follow the prototype's shape:
        # correlation with the prototype on [0, 1] resampled at the sequence's length is high
        proto = P[np.linspace(0, 1000, len(x)).round().astype(int), k]
        corr = [np.corrcoef(x[:, j], proto[:, j])[0, 1] for j in range(12)]
        assert np.median(corr) > 0.9
    # the noise: AR(1) with standard deviation sigma * s_j around the noiseless sequence
    a = trajectory_classification(400, n_classes=2, noise=0.0, seed=4).inputs
    b = trajectory_classification(400, n_classes=2, noise=0.4, seed=4).inputs
    diff = (b - a)[:7, :, 0]  # channel 0 (scale 1), the first 7 steps every sequence has
    assert diff.std() == pytest.approx(0.4, rel=0.05)
    lag1 = np.corrcoef(diff[1:].ravel(), diff[:-1].ravel())[0, 1]
    assert lag1 == pytest.approx(0.5, abs=0.06)


def test_task_seed_fixes_the_classes():
    a = trajectory_classification(50, seed=1)
    b = trajectory_classification(50, seed=1, task_seed=1)
    assert not np.allclose(a.inputs, b.inputs)
    np.testing.assert_array_equal(
        trajectory_prototypes(task_seed=5), trajectory_prototypes(task_seed=5)
    )
    # separation 0: classes differ only in their typical length
    same = trajectory_prototypes(4, 3, separation=0.0)
    np.testing.assert_allclose(same, same[:, :1].repeat(4, axis=1))


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        trajectory_classification(10, n_classes=1)
    with pytest.raises(ValueError, match="max_length must be >= min_length=9"):
        trajectory_classification(10, min_length=9, max_length=8)
    with pytest.raises(ValueError, match="noise"):
        trajectory_classification(10, noise=-1)
    with pytest.raises(ValueError, match="n_sequences"):
        trajectory_classification(0)
