r"""Tasks on trees and DAGs for the recursive nets, generated in code, as networkx graphs.

Every graph follows the structure contract of :mod:`recurrent_zoo._core.structure`: edges point
from parent to child, the edge attribute ``order`` is a child's slot (0, 1, ...), the node
attribute ``x`` holds the node's features (a one-hot code of its symbol, zeros for an unlabelled
node) and ``label`` its symbol. A generator returns a :class:`TreeDataset`: the graphs, one
target per root, and per-node targets where the task defines them.

Tasks
-----
:func:`listops`
    ListOps (Nangia & Bowman 2018): nested prefix expressions over the digits 0-9 with the
    list operators ``MIN``, ``MAX``, ``MED`` (median, rounded down) and ``SM`` (sum modulo 10),
    e.g. ``[MAX 2 9 [MIN 4 7 ] 0 ]`` = 9; ten classes. Each expression comes with its parse
    tree: the *gold* binary parse of the paper (left-branching inside each list, the closing
    bracket a leaf; ``parse="binary"``) or the operator-and-arguments tree
    (``parse="nary"``), and with its tokens for a sequential model.
:func:`boolean_expressions`
    Expressions over ``T``, ``F`` with ``AND``, ``OR``, ``XOR`` (binary, or with 2 to
    ``max_args`` arguments) and ``NOT``; the value of every sub-expression is a node target.
:func:`arithmetic_expressions`
    Expressions over the digits with ``+``, ``-``, ``*`` modulo ``modulus``.
:func:`logical_terms`
    First-order terms over ``f/2``, ``g/1`` and the leaves ``a``, ``b``, ``X``, ``Y``, stored
    as DAGs in which identical sub-terms are one node (Goller & Küchler 1996 classify logical
    terms represented this way); the target says whether a term is an instance of the
    unification pattern ``f(Z, Z)``, i.e. ``f`` applied twice to the same sub-term.
:func:`raam_grammar`
    Every binary tree over a few terminals up to a depth, for the RAAM (Pollack 1990).

Helpers: :func:`from_bracketed` and :func:`to_bracketed` turn a bracketed string such as
``"((A B) (C (D E)))"`` or ``"(S (NP the cat) (VP sat))"`` into a networkx tree and back;
:func:`token_sequences` one-hot encodes token lists for a sequence model.

The *depth* of an expression is its nesting depth (a ListOps list of digits has depth 1); the
*height* of a tree is the longest path from its root to a leaf. The generators draw each
example's depth first, uniformly in ``[min_depth, max_depth]``, and build an expression of
exactly that depth (one argument on a path of that depth, the others shallower), so that deep
test sets can be made without rejection sampling.

References
----------
N. Nangia and S. R. Bowman, "ListOps: a diagnostic dataset for latent tree learning", NAACL
Student Research Workshop 2018, 92-99.

C. Goller and A. Küchler, "Learning task-dependent distributed representations by
backpropagation through structure", Proc. ICNN 1996, vol. 1, 347-352.

J. B. Pollack, "Recursive distributed representations", Artificial Intelligence 46(1-2):77-105,
1990.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.structure import Forest
from .._core.validation import NDArray, check_positive_int, check_probability

__all__ = [
    "BOOLEAN_SYMBOLS",
    "LISTOPS_TOKENS",
    "TERM_SYMBOLS",
    "TreeDataset",
    "all_binary_trees",
    "arithmetic_expressions",
    "boolean_expressions",
    "from_bracketed",
    "listops",
    "listops_step_targets",
    "listops_tree",
    "listops_value",
    "logical_terms",
    "raam_grammar",
    "to_bracketed",
    "token_sequences",
]

#: ListOps tokens: the four operators (each opening a list), the closing bracket, the digits.
LISTOPS_TOKENS = ("[MIN", "[MAX", "[MED", "[SM", "]", *(str(d) for d in range(10)))
#: Symbols of the Boolean expressions.
BOOLEAN_SYMBOLS = ("F", "T", "AND", "OR", "XOR", "NOT")
#: Symbols of the logical terms: f/2, g/1, constants a, b and variables X, Y.
TERM_SYMBOLS = ("f", "g", "a", "b", "X", "Y")

# A tree in nested form: (label, children), label None for an unlabelled node; a leaf has ().
Nested = tuple[Any, tuple[Any, ...]]


# ----------------------------------------------------------------------------- the dataset
@dataclass(eq=False)
class TreeDataset:
    """Graphs with a target per root (and per node where the task defines one).

    Parameters
    ----------
    graphs : list of networkx.DiGraph
        One tree or DAG per example (one root each), features in node attribute ``x``.
    targets : ndarray, shape (n,)
        The root's target of each graph (class indices for ``loss="cross_entropy"``).
    loss : str
        The loss the task is trained with.
    output_size : int
        Number of classes.
    node_targets : ndarray, shape (N,), optional
        A target for every node, in forest row order (graph by graph, ``G.nodes`` order).
    node_mask : ndarray, shape (N,), optional
        1 where a node target is defined, 0 elsewhere (None: defined everywhere).
    info : dict
        Per-example extras (``depth``, ``tokens``, ``source``, ...), indexed by example.
    name : str
    symbols : dict
        Each symbol's feature vector (the one-hot codes of the vocabulary).

    Examples
    --------
    >>> data = boolean_expressions(6, max_depth=2, seed=0)
    >>> len(data), data.targets.shape, data.forest().n_graphs
    (6, (6,), 6)
    """

    graphs: list[Any]
    targets: NDArray
    loss: str
    output_size: int
    node_targets: NDArray | None = None
    node_mask: NDArray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    symbols: dict[str, NDArray] = field(default_factory=dict)
    _forest: Forest | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.graphs)

    def forest(self) -> Forest:
        """The compiled :class:`~recurrent_zoo._core.structure.Forest` (built once)."""
        if self._forest is None:
            self._forest = Forest(self.graphs)
        return self._forest

    def subset(self, indices: Any) -> TreeDataset:
        """The examples at ``indices``, in that order (``info`` lists indexed alike)."""
        idx = np.asarray(indices, dtype=np.intp).reshape(-1)
        node_targets = node_mask = None
        rows = self.forest().rows_of_graphs(idx)
        if self.node_targets is not None:
            node_targets = self.node_targets[rows]
        if self.node_mask is not None:
            node_mask = self.node_mask[rows]
        info = {
            k: (v[idx] if isinstance(v, np.ndarray) else [v[i] for i in idx])
            for k, v in self.info.items()
        }
        sub = TreeDataset(
            [self.graphs[i] for i in idx],
            self.targets[idx],
            self.loss,
            self.output_size,
            node_targets,
            node_mask,
            info,
            self.name,
            self.symbols,
        )
        if self._forest is not None:
            sub._forest = self._forest.subset(idx)
        return sub


# ----------------------------------------------------------------------------- nested <-> graph
def _symbols(featurize: Callable[[Any], NDArray | None], labels: Any) -> dict[str, NDArray]:
    """Each label's feature vector (every label here has one)."""
    out: dict[str, NDArray] = {}
    for label in labels:
        x = featurize(label)
        assert x is not None, label
        out[label] = x
    return out


