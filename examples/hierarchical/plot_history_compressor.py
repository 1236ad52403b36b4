"""
History compressor: only surprises go up
========================================

Schmidhuber's (1992) principle of history compression: what a predictor expected carries no
information, so a sequence is fully described by the inputs its predictor failed to predict
and the steps at which they came. The neural history compressor stacks recurrent predictors:
the **automatiser** reads every input and predicts the next; only its surprises go up to the
**chunker**, which runs on that much shorter sequence. The automatiser is also trained to
predict the chunker's state, and eventually does the chunker's job itself: the hierarchy
**collapses** into one net.

The test bed is Schmidhuber's 22-symbol stream (:func:`recurrent_zoo.tasks.long_lag_symbols`):
blocks ``a b1 ... b20`` or ``x b1 ... b20`` follow each other without boundaries, and after
each block the system must say whether it began with ``a`` -- a lag of 20 steps for the
automatiser, of one step for the chunker, which sees little more than the blocks' first
symbols. We train :class:`recurrent_zoo.history_compressor.HistoryCompressor` on 4 streams, two
blocks per update, and watch it.
"""

# %%
# Training, and what goes up
# --------------------------
import copy

import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.history_compressor import HistoryCompressor, evaluate_stream
from recurrent_zoo.tasks import long_lag_symbols

hc = HistoryCompressor(22, (32, 32), target_size=1, threshold=0.9, collapse_weight=1.0, seed=0)
train = long_lag_symbols(750, n_streams=4, seed=1)  # 3,000 training blocks
held_out = long_lag_symbols(50, n_streams=4, seed=2)
window = long_lag_symbols(3, n_streams=4, seed=3)  # 63 steps to look at
symbols, chunk = train.info["symbols"].T, 42  # (T, 4), two blocks per update
hc.reset(4)


def look():
    """Surprises of the automatiser on the 63-step window, continuing the training streams."""
    report = hc.process(
        window.info["symbols"].T,
        window.targets,
        window.mask,
        state=copy.deepcopy(hc.state),
        learn=False,
    )
    return report.levels[0].surprise[:, 0], report.levels[1].counts[0]


history, snapshots = [], {}
for c in range(symbols.shape[0] // chunk):
    if c in (0, 20, 40):
        snapshots[8 * c] = look()
    sl = slice(c * chunk, (c + 1) * chunk)
    hc.process(symbols[sl], train.targets[sl], train.mask[sl])
    if (c + 1) % 25 == 0:
        scores = evaluate_stream(hc, held_out, chunk=chunk, state=hc.state)
        scores["blocks"] = 8 * (c + 1)
        history.append(scores)
snapshots[3000] = look()
for blocks, (_, n_up) in snapshots.items():
    print(f"after {blocks:4d} blocks: {n_up:2d} of 63 steps passed to the chunker")
final = history[-1]
print(
    f"held-out label accuracy after 3,000 blocks: system {final['system']:.3f}, "
    f"chunker {final['level1']:.3f}, automatiser alone {final['level0']:.3f}; "
    f"fraction of steps passed up {final['passed_up'][0]:.3f}"
)

# %%
# The picture
# -----------
# Top: the window of the stream and, for four stages of training, the steps the automatiser
# passed up (the window continues the training streams). The untrained automatiser passes
# everything; after a few hundred blocks only the blocks' first symbols -- unpredictable by
# construction -- still go up: one step in 21. Bottom: the held-out label accuracy. The
# chunker answers first (the cascade uses it while the automatiser is unsure); later the
# automatiser, trained to predict the chunker's state, answers alone.
names = ["a", "x"] + [f"b{k}" for k in range(1, 21)]
fig = plt.figure(figsize=(12, 7), layout="constrained")
grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
ax = fig.add_subplot(grid[0, :])
stream = window.info["symbols"][0]
for row, (surprise, _) in enumerate(snapshots.values()):
    steps = np.flatnonzero(surprise)  # surprise[t]: step t of the window went up
    ax.scatter(steps, np.full(steps.size, row), marker="|", s=300, color="tab:red")
ax.set_yticks(range(len(snapshots)), [f"after {b} blocks" for b in snapshots])
ax.set_xticks(range(0, 63, 3), [names[s] for s in stream[::3]], fontsize=8)
ax.set_xlim(-1, 63)
ax.set_title("steps passed up to the chunker (red) on a 63-step window of the stream")
ax = fig.add_subplot(grid[1, 0])
blocks = [h["blocks"] for h in history]
for key, label in (
    ("system", "system (cascade)"),
    ("level1", "chunker"),
    ("level0", "automatiser alone"),
):
    ax.plot(blocks, [h[key] for h in history], marker=".", label=label)
ax.axhline(0.5, color="grey", ls=":")
ax.set_xlabel("training blocks")
ax.set_ylabel("held-out label accuracy")
ax.legend()
ax = fig.add_subplot(grid[1, 1])
ax.bar(["automatiser", "chunker"], [21, 21 * final["passed_up"][0]], color=["tab:blue", "tab:red"])
ax.set_ylabel("steps per block")
ax.set_title("how long each level's sequence is")
plt.show()

# %%
# ``benchmarks/history_compressor_long_lag.py`` repeats the experiment 17 times with the
# paper's budget of 5,000 blocks, and trains a single recurrent net for comparison.
#
# Reference: J. Schmidhuber, "Learning complex, extended sequences using the principle of
# history compression", Neural Computation 4(2):234-242, 1992.
