"""benchmarks/video_tagging.py's ClassTracks (``--tagger tracks``): one net run on each
detector channel's track, weights shared. Float64 finite-difference gradients (with lengths),
and the tag scores against a loop over the tracks."""

import importlib.util
import pathlib

import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.testing import gradient_errors

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "video_tagging", ROOT / "benchmarks" / "video_tagging.py"
)
video_tagging = importlib.util.module_from_spec(spec)
spec.loader.exec_module(video_tagging)


def _tracks(classes=3, events=2):
    inner = Stacked([LSTM(3, 4, seed=0), Linear(4, events + 1, seed=1)])
    return video_tagging.ClassTracks(inner, classes=classes, events=events)


def test_class_tracks_gradients_float64():
    m = _tracks()
    X = np.random.default_rng(0).normal(size=(4, 2, 9))
    errors = gradient_errors(m, X, lengths=[4, 3])
    assert max(errors.values()) <= 1e-6, errors


def test_class_tracks_score_each_track_with_the_shared_net():
    m = _tracks()
    X = np.random.default_rng(1).normal(size=(5, 2, 9))  # presences, rows, columns of 3 classes
    Y, _ = m.forward(X)
    for b in range(2):
        for c in range(3):
            track = X[:, b, [c, 3 + c, 6 + c]][:, None]  # (T, 1, 3)
            Z, _ = m.inner.forward(track)
            np.testing.assert_allclose(Y[:, b, 2 * c : 2 * c + 2], Z[:, 0, :2] + Z[:, 0, 2:])
