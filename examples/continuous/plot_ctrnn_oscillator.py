"""
A continuous-time recurrent net: Beer's oscillator, analysed and learned
========================================================================

A continuous-time recurrent neural network (CTRNN) is a system of ordinary differential
equations, one per unit (Beer 1995):

.. math::

    \\tau_i \\frac{dy_i}{dt} = -y_i
        + \\sum_j w_{ji}\\, \\sigma\\big(g_j (y_j + \\theta_j)\\big) + I_i(t).

Beer's two-neuron oscillator has one unstable fixed point surrounded by a stable limit cycle.
We integrate it with :meth:`recurrent_zoo.ctrnn.CTRNN.simulate`, find and classify its fixed
point with :mod:`recurrent_zoo.analysis`, measure the period of the cycle -- and then train a
randomly initialised CTRNN to reproduce the oscillation by backpropagation through the
Runge-Kutta steps of its own discretisation.
"""

# %%
# Phase portrait
# --------------
# A batch of initial conditions integrated at once with fixed-step RK4: every trajectory
# winds onto the same closed orbit.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.analysis import ctrnn_fixed_points, limit_cycle_period
from recurrent_zoo.ctrnn import CTRNN, beer_oscillator
from recurrent_zoo.training import Adam, clip_grad_norm

teacher = beer_oscillator()
y0 = np.array([[0.0, 0.0], [2.75, 1.9], [6.0, 5.0], [-1.0, 4.0], [5.0, -1.5]])  # (B, 2)
run = teacher.simulate((0.0, 60.0), y0, method="rk4", dt=0.01)
print(f"trajectories: {run.y.shape} (time, batch, units)")

(fp,) = ctrnn_fixed_points(teacher, seed=0)
print(
    f"fixed point y* = {np.round(fp.point, 4)}, eigenvalues {np.round(fp.eigenvalues, 4)}: "
    f"{fp.stability}"
)

# the period from upward crossings of a long run on the cycle, with an accurate solver
long = teacher.simulate(
    (0.0, 300.0),
    [0.0, 0.0],
    method="RK45",
    rtol=1e-10,
    atol=1e-12,
    t_eval=np.arange(0.0, 300.0, 0.01),
)
period = limit_cycle_period(long.t[10000:], long.y[10000:, 0])
print(f"period of the limit cycle: {period:.3f}")

fig, ax = plt.subplots(figsize=(6, 4.5))
g1, g2 = np.meshgrid(np.linspace(-2, 7, 19), np.linspace(-2.5, 6, 19))
rates = 1 / (1 + np.exp(-(np.stack([g1, g2], -1) + teacher.params["bias"])))
W = teacher.params["weight_hh"]
flow = -np.stack([g1, g2], -1) + rates @ W.T
ax.quiver(g1, g2, flow[..., 0], flow[..., 1], color="lightgray", angles="xy")
for b in range(y0.shape[0]):
    ax.plot(run.y[:, b, 0], run.y[:, b, 1], lw=1)
    ax.plot(*y0[b], "k.", ms=6)
ax.plot(*fp.point, "r*", ms=12, label=f"fixed point ({fp.stability})")
ax.set_xlabel("$y_1$")
ax.set_ylabel("$y_2$")
ax.set_title("trajectories from five starting points")
ax.legend(loc="lower right", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Learning the oscillation by BPTT
# --------------------------------
# The student is ``CTRNN(1, 2, dt=0.5, method="rk4", output="state")`` with random weights: its
# forward pass takes RK4 steps of 0.5 time units and its backward pass differentiates through
# every Runge-Kutta stage. It sees the teacher's states every 0.5 time units along its cycle and
# is trained to continue 10-sample windows from each window's first state (multiple shooting).
h, window = 0.5, 10
samples = long.y[6000:18000:50]  # every 0.5 time units, on the cycle: (n, 2)
starts = np.arange(samples.shape[0] - window)
targets = np.stack([samples[starts + k] for k in range(1, window + 1)])  # (10, B, 2)
X = np.zeros((window, starts.size, 1))  # no input
student = CTRNN(1, 2, dt=h, method="rk4", output="state", seed=0)
optimizer = Adam(student.params, lr=0.05)
losses = []
for _ in range(400):
    Y, _ = student.forward(X, samples[starts])  # state = the teacher's state at each start
    err = Y - targets
    losses.append(float(np.mean(err**2)))
    student.backward(2.0 * err / err.size)
    clip_grad_norm(student.grads, 1.0)
    optimizer.step(student.grads)
print(f"window MSE: {losses[0]:.3f} -> {losses[-1]:.2e}")
print("learned weights:\n", np.round(student.params["weight_hh"], 3))

free = student.simulate(
    (0.0, 300.0),
    samples[0],
    method="LSODA",
    rtol=1e-9,
    atol=1e-11,
    t_eval=np.arange(0.0, 300.0, 0.01),
)
learned_period = limit_cycle_period(free.t[10000:], free.y[10000:, 0])
print(
    f"free-running period of the learned network: {learned_period:.3f} "
    f"(teacher {period:.3f}, relative error {abs(learned_period - period) / period:.1e})"
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.semilogy(losses)
ax1.set_xlabel("Adam step")
ax1.set_ylabel("window MSE")
ax1.set_title("training by BPTT through the RK4 steps")
# the free run starts from the teacher's state at t = 60: shift it by 60 to compare
mask = (long.t >= 100) & (long.t < 160)
ax2.plot(long.t[mask], long.y[mask, 0], "k", lw=3, alpha=0.4, label="teacher $y_1$")
shifted = (free.t + 60 >= 100) & (free.t + 60 < 160)
ax2.plot(free.t[shifted] + 60, free.y[shifted, 0], "tab:orange", label="learned net, free run")
ax2.set_xlabel("time")
ax2.set_title("the learned oscillator runs on its own")
ax2.set_ylim(0.8, 5.2)  # room above the peaks for the legend
ax2.legend(loc="upper center", ncol=2, fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Reference: R. D. Beer, "On the dynamics of small continuous-time recurrent neural networks",
# Adaptive Behavior 3(4):469-509, 1995.