def _one_hot_features(
    features: Any, size: int | None
) -> tuple[Callable[[Any], NDArray | None], int | None]:
    """A function label -> feature vector, and the feature size."""
    if features is None:
        return (lambda label: None), None
    if isinstance(features, dict):
        table = {k: np.asarray(v, dtype=np.float64) for k, v in features.items()}
        widths = {v.shape for v in table.values()}
        if len(widths) != 1 or len(next(iter(widths))) != 1:
            raise ValueError("features must map every label to a 1-d vector of one size")
        width = next(iter(widths))[0]
        if size is not None and size != width:
            raise ValueError(f"size={size} does not match the feature vectors' size {width}")

        def lookup(label: Any) -> NDArray | None:
            if label is None:
                return np.zeros(width)
            if label not in table:
                raise ValueError(f"label {label!r} has no entry in features")
            return table[label]

        return lookup, width
    vocab = list(features)
    index = {k: i for i, k in enumerate(vocab)}
    width = size if size is not None else len(vocab)
    if width < len(vocab):
        raise ValueError(f"size={size} is smaller than the vocabulary ({len(vocab)} labels)")

    codes = np.eye(len(vocab) + 1, width)
    codes[-1] = 0.0  # the unlabelled nodes' zeros

    def one_hot(label: Any) -> NDArray | None:
        if label is None:
            return codes[-1].copy()
        if label not in index:
            raise ValueError(f"label {label!r} is not in the vocabulary {vocab}")
        return codes[index[label]].copy()

    return one_hot, width


def _to_graph(tree: Nested, featurize: Callable[[Any], NDArray | None]) -> Any:
    """A networkx tree from a nested tree: nodes numbered in pre-order, root 0."""
    import networkx as nx

    nodes: list[tuple[int, dict[str, Any]]] = []
    edges: list[tuple[int, int, dict[str, int]]] = []
    stack: list[tuple[Nested, int, int]] = [(tree, -1, 0)]
    while stack:
        (label, children), parent, slot = stack.pop()
        node = len(nodes)
        attrs: dict[str, Any] = {}
        if label is not None:
            attrs["label"] = label
        x = featurize(label)
        if x is not None:
            attrs["x"] = x
        nodes.append((node, attrs))
        if parent >= 0:
            edges.append((parent, node, {"order": slot}))
        for k in range(len(children) - 1, -1, -1):
            stack.append((children[k], node, k))
    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _parse(s: str, labelled: bool) -> Nested:
    if not isinstance(s, str):
        raise TypeError(f"s must be a str; got {type(s).__name__}")
    tokens = _TOKEN.findall(s)
    if not tokens:
        raise ValueError("s is empty: a bracketed tree needs at least one token")
    stack: list[tuple[Any, list[Any]]] = []
    done: list[Nested] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok == "(":
            label = None
            if labelled:
                if k + 1 >= len(tokens) or tokens[k + 1] in "()":
                    raise ValueError(f"token {k}: '(' must be followed by the node's label")
                label, k = tokens[k + 1], k + 1
            stack.append((label, []))
        elif tok == ")":
            if not stack:
                raise ValueError(f"token {k}: ')' closes nothing (unbalanced brackets)")
            label, kids = stack.pop()
            if not kids:
                raise ValueError(f"token {k}: an empty pair of brackets has no children")
            node: Nested = (label, tuple(kids))
            (stack[-1][1] if stack else done).append(node)
        else:
            (stack[-1][1] if stack else done).append((tok, ()))
        k += 1
    if stack:
        raise ValueError(f"{len(stack)} unclosed '(' (unbalanced brackets)")
    if len(done) != 1:
        raise ValueError(
            f"s holds {len(done)} trees side by side; wrap them in one pair of brackets"
        )
    return done[0]


