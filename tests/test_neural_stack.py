"""NeuralStack: against a PyTorch autograd implementation, the LSTM controller, the memories.

Reference: the equations of Grefenstette et al. (2015, NIPS), written independently with torch
tensors and differentiated by autograd (benchmarks/peers/torch_neural_stack.py), on the same
weights: outputs and every gradient agree to 1e-10 for the stack, the queue and the deque. The
memory blocks themselves are checked against the paper's equations in tests/test_stacks.py; the
trained behaviour (train on 8-64, test on 65-128) is in
benchmarks/results/pushdown_reference.txt.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from recurrent_zoo import get_entry
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.neural_stack import MEMORIES, NeuralStack

ROOT = Path(__file__).resolve().parents[1]


def _torch_peer():
    torch = pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "torch_neural_stack", ROOT / "benchmarks" / "peers" / "torch_neural_stack.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return torch, module


@pytest.mark.parametrize("memory", sorted(MEMORIES))
def test_matches_torch_autograd(memory):
    torch, peer = _torch_peer()
    net = NeuralStack(3, 5, memory=memory, value_size=4, output_size=6, seed=1)
    other = peer.TorchNeuralStack(3, 5, memory, 4, 6).double()
    other.load_numpy_params(net.params)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 4, 3))
    R = rng.normal(size=(9, 4, 6))
    Y, _ = net.forward(X)
    dX = net.backward(R)
    Xt = torch.tensor(X, requires_grad=True)
    Yt = other(Xt)
    (Yt * torch.tensor(R)).sum().backward()
    np.testing.assert_allclose(Y, Yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs = {
        "weight_ih": other.cell.weight_ih,
        "weight_hh": other.cell.weight_hh,
        "bias_ih": other.cell.bias_ih,
        "bias_hh": other.cell.bias_hh,
    }
    for head in ("push", "pop", "value", "out"):
        layer = getattr(other, head)
        theirs[f"weight_{head}"], theirs[f"bias_{head}"] = layer.weight, layer.bias
    assert set(theirs) == set(net.grads)
    for name, param in theirs.items():
        np.testing.assert_allclose(
            net.grads[name], param.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_controller_is_the_library_lstm():
    """With the read's weights at zero the controller is recurrent_zoo.lstm.LSTM."""
    I, H = 3, 4
    net = NeuralStack(I, H, value_size=2, output_size=H, seed=0)
    lstm = LSTM(I, H, seed=0)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        lstm.params[f"{name}_l0"][...] = (
            net.params[name][:, :I] if name == "weight_ih" else (net.params[name])
        )
    net.params["weight_ih"][:, I:] = 0.0  # the read does not reach the controller
    net.params["weight_out"][...] = np.eye(H)
    net.params["bias_out"][...] = 0.0
    X = np.random.default_rng(2).normal(size=(6, 2, I))
    Y, _ = net.forward(X)
    H_lstm, _ = lstm.forward(X)
    np.testing.assert_allclose(Y, np.tanh(H_lstm), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("memory", sorted(MEMORIES))
def test_trace_shows_one_slot_per_push(memory):
    net = NeuralStack(2, 3, memory=memory, value_size=2, seed=0)
    tr = net.trace(np.ones((4, 1, 2)))
    per_step = 2 if memory == "deque" else 1
    assert [s.shape[1] for s in tr["strengths"]] == [per_step * t for t in range(5)]
    assert tr["push"].shape == tr["pop"].shape == (4, 1, per_step)
    assert np.all((tr["strengths"][-1] >= 0) & (tr["strengths"][-1] <= 1))


def test_state_keeps_the_memory_between_calls():
    net = NeuralStack(2, 3, memory="queue", value_size=2, capacity=8, seed=3)
    X = np.random.default_rng(0).normal(size=(7, 2, 2))
    Y, _ = net.forward(X)
    Y1, state = net.forward(X[:4])
    Y2, _ = net.forward(X[4:], state)
    np.testing.assert_allclose(np.concatenate([Y1, Y2]), Y, rtol=1e-12, atol=1e-14)
    assert state[3].shape == (2, 8) and np.count_nonzero(state[3]) > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="memory"):
        NeuralStack(2, 3, memory="heap")
    with pytest.raises(ValueError, match="value_size"):
        NeuralStack(2, 3, value_size=0)
    with pytest.raises(ValueError, match="capacity"):
        NeuralStack(2, 3, capacity=0)


def test_catalogue_entry():
    entry = get_entry("neural_stack")
    assert entry.cls is NeuralStack and entry.family == "memory-augmented"
    assert {ex.get("memory", "stack") for ex in entry.examples} == set(MEMORIES)


def _oracle_transduce(memory, task, source, vocab_size, pop_end):
    """Drive a strength memory by hand on Grefenstette's transduction layout; decode its reads.

    Steps ``0..n-1`` push the one-hot source symbol with strength 1 (at the top); the steps of
    the target phase ``n..2n`` pop 1 at ``pop_end`` and push nothing. The prediction at step
    ``t`` is decoded, as the controller would, from the read ``r_{t-1}`` it gets as input:
    the symbol whose unit is largest, ``</s>`` (class ``vocab_size``) when the read is empty.
    """
    from recurrent_zoo._core.stacks import StrengthMemory

    pop_ends, push_ends, read_ends = MEMORIES[memory]
    n, T = len(source), 2 * len(source) + 1
    V0, s0 = np.zeros((1, 1, vocab_size)), np.zeros((1, 1))
    mem = StrengthMemory(V0, s0, T, pop_ends=pop_ends, push_ends=push_ends, read_ends=read_ends)
    read, predicted = mem.initial_reads()[pop_end], []
    for t in range(T):
        if t >= n:
            predicted.append(int(read.argmax()) if read.max() > 0.5 else vocab_size)
        value = np.eye(vocab_size)[source[t]][None] if t < n else np.zeros((1, vocab_size))
        pops = {e: np.array([1.0 if (t >= n and e == pop_end) else 0.0]) for e in pop_ends}
        pushes = {e: (value, np.array([1.0 if (t < n and e == "top") else 0.0])) for e in push_ends}
        read = mem.step(t, pops, pushes)[pop_end]
    return predicted


