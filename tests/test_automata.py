"""Automata: minimisation, networkx round trip, and extraction from networks with known automata.

The minimal Tomita automata are computed here independently of the library: each grammar is
written as a deliberately redundant machine straight from its definition, checked against the
definition on every string up to length 10, and minimised by the table-filling
(Myhill-Nerode) algorithm below -- a different algorithm from the library's Moore partition
refinement. State counts include the dead (sink) state: the automata are complete.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo.analysis import automata
from recurrent_zoo.analysis.automata import (
    Automaton,
    all_strings_up_to,
    encode_strings,
    extract_automaton,
    minimize,
    quantize,
)
from recurrent_zoo.second_order import SecondOrderRNN
from recurrent_zoo.tasks import all_strings, tomita_accepts, tomita_dfa

# Minimal complete DFA sizes of Tomita grammars 1-7, dead state included (e.g. Giles et al.
# 1992, fig. 3; Omlin & Giles 1996); recomputed below, not trusted.
MINIMAL_STATES = {1: 2, 2: 3, 3: 5, 4: 4, 5: 4, 6: 3, 7: 5}


# ----------------------------------------------------------------------------- redundant machines
def _step(g: int, c: tuple, a: str) -> tuple:
    """One symbol of grammar ``g``'s redundant machine, written from the definition."""
    if g == 1:  # (seen a 0, length mod 2)
        return (c[0] or a == "0", (c[1] + 1) % 2)
    if g == 2:  # position in "1010...", or dead; plus the last symbol
        pos, dead, _ = c
        ok = not dead and a == "10"[pos % 2]
        return ((pos + 1) % 4, not ok, a)
    if g == 3:  # (an odd 1-block has closed, current block symbol, its parity, dead)
        closed, sym, parity, dead = c
        if dead:
            return c
        if sym == a:
            return (closed, sym, 1 - parity, False)
        # the current block (if any) closes
        if sym == "0" and parity == 1 and closed:
            return (closed, a, 1, True)
        return (closed or (sym == "1" and parity == 1), a, 1, False)
    if g == 4:  # (trailing 0s capped at 3, length mod 2)
        zeros, par = c
        return (min(zeros + 1, 3) if a == "0" else (3 if zeros == 3 else 0), (par + 1) % 2)
    if g == 5:  # (#0 mod 4, #1 mod 2)
        return ((c[0] + (a == "0")) % 4, (c[1] + (a == "1")) % 2)
    if g == 6:  # (#0 - #1) mod 6
        return ((c[0] + (1 if a == "0" else -1)) % 6,)
    # g == 7: (number of block changes capped at 4, last symbol)
    changes, last = c
    if last is None:
        return (0 if a == "0" else 1, a)
    return (min(changes + (a != last), 4), a)


def _accept(g: int, c: tuple) -> bool:
    if g == 1:
        return not c[0]
    if g == 2:
        return not c[1] and c[0] % 2 == 0
    if g == 3:
        closed, sym, parity, dead = c
        return not dead and not (sym == "0" and parity == 1 and closed)
    if g == 4:
        return c[0] < 3
    if g == 5:
        return c[0] % 2 == 0 and c[1] == 0
    if g == 6:
        return c[0] % 3 == 0
    return c[0] <= 3


_START = {
    1: (False, 0),
    2: (0, False, None),
    3: (False, None, 0, False),
    4: (0, 0),
    5: (0, 0),
    6: (0,),
    7: (0, None),
}


def redundant_machine(g: int) -> Automaton:
    """The reachable part of grammar ``g``'s redundant machine, as an Automaton."""
    start = _START[g]
    transitions: dict = {}
    queue = [start]
    while queue:
        c = queue.pop()
        if c in transitions:
            continue
        transitions[c] = {a: _step(g, c, a) for a in "01"}
        queue.extend(transitions[c].values())
    accepting = [c for c in transitions if _accept(g, c)]
    return Automaton(transitions, start, accepting, ("0", "1"))


def table_filling_classes(dfa: Automaton) -> int:
    """Number of Myhill-Nerode classes of the reachable states (pairwise distinguishability)."""
    reach, frontier = {dfa.start}, [dfa.start]
    while frontier:
        q = frontier.pop()
        for a in dfa.alphabet:
            r = dfa.transitions[q][a]
            if r not in reach:
                reach.add(r)
                frontier.append(r)
    states = sorted(reach, key=repr)
    marked = {
        (p, q)
        for p, q in itertools.combinations(states, 2)
        if (p in dfa.accepting) != (q in dfa.accepting)
    }

    def is_marked(p: object, q: object) -> bool:
        return (p, q) in marked or (q, p) in marked

    changed = True
    while changed:
        changed = False
        for p, q in itertools.combinations(states, 2):
            if not is_marked(p, q) and any(
                is_marked(dfa.transitions[p][a], dfa.transitions[q][a])
                for a in dfa.alphabet
                if dfa.transitions[p][a] != dfa.transitions[q][a]
            ):
                marked.add((p, q))
                changed = True
    # classes: each state joins the first earlier state it cannot be told apart from
    representatives: list = []
    for q in states:
        if not any(not is_marked(q, r) for r in representatives):
            representatives.append(q)
    return len(representatives)


