r"""Deterministic pushdown automata as networkx graphs: run them, minimise their control.

A deterministic pushdown automaton (DPDA) reads a string one symbol at a time; in finite state
:math:`q`, reading input :math:`a` with :math:`Z` on top of its stack (or the bottom marker
:data:`BOTTOM` when the stack is empty) it moves to state :math:`\delta(q, a, Z)` and acts on
the stack: push a symbol, pop the top, or leave it. It accepts a string when it ends in an
accepting state with an empty stack -- the acceptance the NNPDA is trained for (Sun et al.
1993). Popping an empty stack leaves it empty.

The automaton is a :class:`networkx.MultiDiGraph`: nodes are the states (attributes
``accepting`` and ``start``), one edge per transition with attributes ``input``, ``top``,
``action`` (``"push"``, ``"pop"`` or ``"noop"``), ``push`` (the symbol pushed, or None) and
``label`` (``"a,Z/push A"``, for drawing); graph attributes ``start``, ``input_alphabet``,
``stack_alphabet``. :func:`run_pda` runs one on strings; :func:`minimize_pda` merges the states
of its finite control that behave alike; :func:`pda_from_table` builds one from a transition
table, as :func:`recurrent_zoo.nnpda.extract_pda` does.

Examples
--------
Balanced parentheses (Dyck-1): push on "(", pop a "(" on ")", die on ")" with an empty stack.

>>> table = {
...     ("q", "(", BOTTOM): ("q", "push", "("), ("q", "(", "("): ("q", "push", "("),
...     ("q", ")", "("): ("q", "pop", None), ("q", ")", BOTTOM): ("dead", "noop", None),
... }
>>> table.update({("dead", a, z): ("dead", "noop", None) for a in "()" for z in ("(", BOTTOM)})
>>> G = pda_from_table(table, start="q", accepting={"q"}, input_alphabet="()",
...                    stack_alphabet="(")
>>> run_pda(G, ["(()())", "())(", ""])
[True, False, True]
>>> G.number_of_nodes(), sorted(d["label"] for _, _, d in G.out_edges("q", data=True))
(2, ['(,(/push (', '(,⊥/push (', '),(/pop', '),⊥/noop'])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

__all__ = ["ACTIONS", "BOTTOM", "minimize_pda", "pda_from_table", "pda_table", "run_pda"]

#: What the top of an empty stack reads as.
BOTTOM = "⊥"
#: The stack actions of a transition.
ACTIONS = ("push", "pop", "noop")

Table = dict[tuple[Hashable, Hashable, Hashable], tuple[Hashable, str, Hashable]]


def pda_from_table(
    table: Mapping[tuple[Hashable, Hashable, Hashable], tuple[Hashable, str, Hashable]],
    *,
    start: Hashable,
    accepting: Iterable[Hashable],
    input_alphabet: Iterable[Hashable],
    stack_alphabet: Iterable[Hashable],
    **graph_attrs: Any,
) -> nx.MultiDiGraph:
    """Build the graph of a DPDA from ``table[(state, input, top)] = (next, action, pushed)``.

    ``top`` is a stack symbol or :data:`BOTTOM`; ``action`` one of :data:`ACTIONS`;
    ``pushed`` the symbol pushed (None unless ``action == "push"``). Every state must have a
    transition for every (input, top) pair. Extra keyword arguments become graph attributes.
    """
    inputs = tuple(input_alphabet)
    tops = tuple(stack_alphabet) + (BOTTOM,)
    states = list(dict.fromkeys([start] + [k[0] for k in table] + [v[0] for v in table.values()]))
    accepting = frozenset(accepting)
    G = nx.MultiDiGraph(
        start=start,
        input_alphabet=inputs,
        stack_alphabet=tops[:-1],
        **graph_attrs,
    )
    for q in states:
        G.add_node(q, accepting=q in accepting, start=q == start)
    for q in states:
        for a in inputs:
            for z in tops:
                if (q, a, z) not in table:
                    raise ValueError(
                        f"table has no transition for state {q!r}, input {a!r}, top {z!r}"
                    )
                nxt, action, pushed = table[(q, a, z)]
                if action not in ACTIONS:
                    raise ValueError(f"action must be one of {ACTIONS}; got {action!r}")
                if (action == "push") != (pushed is not None):
                    raise ValueError("a transition pushes a symbol exactly when its action is push")
                what = f"push {pushed}" if action == "push" else action
                G.add_edge(
                    q, nxt, input=a, top=z, action=action, push=pushed, label=f"{a},{z}/{what}"
                )
    return G


def pda_table(G: nx.MultiDiGraph) -> Table:
    """The transition table ``{(state, input, top): (next, action, pushed)}`` of a DPDA graph."""
    table: Table = {}
    for p, q, data in G.edges(data=True):
        key = (p, data["input"], data["top"])
        if key in table:
            raise ValueError(f"the automaton is not deterministic: two transitions for {key!r}")
        table[key] = (q, data["action"], data["push"])
    return table


def run_pda(
    G: nx.MultiDiGraph,
    strings: Iterable[Hashable] | Iterable[Iterable[Hashable]],
    *,
    trace: bool = False,
) -> Any:
    """Run a DPDA graph on one string or a list of strings.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A DPDA (see the module docstring).
    strings : str, a sequence of symbols, or a list of them
        A ``str`` or a tuple is one string (its items are the symbols); a list is several.
    trace : bool, default False
        Also return, per string, the list of ``(state, stack)`` after each symbol.

    Returns
    -------
    bool, or list of bool (and the traces with ``trace=True``)
        Whether each string ends in an accepting state with an empty stack.
    """
    table = pda_table(G)
    start = G.graph["start"]
    accepting = {q for q, acc in G.nodes(data="accepting") if acc}
    single = isinstance(strings, (str, tuple))
    batch = [strings] if single else list(strings)
    results, traces = [], []
    for string in batch:
        q, stack, steps = start, [], []
        for a in string:
            top = stack[-1] if stack else BOTTOM
            try:
                q, action, pushed = table[(q, a, top)]
            except KeyError:
                raise ValueError(
                    f"no transition for input {a!r} with top {top!r} in state {q!r}; the "
                    f"input alphabet is {G.graph.get('input_alphabet')!r}"
                ) from None
            if action == "push":
                stack.append(pushed)
            elif action == "pop" and stack:
                stack.pop()
            if trace:
                steps.append((q, tuple(stack)))
        results.append(q in accepting and not stack)
        traces.append(steps)
    if single:
        return (results[0], traces[0]) if trace else results[0]
    return (results, traces) if trace else results


def minimize_pda(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Merge the states of a DPDA's finite control that behave alike (Moore's refinement).

    Two states are merged when they agree on acceptance and, for every (input, top), on the
    action, the pushed symbol and (recursively) the next state -- the minimisation of the
    control as a Mealy machine whose outputs are the stack actions. Unreachable states are
    dropped; states are renumbered ``0, 1, ...`` breadth-first from the start. The language
    is unchanged (equal-behaving controls drive the stack alike); merging is sufficient, not
    necessary, for equivalence, so the result need not be the smallest DPDA of the language.

    Examples
    --------
    >>> t = {(q, "a", z): ((q + 1) % 2, "noop", None) for q in (0, 1) for z in ("x", BOTTOM)}
    >>> G = pda_from_table(t, start=0, accepting={0, 1}, input_alphabet="a", stack_alphabet="x")
    >>> minimize_pda(G).number_of_nodes()
    1
    """
    table = pda_table(G)
    start = G.graph["start"]
    inputs = tuple(G.graph["input_alphabet"])
    tops = tuple(G.graph["stack_alphabet"]) + (BOTTOM,)
    pairs = [(a, z) for a in inputs for z in tops]
    order, seen = [start], {start}
    for q in order:
        for a, z in pairs:
            r = table[(q, a, z)][0]
            if r not in seen:
                seen.add(r)
                order.append(r)
    accepting = {q for q, acc in G.nodes(data="accepting") if acc}
    block = {q: (q in accepting,) for q in order}
    n_blocks = len(set(block.values()))
    while True:
        signature = {
            q: (block[q], *((table[(q, a, z)][1:], block[table[(q, a, z)][0]]) for a, z in pairs))
            for q in order
        }
        names: dict[Any, int] = {}
        block = {q: (names.setdefault(signature[q], len(names)),) for q in order}
        if len(names) == n_blocks:
            break
        n_blocks = len(names)
    number = {block[start]: 0}
    queue, rep = deque([start]), {0: start}
    while queue:
        q = queue.popleft()
        for a, z in pairs:
            r = table[(q, a, z)][0]
            if block[r] not in number:
                number[block[r]] = len(number)
                rep[number[block[r]]] = r
                queue.append(r)
    new_table = {}
    for n, q in rep.items():
        for a, z in pairs:
            r, action, pushed = table[(q, a, z)]
            new_table[(n, a, z)] = (number[block[r]], action, pushed)
    extra = {
        k: v for k, v in G.graph.items() if k not in ("start", "input_alphabet", "stack_alphabet")
    }
    return pda_from_table(
        new_table,
        start=0,
        accepting={n for n, q in rep.items() if q in accepting},
        input_alphabet=inputs,
        stack_alphabet=tops[:-1],
        **extra,
    )
