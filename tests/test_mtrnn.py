"""MTRNN: time constants, connectivity, learned initial slow states, two generated patterns."""

import numpy as np
import pytest

from recurrent_zoo.mtrnn import MTRNN, compare_run, train_two_patterns
from recurrent_zoo.testing import gradient_errors, numerical_gradient, relative_error


def _zero_weights(net):
    for p in net.params.values():
        p[...] = 0.0


def test_paper_time_constants_are_the_defaults():
    """Yamashita & Tani (2008): tau = 2 (input-output), 5 (fast), 70 (slow). With every weight
    and bias zero, each group's potential decays by exactly (1 - 1/tau) per step."""
    net = MTRNN(1, 4, 3, output_size=2)
    assert (net.tau_io, net.tau_fast, net.tau_slow) == (2.0, 5.0, 70.0)
    _zero_weights(net)
    state = (np.ones((1, 2)), np.ones((1, 4)), np.ones((1, 3)))
    _, (u_io, u_fast, u_slow) = net.forward(np.zeros((10, 1, 1)), state)
    np.testing.assert_allclose(u_io, 0.5**10)
    np.testing.assert_allclose(u_fast, 0.8**10)
    np.testing.assert_allclose(u_slow, (1 - 1 / 70) ** 10)


def test_input_output_and_slow_groups_are_not_connected():
    rng = np.random.default_rng(0)
    net = MTRNN(2, 5, 3, output_size=2, seed=0)
    assert net.params["weight_io"].shape == (2, 2 + 5)  # inputs and fast units only
    assert net.params["weight_fast"].shape == (5, 2 + 5 + 3)
    assert net.params["weight_slow"].shape == (3, 5 + 3)  # fast and slow units only
    X = rng.normal(size=(1, 4, 2))
    state = tuple(rng.normal(size=(4, n)) for n in (2, 5, 3))
    Y, (u_io, u_fast, u_slow) = net.forward(X, state)
    # the slow state does not reach the outputs in one step (only through the fast units)...
    moved = (state[0], state[1], state[2] + 5.0)
    Y2, (_, u_fast2, _) = net.forward(X, moved)
    np.testing.assert_array_equal(Y2, Y)
    assert np.abs(u_fast2 - u_fast).max() > 1e-3
    # ...nor do the inputs reach the slow units in one step
    _, (_, _, u_slow3) = net.forward(X + 5.0, state)
    np.testing.assert_array_equal(u_slow3, u_slow)
    # and the output does reach the slow units only after two steps
    Y4, _ = net.forward(np.zeros((3, 4, 2)), moved)
    Y5, _ = net.forward(np.zeros((3, 4, 2)), state)
    np.testing.assert_array_equal(Y4[0], Y5[0])
    assert np.abs(Y4[1] - Y5[1]).max() > 1e-4


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"context_activation": "tanh", "output_activation": "softmax", "output_size": 3},
        {"output_activation": "sigmoid", "tau_io": 1.0, "tau_fast": 2.0, "tau_slow": 9.0},
    ],
)
def test_gradients(kwargs):
    rng = np.random.default_rng(1)
    net = MTRNN(2, 4, 3, n_sequences=3, seed=2, **kwargs)
    X = rng.normal(size=(6, 3, 2))
    state = tuple(rng.normal(size=(3, n)) for n in (net.output_size, 4, 3))
    for lengths in (None, np.array([6, 3, 1])):
        errors = gradient_errors(net, X, state, lengths, seed=4)
        assert max(errors.values()) < 1e-7, errors


def test_initial_slow_states_are_parameters_per_sequence():
    """forward(X, sequence_ids=ids) starts from initial_slow[ids]; backward trains those rows."""
    rng = np.random.default_rng(2)
    net = MTRNN(2, 4, 3, n_sequences=3, tau_slow=4.0, output_activation="tanh", seed=3)
    net.params["initial_slow"][...] = rng.normal(scale=2.0, size=(3, 3))
    X = rng.normal(size=(8, 4, 2))
    ids = np.array([2, 0, 2, 1])
    lengths = np.array([8, 5, 3, 8])
    R = rng.normal(size=(8, 4, 2))

    def loss():
        return float((R * net.forward(X, lengths=lengths, sequence_ids=ids)[0]).sum())

    loss()
    net.backward(R)
    analytic = net.grads["initial_slow"].copy()
    num = numerical_gradient(loss, net.params["initial_slow"])
    assert relative_error(analytic, num) < 1e-7
    assert np.all(np.abs(analytic).sum(axis=1) > 0)  # every row used is trained
    # the same as starting from the explicit state, whose gradient is state_grad
    state = (np.zeros((4, 2)), np.zeros((4, 4)), net.params["initial_slow"][ids])
    Y1, _ = net.forward(X, state, lengths)
    Y2, _ = net.forward(X, lengths=lengths, sequence_ids=ids)
    np.testing.assert_array_equal(Y1, Y2)
    # default: row 0 for everyone
    Y3, _ = net.forward(X)
    Y4, _ = net.forward(X, sequence_ids=[0, 0, 0, 0])
    np.testing.assert_array_equal(Y3, Y4)
    # an explicit state does not train initial_slow
    net.forward(X, state)
    net.backward(R)
    np.testing.assert_array_equal(net.grads["initial_slow"], 0.0)


