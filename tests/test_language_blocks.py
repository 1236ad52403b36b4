"""The language-model blocks of the core: Embedding, Dropout, the vocabulary softmax output.

Each block's backward is checked against float64 central finite differences (relative error
<= 1e-6); the references are the definitions themselves (a row of the table, an inverted-dropout
mask, ``-log softmax``) and PyTorch's ``nn.Embedding``, ``nn.functional.cross_entropy``.
"""

import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked, load
from recurrent_zoo._core.dropout import Dropout, dropout_mask, set_training, training_mode
from recurrent_zoo._core.embedding import Embedding, embedding_backward, token_ids
from recurrent_zoo._core.ops import log_softmax
from recurrent_zoo._core.softmax_output import (
    output_logits,
    output_logits_backward,
    softmax_cross_entropy,
)
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.testing import numerical_gradient, relative_error

TOL = 1e-6


def _ids(T, B, V, seed=0):
    return np.random.default_rng(seed).integers(0, V, (T, B, 1))


# ----------------------------------------------------------------------------- Embedding
def test_embedding_reads_rows_and_accumulates_only_into_them():
    emb = Embedding(6, 3, seed=0)
    X = np.array([[1, 4], [1, 0], [4, 4]])[:, :, None]  # (T=3, B=2, 1): token 1 twice, 4 thrice
    Y, state = emb.forward(X)
    assert state is None and Y.shape == (3, 2, 3)
    np.testing.assert_array_equal(Y, emb.params["weight"][X[:, :, 0]])
    dY = np.random.default_rng(1).standard_normal(Y.shape)
    dX = emb.backward(dY)
    np.testing.assert_array_equal(dX, 0.0)  # ids are not differentiable
    g = emb.grads["weight"]
    np.testing.assert_allclose(g[1], dY[0, 0] + dY[1, 0])
    np.testing.assert_allclose(g[4], dY[0, 1] + dY[2, 0] + dY[2, 1])
    np.testing.assert_allclose(g[0], dY[1, 1])
    np.testing.assert_array_equal(g[[2, 3, 5]], 0.0)  # rows not read get exactly nothing


def test_embedding_gradient_by_finite_differences():
    emb = Embedding(5, 4, seed=2)
    X = _ids(6, 3, 5)
    R = np.random.default_rng(3).standard_normal((6, 3, 4))
    emb.forward(X)
    emb.backward(R)
    numeric = numerical_gradient(lambda: float((R * emb.forward(X)[0]).sum()), emb.params["weight"])
    assert relative_error(emb.grads["weight"], numeric) <= TOL


def test_embedding_backward_matches_add_at():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, 300)
    dE = rng.standard_normal((300, 7))
    expected = np.zeros((50, 7))
    np.add.at(expected, ids, dE)
    np.testing.assert_allclose(embedding_backward(ids, dE, 50), expected, rtol=1e-12)
    assert embedding_backward(ids[:0], dE[:0], 50).shape == (50, 7)


