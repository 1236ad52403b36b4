"""LanguageModel, sampling, and training a language model with fit.

References: float64 central finite differences for every parameter (Elman, GRU, LSTM; tied and
untied; dropout on; padded batches); PyTorch's word language model (``nn.Embedding`` ->
``nn.LSTM`` -> ``nn.Linear``, ``cross_entropy``) on the same weights for the outputs and every
gradient; truncated BPTT over contiguous streams written out by hand for ``fit``; Zaremba et
al.'s learning-rate schedule (halved after the 4th epoch).
"""

import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked, load
from recurrent_zoo._core.base import zeros_like_state
from recurrent_zoo._core.dropout import training_mode
from recurrent_zoo._core.embedding import Embedding
from recurrent_zoo.language_model import LanguageModel, sample
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks import token_streams
from recurrent_zoo.testing import numerical_gradient, relative_error
from recurrent_zoo.training import (
    SGD,
    BitsPerCharacter,
    Perplexity,
    SoftmaxCrossEntropy,
    StepDecay,
    clip_grad_norm,
    evaluate,
    fit,
    predict,
)

TOL = 1e-6


def _flat(state):
    out = []
    for s in state:
        out.extend(s if isinstance(s, tuple) else (s,))
    return out


def _unflat(template, arrays):
    it = iter(arrays)
    return tuple(tuple(next(it) for _ in s) if isinstance(s, tuple) else next(it) for s in template)


def _gradient_errors(lm, X, Y, lengths=None, seed=0):
    """Loss = softmax cross-entropy of the logits + a random projection of the final state,
    with the same dropout masks at every evaluation; returns the largest relative error."""
    rng = np.random.default_rng(seed)
    B = X.shape[1]
    state0 = _unflat(
        lm.initial_state(B),
        [0.5 * rng.standard_normal(a.shape) for a in _flat(lm.initial_state(B))],
    )
    R = [rng.standard_normal(a.shape) for a in _flat(state0)]
    loss = SoftmaxCrossEntropy()

    def run():
        for d in lm.dropouts:
            d._rng = np.random.default_rng(11)
        with training_mode(lm):
            Z, sT = lm.forward(X, state0, lengths)
        value, dZ = loss(Z, Y, lengths=lengths)
        value += sum(float((a * r).sum()) for a, r in zip(_flat(sT), R, strict=True))
        return value, dZ

    _, dZ = run()
    lm.backward(dZ, _unflat(state0, R))
    analytic = {k: g.copy() for k, g in lm.grads.items()}
    errors = {
        k: relative_error(analytic[k], numerical_gradient(lambda: run()[0], p))
        for k, p in lm.params.items()
    }
    state_numeric = [numerical_gradient(lambda: run()[0], a) for a in _flat(state0)]
    errors["state"] = max(
        relative_error(a, n) for a, n in zip(_flat(lm.state_grad), state_numeric, strict=True)
    )
    return errors


@pytest.mark.parametrize(
    "cell, kwargs, lengths",
    [
        ("lstm", {"num_layers": 2, "dropout": 0.3}, None),
        ("gru", {"num_layers": 2, "tie_weights": True}, [4, 2, 1]),
        ("elman", {"dropout": 0.5, "tie_weights": True, "embedding_size": 3}, [4, 2, 1]),
        ("lstm", {"embedding_size": 2, "init_range": 0.3, "dropout": 0.2}, [3, 4, 1]),
    ],
)
def test_gradients_by_finite_differences(cell, kwargs, lengths):
    lm = LanguageModel(5, 3, cell=cell, seed=1, **kwargs)
    rng = np.random.default_rng(2)
    X, Y = rng.integers(0, 5, (4, 3, 1)), rng.integers(0, 5, (4, 3))
    errors = _gradient_errors(lm, X, Y, None if lengths is None else np.array(lengths))
    bad = {k: v for k, v in errors.items() if not v <= TOL}
    assert not bad, f"{cell} {kwargs} lengths={lengths}: {bad}"


def test_tied_weights_share_one_table_and_sum_both_gradients():
    lm = LanguageModel(7, 5, tie_weights=True, seed=0)
    assert "decoder.weight" not in lm.params
    X, Y = np.random.default_rng(0).integers(0, 7, (3, 2, 1)), np.zeros((3, 2), int)
    Z, _ = lm.forward(X)
    _, dZ = SoftmaxCrossEntropy()(Z, Y)
    lm.backward(dZ)
    # the table's gradient = the embedding's scatter-add + the output layer's dZ^T h
    h = lm.layers[0].forward(lm.embedding.forward(X)[0])[0].reshape(6, 5)
    expected = lm.embedding.grads["weight"] + dZ.reshape(6, 7).T @ h
    np.testing.assert_allclose(lm.grads["embedding.weight"], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="tie_weights needs embedding_size"):
        LanguageModel(7, 5, embedding_size=3, tie_weights=True)


