"""The shared core: validation, initialisers, io, sequences, the Linear readout, wrappers."""

import importlib

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo import Bidirectional, Linear, Stacked, catalogue, get_entry, load
from recurrent_zoo._core import init, io
from recurrent_zoo._core.sequence import length_mask, pad_sequences, reverse_padded
from recurrent_zoo._core.validation import (
    check_array,
    check_lengths,
    check_positive_int,
    check_probability,
)
from recurrent_zoo.elman import Elman
from recurrent_zoo.jordan import Jordan
from recurrent_zoo.testing import make_subject, run_checks


# ----------------------------------------------------------------------------- validation
def test_check_array_messages():
    with pytest.raises(TypeError, match="weights must be a real numeric array"):
        check_array(np.array(["a"]), "weights")
    with pytest.raises(ValueError, match=r"weights must have shape \(2, \*\); got shape \(3, 1\)"):
        check_array(np.zeros((3, 1)), "weights", shape=(2, None))
    with pytest.raises(ValueError, match="weights must be finite; it contains inf"):
        check_array([np.inf], "weights")
    assert check_array([True, False], "b", dtype=np.float32).dtype == np.float32


def test_check_scalars():
    with pytest.raises(TypeError, match="hidden_size"):
        check_positive_int(2.0, "hidden_size")
    with pytest.raises(TypeError, match="hidden_size"):
        check_positive_int(True, "hidden_size")
    with pytest.raises(ValueError, match=r"leak_rate must lie in \(0.0, 1.0\]"):
        check_probability(0.0, "leak_rate", closed="right")
    with pytest.raises(ValueError, match="decay"):
        check_probability(float("nan"), "decay")
    assert check_lengths(np.array([2.0, 1.0]), 2, 2).dtype == np.int64


# ----------------------------------------------------------------------------- init
def test_make_rng_and_seeds():
    assert init.make_rng(3).random() == init.make_rng(3).random()
    with pytest.raises(TypeError, match="seed"):
        init.make_rng(1.5)
    with pytest.raises(ValueError, match="seed"):
        init.make_rng(-1)


def test_initialisers():
    rng = init.make_rng(0)
    W = init.glorot_uniform((50, 30), rng)
    assert np.abs(W).max() <= np.sqrt(6 / 80)
    Q = init.orthogonal((4, 6), rng)
    np.testing.assert_allclose(Q @ Q.T, np.eye(4), atol=1e-12)
    S = init.sparse_random(200, 0.05, rng)
    assert S.nnz == 2000
    S2 = init.scale_to_spectral_radius(S, 0.9)
    # check the rescaled radius with a dense eigen-decomposition
    assert abs(np.abs(np.linalg.eigvals(S2.toarray())).max() - 0.9) < 1e-8
    with pytest.raises(ValueError, match="connectivity"):
        init.sparse_random(10, 0.0, rng)


