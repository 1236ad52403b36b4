r"""Finite-state automata extracted from trained recurrent networks.

A recurrent network trained to accept or reject strings often organises its state space into
clusters that play the role of an automaton's states. Giles et al. (1992) read the automaton off
by *quantising* the state space and exploring it breadth-first:

1. divide the range of every state unit into ``q`` equal intervals, so that the state space
   becomes a grid of :math:`q^N` cells, each a candidate automaton state;
2. start from the network's initial state :math:`S(0)`; its cell is the start state;
3. for every newly reached cell and every input symbol ``a``, run one step of the network from
   the state vector that first reached the cell; the cell the result falls in is the
   transition :math:`\delta(\text{cell}, a)`; cells never seen before join the queue;
4. a cell is *accepting* when the response unit of its state vector exceeds 0.5 (after one more
   step on the end symbol, for networks trained with one);
5. minimise the resulting complete deterministic automaton (Moore's partition refinement:
   states start split by accept/reject and are split further until every state's successors
   lie in the same blocks; unreachable states are dropped).

Different ``q`` give different automata. Omlin & Giles (1996) extract one for each ``q`` in a
range, keep those *consistent* with the training set (every string classified as the labels
say), and choose among them the one with the fewest states, which in their experiments
generalised best; :func:`extract_automaton` does the same: it tries ``levels`` (``q = 2 ... 7``
by default), and returns the smallest minimised automaton consistent with the given strings and
labels -- or, without labels, with the network's own classification of every string up to
``max_length`` -- breaking ties by the smaller ``q``.

Automata are complete: every state has a transition on every symbol, so a language's *dead*
(sink) state is a state like any other and is counted by :attr:`Automaton.n_states`.

References
----------
C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun and Y. C. Lee, "Learning and
extracting finite state automata with second-order recurrent neural networks", Neural
Computation 4(3):393-405, 1992.

C. W. Omlin and C. L. Giles, "Extraction of rules from discrete-time recurrent neural networks",
Neural Networks 9(1):41-52, 1996.

E. F. Moore, "Gedanken-experiments on sequential machines", Automata Studies, Annals of
Mathematics Studies 34:129-153, 1956.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .._core.validation import NDArray, check_positive_int

__all__ = [
    "Automaton",
    "all_strings_up_to",
    "encode_strings",
    "extract_automaton",
    "minimize",
    "quantize",
]

Symbol = Hashable


class Automaton:
    """A complete deterministic finite automaton over a finite alphabet.

    Parameters
    ----------
    transitions : mapping
        ``transitions[state][symbol]`` is the next state; every state has every symbol.
    start : hashable
        The start state.
    accepting : iterable
        The accepting states.
    alphabet : sequence, optional
        The symbols in a fixed order (default: those of the start state's transitions, in
        their order).

    Attributes
    ----------
    levels : int or None
        The quantisation level ``q`` the automaton was extracted with (None if built by hand).
    consistent : bool or None
        Whether it classified every string :func:`extract_automaton` checked as expected.

    Examples
    --------
    Strings over {0, 1} with an even number of 1s:

    >>> even = Automaton({"e": {"0": "e", "1": "o"}, "o": {"0": "o", "1": "e"}},
    ...                  start="e", accepting={"e"})
    >>> even.accepts("0110"), even.accepts("10"), even.n_states
    (True, False, 2)
    >>> G = even.to_networkx()
    >>> G.graph["start"], G.nodes["o"]["accepting"], G.edges["e", "o"]["symbols"]
    ('e', False, ('1',))
    """

    def __init__(
        self,
        transitions: Mapping[Hashable, Mapping[Symbol, Hashable]],
        start: Hashable,
        accepting: Iterable[Hashable],
        alphabet: Sequence[Symbol] | None = None,
    ) -> None:
        if start not in transitions:
            raise ValueError(f"start must be one of the states; got {start!r}")
        if alphabet is None:
            alphabet = tuple(transitions[start])
        self.alphabet: tuple[Symbol, ...] = tuple(alphabet)
        if len(self.alphabet) == 0 or len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError(f"alphabet must hold distinct symbols; got {self.alphabet!r}")
        self.transitions: dict[Hashable, dict[Symbol, Hashable]] = {}
        for q, row in transitions.items():
            missing = [a for a in self.alphabet if a not in row]
            if missing or len(row) != len(self.alphabet):
                raise ValueError(
                    f"transitions[{q!r}] must give a next state for exactly the symbols "
                    f"{self.alphabet!r}; got {tuple(row)!r}"
                )
            for a, r in row.items():
                if r not in transitions:
                    raise ValueError(f"transitions[{q!r}][{a!r}] = {r!r} is not a state")
            self.transitions[q] = {a: row[a] for a in self.alphabet}
        self.start = start
        self.accepting = frozenset(accepting)
        unknown = self.accepting - set(self.transitions)
        if unknown:
            raise ValueError(
                f"accepting holds states that are not states: {sorted(map(repr, unknown))}"
            )
        self.levels: int | None = None
        self.consistent: bool | None = None

    @property
    def states(self) -> list[Hashable]:
        """The states, in insertion order."""
        return list(self.transitions)

    @property
    def n_states(self) -> int:
        """Number of states, a dead (sink) state included."""
        return len(self.transitions)

    def run(self, string: Iterable[Symbol]) -> Hashable:
        """The state reached from the start state after reading ``string``."""
        q = self.start
        for a in string:
            try:
                q = self.transitions[q][a]
            except KeyError:
                raise ValueError(
                    f"string holds symbol {a!r}, which is not in the alphabet {self.alphabet!r}"
                ) from None
        return q

    def accepts(self, string: Iterable[Symbol]) -> bool:
        """Whether the automaton accepts ``string`` (any iterable of symbols, e.g. a str)."""
        return self.run(string) in self.accepting

    def minimize(self) -> Automaton:
        """The equivalent minimal automaton (see :func:`minimize`)."""
        return minimize(self)

    def is_equivalent(self, other: Automaton) -> bool:
        """Whether both automata accept the same language (same alphabet required).

        Explores the reachable pairs of states of the product automaton; the languages differ
        exactly when some reachable pair disagrees on acceptance.

        Examples
        --------
        >>> a = Automaton({0: {"x": 0}}, start=0, accepting={0})
        >>> b = Automaton({0: {"x": 1}, 1: {"x": 0}}, start=0, accepting={0, 1})
        >>> a.is_equivalent(b), a.is_equivalent(Automaton({0: {"x": 0}}, 0, set()))
        (True, False)
        """
        if set(self.alphabet) != set(other.alphabet):
            raise ValueError(
                f"other must have the same alphabet {self.alphabet!r}; got {other.alphabet!r}"
            )
        seen = {(self.start, other.start)}
        queue = deque(seen)
        while queue:
            p, q = queue.popleft()
            if (p in self.accepting) != (q in other.accepting):
                return False
            for a in self.alphabet:
                pair = (self.transitions[p][a], other.transitions[q][a])
                if pair not in seen:
                    seen.add(pair)
                    queue.append(pair)
        return True

    def to_networkx(self) -> nx.DiGraph:
        """The automaton as a :class:`networkx.DiGraph`.

        Nodes are the states, with boolean attributes ``accepting`` and ``start``. An edge
        ``p -> q`` exists when some symbol leads from ``p`` to ``q``; its attribute ``symbols``
        is the tuple of those symbols (in alphabet order) and ``label`` the same joined by
        commas, for drawing. Graph attributes: ``start``, ``accepting`` (a frozenset),
        ``alphabet`` (a tuple) and ``levels``.
        """
        G = nx.DiGraph(
            start=self.start, accepting=self.accepting, alphabet=self.alphabet, levels=self.levels
        )
        for q in self.transitions:
            G.add_node(q, accepting=q in self.accepting, start=q == self.start)
        for p, row in self.transitions.items():
            for a, q in row.items():
                if G.has_edge(p, q):
                    G.edges[p, q]["symbols"] += (a,)
                else:
                    G.add_edge(p, q, symbols=(a,))
        for _, _, data in G.edges(data=True):
            data["label"] = ",".join(str(a) for a in data["symbols"])
        return G

    @classmethod
    def from_networkx(cls, G: nx.DiGraph) -> Automaton:
        """Rebuild an automaton from :meth:`to_networkx`'s graph.

        Examples
        --------
        >>> a = Automaton({0: {"x": 1}, 1: {"x": 1}}, start=0, accepting={1})
        >>> Automaton.from_networkx(a.to_networkx()).is_equivalent(a)
        True
        """
        transitions: dict[Hashable, dict[Symbol, Hashable]] = {q: {} for q in G.nodes}
        for p, q, data in G.edges(data=True):
            for a in data["symbols"]:
                transitions[p][a] = q
        accepting = [q for q, acc in G.nodes(data="accepting") if acc]
        return cls(transitions, G.graph["start"], accepting, G.graph.get("alphabet"))

    def __repr__(self) -> str:
        q = "" if self.levels is None else f", levels={self.levels}"
        return (
            f"Automaton(n_states={self.n_states}, alphabet={self.alphabet!r}, "
            f"n_accepting={len(self.accepting)}{q})"
        )


def minimize(automaton: Automaton) -> Automaton:
    """The minimal automaton accepting the same language (Moore's partition refinement).

    Unreachable states are dropped; states start split into accepting and rejecting blocks,
    and a block is split while two of its states go, on some symbol, to different blocks.
    The result's states are numbered ``0, 1, ...`` in breadth-first order from the start state
    (symbols in alphabet order), so equal languages give identical automata.

    Examples
    --------
    Two copies of the same state merge:

    >>> a = Automaton({0: {"x": 1}, 1: {"x": 2}, 2: {"x": 1}}, start=0, accepting={1, 2})
    >>> m = minimize(a)
    >>> m.n_states, m.transitions
    (2, {0: {'x': 1}, 1: {'x': 1}})
    """
    alphabet = automaton.alphabet
    delta = automaton.transitions
    # reachable states, in breadth-first order
    order = [automaton.start]
    index = {automaton.start: 0}
    for q in order:
        for a in alphabet:
            r = delta[q][a]
            if r not in index:
                index[r] = len(order)
                order.append(r)
    block = {q: int(q in automaton.accepting) for q in order}
    n_blocks = len(set(block.values()))
    while True:
        signature = {q: (block[q], *(block[delta[q][a]] for a in alphabet)) for q in order}
        names: dict[tuple[int, ...], int] = {}
        new_block = {q: names.setdefault(signature[q], len(names)) for q in order}
        block = new_block
        if len(names) == n_blocks:
            break
        n_blocks = len(names)
    # number the blocks breadth-first from the start state
    number = {block[automaton.start]: 0}
    queue = deque([automaton.start])
    representative = {0: automaton.start}
    while queue:
        q = queue.popleft()
        for a in alphabet:
            b = block[delta[q][a]]
            if b not in number:
                number[b] = len(number)
                representative[number[b]] = delta[q][a]
                queue.append(delta[q][a])
    transitions: dict[Hashable, dict[Symbol, Hashable]] = {
        n: {a: number[block[delta[representative[n]][a]]] for a in alphabet}
        for n in range(len(number))
    }
    accepting = {n for n in range(len(number)) if representative[n] in automaton.accepting}
    return Automaton(transitions, 0, accepting, alphabet)


def quantize(
    states: NDArray, levels: int, state_range: tuple[float, float] = (0.0, 1.0)
) -> NDArray:
    """The grid cell of each state vector: ``levels`` equal intervals per unit.

    Returns integers in ``[0, levels - 1]`` of the same shape; values outside ``state_range``
    fall into the first or last interval.

    Examples
    --------
    >>> quantize(np.array([[0.0, 0.49, 0.51, 1.0]]), 2)
    array([[0, 0, 1, 1]])
    """
    levels = check_positive_int(levels, "levels")
    lo, hi = state_range
    if not hi > lo:
        raise ValueError(f"state_range must be (low, high) with high > low; got {state_range!r}")
    cells = np.floor((np.asarray(states, dtype=np.float64) - lo) * (levels / (hi - lo)))
    return np.clip(cells, 0, levels - 1).astype(np.int64)


def all_strings_up_to(max_length: int, alphabet: Sequence[Symbol] = ("0", "1")) -> list[tuple]:
    """Every string of length 0 to ``max_length``, as tuples, shortest first.

    Examples
    --------
    >>> all_strings_up_to(2)
    [(), ('0',), ('1',), ('0', '0'), ('0', '1'), ('1', '0'), ('1', '1')]
    """
    if isinstance(max_length, (bool, np.bool_)) or int(max_length) != max_length or max_length < 0:
        raise ValueError(f"max_length must be an integer >= 0; got {max_length!r}")
    return [
        s for n in range(int(max_length) + 1) for s in itertools.product(tuple(alphabet), repeat=n)
    ]


def _symbol_units(input_size: int, end_symbol: int | None, alphabet: Sequence[Symbol]) -> dict:
    units = [k for k in range(input_size) if k != end_symbol]
    if len(units) != len(alphabet):
        raise ValueError(
            f"alphabet must have one symbol per input unit (other than the end symbol): "
            f"{len(units)} symbols; got {len(alphabet)} ({tuple(alphabet)!r})"
        )
    return dict(zip(alphabet, units, strict=True))


def encode_strings(
    strings: Sequence[Iterable[Symbol]],
    alphabet: Sequence[Symbol] = ("0", "1"),
    *,
    input_size: int | None = None,
    end_symbol: int | None = None,
    dtype: Any = np.float64,
) -> tuple[NDArray, NDArray]:
    """One-hot, time-major, zero-padded encoding of strings: ``(X, lengths)``.

    Symbol ``alphabet[i]`` lights the ``i``-th input unit other than ``end_symbol``; with
    ``end_symbol`` (an input-unit index) that unit is lit once after each string. A string must
    then have at least one step: without an end symbol, empty strings are refused (a network
    answers for the empty string with its initial state).

    Examples
    --------
    >>> X, lengths = encode_strings(["01", "1"])
    >>> X.shape, lengths.tolist(), X[:, 1].tolist()
    ((2, 2, 2), [2, 1], [[0.0, 1.0], [0.0, 0.0]])
    >>> X, lengths = encode_strings(["", "0"], end_symbol=2)
    >>> X.shape, lengths.tolist()
    ((2, 2, 3), [1, 2])
    """
    n_in = len(alphabet) + (end_symbol is not None) if input_size is None else input_size
    units = _symbol_units(n_in, end_symbol, alphabet)
    seqs = [list(s) for s in strings]
    if len(seqs) == 0:
        raise ValueError("strings must hold at least one string")
    lengths = np.array([len(s) + (end_symbol is not None) for s in seqs], dtype=np.int64)
    if lengths.min() < 1:
        raise ValueError("strings must not be empty unless an end_symbol is appended")
    X = np.zeros((int(lengths.max()), len(seqs), n_in), dtype=dtype)
    for b, s in enumerate(seqs):
        for t, a in enumerate(s):
            try:
                X[t, b, units[a]] = 1.0
            except KeyError:
                raise ValueError(
                    f"strings[{b}] holds symbol {a!r}, which is not in the alphabet "
                    f"{tuple(alphabet)!r}"
                ) from None
        if end_symbol is not None:
            X[len(s), b, end_symbol] = 1.0
    return X, lengths


class _NetworkAcceptor:
    """The network as a machine: ``step(states, unit)`` and ``accept(states)`` on (B, N) arrays."""

    def __init__(
        self,
        model: Any,
        response_unit: int,
        threshold: float,
        end_symbol: int | None,
    ) -> None:
        self.model = model
        self.response_unit = response_unit
        self.threshold = threshold
        self.end_symbol = end_symbol
        start = model.initial_state(1)
        if not isinstance(start, np.ndarray) or start.ndim != 2:
            raise ValueError(
                "model must have a state that is one (B, N) array, like SecondOrderRNN's"
            )
        self.start = np.asarray(start[0], dtype=np.float64)

    def step(self, states: NDArray, unit: int) -> NDArray:
        B = states.shape[0]
        X = np.zeros((1, B, self.model.input_size), dtype=self.model.dtype)
        X[0, :, unit] = 1.0
        _, final = self.model.forward(X, states.astype(self.model.dtype))
        return np.asarray(final, dtype=np.float64)

    def accept(self, states: NDArray) -> NDArray:
        if self.end_symbol is not None:
            states = self.step(states, self.end_symbol)
        return states[:, self.response_unit] > self.threshold

    def classify(self, strings: Sequence[tuple], alphabet: Sequence[Symbol]) -> NDArray:
        out = np.empty(len(strings), dtype=bool)
        empty = [i for i, s in enumerate(strings) if len(s) == 0 and self.end_symbol is None]
        if empty:
            out[empty] = bool(self.accept(self.start[None])[0])
        rest = [i for i, s in enumerate(strings) if len(s) > 0 or self.end_symbol is not None]
        if rest:
            X, lengths = encode_strings(
                [strings[i] for i in rest],
                alphabet,
                input_size=self.model.input_size,
                end_symbol=self.end_symbol,
                dtype=self.model.dtype,
            )
            _, final = self.model.forward(X, None, lengths)  # each string's own last state
            out[rest] = np.asarray(final)[:, self.response_unit] > self.threshold
        return out


def _explore(
    machine: _NetworkAcceptor,
    units: Mapping[Symbol, int],
    levels: int,
    state_range: tuple[float, float],
    max_states: int,
) -> Automaton | None:
    """Breadth-first exploration of the quantised state space; None past ``max_states``."""
    alphabet = tuple(units)
    start_cell = tuple(quantize(machine.start[None], levels, state_range)[0])
    cells = {start_cell: 0}
    reps = [machine.start]
    transitions: dict[Hashable, dict[Symbol, Hashable]] = {}
    frontier = [0]
    while frontier:
        F = np.stack([reps[c] for c in frontier])  # (F, N) representatives of the new cells
        nxt = {a: machine.step(F, units[a]) for a in alphabet}
        nxt_cells = {a: quantize(nxt[a], levels, state_range) for a in alphabet}
        new = []
        for f, c in enumerate(frontier):
            row: dict[Symbol, Hashable] = {}
            for a in alphabet:
                key = tuple(nxt_cells[a][f])
                if key not in cells:
                    if len(cells) >= max_states:
                        return None
                    cells[key] = len(cells)
                    reps.append(nxt[a][f])
                    new.append(cells[key])
                row[a] = cells[key]
            transitions[c] = row
        frontier = new
    accept = machine.accept(np.stack(reps))
    accepting = {i for i in range(len(reps)) if accept[i]}
    return Automaton(transitions, 0, accepting, alphabet)


def extract_automaton(
    model: Any,
    *,
    alphabet: Sequence[Symbol] | None = None,
    levels: Iterable[int] = range(2, 8),
    strings: Sequence[Iterable[Symbol]] | None = None,
    labels: Sequence[bool] | None = None,
    max_length: int = 10,
    end_symbol: int | None = None,
    response_unit: int = 0,
    threshold: float = 0.5,
    state_range: tuple[float, float] = (0.0, 1.0),
    max_states: int = 500,
    minimal: bool = True,
) -> Automaton:
    """Extract a deterministic finite automaton from a trained string acceptor.

    Parameters
    ----------
    model : SequenceModel
        A network whose state is one ``(B, N)`` array and whose state unit ``response_unit``
        says accept (``> threshold``) or reject after a string, such as
        :class:`~recurrent_zoo.second_order.SecondOrderRNN`. Its initial state is the start.
    alphabet : sequence of symbols, optional
        One symbol per input unit other than ``end_symbol``, in unit order. Default
        ``"0", "1", ...``.
    levels : iterable of int, default 2..7
        The quantisation levels ``q`` to try (intervals per state unit).
    strings, labels : optional
        Strings (iterables of symbols) and whether each should be accepted: the automaton
        must classify them all correctly to be *consistent*. Default: every string up to
        ``max_length`` labelled by the network itself.
    max_length : int, default 10
        Length of the default consistency strings.
    end_symbol : int, optional
        Input unit of an end-of-string symbol: a state accepts if the response unit exceeds
        ``threshold`` after one step on that symbol.
    response_unit, threshold : int, float
    state_range : (float, float), default (0, 1)
        The range of the state units, divided into ``q`` intervals (``(-1, 1)`` for tanh).
    max_states : int, default 500
        A level whose exploration reaches more cells than this is abandoned.
    minimal : bool, default True
        Minimise each extracted automaton (as the papers do) before comparing.

    Returns
    -------
    Automaton
        The consistent automaton with the fewest states (ties: the level tried first), with
        ``levels`` set to its ``q`` and ``consistent=True``. If no level gives a consistent
        automaton, the one that classifies most strings correctly, with ``consistent=False``.

    Raises
    ------
    ValueError
        If no level could be explored within ``max_states``.

    Examples
    --------
    A hand-set network for "no 0 ever" (Tomita grammar 1): reading a 0 drives the response
    unit to 0 for good; reading a 1 keeps the state.

    >>> from recurrent_zoo.second_order import SecondOrderRNN
    >>> net = SecondOrderRNN(2, 2, seed=0)
    >>> net.params["weight"][...] = 0.0
    >>> net.params["weight"][0, 0, 1] = 20.0                 # S_0 stays on while reading 1s
    >>> net.params["weight"][1, 0, 0] = net.params["weight"][1, 1, :] = 20.0
    >>> net.params["bias"][...] = -10.0
    >>> dfa = extract_automaton(net)
    >>> dfa.n_states, dfa.accepts("111"), dfa.accepts("1101"), dfa.levels
    (2, True, False, 2)
    """
    machine = _NetworkAcceptor(model, response_unit, threshold, end_symbol)
    n_symbols = model.input_size - (end_symbol is not None)
    if alphabet is None:
        alphabet = tuple(str(k) for k in range(n_symbols))
    units = _symbol_units(model.input_size, end_symbol, alphabet)
    if strings is None:
        if labels is not None:
            raise ValueError("labels must come with strings")
        check_strings = all_strings_up_to(max_length, tuple(alphabet))
        expected = machine.classify(check_strings, alphabet)
    else:
        check_strings = [tuple(s) for s in strings]
        if labels is None:
            expected = machine.classify(check_strings, alphabet)
        else:
            expected = np.asarray(labels, dtype=bool)
            if expected.shape != (len(check_strings),):
                raise ValueError(
                    f"labels must have one entry per string ({len(check_strings)}); "
                    f"got shape {expected.shape}"
                )
    best: tuple[tuple[int, int, int], Automaton] | None = None
    for q in levels:
        q = check_positive_int(q, "levels")
        dfa = _explore(machine, units, q, state_range, max_states)
        if dfa is None:
            continue
        if minimal:
            dfa = minimize(dfa)
        correct = sum(
            dfa.accepts(s) == bool(e) for s, e in zip(check_strings, expected, strict=True)
        )
        dfa.levels = q
        dfa.consistent = bool(correct == len(check_strings))
        # consistent first, then more strings right, then fewer states, then the earlier level
        key = (0 if dfa.consistent else 1, -correct, dfa.n_states)
        if best is None or key < best[0]:
            best = (key, dfa)
    if best is None:
        raise ValueError(
            f"no quantisation level in levels explored fewer than max_states={max_states} cells"
        )
    return best[1]
