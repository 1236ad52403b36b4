r"""IndRNN: the independently recurrent neural network.

Li, Li, Cook, Zhu and Gao (2018) replace the recurrent matrix of an Elman layer by a *vector*:
every unit sees only its own previous output, through a scalar weight :math:`u_n`, and units
exchange information only through the layers stacked above. Layer ``k`` computes

.. math::

    h_t = \phi\left(W x_t + u \odot h_{t-1} + b\right),
    \qquad \phi \in \{\mathrm{relu}, \tanh\}

with ``weight_ih_l{k}`` :math:`W` of shape ``(H, I)`` (``(H, H)`` above the first layer),
``weight_hh_l{k}`` :math:`u` of shape ``(H,)`` and ``bias_ih_l{k}`` :math:`b` of shape ``(H,)``;
layer ``k > 0`` reads layer ``k - 1``'s outputs, and the top layer's outputs are the model's.
There is no output layer: stack a :class:`~recurrent_zoo._core.layers.Linear` readout on top,
as the paper does.

Because a unit's recurrence is a scalar, the gradient through time is one product per unit,

.. math::

    \frac{\partial h_{n,T}}{\partial h_{n,t}} = u_n^{\,T-t} \prod_{k=t}^{T-1} \phi'_{n,k+1},

so it neither explodes nor vanishes as long as :math:`|u_n|^{T-t}` stays between a smallest
useful gradient :math:`\epsilon` and a largest harmless one :math:`\gamma` (the paper's
section 3.1). With relu (:math:`\phi' \in \{0, 1\}`) that gives the bound

.. math::

    |u_n| \le \gamma^{1/T},

which :meth:`IndRNN.apply_constraints` enforces after every optimizer step when ``max_length``
(:math:`T`) is given. The adding problem of the paper uses :math:`\gamma = 2`
(``max_gradient=2``): :math:`|u_n| \le 2^{1/T}`.

Initialisation, as in the authors' adding-problem code: recurrent weights
:math:`u_n \sim U(0, \gamma^{1/T})` -- :math:`U(0, 1)` without ``max_length`` -- so that
different units keep memories of different lengths; for tasks that read only the last step,
the last layer's recurrent weights in :math:`U(\epsilon^{1/T}, \gamma^{1/T})`
(``last_layer_long_memory=True``; the code uses :math:`\epsilon = 1/2`, ``min_gradient``), so
that the layer keeps only long memories; input weights :math:`W \sim N(0, 0.001^2)`; biases 0.

Backpropagation through time, with :math:`a_t` the pre-activation and
:math:`\delta_t = \partial L / \partial a_t`:

.. math::

    \delta_t = \left(\frac{\partial L}{\partial y_t} + u \odot \delta_{t+1}\right)
               \odot \phi'(a_t),
    \qquad \frac{\partial L}{\partial u} = \sum_t \delta_t \odot h_{t-1},
    \qquad \frac{\partial L}{\partial W} = \sum_t \delta_t x_t^\top

References
----------
S. Li, W. Li, C. Cook, C. Zhu and Y. Gao, "Independently recurrent neural network (IndRNN):
building a longer and deeper RNN", CVPR 2018, pp. 5457-5466 (arXiv:1803.04831).
Initialisation ranges: the authors' code, github.com/Sunnydreamrain/IndRNN_Theano_Lasagne
(``adding/adding.py``), and S. Li et al., "Deep independently recurrent neural network
(IndRNN)", arXiv:1910.06251, section 5.1.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, normal
from ._core.ops import ACTIVATIONS
from ._core.sequence import length_mask
from ._core.validation import NDArray, check_choice, check_positive_int, check_probability
from .catalogue import Entry

__all__ = ["IndRNN", "run"]


class IndRNN(SequenceModel):
    """Independently recurrent network: a per-unit recurrent weight, layers stacked.

    Parameters
    ----------
    input_size : int
        Number of input features.
    hidden_size : int
        Number of units per layer.
    num_layers : int, default 1
        Number of stacked IndRNN layers; each reads the previous one's outputs.
    nonlinearity : {"relu", "tanh"}, default "relu"
    bias : bool, default True
        Use ``bias_ih_l{k}``.
    max_length : int, optional
        The sequence length :math:`T` the recurrent weights are scaled for: they are drawn
        from :math:`U(0, \\gamma^{1/T})` and, with ``constrain``, clipped to
        :math:`|u| \\le \\gamma^{1/T}` by :meth:`apply_constraints`. Without it they are drawn
        from :math:`U(0, 1)` and left unconstrained.
    max_gradient : float > 1, default 2.0
        :math:`\\gamma`, the largest gradient magnitude allowed through ``max_length`` steps.
    min_gradient : float in (0, 1), default 0.5
        :math:`\\epsilon`, the smallest, used by ``last_layer_long_memory``.
    last_layer_long_memory : bool, default False
        Draw the last layer's recurrent weights from :math:`U(\\epsilon^{1/T}, \\gamma^{1/T})`
        (keep long memories only), for tasks read at the last step. Needs ``max_length``.
    constrain : bool, default True
        Clip the recurrent weights in :meth:`apply_constraints` (when ``max_length`` is given).
    input_weight_std : float > 0, default 0.001
        Standard deviation of the Gaussian input weights (the authors' adding-problem value).
    seed : int or numpy.random.Generator, optional
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``hidden_size``.
    recurrent_max : float or None
        The bound :math:`\\gamma^{1/T}` on ``|weight_hh_l{k}|``, or None without ``max_length``.

    Notes
    -----
    The authors pair input weights of standard deviation 0.001 with Adam at a learning rate of
    2e-4. With larger steps, scale the input weights up with them (:func:`run` uses 0.02 with
    1e-3): Adam moves every bias by about the learning rate per step, and once the biases
    outweigh the tiny input contributions the relu units fall silent for good.

    Examples
    --------
    >>> import numpy as np
    >>> rnn = IndRNN(input_size=2, hidden_size=4, num_layers=2, max_length=100, seed=0)
    >>> X = np.random.default_rng(0).normal(size=(5, 3, 2))   # (T, B, I)
    >>> Y, h = rnn.forward(X)
    >>> Y.shape, h.shape                                      # (T, B, H), (L, B, H)
    ((5, 3, 4), (2, 3, 4))
    >>> dX = rnn.backward(np.ones_like(Y))
    >>> rnn.grads["weight_hh_l1"].shape                       # one recurrent weight per unit
    (4,)
    >>> rnn.params["weight_hh_l0"][:] = 5.0                   # an optimizer overshoots ...
    >>> rnn.apply_constraints()                               # ... and is projected back
    >>> round(float(rnn.params["weight_hh_l0"].max()), 4)     # 2 ** (1 / 100)
    1.0069
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        nonlinearity: str = "relu",
        bias: bool = True,
        max_length: int | None = None,
        max_gradient: float = 2.0,
        min_gradient: float = 0.5,
        last_layer_long_memory: bool = False,
        constrain: bool = True,
        input_weight_std: float = 0.001,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", ("relu", "tanh"))
        self.bias = bool(bias)
        self.max_length = (
            None if max_length is None else check_positive_int(max_length, "max_length")
        )
        self.max_gradient = check_probability(
            max_gradient, "max_gradient", low=1.0, high=np.inf, closed="neither"
        )
        self.min_gradient = check_probability(min_gradient, "min_gradient", closed="neither")
        self.last_layer_long_memory = bool(last_layer_long_memory)
        self.constrain = bool(constrain)
        self.input_weight_std = check_probability(
            input_weight_std, "input_weight_std", high=np.inf, closed="neither"
        )
        if self.last_layer_long_memory and self.max_length is None:
            raise ValueError("last_layer_long_memory=True needs max_length (the T of the range)")
        self.output_size = self.hidden_size

        rng = make_rng(seed)
        H = self.hidden_size
        high = 1.0 if self.recurrent_max is None else self.recurrent_max
        for k in range(self.num_layers):
            in_size = self.input_size if k == 0 else H
            self.params[f"weight_ih_l{k}"] = normal(
                (H, in_size), self.input_weight_std, rng, self.dtype
            )
            low = 0.0
            if self.last_layer_long_memory and k == self.num_layers - 1:
                assert self.max_length is not None
                low = self.min_gradient ** (1.0 / self.max_length)
            self.params[f"weight_hh_l{k}"] = rng.uniform(low, high, size=H).astype(self.dtype)
            if self.bias:
                self.params[f"bias_ih_l{k}"] = np.zeros(H, dtype=self.dtype)

    @property
    def recurrent_max(self) -> float | None:
        """The bound :math:`\\gamma^{1/T}` on the recurrent weights (None without max_length)."""
        if self.max_length is None:
            return None
        return float(self.max_gradient ** (1.0 / self.max_length))

    @classmethod
    def equations(cls) -> list[Any]:
        import sympy as sp

        H, I = sp.symbols("H I", integer=True, positive=True)
        x, h_prev = sp.MatrixSymbol("x_t", I, 1), sp.MatrixSymbol("h_{t-1}", H, 1)
        h = sp.MatrixSymbol("h_t", H, 1)
        W, u, b = sp.MatrixSymbol("W", H, I), sp.MatrixSymbol("u", H, 1), sp.MatrixSymbol("b", H, 1)
        phi = sp.Function("phi")
        gamma, T = sp.symbols("gamma T", positive=True)
        return [
            sp.Eq(h, phi(W * x + sp.HadamardProduct(u, h_prev) + b), evaluate=False),
            sp.Eq(sp.Symbol("u_max"), gamma ** (1 / T)),  # the bound |u_n| <= u_max
        ]

    def apply_constraints(self) -> None:
        """Clip every recurrent weight to :math:`|u| \\le \\gamma^{1/T}` (paper, section 3.1).

        A no-op without ``max_length`` or with ``constrain=False``.
        :func:`recurrent_zoo.training.fit` calls it after each optimizer update.
        """
        bound = self.recurrent_max
        if bound is None or not self.constrain:
            return
        for k in range(self.num_layers):
            u = self.params[f"weight_hh_l{k}"]
            np.clip(u, -bound, bound, out=u)

    def initial_state(self, batch_size: int) -> State:
        return np.zeros((self.num_layers, batch_size, self.hidden_size), dtype=self.dtype)

    # ------------------------------------------------------------------ the stack
    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        mask = length_mask(lengths, X.shape[0], self.dtype)  # (T, B, 1) or None
        final = np.empty_like(state)  # (L, B, H)
        caches = []
        layer_input = X
        for k in range(self.num_layers):
            layer_input, final[k], cache = self._layer_forward(k, layer_input, state[k], mask)
            caches.append(cache)
        self._cache = (caches, mask)
        return layer_input, final

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        caches, mask = self._cache
        dstate0 = np.empty_like(dstate)
        grads: dict[str, NDArray] = {}
        d_output = dY
        for k in reversed(range(self.num_layers)):
            d_output, dstate0[k] = self._layer_backward(
                k, caches[k], d_output, dstate[k], mask, grads
            )
        self.grads = {name: grads[name] for name in self.params}
        return d_output, dstate0

    # ------------------------------------------------------------------ one layer
    def _layer_forward(
        self, k: int, X: NDArray, h0: NDArray, mask: NDArray | None
    ) -> tuple[NDArray, NDArray, Any]:
        T, B, I = X.shape
        H = self.hidden_size
        p = self.params
        act = ACTIVATIONS[self.nonlinearity].forward
        u = p[f"weight_hh_l{k}"]
        # every step's input projection at once: one GEMM outside the loop
        A = (X.reshape(T * B, I) @ p[f"weight_ih_l{k}"].T).reshape(T, B, H)  # (T, B, H)
        if self.bias:
            A += p[f"bias_ih_l{k}"]
        Hs = A if mask is None else np.empty_like(A)  # held states h_t, (T, B, H)
        h = h0  # (B, H)
        rec = np.empty((B, H), dtype=self.dtype)
        for t in range(T):
            a = A[t]
            np.multiply(u, h, out=rec)  # the recurrence is elementwise: u * h_{t-1}
            a += rec
            act(a, out=a)  # A[t] now holds phi(a_t)
            if mask is None:
                h = a
            else:
                m = mask[t]
                np.multiply(m, a, out=Hs[t])
                Hs[t] += (1.0 - m) * h
                h = Hs[t]
        Y = A if mask is None else A * mask
        return Y, h, (X, h0, A, Hs)

    def _layer_backward(
        self,
        k: int,
        cache: Any,
        dY: NDArray,
        dh_T: NDArray,
        mask: NDArray | None,
        grads: dict[str, NDArray],
    ) -> tuple[NDArray, NDArray]:
        X, h0, A, Hs = cache
        T, B, I = X.shape
        H = self.hidden_size
        u = self.params[f"weight_hh_l{k}"]
        # phi'(a_t) of every step at once (zero past each sequence's length)
        D = ACTIVATIONS[self.nonlinearity].backward(A, np.ones_like(A))  # (T, B, H)
        if mask is not None:
            D *= mask
        dA = np.empty_like(A)  # (T, B, H) gradients at the pre-activations
        dh = dh_T.copy()  # (B, H)
        g = np.empty_like(dh)
        for t in reversed(range(T)):
            np.add(dY[t], dh, out=g)
            np.multiply(g, D[t], out=dA[t])
            if mask is None:
                np.multiply(dA[t], u, out=dh)
            else:
                dh = dA[t] * u + (1.0 - mask[t]) * dh
        # parameter gradients after the loop: a GEMM for W, reductions for u and b
        H_prev = np.concatenate([h0[None], Hs[:-1]], axis=0)  # (T, B, H)
        dA2 = dA.reshape(T * B, H)
        grads[f"weight_ih_l{k}"] = dA2.T @ X.reshape(T * B, I)
        grads[f"weight_hh_l{k}"] = np.einsum("tbh,tbh->h", dA, H_prev)  # (H,)
        if self.bias:
            grads[f"bias_ih_l{k}"] = dA2.sum(axis=0)
        dX = (dA2 @ self.params[f"weight_ih_l{k}"]).reshape(T, B, I)
        return dX, dh


# ---------------------------------------------------------------------- the reference task
def run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Train a two-layer IndRNN on the adding problem with :func:`recurrent_zoo.training.fit`.

    The paper's setting (section 5.1) scaled down to run on a CPU in seconds: two relu IndRNN
    layers (32 units instead of 128) and a linear readout; recurrent weights drawn from
    :math:`U(0, 2^{1/T})`, the last layer's from :math:`U(2^{-1/T}, 2^{1/T})`, and clipped to
    :math:`|u| \\le 2^{1/T}` after every Adam step; MSE on the last step. Two departures, for
    speed: Adam's learning rate is 1e-3 (3e-3 in quick mode) instead of 2e-4, and the input
    weights are drawn with standard deviation 0.02 instead of 0.001 -- with the paper's
    0.001, steps of 1e-3 push the biases past the inputs' contribution within a few updates
    and silence the relu units. Training stops early once the validation MSE is below 0.005.

    Parameters
    ----------
    quick : bool, default True
        ``T = 50`` (a few seconds); else ``T = 200`` (about 10-30 s).
    seed : int, default 0

    Returns
    -------
    dict
        ``task``, ``metric`` ("mse"), ``value`` (MSE on 1000 fresh test sequences),
        ``target`` (0.01), ``target_source``, ``passed``, ``seconds``, ``length``, ``epochs``,
        ``curve`` (training loss per epoch).

    Examples
    --------
    >>> result = run(quick=True, seed=0)      # doctest: +SKIP
    >>> result["passed"]                      # doctest: +SKIP
    True
    """
    from ._core.layers import Linear
    from ._core.sequence import Stacked
    from .tasks.adding import adding_problem
    from .training import fit

    rng = make_rng(seed)
    T, n_train, lr, epochs = (50, 5000, 3e-3, 20) if quick else (200, 10000, 1e-3, 30)
    H = 32
    model = Stacked(
        [
            IndRNN(
                2, H, 2, max_length=T, last_layer_long_memory=True, input_weight_std=0.02, seed=rng
            ),
            Linear(H, 1, seed=rng),
        ]
    )
    X, Y, mask = adding_problem(n_train, T, seed=rng)
    validation = adding_problem(500, T, seed=rng)
    test = adding_problem(1000, T, seed=rng)
    start = time.perf_counter()
    history = fit(
        model,
        X,
        Y,
        mask=mask,
        lr=lr,
        epochs=epochs,
        batch_size=100,
        seed=rng,
        validation_data=validation,
        progress=False,
        callback=lambda epoch, logs: logs["val_loss"] < 0.005,
    )
    out, _ = model.forward(test.inputs)
    mse = float(np.mean((out[-1] - test.targets[-1]) ** 2))
    return {
        "task": "adding",
        "metric": "mse",
        "value": mse,
        "target": 0.01,
        "target_source": (
            "Li et al. (CVPR 2018), fig. 2: IndRNN converges far below the mean predictor's "
            "1/6 at T = 100-5000 (no number given; 0.01 = 1/16 of the baseline is ours)"
        ),
        "passed": mse < 0.01,
        "seconds": time.perf_counter() - start,
        "length": T,
        "epochs": history.epochs,
        "curve": [float(v) for v in history["loss"]],
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="indrnn",
    title="Independently recurrent neural network (IndRNN)",
    cls=IndRNN,
    family="classic",
    year=2018,
    reference=(
        'S. Li, W. Li, C. Cook, C. Zhu and Y. Gao, "Independently recurrent neural network '
        '(IndRNN): building a longer and deeper RNN", CVPR 2018 (arXiv:1803.04831)'
    ),
    task="adding",
    trainable=True,
    summary=(
        "One recurrent weight per unit (h = relu(W x + u * h + b)), layers stacked; "
        "|u| <= 2^(1/T) keeps gradients through T steps bounded."
    ),
    examples=(
        {"hidden_size": 3},
        {
            "hidden_size": 3,
            "num_layers": 2,
            "nonlinearity": "tanh",
            "max_length": 10,
            "last_layer_long_memory": True,
            "input_weight_std": 0.5,
        },
        {"hidden_size": 2, "bias": False, "max_length": 5, "input_weight_std": 0.5},
    ),
    recipe={"run": run},
)
