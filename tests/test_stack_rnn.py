"""StackRNN: Joulin & Mikolov's equations by hand, a programmed a^n b^n solver, rounding.

Reference behaviour (Joulin & Mikolov 2015, NIPS; their code, facebookarchive/Stack-RNN): a
sigmoid recurrent net with a continuous stack read two deep predicts the deterministic part of
a^n b^n for every n. Programmed by hand here (three hidden units, one stack), it does so for
n = 1..60; the trained Stack RNN's numbers against their Table 1 are in
benchmarks/results/pushdown_reference.txt (benchmarks/pushdown_reference.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked, get_entry
from recurrent_zoo.stack_rnn import (
    COUNTING_TASKS,
    EMPTY,
    StackRNN,
    compare_run,
    counting_run,
    counting_task,
)
from recurrent_zoo.tasks import deterministic_accuracy
from recurrent_zoo.testing import gradient_errors


def naive_forward(net: StackRNN, X: np.ndarray) -> np.ndarray:
    """Joulin & Mikolov's equations, one sequence, stack and element at a time."""
    p = net.params
    T, B, _ = X.shape
    H, K, D, k, A = net.hidden_size, net.n_stacks, net.stack_size, net.read_depth, net.n_actions
    Y = np.zeros((T, B, H))
    for b in range(B):
        h = np.zeros(H)
        S = np.full((K, D), EMPTY)
        for t in range(T):
            a = p["weight_ih"] @ X[t, b] + (p["bias_h"] if net.bias else 0.0)
            if net.recurrent:
                a = a + p["weight_hh"] @ h
            for s in range(K):
                a = a + p["weight_sh"][s] @ S[s, :k]
            h = 1.0 / (1.0 + np.exp(-a))
            new = np.empty_like(S)
            for s in range(K):
                logits = np.zeros(A)  # push, pop (fixed 0), no-op
                free = [0, 2][: A - 1]
                logits[free] = p["weight_action"][s] @ h + (p["bias_action"][s] if net.bias else 0)
                act = np.exp(logits) / np.exp(logits).sum()
                z = p["weight_push"][s] @ h + (p["bias_push"][s] if net.bias else 0.0)
                value = 1.0 / (1.0 + np.exp(-z))
                for i in range(D):
                    above = value if i == 0 else S[s, i - 1]
                    below = EMPTY if i == D - 1 else S[s, i + 1]
                    new[s, i] = act[0] * above + act[1] * below
                    if A == 3:
                        new[s, i] += act[2] * S[s, i]
            S = new
            Y[t, b] = h
    return Y


@pytest.mark.parametrize(
    "options",
    [{}, {"no_op": True, "recurrent": True, "bias": True, "read_depth": 3}],
)
def test_forward_is_the_papers_equations(options):
    net = StackRNN(3, 5, n_stacks=2, stack_size=6, seed=2, **options)
    X = np.eye(3)[np.random.default_rng(0).integers(0, 3, size=(8, 2))]
    Y, _ = net.forward(X)
    np.testing.assert_allclose(Y, naive_forward(net, X), rtol=1e-12, atol=1e-14)


def programmed_anbn(stack_size: int = 64, strength: float = 10.0):
    """Three sigmoid units and one stack solving a^n b^n (inputs S, a, b; outputs a, b, T).

    h0 fires on "a" (push a 1), h1 on "b" when the element below the top is not empty (pop;
    predict "b"), h2 on "b" when it is (pop; predict the end). Any other input pops, which
    leaves an empty stack empty.
    """
    H = strength
    net = StackRNN(3, 3, n_stacks=1, stack_size=stack_size, read_depth=2, bias=True, seed=0)
    p = net.params
    for v in p.values():
        v[...] = 0.0
    a, b = 1, 2  # input channels (0 = S)
    p["weight_ih"][0, a], p["bias_h"][0] = H, -H / 2
    p["weight_ih"][1, b], p["weight_sh"][0, 1, 1], p["bias_h"][1] = H, H, -1.5 * H
    p["weight_ih"][2, b], p["weight_sh"][0, 2, 1], p["bias_h"][2] = H, -H, -1.5 * H
    p["bias_push"][0] = H
    p["weight_action"][0, 0, 0], p["bias_action"][0, 0] = H, -H / 2
    out = Linear(3, 3, seed=0)
    out.params["weight"][...] = [[0, 0, 0], [0, 5, 0], [0, 0, 5]]
    out.params["bias"][...] = [1, 0, 0]
    return net, Stacked([net, out])


