"""Joulin & Mikolov's own training recipe for the Stack RNN (``stack_rnn.joulin_run``).

Reference: their released code, facebookarchive/Stack-RNN (``StackRNN.h``: the forward step,
the truncated backward of the newest symbol's error with clipping at 15, the SGD update;
``train_toy.cpp``: the stream, the curriculum, the back-up model, the test score; ``task.h``:
the strings). The forward is checked against their equations written element by element
here, the truncated gradient against central finite differences of the loss recomputed over
the window it covers (float64), the trained model against :class:`StackRNN`, and the score
against their test loop transcribed (flags ``iseval``, ``corr``, ``sseq``).
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo.stack_rnn import (
    EMPTY,
    JOULIN_TASKS,
    _as_stack_rnn,
    _joulin_scores,
    _joulin_test,
    _SGDStacks,
    joulin_run,
    joulin_string,
)
from recurrent_zoo.testing import numerical_gradient

TINY = {
    "hidden_size": 4,
    "n_stacks": 2,
    "stack_size": 8,
    "bptt": 6,
    "n_max": 5,
    "strings_per_epoch": 15,
    "max_epochs": 3,
    "validation_strings": 10,
    "test_strings": 3,
    "test_max": 7,
}


def reference_losses(params, m, S0, symbols, cur0, first_read=None):
    """Their forward (StackRNN.h) for model ``m``, one element at a time, from stacks ``S0``
    ``(K, D)``; the log-loss of each step's observed symbol. ``first_read``: the read weights
    used by the first step only (their backward holds the oldest step's read fixed)."""
    U, P, A, V, W = (p[m] for p in params)
    _H, K, k = P.shape[0], P.shape[1], P.shape[2]
    D = S0.shape[1]
    NA = A.shape[0] // K
    S, cur, losses = S0.copy(), cur0, []
    for t, nxt in enumerate(symbols):
        Pr = first_read[m] if (first_read is not None and t == 0) else P
        a = U[:, cur].copy()
        for s in range(K):
            for d in range(k):
                a += Pr[:, s, d] * S[s, d]
        h = 1.0 / (1.0 + np.exp(-a))
        new = np.zeros_like(S)
        for s in range(K):
            z = A[s * NA : (s + 1) * NA] @ h
            act = np.exp(z) / np.exp(z).sum()
            value = 1.0 / (1.0 + np.exp(-(V[s] @ h)))
            for i in range(D):
                above = value if i == 0 else S[s, i - 1]
                below = EMPTY if i == D - 1 else S[s, i + 1]
                new[s, i] = act[0] * above + act[1] * below
                if NA == 3:
                    new[s, i] += act[2] * S[s, i]
        S = new
        o = W @ h
        o = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
        losses.append(-np.log(o[nxt]))
        cur = nxt
    return losses


def make_nets(no_op=False, bptt=6, seeds=(3, 4)):
    return _SGDStacks(3, 4, 2, 7, 2, no_op, bptt, list(seeds))


def walk(nets, symbols, cur0=2):
    """Steps through ``symbols`` without learning, a backward pass after each; the last one's
    directions and every step's output."""
    cur = np.full(nets.M, cur0)
    outs, grads = [], None
    for s in symbols:
        nxt = np.full(nets.M, s)
        outs.append(nets.step(cur, nxt))
        grads = nets.gradient()
        cur = nxt
    return grads, outs


@pytest.mark.parametrize("no_op", [False, True])
def test_forward_matches_their_equations(no_op):
    nets = make_nets(no_op)
    nets.reset(np.ones(2, dtype=bool))
    symbols = [0, 0, 1, 1, 2, 0, 1]
    _, outs = walk(nets, symbols)
    for m in range(2):
        ref = reference_losses(nets.params, m, np.full((2, 7), EMPTY), symbols, 2)
        got = [-np.log(o[m, s]) for o, s in zip(outs, symbols, strict=True)]
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def fd_check(nets, loss, grads, skip=()):
    """Central differences of ``loss`` against minus the directions ``grads``."""
    for i, (p, g) in enumerate(zip(nets.params, grads, strict=True)):
        if i in skip:
            continue
        num = numerical_gradient(loss, p)
        err = np.abs(num + g).max() / max(np.abs(num).max(), 1e-12)
        assert err <= 1e-6, f"parameter {i}: relative error {err:.2e}"
        assert np.abs(num).max() > 1e-6  # the check compares something


@pytest.mark.parametrize("no_op", [False, True])
def test_truncated_gradient_since_the_stacks_were_emptied(no_op):
    """Fewer steps than bptt since the stacks were emptied: the exact gradient of the newest
    symbol's loss (weights fixed, so the stored steps are those the weights give)."""
    nets = make_nets(no_op, bptt=8)
    walk(nets, [0, 1, 1, 0])  # a stream before the emptying: its state must not leak in
    nets.reset(np.ones(2, dtype=bool))
    symbols = [0, 0, 0, 1, 1]
    grads, _ = walk(nets, symbols)
    assert (nets.count == 5).all()

    def loss():
        return sum(
            reference_losses(nets.params, m, np.full((2, 7), EMPTY), symbols, 2)[-1]
            for m in range(2)
        )

    fd_check(nets, loss, grads)


@pytest.mark.parametrize("no_op", [False, True])
def test_truncated_gradient_over_a_carried_stream(no_op):
    """More steps than bptt: the gradient of the newest loss recomputed over the last bptt
    steps from the stored (carried) stacks, the oldest step's read held, as their code does."""
    bptt = 4
    nets = make_nets(no_op, bptt=bptt)
    nets.reset(np.ones(2, dtype=bool))
    symbols = [0, 0, 0, 1, 1, 1, 0, 0, 1, 2, 1]
    grads, _ = walk(nets, symbols)
    start = nets.S[(nets.t - bptt) % nets.R][:, :, :-1].copy()  # (M, K, D) before the window
    assert np.abs(start - EMPTY).max() > 0.1  # a carried state, not empty stacks
    held = nets.P.copy()

    def loss():
        return sum(
            reference_losses(
                nets.params, m, start[m], symbols[-bptt:], symbols[-bptt - 1], first_read=held
            )[-1]
            for m in range(2)
        )

    fd_check(nets, loss, grads)


def test_models_are_independent_and_the_update_is_their_sgd():
    """Each model's directions depend on its own stream only; the update adds rate * them."""
    nets = make_nets()
    nets.reset(np.ones(2, dtype=bool))
    cur = np.array([2, 2])
    for a, b in [(0, 1), (0, 0), (1, 0)]:
        nets.step(cur, np.array([a, b]))
        g = nets.gradient()
        cur = np.array([a, b])
    alone = make_nets(seeds=(4,))
    alone.reset(np.ones(1, dtype=bool))
    c1 = np.array([2])
    for b in [1, 0, 0]:
        alone.step(c1, np.array([b]))
        g1 = alone.gradient()
        c1 = np.array([b])
    for x, y in zip(g, g1, strict=True):
        np.testing.assert_allclose(x[1], y[0], rtol=1e-10, atol=1e-14)
    before = [p.copy() for p in nets.params]
    nets.update(g, np.array([0.1, 0.0]))
    for p, q, d in zip(nets.params, before, g, strict=True):
        np.testing.assert_allclose(p[0], q[0] + 0.1 * d[0])
        assert np.array_equal(p[1], q[1])


def test_clipping_at_15():
    """Huge output weights: the hidden error is clipped at 15 before the sigmoid's slope."""
    nets = make_nets(seeds=(1,))
    nets.W *= 1e4
    nets.reset(np.ones(1, dtype=bool))
    nets.step(np.array([2]), np.array([1]))
    gU = nets.gradient()[0]
    h = nets.h[nets.t][0]
    assert np.all(np.abs(gU[0][:, 2]) <= 15 * h * (1 - h) + 1e-12)
    assert np.abs(gU[0][:, 2]).max() > 1.0


def test_their_strings():
    rng = np.random.default_rng(0)
    for _ in range(50):
        s = joulin_string("anbmcnm", 2, 6, rng)
        n, m, c = (s == 0).sum(), (s == 1).sum(), (s == 2).sum()
        assert n >= 1 and m >= 1 and c == n + m and 2 <= c <= 5
        assert list(s) == sorted(s)
        s = joulin_string("anbncndn", 2, 4, rng)
        assert len(s) in (8, 12) and list(s) == sorted(s)
        s = joulin_string("anb2n", 5, 6, rng)
        assert list(s) == [0] * 5 + [1] * 10


def their_test_loop(strings, right_one, per_block, trigger):
    """train_toy's test loop for one model, with its flags (a transcription, task 1-3)."""
    acc, p = [], 0
    for block in range(len(strings) // per_block):
        corr = sseq = ecorr = neval = 0
        iseval = False
        for iseq in range(per_block):
            s = strings[block * per_block + iseq]
            for ip, nxt in enumerate(s):
                ok = bool(right_one[p])
                if ip == 0:
                    if iseq != 0:
                        neval += 1
                        if corr == sseq and ok:
                            ecorr += 1
                    sseq = corr = 0
                    iseval = False
                if iseval and ok:
                    corr += 1
                if iseval:
                    sseq += 1
                if nxt == trigger and (ip > 0 and s[ip - 1] == trigger - 1):
                    iseval = True
                p += 1
        acc.append(ecorr / neval)
    return acc


def test_score_is_their_test_loop():
    rng = np.random.default_rng(5)
    for task in ("anbn", "anbmcnm"):
        trigger = JOULIN_TASKS[task][2]
        strings = [joulin_string(task, n, n + 1, rng) for n in range(2, 8) for _ in range(4)]
        T = sum(len(s) for s in strings)
        right = rng.random((3, T)) < 0.97
        got = _joulin_scores(strings, right, 4, trigger)
        for m in range(3):
            np.testing.assert_allclose(got[m], their_test_loop(strings, right[m], 4, trigger))
        assert got.min() < 1.0  # some strings wrong, so the comparison bites


def test_trained_model_is_a_stack_rnn():
    """The model joulin_run returns (a StackRNN, pop's action row subtracted) predicts what
    the recipe's own nets predict."""
    r = joulin_run("anbncn", [2], keep_models=True, **TINY)[0]
    model = r["model"]
    nets = make_nets(seeds=(0,))
    nets.__init__(3, 4, 2, 8, 2, False, 6, [0])
    core = model.models[0]
    nets.U[0] = core.params["weight_ih"]
    nets.P[0] = core.params["weight_sh"].transpose(1, 0, 2)
    rows = np.zeros((2, 2, 4))
    rows[:, 0] = core.params["weight_action"][:, 0]
    nets.A[0] = rows.reshape(4, 4)
    nets.V[0] = core.params["weight_push"]
    nets.W[0] = model.models[1].params["weight"]
    s = [0, 0, 1, 1, 2, 2, 0, 1, 2]
    nets.reset(np.ones(1, dtype=bool))
    cur, outs = 2, []
    for x in s:
        outs.append(nets.step(np.array([cur]), np.array([x]))[0])
        cur = x
    X = np.eye(3)[[2] + s[:-1]][:, None, :]
    Y, _ = model.forward(X)
    Y = np.exp(Y - Y.max(axis=2, keepdims=True))
    np.testing.assert_allclose(Y[:, 0] / Y[:, 0].sum(axis=1, keepdims=True), outs, rtol=1e-10)


def test_run_empties_the_stacks_after_the_steps_given():
    """After an emptying at step k the models go on exactly as a fresh run of the stream
    from k whose first step is emptied (no hidden-to-hidden weights: the stacks are the
    whole state); without it they do not."""
    rng = np.random.default_rng(3)
    stream = np.concatenate([joulin_string("anbncn", 2, 6, rng) for _ in range(6)])
    nets, k = make_nets(), 11
    real, prob, right = nets.run([stream, stream], False, [k])
    _, fresh, fresh_right = nets.run([stream[k:]] * 2, False, [0])
    np.testing.assert_array_equal(prob[:, k + 1 :], fresh[:, 1:])
    np.testing.assert_array_equal(right[:, k + 1 :], fresh_right[:, 1:])
    _, kept, _ = nets.run([stream, stream], False)
    np.testing.assert_array_equal(kept[:, : k + 1], prob[:, : k + 1])
    assert not np.allclose(kept[:, k + 1 :], prob[:, k + 1 :])
    assert real.all()


def test_empty_each_block_is_their_april_2015_test():
    """With empty_each_block, the test stream is that of the model (as a StackRNN) replayed
    with its stacks emptied after the first step of each n's block (their code up to
    460be1c); without it, only emptied before the first step. The validation stream's first
    step is emptied too, so training differs."""
    nets = make_nets(seeds=(3, 4))
    rights = []
    for empty in (False, True):
        strings, right = _joulin_test(nets, "anbncn", 3, 7, False, empty)
        stream = np.concatenate(strings)
        X = np.eye(3)[np.concatenate([[2], stream[:-1]])][:, None, :]
        starts = np.concatenate([[0], np.cumsum([len(s) for s in strings])])[:-1:3]
        bounds = [*starts, len(stream)] if empty else [0, len(stream)]
        for m in range(2):
            core, readout = _as_stack_rnn(nets, m).models
            state, Z = None, []
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                Y, (h, S) = core.forward(X[a : a + 1], state)
                Z.append(Y)
                Y, state = core.forward(X[a + 1 : b], (h, np.full_like(S, EMPTY)))
                Z.append(Y)
            logits, _ = readout.forward(np.concatenate(Z))
            np.testing.assert_array_equal(right[m], logits[:, 0].argmax(axis=1) == stream)
        rights.append(right)
    assert (rights[0] != rights[1]).any()  # the emptying changes what is predicted
    kw = {**TINY, "max_epochs": 2}
    r = joulin_run("anbncn", [4], empty_each_block=True, **kw)[0]
    assert r["empty_each_block"] is True
    plain = joulin_run("anbncn", [4], **kw)[0]
    assert plain["validation_curve"] != r["validation_curve"]
    assert plain["empty_each_block"] is False
    with pytest.raises(TypeError, match="empty_each_block must be a bool"):
        joulin_run("anbn", [0], empty_each_block=1, **kw)


@pytest.mark.parametrize("every", [1, 4, 1000])
def test_reset_every_empties_the_stacks_before_every_kth_training_string(monkeypatch, every):
    """Training empties the stacks (their ``emptyStacks``) before the first step and after it
    (their ``ip == 0 && iseq == 0``), then before the first symbol of every
    ``reset_every``-th training string of the stream (their ``-nreset``), nowhere else."""
    import recurrent_zoo.stack_rnn as module

    made, steps, emptied, training = [], [0], [], [True]

    def string(*args):
        x = joulin_string(*args)
        made.append(len(x))
        return x

    def step(self, *args, **kwargs):
        steps[0] += 1
        return plain_step(self, *args, **kwargs)

    def reset(self, which):
        if training[0]:
            emptied.append(steps[0])
        return plain_reset(self, which)

    def run(self, *args, **kwargs):
        training[0] = False  # the validation stream: training's epoch is over
        return plain_run(self, *args, **kwargs)

    plain_step, plain_reset, plain_run = _SGDStacks.step, _SGDStacks.reset, _SGDStacks.run
    monkeypatch.setattr(module, "joulin_string", string)
    monkeypatch.setattr(_SGDStacks, "step", step)
    monkeypatch.setattr(_SGDStacks, "reset", reset)
    monkeypatch.setattr(_SGDStacks, "run", run)
    kw = {**TINY, "max_epochs": 1}
    joulin_run("anbncn", [4], reset_every=every, **kw)
    lengths = made[: kw["strings_per_epoch"]]  # the epoch's training strings come first
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    assert emptied == [0, 0, 1, *(int(t) for t in starts[::every][1:])]
    assert len(emptied) == 3 + (kw["strings_per_epoch"] - 1) // every


def test_same_seed_same_run_bit_for_bit():
    a = joulin_run("anbn", [7, 8], keep_models=True, **TINY)
    b = joulin_run("anbn", [7, 8], keep_models=True, **TINY)
    for x, y in zip(a, b, strict=True):
        for key in ("per_n", "validation_curve", "updates", "epochs", "lr", "validation_loss"):
            assert x[key] == y[key]
        for name, v in x["model"].params.items():
            assert np.array_equal(v, y["model"].params[name])
    c = joulin_run("anbn", [9], **TINY)[0]
    assert c["validation_curve"] != a[0]["validation_curve"]
    assert a[0]["finite"] and a[0]["epochs"] == 3 and a[0]["updates"] > 100


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"task": "abc"}, ValueError, "task must be one of"),
        ({"seeds": 3}, TypeError, "seeds must be a sequence"),
        ({"seeds": [-1]}, ValueError, "seeds must be an integer >= 0"),
        ({"seeds": []}, ValueError, "at least one seed"),
        ({"lr": 0.0}, ValueError, "lr must lie in"),
        ({"lr": "fast"}, TypeError, "lr must be a real number"),
        ({"test_strings": 1}, ValueError, "test_strings must be an integer >= 2"),
        ({"n_max": 2}, ValueError, "n_max must be an integer >= 3"),
        ({"bptt": 0}, ValueError, "bptt must be an integer >= 1"),
        ({"hidden_size": 2.5}, TypeError, "hidden_size must be an integer"),
        ({"read_depth": 9}, ValueError, "read_depth must be <= stack_size"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"task": "anbn", "seeds": [0], **TINY, **kwargs}
    with pytest.raises(error, match=match):
        joulin_run(**args)


def test_bad_string_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="task must be one of"):
        joulin_string("anbm", 2, 5, rng)
    with pytest.raises(ValueError, match="n_min < n_max"):
        joulin_string("anbmcnm", 1, 5, rng)
    with pytest.raises(ValueError, match="n_min < n_max"):
        joulin_string("anbn", 4, 4, rng)
