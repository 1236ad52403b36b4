"""The neural Turing machine: its mechanisms inside the model, gradients from its own initial
state, parity with the same network in PyTorch, stability, and learning the copy task.

Where the numbers come from: the addressing behaviours are section 3.3 of Graves, Wayne &
Danihelka (2014) (a shift of +1 with the gate closed moves the focus one slot per step; a strong
key focuses on the slot that holds it); the copy target -- under one wrong bit per sequence at
the training lengths -- is the paper's near-zero copy cost (figure 3) in Collier & Beel's (2018)
bit-error terms; the parity reference is ``benchmarks/peers/ntm_torch.py``, the same equations
differentiated by torch's autograd.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from recurrent_zoo._core.io import load
from recurrent_zoo.ntm import COMPARE_SETTINGS, NTM, compare_run, copy_experiment
from recurrent_zoo.tasks import binary_copy, bit_errors
from recurrent_zoo.testing import gradient_errors

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"controller_size": 4, "memory_slots": 6, "word_size": 3}


def _torch_twin():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "ntm_torch", ROOT / "benchmarks" / "peers" / "ntm_torch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TorchNTM


def _set_heads(model, **raw):
    """Make every head parameter a constant: zero head weights, the given raw biases."""
    model.params["head_weight"][...] = 0.0
    L = model._layout()
    for name, value in raw.items():
        model.params["head_bias"][L[name]] = value


# ----------------------------------------------------------------------------- mechanisms
def test_gate_closed_shift_plus_one_walks_one_slot_per_step():
    # section 3.3.2: with g = 0 the content weighting is ignored, a shift weighting of +1 moves
    # the previous focus one slot forward, and sharpening keeps it one-hot
    model = NTM(2, 1, **{**SMALL, "memory_slots": 7}, seed=0)
    _set_heads(model, gates=-40.0, shifts=np.tile([-40.0, -40.0, 40.0], 2), sharpening=40.0)
    X = np.random.default_rng(0).normal(size=(10, 3, 2))
    model.forward(X)
    Ws = model._cache[10]  # (T + 1, B, heads, N): every head starts at slot 0
    for t in range(11):
        np.testing.assert_allclose(Ws[t], np.broadcast_to(np.eye(7)[t % 7], Ws[t].shape), atol=1e-9)


def test_strong_key_reads_the_matching_slot():
    # section 3.3.1: content addressing with a large key strength focuses on the slot whose
    # word points the key's way; with g = 1 and no shift the read head returns that word
    N, W = 5, 3
    model = NTM(2, 1, controller_size=3, memory_slots=N, word_size=W, seed=1)
    # five different sign patterns: cosine similarity 1 with the key for slot 3 only
    words = 0.6 * np.array([[1, 1, 1], [-1, 1, 1], [1, -1, -1], [1, -1, 1], [-1, -1, 1]])
    key = np.arctanh(words[3] * 0.9)  # the key is tanh of its raw value, scaled
    _set_heads(
        model,
        keys=np.tile(key, 2),
        strengths=60.0,
        gates=40.0,
        shifts=np.tile([-40.0, 40.0, -40.0], 2),
        sharpening=0.0,
        erase=-40.0,  # keep the memory as it is
        add=0.0,
    )
    h, c, reads, weights, memory = model.initial_state(2)
    memory = np.broadcast_to(words, (2, N, W)).copy()
    state = (h, c, reads, weights, memory)
    _, (h, c, reads, weights, memory) = model.forward(np.zeros((1, 2, 2)), state)
    np.testing.assert_allclose(weights[:, 0], np.broadcast_to(np.eye(N)[3], (2, N)), atol=1e-6)
    np.testing.assert_allclose(reads[:, 0], np.broadcast_to(words[3], (2, W)), atol=1e-6)


def test_write_replaces_a_slot_with_the_add_vector():
    # section 3.2: a full erase at a one-hot weighting, then the add: the slot holds tanh(add)
    model = NTM(2, 1, **SMALL, seed=2)
    add = np.array([0.3, -0.2, 0.1])
    _set_heads(
        model,
        gates=-40.0,
        shifts=np.tile([-40.0, 40.0, -40.0], 2),  # stay at slot 0
        sharpening=40.0,
        erase=40.0,
        add=np.arctanh(add),
    )
    _, state = model.forward(np.ones((3, 1, 2)))
    memory = state[-1][0]
    np.testing.assert_allclose(memory[0], add, atol=1e-9)
    np.testing.assert_allclose(memory[1:], 1e-6, atol=1e-12)  # the constant start, untouched


def test_initial_state_follows_memory_init():
    model = NTM(2, 1, **SMALL, seed=0)
    h, c, reads, weights, memory = model.initial_state(3)
    np.testing.assert_array_equal(memory, 1e-6)  # Collier & Beel's constant
    np.testing.assert_array_equal(weights[:, :, 0], 1.0)
    np.testing.assert_array_equal(h, 0.0)
    np.testing.assert_array_equal(reads, np.broadcast_to(model.params["read_init"], reads.shape))
    assert "memory_init" not in model.params
    for mode in ("learned", "random"):
        m = NTM(2, 1, **SMALL, memory_init=mode, seed=0)
        assert m.params["memory_init"].shape == (6, 3)
        np.testing.assert_array_equal(m.initial_state(2)[-1][1], m.params["memory_init"])
    big = {"controller_size": 2, "memory_slots": 32, "word_size": 8}
    learned = NTM(2, 1, **big, memory_init="learned", seed=0).params["memory_init"]
    random = NTM(2, 1, **big, memory_init="random", seed=0).params["memory_init"]
    assert np.abs(learned).max() <= np.sqrt(6 / (1 + 32 * 8))  # a bias-sized start
    assert 0.3 < random.std() < 0.5  # tanh(N(0, 0.5^2)): std about 0.42
    ff = NTM(2, 1, **SMALL, controller="feedforward", seed=0)
    assert len(ff.initial_state(2)) == 3  # no controller state


def test_learned_weighting_start_is_a_spread_softmax(tmp_path):
    # Collier & Beel's (2018) learned initial weightings: softmax of logits drawn like a bias
    # vector (Glorot's bound for one input), so every head starts spread over all slots
    one_hot = NTM(2, 1, **SMALL, read_heads=2, seed=0)
    model = NTM(2, 1, **SMALL, read_heads=2, weighting_init="learned", seed=0)
    logits = model.params["weighting_init"]
    assert logits.shape == (3, 6)  # (R + E, N)
    assert np.abs(logits).max() <= np.sqrt(6 / (1 + 6))
    weights = model.initial_state(4)[3]
    np.testing.assert_allclose(weights.sum(-1), 1.0)
    e = np.exp(logits)
    start = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, np.broadcast_to(start, weights.shape))
    # spread: at the paper's 128 slots every weight is within a factor 1.6 of the uniform 1/128
    w128 = NTM(2, 1, controller_size=2, memory_slots=128, word_size=2, weighting_init="learned")
    w0 = w128.initial_state(1)[3]
    assert 1 / 1.6 < w0.min() * 128 and w0.max() * 128 < 1.6
    # (not a catalogue example: adding a constant to every logit leaves the softmax as it is,
    # which the common in-place edit check would call a stale copy; saved and loaded here)
    path = tmp_path / "ntm.safetensors"
    model.save(path)
    other = load(path)
    assert other.weighting_init == "learned"
    X = np.random.default_rng(0).normal(size=(3, 2, 2))
    np.testing.assert_array_equal(other.forward(X)[0], model.forward(X)[0])
    # drawn after everything else: the other parameters are those of the one-hot model
    assert set(model.params) - set(one_hot.params) == {"weighting_init"}
    for k, v in one_hot.params.items():
        np.testing.assert_array_equal(model.params[k], v)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "controller, memory_init, heads, lengths, weighting_init",
    [
        ("lstm", "constant", 1, None, "one_hot"),
        ("lstm", "learned", 2, [4, 2, 1], "one_hot"),
        ("feedforward", "random", 1, [3, 4, 1], "one_hot"),
        ("lstm", "constant", 2, [4, 2, 1], "learned"),
        ("feedforward", "constant", 1, None, "learned"),
    ],
)
def test_gradients_from_the_models_own_initial_state(
    controller, memory_init, heads, lengths, weighting_init
):
    """Both controllers, one and two heads of each kind, with and without lengths."""
    # the common checks start from a random state; this starts from the model's own, so that
    # read_init, memory_init and weighting_init get their gradients too (and the 1e-6 memory is
    # exercised)
    model = NTM(
        2,
        2,
        controller=controller,
        controller_size=3,
        memory_slots=5,
        word_size=2,
        read_heads=heads,
        write_heads=heads,
        memory_init=memory_init,
        weighting_init=weighting_init,
        seed=3,
    )
    X = np.random.default_rng(4).normal(size=(4, 3, 2))
    for lens in (None, np.array(lengths)) if lengths else (None,):
        errors = gradient_errors(model, X, None, lens, seed=5)
        bad = {k: v for k, v in errors.items() if not v <= 1e-6}
        assert not bad, f"lengths={lens}: relative errors above 1e-6: {bad}"
    model.forward(X)
    model.backward(np.ones((4, 3, 2)))
    assert np.abs(model.grads["read_init"]).max() > 0
    if memory_init != "constant":
        assert np.abs(model.grads["memory_init"]).max() > 0
    if weighting_init == "learned":
        assert np.abs(model.grads["weighting_init"]).max() > 0


def test_a_given_state_gives_the_learned_start_no_gradient():
    model = NTM(2, 2, **SMALL, memory_init="learned", seed=0)
    X = np.random.default_rng(1).normal(size=(3, 2, 2))
    model.forward(X, model.random_state(2, 0))
    model.backward(np.ones((3, 2, 2)))
    assert not model.grads["memory_init"].any() and not model.grads["read_init"].any()


@pytest.mark.parametrize(
    "config",
    [
        {"controller_size": 5, "memory_slots": 7, "word_size": 4},
        {
            "controller": "feedforward",
            "controller_size": 5,
            "memory_slots": 9,
            "word_size": 3,
            "read_heads": 2,
            "write_heads": 3,
            "shift_range": 2,
            "memory_init": "learned",
            "weighting_init": "learned",
        },
    ],
)
def test_matches_autograd(config):
    # the same network in PyTorch (benchmarks/peers/ntm_torch.py), same weights, float64
    import torch

    TorchNTM = _torch_twin()
    model = NTM(3, 2, **config, seed=0)
    twin = TorchNTM.from_params(
        model.params, dtype=torch.float64, input_size=3, output_size=2, **config
    )
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 4, 3))
    dY = rng.normal(size=(8, 4, 2))
    Y, _ = model.forward(X)
    dX = model.backward(dY)
    Xt = torch.tensor(X, requires_grad=True)
    Yt = twin(Xt)
    Yt.backward(torch.tensor(dY))
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, grad in model.grads.items():
        np.testing.assert_allclose(
            grad, getattr(twin, name).grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


# ----------------------------------------------------------------------------- stability
def test_saturated_heads_stay_finite():
    # huge head outputs: beta, gamma far beyond anything sensible, gates and shifts saturated
    model = NTM(3, 2, **SMALL, seed=0)
    model.params["head_bias"][...] = np.where(
        np.arange(model.params["head_bias"].size) % 2, 800, -800
    )
    model.params["head_weight"] *= 50.0
    X = np.random.default_rng(0).normal(size=(12, 4, 3)) * 10
    for dtype in (np.float64, np.float32):
        m = NTM(3, 2, **SMALL, seed=0, dtype=dtype)
        for k in m.params:
            m.params[k][...] = model.params[k]
        Y, state = m.forward(X)
        dX = m.backward(np.ones_like(Y))
        assert np.isfinite(Y).all() and all(np.isfinite(s).all() for s in state)
        assert np.isfinite(dX).all() and all(np.isfinite(g).all() for g in m.grads.values())


def test_negative_weightings_in_a_given_state_are_refused():
    model = NTM(2, 1, **SMALL, seed=0)
    state = list(model.random_state(2, 0))
    state[3] = -state[3]
    with pytest.raises(ValueError, match="state"):
        model.forward(np.zeros((2, 2, 2)), tuple(state))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"controller": "gru"}, "controller"),
        ({"memory_init": "zeros"}, "memory_init"),
        ({"weighting_init": "uniform"}, "weighting_init"),
        ({"shift_range": 3, "memory_slots": 6}, "shift_range"),
        ({"shift_range": -1}, "shift_range"),
        ({"read_heads": 0}, "read_heads"),
        ({"word_size": 2.5}, "word_size"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NTM(2, 1, **{**SMALL, **kwargs})


# ----------------------------------------------------------------------------- learning
@pytest.fixture(scope="module")
def copier():
    """compare_run's quick experiment: a small NTM trained on copy lengths 1 to 5."""
    return copy_experiment(COMPARE_SETTINGS["quick"], seed=0)


