"""PatchKeypoints as a detector (recurrent_zoo/_core/vision.py): the score maps and their
backward (float64 finite differences, and against the keypoint readout they feed), and
keypoint_detection_loss (its value by a direct loop over frames and classes, its gradient by
finite differences, and that it is lowest for the right positions and classes)."""

import numpy as np
import pytest

from recurrent_zoo._core.vision import PatchKeypoints, keypoint_detection_loss
from recurrent_zoo.testing import numerical_gradient


@pytest.mark.parametrize("stride, hidden", [(1, None), (2, None), (1, 4), (2, 3)])
def test_score_maps_gradients_float64(stride, hidden):
    m = PatchKeypoints((6, 7), (3, 3), 3, hidden=hidden, stride=stride, seed=2)
    if hidden is not None:
        m.params["weight_in"] *= 2  # tanh units off their linear part
    X = np.random.default_rng(3).normal(size=(2, 2, 42))
    R = np.random.default_rng(4).normal(size=m.score_maps(X).shape)

    def f():
        return float((R * m.score_maps(X)).sum())

    m.score_maps(X)
    dX = m.score_maps_backward(R)
    for name, p in m.params.items():
        num = numerical_gradient(f, p)
        err = np.abs(m.grads[name] - num).max() / max(np.abs(num).max(), 1e-12)
        assert err <= 1e-6, (name, err)
    num = numerical_gradient(f, X)
    assert np.abs(dX - num).max() / np.abs(num).max() <= 1e-6


def test_score_maps_are_the_scores_the_readout_uses():
    """Row-major grid positions, ``(i, j)`` the patch at ``(i * stride, j * stride)``: the
    presences of ``forward`` are the log-mean-exp of the maps, and a map's scores are the
    filters applied to the patch there."""
    m = PatchKeypoints((7, 6), (3, 2), 4, hidden=5, stride=2, seed=0)
    X = np.random.default_rng(1).normal(size=(3, 2, 42))
    A = m.score_maps(X)
    assert A.shape == (3, 2, 3, 3, 4)
    Y, _ = m.forward(X)
    lme = np.log(np.exp(A).reshape(3, 2, 9, 4).mean(axis=2))
    np.testing.assert_allclose(Y[..., :4], lme, rtol=1e-12)
    patch = X[1, 0].reshape(7, 6)[4:7, 2:4].reshape(-1)  # grid (2, 1)
    h = np.tanh(m.params["weight_in"] @ patch + m.params["bias_in"])
    np.testing.assert_allclose(A[1, 0, 2, 1], m.params["weight"] @ h + m.params["bias"])


def _loss_loop(A, where, present, w):
    """The loss of the docstring, one frame and one class at a time."""
    gh, gw, C = A.shape[-3:]
    A = A.reshape(-1, gh * gw, C)
    where, present = where.reshape(len(A), -1, 2), present.reshape(len(A), -1)
    K, total = where.shape[1], 0.0
    for a, wh, on in zip(A, where, present, strict=True):
        lam = np.array([np.log(np.exp(a[:, k]).sum()) for k in range(K)])
        q = np.exp(lam) / np.exp(lam).sum()
        n = on.sum()
        for k in range(K):
            if on[k]:
                s = np.exp(a[:, k]) / np.exp(a[:, k]).sum()
                total += -np.log(s[wh[k, 0] * gw + wh[k, 1]]) / n - w * np.log(q[k]) / n
    return total / len(A)


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(3, 2, 4, 5, 6)) * 2  # (T, B, gh, gw, C), 6 channels
    where = np.stack([rng.integers(0, 4, (3, 2, 4)), rng.integers(0, 5, (3, 2, 4))], axis=-1)
    present = rng.random((3, 2, 4)) < 0.5  # 4 supervised classes
    present[..., 0] = True
    return A, where, present


@pytest.mark.parametrize("w", [1.0, 0.3])
def test_detection_loss_value_and_gradient_float64(w):
    A, where, present = _problem()
    value, dA = keypoint_detection_loss(A, where, present, presence_weight=w)
    assert np.isclose(value, _loss_loop(A, where, present, w), rtol=1e-12)
    num = numerical_gradient(
        lambda: keypoint_detection_loss(A, where, present, presence_weight=w)[0], A
    )
    assert np.abs(dA - num).max() / np.abs(num).max() <= 1e-6
    assert not dA[..., 4:].any()  # the unsupervised channels get nothing


def test_detection_loss_prefers_the_right_place_and_class():
    A = np.zeros((1, 4, 4, 3))
    A[0, 1, 2, 0] = A[0, 3, 0, 2] = 6.0  # channels 0 and 2 peak at (1, 2) and (3, 0)
    where = np.array([[[1, 2], [0, 0], [3, 0]]])
    right = keypoint_detection_loss(A, where, [[1, 0, 1]])[0]
    moved = keypoint_detection_loss(A, np.array([[[1, 3], [0, 0], [3, 0]]]), [[1, 0, 1]])[0]
    renamed = keypoint_detection_loss(A, where, [[1, 1, 0]])[0]
    assert right < moved and right < renamed
    A *= 4  # sharper: the loss tends to its floor, log 2 for the presences' 1/2, 1/2
    assert np.isclose(keypoint_detection_loss(A, where, [[1, 0, 1]])[0], np.log(2), atol=1e-6)


def test_detection_loss_float32_and_bad_arguments():
    A, where, present = _problem()
    value, dA = keypoint_detection_loss(A.astype(np.float32), where, present)
    assert dA.dtype == np.float32
    assert np.isclose(value, keypoint_detection_loss(A, where, present)[0], rtol=1e-5)
    with pytest.raises(ValueError, match="where must be an int array"):
        keypoint_detection_loss(A, where.astype(float), present)
    with pytest.raises(ValueError, match="K <= 6"):
        keypoint_detection_loss(A, np.zeros((3, 2, 7, 2), int), np.ones((3, 2, 7)))
    with pytest.raises(ValueError, match="present must have shape"):
        keypoint_detection_loss(A, where, present[..., :3])
    with pytest.raises(ValueError, match="at least one class"):
        keypoint_detection_loss(A, where, np.zeros_like(present))
    with pytest.raises(ValueError, match="inside the 4 x 5 grid"):
        keypoint_detection_loss(A, np.full_like(where, 4), np.ones_like(present))
    with pytest.raises(ValueError, match="presence_weight"):
        keypoint_detection_loss(A, where, present, presence_weight=-1.0)
    with pytest.raises(RuntimeError, match="score_maps"):
        PatchKeypoints((4, 4), (2, 2), 2).score_maps_backward(np.zeros((1, 1, 3, 3, 2)))
