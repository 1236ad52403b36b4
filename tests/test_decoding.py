"""Greedy and beam search for encoder-decoder models: beam search of width 1 is greedy search;
a beam that never drops a prefix finds what an exhaustive search over every sequence finds,
with and without length normalisation; the hand-set case where greedy search goes wrong; a
batch decodes as its inputs do alone; and an attention decoder's step function."""

import itertools

import numpy as np
import pytest

from recurrent_zoo import Linear
from recurrent_zoo.attention_decoder import AttentionDecoder
from recurrent_zoo.decoding import beam_search, greedy_search

END, START = 0, 99  # START is never a logit's index: step functions must not need it to be


def grow(prefixes, tokens):
    """Each row's prefix (a tuple, in an object array) with its new token appended."""
    grown = np.empty(len(prefixes), dtype=object)
    for i, (p, t) in enumerate(zip(prefixes, tokens, strict=True)):
        grown[i] = p if t == START else p + (int(t),)
    return grown


class PrefixModel:
    """A hand-made distribution over sequences: the logits of the next token depend on the whole
    prefix (drawn once per prefix from a seeded generator and remembered). The state is each
    row's prefix, as an object array, so the searches' reordering is exercised on it."""

    def __init__(self, seed, vocab=3, scale=2.0, end_bias=0.0):
        self.rng, self.vocab, self.scale, self.end_bias = (
            np.random.default_rng(seed),
            vocab,
            scale,
            end_bias,
        )
        self.table = {}

    def logits(self, prefix):
        if prefix not in self.table:
            z = self.scale * self.rng.normal(size=self.vocab)
            z[END] += self.end_bias
            self.table[prefix] = z
        return self.table[prefix]

    def log_prob(self, seq, ended):
        """log p(seq [+ end]) under the model."""
        total, prefix = 0.0, ()
        for tok in list(seq) + ([END] if ended else []):
            z = self.logits(prefix)
            total += z[tok] - np.log(np.exp(z - z.max()).sum()) - z.max()
            prefix += (tok,)
        return total

    def step(self, tokens, prefixes):
        grown = grow(prefixes, tokens)
        return np.array([self.logits(p) for p in grown]), grown

    def start(self, batch):
        s = np.empty(batch, dtype=object)
        s[:] = [()] * batch
        return s


def exhaustive(model, max_length, alpha=0.0):
    """Every sequence the searches can return: ended by END within max_length tokens, or
    max_length tokens without END. The best by log p / |y|^alpha, |y| counting END."""
    best = None
    tokens = range(1, model.vocab)
    for n in range(max_length):
        for seq in itertools.product(tokens, repeat=n):
            lp = model.log_prob(seq, ended=True)
            cand = (lp / (n + 1) ** alpha, lp, seq)
            best = cand if best is None or cand[0] > best[0] else best
    for seq in itertools.product(tokens, repeat=max_length):
        lp = model.log_prob(seq, ended=False)
        cand = (lp / max_length**alpha, lp, seq)
        best = cand if best is None or cand[0] > best[0] else best
    return best


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", range(8))
def test_a_beam_that_drops_nothing_is_an_exhaustive_search(seed, alpha):
    vocab, max_length = 3, 5
    model = PrefixModel(seed, vocab=vocab, end_bias=-1.0)
    rank, lp, seq = exhaustive(model, max_length, alpha)
    # never more than (V-1)^(L-1) running prefixes, each with V extensions
    width = (vocab - 1) ** (max_length - 1) * vocab
    tokens, scores = beam_search(
        model.step,
        model.start(1),
        start=START,
        end=END,
        max_length=max_length,
        beam_width=width,
        length_penalty=alpha,
        return_scores=True,
    )
    assert tuple(tokens[0].tolist()) == seq
    assert np.isclose(scores[0], lp, rtol=1e-12)


