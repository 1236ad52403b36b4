"""LSTM: parity with torch.nn.LSTM (torch 2.13), the equations by hand, the adding problem.

The reference numbers are PyTorch's: the same weights (moved through the state dict) and the
same float64 batch give the same outputs, final states and gradients (parameters, input and
initial state) to 1e-6, for one and two layers, one and two directions, with and without the
projection, and for variable lengths as a packed sequence.
"""

import numpy as np
import pytest
from rnn_parity import (
    check_parity,
    check_zero_length_passes_state,
    numpy_to_torch,
    torch_to_numpy,
)

from recurrent_zoo.lstm import LSTM

LENGTHS = [6, 3, 1, 4]


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "packed"])
@pytest.mark.parametrize("proj_size", [0, 2], ids=["noproj", "proj2"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["L1", "L2"])
def test_parity_with_torch(num_layers, bidirectional, proj_size, lengths):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.LSTM(
        3, 5, num_layers=num_layers, bidirectional=bidirectional, proj_size=proj_size
    ).double()
    model = LSTM.from_torch_state_dict(torch_to_numpy(module))
    assert model.get_config() == {
        "input_size": 3,
        "hidden_size": 5,
        "num_layers": num_layers,
        "bias": True,
        "bidirectional": bidirectional,
        "proj_size": proj_size,
    }
    check_parity(torch, model, module, lengths=lengths)


def test_parity_without_bias():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.LSTM(2, 4, num_layers=2, bias=False, bidirectional=True).double()
    model = LSTM.from_torch_state_dict(torch_to_numpy(module))
    assert model.bias is False and "bias_ih_l0" not in model.params
    check_parity(torch, model, module, lengths=[2, 6, 6, 1])


def test_our_state_dict_loads_into_torch():
    torch = pytest.importorskip("torch")
    model = LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=3, seed=0)
    module = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=3).double()
    module.load_state_dict(numpy_to_torch(torch, model.to_torch_state_dict()))  # strict
    check_parity(torch, model, module, lengths=LENGTHS)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_torch_float32_state_dict_gives_a_float32_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    module = torch.nn.LSTM(3, 4, proj_size=2)
    model = LSTM.from_torch_state_dict(module.state_dict())  # tensors are accepted too
    assert model.dtype == np.float32 and model.proj_size == 2 and model.output_size == 2
    X = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    Y, (h, c) = model.forward(X)
    with torch.no_grad():
        Yt, (ht, ct) = module(torch.from_numpy(X))
    np.testing.assert_allclose(Y, Yt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, ct.numpy(), rtol=1e-5, atol=1e-6)


def test_one_step_matches_the_equations():
    """One step from a random state, against the module docstring's equations written out in
    PyTorch's gate order (i, f, g, o) -- no torch needed."""
    rng = np.random.default_rng(3)
    I, H, P, B = 3, 4, 2, 5
    model = LSTM(I, H, proj_size=P, seed=4)
    p = {k[:-3]: v for k, v in model.params.items()}  # strip "_l0"
    x = rng.standard_normal((1, B, I))
    h0, c0 = rng.standard_normal((1, B, P)), rng.standard_normal((1, B, H))
    Y, (h1, c1) = model.forward(x, (h0, c0))

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    a = x[0] @ p["weight_ih"].T + p["bias_ih"] + h0[0] @ p["weight_hh"].T + p["bias_hh"]
    i, f, g, o = np.split(a, 4, axis=1)
    c = sigmoid(f) * c0[0] + sigmoid(i) * np.tanh(g)
    h = (sigmoid(o) * np.tanh(c)) @ p["weight_hr"].T
    np.testing.assert_allclose(c1[0], c, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h1[0], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Y[0], h, rtol=1e-12, atol=1e-14)


def test_state_shapes_with_projection():
    model = LSTM(2, 6, num_layers=3, bidirectional=True, proj_size=4, seed=0)
    h, c = model.initial_state(5)
    assert h.shape == (6, 5, 4) and c.shape == (6, 5, 6)
    assert model.params["weight_ih_l1"].shape == (24, 8)  # reads 2 directions x 4 features
    assert model.params["weight_hh_l1"].shape == (24, 4)
    assert model.params["weight_hr_l2_reverse"].shape == (4, 6)


@pytest.mark.parametrize("proj_size", [5, 6, -1])
def test_bad_proj_size(proj_size):
    with pytest.raises(ValueError, match="proj_size"):
        LSTM(2, 5, proj_size=proj_size)


def test_equations_are_sympy_equalities():
    sp = pytest.importorskip("sympy")
    eqs = LSTM.equations()
    assert len(eqs) == 6 and all(isinstance(e, sp.Eq) for e in eqs)
    assert "c_{t-1}" in str(eqs[4].rhs) and "tanh" in str(eqs[5].rhs)


def test_learns_the_adding_problem():
    """Hochreiter & Schmidhuber's adding problem at T = 50 (Le et al. 2015 form): the mean
    predictor scores MSE 1/6 = 0.167; an LSTM trained with ``fit`` gets below 0.01.

    Training stops as soon as a validation set's MSE falls under 0.005; the score is measured on
    a separate test set. The forget-gate bias starts at 1 (Gers et al. 2000; Jozefowicz et al.
    2015), the usual way to shorten the plateau before the markers are found.
    """
    from recurrent_zoo import Linear, Stacked
    from recurrent_zoo.tasks import adding_problem
    from recurrent_zoo.training import evaluate, fit

    T, H = 50, 32
    train = adding_problem(2000, T, seed=0)
    valid, test = adding_problem(500, T, seed=1), adding_problem(1000, T, seed=2)
    lstm = LSTM(2, H, seed=0, dtype=np.float32)
    lstm.params["bias_hh_l0"][H : 2 * H] += 1.0  # the forget gate's rows (PyTorch order i,f,g,o)
    model = Stacked([lstm, Linear(H, 1, seed=1, dtype=np.float32)])

    def stop_when_solved(epoch, logs):
        return evaluate(model, valid.inputs, valid.targets, mask=valid.mask)["loss"] < 0.005

    fit(
        model,
        train.inputs,
        train.targets,
        mask=train.mask,
        lr=0.02,
        epochs=25,
        batch_size=32,
        clip_norm=1.0,
        seed=0,
        callback=stop_when_solved,
        progress=False,
    )
    mse = evaluate(model, test.inputs, test.targets, mask=test.mask)["loss"]
    assert mse < 0.01, f"test MSE {mse:.4f} (mean predictor: 0.167)"


@pytest.mark.parametrize("proj_size", [0, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_zero_length_sequences_pass_their_state_through(bidirectional, proj_size):
    """What truncated BPTT in ``fit`` relies on once a sequence has ended."""
    check_zero_length_passes_state(
        LSTM(2, 4, num_layers=2, bidirectional=bidirectional, proj_size=proj_size, seed=0)
    )