def from_bracketed(
    s: str,
    *,
    labelled: bool = False,
    features: Any = None,
    size: int | None = None,
) -> Any:
    """A networkx tree from a bracketed string.

    Parameters
    ----------
    s : str
        ``"((A B) C)"``: a pair of brackets is an internal node, a token a leaf. With
        ``labelled=True`` the first token inside a pair is the node's label, as in the Penn
        Treebank's ``"(S (NP the cat) (VP sat))"``.
    labelled : bool, default False
    features : dict or sequence, optional
        How to set each node's features ``x``: a dict label -> vector, or a vocabulary (one-hot
        codes in its order, ``size`` wide). Unlabelled nodes get zeros. Without it no ``x``.
    size : int, optional
        Width of the one-hot codes (default: the vocabulary's length).

    Returns
    -------
    networkx.DiGraph
        Nodes numbered in pre-order (root 0); attribute ``label`` on labelled nodes, edge
        attribute ``order`` the child's position.

    Examples
    --------
    >>> G = from_bracketed("((A B) C)", features=["A", "B", "C"])
    >>> sorted(G.edges(data="order"))
    [(0, 1, 0), (0, 4, 1), (1, 2, 0), (1, 3, 1)]
    >>> G.nodes[2]["label"], G.nodes[2]["x"].tolist(), G.nodes[1]["x"].tolist()
    ('A', [1.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    >>> to_bracketed(G)
    '((A B) C)'
    """
    featurize, _ = _one_hot_features(features, size)
    return _to_graph(_parse(s, labelled), featurize)


def _ordered_children(G: Any, node: Any) -> list[Any]:
    edges = list(G.out_edges(node, data="order"))
    if all(s is not None for _, _, s in edges):
        edges.sort(key=lambda e: e[2])
    return [v for _, v, _ in edges]


def to_bracketed(G: Any, root: Any = None) -> str:
    """The bracketed string of a tree (or a DAG, its shared parts written out each time).

    Leaves are written as their ``label``; an internal node with a ``label`` writes it first,
    ``"(S ...)"``; children in the order of their ``order`` attribute.

    Examples
    --------
    >>> to_bracketed(from_bracketed("(S (NP the cat) sat)", labelled=True))
    '(S (NP the cat) sat)'
    """
    if root is None:
        roots = [n for n in G.nodes if G.in_degree(n) == 0]
        if len(roots) != 1:
            raise ValueError(f"G has {len(roots)} roots; pass root= to choose one")
        root = roots[0]
    out: list[str] = []
    stack: list[Any] = [("node", root)]
    while stack:
        kind, item = stack.pop()
        if kind == "text":
            out.append(item)
            continue
        kids = _ordered_children(G, item)
        label = G.nodes[item].get("label")
        if not kids:
            out.append(str(label))
            continue
        parts: list[Any] = [("text", "(" + ("" if label is None else f"{label} "))]
        for k, child in enumerate(kids):
            if k:
                parts.append(("text", " "))
            parts.append(("node", child))
        parts.append(("text", ")"))
        stack.extend(reversed(parts))
    return "".join(out)


def _height(tree: Nested) -> int:
    label, children = tree
    return 0 if not children else 1 + max(_height(c) for c in children)


# ----------------------------------------------------------------------------- ListOps
def _median(args: list[int]) -> int:
    """The median, rounded down (as ``int(np.median(args))`` for digits, without numpy)."""
    s = sorted(args)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) // 2


_LISTOPS: dict[str, Callable[[list[int]], int]] = {
    "MIN": min,
    "MAX": max,
    "MED": _median,  # rounded down, as Nangia & Bowman's generator
    "SM": lambda args: sum(args) % 10,
}


def listops_value(expr: Any) -> int:
    """The value of a ListOps expression in nested form ``("MAX", [2, 9, ("MIN", [4, 7])])``.

    Examples
    --------
    >>> listops_value(("MAX", [2, 9, ("MIN", [4, 7]), 0]))
    9
    >>> listops_value(("MED", [3, 8, 1, 6]))           # median 4.5, rounded down
    4
    """
    if isinstance(expr, (int, np.integer)):
        return int(expr)
    op, args = expr
    return int(_LISTOPS[op]([listops_value(a) for a in args]))


def _listops_tokens(expr: Any) -> list[str]:
    if isinstance(expr, (int, np.integer)):
        return [str(int(expr))]
    op, args = expr
    out = [f"[{op}"]
    for a in args:
        out += _listops_tokens(a)
    return out + ["]"]


def _listops_nested(expr: Any, parse: str) -> Nested:
    """The parse tree of an expression: the gold binary parse or operator-and-arguments."""
    if isinstance(expr, (int, np.integer)):
        return (str(int(expr)), ())
    op, args = expr
    if parse == "nary":
        return (f"[{op}", tuple(_listops_nested(a, parse) for a in args))
    # left-branching inside the list: ((([OP a1) a2) ... ak) ]), Nangia & Bowman's Figure 1
    node: Nested = (f"[{op}", ())
    for a in args:
        node = (None, (node, _listops_nested(a, parse)))
    return (None, (node, ("]", ())))