@pytest.mark.parametrize(
    ("memory", "task", "pop_end"),
    [
        ("stack", "reversal", "top"),
        ("queue", "copy", "bottom"),
        ("deque", "reversal", "top"),
        ("deque", "copy", "bottom"),
    ],
)
def test_memory_driven_by_hand_transduces(memory, task, pop_end):
    """The memory alone does the task when its controls are set by hand (an oracle controller):
    Grefenstette et al.'s solution, push every source symbol with strength 1, then pop 1 per
    target step. Every one of 20 sequences of 1-40 symbols (the last prediction ``</s>``).
    """
    from recurrent_zoo.tasks import transduction

    data = transduction(task, 20, 1, 40, seed=0, vocab_size=7)
    for source, target in zip(data.info["source"], data.info["target"], strict=True):
        predicted = _oracle_transduce(memory, task, list(source), 7, pop_end)
        assert predicted == [*target.tolist(), 7]


def test_transduction_run_sets_the_initial_push_and_pop_biases():
    """``push_bias`` / ``pop_bias`` replace the random initial biases of every end's heads (the
    model before any training: ``epochs=0``); without them the initialisation is the class's."""
    from recurrent_zoo.neural_stack import transduction_run

    small = {
        "hidden_size": 4,
        "value_size": 2,
        "vocab_size": 3,
        "train_lengths": (2, 3),
        "test_lengths": (4, 5),
        "epochs": 0,
        "n_validation": 2,
        "n_test": 2,
        "keep_model": True,
    }
    for memory in ("stack", "deque"):
        net = transduction_run("reversal", memory, push_bias=2.0, pop_bias=-1.5, **small)[
            "model"
        ].models[0]
        assert net.params["bias_push"].tolist() == [2.0] * net.n_ends
        assert net.params["bias_pop"].tolist() == [-1.5] * net.n_ends
    plain = transduction_run("reversal", "stack", **small)["model"].models[0]
    fresh = NeuralStack(4, 4, value_size=2, seed=0)
    assert np.array_equal(plain.params["bias_push"], fresh.params["bias_push"])
    with pytest.raises(ValueError, match="push_bias"):
        transduction_run("reversal", "stack", push_bias=float("nan"), **small)
    with pytest.raises(TypeError, match="pop_bias"):
        transduction_run("reversal", "queue", pop_bias="low", **small)
    # one number per end: the deque's (top, bottom), e.g. pushing at the top only
    net = transduction_run("copy", "deque", push_bias=[1.0, -4.0], pop_bias=(-4.0, -3.0), **small)[
        "model"
    ].models[0]
    assert net.params["bias_push"].tolist() == [1.0, -4.0]
    assert net.params["bias_pop"].tolist() == [-4.0, -3.0]
    assert transduction_run("copy", "queue", push_bias=[0.5], **small)["model"].models[0].params[
        "bias_push"
    ].tolist() == [0.5]
    with pytest.raises(ValueError, match="push_bias must be a number or 2 numbers"):
        transduction_run("copy", "deque", push_bias=[1.0], **small)
    with pytest.raises(ValueError, match="pop_bias must be a number or 1 numbers"):
        transduction_run("copy", "stack", pop_bias=[1.0, 2.0], **small)
    with pytest.raises(ValueError, match="pop_bias"):
        transduction_run("copy", "deque", pop_bias=[1.0, float("inf")], **small)


def _record_fit(monkeypatch, record):
    """Wrap ``training.fit`` (one call an epoch in transduction_run): each call first appends
    ``record(model, X, kwargs)`` to the list returned."""
    import recurrent_zoo.training as training

    seen, real_fit = [], training.fit

    def recording_fit(model, X, *args, **kwargs):
        seen.append(record(model, X, kwargs))
        return real_fit(model, X, *args, **kwargs)

    monkeypatch.setattr(training, "fit", recording_fit)
    return seen


