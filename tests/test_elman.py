"""Elman: parity with torch.nn.RNN (torch 2.13) and state-dict round trips.

The reference numbers are PyTorch's: the same weights (moved through the state dict) and the
same float64 batch give the same outputs, final states and gradients (parameters, input and
initial state) to 1e-6, for tanh and relu, one and two layers, one and two directions, and for
variable lengths as a packed sequence.
"""

import numpy as np
import pytest
from rnn_parity import (
    check_parity,
    check_zero_length_passes_state,
    numpy_to_torch,
    torch_to_numpy,
)

from recurrent_zoo.elman import Elman

LENGTHS = [6, 3, 1, 4]


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "packed"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["L1", "L2"])
def test_parity_with_torch(num_layers, bidirectional, nonlinearity, lengths):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.RNN(
        3, 5, num_layers=num_layers, nonlinearity=nonlinearity, bidirectional=bidirectional
    ).double()
    model = Elman.from_torch_state_dict(torch_to_numpy(module), nonlinearity=nonlinearity)
    assert model.get_config() == {
        "input_size": 3,
        "hidden_size": 5,
        "num_layers": num_layers,
        "nonlinearity": nonlinearity,
        "bias": True,
        "bidirectional": bidirectional,
    }
    check_parity(torch, model, module, lengths=lengths)


def test_parity_without_bias():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.RNN(2, 4, num_layers=2, bias=False, bidirectional=True).double()
    model = Elman.from_torch_state_dict(torch_to_numpy(module))
    assert model.bias is False
    check_parity(torch, model, module, lengths=[2, 6, 6, 1])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_our_state_dict_loads_into_torch(nonlinearity):
    torch = pytest.importorskip("torch")
    model = Elman(3, 5, num_layers=2, nonlinearity=nonlinearity, bidirectional=True, seed=0)
    module = torch.nn.RNN(
        3, 5, num_layers=2, nonlinearity=nonlinearity, bidirectional=True
    ).double()
    module.load_state_dict(numpy_to_torch(torch, model.to_torch_state_dict()))  # strict
    check_parity(torch, model, module, lengths=LENGTHS)


def test_torch_state_dict_gives_torch_outputs():
    """A float32 state dict of tensors loads directly; outputs match torch's in float32."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    module = torch.nn.RNN(3, 4, num_layers=2)
    model = Elman.from_torch_state_dict(module.state_dict())
    assert model.dtype == np.float32 and model.num_layers == 2
    X = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    Y, h = model.forward(X)
    with torch.no_grad():
        Yt, ht = module(torch.from_numpy(X))
    np.testing.assert_allclose(Y, Yt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, ht.numpy(), rtol=1e-5, atol=1e-6)


def test_mismatched_state_dict_is_refused():
    sd = Elman(3, 4, num_layers=2, seed=0).to_torch_state_dict()
    del sd["bias_hh_l1"]
    with pytest.raises(ValueError, match="bias_hh_l1"):
        Elman.from_torch_state_dict(sd)
    with pytest.raises(ValueError, match="weight_ih_l0"):
        Elman.from_torch_state_dict({})


@pytest.mark.parametrize("bidirectional", [False, True])
def test_zero_length_sequences_pass_their_state_through(bidirectional):
    """What truncated BPTT in ``fit`` relies on once a sequence has ended."""
    check_zero_length_passes_state(Elman(2, 4, num_layers=2, bidirectional=bidirectional, seed=0))
