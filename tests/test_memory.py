"""Float64 finite-difference checks of every mechanism in _core.memory (the NTM's addressing,
read and write), their agreement with the row-major ops in _core.ops and with the equations
written out, and their behaviour at the edges: equal or zero memory, huge sharpening.

Memory is slot-minor in _core.memory, (B, W, N); _core.ops takes the paper's (B, N, W)."""

import numpy as np
import pytest

from recurrent_zoo._core import memory as mem
from recurrent_zoo._core import ops
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-7
B, H, N, W, S = 2, 3, 7, 4, 3


def _check(f, grads, arrays, names):
    """f() -> scalar loss; grads: analytic gradients matching arrays (perturbed in place)."""
    for name, g, a in zip(names, grads, arrays, strict=True):
        err = relative_error(g, numerical_gradient(f, a))
        assert err < RTOL, f"{name}: relative error {err:.2e}"


def _distribution(rng, shape):
    return ops.softmax(rng.normal(size=shape))


def _slots(memory):
    """(B, W, N) slot-minor memory as the paper's (B, N, W)."""
    return memory.transpose(0, 2, 1)


def test_content_weighting_gradients():
    rng = np.random.default_rng(0)
    keys, memory = rng.normal(size=(B, H, W)), rng.normal(size=(B, W, N))
    strengths = rng.uniform(0.5, 5.0, size=(B, H))
    R = rng.normal(size=(B, H, N))
    w, cache = mem.content_weighting(keys, strengths, memory)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    cos = ops.cosine_similarity(keys, _slots(memory))[0]
    np.testing.assert_allclose(w, ops.softmax(strengths[..., None] * cos))
    grads = mem.content_weighting_backward(R, cache)
    _check(
        lambda: float((mem.content_weighting(keys, strengths, memory)[0] * R).sum()),
        grads,
        [keys, strengths, memory],
        ["keys", "strengths", "memory"],
    )


def test_interpolate_gradients():
    rng = np.random.default_rng(1)
    wc, wp = _distribution(rng, (B, H, N)), _distribution(rng, (B, H, N))
    g = rng.uniform(size=(B, H))
    R = rng.normal(size=(B, H, N))
    out = mem.interpolate(wc, wp, g)
    np.testing.assert_allclose(out.sum(-1), 1.0)  # a convex combination of distributions
    _check(
        lambda: float((mem.interpolate(wc, wp, g) * R).sum()),
        mem.interpolate_backward(R, wc, wp, g),
        [wc, wp, g],
        ["w_content", "w_prev", "gates"],
    )


@pytest.mark.parametrize("n_shifts", [1, 3, 5])
def test_shift_gradients_and_definition(n_shifts):
    rng = np.random.default_rng(2)
    w = _distribution(rng, (B, H, N))
    s = _distribution(rng, (B, H, n_shifts))
    R = rng.normal(size=(B, H, N))
    out = mem.shift(w, s)
    # eq. 8 written out: w~(i) = sum_j w(j) s(i - j), shifts -(S//2)..S//2
    half = n_shifts // 2
    expected = np.zeros_like(w)
    for i in range(N):
        for j in range(N):
            offset = (i - j) % N
            for k in range(n_shifts):
                if (k - half) % N == offset:
                    expected[..., i] += w[..., j] * s[..., k]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out, ops.circular_convolution(w, s), rtol=1e-12, atol=1e-15)
    _check(
        lambda: float((mem.shift(w, s) * R).sum()),
        mem.shift_backward(R, w, s),
        [w, s],
        ["weights", "shifts"],
    )


def test_shift_moves_weight_forward():
    w = np.zeros((1, 1, 5))
    w[0, 0, 4] = 1.0
    np.testing.assert_array_equal(mem.shift(w, np.array([[[0.0, 0.0, 1.0]]]))[0, 0], np.eye(5)[0])
    np.testing.assert_array_equal(mem.shift(w, np.array([[[1.0, 0.0, 0.0]]]))[0, 0], np.eye(5)[3])


def test_sharpen_gradients():
    rng = np.random.default_rng(3)
    w = _distribution(rng, (B, H, N))
    gamma = 1.0 + rng.uniform(0.0, 3.0, size=(B, H))
    R = rng.normal(size=(B, H, N))
    out, cache = mem.sharpen(w, gamma)
    expected = w ** gamma[..., None] / (w ** gamma[..., None]).sum(-1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-9)
    _check(
        lambda: float((mem.sharpen(w, gamma)[0] * R).sum()),
        mem.sharpen_backward(R, cache),
        [w, gamma],
        ["weights", "sharpening"],
    )


def test_sharpen_never_divides_zero_by_zero():
    # (1/128)^1000 underflows to 0 in every slot: without the max subtracted this is 0/0
    w = np.full((1, 1, 128), 1 / 128)
    w[0, 0, 5] *= 1.1
    w /= w.sum()
    for gamma in (1000.0, 1e8):
        out, cache = mem.sharpen(w, np.array([[gamma]]))
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out[0, 0], np.eye(128)[5], atol=1e-12)
        dw, dg = mem.sharpen_backward(np.ones_like(out), cache)
        assert np.isfinite(dw).all() and np.isfinite(dg).all()
    # zeros in the weighting (a one-hot previous weighting) are fine too
    out, cache = mem.sharpen(np.eye(4)[None, :1], np.array([[3.0]]))
    assert np.isfinite(out).all() and np.isfinite(mem.sharpen_backward(out, cache)[0]).all()
    # the op in ops.py too
    assert np.isfinite(ops.sharpen(w[0, 0], np.array(1000.0))[0]).all()


