"""The bidirectional entry's comparison target needs both directions: a wrapper whose backward
direction is not reversed, or is reversed over the padding instead of within each sequence's
length, misses it; the real wrapper reaches it.

The target (accuracy >= 0.95 on ``two_sided_sum``, every step labelled with the bits ``offset``
steps before and after it) is out of reach of anything that sees one side: the other bit is a
fair coin, so one side gives at most accuracy 1/2 (tests/test_tasks.py checks that bound).
"""

from __future__ import annotations

import numpy as np
import pytest

from recurrent_zoo._core import sequence
from recurrent_zoo.catalogue import get_entry
from recurrent_zoo.compare import TASK_SPECS, run_entry


def _not_reversed(X, lengths):
    return X  # the backward model reads the sequence forward, like the forward model


def _reversed_over_padding(X, lengths):
    return X[::-1]  # whole padded array: short sequences start their backward pass in padding


def test_the_entry_runs_a_task_that_labels_every_step():
    entry = get_entry("bidirectional")
    train, _ = TASK_SPECS[entry.task].make("quick", 0)
    scored_steps = train.mask.sum(axis=0)
    assert np.all(scored_steps >= 1)
    assert scored_steps.mean() > 5, "most steps of a sequence should carry a label"
    assert train.lengths is not None, "variable lengths: the backward direction's start matters"


def test_the_real_wrapper_reaches_the_target():
    row = run_entry("bidirectional", quick=True, seed=0)
    assert row["task"] == "two_sided_sum"
    assert row["passed"], row


@pytest.mark.parametrize("broken", [_not_reversed, _reversed_over_padding])
def test_a_broken_wrapper_misses_the_target(monkeypatch, broken):
    monkeypatch.setattr(sequence, "reverse_padded", broken)
    row = run_entry("bidirectional", quick=True, seed=0)
    assert not row["passed"], row
    if broken is _not_reversed:  # it sees one side only: at most the coin toss, 1/2
        assert row["value"] < 0.55, row
