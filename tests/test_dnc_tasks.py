"""The differentiable neural computer's tasks: copy with memory reuse, graph traversal (Graves et
al. 2016, scaled) and the curriculum that advances through lessons. Every expected layout is read
off the task's definition; the graph answers are recomputed here by walking the triples the
inputs present, independently of the generator."""

import networkx as nx
import numpy as np
import pytest

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.elman import Elman
from recurrent_zoo.tasks import (
    TASKS,
    Curriculum,
    binary_copy,
    copy_reuse,
    get_task,
    graph_traversal,
    traversal_accuracy,
)
from recurrent_zoo.training import fit_generated


def test_registered():
    assert get_task("copy_reuse") is copy_reuse is TASKS["copy_reuse"]
    assert get_task("graph_traversal") is graph_traversal


# ----------------------------------------------------------------------------- copy with reuse
@pytest.mark.parametrize("make", [copy_reuse, graph_traversal])
def test_same_seed_same_data(make):
    a, b, c = make(6, seed=3), make(6, seed=3), make(6, seed=4)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)
    if a.lengths is not None:  # nothing past a sequence's end
        past = np.arange(a.n_steps)[:, None] >= a.lengths[None, :]
        assert not a.inputs[past].any() and not a.mask[past].any()


def test_copy_reuse_is_episodes_of_binary_copy():
    data = copy_reuse(40, episodes=(1, 5), length=(1, 4), n_bits=5, seed=0)
    K, L = data.info["episodes"], data.info["episode_lengths"]
    assert set(K.tolist()) == {1, 2, 3, 4, 5} and L.max() == 4 and L[L > 0].min() == 1
    np.testing.assert_array_equal(data.info["written"], L.sum(axis=1))
    np.testing.assert_array_equal(data.lengths, (2 * L + (L > 0)).sum(axis=1))
    assert data.loss == "bce" and data.output_size == 5 and data.input_size == 6
    for b in range(40):
        t = 0
        for ell in L[b, : K[b]]:
            x = data.inputs[t : t + 2 * ell + 1, b]
            # binary_copy's layout: the vectors, the delimiter alone, then no input
            assert not x[:ell, 5].any() and x[ell, 5] == 1 and not x[ell, :5].any()
            assert not x[ell + 1 :].any()
            answer = data.targets[t + ell + 1 : t + 2 * ell + 1, b]
            np.testing.assert_array_equal(answer, x[:ell, :5])
            expected_mask = np.r_[np.zeros(ell + 1), np.ones(ell)]
            np.testing.assert_array_equal(data.mask[t : t + 2 * ell + 1, b], expected_mask)
            t += 2 * ell + 1
        assert t == data.lengths[b]
    # episodes hold fresh random bits, not one vector repeated
    assert 0.4 < data.targets[data.mask > 0].mean() < 0.6


def test_copy_reuse_of_one_episode_is_binary_copy_layout():
    a = copy_reuse(3, episodes=1, length=3, n_bits=4, seed=0)
    b = binary_copy(3, 3, n_bits=4, seed=1)
    assert a.inputs.shape == b.inputs.shape
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.inputs[:, :, 4], b.inputs[:, :, 4])  # the delimiter


def test_copy_reuse_writes_twice_the_slots():
    # the benchmark's test set: 4 episodes of 4 vectors into 8 slots
    data = copy_reuse(10, 4, 4, seed=0)
    assert (data.info["written"] == 16).all() and data.lengths is None and data.n_steps == 36


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"episodes": 0}, ValueError, "episodes"),
        ({"length": (3, 2)}, ValueError, "length"),
        ({"length": "4"}, TypeError, "length"),
        ({"n_bits": 0}, ValueError, "n_bits"),
    ],
)
def test_copy_reuse_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        copy_reuse(2, **kwargs)


# ----------------------------------------------------------------------------- graph traversal
def _decode(data, b, n_ids=8, n_labels=3):
    """The triples, start node and labels a sequence presents, read off its inputs."""
    x = data.inputs[: data.lengths[b] if data.lengths is not None else data.n_steps, b]
    flags = x[:, 2 * n_ids + n_labels :]
    triples, start, labels, answers = {}, None, [], []
    for t, row in enumerate(x):
        if not flags[t].any():
            u = row[:n_ids].argmax()
            lab = row[n_ids : n_ids + n_labels].argmax()
            v = row[n_ids + n_labels : 2 * n_ids + n_labels].argmax()
            assert row[: 2 * n_ids + n_labels].sum() == 3
            assert (u, lab) not in triples  # one destination per (source, label)
            triples[int(u), int(lab)] = int(v)
        elif flags[t, 0]:
            start = int(row[:n_ids].argmax())
        elif flags[t, 1]:
            labels.append(int(row[n_ids : n_ids + n_labels].argmax()))
        else:
            answers.append(t)
    return triples, start, labels, answers


