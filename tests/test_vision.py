"""PatchKeypoints (recurrent_zoo/_core/vision.py): the shared per-patch filter bank read out by a
spatial softmax. Common checks, float64 finite-difference gradients (stride 1 and 2, with
lengths), and the forward pass against a direct loop over the patches."""

import numpy as np
import pytest

from recurrent_zoo._core.vision import PatchKeypoints
from recurrent_zoo.testing import gradient_errors, make_subject, run_checks


def _strip(n, *, seed, dtype):
    # the common checks choose input_size: a frame of one row of n pixels, patches of 1 x 2
    return PatchKeypoints((1, n), (1, min(2, n)), 2, seed=seed, dtype=dtype)


def _strip_wide(n, *, seed, dtype):
    return PatchKeypoints((1, n), (1, 1), 3, stride=2, seed=seed, dtype=dtype)


def _strip_hidden(n, *, seed, dtype):
    return PatchKeypoints((1, n), (1, min(2, n)), 2, hidden=3, seed=seed, dtype=dtype)


def _strip_glimpse(n, *, seed, dtype):
    return PatchKeypoints((1, n), (1, min(2, n)), 2, glimpse=True, seed=seed, dtype=dtype)


def test_patch_keypoints_passes_common_checks():
    ran = run_checks(make_subject("patch_keypoints", _strip, _strip_wide))
    assert "check_gradients" in ran and "check_save_load" in ran


def test_patch_keypoints_with_a_hidden_layer_passes_common_checks():
    ran = run_checks(make_subject("patch_keypoints_hidden", _strip_hidden, _strip_hidden))
    assert "check_gradients" in ran and "check_save_load" in ran


def test_patch_keypoints_with_glimpses_passes_common_checks():
    ran = run_checks(make_subject("patch_keypoints_glimpse", _strip_glimpse, _strip_glimpse))
    assert "check_gradients" in ran and "check_save_load" in ran


def _reference(m, X):
    """The equations of the module docstring, one patch at a time."""
    (H, W), (kh, kw), s = m.image_shape, m.kernel_shape, m.stride
    gh, gw = m.grid
    rows = np.linspace(-1, 1, gh) if gh > 1 else np.zeros(1)
    cols = np.linspace(-1, 1, gw) if gw > 1 else np.zeros(1)
    T, B, _ = X.shape
    k, C = kh * kw, m.channels
    Y = np.zeros((T, B, m.output_size))
    for t in range(T):
        for b in range(B):
            frame = X[t, b].reshape(H, W)
            for c in range(m.channels):
                a, r, q, seen = [], [], [], []
                for i in range(gh):
                    for j in range(gw):
                        patch = frame[i * s : i * s + kh, j * s : j * s + kw].reshape(-1)
                        seen.append(patch)
                        if m.hidden is not None:  # the per-patch tanh layer
                            patch = np.tanh(m.params["weight_in"] @ patch + m.params["bias_in"])
                        a.append(m.params["weight"][c] @ patch + m.params["bias"][c])
                        r.append(rows[i])
                        q.append(cols[j])
                a = np.array(a)
                w = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
                Y[t, b, c] = np.log(np.mean(np.exp(a)))
                Y[t, b, m.channels + c] = w @ np.array(r)
                Y[t, b, 2 * m.channels + c] = w @ np.array(q)
                if m.glimpse:  # the pixels of the patches, weighted by the softmax
                    Y[t, b, 3 * C + c * k : 3 * C + (c + 1) * k] = w @ np.array(seen)
    return Y


@pytest.mark.parametrize(
    "stride, hidden, glimpse",
    [
        (1, None, False),
        (2, None, False),
        (1, 5, False),
        (2, 3, False),
        (1, None, True),
        (2, 3, True),
    ],
)
def test_forward_equals_a_loop_over_patches(stride, hidden, glimpse):
    m = PatchKeypoints((7, 6), (3, 2), 4, hidden=hidden, stride=stride, glimpse=glimpse, seed=0)
    X = np.random.default_rng(1).normal(size=(3, 2, 42))
    Y, _ = m.forward(X)
    np.testing.assert_allclose(Y, _reference(m, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "stride, hidden, glimpse",
    [
        (1, None, False),
        (2, None, False),
        (1, 4, False),
        (2, 5, False),
        (1, None, True),
        (2, 4, True),
    ],
)
def test_gradients_float64(stride, hidden, glimpse):
    m = PatchKeypoints((6, 7), (3, 3), 3, hidden=hidden, stride=stride, glimpse=glimpse, seed=2)
    m.params["weight"] *= 3  # sharper softmaxes than at initialisation
    if hidden is not None:
        m.params["weight_in"] *= 2  # tanh units off their linear part
    X = np.random.default_rng(3).normal(size=(3, 2, 42))
    errors = gradient_errors(m, X, lengths=[3, 2])
    assert max(errors.values()) <= 1e-6, errors


def test_a_moving_block_is_tracked():
    """A filter that sums its patch follows a bright block: the keypoint moves with it, one
    grid step per pixel at stride 1, whatever else (a dimmer block) is in the frame."""
    m = PatchKeypoints((10, 10), (3, 3), 1, seed=0)
    m.params["weight"][...] = 1.0
    m.params["bias"][...] = 0.0
    X = np.zeros((4, 1, 10, 10))
    for t in range(4):
        X[t, 0, 2:5, 1 + t : 4 + t] = 10.0
        X[t, 0, 6:9, 6:9] = 4.0
    Y, _ = m.forward(X.reshape(4, 1, 100))
    step = 2 / 7  # the grid has 8 positions along each axis, in [-1, 1]
    np.testing.assert_allclose(Y[:, 0, 2], -1 + step * (1 + np.arange(4)), atol=1e-6)
    np.testing.assert_allclose(Y[:, 0, 1], -1 + 2 * step, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kernel_shape must fit"):
        PatchKeypoints((4, 4), (5, 2), 2)
    with pytest.raises(ValueError, match="image_shape must be a pair"):
        PatchKeypoints(16, (2, 2), 2)
    with pytest.raises(ValueError, match="channels"):
        PatchKeypoints((4, 4), (2, 2), 0)
    with pytest.raises(ValueError, match="hidden"):
        PatchKeypoints((4, 4), (2, 2), 2, hidden=0)
    with pytest.raises(TypeError, match="glimpse must be a bool"):
        PatchKeypoints((4, 4), (2, 2), 2, glimpse="yes")
    with pytest.raises(ValueError, match="input_size=16"):
        PatchKeypoints((4, 4), (2, 2), 2).forward(np.zeros((2, 1, 15)))