def _listops_node_values(tree: Nested, prefixes: bool = False) -> tuple[list[int], list[float]]:
    """Each node's value where it has one, in the pre-order that numbers the graph's nodes: a
    digit, a complete list (the node above its ``]`` in the binary parse, the operator's node
    in the n-ary one) and, with ``prefixes``, a partial list of the binary parse holding at
    least one argument (the operator applied to the arguments so far); the mask of those
    nodes. Read off the nested tree, not the graph (networkx lookups cost ten times more)."""
    values: list[int] = []
    mask: list[float] = []

    def visit(node: Nested) -> tuple[Any, ...]:
        label, children = node
        row = len(values)
        values.append(0)
        mask.append(0.0)
        kids = [visit(c) for c in children]
        if not kids:
            if label.isdigit():
                state: tuple[Any, ...] = ("value", int(label))
            elif label == "]":
                state = ("end",)
            else:
                state = ("list", label[1:], [])
        elif label is not None:  # n-ary: an operator node with its arguments
            state = ("value", int(_LISTOPS[label[1:]]([k[1] for k in kids])))
        else:  # binary: a partial list extended by one argument, or closed by "]"
            left, right = kids
            if right[0] == "end":
                state = ("value", int(_LISTOPS[left[1]](left[2])))
            else:
                state = ("list", left[1], [*left[2], right[1]])
        if state[0] == "value":
            values[row], mask[row] = state[1], 1.0
        elif prefixes and state[0] == "list" and state[2]:
            values[row], mask[row] = int(_LISTOPS[state[1]](state[2])), 1.0
        return state

    visit(tree)
    return values, mask


def _listops_from_tokens(tokens: Sequence[str]) -> Any:
    stack: list[tuple[str, list[Any]]] = []
    result: Any = None
    for k, tok in enumerate(tokens):
        if tok.startswith("[") and tok[1:] in _LISTOPS:
            stack.append((tok[1:], []))
        elif tok == "]":
            if not stack:
                raise ValueError(f"token {k}: ']' closes no list")
            op, args = stack.pop()
            if not args:
                raise ValueError(f"token {k}: the list [{op} has no arguments")
            node = (op, args)
            if stack:
                stack[-1][1].append(node)
            else:
                result = node
        elif tok.isdigit() and len(tok) == 1:
            if not stack:
                result = int(tok) if k == len(tokens) - 1 else None
                if result is None:
                    raise ValueError("a ListOps expression is one list or one digit")
            else:
                stack[-1][1].append(int(tok))
        else:
            raise ValueError(f"token {k}: {tok!r} is not a ListOps token {LISTOPS_TOKENS}")
    if stack or result is None:
        raise ValueError("unbalanced ListOps expression (a list is not closed)")
    return result


def listops_tree(source: Any, *, parse: str = "binary") -> Any:
    """The parse tree of a ListOps expression as a networkx tree with one-hot token features.

    Parameters
    ----------
    source : str or list of str
        ``"[MAX 2 9 [MIN 4 7 ] 0 ]"`` or its tokens.
    parse : {"binary", "nary"}
        ``"binary"``: Nangia & Bowman's gold parse, left-branching inside each list, every
        token a leaf (the closing bracket too) and the internal nodes unlabelled (zero
        features). ``"nary"``: each operator a node whose children are its arguments.

    Examples
    --------
    >>> to_bracketed(listops_tree("[MAX 2 9 ]"))
    '((([MAX 2) 9) ])'
    >>> to_bracketed(listops_tree("[MAX 2 [MIN 4 7 ] ]", parse="nary"))
    '([MAX 2 ([MIN 4 7))'
    """
    if parse not in ("binary", "nary"):
        raise ValueError(f"parse must be 'binary' or 'nary'; got {parse!r}")
    tokens = source.split() if isinstance(source, str) else list(source)
    expr = _listops_from_tokens(tokens)
    featurize, _ = _one_hot_features(LISTOPS_TOKENS, None)
    return _to_graph(_listops_nested(expr, parse), featurize)


def _exact_depth(
    rng: np.random.Generator,
    depth: int,
    max_args: int,
    list_p: float,
    leaf: Callable[[], Any],
    make: Callable[[Any, list[Any]], Any],
    choose_op: Callable[[], tuple[Any, int]],
) -> Any:
    """An expression of nesting depth exactly ``depth`` (0: a leaf)."""
    if depth == 0:
        return leaf()
    op, k = choose_op()
    spine = int(rng.integers(k))
    args = []
    for pos in range(k):
        if pos == spine:
            d = depth - 1
        elif depth > 1 and rng.random() < list_p:
            d = int(rng.integers(1, depth))
        else:
            d = 0
        args.append(_exact_depth(rng, d, max_args, list_p, leaf, make, choose_op))
    return make(op, args)


def _depths(rng: np.random.Generator, n: int, min_depth: int, max_depth: int) -> NDArray:
    if min_depth > max_depth:
        raise ValueError(f"min_depth ({min_depth}) must not exceed max_depth ({max_depth})")
    return rng.integers(min_depth, max_depth + 1, size=n)


