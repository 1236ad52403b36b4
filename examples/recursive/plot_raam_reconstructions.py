"""
RAAM: folding trees into vectors and unfolding them back
========================================================

Pollack's recursive auto-associative memory (1990) is an auto-encoder applied at every node of
a tree: the encoder squeezes the codes of a node's two children into one code of the same
width, :math:`h = \\sigma(W_e [h_1; h_2] + b_e)`, and the decoder expands it back,
:math:`[\\hat h_1; \\hat h_2] = \\sigma(W_d h + b_d)`. A leaf's code is its terminal pattern, so
a whole tree folds into one vector -- and, if the auto-encoder is good enough everywhere,
unfolds back into the same tree: decode the root's code, keep each half that is close to a
terminal pattern (the *terminal test*) and decode the others again.
"""

# %%
# The grammar: every binary tree over two terminals, up to height 2
# -----------------------------------------------------------------
# :func:`recurrent_zoo.tasks.trees.raam_grammar` lists them as networkx trees, leaves carrying
# one-hot terminal patterns 16 units wide (the codes' width). There are 36 trees of height 1
# or 2; one forest holds them all.
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo.raam import RAAM, exact_reconstructions, train_raam
from recurrent_zoo.tasks.trees import raam_grammar, to_bracketed

data = raam_grammar(("A", "B"), max_depth=2, code_size=16)
forest = data.forest()
print(f"{len(data)} trees, {forest.n_nodes} nodes; e.g. {data.info['bracketed'][-5:]}")

# %%
# Training
# --------
# The loss is the reconstruction error at every internal node of the forest, whose targets are
# themselves codes (Pollack's *moving target*); :meth:`~recurrent_zoo.raam.RAAM.reconstruction_loss`
# backpropagates through the whole structure, targets included, level by level over the
# forest. Full-batch Adam, until every tree comes back exactly.
model = RAAM(16, seed=0)
losses = train_raam(
    model, forest, steps=3000, check=lambda: bool(exact_reconstructions(model, data).all())
)
print(f"{len(losses)} steps; loss {losses[0]:.3f} -> {losses[-1]:.5f}")

# %%
# Reconstructions
# ---------------
# Each root's code is decoded recursively with the terminal test (a decoded half within 0.3 of
# a terminal pattern on every unit is that terminal).
codes = model.encode(forest)  # (36, 16): one code per tree
decoded = model.reconstruct(codes, data.symbols, tolerance=0.3, max_depth=4)
for text, G in list(zip(data.info["bracketed"], decoded, strict=True))[::7]:
    print(f"{text:>22s}  ->  {to_bracketed(G)}")
ok = exact_reconstructions(model, data)
print(f"exact: {ok.sum()} of {len(ok)}")

# %%
# How deep does it hold?
# ----------------------
# The 1408 trees of height 3 were never seen. Their codes are built by the same
# encoder from codes it was trained on, but decoding them asks for precision the training never
# demanded: errors compound level by level.
deeper = raam_grammar(("A", "B"), max_depth=3, code_size=16)
height3 = deeper.subset(np.flatnonzero(deeper.info["depth"] == 3))
ok3 = exact_reconstructions(model, height3)
by_height = {1: ok[data.info["depth"] == 1].mean(), 2: ok[data.info["depth"] == 2].mean()}
by_height[3] = ok3.mean()
for h, v in by_height.items():
    print(
        f"height {h}: {100 * v:.1f}% reconstructed exactly" + (" (never trained)" if h == 3 else "")
    )

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1.2, 1, 1.4]})
axes[0].plot(losses)
axes[0].set_yscale("log")
axes[0].set_xlabel("Adam step (full batch)")
axes[0].set_title("reconstruction loss")
axes[1].bar([str(h) for h in by_height], list(by_height.values()), color=["C0", "C0", "C1"])
axes[1].set_ylim(0, 1.05)
axes[1].set_xlabel("tree height (3: never trained)")
axes[1].set_title("fraction reconstructed exactly")
order = np.argsort(data.info["depth"], kind="stable")
axes[2].imshow(codes[order], aspect="auto", cmap="viridis", vmin=0, vmax=1)
axes[2].set_xlabel("code unit")
axes[2].set_ylabel("tree (by height)")
axes[2].set_title("the 36 codes")
fig.tight_layout()
plt.show()

# %%
# Reference: J. B. Pollack, "Recursive distributed representations", Artificial Intelligence
# 46(1-2):77-105, 1990.
