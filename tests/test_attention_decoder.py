"""The attention decoder (recurrent_zoo.attention_decoder): float64 finite-difference gradients
of every parameter, the inputs, the memory and the initial state, with sequence and memory
lengths, for both cells; stepping equals the whole-sequence forward; a padded batch equals its
sequences alone; the same decoder in PyTorch (nn.LSTMCell / nn.GRUCell and the attention's
equations, weights copied, autograd for the gradients) where torch is present; save/load, seeds,
float32 and bad input."""

import os
import tempfile

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.attention_decoder import AttentionDecoder
from recurrent_zoo.testing import numerical_gradient, relative_error

RTOL = 1e-6


def _state_arrays(state):
    return list(state) if isinstance(state, tuple) else [state]


def _random_state(dec, B, rng):
    s = dec.initial_state(B)
    if isinstance(s, tuple):
        return tuple(rng.normal(size=a.shape) for a in s)
    return rng.normal(size=s.shape)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("padded", [False, True])
def test_gradients(cell, padded):
    rng = np.random.default_rng(0)
    dec = AttentionDecoder(3, 4, 2, attention_size=5, cell=cell, seed=1)
    T, B, N = 4, 3, 5
    X, memory = rng.normal(size=(T, B, 3)), rng.normal(size=(N, B, 2))
    mem_lengths = np.array([5, 2, 1]) if padded else None
    lengths = np.array([4, 2, 3]) if padded else None
    state = _random_state(dec, B, rng)
    Y, final = dec.forward(X, memory, mem_lengths, state, lengths)
    R = rng.normal(size=Y.shape)
    Rs = [rng.normal(size=a.shape) for a in _state_arrays(final)]

    def loss():
        Y, final = dec.forward(X, memory, mem_lengths, state, lengths)
        return float((R * Y).sum()) + sum(
            float((r * a).sum()) for r, a in zip(Rs, _state_arrays(final), strict=True)
        )

    loss()
    dX, dmemory = dec.backward(R, tuple(Rs) if len(Rs) > 1 else Rs[0])
    errors = {k: relative_error(dec.grads[k], numerical_gradient(loss, p)) for k, p in
              dec.params.items()}  # fmt: skip
    errors["X"] = relative_error(dX, numerical_gradient(loss, X))
    errors["memory"] = relative_error(dmemory, numerical_gradient(loss, memory))
    for i, (a, g) in enumerate(
        zip(_state_arrays(state), _state_arrays(dec.state_grad), strict=True)
    ):
        errors[f"state[{i}]"] = relative_error(g, numerical_gradient(loss, a))
    assert len(dec.params) == 8  # 4 cell arrays, 4 attention arrays
    bad = {k: v for k, v in errors.items() if not v < RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_stepping_equals_forward(cell):
    rng = np.random.default_rng(1)
    dec = AttentionDecoder(3, 6, 4, cell=cell, seed=2)
    X, memory = rng.normal(size=(5, 3, 3)), rng.normal(size=(7, 3, 4))
    state = _random_state(dec, 3, rng)
    Y, final = dec.forward(X, memory, [7, 3, 5], state)
    s = dec.start(memory, [7, 3, 5], state)
    for t in range(5):
        y, s, w = dec.step(X[t], s)
        np.testing.assert_allclose(y, Y[t], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(w, dec.attention_weights[t], rtol=1e-13, atol=1e-15)
    for a, b in zip(_state_arrays(final), s, strict=False):
        np.testing.assert_allclose(a[0], b, rtol=1e-13)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_padded_batch_equals_its_sequences_alone(cell):
    rng = np.random.default_rng(3)
    dec = AttentionDecoder(2, 4, 3, cell=cell, seed=4)
    T, N = 6, 5
    lengths, mem_lengths = np.array([6, 2, 4]), np.array([3, 5, 1])
    X, memory = rng.normal(size=(T, 3, 2)), rng.normal(size=(N, 3, 3))
    dY = rng.normal(size=(T, 3, dec.output_size))
    Y, final = dec.forward(X, memory, mem_lengths, lengths=lengths)
    dX, dmemory = dec.backward(dY)
    grads = {k: v.copy() for k, v in dec.grads.items()}
    assert not Y[2:, 1].any() and not dec.attention_weights[2:, 1].any()  # past length 2
    assert not dec.attention_weights[:, 0, 3:].any()  # past memory length 3
    total = {k: 0.0 for k in grads}
    for b in range(3):
        n, m = lengths[b], mem_lengths[b]
        Yb, fb = dec.forward(X[:n, b : b + 1], memory[:m, b : b + 1])
        np.testing.assert_allclose(Y[:n, b : b + 1], Yb, rtol=1e-12, atol=1e-14)
        for a, c in zip(_state_arrays(final), _state_arrays(fb), strict=True):
            np.testing.assert_allclose(a[:, b : b + 1], c, rtol=1e-12)
        dXb, dmb = dec.backward(dY[:n, b : b + 1])
        np.testing.assert_allclose(dX[:n, b : b + 1], dXb, rtol=1e-10, atol=1e-13)
        assert not dX[n:, b].any()
        np.testing.assert_allclose(dmemory[:m, b : b + 1], dmb, rtol=1e-10, atol=1e-13)
        assert not dmemory[m:, b].any()
        for k in total:
            total[k] = total[k] + dec.grads[k]
    for k in grads:
        np.testing.assert_allclose(grads[k], total[k], rtol=1e-10, atol=1e-13)


def test_save_load_seed_float32_and_params_in_place():
    rng = np.random.default_rng(5)
    dec = AttentionDecoder(3, 4, 2, attention_size=3, cell="gru", attention_bias=False, seed=6)
    X, memory = rng.normal(size=(4, 2, 3)), rng.normal(size=(3, 2, 2))
    Y, _ = dec.forward(X, memory)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dec.safetensors")
        dec.save(path)
        again = recurrent_zoo.load(path)
    assert isinstance(again, AttentionDecoder) and again.get_config() == dec.get_config()
    np.testing.assert_array_equal(again.forward(X, memory)[0], Y)
    assert "attention.bias" not in dec.params
    same = AttentionDecoder(3, 4, 2, attention_size=3, cell="gru", attention_bias=False, seed=6)
    assert all(np.array_equal(dec.params[k], same.params[k]) for k in dec.params)
    other = AttentionDecoder(3, 4, 2, attention_size=3, cell="gru", attention_bias=False, seed=7)
    assert not np.array_equal(dec.params["cell.weight_hh_l0"], other.params["cell.weight_hh_l0"])
    dec.params["attention.weight_score"][...] = 0.0  # uniform weights over the memory
    dec.forward(X, memory)
    np.testing.assert_allclose(dec.attention_weights, 1 / 3)
    d32 = AttentionDecoder(3, 4, 2, seed=6, dtype=np.float32)
    Y32, (h, c) = d32.forward(X, memory)
    assert Y32.dtype == h.dtype == c.dtype == np.float32
    dX, dm = d32.backward(np.ones_like(Y32))
    assert dX.dtype == dm.dtype == np.float32
    assert all(g.dtype == np.float32 for g in d32.grads.values())
    np.testing.assert_allclose(
        Y32, AttentionDecoder(3, 4, 2, seed=6).forward(X, memory)[0], rtol=1e-4, atol=1e-5
    )


def test_bad_input():
    dec = AttentionDecoder(3, 4, 2, seed=0)
    X, memory = np.zeros((4, 2, 3)), np.zeros((3, 2, 2))
    with pytest.raises(ValueError, match="cell must be one of"):
        AttentionDecoder(3, 4, 2, cell="rnn")
    with pytest.raises(ValueError, match="memory_size must be an integer >= 1"):
        AttentionDecoder(3, 4, 0)
    with pytest.raises(ValueError, match="X must have shape"):
        dec.forward(np.zeros((4, 2, 5)), memory)
    with pytest.raises(ValueError, match="memory must have shape"):
        dec.forward(X, np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match="with the inputs' batch size"):
        dec.forward(X, np.zeros((3, 1, 2)))
    with pytest.raises(ValueError, match="memory_lengths must lie in"):
        dec.forward(X, memory, memory_lengths=[4, 1])
    with pytest.raises(ValueError, match="lengths must lie in"):
        dec.forward(X, memory, lengths=[0, 1])
    with pytest.raises(ValueError, match="state must be a tuple of 2"):
        dec.forward(X, memory, state=np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="X must be finite"):
        dec.forward(np.full((4, 2, 3), np.inf), memory)
    with pytest.raises(RuntimeError, match="needs a forward"):
        AttentionDecoder(3, 4, 2).backward(np.zeros((4, 2, 6)))
    dec.forward(X, memory)
    with pytest.raises(ValueError, match="dY must have shape"):
        dec.backward(np.zeros((4, 2, 4)))
    s = dec.start(memory)
    with pytest.raises(ValueError, match="x must have shape"):
        dec.step(np.zeros((2, 4)), s)
    with pytest.raises(ValueError, match="state must be the tuple"):
        dec.step(np.zeros((2, 3)), s[:2])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_against_pytorch(cell):
    """PyTorch's nn.LSTMCell / nn.GRUCell with our cell's weights, and the attention's equations
    in torch, run step by step as the module docstring defines the decoder; float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    dec = AttentionDecoder(3, 5, 4, attention_size=6, cell=cell, seed=8)
    T, B, N = 6, 3, 5
    X, memory = rng.normal(size=(T, B, 3)), rng.normal(size=(N, B, 4))
    mem_lengths = np.array([5, 3, 2])
    state = _random_state(dec, B, rng)
    Y, final = dec.forward(X, memory, mem_lengths, state)
    dY = rng.normal(size=Y.shape)
    dX, dmemory = dec.backward(dY)

    torch_cell = (torch.nn.LSTMCell if cell == "lstm" else torch.nn.GRUCell)(7, 5).double()
    torch_cell.load_state_dict(
        {
            k[len("cell.") : -len("_l0")]: torch.tensor(v)
            for k, v in dec.params.items()
            if k.startswith("cell.")
        }  # fmt: skip
    )
    att = {k[len("attention.") :]: torch.tensor(v, requires_grad=True) for k, v in
           dec.params.items() if k.startswith("attention.")}  # fmt: skip
    tX, tm = torch.tensor(X, requires_grad=True), torch.tensor(memory, requires_grad=True)
    ts = [torch.tensor(a[0], requires_grad=True) for a in _state_arrays(state)]
    valid = torch.arange(N)[None, :] < torch.tensor(mem_lengths)[:, None]
    keys = (tm @ att["weight_key"].T + att["bias"]).permute(1, 0, 2)  # (B, N, A)
    h = ts[0]
    s = tuple(ts) if cell == "lstm" else ts[0]
    outs = []
    for t in range(T):
        scores = torch.tanh((h @ att["weight_query"].T)[:, None, :] + keys) @ att["weight_score"]
        alpha = torch.softmax(scores.masked_fill(~valid, float("-inf")), dim=1)  # (B, N)
        context = torch.einsum("bn,nbm->bm", alpha, tm)
        s = torch_cell(torch.cat([tX[t], context], dim=1), s)
        h = s[0] if cell == "lstm" else s
        outs.append(torch.cat([h, context], dim=1))
    tY = torch.stack(outs)
    (tY * torch.tensor(dY)).sum().backward()
    np.testing.assert_allclose(Y, tY.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_state_arrays(final)[0][0], h.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dmemory, tm.grad.numpy(), rtol=1e-10, atol=1e-13)
    for a, g in zip(ts, _state_arrays(dec.state_grad), strict=True):
        np.testing.assert_allclose(g[0], a.grad.numpy(), rtol=1e-10, atol=1e-13)
    for name, p in torch_cell.named_parameters():
        np.testing.assert_allclose(
            dec.grads[f"cell.{name}_l0"], p.grad.numpy(), rtol=1e-10, atol=1e-13
        )
    for name, p in att.items():
        np.testing.assert_allclose(
            dec.grads[f"attention.{name}"], p.grad.numpy(), rtol=1e-10, atol=1e-13
        )