def tasks_automaton(g: int) -> Automaton:
    """The tasks module's minimal DFA of grammar ``g`` as an Automaton."""
    table, accepting = tomita_dfa(g)
    transitions = {q: {"0": int(table[q, 0]), "1": int(table[q, 1])} for q in range(len(table))}
    return Automaton(transitions, 0, np.flatnonzero(accepting).tolist(), ("0", "1"))


GRAMMARS = list(range(1, 8))


@pytest.mark.parametrize("g", GRAMMARS)
def test_redundant_machines_follow_the_definitions(g):
    machine = redundant_machine(g)
    assert machine.n_states > MINIMAL_STATES[g]  # redundant on purpose
    for s in all_strings(10):
        assert machine.accepts(s) == tomita_accepts(g, s), (g, s)


@pytest.mark.parametrize("g", GRAMMARS)
def test_minimal_tomita_automata(g):
    machine = redundant_machine(g)
    n_classes = table_filling_classes(machine)
    assert n_classes == MINIMAL_STATES[g]
    m = minimize(machine)
    assert m.n_states == n_classes
    assert m.is_equivalent(machine)
    assert m.is_equivalent(tasks_automaton(g))
    # minimisation is canonical: the tasks module's table gives the identical automaton
    assert minimize(tasks_automaton(g)).transitions == m.transitions
    assert minimize(m).transitions == m.transitions  # idempotent
    for s in all_strings(12):
        assert m.accepts(s) == tomita_accepts(g, s)


def test_minimize_drops_unreachable_states_and_renumbers():
    a = Automaton(
        {"s": {"x": "t"}, "t": {"x": "s"}, "island": {"x": "s"}}, start="s", accepting={"t"}
    )
    m = minimize(a)
    assert m.n_states == 2 and m.start == 0 and m.accepting == {1}
    assert m.transitions == {0: {"x": 1}, 1: {"x": 0}}


def test_is_equivalent_detects_a_difference():
    assert not tasks_automaton(4).is_equivalent(tasks_automaton(7))
    with pytest.raises(ValueError, match="other must have the same alphabet"):
        tasks_automaton(4).is_equivalent(Automaton({0: {"a": 0}}, 0, []))


def test_networkx_graph():
    dfa = tasks_automaton(2)  # 0 -1-> 1 -0-> 0; everything else to the dead state 2
    G = dfa.to_networkx()
    assert isinstance(G, nx.DiGraph)
    assert G.graph["start"] == 0 and G.graph["accepting"] == {0}
    assert G.graph["alphabet"] == ("0", "1")
    assert G.nodes[0]["start"] and G.nodes[0]["accepting"]
    assert not G.nodes[2]["accepting"] and not G.nodes[2]["start"]
    assert G.edges[0, 1]["symbols"] == ("1",) and G.edges[1, 0]["label"] == "0"
    assert G.edges[2, 2]["symbols"] == ("0", "1") and G.edges[2, 2]["label"] == "0,1"
    assert G.number_of_nodes() == dfa.n_states
    back = Automaton.from_networkx(G)
    assert back.transitions == dfa.transitions and back.accepting == dfa.accepting


def test_automaton_rejects_bad_definitions():
    with pytest.raises(ValueError, match="start"):
        Automaton({0: {"a": 0}}, start=1, accepting=[])
    with pytest.raises(ValueError, match=r"transitions\[1\]"):
        Automaton({0: {"a": 1, "b": 0}, 1: {"a": 1}}, start=0, accepting=[])
    with pytest.raises(ValueError, match="is not a state"):
        Automaton({0: {"a": 5}}, start=0, accepting=[])
    with pytest.raises(ValueError, match="accepting"):
        Automaton({0: {"a": 0}}, start=0, accepting=[3])
    with pytest.raises(ValueError, match="alphabet"):
        Automaton({0: {"a": 0}}, start=0, accepting=[], alphabet=("a", "a"))
    with pytest.raises(ValueError, match="string holds symbol '2'"):
        tasks_automaton(1).accepts("012")


def test_quantize():
    S = np.array([[0.0, 0.2, 0.5, 0.99, 1.0, -0.1, 1.3]])
    assert quantize(S, 2).tolist() == [[0, 0, 1, 1, 1, 0, 1]]
    assert quantize(S, 4).tolist() == [[0, 0, 2, 3, 3, 0, 3]]
    assert quantize(np.array([-1.0, 0.0, 0.9]), 2, (-1.0, 1.0)).tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="state_range"):
        quantize(S, 2, (1.0, 0.0))
    with pytest.raises(ValueError, match="levels"):
        quantize(S, 0)