def test_graph_answers_follow_the_triples():
    data = graph_traversal(60, seed=0)
    assert data.loss == "cross_entropy" and data.output_size == 8 and data.input_size == 22
    sizes, hops = set(), set()
    for b in range(60):
        triples, node, labels, answers = _decode(data, b)
        g = data.info["graphs"][b]
        assert len(triples) == g.number_of_edges() == data.info["edges"][b]
        assert {(u, lab): v for u, v, lab in g.edges(data="label")} == triples
        # every node has an out-edge (k-out graph), no self-loops
        assert all(g.out_degree(n) >= 1 for n in g) and nx.number_of_selfloops(g) == 0
        assert 5 <= g.number_of_nodes() <= 8 and 2 <= len(labels) <= 4
        sizes.add(g.number_of_nodes())
        hops.add(len(labels))
        # the answer: walk the presented triples from the start along the query's labels
        path = []
        for lab in labels:
            node = triples[node, lab]
            path.append(node)
        assert answers == list(range(answers[0], answers[0] + len(labels)))
        np.testing.assert_array_equal(data.targets[answers, b], path)
        assert data.info["paths"][b][1:] == path
        np.testing.assert_array_equal(np.flatnonzero(data.mask[:, b]), answers)
        assert not data.inputs[answers, b, :-1].any()  # only the answer flag while answering
    assert sizes == {5, 6, 7, 8} and hops == {2, 3, 4}


def test_graph_stepwise_query_answers_follow_the_triples():
    # query="stepwise": hop j's label on the step answering it, the start node on the first
    data = graph_traversal(60, nodes=(3, 8), hops=(1, 4), query="stepwise", seed=4)
    upfront = graph_traversal(60, nodes=(3, 8), hops=(1, 4), seed=4)  # the same draws
    n_ids, n_labels = 8, 3
    lab, flag = n_ids, 2 * n_ids + n_labels
    np.testing.assert_array_equal(data.lengths, data.info["edges"] + data.info["hops"])
    for b in range(60):
        g, h = data.info["graphs"][b], int(data.info["hops"][b])
        assert [sorted(g.edges(data="label")), data.info["paths"][b]] == [
            sorted(upfront.info["graphs"][b].edges(data="label")),
            upfront.info["paths"][b],
        ]
        E = g.number_of_edges()
        x = data.inputs[: E + h, b]
        triples = {}
        for row in x[:E]:
            assert not row[flag:].any() and row[:flag].sum() == 3
            u, v = int(row[:n_ids].argmax()), int(row[lab + n_labels : flag].argmax())
            triples[u, int(row[lab : lab + n_labels].argmax())] = v
        answers = np.arange(E, E + h)
        np.testing.assert_array_equal(np.flatnonzero(data.mask[:, b]), answers)
        assert x[E, flag] == 1 and not x[E + 1 :, flag].any()  # the query starts once
        assert (x[E:, flag + 1 :] == 1).all() and x[E:, lab : lab + n_labels].sum() == h
        node = int(x[E, :n_ids].argmax())
        assert x[E, :n_ids].sum() == 1 and not x[E + 1 :, :n_ids].any()
        assert not x[E:, lab + n_labels : flag].any()  # no destination is ever given
        assert node == data.info["paths"][b][0]
        for j, t in enumerate(answers):
            node = triples[node, int(x[t, lab : lab + n_labels].argmax())]
            assert data.targets[t, b] == node == data.info["paths"][b][j + 1]
    with pytest.raises(ValueError, match="query"):
        graph_traversal(2, query="first")