def test_learns_to_copy(copier):
    model, result = copier
    assert result["passed"] and result["value"] <= 1.0  # wrong bits of 40, at length 5
    assert result["details"]["training_sequences"] == 600 * 16
    test = binary_copy(200, 4, seed=1004)  # another length, other sequences
    Y, _ = model.forward(test.inputs)
    assert bit_errors(Y, test).mean() <= 1.0


def test_learned_copy_writes_one_slot_per_step(copier):
    # the paper's figure 6: while the input arrives, the write head focuses on one slot and
    # moves on by one slot per step; then the read head visits the written slots in order
    model, _ = copier
    test = binary_copy(1, 5, seed=7)
    model.forward(test.inputs)
    Ws = model._cache[10][1:, 0]  # (T, heads, N) after each step
    write = Ws[:5, 1]  # the write head during the 5 input steps
    assert (write.max(-1) > 0.5).all(), write.max(-1)
    slots = write.argmax(-1)
    steps = (np.diff(slots) % 16).tolist()
    assert len(set(steps)) == 1 and steps[0] in (1, 15), slots  # one direction, one slot a step
    read = Ws[6:11, 0].argmax(-1)  # the read head during the 5 answer steps
    np.testing.assert_array_equal(read, slots)


def test_compare_run_is_the_experiments_result(monkeypatch):
    import recurrent_zoo.ntm as ntm

    calls = []
    monkeypatch.setattr(
        ntm,
        "copy_experiment",
        lambda mode, seed: calls.append((mode, seed)) or (None, {"value": 0.5}),
    )
    assert compare_run(quick=True, seed=3) == {"value": 0.5}
    assert calls == [(COMPARE_SETTINGS["quick"], 3)]
    compare_run(quick=False, seed=0)
    assert calls[-1] == (COMPARE_SETTINGS["full"], 0)
