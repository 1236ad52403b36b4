r"""Next-symbol prediction on :math:`a^n b^n` (and :math:`a^n b^n c^n`).

Gers & Schmidhuber (2001) showed that LSTM learns the context-free language
:math:`a^n b^n` and the context-sensitive :math:`a^n b^n c^n` by predicting, at every step,
which symbols may come next. A string is framed by a start symbol ``S`` and a terminal symbol
``T``: ``S a^n b^n T``. The input is ``S a^n b^n`` (one-hot over ``S, a, b``), one symbol per
step; the target at step :math:`t` is the multi-hot set of symbols that may follow the prefix
read so far, over the outputs ``a, b, T``, in the language
:math:`\{a^n b^n : n \ge n_{min}\}` (not bounded above, so the target never reveals
``n_max``):

- after ``S``: ``a`` (and ``T`` too when ``n_min = 0``, since the empty string is allowed);
- after :math:`a^j`: ``a``, and ``b`` once :math:`j \ge n_{min}`;
- after :math:`a^n b^j` with :math:`j < n`: ``b``; after :math:`a^n b^n`: ``T``.

Until the first ``b`` the next symbol is uncertain; from the first ``b`` on it is determined,
and predicting it requires counting the ``a``\ s. Gers & Schmidhuber count a string as processed
correctly when every output is on the right side of 0.5 at every step (outputs trained with a
sigmoid, hence ``loss="bce"``). With ``n_letters=3`` the strings are ``S a^n b^n c^n`` with a
``c`` channel added to inputs and outputs.

References
----------
F. A. Gers and J. Schmidhuber, "LSTM recurrent networks learn simple context-free and
context-sensitive languages", IEEE Trans. Neural Networks 12(6):1333-1340, 2001.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset, one_hot

__all__ = ["anbn"]

_LETTERS = "abc"


def anbn(
    n_max: int,
    n_min: int = 1,
    n_sequences: int | None = None,
    seed: Any = None,
    *,
    n_letters: int = 2,
) -> SequenceDataset:
    """Generate :math:`a^n b^n` (or :math:`a^n b^n c^n`) strings for next-symbol prediction.

    Parameters
    ----------
    n_max : int
        Largest ``n``.
    n_min : int, default 1
        Smallest ``n`` (0 allows the empty string ``S T``).
    n_sequences : int, optional
        ``None`` (default): one string for each ``n`` in ``[n_min, n_max]``, in order. An int:
        that many strings with ``n`` drawn uniformly from ``[n_min, n_max]``.
    seed : None, int or numpy.random.Generator
        Source of randomness (used only with ``n_sequences``).
    n_letters : {2, 3}, default 2
        2 for :math:`a^n b^n`, 3 for :math:`a^n b^n c^n`.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1 + n_letters)`` one-hot over ``S, a, b[, c]``,
        ``T = 1 + n_letters * n_max``; ``targets`` ``(T, N, n_letters + 1)`` multi-hot over
        ``a, b[, c], T``; ``mask`` ``(T, N)``, 1 on each string's steps; ``lengths`` ``(N,)``
        = ``1 + n_letters * n``; ``loss="bce"``. ``info`` holds per-sequence ``"n"`` and the
        channel names ``"input_alphabet"`` and ``"output_alphabet"``.

    Examples
    --------
    >>> data = anbn(2, n_min=1)
    >>> data.inputs.shape, data.targets.shape, data.lengths
    ((5, 2, 3), (5, 2, 3), array([3, 5]))
    >>> data.inputs[:, 1].argmax(-1)  # S a a b b
    array([0, 1, 1, 2, 2])
    >>> data.targets[:, 1]  # next-symbol sets over a, b, T
    array([[1., 0., 0.],
           [1., 1., 0.],
           [1., 1., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    """
    hi = check_positive_int(n_max, "n_max")
    lo = check_positive_int(n_min, "n_min", minimum=0)
    if lo > hi:
        raise ValueError(f"n_min must be <= n_max={hi}; got {lo}")
    k = check_positive_int(n_letters, "n_letters", minimum=2)
    if k > 3:
        raise ValueError(f"n_letters must be 2 or 3; got {k}")
    if n_sequences is None:
        ns = np.arange(lo, hi + 1)
    else:
        N = check_positive_int(n_sequences, "n_sequences")
        ns = make_rng(seed).integers(lo, hi + 1, size=N)
    N = len(ns)
    lengths = 1 + k * ns  # (N,)
    T = int(lengths.max())
    end = k  # output index of the terminal symbol T

    codes = np.full((T, N), -1, dtype=np.int64)  # input indices: 0 = S, 1.. = letters
    targets = np.zeros((T, N, k + 1))
    for j, n in enumerate(ns.tolist()):
        codes[0, j] = 0
        for letter in range(k):
            codes[1 + letter * n : 1 + (letter + 1) * n, j] = 1 + letter
        # after S a^i (0 <= i <= n): 'a' may follow; 'b' once i >= max(n_min, 1); 'T' if i = 0
        # and the empty string is allowed
        i = np.arange(n + 1)
        targets[i, j, 0] = 1.0
        targets[i, j, 1] = (i >= max(lo, 1)).astype(np.float64)
        targets[0, j, end] = float(lo == 0)
        # after S a^n and u >= 1 later letters the continuation is determined: the
        # (u // n + 1)-th letter while u < (k - 1) n, then T
        u = np.arange(1, (k - 1) * n + 1)
        nxt = np.where(u < (k - 1) * n, u // max(n, 1) + 1, end)
        targets[n + u, j, nxt] = 1.0
    mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    return SequenceDataset(
        inputs=one_hot(codes, k + 1),
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=k + 1,
        lengths=lengths.astype(np.int64),
        info={
            "n": ns.astype(np.int64),
            "input_alphabet": ["S"] + list(_LETTERS[:k]),
            "output_alphabet": list(_LETTERS[:k]) + ["T"],
        },
        per_sequence=("n",),
        name="anbn",
    )