# ----------------------------------------------------------------------------- sequences
def test_masks_reverse_and_padding():
    lengths = np.array([3, 1, 2])
    m = length_mask(lengths, 4)
    np.testing.assert_array_equal(m[:, :, 0].sum(0), lengths)
    X = np.random.default_rng(0).normal(size=(4, 3, 2))
    R = reverse_padded(X, lengths)
    np.testing.assert_array_equal(R[:3, 0], X[:3, 0][::-1])
    np.testing.assert_array_equal(R[:, 1], X[:, 1])
    np.testing.assert_array_equal(reverse_padded(R, lengths), X)  # an involution
    P, L = pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert P.shape == (4, 2, 3) and list(L) == [2, 4] and P[2:, 0].sum() == 0
    with pytest.raises(ValueError, match=r"sequences\[1\]"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


# ----------------------------------------------------------------------------- Linear
def _linear(n, *, seed, dtype):
    return Linear(n, 3, activation="tanh", seed=seed, dtype=dtype)


def _linear_plain(n, *, seed, dtype):
    return Linear(n, 2, bias=False, seed=seed, dtype=dtype)


def test_linear_passes_common_checks():
    ran = run_checks(make_subject("linear", _linear, _linear_plain))
    assert "check_gradients" in ran and "check_save_load" in ran


# ----------------------------------------------------------------------------- wrappers
def test_wrapper_validation():
    with pytest.raises(ValueError, match="merge"):
        Bidirectional(Elman(2, 3, seed=0), Elman(2, 3, seed=0), merge="max")
    with pytest.raises(ValueError, match="input_size"):
        Bidirectional(Elman(2, 3, seed=0), Elman(3, 3, seed=0))
    with pytest.raises(ValueError, match="output sizes"):
        Bidirectional(Elman(2, 3, seed=0), Elman(2, 4, seed=0), merge="sum")
    with pytest.raises(ValueError, match=r"models\[0\].output_size"):
        Stacked([Elman(2, 3, seed=0), Linear(4, 1, seed=0)])
    with pytest.raises(TypeError, match="must be a SequenceModel"):
        Stacked([Elman(2, 3, seed=0), "not a model"])
    with pytest.raises(ValueError, match="dtype"):
        Stacked([Elman(2, 3, seed=0), Linear(3, 1, seed=0, dtype=np.float32)])


def test_bidirectional_of_elman_equals_bidirectional_elman():
    """Bidirectional(Elman, Elman) computes what Elman(bidirectional=True) computes."""
    bi = Elman(3, 4, bidirectional=True, seed=0)
    fwd, bwd = Elman(3, 4, seed=1), Elman(3, 4, seed=2)
    for k in fwd.params:
        fwd.params[k][...] = bi.params[k]
        bwd.params[k][...] = bi.params[k + "_reverse"]
    wrapped = Bidirectional(fwd, bwd)
    X = np.random.default_rng(1).normal(size=(6, 3, 3))
    lengths = [6, 4, 1]
    Y1, h1 = bi.forward(X, lengths=lengths)
    Y2, (hf, hb) = wrapped.forward(X, lengths=lengths)
    np.testing.assert_allclose(Y1, Y2, atol=1e-14)
    np.testing.assert_allclose(h1, np.concatenate([hf, hb]), atol=1e-14)
    dY = np.random.default_rng(2).normal(size=Y1.shape)
    np.testing.assert_allclose(bi.backward(dY), wrapped.backward(dY), atol=1e-13)
    np.testing.assert_allclose(
        bi.grads["weight_hh_l0_reverse"], wrapped.grads["backward.weight_hh_l0"], atol=1e-13
    )


def test_stacked_params_share_memory_with_children():
    a, b = Elman(2, 3, seed=0), Linear(3, 1, seed=0)
    m = Stacked([a, b])
    assert m.params["0.weight_ih_l0"] is a.params["weight_ih_l0"]
    assert m[1] is b and len(m) == 2


# ----------------------------------------------------------------------------- io (see test_io.py)
def test_nested_wrappers_round_trip(tmp_path):
    m = Stacked([Bidirectional(Elman(2, 3, seed=0), Jordan(2, 3, 2, seed=1)), Linear(5, 1, seed=2)])
    path = tmp_path / "nested.safetensors"
    m.save(path)
    m2 = load(path)
    X = np.random.default_rng(0).normal(size=(4, 2, 2))
    np.testing.assert_array_equal(m.forward(X)[0], m2.forward(X)[0])
    assert io.header(m) == io.header(m2)


# ----------------------------------------------------------------------------- catalogue
def test_catalogue_entries_are_complete():
    names = [e.name for e in catalogue()]
    assert len(names) == len(set(names))
    for e in catalogue():
        assert e.title and e.reference and e.task and e.examples
        assert 1940 < e.year <= 2030
        assert e.module == f"recurrent_zoo.{e.name}"
        assert getattr(importlib.import_module(e.module), e.class_name) is e.cls
    with pytest.raises(ValueError, match="unknown architecture name 'nope'"):
        get_entry("nope")
    assert get_entry("LSTM").name == "lstm" and get_entry("Elman").name == "elman"
    with pytest.raises(ValueError, match="did you mean 'modern_hopfield'"):
        get_entry("modern-hopfeld")
    assert recurrent_zoo.__version__


def test_editing_outputs_in_place_does_not_change_gradients():
    m = Elman(2, 3, seed=0)
    X = np.random.default_rng(0).normal(size=(4, 2, 2))
    Y, _ = m.forward(X)
    dX = m.backward(np.ones_like(Y))
    Y2, _ = m.forward(X)
    Y2[...] = 0.0
    np.testing.assert_array_equal(m.backward(np.ones_like(Y)), dX)


def test_wrappers_refuse_a_repeated_instance():
    """One instance keeps one cache and one grads dict: using it twice gave gradients off by
    30-100 % and let an optimizer step its arrays twice, so it is refused, nested uses too."""
    m = Elman(2, 2, seed=0)
    with pytest.raises(
        ValueError, match="backward_model is the same Elman object as forward_model"
    ):
        Bidirectional(m, m)
    layer = Elman(2, 2, seed=1)
    with pytest.raises(ValueError, match=r"models\[1\] is the same Elman object as models\[0\]"):
        Stacked([layer] * 2)
    inner = Bidirectional(m, Elman(2, 2, seed=2), merge="sum")
    with pytest.raises(ValueError, match=r"models\[1\] is the same .* as models\[0\]\.forward"):
        Stacked([inner, m])
    Stacked([Elman(2, 2, seed=3), Elman(2, 2, seed=4)])  # distinct instances are fine