def listops(
    n: int,
    *,
    min_depth: int = 1,
    max_depth: int = 4,
    max_args: int = 5,
    list_p: float = 0.25,
    parse: str = "binary",
    prefixes: bool = False,
    seed: Any = None,
) -> TreeDataset:
    """ListOps expressions with their parse trees; the target is the value (10 classes).

    Parameters
    ----------
    n : int
        Number of expressions.
    min_depth, max_depth : int
        Each expression's nesting depth is drawn uniformly from this range.
    max_args : int, default 5
        Each list has 2 to ``max_args`` arguments (Nangia & Bowman: 5).
    list_p : float, default 0.25
        Probability that an argument off the deepest path is itself a list (Nangia & Bowman's
        generator: 0.25).
    parse : {"binary", "nary"}
        See :func:`listops_tree`.
    prefixes : bool, default False
        Also give a node target to every partial list of the binary parse that holds at least
        one argument -- the node ``((([OP a1) a2) ... ak)`` gets the operator applied to
        ``a1 .. ak`` -- so that a per-node loss supervises each step of a list's
        left-to-right accumulation, not only its end (the n-ary parse has no such nodes).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    TreeDataset
        ``targets`` the values; ``node_targets`` the value of every digit and every complete
        (sub-)list (and partial list, with ``prefixes``), ``node_mask`` 1 at those nodes (0 at
        the other partial lists, operators of the binary parse and closing brackets);
        ``info``: ``depth`` (n,), ``tokens`` (lists of str), ``source`` (strings).

    Examples
    --------
    >>> data = listops(3, max_depth=2, seed=0)
    >>> data.info["source"][0], int(data.targets[0])
    ('[MAX [MIN 8 6 ] 9 6 ]', 9)
    """
    n = check_positive_int(n, "n")
    min_depth = check_positive_int(min_depth, "min_depth")
    max_depth = check_positive_int(max_depth, "max_depth")
    max_args = check_positive_int(max_args, "max_args", minimum=2)
    list_p = check_probability(list_p, "list_p")
    if parse not in ("binary", "nary"):
        raise ValueError(f"parse must be 'binary' or 'nary'; got {parse!r}")
    rng = make_rng(seed)
    ops = list(_LISTOPS)
    featurize, _ = _one_hot_features(LISTOPS_TOKENS, None)
    graphs, targets, tokens, sources = [], [], [], []
    node_targets: list[int] = []
    node_mask: list[float] = []
    depths = _depths(rng, n, min_depth, max_depth)
    for d in depths:
        expr = _exact_depth(
            rng,
            int(d),
            max_args,
            list_p,
            leaf=lambda: int(rng.integers(10)),
            make=lambda op, args: (op, args),
            choose_op=lambda: (
                ops[int(rng.integers(len(ops)))],
                int(rng.integers(2, max_args + 1)),
            ),
        )
        nested = _listops_nested(expr, parse)
        graphs.append(_to_graph(nested, featurize))
        targets.append(listops_value(expr))
        values, mask = _listops_node_values(nested, prefixes)
        node_targets += values
        node_mask += mask
        toks = _listops_tokens(expr)
        tokens.append(toks)
        sources.append(" ".join(toks))
    return TreeDataset(
        graphs,
        np.asarray(targets, dtype=np.int64),
        "cross_entropy",
        10,
        node_targets=np.asarray(node_targets, dtype=np.int64),
        node_mask=np.asarray(node_mask),
        info={"depth": depths.astype(np.int64), "tokens": tokens, "source": sources},
        name="listops",
        symbols=_symbols(featurize, LISTOPS_TOKENS),
    )


def token_sequences(
    tokens: Sequence[Sequence[str]], vocab: Sequence[str] = LISTOPS_TOKENS
) -> tuple[NDArray, NDArray]:
    """One-hot, time-major, zero-padded sequences of token lists, and their lengths.

    Returns ``X`` of shape ``(T, B, len(vocab))`` and ``lengths`` ``(B,)``.

    Examples
    --------
    >>> X, lengths = token_sequences([["[MAX", "2", "]"], ["7"]])
    >>> X.shape, lengths.tolist()
    ((3, 2, 15), [3, 1])
    """
    index = {t: k for k, t in enumerate(vocab)}
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    if lengths.size == 0 or lengths.min() < 1:
        raise ValueError("tokens must hold at least one non-empty token list")
    X = np.zeros((int(lengths.max()), len(tokens), len(vocab)))
    for b, toks in enumerate(tokens):
        for t, tok in enumerate(toks):
            if tok not in index:
                raise ValueError(f"token {tok!r} (sequence {b}) is not in the vocabulary")
            X[t, b, index[tok]] = 1.0
    return X, lengths


def listops_step_targets(
    tokens: Sequence[Sequence[str]], *, prefixes: bool = False
) -> tuple[NDArray, NDArray]:
    """Per-step targets for a sequence model: the value of each list at its closing ``]``.

    The same supervision as the per-list ``node_targets`` of :func:`listops`, read off the
    tokens: ``Y`` ``(T, B)`` int64 holds at the step of every ``]`` the value of the list it
    closes, and ``mask`` ``(T, B)`` is 1 at those steps (the last one is the whole
    expression's). With ``prefixes``, also at every digit that is an argument of a list: the
    list's operator applied to its arguments up to that digit (the tree's ``prefixes``
    targets; after a nested list the step of its ``]`` keeps the nested list's value, so that
    the sequence model gets one target fewer per nested argument).

    Examples
    --------
    >>> Y, mask = listops_step_targets([["[MAX", "2", "[MIN", "4", "7", "]", "]"]])
    >>> Y[:, 0].tolist(), mask[:, 0].tolist()
    ([0, 0, 0, 0, 0, 4, 4], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    >>> Y, mask = listops_step_targets([["[SM", "8", "9", "]"]], prefixes=True)
    >>> Y[:, 0].tolist(), mask[:, 0].tolist()
    ([0, 8, 7, 7], [0.0, 1.0, 1.0, 1.0])
    """
    T = max(len(t) for t in tokens)
    Y = np.zeros((T, len(tokens)), dtype=np.int64)
    mask = np.zeros((T, len(tokens)))
    for b, toks in enumerate(tokens):
        _listops_from_tokens(toks)  # a clear error for a malformed expression
        stack: list[tuple[str, list[int]]] = []
        for t, tok in enumerate(toks):
            if tok.startswith("["):
                stack.append((tok[1:], []))
            elif tok == "]":
                op, args = stack.pop()
                Y[t, b] = int(_LISTOPS[op](args))
                mask[t, b] = 1.0
                if stack:
                    stack[-1][1].append(int(Y[t, b]))
            elif stack:  # a digit, an argument of the innermost open list
                op, args = stack[-1]
                args.append(int(tok))
                if prefixes:
                    Y[t, b] = int(_LISTOPS[op](args))
                    mask[t, b] = 1.0
    return Y, mask


