r"""First-order optimizers with PyTorch's update rules, defaults and argument checks.

An optimizer holds a model's ``params`` dict (name -> ndarray) -- the very arrays, not copies --
and :meth:`Optimizer.step` updates them **in place** from a dict of gradients with the same names
(``model.grads``), keeping per-parameter state (moment estimates, step counts). The models
read their weights from ``params`` on every forward pass, so nothing else needs updating.

Each rule reproduces the single-tensor implementation of ``torch.optim`` 2.13 (``foreach=False``,
``maximize=False``), operation for operation, with :math:`g_t` the gradient, :math:`\theta` a
parameter, :math:`\gamma` the learning rate and :math:`\lambda` the weight decay:

.. math::

    \textbf{SGD:}\quad & g \leftarrow g + \lambda\theta;\quad
        b_t = \mu b_{t-1} + (1 - \tau) g \;(b_1 = g);\quad
        g \leftarrow g + \mu b_t \text{ (Nesterov) or } b_t;\quad
        \theta \leftarrow \theta - \gamma g \\
    \textbf{Adagrad:}\quad & g \leftarrow g + \lambda\theta;\quad
        \tilde\gamma = \gamma / (1 + (t - 1)\eta);\quad s \leftarrow s + g^2;\quad
        \theta \leftarrow \theta - \tilde\gamma\, g / (\sqrt{s} + \epsilon) \\
    \textbf{RMSprop:}\quad & g \leftarrow g + \lambda\theta;\quad
        v \leftarrow \alpha v + (1 - \alpha) g^2;\quad
        \bar g \leftarrow \alpha \bar g + (1 - \alpha) g \text{ (centered)};\quad
        d = \sqrt{v - \bar g^2} + \epsilon;\quad
        b \leftarrow \mu b + g / d;\quad \theta \leftarrow \theta - \gamma b \\
    \textbf{Adam:}\quad & g \leftarrow g + \lambda\theta;\quad
        m \leftarrow \beta_1 m + (1 - \beta_1) g;\quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2;\quad
        \hat v = \max(\hat v, v) \text{ (AMSGrad)} \\
    & \theta \leftarrow \theta - \frac{\gamma}{1 - \beta_1^t}\,
        \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon} \\
    \textbf{AdamW:}\quad & \theta \leftarrow (1 - \gamma\lambda)\,\theta
        \text{ first, then Adam without } g \leftarrow g + \lambda\theta

(:math:`\mu` momentum, :math:`\tau` dampening, :math:`\eta` ``lr_decay``; RMSprop without
momentum updates :math:`\theta \leftarrow \theta - \gamma g / d`; all states start at zero
except Adagrad's sum, at ``initial_accumulator_value``).

References
----------
J. Duchi, E. Hazan, Y. Singer, "Adaptive subgradient methods for online learning and stochastic
optimization", JMLR 12, 2011. T. Tieleman, G. Hinton, "Lecture 6.5 - RMSProp", COURSERA, 2012.
D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015. S. J. Reddi,
S. Kale, S. Kumar, "On the convergence of Adam and beyond", ICLR 2018. I. Loshchilov, F. Hutter,
"Decoupled weight decay regularization", ICLR 2019. I. Sutskever et al., "On the importance of
initialization and momentum in deep learning", ICML 2013.
"""

from __future__ import annotations

import abc
import inspect
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._core.validation import NDArray, check_array, check_probability

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "get_optimizer",
]


def _nonnegative(value: Any, name: str) -> float:
    """``value`` as a finite float ``>= 0``, else a TypeError/ValueError naming ``name``."""
    return check_probability(value, name, high=np.inf, closed="left")


