"""
The differentiable neural computer: allocation and temporal links at work
=========================================================================

Graves et al. (2016) gave the neural Turing machine's successor two ways to address its memory
that do not depend on where things sit. *Dynamic allocation*: every slot has a usage, raised by
writing and lowered when a read head frees what it has read (free gates), and the allocation
weighting points at the least used slot. *Temporal links*: a link matrix records which slot
was written right after which, so that a read head can replay the writes in order (the forward
read mode) or backwards.

Here a small DNC (an LSTM controller of 32 units, 16 slots of 8 numbers, one read head) learns
Graves et al.'s copy task on short sequences of 8-bit vectors, and we look inside: where it
writes, how the usage fills up, how the read head walks the links.
"""

# %%
# Training
# --------
# :func:`recurrent_zoo.ntm.train_copy` (it takes any sequence model) draws fresh batches of
# :func:`~recurrent_zoo.tasks.binary_copy` sequences of lengths 1 to 4 and trains with Adam
# (learning rate 0.02, a tenth of it for the last quarter of the batches).
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.dnc import DNC
from recurrent_zoo.ntm import train_copy
from recurrent_zoo.tasks import binary_copy, bit_errors

BITS, LENGTHS, BATCHES = 8, (1, 4), 400
dnc = DNC(BITS + 1, BITS, controller_size=32, memory_slots=16, word_size=8, read_heads=1, seed=0)
history = train_copy(
    dnc, lengths=LENGTHS, batch_size=16, batches=BATCHES, lr=2e-2, lr_drop=300, seed=0
)
test = binary_copy(200, LENGTHS[1], n_bits=BITS, seed=1004)
Y, _ = dnc.forward(test.inputs)
print(f"wrong bits per sequence of length {LENGTHS[1]}: {bit_errors(Y, test).mean():.2f}")

# %%
# Inside one sequence
# -------------------
# One sequence of 4 vectors through the trained DNC. The model keeps its last forward pass for
# backpropagation; the write weighting, the usage, the read weighting and the read modes of
# every step are in it. While the vectors come in, each goes to a slot of its own -- the
# allocation weighting picks the least used slot (not the next one along: the order of the
# slots means nothing to a DNC), and the usage (which counts the previous step's write) fills
# up one slot per step. After the delimiter the read head switches to *content* mode for a
# step or two to find the first vector, then to *forward* mode: it follows the temporal links
# and visits the slots in the order they were written.
one = binary_copy(1, 4, n_bits=BITS, seed=3)
Y1, _ = dnc.forward(one.inputs)
cache = dnc._cache
write_w, usage = cache[9][1:, 0], cache[10][1:, 0]  # (T, N): after each step
read_w = cache[8][1:, 0, 0]  # (T, N), the read head
modes = np.array([c[0]["read_modes"][0, 0] for c in cache[15]])  # (T, 3)
link = cache[12][-1][0]  # (N, N), the links at the end

fig, axes = plt.subplots(2, 3, figsize=(10, 5.6))
axes[0, 0].imshow(one.inputs[:, 0].T, cmap="gray_r", aspect="auto")
axes[0, 0].set_title("input (8 bits + delimiter)")
probs = 1 / (1 + np.exp(-Y1[:, 0]))
axes[0, 1].imshow(probs.T * one.mask[:, 0], cmap="gray_r", aspect="auto", vmin=0, vmax=1)
axes[0, 1].set_title(f"output ({bit_errors(Y1, one)[0]:.0f} wrong bit(s) of 32)")
for name, k in (("backward", 0), ("content", 1), ("forward", 2)):
    axes[0, 2].plot(modes[:, k], label=name)
axes[0, 2].set_title("read modes")
axes[0, 2].set_xlabel("time step")
axes[0, 2].legend()
for ax, img, title in (
    (axes[1, 0], write_w, "write weighting"),
    (axes[1, 1], usage, "usage"),
    (axes[1, 2], read_w, "read weighting"),
):
    ax.imshow(img.T, cmap="magma", aspect="auto", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xlabel("time step")
    ax.set_ylabel("memory slot")
fig.tight_layout()
plt.show()

# %%
# The temporal link matrix
# ------------------------
# ``link[i, j]`` is how much slot ``i`` was written right after slot ``j``. The slots the
# vectors went to, in order, form a chain; following it is the forward read mode, following
# it against the arrows the backward one.
order = write_w[:4].argmax(-1)
print("slots written, in order:", order.tolist())
print("slots read while answering:", read_w[5:].argmax(-1).tolist())
fig, ax = plt.subplots(figsize=(4, 3.6))
im = ax.imshow(link, cmap="magma", vmin=0, vmax=1)
ax.set_xlabel("slot j (written first)")
ax.set_ylabel("slot i (written next)")
fig.colorbar(im, ax=ax)
fig.tight_layout()
plt.show()

# %%
# The training curve
# ------------------
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.convolve(history["loss"], np.ones(10) / 10, mode="valid"))
ax.set_xlabel("batch")
ax.set_ylabel("loss (mean of 10 batches)")
ax.set_yscale("log")
fig.tight_layout()
plt.show()
