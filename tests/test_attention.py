"""Additive attention (recurrent_zoo._core.attention): float64 finite-difference gradients of every
parameter and input (queries, keys, values, a direct gradient of the weights) with and without
memory lengths; the equations of Bahdanau et al. (2015, appendix A.1.2) written out again
element by element; masked memory positions get weight 0 and gradient 0 and change nothing;
step-by-step use equals one call; and the same equations in PyTorch, where torch is present."""

import numpy as np
import pytest

from recurrent_zoo._core.attention import AdditiveAttention
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-6


def _data(rng, S, N, B, Q, K, V):
    queries = rng.normal(size=(B, Q) if S is None else (S, B, Q))
    keys = rng.normal(size=(N, B, K))
    values = None if V is None else rng.normal(size=(N, B, V))
    return queries, keys, values


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("S", [None, 3])  # one query per memory, or a block of them
@pytest.mark.parametrize("V", [None, 4])  # values = keys, or values of their own
@pytest.mark.parametrize("lengths", [None, [5, 2, 1]])
def test_gradients(bias, S, V, lengths):
    rng = np.random.default_rng(0)
    attn = AdditiveAttention(query_size=3, key_size=2, attention_size=6, bias=bias, seed=1)
    queries, keys, values = _data(rng, S, 5, 3, 3, 2, V)
    context, weights = attn.forward(queries, keys, values, lengths)
    R, Rw = rng.normal(size=context.shape), rng.normal(size=weights.shape)

    def loss():
        c, w = attn.forward(queries, keys, values, lengths)
        return float((R * c).sum() + (Rw * w).sum())

    loss()
    dq, dk, dv = attn.backward(R, dweights=Rw)
    errors = {k: relative_error(attn.grads[k], numerical_gradient(loss, p)) for k, p in
              attn.params.items()}  # fmt: skip
    errors["queries"] = relative_error(dq, numerical_gradient(loss, queries))
    errors["keys"] = relative_error(dk, numerical_gradient(loss, keys))
    if values is not None:
        errors["values"] = relative_error(dv, numerical_gradient(loss, values))
    else:
        assert dv is None
    assert set(errors) >= set(attn.params)
    bad = {k: v for k, v in errors.items() if not v < RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"


def test_the_equations_written_out():
    """e_ij = v . tanh(W_q s_i + W_k h_j + b), alpha = softmax over the memory's own length,
    c_i = sum_j alpha_ij h_j: element by element, with Python loops."""
    rng = np.random.default_rng(2)
    attn = AdditiveAttention(4, 3, 5, seed=3)
    p = attn.params
    queries, keys, _ = _data(rng, 2, 4, 3, 4, 3, None)
    lengths = [4, 1, 3]
    context, weights = attn.forward(queries, keys, lengths=lengths)
    for i in range(2):
        for b in range(3):
            e = [
                sum(
                    p["weight_score"][a]
                    * np.tanh(
                        sum(p["weight_query"][a, q] * queries[i, b, q] for q in range(4))
                        + sum(p["weight_key"][a, k] * keys[j, b, k] for k in range(3))
                        + p["bias"][a]
                    )
                    for a in range(5)
                )
                for j in range(lengths[b])
            ]
            alpha = np.exp(e) / np.exp(e).sum()
            c = sum(alpha[j] * keys[j, b] for j in range(lengths[b]))
            np.testing.assert_allclose(weights[i, b, : lengths[b]], alpha, rtol=1e-12)
            assert not weights[i, b, lengths[b] :].any()
            np.testing.assert_allclose(context[i, b], c, rtol=1e-12)


def test_masked_positions_change_nothing_and_get_no_gradient():
    rng = np.random.default_rng(4)
    attn = AdditiveAttention(3, 2, 4, seed=5)
    queries, keys, values = _data(rng, 2, 6, 2, 3, 2, 3)
    lengths = np.array([6, 3])
    c1, w1 = attn.forward(queries, keys, values, lengths)
    dq1, dk1, dv1 = attn.backward(np.ones_like(c1))
    assert not dk1[3:, 1].any() and not dv1[3:, 1].any()
    keys2, values2 = keys.copy(), values.copy()
    keys2[3:, 1], values2[3:, 1] = 1e3, -1e3  # garbage past the second memory's length
    c2, w2 = attn.forward(queries, keys2, values2, lengths)
    dq2, _, _ = attn.backward(np.ones_like(c2))
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(dq1, dq2)
    # a memory cut to its length gives the same context
    c3, _ = attn.forward(queries[:, 1:], keys[:3, 1:], values[:3, 1:])
    np.testing.assert_allclose(c3[:, 0], c1[:, 1], rtol=1e-13)


def test_steps_accumulate_to_one_call():
    """A decoder's use: prepare the memory once, attend step by step, backward step by step,
    then once through the key projection -- the same as one call over all the queries."""
    rng = np.random.default_rng(6)
    attn = AdditiveAttention(3, 2, 4, seed=7)
    queries, keys, values = _data(rng, 4, 5, 2, 3, 2, 3)
    dc = rng.normal(size=(4, 2, 3))
    context, _ = attn.forward(queries, keys, values, [5, 2])
    dq, dk, dv = attn.backward(dc)
    whole = {k: v.copy() for k, v in attn.grads.items()}
    memory = attn.memory(keys, values, [5, 2])
    caches = []
    for t in range(4):
        c, _, cache = attn.attend(queries[t], memory)
        np.testing.assert_allclose(c, context[t], rtol=1e-13)
        caches.append(cache)
    attn.zero_grad()
    dq_steps = [attn.attend_backward(dc[t], caches[t]) for t in reversed(range(4))][::-1]
    dk2, dv2 = attn.memory_backward(memory)
    np.testing.assert_allclose(np.stack(dq_steps), dq, rtol=1e-12)
    np.testing.assert_allclose(dk2, dk, rtol=1e-12)
    np.testing.assert_allclose(dv2, dv, rtol=1e-12)
    for k in whole:
        np.testing.assert_allclose(attn.grads[k], whole[k], rtol=1e-12)


def test_float32_and_seed():
    a32 = AdditiveAttention(3, 2, 4, seed=0, dtype=np.float32)
    a64 = AdditiveAttention(3, 2, 4, seed=0)
    assert all(a32.params[k].dtype == np.float32 for k in a32.params)
    rng = np.random.default_rng(0)
    q, k, _ = _data(rng, None, 4, 2, 3, 2, None)
    c32, w32 = a32.forward(q, k)
    c64, _ = a64.forward(q, k)
    assert c32.dtype == w32.dtype == np.float32
    np.testing.assert_allclose(c32, c64, rtol=1e-5, atol=1e-6)
    dq, dk, _ = a32.backward(np.ones_like(c32))
    assert dq.dtype == dk.dtype == a32.grads["weight_key"].dtype == np.float32
    again = AdditiveAttention(3, 2, 4, seed=0)
    assert all(np.array_equal(a64.params[k], again.params[k]) for k in a64.params)
    other = AdditiveAttention(3, 2, 4, seed=1)
    assert not np.array_equal(a64.params["weight_key"], other.params["weight_key"])


def test_bad_input():
    attn = AdditiveAttention(3, 2, 4, seed=0)
    keys = np.zeros((4, 2, 2))
    with pytest.raises(ValueError, match="keys must have shape"):
        attn.memory(np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match="keys must be a 3-dimensional"):
        attn.memory(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="values must have shape"):
        attn.memory(keys, values=np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match="lengths must lie in"):
        attn.memory(keys, lengths=[0, 4])
    with pytest.raises(ValueError, match="keys must be finite"):
        attn.memory(np.full((4, 2, 2), np.nan))
    memory = attn.memory(keys)
    with pytest.raises(ValueError, match="query must have shape"):
        attn.attend(np.zeros((3, 3)), memory)
    with pytest.raises(ValueError, match="query must be a 2 or 3-dimensional"):
        attn.attend(np.zeros(3), memory)
    _, _, cache = attn.attend(np.zeros((2, 3)), memory)
    with pytest.raises(ValueError, match="dcontext must have shape"):
        attn.attend_backward(np.zeros((2, 5)), cache)
    with pytest.raises(TypeError, match="bias must be True or False"):
        AdditiveAttention(3, 2, 4, bias="yes")
    with pytest.raises(ValueError, match="attention_size must be an integer >= 1"):
        AdditiveAttention(3, 2, 0)
    with pytest.raises(RuntimeError, match="needs a forward"):
        AdditiveAttention(3, 2, 4).backward(np.zeros((2, 2)))


@pytest.mark.parametrize("bias", [True, False])
def test_against_the_same_equations_in_pytorch(bias):
    """The equations in torch, float64, autograd for the gradients: equal to ~1e-12."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    attn = AdditiveAttention(5, 3, 7, bias=bias, seed=9)
    queries, keys, values = _data(rng, 4, 6, 3, 5, 3, 2)
    lengths = np.array([6, 4, 1])
    context, weights = attn.forward(queries, keys, values, lengths)
    dc, dw = rng.normal(size=context.shape), rng.normal(size=weights.shape)
    dq, dk, dv = attn.backward(dc, dweights=dw)

    t = {k: torch.tensor(v, requires_grad=True) for k, v in attn.params.items()}
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (queries, keys, values))
    hidden = (tq @ t["weight_query"].T)[:, :, None, :] + (tk @ t["weight_key"].T).permute(1, 0, 2)
    if bias:
        hidden = hidden + t["bias"]
    scores = torch.tanh(hidden) @ t["weight_score"]  # (S, B, N)
    valid = torch.arange(6)[None, :] < torch.tensor(lengths)[:, None]  # (B, N)
    scores = scores.masked_fill(~valid, float("-inf"))
    tw = torch.softmax(scores, dim=-1)
    tc = torch.einsum("sbn,nbv->sbv", tw, tv)
    ((tc * torch.tensor(dc)).sum() + (tw * torch.tensor(dw)).sum()).backward()

    np.testing.assert_allclose(context, tc.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weights, tw.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, theirs in [(dq, tq), (dk, tk), (dv, tv)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)
    for k in attn.params:
        np.testing.assert_allclose(attn.grads[k], t[k].grad.numpy(), rtol=1e-10, atol=1e-13)