def test_embedding_lengths_zero_outputs_and_gradients_past_the_end():
    emb = Embedding(5, 2, seed=0)
    X = np.array([[1, 2], [3, 4], [3, 0]])[:, :, None]
    Y, _ = emb.forward(X, lengths=[3, 1])
    np.testing.assert_array_equal(Y[1:, 1], 0.0)
    emb.backward(np.ones_like(Y))
    g = emb.grads["weight"]
    np.testing.assert_array_equal(g[4], 0.0)  # read only past sequence 1's end
    np.testing.assert_array_equal(g[0], 0.0)
    np.testing.assert_array_equal(g[3], 2.0)


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.Embedding(7, 3).double()
    emb = Embedding(7, 3, seed=0)
    emb.params["weight"][...] = module.weight.detach().numpy()
    X = _ids(4, 5, 7)
    dY = np.random.default_rng(1).standard_normal((4, 5, 3))
    out = module(torch.tensor(X[:, :, 0]))
    (out * torch.tensor(dY)).sum().backward()
    Y, _ = emb.forward(X)
    emb.backward(dY)
    np.testing.assert_allclose(Y, out.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(emb.grads["weight"], module.weight.grad.numpy(), rtol=1e-12)


def test_embedding_init_dtypes_seed_and_save_load(tmp_path):
    a, b = Embedding(9, 4, seed=5), Embedding(9, 4, seed=5)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    uniform = Embedding(9, 4, init_range=0.1, seed=5)
    assert np.abs(uniform.params["weight"]).max() <= 0.1
    e32 = Embedding(9, 4, seed=0, dtype=np.float32)
    Y, _ = e32.forward(_ids(3, 2, 9).astype(np.float32))
    assert Y.dtype == np.float32
    e32.backward(np.ones_like(Y))
    assert e32.grads["weight"].dtype == np.float32
    path = tmp_path / "emb.safetensors"
    uniform.save(path)
    other = load(path)
    assert isinstance(other, Embedding) and other.get_config() == uniform.get_config()
    np.testing.assert_array_equal(other.params["weight"], uniform.params["weight"])


def test_embedding_bad_ids_name_the_argument():
    emb = Embedding(4, 2, seed=0)
    with pytest.raises(ValueError, match=r"X must hold token ids in \[0, 4\)"):
        emb.forward(np.array([[[4]]]))
    with pytest.raises(ValueError, match=r"X must hold token ids in \[0, 4\)"):
        emb.forward(np.array([[[-1]]]))
    with pytest.raises(ValueError, match="integer token ids"):
        emb.forward(np.array([[[1.5]]]))
    with pytest.raises(ValueError, match="X"):
        emb.forward(np.zeros((2, 3, 2)))  # two features
    with pytest.raises(ValueError, match="num_embeddings must be at most 2"):
        Embedding(2**24 + 1, 1, dtype=np.float32)
    with pytest.raises(ValueError, match="embedding_dim"):
        Embedding(4, 0)
    assert token_ids(np.array([[[3.0]]]), 4).dtype == np.int64


def test_embedding_composes_with_stacked():
    """An embedding as the first layer of a Stacked model: ids in, logits out, trainable."""
    model = Stacked([Embedding(8, 5, seed=0), LSTM(5, 6, seed=1), Linear(6, 8, seed=2)])
    X = _ids(4, 3, 8)
    Y, _ = model.forward(X)
    assert Y.shape == (4, 3, 8)
    model.backward(np.ones_like(Y))
    assert set(model.grads) == set(model.params)
    assert np.abs(model.grads["0.weight"]).sum() > 0


# ----------------------------------------------------------------------------- Dropout
def test_dropout_is_the_identity_unless_training():
    d = Dropout(4, p=0.5, seed=0)
    X = np.random.default_rng(0).standard_normal((3, 2, 4))
    np.testing.assert_array_equal(d.forward(X)[0], X)
    np.testing.assert_array_equal(d.backward(np.ones_like(X)), 1.0)
    with training_mode(d):
        Y, _ = d.forward(X)
    assert not np.array_equal(Y, X)
    assert d.training is False  # restored


def test_dropout_masks_inverted_fresh_per_step_and_seeded():
    p = 0.3
    d = Dropout(50, p=p, seed=1)
    X = np.ones((40, 20, 50))
    with training_mode(d):
        Y1, _ = d.forward(X)
        dX = d.backward(np.full_like(X, 2.0))
        Y2, _ = d.forward(X)
    assert set(np.unique(Y1)) == {0.0, 1 / (1 - p)}  # dropped, or kept and scaled
    assert abs((Y1 == 0).mean() - p) < 0.01  # 40,000 draws: the rate is p
    np.testing.assert_array_equal(dX, 2.0 * Y1)  # the backward uses the forward's mask
    assert not np.array_equal(Y1[0], Y1[1])  # a fresh mask at every step
    assert not np.array_equal(Y1, Y2)  # and at every call
    e = Dropout(50, p=p, seed=1)
    with training_mode(e):
        np.testing.assert_array_equal(e.forward(X)[0], Y1)  # same seed, same masks
    assert e.get_config() == {"size": 50, "p": p}


def test_dropout_gradient_by_finite_differences():
    d = Dropout(3, p=0.4, seed=0)
    X = np.random.default_rng(0).standard_normal((4, 2, 3))
    R = np.random.default_rng(1).standard_normal(X.shape)

    def f():
        d._rng = np.random.default_rng(7)  # the same mask at every call
        return float((R * d.forward(X)[0]).sum())

    with training_mode(d):
        f()
        dX = d.backward(R)
        numeric = numerical_gradient(f, X)
    assert relative_error(dX, numeric) <= TOL


def test_dropout_mask_and_modes_of_nested_models():
    m = dropout_mask((2, 3), 0.0, np.random.default_rng(0), np.float32)
    assert m.dtype == np.float32 and np.all(m == 1)
    model = Stacked([Dropout(2, 0.5, seed=0), Linear(2, 2, seed=0), Dropout(2, 0.1, seed=0)])
    previous = set_training(model, True)
    assert all(m.training for m in model.models if isinstance(m, Dropout))
    assert sorted(previous.values()) == [False, False]
    with training_mode(model, False):
        assert not model.models[0].training
    assert model.models[0].training  # back to what it was
    with pytest.raises(ValueError, match="p must lie"):
        Dropout(2, p=1.0)


# ----------------------------------------------------------------------------- softmax output
def _reference_ce(Z, y, w):
    logp = log_softmax(Z.astype(np.float64), axis=1)
    total = -(w * logp[np.arange(len(y)), y]).sum()
    grad = np.exp(logp)
    grad[np.arange(len(y)), y] -= 1.0
    return total, w[:, None] * grad


@pytest.mark.parametrize("weighted", [False, True])
def test_softmax_cross_entropy_values_and_gradient(weighted):
    rng = np.random.default_rng(0)
    Z = 3 * rng.standard_normal((12, 9))
    y = rng.integers(0, 9, 12)
    w = rng.uniform(0, 2, 12) if weighted else np.ones(12)
    total, dZ = softmax_cross_entropy(Z, y, w if weighted else None)
    ref_total, ref_grad = _reference_ce(Z, y, w)
    assert total == pytest.approx(ref_total, rel=1e-13)
    np.testing.assert_allclose(dZ, ref_grad, rtol=1e-12, atol=1e-15)
    numeric = numerical_gradient(lambda: softmax_cross_entropy(Z, y, w)[0], Z)
    assert relative_error(dZ, numeric) <= TOL
    assert softmax_cross_entropy(Z, y, w, gradient=False)[1] is None


def test_softmax_cross_entropy_float32_and_large_logits():
    rng = np.random.default_rng(1)
    Z = (rng.standard_normal((20, 1000)) * 5).astype(np.float32)
    Z[0, 3] = 1e4  # far beyond exp's float32 range: the shift keeps it finite
    y = rng.integers(0, 1000, 20)
    total, dZ = softmax_cross_entropy(Z, y)
    assert dZ.dtype == np.float32 and np.isfinite(dZ).all()
    ref_total, ref_grad = _reference_ce(Z, y, np.ones(20))
    assert total == pytest.approx(ref_total, rel=1e-6)
    np.testing.assert_allclose(dZ, ref_grad, atol=1e-6)
    np.testing.assert_allclose(dZ.sum(axis=1), 0.0, atol=1e-5)  # softmax minus one-hot


def test_softmax_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    Z, y = rng.standard_normal((15, 11)), rng.integers(0, 11, 15)
    Zt = torch.tensor(Z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(Zt, torch.tensor(y), reduction="sum")
    loss.backward()
    total, dZ = softmax_cross_entropy(Z, y)
    assert total == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(dZ, Zt.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_output_logits_gradients_by_finite_differences():
    rng = np.random.default_rng(3)
    H, W, b = rng.standard_normal((6, 4)), rng.standard_normal((7, 4)), rng.standard_normal(7)
    R = rng.standard_normal((6, 7))

    def f():
        return float((R * output_logits(H, W, b)).sum())

    np.testing.assert_allclose(output_logits(H, W, b), H @ W.T + b, rtol=1e-14)
    dH, dW, db = output_logits_backward(R, H, W)
    assert relative_error(dH, numerical_gradient(f, H)) <= TOL
    assert relative_error(dW, numerical_gradient(f, W)) <= TOL
    assert relative_error(db, numerical_gradient(f, b)) <= TOL
    assert output_logits_backward(R, H, W, bias=False)[2] is None


def test_cross_entropy_loss_in_the_logits_dtype():
    """SoftmaxCrossEntropy(precision="logits") is the same loss as the float64 default: equal on
    float64 logits (masks included), float32 gradients for float32 logits, and its value without
    the gradient (evaluation) is the same sum."""
    from recurrent_zoo.training import SoftmaxCrossEntropy

    rng = np.random.default_rng(4)
    Z = 2 * rng.standard_normal((5, 3, 8))
    Y = rng.integers(0, 8, (5, 3))
    mask = (rng.random((5, 3)) < 0.7).astype(float)
    fast, slow = SoftmaxCrossEntropy(precision="logits"), SoftmaxCrossEntropy()
    for m in (None, mask):
        v_fast, g_fast = fast(Z, Y, mask=m)
        v_slow, g_slow = slow(Z, Y, mask=m)
        assert v_fast == pytest.approx(v_slow, rel=1e-13)
        np.testing.assert_allclose(g_fast, g_slow, rtol=1e-12, atol=1e-16)
    target, weights = fast.expand(Z.shape, Y, mask)
    total, _, count = fast.weighted_sum(Z, target, weights)
    assert fast.value_sum(Z, target, weights) == pytest.approx((total, count), rel=1e-13)
    v32, g32 = fast(Z.astype(np.float32), Y)
    assert g32.dtype == np.float32 and v32 == pytest.approx(slow(Z, Y)[0], rel=1e-6)
    probs = rng.dirichlet(np.ones(8), size=(5, 3))  # class probabilities: the float64 path
    assert fast(Z, probs)[0] == pytest.approx(slow(Z, probs)[0], rel=1e-13)
    assert repr(fast) == "SoftmaxCrossEntropy(precision='logits')"
    with pytest.raises(ValueError, match="precision must be one of"):
        SoftmaxCrossEntropy(precision="half")