def test_programmed_net_solves_anbn_up_to_60():
    net, model = programmed_anbn()
    data = counting_task("anbn", 60)
    Y, _ = model.forward(data.inputs, lengths=data.lengths)
    assert deterministic_accuracy(Y, data) == 1.0
    # the stack holds one 1 per unmatched a: after S a a a b, two
    S = net.stacks(data.inputs[:5, 2:3])
    np.testing.assert_allclose(S[5, 0, 0, :3], [1.0, 1.0, EMPTY], atol=0.05)  # soft actions
    # rounding the actions changes nothing when they are already discrete
    net.rounding = True
    Y2, _ = model.forward(data.inputs, lengths=data.lengths)
    assert deterministic_accuracy(Y2, data) == 1.0


def test_rounding_gives_one_hot_actions_and_their_gradient():
    net = StackRNN(3, 4, n_stacks=2, stack_size=5, no_op=True, rounding=True, seed=0)
    X = np.eye(3)[np.random.default_rng(1).integers(0, 3, size=(6, 2))]
    acts = net.actions(X)
    assert set(np.unique(acts)) <= {0.0, 1.0}
    np.testing.assert_array_equal(acts.sum(axis=-1), 1.0)
    # the rounded net is piecewise smooth: its backward pass is that of the piece
    errors = gradient_errors(net, X)
    assert max(errors.values()) < 1e-6, errors
    np.testing.assert_array_equal(net.grads["weight_action"], 0.0)


def test_counting_tasks():
    assert sorted(COUNTING_TASKS) == ["anb2n", "anbmcnm", "anbn", "anbncn", "anbncndn"]
    d = counting_task("anbncndn", 2)
    assert d.info["input_alphabet"] == ["S", "a", "b", "c", "d"]
    assert d.inputs[:, 1].argmax(-1).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="task"):
        counting_task("abc", 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="read_depth"):
        StackRNN(2, 3, stack_size=2, read_depth=3)
    with pytest.raises(ValueError, match="stack_size"):
        StackRNN(2, 3, stack_size=1)
    with pytest.raises(ValueError, match="n_stacks"):
        StackRNN(2, 3, n_stacks=0)


def test_compare_run_quick():
    r = compare_run(quick=True, seed=0)
    assert r["task"] == "anbn" and np.isfinite(r["curve"]).all()
    assert 0.0 <= r["value"] <= 100.0
    assert r["details"]["validation"] > 0.0  # it learns on the training range


def test_catalogue_entry():
    entry = get_entry("stack_rnn")
    assert entry.cls is StackRNN and entry.family == "memory-augmented"


def test_entropy_selection_keeps_the_lowest_validation_entropy():
    """Joulin & Mikolov's back-up model: the stage of lowest validation entropy (rounded)."""
    from recurrent_zoo.tasks import next_symbol_distributions

    tiny = {
        "hidden_size": 4,
        "n_stacks": 1,
        "stack_size": 16,
        "train_max": 4,
        "test_max": 6,
        "stage_sequences": 10,
        "extra_stages": 3,
        "lr": 1.0,  # a rate high enough that the last stage is not the best
    }
    r = counting_run("anbn", seed=0, selection="entropy", halving=False, keep_model=True, **tiny)
    losses = r["validation_curve"]
    assert len(losses) == 4 and r["validation_loss_rounding"] == min(losses) != losses[-1]
    # stages with n <= 3, n <= 4, then 3 more at 4, 2 updates each
    assert np.isfinite(r["curve"]).all() and r["updates"] == 5 * 2
    model, core = r["model"], r["model"].models[0]
    val = counting_task("anbn", 4, 1)
    core.rounding = True
    Y, _ = model.forward(val.inputs, lengths=val.lengths)
    logp = Y - np.log(np.exp(Y).sum(axis=2, keepdims=True))
    loss = -(next_symbol_distributions(val) * logp).sum() / val.mask.sum()
    assert loss == pytest.approx(r["validation_loss_rounding"], rel=1e-12)
    with pytest.raises(ValueError, match="selection"):
        counting_run("anbn", selection="best", **tiny)
