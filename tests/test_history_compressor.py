"""History compressor (Schmidhuber 1992): the levels as sequence models, the routing of
surprises with their time stamps, chunking that changes nothing, the training objective against
finite differences, the collapse, and a small long-lag run.

The 22-symbol experiment itself (17 runs, Schmidhuber 1992: 13 of 17 under 5,000 training
sequences) is ``benchmarks/history_compressor_long_lag.py`` and the slow test at the end.
"""

import copy
import os
import tempfile

import numpy as np
import pytest

import recurrent_zoo
from recurrent_zoo.history_compressor import (
    HistoryCompressor,
    evaluate_stream,
    train_long_lag,
)
from recurrent_zoo.tasks import long_lag_symbols
from recurrent_zoo.testing import make_subject, numerical_gradient, relative_error, run_checks


def _stream(n_blocks=6, n_streams=3, lag=4, seed=0):
    data = long_lag_symbols(n_blocks, n_streams, lag, seed=seed)
    return data.info["symbols"].T, data.targets, data.mask


@pytest.mark.parametrize("level", [0, 1, 2])
def test_every_level_keeps_the_sequence_contract(level):
    """Each level is a sequence model over events (Elman + readout): the common checks,
    finite-difference gradients included, pass on it."""

    def make(n, *, seed, dtype):
        hc = HistoryCompressor(n, (3, 2, 2), collapse_weight=0.5, seed=seed, dtype=dtype)
        return hc.levels[level]

    assert "check_gradients" in run_checks(make_subject(f"level{level}", make))


def test_surprises_go_up_with_their_time_stamps():
    sym, tg, mk = _stream()
    hc = HistoryCompressor(6, (5, 4, 3), target_size=1, threshold=0.6, seed=1)
    report = hc.process(sym[:13], tg[:13], mk[:13], learn=False)
    report = hc.process(sym[13:], tg[13:], mk[13:], learn=False)  # pending events carried
    S, D = 6, 1
    for lower, upper in zip(report.levels[:-1], report.levels[1:], strict=False):
        assert upper.counts.sum() == lower.surprise.sum()
        for b in range(sym.shape[1]):
            went_up = lower.times[1:][lower.surprise[:, b], b]
            c = upper.counts[b]
            np.testing.assert_array_equal(upper.times[1 : c + 1, b], went_up)
    # the definition of a surprise, recomputed from level 0's predictions
    lv0 = report.levels[0]
    T = sym.shape[0] - 13
    for j in range(T - 1):
        for b in range(sym.shape[1]):
            nxt = sym[13 + j + 1, b]
            miss = lv0.symbol_prob[j + 1, b, nxt] < 0.6
            t_prev = 13 + j  # the target of step j rides on event j + 1
            if mk[t_prev, b]:
                miss |= abs(lv0.target_prob[j + 1, b, 0] - tg[t_prev, b, 0]) > 0.4
            assert lv0.surprise[j + 1, b] == miss
    assert S + D + 1 == hc.event_size


def test_an_untrained_automatiser_passes_everything_up():
    """Near-uniform predictions over 6 symbols give every input < 0.9: all events go up."""
    sym, _, _ = _stream()
    hc = HistoryCompressor(6, (4, 4), threshold=0.9, seed=2)
    report = hc.process(sym, learn=False)
    assert report.events[1] == report.events[0]