def test_all_strings_and_encoding():
    assert len(all_strings_up_to(10)) == 2**11 - 1
    assert ["".join(s) for s in all_strings_up_to(3)] == all_strings(3)
    X, lengths = encode_strings(["10", "", "0"], end_symbol=2)
    assert X.shape == (3, 3, 3) and lengths.tolist() == [3, 1, 2]
    np.testing.assert_array_equal(X[:, 0], [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(X[:, 1], [[0, 0, 1], [0, 0, 0], [0, 0, 0]])
    X, lengths = encode_strings(["ab", "b"], alphabet=("a", "b"), end_symbol=0)
    np.testing.assert_array_equal(X[:, 1], [[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="must not be empty"):
        encode_strings(["", "1"])
    with pytest.raises(ValueError, match=r"strings\[1\] holds symbol '2'"):
        encode_strings(["1", "2"])
    with pytest.raises(ValueError, match="alphabet must have one symbol per input unit"):
        encode_strings(["1"], input_size=4)
    with pytest.raises(ValueError, match="max_length"):
        all_strings_up_to(-1)


# ----------------------------------------------------------------------------- extraction
def encoded_network(g: int, *, end_symbol: bool = False, strength: float = 10.0) -> SecondOrderRNN:
    """A second-order net that runs grammar ``g``'s minimal DFA, one state unit per DFA state.

    The construction of Omlin & Giles (1996, "Constructing deterministic finite-state automata
    in recurrent neural networks", JACM 43(6)): W[i, j, k] = +H when symbol k takes DFA state j
    to state i and -H otherwise; the response unit 0 gets +H when the transition ends in an
    accepting state. With an end symbol the response is set by the end symbol alone.
    """
    table, accepting = tomita_dfa(g)
    n = len(table)
    L = 3 if end_symbol else 2
    net = SecondOrderRNN(L, n + 1, learn_initial_state=True, seed=0)
    W = np.full((n + 1, n + 1, L), -strength)
    W[:, 0, :] = 0.0  # the response unit does not feed back
    for j in range(n):
        for k in range(2):
            W[1 + table[j, k], 1 + j, k] = strength
            W[0, 1 + j, k] = strength if (accepting[table[j, k]] and not end_symbol) else -strength
        if end_symbol:
            W[1 + j, 1 + j, 2] = strength  # the end symbol keeps the state...
            W[0, 1 + j, 2] = strength if accepting[j] else -strength  # ...and answers
    net.params["weight"][...] = W
    net.params["bias"][...] = 0.0
    net.params["state0"][...] = 0.0
    net.params["state0"][1] = 1.0  # DFA state 0 is the start
    net.params["state0"][0] = float(accepting[0] and not end_symbol)
    return net


@pytest.mark.parametrize("g", GRAMMARS)
@pytest.mark.parametrize("end_symbol", [False, True])
def test_extraction_recovers_an_encoded_automaton(g, end_symbol):
    net = encoded_network(g, end_symbol=end_symbol)
    dfa = extract_automaton(net, end_symbol=2 if end_symbol else None, max_length=8)
    assert dfa.consistent and dfa.levels == 2  # saturated units: two intervals suffice
    assert dfa.n_states == MINIMAL_STATES[g]
    assert dfa.is_equivalent(tasks_automaton(g))
    assert dfa.transitions == minimize(tasks_automaton(g)).transitions


def test_extraction_without_minimisation_keeps_the_explored_cells():
    net = encoded_network(2)
    raw = extract_automaton(net, minimal=False, levels=[2])
    assert raw.is_equivalent(tasks_automaton(2))
    assert raw.n_states >= MINIMAL_STATES[2]


def test_extraction_consistency_with_labels():
    net = encoded_network(4)
    strings = all_strings(6)
    labels = [tomita_accepts(4, s) for s in strings]
    dfa = extract_automaton(net, strings=strings, labels=labels)
    assert dfa.consistent and dfa.n_states == 4
    # labels no automaton of this network agrees with: the best one is returned, flagged
    wrong = [not v for v in labels]
    bad = extract_automaton(net, strings=strings, labels=wrong, levels=[2, 3])
    assert bad.consistent is False
    with pytest.raises(ValueError, match="labels must have one entry per string"):
        extract_automaton(net, strings=strings, labels=labels[:-1])
    with pytest.raises(ValueError, match="labels must come with strings"):
        extract_automaton(net, labels=labels)


def test_extraction_picks_the_smallest_consistent_automaton():
    net = encoded_network(6)
    net.params["weight"][...] *= 0.35  # unsaturated units: finer grids split DFA states
    sizes = {}
    for q in range(2, 8):
        d = automata._explore(
            automata._NetworkAcceptor(net, 0, 0.5, None), {"0": 0, "1": 1}, q, (0.0, 1.0), 500
        )
        sizes[q] = None if d is None else d.n_states
    dfa = extract_automaton(net, max_length=8)
    assert dfa.consistent
    assert dfa.n_states == MINIMAL_STATES[6]
    assert sizes[dfa.levels] >= dfa.n_states  # the raw exploration had at least as many cells


def test_extraction_gives_up_past_max_states():
    net = encoded_network(7)
    with pytest.raises(ValueError, match="max_states=2"):
        extract_automaton(net, max_states=2, levels=[2, 3])


def test_extraction_needs_a_single_state_array():
    from recurrent_zoo.elman import Elman

    with pytest.raises(ValueError, match=r"\(B, N\) array"):
        extract_automaton(Elman(2, 3, seed=0))
