"""The encoder-decoder (recurrent_zoo.encoder_decoder): float64 finite-difference gradients of
the cross-entropy with respect to every parameter of the encoder, the attention decoder and the
readout, and to the sources, with source and target lengths; generate() is greedy or beam search
over the model's own step function; save/load; bad input."""

import os
import tempfile

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo import Linear, Stacked
from recurrent_zoo.attention_decoder import AttentionDecoder
from recurrent_zoo.decoding import beam_search
from recurrent_zoo.encoder_decoder import EncoderDecoder
from recurrent_zoo.gru import GRU
from recurrent_zoo.testing import numerical_gradient, relative_error
from recurrent_zoo.training import SoftmaxCrossEntropy

V = 5  # tokens: 0 ends, 1 starts


def small_model(seed=0, cell="lstm", bidirectional=True):
    encoder = GRU(3, 2, bidirectional=bidirectional, seed=seed)
    M = encoder.output_size
    decoder = AttentionDecoder(V, 3, M, attention_size=4, cell=cell, seed=seed + 1)
    return EncoderDecoder(encoder, decoder, Linear(3 + M, V, seed=seed + 2), start=1, end=0)


# one cell here (each check runs ~600 forwards); tests/test_attention_decoder.py checks both
@pytest.mark.parametrize("cell", ["lstm"])
def test_gradients_through_all_three(cell):
    rng = np.random.default_rng(0)
    model = small_model(cell=cell)
    # sharper attention and a stronger readout than at initialisation: with the initial,
    # nearly uniform attention the query weights' gradient is ~1e-5, where central differences
    # (eps 1e-6) carry relative errors of ~1e-5 whatever the code does
    model.params["decoder.attention.weight_score"] *= 8.0
    model.params["readout.weight"] *= 4.0
    X = 2.0 * rng.normal(size=(4, 3, 3))
    targets = rng.integers(0, V, size=(3, 3))
    lengths, target_lengths = np.array([4, 2, 3]), np.array([3, 1, 2])
    loss_fn = SoftmaxCrossEntropy()

    def loss():
        value, _ = loss_fn(model.forward(X, targets, lengths, target_lengths), targets,
                           lengths=target_lengths)  # fmt: skip
        return float(value)

    value, dlogits = loss_fn(
        model.forward(X, targets, lengths, target_lengths), targets, lengths=target_lengths
    )
    assert np.isclose(value, model.loss(X, targets, lengths, target_lengths))
    dX = model.backward(dlogits)
    assert set(model.grads) == set(model.params) and len(model.params) == 8 + 8 + 2
    errors = {k: relative_error(model.grads[k], numerical_gradient(loss, p)) for k, p in
              model.params.items()}  # fmt: skip
    errors["X"] = relative_error(dX, numerical_gradient(loss, X))
    bad = {k: v for k, v in errors.items() if not v < 1e-6}
    assert not bad, f"relative errors above 1e-6: {bad}"
    assert not dX[2:, 1].any()  # past the second source's length


def test_generate_is_the_searches_over_its_step_function():
    rng = np.random.default_rng(1)
    model = small_model(seed=3)
    model.readout.params["weight"] *= 5.0
    X, lengths = rng.normal(size=(5, 4, 3)), np.array([5, 3, 1, 4])
    greedy, g_scores = model.generate(X, lengths, max_length=7, return_scores=True)
    beam, b_scores = model.generate(X, lengths, max_length=7, beam_width=3, return_scores=True)
    assert np.all(b_scores >= g_scores - 1e-12)  # a wider beam never scores lower here
    # the same by hand: the encoder's outputs, the decoder's step, the readout
    memory, _ = model.encoder.forward(X, lengths=lengths)

    def step(tokens, state):
        y, state, _ = model.decoder.step(np.eye(V)[tokens], state)
        return model.readout.forward(y[None])[0][0], state

    by_hand = beam_search(
        step, model.decoder.start(memory, lengths), start=1, end=0, max_length=7, beam_width=3
    )
    assert [b.tolist() for b in beam] == [h.tolist() for h in by_hand]
    # in small batches, the same outputs
    again = model.generate(X, lengths, max_length=7, batch_size=3)
    assert [a.tolist() for a in again] == [g.tolist() for g in greedy]
    weights = model.attention(X, np.zeros((2, 4), dtype=int), lengths, [2, 2, 1, 2])
    assert weights.shape == (2, 4, 5) and not weights[:, 2, 1:].any()


def test_save_load_and_bad_input():
    model = small_model(seed=5, cell="gru")
    rng = np.random.default_rng(2)
    X, targets = rng.normal(size=(3, 2, 3)), rng.integers(0, V, size=(4, 2))
    logits = model.forward(X, targets)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.safetensors")
        model.save(path)
        again = recurrent_zoo.load(path)
    assert isinstance(again, EncoderDecoder) and (again.start, again.end) == (1, 0)
    np.testing.assert_array_equal(again.forward(X, targets), logits)
    enc = Stacked([Linear(3, 4, seed=0)])
    with pytest.raises(ValueError, match="encoder.output_size"):
        EncoderDecoder(enc, AttentionDecoder(V, 3, 5), Linear(8, V), start=1, end=0)
    with pytest.raises(ValueError, match="readout.input_size"):
        EncoderDecoder(enc, AttentionDecoder(V, 3, 4), Linear(8, V), start=1, end=0)
    with pytest.raises(ValueError, match="decoder.input_size"):
        EncoderDecoder(enc, AttentionDecoder(V, 3, 4), Linear(7, V + 1), start=1, end=0)
    with pytest.raises(ValueError, match="start must be a token index"):
        EncoderDecoder(enc, AttentionDecoder(V, 3, 4), Linear(7, V), start=V, end=0)
    with pytest.raises(TypeError, match="decoder must be an AttentionDecoder"):
        EncoderDecoder(enc, Linear(7, V), Linear(7, V), start=1, end=0)
    with pytest.raises(TypeError, match="targets must hold integer token indices"):
        model.forward(X, targets.astype(float))
    with pytest.raises(ValueError, match="targets must hold token indices in"):
        model.forward(X, targets + V)
    with pytest.raises(ValueError, match="target_lengths must lie in"):
        model.forward(X, targets, target_lengths=[5, 1])
    with pytest.raises(ValueError, match="targets must have shape"):
        model.forward(X, targets[:, :1])
    with pytest.raises(RuntimeError, match="needs a forward"):
        small_model().backward(np.zeros((4, 2, V)))
