"""RMLP: equal to stacked Elman layers plus a readout; identifies a nonlinear plant."""

import numpy as np
import pytest
import sympy

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.rmlp import RMLP, narendra_plant, run


def _as_elman_stack(net):
    """The same network built from the library's Elman layers and a Linear readout."""
    layers = []
    in_size = net.input_size
    for k, H in enumerate(net.hidden_sizes):
        e = Elman(in_size, H, seed=0)
        e.params["weight_ih_l0"][...] = net.params[f"weight_ih_l{k}"]
        e.params["weight_hh_l0"][...] = net.params[f"weight_hh_l{k}"]
        e.params["bias_ih_l0"][...] = net.params[f"bias_l{k}"]
        e.params["bias_hh_l0"][...] = 0.0
        layers.append(e)
        in_size = H
    readout = Linear(in_size, net.output_size, activation=net.output_activation, seed=0)
    readout.params["weight"][...] = net.params["weight_ho"]
    readout.params["bias"][...] = net.params["bias_o"]
    return Stacked([*layers, readout])


def test_equals_stacked_elman_layers():
    """Each RMLP hidden layer is an Elman layer reading the one below at the same step."""
    net = RMLP(3, [5, 4], 2, output_activation="tanh", seed=1)
    stack = _as_elman_stack(net)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 3, 3))
    lengths = np.array([7, 2, 5])
    state = tuple(0.5 * rng.normal(size=(3, H)) for H in (5, 4))
    Y1, s1 = net.forward(X, state, lengths)
    Y2, s2 = stack.forward(X, (state[0][None], state[1][None], None), lengths)
    np.testing.assert_allclose(Y1, Y2, rtol=1e-13, atol=1e-15)
    for a, b in zip(s1, s2[:2], strict=True):
        np.testing.assert_allclose(a, b[0], rtol=1e-13, atol=1e-15)
    dY = rng.normal(size=Y1.shape)
    np.testing.assert_allclose(net.backward(dY), stack.backward(dY), rtol=1e-12, atol=1e-14)
    for k in range(2):
        np.testing.assert_allclose(
            net.grads[f"weight_hh_l{k}"], stack.grads[f"{k}.weight_hh_l0"], rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            net.grads[f"bias_l{k}"], stack.grads[f"{k}.bias_ih_l0"], rtol=1e-12, atol=1e-14
        )
    np.testing.assert_allclose(net.grads["weight_ho"], stack.grads["2.weight"], rtol=1e-12)


def test_output_recurrence_by_hand():
    """Haykin's form: y_t = g(W_o h_t + R_o y_{t-1} + b_o), the output layer feeding back."""
    net = RMLP(2, [3], 2, output_recurrent=True, output_activation="sigmoid", seed=3)
    p = net.params
    X = np.random.default_rng(4).normal(size=(5, 1, 2))
    Y, (hT, yT) = net.forward(X)
    h, y = np.zeros((1, 3)), np.zeros((1, 2))
    for t in range(5):
        h = np.tanh(X[t] @ p["weight_ih_l0"].T + h @ p["weight_hh_l0"].T + p["bias_l0"])
        y = 1 / (1 + np.exp(-(h @ p["weight_ho"].T + y @ p["weight_oo"].T + p["bias_o"])))
        np.testing.assert_allclose(Y[t], y, rtol=1e-13)
    np.testing.assert_allclose(yT, y, rtol=1e-13)
    np.testing.assert_allclose(hT, h, rtol=1e-13)


def test_narendra_plant():
    u = np.array([1.0, 0.0, -1.0])
    y1 = 1.0
    y2 = y1 / (1 + y1**2)
    y3 = y2 / (1 + y2**2) - 1.0
    np.testing.assert_allclose(narendra_plant(u), [y1, y2, y3])


def test_identifies_the_plant():
    """Parallel identification of y(k+1) = y(k)/(1 + y(k)^2) + u(k)^3 by BPTT.

    Plant, random training input U(-2, 2) and sum-of-sinusoids test input from Narendra &
    Parthasarathy (1990); the RMLP 1-10R-10R-1 of ``recurrent_zoo.rmlp.run`` is trained with
    ``fit`` for 30 epochs. Target NMSE < 0.02 on the test input (ours: the mean predictor
    scores 1, the best fit linear in u about 0.16). Measured with seeds 0-2: 0.0030, 0.0045,
    0.0051.
    """
    result = run(quick=True, seed=0)
    print(
        f"\nRMLP plant identification: test NMSE {result['value']:.4f}, {result['seconds']:.1f} s"
    )
    assert result["passed"] and result["value"] < 0.02


def test_bad_arguments():
    with pytest.raises(ValueError, match="hidden_sizes"):
        RMLP(2, [], 1)
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\]"):
        RMLP(2, [3, 0], 1)
    with pytest.raises(TypeError, match="hidden_sizes"):
        RMLP(2, 3, 1)
    with pytest.raises(ValueError, match="output_activation"):
        RMLP(2, [3], 1, output_activation="softmax")


def test_config_round_trip():
    net = RMLP(2, (3, 4), 1, seed=0)
    again = RMLP.from_config(net.get_config())
    assert again.hidden_sizes == (3, 4) and again.get_config() == net.get_config()


def test_equations_are_sympy_equalities():
    eqs = RMLP.equations()
    assert len(eqs) == 2 and all(isinstance(e, sympy.Eq) for e in eqs)
