r"""Multiple timescale recurrent neural network (MTRNN), Yamashita & Tani (2008).

A CTRNN, discretised with Euler's method and a unit step, whose units form three groups with
their own time constants: input-output units (:math:`\tau_{io} = 2`), fast context units
(:math:`\tau_f = 5`) and slow context units (:math:`\tau_s = 70`) -- the paper's values and
our defaults. Every unit integrates its synaptic input with a leak set by its group's
:math:`\tau`:

.. math::

    u_{i,t} = \left(1 - \frac{1}{\tau_i}\right) u_{i,t-1}
              + \frac{1}{\tau_i}\Bigl(\sum_{j} w_{ij}\, x_{j,t} + b_i\Bigr),
    \qquad
    x_{j,t} = \begin{cases} x^{\text{in}}_{j,t} & j \text{ an input} \\
                            f(u_{j,t-1}) & j \text{ a context unit} \end{cases}

with the context activation :math:`f` the logistic function (``context_activation``), and the
outputs read from the input-output units, :math:`Y_t = f_{out}(u^{io}_t)` (the paper applies a
softmax to its sparse, topology-preserving-map encoding; ``output_activation``). Connectivity
follows the paper: the input-output group is not connected to the slow group in either
direction, so the slow units reach the outputs only through the fast ones:

================  =====================  =========================
unit group        receives from          parameter, shape
================  =====================  =========================
input-output      inputs, fast           ``weight_io`` (O, I + F)
fast context      inputs, fast, slow     ``weight_fast`` (F, I + F + S)
slow context      fast, slow             ``weight_slow`` (S, F + S)
================  =====================  =========================

plus biases ``bias_io``, ``bias_fast``, ``bias_slow``. The state is the membrane potentials
``(u_io, u_fast, u_slow)`` of shapes ``(B, O)``, ``(B, F)``, ``(B, S)``; with the step above,
:math:`Y_t` is the network's prediction of the next input (the paper trains it to predict
:math:`x_{t+1}`).

Initial slow-context states per sequence
----------------------------------------
In the paper each training sequence has its own initial slow-context state
:math:`u^{s}_{0}`, learned by BPTT together with the weights; different initial states then
make the same network generate different behaviours. Here they are the rows of the parameter
``initial_slow`` of shape ``(n_sequences, S)``, and ``forward`` takes the sequences' indices:

``model.forward(X, sequence_ids=ids)`` (``ids`` of shape ``(B,)`` in ``[0, n_sequences)``)
    starts sequence ``b`` from :math:`u^{io}_0 = 0`, :math:`u^{f}_0 = 0`,
    :math:`u^{s}_0 =` ``initial_slow[ids[b]]``; :meth:`MTRNN.backward` then adds the gradient
    with respect to that initial state into ``grads["initial_slow"]`` (rows of repeated ids
    accumulate).
``model.forward(X)``
    is ``sequence_ids = zeros(B)``: every sequence starts from row 0 (also what
    :meth:`MTRNN.initial_state` returns).
``model.forward(X, state)``
    starts from the given state (e.g. carried from a previous call); ``initial_slow`` is
    not used and its gradient is zero.

Wrappers (:class:`~recurrent_zoo.Stacked`, :class:`~recurrent_zoo.Bidirectional`) see the
state of row 0 as the initial state but, calling the private ``_backward``, do not train
``initial_slow``.

BPTT, with :math:`\delta_t = \partial L / \partial a_t` for the synaptic input :math:`a_t` of
the update above and :math:`\bar u_t` the gradient reaching :math:`u_t`:

.. math::

    \delta_t = \tau^{-1} \odot \bar u_t, \qquad
    \bar u_{t-1} = (1 - \tau^{-1}) \odot \bar u_t
                   + f'(u^{c}_{t-1}) \odot \bigl(W_{\cdot c}^\top \delta_t\bigr)\big|_{c}

References
----------
Y. Yamashita and J. Tani, "Emergence of functional hierarchy in a multiple timescale neural
network model: a humanoid robot experiment", PLoS Computational Biology 4(11):e1000220, 2008.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.ops import ACTIVATIONS, softmax, softmax_backward
from ._core.sequence import length_mask
from ._core.validation import (
    NDArray,
    check_array,
    check_choice,
    check_positive_int,
    check_real,
    check_sequence,
)
from .catalogue import Entry

__all__ = ["MTRNN", "compare_run", "train_two_patterns", "two_patterns"]

_OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "tanh", "softmax")


def _check_tau(value: Any, name: str) -> float:
    """A time constant: ``tau >= 1``, so that the leak ``1 - 1/tau`` lies in ``[0, 1)``."""
    return check_real(value, name, low=1.0, closed="left")


class MTRNN(SequenceModel):
    """Yamashita & Tani's multiple timescale RNN: input-output, fast and slow context units.

    Parameters
    ----------
    input_size : int
        Number of input features ``I``.
    fast_size : int, default 60
        Number of fast context units ``F`` (60 in the paper).
    slow_size : int, default 20
        Number of slow context units ``S`` (20 in the paper).
    output_size : int, optional
        Number of input-output units ``O``; ``input_size`` by default (the outputs predict
        the next input).
    n_sequences : int, default 1
        Number of learnable initial slow-context states (rows of ``initial_slow``).
    tau_io, tau_fast, tau_slow : float >= 1, defaults 2, 5, 70
        Time constants of the three groups (the paper's values).
    context_activation : {"sigmoid", "tanh"}, default "sigmoid"
    output_activation : {"identity", "sigmoid", "tanh", "softmax"}, default "identity"
        ``"softmax"`` normalises over all output units (the paper's sparse encoding).
    seed : int or numpy.random.Generator, optional
        Weights and biases are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in));
        ``initial_slow`` starts at zero (the neutral state).
    dtype : {np.float64, np.float32}

    Examples
    --------
    >>> net = MTRNN(input_size=2, fast_size=8, slow_size=3, n_sequences=2, seed=0)
    >>> X = np.zeros((10, 2, 2))                                   # (T, B, I)
    >>> Y, (u_io, u_fast, u_slow) = net.forward(X, sequence_ids=[0, 1])
    >>> Y.shape, u_io.shape, u_fast.shape, u_slow.shape
    ((10, 2, 2), (2, 2), (2, 8), (2, 3))
    >>> dX = net.backward(np.ones_like(Y))
    >>> net.grads["initial_slow"].shape                            # (n_sequences, S)
    (2, 3)
    """

    def __init__(
        self,
        input_size: int,
        fast_size: int = 60,
        slow_size: int = 20,
        *,
        output_size: int | None = None,
        n_sequences: int = 1,
        tau_io: float = 2.0,
        tau_fast: float = 5.0,
        tau_slow: float = 70.0,
        context_activation: str = "sigmoid",
        output_activation: str = "identity",
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.fast_size = check_positive_int(fast_size, "fast_size")
        self.slow_size = check_positive_int(slow_size, "slow_size")
        self.output_size = (
            self.input_size
            if output_size is None
            else check_positive_int(output_size, "output_size")
        )
        self.n_sequences = check_positive_int(n_sequences, "n_sequences")
        self.tau_io = _check_tau(tau_io, "tau_io")
        self.tau_fast = _check_tau(tau_fast, "tau_fast")
        self.tau_slow = _check_tau(tau_slow, "tau_slow")
        self.context_activation = check_choice(
            context_activation, "context_activation", ("sigmoid", "tanh")
        )
        self.output_activation = check_choice(
            output_activation, "output_activation", _OUTPUT_ACTIVATIONS
        )
        I, O, F, S = self.input_size, self.output_size, self.fast_size, self.slow_size
        rng = make_rng(seed)
        for name, rows, fan_in in (("io", O, I + F), ("fast", F, I + F + S), ("slow", S, F + S)):
            bound = 1.0 / np.sqrt(fan_in)
            self.params[f"weight_{name}"] = uniform((rows, fan_in), bound, rng, self.dtype)
            self.params[f"bias_{name}"] = uniform((rows,), bound, rng, self.dtype)
        self.params["initial_slow"] = np.zeros((self.n_sequences, S), dtype=self.dtype)
        # per-unit time constants of the concatenated potentials [u_io, u_fast, u_slow]
        self._inv_tau = np.concatenate(
            [
                np.full(O, 1.0 / self.tau_io),
                np.full(F, 1.0 / self.tau_fast),
                np.full(S, 1.0 / self.tau_slow),
            ]
        ).astype(self.dtype)
        self._ids: NDArray | None = None

    @classmethod
    def equations(cls) -> list[Any]:
        from .analysis.equations import mtrnn_equations

        return mtrnn_equations()

    # ------------------------------------------------------------------ initial states
    def _check_ids(self, sequence_ids: Any, B: int) -> NDArray:
        ids = np.asarray(sequence_ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"sequence_ids must be integers, shape (B={B},); got dtype {ids.dtype}")
        if ids.shape != (B,):
            raise ValueError(f"sequence_ids must have shape (B={B},); got shape {ids.shape}")
        if B and (ids.min() < 0 or ids.max() >= self.n_sequences):
            raise ValueError(
                f"sequence_ids must lie in [0, n_sequences={self.n_sequences}); "
                f"got min {ids.min()}, max {ids.max()}"
            )
        return ids.astype(np.int64)

    def initial_state(self, batch_size: int, sequence_ids: Any = None) -> State:
        """Zero input-output and fast potentials; slow potentials from ``initial_slow``.

        Parameters
        ----------
        batch_size : int
        sequence_ids : array_like of int, shape (batch_size,), optional
            Row of ``initial_slow`` for each sequence; row 0 for all by default.
        """
        ids = (
            np.zeros(batch_size, dtype=np.int64)
            if sequence_ids is None
            else self._check_ids(sequence_ids, batch_size)
        )
        return (
            np.zeros((batch_size, self.output_size), dtype=self.dtype),
            np.zeros((batch_size, self.fast_size), dtype=self.dtype),
            self.params["initial_slow"][ids].copy(),
        )

    def forward(
        self, X: Any, state: State = None, lengths: Any = None, *, sequence_ids: Any = None
    ) -> tuple[NDArray, State]:
        """Run the network; see the module docstring for ``sequence_ids`` versus ``state``.

        Parameters
        ----------
        X : array_like, shape (T, B, input_size)
        state : tuple of 3 arrays, optional
            ``(u_io, u_fast, u_slow)``; built from ``initial_slow`` when omitted.
        lengths : array_like of int, shape (B,), optional
        sequence_ids : array_like of int, shape (B,), optional
            Which learned initial slow state each sequence starts from (not with ``state``).

        Returns
        -------
        Y : ndarray, shape (T, B, output_size)
        state : tuple ``(u_io, u_fast, u_slow)`` after each sequence's last step
        """
        X = check_sequence(X, "X", input_size=self.input_size, dtype=self.dtype)
        B = X.shape[1]
        ids = None
        if state is None:
            ids = (
                np.zeros(B, dtype=np.int64)
                if sequence_ids is None
                else self._check_ids(sequence_ids, B)
            )
            state = self.initial_state(B, ids)
        elif sequence_ids is not None:
            raise ValueError("give either state or sequence_ids, not both")
        Y, final = super().forward(X, state, lengths)
        self._ids = ids
        return Y, final

    def backward(self, dY: Any, dstate: State = None) -> NDArray:
        """BPTT through the last forward; also trains ``initial_slow`` when it was used."""
        dX = super().backward(dY, dstate)
        if self._ids is not None:
            np.add.at(self.grads["initial_slow"], self._ids, self.state_grad[2])
        return dX

    # ------------------------------------------------------------------ the recurrence
    def _blocks(self) -> tuple[NDArray, NDArray, NDArray]:
        """Input weights (M, I), context weights (M, C) and biases (M,) of all M units.

        The blocks the paper leaves unconnected (input-output <-> slow, input -> slow) are 0.
        """
        p = self.params
        I, O, F, S = self.input_size, self.output_size, self.fast_size, self.slow_size
        W_in = np.zeros((O + F + S, I), dtype=self.dtype)
        W_ctx = np.zeros((O + F + S, F + S), dtype=self.dtype)
        W_in[:O] = p["weight_io"][:, :I]
        W_ctx[:O, :F] = p["weight_io"][:, I:]
        W_in[O : O + F] = p["weight_fast"][:, :I]
        W_ctx[O : O + F] = p["weight_fast"][:, I:]
        W_ctx[O + F :] = p["weight_slow"]
        bias = np.concatenate([p["bias_io"], p["bias_fast"], p["bias_slow"]])
        return W_in, W_ctx, bias

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        O = self.output_size
        M = O + self.fast_size + self.slow_size
        act = ACTIVATIONS[self.context_activation].forward
        W_in, W_ctx, bias = self._blocks()
        inv_tau = self._inv_tau
        leak = 1.0 - inv_tau
        mask = length_mask(lengths, T, self.dtype)  # (T, B, 1) or None
        # input drive of every step at once: one GEMM outside the loop
        A = (X.reshape(T * B, I) @ W_in.T).reshape(T, B, M) + bias  # (T, B, M)
        U = np.empty((T, B, M), dtype=self.dtype)  # potentials after each step
        Cs = np.empty((T, B, M - O), dtype=self.dtype)  # context activations read at each step
        u = np.concatenate(state, axis=1)  # (B, M): [u_io, u_fast, u_slow]
        for t in range(T):
            c = act(u[:, O:], out=Cs[t])  # f(u_{t-1}) of the fast and slow units
            a = A[t]
            a += c @ W_ctx.T  # A[t] now holds the full synaptic input
            u_new = leak * u + inv_tau * a
            u = u_new if mask is None else mask[t] * u_new + (1.0 - mask[t]) * u
            U[t] = u
        Uo = U[:, :, :O]
        if self.output_activation == "softmax":
            Yr = softmax(Uo, axis=-1)
        else:
            Yr = ACTIVATIONS[self.output_activation].forward(Uo)
        Y = Yr if mask is None else Yr * mask
        self._cache = (X, Cs, Yr, mask, W_in, W_ctx)
        F = self.fast_size
        return Y, (u[:, :O].copy(), u[:, O : O + F].copy(), u[:, O + F :].copy())

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, Cs, Yr, mask, W_in, W_ctx = self._cache
        T, B, I = X.shape
        O, F = self.output_size, self.fast_size
        M = O + F + self.slow_size
        dact = ACTIVATIONS[self.context_activation].backward
        inv_tau = self._inv_tau
        leak = 1.0 - inv_tau
        if mask is not None:
            dY = dY * mask
        if self.output_activation == "softmax":
            dUo = softmax_backward(Yr, dY, axis=-1)  # (T, B, O)
        else:
            dUo = ACTIVATIONS[self.output_activation].backward(Yr, dY)
        dA = np.empty((T, B, M), dtype=self.dtype)  # gradients w.r.t. the synaptic inputs
        du = np.concatenate(dstate, axis=1)  # dL/du_t from step t + 1, (B, M)
        for t in reversed(range(T)):
            g = du.copy()
            g[:, :O] += dUo[t]
            if mask is not None:
                held = (1.0 - mask[t]) * g
                g *= mask[t]
            np.multiply(g, inv_tau, out=dA[t])
            du = leak * g
            du[:, O:] += dact(Cs[t], dA[t] @ W_ctx)
            if mask is not None:
                du += held
        # weight gradients: one GEMM each after the loop
        dA2 = dA.reshape(T * B, M)
        dW_in = dA2.T @ X.reshape(T * B, I)  # (M, I)
        dW_ctx = dA2.T @ Cs.reshape(T * B, M - O)  # (M, C)
        db = dA2.sum(axis=0)
        self.grads = {
            "weight_io": np.concatenate([dW_in[:O], dW_ctx[:O, :F]], axis=1),
            "bias_io": db[:O],
            "weight_fast": np.concatenate([dW_in[O : O + F], dW_ctx[O : O + F]], axis=1),
            "bias_fast": db[O : O + F],
            "weight_slow": dW_ctx[O + F :].copy(),
            "bias_slow": db[O + F :],
            "initial_slow": np.zeros_like(self.params["initial_slow"]),
        }
        dX = (dA2 @ W_in).reshape(T, B, I)
        return dX, (du[:, :O].copy(), du[:, O : O + F].copy(), du[:, O + F :].copy())

    # ------------------------------------------------------------------ generation
    def generate(
        self,
        n_steps: int,
        x0: Any,
        *,
        sequence_ids: Any = None,
        state: State = None,
        return_state: bool = False,
    ) -> Any:
        """Closed-loop generation: each output is fed back as the next input.

        This is the paper's "mental simulation". It needs ``output_size == input_size``.

        Parameters
        ----------
        n_steps : int
        x0 : array_like, shape (B, input_size)
            The first input.
        sequence_ids, state
            The initial state, as for :meth:`forward`.
        return_state : bool, default False
            Also return the potentials ``(U_io, U_fast, U_slow)`` of every step, each
            ``(n_steps, B, size)``.

        Returns
        -------
        Y : ndarray, shape (n_steps, B, output_size)
        states : tuple of 3 ndarrays (only with ``return_state``)

        Examples
        --------
        >>> net = MTRNN(2, 6, 2, seed=0)
        >>> net.generate(5, np.zeros((3, 2))).shape
        (5, 3, 2)
        """
        n_steps = check_positive_int(n_steps, "n_steps")
        if self.output_size != self.input_size:
            raise ValueError(
                f"generate feeds outputs back as inputs and needs output_size "
                f"({self.output_size}) == input_size ({self.input_size})"
            )
        x = check_array(x0, "x0", ndim=2, dtype=self.dtype, shape_doc="(B, input_size)")
        if x.shape[1] != self.input_size:
            raise ValueError(
                f"x0 must have shape (B, input_size={self.input_size}); got shape {x.shape}"
            )
        B = x.shape[0]
        Y = np.empty((n_steps, B, self.output_size), dtype=self.dtype)
        trace = [
            np.empty((n_steps, B, n), dtype=self.dtype)
            for n in (self.output_size, self.fast_size, self.slow_size)
        ]
        s = state
        ids = sequence_ids
        for t in range(n_steps):
            y, s = self.forward(x[None], s, sequence_ids=ids)
            ids = None
            Y[t] = y[0]
            for k in range(3):
                trace[k][t] = s[k]
            x = y[0]
        self._cache = None  # a generation is not a forward pass to backpropagate through
        self._last_shape = None
        return (Y, tuple(trace)) if return_state else Y

    def context_activations(
        self, states: tuple[NDArray, NDArray, NDArray]
    ) -> tuple[NDArray, NDArray]:
        """Fast and slow context activations :math:`f(u)` of potentials from :meth:`generate`."""
        act = ACTIVATIONS[self.context_activation].forward
        return act(np.asarray(states[1])), act(np.asarray(states[2]))


# ----------------------------------------------------------------------------- comparison run
def two_patterns(period: int = 20, n_periods: float = 3.0, dtype: Any = np.float64) -> NDArray:
    """Two distinct periodic 2-D patterns: a circle and a figure eight, ``(T, 2, 2)``.

    Both have the same period (``period`` steps), lie in [0.1, 0.9] and start at the same
    point, so only the initial slow-context state can tell the network which to produce.

    Examples
    --------
    >>> two_patterns(period=20, n_periods=2).shape
    (40, 2, 2)
    """
    T = int(round(period * n_periods))
    phase = 2 * np.pi * np.arange(T) / period
    circle = np.stack([np.sin(phase), np.cos(phase)], axis=-1)
    eight = np.stack([np.sin(phase), np.cos(2 * phase)], axis=-1)
    return (0.5 + 0.4 * np.stack([circle, eight], axis=1)).astype(dtype)


def train_two_patterns(
    *, epochs: int = 800, seed: int = 0, lr: float = 0.02
) -> tuple[MTRNN, NDArray, list[float]]:
    """Train ``MTRNN(1, 32, 4, output_size=2, n_sequences=2)`` on :func:`two_patterns`.

    The input is zero throughout: sequence ``k`` starts from ``initial_slow[k]`` and must
    generate pattern ``k``. Adam (``lr``), gradient norm clipped at 1, full-batch BPTT over
    3 periods of 20 steps.

    Returns
    -------
    net : MTRNN
    target : ndarray, shape (60, 2, 2)
    curve : list of float
        Mean squared error before each update.
    """
    from .training.clipping import clip_grad_norm
    from .training.optimizers import Adam

    target = two_patterns(20, 3.0)  # (T, 2, 2)
    net = MTRNN(1, 32, 4, output_size=2, n_sequences=2, output_activation="sigmoid", seed=seed)
    opt = Adam(net.params, lr=lr)
    X = np.zeros((target.shape[0], 2, 1))
    ids = np.array([0, 1])
    curve = []
    for _ in range(check_positive_int(epochs, "epochs")):
        Y, _ = net.forward(X, sequence_ids=ids)
        err = Y - target
        curve.append(float(np.mean(err**2)))
        net.backward(2.0 * err / err.size)
        clip_grad_norm(net.grads, 1.0)
        opt.step(net.grads)
    return net, target, curve


def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Train an MTRNN to generate two periodic patterns from two learned slow-context states.

    The network gets no input (zeros): what it generates is decided by the initial slow
    state alone, which is the paper's result in miniature (:func:`train_two_patterns`).
    Scored by the mean squared error of the generated patterns; the target, 0.005, is 1/16 of
    the patterns' variance (0.08).
    """
    start = time.perf_counter()
    net, target, curve = train_two_patterns(epochs=800 if quick else 2000, seed=seed)
    Y, _ = net.forward(np.zeros((target.shape[0], 2, 1)), sequence_ids=[0, 1])
    mse = float(np.mean((Y - target) ** 2))
    return {
        "task": "two_patterns",
        "metric": "generation_mse",
        "value": mse,
        "target": 0.005,
        "target_source": "1/16 of the patterns' variance (0.08); Yamashita & Tani (2008) "
        "generate distinct behaviours from slow-context initial states",
        "passed": bool(mse <= 0.005),
        "seconds": time.perf_counter() - start,
        "curve": curve[:: max(1, len(curve) // 100)],
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="mtrnn",
    title="Multiple timescale recurrent neural network (MTRNN)",
    cls=MTRNN,
    family="continuous",
    year=2008,
    reference=(
        'Y. Yamashita and J. Tani, "Emergence of functional hierarchy in a multiple '
        'timescale neural network model: a humanoid robot experiment", PLoS Computational '
        "Biology 4(11):e1000220, 2008"
    ),
    task="two_patterns",
    trainable=True,
    summary=(
        "Input-output, fast (tau 5) and slow (tau 70) context units; learned initial "
        "slow states select the behaviour."
    ),
    examples=(
        {"fast_size": 3, "slow_size": 2, "n_sequences": 2},
        {
            "fast_size": 2,
            "slow_size": 2,
            "output_size": 3,
            "tau_io": 1.0,
            "tau_fast": 2.0,
            "tau_slow": 10.0,
            "context_activation": "tanh",
            "output_activation": "softmax",
        },
    ),
    recipe={"run": compare_run},
)
