"""The pushdown memories' tasks, checked against definitions written out again here.

References: Grefenstette et al. (2015, NIPS), section 4 (copy, reversal and bigram flipping,
``source ||| target`` sequences; coarse accuracy = the fraction of sequences entirely right,
fine accuracy = the fraction of each target right before the first error); Joulin & Mikolov
(2015, NIPS), section 4.1 (a^n b^n c^n ..., a^n b^m c^(n+m); an ``n`` is right when the
deterministic part of its string is predicted right); Sun et al. (1993, UMIACS-TR-93-77)
(Dyck-1, a^n b^n, w c w^R as labelled strings). Every membership test below is written
independently of ``recurrent_zoo.tasks`` (a counter, a bracket stack, a regular expression).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from recurrent_zoo.tasks import (
    anbmcnm,
    anbn,
    cfl_dataset,
    cfl_strings,
    deterministic_accuracy,
    deterministic_correct,
    next_symbol_distributions,
    transduction,
    transduction_accuracy,
)


def _dyck(s: str, pairs: dict[str, str]) -> bool:
    stack: list[str] = []
    for c in s:
        if c in pairs:
            stack.append(pairs[c])
        elif not stack or stack.pop() != c:
            return False
    return not stack and len(s) > 0


def _member(language: str, s: str) -> bool:
    if language == "dyck1":
        return _dyck(s, {"(": ")"})
    if language == "dyck2":
        return _dyck(s, {"(": ")", "[": "]"})
    if language == "anbn":
        m = re.fullmatch(r"(a+)(b+)", s)
        return bool(m) and len(m.group(1)) == len(m.group(2))
    assert language == "wcwr"
    m = re.fullmatch(r"([ab]*)c([ab]*)", s)
    return bool(m) and m.group(2) == m.group(1)[::-1]


# ----------------------------------------------------------------------------- transduction


def _expected_target(task: str, src: list[int]) -> list[int]:
    if task == "copy":
        return list(src)
    if task == "reversal":
        return list(reversed(src))
    out = []
    for i in range(0, len(src), 2):
        out += [src[i + 1], src[i]]
    return out


@pytest.mark.parametrize("task", ["copy", "reversal", "bigram_flip"])
def test_transduction_sequences_follow_the_definition(task):
    V = 6
    data = transduction(task, 20, 3, 9, seed=4, vocab_size=V)
    for j in range(20):
        n = int(data.info["n"][j])
        src = data.info["source"][j].tolist()
        tgt = _expected_target(task, src)
        assert len(src) == n and 3 <= n <= 9 and all(0 <= a < V for a in src)
        if task == "bigram_flip":
            assert n % 2 == 0
        assert data.lengths[j] == 2 * n + 1
        # inputs: source, separator V, then the target fed back one step behind
        fed = data.inputs[: 2 * n + 1, j].argmax(-1).tolist()
        assert fed == src + [V] + tgt
        assert not data.inputs[2 * n + 1 :, j].any()  # padding is all zeros
        # predictions: b_1 .. b_n at the separator and after it, then </s> (class V)
        assert data.targets[n : 2 * n + 1, j].tolist() == tgt + [V]
        assert data.mask[:, j].tolist() == [0.0] * n + [1.0] * (n + 1) + [0.0] * (
            data.mask.shape[0] - 2 * n - 1
        )


@pytest.mark.parametrize("task", ["copy", "reversal", "bigram_flip"])
def test_transduction_separate_target_inputs_mark_the_phase(task):
    V = 5
    shared = transduction(task, 12, 2, 8, seed=3, vocab_size=V)
    sep = transduction(task, 12, 2, 8, seed=3, vocab_size=V, target_inputs="separate")
    # the same sequences, targets and mask; only the fed-back target symbols move
    assert sep.inputs.shape == shared.inputs.shape[:2] + (2 * V + 1,)
    np.testing.assert_array_equal(sep.targets, shared.targets)
    np.testing.assert_array_equal(sep.mask, shared.mask)
    np.testing.assert_array_equal(sep.lengths, shared.lengths)
    for j in range(12):
        n = int(sep.info["n"][j])
        src, tgt = sep.info["source"][j].tolist(), sep.info["target"][j].tolist()
        fed = sep.inputs[: 2 * n + 1, j].argmax(-1).tolist()
        assert fed == src + [V] + [V + 1 + b for b in tgt]
        assert sep.inputs[: 2 * n + 1, j].sum() == 2 * n + 1  # one-hot on every step
        assert not sep.inputs[2 * n + 1 :, j].any()
    with pytest.raises(ValueError, match="target_inputs"):
        transduction(task, 2, 2, 4, vocab_size=V, target_inputs="split")


def test_transduction_accuracy_counts_up_to_the_first_error():
    data = transduction("reversal", 3, 5, 5, seed=0, vocab_size=4)
    n = 5
    scores = np.eye(5)[data.targets]  # (T, N, V + 1) perfect one-hot scores
    assert transduction_accuracy(scores, data) == {"coarse": 1.0, "fine": 1.0}
    wrong = scores.copy()
    # outside the target phase nothing is scored
    wrong[0, :] = np.eye(5)[(data.targets[0, :] + 1) % 5]
    assert transduction_accuracy(wrong, data) == {"coarse": 1.0, "fine": 1.0}
    # sequence 1: its 3rd prediction wrong (2 of 6 right before it), and a later one too
    for t in (n + 2, n + 4):
        wrong[t, 1] = np.eye(5)[(data.targets[t, 1] + 1) % 5]
    # sequence 2: only the end symbol wrong (5 of 6 right)
    wrong[2 * n, 2] = np.eye(5)[(data.targets[2 * n, 2] + 1) % 5]
    result = transduction_accuracy(wrong, data)
    assert result["coarse"] == pytest.approx(1 / 3)
    assert result["fine"] == pytest.approx((1 + 2 / 6 + 5 / 6) / 3)


# ----------------------------------------------------------------------------- acceptors


@pytest.mark.parametrize("language", ["dyck1", "dyck2", "anbn", "wcwr"])
def test_cfl_strings_are_labelled_by_the_language(language):
    strings, labels = cfl_strings(language, 400, 14, seed=1, min_length=2)
    assert labels.tolist() == [int(_member(language, s)) for s in strings]
    assert labels.sum() == 200  # positive_fraction 0.5
    assert all(2 <= len(s) <= 14 for s in strings)
    # near misses: some negatives share their length with positives and have the same symbols
    pos_lengths = {len(s) for s, y in zip(strings, labels, strict=True) if y}
    hard = [s for s, y in zip(strings, labels, strict=True) if not y and len(s) in pos_lengths]
    assert len(hard) > 40
    again, _ = cfl_strings(language, 400, 14, seed=1, min_length=2)
    assert again == strings


@pytest.mark.parametrize("language", ["dyck1", "anbn", "wcwr"])
def test_cfl_dataset_prefix_labels(language):
    alphabet = {"dyck1": "()", "anbn": "ab", "wcwr": "abc"}[language]
    strings = ["".join(p) for k in (3, 5) for p in itertools.product(alphabet, repeat=k)]
    data = cfl_dataset(language, None, 5, strings=strings, prefixes=True)
    last = cfl_dataset(language, None, 5, strings=strings)
    T = data.targets.shape[0]
    for j, s in enumerate(strings):
        expect = [float(_member(language, s[: t + 1])) for t in range(len(s))]
        assert data.targets[: len(s), j, 0].tolist() == expect
        assert data.mask[:, j].tolist() == [1.0] * len(s) + [0.0] * (T - len(s))
        # one label per string otherwise: the same one, at the last step only
        assert last.mask[:, j].sum() == 1.0 and last.mask[len(s) - 1, j] == 1.0
        assert last.targets[len(s) - 1, j, 0] == expect[-1]
    np.testing.assert_array_equal(data.inputs, last.inputs)


# ----------------------------------------------------------------------------- counting


def test_anbmcnm_and_its_deterministic_part():
    data = anbmcnm(4)
    pairs = list(zip(data.info["n"].tolist(), data.info["m"].tolist(), strict=True))
    # every split (a, m) of every total 2..4, the total as "n"
    assert pairs == [(2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (4, 3)]
    j = pairs.index((4, 2))  # S a a b b c c c c: a = 2, m = 2
    assert data.inputs[:, j].argmax(-1).tolist() == [0, 1, 1, 2, 2, 3, 3, 3, 3]
    # next-symbol sets over a, b, c, T
    sets = [tuple(np.flatnonzero(row)) for row in data.targets[:9, j]]
    assert sets == [(0,), (0, 1), (0, 1), (1, 2), (1, 2), (2,), (2,), (2,), (3,)]
    dist = next_symbol_distributions(data)[:9, j]
    np.testing.assert_allclose(dist.sum(-1), 1.0)
    np.testing.assert_allclose(dist[1], [0.5, 0.5, 0, 0])
    # a wrong guess on an uncertain step does not count, one on the deterministic part does
    guess = data.targets.copy()
    guess[3, j] = [0, 0, 0, 1]  # after "a a b": b or c; any guess is allowed
    guess[4, j] = [0, 0, 1, 0]  # after "a a b b", the last uncertain step: c, not the first (b)
    assert deterministic_correct(guess, data).all()
    guess[6, j] = [0, 1, 0, 0]  # after "a a b b c c": c is certain
    assert deterministic_correct(guess, data).tolist() == [k != j for k in range(6)]
    assert deterministic_accuracy(guess, data) == pytest.approx(2 / 3)  # totals 2, 3 right


def test_anb2n_repeats_and_the_score_by_n():
    data = anbn(3, repeats=(1, 2))
    for j, n in enumerate(data.info["n"].tolist()):
        s = "".join("Sab"[k] for k in data.inputs[: data.lengths[j], j].argmax(-1))
        assert s == "S" + "a" * n + "b" * (2 * n)
        # the last b predicts T; every step after the first b has one certain successor
        assert data.targets[data.lengths[j] - 1, j].tolist() == [0, 0, 1]
        assert (data.targets[n + 1 : data.lengths[j], j].sum(-1) == 1).all()
    guess = data.targets.copy()
    guess[data.lengths[2] - 1, 2] = [0, 1, 0]  # n = 3 misses the end
    assert deterministic_accuracy(guess, data) == pytest.approx(2 / 3)
