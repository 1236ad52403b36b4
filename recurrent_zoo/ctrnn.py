r"""Continuous-time recurrent neural network (CTRNN), Beer's form.

Each unit :math:`i` has a state :math:`y_i` (a membrane potential), a time constant
:math:`\tau_i > 0`, a bias :math:`\theta_i` and a gain :math:`g_i`; its output (firing rate) is
:math:`\sigma(g_i (y_i + \theta_i))` with the logistic :math:`\sigma(x) = 1 / (1 + e^{-x})`:

.. math::

    \tau_i \frac{dy_i}{dt} = -y_i + \sum_{j=1}^{N} w_{ji}\,
        \sigma\!\left(g_j (y_j + \theta_j)\right) + I_i(t)

with :math:`w_{ji}` the weight from unit :math:`j` to unit :math:`i`. In matrix form, with
``weight_hh[i, j]`` :math:`= w_{ji}` (PyTorch's layout: the weight applied as ``W @ a``),
``bias`` :math:`= \theta` and the external currents :math:`I(t) = W_{ih}\, x(t)`:

.. math::

    \dot y = \tau^{-1} \odot \left(-y + W_{hh}\, \sigma(g \odot (y + \theta))
             + W_{ih}\, x(t)\right).

Two uses, one object
--------------------
**Dynamical system.** :meth:`CTRNN.simulate` integrates the ODE with
:func:`scipy.integrate.solve_ivp` (``"RK45"``, ``"LSODA"``, ``"DOP853"``, ``"Radau"``, ``"BDF"``,
``"RK23"``; tolerances and dense output exposed) or with a vectorised fixed-step integrator
(``"euler"``, ``"midpoint"``, ``"heun"``, ``"rk4"``) that runs a whole batch of initial conditions
at once; :func:`ctrnn_vector_field` with :func:`recurrent_zoo._core.ode.integrate` also runs a
batch of *networks* (weights of shape ``(B, N, N)``) in one loop. :meth:`CTRNN.from_weights`
builds a network from given weights, with ``x(t)`` fed straight to the units
(``weight_ih`` the identity), which is Beer's setting; :func:`beer_oscillator` is his
two-neuron oscillator.

**Trainable sequence model.** :meth:`CTRNN.forward` discretises the ODE with ``dt`` and a fixed-
step method, holding the input :math:`x_t` constant over each step (zero-order hold): step
:math:`t` advances the state by ``dt`` from :math:`y_{t-1}` to :math:`y_t`. The outputs are the
units' firing rates :math:`Y_t = \sigma(g \odot (y_t + \theta))` (``output="activation"``,
default) or their states :math:`Y_t = y_t` (``output="state"``); the state is :math:`y`.
Backpropagation through time goes through the Runge-Kutta stages exactly
(:func:`recurrent_zoo._core.ode.rk_step_backward`), so gradients are those of the
discretised model. With the stage input :math:`z`, :math:`a = \sigma(g \odot (z + \theta))`
and :math:`k = \tau^{-1} \odot (-z + W_{hh} a + u)`, the vector-Jacobian product of one stage is

.. math::

    \bar r = \tau^{-1} \odot \bar k, \quad
    \bar z = -\bar r + g \odot a \odot (1 - a) \odot (W_{hh}^\top \bar r), \quad
    \bar W_{hh} \mathrel{+}= \bar r\, a^\top, \quad
    \bar\tau \mathrel{+}= -\tau^{-1} \odot \bar k \odot k .

With ``learn_tau=True`` the time constants are a parameter (``params["tau"]``), kept
``>= dt`` by :meth:`CTRNN.apply_constraints`.

References
----------
R. D. Beer, "On the dynamics of small continuous-time recurrent neural networks",
Adaptive Behavior 3(4):469-509, 1995.
K. Funahashi and Y. Nakamura, "Approximation of dynamical systems by continuous time recurrent
neural networks", Neural Networks 6(6):801-806, 1993.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._core.base import SequenceModel, State
from ._core.init import make_rng, uniform
from ._core.ode import TABLEAUS, check_step, check_t_span, integrate, rk_step, rk_step_backward
from ._core.ops import sigmoid
from ._core.sequence import length_mask
from ._core.validation import NDArray, check_array, check_choice, check_positive_int
from .catalogue import Entry

__all__ = [
    "CTRNN",
    "Trajectory",
    "beer_oscillator",
    "ctrnn_vector_field",
    "ctrnn_jacobian",
    "compare_run",
]

#: Methods of :meth:`CTRNN.simulate` handled by :func:`scipy.integrate.solve_ivp`.
SCIPY_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
#: Fixed-step methods (also the discretisations available to the sequence model).
FIXED_STEP_METHODS = tuple(TABLEAUS)


def _per_unit(value: Any, name: str, n: int, *, positive: bool) -> NDArray:
    """A scalar or a length-``n`` sequence as a float64 ``(n,)`` array."""
    arr = check_array(value, name, ndim=(0, 1), dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] != n:
        raise ValueError(f"{name} must be a scalar or have shape ({n},); got shape {arr.shape}")
    if positive and not np.all(arr > 0):
        raise ValueError(f"{name} must be > 0; got {value!r}")
    return np.broadcast_to(arr, (n,)).copy()


def _hyper(value: Any) -> Any:
    """A scalar hyperparameter as a float, a per-unit one as a tuple (stored unchanged)."""
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr)


def ctrnn_vector_field(
    weight: Any, bias: Any, tau: Any = 1.0, gain: Any = 1.0, inputs: Any = None
) -> Callable[[float, NDArray], NDArray]:
    r"""The CTRNN's right-hand side :math:`f(t, y) = dy/dt`, vectorised over a batch.

    Parameters
    ----------
    weight : array_like, shape (N, N) or (B, N, N)
        ``weight[..., i, j]`` is the weight from unit ``j`` to unit ``i``; a leading batch
        axis holds one network per batch row.
    bias, tau, gain : array_like, broadcastable to (N,) or (B, N)
    inputs : None, array_like broadcastable to (B, N), or callable ``t -> array``
        External currents :math:`I(t)`, in the units' space.

    Returns
    -------
    f : callable ``f(t, y)``, ``y`` of shape ``(N,)`` or ``(B, N)``

    Examples
    --------
    Two networks with different self-weights, integrated together:

    >>> from recurrent_zoo._core.ode import integrate
    >>> W = np.stack([np.eye(2) * 5.0, np.eye(2) * -5.0])            # (B=2, N, N)
    >>> f = ctrnn_vector_field(W, bias=[-2.5, -2.5])
    >>> t, y = integrate(f, (0.0, 20.0), np.ones((2, 2)), dt=0.05)
    >>> y.shape                                                       # (time, B, N)
    (401, 2, 2)
    """
    W = check_array(weight, "weight", ndim=(2, 3), dtype=np.float64)
    if W.shape[-1] != W.shape[-2]:
        raise ValueError(f"weight must be square, shape (N, N) or (B, N, N); got {W.shape}")
    theta = check_array(bias, "bias", dtype=np.float64)
    inv_tau = 1.0 / check_array(tau, "tau", dtype=np.float64)
    if not np.all(inv_tau > 0):
        raise ValueError("tau must be > 0")
    g = check_array(gain, "gain", dtype=np.float64)
    batched_w = W.ndim == 3
    current = (
        inputs
        if (inputs is None or callable(inputs))
        else check_array(inputs, "inputs", dtype=np.float64)
    )

    def f(t: float, y: NDArray) -> NDArray:
        a = sigmoid(g * (y + theta))  # firing rates, (..., N)
        if batched_w:
            drive = np.matmul(W, a[..., None])[..., 0]
        else:
            drive = a @ W.T
        drive -= y
        if current is not None:
            drive += current(t) if callable(current) else current
        return drive * inv_tau

    return f


def ctrnn_jacobian(weight: Any, bias: Any, tau: Any, gain: Any, y: Any) -> NDArray:
    r"""The Jacobian :math:`\partial f / \partial y` of one CTRNN at the state ``y``.

    .. math:: J = \mathrm{diag}(\tau^{-1})\left(-I + W\,\mathrm{diag}(g \odot \sigma'(g \odot
              (y + \theta)))\right)

    (:mod:`recurrent_zoo.analysis.equations` derives the same matrix symbolically.)

    Examples
    --------
    Beer's oscillator at its fixed point, where both firing rates are 1/2:

    >>> W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    >>> ctrnn_jacobian(W, [-2.75, -1.75], 1.0, 1.0, [2.75, 1.75])
    array([[ 0.125,  0.25 ],
           [-0.25 ,  0.125]])
    """
    W = np.asarray(weight, dtype=np.float64)
    n = W.shape[0]
    theta = np.broadcast_to(np.asarray(bias, dtype=np.float64), (n,))
    tau_v = np.broadcast_to(np.asarray(tau, dtype=np.float64), (n,))
    g = np.broadcast_to(np.asarray(gain, dtype=np.float64), (n,))
    a = sigmoid(g * (np.asarray(y, dtype=np.float64) + theta))
    return (-np.eye(n) + W * (g * a * (1.0 - a))[None, :]) / tau_v[:, None]


@dataclass
class Trajectory:
    """What :meth:`CTRNN.simulate` returns.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Times of the saved states.
    y : ndarray, shape (n,) + y0.shape
        States at those times (``(n, N)`` or ``(n, B, N)``).
    outputs : ndarray, same shape as ``y``
        Firing rates :math:`\\sigma(g (y + \\theta))`.
    method : str
    nfev : int
        Number of evaluations of the right-hand side (for a batch, of the batched one).
    sol : callable or None
        With ``dense_output=True`` and a solve_ivp method, ``sol(t)`` interpolates the states
        at any times in ``t_span``: an array of shape ``(len(t),) + y0.shape``.
    t_events : list of ndarray or None
        Event times found by solve_ivp when ``events`` were given.
    """

    t: NDArray
    y: NDArray
    outputs: NDArray
    method: str
    nfev: int
    sol: Callable[[Any], NDArray] | None = None
    t_events: list[NDArray] | None = None


class CTRNN(SequenceModel):
    """Beer's continuous-time recurrent network: an ODE to simulate and a trainable RNN.

    Parameters
    ----------
    input_size : int
        Number of input features ``I``; inputs reach the units through ``weight_ih``.
    hidden_size : int
        Number of units ``N``.
    tau : float or sequence of float, default 1.0
        Time constants :math:`\\tau_i > 0` (one for all units or one per unit). With
        ``learn_tau=True`` this is the initial value of ``params["tau"]``.
    gain : float or sequence of float, default 1.0
        Gains :math:`g_i` (fixed).
    dt : float, default 0.1
        Time step of the sequence model's discretisation (and the default step of the
        fixed-step methods of :meth:`simulate`).
    method : {"euler", "midpoint", "heun", "rk4"}, default "euler"
        The sequence model's discretisation.
    output : {"activation", "state"}, default "activation"
        What ``forward`` returns: the firing rates :math:`\\sigma(g (y_t + \\theta))` or the
        states :math:`y_t`.
    learn_tau : bool, default False
        Make the time constants a parameter, ``params["tau"]`` of shape ``(N,)``.
    seed : int or numpy.random.Generator, optional
        Weights and biases are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    dtype : {np.float64, np.float32}

    Attributes
    ----------
    output_size : int
        ``hidden_size``.

    Notes
    -----
    Parameters: ``weight_ih`` (N, I), ``weight_hh`` (N, N) with ``weight_hh[i, j]`` the weight
    from unit ``j`` to unit ``i`` (Beer's :math:`w_{ji}`), ``bias`` (N,) = :math:`\\theta`, and
    ``tau`` (N,) when learnable. The state is ``y`` of shape ``(B, N)``, zeros by default.

    Examples
    --------
    As a sequence model:

    >>> net = CTRNN(input_size=3, hidden_size=5, tau=2.0, dt=0.1, method="rk4", seed=0)
    >>> X = np.random.default_rng(0).normal(size=(7, 4, 3))    # (T, B, I)
    >>> Y, y = net.forward(X)
    >>> Y.shape, y.shape                                       # (T, B, N), (B, N)
    ((7, 4, 5), (4, 5))
    >>> dX = net.backward(np.ones_like(Y))
    >>> sorted(net.grads)
    ['bias', 'weight_hh', 'weight_ih']

    As a dynamical system (Beer's two-neuron oscillator):

    >>> osc = beer_oscillator()
    >>> traj = osc.simulate((0.0, 100.0), [0.0, 0.0], method="RK45", rtol=1e-8, atol=1e-10)
    >>> traj.y.shape[1], bool(traj.y[-1].max() < 5)
    (2, True)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        tau: Any = 1.0,
        gain: Any = 1.0,
        dt: float = 0.1,
        method: str = "euler",
        output: str = "activation",
        learn_tau: bool = False,
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(input_size, dtype=dtype)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        N = self.hidden_size
        self._tau0 = _per_unit(tau, "tau", N, positive=True)
        self._gain = _per_unit(gain, "gain", N, positive=False).astype(self.dtype)
        self.tau = _hyper(tau)
        self.gain = _hyper(gain)
        self.dt = check_step(dt)
        self.method = check_choice(method, "method", FIXED_STEP_METHODS)
        self.output = check_choice(output, "output", ("activation", "state"))
        self.learn_tau = bool(learn_tau)
        self.output_size = N
        rng = make_rng(seed)
        b_in, b_h = 1.0 / np.sqrt(input_size), 1.0 / np.sqrt(N)
        self.params["weight_ih"] = uniform((N, input_size), b_in, rng, self.dtype)
        self.params["weight_hh"] = uniform((N, N), b_h, rng, self.dtype)
        self.params["bias"] = uniform((N,), b_h, rng, self.dtype)
        if self.learn_tau:
            self.params["tau"] = self._tau0.astype(self.dtype)

    @classmethod
    def from_weights(
        cls,
        weight: Any,
        bias: Any,
        *,
        tau: Any = 1.0,
        gain: Any = 1.0,
        weight_ih: Any = None,
        dt: float = 0.01,
        method: str = "rk4",
        output: str = "activation",
        dtype: Any = np.float64,
    ) -> CTRNN:
        """A CTRNN with given weights, biases, time constants and gains.

        Parameters
        ----------
        weight : array_like, shape (N, N)
            ``weight[i, j]`` is the weight from unit ``j`` to unit ``i``.
        bias : array_like, shape (N,)
        tau, gain : float or array_like of shape (N,)
        weight_ih : array_like, shape (N, I), optional
            Defaults to the identity: inputs are the external currents :math:`I_i(t)`.
        dt, method, output, dtype
            As for :class:`CTRNN`.

        Examples
        --------
        >>> net = CTRNN.from_weights([[4.5, 1.0], [-1.0, 4.5]], [-2.75, -1.75])
        >>> float(net.params["weight_hh"][0, 1])      # from unit 2 to unit 1
        1.0
        """
        W = check_array(weight, "weight", ndim=2, dtype=np.float64)
        N = W.shape[0]
        if W.shape != (N, N):
            raise ValueError(f"weight must be square, shape (N, N); got shape {W.shape}")
        theta = check_array(bias, "bias", shape=(N,), dtype=np.float64, shape_doc=f"(N={N},)")
        W_ih = (
            np.eye(N)
            if weight_ih is None
            else check_array(weight_ih, "weight_ih", ndim=2, dtype=np.float64)
        )
        if W_ih.shape[0] != N:
            raise ValueError(f"weight_ih must have shape (N={N}, I); got shape {W_ih.shape}")
        net = cls(
            W_ih.shape[1],
            N,
            tau=tau,
            gain=gain,
            dt=dt,
            method=method,
            output=output,
            seed=0,
            dtype=dtype,
        )
        net.params["weight_hh"][...] = W
        net.params["bias"][...] = theta
        net.params["weight_ih"][...] = W_ih
        return net

    @classmethod
    def equations(cls) -> list[Any]:
        from .analysis.equations import ctrnn_equations

        return ctrnn_equations()

    # ------------------------------------------------------------------ the dynamical system
    def time_constants(self) -> NDArray:
        """The current :math:`\\tau` as an ``(N,)`` array (the parameter if learnable)."""
        if self.learn_tau:
            return self.params["tau"]
        return self._tau0.astype(self.dtype)

    def apply_constraints(self) -> None:
        """Keep learnable time constants ``>= dt`` (Euler's leak factor stays in [0, 1))."""
        if self.learn_tau:
            np.maximum(self.params["tau"], self.dt, out=self.params["tau"])

    def _currents(self, inputs: Any) -> Any:
        """External inputs ``x`` (or ``t -> x``) mapped to currents ``W_ih x``."""
        if inputs is None:
            return None
        W_ih = self.params["weight_ih"].astype(np.float64)
        if callable(inputs):

            def current(t: float) -> NDArray:
                x = check_array(inputs(t), "inputs(t)", dtype=np.float64)
                if x.shape[-1] != self.input_size:
                    raise ValueError(
                        f"inputs(t) must have last axis input_size={self.input_size}; "
                        f"got shape {x.shape}"
                    )
                return x @ W_ih.T

            return current
        x = check_array(inputs, "inputs", ndim=(1, 2), dtype=np.float64)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"inputs must have shape (input_size={self.input_size},) or (B, input_size); "
                f"got shape {x.shape}"
            )
        return x @ W_ih.T

    def vector_field(self, inputs: Any = None) -> Callable[[float, NDArray], NDArray]:
        """The right-hand side ``f(t, y)`` with the current parameters (float64).

        ``inputs`` is ``None``, a constant input ``(input_size,)`` / ``(B, input_size)``, or a
        callable ``t -> x(t)``; it is mapped through ``weight_ih``.

        Examples
        --------
        >>> f = beer_oscillator().vector_field()
        >>> np.round(f(0.0, np.array([2.75, 1.75])), 12)       # the fixed point
        array([0., 0.])
        """
        p = self.params
        return ctrnn_vector_field(
            p["weight_hh"].astype(np.float64),
            p["bias"].astype(np.float64),
            self.time_constants().astype(np.float64),
            self._gain.astype(np.float64),
            self._currents(inputs),
        )

    def jacobian(self, y: Any) -> NDArray:
        """The Jacobian of the right-hand side at state ``y`` of shape ``(N,)``."""
        p = self.params
        y = check_array(y, "y", shape=(self.hidden_size,), dtype=np.float64)
        return ctrnn_jacobian(p["weight_hh"], p["bias"], self.time_constants(), self._gain, y)

    def activation(self, y: Any) -> NDArray:
        """Firing rates :math:`\\sigma(g (y + \\theta))` of states ``y`` (any leading axes)."""
        y = np.asarray(y)
        return sigmoid(self._gain * (y + self.params["bias"]))

    def simulate(
        self,
        t_span: Any,
        y0: Any,
        inputs: Any = None,
        method: str = "RK45",
        dt: float | None = None,
        *,
        t_eval: Any = None,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        dense_output: bool = False,
        max_step: float = np.inf,
        events: Any = None,
    ) -> Trajectory:
        """Integrate the network's ODE from ``y0`` over ``t_span``.

        Parameters
        ----------
        t_span : (float, float)
        y0 : array_like, shape (N,) or (B, N)
            Initial state(s); a batch of initial conditions is integrated at once.
        inputs : None, array_like or callable, optional
            External input :math:`x(t)` -- constant ``(input_size,)`` or ``(B, input_size)``,
            or a callable ``t -> x(t)`` -- mapped to currents by ``weight_ih``.
        method : str, default "RK45"
            A :func:`scipy.integrate.solve_ivp` method ("RK45", "RK23", "DOP853", "Radau",
            "BDF", "LSODA") or a fixed-step one ("euler", "midpoint", "heun", "rk4").
        dt : float, optional
            Step of the fixed-step methods (default: the model's ``dt``).
        t_eval, rtol, atol, dense_output, max_step, events
            Passed to :func:`scipy.integrate.solve_ivp` (solve_ivp methods only; the implicit
            ones also get the analytic Jacobian). Event functions receive the flattened state.

        Returns
        -------
        Trajectory

        Examples
        --------
        A batch of three initial conditions with RK4:

        >>> net = beer_oscillator()
        >>> traj = net.simulate((0.0, 10.0), np.zeros((3, 2)), method="rk4", dt=0.01)
        >>> traj.t.shape, traj.y.shape
        ((1001,), (1001, 3, 2))
        """
        check_choice(method, "method", SCIPY_METHODS + FIXED_STEP_METHODS)
        t0, t1 = check_t_span(t_span)
        N = self.hidden_size
        y0 = check_array(y0, "y0", ndim=(1, 2), dtype=np.float64)
        if y0.shape[-1] != N:
            raise ValueError(f"y0 must have shape (N={N},) or (B, N={N}); got shape {y0.shape}")
        f = self.vector_field(inputs)
        if method in FIXED_STEP_METHODS:
            if t_eval is not None or events is not None or dense_output:
                raise ValueError(
                    "t_eval, events and dense_output apply to solve_ivp methods only; "
                    f"method={method!r} returns every step"
                )
            step = self.dt if dt is None else check_step(dt)
            t, y = integrate(f, (t0, t1), y0, step, method)
            nfev = (t.size - 1) * TABLEAUS[method].stages
            return Trajectory(t, y, self.activation(y), method, nfev)
        return self._solve_ivp(
            f,
            (t0, t1),
            y0,
            method,
            t_eval=t_eval,
            rtol=rtol,
            atol=atol,
            dense_output=dense_output,
            max_step=max_step,
            events=events,
        )

    def _solve_ivp(
        self,
        f: Callable[[float, NDArray], NDArray],
        t_span: tuple[float, float],
        y0: NDArray,
        method: str,
        **options: Any,
    ) -> Trajectory:
        from scipy.integrate import solve_ivp
        from scipy.linalg import block_diag

        shape = y0.shape

        def fun(t: float, z: NDArray) -> NDArray:
            return f(t, z.reshape(shape)).reshape(-1)

        kwargs = {k: v for k, v in options.items() if v is not None}
        if method in ("Radau", "BDF", "LSODA"):
            p = self.params
            tau_v, g = self.time_constants(), self._gain

            def jac(t: float, z: NDArray) -> NDArray:
                blocks = [
                    ctrnn_jacobian(p["weight_hh"], p["bias"], tau_v, g, row)
                    for row in z.reshape(-1, shape[-1])
                ]
                return block_diag(*blocks)

            kwargs["jac"] = jac
        res = solve_ivp(fun, t_span, y0.reshape(-1), method=method, **kwargs)
        if not res.success:
            raise RuntimeError(f"solve_ivp failed with method={method!r}: {res.message}")
        y = res.y.T.reshape((-1,) + shape)
        sol = None
        if res.sol is not None:
            dense = res.sol

            def sol(t: Any) -> NDArray:
                tt = np.atleast_1d(np.asarray(t, dtype=np.float64))
                return dense(tt).T.reshape((tt.size,) + shape)

        return Trajectory(
            res.t,
            y,
            self.activation(y),
            method,
            int(res.nfev),
            sol,
            list(res.t_events) if res.t_events is not None else None,
        )

    # ------------------------------------------------------------------ the sequence model
    def initial_state(self, batch_size: int) -> State:
        return np.zeros((batch_size, self.hidden_size), dtype=self.dtype)

    def _forward(self, X: NDArray, state: State, lengths: NDArray | None) -> tuple[NDArray, State]:
        T, B, I = X.shape
        N = self.hidden_size
        p = self.params
        W_hh_T, theta, g = p["weight_hh"].T, p["bias"], self._gain
        inv_tau = 1.0 / self.time_constants()
        tableau = TABLEAUS[self.method]
        S = tableau.stages
        mask = length_mask(lengths, T, self.dtype)  # (T, B, 1) or None
        # input currents of every step at once (held constant over the step)
        U = (X.reshape(T * B, I) @ p["weight_ih"].T).reshape(T, B, N)  # (T, B, N)
        Zs = np.empty((T, S, B, N), dtype=self.dtype)  # stage inputs z
        As = np.empty((T, S, B, N), dtype=self.dtype)  # stage firing rates a = sigma(g(z+theta))
        Ks = np.empty((T, S, B, N), dtype=self.dtype)  # stage derivatives k
        Ys = np.empty((T, B, N), dtype=self.dtype)  # held states y_t
        y = state  # (B, N)
        for t in range(T):
            u = U[t]
            rates: list[NDArray] = []

            def f(_: float, z: NDArray, u: NDArray = u, rates: list[NDArray] = rates) -> NDArray:
                a = sigmoid(g * (z + theta))
                rates.append(a)
                return (a @ W_hh_T - z + u) * inv_tau

            y_next, Z, K = rk_step(f, 0.0, y, self.dt, tableau)
            Zs[t], As[t], Ks[t] = Z, rates, K
            y = y_next if mask is None else mask[t] * y_next + (1.0 - mask[t]) * y
            Ys[t] = y
        Yr = sigmoid(g * (Ys + theta)) if self.output == "activation" else Ys
        Y = Yr if mask is None else Yr * mask
        self._cache = (X, Zs, As, Ks, Yr, mask)
        return Y, y.copy()

    def _backward(self, dY: NDArray, dstate: State) -> tuple[NDArray, State]:
        X, Zs, As, Ks, Yr, mask = self._cache
        T, B, I = X.shape
        N = self.hidden_size
        p = self.params
        W_hh, g = p["weight_hh"], self._gain
        inv_tau = 1.0 / self.time_constants()
        tableau = TABLEAUS[self.method]
        if mask is not None:
            dY = dY * mask
        dbias = np.zeros(N, dtype=self.dtype)
        if self.output == "activation":
            dY_net = dY * Yr * (1.0 - Yr) * g  # through sigma(g (y + theta)), (T, B, N)
            dbias += dY_net.sum(axis=(0, 1))
        else:
            dY_net = dY
        dR = np.zeros_like(As)  # gradients w.r.t. the stages' numerators r = -z + W a + u
        dNet = np.zeros_like(As)  # gradients w.r.t. the stages' z + theta
        dtau = np.zeros(N, dtype=self.dtype)
        dy = dstate.copy()  # dL/dy_t flowing back from step t + 1, (B, N)
        for t in reversed(range(T)):
            gy = dY_net[t] + dy
            if mask is not None:
                m = mask[t]
                held = (1.0 - m) * gy
                gy = m * gy

            def vjp(i: int, dk: NDArray, t: int = t) -> NDArray:
                a = As[t, i]
                dr = dk * inv_tau
                dtau[...] -= (dk * Ks[t, i]).sum(axis=0) * inv_tau
                dnet = (dr @ W_hh) * (g * a * (1.0 - a))
                dR[t, i] = dr
                dNet[t, i] = dnet
                return dnet - dr

            dy = rk_step_backward(vjp, gy, self.dt, tableau)
            if mask is not None:
                dy += held
        # weight gradients: one GEMM each after the loop
        dR2 = dR.reshape(-1, N)
        dU = dR.sum(axis=1)  # (T, B, N): the input current enters every stage
        dU2 = dU.reshape(T * B, N)
        self.grads = {
            "weight_ih": dU2.T @ X.reshape(T * B, I),
            "weight_hh": dR2.T @ As.reshape(-1, N),
            "bias": dbias + dNet.reshape(-1, N).sum(axis=0),
        }
        if self.learn_tau:
            self.grads["tau"] = dtau
        dX = (dU2 @ p["weight_ih"]).reshape(T, B, I)
        return dX, dy


def beer_oscillator(dt: float = 0.01, method: str = "rk4") -> CTRNN:
    """Beer's (1995) two-neuron oscillator: a limit cycle around one unstable fixed point.

    Time constants 1, gains 1, biases :math:`\\theta = (-2.75, -1.75)`, self-weights 4.5, the
    weight from neuron 2 to neuron 1 equal to +1 and from neuron 1 to neuron 2 equal to -1.
    The fixed point is :math:`y^* = (2.75, 1.75)`, where both firing rates are 1/2.

    Examples
    --------
    >>> net = beer_oscillator()
    >>> net.params["weight_hh"]
    array([[ 4.5,  1. ],
           [-1. ,  4.5]])
    """
    return CTRNN.from_weights(
        [[4.5, 1.0], [-1.0, 4.5]], [-2.75, -1.75], tau=1.0, gain=1.0, dt=dt, method=method
    )


# ----------------------------------------------------------------------------- comparison run
def compare_run(*, quick: bool = True, seed: int = 0) -> dict[str, Any]:
    """Fit a 2-unit CTRNN to Beer's oscillator trajectory and recover its limit-cycle period.

    The teacher is :func:`beer_oscillator`, integrated with RK4 (step 0.01) and sampled every
    0.5 time units along two periods of its limit cycle. The student, a randomly initialised
    ``CTRNN(1, 2, dt=0.5, method="rk4", output="state")``, is trained by BPTT on every window
    of 10 samples, each started from the teacher's state at the window's start (multiple
    shooting). The fitted network is then integrated freely with LSODA and its period compared
    with the teacher's, 29.000 (measured here with RK45 at rtol 1e-10; see tests/test_ctrnn.py).
    Passes when the relative period error is at most 1%.
    """
    from .analysis.dynamics import limit_cycle_period
    from .training.clipping import clip_grad_norm
    from .training.optimizers import Adam

    start = time.perf_counter()
    teacher = beer_oscillator()
    period_teacher = 28.99991  # RK45, rtol 1e-10 (tests/test_ctrnn.py checks it)
    h, window = 0.5, 10
    run = teacher.simulate((0.0, 120.0), [0.0, 0.0], method="rk4", dt=0.01)
    samples = run.y[6000::50]  # every 0.5 from t = 60, on the limit cycle: (n, 2)
    starts = np.arange(samples.shape[0] - window)
    y0 = samples[starts]  # (B, 2)
    targets = np.stack([samples[starts + k] for k in range(1, window + 1)])  # (L, B, 2)
    X = np.zeros((window, starts.size, 1))
    net = CTRNN(1, 2, dt=h, method="rk4", output="state", seed=seed)
    opt = Adam(net.params, lr=0.05)
    curve = []
    for _ in range(400 if quick else 1500):
        Y, _ = net.forward(X, y0)
        err = Y - targets
        curve.append(float(np.mean(err**2)))
        net.backward(2.0 * err / err.size)
        clip_grad_norm(net.grads, 1.0)
        opt.step(net.grads)
    free = net.simulate(
        (0.0, 300.0),
        samples[0],
        method="LSODA",
        t_eval=np.arange(0.0, 300.0, 0.01),
        rtol=1e-9,
        atol=1e-11,
    )
    try:
        period = limit_cycle_period(free.t[10000:], free.y[10000:, 0])
        error = abs(period - period_teacher) / period_teacher
    except ValueError:  # the fitted network does not oscillate
        period, error = float("nan"), float("inf")
    return {
        "task": "beer_oscillator",
        "metric": "relative_period_error",
        "value": float(error),
        "target": 0.01,
        "target_source": "Beer (1995) two-neuron oscillator; period 29.000 from RK45 at rtol 1e-10",
        "passed": bool(error <= 0.01),
        "seconds": time.perf_counter() - start,
        "curve": curve[:: max(1, len(curve) // 100)],
        "details": {
            "period": period,
            "teacher_period": period_teacher,
            "weight_hh": net.params["weight_hh"].tolist(),
            "bias": net.params["bias"].tolist(),
        },
    }


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="ctrnn",
    title="Continuous-time recurrent neural network (CTRNN)",
    cls=CTRNN,
    family="continuous",
    year=1995,
    reference=(
        'R. D. Beer, "On the dynamics of small continuous-time recurrent neural networks", '
        "Adaptive Behavior 3(4):469-509, 1995"
    ),
    task="beer_oscillator",
    trainable=True,
    summary="Leaky-integrator ODE units; solve_ivp or batched Euler/RK4; BPTT through RK.",
    examples=(
        {"hidden_size": 3},
        {
            "hidden_size": 2,
            "tau": [0.5, 2.0],
            "gain": [1.0, 2.0],
            "dt": 0.2,
            "method": "rk4",
            "output": "state",
            "learn_tau": True,
        },
        {"hidden_size": 3, "dt": 0.3, "method": "heun", "learn_tau": True},
    ),
    recipe={"run": compare_run},
)