def _read_queries(x, n_ids, n_labels):
    """A plain reader of one sequence's inputs ``(T, I)``, nothing else: the triples from the
    steps without a flag, the query's start and labels from the flagged steps, and the answer
    steps; each field is checked to be exactly one-hot where it is given and empty elsewhere.
    Triples and query read the label through the same slice, so one code serves both."""
    src, lab, dst, flag = (
        slice(0, n_ids),
        slice(n_ids, n_ids + n_labels),
        slice(n_ids + n_labels, 2 * n_ids + n_labels),
        2 * n_ids + n_labels,
    )
    assert x.shape[1] == flag + 3 and set(np.unique(x)) <= {0.0, 1.0}

    def one(row, part):
        assert row[part].sum() == 1, "a field that is not one-hot"
        return int(row[part].argmax())

    triples, starts, labels, answers = {}, [], [], []
    for t, row in enumerate(x):
        if not row[flag:].any():  # a triple: source, label, destination
            key = one(row, src), one(row, lab)
            assert key not in triples, "two edges share a source and a label: ambiguous query"
            triples[key] = one(row, dst)
            assert not answers and not starts, "a triple after the query began"
            continue
        assert not row[dst].any()  # the query never gives a destination
        if row[flag]:
            starts.append(one(row, src))
        else:
            assert not row[src].any()
        if row[flag + 1]:
            labels.append(one(row, lab))
        else:
            assert not row[lab].any()
        if row[flag + 2]:
            answers.append(t)
    assert len(starts) == 1 and len(labels) == len(answers) >= 1
    return triples, starts[0], labels, answers


def _check_answers(data, n_ids=8, n_labels=3):
    """Follow the triples the inputs present from the start they give, along the labels they
    give; every target must be the node reached. Returns the start out-degrees (capped at 2)
    and the first labels asked."""
    seen = {1: set(), 2: set()}
    lengths = data.lengths if data.lengths is not None else np.full(data.n_sequences, data.n_steps)
    for b in range(data.n_sequences):
        x = data.inputs[: lengths[b], b]
        assert not data.inputs[lengths[b] :, b].any()
        triples, node, labels, answers = _read_queries(x, n_ids, n_labels)
        seen[min(sum(s == node for s, _ in triples), 2)].add(labels[0])
        for t, label in zip(answers, labels, strict=True):
            assert (node, label) in triples, "the query follows an edge that is not given"
            node = triples[node, label]
            assert data.targets[t, b] == node, "a target the inputs do not give"
        np.testing.assert_array_equal(np.flatnonzero(data.mask[: lengths[b], b]), answers)
    return seen


# the curriculum of benchmarks/dnc_tasks.py (GRAPH_LESSONS_SMALL)
LESSONS = [((3, 4), 1), ((3, 5), 1), ((5, 6), 1), ((5, 7), (1, 2)), ((5, 8), (1, 3)),
           ((5, 8), (2, 4))]  # fmt: skip


@pytest.mark.parametrize("query", ["upfront", "stepwise"])
@pytest.mark.parametrize("start", ["any", "branching"])
def test_graph_every_answer_is_read_off_the_inputs_alone(query, start):
    # the task before the model: every query, in every lesson and layout, has one answer, which
    # a reader of the inputs alone finds, the query's labels read on the triples' channels
    seen = {1: set(), 2: set()}
    for i, (nodes, hops) in enumerate(LESSONS):
        data = graph_traversal(50, nodes, hops, n_ids=8, query=query, start=start, seed=100 + i)
        for d, labels in _check_answers(data).items():
            seen[d] |= labels
    assert seen[2] == {0, 1, 2}  # label-decided first hops, every label among them
    if start == "any":
        assert seen[1]


def test_graph_reader_bites():
    # the check above fails on a query whose labels use another code than the triples', on a
    # wrong target, and on a graph with two edges of one label from one node
    data = graph_traversal(40, (3, 4), 1, n_ids=8, query="stepwise", start="branching", seed=0)
    _check_answers(data)
    for corrupt in ("label code", "target", "ambiguous"):
        bad = graph_traversal(40, (3, 4), 1, n_ids=8, query="stepwise", start="branching",
                              seed=0)  # fmt: skip
        answer = bad.mask.argmax(axis=0)  # (B,) the one answer step
        cols = np.arange(40)
        if corrupt == "label code":  # the query's label one-hot rotated by one
            bad.inputs[answer, cols, 8:11] = np.roll(bad.inputs[answer, cols, 8:11], 1, axis=1)
        elif corrupt == "target":
            bad.targets[answer, cols] = (bad.targets[answer, cols] + 1) % 8
        else:  # the second triple gets the first's source and label
            bad.inputs[1, :, :11] = bad.inputs[0, :, :11]
        with pytest.raises(AssertionError):
            _check_answers(bad)