def test_sequence_id_errors():
    net = MTRNN(2, 3, 2, n_sequences=2, seed=0)
    X = np.zeros((3, 2, 2))
    with pytest.raises(ValueError, match="sequence_ids"):
        net.forward(X, sequence_ids=[0, 2])
    with pytest.raises(ValueError, match="sequence_ids"):
        net.forward(X, sequence_ids=[0])
    with pytest.raises(TypeError, match="sequence_ids"):
        net.forward(X, sequence_ids=[0.5, 1.0])
    with pytest.raises(ValueError, match="state or sequence_ids"):
        net.forward(X, net.initial_state(2), sequence_ids=[0, 1])
    with pytest.raises(ValueError, match="tau_slow"):
        MTRNN(2, 3, 2, tau_slow=0.5)
    with pytest.raises(ValueError, match="output_activation"):
        MTRNN(2, 3, 2, output_activation="relu6")


def test_generate_is_closed_loop_forward():
    rng = np.random.default_rng(3)
    net = MTRNN(2, 5, 2, n_sequences=2, output_activation="sigmoid", seed=1)
    net.params["initial_slow"][...] = rng.normal(size=(2, 2))
    x0 = rng.uniform(size=(2, 2))
    Y, (U_io, U_fast, U_slow) = net.generate(6, x0, sequence_ids=[1, 0], return_state=True)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.ones((6, 2, 2)))  # generation is not differentiated
    x, state = x0, net.initial_state(2, [1, 0])
    for t in range(6):
        y, state = net.forward(x[None], state)
        np.testing.assert_allclose(Y[t], y[0], rtol=1e-14)
        x = y[0]
    np.testing.assert_allclose(U_slow[-1], state[2], rtol=1e-14)
    with pytest.raises(ValueError, match="output_size"):
        MTRNN(2, 3, 2, output_size=3).generate(3, np.zeros((1, 2)))


def test_two_patterns_from_two_slow_initial_states():
    """The paper's behaviour in miniature: one network, no input, two learned initial
    slow-context states; each generates its own periodic pattern (a circle and a figure
    eight, 3 periods of 20 steps), and the slow units vary more slowly than the fast ones."""
    net, target, curve = train_two_patterns(epochs=800, seed=0)
    assert curve[-1] < curve[0] / 100
    ids = np.array([0, 1])
    Y, _ = net.forward(np.zeros((60, 2, 1)), sequence_ids=ids)
    per_pattern = ((Y - target) ** 2).mean(axis=(0, 2))
    assert np.all(per_pattern < 1e-3)  # measured: about 1.3e-4 (pattern variance 0.08)
    # distinct: the two generated sequences differ as much as the patterns do
    assert ((Y[:, 0] - Y[:, 1]) ** 2).mean() > 0.5 * ((target[:, 0] - target[:, 1]) ** 2).mean()
    # swapping the initial slow states swaps the patterns: they alone select the behaviour
    Ys, _ = net.forward(np.zeros((60, 2, 1)), sequence_ids=ids[::-1])
    np.testing.assert_allclose(Ys[:, ::-1], Y, rtol=1e-12)
    # periodic: the third period repeats the second
    assert np.abs(Y[40:60] - Y[20:40]).max() < 0.05
    # the learned initial states differ, and slow context activations change less per step
    assert np.abs(net.params["initial_slow"][0] - net.params["initial_slow"][1]).max() > 0.5
    fast, slow = _context_traces(net, ids, 60)
    d_fast = np.abs(np.diff(fast, axis=0)).mean()
    d_slow = np.abs(np.diff(slow, axis=0)).mean()
    assert d_slow < d_fast / 3


def _context_traces(net, ids, T):
    state = net.initial_state(len(ids), ids)
    fast, slow = [], []
    for _ in range(T):
        _, state = net.forward(np.zeros((1, len(ids), 1)), state)
        f, s = net.context_activations(state)
        fast.append(f)
        slow.append(s)
    return np.array(fast), np.array(slow)


def test_compare_run_row():
    result = compare_run(quick=True, seed=1)
    assert result["passed"], result["value"]
    assert set(result) >= {
        "task",
        "metric",
        "value",
        "target",
        "target_source",
        "passed",
        "seconds",
    }


@pytest.mark.slow
def test_two_patterns_several_seeds():
    for seed in range(2, 5):
        result = compare_run(quick=True, seed=seed)
        assert result["passed"], (seed, result["value"])