def _longest(fit_kwargs):
    """The longest source of an epoch's training data, from ``fit``'s ``lengths``."""
    return int((np.asarray(fit_kwargs["lengths"]).max() - 1) // 2)


def _weights(model):
    """A copy of every parameter of ``model``."""
    return {k: v.copy() for k, v in model.params.items()}


def test_transduction_run_equal_length_batches_and_separate_target_inputs(monkeypatch, capsys):
    """``equal_lengths``: every minibatch ``fit`` sees holds one source length (even ones for
    bigram flipping), ``ceil(sequences_per_epoch / batch_size)`` of them an epoch, lengths
    within the epoch's range; without it one call an epoch with mixed lengths, as before.
    ``target_inputs="separate"`` gives the controller ``2V + 1`` inputs. ``progress`` prints
    one line an epoch."""
    from recurrent_zoo.neural_stack import transduction_run

    calls = _record_fit(
        monkeypatch, lambda model, X, kw: (X.shape, (np.asarray(kw["lengths"]) - 1) // 2)
    )
    small = {
        "hidden_size": 3,
        "value_size": 2,
        "vocab_size": 3,
        "train_lengths": (2, 9),
        "test_lengths": (10, 11),
        "epochs": 2,
        "sequences_per_epoch": 7,
        "batch_size": 3,
        "curriculum": 2,
        "n_validation": 2,
        "n_test": 2,
        "keep_model": True,
    }
    for task in ("reversal", "bigram_flip"):
        calls.clear()
        r = transduction_run(
            task, "stack", equal_lengths=True, target_inputs="separate", progress=True, **small
        )
        assert r["model"].models[0].input_size == 2 * 3 + 1
        assert len(calls) == 2 * 3  # ceil(7 / 3) minibatches in each of 2 epochs
        for k, (shape, ns) in enumerate(calls):
            top = 2 + 2 * (k // 3 + 1)  # the curriculum's longest source in that epoch
            assert shape[1] == 3 and shape[2] == 2 * 3 + 1
            assert len(set(ns.tolist())) == 1 and 2 <= ns[0] <= top
            assert task != "bigram_flip" or ns[0] % 2 == 0
        assert len(set(int(ns[0]) for _, ns in calls)) > 1  # the length is drawn anew
        assert len(capsys.readouterr().out.strip().splitlines()) == 2
    calls.clear()
    r = transduction_run("reversal", "queue", **small)
    assert r["model"].models[0].input_size == 3 + 1
    assert [shape[1] for shape, _ in calls] == [7, 7]  # the whole epoch in one call
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="target_inputs"):
        transduction_run("reversal", "stack", target_inputs="own", **small)
    with pytest.raises(TypeError, match="equal_lengths"):
        transduction_run("reversal", "stack", equal_lengths="yes", **small)


def _record_curriculum(monkeypatch, epochs):
    """Record the longest source of every epoch's training data (``fit`` wrapped) and give a
    tiny adaptive-curriculum run of ``epochs`` over sources of 2-30: (longest, settings)."""

    longest = _record_fit(monkeypatch, lambda model, X, kw: _longest(kw))
    return longest, _tiny_adaptive(30, epochs=epochs)


def _tiny_adaptive(hi, **settings):
    """A tiny adaptive-curriculum run over sources of 2-``hi`` (tested on ``hi + 1``)."""
    return {
        "hidden_size": 2,
        "value_size": 1,
        "vocab_size": 2,
        "train_lengths": (2, hi),
        "test_lengths": (hi + 1, hi + 1),
        "sequences_per_epoch": 40,
        "batch_size": 40,
        "curriculum": "adaptive",
        "n_validation": 6,
        "n_test": 1,
        **settings,
    }


def test_transduction_run_adaptive_curriculum_extends_only_what_is_learnt(monkeypatch):
    """``curriculum="adaptive"``: the sources start at ``lo .. lo + 8`` and the range grows by 8
    after an epoch whose validation sequences inside it are >= 90 % right, never otherwise
    (the accuracy faked: all right / all wrong)."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    longest, small = _record_curriculum(monkeypatch, epochs=4)
    for right, tops in ((1.0, [10, 18, 26, 30]), (0.0, [10, 10, 10, 10])):
        monkeypatch.setattr(
            tasks, "transduction_accuracy", lambda Y, data, c=right: {"coarse": c, "fine": c}
        )
        longest.clear()
        transduction_run("reversal", "stack", **small)
        assert len(longest) == 4 and all(n <= top for n, top in zip(longest, tops, strict=True))
        if right:  # each epoch draws sources past the previous epoch's range
            assert all(n > top for n, top in zip(longest[1:], tops, strict=False))
    with pytest.raises(ValueError, match="curriculum"):
        transduction_run("reversal", "stack", **{**small, "curriculum": "fast"})
    with pytest.raises(ValueError, match="curriculum"):
        transduction_run("reversal", "stack", **{**small, "curriculum": 0})


def _pop_gradients(push, pop, T=12, B=3, m=4, seed=0):
    """The gradient of a random linear function of every read reaching each step's pop."""
    from recurrent_zoo._core.stacks import StrengthMemory

    rng = np.random.default_rng(seed)
    mem = StrengthMemory(
        np.zeros((B, 1, m)),
        np.zeros((B, 1)),
        T,
        pop_ends=("top",),
        push_ends=("top",),
        read_ends=("top",),
    )
    for t in range(T):
        mem.step(t, {"top": np.full(B, pop)}, {"top": (rng.normal(size=(B, m)), np.full(B, push))})
    mem.final_state()
    mem.begin_backward(np.zeros((B, 1, m)), np.zeros((B, 1)))
    dreads = rng.normal(size=(T, B, m))
    du = [mem.step_backward(t, {"top": dreads[t]})[0]["top"] for t in reversed(range(T))]
    return np.array(du[::-1])  # (T, B)


def test_pops_get_no_gradient_where_each_step_pops_what_the_last_pushed():
    """Why the initial push/pop biases matter (transduction_run's docstring): where every
    step pops at least what the step before pushed (push 0.47, pop 0.52: the default
    initialisation's means) or pushes so much that the slot below the top straddles the read's
    unit depth (0.72 / 0.26), no gradient reaches any pop; with small pushes and smaller pops
    (0.26 / 0.12) every pop after the first gets one."""
    assert np.all(_pop_gradients(0.47, 0.52) == 0.0)
    assert np.all(_pop_gradients(0.72, 0.26) == 0.0)
    du = _pop_gradients(0.26, 0.12)
    assert np.all(du[0] == 0.0)  # the first pop meets an empty stack
    assert np.all(du[1:] != 0.0)


@pytest.mark.parametrize("memory", sorted(MEMORIES))
def test_strength_penalty_value_and_float64_gradient(memory):
    """``strength_penalty=lam``: forward's output is unchanged, ``penalty`` is lam times the
    mean over the steps inside the sequences of sum_ends d (1 - d) + u (1 - u) (from the
    strengths ``trace`` reports), and backward returns the gradient of sum(Y dY) + penalty
    (central finite differences in float64, every parameter and the input)."""
    from recurrent_zoo.testing import numerical_gradient

    rng = np.random.default_rng(3)
    X, lengths = rng.normal(size=(5, 2, 2)), np.array([5, 3])
    dY = rng.normal(size=(5, 2, 3))
    plain = NeuralStack(2, 3, memory=memory, value_size=2, seed=1)
    net = NeuralStack(2, 3, memory=memory, value_size=2, strength_penalty=0.7, seed=1)
    Y0, _ = plain.forward(X, lengths=lengths)
    Y, _ = net.forward(X, lengths=lengths)
    np.testing.assert_array_equal(Y, Y0)
    tr = net.trace(X, lengths)
    inside = np.arange(5)[:, None] < lengths[None, :]
    g = (tr["push"] * (1 - tr["push"]) + tr["pop"] * (1 - tr["pop"])).sum(axis=2)
    np.testing.assert_allclose(net.penalty, 0.7 * g[inside].mean(), rtol=1e-12)

    def f():
        Y, _ = net.forward(X, lengths=lengths)
        return float((Y * dY).sum()) + net.penalty

    f()
    dX = net.backward(dY)
    for name, P in net.params.items():
        num = numerical_gradient(f, P)
        err = np.abs(num - net.grads[name]).max() / max(np.abs(num).max(), 1e-12)
        assert err <= 1e-6, (name, err)
    num = numerical_gradient(f, X)
    assert np.abs(num - dX).max() / np.abs(num).max() <= 1e-6
    # the penalty's own gradient is what sets the two nets' gradients apart
    plain.backward(dY)
    assert not np.allclose(net.grads["bias_push"], plain.grads["bias_push"])


def test_strength_penalty_bad_arguments():
    from recurrent_zoo.neural_stack import transduction_run

    with pytest.raises(ValueError, match="strength_penalty"):
        NeuralStack(2, 3, strength_penalty=-0.1)
    with pytest.raises(TypeError, match="strength_penalty"):
        NeuralStack(2, 3, strength_penalty="0.1")
    with pytest.raises(ValueError, match="strength_penalty"):
        transduction_run("reversal", "lstm", strength_penalty=0.1)
    net = NeuralStack(2, 3, strength_penalty=0.25, seed=0)
    assert net.get_config()["strength_penalty"] == 0.25


def test_transduction_run_applies_the_strength_penalty_on_the_whole_range_only(monkeypatch):
    """``transduction_run(strength_penalty=lam)``: the penalty is on (lam) in the epochs that
    train on the whole range of training lengths and off (0) while the adaptive curriculum is
    still short of it; without the option it is never on."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    seen = _record_fit(
        monkeypatch, lambda model, X, kw: (_longest(kw), model.models[0].strength_penalty)
    )
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 1, "fine": 1})
    small = _tiny_adaptive(18, epochs=4, patience=10)
    transduction_run("reversal", "stack", strength_penalty=0.3, **small)
    # sources up to 10, then up to 18 = the whole range from the second epoch on
    assert [lam for _, lam in seen] == [0.0, 0.3, 0.3, 0.3]
    assert seen[0][0] <= 10 < max(n for n, _ in seen[1:])
    seen.clear()
    transduction_run("reversal", "stack", **small)
    assert [lam for _, lam in seen] == [0.0] * 4
    seen.clear()
    transduction_run("reversal", "stack", strength_penalty=0.3, **{**small, "curriculum": None})
    assert [lam for _, lam in seen] == [0.3] * 4


def _restart_run(**settings):
    """A tiny adaptive-curriculum run over sources of 2-30, its model kept (the restart and
    stall rules' tests)."""
    return {
        "hidden_size": 3,
        "value_size": 2,
        "vocab_size": 3,
        "train_lengths": (2, 30),
        "test_lengths": (31, 31),
        "sequences_per_epoch": 6,
        "batch_size": 3,
        "curriculum": "adaptive",
        "n_validation": 4,
        "n_test": 2,
        "keep_model": True,
        **settings,
    }


def test_transduction_run_restart_rule(monkeypatch):
    """``restart_after=K``: an attempt still on the adaptive curriculum's first range after K
    epochs is abandoned and training starts again from the weights of seed ``seed + 1e6 a``
    (readout ``+ 1``), push / pop biases set again, fresh optimizer; the epochs keep counting;
    ``"restarts"`` counts the abandoned attempts. Never once the range has grown; off by
    default (the run is then the one without the rule, bit for bit)."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    seen = _record_fit(  # each epoch's model, as training starts
        monkeypatch, lambda model, X, kw: (model, _weights(model), kw["seed"])
    )
    small = _restart_run(epochs=5, push_bias=-1.0, pop_bias=-2.0, seed=7)
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 0, "fine": 0})
    r = transduction_run("reversal", "stack", restart_after=2, **small)
    assert r["restarts"] == 2 and r["epochs"] == 5
    models = [m for m, _, _ in seen]
    assert models[0] is models[1] and models[2] is models[3] and models[4] is r["model"]
    assert len({id(models[0]), id(models[2]), id(models[4])}) == 3
    assert [s for _, _, s in seen] == [7 * 100_000 + e for e in range(5)]  # epochs count on
    fresh = transduction_run("reversal", "stack", **{**small, "epochs": 1})["model"]
    for a, epoch in ((0, 0), (1, 2), (2, 4)):  # each attempt's initial weights
        ctrl = NeuralStack(
            fresh.models[0].input_size, 3, value_size=2, seed=7 + 1_000_000 * a
        ).params
        initial = seen[epoch][1]
        for name, value in ctrl.items():
            if name in ("bias_push", "bias_pop"):
                value = np.full_like(value, -1.0 if name == "bias_push" else -2.0)
            assert np.array_equal(initial[f"0.{name}"], value), (a, name)
        readout = type(fresh.models[1])(3, 4, seed=7 + 1_000_000 * a + 1).params
        for name, value in readout.items():
            assert np.array_equal(initial[f"1.{name}"], value), (a, name)
    # the range grows after every epoch: never a restart
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 1, "fine": 1})
    seen.clear()
    r = transduction_run("reversal", "stack", restart_after=1, **{**small, "patience": 10})
    assert r["restarts"] == 0 and len({id(m) for m, _, _ in seen}) == 1
    # off by default; a rule that never fires leaves the run bit for bit as it was
    monkeypatch.undo()
    plain = transduction_run("reversal", "stack", **{**small, "keep_model": False})
    ruled = transduction_run(
        "reversal", "stack", restart_after=100, **{**small, "keep_model": False}
    )
    assert "restarts" not in plain and ruled.pop("restarts") == 0
    for key in ("coarse", "fine", "val_coarse", "val_fine", "curve", "epochs"):
        assert plain[key] == ruled[key]
    with pytest.raises(ValueError, match="restart_after"):
        transduction_run("reversal", "stack", restart_after=0, **small)
    with pytest.raises(ValueError, match="restart_after"):
        transduction_run("reversal", "stack", restart_after=2, **{**small, "curriculum": None})
    with pytest.raises(ValueError, match="restart_after"):
        transduction_run(
            "reversal", "stack", restart_after=2, **{**small, "train_lengths": (2, 10)}
        )


def test_transduction_run_stall_rule(monkeypatch):
    """``stall_after=S``: an attempt whose range has grown past the first but not for S epochs
    (short of the whole range) restarts from the next attempt's weights (seed ``seed + 1e6 a``)
    and on the first range again; never on the first range (``restart_after``'s stage) nor on
    the whole range; off by default (the run is then the one without the rule, bit for bit).
    The accuracy is faked: all right in the epochs listed, all wrong otherwise."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    seen = _record_fit(  # each epoch's model, weights, longest source
        monkeypatch, lambda model, X, kw: (model, _weights(model), _longest(kw))
    )

    def right_in(epochs):  # learnt after the epochs listed (0-based), as fit has just run them
        def accuracy(Y, data):
            c = float(len(seen) - 1 in epochs)
            return {"coarse": c, "fine": c}

        return accuracy

    small = _restart_run(epochs=7, patience=100, seed=5)
    # learnt 2-10 in epoch 0, then 2-18 never: epochs 1-2 on 2-18, the restart at epoch 3,
    # learnt 2-10 again in epoch 3, then epochs 4-5 on 2-18 and the next restart at epoch 6
    monkeypatch.setattr(tasks, "transduction_accuracy", right_in({0, 3}))
    r = transduction_run("reversal", "stack", stall_after=2, **small)
    assert r["restarts"] == r["stall_restarts"] == 2 and r["epochs"] == 7
    models = [m for m, _, _ in seen]
    assert models[0] is models[1] is models[2] and models[3] is models[4] is models[5]
    assert models[6] is r["model"] and len({id(models[0]), id(models[3]), id(models[6])}) == 3
    longest = [n for _, _, n in seen]
    assert all(longest[e] <= 10 for e in (0, 3, 6))  # every attempt starts on the first range
    assert max(longest[1:3]) > 10 and max(longest[4:6]) > 10
    for a, epoch in ((1, 3), (2, 6)):  # the next attempts' initial weights
        ctrl = NeuralStack(models[0].models[0].input_size, 3, value_size=2, seed=5 + 10**6 * a)
        for name, value in ctrl.params.items():
            assert np.array_equal(seen[epoch][1][f"0.{name}"], value), (a, name)
    # never on the first range: all wrong, 7 epochs on 2-10 with stall_after=1
    monkeypatch.setattr(tasks, "transduction_accuracy", right_in(set()))
    seen.clear()
    r = transduction_run("reversal", "stack", stall_after=1, **small)
    assert r["restarts"] == r["stall_restarts"] == 0 and len({id(m) for m, _, _ in seen}) == 1
    # never on the whole range: 2-30 reached in epoch 3, then all wrong for 3 epochs
    monkeypatch.setattr(tasks, "transduction_accuracy", right_in({0, 1, 2}))
    seen.clear()
    r = transduction_run("reversal", "stack", stall_after=1, **small)
    assert r["restarts"] == 0 and len({id(m) for m, _, _ in seen}) == 1
    assert max(n for _, _, n in seen[3:]) > 26
    # with restart_after too: its restarts and the stall rule's are counted together
    monkeypatch.setattr(tasks, "transduction_accuracy", right_in({2}))
    seen.clear()
    r = transduction_run("reversal", "stack", restart_after=2, stall_after=2, **small)
    assert (r["restarts"], r["stall_restarts"]) == (2, 1)  # epochs 2 (first), 5 (stalled)
    models = [m for m, _, _ in seen]
    assert len({id(m) for m in models}) == 3 and models[1] is not models[2]
    assert models[2] is models[4] and models[4] is not models[5] and seen[5][2] <= 10
    # off by default; a rule that never fires leaves the run bit for bit as it was
    monkeypatch.undo()
    plain = transduction_run("reversal", "stack", **{**small, "keep_model": False})
    ruled = transduction_run("reversal", "stack", stall_after=100, **{**small, "keep_model": False})
    assert "restarts" not in plain and "stall_restarts" not in plain
    assert ruled.pop("restarts") == ruled.pop("stall_restarts") == 0
    for key in ("coarse", "fine", "val_coarse", "val_fine", "curve", "epochs"):
        assert plain[key] == ruled[key]
    for bad in (0, -3):
        with pytest.raises(ValueError, match="stall_after"):
            transduction_run("reversal", "stack", stall_after=bad, **small)
    with pytest.raises(ValueError, match="stall_after"):
        transduction_run("reversal", "stack", stall_after=2, **{**small, "curriculum": 4})
    with pytest.raises(ValueError, match="stall_after"):
        transduction_run("reversal", "stack", stall_after=2, **{**small, "train_lengths": (2, 9)})


def test_transduction_run_extend_at_sets_the_curriculum_threshold(monkeypatch):
    """``extend_at``: the adaptive curriculum grows once that fraction of the validation
    sequences inside its range is right; 85 % right (faked) grows it at 0.8, never at the
    default 0.9."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    longest, small = _record_curriculum(monkeypatch, epochs=3)
    monkeypatch.setattr(
        tasks, "transduction_accuracy", lambda Y, data: {"coarse": 0.85, "fine": 0.9}
    )
    for kwargs, grows in (({}, False), ({"extend_at": 0.9}, False), ({"extend_at": 0.8}, True)):
        longest.clear()
        transduction_run("reversal", "stack", **kwargs, **small)
        assert (max(longest) > 10) == grows and longest[0] <= 10
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="extend_at"):
            transduction_run("reversal", "stack", extend_at=bad, **small)


def test_compare_run_full_uses_the_protocol_setting(monkeypatch):
    """The full comparison trains with PROTOCOL_REVERSAL (the setting that learns the protocol),
    not transduction_run's defaults; every key of it is an argument of transduction_run."""
    import inspect

    from recurrent_zoo import neural_stack as ns

    inspect.signature(ns.transduction_run).bind(**ns.PROTOCOL_REVERSAL)
    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return {"coarse": 0.5, "curve": []}

    monkeypatch.setattr(ns, "transduction_run", fake)
    r = ns.compare_run(quick=False, seed=3)
    assert seen == {**ns.PROTOCOL_REVERSAL, "seed": 3}
    assert r["value"] == 0.5 and r["passed"] is False
    assert ns.PROTOCOL_REVERSAL["strength_penalty"] > 0 and ns.PROTOCOL_REVERSAL["restart_after"]
    assert ns.PROTOCOL_REVERSAL["stall_after"]  # session 10: the stall rule is part of it


@pytest.mark.parametrize(("memory", "scale"), [("deque", (0.3, 0.8)), ("stack", 0.5)])
def test_read_scale_float64_gradient(memory, scale):
    """``read_scale``: the controller sees alpha_e r_e; backward is the gradient of that model
    (central finite differences in float64, every parameter and the input, sequences of
    two lengths); the gradient reaching the memory through each read is scaled too."""
    from recurrent_zoo.testing import gradient_errors

    X = np.random.default_rng(4).normal(size=(6, 2, 2))
    net = NeuralStack(2, 3, memory=memory, value_size=2, read_scale=scale, seed=2)
    errors = gradient_errors(net, X, lengths=np.array([6, 4]), seed=4)
    assert max(errors.values()) <= 1e-6, errors


def test_read_scale_one_is_the_paper_and_zero_hides_a_read():
    """The default (1) is the paper's model bit for bit; a deque with ``read_scale=(0, 1)``
    computes what the same weights do with the controller's columns on the top read at zero,
    and those columns get no gradient; a scale in between is the read multiplied."""
    rng = np.random.default_rng(5)
    X, dY = rng.normal(size=(7, 3, 2)), rng.normal(size=(7, 3, 4))

    def run(net):
        Y, _ = net.forward(X)
        dX = net.backward(dY)
        return Y, dX, {k: g.copy() for k, g in net.grads.items()}

    kw = {"memory": "deque", "value_size": 3, "seed": 0}
    Y0, dX0, g0 = run(NeuralStack(2, 4, **kw))
    for one in (1.0, (1.0, 1.0), [1, 1]):
        Y1, dX1, g1 = run(NeuralStack(2, 4, read_scale=one, **kw))
        np.testing.assert_array_equal(Y1, Y0)
        np.testing.assert_array_equal(dX1, dX0)
        for k in g0:
            np.testing.assert_array_equal(g1[k], g0[k])
    top = slice(2, 2 + 3)  # weight_ih columns: 2 inputs, then the top read, then the bottom
    hidden = NeuralStack(2, 4, read_scale=(0.0, 1.0), **kw)
    cut = NeuralStack(2, 4, **kw)
    cut.params["weight_ih"][:, top] = 0.0
    Yh, dXh, gh = run(hidden)
    Yc, dXc, gc = run(cut)
    np.testing.assert_allclose(Yh, Yc, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dXh, dXc, rtol=1e-12, atol=1e-14)
    assert np.all(gh["weight_ih"][:, top] == 0.0) and np.any(gc["weight_ih"][:, top] != 0.0)
    assert not np.allclose(Yh, Y0)
    # alpha on the read = alpha on the controller's weights on it (same forward pass)
    half = NeuralStack(2, 4, read_scale=(0.5, 0.25), **kw)
    same = NeuralStack(2, 4, **kw)
    same.params["weight_ih"][:, top] *= 0.5
    same.params["weight_ih"][:, 5:8] *= 0.25
    np.testing.assert_allclose(half.forward(X)[0], same.forward(X)[0], rtol=1e-12, atol=1e-14)


def test_read_scale_bad_arguments():
    with pytest.raises(ValueError, match="read_scale"):
        NeuralStack(2, 3, read_scale=1.5)
    with pytest.raises(ValueError, match="read_scale"):
        NeuralStack(2, 3, memory="deque", read_scale=(0.5,))
    with pytest.raises(ValueError, match="read_scale"):
        NeuralStack(2, 3, memory="deque", read_scale=(0.5, -0.1))
    with pytest.raises(TypeError, match="read_scale"):
        NeuralStack(2, 3, read_scale="1")
    net = NeuralStack(2, 3, memory="deque")
    with pytest.raises(ValueError, match="read_scale"):
        net.read_scale = (1.0, 2.0)
    assert net.read_scale == (1.0, 1.0)


def test_transduction_run_read_ramp(monkeypatch):
    """``read_scale=(0, 1), read_ramp=K`` (deque): the top read starts hidden and grows in,
    alpha + (1 - alpha) k / K at the k-th epoch after the adaptive curriculum first leaves its
    first range; patience counts only epochs with every read at 1 and the model kept is one of
    them; without the ramp the factors stay; never growing while the range does not."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    longest, small = _record_curriculum(monkeypatch, epochs=6)
    scales = _record_fit(monkeypatch, lambda model, X, kw: model.models[0].read_scale)
    run = {**small, "memory": "deque", "read_scale": (0.0, 1.0), "patience": 1}
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 1, "fine": 1})
    # sources up to 10, 18, 26, then the whole range 2-30 from epoch 3 on
    r = transduction_run("copy", read_ramp=3, **run)
    assert scales == [(0.0, 1.0), (1 / 3, 1.0), (2 / 3, 1.0), (1.0, 1.0)]
    assert r["epochs"] == 4 and r["read_scale"] == [1.0, 1.0]  # epoch 2 (2/3) did not count
    scales.clear()
    r = transduction_run("copy", **run)  # no ramp: the factors stay
    assert scales == [(0.0, 1.0)] * 6 and r["read_scale"] == [0.0, 1.0]
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 0, "fine": 0})
    scales.clear()
    r = transduction_run("copy", read_ramp=1, **run)  # the range never grows: nor the read
    assert scales == [(0.0, 1.0)] * 6 and r["read_scale"] == [0.0, 1.0]
    # a stall restart (stall_after) starts the ramp over: right only in epoch 0, so 2-18 from
    # epoch 1, the ramp at 1/3 and 2/3, the restart at epoch 3 back on 2-10 with the top hidden
    monkeypatch.setattr(
        tasks,
        "transduction_accuracy",
        lambda Y, data: {"coarse": float(len(scales) == 1), "fine": float(len(scales) == 1)},
    )
    scales.clear()
    r = transduction_run("copy", read_ramp=3, stall_after=2, **run)
    assert r["stall_restarts"] == 1
    assert scales == [(0.0, 1.0), (1 / 3, 1.0), (2 / 3, 1.0)] + [(0.0, 1.0)] * 3
    for bad in (
        {"read_ramp": 2},  # no read_scale
        {"read_ramp": 0, "read_scale": 0.5},
        {"read_ramp": 2, "read_scale": 0.5, "curriculum": None},
        {"read_scale": 1.5},
    ):
        with pytest.raises(ValueError, match="read_"):
            transduction_run("copy", **{**small, "memory": "deque", **bad})
    with pytest.raises(ValueError, match="read_scale"):
        transduction_run("copy", **{**small, "memory": "lstm", "read_scale": 0.5})


def test_pushdown_reference_keep_saves_the_tested_model(monkeypatch, tmp_path):
    """``pushdown_reference.py neural_stack ... --keep DIR`` saves the trained model's
    parameters (npz, the names of ``model.params``), and those parameters, loaded into a fresh
    controller and readout, give the test accuracy the run recorded; without ``--keep`` nothing
    is saved and the record is the same."""
    import json

    from recurrent_zoo._core.layers import Linear
    from recurrent_zoo._core.sequence import Stacked
    from recurrent_zoo.neural_stack import transduction_run
    from recurrent_zoo.tasks import transduction, transduction_accuracy

    spec = importlib.util.spec_from_file_location(
        "pushdown_reference", ROOT / "benchmarks" / "pushdown_reference.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "RESULTS", tmp_path)
    monkeypatch.setattr(script, "LOG", tmp_path / "log.jsonl")
    small = {
        "hidden_size": 4,
        "value_size": 3,
        "vocab_size": 5,
        "train_lengths": [2, 6],
        "test_lengths": [7, 9],
        "epochs": 3,
        "sequences_per_epoch": 20,
        "batch_size": 5,
        "curriculum": None,
        "n_validation": 10,
        "n_test": 12,
    }
    args = ["neural_stack", "reversal", "--seeds", "3", "--settings", json.dumps(small)]
    script.main([*args, "--keep", str(tmp_path / "models")])
    script.main(args)
    kept, plain = (json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines())
    assert "model" not in kept and "test" not in kept
    for key in ("coarse", "fine", "val_coarse", "val_fine", "epochs"):
        assert kept[key] == plain[key]
    saved = np.load(tmp_path / "models" / "reversal_stack_seed3.npz")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["reversal_stack_seed3.npz"]
    test = transduction("reversal", 12, 7, 9, seed=3 + 600_000, vocab_size=5)
    model = Stacked([NeuralStack(test.inputs.shape[2], 4, value_size=3), Linear(4, 6)])
    assert sorted(saved.files) == sorted(model.params)
    same = transduction_run("reversal", "stack", seed=3, keep_model=True, **small)["model"]
    for name, value in model.params.items():
        assert np.array_equal(saved[name], same.params[name]), name  # the run's model
        value[...] = saved[name]
    Y, _ = model.forward(test.inputs, lengths=test.lengths)
    assert transduction_accuracy(Y, test)["fine"] == kept["fine"]
    assert 0.0 < kept["fine"] < 1.0  # a partly trained net: a wrong model would not match


def test_transduction_run_full_lr(monkeypatch):
    """``transduction_run(full_lr=r)``: the optimizer runs at ``r`` in the epochs on the whole
    range of training lengths and at ``lr`` before (and again after a restart, whose fresh
    optimizer starts on the first range); off by default, and bit for bit the run without it
    when it never acts; bad values name the argument."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    seen = _record_fit(  # each epoch's longest source and rate
        monkeypatch, lambda model, X, kw: (_longest(kw), kw["optimizer"].lr)
    )
    small = _tiny_adaptive(18, epochs=4, patience=10, lr=0.02, seed=2)
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 1, "fine": 1})
    transduction_run("reversal", "stack", full_lr=0.005, **small)
    # sources up to 10, then up to 18 = the whole range from the second epoch on
    assert [r for _, r in seen] == [0.02, 0.005, 0.005, 0.005]
    assert seen[0][0] <= 10 < min(n for n, _ in seen[1:])
    seen.clear()
    transduction_run("reversal", "stack", full_lr=0.005, **{**small, "curriculum": None})
    assert [r for _, r in seen] == [0.005] * 4
    seen.clear()
    transduction_run("reversal", "lstm", full_lr=0.005, **{**small, "curriculum": 8})
    assert [r for _, r in seen] == [0.02, 0.005, 0.005, 0.005]  # a fixed curriculum: 2-10, 2-18
    # a stall restart at epoch 3 (2-18 not learnt for 2 epochs after 2-10 was): the new
    # attempt runs at lr on its first ranges and at full_lr once it reaches the whole range
    right = {0, 3, 4}

    def accuracy(Y, data):
        c = float(len(seen) - 1 in right)
        return {"coarse": c, "fine": c}

    monkeypatch.setattr(tasks, "transduction_accuracy", accuracy)
    seen.clear()
    small3 = _tiny_adaptive(26, epochs=7, patience=10, lr=0.02, seed=2)
    r = transduction_run("reversal", "stack", full_lr=0.005, stall_after=2, **small3)
    assert r["stall_restarts"] == 1
    assert [r for _, r in seen] == [0.02] * 5 + [0.005] * 2  # 2-26 from epoch 5
    # off by default; never acting (the range never reaches the whole) it changes nothing
    monkeypatch.undo()
    short = {**small, "epochs": 2}
    plain = transduction_run("reversal", "stack", **{**short, "curriculum": 2})
    ruled = transduction_run("reversal", "stack", full_lr=0.5, **{**short, "curriculum": 2})
    for key in ("coarse", "fine", "val_coarse", "val_fine", "curve", "epochs"):
        assert plain[key] == ruled[key]
    ruled = transduction_run("reversal", "stack", full_lr=0.02, **small)  # = lr: the same run
    plain = transduction_run("reversal", "stack", **small)
    for key in ("coarse", "fine", "val_coarse", "val_fine", "curve", "epochs"):
        assert plain[key] == ruled[key]
    for bad, err in (
        (0.0, ValueError),
        (-0.1, ValueError),
        (float("nan"), ValueError),
        ("0.1", TypeError),
        (True, TypeError),
    ):
        with pytest.raises(err, match="full_lr"):
            transduction_run("reversal", "stack", full_lr=bad, **short)


