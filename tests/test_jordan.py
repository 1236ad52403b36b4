"""Jordan (1986): the recurrence checked against a two-step example computed by hand."""

import math

import numpy as np
import pytest

from recurrent_zoo.jordan import Jordan


def _tiny(decay=0.5):
    net = Jordan(1, 1, 1, decay=decay, seed=0)
    net.params["weight_ih"][...] = 0.5
    net.params["weight_sh"][...] = 1.0
    net.params["bias_h"][...] = 0.1
    net.params["weight_ho"][...] = 2.0
    net.params["bias_o"][...] = -0.5
    return net


def test_two_step_example_by_hand():
    # s_1 = 0 (zero initial state units)
    # h_1 = tanh(0.5 * 1 + 1.0 * 0 + 0.1) = tanh(0.6) = 0.537050
    # y_1 = 2 h_1 - 0.5 = 0.574099
    # s_2 = 0.5 * s_1 + y_1 = 0.574099
    # h_2 = tanh(0.5 * (-1) + 1.0 * s_2 + 0.1) = tanh(0.174099) = 0.172361
    # y_2 = 2 h_2 - 0.5 = -0.155278
    # s_3 = 0.5 * s_2 + y_2 = 0.131772  (the returned final state)
    h1 = math.tanh(0.6)
    y1 = 2 * h1 - 0.5
    h2 = math.tanh(-0.5 + y1 + 0.1)
    y2 = 2 * h2 - 0.5
    s3 = 0.5 * y1 + y2
    assert (round(y1, 6), round(y2, 6), round(s3, 6)) == (0.574099, -0.155278, 0.131772)
    Y, s = _tiny().forward(np.array([[[1.0]], [[-1.0]]]))
    np.testing.assert_allclose(Y[:, 0, 0], [y1, y2], rtol=1e-12)
    np.testing.assert_allclose(s, [[s3]], rtol=1e-12)


def test_decay_weights_the_trace_of_past_outputs():
    """With W_ih = 0, the state units hold sum_k decay^k y_{t-1-k}."""
    net = _tiny(decay=0.8)
    net.params["weight_ih"][...] = 0.0
    Y, s = net.forward(np.zeros((5, 1, 1)))
    y = Y[:, 0, 0]
    trace = sum(0.8 ** (4 - k) * y[k] for k in range(5))
    np.testing.assert_allclose(s[0, 0], trace, rtol=1e-14)


def test_initial_state_is_used():
    net = _tiny()
    Y0, _ = net.forward(np.ones((1, 1, 1)))
    Y1, _ = net.forward(np.ones((1, 1, 1)), state=np.array([[1.0]]))
    assert Y1[0, 0, 0] == pytest.approx(2 * math.tanh(0.5 + 1.0 + 0.1) - 0.5)
    assert Y0[0, 0, 0] != Y1[0, 0, 0]


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="decay"):
        Jordan(1, 2, 1, decay=1.0)
    with pytest.raises(ValueError, match="output_activation"):
        Jordan(1, 2, 1, output_activation="softmax")
    with pytest.raises(ValueError, match="output_size"):
        Jordan(1, 2, 0)
