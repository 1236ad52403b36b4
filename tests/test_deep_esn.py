"""Deep echo state network: the stacked recurrence, batches, the readout, memory capacity.

Reference behaviour and where it comes from:
- every layer follows Gallicchio, Micheli & Pedrelli's (2017) equations, written out with dense
  matrices one step at a time;
- the states equal ReservoirPy 0.4.2's chain of ``Reservoir`` nodes (``r1 >> r2 >> r3``, its
  way of building a deep ESN) on the same weights (peer library);
- one layer is the echo state network's reservoir; the readout is numpy's least squares on
  all layers' states;
- memory capacity never exceeds the units a readout sees (Jaeger 2001b, GMD Report 152,
  Prop. 2), and a linear reservoir's layer-1 capacity equals the ESN's on the same weights.
"""

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.deep_esn import DeepESN, compare_run
from recurrent_zoo.esn import ESN
from recurrent_zoo.tasks import memory_capacity


def _deep(**kw):
    base = dict(
        units=20,
        layers=3,
        spectral_radius=[0.9, 0.8, 1.1],
        leak_rate=[1.0, 0.5, 0.3],
        input_scaling=0.7,
        inter_scaling=0.4,
        connectivity=0.3,
        bias_scaling=0.2,
        ridge=1e-6,
        seed=0,
    )
    base.update(kw)
    return DeepESN(**base)


def _naive(deep, X):
    """The deep ESN's equations, layer by layer, dense matrices, one step at a time."""
    states, below = [], X
    for l in range(1, deep.layers + 1):
        p = deep.layer(l)
        W = deep.W(l).toarray()
        a = deep._leaks[l - 1]
        x, out = np.zeros(deep.units), []
        for t in range(X.shape[0]):
            x = (1 - a) * x + a * np.tanh(W @ x + p["W_in"] @ below[t] + p["bias"])
            out.append(x)
        below = np.array(out)
        states.append(below)
    return np.hstack(states)


def test_layers_follow_the_equations():
    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    deep = _deep().initialize(2)
    np.testing.assert_allclose(deep.run(X), _naive(deep, X), rtol=0, atol=1e-13)
    assert deep.params["layer1.W_in"].shape == (20, 2)
    assert deep.params["layer2.W_in"].shape == (20, 20)
    # each W is scaled to its layer's spectral radius; the inter-layer matrices are dense
    for l, rho in zip((1, 2, 3), (0.9, 0.8, 1.1), strict=True):
        assert np.abs(np.linalg.eigvals(deep.W(l).toarray())).max() == pytest.approx(rho, rel=1e-6)
    assert np.count_nonzero(deep.params["layer3.W_in"]) == 400
    assert np.abs(deep.params["layer3.W_in"]).max() <= 0.4


def test_states_equal_reservoirpy_chain_on_the_same_weights():
    """Peer parity: ReservoirPy 0.4.2's Reservoir nodes chained r1 >> r2 >> r3."""
    pytest.importorskip("reservoirpy")
    from reservoirpy.nodes import Reservoir

    X = np.random.default_rng(1).uniform(-1, 1, (120, 3))
    deep = _deep().initialize(3)
    nodes = []
    for l in range(1, 4):
        p = deep.layer(l)
        nodes.append(
            Reservoir(
                W=deep.W(l).copy(),
                Win=p["W_in"].copy(),
                bias=p["bias"].copy(),
                lr=deep._leaks[l - 1],
            )
        )
    model = nodes[0] >> nodes[1] >> nodes[2]
    theirs_last = model.run(X)
    ours = deep.run(X)
    np.testing.assert_allclose(ours[:, 40:], theirs_last, rtol=0, atol=1e-10)
    # layer by layer: each node run on the states of the one below
    below = X
    for l, node in enumerate(nodes):
        node.reset()
        below = node.run(below)
        np.testing.assert_allclose(ours[:, 20 * l : 20 * (l + 1)], below, rtol=0, atol=1e-10)


def test_one_layer_is_the_esn_reservoir():
    X = np.random.default_rng(2).uniform(-1, 1, (40, 2))
    deep = DeepESN(units=25, layers=1, leak_rate=0.4, connectivity=0.2, seed=3).initialize(2)
    esn = ESN(units=25, leak_rate=0.4, connectivity=0.2, seed=3).initialize(2)
    esn.params.update(deep.layer(1))
    np.testing.assert_allclose(deep.run(X), esn.run(X), rtol=0, atol=1e-14)