# ----------------------------------------------------------------------------- expressions
def _expression_dataset(
    n: int,
    rng: np.random.Generator,
    depths: NDArray,
    generate: Callable[[int], Nested],
    evaluate: Callable[[Any, list[int]], int],
    symbols: Sequence[str],
    n_classes: int,
    balance: bool,
    name: str,
) -> TreeDataset:
    """Trees from ``generate(depth)``, each node's value as a node target, the root's as target."""
    featurize, _ = _one_hot_features(symbols, None)
    graphs: list[Any] = []
    targets: list[int] = []
    node_targets: list[Any] = []
    per_class = int(np.ceil(n / n_classes))
    counts = np.zeros(n_classes, dtype=np.int64)
    kept_depths = []
    for d in depths:
        for _ in range(1000):
            tree = generate(int(d))
            G = _to_graph(tree, featurize)
            values: dict[Any, int] = {}
            for node in reversed(list(G.nodes)):  # pre-order reversed: children first
                kids = _ordered_children(G, node)
                values[node] = evaluate(G.nodes[node]["label"], [values[c] for c in kids])
            root = values[0]
            if not balance or counts[root] < per_class:
                break
        counts[root] += 1
        for node in G.nodes:
            G.nodes[node]["value"] = values[node]
        graphs.append(G)
        targets.append(root)
        node_targets.extend(values[node] for node in G.nodes)
        kept_depths.append(int(d))
    return TreeDataset(
        graphs,
        np.asarray(targets, dtype=np.int64),
        "cross_entropy",
        n_classes,
        node_targets=np.asarray(node_targets, dtype=np.int64),
        info={"depth": np.asarray(kept_depths, dtype=np.int64)},
        name=name,
        symbols=_symbols(featurize, symbols),
    )


_BOOLEAN_OPS: dict[str, Callable[[list[int]], int]] = {
    "AND": lambda v: int(all(v)),
    "OR": lambda v: int(any(v)),
    "XOR": lambda v: int(sum(v) % 2),
    "NOT": lambda v: 1 - v[0],
}


def boolean_expressions(
    n: int,
    *,
    min_depth: int = 1,
    max_depth: int = 4,
    operators: Sequence[str] = ("AND", "OR", "XOR", "NOT"),
    max_args: int = 2,
    list_p: float = 0.5,
    balance: bool = True,
    seed: Any = None,
) -> TreeDataset:
    """Boolean expressions over ``T`` and ``F``; the target is the value (0 false, 1 true).

    Parameters
    ----------
    n : int
    min_depth, max_depth : int
        The height of each expression tree is drawn uniformly from this range.
    operators : sequence of {"AND", "OR", "XOR", "NOT"}
    max_args : int, default 2
        ``AND``, ``OR``, ``XOR`` take 2 to ``max_args`` arguments (2: binary trees, for the
        N-ary nets; more for the child-sum nets). ``NOT`` takes one.
    list_p : float, default 0.5
        Probability that an argument off the deepest path is an expression rather than a leaf.
    balance : bool, default True
        Equal numbers of true and false expressions (resampling each draw).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    TreeDataset
        Nodes labelled with :data:`BOOLEAN_SYMBOLS`, one-hot features; ``node_targets`` the
        value of every sub-expression; ``info["depth"]``.

    Examples
    --------
    >>> data = boolean_expressions(2, max_depth=2, seed=1)
    >>> [to_bracketed(G) for G in data.graphs], data.targets.tolist()
    (['(NOT F)', '(AND (NOT F) (NOT T))'], [1, 0])
    """
    n = check_positive_int(n, "n")
    min_depth = check_positive_int(min_depth, "min_depth")
    max_depth = check_positive_int(max_depth, "max_depth")
    max_args = check_positive_int(max_args, "max_args", minimum=2)
    list_p = check_probability(list_p, "list_p")
    ops = list(operators)
    for op in ops:
        if op not in _BOOLEAN_OPS:
            raise ValueError(f"operators must be among {sorted(_BOOLEAN_OPS)}; got {op!r}")
    if not ops:
        raise ValueError("operators must name at least one operator")
    rng = make_rng(seed)

    def choose() -> tuple[str, int]:
        op = ops[int(rng.integers(len(ops)))]
        return op, 1 if op == "NOT" else int(rng.integers(2, max_args + 1))

    def generate(depth: int) -> Nested:
        return _exact_depth(
            rng,
            depth,
            max_args,
            list_p,
            leaf=lambda: ("TF"[int(rng.integers(2))], ()),
            make=lambda op, args: (op, tuple(args)),
            choose_op=choose,
        )

    def evaluate(label: str, values: list[int]) -> int:
        return int(label == "T") if not values else _BOOLEAN_OPS[label](values)

    depths = _depths(rng, n, min_depth, max_depth)
    return _expression_dataset(
        n, rng, depths, generate, evaluate, BOOLEAN_SYMBOLS, 2, balance, "boolean"
    )


