"""The differentiable neural computer: its mechanisms inside the model, gradients from its own
initial state and from a random one, parity with the same network in PyTorch, stability, and
learning the copy task.

Where the numbers come from: the behaviours checked are the paper's methods section (Graves et
al. 2016, "Dynamic memory allocation": with the allocation gate open and the write gate open a
DNC writes each step to the least used slot; "Temporal memory linkage": a read head in forward
mode follows the order of the writes); the parity reference is
``benchmarks/peers/dnc_torch.py``, the same equations differentiated by torch's autograd; the
copy target -- under one wrong bit per sequence at the training lengths -- is the NTM's quick
target in this library (Graves et al. 2014, figure 3, in Collier & Beel's bit-error terms).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from recurrent_zoo._core import dnc_memory as dm
from recurrent_zoo.dnc import DNC
from recurrent_zoo.testing import gradient_errors

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"controller_size": 4, "memory_slots": 5, "word_size": 3, "read_heads": 2}


def _torch_twin():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "dnc_torch", ROOT / "benchmarks" / "peers" / "dnc_torch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TorchDNC


def _set_interface(model, **raw):
    """Make every interface part a constant: zero interface weights, the given raw biases."""
    model.params["interface_weight"][...] = 0.0
    layout = dm.interface_layout(model.read_heads, model.word_size)
    for name, value in raw.items():
        model.params["interface_bias"][layout[name][0]] = value


# ----------------------------------------------------------------------------- mechanisms
def test_allocation_writes_each_step_to_a_fresh_slot_and_links_record_the_order():
    # gates open, allocation only, nothing freed: step t writes (almost) one-hot to a slot not
    # written before; the link matrix then says each written slot follows the previous one,
    # and a read head in forward mode, started at the first write, walks them in order
    N = 6
    model = DNC(2, 1, controller_size=3, memory_slots=N, word_size=3, read_heads=1, seed=0)
    _set_interface(
        model,
        allocation_gate=40.0,
        write_gate=40.0,
        free_gates=-40.0,
        erase=40.0,
        write_vector=1.0,
        read_modes=[-40.0, -40.0, 40.0],  # forward mode
    )
    T = N
    model.forward(np.zeros((T, 2, 2)))
    WW, U, Ls = model._cache[9], model._cache[10], model._cache[12]
    slots = WW[1:, 0].argmax(-1)
    assert sorted(slots.tolist()) == list(range(N)), slots  # every slot once
    assert (WW[1:, 0].max(-1) > 0.999).all()
    # the usage counts the previous step's write: all but the last written slot are used up
    np.testing.assert_allclose(U[-1][:, slots[:-1]], 1.0, atol=1e-5)
    assert U[-1][0, slots[-1]] < 1e-4
    L = Ls[-1][0]
    for prev, nxt in zip(slots[:-1], slots[1:], strict=False):
        assert L[nxt, prev] > 0.999  # nxt was written right after prev
    # forward mode from a head at the first written slot reads the second, then the third
    read_w = np.zeros((1, 1, N))
    read_w[0, 0, slots[0]] = 1.0
    f, b = dm.directional_weightings(Ls[-1][:1], read_w)
    assert f[0, 0].argmax() == slots[1] and b[0, 0].max() < 1e-3  # nothing before the first


def test_free_gates_release_what_was_read():
    # a read head that reads one slot and frees it (free gate 1): that slot's usage drops to 0
    model = DNC(2, 1, **SMALL, seed=1)
    _set_interface(model, free_gates=40.0, write_gate=-40.0)
    state = list(model.random_state(2, 0))
    k = 2  # the LSTM's h, c come first
    state[k + 1] = np.zeros_like(state[k + 1])
    state[k + 1][:, 0, 3] = 1.0  # head 0 read slot 3 at the previous step
    state[k + 2] = np.zeros_like(state[k + 2])  # nothing written at the previous step
    _, final = model.forward(np.zeros((1, 2, 2)), tuple(state))
    usage = final[k + 3]
    np.testing.assert_allclose(usage[:, 3], 0.0, atol=1e-12)
    others = [0, 1, 2, 4]
    # the other slots keep their usage, less what head 1 freed there
    psi = np.prod(1 - state[k + 1][:, :, others], axis=1)
    np.testing.assert_allclose(usage[:, others], state[k + 3][:, others] * psi, rtol=1e-12)


def test_initial_state_is_zero_and_link_diagonal_stays_zero():
    model = DNC(2, 1, **SMALL, seed=0)
    for a in model.initial_state(3):
        assert not a.any()
    _, state = model.forward(np.random.default_rng(0).normal(size=(6, 3, 2)))
    link = state[-2]
    assert (np.diagonal(link, 0, 1, 2) == 0).all() and (link >= 0).all()
    read_w = state[3]
    assert (read_w >= 0).all() and (read_w.sum(-1) <= 1 + 1e-12).all()
    usage = state[5]
    assert ((usage >= 0) & (usage <= 1)).all()


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "controller, heads, lengths",
    [("lstm", 1, None), ("lstm", 2, [4, 2, 1]), ("feedforward", 3, [3, 4, 2])],
)
def test_gradients_from_the_initial_and_a_random_state(controller, heads, lengths):
    """Both controllers, one to three read heads, with and without lengths; from the model's
    own (zero) start, and from a random valid state (whose gradient is checked too)."""
    model = DNC(
        2,
        2,
        controller=controller,
        controller_size=3,
        memory_slots=5,
        word_size=2,
        read_heads=heads,
        seed=3,
    )
    X = np.random.default_rng(4).normal(size=(4, 3, 2))
    runs = [(None, None)]
    if lengths:
        runs.append((model.random_state(3, 6), np.array(lengths)))
    for state, lens in runs:
        errors = gradient_errors(model, X, state, lens, seed=5)
        bad = {k: v for k, v in errors.items() if not v <= 1e-6}
        assert not bad, f"lengths={lens}: relative errors above 1e-6: {bad}"


@pytest.mark.parametrize(
    "config",
    [
        {"controller_size": 5, "memory_slots": 6, "word_size": 4, "read_heads": 2},
        {"controller": "feedforward", "controller_size": 4, "memory_slots": 7, "word_size": 3,
         "read_heads": 3},
    ],
)  # fmt: skip
def test_matches_autograd(config):
    # the same network in PyTorch (benchmarks/peers/dnc_torch.py), same weights, float64
    import torch

    TorchDNC = _torch_twin()
    model = DNC(3, 2, **config, seed=0)
    twin = TorchDNC.from_params(
        model.params, dtype=torch.float64, input_size=3, output_size=2, **config
    )
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, 4, 3))
    dY = rng.normal(size=(9, 4, 2))
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
def test_saturated_interface_stays_finite():
    # huge interface outputs: strengths far beyond anything sensible, every gate saturated
    base = DNC(3, 2, **SMALL, seed=0)
    base.params["interface_bias"][...] = np.where(
        np.arange(base.params["interface_bias"].size) % 2, 800, -800
    )
    base.params["interface_weight"] *= 50.0
    X = np.random.default_rng(0).normal(size=(12, 4, 3)) * 10
    for dtype in (np.float64, np.float32):
        m = DNC(3, 2, **SMALL, seed=0, dtype=dtype)
        for k in m.params:
            m.params[k][...] = base.params[k]
        Y, state = m.forward(X)
        dX = m.backward(np.ones_like(Y))
        assert np.isfinite(Y).all() and all(np.isfinite(s).all() for s in state)
        assert np.isfinite(dX).all() and all(np.isfinite(g).all() for g in m.grads.values())


def test_long_float32_sequence_stays_bounded():
    # 1000 steps of float32 (the 10 000 is in benchmarks/dnc_experiments.py): usage,
    # weightings and links stay in their ranges, nothing overflows
    model = DNC(3, 2, controller_size=8, memory_slots=8, word_size=4, read_heads=2, seed=0,
                dtype=np.float32)  # fmt: skip
    X = np.random.default_rng(0).normal(size=(1000, 2, 3)).astype(np.float32)
    Y, state = model.forward(X)
    dX = model.backward(np.ones_like(Y))
    assert np.isfinite(Y).all() and np.isfinite(dX).all()
    usage, link = state[5], state[7]
    assert ((usage >= 0) & (usage <= 1)).all() and (link >= 0).all() and link.sum(1).max() <= 1.001


@pytest.mark.parametrize("index, name", [(3, "read_weights"), (5, "usage")])
def test_invalid_memory_state_is_refused(index, name):
    model = DNC(2, 1, **SMALL, seed=0)
    state = list(model.random_state(2, 0))
    state[index] = -state[index]
    with pytest.raises(ValueError, match=name):
        model.forward(np.zeros((2, 2, 2)), tuple(state))
    state = list(model.random_state(2, 0))
    state[5] = state[5] + 1.0
    with pytest.raises(ValueError, match="usage"):
        model.forward(np.zeros((2, 2, 2)), tuple(state))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"controller": "gru"}, "controller"),
        ({"read_heads": 0}, "read_heads"),
        ({"memory_slots": 0}, "memory_slots"),
        ({"word_size": 2.5}, "word_size"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DNC(2, 1, **{**SMALL, **kwargs})


# ----------------------------------------------------------------------------- learning
#: the gallery's setting (examples/memory/plot_dnc_copy.py): a small DNC, copy of lengths 1-4
LEARNING = {"lengths": (1, 4), "batch_size": 16, "batches": 400, "lr": 2e-2, "lr_drop": 300}


@pytest.fixture(scope="module")
def copier():
    from recurrent_zoo.ntm import train_copy

    model = DNC(9, 8, controller_size=32, memory_slots=16, word_size=8, read_heads=1, seed=0)
    train_copy(model, **LEARNING, seed=0)
    return model


def test_learns_to_copy_short_sequences(copier):
    # a seeded regression test of learning: seed 0 reaches 0.54 wrong bits of 32 at length 4
    # (measured); across seeds this budget is not enough (seeds 0-4: median 1.58, seed 1 6.8),
    # twice the budget is (seeds 0-4 all <= 0.06): benchmarks/results/dnc_copy_pilots.txt.
    # The compare recipe's budget is checked over three seeds in the slow test below.
    from recurrent_zoo.tasks import binary_copy, bit_errors

    test = binary_copy(200, 4, seed=1004)
    Y, _ = copier.forward(test.inputs)
    assert bit_errors(Y, test).mean() <= 1.0


def test_learned_copy_writes_to_fresh_slots_and_reads_forward(copier):
    # what the paper's mechanisms are for: each input vector goes to a slot of its own
    # (allocation), and while answering the read head is mostly in forward mode
    from recurrent_zoo.tasks import binary_copy

    test = binary_copy(1, 4, seed=7)
    copier.forward(test.inputs)
    cache = copier._cache
    write = cache[9][1:5, 0]  # (4, N): the write weighting during the 4 input steps
    assert len(set(write.argmax(-1).tolist())) == 4, write.argmax(-1)
    modes = np.array([c[0]["read_modes"][0, 0] for c in cache[15][6:]])  # answer steps
    assert modes[:, 2].mean() > 0.5, modes


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compare_quick_setting_learns_for_several_seeds(seed):
    # compare_run's quick setting (600 batches of 16, lengths 1-5): the same training measured
    # 0.04, 0.14, 0.14 wrong bits per sequence of length 5 for seeds 0, 1, 2 on one test set
    # (seed 1005; copy_experiment draws seed + 1005), about 20 s of CPU each
    from recurrent_zoo.dnc import COMPARE_SETTINGS, copy_experiment

    _, result = copy_experiment(COMPARE_SETTINGS["quick"], seed=seed)
    assert result["passed"] and result["value"] <= 1.0, result["value"]
