"""Tests for recurrent_zoo.tasks: shapes, seeds, masks, baselines, formal-language oracles."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

import numpy as np
import pytest

from recurrent_zoo._core.init import make_rng
from recurrent_zoo.tasks import (
    TASKS,
    SequenceDataset,
    adding_problem,
    all_strings,
    anbn,
    copy_task,
    dyck,
    dyck_accepts,
    frequency_classification,
    get_task,
    parity,
    temporal_xor,
    tomita_accepts,
    tomita_dataset,
    tomita_dfa,
    tomita_labels,
    two_sided_sum,
)
from recurrent_zoo.tasks.base import one_hot

# One small random call per generator: f(seed) -> SequenceDataset.
SMALL = {
    "adding": lambda seed: adding_problem(12, 9, seed=seed),
    "copy": lambda seed: copy_task(6, n_symbols=4, sequence_length=3, delay=4, seed=seed),
    "copy_all_steps": lambda seed: copy_task(5, seed=seed, mask_all_steps=True),
    "temporal_xor": lambda seed: temporal_xor(30, seed=seed, n_streams=3),
    "temporal_xor_mse": lambda seed: temporal_xor(31, seed=seed, loss="mse"),
    "parity": lambda seed: parity(10, 7, seed=seed),
    "parity_variable": lambda seed: parity(10, 7, seed=seed, variable_length=True, min_length=2),
    "frequency": lambda seed: frequency_classification(10, 25, n_classes=4, seed=seed),
    "tomita": lambda seed: tomita_dataset(3, 8, seed=seed, n_sequences=20),
    "tomita_balanced_ce": lambda seed: tomita_dataset(
        4, 9, seed=seed, n_sequences=15, balanced=True, loss="cross_entropy", start_symbol=True
    ),
    "anbn": lambda seed: anbn(6, n_sequences=8, seed=seed),
    "anbncn": lambda seed: anbn(4, n_min=0, n_sequences=8, seed=seed, n_letters=3),
    "dyck1": lambda seed: dyck(10, 12, seed=seed),
    "dyck2_ce": lambda seed: dyck(9, 10, seed=seed, n_types=2, loss="cross_entropy"),
    "dyck2_next": lambda seed: dyck(7, 10, seed=seed, n_types=2, task="next_symbol"),
    "two_sided_sum": lambda seed: two_sided_sum(9, 8, seed=seed),
    "two_sided_sum_variable": lambda seed: two_sided_sum(
        12, 9, offset=1, seed=seed, variable_length=True
    ),
}


def assert_same(a: SequenceDataset, b: SequenceDataset) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    if a.lengths is None:
        assert b.lengths is None
    else:
        np.testing.assert_array_equal(a.lengths, b.lengths)


# -- the registry ---------------------------------------------------------------------------------
def test_registry_names():
    expected = {"adding", "copy", "temporal_xor", "parity", "frequency", "tomita", "anbn", "dyck"}
    assert expected <= set(TASKS)
    for name in expected:
        assert get_task(name) is TASKS[name]


def test_get_task_unknown_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown task 'lstm'; known tasks: .*'adding'.*'tomita'"):
        get_task("lstm")


# -- the common contract of every generator -------------------------------------------------------
@pytest.mark.parametrize("case", sorted(SMALL))
def test_contract(case):
    data = SMALL[case](0)
    assert isinstance(data, SequenceDataset)
    X, Y, mask = data
    T, N, _ = X.shape
    assert len(data) == N == data.n_sequences and T == data.n_steps
    assert X.dtype == np.float64 and mask.dtype == np.float64
    assert mask.shape == (T, N) and set(np.unique(mask)) <= {0.0, 1.0}
    if data.loss == "cross_entropy":
        assert Y.shape == (T, N) and Y.dtype == np.int64
        assert 0 <= Y.min() and Y.max() < data.output_size
    else:
        assert Y.shape == (T, N, data.output_size) and Y.dtype == np.float64
    # every sequence has at least one scored step, and nothing is scored past its length
    assert np.all(mask.sum(axis=0) >= 1)
    if data.lengths is not None:
        assert data.lengths.shape == (N,) and data.lengths.dtype == np.int64
        assert data.lengths.min() >= 1 and data.lengths.max() == T
        past = np.arange(T)[:, None] >= data.lengths[None, :]  # (T, N)
        assert not mask[past].any()
        assert not X[past].any(), "inputs must be zero-padded past each length"
        assert not np.asarray(Y)[past].any()
    for key in data.per_sequence:
        assert len(data.info[key]) == N
    assert data.name and data.name in repr(data)


@pytest.mark.parametrize("case", sorted(SMALL))
def test_seed_reproducible_and_distinct(case):
    make = SMALL[case]
    assert_same(make(7), make(7))
    assert_same(make(7), make(make_rng(7)))
    a, b = make(7), make(8)
    assert not (a.inputs.shape == b.inputs.shape and np.array_equal(a.inputs, b.inputs)), (
        "different seeds should give different inputs"
    )


@pytest.mark.parametrize("case", sorted(SMALL))
def test_subset_and_split_keep_sequences_aligned(case):
    data = SMALL[case](1)
    N = len(data)
    idx = np.array([N - 1, 0])
    sub = data.subset(idx)
    np.testing.assert_array_equal(sub.inputs, data.inputs[:, idx])
    np.testing.assert_array_equal(sub.targets, data.targets[:, idx])
    np.testing.assert_array_equal(sub.mask, data.mask[:, idx])
    for key in data.per_sequence:
        for i, source in enumerate(idx):
            np.testing.assert_array_equal(sub.info[key][i], data.info[key][source])
    if N == 1:  # a single stream cannot be split across sequences
        return
    first, second = data.split(0.5, shuffle=True, seed=3)
    assert len(first) + len(second) == N
    again, _ = data.split(0.5, shuffle=True, seed=3)
    assert_same(first, again)


def test_info_per_sequence_follows_subset():
    data = tomita_dataset(5, 4)
    sub = data.subset(np.array([3, 1]))
    assert sub.info["strings"] == [data.info["strings"][3], data.info["strings"][1]]
    np.testing.assert_array_equal(sub.info["labels"], data.info["labels"][[3, 1]])
    assert sub.info["alphabet"] == data.info["alphabet"]  # shared, not indexed


# -- SequenceDataset itself -----------------------------------------------------------------------
def _toy(**overrides):
    kwargs = dict(
        inputs=np.zeros((4, 3, 2)),
        targets=np.zeros((4, 3, 1)),
        mask=np.ones((4, 3)),
        loss="mse",
        output_size=1,
    )
    kwargs.update(overrides)
    return SequenceDataset(**kwargs)


def test_dataset_unpacks_and_subsets():
    data = _toy(info={"ids": np.arange(3), "shared": "x"}, per_sequence=("ids",))
    X, Y, mask = data
    assert X is data.inputs and Y is data.targets and mask is data.mask
    assert (data.n_steps, data.n_sequences, data.input_size) == (4, 3, 2)
    np.testing.assert_array_equal(data.subset(slice(1, None)).info["ids"], [1, 2])
    np.testing.assert_array_equal(data.subset(np.array([False, True, True])).info["ids"], [1, 2])
    np.testing.assert_array_equal(data.subset([-1]).info["ids"], [2])
    first, second = data.split(2 / 3)
    np.testing.assert_array_equal(first.info["ids"], [0, 1])
    np.testing.assert_array_equal(second.info["ids"], [2])


@pytest.mark.parametrize(
    "overrides, error, match",
    [
        ({"loss": "hinge"}, ValueError, "loss must be one of"),
        ({"output_size": 0}, ValueError, "output_size"),
        ({"inputs": np.zeros((4, 3))}, ValueError, "inputs must be a 3-dimensional"),
        ({"mask": np.ones((4, 2))}, ValueError, "mask must have shape"),
        ({"mask": np.full((4, 3), 0.5)}, ValueError, "mask must hold only 0 and 1"),
        ({"targets": np.zeros((4, 3, 2))}, ValueError, "targets must have shape"),
        ({"targets": np.full((4, 3, 1), np.nan)}, ValueError, "targets must be finite"),
        ({"loss": "bce", "targets": np.full((4, 3, 1), 2.0)}, ValueError, r"\[0, 1\]"),
        ({"loss": "cross_entropy", "targets": np.zeros((4, 3))}, TypeError, "integer class"),
        (
            {"loss": "cross_entropy", "output_size": 2, "targets": np.full((4, 3), 2)},
            ValueError,
            "class indices",
        ),
        ({"lengths": np.array([4, 0, 2])}, ValueError, "lengths must lie in"),
        ({"lengths": np.array([4.0, 1.0, 2.0])}, ValueError, "lengths must be an integer"),
        ({"lengths": np.array([4, 1, 2])}, ValueError, "mask must be 0 past"),
        ({"per_sequence": ("ids",)}, ValueError, "per_sequence names 'ids'"),
        ({"info": {"ids": [1]}, "per_sequence": ("ids",)}, ValueError, "info\\['ids'\\]"),
    ],
)
def test_dataset_rejects_inconsistent_fields(overrides, error, match):
    with pytest.raises(error, match=match):
        _toy(**overrides)


def test_dataset_bad_subset_and_split():
    data = _toy()
    with pytest.raises(ValueError, match="indices must lie in"):
        data.subset([3])
    with pytest.raises(ValueError, match="at least one sequence"):
        data.subset([])
    with pytest.raises(TypeError, match="indices must be"):
        data.subset([0.5])
    with pytest.raises(ValueError, match="fraction must lie in"):
        data.split(1.0)
    with pytest.raises(ValueError, match="leaves one part empty"):
        data.split(0.1)
    with pytest.raises(ValueError, match="leaves one part empty"):
        temporal_xor(10, seed=0).split(0.5)


def test_one_hot_padding():
    np.testing.assert_array_equal(one_hot(np.array([[0, -1]]), 3), [[[1, 0, 0], [0, 0, 0]]])


# -- adding problem -------------------------------------------------------------------------------
def test_adding_structure():
    T = 11  # odd: the first half is [0, 5), the second [5, 11)
    data = adding_problem(500, T, seed=0)
    X, Y, mask = data
    values, markers = X[:, :, 0], X[:, :, 1]
    assert values.min() >= 0 and values.max() < 1
    np.testing.assert_array_equal(markers[: T // 2].sum(axis=0), 1)
    np.testing.assert_array_equal(markers[T // 2 :].sum(axis=0), 1)
    first, second = data.info["positions"].T
    assert first.max() < T // 2 <= second.min() and second.max() == T - 1 and first.min() == 0
    np.testing.assert_allclose(Y[-1, :, 0], (values * markers).sum(axis=0))
    assert not Y[:-1].any()
    np.testing.assert_array_equal(mask[-1], 1)
    assert mask[:-1].sum() == 0


def test_adding_mean_predictor_mse_is_one_sixth():
    # The mean predictor's MSE is Var(U1 + U2) = 2/12 = 1/6. Its squared error has variance
    # E[(S-1)^4] - (1/6)^2 = 1/15 - 1/36 = 7/180, so with N = 20000 the standard error of the
    # empirical MSE is sqrt(7/180 / 20000) ~ 0.0014; we allow 5 standard errors.
    X, Y, mask = data = adding_problem(20000, 20, seed=1)
    prediction = np.ones_like(Y)
    mse = float(((prediction - Y) ** 2)[..., 0][mask == 1].mean())
    assert data.info["baseline_mse"] == pytest.approx(1 / 6)
    assert abs(mse - 1 / 6) < 5 * math.sqrt(7 / 180 / 20000)


# -- copy-memory task -----------------------------------------------------------------------------
def test_copy_structure():
    K, L, D = 5, 4, 7
    data = copy_task(50, n_symbols=K, sequence_length=L, delay=D, seed=2)
    X, Y, mask = data
    T = 2 * L + D
    assert X.shape == (T, 50, K + 2) and data.output_size == K + 1
    np.testing.assert_array_equal(X.sum(axis=-1), 1)  # one-hot everywhere
    codes = X.argmax(-1)
    symbols = data.info["symbols"]
    np.testing.assert_array_equal(codes[:L].T, symbols)
    assert symbols.min() >= 1 and symbols.max() <= K
    assert np.all(codes[L : L + D - 1] == 0)
    assert np.all(codes[L + D - 1] == K + 1)  # the delimiter
    assert np.all(codes[L + D :] == 0)
    np.testing.assert_array_equal(Y[L + D :].T, symbols)
    assert not Y[: L + D].any()
    assert data.info["recall_start"] == L + D
    np.testing.assert_array_equal(mask.sum(axis=0), L)
    assert not mask[: L + D].any()


@pytest.mark.parametrize("mask_all_steps", [False, True])
def test_copy_memoryless_baseline(mask_all_steps):
    # The best memoryless model: blank with probability 1 before recall (known from the
    # position), uniform over the K data symbols during recall.
    K, L, D = 8, 10, 20
    data = copy_task(40, K, L, D, seed=3, mask_all_steps=mask_all_steps)
    X, Y, mask = data
    probs = np.zeros(Y.shape + (K + 1,))
    probs[: L + D, :, 0] = 1.0
    probs[L + D :, :, 1:] = 1.0 / K
    nll = -np.log(np.take_along_axis(probs, Y[..., None], axis=-1)[..., 0])
    ce = float((nll * mask).sum() / mask.sum())
    expected = L * math.log(K) / (2 * L + D) if mask_all_steps else math.log(K)
    assert ce == pytest.approx(expected)
    assert data.info["baseline_cross_entropy"] == pytest.approx(expected)


# -- temporal XOR ---------------------------------------------------------------------------------
def test_temporal_xor_every_third_bit_is_xor():
    data = temporal_xor(3000, seed=4, n_streams=2)
    X, Y, mask = data
    z = data.info["stream"]  # (N, T + 1)
    assert z.shape == (2, 3001)
    np.testing.assert_array_equal(z[:, 2::3], z[:, 0:-1:3] ^ z[:, 1::3])
    np.testing.assert_array_equal(X[:, :, 0].T, z[:, :-1])
    np.testing.assert_array_equal(Y[:, :, 0].T, z[:, 1:])
    np.testing.assert_array_equal(mask, 1)
    pred = data.info["predictable"]
    np.testing.assert_array_equal(np.flatnonzero(pred), np.arange(1, 3000, 3))
    x = X[:, :, 0].astype(int)
    t = np.flatnonzero(pred)
    np.testing.assert_array_equal(Y[t, :, 0], x[t] ^ x[t - 1])
    # the other targets are fair coin flips: close to half ones (1998 * 2 bits, sd ~ 0.008)
    assert abs(Y[~pred].mean() - 0.5) < 0.04
    # Elman used 3000 bits = 1000 triples
    assert temporal_xor(seed=0).inputs.shape == (3000, 1, 1)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_temporal_xor_optimal_loss(loss):
    data = temporal_xor(301, seed=5, loss=loss)
    X, Y, _ = data
    x = X[:, 0, 0]
    p = np.full(len(x), 0.5)  # the perfect predictor
    t = np.flatnonzero(data.info["predictable"])
    p[t] = np.logical_xor(x[t], x[t - 1])
    y = Y[:, 0, 0]
    if loss == "bce":
        eps = 1e-300
        per_step = -(y * np.log(np.maximum(p, eps)) + (1 - y) * np.log(np.maximum(1 - p, eps)))
    else:
        per_step = (p - y) ** 2
    assert data.info["optimal_loss"] == pytest.approx(per_step.mean())


# -- parity ---------------------------------------------------------------------------------------
def test_parity_fixed_length():
    X, Y, mask = data = parity(200, 9, seed=6)
    labels = X[:, :, 0].sum(axis=0).astype(int) % 2
    np.testing.assert_array_equal(data.info["labels"], labels)
    np.testing.assert_array_equal(Y[-1], labels)
    assert data.lengths is None and not Y[:-1].any()
    np.testing.assert_array_equal(mask[-1], 1)
    assert mask.sum() == 200
    assert 0.35 < labels.mean() < 0.65


def test_parity_variable_length_targets_at_own_last_step():
    data = parity(300, 12, seed=7, variable_length=True, min_length=3)
    X, Y, mask = data
    lengths = data.lengths
    assert lengths.min() == 3 and lengths.max() == 12
    cols = np.arange(300)
    np.testing.assert_array_equal(mask[lengths - 1, cols], 1)
    assert mask.sum() == 300
    np.testing.assert_array_equal(Y[lengths - 1, cols], X[:, :, 0].sum(axis=0).astype(int) % 2)


# -- two-sided sum --------------------------------------------------------------------------------
@pytest.mark.parametrize("variable", [False, True])
def test_two_sided_sum_labels_from_both_sides(variable):
    d = 3
    data = two_sided_sum(200, 15, offset=d, seed=9, variable_length=variable)
    X, Y, mask = data
    T, N = mask.shape
    ends = np.full(N, T) if data.lengths is None else data.lengths
    if variable:
        assert ends.min() == 2 * d + 1 and ends.max() == T
    for n in range(N):  # the definition, written out step by step
        x = X[: ends[n], n, 0].astype(int)
        for t in range(T):
            scored = d <= t < ends[n] - d
            assert mask[t, n] == scored
            assert Y[t, n] == (x[t - d] + x[t + d] if scored else 0)


def test_two_sided_sum_one_side_is_a_coin_toss():
    """Seeing one side (every bit up to t, or every bit from t on) leaves the other bit a fair
    coin: the best guess from either side scores about 1/2, from both sides exactly 1."""
    d = 2
    data = two_sided_sum(4000, 12, offset=d, seed=10)
    X, Y, mask = data
    bits = X[:, :, 0].astype(int)
    sel = mask.astype(bool)[d:-d]  # (T - 2d, N)
    y = Y[d:-d][sel]
    before, after = bits[: -2 * d][sel], bits[2 * d :][sel]
    np.testing.assert_array_equal(y, before + after)
    for seen in (before, after):  # best guess from one bit: the label's most frequent value
        best = sum(max(np.sum(y[seen == b] == k) for k in range(3)) for b in (0, 1))
        assert best / y.size == pytest.approx(data.info["one_sided_accuracy"], abs=0.01)


# -- frequency classification ---------------------------------------------------------------------
def test_frequency_bands_and_separability():
    K, T = 4, 64
    data = frequency_classification(400, T, n_classes=K, seed=8)
    X, Y, mask = data
    labels, f = data.info["labels"], data.info["frequencies"]
    edges = data.info["band_edges"]
    w = edges[1] - edges[0]
    assert np.all(f >= edges[labels] + w / 4) and np.all(f <= edges[labels + 1] - w / 4)
    np.testing.assert_array_equal(Y[-1], labels)
    np.testing.assert_array_equal(mask[-1], 1)
    assert mask.sum() == 400
    assert set(np.unique(labels)) == set(range(K))
    # noiseless signal check: the input is sin(2 pi f t + phase) plus noise of std 0.1
    t = np.arange(T)[:, None]
    clean = np.sin(2 * np.pi * f * t + data.info["phases"])
    assert 0.08 < np.std(X[:, :, 0] - clean) < 0.12
    # Well posed: a periodogram-peak classifier (no learning) recovers almost every label.
    n_fft = 4096
    spectrum = np.abs(np.fft.rfft(X[:, :, 0] - X[:, :, 0].mean(axis=0), n=n_fft, axis=0))
    f_hat = np.fft.rfftfreq(n_fft)[spectrum.argmax(axis=0)]
    predicted = np.clip(np.searchsorted(edges, f_hat) - 1, 0, K - 1)
    assert (predicted == labels).mean() > 0.95


# -- Tomita grammars ------------------------------------------------------------------------------
# Independent regular expressions for each grammar (fullmatch unless noted).
TOMITA_REGEX = {
    1: r"1*",
    2: r"(10)*",
    4: r"(1|01|001)*(0|00)?",
    5: r"(00|11|(01|10)(00|11)*(01|10))*",
    # from the 3-state DFA on (#0 - #1) mod 3: leave state 0 by 0 (to 1) or 1 (to 2) and return
    6: r"(0(01)*(1|00)|1(10)*(0|11))*",
    7: r"0*1*0*1*",
}
# Grammar 3 by search: an odd maximal block of 1s followed (anywhere later) by an odd maximal
# block of 0s means reject.
TOMITA3_REJECT = re.compile(r"(?<!1)1(?:11)*(?!1).*(?<!0)0(?:00)*(?!0)")


def _regex_accepts(grammar: int, s: str) -> bool:
    if grammar == 3:
        return TOMITA3_REJECT.search(s) is None
    return re.fullmatch(TOMITA_REGEX[grammar], s) is not None


@pytest.mark.parametrize("grammar", range(1, 8))
def test_tomita_oracle_matches_regex_up_to_length_10(grammar):
    strings = all_strings(10)
    assert len(strings) == 2**11 - 1
    expected = [_regex_accepts(grammar, s) for s in strings]
    np.testing.assert_array_equal(tomita_labels(grammar, strings), expected)


def _dfa_accepts(transitions, accepting, s):
    q = 0
    for c in s:
        q = transitions[q, int(c)]
    return bool(accepting[q])


@pytest.mark.parametrize(
    "grammar, n_states", [(1, 2), (2, 3), (3, 5), (4, 4), (5, 4), (6, 3), (7, 5)]
)
def test_tomita_dfa_is_the_minimal_automaton(grammar, n_states):
    transitions, accepting = tomita_dfa(grammar)
    assert transitions.shape == (n_states, 2) and accepting.shape == (n_states,)
    strings = all_strings(11)
    assert all(
        _dfa_accepts(transitions, accepting, s) == tomita_accepts(grammar, s) for s in strings
    )
    # Myhill-Nerode: prefixes with distinct accept patterns over all suffixes need distinct
    # states, so the number of distinct rows is a lower bound on any DFA's size.
    suffixes = all_strings(5)
    rows = {tuple(tomita_accepts(grammar, p + x) for x in suffixes) for p in all_strings(6)}
    assert len(rows) == n_states


def test_tomita_known_counts():
    # Accepted strings per length n, from closed forms derived independently of the oracles.
    def count(g, n):
        return sum(tomita_accepts(g, s) for s in all_strings(n, n))

    trib = [1, 2, 4]
    for _ in range(20):
        trib.append(trib[-1] + trib[-2] + trib[-3])
    for n in range(13):
        assert count(1, n) == 1
        assert count(2, n) == (n % 2 == 0)
        assert count(4, n) == trib[n]  # no 000: tribonacci
        assert count(5, n) == (1 if n == 0 else (2 ** (n - 1) if n % 2 == 0 else 0))
        # k ones: #0 - #1 = n - 2k must be a multiple of 3
        assert count(6, n) == sum(math.comb(n, k) for k in range(n + 1) if (n - 2 * k) % 3 == 0)
        # 0*1*0*1*: at most 3 block changes starting with 0, at most 2 starting with 1
        seven = (
            1
            if n == 0
            else sum(math.comb(n - 1, j) for j in range(4))
            + sum(math.comb(n - 1, j) for j in range(3))
        )
        assert count(7, n) == seven
    # grammar 3, counted by hand for n <= 3 (rejects 10, 010, 101)
    assert [count(3, n) for n in range(4)] == [1, 2, 3, 6]


# Tomita's (1982) training sets, as reproduced by Pollack (1991, "The induction of dynamical
# recognizers", Machine Learning 7:227-252): every positive example is accepted and every
# negative rejected. Transcribed from memory, not from a copy of the paper at hand; the lists
# are self-consistent with the definitions, and the two long negatives of grammar 3 are what
# rule out the "immediately after" reading of its definition.
TOMITA_EXAMPLES = {
    1: (
        ["", "1", "11", "111", "1111", "11111", "111111", "1111111", "11111111"],
        ["0", "10", "01", "00", "011", "110", "000", "11111110", "10111111"],
    ),
    2: (
        ["", "10", "1010", "101010", "10101010", "10101010101010"],
        ["1", "0", "11", "00", "01", "101", "100", "1001010", "10110", "110101010"],
    ),
    3: (
        [
            "1",
            "0",
            "01",
            "11",
            "00",
            "100",
            "110",
            "111",
            "000",
            "100100",
            "110000011100001",
            "111101100010011100",
        ],
        [
            "10",
            "101",
            "010",
            "1010",
            "1110",
            "1011",
            "10001",
            "111010",
            "1001000",
            "11111000",
            "0111001101",
            "11011100110",
        ],
    ),
    4: (
        ["", "1", "0", "10", "01", "00", "100100", "001111110100", "0100100100", "11100", "010"],
        [
            "000",
            "11000",
            "0001",
            "000000000",
            "00000",
            "0000",
            "11111000011",
            "1101010000010111",
            "1010010001",
        ],
    ),
    5: (
        [
            "",
            "11",
            "00",
            "1001",
            "0101",
            "1010",
            "1000111101",
            "1001100001111010",
            "111111",
            "0000",
        ],
        [
            "1",
            "0",
            "111",
            "010",
            "000000000",
            "1000",
            "01",
            "10",
            "1110010100",
            "010111111110",
            "0001",
            "011",
        ],
    ),
    6: (
        ["", "10", "01", "1100", "101010", "111", "000000", "10111", "0111101111", "100100100"],
        [
            "1",
            "0",
            "11",
            "00",
            "101",
            "011",
            "11001",
            "1111",
            "00000000",
            "010111",
            "101111011111",
            "1001001001",
        ],
    ),
    7: (
        [
            "",
            "1",
            "0",
            "10",
            "01",
            "11111",
            "000",
            "00110011",
            "0101",
            "0000100001111",
            "00100",
            "011111011111",
            "00",
        ],
        [
            "1010",
            "00110011000",
            "0101010101",
            "1011010",
            "10101",
            "010100",
            "101001",
            "100100110101",
        ],
    ),
}


@pytest.mark.parametrize("grammar", range(1, 8))
def test_tomita_training_examples(grammar):
    positives, negatives = TOMITA_EXAMPLES[grammar]
    assert all(tomita_accepts(grammar, s) for s in positives)
    assert not any(tomita_accepts(grammar, s) for s in negatives)


def test_tomita3_reading_is_anywhere_after():
    # "immediately after" would accept 100110 (odd 1-block, even 0s, even 1s, odd 0-block)
    assert not tomita_accepts(3, "100110")
    assert tomita_accepts(3, "1100110") and tomita_accepts(3, "100")


def _decode(data, j):
    alphabet = data.info["alphabet"]
    steps = data.inputs[: data.lengths[j], j]
    assert np.all(steps.sum(axis=-1) == 1)
    return [alphabet[i] for i in steps.argmax(-1)]


def test_tomita_dataset_enumerates_and_encodes():
    data = tomita_dataset(7, 5)
    strings = data.info["strings"]
    assert strings == all_strings(5) and len(data) == 63
    assert data.inputs.shape == (6, 63, 3) and data.loss == "bce" and data.output_size == 1
    np.testing.assert_array_equal(data.info["labels"], tomita_labels(7, strings))
    for j, s in enumerate(strings):
        assert _decode(data, j) == list(s) + ["</s>"]
        last = len(s)
        assert data.mask[last, j] == 1 and data.mask[:, j].sum() == 1
        assert data.targets[last, j, 0] == tomita_accepts(7, s)
    # the empty string: a single end-symbol step, labelled accept
    assert strings[0] == "" and data.lengths[0] == 1 and data.targets[0, 0, 0] == 1.0


def test_tomita_dataset_start_symbol_and_cross_entropy():
    data = tomita_dataset(
        1, 3, min_length=1, loss="cross_entropy", start_symbol=True, end_symbol=False
    )
    assert data.info["alphabet"] == ["0", "1", "<s>"] and data.output_size == 2
    for j, s in enumerate(data.info["strings"]):
        assert _decode(data, j) == ["<s>"] + list(s)
        assert data.targets[len(s), j] == int(set(s) == {"1"})
    with pytest.raises(ValueError, match="min_length must be >= 1 without start_symbol"):
        tomita_dataset(1, 3, end_symbol=False)


def test_tomita_balanced_sampling_is_balanced_and_uniform():
    data = tomita_dataset(2, 12, seed=9, n_sequences=101, balanced=True)
    labels = data.info["labels"]
    assert labels.sum() == 51
    # accepted strings of grammar 2 only have even lengths
    assert all(len(s) % 2 == 0 for s, y in zip(data.info["strings"], labels, strict=True) if y)
    # uniform among the 13 accepted strings of length 4 of grammar 4 (no 000)
    data = tomita_dataset(4, 4, seed=10, min_length=4, n_sequences=2 * 6500, balanced=True)
    counts = Counter(s for s, y in zip(data.info["strings"], data.info["labels"], strict=True) if y)
    assert len(counts) == 13
    # each expected 500 times; binomial sd ~ 21.5, allow ~5 sd
    assert max(abs(c - 500) for c in counts.values()) < 110


# -- a^n b^n --------------------------------------------------------------------------------------
def _allowed_next(prefix: str, language: list[str]) -> set[str]:
    return {w[len(prefix)] for w in language if w.startswith(prefix) and len(w) > len(prefix)}


@pytest.mark.parametrize("n_letters, n_min", [(2, 1), (2, 0), (2, 3), (3, 1), (3, 0)])
def test_anbn_targets_are_the_possible_next_symbols(n_letters, n_min):
    n_max = 5
    data = anbn(n_max, n_min=n_min, n_letters=n_letters)
    letters = "abc"[:n_letters]
    # brute force: the language (longer n too, so 'a' stays possible after a^n_max), ending in T
    language = ["".join(c * n for c in letters) + "T" for n in range(n_min, n_max + 3)]
    outputs = data.info["output_alphabet"]
    assert outputs == list(letters) + ["T"] and data.info["input_alphabet"] == ["S"] + list(letters)
    np.testing.assert_array_equal(data.info["n"], np.arange(n_min, n_max + 1))
    for j, n in enumerate(data.info["n"]):
        word = "".join(c * n for c in letters)
        assert data.lengths[j] == 1 + len(word)
        decoded = [
            data.info["input_alphabet"][i] for i in data.inputs[: data.lengths[j], j].argmax(-1)
        ]
        assert decoded == ["S"] + list(word)
        for t in range(len(word) + 1):
            expected = _allowed_next(word[:t], language)
            got = {outputs[i] for i in np.flatnonzero(data.targets[t, j])}
            assert got == expected, (n, t)
        np.testing.assert_array_equal(data.mask[:, j], np.arange(data.n_steps) < data.lengths[j])


# -- Dyck -----------------------------------------------------------------------------------------
def _reduce(s: str) -> str:
    while True:
        shorter = s
        for pair in ("()", "[]"):
            shorter = shorter.replace(pair, "")
        if shorter == s:
            return s
        s = shorter


def test_dyck_oracle_matches_pair_reduction():
    for n in range(7):
        for chars in itertools.product("()[]", repeat=n):
            s = "".join(chars)
            assert dyck_accepts(s) == (_reduce(s) == ""), s


def test_dyck_recognition_balanced_labels_and_hard_negatives():
    data = dyck(400, 16, seed=11, n_types=2)
    strings, labels = data.info["strings"], data.info["labels"]
    assert labels.sum() == 200
    np.testing.assert_array_equal(labels, [dyck_accepts(s) for s in strings])
    for s in strings:
        # negatives are swapped words: same length parity and the same symbol counts
        assert len(s) % 2 == 0 and s.count("(") == s.count(")") and s.count("[") == s.count("]")
    np.testing.assert_array_equal(data.lengths, [len(s) for s in strings])
    cols = np.arange(len(data))
    np.testing.assert_array_equal(data.targets[data.lengths - 1, cols, 0], labels)
    assert data.mask.sum() == len(data)


def test_dyck_words_are_uniform():
    # the 5 Dyck-1 words of length 6, each expected 1000 times (sd ~ 28)
    data = dyck(5000, 6, seed=12, min_length=6, task="next_symbol")
    counts = Counter(data.info["strings"])
    assert set(counts) == {"((()))", "(()())", "(())()", "()(())", "()()()"}
    assert max(abs(c - 1000) for c in counts.values()) < 150


def test_dyck_next_symbol_targets():
    data = dyck(30, 12, seed=13, n_types=2, task="next_symbol")
    outputs = data.info["output_alphabet"]
    assert outputs == ["(", "[", ")", "]", "end"]
    for j, s in enumerate(data.info["strings"]):
        assert dyck_accepts(s)
        for t in range(len(s)):
            prefix = s[: t + 1]
            # c may follow iff prefix + c still reduces to opening brackets only
            expected = {c for c in "([)]" if set(_reduce(prefix + c)) <= set("([")}
            if _reduce(prefix) == "":
                expected.add("end")
            assert {outputs[i] for i in np.flatnonzero(data.targets[t, j])} == expected


# -- argument validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: adding_problem(0, 10), ValueError, "n_sequences"),
        (lambda: adding_problem(3, 1), ValueError, "length must be an integer >= 2"),
        (lambda: adding_problem(3.0, 10), TypeError, "n_sequences"),
        (lambda: adding_problem(3, 10, seed="a"), TypeError, "seed"),
        (lambda: copy_task(3, n_symbols=1), ValueError, "n_symbols"),
        (lambda: copy_task(3, delay=0), ValueError, "delay"),
        (lambda: copy_task(3, sequence_length=0), ValueError, "sequence_length"),
        (lambda: copy_task(3, mask_all_steps=1), TypeError, "mask_all_steps"),
        (lambda: temporal_xor(0), ValueError, "n_bits"),
        (lambda: temporal_xor(10, n_streams=0), ValueError, "n_streams"),
        (lambda: temporal_xor(10, loss="cross_entropy"), ValueError, "loss must be one of"),
        (lambda: parity(3, 0), ValueError, "length"),
        (lambda: parity(3, 5, variable_length=True, min_length=6), ValueError, "min_length"),
        (lambda: parity(3, 5, variable_length="yes"), TypeError, "variable_length"),
        (lambda: two_sided_sum(3, 4, offset=2), ValueError, "length must be >= 2 . offset"),
        (lambda: two_sided_sum(3, 9, offset=0), ValueError, "offset"),
        (lambda: two_sided_sum(3, 9, offset=2, min_length=4), ValueError, "min_length"),
        (lambda: two_sided_sum(3, 9, variable_length=1), TypeError, "variable_length"),
        (lambda: frequency_classification(3, 10, n_classes=1), ValueError, "n_classes"),
        (lambda: frequency_classification(3, 10, noise=-0.1), ValueError, "noise"),
        (
            lambda: frequency_classification(3, 10, frequency_range=(0.3, 0.2)),
            ValueError,
            "low < high",
        ),
        (
            lambda: frequency_classification(3, 10, frequency_range=(0.1, 0.7)),
            ValueError,
            r"frequency_range\[1\]",
        ),
        (
            lambda: frequency_classification(3, 10, frequency_range=0.2),
            TypeError,
            "frequency_range",
        ),
        (lambda: tomita_accepts(0, "1"), ValueError, "grammar must be an integer in 1..7"),
        (lambda: tomita_accepts(8, "1"), ValueError, "grammar"),
        (lambda: tomita_accepts("3", "1"), TypeError, "grammar"),
        (lambda: tomita_accepts(True, "1"), TypeError, "grammar"),
        (lambda: tomita_accepts(3, "012"), ValueError, "s must contain only"),
        (lambda: tomita_accepts(3, 101), TypeError, "s must be a str"),
        (lambda: tomita_labels(3, ["1", "a"]), ValueError, "s must contain only"),
        (lambda: all_strings(-1), ValueError, "max_length"),
        (lambda: all_strings(2, 3), ValueError, "min_length"),
        (lambda: tomita_dataset(3, 17), ValueError, "max_length must be <= 16"),
        (
            lambda: tomita_dataset(3, 5, balanced=True),
            ValueError,
            "balanced=True needs n_sequences",
        ),
        (lambda: tomita_dataset(3, 5, loss="mse"), ValueError, "loss must be one of"),
        (lambda: tomita_dataset(3, 5, min_length=6), ValueError, "min_length"),
        (lambda: tomita_dataset(3, 5, n_sequences=0), ValueError, "n_sequences"),
        (
            lambda: tomita_dataset(2, 1, min_length=1, n_sequences=4, balanced=True),
            ValueError,
            "no accepted strings",
        ),
        (lambda: anbn(0), ValueError, "n_max"),
        (lambda: anbn(3, n_min=4), ValueError, "n_min"),
        (lambda: anbn(3, n_letters=4), ValueError, "n_letters"),
        (lambda: anbn(3, n_sequences=0), ValueError, "n_sequences"),
        (lambda: dyck(3, 1), ValueError, "max_length"),
        (lambda: dyck(3, 7, min_length=7), ValueError, "no even length"),
        (lambda: dyck(3, 6, n_types=5), ValueError, "n_types"),
        (lambda: dyck(3, 6, task="parse"), ValueError, "task must be one of"),
        (
            lambda: dyck(3, 6, task="next_symbol", loss="cross_entropy"),
            ValueError,
            "loss must be 'bce'",
        ),
        (lambda: dyck_accepts("(a)"), ValueError, "s must contain only"),
    ],
)
def test_bad_arguments_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
