"""
Looking ahead: bidirectional and deep recurrent nets
====================================================

A recurrent net's output at step :math:`t` can only depend on inputs up to :math:`t`. Many
sequence-labelling problems -- a word's part of speech, a phoneme in speech -- also depend on
what comes *after*. Schuster & Paliwal (1997) ran a second net backward in time and combined
the two:

.. math::

    \\overrightarrow{h}_t = f(x_1, \\ldots, x_t), \\qquad
    \\overleftarrow{h}_t = g(x_t, \\ldots, x_L), \\qquad
    y_t = \\mathrm{readout}\\big([\\overrightarrow{h}_t ; \\overleftarrow{h}_t]\\big).

:class:`recurrent_zoo.Bidirectional` does this for any two trainable models, and
:class:`recurrent_zoo.Stacked` chains models into a deep net (Pascanu et al. 2014). With
sequences of different lengths, the backward direction starts at each sequence's own last
step, not in the padding.

The task makes the point as plainly as possible: the target at step :math:`t` is
:math:`x_{t-2} + x_{t+2}`, the sum of the input two steps back and two steps ahead, on
sequences of 10 to 30 random numbers. A causal model can at best guess the future term's mean,
leaving a mean squared error of :math:`\\mathrm{Var}(x_{t+2}) = 1/3` for
:math:`x \\sim U(-1, 1)`.
"""

# %%
# Variable-length data
# --------------------
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Bidirectional, Linear, Stacked, pad_sequences
from recurrent_zoo.elman import Elman
from recurrent_zoo.training import evaluate, fit, predict


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    seqs = [rng.uniform(-1, 1, size=(rng.integers(10, 31), 1)) for _ in range(n)]
    X, lengths = pad_sequences(seqs)  # (T, N, 1), (N,)
    T = X.shape[0]
    Y = np.zeros_like(X)
    mask = np.zeros((T, n))
    for b, L in enumerate(lengths):
        Y[2 : L - 2, b] = X[0 : L - 4, b] + X[4:L, b]  # x_{t-2} + x_{t+2}
        mask[2 : L - 2, b] = 1.0  # only steps that have both neighbours
    return X, Y, mask, lengths


X, Y, mask, lengths = make_data(1500, seed=0)
Xv, Yv, mask_v, lengths_v = make_data(500, seed=1)
print(f"padded training batch {X.shape}, lengths from {lengths.min()} to {lengths.max()}")

# %%
# Three models
# ------------
# A one-layer Elman net, a two-layer (stacked) one, and a bidirectional pair of Elman nets --
# the smallest of the three -- each with a linear readout. Training passes ``lengths``, so that
# padding never enters a state or a gradient.
models = {
    "Elman (causal)": Stacked([Elman(1, 32, seed=0), Linear(32, 1, seed=1)]),
    "2-layer Elman (causal)": Stacked(
        [Elman(1, 20, seed=0), Elman(20, 20, seed=1), Linear(20, 1, seed=2)]
    ),
    "bidirectional Elman": Stacked(
        [Bidirectional(Elman(1, 16, seed=0), Elman(1, 16, seed=1)), Linear(32, 1, seed=2)]
    ),
}
histories = {}
for name, model in models.items():
    histories[name] = fit(
        model,
        X,
        Y,
        mask=mask,
        lengths=lengths,
        loss="mse",
        lr=0.01,
        epochs=20,
        batch_size=50,
        validation_data=(Xv, Yv, mask_v, lengths_v),
        seed=0,
    )
    mse = evaluate(model, Xv, Yv, mask=mask_v, lengths=lengths_v, loss="mse")["loss"]
    print(f"{name:24s} {model.n_params:5d} parameters, validation MSE {mse:.4f}")
print(f"best a causal model can do: {1 / 3:.4f}")

# %%
# Learning curves and one sequence
# --------------------------------
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, h in histories.items():
    ax1.plot(range(1, h.epochs + 1), h["val_loss"], marker=".", label=name)
ax1.axhline(1 / 3, color="gray", ls="--", label="causal limit 1/3")
ax1.set_yscale("log")
ax1.set_xlabel("epoch")
ax1.set_ylabel("validation MSE")
ax1.legend(fontsize="small")
ax1.set_title("target x[t-2] + x[t+2]")

b = 0
L = lengths_v[b]
steps = np.arange(2, L - 2)
ax2.plot(steps, Yv[steps, b, 0], "k-", lw=2, label="target")
for name, model in models.items():
    pred = predict(model, Xv[:, b : b + 1], lengths=lengths_v[b : b + 1])[:, 0, 0]
    ax2.plot(steps, pred[steps], marker=".", label=name)
ax2.set_xlabel("step t")
ax2.set_title(f"one validation sequence (length {L})")
ax2.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# The deep net does not help -- depth adds computation per step, not access to the future --
# while the bidirectional net solves the task. Its forward half supplies :math:`x_{t-2}`, its
# backward half :math:`x_{t+2}`.
#
# References: M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", IEEE
# Trans. Signal Processing 45(11), 1997; R. Pascanu, C. Gulcehre, K. Cho and Y. Bengio, "How to
# construct deep recurrent neural networks", ICLR 2014.