def test_chunks_change_nothing():
    """One long call equals the same stream cut into chunks (states and pending events are
    carried exactly): every level's events, times and the cascade's answers."""
    sym, tg, mk = _stream(n_blocks=8)
    hc = HistoryCompressor(6, (6, 5, 4), target_size=1, threshold=0.55, time_stamps=True, seed=3)
    whole = hc.process(sym, tg, mk, state=hc.fresh_state(3), learn=False)
    state = hc.fresh_state(3)
    parts = [
        hc.process(sym[a:b], tg[a:b], mk[a:b], state=state, learn=False)
        for a, b in [(0, 7), (7, 8), (8, 23), (23, 40)]
    ]
    np.testing.assert_array_equal(state.clock, [40, 40, 40])
    for key in ("system", "truth"):
        np.testing.assert_allclose(
            np.concatenate([p.labels[key] for p in parts]), whole.labels[key], rtol=1e-12
        )
    for level in range(3):
        times_whole = whole.levels[level].times
        got = [
            np.concatenate(
                [p.levels[level].times[1 : p.levels[level].counts[b] + 1, b] for p in parts]
            )
            for b in range(3)
        ]
        for b in range(3):
            c = whole.levels[level].counts[b]
            np.testing.assert_array_equal(got[b], times_whole[1 : c + 1, b])
    assert whole.events[1] > 0 and whole.events[2] > 0


@pytest.mark.parametrize("level", [0, 1])
def test_the_objective_against_finite_differences(level):
    """Each level's loss (next-symbol cross-entropy + target cross-entropy + weighted collapse
    error) and its gradient, for level ``level``'s own parameters."""
    sym, tg, mk = _stream(n_blocks=3, n_streams=2, lag=3)
    hc = HistoryCompressor(5, (4, 3), target_size=1, threshold=0.55, collapse_weight=0.7, seed=4)
    hc.process(sym[:6], tg[:6], mk[:6], learn=False)  # leave pending events and states behind
    start = copy.deepcopy(hc.state)

    def loss():
        hc.process(sym[6:], tg[6:], mk[6:], state=copy.deepcopy(start), learn=False)
        return hc._objective(hc._last_runs)[level][0]

    loss()
    _, grads = hc._objective(hc._last_runs)[level]
    counted = hc._last_runs[level]["trace"].losses
    expected = ["symbol", "target"] + (["collapse"] if level == 0 else [])
    assert all(np.isfinite(counted[k]) for k in expected), counted
    for name, p in hc.levels[level].params.items():
        err = relative_error(grads[name], numerical_gradient(loss, p))
        assert err < 1e-6, f"{name}: {err:.2e}"


def test_the_collapse_target_is_the_chunker_state_after_the_event():
    """The automatiser's collapse error, recomputed event by event: its state prediction after
    each of its events against the chunker's state after the last chunker event at or before
    that step (the state the chunker holds then), mean over events and units."""
    sym, tg, mk = _stream(n_blocks=6)
    hc = HistoryCompressor(6, (5, 4), target_size=1, threshold=0.6, collapse_weight=0.5, seed=8)
    hc.process(sym[:9], tg[:9], mk[:9], learn=False)
    report = hc.process(sym[9:], tg[9:], mk[9:], learn=False)
    hc._objective(hc._last_runs)
    low, high = report.levels
    q = hc._last_runs[0]["out"][:, :, 6 + 1 :]  # (R, B, 4) the automatiser's state predictions
    errors = []
    for b in range(sym.shape[1]):
        for j in range(1, low.counts[b] + 1):  # this chunk's events (row 0: the last chunk's)
            t = low.times[j, b]
            rows = [r for r in range(high.counts[b] + 1) if high.times[r, b] <= t]
            target = high.hidden[rows[-1], b]
            errors.append((q[j, b] - target) ** 2)
    assert high.counts.sum() > 0 and len(errors) == low.counts.sum()
    expected = float(np.mean(errors))
    assert high.hidden.std() > 0.05  # a zero or stale target would differ
    assert low.losses["collapse"] == pytest.approx(expected, rel=1e-12)


