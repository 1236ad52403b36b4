"""Float64 finite-difference checks of every differentiable building block in _core.ops."""

import numpy as np
import pytest

from recurrent_zoo._core import ops
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-7


def _check(f, grads, arrays):
    """f() -> scalar loss; grads: analytic gradients matching arrays (perturbed in place)."""
    for k, (g, a) in enumerate(zip(grads, arrays, strict=True)):
        name = f"argument {k}"
        err = relative_error(g, numerical_gradient(f, a))
        assert err < RTOL, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("name", sorted(ops.ACTIVATIONS))
def test_activation_gradients(name):
    act = ops.ACTIVATIONS[name]
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5))
    z[np.abs(z) < 1e-3] = 0.1  # keep away from relu's kink
    R = rng.normal(size=z.shape)
    y = act.forward(z)
    _check(lambda: float((act.forward(z) * R).sum()), [act.backward(y, R)], [z])


@pytest.mark.parametrize("name", sorted(ops.ACTIVATIONS))
def test_activation_out_argument(name):
    act = ops.ACTIVATIONS[name]
    z = np.linspace(-3, 3, 7)
    expected = act.forward(z.copy())
    buf = z.copy()
    act.forward(buf, out=buf)
    np.testing.assert_allclose(buf, expected)


def test_sigmoid_extremes_and_sympy():
    import sympy

    np.testing.assert_allclose(ops.sigmoid(np.array([-800.0, 800.0])), [0.0, 1.0])
    x = sympy.Symbol("x")
    for name, act in ops.ACTIVATIONS.items():
        f = sympy.lambdify(x, act.sympy(x), "numpy")
        for v in (-1.3, 0.4):
            assert abs(float(f(v)) - float(act.forward(np.array(v)))) < 1e-12, name


def test_softmax_family_gradients():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 6))
    R = rng.normal(size=z.shape)
    y = ops.softmax(z)
    np.testing.assert_allclose(y.sum(-1), 1.0)
    _check(lambda: float((ops.softmax(z) * R).sum()), [ops.softmax_backward(y, R)], [z])
    ly = ops.log_softmax(z)
    np.testing.assert_allclose(np.exp(ly), y)
    _check(lambda: float((ops.log_softmax(z) * R).sum()), [ops.log_softmax_backward(ly, R)], [z])
    _check(lambda: float((ops.softplus(z) * R).sum()), [ops.softplus_backward(z, R)], [z])
    # stability for large logits
    assert np.isfinite(ops.log_softmax(np.array([1000.0, -1000.0]))).all()


def test_cosine_similarity_gradients():
    rng = np.random.default_rng(2)
    keys = rng.normal(size=(2, 3, 4))
    memory = rng.normal(size=(2, 5, 4))
    R = rng.normal(size=(2, 3, 5))
    K, cache = ops.cosine_similarity(keys, memory)
    expected = np.einsum("bhw,bnw->bhn", keys, memory) / (
        np.linalg.norm(keys, axis=-1)[:, :, None] * np.linalg.norm(memory, axis=-1)[:, None, :]
    )
    np.testing.assert_allclose(K, expected, rtol=1e-6)
    dk, dm = ops.cosine_similarity_backward(R, cache)
    _check(
        lambda: float((ops.cosine_similarity(keys, memory)[0] * R).sum()), [dk, dm], [keys, memory]
    )


def test_circular_convolution_gradients():
    rng = np.random.default_rng(3)
    w = ops.softmax(rng.normal(size=(2, 3, 7)))
    s = ops.softmax(rng.normal(size=(2, 3, 3)))
    R = rng.normal(size=w.shape)
    out = ops.circular_convolution(w, s)
    np.testing.assert_allclose(out.sum(-1), 1.0)  # a shift of a distribution is a distribution
    dw, ds = ops.circular_convolution_backward(w, s, R)
    _check(lambda: float((ops.circular_convolution(w, s) * R).sum()), [dw, ds], [w, s])


def test_circular_convolution_matches_definition():
    rng = np.random.default_rng(4)
    w, s = rng.random(6), rng.random(3)
    N = 6
    expected = [
        sum(w[j] * s[(i - j + 1) % N] if (i - j + 1) % N < 3 else 0 for j in range(N))
        for i in range(N)
    ]
    np.testing.assert_allclose(ops.circular_convolution(w, s), expected)


def test_sharpen_gradients():
    rng = np.random.default_rng(5)
    w = ops.softmax(rng.normal(size=(2, 3, 6)))
    gamma = 1.0 + rng.random((2, 3)) * 2
    R = rng.normal(size=w.shape)
    out, cache = ops.sharpen(w, gamma)
    np.testing.assert_allclose(out.sum(-1), 1.0)
    dw, dg = ops.sharpen_backward(gamma, R, cache)
    _check(lambda: float((ops.sharpen(w, gamma)[0] * R).sum()), [dw, dg], [w, gamma])


@pytest.mark.parametrize("heads", [1, 3])
def test_erase_add_write_gradients(heads):
    rng = np.random.default_rng(6)
    B, N, W = 2, 5, 4
    memory = rng.normal(size=(B, N, W))
    w = ops.softmax(rng.normal(size=(B, heads, N)))
    erase = ops.sigmoid(rng.normal(size=(B, heads, W)))
    add = rng.normal(size=(B, heads, W))
    R = rng.normal(size=memory.shape)
    out = ops.erase_add_write(memory, w, erase, add)
    # against the sequential definition: erase with every head, then add every head
    ref = memory.copy()
    for h in range(heads):
        ref = ref * (1 - w[:, h, :, None] * erase[:, h, None, :])
    for h in range(heads):
        ref = ref + w[:, h, :, None] * add[:, h, None, :]
    np.testing.assert_allclose(out, ref)
    grads = ops.erase_add_write_backward(memory, w, erase, add, R)
    _check(
        lambda: float((ops.erase_add_write(memory, w, erase, add) * R).sum()),
        grads,
        [memory, w, erase, add],
    )


@pytest.mark.parametrize("masked", [False, True])
def test_recurrent_layer_gradients(masked):
    from recurrent_zoo._core.recurrence import recurrent_layer, recurrent_layer_backward
    from recurrent_zoo._core.sequence import length_mask

    rng = np.random.default_rng(7)
    T, B, I, H = 4, 3, 2, 3
    X, W, R = rng.normal(size=(T, B, I)), rng.normal(size=(H, I)), rng.normal(size=(H, H))
    b, h0 = rng.normal(size=H), rng.normal(size=(B, H))
    mask = length_mask(np.array([4, 2, 1]), T) if masked else None
    RF, Rh = rng.normal(size=(T, B, H)), rng.normal(size=(B, H))
    if masked:  # the caller zeroes the outputs past a length, so they carry no gradient
        RF = RF * mask

    def loss():
        F, _, h = recurrent_layer(X, W, R, b, h0, "tanh", mask)
        return float((RF * F).sum() + (Rh * h).sum())

    F, Hs, _ = recurrent_layer(X, W, R, b, h0, "tanh", mask)
    grads = recurrent_layer_backward(X, h0, F, Hs, W, R, RF, Rh, "tanh", mask)
    _check(loss, grads, [X, h0, W, R, b])
