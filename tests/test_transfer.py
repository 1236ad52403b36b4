"""``copy_params``: a pretrained part copied into a larger model, in place."""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo import Linear, PatchKeypoints, Stacked
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.training import copy_params, fit, predict


def test_copy_into_a_stacked_part_gives_the_same_outputs():
    # the encoder of a pretraining model copied into the encoder slot of a tagger: the tagger's
    # encoder then computes exactly what the pretrained one does, and the tagger's own params
    # dict (shared arrays) shows the new values
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 4, 36))  # (T, B, pixels)
    trained = PatchKeypoints((6, 6), (3, 3), 2, seed=0)
    trained.params["weight"] *= 3.0
    tagger = Stacked([PatchKeypoints((6, 6), (3, 3), 2, seed=1), LSTM(6, 5, seed=2)])
    before = {k: v for k, v in tagger.params.items()}
    copy_params(trained, tagger.models[0])
    assert all(tagger.params[k] is before[k] for k in before)  # same arrays, new values
    np.testing.assert_array_equal(tagger.params["0.weight"], trained.params["weight"])
    np.testing.assert_array_equal(predict(tagger.models[0], X), predict(trained, X))
    # the copy is a copy: training the tagger leaves the source alone
    w = trained.params["weight"].copy()
    fit(tagger, X, rng.normal(size=(3, 4, 5)), epochs=2, batch_size=2, seed=0, lr=0.1)
    np.testing.assert_array_equal(trained.params["weight"], w)
    assert not np.array_equal(tagger.params["0.weight"], w)


def test_copy_casts_to_the_target_dtype():
    src = Linear(3, 2, seed=0)
    dst = Linear(3, 2, seed=1, dtype=np.float32)
    copy_params(src, dst)
    assert dst.params["weight"].dtype == np.float32
    np.testing.assert_allclose(dst.params["weight"], src.params["weight"], rtol=1e-6)


def test_bad_input():
    with pytest.raises(TypeError, match="source must be a SequenceModel"):
        copy_params({"weight": np.zeros((2, 3))}, Linear(3, 2, seed=0))
    with pytest.raises(TypeError, match="target must be a SequenceModel"):
        copy_params(Linear(3, 2, seed=0), None)
    with pytest.raises(ValueError, match="same parameter names"):
        copy_params(
            PatchKeypoints((6, 6), (3, 3), 2, hidden=4, seed=0),
            PatchKeypoints((6, 6), (3, 3), 2, seed=0),
        )
    with pytest.raises(ValueError, match="'weight' has shape"):
        copy_params(Linear(3, 2, seed=0), Linear(4, 2, seed=0))
    bad = Linear(3, 2, seed=0)
    bad.params["bias"][0] = np.nan
    target = Linear(3, 2, seed=1)
    kept = target.params["weight"].copy()
    with pytest.raises(ValueError, match="NaN or inf"):
        copy_params(bad, target)
    np.testing.assert_array_equal(target.params["weight"], kept)  # nothing half-copied
