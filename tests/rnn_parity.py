"""Shared helper of test_elman.py, test_lstm.py and test_gru.py: run one of our PyTorch-style
nets and the torch module holding the same weights on the same batch, forward and backward, in
float64, and compare everything: outputs, final states, the input gradient, the initial-state
gradients and every parameter gradient.

Variable lengths are given to torch as a ``pack_padded_sequence(..., enforce_sorted=False)``
batch and its outputs unpacked with ``pad_packed_sequence(..., total_length=T)``, which is how
PyTorch defines "outputs past a length are 0 and the state stops at each sequence's length".
"""

from __future__ import annotations

from typing import Any

import numpy as np

# What float64 gives, so that a small equation slip cannot hide. Measured over every comparison
# of test_elman/test_lstm/test_gru (694 arrays, torch 2.13 CPU): worst absolute difference
# 3.6e-15, worst relative difference 1.0e-12 (entries above 1e-3 in size); every entry passes
# rtol 1e-10 with no atol at all. ATOL only keeps exact zeros and round-off near zero from
# depending on the BLAS. A relative slip of 1e-11 in Elman's recurrent term fails 17 of the 19
# torch tests of test_elman.py at these tolerances; at the former rtol 1e-6, a slip of 1e-9
# failed one of them and a slip of 1e-11 none.
RTOL, ATOL = 1e-10, 1e-13


def _as_tuple(state: Any) -> tuple[np.ndarray, ...]:
    return state if isinstance(state, tuple) else (state,)


def torch_forward_backward(torch: Any, module: Any, X, state0, lengths, dY, dstate) -> dict:
    """Run ``module`` (float64) and backpropagate ``sum(dY * Y) + sum(dstate * final state)``."""
    T = X.shape[0]
    Xt = torch.tensor(X, requires_grad=True)
    s0 = tuple(torch.tensor(s, requires_grad=True) for s in _as_tuple(state0))
    hx = s0 if len(s0) > 1 else s0[0]
    if lengths is None:
        Yt, sT = module(Xt, hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            Xt, torch.tensor(lengths), enforce_sorted=False
        )
        Yp, sT = module(packed, hx)
        Yt, _ = torch.nn.utils.rnn.pad_packed_sequence(Yp, total_length=T)
    sT = _as_tuple(sT)
    loss = (Yt * torch.tensor(dY)).sum()
    for s, ds in zip(sT, _as_tuple(dstate), strict=True):
        loss = loss + (s * torch.tensor(ds)).sum()
    module.zero_grad()
    loss.backward()
    return {
        "Y": Yt.detach().numpy(),
        "state": tuple(s.detach().numpy() for s in sT),
        "dX": Xt.grad.numpy(),
        "dstate0": tuple(s.grad.numpy() for s in s0),
        "grads": {k: v.grad.numpy() for k, v in module.named_parameters()},
    }


def check_parity(torch: Any, model: Any, module: Any, *, T=6, B=4, lengths=None, seed=0) -> None:
    """Assert that ``model`` (ours) and ``module`` (torch, same weights) agree on everything."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, B, model.input_size))
    state0 = tuple(rng.standard_normal(s.shape) for s in _as_tuple(model.initial_state(B)))
    state0 = state0 if len(state0) > 1 else state0[0]
    Y, sT = model.forward(X, state0, lengths)
    dY = rng.standard_normal(Y.shape)
    dstate = tuple(rng.standard_normal(s.shape) for s in _as_tuple(sT))
    dstate = dstate if len(dstate) > 1 else dstate[0]
    dX = model.backward(dY, dstate)
    ref = torch_forward_backward(torch, module, X, state0, lengths, dY, dstate)

    def close(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
        assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)

    close(Y, ref["Y"], "outputs")
    for k, (ours, theirs) in enumerate(zip(_as_tuple(sT), ref["state"], strict=True)):
        close(ours, theirs, f"final state[{k}]")
    close(dX, ref["dX"], "dL/dX")
    for k, (ours, theirs) in enumerate(
        zip(_as_tuple(model.state_grad), ref["dstate0"], strict=True)
    ):
        close(ours, theirs, f"dL/dstate0[{k}]")
    assert set(model.grads) == set(ref["grads"]), "parameter names differ from torch's"
    for name, theirs in ref["grads"].items():
        close(model.grads[name], theirs, f"grads[{name!r}]")


def torch_to_numpy(module: Any) -> dict[str, np.ndarray]:
    """A torch module's state dict as numpy arrays (copies)."""
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def numpy_to_torch(torch: Any, state_dict: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_dict.items()}


def check_zero_length_passes_state(model: Any, seed: int = 7) -> None:
    """The private ``_forward``/``_backward`` accept a length of 0 (truncated BPTT needs it once a
    sequence has ended): that sequence's outputs and input gradient are 0, its state and its
    state gradient pass through unchanged, and the other sequences do not notice it."""
    rng = np.random.default_rng(seed)
    T, B = 4, 3
    X = rng.standard_normal((T, B, model.input_size))
    lengths = np.array([4, 0, 2])
    state0 = tuple(rng.standard_normal(s.shape) for s in _as_tuple(model.initial_state(B)))
    Y, final = model._forward(X, state0 if len(state0) > 1 else state0[0], lengths)
    dY = rng.standard_normal(Y.shape)
    dfinal = tuple(rng.standard_normal(s.shape) for s in _as_tuple(final))
    dX, dstate0 = model._backward(dY, dfinal if len(dfinal) > 1 else dfinal[0])
    grads = {k: v.copy() for k, v in model.grads.items()}
    np.testing.assert_array_equal(Y[:, 1], 0.0)
    np.testing.assert_array_equal(dX[:, 1], 0.0)
    for a, b in zip(_as_tuple(final), state0, strict=True):
        np.testing.assert_array_equal(a[:, 1], b[:, 1])
    for a, b in zip(_as_tuple(dstate0), dfinal, strict=True):
        np.testing.assert_array_equal(a[:, 1], b[:, 1])
    keep = [0, 2]
    sub = tuple(s[:, keep] for s in state0)
    Ys, _ = model._forward(X[:, keep], sub if len(sub) > 1 else sub[0], lengths[keep])
    dsub = tuple(np.ascontiguousarray(s[:, keep]) for s in dfinal)
    dXs, _ = model._backward(np.ascontiguousarray(dY[:, keep]), dsub if len(dsub) > 1 else dsub[0])
    np.testing.assert_allclose(Y[:, keep], Ys, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dX[:, keep], dXs, rtol=1e-12, atol=1e-14)
    for k, g in grads.items():
        np.testing.assert_allclose(g, model.grads[k], rtol=1e-12, atol=1e-14, err_msg=k)