def test_beam_finds_what_greedy_misses_on_a_hand_set_distribution():
    # p(first) = (end 0, "1" 0.6, "2" 0.4); after "1": end 0.5, "1" 0.25, "2" 0.25; after "2":
    # end 0.1, "2" 0.9; after "2 2": end 1. Greedy: "1" then end, p = 0.3. Best: "2 2", 0.36.
    table = {
        (): [0.0, 0.6, 0.4],
        (1,): [0.5, 0.25, 0.25],
        (2,): [0.1, 0.0, 0.9],
        (2, 2): [1.0, 0.0, 0.0],
    }

    def step(tokens, prefixes):
        grown = grow(prefixes, tokens)
        probs = np.array([table.get(p, [1.0, 0.0, 0.0]) for p in grown])
        with np.errstate(divide="ignore"):
            return np.log(probs), grown

    root = np.empty(1, dtype=object)
    root[0] = ()
    g, g_scores = greedy_search(step, root, start=START, end=END, max_length=6, return_scores=True)
    assert g[0].tolist() == [1] and np.isclose(np.exp(g_scores[0]), 0.3)
    b, b_scores = beam_search(
        step, root, start=START, end=END, max_length=6, beam_width=2, return_scores=True
    )
    assert b[0].tolist() == [2, 2] and np.isclose(np.exp(b_scores[0]), 0.36)
    # width 1 keeps greedy's mistake
    width_one = beam_search(step, root, start=START, end=END, max_length=6, beam_width=1)
    assert width_one[0].tolist() == [1]


@pytest.mark.parametrize("seed", range(6))
def test_beam_of_width_one_is_greedy(seed):
    model = PrefixModel(100 + seed, vocab=4, end_bias=-0.5)
    B = 5
    g, gs = greedy_search(
        model.step, model.start(B), start=START, end=END, max_length=7, return_scores=True
    )
    b, bs = beam_search(
        model.step,
        model.start(B),
        start=START,
        end=END,
        max_length=7,
        beam_width=1,
        return_scores=True,
    )
    assert [x.tolist() for x in g] == [x.tolist() for x in b]
    np.testing.assert_allclose(gs, bs, rtol=1e-13)
    for seq, score in zip(g, gs, strict=True):  # the scores are the model's log-probabilities
        ended = len(seq) < 7
        assert np.isclose(score, model.log_prob(tuple(seq.tolist()), ended), rtol=1e-12)


def _attention_model(seed, vocab=6, memory_size=3):
    decoder = AttentionDecoder(vocab, 8, memory_size, seed=seed)
    readout = Linear(decoder.output_size, vocab, seed=seed + 1)
    readout.params["weight"] *= 4.0  # sharper distributions: ends within a few steps

    def step(tokens, state):
        x = np.eye(vocab)[np.minimum(tokens, vocab - 1)]
        x[tokens == START] = 0.0
        y, state, _ = decoder.step(x, state)
        return readout.forward(y[None])[0][0], state

    return decoder, step


@pytest.mark.parametrize("width", [1, 3])
def test_a_batch_decodes_as_its_inputs_alone(width):
    rng = np.random.default_rng(0)
    decoder, step = _attention_model(0)
    memory, lengths = rng.normal(size=(5, 4, 3)), np.array([5, 2, 4, 1])
    kw = dict(start=START, end=END, max_length=8, return_scores=True)
    together, scores = beam_search(step, decoder.start(memory, lengths), beam_width=width, **kw)
    for b in range(4):
        alone, score = beam_search(
            step, decoder.start(memory[: lengths[b], b : b + 1]), beam_width=width, **kw
        )
        assert together[b].tolist() == alone[0].tolist()
        assert np.isclose(scores[b], score[0], rtol=1e-12)
    if width == 1:
        greedy, g_scores = greedy_search(step, decoder.start(memory, lengths), **kw)
        assert [g.tolist() for g in greedy] == [t.tolist() for t in together]
        np.testing.assert_allclose(g_scores, scores, rtol=1e-12)


