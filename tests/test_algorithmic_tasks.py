"""Graves et al.'s (2014) algorithmic tasks: the paper's encodings, laid out step by step, and
the bit-error and cost metrics. Every expected layout below is read off section 4 of the paper."""

import numpy as np
import pytest

from recurrent_zoo.tasks import (
    TASKS,
    associative_recall,
    binary_copy,
    bit_errors,
    get_task,
    priority_sort,
    repeat_copy,
    sequence_cost,
)


def test_registered():
    for name in ("binary_copy", "repeat_copy", "associative_recall", "priority_sort"):
        assert get_task(name) is TASKS[name]


@pytest.mark.parametrize("make", [binary_copy, repeat_copy, associative_recall, priority_sort])
def test_same_seed_same_data_and_the_contract(make):
    a, b, c = make(6, seed=3), make(6, seed=3), make(6, seed=4)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)
    assert a.loss == "bce" and set(np.unique(a.targets)) <= {0.0, 1.0}
    assert a.targets.shape == a.inputs.shape[:2] + (a.output_size,)
    if a.lengths is not None:  # nothing past a sequence's end
        T = a.n_steps
        past = np.arange(T)[:, None] >= a.lengths[None, :]
        assert not a.inputs[past].any() and not a.mask[past].any()


def test_copy_layout():
    # section 4.1: L random 8-bit vectors, a delimiter flag on its own channel, then L steps
    # without input during which the vectors are the targets
    data = binary_copy(50, (1, 20), seed=0)
    L = data.info["sequence_length"]
    assert L.min() >= 1 and L.max() <= 20 and len(set(L.tolist())) > 5
    assert data.inputs.shape == (41, 50, 9) and data.output_size == 8
    np.testing.assert_array_equal(data.lengths, 2 * L + 1)
    for b in range(50):
        n = L[b]
        x = data.inputs[:, b]
        assert (x[:n, 8] == 0).all() and x[n, 8] == 1 and not x[n, :8].any()
        assert not x[n + 1 :].any()  # no input while the model answers
        np.testing.assert_array_equal(data.targets[n + 1 : 2 * n + 1, b], x[:n, :8])
        np.testing.assert_array_equal(np.flatnonzero(data.mask[:, b]), np.arange(n + 1, 2 * n + 1))
    bits = data.inputs[:, :, :8][data.inputs[:, :, 8] == 0]
    assert 0.45 < bits[bits.any(-1)].mean() < 0.55  # random bits


def test_repeat_copy_layout():
    # section 4.2: the vectors, the delimiter, the repeat count on a separate channel normalised
    # to mean 0 and variance 1 (over the training range 1..10), then the copies and an end
    # marker on an extra output channel
    data = repeat_copy(20, (1, 10), (1, 10), seed=1)
    L, R = data.info["sequence_length"], data.info["repeats"]
    mean, std = data.info["repeat_normalisation"]
    assert mean == 5.5 and std == pytest.approx(np.sqrt(99 / 12))
    for b in range(20):
        n, r = L[b], R[b]
        x, y = data.inputs[:, b], data.targets[:, b]
        assert x[n, 8] == 1 and x[n + 1, 9] == pytest.approx((r - 5.5) / std)
        copies = y[n + 2 : n + 2 + r * n, :8].reshape(r, n, 8)
        for k in range(r):
            np.testing.assert_array_equal(copies[k], x[:n, :8])
        assert y[n + 2 + r * n, 8] == 1 and y[:, 8].sum() == 1  # the end marker, once
        assert data.mask[:, b].sum() == r * n + 1
    # testing on 20 repeats keeps the training normalisation
    longer = repeat_copy(2, 3, 20, seed=2)
    assert longer.inputs[4, 0, 9] == pytest.approx((20 - 5.5) / std)


def test_associative_recall_layout():
    # section 4.3: items of 3 six-bit vectors, each opened by a delimiter; a query item between
    # query delimiters; the answer is the item that followed the query
    data = associative_recall(30, (2, 6), seed=2)
    assert data.output_size == 6 and data.input_size == 8
    counts, query = data.info["items"], data.info["query"]
    assert counts.min() == 2 and counts.max() == 6
    assert (query >= 0).all() and (query <= counts - 2).all()
    for b in range(30):
        x, k = data.inputs[:, b], counts[b]
        items = [x[4 * i + 1 : 4 * i + 4, :6] for i in range(k)]
        assert all(x[4 * i, 6] == 1 for i in range(k))
        t0 = 4 * k
        assert x[t0, 7] == 1 and x[t0 + 4, 7] == 1
        np.testing.assert_array_equal(x[t0 + 1 : t0 + 4, :6], items[query[b]])
        np.testing.assert_array_equal(data.targets[t0 + 5 : t0 + 8, b], items[query[b] + 1])
        np.testing.assert_array_equal(np.flatnonzero(data.mask[:, b]), t0 + 5 + np.arange(3))
        assert not x[t0 + 5 :].any()  # the model answers on steps with no input at all
    with pytest.raises(ValueError, match="items"):
        associative_recall(2, items=1)
    # bits uniform, every item count of the range and every allowed query position drawn
    data = associative_recall(2000, (2, 6), seed=4)
    counts, query = data.info["items"], data.info["query"]
    assert abs(data.targets[data.mask == 1].mean() - 0.5) < 0.02
    assert set(counts) == {2, 3, 4, 5, 6}
    for k in range(2, 7):
        assert set(query[counts == k]) == set(range(k - 1))


def test_priority_sort_layout():
    # section 4.5: 20 vectors with priorities from U(-1, 1), the 16 of highest priority out,
    # highest first
    data = priority_sort(10, seed=3)
    assert data.inputs.shape == (37, 10, 10) and data.lengths is None
    p = data.info["priorities"]
    assert p.min() >= -1 and p.max() <= 1
    for b in range(10):
        order = np.argsort(-p[b])[:16]
        np.testing.assert_array_equal(data.targets[21:, b], data.inputs[order, b, :8])
        assert data.inputs[20, b, 9] == 1
    with pytest.raises(ValueError, match="n_sorted"):
        priority_sort(2, n_items=3, n_sorted=4)


def test_bit_errors_and_cost():
    data = binary_copy(3, 4, n_bits=5, seed=4)
    logits = np.where(data.targets > 0.5, 3.0, -3.0)
    np.testing.assert_array_equal(bit_errors(logits, data), 0.0)
    flipped = logits.copy()
    flipped[6, 1, 2] *= -1  # one answer bit of sequence 1 wrong
    flipped[0, 0, 0] *= -1  # outside the answer: not counted
    np.testing.assert_array_equal(bit_errors(flipped, data), [0.0, 1.0, 0.0])
    probs = 1 / (1 + np.exp(-flipped))
    np.testing.assert_array_equal(bit_errors(probs, data, logits=False), [0.0, 1.0, 0.0])
    # cost: -log2 sigmoid(3) per bit, 20 answer bits
    expected = 20 * np.log2(1 + np.exp(-3.0))
    np.testing.assert_allclose(sequence_cost(logits, data), expected)
    with pytest.raises(ValueError, match="outputs"):
        bit_errors(logits[:, :2], data)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: binary_copy(2, (5, 3)), "length"),
        (lambda: binary_copy(2, 0), "length"),
        (lambda: binary_copy(2, "long"), "length"),
        (lambda: repeat_copy(2, repeats=(0, 2)), "repeats"),
        (lambda: priority_sort(0), "n_sequences"),
        (lambda: associative_recall(2, item_length=0), "item_length"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
