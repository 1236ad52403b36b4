"""
A second-order net learns a regular grammar, and an automaton is read out of it
===============================================================================

Giles et al. (1992) gave each state unit one weight per *pair* (state unit, input symbol):

.. math::

    S_i(t+1) = g\\Big(\\sum_{j,k} W_{ijk}\\, S_j(t)\\, I_k(t) + b_i\\Big),

so that a one-hot input symbol selects a whole recurrent matrix -- the network's version of a
finite automaton's transition table. Trained to accept or reject strings of a regular language,
its states cluster, one cluster per automaton state, and quantising the state space recovers a
deterministic finite automaton (DFA).

We train :class:`recurrent_zoo.second_order.SecondOrderRNN` on Tomita's grammar 4 -- strings
over {0, 1} with no ``000`` inside -- and extract its automaton with
:func:`recurrent_zoo.analysis.extract_automaton`.
"""

# %%
# Data: every string of length 1 to 8
# -----------------------------------
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

from recurrent_zoo.analysis import Automaton, extract_automaton
from recurrent_zoo.second_order import SecondOrderRNN, fit_acceptor
from recurrent_zoo.tasks import tomita_accepts, tomita_dataset, tomita_dfa

grammar = 4
data = tomita_dataset(grammar, 8, end_symbol=False, min_length=1)
labels = data.info["labels"].astype(bool)
print(f"{len(labels)} strings, {labels.mean():.0%} accepted; e.g.")
for s, y in list(zip(data.info["strings"], labels, strict=True))[10:16]:
    print(f"  {''.join(s):8s} {'accept' if y else 'reject'}")

# %%
# Training
# --------
# Four state units; the response unit :math:`S_0` after the last symbol says accept
# (:math:`> 0.5`) or reject. As in the paper, training stops once every response is within a
# tolerance (here 0.05) of its target.
net = SecondOrderRNN(2, 4, seed=0)
history = fit_acceptor(
    net,
    data.inputs,
    data.targets,
    mask=data.mask,
    lengths=data.lengths,
    epochs=1000,
    tolerance=0.05,
    seed=0,
)
print(f"stopped after {history.epochs} epochs, final loss {history['loss'][-1]:.4f}")

# %%
# Generalisation to longer strings
# --------------------------------
# Every string of length 1 to 10 -- four times as many strings as in training, most of them
# longer than any training string.
test = tomita_dataset(grammar, 10, end_symbol=False, min_length=1)
accepted = net.response(test.inputs, test.lengths) > 0.5
truth = test.info["labels"].astype(bool)
print(f"accuracy on all {len(truth)} strings up to length 10: {np.mean(accepted == truth):.4f}")

# %%
# Extracting the automaton
# ------------------------
# The state space :math:`[0, 1]^4` is divided into :math:`q` intervals per unit; exploring from
# the start state with both symbols gives a finite graph of visited cells, which is then
# minimised. The smallest automaton consistent with the training strings is kept and compared
# with the grammar's own minimal DFA.
dfa = extract_automaton(net, strings=data.info["strings"], labels=labels)
table, accepting = tomita_dfa(grammar)
minimal = Automaton(
    {q: {"0": int(table[q, 0]), "1": int(table[q, 1])} for q in range(len(table))},
    0,
    np.flatnonzero(accepting).tolist(),
    ("0", "1"),
)
print(
    f"extracted: {dfa.n_states} states (quantisation q = {dfa.levels}); "
    f"grammar's minimal DFA: {minimal.n_states} states"
)
print(f"same language as the grammar's DFA: {dfa.is_equivalent(minimal)}")
print(
    f"DFA on '0100100', '1000101': {dfa.accepts('0100100')}, {dfa.accepts('1000101')} "
    f"(grammar: {tomita_accepts(grammar, '0100100')}, {tomita_accepts(grammar, '1000101')})"
)

# %%
# The states the network visits, and the automaton
# ------------------------------------------------
# Left: the network's state after every prefix of every test string, projected on its first
# two principal components and coloured by the state the grammar's DFA is in -- the clusters are
# the automaton's states. Right: the extracted automaton (green: accepting; the arrow
# marks the start), each state named after the grammar-DFA state reached by the same strings.
prefix_states, dfa_states = [], []
for s in test.info["strings"][::7]:
    S = net.initial_state(1)
    q = 0
    for symbol in s:
        x = np.eye(2)[[int(symbol)]][None]  # (1, 1, 2)
        _, S = net.forward(x, state=S)
        q = int(table[q, int(symbol)])
        prefix_states.append(S[0])
        dfa_states.append(q)
Z = np.array(prefix_states)
Z = Z - Z.mean(axis=0)
pcs = Z @ np.linalg.svd(Z, full_matrices=False)[2][:2].T

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
sc = ax1.scatter(pcs[:, 0], pcs[:, 1], c=dfa_states, cmap="viridis", s=10)
ax1.legend(*sc.legend_elements(), title="DFA state", fontsize="small")
ax1.set_xlabel("PC 1")
ax1.set_ylabel("PC 2")
ax1.set_title("network states after each prefix")

G = dfa.to_networkx()
pos = nx.circular_layout(G)
nx.draw_networkx_nodes(
    G,
    pos,
    ax=ax2,
    node_color=["tab:green" if G.nodes[n]["accepting"] else "tab:gray" for n in G],
    node_size=900,
)
# name each extracted state after the grammar-DFA state reached by the same strings
names = {dfa.run(w): minimal.run(w) for w in test.info["strings"][:100]}
nx.draw_networkx_labels(G, pos, ax=ax2, labels={n: str(names.get(n, "?")) for n in G})
nx.draw_networkx_edges(G, pos, ax=ax2, connectionstyle="arc3,rad=0.15", arrowsize=18, node_size=900)
nx.draw_networkx_edge_labels(
    G, pos, ax=ax2, edge_labels=nx.get_edge_attributes(G, "label"), connectionstyle="arc3,rad=0.15"
)
ax2.annotate(
    "start",
    xy=pos[G.graph["start"]],
    xytext=(10, -55),
    textcoords="offset points",
    arrowprops={"arrowstyle": "->"},
)
ax2.set_title(f"extracted automaton (green: accepting), {dfa.n_states} states")
ax2.axis("off")
fig.tight_layout()
plt.show()

# %%
# Reference: C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun and Y. C. Lee,
# "Learning and extracting finite state automata with second-order recurrent neural networks",
# Neural Computation 4(3):393-405, 1992; M. Tomita, "Dynamic construction of finite-state
# automata from examples using hill-climbing", Proc. 4th Cognitive Science Conference, 1982.
