r"""Parity: is the number of ones in a bit string odd?

The label of a string :math:`x_0 \ldots x_{L-1} \in \{0, 1\}^L` is

.. math::

    y = \Big(\sum_{t=0}^{L-1} x_t\Big) \bmod 2,

a function of every bit, so a recurrent net must carry one bit of state across the whole
sequence and flip it at every 1. Parity was among the first problems learned by
backpropagation (Rumelhart, Hinton & Williams 1986, with a feed-forward net seeing all bits at
once); read one bit per step it is one of the three tasks Bengio, Simard & Frasconi (1994) used
to show how hard long-range credit assignment is for gradient descent. Read at the last step it
is a two-class problem: chance cross-entropy is :math:`\log 2 \approx 0.693`.

With ``variable_length=True`` each sequence gets its own length :math:`L_n` drawn uniformly
from ``[min_length, length]``, the input is zero-padded after it (padding zeros do not change
the parity) and the target sits at each sequence's own last step :math:`L_n - 1`.

References
----------
D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning internal representations by error
propagation", in Parallel Distributed Processing, vol. 1, MIT Press, 1986.

Y. Bengio, P. Simard and P. Frasconi, "Learning long-term dependencies with gradient descent is
difficult", IEEE Trans. Neural Networks 5(2):157-166, 1994.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset, check_bool, last_step_labels

__all__ = ["parity"]


def parity(
    n_sequences: int,
    length: int,
    seed: Any = None,
    variable_length: bool = False,
    min_length: int = 1,
) -> SequenceDataset:
    """Generate bit strings labelled with their parity at the last step.

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N``.
    length : int
        Sequence length ``T`` (the maximum length with ``variable_length=True``).
    seed : None, int or numpy.random.Generator
        Source of randomness.
    variable_length : bool, default False
        Draw each sequence's length uniformly from ``[min_length, length]``.
    min_length : int, default 1
        Shortest length when ``variable_length=True``.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1)`` bits (0 past a sequence's length); ``targets`` ``(T, N)`` int,
        the parity at each sequence's last step and 0 elsewhere; ``mask`` ``(T, N)``, 1 only at
        that step; ``loss="cross_entropy"``, ``output_size=2``; ``lengths`` ``(N,)`` with
        ``variable_length=True``, else ``None``. ``info["labels"]`` ``(N,)`` holds the parities.

    Examples
    --------
    >>> data = parity(3, 5, seed=4, variable_length=True, min_length=2)
    >>> data.inputs.shape, data.targets.shape, data.lengths
    ((5, 3, 1), (5, 3), array([2, 4, 5]))
    >>> data.mask.T
    array([[0., 1., 0., 0., 0.],
           [0., 0., 0., 1., 0.],
           [0., 0., 0., 0., 1.]])
    >>> bool(np.all(data.info["labels"] == data.inputs[:, :, 0].sum(axis=0) % 2))
    True
    """
    n = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    variable_length = check_bool(variable_length, "variable_length")
    min_len = check_positive_int(min_length, "min_length")
    if min_len > T:
        raise ValueError(f"min_length must be <= length={T}; got {min_len}")
    rng = make_rng(seed)
    bits = rng.integers(0, 2, size=(T, n))  # (T, N)
    lengths = None
    if variable_length:
        lengths = rng.integers(min_len, T + 1, size=n)  # (N,)
        bits[np.arange(T)[:, None] >= lengths[None, :]] = 0
    labels = bits.sum(axis=0) % 2  # (N,)
    targets, mask, _ = last_step_labels(labels, lengths, T)
    return SequenceDataset(
        inputs=bits[:, :, None].astype(np.float64),
        targets=targets,
        mask=mask,
        loss="cross_entropy",
        output_size=2,
        lengths=lengths,
        info={"labels": labels.astype(np.int64), "baseline_cross_entropy": float(np.log(2.0))},
        per_sequence=("labels",),
        name="parity",
    )