def test_matches_pytorch_word_language_model():
    """nn.Embedding -> nn.LSTM(2 layers) -> nn.Linear, cross-entropy: same weights, same logits,
    same final state and the same gradient for every parameter (float64)."""
    torch = pytest.importorskip("torch")
    V, H, T, B = 11, 5, 6, 3
    lm = LanguageModel(V, H, num_layers=2, init_range=0.2, seed=0)
    emb, rnn, dec = torch.nn.Embedding(V, H), torch.nn.LSTM(H, H, 2), torch.nn.Linear(H, V)
    emb, rnn, dec = emb.double(), rnn.double(), dec.double()
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(lm.params["embedding.weight"]))
        for k in range(2):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(rnn, f"{name}_l{k}").copy_(torch.tensor(lm.params[f"rnn.{k}.{name}_l0"]))
        dec.weight.copy_(torch.tensor(lm.params["decoder.weight"]))
        dec.bias.copy_(torch.tensor(lm.params["decoder.bias"]))
    rng = np.random.default_rng(1)
    X, Y = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
    out, (hT, cT) = rnn(emb(torch.tensor(X)))
    z = dec(out)
    torch.nn.functional.cross_entropy(z.reshape(-1, V), torch.tensor(Y).reshape(-1)).backward()
    Z, state = lm.forward(X[:, :, None])
    _, dZ = SoftmaxCrossEntropy()(Z, Y)
    lm.backward(dZ)
    np.testing.assert_allclose(Z, z.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        np.concatenate([s[0] for s in state]), hT.detach().numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        np.concatenate([s[1] for s in state]), cT.detach().numpy(), atol=1e-12
    )
    grads = {
        "embedding.weight": emb.weight.grad,
        "decoder.weight": dec.weight.grad,
        "decoder.bias": dec.bias.grad,
    }
    for k in range(2):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[f"rnn.{k}.{name}_l0"] = getattr(rnn, f"{name}_l{k}").grad
    for key, g in grads.items():
        np.testing.assert_allclose(lm.grads[key], g.numpy(), rtol=1e-8, atol=1e-12, err_msg=key)


