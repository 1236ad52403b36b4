"""
The neural Turing machine learns to copy: memory use and generalisation
=======================================================================

Graves, Wayne & Danihelka (2014) gave a recurrent controller an external memory of ``N`` slots,
read and written through *weightings* -- soft attention over the slots -- that the controller
steers by content (a key compared with every slot) and by location (a shift of the previous
focus). On their copy task, random 8-bit vectors followed by a delimiter, the trained machine
writes the vectors to consecutive slots and then reads them back in the same order (their
figure 6), which is why it goes on copying correctly far beyond the lengths it was trained on,
where an LSTM of the same size fails.

Here a small NTM (an LSTM controller of 32 units, 16 slots of 8 numbers) and an LSTM with about
as many parameters are trained for the same 600 batches of 16 sequences of lengths 1 to 5.
"""

# %%
# Training both on the same budget
# --------------------------------
# :func:`recurrent_zoo.ntm.train_copy` draws fresh batches of
# :func:`~recurrent_zoo.tasks.binary_copy` sequences and trains with Adam (learning rate 0.01,
# a tenth of it for the last 150 batches). The baseline is trained by the same function
# (it takes any model), on the same batches.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.ntm import NTM, train_copy
from recurrent_zoo.tasks import binary_copy, bit_errors

ntm = NTM(9, 8, controller_size=32, memory_slots=16, word_size=8, seed=0)
lstm = Stacked([LSTM(9, 40, seed=0), Linear(40, 8, seed=1)])
print(f"parameters: NTM {ntm.n_params}, LSTM {lstm.n_params}")

ntm_history = train_copy(ntm, lengths=(1, 5), batch_size=16, batches=600, seed=0)
lstm_history = train_copy(lstm, lengths=(1, 5), batch_size=16, batches=600, seed=0)
print(f"last training loss: NTM {ntm_history['loss'][-1]:.4f}, LSTM {lstm_history['loss'][-1]:.4f}")

# %%
# Memory use, as in the paper's figure 6
# --------------------------------------
# One sequence of 10 vectors -- twice the longest training length -- through the trained NTM.
# The model keeps its last forward pass for backpropagation; the heads' weightings after each
# step are in it (read head first, then the write head). While the vectors come in, the write
# head moves one slot per step; after the delimiter the read head visits the same slots in the
# same order.
test = binary_copy(1, 10, seed=3)
Y, _ = ntm.forward(test.inputs)
weights = ntm._cache[10][1:, 0]  # (T, heads, N): the weightings after each step
T = test.n_steps
fig, axes = plt.subplots(2, 2, figsize=(8, 5.2), sharex=True)
axes[0, 0].imshow(test.inputs[:, 0].T, cmap="gray_r", aspect="auto")
axes[0, 0].set_title("input (8 bits + delimiter)")
probs = 1 / (1 + np.exp(-Y[:, 0]))
axes[0, 1].imshow(probs.T * test.mask[:, 0], cmap="gray_r", aspect="auto", vmin=0, vmax=1)
axes[0, 1].set_title(f"output ({bit_errors(Y, test)[0]:.0f} wrong bits of 80)")
axes[1, 0].imshow(weights[:, 1].T, cmap="magma", aspect="auto")
axes[1, 0].set_title("write weighting")
axes[1, 1].imshow(weights[:, 0].T, cmap="magma", aspect="auto")
axes[1, 1].set_title("read weighting")
for ax in axes[1]:
    ax.set_xlabel("time step")
    ax.set_ylabel("memory slot")
fig.tight_layout()
plt.show()

# %%
# Generalisation to longer sequences
# ----------------------------------
# Mean wrong bits per sequence, as a fraction of the bits to copy, at lengths the models never
# saw. The NTM's memory has 16 slots, so beyond 16 vectors its write head comes round again and
# overwrites the first ones.
lengths = np.arange(1, 21)
curves = {}
for name, model in (("NTM", ntm), ("LSTM", lstm)):
    errors = []
    for L in lengths:
        data = binary_copy(100, int(L), seed=100 + int(L))
        out, _ = model.forward(data.inputs)
        errors.append(bit_errors(out, data).mean() / (8 * L))
    curves[name] = np.array(errors)
    print(
        f"{name}: fraction of wrong bits at length 5 {curves[name][4]:.3f}, "
        f"10 {curves[name][9]:.3f}, 20 {curves[name][19]:.3f}"
    )

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for name, err in curves.items():
    ax.plot(lengths, err, marker="o", label=name)
ax.axvspan(0.5, 5.5, color="0.9", label="training lengths")
ax.axvline(16.5, color="0.6", linestyle=":", label="memory slots")
ax.set_xlabel("sequence length")
ax.set_ylabel("fraction of wrong bits")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The paper's network -- an LSTM controller of 100 units and 128 slots of 20 numbers, trained
# on lengths 1 to 20 -- takes minutes to hours on a CPU: ``benchmarks/ntm_experiments.py``
# runs it, and ``benchmarks/results/ntm_experiments_copy.txt`` records how it copies sequences
# of 10 to 120.