def test_the_decoders_score_is_its_teacher_forced_log_probability():
    """What the searches score with the step function is what the decoder assigns to the
    sequence with teacher forcing (forward over the whole sequence)."""
    rng = np.random.default_rng(1)
    vocab = 6
    decoder, step = _attention_model(3, vocab=vocab)
    readout = Linear(decoder.output_size, vocab, seed=4)
    readout.params["weight"] *= 4.0
    memory = rng.normal(size=(4, 2, 3))
    tokens, scores = beam_search(
        step, decoder.start(memory), start=START, end=END, max_length=8, return_scores=True
    )
    for b in range(2):
        seq = tokens[b].tolist() + ([END] if len(tokens[b]) < 8 else [])
        X = np.zeros((len(seq), 1, vocab))
        for t, tok in enumerate(seq[:-1]):
            X[t + 1, 0, tok] = 1.0  # the start token reads as zeros, as in the step function
        Y, _ = decoder.forward(X, memory[:, b : b + 1])
        logits = readout.forward(Y)[0][:, 0]
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        assert np.isclose(logp[np.arange(len(seq)), seq].sum(), scores[b], rtol=1e-10)


def test_max_length_cuts_a_sequence_that_never_ends():
    def step(tokens, state):
        return np.array([[-5.0, 1.0, 0.0]] * len(tokens)), state

    for search in (greedy_search, beam_search):
        out = search(step, None, start=START, end=END, max_length=4, batch_size=2)
        assert [o.tolist() for o in out] == [[1, 1, 1, 1]] * 2


def test_length_penalty_prefers_longer_sequences():
    # "end" now: 0.4; "1 end": 0.6 x 0.6 = 0.36, per token 0.6 > 0.4; longer ones: 0.5 a token
    table = {(): [0.4, 0.6], (1,): [0.6, 0.4]}

    def step(tokens, prefixes):
        grown = grow(prefixes, tokens)
        return np.log([table.get(p, [0.5, 0.5]) for p in grown]), grown

    root = np.empty(1, dtype=object)
    root[0] = ()
    kw = dict(start=START, end=END, max_length=5, beam_width=4)
    assert beam_search(step, root, **kw)[0].tolist() == []
    assert beam_search(step, root, length_penalty=1.0, **kw)[0].tolist() == [1]


def test_bad_arguments_are_refused():
    def step(tokens, state):
        return np.zeros((len(tokens), 3)), state

    s = np.zeros((2, 4))
    kw = dict(start=START, end=END, max_length=3)
    with pytest.raises(TypeError, match="step must be callable"):
        greedy_search(None, s, **kw)
    with pytest.raises(ValueError, match="beam_width must be an integer >= 1"):
        beam_search(step, s, beam_width=0, **kw)
    with pytest.raises(ValueError, match="max_length must be an integer >= 1"):
        greedy_search(step, s, start=START, end=END, max_length=0)
    with pytest.raises(TypeError, match="end must be an integer token index"):
        greedy_search(step, s, start=START, end=1.5, max_length=3)
    with pytest.raises(ValueError, match="length_penalty must lie in"):
        beam_search(step, s, length_penalty=-1.0, **kw)
    with pytest.raises(ValueError, match="disagree on the batch size"):
        greedy_search(step, (s, np.zeros(3)), **kw)
    with pytest.raises(ValueError, match="give batch_size"):
        greedy_search(step, None, **kw)
    with pytest.raises(ValueError, match="V > end=5"):
        greedy_search(step, s, start=START, end=5, max_length=3)
    with pytest.raises(TypeError, match="state must be an ndarray"):
        greedy_search(step, {"h": s}, **kw)

    def nan_step(tokens, state):
        return np.full((len(tokens), 3), np.nan), state

    with pytest.raises(ValueError, match="NaN"):
        beam_search(nan_step, s, **kw)

    def impossible(tokens, state):
        return np.full((len(tokens), 3), -np.inf), state

    with pytest.raises(ValueError, match="some token possible"):
        greedy_search(impossible, s, **kw)
