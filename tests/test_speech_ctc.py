"""The speech-recognition pipeline: a bidirectional LSTM + linear readout trained with CTC on the
shipped spoken-digits features, decoded greedily and by prefix beam search.

The default suite fits a handful of real utterances exactly (seconds); the full setting --
unseen voices, CER <= 5 % (the target of issue 17) -- is the slow test, the same run as
``benchmarks/speech_ctc.py`` for one seed (its three-seed record: benchmarks/results/)."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from recurrent_zoo import Linear, Stacked
from recurrent_zoo.decoding import ctc_beam_search, ctc_greedy_decode
from recurrent_zoo.lstm import LSTM
from recurrent_zoo.tasks import character_error_rate, spoken_digits
from recurrent_zoo.tasks.speech import decode_labels
from recurrent_zoo.training import evaluate, fit, predict


def bilstm_ctc(input_size, hidden, seed):
    return Stacked(
        [
            LSTM(input_size, hidden, bidirectional=True, seed=seed),
            Linear(2 * hidden, 11, seed=seed + 1000),  # the blank and "0".."9"
        ]
    )


def transcribe(model, data, beam_width=None):
    logits = predict(model, data.inputs, data.lengths)
    if beam_width is None:
        labels = ctc_greedy_decode(logits, data.lengths)
    else:
        labels = ctc_beam_search(logits, data.lengths, beam_width=beam_width)
    return [decode_labels(l) for l in labels]


def test_a_bilstm_learns_a_handful_of_utterances_with_ctc():
    train, _ = spoken_digits(stack=4)
    idx = [i for i, t in enumerate(train.info["transcripts"]) if 2 <= len(t) <= 3][:8]
    data = train.subset(idx)
    model = bilstm_ctc(data.input_size, 32, seed=0)
    with threadpool_limits(1):
        history = fit(
            model,
            data.inputs,
            data.targets,
            loss="ctc",
            lengths=data.lengths,
            lr=0.03,
            epochs=60,
            batch_size=8,
            seed=0,
        )
    # from about 20 nats per digit (random outputs) to a fraction of one
    assert history["loss"][0] > 10 and history["loss"][-1] < 0.2
    assert evaluate(model, data.inputs, data.targets, loss="ctc", lengths=data.lengths)[
        "loss"
    ] == pytest.approx(history["loss"][-1], rel=0.5)
    refs = data.info["transcripts"]
    assert transcribe(model, data) == refs
    assert transcribe(model, data, beam_width=4) == refs


@pytest.mark.slow
def test_unseen_voices_are_recognised_with_cer_below_five_percent():
    train, test = spoken_digits(stack=3)
    model = bilstm_ctc(train.input_size, 64, seed=0)
    with threadpool_limits(1):
        fit(
            model,
            train.inputs,
            train.targets,
            loss="ctc",
            lengths=train.lengths,
            lr=3e-3,
            epochs=25,
            batch_size=16,
            clip_norm=5.0,
            seed=0,
        )
    refs = test.info["transcripts"]
    greedy = character_error_rate(refs, transcribe(model, test))
    beam = character_error_rate(refs, transcribe(model, test, beam_width=10))
    assert greedy <= 0.05 and beam <= 0.05, (greedy, beam)
    assert np.isfinite(greedy)