def test_graph_branching_start():
    # start="branching": every query starts at a node with two out-edges (when there is one)
    kw = dict(nodes=(3, 6), hops=1, n_ids=8, seed=5)
    data, anywhere = graph_traversal(120, start="branching", **kw), graph_traversal(120, **kw)

    def start_degrees(d):
        return [g.out_degree(p[0]) for g, p in zip(d.info["graphs"], d.info["paths"], strict=True)]

    branching = [max(d for _, d in g.out_degree()) > 1 for g in data.info["graphs"]]
    assert sum(branching) > 100
    assert all(d == 2 for d, b in zip(start_degrees(data), branching, strict=True) if b)
    assert 1 in start_degrees(anywhere)
    for b in range(120):  # the answer still follows the graph
        g, path = data.info["graphs"][b], data.info["paths"][b]
        assert g.has_edge(path[0], path[1]) and data.targets[data.mask[:, b] > 0, b] == path[1]
    with pytest.raises(ValueError, match="start"):
        graph_traversal(2, start="hub")


def test_graph_names_and_order_are_random():
    data = graph_traversal(200, nodes=5, hops=2, n_ids=8, seed=1)
    used = np.concatenate([list(g.nodes) for g in data.info["graphs"]])
    assert set(used.tolist()) == set(range(8))  # 5 names of 8, a new choice per graph
    firsts = data.inputs[0, :, :8].argmax(axis=1)
    assert len(set(firsts.tolist())) == 8  # the triples are not sorted by source


def test_graph_edge_cases():
    # two nodes, out-degree capped at n - 1: a 2-cycle, walked back and forth
    data = graph_traversal(3, nodes=2, hops=3, out_degree=2, n_labels=2, seed=0)
    for b in range(3):
        g, path = data.info["graphs"][b], data.info["paths"][b]
        assert g.number_of_edges() == 2 and path[0] == path[2] != path[1] == path[3]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"nodes": 1}, ValueError, "nodes"),
        ({"hops": 0}, ValueError, "hops"),
        ({"n_labels": 1, "out_degree": 2}, ValueError, "n_labels"),
        ({"n_ids": 5}, ValueError, "n_ids"),
        ({"nodes": (4, "x")}, TypeError, "nodes"),
    ],
)
def test_graph_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        graph_traversal(2, **kwargs)


def test_traversal_accuracy():
    data = graph_traversal(5, seed=2)
    logits = np.eye(8)[data.targets] * 3.0
    assert traversal_accuracy(logits, data) == 1.0
    # a wrong node on a step outside the answers does not count; on the last hop it does
    last = data.lengths - 1 if data.lengths is not None else np.full(5, data.n_steps - 1)
    logits[0, 1] = np.eye(8)[(data.targets[0, 1] + 1) % 8] * 9.0
    assert traversal_accuracy(logits, data) == 1.0
    logits[last[1], 1] = np.eye(8)[(data.targets[last[1], 1] + 1) % 8] * 9.0
    assert traversal_accuracy(logits, data) == 0.8
    with pytest.raises(ValueError, match="outputs"):
        traversal_accuracy(logits[:, :, :7], data)


# ----------------------------------------------------------------------------- curriculum
def _copy_lessons(L, rng, n=4):
    return binary_copy(n, L, n_bits=2, seed=rng)


def test_curriculum_advances_on_the_mean_training_loss():
    c = Curriculum([1, 2, 3], _copy_lessons, threshold=0.5, window=3)
    assert c(0).n_steps == 3  # lesson 0: copies of length 1
    for i, loss in enumerate([0.9, 0.5, 0.4, 0.5, 0.5, 0.5]):  # means 0.6, then 0.5
        c.callback(i, {"loss": loss})
    assert c.level == 1 and c.advanced_at == [6] and c(0).n_steps == 5
    assert c.checks == [(3, 0, pytest.approx(0.6)), (6, 0, pytest.approx(0.5))]
    # the window restarts with the lesson: the losses of lesson 0 do not count
    for i, loss in enumerate([0.1, 0.1], start=6):
        c.callback(i, {"loss": loss})
    assert c.level == 1
    c.callback(8, {"loss": 0.1})
    assert c.level == 2 and c.completed_at is None
    for i in range(9, 12):
        assert c.callback(i, {"loss": 0.0}) is False  # the last lesson: recorded, not stopped
    assert c.level == 2 and c.completed_at == 12 and c.advanced_at == [6, 9]