def test_state_carried_across_calls_equals_one_call():
    lm = LanguageModel(9, 6, num_layers=2, cell="gru", dropout=0.4, seed=3)
    X = np.random.default_rng(0).integers(0, 9, (7, 2, 1))
    Z, s = lm.forward(X)  # not training: dropout off, deterministic
    Z1, s1 = lm.forward(X[:3])
    Z2, s2 = lm.forward(X[3:], s1)
    np.testing.assert_allclose(np.concatenate([Z1, Z2]), Z, rtol=1e-12, atol=1e-14)
    for a, b in zip(_flat(s2), _flat(s), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_seed_dtype_and_save_load(tmp_path):
    make = lambda seed, **kw: LanguageModel(  # noqa: E731
        13, 4, num_layers=2, cell="elman", dropout=0.2, seed=seed, **kw
    )
    a, b, c = make(4), make(4), make(5)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert any(not np.array_equal(a.params[k], c.params[k]) for k in a.params)
    X = np.random.default_rng(0).integers(0, 13, (5, 2, 1))
    with training_mode(a), training_mode(b):  # same seed, same dropout masks
        np.testing.assert_array_equal(a.forward(X)[0], b.forward(X)[0])
    m32 = make(0, dtype=np.float32, tie_weights=True)
    Z, _ = m32.forward(X.astype(np.float32))
    assert Z.dtype == np.float32 and all(p.dtype == np.float32 for p in m32.params.values())
    path = tmp_path / "lm.safetensors"
    m32.save(path)
    other = load(path)
    assert isinstance(other, LanguageModel) and other.get_config() == m32.get_config()
    np.testing.assert_array_equal(other.forward(X)[0], Z)
    # params are the source of truth: editing one in place changes the next forward
    other.params["rnn.1.weight_hh_l0"] += 0.1
    assert not np.allclose(other.forward(X)[0], Z)


def test_a_model_drawn_with_init_range_loads_at_scale(tmp_path):
    # init_range refills every array already drawn; a load builds the skeleton under a budget of
    # the file's values (+ 65,536 slack), so refilling by fresh draws counted the weights twice
    # and a PTB-sized model (4.65M values) could not be loaded. 94,120 values here.
    lm = LanguageModel(1000, 40, init_range=0.1, seed=0, dtype=np.float32)
    assert lm.n_params > 1 << 16  # more than the slack: the double count would not fit
    path = tmp_path / "lm.safetensors"
    lm.save(path)
    other = load(path)
    for k in lm.params:
        np.testing.assert_array_equal(other.params[k], lm.params[k])
    assert float(np.abs(lm.params["decoder.weight"]).max()) <= 0.1


def test_bad_arguments_name_them():
    with pytest.raises(ValueError, match="unknown architecture name 'lstn'"):
        LanguageModel(5, 3, cell="lstn")
    with pytest.raises(ValueError, match="cell must name a trainable sequence model"):
        LanguageModel(5, 3, cell="hopfield")
    with pytest.raises(ValueError, match="dropout must lie"):
        LanguageModel(5, 3, dropout=1.0)
    with pytest.raises(TypeError, match="cell 'elman' with cell_options"):
        LanguageModel(5, 3, cell="elman", cell_options={"gates": 2})
    lm = LanguageModel(5, 3, cell="elman", cell_options={"nonlinearity": "relu"}, seed=0)
    assert lm.layers[0].nonlinearity == "relu"
    with pytest.raises(ValueError, match=r"X must hold token ids in \[0, 5\)"):
        lm.forward(np.full((2, 1, 1), 5))


# ----------------------------------------------------------------------------- sampling
def test_sample_is_seeded_greedy_at_zero_and_follows_the_softmax():
    lm = LanguageModel(12, 6, seed=0)
    a = sample(lm, [1, 2], 8, temperature=1.0, seed=3)
    assert a.shape == (8,) and a.dtype == np.int64 and a.min() >= 0 and a.max() < 12
    np.testing.assert_array_equal(a, sample(lm, [1, 2], 8, temperature=1.0, seed=3))
    greedy = sample(lm, [1, 2], 5, temperature=0.0)
    state, tokens = None, [1, 2]
    for k in range(5):  # greedy decoding written out: the argmax of each step's logits
        Z, state = lm.forward(np.array(tokens if k == 0 else tokens[-1:])[:, None, None], state)
        tokens.append(int(Z[-1, 0].argmax()))
    np.testing.assert_array_equal(greedy, tokens[2:])
    # a model whose next-token logits are a constant: the frequencies of its draws follow
    # softmax(z / temperature)
    V = 4
    model = Stacked([Embedding(V, V, seed=0), Linear(V, V, seed=0)])
    model.params["1.weight"][...] = 0.0
    model.params["1.bias"][...] = np.log([0.1, 0.2, 0.3, 0.4])
    draws = sample(model, [0], 4000, temperature=2.0, seed=0)  # i.i.d.: the logits are the bias
    p = np.sqrt([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(np.bincount(draws, minlength=V) / 4000, p / p.sum(), atol=0.025)


def test_sample_bad_input():
    lm = LanguageModel(5, 3, seed=0)
    with pytest.raises(ValueError, match="prompt must hold at least one"):
        sample(lm, [], 3)
    with pytest.raises(TypeError, match="integer token ids"):
        sample(lm, [0.5], 3)
    with pytest.raises(ValueError, match="temperature"):
        sample(lm, [1], 3, temperature=-1.0)
    assert sample(lm, [1], 0).shape == (0,)


# ----------------------------------------------------------------------------- training
def _streams(n=400, V=7, B=4, seed=0):
    """A corpus with structure: each token predicts the next one with high probability."""
    rng = np.random.default_rng(seed)
    ids = [0]
    for _ in range(n - 1):
        ids.append((ids[-1] + 1) % V if rng.random() < 0.9 else int(rng.integers(V)))
    return token_streams(np.array(ids), B, V)


def test_fit_is_stateful_truncated_bptt_over_the_streams():
    """fit(batch_size=B, shuffle=False, tbptt=k) = the loop of Zaremba et al. written out: the
    state carried over every window of the epoch, no gradient between windows, clipping, SGD."""
    data = _streams(n=120, V=7, B=3)
    X, Y = data.inputs, data.targets
    make = lambda: LanguageModel(7, 5, num_layers=2, seed=0)  # noqa: E731
    model, reference = make(), make()
    k, lr, clip = 6, 0.8, 0.5
    fit(
        model,
        X,
        Y,
        loss="cross_entropy",
        optimizer="sgd",
        lr=lr,
        epochs=2,
        batch_size=3,
        shuffle=False,
        tbptt=k,
        clip_norm=clip,
    )
    opt, loss = SGD(reference.params, lr=lr), SoftmaxCrossEntropy()
    for _ in range(2):
        state = reference.initial_state(3)
        for t0 in range(0, X.shape[0], k):
            Z, final = reference.forward(X[t0 : t0 + k], state)
            _, dZ = loss(Z, Y[t0 : t0 + k])
            reference.backward(dZ, zeros_like_state(final))
            clip_grad_norm(reference.grads, clip)
            opt.step(reference.grads)
            state = final
    for name in model.params:
        np.testing.assert_allclose(
            model.params[name], reference.params[name], rtol=1e-10, atol=1e-13, err_msg=name
        )


def test_fit_learns_a_corpus_with_the_schedule_dropout_and_metrics():
    data, valid = _streams(seed=0), _streams(n=200, seed=1)
    lm = LanguageModel(7, 16, cell="gru", dropout=0.1, tie_weights=True, seed=0)
    ppl0 = evaluate(lm, valid.inputs, valid.targets, loss="cross_entropy", metrics=["perplexity"])
    history = fit(
        lm,
        data.inputs,
        data.targets,
        loss=SoftmaxCrossEntropy(precision="logits"),
        optimizer="sgd",
        lr=1.0,
        epochs=6,
        batch_size=4,
        shuffle=False,
        tbptt=10,
        clip_norm=1.0,
        validation_data=(valid.inputs, valid.targets),
        metrics=["perplexity"],
        lr_schedule=StepDecay(after=4, factor=0.5),
        seed=0,
    )
    assert history["lr"] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.25]
    assert ppl0["perplexity"] > 5.0  # about uniform over 7 tokens at the start
    assert history["val_perplexity"][-1] < 2.2  # 90% predictable: the optimum is about 1.6
    np.testing.assert_allclose(history["val_perplexity"], np.exp(history["val_loss"]), rtol=1e-6)
    assert not any(d.training for d in lm.dropouts)  # off again after fit


def test_fit_turns_dropout_on_for_training_steps_only():
    seen = []

    class Spy(LanguageModel):
        def _forward(self, X, state, lengths):
            seen.append(self.dropouts[0].training)
            return super()._forward(X, state, lengths)

    data = _streams(n=60, B=2)
    lm = Spy(7, 4, dropout=0.5, seed=0)
    fit(
        lm,
        data.inputs,
        data.targets,
        loss="cross_entropy",
        epochs=1,
        batch_size=2,
        tbptt=10,
        shuffle=False,
        validation_data=(data.inputs, data.targets),
    )
    n_train = -(-data.n_steps // 10)
    assert seen[:n_train] == [True] * n_train and not any(seen[n_train:])


def test_chunked_evaluation_equals_one_pass():
    data = _streams(n=90, B=3)
    lm = LanguageModel(7, 5, num_layers=2, seed=2)
    whole = evaluate(
        lm, data.inputs, data.targets, loss="cross_entropy", metrics=["perplexity", "bits_per_char"]
    )
    chunked = evaluate(
        lm,
        data.inputs,
        data.targets,
        loss=SoftmaxCrossEntropy(precision="logits"),
        metrics=[Perplexity(), BitsPerCharacter()],
        chunk_size=7,
        batch_size=2,
    )
    for key in whole:
        assert chunked[key] == pytest.approx(whole[key], rel=1e-12)
    assert whole["perplexity"] == pytest.approx(np.exp(whole["loss"]), rel=1e-12)
    assert whole["bits_per_char"] == pytest.approx(whole["loss"] / np.log(2), rel=1e-12)
    np.testing.assert_allclose(
        predict(lm, data.inputs, chunk_size=4), predict(lm, data.inputs), rtol=1e-12, atol=1e-14
    )
    with pytest.raises(ValueError, match="chunk_size"):
        evaluate(lm, data.inputs, data.targets, loss="cross_entropy", chunk_size=0)


def test_fit_with_stacked_embedding_model():
    """The blocks compose without LanguageModel too: Stacked([Embedding, LSTM, Linear])."""
    data = _streams(n=200, B=4)
    model = Stacked([Embedding(7, 8, seed=0), LSTM(8, 12, seed=1), Linear(12, 7, seed=2)])
    h = fit(
        model,
        data.inputs,
        data.targets,
        loss="cross_entropy",
        optimizer="adam",
        lr=0.05,
        epochs=8,
        batch_size=4,
        tbptt=10,
        shuffle=False,
        metrics=["perplexity"],
    )
    assert h["perplexity"][-1] < 0.5 * h["perplexity"][0]
