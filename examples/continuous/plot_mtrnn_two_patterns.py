"""
Multiple timescales: one network, two behaviours chosen by its slow context
===========================================================================

Yamashita & Tani's (2008) multiple timescale RNN (MTRNN) is a discretised CTRNN whose units
come in groups with different time constants -- input-output units (:math:`\\tau = 2`), fast
context units (:math:`\\tau = 5`) and slow context units (:math:`\\tau = 70`):

.. math::

    u_{i,t} = \\Big(1 - \\frac{1}{\\tau_i}\\Big) u_{i,t-1}
              + \\frac{1}{\\tau_i}\\Big(\\sum_j w_{ij}\\, x_{j,t} + b_i\\Big).

In their robot experiment, the slow units' *initial states*, learned by BPTT together with the
weights, selected which behaviour the network produced, while the fast units composed the
movement primitives. :class:`recurrent_zoo.mtrnn.MTRNN` learns one initial slow state per
training sequence (``initial_slow``). Here a network with zero input learns to draw a circle or
a figure eight, depending only on where its slow context starts.
"""

# %%
# Training
# --------
# :func:`recurrent_zoo.mtrnn.train_two_patterns` trains ``MTRNN(1, 32, 4, output_size=2,
# n_sequences=2)`` by full-batch BPTT (Adam, gradient norm clipped at 1) on the two patterns,
# sequence 0 starting from ``initial_slow[0]`` and sequence 1 from ``initial_slow[1]``.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.mtrnn import train_two_patterns

net, target, curve = train_two_patterns(epochs=800, seed=0)
T = target.shape[0]
Y, _ = net.forward(np.zeros((T, 2, 1)), sequence_ids=[0, 1])
print(f"MSE over training: {curve[0]:.4f} -> {curve[-1]:.5f}")
print(
    f"generated patterns' MSE: {np.mean((Y - target) ** 2):.5f} (patterns' variance "
    f"{target.var():.3f})"
)
print("learned initial slow states:\n", np.round(net.params["initial_slow"], 3))

# %%
# Morphing between the behaviours
# -------------------------------
# Starting the slow units between the two learned states -- same weights, same (zero) input --
# moves the output between the two patterns. The state is ``(u_io, u_fast, u_slow)``; we pass it
# explicitly instead of ``sequence_ids``.
s0, s1 = net.params["initial_slow"]
mixes = np.linspace(0.0, 1.0, 5)
u_slow = np.stack([(1 - m) * s0 + m * s1 for m in mixes])  # (5, S)
state = (np.zeros((5, net.output_size)), np.zeros((5, net.fast_size)), u_slow)
Y_mix, _ = net.forward(np.zeros((T, 5, 1)), state)

# %%
# Fast and slow context activity
# -------------------------------
# Stepping the network one step at a time and keeping the state shows the two timescales: the
# fast units follow the 20-step period of the pattern, the slow ones drift.
state = net.initial_state(1, sequence_ids=[1])
fast, slow = [], []
for _ in range(T):
    _, state = net.forward(np.zeros((1, 1, 1)), state)
    f_act, s_act = net.context_activations((state[0], state[1], state[2]))
    fast.append(f_act[0])
    slow.append(s_act[0])
fast, slow = np.array(fast), np.array(slow)
print(
    f"mean step-to-step change: fast units {np.abs(np.diff(fast, axis=0)).mean():.4f}, "
    f"slow units {np.abs(np.diff(slow, axis=0)).mean():.4f}"
)

fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), layout="constrained")
for k, name in enumerate(["circle", "figure eight"]):
    axes[0].plot(target[:, k, 0], target[:, k, 1], "k-", lw=4, alpha=0.2)
    axes[0].plot(Y[:, k, 0], Y[:, k, 1], label=f"from initial_slow[{k}]: {name}")
axes[0].set_title("generated (lines) over targets (grey)")
axes[0].legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.08))
axes[0].set_aspect("equal")
for j, m in enumerate(mixes):
    axes[1].plot(Y_mix[:, j, 0], Y_mix[:, j, 1], color=plt.cm.coolwarm(m), label=f"{m:.2f}")
axes[1].set_title("slow start (1 - m) s0 + m s1")
axes[1].legend(title="m", fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=5)
axes[1].set_aspect("equal")
axes[2].plot(fast[:, :6], color="tab:blue", lw=0.8)
axes[2].plot(slow, color="tab:red", lw=2)
axes[2].set_xlabel("step")
axes[2].set_ylabel("activation")
axes[2].set_title("fast (blue) and slow (red) context units")
plt.show()

# %%
# Reference: Y. Yamashita and J. Tani, "Emergence of functional hierarchy in a multiple
# timescale neural network model: a humanoid robot experiment", PLoS Computational Biology
# 4(11):e1000220, 2008.