def _lerp(start: NDArray, end: NDArray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded as ``torch.lerp`` rounds it."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1.0 - weight)


class Optimizer(abc.ABC):
    """Base class: holds the parameter arrays and their state, and updates them in place.

    Parameters
    ----------
    params : dict of str to ndarray
        The arrays to optimise, typically ``model.params`` (or a sub-dict of it, to freeze the
        rest). They are updated in place and never copied.
    lr : float
        Learning rate; the attribute ``lr`` may be changed between steps (a schedule).

    Attributes
    ----------
    state : dict of str to dict
        Per-parameter state (``"step"`` and the rule's buffers), created on the first step.

    Notes
    -----
    A new rule implements ``_update(p, g, state)``, updating the array ``p`` in place from
    its gradient ``g`` (which it must not modify) and its state dict.
    """

    def __init__(self, params: Mapping[str, NDArray], lr: float) -> None:
        if not isinstance(params, Mapping):
            raise TypeError(
                f"params must be a dict of str to ndarray (a model's params); "
                f"got {type(params).__name__}"
            )
        if len(params) == 0:
            raise ValueError("params must hold at least one array; got an empty dict")
        for k, p in params.items():
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise TypeError(
                    f"params[{k!r}] must be a float ndarray (updated in place); "
                    f"got {type(p).__name__}"
                    + (f" of dtype {p.dtype}" if isinstance(p, np.ndarray) else "")
                )
            if not p.flags.writeable:
                raise ValueError(f"params[{k!r}] must be writeable (it is updated in place)")
        self.params: dict[str, NDArray] = dict(params)
        self.lr = _nonnegative(lr, "lr")
        self.state: dict[str, dict[str, Any]] = {k: {} for k in self.params}

    def step(self, grads: Mapping[str, Any]) -> None:
        """Update every parameter in place from ``grads`` (same names and shapes).

        ``grads`` may hold extra names (gradients of parameters this optimizer does not own);
        each of its own parameters must have a finite gradient.
        """
        if not isinstance(grads, Mapping):
            raise TypeError(f"grads must be a dict of str to ndarray; got {type(grads).__name__}")
        checked = {}
        for k, p in self.params.items():
            if k not in grads:
                raise ValueError(f"grads is missing the gradient of parameter {k!r}")
            checked[k] = check_array(
                grads[k],
                f"grads[{k!r}]",
                shape=p.shape,
                dtype=p.dtype,
                shape_doc=str(p.shape) + f" like params[{k!r}]",
            )
        for k, p in self.params.items():
            self._update(p, checked[k], self.state[k])

    def reset(self) -> None:
        """Forget all state (moment estimates, step counts)."""
        self.state = {k: {} for k in self.params}

    def save_state(self, path: Any) -> None:
        """Write the state (buffers and step counts) to a safetensors file at ``path``.

        With :meth:`load_state` a training run stopped between steps goes on exactly as if it
        had not stopped (the parameters themselves are saved with the model). Each buffer is one
        tensor named ``"<parameter>/<buffer>"`` (e.g. ``"W/exp_avg"``); the rule's name, its
        hyperparameters and the step counts are JSON in the file's metadata. No pickle.
        """
        from safetensors.numpy import save_file

        tensors: dict[str, NDArray] = {}
        counts: dict[str, dict[str, int]] = {}
        for name, state in self.state.items():
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    tensors[f"{name}/{key}"] = np.ascontiguousarray(value)
                else:
                    counts.setdefault(name, {})[key] = int(value)
        metadata = {
            "format": "recurrent_zoo.optimizer",
            "class": type(self).__name__,
            "hyperparameters": json.dumps(self._hyperparameters(), default=list),
            "counts": json.dumps(counts, sort_keys=True),
        }
        save_file(tensors, os.fspath(path), metadata=metadata)

    def load_state(self, path: Any) -> None:
        """Replace the state with the one :meth:`save_state` wrote to ``path``.

        Everything is checked before any buffer is read: the file (as a model file is), the
        rule (the same class), the parameter names, and for each parameter either no state
        (never stepped) or exactly the buffers and counts this rule keeps, each of the
        parameter's shape and dtype; then every buffer is checked for NaN and infinity. The
        hyperparameters (``lr`` ...) are this optimizer's own, not the file's, so a schedule
        can go on changing them. Raises ``FileNotFoundError`` or a ``ValueError`` naming the
        path and what is wrong; on any error the state is left as it was.
        """
        from safetensors import safe_open

        from .._core.io import _DTYPES, _check_file

        path = os.fspath(path)
        _check_file(path, "optimizer state file")

        def fail(what: str) -> ValueError:
            return ValueError(f"optimizer state file {path!r}: {what}")

        try:
            handle = safe_open(path, framework="np")
        except Exception as exc:  # noqa: BLE001 - safetensors raises its own error type
            raise fail(f"not a valid safetensors file ({exc})") from exc
        with handle as f:
            meta = f.metadata() or {}
            if meta.get("format") != "recurrent_zoo.optimizer":
                raise fail("not an optimizer state (no 'format': 'recurrent_zoo.optimizer')")
            if meta.get("class") != type(self).__name__:
                raise fail(f"the state of {meta.get('class')!r}, not of {type(self).__name__}")
            try:
                counts = json.loads(meta.get("counts", ""))
            except json.JSONDecodeError as exc:
                raise fail(f"its step counts are not valid JSON ({exc})") from exc
            if not isinstance(counts, dict):
                raise fail("its step counts are not a JSON object")
            declared: dict[str, dict[str, tuple[tuple[int, ...], str]]] = {}
            for key in f.keys():
                name, _, buffer = key.rpartition("/")
                view = f.get_slice(key)
                shape = tuple(int(d) for d in view.get_shape())
                declared.setdefault(name, {})[buffer] = (shape, str(view.get_dtype()))
            unknown = sorted((set(declared) | set(counts)) - set(self.params))
            if unknown:
                raise fail(f"state for parameters this optimizer does not hold: {unknown}")
            for name, p in self.params.items():
                arrays, scalars = declared.get(name, {}), counts.get(name, {})
                if not arrays and not scalars:
                    continue  # never stepped
                # the buffers and counts this rule keeps for p: one step on a copy shows them
                probe: dict[str, Any] = {}
                self._update(p.copy(), np.zeros_like(p), probe)
                want_arrays = {k for k, v in probe.items() if isinstance(v, np.ndarray)}
                want_scalars = set(probe) - want_arrays
                if set(arrays) != want_arrays or set(scalars) != want_scalars:
                    raise fail(
                        f"parameter {name!r} has buffers {sorted(arrays)} and counts "
                        f"{sorted(scalars)}; {type(self).__name__} keeps {sorted(want_arrays)} "
                        f"and {sorted(want_scalars)}"
                    )
                for key, value in scalars.items():
                    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                        raise fail(f"count {name}/{key} must be an integer >= 0; got {value!r}")
                for buffer, (shape, code) in arrays.items():
                    if shape != p.shape or np.dtype(_DTYPES.get(code, np.void)) != p.dtype:
                        raise fail(
                            f"buffer {name}/{buffer} is {code} of shape {shape}; parameter "
                            f"{name!r} is {p.dtype.name} of shape {p.shape}"
                        )
            state: dict[str, dict[str, Any]] = {k: {} for k in self.params}
            for name, buffers in declared.items():
                for buffer in buffers:
                    value = f.get_tensor(f"{name}/{buffer}")
                    if not np.isfinite(value).all():
                        raise fail(f"buffer {name}/{buffer} holds NaN or infinite values")
                    state[name][buffer] = value.copy()
            for name, scalars in counts.items():
                state[name].update(scalars)
        self.state = state

    @abc.abstractmethod
    def _update(self, p: NDArray, g: NDArray, state: dict[str, Any]) -> None:
        """Update ``p`` in place from gradient ``g`` (not modified) and ``state``."""

    def _hyperparameters(self) -> dict[str, Any]:
        """The ``__init__`` arguments after ``params``, read from the attributes of their name."""
        names = list(inspect.signature(type(self).__init__).parameters)[2:]  # self, params
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} arrays, {args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Parameters
    ----------
    params : dict of str to ndarray
    lr : float, default 1e-3
    momentum : float, default 0
    dampening : float in [0, 1], default 0
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> opt = SGD(params, lr=0.1, momentum=0.9)
    >>> opt.step({"w": np.array([1.0, 1.0])})
    >>> opt.step({"w": np.array([1.0, 1.0])})
    >>> params["w"]                           # 1 - 0.1 * (1 + 1.9), -2 - 0.1 * (1 + 1.9)
    array([ 0.71, -2.29])
    """

    def __init__(
        self,
        params: Mapping[str, NDArray],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _nonnegative(momentum, "momentum")
        self.dampening = check_probability(dampening, "dampening")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0; "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )

    def _update(self, p: NDArray, g: NDArray, state: dict[str, Any]) -> None:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()  # the first step: b_1 = g
            else:
                buf *= self.momentum
                buf += (1.0 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), as ``torch.optim.Adagrad``.

    Parameters
    ----------
    params : dict of str to ndarray
    lr : float, default 1e-2
    lr_decay : float, default 0
        The step size at step ``t`` is ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
        Starting value of the sum of squared gradients.
    eps : float, default 1e-10

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([1.0])}
    >>> Adagrad(params, lr=0.5).step({"w": np.array([3.0])})
    >>> params["w"]                           # 1 - 0.5 * 3 / (3 + 1e-10)
    array([0.5])
    """

    def __init__(
        self,
        params: Mapping[str, NDArray],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
        self.lr_decay = _nonnegative(lr_decay, "lr_decay")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.initial_accumulator_value = _nonnegative(
            initial_accumulator_value, "initial_accumulator_value"
        )
        self.eps = _nonnegative(eps, "eps")

    def _update(self, p: NDArray, g: NDArray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, self.initial_accumulator_value)
        state["step"] += 1
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        s = state["sum"]
        s += g * g
        std = np.sqrt(s)
        std += self.eps
        p += -clr * g / std


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012), optionally centered (Graves 2013), as PyTorch's.

    Parameters
    ----------
    params : dict of str to ndarray
    lr : float, default 1e-2
    alpha : float in [0, 1], default 0.99
        Smoothing constant of the running average of squared gradients.
    eps : float, default 1e-8
        Added to the root of the average (outside the square root).
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
        Divide by the estimated standard deviation (subtract the squared mean gradient).

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([1.0])}
    >>> RMSprop(params, lr=0.01, alpha=0.75, eps=0.0).step({"w": np.array([4.0])})
    >>> params["w"]                           # 1 - 0.01 * 4 / sqrt(0.25 * 16)
    array([0.98])
    """

    def __init__(
        self,
        params: Mapping[str, NDArray],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = check_probability(alpha, "alpha")
        self.eps = _nonnegative(eps, "eps")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.momentum = _nonnegative(momentum, "momentum")
        self.centered = bool(centered)

    def _update(self, p: NDArray, g: NDArray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        v = state["square_avg"]
        v *= self.alpha
        v += (1.0 - self.alpha) * g * g
        if self.centered:
            m = state["grad_avg"]
            _lerp(m, g, 1.0 - self.alpha)
            # v >= m^2 in exact arithmetic; clamp the rounding error that could make it negative
            avg = np.sqrt(np.maximum(v - m * m, 0.0))
        else:
            avg = np.sqrt(v)
        avg += self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg
            p -= self.lr * buf
        else:
            p += -self.lr * g / avg


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), optionally AMSGrad (Reddi et al. 2018), as ``torch.optim.Adam``.

    Parameters
    ----------
    params : dict of str to ndarray
    lr : float, default 1e-3
    betas : (float, float), each in [0, 1), default (0.9, 0.999)
        Decay rates of the first and second moment estimates.
    eps : float, default 1e-8
        Added to the bias-corrected root of the second moment.
    weight_decay : float, default 0
        L2 penalty added to the gradient (see :class:`AdamW` for the decoupled form).
    amsgrad : bool, default False
        Normalise by the running maximum of the second moment.

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([1.0, 1.0])}
    >>> Adam(params, lr=0.1).step({"w": np.array([5.0, -0.01])})
    >>> np.round(params["w"], 6)              # the first step moves every entry by about lr
    array([0.9, 1.1])
    """

    _decoupled = False

    def __init__(
        self,
        params: Mapping[str, NDArray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair of floats (beta1, beta2); got {betas!r}")
        self.betas = (
            check_probability(betas[0], "betas[0]", closed="left"),
            check_probability(betas[1], "betas[1]", closed="left"),
        )
        self.eps = _nonnegative(eps, "eps")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.amsgrad = bool(amsgrad)

    def _update(self, p: NDArray, g: NDArray, state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            if self._decoupled:
                p *= 1.0 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        _lerp(m, g, 1.0 - beta1)
        v *= beta2
        v += (1.0 - beta2) * g * g
        step_size = self.lr / (1.0 - beta1**step)
        bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
        if self.amsgrad:
            vmax = state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax) / bias_correction2_sqrt
        else:
            denom = np.sqrt(v) / bias_correction2_sqrt
        denom += self.eps
        p += -step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    The parameters shrink by ``1 - lr * weight_decay`` before the Adam step, instead of the
    decay entering the gradient and its moment estimates.

    Parameters
    ----------
    params : dict of str to ndarray
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
    amsgrad : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> params = {"w": np.array([1.0])}
    >>> AdamW(params, lr=0.1, weight_decay=0.5).step({"w": np.array([0.0])})
    >>> params["w"]                           # zero gradient: only the decay, 1 - 0.1 * 0.5
    array([0.95])
    """

    _decoupled = True

    def __init__(
        self,
        params: Mapping[str, NDArray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


#: the optimizers :func:`get_optimizer` knows, by name
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def get_optimizer(
    optimizer: str | Optimizer, params: Mapping[str, NDArray], **kwargs: Any
) -> Optimizer:
    """Build an optimizer by name (see :data:`OPTIMIZERS`) over ``params``, or pass one through.

    Parameters
    ----------
    optimizer : str or Optimizer
        A name (case-insensitive) or an instance, returned as is (then ``kwargs`` must be empty).
    params : dict of str to ndarray
        The arrays to optimise (``model.params``).
    **kwargs
        Hyperparameters of the optimizer (``lr``, ``momentum``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> get_optimizer("sgd", {"w": np.zeros(3)}, lr=0.1, momentum=0.9)
    SGD(1 arrays, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    >>> get_optimizer("lbfgs", {"w": np.zeros(3)})
    Traceback (most recent call last):
    ...
    ValueError: optimizer must be an Optimizer or one of 'sgd', 'adagrad', ...; got 'lbfgs'
    """
    if isinstance(optimizer, Optimizer):
        if kwargs:
            raise ValueError(
                "optimizer is already built: hyperparameters "
                f"{sorted(kwargs)} cannot be applied to it; pass its name instead"
            )
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        cls = OPTIMIZERS[optimizer.lower()]
        try:
            return cls(params, **kwargs)
        except TypeError as exc:
            if "unexpected keyword" in str(exc):
                raise TypeError(f"optimizer {optimizer!r}: {exc}") from exc
            raise
    choices = ", ".join(repr(k) for k in OPTIMIZERS)
    raise ValueError(f"optimizer must be an Optimizer or one of {choices}; got {optimizer!r}")
