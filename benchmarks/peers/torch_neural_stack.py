"""A PyTorch autograd version of Grefenstette et al.'s neural stack / queue / deque + LSTM.

The peer of :class:`recurrent_zoo.neural_stack.NeuralStack`, written the way one writes it with
an autodiff framework: the memory grows by concatenation, each pop and read is a few tensor
operations (exclusive cumulative sums, ``relu``, ``minimum``), the controller is
``torch.nn.LSTMCell`` and the heads ``torch.nn.Linear``; autograd does the backward pass. Its
parameters are laid out as ours (PyTorch's LSTM layout; the heads' rows in the same order), so
that ``load_numpy_params`` gives both the same weights. Used by ``tests/test_neural_stack.py``
(outputs and gradients equal ours) and ``benchmarks/bench_neural_stack_vs_torch.py`` (speed).
"""

from __future__ import annotations

import numpy as np
import torch

ENDS = {
    "stack": (("top",), ("top",), ("top",)),
    "queue": (("bottom",), ("top",), ("bottom",)),
    "deque": (("top", "bottom"), ("top", "bottom"), ("top", "bottom")),
}


def _exclusive_cumsum(s: torch.Tensor) -> torch.Tensor:
    return torch.cumsum(s, dim=1) - s


def pop(s: torch.Tensor, u: torch.Tensor, end: str) -> torch.Tensor:
    """Pop ``u`` (B,) from ``s`` (B, W), slot 0 the top."""
    so = s if end == "top" else torch.flip(s, [1])
    out = torch.relu(so - torch.relu(u[:, None] - _exclusive_cumsum(so)))
    return out if end == "top" else torch.flip(out, [1])


def read(s: torch.Tensor, V: torch.Tensor, end: str) -> torch.Tensor:
    """Read a unit of depth from ``end`` of ``(V (B, W, m), s (B, W))``."""
    so = s if end == "top" else torch.flip(s, [1])
    Vo = V if end == "top" else torch.flip(V, [1])
    w = torch.minimum(so, torch.relu(1.0 - _exclusive_cumsum(so)))
    return torch.einsum("bw,bwm->bm", w, Vo)


class TorchNeuralStack(torch.nn.Module):
    """LSTM controller + neural stack / queue / deque, differentiated by autograd."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        memory: str = "stack",
        value_size: int | None = None,
        output_size: int | None = None,
    ) -> None:
        super().__init__()
        H = hidden_size
        self.memory = memory
        self.E = 2 if memory == "deque" else 1
        self.m = value_size or H
        self.O = output_size or H
        self.cell = torch.nn.LSTMCell(input_size + self.E * self.m, H)
        self.push = torch.nn.Linear(H, self.E)
        self.pop = torch.nn.Linear(H, self.E)
        self.value = torch.nn.Linear(H, self.E * self.m)
        self.out = torch.nn.Linear(H, self.O)

    def load_numpy_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy the parameters of a ``recurrent_zoo`` ``NeuralStack``."""
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(self.cell, name).copy_(torch.from_numpy(params[name]))
            for head in ("push", "pop", "value", "out"):
                layer = getattr(self, head)
                layer.weight.copy_(torch.from_numpy(params[f"weight_{head}"]))
                layer.bias.copy_(torch.from_numpy(params[f"bias_{head}"]))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """``X`` (T, B, I) -> outputs ``o_t`` (T, B, O), from an empty memory."""
        T, B, _ = X.shape
        pop_ends, push_ends, read_ends = ENDS[self.memory]
        E, m = self.E, self.m
        H = self.cell.hidden_size
        h = X.new_zeros(B, H)
        c = X.new_zeros(B, H)
        r = X.new_zeros(B, E * m)
        V = X.new_zeros(B, 0, m)
        s = X.new_zeros(B, 0)
        outputs = []
        for t in range(T):
            h, c = self.cell(torch.cat([X[t], r], dim=1), (h, c))
            d = torch.sigmoid(self.push(h))
            u = torch.sigmoid(self.pop(h))
            v = torch.tanh(self.value(h))
            outputs.append(torch.tanh(self.out(h)))
            for j, end in enumerate(pop_ends):
                s = pop(s, u[:, j], end)
            for j, end in enumerate(push_ends):
                vj = v[:, j * m : (j + 1) * m][:, None]
                dj = d[:, j : j + 1]
                if end == "top":
                    V, s = torch.cat([vj, V], dim=1), torch.cat([dj, s], dim=1)
                else:
                    V, s = torch.cat([V, vj], dim=1), torch.cat([s, dj], dim=1)
            r = torch.cat([read(s, V, end) for end in read_ends], dim=1)
        return torch.stack(outputs)
