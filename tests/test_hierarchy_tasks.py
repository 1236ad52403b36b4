"""The tasks of the hierarchical nets: sum of sines, Schmidhuber's 22-symbol stream, the
nested-periodic tune."""

import numpy as np
import pytest

from recurrent_zoo.tasks import (
    TASKS,
    SequenceDataset,
    long_lag_symbols,
    nested_periodic,
    sum_of_sines,
)


def test_registered():
    for name in ("sum_of_sines", "long_lag_symbols", "nested_periodic"):
        assert name in TASKS


def test_sum_of_sines():
    """Constant input; the target is the scaled sum of the four sines with the drawn phases
    (periods 8, 32, 80, 160 as in the cybertronai/schmidhuber-problems reproduction)."""
    data = sum_of_sines(3, length=320, seed=0)
    assert isinstance(data, SequenceDataset) and data.loss == "mse"
    np.testing.assert_array_equal(data.inputs, 1.0)
    t = np.arange(320)
    phases = data.info["phases"]
    expected = sum(np.sin(2 * np.pi * t / p + phases[1, k]) for k, p in enumerate((8, 32, 80, 160)))
    np.testing.assert_allclose(data.targets[:, 1, 0], expected / 2.0, rtol=1e-12)
    assert abs(data.targets.var() - 0.5) < 0.1  # a mean predictor scores about 0.5
    np.testing.assert_array_equal(sum_of_sines(2, seed=4).targets, sum_of_sines(2, seed=4).targets)
    assert not np.array_equal(sum_of_sines(1, seed=4).targets, sum_of_sines(1, seed=5).targets)
    with pytest.raises(ValueError, match="periods"):
        sum_of_sines(1, periods=(8, 0))


def test_long_lag_symbols():
    """Schmidhuber 1992: blocks a b1..b20 or x b1..b20, no boundaries, label at the block's end."""
    data = long_lag_symbols(40, 3, seed=1)
    sym = data.info["symbols"]  # (N, T)
    assert sym.shape == (3, 40 * 21) and data.inputs.shape == (840, 3, 22)
    np.testing.assert_array_equal(data.inputs.argmax(axis=2).T, sym)
    blocks = sym.reshape(3, 40, 21)
    assert set(np.unique(blocks[:, :, 0])) == {0, 1}  # a or x
    np.testing.assert_array_equal(blocks[:, :, 1:], np.broadcast_to(np.arange(2, 22), (3, 40, 20)))
    labels = data.info["labels"]
    np.testing.assert_array_equal(labels, blocks[:, :, 0] == 0)  # 1 for blocks starting with a
    last = np.arange(40) * 21 + 20
    np.testing.assert_array_equal(data.mask.nonzero()[0], np.repeat(last, 3))
    np.testing.assert_array_equal(data.targets[last, :, 0], labels.T)
    assert 0.3 < labels.mean() < 0.7
    short = long_lag_symbols(2, 1, lag=3, seed=0)
    assert short.inputs.shape == (8, 1, 5)


def test_nested_periodic():
    data = nested_periodic(4, length=128, fast_period=4, slow_period=64, n_keys=4, seed=2)
    X, Y = data.inputs, data.targets
    keys = data.info["keys"]  # (N, 2)
    t = np.arange(128)
    key_t = keys[:, t // 64].T  # (T, N)
    np.testing.assert_array_equal(Y, (key_t + t[:, None] % 4) % 4)
    np.testing.assert_array_equal(X[:, :, 0], (t % 4 == 0)[:, None].repeat(4, axis=1))
    cue = X[:, :, 1:]
    assert not cue[t % 64 != 0].any()  # the key is shown only at the slow period's start
    np.testing.assert_array_equal(cue[t % 64 == 0].argmax(axis=2), keys.T)
    # without the key every note is as likely as any other: the notes differ for every key
    for p in range(4):
        assert len({(k + p) % 4 for k in range(4)}) == 4
    with pytest.raises(ValueError, match="multiple of fast_period"):
        nested_periodic(1, length=64, fast_period=3, slow_period=32)
    with pytest.raises(ValueError, match="multiple of slow_period"):
        nested_periodic(1, length=100, slow_period=32)
