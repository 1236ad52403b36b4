"""
An NNPDA learns balanced parentheses, and a pushdown automaton is read out of it
================================================================================

The neural network pushdown automaton (Sun, Giles, Chen & Lee 1993) is a recurrent net whose
third-order weights couple its state :math:`S(t)`, the input symbol :math:`I(t)` and the top of
an external *analog stack* :math:`R(t)`:

.. math::

    S_i(t+1) = g\\Big(\\sum_{jkl} W_{ijkl} S_j(t) I_k(t) R_l(t) + b_i\\Big), \\qquad
    A(t) = \\tanh\\Big(\\sum_{jkl} W^a_{jkl} S_j(t) I_k(t) R_l(t) + b^a\\Big)

The action :math:`A(t)` pushes the input symbol with length :math:`\\max(0, A)` or pops
:math:`\\max(0, -A)`; the net reads the top unit of depth of the stack. A string is accepted by
final state and empty stack. We train :class:`recurrent_zoo.nnpda.NNPDA` on balanced
parentheses (Dyck-1) of up to 8 symbols, test it on strings of 9 to 30, watch its stack, and
extract a discrete pushdown automaton with :func:`recurrent_zoo.nnpda.extract_pda`.
"""

# %%
# Training on strings of up to 8 symbols
# --------------------------------------
# Every string of 1 to 8 parentheses (510 strings, 30 of them balanced) plus 200 drawn with half
# of them balanced; then 200 strings of 9 to 30 symbols, half balanced, the others near misses
# and random strings (:func:`recurrent_zoo.tasks.cfl_strings`). :func:`language_run` trains
# with :class:`~recurrent_zoo.nnpda.AcceptanceLoss` and extracts the automaton.
import itertools

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

from recurrent_zoo.analysis.automata import encode_strings
from recurrent_zoo.analysis.pushdown import BOTTOM, pda_table, run_pda
from recurrent_zoo.nnpda import QUICK_DYCK1, language_run
from recurrent_zoo.tasks import dyck_accepts

run = language_run("dyck1", seed=0, **QUICK_DYCK1)
net, pda = run["model"], run["pda"]
print(f"trained {run['epochs']} epochs; training accuracy {run['train_accuracy']:.3f}")
print(
    f"strings of 9-30 symbols: network {run['accuracy']:.3f}, extracted PDA "
    f"{run['pda_accuracy']:.3f}"
)

# %%
# The extracted automaton is exact
# --------------------------------
# As Giles et al. found for finite automata, the automaton read off the network can generalise
# further than the network: its stack is discrete, so nothing drifts on long strings.
strings = ["".join(s) for n in range(13) for s in itertools.product("()", repeat=n)]
verdicts = np.array(run_pda(pda, strings))
truth = np.array([dyck_accepts(s) for s in strings])
print(f"PDA right on {np.mean(verdicts == truth):.4f} of all {len(strings)} strings up to 12")
deep = "(" * 60 + ")" * 60 + "()" * 40
print(f"a string of {len(deep)} symbols nested 60 deep: accepted {run_pda(pda, deep)}")

# %%
# The stack over time
# -------------------
# The network's analog stack while it reads one string: each column is the stack after a
# symbol, top at the top, the colour an element's length (its strength); below, the action
# :math:`A(t)` (push > 0 > pop) and the acceptance unit :math:`S_0`.
string = "(()(()))((()))()"
X, _ = encode_strings([string], "()")
trace = net.trace(X)
depth = max(s.shape[1] for _, s in trace["stack"])
image = np.zeros((depth, len(string) + 1))
for t, (_, s) in enumerate(trace["stack"]):
    image[: s.shape[1], t] = s[0]
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=(2, 1))
ax1.imshow(image, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
ax1.set_yticks(range(depth))
ax1.set_ylabel("element (0 = top)")
ax1.set_title(f"the NNPDA's stack reading {string!r} (colour: element length)")
steps = np.arange(1, len(string) + 1)
ax2.step(steps, trace["actions"][:, 0], where="mid", label="action A(t)")
ax2.plot(steps, trace["states"][1:, 0, 0], "o-", ms=3, label="response unit S0")
ax2.axhline(0, color="gray", lw=0.5)
ax2.set_xticks(range(len(string) + 1))
ax2.set_xticklabels([""] + list(string))
ax2.set_xlabel("symbol read")
ax2.legend(loc="lower right", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# The automaton, drawn
# --------------------
# The states and transitions used on the strings up to length 12 (the others concern stack
# tops that never occur -- ")" is never pushed). Edge labels read ``input, top / action``; green
# states accept (with an empty stack).
table = pda_table(pda)
used = set()
for s in strings:
    q, stack = pda.graph["start"], []
    for a in s:
        top = stack[-1] if stack else BOTTOM
        used.add((q, a, top))
        q, action, pushed = table[(q, a, top)]
        if action == "push":
            stack.append(pushed)
        elif action == "pop" and stack:
            stack.pop()
G = nx.MultiDiGraph()
for q, a, top in used:
    nxt, action, pushed = table[(q, a, top)]
    G.add_edge(q, nxt, label=f"{a},{top}/{'push ' + pushed if pushed else action}")
for q in G:
    G.nodes[q]["accepting"] = pda.nodes[q]["accepting"]
print(
    f"{G.number_of_nodes()} states and {G.number_of_edges()} transitions in use "
    f"(of {pda.number_of_nodes()} states extracted at q = {pda.graph['levels']})"
)
fig, ax = plt.subplots(figsize=(8, 6))
pos = nx.kamada_kawai_layout(nx.DiGraph(G))
nx.draw_networkx_nodes(
    G,
    pos,
    ax=ax,
    node_size=700,
    node_color=["tab:green" if G.nodes[q]["accepting"] else "tab:gray" for q in G],
)
nx.draw_networkx_labels(G, pos, ax=ax)
labels: dict = {}
for p, q, d in G.edges(data=True):
    labels.setdefault((p, q), []).append(d["label"])
nx.draw_networkx_edges(
    nx.DiGraph(G), pos, ax=ax, connectionstyle="arc3,rad=0.15", arrowsize=15, node_size=700
)
nx.draw_networkx_edge_labels(
    nx.DiGraph(G),
    pos,
    ax=ax,
    connectionstyle="arc3,rad=0.15",
    font_size=7,
    edge_labels={k: "\n".join(sorted(v)) for k, v in labels.items()},
)
ax.annotate(
    "start",
    xy=pos[pda.graph["start"]],
    xytext=(-40, 30),
    textcoords="offset points",
    arrowprops={"arrowstyle": "->"},
)
ax.set_title("pushdown automaton extracted from the NNPDA (transitions in use)")
ax.axis("off")
fig.tight_layout()
plt.show()

# %%
# Reference: G. Z. Sun, C. L. Giles, H. H. Chen and Y. C. Lee, "The neural network pushdown
# automaton: model, stack and learning simulations", UMIACS-TR-93-77, University of Maryland,
# 1993; S. Das, C. L. Giles and G. Z. Sun, "Learning context-free grammars: capabilities and
# limitations of a recurrent neural network with an external stack memory", Proc. 14th Annual
# Conference of the Cognitive Science Society, 1992.
