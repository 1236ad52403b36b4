r"""The copy-memory task: read a random symbol sequence, wait, then reproduce it.

The task goes back to Hochreiter & Schmidhuber (1997); we generate the form of Arjovsky, Shah &
Bengio (2016). The alphabet has ``n_symbols + 2`` entries, one-hot encoded:

- index 0 is the blank,
- indices ``1..n_symbols`` are the data symbols,
- index ``n_symbols + 1`` is the delimiter ("go") signal.

With :math:`L` = ``sequence_length`` and :math:`D` = ``delay`` (Arjovsky et al.'s :math:`T`),
each input sequence has :math:`T = 2L + D` steps:

.. code-block:: text

    step:    0 .. L-1    L .. L+D-2    L+D-1      L+D .. 2L+D-1
    input:   s_1 .. s_L  blank ...     delimiter  blank ...
    target:  blank ...   blank ...     blank      s_1 .. s_L

with :math:`s_i` drawn uniformly from the data symbols. Targets are class indices over the
``n_symbols + 1`` output classes (blank and data symbols; the delimiter is never a target).

Baselines: during the recall steps a model without memory can do no better than a uniform guess
among the data symbols, cross-entropy :math:`\log(\text{n\_symbols})` per step (for 8 symbols,
:math:`\log 8 \approx 2.079`). With the default mask, which scores only the :math:`L` recall
steps, that is the chance level. With ``mask_all_steps=True`` (Arjovsky et al.'s loss, averaged
over all :math:`T` steps, where the blanks are predictable without memory) it becomes
:math:`L \log(\text{n\_symbols}) / (2L + D)`. ``info["baseline_cross_entropy"]`` holds the value
that matches the dataset's mask.

References
----------
S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9(8):1735-1780,
1997.

M. Arjovsky, A. Shah and Y. Bengio, "Unitary evolution recurrent neural networks", ICML 2016
(arXiv:1511.06464), section 4.1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset, check_bool, one_hot

__all__ = ["copy_task"]


def copy_task(
    n_sequences: int,
    n_symbols: int = 8,
    sequence_length: int = 10,
    delay: int = 10,
    seed: Any = None,
    *,
    mask_all_steps: bool = False,
) -> SequenceDataset:
    """Generate the copy-memory task (Arjovsky, Shah & Bengio 2016 form).

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N``.
    n_symbols : int, default 8
        Number of data symbols (at least 2).
    sequence_length : int, default 10
        Number ``L`` of symbols to remember.
    delay : int, default 10
        Steps ``D`` from the end of the symbols to the start of recall (``D - 1`` blanks, then
        the delimiter); Arjovsky et al.'s ``T``.
    seed : None, int or numpy.random.Generator
        Source of randomness.
    mask_all_steps : bool, default False
        Score every step (Arjovsky et al.'s loss) instead of the ``L`` recall steps only.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, n_symbols + 2)`` one-hot, ``T = 2 L + D``; ``targets`` ``(T, N)``
        class indices in ``[0, n_symbols]`` (0 = blank); ``mask`` ``(T, N)``;
        ``loss="cross_entropy"``, ``output_size = n_symbols + 1``. ``info["symbols"]``
        ``(N, L)`` holds the sequences to copy, ``info["recall_start"]`` the first recall step
        ``L + D`` and ``info["baseline_cross_entropy"]`` the memoryless baseline for this mask.

    Examples
    --------
    >>> data = copy_task(2, n_symbols=3, sequence_length=4, delay=5, seed=0)
    >>> data.inputs.shape, data.targets.shape, data.output_size
    ((13, 2, 5), (13, 2), 4)
    >>> data.inputs.argmax(-1)[:, 0]
    array([3, 2, 2, 1, 0, 0, 0, 0, 4, 0, 0, 0, 0])
    >>> data.targets[:, 0]
    array([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 2, 1])
    >>> data.mask[:, 0]
    array([0., 0., 0., 0., 0., 0., 0., 0., 0., 1., 1., 1., 1.])
    """
    n = check_positive_int(n_sequences, "n_sequences")
    K = check_positive_int(n_symbols, "n_symbols", minimum=2)
    L = check_positive_int(sequence_length, "sequence_length")
    D = check_positive_int(delay, "delay")
    mask_all_steps = check_bool(mask_all_steps, "mask_all_steps")
    rng = make_rng(seed)
    T = 2 * L + D
    delimiter = K + 1

    symbols = rng.integers(1, K + 1, size=(n, L))  # (N, L)
    codes = np.zeros((T, n), dtype=np.int64)  # (T, N) alphabet indices, 0 = blank
    codes[:L] = symbols.T
    codes[L + D - 1] = delimiter
    targets = np.zeros((T, n), dtype=np.int64)
    targets[L + D :] = symbols.T

    mask = np.zeros((T, n))
    if mask_all_steps:
        mask[:] = 1.0
        baseline = L * np.log(K) / T
    else:
        mask[L + D :] = 1.0
        baseline = float(np.log(K))
    return SequenceDataset(
        inputs=one_hot(codes, K + 2),
        targets=targets,
        mask=mask,
        loss="cross_entropy",
        output_size=K + 1,
        info={
            "symbols": symbols,
            "recall_start": L + D,
            "baseline_cross_entropy": float(baseline),
        },
        per_sequence=("symbols",),
        name="copy",
    )
