"""The same neural Turing machine written in PyTorch, differentiated by autograd.

Written for ``benchmarks/bench_ntm_vs_torch.py`` (the speed comparison) and
``tests/test_ntm.py`` (parity: the same outputs and gradients on the same weights). It mirrors
:class:`recurrent_zoo.ntm.NTM` equation for equation, with the usual PyTorch idioms
(``torch.roll`` for the shift, batched ``matmul`` for content addressing, read and write),
vectorised over the batch and the heads; its parameters are a ``state_dict`` with the same names
and shapes as ``NTM.params``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CONSTANT_MEMORY = 1e-6
COSINE_EPS = 1e-8
SHARPEN_EPS = 1e-12


class TorchNTM(torch.nn.Module):
    """NTM(input_size, output_size, ...) as in recurrent_zoo, on torch tensors.

    ``forward(X)`` takes a ``(T, B, I)`` tensor and returns the ``(T, B, O)`` logits, starting
    from the model's initial state (``memory_init`` ``"constant"`` or a ``memory_init``
    parameter; ``weighting_init`` ``"one_hot"`` or a ``weighting_init`` parameter).
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        controller: str = "lstm",
        controller_size: int = 100,
        memory_slots: int = 128,
        word_size: int = 20,
        read_heads: int = 1,
        write_heads: int = 1,
        shift_range: int = 1,
        memory_init: str = "constant",
        weighting_init: str = "one_hot",
    ) -> None:
        super().__init__()
        self.I, self.O, self.H = input_size, output_size, controller_size
        self.N, self.W, self.R, self.E = memory_slots, word_size, read_heads, write_heads
        self.S = 2 * shift_range + 1
        self.lstm = controller == "lstm"
        self.memory_init_mode = memory_init
        I, O, H, N, W, R, E, S = self.I, self.O, self.H, self.N, self.W, self.R, self.E, self.S
        Hd = R + E
        self.P = Hd * (W + 3 + S) + 2 * E * W
        zeros = torch.zeros
        if self.lstm:
            self.controller_weight_ih = torch.nn.Parameter(zeros(4 * H, I + R * W))
            self.controller_weight_hh = torch.nn.Parameter(zeros(4 * H, H))
            self.controller_bias = torch.nn.Parameter(zeros(4 * H))
        else:
            self.controller_weight = torch.nn.Parameter(zeros(H, I + R * W))
            self.controller_bias = torch.nn.Parameter(zeros(H))
        self.head_weight = torch.nn.Parameter(zeros(self.P, H))
        self.head_bias = torch.nn.Parameter(zeros(self.P))
        self.output_weight = torch.nn.Parameter(zeros(O, H + R * W))
        self.output_bias = torch.nn.Parameter(zeros(O))
        self.read_init = torch.nn.Parameter(zeros(R, W))
        if memory_init != "constant":
            self.memory_init = torch.nn.Parameter(zeros(N, W))
        self.weighting_init_mode = weighting_init
        if weighting_init == "learned":
            self.weighting_init = torch.nn.Parameter(zeros(Hd, N))

    @classmethod
    def from_params(cls, params: dict[str, np.ndarray], dtype=torch.float32, **config):
        """A TorchNTM holding copies of ``params`` (an ``NTM.params`` dict)."""
        model = cls(**config).to(dtype)
        state = {k: torch.tensor(np.asarray(v), dtype=dtype) for k, v in params.items()}
        model.load_state_dict(state)
        return model

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        T, B, _ = X.shape
        H, N, W, R, E, S = self.H, self.N, self.W, self.R, self.E, self.S
        Hd = R + E
        dt = X.dtype
        h = torch.zeros(B, H, dtype=dt)
        c = torch.zeros(B, H, dtype=dt)
        reads = self.read_init.unsqueeze(0).expand(B, R, W)
        if self.weighting_init_mode == "learned":
            weights = torch.softmax(self.weighting_init, dim=-1).unsqueeze(0).expand(B, Hd, N)
        else:
            weights = torch.zeros(B, Hd, N, dtype=dt)
            weights[:, :, 0] = 1.0
        if self.memory_init_mode == "constant":
            memory = torch.full((B, N, W), CONSTANT_MEMORY, dtype=dt)
        else:
            memory = self.memory_init.unsqueeze(0).expand(B, N, W)
        # the head layer's output: keys, add, gates, erase, strengths, sharpening, shifts
        sizes = [Hd * W, E * W, Hd, E * W, Hd, Hd, Hd * S]
        outputs = []
        for t in range(T):
            u = torch.cat([X[t], reads.reshape(B, R * W)], dim=1)
            if self.lstm:
                gates = (
                    u @ self.controller_weight_ih.T
                    + h @ self.controller_weight_hh.T
                    + self.controller_bias
                )
                i, f, g, o = gates.chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                h = torch.tanh(u @ self.controller_weight.T + self.controller_bias)
            raw = h @ self.head_weight.T + self.head_bias
            k, add, gate, erase, beta, gamma, s = torch.split(raw, sizes, dim=1)
            k = torch.tanh(k).reshape(B, Hd, W)
            beta = F.softplus(beta)
            gate = torch.sigmoid(gate)
            s = torch.softmax(s.reshape(B, Hd, S), dim=-1)
            gamma = 1.0 + F.softplus(gamma)
            erase = torch.sigmoid(erase).reshape(B, E, W)
            add = torch.tanh(add).reshape(B, E, W)
            # content addressing (eqs. 5-6)
            dots = k @ memory.transpose(1, 2)  # (B, Hd, N)
            kn = k.norm(dim=-1) + COSINE_EPS
            mn = memory.norm(dim=-1) + COSINE_EPS
            sim = dots / (kn.unsqueeze(-1) * mn.unsqueeze(1))
            wc = torch.softmax(beta.unsqueeze(-1) * sim, dim=-1)
            # interpolation, shift, sharpening (eqs. 7-9)
            wg = gate.unsqueeze(-1) * wc + (1.0 - gate.unsqueeze(-1)) * weights
            half = S // 2
            ws = sum(s[..., j : j + 1] * torch.roll(wg, j - half, dims=-1) for j in range(S))
            weights = torch.softmax(gamma.unsqueeze(-1) * torch.log(ws + SHARPEN_EPS), dim=-1)
            # read from M_{t-1}, then write
            reads = weights[:, :R] @ memory
            ww = weights[:, R:]
            keep = torch.prod(1.0 - ww.unsqueeze(-1) * erase.unsqueeze(2), dim=1)
            memory = memory * keep + ww.transpose(1, 2) @ add
            outputs.append(
                torch.cat([h, reads.reshape(B, R * W)], dim=1) @ self.output_weight.T
                + self.output_bias
            )
        return torch.stack(outputs)
