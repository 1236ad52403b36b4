"""
A stack-augmented RNN learns to count: a^n b^n
==============================================

Joulin & Mikolov (2015) gave a small recurrent net of sigmoid units a continuous stack. At every
step the hidden layer reads the input and the top two elements of the stack, then chooses a soft
mixture of *push* (a new value :math:`\\sigma(D h_t)` on top) and *pop*:

.. math::

    h_t = \\sigma\\big(U x_t + P\\, S_{t-1}[0{:}2]\\big), \\qquad
    S_t[i] = a_{push}\\, S_{t-1}[i-1] + a_{pop}\\, S_{t-1}[i+1]

Trained to predict the next symbol of :math:`a^n b^n` for small :math:`n`, it can count far
beyond: push on every ``a``, pop on every ``b``, and predict the end when the element under the
top is the empty marker (-1). We train :class:`recurrent_zoo.stack_rnn.StackRNN` (10 units, one
stack) with their curriculum on :math:`n \\le 8` and score it, with their metric, on
:math:`n = 2 \\dots 30`: the fraction of :math:`n` whose deterministic part (everything after the
first ``b``) is predicted right; with *rounding*, the actions are replaced by the most likely one.
"""

# %%
# Training
# --------
# :func:`recurrent_zoo.stack_rnn.counting_run` runs the protocol: stages of 200 strings with
# :math:`n` up to 3, 4, ..., 8, then four more at 8; the checkpoint with the best validation
# score on :math:`n \le 8` is kept.
import matplotlib.pyplot as plt

from recurrent_zoo.stack_rnn import QUICK_ANBN, counting_run, counting_task
from recurrent_zoo.tasks import deterministic_correct

run = counting_run("anbn", seed=0, keep_model=True, **QUICK_ANBN)
model = run["model"]
net = model[0]  # the StackRNN under the softmax readout
print(
    f"{run['updates']} updates; n = 2..30 right: {run['accuracy']:.1f}% "
    f"({run['accuracy_rounding']:.1f}% with rounding)"
)

# %%
# Which n are right
# -----------------
test = counting_task("anbn", 60, 2)
Y, _ = model.forward(test.inputs, lengths=test.lengths)
right = deterministic_correct(Y, test)
net.rounding = True
Y_round, _ = model.forward(test.inputs, lengths=test.lengths)
net.rounding = False
right_round = deterministic_correct(Y_round, test)
ns = test.info["n"]
print(
    "n predicted right (up to 60):",
    ns[right].min(),
    "...",
    ns[right].max(),
    f"({right.sum()} of {len(ns)}); with rounding {right_round.sum()} of {len(ns)}",
)

# %%
# The stack while reading a^12 b^12
# ---------------------------------
# Each column is the stack after a symbol (top at the top; -1 is empty). This net pushes a
# marker (about 1) on the start symbol and a 0 on every ``a``, pops on every ``b``, and predicts
# the end when the marker comes back to the top.
x = counting_task("anbn", 12, 12).inputs
stacks = net.stacks(x)[1:, 0, 0, :16].T  # (depth, T)
push = net.actions(x)[:, 0, 0, 0]
symbols = ["S"] + ["a"] * 12 + ["b"] * 12
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=(2, 1))
im = ax1.imshow(stacks, aspect="auto", cmap="coolwarm", vmin=-1, vmax=1, interpolation="nearest")
fig.colorbar(im, ax=ax1, label="element value")
ax1.set_ylabel("element (0 = top)")
ax1.set_title("Stack RNN reading S a^12 b^12")
ax2.step(range(len(symbols)), push, where="mid", label="P(push)")
pred = model.forward(x)[0][:, 0].argmax(-1)
ax2.plot(range(len(symbols)), pred / 2, "o", ms=3, label="prediction (a=0, b=0.5, end=1)")
ax2.set_xticks(range(len(symbols)))
ax2.set_xticklabels(symbols)
ax2.set_xlabel("symbol read")
ax2.legend(loc="center left", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Accuracy per n
# --------------
fig, ax = plt.subplots(figsize=(8, 2.5))
ax.plot(ns, right, "o", ms=4, label="soft actions")
ax.plot(ns, right_round - 0.05, "s", ms=3, label="rounded actions")
ax.axvline(8.5, color="gray", ls="--", lw=1)
ax.text(9, 0.5, "longer than any training string", fontsize="small")
ax.set_yticks([0, 1])
ax.set_yticklabels(["wrong", "right"])
ax.set_xlabel("n")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Reference: A. Joulin and T. Mikolov, "Inferring algorithmic patterns with stack-augmented
# recurrent nets", NIPS 28, 2015 (arXiv:1503.01007). The full protocol (n < 20, tested up to
# 60, five tasks, against an RNN and an LSTM) is in ``benchmarks/pushdown_reference.py``.