@pytest.mark.parametrize("lengths", [[7, 30, 12, 12, 1, 29, 8], [5, 5], list(range(1, 25))])
def test_packed_batch_equals_each_sequence_alone(lengths):
    rng = np.random.default_rng(len(lengths))
    Xs = [rng.uniform(-1, 1, (L, 2)) for L in lengths]
    Ys = [np.sin(np.cumsum(x, axis=0)) for x in Xs]
    deep = _deep(input_to_readout=True).fit(Xs, Ys)
    states, preds = deep.run(Xs), deep.predict(Xs)
    finals = deep.last_state_.copy()
    last, mean = deep.pool(Xs, "last"), deep.pool(Xs, "mean")
    for k, x in enumerate(Xs):
        alone = deep.run(x)
        np.testing.assert_allclose(states[k], alone, rtol=0, atol=1e-12)
        np.testing.assert_allclose(finals[k], alone[-1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(last[k], alone[-1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(mean[k], alone.mean(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(preds[k], deep.predict(x), rtol=0, atol=1e-12)


def test_readout_is_least_squares_on_every_layer():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (300, 1))
    Y = np.hstack([np.roll(X, 3, axis=0), np.roll(X, 8, axis=0) ** 2])
    ridge, warmup = 1e-3, 25
    deep = _deep(ridge=ridge).fit(X, Y, warmup=warmup)
    S = deep.run(X)[warmup:]
    F = S.shape[1]
    A = np.vstack(
        [
            np.hstack([np.ones((len(S), 1)), S]),
            np.hstack([np.zeros((F, 1)), np.sqrt(ridge) * np.eye(F)]),
        ]
    )
    sol = np.linalg.lstsq(A, np.vstack([Y[warmup:], np.zeros((F, 2))]), rcond=None)[0]
    np.testing.assert_allclose(deep.params["W_out"], sol[1:].T, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(deep.params["b_out"], sol[0], rtol=1e-7, atol=1e-8)
    P = deep.predict(X)
    np.testing.assert_allclose(P, deep.run(X) @ sol[1:] + sol[0], rtol=1e-7, atol=1e-8)
    r2 = 1 - ((Y[warmup:] - P[warmup:]) ** 2).sum(0) / ((Y[warmup:] - Y[warmup:].mean(0)) ** 2).sum(
        0
    )
    assert deep.score(X, Y, warmup=warmup) == pytest.approx(r2.mean(), rel=1e-12)


def test_memory_capacity_per_layer():
    deep = _deep(units=30, input_scaling=0.1, inter_scaling=0.5, spectral_radius=0.95)
    mc = deep.memory_capacity(max_delay=60, train_steps=2000, test_steps=2000)
    assert len(mc["per_layer"]) == 3 and mc["per_delay"].shape == (3, 60)
    assert all(0 < v <= 30 for v in mc["per_layer"])  # Jaeger 2001b: MC <= units seen
    assert all(0 < v <= 30 * (l + 1) for l, v in enumerate(mc["cumulative"]))
    np.testing.assert_allclose(mc["per_delay"].sum(axis=1), mc["per_layer"], atol=1e-9)
    # a linear first layer's capacity: ridge readouts of its states, written out with lstsq
    lam = 1e-6
    lin = DeepESN(units=30, layers=2, activation="identity", input_scaling=0.1, ridge=lam, seed=5)
    mc_lin = lin.memory_capacity(max_delay=60, train_steps=2000, test_steps=2000, data_seed=9)
    u = np.random.default_rng(9).uniform(-0.5, 0.5, 200 + 60 + 4000)
    start = 260
    lagged = np.stack([u[start - k : len(u) - k] for k in range(1, 61)], axis=1)
    esn = ESN(units=30, activation="identity", seed=5).initialize(1)
    esn.params.update(lin.layer(1))
    S = esn.run(u[:, None])[start:]
    A = np.vstack(
        [
            np.hstack([np.ones((2000, 1)), S[:2000]]),
            np.hstack([np.zeros((30, 1)), np.sqrt(lam) * np.eye(30)]),
        ]
    )
    W = np.linalg.lstsq(A, np.vstack([lagged[:2000], np.zeros((30, 60))]), rcond=None)[0]
    pred = np.hstack([np.ones((2000, 1)), S[2000:]]) @ W
    assert mc_lin["per_layer"][0] == pytest.approx(memory_capacity(lagged[2000:], pred), rel=1e-6)


def test_hyperparameters_and_bad_input():
    deep = _deep()
    assert deep.get_params()["spectral_radius"] == [0.9, 0.8, 1.1]
    assert DeepESN(**deep.get_params()).get_params() == deep.get_params()
    with pytest.raises(ValueError, match=r"leak_rate must be a number or a sequence of layers=3"):
        DeepESN(layers=3, leak_rate=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"spectral_radius\[1\]"):
        DeepESN(layers=2, spectral_radius=[0.9, -1.0])
    with pytest.raises(ValueError, match="inter_scaling"):
        DeepESN(inter_scaling=-1)
    with pytest.raises(TypeError, match="input_to_readout"):
        DeepESN(input_to_readout="yes")
    with pytest.raises(RuntimeError, match="not fitted"):
        deep.predict(np.ones((4, 1)))
    deep.fit(np.ones((20, 2)), np.ones((20, 1)))
    with pytest.raises(ValueError, match="X must have 2 features"):
        deep.run(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"state must have shape \(L N=60,\)"):
        deep.run(np.ones((4, 2)), state=np.zeros(20))
    with pytest.raises(ValueError, match="one-input"):
        deep.memory_capacity()
    with pytest.raises(ValueError, match="l must be in"):
        deep.layer(4)
    deep.set_params(ridge=1.0)
    assert "layer1.W_data" in deep.params
    deep.set_params(leak_rate=0.5)
    assert deep.params == {}


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(6)
    X, Y = rng.uniform(-1, 1, (60, 2)), rng.uniform(-1, 1, (60, 2))
    deep = _deep(input_to_readout=True).fit(X, Y, warmup=3)
    path = tmp_path / "deep.safetensors"
    deep.save(path)
    back = recurrent_zoo.load(path)
    assert isinstance(back, DeepESN) and back.get_config() == deep.get_config()
    np.testing.assert_array_equal(back.predict(X), deep.predict(X))


def test_compare_run_quick():
    """The catalogue's run: the 4 x 50 deep ESN keeps at least 90 % of the memory of one
    reservoir of 200 units (measured: 39.9 against 41.0, seed 0)."""
    result = compare_run(quick=True, seed=0)
    assert result["task"] == "memory_capacity" and result["passed"]
    details = result["details"]
    assert len(details["per_layer"]) == 4
    # weak inter-layer coupling (0.1): each layer alone recalls more than the one below
    assert all(np.diff(details["per_layer"]) > 0)