def test_address_gradients():
    rng = np.random.default_rng(4)
    keys, memory = rng.normal(size=(B, H, W)), rng.normal(size=(B, W, N))
    strengths = rng.uniform(0.5, 5.0, size=(B, H))
    gates = rng.uniform(size=(B, H))
    shifts = _distribution(rng, (B, H, S))
    gamma = 1.0 + rng.uniform(0.0, 2.0, size=(B, H))
    w_prev = _distribution(rng, (B, H, N))
    R = rng.normal(size=(B, H, N))
    args = [keys, strengths, gates, shifts, gamma, w_prev, memory]
    w, cache = mem.address(*args)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    # the composition of the four mechanisms
    wc = mem.content_weighting(keys, strengths, memory)[0]
    chain = mem.sharpen(mem.shift(mem.interpolate(wc, w_prev, gates), shifts), gamma)[0]
    np.testing.assert_allclose(w, chain, rtol=1e-12)
    names = ["keys", "strengths", "gates", "shifts", "sharpening", "w_prev", "memory"]
    _check(
        lambda: float((mem.address(*args)[0] * R).sum()),
        mem.address_backward(R, cache),
        args,
        names,
    )


def test_read_gradients():
    rng = np.random.default_rng(5)
    memory, w = rng.normal(size=(B, W, N)), _distribution(rng, (B, H, N))
    R = rng.normal(size=(B, H, W))
    # eq. 2: r = sum_i w(i) M(i)
    np.testing.assert_allclose(mem.read(memory, w), np.einsum("bhn,bwn->bhw", w, memory))
    _check(
        lambda: float((mem.read(memory, w) * R).sum()),
        mem.read_backward(R, memory, w),
        [memory, w],
        ["memory", "weights"],
    )


@pytest.mark.parametrize("heads", [1, 2, 3])
def test_write_gradients(heads):
    rng = np.random.default_rng(6 + heads)
    memory = rng.normal(size=(B, W, N))
    w = _distribution(rng, (B, heads, N))
    erase = rng.uniform(size=(B, heads, W))
    add = rng.normal(size=(B, heads, W))
    R = rng.normal(size=(B, W, N))
    new, cache = mem.write(memory, w, erase, add)
    expected = ops.erase_add_write(_slots(memory), w, erase, add)
    np.testing.assert_allclose(_slots(new), expected, rtol=1e-12)
    # eqs. 3-4 written out, heads one by one: all erasures, then all additions
    slow = _slots(memory).copy()
    for h in range(heads):
        slow = slow * (1.0 - w[:, h, :, None] * erase[:, h, None, :])
    for h in range(heads):
        slow = slow + w[:, h, :, None] * add[:, h, None, :]
    np.testing.assert_allclose(_slots(new), slow, rtol=1e-12)
    _check(
        lambda: float((mem.write(memory, w, erase, add)[0] * R).sum()),
        mem.write_backward(R, cache),
        [memory, w, erase, add],
        ["memory", "weights", "erase", "add"],
    )


def test_write_erases_then_adds():
    # eq. 3 then eq. 4: a full erase at a one-hot location replaces the row by the add vector
    memory = np.arange(6.0).reshape(1, 3, 2).transpose(0, 2, 1)  # slots (0, 1), (2, 3), (4, 5)
    w = np.array([[[0.0, 1.0, 0.0]]])
    new, _ = mem.write(memory, w, np.ones((1, 1, 2)), np.array([[[7.0, -7.0]]]))
    np.testing.assert_array_equal(_slots(new)[0], [[0.0, 1.0], [7.0, -7.0], [4.0, 5.0]])
    # two heads erasing half each keep a quarter, in either order
    w2 = np.array([[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    new, _ = mem.write(np.ones((1, 2, 3)), w2, np.full((1, 2, 2), 0.5), np.zeros((1, 2, 2)))
    np.testing.assert_array_equal(new[0, :, 0], [0.25, 0.25])


@pytest.mark.parametrize("value", [0.0, 1e-6, 3.0])
def test_equal_memory_gives_uniform_weights_and_finite_gradients(value):
    # every row equal (Collier & Beel's constant initialisation, or all zeros): content
    # addressing cannot prefer a row, and nothing may turn into NaN, forward or backward
    rng = np.random.default_rng(7)
    memory = np.full((B, W, N), value)
    keys = rng.normal(size=(B, H, W))
    strengths = rng.uniform(0.5, 5.0, size=(B, H))
    w, cache = mem.content_weighting(keys, strengths, memory)
    np.testing.assert_allclose(w, 1.0 / N)
    grads = mem.content_weighting_backward(rng.normal(size=w.shape), cache)
    assert all(np.isfinite(g).all() for g in grads)
    full, cache = mem.address(
        keys,
        strengths,
        np.full((B, H), 0.5),
        _distribution(rng, (B, H, S)),
        np.full((B, H), 2.0),
        np.full((B, H, N), 1.0 / N),
        memory,
    )
    np.testing.assert_allclose(full, 1.0 / N)
    assert all(np.isfinite(g).all() for g in mem.address_backward(np.ones_like(full), cache))
