"""
Hierarchical recurrent net: a slow level keeps the key
======================================================

El Hihi & Bengio (1995) put the long-term dependencies of a sequence into state variables that
change slowly: a stack of recurrent levels, level :math:`l` updating once every :math:`k_l`
steps and reading the level below,

.. math::

    h^{(l)}_t = \\begin{cases}
        \\tanh\\bigl(W^{(l)} h^{(l-1)}_t + R^{(l)} h^{(l)}_{t-1} + b^{(l)}\\bigr)
            & t \\bmod k_l = 0 \\\\
        h^{(l)}_{t-1} & \\text{otherwise,}
    \\end{cases}
    \\qquad h^{(-1)}_t = x_t .

The nested-periodic task (:func:`recurrent_zoo.tasks.nested_periodic`) has structure on two
time scales: a tune of period 4 whose *key* is shown only once every 64 steps, as a cue. The net
must output the current note at every step, which needs the key seen up to 63 steps earlier. We
compare :class:`recurrent_zoo.hierarchical.HierarchicalRNN` with two levels of 32 units (every
step, every 8 steps) and an Elman net of 64 units, with the same training budget.
"""

# %%
# The task
# --------
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.elman import Elman
from recurrent_zoo.hierarchical import HierarchicalRNN, train_nested_periodic
from recurrent_zoo.tasks import nested_periodic

data = nested_periodic(1, seed=5)
print("key of each slow period:", data.info["keys"][0])
print("notes, first 12 steps:  ", data.targets[:12, 0])

# %%
# Training
# --------
# 256 sequences of 128 steps, 10 epochs of Adam; accuracy on 256 new sequences.
hier = HierarchicalRNN(5, (32, 32), intervals=(1, 8), seed=0)
elman = Elman(5, 64, seed=0)
nets, acc, losses = {}, {}, {}
for name, model in (("hierarchical", hier), ("Elman", elman)):
    nets[name], acc[name], history = train_nested_periodic(model, epochs=10, seed=0)
    losses[name] = history["loss"]
    print(f"{name:12s} {model.n_params} parameters, held-out accuracy {acc[name]:.3f}")

# %%
# Where the Elman net loses the key
# ---------------------------------
# Accuracy by the number of steps since the cue: right after the cue both nets know the key; the
# Elman net forgets it within the slow period, while the hierarchical net's top level, updated
# 8 times per period, holds it. The top level's units change only at their updates.
test = nested_periodic(256, seed=1000)
since_cue = np.arange(128) % 64
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
for name, net in nets.items():
    Y, _ = net.forward(test.inputs)
    right = Y.argmax(axis=2) == test.targets  # (T, N)
    by_lag = [right[since_cue == k].mean() for k in range(64)]
    axes[0].plot(by_lag, label=f"{name} ({acc[name]:.2f})")
axes[0].axhline(0.25, color="grey", ls=":", label="chance")
axes[0].set_xlabel("steps since the cue")
axes[0].set_ylabel("accuracy")
axes[0].legend()
axes[0].set_title("accuracy by distance from the key's cue")
states, _ = hier.forward(test.inputs[:, :1])
axes[1].plot(states[:, 0, :4], color="tab:blue", lw=0.8)
axes[1].plot(states[:, 0, 32:36], color="tab:red", lw=1.6)
for t in (0, 64):
    axes[1].axvline(t, color="k", ls="--", lw=0.8)
axes[1].set_xlabel("step")
axes[1].set_title("level 0 (blue) and level 1 (red) units; cues dashed")
for name, curve in losses.items():
    axes[2].plot(curve, label=name)
axes[2].set_xlabel("epoch")
axes[2].set_ylabel("cross-entropy")
axes[2].legend()
axes[2].set_title("training")
plt.show()

# %%
# ``recurrent-zoo compare --only hierarchical`` runs this comparison (40 epochs with
# ``--full``). One seed at 10 epochs is a glimpse: over 5 seeds
# (``benchmarks/hierarchical_nested_periodic.py``, recorded in ``benchmarks/results/``) the
# hierarchical net reaches 1.000 mean accuracy (min 0.999) after 40 epochs against 0.829
# (min 0.625) for the 64-unit Elman net; after 10 epochs the seeds still spread (0.63 against
# 0.45 on average; this seed is the fastest of the five).
#
# Reference: S. El Hihi and Y. Bengio, "Hierarchical recurrent neural networks for long-term
# dependencies", NIPS 8, 1995.
