"""
Associative memories: recalling pictures from corrupted probes
==============================================================

A Hopfield network (Hopfield 1982) stores bipolar patterns :math:`\\xi^\\mu \\in \\{-1, +1\\}^N`
in symmetric couplings :math:`W` and completes a probe by the sign dynamics
:math:`s_i \\leftarrow \\operatorname{sgn}(\\sum_j w_{ij} s_j)`, which never increase the energy
:math:`E(s) = -\\tfrac12 s^\\top W s`. The stored patterns are meant to be its minima. How many
it can hold, and how well, depends on the learning rule -- Hebb's outer products, Storkey's
local rule or the pseudo-inverse (projection) rule -- and on how correlated the patterns are.
Dense associative memories (Krotov & Hopfield 2016) replace the quadratic energy by a steeper
one, :math:`E = -\\sum_\\mu F(\\xi^\\mu \\cdot s)`, and store far more.
"""

# %%
# Six pictures
# ------------
# :func:`recurrent_zoo.tasks.patterns.image_patterns` draws small binary images in code. Unlike
# random patterns they are strongly correlated: they share most of their background.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.dense_associative_memory import DenseAssociativeMemory
from recurrent_zoo.hopfield import Hopfield
from recurrent_zoo.tasks.patterns import capacity_curve, flip_noise, image_patterns

size = 12
names = ["cross", "x", "ring", "triangle", "letter_T", "letter_H"]
images = image_patterns(names, size=size)  # (6, 144) in {-1, +1}
N = images.shape[1]
overlaps = images @ images.T / N
print(
    f"{len(names)} images of {N} pixels; mean overlap between different images: "
    f"{overlaps[~np.eye(len(names), dtype=bool)].mean():.2f}"
)

# %%
# Recall from probes with 25% of the pixels flipped
# -------------------------------------------------
probes = flip_noise(images, 0.25, seed=0)
memories = {
    "Hebbian": Hopfield(N, rule="hebbian").store(images),
    "Storkey": Hopfield(N, rule="storkey").store(images),
    "pseudo-inverse": Hopfield(N, rule="pseudo_inverse").store(images),
    "dense (F = x^3)": DenseAssociativeMemory(N, degree=3).store(images),
}
recalled = {name: m.recall(probes, seed=0) for name, m in memories.items()}
for name, out in recalled.items():
    exact = (out == images).all(axis=1)
    print(
        f"{name:16s} recalled exactly: {exact.sum()} of {len(names)}; "
        f"mean overlap {np.mean(np.sum(out * images, axis=1) / N):.2f}"
    )

hebb = memories["Hebbian"]
print(
    f"Hebbian energy of the probes {hebb.energy(probes).mean():.1f} -> after recall "
    f"{hebb.energy(recalled['Hebbian']).mean():.1f} "
    f"(stored images: {hebb.energy(images).mean():.1f})"
)

rows = {"stored": images, "probe": probes, **recalled}
fig, axes = plt.subplots(len(rows), len(names), figsize=(7, 1.25 * len(rows)))
for r, (label, pics) in enumerate(rows.items()):
    for c in range(len(names)):
        ax = axes[r, c]
        ax.imshow(pics[c].reshape(size, size), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
fig.suptitle("probes with 25% flipped pixels, and what each memory recalls")
fig.tight_layout()
plt.show()

# %%
# With correlated patterns the Hebbian rule's crosstalk is large: its recalls drift to mixtures
# of the stored pictures, *spurious* minima whose energy is even lower than the stored images'
# own. The pseudo-inverse rule makes every stored pattern an exact fixed point whatever the
# correlations, and the dense memory's steep energy separates the patterns' basins.
#
# Capacity on random patterns
# ---------------------------
# :func:`recurrent_zoo.tasks.patterns.capacity_curve` stores :math:`P = \alpha N` random
# patterns, flips 10% of each, recalls them, and reports the fraction recalled exactly, for
# :math:`N = 100` and growing load :math:`\alpha = P / N`. Theory: Hebbian storage collapses
# near :math:`\alpha \approx 0.138` (Amit, Gutfreund & Sompolinsky 1985), Storkey's rule holds
# more, the pseudo-inverse rule keeps up to :math:`P = N - 1` linearly independent patterns as
# fixed points (though their basins of attraction shrink as the load grows, so noisy probes
# fail earlier), and a dense memory with :math:`F(x) = x^n` holds of the order of
# :math:`N^{n-1}` patterns.
loads = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7]
makers = {
    "Hebbian": lambda n: Hopfield(n, rule="hebbian"),
    "Storkey": lambda n: Hopfield(n, rule="storkey"),
    "pseudo-inverse": lambda n: Hopfield(n, rule="pseudo_inverse"),
    "dense (F = x^3)": lambda n: DenseAssociativeMemory(n, degree=3),
}
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, make in makers.items():
    curve = capacity_curve(make, 100, loads, noise=0.1, n_trials=2, seed=0)
    ax.plot(curve["loads"], curve["exact"], marker="o", label=name)
    print(f"{name:16s} fraction recalled exactly: " + " ".join(f"{v:.2f}" for v in curve["exact"]))
ax.axvline(0.138, color="gray", ls=":", label="0.138 (Hebbian, large N)")
ax.set_xlabel("load P / N  (N = 100, 10% of each probe flipped)")
ax.set_ylabel("fraction recalled exactly")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# References: J. J. Hopfield, PNAS 79(8), 1982; A. J. Storkey, ICANN 1997; L. Personnaz,
# I. Guyon and G. Dreyfus, J. Physique Lettres 46(8), 1985; D. J. Amit, H. Gutfreund and
# H. Sompolinsky, Phys. Rev. Lett. 55(14), 1985; D. Krotov and J. J. Hopfield, "Dense
# associative memory for pattern recognition", NeurIPS 2016.