def test_transduction_run_read_ramp_at(monkeypatch):
    """``read_ramp_at=n``: the ramp starts at the first epoch whose range reaches sources of
    ``n`` symbols (ranges 2-10, 18, 26, then 30), not at the first extension; ``n`` just past
    the first range is the default, result for result; bad values name the argument."""
    import recurrent_zoo.tasks as tasks
    from recurrent_zoo.neural_stack import transduction_run

    longest, small = _record_curriculum(monkeypatch, epochs=6)
    scales = _record_fit(monkeypatch, lambda model, X, kw: model.models[0].read_scale)
    run = {**small, "memory": "deque", "read_scale": (0.0, 1.0), "patience": 1, "read_ramp": 2}
    monkeypatch.setattr(tasks, "transduction_accuracy", lambda Y, data: {"coarse": 1, "fine": 1})
    hidden, half, full = (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)
    curves = {}
    for at, expected in (
        (None, [hidden, half, full]),  # the default: from the first extension (sources 2-18)
        (11, [hidden, half, full]),
        (18, [hidden, half, full]),
        (19, [hidden, hidden, half, full]),  # 2-26 is the first range reaching 19
        (26, [hidden, hidden, half, full]),
        (30, [hidden, hidden, hidden, half, full]),  # only on the whole range 2-30
    ):
        scales.clear()
        r = transduction_run("copy", read_ramp_at=at, **run)
        assert scales == expected, at
        assert r["epochs"] == len(expected) and r["read_scale"] == [1.0, 1.0]
        curves[at] = (r["curve"], r["coarse"], r["fine"])
    assert curves[11] == curves[None]  # just past the first range: the default, bit for bit
    tiny = {**run, "epochs": 1}
    for bad in (
        {"read_ramp_at": 20, "read_ramp": None},  # no ramp to start
        {"read_ramp_at": 10},  # the first range's end: not past it
        {"read_ramp_at": 31},  # past the training lengths
        {"read_ramp_at": 0},
    ):
        with pytest.raises(ValueError, match="read_ramp_at"):
            transduction_run("copy", **{**tiny, **bad})
    with pytest.raises(TypeError, match="read_ramp_at"):
        transduction_run("copy", **{**tiny, "read_ramp_at": 20.0})
