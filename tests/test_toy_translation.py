"""The toy language pair of recurrent_zoo.tasks.toy_translation (the translation example's data):
the translation and its word alignment written out by hand, the draws, the encodings, seeds and
bad input."""

import numpy as np
import pytest

from recurrent_zoo.tasks.toy_translation import (
    ADJECTIVES,
    NOUNS,
    SOURCE_VOCABULARY,
    TARGET_VOCABULARY,
    VERBS,
    alignment,
    decode_target,
    toy_translation,
    translate,
)

WORDS = {**NOUNS, **ADJECTIVES, **VERBS, "and": "se"}


def test_translation_written_out_by_hand():
    # subject-object-verb, adjectives after nouns, ga / o after subject / object, "and" -> "se"
    assert translate("big cat chases small dog") == "miu gor ga wof pil o zat"
    assert translate("fish likes horse") == "blub ga hin o lov"
    assert (
        translate("red bird eats fish and dog sees big horse")
        == "tirr rua ga blub o nom se wof ga hin gor o mek"
    )
    assert alignment("red bird eats fish and dog sees big horse") == [
        1, 0, -1, 3, -1, 2, 4, 5, -1, 8, 7, -1, 6,
    ]  # fmt: skip


def test_alignment_points_at_the_word_translated():
    data = toy_translation(300, max_clauses=3, seed=3)
    for source, target in zip(data.sources, data.targets, strict=True):
        src, tgt, align = source.split(), target.split(), alignment(source)
        assert len(align) == len(tgt)
        for word, j in zip(tgt, align, strict=True):
            if j < 0:
                assert word in ("ga", "o")
            else:
                assert WORDS[src[j]] == word
        # every source word is translated exactly once
        assert sorted(j for j in align if j >= 0) == list(range(len(src)))


def test_draws_distinct_held_out_and_seeded():
    train = toy_translation(500, max_clauses=3, seed=0)
    again = toy_translation(500, max_clauses=3, seed=0)
    assert train.sources == again.sources
    assert len(set(train.sources)) == 500
    assert set(train.clauses.tolist()) == {1, 2, 3}
    test = toy_translation(200, max_clauses=3, exclude=train.sources, seed=1)
    assert not set(test.sources) & set(train.sources)
    assert test.targets == [translate(s) for s in test.sources]
    two = toy_translation(50, min_clauses=2, max_clauses=2, seed=0)
    assert set(two.clauses.tolist()) == {2}
    assert set(two.source_lengths.tolist()) <= set(range(7, 12))


def test_one_clause_sentences_run_out_then_longer_ones_are_drawn():
    # 1600 one-clause sentences exist; 4000 distinct sentences of 1-2 clauses use them all
    data = toy_translation(4000, max_clauses=2, seed=0)
    assert len(set(data.sources)) == 4000
    assert int((data.clauses == 1).sum()) == 1600
    with pytest.raises(ValueError, match="too many"):
        toy_translation(1601, max_clauses=1)


def test_encodings_round_trip():
    data = toy_translation(40, max_clauses=2, seed=2)
    X, lengths = data.sources_onehot(np.float32)
    assert X.dtype == np.float32 and X.shape == (lengths.max(), 40, len(SOURCE_VOCABULARY))
    for b, s in enumerate(data.sources):
        words = [SOURCE_VOCABULARY[i] for i in X[: lengths[b], b].argmax(axis=1)]
        assert words == s.split() and not X[lengths[b] :, b].any()
    ids, target_lengths = data.target_ids()
    assert ids.dtype == np.int64 and ids.shape == (target_lengths.max(), 40)
    for b, t in enumerate(data.targets):
        assert decode_target(ids[:, b]) == t
        assert ids[target_lengths[b] - 1, b] == TARGET_VOCABULARY.index("</s>") == 0
        assert len(t.split()) + 1 == target_lengths[b]


def test_bad_input():
    with pytest.raises(ValueError, match="min_clauses"):
        toy_translation(10, min_clauses=3, max_clauses=2)
    with pytest.raises(ValueError, match="n"):
        toy_translation(0)
    with pytest.raises(TypeError, match="exclude"):
        toy_translation(10, exclude="cat sees dog")
    with pytest.raises(ValueError, match="verb"):
        translate("big cat dog")
    with pytest.raises(ValueError, match="noun phrase"):
        translate("cat sees big red dog")
    with pytest.raises(TypeError, match="sentence"):
        translate(3)
