"""The same differentiable neural computer written in PyTorch, differentiated by autograd.

Written for ``tests/test_dnc.py`` (parity: the same outputs and gradients on the same weights)
and ``benchmarks/bench_dnc_vs_torch.py`` (speed). It mirrors :class:`recurrent_zoo.dnc.DNC`
equation for equation in the usual PyTorch idioms (``torch.sort`` and ``torch.cumprod`` for
the allocation, as DeepMind's ``tf.nn.top_k`` and ``tf.cumprod``; batched ``matmul`` for content
addressing, links, read and write), vectorised over the batch and the heads. Its parameters are
a ``state_dict`` with the same names and shapes as ``DNC.params``. The gradient through the sort
flows to the sorted values only (``torch.sort``'s backward scatters back through the
permutation), as in the reference.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

COSINE_EPS = 1e-8
ALLOCATION_EPS = 1e-6


def _content(keys, strengths, memory):
    """Softmax over slots of strength x cosine similarity; keys (B, H, W), memory (B, N, W)."""
    dots = keys @ memory.transpose(1, 2)
    kn = keys.norm(dim=-1) + COSINE_EPS
    mn = memory.norm(dim=-1) + COSINE_EPS
    return torch.softmax(strengths.unsqueeze(-1) * dots / (kn.unsqueeze(-1) * mn.unsqueeze(1)), -1)


class TorchDNC(torch.nn.Module):
    """DNC(input_size, output_size, ...) as in recurrent_zoo, on torch tensors.

    ``forward(X)`` takes a ``(T, B, I)`` tensor and returns the ``(T, B, O)`` logits, starting
    from the all-zero state.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        *,
        controller: str = "lstm",
        controller_size: int = 64,
        memory_slots: int = 16,
        word_size: int = 16,
        read_heads: int = 4,
    ) -> None:
        super().__init__()
        self.I, self.O, self.H = input_size, output_size, controller_size
        self.N, self.W, self.R = memory_slots, word_size, read_heads
        self.lstm = controller == "lstm"
        I, O, H, W, R = self.I, self.O, self.H, self.W, self.R
        self.P = R * W + 3 * W + 5 * R + 3
        zeros = torch.zeros
        if self.lstm:
            self.controller_weight_ih = torch.nn.Parameter(zeros(4 * H, I + R * W))
            self.controller_weight_hh = torch.nn.Parameter(zeros(4 * H, H))
            self.controller_bias = torch.nn.Parameter(zeros(4 * H))
        else:
            self.controller_weight = torch.nn.Parameter(zeros(H, I + R * W))
            self.controller_bias = torch.nn.Parameter(zeros(H))
        self.interface_weight = torch.nn.Parameter(zeros(self.P, H))
        self.interface_bias = torch.nn.Parameter(zeros(self.P))
        self.output_weight = torch.nn.Parameter(zeros(O, H + R * W))
        self.output_bias = torch.nn.Parameter(zeros(O))

    @classmethod
    def from_params(cls, params: dict[str, np.ndarray], dtype=torch.float32, **config):
        """A TorchDNC holding copies of ``params`` (a ``DNC.params`` dict)."""
        model = cls(**config).to(dtype)
        state = {k: torch.tensor(np.asarray(v), dtype=dtype) for k, v in params.items()}
        model.load_state_dict(state)
        return model

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        T, B, _ = X.shape
        H, N, W, R = self.H, self.N, self.W, self.R
        dt = X.dtype
        h = torch.zeros(B, H, dtype=dt)
        c = torch.zeros(B, H, dtype=dt)
        reads = torch.zeros(B, R, W, dtype=dt)
        read_w = torch.zeros(B, R, N, dtype=dt)
        write_w = torch.zeros(B, N, dtype=dt)
        usage = torch.zeros(B, N, dtype=dt)
        prec = torch.zeros(B, N, dtype=dt)
        link = torch.zeros(B, N, N, dtype=dt)
        memory = torch.zeros(B, N, W, dtype=dt)
        offdiag = 1.0 - torch.eye(N, dtype=dt)
        # the interface vector, in the paper's order
        sizes = [R * W, R, W, 1, W, W, R, 1, 1, 3 * R]
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
            xi = h @ self.interface_weight.T + self.interface_bias
            rk, rb, wk, wb, e, v, fg, ga, gw, pi = torch.split(xi, sizes, dim=1)
            rk = rk.reshape(B, R, W)
            rb = 1.0 + F.softplus(rb)
            wk = wk.reshape(B, 1, W)
            wb = 1.0 + F.softplus(wb)
            e = torch.sigmoid(e)
            fg = torch.sigmoid(fg)
            ga = torch.sigmoid(ga)
            gw = torch.sigmoid(gw)
            pi = torch.softmax(pi.reshape(B, R, 3), dim=-1)
            # allocation
            psi = torch.prod(1.0 - fg.unsqueeze(-1) * read_w, dim=1)
            usage = (usage + write_w - usage * write_w) * psi
            mapped = ALLOCATION_EPS + (1.0 - ALLOCATION_EPS) * usage
            s, order = torch.sort(mapped, dim=-1, stable=True)
            prods = torch.cumprod(torch.cat([torch.ones(B, 1, dtype=dt), s[:, :-1]], 1), dim=1)
            alloc = torch.zeros_like(s).scatter(1, order, (1.0 - s) * prods)
            # write
            cw = _content(wk, wb, memory)[:, 0]
            write_w = gw * (ga * alloc + (1.0 - ga) * cw)
            ww = write_w.unsqueeze(-1)  # (B, N, 1)
            memory = memory * (1.0 - ww * e.unsqueeze(1)) + ww * v.unsqueeze(1)
            # links, precedence
            link = (
                (1.0 - write_w.unsqueeze(2) - write_w.unsqueeze(1)) * link
                + write_w.unsqueeze(2) * prec.unsqueeze(1)
            ) * offdiag
            prec = (1.0 - write_w.sum(-1, keepdim=True)) * prec + write_w
            # read
            fw = read_w @ link.transpose(1, 2)
            bw = read_w @ link
            cr = _content(rk, rb, memory)
            read_w = pi[..., 0:1] * bw + pi[..., 1:2] * cr + pi[..., 2:3] * fw
            reads = read_w @ memory
            outputs.append(
                torch.cat([h, reads.reshape(B, R * W)], dim=1) @ self.output_weight.T
                + self.output_bias
            )
        return torch.stack(outputs)
