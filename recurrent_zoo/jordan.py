r"""Jordan network: recurrence through the output layer.

In Jordan's (1986) serial-order network the *output* units, not the hidden ones, feed back.
They drive a layer of "state units", each of which also keeps a decaying copy of itself, so the
state is an exponentially weighted trace of past outputs:

.. math::

    s_t &= \mu\, s_{t-1} + y_{t-1}                 && \text{state units, } (B, O) \\
    h_t &= f\left(W_{ih} x_t + W_{sh} s_t + b_h\right)  && \text{hidden units, } (B, H) \\
    y_t &= g\left(W_{ho} h_t + b_o\right)              && \text{output units, } (B, O)

with the decay :math:`\mu \in [0, 1)` a hyperparameter (``decay``). The model's state, as
returned by :meth:`Jordan.forward`, is the next step's state units
:math:`s_{T+1} = \mu s_T + y_T`; it starts at zero.

Backpropagation through time runs the chain above backwards: the gradient reaching
:math:`s_{t+1}` flows into :math:`y_t` and, scaled by :math:`\mu`, into :math:`s_t`.

References
----------
M. I. Jordan, "Serial order: a parallel distributed processing approach", ICS Report 8604,
Institute for Cognitive Science, UC San Diego, 1986.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.ops import ACTIVATIONS
from ._core.sequence import length_mask
from ._core.validation import NDArray, check_choice, check_positive_int, check_probability
from .catalogue import Entry

__all__ = ["Jordan"]


class Jordan(SequenceModel):
    """Jordan's network: output units feed decaying state units that feed the hidden layer.

    Parameters
    ----------
    input_size : int
    hidden_size : int
    output_size : int
        Number of output units, which is also the number of state units.
    decay : float in [0, 1), default 0.5
        Self-recurrent weight :math:`\\mu` of the state units.
    hidden_activation : {"tanh", "sigmoid", "relu", "identity"}, default "tanh"
    output_activation : {"identity", "sigmoid", "tanh", "relu"}, default "identity"
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Notes
    -----
    Parameters: ``weight_ih`` (H, I), ``weight_sh`` (H, O), ``bias_h`` (H,), ``weight_ho``
    (O, H), ``bias_o`` (O,), drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Jordan used
    logistic units throughout; ``hidden_activation="sigmoid", output_activation="sigmoid"``
    gives that network.

    Examples
    --------
    >>> import numpy as np
    >>> net = Jordan(input_size=2, hidden_size=8, output_size=1, decay=0.5, seed=0)
    >>> Y, s = net.forward(np.zeros((6, 3, 2)))   # (T, B, I)
    >>> Y.shape, s.shape                           # (T, B, O), state units (B, O)
    ((6, 3, 1), (3, 1))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        decay: float = 0.5,
        hidden_activation: str = "tanh",
        output_activation: str = "identity",
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.output_size = check_positive_int(output_size, "output_size")
        self.decay = check_probability(decay, "decay", closed="left")
        names = tuple(ACTIVATIONS)
        self.hidden_activation = check_choice(hidden_activation, "hidden_activation", names)
        self.output_activation = check_choice(output_activation, "output_activation", names)
        rng = make_rng(seed)
        H, O = self.hidden_size, self.output_size
        b_in = 1.0 / np.sqrt(input_size + O)  # the hidden layer's fan-in: inputs and state units
        b_out = 1.0 / np.sqrt(H)
        self.params["weight_ih"] = uniform((H, input_size), b_in, rng, self.dtype)
        self.params["weight_sh"] = uniform((H, O), b_in, rng, self.dtype)
        self.params["bias_h"] = uniform((H,), b_in, rng, self.dtype)
        self.params["weight_ho"] = uniform((O, H), b_out, rng, self.dtype)
        self.params["bias_o"] = uniform((O,), b_out, rng, self.dtype)

    @classmethod
    def equations(cls) -> list[Any]:
        import sympy as sp

        H, I, O = sp.symbols("H I O", integer=True, positive=True)
        mu = sp.Symbol("mu")
        x = sp.MatrixSymbol("x_t", I, 1)
        s_prev, s = sp.MatrixSymbol("s_{t-1}", O, 1), sp.MatrixSymbol("s_t", O, 1)
        y_prev, y = sp.MatrixSymbol("y_{t-1}", O, 1), sp.MatrixSymbol("y_t", O, 1)
        h = sp.MatrixSymbol("h_t", H, 1)
        W_ih, W_sh = sp.MatrixSymbol("W_ih", H, I), sp.MatrixSymbol("W_sh", H, O)
        W_ho = sp.MatrixSymbol("W_ho", O, H)
        b_h, b_o = sp.MatrixSymbol("b_h", H, 1), sp.MatrixSymbol("b_o", O, 1)
        f, g = sp.Function("f"), sp.Function("g")
        return [
            sp.Eq(s, mu * s_prev + y_prev, evaluate=False),
            sp.Eq(h, f(W_ih * x + W_sh * s + b_h), evaluate=False),
            sp.Eq(y, g(W_ho * h + b_o), evaluate=False),
        ]

    def initial_state(self, batch_size: int) -> State:
        return np.zeros((batch_size, self.output_size), dtype=self.dtype)

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        H, O = self.hidden_size, self.output_size
        p = self.params
        f = ACTIVATIONS[self.hidden_activation].forward
        g = ACTIVATIONS[self.output_activation].forward
        mask = length_mask(lengths, T, self.dtype)  # (T, B, 1) or None
        # input projections of all steps at once
        A = (X.reshape(T * B, I) @ p["weight_ih"].T).reshape(T, B, H) + p["bias_h"]  # (T, B, H)
        S = np.empty((T, B, O), dtype=self.dtype)  # state units used at each step
        Yr = np.empty((T, B, O), dtype=self.dtype)  # raw outputs (before masking)
        W_sh_T, W_ho_T, b_o = p["weight_sh"].T, p["weight_ho"].T, p["bias_o"]
        s = state  # (B, O)
        for t in range(T):
            S[t] = s
            a = A[t]
            a += s @ W_sh_T
            f(a, out=a)  # A[t] now holds h_t
            z = a @ W_ho_T + b_o
            g(z, out=Yr[t])
            s_next = self.decay * s + Yr[t]
            s = s_next if mask is None else mask[t] * s_next + (1.0 - mask[t]) * s
        Y = Yr if mask is None else Yr * mask
        self._cache = (X, A, S, Yr, mask)
        return Y, s.copy()

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, Hh, S, Yr, mask = self._cache
        T, B, I = X.shape
        H, O = self.hidden_size, self.output_size
        p = self.params
        df = ACTIVATIONS[self.hidden_activation].backward
        dg = ACTIVATIONS[self.output_activation].backward
        dZ = np.empty((T, B, O), dtype=self.dtype)  # gradients at the output pre-activations
        dA = np.empty((T, B, H), dtype=self.dtype)  # gradients at the hidden pre-activations
        W_ho, W_sh = p["weight_ho"], p["weight_sh"]
        # how much of s_{t+1}'s gradient reaches s_t directly: the decay, or 1 past a length
        carry = None if mask is None else mask * self.decay + (1.0 - mask)  # (T, B, 1)
        ds = dstate.copy()  # dL/ds_{t+1}, (B, O)
        for t in reversed(range(T)):
            dy = dY[t] + ds
            if mask is not None:
                dy = dy * mask[t]
            dZ[t] = dg(Yr[t], dy)
            dA[t] = df(Hh[t], dZ[t] @ W_ho)
            ds = (self.decay if carry is None else carry[t]) * ds + dA[t] @ W_sh
        dZ2, dA2 = dZ.reshape(T * B, O), dA.reshape(T * B, H)
        self.grads = {
            "weight_ih": dA2.T @ X.reshape(T * B, I),
            "weight_sh": dA2.T @ S.reshape(T * B, O),
            "bias_h": dA2.sum(axis=0),
            "weight_ho": dZ2.T @ Hh.reshape(T * B, H),
            "bias_o": dZ2.sum(axis=0),
        }
        dX = (dA2 @ p["weight_ih"]).reshape(T, B, I)
        return dX, ds


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="jordan",
    title="Jordan network",
    cls=Jordan,
    family="classic",
    year=1986,
    reference=(
        'M. I. Jordan, "Serial order: a parallel distributed processing approach", '
        "ICS Report 8604, UC San Diego, 1986"
    ),
    task="adding",
    trainable=True,
    summary="State units fed from the output layer, with self-recurrent decay.",
    examples=(
        {"hidden_size": 3, "output_size": 2},
        {"hidden_size": 4, "output_size": 1, "decay": 0.0, "output_activation": "sigmoid"},
        {"hidden_size": 2, "output_size": 3, "hidden_activation": "sigmoid", "decay": 0.9},
    ),
    recipe=(
        {
            "model": {"hidden_size": 32, "output_size": 1},
            "readout": False,
            "optimizer": "adam",
            "lr": 0.01,
            "epochs": 30,
            "batch_size": 32,
            # simple recurrent nets do not learn the adding problem at T = 50, the full
            # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
            "full": {"task_options": {"length": 10}},
        }
    ),
)