def arithmetic_expressions(
    n: int,
    *,
    min_depth: int = 1,
    max_depth: int = 3,
    operators: Sequence[str] = ("+", "-", "*"),
    modulus: int = 10,
    list_p: float = 0.5,
    seed: Any = None,
) -> TreeDataset:
    """Binary arithmetic expressions over the digits ``0 .. modulus-1``, values modulo ``modulus``.

    The target is the value (``modulus`` classes); ``node_targets`` the value of every
    sub-expression. Symbols: the digits, then ``+``, ``-``, ``*`` (one-hot features).

    Examples
    --------
    >>> data = arithmetic_expressions(1, max_depth=2, modulus=5, seed=0)
    >>> to_bracketed(data.graphs[0]), int(data.targets[0])
    ('(- (+ 0 0) (* 4 2))', 2)
    """
    n = check_positive_int(n, "n")
    modulus = check_positive_int(modulus, "modulus", minimum=2)
    min_depth = check_positive_int(min_depth, "min_depth")
    max_depth = check_positive_int(max_depth, "max_depth")
    ops = list(operators)
    known = {"+": np.add, "-": np.subtract, "*": np.multiply}
    if not ops or any(op not in known for op in ops):
        raise ValueError(f"operators must be a non-empty selection of '+', '-', '*'; got {ops}")
    rng = make_rng(seed)
    symbols = [str(d) for d in range(modulus)] + ["+", "-", "*"]

    def generate(depth: int) -> Nested:
        return _exact_depth(
            rng,
            depth,
            2,
            list_p,
            leaf=lambda: (str(int(rng.integers(modulus))), ()),
            make=lambda op, args: (op, tuple(args)),
            choose_op=lambda: (ops[int(rng.integers(len(ops)))], 2),
        )

    def evaluate(label: str, values: list[int]) -> int:
        if not values:
            return int(label)
        return int(known[label](values[0], values[1]) % modulus)

    depths = _depths(rng, n, min_depth, max_depth)
    data = _expression_dataset(
        n, rng, depths, generate, evaluate, symbols, modulus, False, "arithmetic"
    )
    return data


# ----------------------------------------------------------------------------- logical terms
def _random_term(rng: np.random.Generator, depth: int, exact: bool) -> Nested:
    """A term of height ``depth`` (exactly, or at most), over f/2, g/1, a, b, X, Y."""
    if depth == 0 or (not exact and rng.random() < 0.3):
        return ("abXY"[int(rng.integers(4))], ())
    if rng.random() < 0.6:
        spine = int(rng.integers(2))
        args = [_random_term(rng, depth - 1, exact if k == spine else False) for k in range(2)]
        return ("f", tuple(args))
    return ("g", (_random_term(rng, depth - 1, exact),))


def _mutate(rng: np.random.Generator, term: Nested) -> Nested:
    """The term with one leaf replaced by another leaf symbol (a near miss)."""
    leaves = []

    def walk(t: Nested, path: tuple[int, ...]) -> None:
        if not t[1]:
            leaves.append(path)
        for k, c in enumerate(t[1]):
            walk(c, (*path, k))

    walk(term, ())
    target = leaves[int(rng.integers(len(leaves)))]

    def rebuild(t: Nested, path: tuple[int, ...]) -> Nested:
        if path == target:
            others = [s for s in "abXY" if s != t[0]]
            return (others[int(rng.integers(3))], ())
        return (t[0], tuple(rebuild(c, (*path, k)) for k, c in enumerate(t[1])))

    return rebuild(term, ())


def _term_dag(term: Nested, featurize: Callable[[Any], NDArray | None]) -> tuple[Any, int]:
    """The DAG of a term: one node per distinct sub-term (a MultiDiGraph: f(t, t) has two edges
    to the node of t). Returns the graph and the number of shared nodes (two parent edges or
    more)."""
    import networkx as nx

    G = nx.MultiDiGraph()
    ids: dict[Nested, int] = {}

    def node_of(t: Nested) -> int:
        if t in ids:
            return ids[t]
        kids = [node_of(c) for c in t[1]]
        k = ids[t] = len(ids)
        G.add_node(k, label=t[0], x=featurize(t[0]))
        for slot, c in enumerate(kids):
            G.add_edge(k, c, order=slot)
        return k

    node_of(term)
    shared = sum(1 for v in G.nodes if G.in_degree(v) >= 2)
    return G, shared


def _term_text(t: Nested) -> str:
    return t[0] if not t[1] else f"{t[0]}(" + ", ".join(_term_text(c) for c in t[1]) + ")"


