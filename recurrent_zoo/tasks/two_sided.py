r"""Two-sided sum: every step's label needs an input before it and an input after it.

A bit string :math:`x_0 \ldots x_{L-1} \in \{0, 1\}^L` is read one bit per step; at step
:math:`t` the label is the number of ones among the bit ``offset`` steps back and the bit
``offset`` steps ahead,

.. math::

    y_t = x_{t - d} + x_{t + d} \in \{0, 1, 2\}, \qquad d \le t < L - d,

a three-class problem scored at every step that has both neighbours (the first and last
:math:`d` steps of each sequence are masked out). The two bits are independent fair coins, so a
model that sees only one side of :math:`t` -- any causal net, or a bidirectional wrapper whose
backward direction is not really reversed -- can at best guess the other bit: its accuracy is at
most :math:`1/2`, and its cross-entropy at least :math:`\log 2`. A bidirectional net sees both
(Schuster & Paliwal 1997 built it for targets that depend on inputs on both sides of
:math:`t`) and can reach accuracy 1. The label is a sum of one term per side, so a linear
readout over the two directions' concatenated states can compute it.

With ``variable_length=True`` each sequence has its own length :math:`L_n`, drawn uniformly from
``[min_length, length]``, and is zero-padded after it; the labelled steps stop :math:`d` steps
before each sequence's own end, so a wrapper that starts the backward direction in the padding
instead of at the sequence's end fails too.

References
----------
M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", IEEE Trans. Signal
Processing 45(11):2673-2681, 1997.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset, check_bool

__all__ = ["two_sided_sum"]


def two_sided_sum(
    n_sequences: int,
    length: int,
    offset: int = 2,
    seed: Any = None,
    variable_length: bool = False,
    min_length: int | None = None,
) -> SequenceDataset:
    """Generate bit strings labelled at every step with ``x[t - offset] + x[t + offset]``.

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N``.
    length : int
        Sequence length ``T`` (the maximum length with ``variable_length=True``); at least
        ``2 * offset + 1``, so that some step has both neighbours.
    offset : int, default 2
        How far back and ahead the two bits of a label lie (``d`` in the module docstring).
    seed : None, int or numpy.random.Generator
        Source of randomness.
    variable_length : bool, default False
        Draw each sequence's length uniformly from ``[min_length, length]``.
    min_length : int, optional
        Shortest length when ``variable_length=True``; ``2 * offset + 1`` (the shortest
        sequence with a labelled step) by default; smaller values are refused.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1)`` bits (0 past a sequence's length); ``targets`` ``(T, N)`` int
        in ``{0, 1, 2}`` (0 where unscored); ``mask`` ``(T, N)``, 1 at the steps
        ``offset <= t < L_n - offset``; ``loss="cross_entropy"``, ``output_size=3``;
        ``lengths`` ``(N,)`` with ``variable_length=True``, else ``None``.
        ``info["one_sided_accuracy"]`` is 0.5, the best accuracy of a model that sees one side.

    Examples
    --------
    >>> data = two_sided_sum(2, 6, offset=1, seed=0)
    >>> data.inputs[:, :, 0].T
    array([[1., 1., 0., 0., 0., 1.],
           [1., 0., 0., 0., 1., 1.]])
    >>> data.targets.T          # x[t - 1] + x[t + 1] where both exist, else 0
    array([[0, 1, 1, 0, 1, 0],
           [0, 1, 0, 1, 1, 0]])
    >>> data.mask.T
    array([[0., 1., 1., 1., 1., 0.],
           [0., 1., 1., 1., 1., 0.]])
    >>> short = two_sided_sum(3, 7, offset=1, seed=0, variable_length=True)
    >>> short.lengths           # labels stop one step before each sequence's own end
    array([7, 6, 3])
    >>> short.mask.T
    array([[0., 1., 1., 1., 1., 1., 0.],
           [0., 1., 1., 1., 1., 0., 0.],
           [0., 1., 0., 0., 0., 0., 0.]])
    """
    n = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    d = check_positive_int(offset, "offset")
    variable_length = check_bool(variable_length, "variable_length")
    shortest = 2 * d + 1
    if T < shortest:
        raise ValueError(
            f"length must be >= 2 * offset + 1 = {shortest} (a step with both neighbours); got {T}"
        )
    min_len = shortest if min_length is None else check_positive_int(min_length, "min_length")
    if not shortest <= min_len <= T:
        raise ValueError(
            f"min_length must lie in [2 * offset + 1 = {shortest}, length={T}]; got {min_len}"
        )
    rng = make_rng(seed)
    bits = rng.integers(0, 2, size=(T, n))  # (T, N)
    lengths = None
    ends = np.full(n, T)
    if variable_length:
        lengths = ends = rng.integers(min_len, T + 1, size=n)  # (N,)
        bits[np.arange(T)[:, None] >= lengths[None, :]] = 0
    t = np.arange(T)[:, None]
    mask = (t >= d) & (t < ends[None, :] - d)  # (T, N)
    targets = np.zeros((T, n), dtype=np.int64)
    targets[d : T - d] = bits[: T - 2 * d] + bits[2 * d :]  # x[t - d] + x[t + d]
    targets[~mask] = 0
    return SequenceDataset(
        inputs=bits[:, :, None].astype(np.float64),
        targets=targets,
        mask=mask.astype(np.float64),
        loss="cross_entropy",
        output_size=3,
        lengths=lengths,
        info={"offset": d, "one_sided_accuracy": 0.5},
        name="two_sided_sum",
    )
