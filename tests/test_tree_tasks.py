"""Tree and DAG tasks (recurrent_zoo.tasks.trees): parsing, generators, values, sharing.

Values are checked against independent evaluations: Python's own operators on the bracketed
text, ListOps examples worked by hand from Nangia & Bowman (2018), and the structural
definition of a DAG of shared sub-terms (one node per distinct sub-term).
"""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recurrent_zoo.tasks.trees import (
    LISTOPS_TOKENS,
    all_binary_trees,
    arithmetic_expressions,
    boolean_expressions,
    from_bracketed,
    listops,
    listops_step_targets,
    listops_tree,
    listops_value,
    logical_terms,
    raam_grammar,
    to_bracketed,
    token_sequences,
)

# ----------------------------------------------------------------------------- bracketed strings
labels = st.sampled_from(["a", "b", "NP", "x1", "7"])


@st.composite
def trees(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(labels)
    kids = draw(st.lists(trees(depth=depth - 1), min_size=1, max_size=3))
    return "(" + " ".join(kids) + ")"


@settings(max_examples=30, deadline=None)
@given(trees())
def test_bracketed_round_trip(s):
    G = from_bracketed(s)
    assert to_bracketed(G) == s
    assert nx.is_arborescence(G)
    assert list(G.nodes) == list(range(G.number_of_nodes()))  # pre-order numbering


def test_labelled_brackets_and_features():
    vocab = ["S", "NP", "VP", "the", "cat", "sat"]
    G = from_bracketed("(S (NP the cat) (VP sat))", labelled=True, features=vocab)
    assert G.nodes[0]["label"] == "S" and to_bracketed(G) == "(S (NP the cat) (VP sat))"
    assert G.nodes[1]["x"].tolist() == [0, 1, 0, 0, 0, 0]  # NP
    with pytest.raises(ValueError, match="'NP' is not in the vocabulary"):
        from_bracketed("(S (NP the cat))", labelled=True, features=["S", "the", "cat"])
    G = from_bracketed("(a b)", features={"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert G.nodes[0]["x"].tolist() == [0.0, 0.0] and G.nodes[2]["x"].tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    "bad, match",
    [("(a b", "unclosed"), ("a b)", "closes nothing"), ("()", "empty pair"), ("a b", "side by")],
)
def test_bad_brackets(bad, match):
    with pytest.raises(ValueError, match=match):
        from_bracketed(bad)


# ----------------------------------------------------------------------------- ListOps
def test_listops_values_by_hand():
    # Nangia & Bowman's Figure 1 example and a few worked by hand
    assert listops_value(("MAX", [2, 9, ("MIN", [4, 7]), 0])) == 9
    assert listops_value(("SM", [8, 9, 5])) == 2  # 22 mod 10
    assert listops_value(("MED", [1, 9, 3])) == 3
    assert listops_value(("MED", [2, 7])) == 4  # 4.5 rounded down
    assert listops_value(("MIN", [("MAX", [1, 6]), ("SM", [3, 4])])) == 6


def test_listops_gold_parse_is_left_branching():
    G = listops_tree("[MAX 2 9 [MIN 4 7 ] 0 ]")
    # every token a leaf, in order; each list ((([OP a) b) ...) ])
    leaves = [G.nodes[n]["label"] for n in G.nodes if G.out_degree(n) == 0]
    assert leaves == "[MAX 2 9 [MIN 4 7 ] 0 ]".split()
    assert to_bracketed(G) == "((((([MAX 2) 9) ((([MIN 4) 7) ])) 0) ])"
    assert all(G.out_degree(n) in (0, 2) for n in G.nodes)
    assert all("x" in G.nodes[n] and G.nodes[n]["x"].shape == (15,) for n in G.nodes)
    nary = listops_tree("[MAX 2 9 [MIN 4 7 ] 0 ]", parse="nary")
    assert to_bracketed(nary) == "([MAX 2 9 ([MIN 4 7) 0)"
    with pytest.raises(ValueError, match="not a ListOps token"):
        listops_tree("[MAX 2 x ]")
    with pytest.raises(ValueError, match="unbalanced"):
        listops_tree("[MAX 2 3")


def test_listops_generator():
    data = listops(120, min_depth=2, max_depth=4, seed=0)
    again = listops(120, min_depth=2, max_depth=4, seed=0)
    assert data.info["source"] == again.info["source"]
    assert set(data.info["depth"].tolist()) == {2, 3, 4}
    for src, toks, depth, target, G in zip(
        data.info["source"],
        data.info["tokens"],
        data.info["depth"],
        data.targets,
        data.graphs,
        strict=True,
    ):
        assert all(t in LISTOPS_TOKENS for t in toks)
        # nesting depth of the brackets, the value from the text, the tree from the source
        level = np.cumsum([1 if t.startswith("[") else -1 if t == "]" else 0 for t in toks])
        assert level.max() == depth
        assert _eval_listops(src.split()) == target
        leaves = [G.nodes[n]["label"] for n in G.nodes if G.out_degree(n) == 0]
        assert leaves == toks
    # every complete list's value at its node: the root's is the target
    forest = data.forest()
    np.testing.assert_array_equal(data.node_targets[forest.roots()], data.targets)
    assert np.all(data.node_mask[forest.roots()] == 1)


def _leaf_tokens(G, node):
    """The tokens under ``node``, left to right."""
    kids = sorted(G.out_edges(node, data="order"), key=lambda e: e[2])
    if not kids:
        return [G.nodes[node]["label"]]
    return [t for _, v, _ in kids for t in _leaf_tokens(G, v)]


def test_listops_prefix_targets():
    """With prefixes, every partial list ``(([OP a1) ... ak)`` of the gold parse gets OP applied
    to a1..ak -- checked by evaluating its tokens closed by "]" -- and the other targets stay."""
    plain = listops(60, min_depth=1, max_depth=3, seed=4)
    data = listops(60, min_depth=1, max_depth=3, prefixes=True, seed=4)
    assert data.info["source"] == plain.info["source"]
    on = plain.node_mask > 0
    np.testing.assert_array_equal(data.node_targets[on], plain.node_targets[on])
    assert np.all(data.node_mask[on] == 1) and data.node_mask.sum() > plain.node_mask.sum()
    forest, n_prefix = data.forest(), 0
    for g, G in enumerate(data.graphs):
        rows = forest.rows(g)
        for k, node in enumerate(G.nodes):
            toks = _leaf_tokens(G, node)
            complete = toks[0].isdigit() or toks[-1] == "]" and _eval_listops_ok(toks)
            if toks[0].startswith("[") and len(toks) > 1 and not complete:
                n_prefix += 1
                assert data.node_mask[rows][k] == 1
                assert data.node_targets[rows][k] == _eval_listops(toks + ["]"])
            elif complete:
                assert data.node_targets[rows][k] == _eval_listops(toks)
            else:  # an operator leaf, a closing bracket
                assert data.node_mask[rows][k] == 0
    assert n_prefix == data.node_mask.sum() - plain.node_mask.sum()


def _eval_listops_ok(tokens):
    level = np.cumsum([1 if t.startswith("[") else -1 if t == "]" else 0 for t in tokens])
    return level[-1] == 0 and level[:-1].min(initial=1) > 0


def test_listops_step_targets_prefixes():
    toks = "[SM 8 9 [MAX 4 7 ] ]".split()
    Y, mask = listops_step_targets([toks], prefixes=True)
    # by hand: SM(8) = 8, SM(8, 9) = 7, MAX(4) = 4, MAX(4, 7) = 7, (8 + 9 + 7) mod 10 = 4
    assert Y[:, 0].tolist() == [0, 8, 7, 0, 4, 7, 7, 4]
    assert mask[:, 0].tolist() == [0, 1, 1, 0, 1, 1, 1, 1]
    Y0, mask0 = listops_step_targets([toks])
    assert mask0[:, 0].tolist() == [0, 0, 0, 0, 0, 0, 1, 1] and Y0[6, 0] == 7 and Y0[7, 0] == 4
    data = listops(40, min_depth=1, max_depth=3, seed=5)
    Y, mask = listops_step_targets(data.info["tokens"], prefixes=True)
    for b, toks in enumerate(data.info["tokens"]):
        for t, tok in enumerate(toks):
            k, level = t - 1, 0  # k: the innermost list open before step t
            while k >= 0 and not (toks[k].startswith("[") and level == 0):
                level += 1 if toks[k] == "]" else -1 if toks[k].startswith("[") else 0
                k -= 1
            if tok == "]":
                assert mask[t, b] == 1 and Y[t, b] == _eval_listops(toks[k : t + 1])
            elif tok.isdigit() and k >= 0:
                assert mask[t, b] == 1 and Y[t, b] == _eval_listops(toks[k : t + 1] + ["]"])
            else:
                assert mask[t, b] == 0
    with pytest.raises(ValueError, match="unbalanced"):
        listops_step_targets([["[MAX", "2"]])


def _eval_listops(tokens):
    stack = [[]]
    for t in tokens:
        if t.startswith("["):
            stack.append([t[1:]])
        elif t == "]":
            op, *args = stack.pop()
            v = {"MIN": min(args), "MAX": max(args), "SM": sum(args) % 10}.get(op)
            if op == "MED":
                s = sorted(args)
                m = len(s) // 2
                v = s[m] if len(s) % 2 else (s[m - 1] + s[m]) // 2
            stack[-1].append(v)
        else:
            stack[-1].append(int(t))
    return stack[0][0]


def test_token_sequences():
    X, lengths = token_sequences([["[MAX", "2", "]"], ["3"]])
    assert X.shape == (3, 2, 15) and lengths.tolist() == [3, 1]
    assert X[0, 0, LISTOPS_TOKENS.index("[MAX")] == 1 and X[1:, 1].sum() == 0
    with pytest.raises(ValueError, match="not in the vocabulary"):
        token_sequences([["[FOO"]])


# ----------------------------------------------------------------------------- expressions
def test_boolean_values_and_node_targets():
    data = boolean_expressions(200, min_depth=1, max_depth=4, seed=1)
    assert np.bincount(data.targets).tolist() == [100, 100]
    forest = data.forest()
    for g, G in enumerate(data.graphs):
        text = to_bracketed(G)
        assert int(_eval_bool(text)) == data.targets[g]
        rows = forest.rows(g)
        for k, node in enumerate(G.nodes):
            assert data.node_targets[rows][k] == G.nodes[node]["value"]
        assert max(nx.single_source_shortest_path_length(G, 0).values()) == data.info["depth"][g]
    nary = boolean_expressions(50, max_depth=3, max_args=4, operators=("AND", "OR"), seed=2)
    assert max(G.out_degree(n) for G in nary.graphs for n in G) == 4


def _eval_bool(text):
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()

    def parse(k):
        if tokens[k] != "(":
            return tokens[k] == "T", k + 1
        op, k, args = tokens[k + 1], k + 2, []
        while tokens[k] != ")":
            v, k = parse(k)
            args.append(v)
        value = {
            "AND": lambda a: all(a),
            "OR": lambda a: any(a),
            "XOR": lambda a: sum(a) % 2 == 1,
            "NOT": lambda a: not a[0],
        }[op](args)
        return value, k + 1

    return parse(0)[0]


def test_arithmetic_values():
    data = arithmetic_expressions(100, max_depth=3, modulus=7, seed=3)
    for G, target in zip(data.graphs, data.targets, strict=True):
        expr = to_bracketed(G)
        assert _eval_arith(expr) % 7 == target


def _eval_arith(text):
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()

    def parse(k):
        if tokens[k] != "(":
            return int(tokens[k]), k + 1
        op = tokens[k + 1]
        a, k = parse(k + 2)
        b, k = parse(k)
        return {"+": a + b, "-": a - b, "*": a * b}[op], k + 1

    return parse(0)[0]


# ----------------------------------------------------------------------------- logical terms
def test_logical_terms_share_every_repeated_subterm():
    data = logical_terms(200, min_depth=2, max_depth=5, seed=4)
    assert np.bincount(data.targets).tolist() == [100, 100]
    n_shared = 0
    for G, term, target in zip(data.graphs, data.info["term"], data.targets, strict=True):
        assert isinstance(G, nx.MultiDiGraph) and nx.is_directed_acyclic_graph(G)
        # one node per distinct sub-term: the texts of the nodes' sub-terms are all different
        texts = {node: _subterm(G, node) for node in G.nodes}
        assert len(set(texts.values())) == G.number_of_nodes()
        root = next(n for n in G.nodes if G.in_degree(n) == 0)
        assert texts[root] == term
        kids = sorted(G.out_edges(root, data="order"), key=lambda e: e[2])
        same = len(kids) == 2 and kids[0][1] == kids[1][1]
        assert same == bool(target)  # f(Z, Z): both slots hold the one node
        n_shared += sum(1 for n in G.nodes if G.in_degree(n) >= 2)
    assert n_shared > 100


def _subterm(G, node):
    kids = [v for _, v, _ in sorted(G.out_edges(node, data="order"), key=lambda e: e[2])]
    label = G.nodes[node]["label"]
    return label if not kids else f"{label}(" + ", ".join(_subterm(G, k) for k in kids) + ")"


# ----------------------------------------------------------------------------- RAAM grammar
def test_all_binary_trees_counts():
    assert [len(all_binary_trees("AB", d)) for d in range(4)] == [2, 6, 38, 1446]
    data = raam_grammar(("A", "B", "C"), max_depth=2, code_size=5)
    assert len(data) == 3 + 12**2 - 3  # every tree of height 1 or 2
    assert data.symbols["C"].tolist() == [0, 0, 1, 0, 0]
    assert len(set(data.info["bracketed"])) == len(data)


def test_subset_keeps_node_targets_aligned():
    data = boolean_expressions(20, max_depth=3, seed=5)
    sub = data.subset([7, 2])
    assert sub.info["depth"].tolist() == data.info["depth"][[7, 2]].tolist()
    forest = data.forest()
    np.testing.assert_array_equal(
        sub.node_targets, data.node_targets[forest.rows_of_graphs([7, 2])]
    )
    np.testing.assert_array_equal(sub.forest().features, Forest_of(sub).features)


def Forest_of(data):
    from recurrent_zoo._core.structure import Forest

    return Forest(data.graphs)
