"""
Tree-LSTM on ListOps, beside a flat LSTM
========================================

ListOps (Nangia & Bowman 2018) is a language of nested list operations on the digits 0-9 --
``[MAX 2 9 [MIN 4 7 ] 0 ]`` is 9 -- built so that only a model that follows the nesting can
compute it. A Tree-LSTM (Tai et al. 2015) reads each expression along its parse tree; a flat
LSTM reads the same tokens left to right and must find the structure itself. Nangia & Bowman
report 98.7% for a Tree-LSTM on the gold parse trees and 71.5% for an LSTM.

Here both are trained on expressions of nesting depth 1 to 3 and tested, by depth, on held-out
expressions up to depth 6: the recursive net applies the same composition at every level, so
what it learns at depth 3 should carry over.
"""

# %%
# An expression and its parse tree
# ---------------------------------
# :func:`recurrent_zoo.tasks.trees.listops` draws expressions of a given depth and builds their
# *gold* parse: left-branching inside each list, every token a leaf carrying its one-hot code,
# the internal nodes none. The N-ary Tree-LSTM tells a node's two children apart (the partial
# list on the left, the next argument on the right).
import matplotlib.pyplot as plt
import numpy as np

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.nary_tree_lstm import NaryTreeLSTM
from recurrent_zoo.tasks.trees import listops, listops_step_targets, listops_tree, token_sequences
from recurrent_zoo.training import Adam, fit, predict
from recurrent_zoo.training.structure import fit_forest, predict_forest

example = "[MAX 2 9 [MIN 4 7 ] 0 ]"
G = listops_tree(example)


def layout(G, root=0):
    """Leaves left to right in order, each parent above the middle of its children."""
    pos, leaves = {}, iter(range(G.number_of_nodes()))

    def place(node, depth):
        kids = [v for _, v, _ in sorted(G.out_edges(node, data="order"), key=lambda e: e[2])]
        xs = [place(k, depth + 1) for k in kids]
        x = float(np.mean(xs)) if xs else float(next(leaves))
        pos[node] = (x, -depth)
        return x

    place(root, 0)
    return pos


import networkx as nx  # noqa: E402

fig, ax = plt.subplots(figsize=(8, 3.6))
labels = {n: G.nodes[n].get("label", "") for n in G}
nx.draw_networkx(
    G,
    layout(G),
    labels=labels,
    node_color=["#dde" if labels[n] == "" else "#fd9" for n in G],
    node_size=420,
    font_size=8,
    arrows=False,
    ax=ax,
)
ax.set_title(f"gold parse of {example}  (= 9)")
ax.axis("off")
plt.show()

# %%
# The same budget for both
# ------------------------
# 3000 training expressions of depth 1-3, 64 hidden units, Adam, 10 epochs. Both are supervised
# with the value of every complete list: the Tree-LSTM at the node that closes the list, the
# LSTM at the step of its closing bracket -- the same labels, read off the same tokens.
train = listops(3000, min_depth=1, max_depth=3, seed=0)
test = listops(600, min_depth=1, max_depth=6, seed=1)
dtype, epochs, lr = np.float32, 10, 0.005

tree, tree_readout = NaryTreeLSTM(15, 64, seed=0, dtype=dtype), Linear(64, 10, seed=1, dtype=dtype)
history = fit_forest(
    tree,
    tree_readout,
    train.forest(),
    train.node_targets,
    on="nodes",
    mask=train.node_mask,
    lr=lr,
    epochs=epochs,
    clip_norm=5.0,
    seed=0,
)
forest = test.forest()
tree_pred = predict_forest(tree, tree_readout, forest)[forest.roots()].argmax(axis=1)

lstm = Stacked([LSTM(15, 64, seed=0, dtype=dtype), Linear(64, 10, seed=1, dtype=dtype)])
X, lengths = token_sequences(train.info["tokens"])
Y, mask = listops_step_targets(train.info["tokens"])
fit(
    lstm,
    X,
    Y,
    mask=mask,
    lengths=lengths,
    loss="cross_entropy",
    optimizer=Adam(lstm.params, lr=lr),
    epochs=epochs,
    clip_norm=5.0,
    seed=0,
    progress=False,
)
Xt, lt = token_sequences(test.info["tokens"])
lstm_pred = predict(lstm, Xt, lengths=lt)[lt - 1, np.arange(len(lt))].argmax(axis=1)

depths = np.arange(1, 7)
acc = {
    name: [
        np.mean(pred[test.info["depth"] == d] == test.targets[test.info["depth"] == d])
        for d in depths
    ]
    for name, pred in (("Tree-LSTM", tree_pred), ("LSTM", lstm_pred))
}
for name, values in acc.items():
    print(
        f"{name:9s} accuracy by depth: "
        + "  ".join(f"{d}: {v:.2f}" for d, v in zip(depths, values, strict=True))
    )

# %%
# Accuracy by depth
# -----------------
# Left: this small run. Right: the full run recorded by ``benchmarks/listops_tree_lstm.py``
# (20 000 training expressions of depth 1-4, 30-40 epochs), if its results are at hand.
import json  # noqa: E402
from pathlib import Path  # noqa: E402


def recorded(name):
    here = Path(globals().get("__file__", "plot_listops_tree_lstm.py")).resolve().parent
    for base in (here, *here.parents, Path.cwd(), *Path.cwd().parents):
        path = base / "benchmarks" / "results" / name
        if path.exists():
            return json.loads(path.read_text())
    return None


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for k, (name, values) in enumerate(acc.items()):
    left.bar(depths + (k - 0.5) * 0.38, values, width=0.38, label=name)
left.axvspan(0.5, 3.5, color="gray", alpha=0.12, lw=0)
left.set_xticks(depths)
left.set_xlabel("depth (shaded: depths trained on)")
left.set_ylabel("test accuracy")
left.set_title(f"this run: {len(train)} expressions, {epochs} epochs")
left.legend()
full = {m: recorded(f"listops_{m}_lists.json") for m in ("tree", "lstm")}
if all(full.values()):
    for k, (m, label) in enumerate((("tree", "Tree-LSTM"), ("lstm", "LSTM"))):
        res = {**full[m]["test"]["depth 1-4"], **full[m]["test"]["depth 6-8"]}
        ds = [d for d in range(1, 9) if str(d) in res]
        right.bar(
            np.array(ds) + (k - 0.5) * 0.38, [res[str(d)] for d in ds], width=0.38, label=label
        )
    right.axvspan(0.5, 4.5, color="gray", alpha=0.12, lw=0)
    right.set_xticks(range(1, 9))
    right.set_xlabel("depth (shaded: trained on; 5 not tested)")
    right.set_title("recorded full run (benchmarks/results)")
    right.legend()
else:
    right.text(
        0.5, 0.5, "run benchmarks/listops_tree_lstm.py\nfor the full comparison", ha="center"
    )
    right.axis("off")
left.set_ylim(0, 1.02)
fig.tight_layout()
plt.show()

# %%
# References: N. Nangia and S. R. Bowman, "ListOps: a diagnostic dataset for latent tree
# learning", NAACL SRW 2018; K. S. Tai, R. Socher and C. D. Manning, "Improved semantic
# representations from tree-structured long short-term memory networks", ACL 2015.
