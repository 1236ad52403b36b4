"""
Classifying sequences with an echo state network, and a deep ESN's memory
=========================================================================

A reservoir turns a whole sequence into one vector -- its state at the last step, or its mean
state -- and a linear readout classifies those vectors. Here the sequences are utterances
generated in code (:func:`recurrent_zoo.tasks.trajectory_classification`): nine classes of
noisy, time-warped 12-channel trajectories of 7-30 steps, shaped like the Japanese vowels
speaker-recognition set. All the sequences of a set run through the reservoir as one batch,
packed by length, one sparse matrix product per step.

Then a deep ESN (Gallicchio, Micheli & Pedrelli 2017): reservoirs stacked, each driven by the one
below. Its layers remember the input over different spans; Jaeger's memory capacity, measured
layer by layer, shows how.
"""

# %%
# The data
# --------
# Each class is a smooth prototype trajectory over normalised time; a sequence is one
# class's prototype at its own pace, warped in time, with its own gain and offset per channel
# and correlated noise. Two sequences of each of two classes:
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.deep_esn import depth_memory
from recurrent_zoo.esn_classifier import ESNClassifier
from recurrent_zoo.tasks import trajectory_classification

train = trajectory_classification(300, seed=1)  # 9 classes, 12 channels, 7-30 steps
test = trajectory_classification(370, seed=2)  # the same classes (task_seed=0), new sequences
X, y = train.sequences(), train.info["labels"]
X_test, y_test = test.sequences(), test.info["labels"]

fig, axes = plt.subplots(1, 4, figsize=(12, 2.8), layout="constrained")
shown = [np.flatnonzero(y == c)[:2] for c in (0, 1)]
for ax, k in zip(axes, np.concatenate(shown), strict=True):
    ax.imshow(X[k].T, aspect="auto", cmap="RdBu_r", vmin=-2, vmax=2)
    ax.set_title(f"class {y[k]}, {len(X[k])} steps")
    ax.set_xlabel("step")
axes[0].set_ylabel("channel")
plt.show()

# %%
# Last state or mean state, with and without leaky units
# ------------------------------------------------------
# 500 units, ridge regression on one-hot targets (penalty 1). The leak rate sets the
# reservoir's time scale: with ``leak_rate=1`` (Jaeger's original units) the state forgets
# the start of an utterance within a few steps, which the last state then cannot tell apart;
# leaky units (``leak_rate=0.3``) integrate over the whole utterance. The mean state carries
# the whole sequence either way.
results = {}
for pooling in ("last", "mean"):
    for leak in (1.0, 0.3):
        accs = []
        for seed in range(3):
            clf = ESNClassifier(units=500, leak_rate=leak, pooling=pooling, seed=seed)
            accs.append(clf.fit(X, y).score(X_test, y_test))
        results[(pooling, leak)] = accs
        print(f"pooling={pooling:4}  leak_rate={leak}: test accuracy {np.round(accs, 3)}")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
labels = [f"{p}, a={a}" for p, a in results]
means = [np.mean(v) for v in results.values()]
ax.bar(labels, means, color=["tab:gray", "tab:blue", "tab:gray", "tab:blue"])
for i, v in enumerate(results.values()):
    ax.plot([i] * len(v), v, "k.", ms=4)
ax.axhline(1 / 9, color="k", ls=":", lw=1)
ax.set_ylim(0, 1)
ax.set_ylabel("test accuracy (3 reservoirs)")
ax.set_title("ESN classifier, 500 units (dotted: chance)")
plt.show()

# %%
# A deep ESN's memory, layer by layer
# -----------------------------------
# Four layers of 50 units driven by i.i.d. input: a linear readout of one layer's states is
# trained to recall the input ``k`` steps back, and the squared correlation it reaches on fresh
# data, summed over ``k``, is that layer's memory capacity (Jaeger 2001). With weak coupling
# between the layers (``inter_scaling=0.1``) each layer integrates the one below over its own
# time scale: a higher layer alone recalls more, and further back, than the first. Together,
# though, the four layers hold about as much as one reservoir of the same 200 units -- the
# layers largely repeat each other (``benchmarks/results/esn_depth_and_leak.txt`` has more
# settings, where a stronger coupling makes each layer recall less than the one below).
mc = depth_memory(50, 4, max_delay=150, train_steps=2000, test_steps=2000, seed=0)
for l, (alone, upto) in enumerate(zip(mc["per_layer"], mc["cumulative"], strict=True), start=1):
    print(f"layer {l}: memory capacity {alone:5.1f} alone, {upto:5.1f} with the layers below")
print(f"one reservoir of 200 units: {mc['shallow']:.1f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), layout="constrained")
delays = np.arange(1, mc["max_delay"] + 1)
for l, curve in enumerate(mc["per_delay"], start=1):
    axes[0].plot(delays, curve, label=f"layer {l}")
axes[0].set_xlabel("delay k")
axes[0].set_ylabel("$r^2$ of the recalled $u_{t-k}$")
axes[0].set_title("memory of each layer alone")
axes[0].legend(fontsize="small")
layers = np.arange(1, 5)
axes[1].bar(layers - 0.2, mc["per_layer"], width=0.4, label="the layer alone")
axes[1].bar(layers + 0.2, mc["cumulative"], width=0.4, label="layers 1..l")
axes[1].axhline(mc["shallow"], color="k", ls="--", lw=1, label="one reservoir of 200")
axes[1].set_xlabel("layer")
axes[1].set_ylabel("memory capacity")
axes[1].set_xticks(layers)
axes[1].legend(fontsize="small")
axes[1].set_title("memory capacity")
plt.show()

# %%
# References: H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural
# networks", GMD Report 148, 2001, and "Short term memory in echo state networks", GMD Report
# 152, 2001; C. Gallicchio, A. Micheli and L. Pedrelli, "Deep reservoir computing: A critical
# experimental analysis", Neurocomputing 268:87-99, 2017; M. Kudo, J. Toyama and M. Shimbo,
# "Multidimensional curve classification using passing-through regions", Pattern Recognition
# Letters 20:1103-1111, 1999 (the Japanese vowels).
