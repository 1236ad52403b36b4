"""
Clockwork RNN: modules that tick at their own rate
==================================================

In a clockwork RNN (Koutník et al. 2014) the hidden layer is cut into modules with clock periods
:math:`T_i = 2^i`; module :math:`i` updates only at the steps where :math:`T_i` divides the
clock and keeps its state otherwise, and it reads only itself and the *slower* modules:

.. math::

    h^{(i)}_t = \\begin{cases}
        \\tanh\\bigl(W^{(i)}_I x_t + \\sum_{j \\ge i} W^{(i,j)}_H h^{(j)}_{t-1} + b^{(i)}\\bigr)
            & t \\bmod T_i = 0 \\\\
        h^{(i)}_{t-1} & \\text{otherwise.}
    \\end{cases}

We train :class:`recurrent_zoo.clockwork.ClockworkRNN` to generate a 320-step sum of four
sines (periods 8 to 160 steps) from a constant input -- the stand-in for the paper's audio
generation task -- next to an Elman net with exactly as many parameters, and look at the
modules ticking.
"""

# %%
# Who updates when
# ----------------
# With 8 modules and periods 1, 2, ..., 128, a step runs a prefix of the modules: all of them at
# step 0, module 0 alone at odd steps. Over 320 steps that is 638 module-updates instead of
# 8 x 320 = 2,560, and only those are computed.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.clockwork import ClockworkRNN, matched_elman_size, train_generation
from recurrent_zoo.elman import Elman
from recurrent_zoo.tasks import sum_of_sines

cw = ClockworkRNN(1, 64, n_modules=8, seed=0)
active = cw.active_modules(320)  # (T, G) booleans
print(f"periods {cw.periods}; module-updates over 320 steps: {cw.module_updates(320)} of {8 * 320}")

# %%
# Training both nets
# ------------------
# Both get a linear readout: 2,497 parameters for the CW-RNN, and for a 48-unit Elman net. Each
# is trained by full-batch BPTT through all 320 steps with Adam for 200 epochs.
target = sum_of_sines(1, length=320, seed=0).targets  # (320, 1, 1)
n_params = cw.n_params + 64 + 1
elman = Elman(1, matched_elman_size(n_params), seed=0)
nets, curves = {}, {}
for name, model in (("CW-RNN", cw), ("Elman", elman)):
    nets[name], curves[name] = train_generation(model, target, epochs=200, seed=0)
X = np.ones((320, 1, 1))
outputs = {name: net.forward(X)[0][:, 0, 0] for name, net in nets.items()}
for name, y in outputs.items():
    print(
        f"{name:7s} {nets[name].n_params} parameters, MSE {np.mean((y - target[:, 0, 0]) ** 2):.4f}"
    )

# %%
# The modules at work
# -------------------
# The trained CW-RNN's hidden states: each module is a staircase whose steps are its period.
# The slow modules hold the slow sines, the fast ones add the detail. The Elman net, which
# updates every unit at every step, settles on the mean.
H, _ = cw.forward(X)  # (320, 1, 64): the hidden states, module by module
fig = plt.figure(figsize=(12, 7.5), layout="constrained")
grid = fig.add_gridspec(3, 2)
ax = fig.add_subplot(grid[0, :])
ax.imshow(active[:64].T, aspect="auto", cmap="Greys", interpolation="nearest")
ax.set_yticks(range(8), [f"T={p}" for p in cw.periods])
ax.set_xlabel("step")
ax.set_title("module updates (black) over the first 64 steps")
ax = fig.add_subplot(grid[1, :])
ax.plot(target[:, 0, 0], "k", lw=3, alpha=0.25, label="target")
for name, y in outputs.items():
    ax.plot(y, lw=1.2, label=name)
ax.set_xlabel("step")
ax.legend(loc="upper right", ncol=3)
ax.set_title("generated from a constant input")
ax = fig.add_subplot(grid[2, 0])
for i in (0, 3, 5, 7):
    ax.plot(H[:, 0, 8 * i], lw=1, label=f"module {i} (T={cw.periods[i]})")
ax.set_xlabel("step")
ax.legend(fontsize="small", ncol=2)
ax.set_title("one unit of four modules")
ax = fig.add_subplot(grid[2, 1])
for name, curve in curves.items():
    ax.semilogy(curve, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("MSE")
ax.legend()
ax.set_title("training")
plt.show()

# %%
# ``benchmarks/clockwork_sum_of_sines.py`` runs the comparison for 1,500 epochs over 5 seeds and
# ``benchmarks/bench_clockwork_speed.py`` measures the time: it follows the module-updates, so
# the CW-RNN runs faster than an Elman net of the same hidden size.
#
# Reference: J. Koutník, K. Greff, F. Gomez and J. Schmidhuber, "A Clockwork RNN", ICML 2014.
