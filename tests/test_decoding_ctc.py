"""CTC decoding: best path and prefix beam search, against exhaustive searches over all
alignments (every path of C^T) on tiny cases, and against the CTC loss's own probabilities."""

import itertools

import numpy as np
import pytest

from recurrent_zoo.decoding import ctc_beam_search, ctc_greedy_decode
from recurrent_zoo.training import ctc_loss


def collapse(path, blank=0):
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def exhaustive(probs, blank=0):
    """p(l|x) of every labelling, summing every path: {labelling: probability}; and the best
    single path."""
    T, C = probs.shape
    totals = {}
    best_path, best_p = None, -1.0
    for path in itertools.product(range(C), repeat=T):
        p = float(np.prod(probs[np.arange(T), path]))
        l = collapse(path, blank)
        totals[l] = totals.get(l, 0.0) + p
        if p > best_p:
            best_path, best_p = path, p
    return totals, best_path


def random_probs(rng, T, C, sharp=1.0):
    logits = rng.normal(scale=sharp, size=(T, C))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed", range(12))
def test_wide_beam_finds_the_most_probable_labelling(seed):
    rng = np.random.default_rng(seed)
    T, C = (5, 3) if seed % 2 else (6, 3) if seed % 3 else (4, 4)
    probs = random_probs(rng, T, C, sharp=1.5)
    totals, _ = exhaustive(probs)
    best = max(totals, key=totals.get)
    # every distinct prefix of length <= T kept: no pruning at all
    width = sum(C**n for n in range(T + 1))
    labels, scores = ctc_beam_search(np.log(probs)[:, None], beam_width=width, return_scores=True)
    assert tuple(labels[0]) == best
    # with nothing pruned, the search's probability is the labelling's exact probability ...
    assert np.isclose(np.exp(scores[0]), totals[best], rtol=1e-12)
    # ... which is also what the CTC loss sums over the alignments
    nll, _ = ctc_loss(np.log(probs)[:, None], [list(best)], reduction="sum")
    assert np.isclose(nll, -np.log(totals[best]), rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_is_the_collapsed_best_path(seed):
    rng = np.random.default_rng(100 + seed)
    probs = random_probs(rng, 6, 3, sharp=2.0)
    _, best_path = exhaustive(probs)
    assert tuple(ctc_greedy_decode(np.log(probs)[:, None])[0]) == collapse(best_path)


def test_beam_beats_greedy_where_many_paths_add_up():
    # Each step: blank 0.4, "a" 0.35, "b" 0.25. The best path is all blanks (0.4^3 = 0.064),
    # so greedy says "", but "a" collects 0.218 over its seven paths, more than "".
    probs = np.tile([0.4, 0.35, 0.25], (3, 1))
    totals, _ = exhaustive(probs)
    assert totals[()] < totals[(1,)]
    assert ctc_greedy_decode(np.log(probs)[:, None])[0].tolist() == []
    labels, scores = ctc_beam_search(np.log(probs)[:, None], beam_width=8, return_scores=True)
    assert labels[0].tolist() == [1]
    assert np.isclose(np.exp(scores[0]), totals[(1,)], rtol=1e-12)


def test_beam_keeps_the_blank_and_label_paths_apart():
    # "a a" needs a blank between the two labels: from the paths "a - a" only.
    probs = np.array([[0.1, 0.9], [0.9, 0.1], [0.1, 0.9]])
    totals, _ = exhaustive(probs)
    labels, scores = ctc_beam_search(np.log(probs)[:, None], beam_width=4, return_scores=True)
    assert labels[0].tolist() == [1, 1]
    assert np.isclose(np.exp(scores[0]), totals[(1, 1)], rtol=1e-12)
    # without the blank in the middle, "a a a" is the single label "a"
    probs = np.array([[0.1, 0.9]] * 3)
    assert ctc_beam_search(np.log(probs)[:, None])[0].tolist() == [1]
    assert ctc_greedy_decode(np.log(probs)[:, None])[0].tolist() == [1]


def test_batches_lengths_and_blank_index():
    rng = np.random.default_rng(4)
    T, B, C = 6, 3, 4
    logits = rng.normal(scale=2.0, size=(T, B, C))
    lengths = [6, 4, 2]
    width = sum(C**n for n in range(T + 1))
    for blank in (0, 3):
        greedy = ctc_greedy_decode(logits, lengths, blank=blank)
        beam = ctc_beam_search(logits, lengths, blank=blank, beam_width=width)
        for b, n in enumerate(lengths):
            probs = np.exp(logits[:n, b]) / np.exp(logits[:n, b]).sum(axis=1, keepdims=True)
            totals, best_path = exhaustive(probs, blank)
            assert tuple(greedy[b]) == collapse(best_path, blank)
            assert tuple(beam[b]) == max(totals, key=totals.get)
            # each sequence decodes alone as in the batch
            alone = ctc_beam_search(logits[:n, b : b + 1], blank=blank, beam_width=width)
            assert alone[0].tolist() == beam[b].tolist()


def test_logits_and_log_probabilities_decode_alike():
    rng = np.random.default_rng(9)
    logits = rng.normal(size=(8, 2, 5))
    log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    a = ctc_beam_search(logits, beam_width=5, return_scores=True)
    b = ctc_beam_search(log_probs, beam_width=5, return_scores=True)
    assert [x.tolist() for x in a[0]] == [x.tolist() for x in b[0]]
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)


def test_narrow_beam_score_is_a_lower_bound():
    rng = np.random.default_rng(1)
    probs = random_probs(rng, 6, 3, sharp=0.5)
    totals, _ = exhaustive(probs)
    labels, scores = ctc_beam_search(np.log(probs)[:, None], beam_width=2, return_scores=True)
    assert np.exp(scores[0]) <= totals[tuple(labels[0])] * (1 + 1e-12)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: ctc_greedy_decode(np.zeros((3, 2))), ValueError, "logits must be a 3-dim"),
        (lambda: ctc_beam_search(np.zeros((3, 1, 2)), beam_width=0), ValueError, "beam_width"),
        (lambda: ctc_beam_search(np.zeros((3, 1, 2)), blank=2), ValueError, "blank must be"),
        (lambda: ctc_greedy_decode(np.zeros((3, 1, 2)), [4]), ValueError, "lengths must lie"),
        (lambda: ctc_greedy_decode(np.full((3, 1, 2), np.nan)), ValueError, "finite"),
        (lambda: ctc_beam_search(np.zeros((3, 1, 2)), return_scores=1), TypeError, "return_s"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
