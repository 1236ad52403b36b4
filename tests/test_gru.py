"""GRU: parity with torch.nn.GRU (torch 2.13) and the equations by hand.

The reference numbers are PyTorch's: the same weights (moved through the state dict) and the
same float64 batch give the same outputs, final states and gradients (parameters, input and
initial state) to 1e-6, for one and two layers, one and two directions, and for variable lengths
as a packed sequence.
"""

import numpy as np
import pytest
from rnn_parity import (
    check_parity,
    check_zero_length_passes_state,
    numpy_to_torch,
    torch_to_numpy,
)

from recurrent_zoo.gru import GRU

LENGTHS = [6, 3, 1, 4]


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "packed"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["L1", "L2"])
def test_parity_with_torch(num_layers, bidirectional, lengths):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.GRU(3, 5, num_layers=num_layers, bidirectional=bidirectional).double()
    model = GRU.from_torch_state_dict(torch_to_numpy(module))
    assert model.get_config() == {
        "input_size": 3,
        "hidden_size": 5,
        "num_layers": num_layers,
        "bias": True,
        "bidirectional": bidirectional,
    }
    check_parity(torch, model, module, lengths=lengths)


def test_parity_without_bias():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.GRU(2, 4, num_layers=2, bias=False, bidirectional=True).double()
    model = GRU.from_torch_state_dict(torch_to_numpy(module))
    assert model.bias is False and "bias_hh_l1_reverse" not in model.params
    check_parity(torch, model, module, lengths=[2, 6, 6, 1])


def test_our_state_dict_loads_into_torch():
    torch = pytest.importorskip("torch")
    model = GRU(3, 5, num_layers=2, bidirectional=True, seed=0)
    module = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True).double()
    module.load_state_dict(numpy_to_torch(torch, model.to_torch_state_dict()))  # strict
    check_parity(torch, model, module, lengths=LENGTHS)


def test_one_step_matches_the_equations():
    """One step from a random state, against the module docstring's equations written out in
    PyTorch's gate order (r, z, n), the reset gate applied to W_hn h + b_hn -- no torch needed."""
    rng = np.random.default_rng(3)
    I, H, B = 3, 4, 5
    model = GRU(I, H, seed=4)
    p = {k[:-3]: v for k, v in model.params.items()}  # strip "_l0"
    x, h0 = rng.standard_normal((1, B, I)), rng.standard_normal((1, B, H))
    Y, h1 = model.forward(x, h0)

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    gi = x[0] @ p["weight_ih"].T + p["bias_ih"]
    gh = h0[0] @ p["weight_hh"].T + p["bias_hh"]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    h = (1.0 - z) * n + z * h0[0]
    np.testing.assert_allclose(h1[0], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Y[0], h, rtol=1e-12, atol=1e-14)


def test_reset_gate_acts_after_the_recurrent_product():
    """With W_hn = 0 the candidate still sees b_hn scaled by r: the variant where the reset
    multiplies (W_hn h + b_hn) -- PyTorch's -- not the one where it multiplies h alone."""
    H = 2
    model = GRU(1, H, seed=0)
    for k in model.params:
        model.params[k][...] = 0.0
    model.params["bias_hh_l0"][2 * H :] = 1.0  # b_hn
    model.params["bias_ih_l0"][:H] = np.log(3.0)  # r = sigmoid(log 3) = 0.75
    _, h = model.forward(np.zeros((1, 1, 1)))
    # z = 0.5, n = tanh(0.75 * 1), h = 0.5 * n
    np.testing.assert_allclose(h[0, 0], 0.5 * np.tanh(0.75), rtol=1e-12)


def test_equations_are_sympy_equalities():
    sp = pytest.importorskip("sympy")
    eqs = GRU.equations()
    assert len(eqs) == 4 and all(isinstance(e, sp.Eq) for e in eqs)
    assert "b_hn" in str(eqs[2].rhs)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_zero_length_sequences_pass_their_state_through(bidirectional):
    """What truncated BPTT in ``fit`` relies on once a sequence has ended."""
    check_zero_length_passes_state(GRU(2, 4, num_layers=2, bidirectional=bidirectional, seed=0))
