"""
A neural stack learns to reverse sequences
==========================================

Grefenstette et al. (2015) let an LSTM control a continuous stack: at every step it pops a
strength :math:`u_t`, pushes a value :math:`v_t` with strength :math:`d_t`, and reads the top
unit of depth,

.. math::

    r_t = \\sum_i \\min\\Big(s_t[i],\\;
          \\max\\big(0,\\; 1 - \\textstyle\\sum_{j > i} s_t[j]\\big)\\Big) V_t[i],

which it receives with the next input. Reversing a sequence is then a matter of pushing every
input symbol and popping them after the separator. We train
:class:`recurrent_zoo.neural_stack.NeuralStack` on sources of 2 to 6 symbols (a vocabulary of
4), test it on 7 to 20, and look at the stack's strengths while it works.
"""

# %%
# Training
# --------
# :func:`recurrent_zoo.neural_stack.transduction_run` trains on fresh sequences every epoch
# (``source ||| reversed source``, teacher forcing), keeps the best epoch on validation
# sequences of the training lengths and stops once they are all right.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.neural_stack import QUICK_REVERSAL, transduction_run
from recurrent_zoo.tasks import transduction, transduction_accuracy

run = transduction_run(**QUICK_REVERSAL, seed=0, keep_model=True)
model = run["model"]
stack = model[0]  # the NeuralStack under the softmax readout
print(
    f"{run['epochs']} epochs; validation coarse/fine {run['val_coarse']:.2f}/"
    f"{run['val_fine']:.2f}; test (7-20 symbols) coarse {run['coarse']:.2f}, "
    f"fine {run['fine']:.2f}"
)

# %%
# Longer still
# ------------
longer = transduction("reversal", 100, 21, 40, seed=1, vocab_size=4)
Y, _ = model.forward(longer.inputs, lengths=longer.lengths)
print("sources of 21-40 symbols:", transduction_accuracy(Y, longer))

# %%
# The stack at work
# -----------------
# One sequence of 12 symbols: each column is the stack after a step (newest element at the
# top, one element per step), the colour its strength; below, the strengths pushed and popped.
example = transduction("reversal", 1, 12, 12, seed=3, vocab_size=4)
trace = stack.trace(example.inputs)
T = example.lengths[0]
image = np.zeros((T, T))
for t in range(1, T + 1):
    s = trace["strengths"][t][0]  # (t,) top first
    image[T - t : T, t - 1] = s  # the oldest element at the bottom row
Y, _ = model.forward(example.inputs)
source = example.info["source"][0]
symbols = [str(a) for a in source] + ["|||"] + [str(a) for a in source[::-1]]
predicted = Y[:, 0].argmax(-1)
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, height_ratios=(2, 1))
ax1.imshow(
    image,
    aspect="auto",
    cmap="Greens",
    vmin=0,
    vmax=1,
    interpolation="nearest",
    extent=(-0.5, T - 0.5, -0.5, T - 0.5),
)
ax1.set_ylabel("element (0 = oldest)")
ax1.set_title("neural stack strengths while reversing " + " ".join(map(str, source)))
ax2.step(range(T), trace["push"][:, 0, 0], where="mid", label="push d_t")
ax2.step(range(T), trace["pop"][:, 0, 0], where="mid", label="pop u_t")
ax2.set_xticks(range(T))
ax2.set_xticklabels(symbols)
ax2.set_xlabel("input")
ax2.legend(fontsize="small", loc="center left")
fig.tight_layout()
plt.show()
n = len(source)
print("target:   ", " ".join(map(str, source[::-1])))
print("predicted:", " ".join(str(p) for p in predicted[n : 2 * n]))

# %%
# What limits it
# --------------
# In a few seconds on sources of at most 6 symbols the controller has learned how to use the
# stack -- push while reading, pop after the separator -- but not exact unit strengths: in the
# run above the first symbol is pushed with a strength below 1 (the first step of the push
# curve), so the last reads mix it with the empty memory below, and the errors come at the end
# of long targets (the fine accuracy: the share of a target right before its first error).
# Grefenstette et al. trained on 8 to 64 symbols, where only exact strengths pay off; that is
# ``benchmarks/pushdown_reference.py neural_stack reversal``, a much longer run.

# %%
# Reference: E. Grefenstette, K. M. Hermann, M. Suleyman and P. Blunsom, "Learning to
# transduce with unbounded memory", NIPS 28, 2015. The paper's protocol (train 8-64, test
# 65-128; stack, queue, deque and an LSTM on copy, reversal and bigram flipping) is in
# ``benchmarks/pushdown_reference.py``.
