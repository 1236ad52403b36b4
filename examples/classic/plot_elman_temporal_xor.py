"""
Elman's temporal XOR
====================

Elman (1990) showed that a recurrent net finds structure in time by feeding a copy of its hidden
layer back as *context units*. One of his demonstrations turns XOR into a prediction task: a
stream of bits is built from triples :math:`(a, b, a \\oplus b)` of random bits, the network
reads one bit per step and must predict the next one. Only every third bit can be predicted --
it is the XOR of the two before -- and Elman's figure shows the prediction error dropping at
exactly those steps while the others stay at chance.

We reproduce that with :class:`recurrent_zoo.elman.Elman`, whose step is

.. math::

    h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}),

with a :class:`~recurrent_zoo.Linear` readout and a sigmoid on top, trained by BPTT.
"""

# %%
# The stream
# ----------
# :func:`recurrent_zoo.tasks.temporal_xor` builds the stream; ``info["predictable"]`` marks the
# steps whose target is an XOR bit.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.tasks import temporal_xor
from recurrent_zoo.training import fit, predict

train = temporal_xor(3000, seed=0)
print("first bits:", "".join(str(int(b)) for b in train.inputs[:24, 0, 0]))

# The 3000-bit stream is cut into 100 segments of 30 steps, each starting on a triple, which
# makes minibatches: (T, N, 1) = (30, 100, 1).
X = train.inputs.reshape(100, 30, 1).transpose(1, 0, 2)
Y = train.targets.reshape(100, 30, 1).transpose(1, 0, 2)

# %%
# Training
# --------
# Eight context units, binary cross-entropy on every step, Adam. (Elman used two hidden units and
# plain gradient descent for 600 passes; the larger net and Adam just get there faster.) XOR is
# known for its plateaus: over the initial weights of seeds 0 to 4, four runs solve the task in
# 100 epochs and one (seed 0) stays on a plateau, as ``tests/test_elman_xor.py`` checks. We use
# seed 1.
model = Stacked([Elman(1, 8, seed=1), Linear(8, 1, seed=101)])
history = fit(model, X, Y, loss="bce", lr=0.03, epochs=100, batch_size=10, seed=1)
print(
    f"training loss: {history['loss'][0]:.3f} -> {history['loss'][-1]:.3f} "
    f"(a perfect predictor: {train.info['optimal_loss']:.3f})"
)

# %%
# Error by position in the triple
# -------------------------------
# On a new 3000-bit stream, run as one long sequence, the mean absolute error of the predicted
# probability is near 0 on the predictable bits and 0.5 -- chance -- on the others.
test = temporal_xor(3000, seed=1)
p = 1 / (1 + np.exp(-predict(model, test.inputs)[:, 0, 0]))  # sigmoid of the readout
err = np.abs(p - test.targets[:, 0, 0])
predictable = test.info["predictable"]
print(f"mean |error| on predictable bits:   {err[predictable].mean():.3f}")
print(f"mean |error| on unpredictable bits: {err[~predictable].mean():.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw={"width_ratios": [2, 1]})
steps = np.arange(12)
cycles = err[: err.size // 12 * 12].reshape(-1, 12)  # 12-step windows, each starting a triple
ax1.plot(steps, cycles.mean(axis=0), marker="o")
for s in steps[predictable[:12]]:
    ax1.axvline(s, color="tab:green", alpha=0.2, lw=8)
ax1.set_xlabel("time step (green: the target is the XOR of the two previous bits)")
ax1.set_ylabel("|prediction - next bit|")
ax1.set_title(f"error over 12 steps, averaged over {len(cycles)} windows (Elman's Fig. 3)")
phase = np.arange(err.size) % 3
means = [err[phase == k].mean() for k in range(3)]
colors = ["tab:green" if predictable[phase == k][0] else "tab:gray" for k in range(3)]
ax2.bar(["t mod 3 = 0", "1", "2"], means, color=colors)
ax2.set_ylabel("mean |error| over 3000 steps")
ax2.set_title("by position in the triple")
fig.tight_layout()
plt.show()

# %%
# Reference: J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990.