def logical_terms(
    n: int,
    *,
    min_depth: int = 2,
    max_depth: int = 4,
    seed: Any = None,
) -> TreeDataset:
    """Logical terms as DAGs of shared sub-terms; is the term an instance of ``f(Z, Z)``?

    After Goller & Küchler (1996), who classify first-order terms -- from "contains a given
    sub-term" to "matches a unification pattern" -- represented as labelled DAGs in which every
    repeated sub-term is one node. Terms are built over ``f/2``, ``g/1``, the constants ``a``,
    ``b`` and the variables ``X``, ``Y`` (one-hot features over :data:`TERM_SYMBOLS`). Half are
    instances of ``f(Z, Z)`` (``f`` applied twice to one sub-term, whose node then has two edges
    from the root, slots 0 and 1); a quarter are near misses ``f(t, t')`` with ``t'`` differing
    from ``t`` in one leaf, the rest random ``f(t1, t2)`` or ``g(t)``.

    Parameters
    ----------
    n : int
    min_depth, max_depth : int
        The height of each term is drawn from this range (at least 2).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    TreeDataset
        MultiDiGraphs; ``targets`` 1 for an instance of ``f(Z, Z)``; ``info``: ``depth``,
        ``term`` (the term as text) and ``shared`` (number of nodes with several parents).

    Examples
    --------
    >>> data = logical_terms(2, max_depth=2, seed=3)
    >>> data.info["term"], data.targets.tolist()
    (['f(f(b, b), f(X, a))', 'f(f(a, a), f(a, a))'], [0, 1])
    """
    n = check_positive_int(n, "n")
    min_depth = check_positive_int(min_depth, "min_depth", minimum=2)
    max_depth = check_positive_int(max_depth, "max_depth", minimum=2)
    rng = make_rng(seed)
    featurize, _ = _one_hot_features(TERM_SYMBOLS, None)
    depths = _depths(rng, n, min_depth, max_depth)
    graphs, targets, texts, shared = [], [], [], []
    for k, d in enumerate(depths):
        d = int(d)
        if k % 2 == 0:  # positive: f(t, t)
            t = _random_term(rng, d - 1, exact=True)
            term: Nested = ("f", (t, t))
        else:
            r = rng.random()
            if r < 0.5:  # near miss
                t = _random_term(rng, d - 1, exact=True)
                term = ("f", (t, _mutate(rng, t)) if rng.random() < 0.5 else (_mutate(rng, t), t))
            elif r < 0.8:
                while True:
                    a, b = _random_term(rng, d - 1, exact=True), _random_term(rng, d - 1, False)
                    if a != b:
                        break
                term = ("f", (a, b) if rng.random() < 0.5 else (b, a))
            else:
                term = ("g", (_random_term(rng, d - 1, exact=True),))
        G, s = _term_dag(term, featurize)
        graphs.append(G)
        targets.append(int(term[0] == "f" and term[1][0] == term[1][1]))
        texts.append(_term_text(term))
        shared.append(s)
    order = rng.permutation(n)
    return TreeDataset(
        [graphs[i] for i in order],
        np.asarray(targets, dtype=np.int64)[order],
        "cross_entropy",
        2,
        info={
            "depth": depths.astype(np.int64)[order],
            "term": [texts[i] for i in order],
            "shared": np.asarray(shared, dtype=np.int64)[order],
        },
        name="logical_terms",
        symbols=_symbols(featurize, TERM_SYMBOLS),
    )


# ----------------------------------------------------------------------------- RAAM grammar
def all_binary_trees(terminals: Sequence[str], max_depth: int) -> list[Nested]:
    """Every binary tree over ``terminals`` of height at most ``max_depth``, shallowest first.

    There are :math:`T_0 = t` of height 0 and :math:`T_d = t + T_{d-1}^2` of height at most
    :math:`d` for :math:`t` terminals (2, 6, 38, 1446 for two).

    Examples
    --------
    >>> [to_bracketed(from_bracketed_nested(t)) for t in all_binary_trees("AB", 1)]
    ['A', 'B', '(A A)', '(A B)', '(B A)', '(B B)']
    """
    max_depth = check_positive_int(max_depth, "max_depth", minimum=0)
    trees: list[Nested] = [(t, ()) for t in terminals]
    for _ in range(max_depth):
        pairs = [(None, (a, b)) for a, b in itertools.product(trees, repeat=2)]
        trees = [(t, ()) for t in terminals] + pairs
    return sorted(trees, key=lambda t: (_height(t), _nested_text(t)))


def _nested_text(t: Nested) -> str:
    if not t[1]:
        return str(t[0])
    return "(" + " ".join(_nested_text(c) for c in t[1]) + ")"


def from_bracketed_nested(tree: Nested, features: Any = None, size: int | None = None) -> Any:
    """A networkx tree from the nested form ``(label, children)`` used by this module."""
    featurize, _ = _one_hot_features(features, size)
    return _to_graph(tree, featurize)


def raam_grammar(
    terminals: Sequence[str] = ("A", "B"),
    *,
    max_depth: int = 2,
    code_size: int = 8,
) -> TreeDataset:
    """Every binary tree over ``terminals`` up to height ``max_depth``, for a RAAM.

    Leaves carry one-hot terminal patterns ``code_size`` wide (the RAAM's code width);
    internal nodes zeros. Single terminals are left out (there is nothing to encode).
    ``targets`` is each tree's height; ``info``: ``depth`` (the height) and ``bracketed``;
    ``symbols`` the terminals' patterns (for :meth:`recurrent_zoo.raam.RAAM.reconstruct`).

    Examples
    --------
    >>> data = raam_grammar(("A", "B"), max_depth=2)
    >>> len(data), data.info["bracketed"][:3]
    (36, ['(A A)', '(A B)', '(B A)'])
    """
    code_size = check_positive_int(code_size, "code_size")
    terminals = list(terminals)
    if len(terminals) > code_size:
        raise ValueError(f"code_size={code_size} is too small for {len(terminals)} terminals")
    trees = [t for t in all_binary_trees(terminals, max_depth) if t[1]]
    featurize, _ = _one_hot_features(terminals, code_size)
    patterns = _symbols(featurize, terminals)
    heights = np.array([_height(t) for t in trees], dtype=np.int64)
    return TreeDataset(
        [_to_graph(t, featurize) for t in trees],
        heights,
        "mse",
        1,
        info={"depth": heights, "bracketed": [_nested_text(t) for t in trees]},
        name="raam_grammar",
        symbols=patterns,
    )