def test_the_cascade_answers_from_the_first_confident_level():
    """A label is answered by the lowest level whose prediction is confident (max(p, 1 - p) >=
    threshold), else by the top level; checked label by label on three levels. The target
    readouts are sharpened so that level 0 is confident on some labels (x20) and level 1 on
    none (x1.0) or all (x1.2): between the two settings every level answers some labels."""
    sym, tg, mk = _stream(n_blocks=10, n_streams=4)
    answered = []
    for sharpen in (1.0, 1.2):
        hc = HistoryCompressor(6, (5, 4, 3), target_size=1, threshold=0.55, seed=9)
        for lvl, scale in zip(hc.levels, (20.0, sharpen, 1.0), strict=True):
            lvl.params["1.weight"][6] *= scale  # row 6: the target's logit
            lvl.params["1.bias"][6] = 0.0
        report = hc.process(sym, tg, mk, learn=False)
        probs, lab = report.labels["by_level"], report.labels  # (L, n, 1)
        L, n, _ = probs.shape
        for k in range(n):
            conf = [max(probs[lvl, k, 0], 1 - probs[lvl, k, 0]) >= 0.55 for lvl in range(L - 1)]
            first = conf.index(True) if any(conf) else L - 1
            assert lab["answered_by"][k, 0] == first
            assert lab["system"][k, 0] == probs[first, k, 0]
        answered.append(set(lab["answered_by"][:, 0].tolist()))
    assert answered == [{0, 2}, {0, 1}], answered


def test_the_top_level_predicts_no_state_and_level_zero_predicts_the_next():
    hc = HistoryCompressor(7, (5, 4, 3), target_size=2)
    assert [lvl.output_size for lvl in hc.levels] == [7 + 2 + 4, 7 + 2 + 3, 7 + 2]
    assert hc.event_size == 7 + 2 + 1
    assert HistoryCompressor(7, (5,), time_stamps=True).event_size == 8
    assert "tanh" in str(HistoryCompressor.equations()[0].rhs)


def test_learning_compresses_a_long_lag_stream_and_collapses():
    """lag 8 (10 symbols): the automatiser learns the b's, so only the block starts go up
    (1 in 9 steps); the chunker and then the automatiser alone answer the labels."""
    out = train_long_lag(n_sequences=2000, lag=8, eval_every=1000, eval_blocks=25, seed=0)
    final = out["final"]
    assert final["system"] >= 0.99, out["history"]
    assert final["passed_up"][0] == pytest.approx(1 / 9, abs=0.01)
    assert final["level0"] >= 0.95, out["history"]  # the collapsed automatiser, alone


def test_save_and_load():
    sym, tg, mk = _stream()
    hc = HistoryCompressor(6, (4, 3), target_size=1, threshold=0.8, seed=5)
    hc.process(sym, tg, mk)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hc.safetensors")
        hc.save(path)
        other = recurrent_zoo.load(path)
    assert isinstance(other, HistoryCompressor) and other.get_config() == hc.get_config()
    data = long_lag_symbols(3, 2, 4, seed=9)
    a = evaluate_stream(hc, data, chunk=5)
    b = evaluate_stream(other, data, chunk=5)
    assert a == b


def test_bad_input_is_refused():
    hc = HistoryCompressor(4, (3, 3), target_size=1)
    with pytest.raises(TypeError, match="symbols"):
        hc.process(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="symbols"):
        hc.process(np.full((3, 2), 4))
    with pytest.raises(ValueError, match="targets"):
        hc.process(np.zeros((3, 2), int), np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="targets"):
        hc.process(np.zeros((3, 2), int), np.full((3, 2, 1), 2.0))
    with pytest.raises(ValueError, match="threshold"):
        HistoryCompressor(4, (3,), threshold=0.4)
    with pytest.raises(ValueError, match="target_size=0"):
        HistoryCompressor(4, (3,)).process(np.zeros((3, 2), int), np.zeros((3, 2, 1)))


@pytest.mark.slow
def test_the_22_symbol_task_a_few_runs():
    """Schmidhuber 1992: most runs solve the 20-step lag within 5,000 training sequences, and
    a single recurrent net on the same budget stays at chance (the full 17 runs:
    benchmarks/history_compressor_long_lag.py)."""
    solved = [train_long_lag(seed=s)["solved_at"] for s in range(3)]
    assert sum(s is not None and s <= 5000 for s in solved) >= 2, solved
    single = train_long_lag(hidden_sizes=(64,), seed=0)["final"]
    assert single["system"] < 0.6, single