def test_curriculum_with_a_score_and_stop():
    seen = []

    def score(lesson, rng):
        seen.append(lesson)
        return 0.0 if lesson == "a" else 1.0 - 0.5 * len(seen)  # b: 0.0 at its first check

    c = Curriculum(["a", "b"], lambda lesson, rng: lesson, threshold=0.0, window=2, score=score,
                   stop_when_done=True)  # fmt: skip
    stops = [c.callback(i, {"loss": 9.0}) for i in range(8)]
    assert seen == ["a", "b", "b", "b"] and c.advanced_at == [2] and c.completed_at == 4
    assert stops == [False] * 3 + [True, False, True, False, True]


def test_curriculum_review_draws_earlier_lessons():
    c = Curriculum([0, 1, 2], lambda lesson, rng: lesson, threshold=0.0, window=1, review=0.5,
                   seed=0)  # fmt: skip
    assert {c(None) for _ in range(20)} == {0}
    c.level = 2
    draws = [c(None) for _ in range(400)]
    counts = np.bincount(draws, minlength=3) / 400
    np.testing.assert_allclose(counts, [0.25, 0.25, 0.5], atol=0.07)


def test_curriculum_drives_fit_generated():
    model = Stacked([Elman(3, 16, seed=0), Linear(16, 2, seed=1)])
    c = Curriculum([1, 2], lambda L, rng: binary_copy(32, L, n_bits=2, seed=rng), threshold=0.45,
                   window=10)  # fmt: skip
    history = fit_generated(model, c, 80, lr=0.02, seed=0, callback=c.callback)
    assert c.level == 1 and 10 <= c.advanced_at[0] < 80
    losses = history["loss"]
    # the new lesson is harder: the loss jumps when it starts
    a = c.advanced_at[0]
    assert np.mean(losses[a : a + 3]) > np.mean(losses[a - 10 : a])


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (([], _copy_lessons), {"threshold": 0.1}, ValueError, "lessons"),
        (([1], "f"), {"threshold": 0.1}, TypeError, "make_batch"),
        (([1], _copy_lessons), {"threshold": "x"}, TypeError, "threshold"),
        (([1], _copy_lessons), {"threshold": 0.1, "window": 0}, ValueError, "window"),
        (([1], _copy_lessons), {"threshold": 0.1, "review": 1.0}, ValueError, "review"),
        (([1], _copy_lessons), {"threshold": 0.1, "score": 3}, TypeError, "score"),
    ],
)
def test_curriculum_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        Curriculum(*args, **kwargs)


# ------------------------------------------------------------------------- the free-gate ablation
def test_pinned_free_gates_stay_exactly_zero_through_training():
    # benchmarks/dnc_tasks.py's ablation: the free gates' interface rows pinned so that every
    # gate is exactly 0 -- and stays so under Adam -- hence nothing is ever freed
    import importlib.util
    from pathlib import Path

    from recurrent_zoo.dnc import DNC

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "dnc_tasks.py"
    spec = importlib.util.spec_from_file_location("dnc_tasks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for dtype in (np.float64, np.float32):
        model = DNC(5, 4, controller_size=8, memory_slots=4, word_size=3, read_heads=2, seed=0,
                    dtype=dtype)  # fmt: skip
        module.pin_free_gates(model)
        fit_generated(model, lambda rng: copy_reuse(4, 2, 2, n_bits=4, seed=rng), 5, lr=0.05,
                      seed=0)  # fmt: skip
        data = copy_reuse(3, 3, 3, n_bits=4, seed=1)
        gates = module._free_gates(model, data.inputs)
        assert gates.shape == (data.n_steps, 3, 2) and (gates == 0).all()
        _, state = model.forward(data.inputs[:1])
        usage_before = state[5]
        _, state = model.forward(data.inputs[1:], state)
        assert (state[5] >= usage_before).all()  # no slot's usage ever goes down
        # without the pin, the same training moves the gates off 0
        free = DNC(5, 4, controller_size=8, memory_slots=4, word_size=3, read_heads=2, seed=0,
                   dtype=dtype)  # fmt: skip
        assert (module._free_gates(free, data.inputs) > 0).all()
