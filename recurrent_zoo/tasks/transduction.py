r"""Sequence transduction: copy, reversal, bigram flipping (Grefenstette et al. 2015).

The synthetic transduction tasks on which Grefenstette et al. compared deep LSTMs with LSTMs
controlling a neural stack, queue or deque. A source sequence :math:`a_1 \dots a_n` of symbols
drawn uniformly from a vocabulary of ``vocab_size`` is mapped to

- ``"copy"``: :math:`a_1 a_2 \dots a_n` (a queue's natural order);
- ``"reversal"``: :math:`a_n \dots a_2 a_1` (a stack's);
- ``"bigram_flip"``: :math:`a_2 a_1 a_4 a_3 \dots a_n a_{n-1}` (``n`` even).

The pair is one sequence for a recurrent transducer, ``source ||| target``: the inputs are
:math:`a_1 \dots a_n`, the separator ``|||``, then the target :math:`b_1 \dots b_n`; the target
at the separator is :math:`b_1`, at :math:`b_j` it is :math:`b_{j+1}`, and after :math:`b_n`
the end symbol ``</s>``; only these :math:`n + 1` predictions are scored. Feeding the true
previous symbol (teacher forcing) gives the same scores as greedy decoding for the two metrics
of the paper, because both only look at the predictions up to the first error:
:func:`transduction_accuracy` returns the *coarse* accuracy, the fraction of sequences
predicted entirely right, and the *fine* accuracy, the average fraction of each target
(end symbol included) predicted right before the first error. Grefenstette et al. trained on
source lengths 8 to 64 and tested on 65 to 128.

References
----------
E. Grefenstette, K. M. Hermann, M. Suleyman and P. Blunsom, "Learning to transduce with
unbounded memory", NIPS 2015 (arXiv:1506.02516).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_array, check_choice, check_positive_int
from .base import SequenceDataset, one_hot

__all__ = ["TRANSDUCTIONS", "transduction", "transduction_accuracy"]

#: The transduction tasks.
TRANSDUCTIONS = ("copy", "reversal", "bigram_flip")


def _target(task: str, source: np.ndarray) -> np.ndarray:
    if task == "copy":
        return source.copy()
    if task == "reversal":
        return source[::-1].copy()
    return source.reshape(-1, 2)[:, ::-1].reshape(-1)


def transduction(
    task: str,
    n_sequences: int,
    min_length: int = 8,
    max_length: int = 64,
    seed: Any = None,
    *,
    vocab_size: int = 128,
    target_inputs: str = "shared",
) -> SequenceDataset:
    """Generate source ||| target sequences for copy, reversal or bigram flipping.

    Parameters
    ----------
    task : {"copy", "reversal", "bigram_flip"}
    n_sequences : int
    min_length, max_length : int
        Range of the source length ``n`` (uniform; even lengths only for ``"bigram_flip"``).
    seed : None, int or numpy.random.Generator
    vocab_size : int, default 128
        Number of symbols ``V``.
    target_inputs : {"shared", "separate"}, default "shared"
        How the target symbols fed back in the target phase are encoded: ``"shared"``, by
        the same ``V`` input units as the source symbols; ``"separate"``, by ``V`` units of
        their own (inputs ``V + 1 .. 2V``), so that every input says which phase it belongs
        to -- as the public reference implementations do it (separate input and output
        embeddings, or separate encoder and decoder weights). The sequences, targets and
        mask are the same for both.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, V + 1)`` one-hot over the symbols and the separator (input
        ``V``; ``(T, N, 2V + 1)`` with ``target_inputs="separate"``); ``targets``
        ``(T, N)`` class indices over the symbols and ``</s>`` (class ``V``),
        ``loss="cross_entropy"``, ``mask`` 1 on the ``n + 1`` target-phase steps;
        ``lengths`` ``2 n + 1``. ``info``: per-sequence ``"n"``, ``"source"`` and
        ``"target"`` (int arrays), and ``"task"``, ``"vocab_size"``.

    Examples
    --------
    >>> data = transduction("reversal", 1, 3, 3, seed=0, vocab_size=5)
    >>> data.info["source"][0], data.info["target"][0]
    (array([4, 3, 2]), array([2, 3, 4]))
    >>> data.inputs[:, 0].argmax(-1)                  # input 5 is the separator |||
    array([4, 3, 2, 5, 2, 3, 4])
    >>> data.targets[:, 0], data.mask[:, 0]           # class 5 is </s>
    (array([0, 0, 0, 2, 3, 4, 5]), array([0., 0., 0., 1., 1., 1., 1.]))
    """
    check_choice(task, "task", TRANSDUCTIONS)
    N = check_positive_int(n_sequences, "n_sequences")
    lo = check_positive_int(min_length, "min_length")
    hi = check_positive_int(max_length, "max_length")
    if lo > hi:
        raise ValueError(f"min_length must be <= max_length={hi}; got {lo}")
    V = check_positive_int(vocab_size, "vocab_size")
    check_choice(target_inputs, "target_inputs", ("shared", "separate"))
    separate = target_inputs == "separate"
    offset, n_inputs = (V + 1, 2 * V + 1) if separate else (0, V + 1)  # target symbols' inputs
    rng = make_rng(seed)
    if task == "bigram_flip":
        evens = np.arange(lo + lo % 2, hi + 1, 2)
        if evens.size == 0:
            raise ValueError(f"bigram_flip needs an even length in [{lo}, {hi}]")
        ns = rng.choice(evens, size=N)
    else:
        ns = rng.integers(lo, hi + 1, size=N)
    lengths = 2 * ns + 1
    T = int(lengths.max())
    codes = np.full((T, N), -1, dtype=np.int64)
    targets = np.zeros((T, N), dtype=np.int64)
    mask = np.zeros((T, N))
    sources, outs = [], []
    for j, n in enumerate(ns.tolist()):
        src = rng.integers(0, V, size=n)
        tgt = _target(task, src)
        codes[:n, j] = src
        codes[n, j] = V  # the separator
        codes[n + 1 : 2 * n + 1, j] = tgt + offset
        targets[n : 2 * n, j] = tgt
        targets[2 * n, j] = V  # </s>
        mask[n : 2 * n + 1, j] = 1.0
        sources.append(src)
        outs.append(tgt)
    return SequenceDataset(
        inputs=one_hot(codes, n_inputs),
        targets=targets,
        mask=mask,
        loss="cross_entropy",
        output_size=V + 1,
        lengths=lengths.astype(np.int64),
        info={
            "n": ns.astype(np.int64),
            "source": sources,
            "target": outs,
            "task": task,
            "vocab_size": V,
        },
        per_sequence=("n", "source", "target"),
        name="transduction",
    )


def transduction_accuracy(outputs: Any, data: SequenceDataset) -> dict[str, float]:
    """Grefenstette et al.'s coarse and fine accuracy of next-symbol scores on the targets.

    Parameters
    ----------
    outputs : array_like, shape (T, N, V + 1)
        Scores (logits or probabilities) of the next symbol at every step.
    data : SequenceDataset
        From :func:`transduction`.

    Returns
    -------
    dict
        ``"coarse"``: fraction of sequences whose every target-phase prediction is right;
        ``"fine"``: mean over sequences of the fraction of the ``n + 1`` predictions right
        before the first error.

    Examples
    --------
    >>> data = transduction("copy", 2, 4, 4, seed=0, vocab_size=3)
    >>> perfect = np.eye(4)[data.targets]
    >>> transduction_accuracy(perfect, data)
    {'coarse': 1.0, 'fine': 1.0}
    >>> perfect[6, 0] = np.eye(4)[(data.targets[6, 0] + 1) % 4]   # 3rd of 5 predictions wrong
    >>> transduction_accuracy(perfect, data)
    {'coarse': 0.5, 'fine': 0.7}
    """
    T, N = data.targets.shape
    Y = check_array(outputs, "outputs", ndim=3, shape_doc="(T, N, V + 1)")
    if Y.shape[:2] != (T, N):
        raise ValueError(f"outputs must have shape (T={T}, N={N}, V + 1); got {Y.shape}")
    right = Y.argmax(axis=2) == data.targets  # (T, N)
    coarse, fine = [], []
    for j, n in enumerate(np.asarray(data.info["n"]).tolist()):
        r = right[n : 2 * n + 1, j]
        wrong = np.flatnonzero(~r)
        first = len(r) if wrong.size == 0 else int(wrong[0])
        coarse.append(first == len(r))
        fine.append(first / len(r))
    return {"coarse": float(np.mean(coarse)), "fine": float(np.mean(fine))}
