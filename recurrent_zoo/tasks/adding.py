r"""The adding problem: remember two marked numbers over a long sequence and add them.

Hochreiter & Schmidhuber (1997, experiment 4) introduced the task; we generate the form of
Le, Jaitly & Hinton (2015) that later work made standard. Each sequence has two input
channels over ``T`` steps:

- channel 0 holds values :math:`u_t \sim U(0, 1)`, independently at every step;
- channel 1 holds markers :math:`m_t \in \{0, 1\}`: exactly one 1 at a step drawn uniformly
  from the first half :math:`[0, \lfloor T/2 \rfloor)` and one at a step drawn uniformly from
  the second half :math:`[\lfloor T/2 \rfloor, T)`, zeros elsewhere.

The target, at the last step only, is the sum of the two marked values

.. math::

    y_{T-1} = \sum_{t=0}^{T-1} m_t u_t = u_{p_1} + u_{p_2}.

Baseline: a model that ignores its input and always outputs the mean :math:`E[y] = 1` has mean
squared error :math:`\mathrm{Var}(u_{p_1} + u_{p_2}) = 2 \cdot \tfrac{1}{12} = \tfrac{1}{6}
\approx 0.167`; an MSE clearly below that is the sign a model learned the task. (Le et al.
quote about 0.1767 for this baseline; the exact expectation is 1/6.)

Hochreiter & Schmidhuber's original version differs in its details (values in [-1, 1], the
first marker among the first ten steps, target :math:`0.5 + (u_{p_1} + u_{p_2}) / 4`).

References
----------
S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation 9(8):1735-1780,
1997.

Q. V. Le, N. Jaitly and G. E. Hinton, "A simple way to initialize recurrent networks of
rectified linear units", arXiv:1504.00941, 2015.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset

__all__ = ["adding_problem"]


def adding_problem(n_sequences: int, length: int, seed: Any = None) -> SequenceDataset:
    """Generate the adding problem (Le, Jaitly & Hinton 2015 form).

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N``.
    length : int
        Sequence length ``T >= 2``; the first half is ``[0, T // 2)``.
    seed : None, int or numpy.random.Generator
        Source of randomness (see :func:`recurrent_zoo._core.init.make_rng`).

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 2)`` (values, markers); ``targets`` ``(T, N, 1)``, the sum at
        ``t = T - 1`` and 0 elsewhere; ``mask`` ``(T, N)``, 1 only at ``t = T - 1``;
        ``loss="mse"``, ``output_size=1``. ``info["positions"]`` ``(N, 2)`` holds the two marked
        steps and ``info["baseline_mse"]`` the mean predictor's expected MSE, 1/6.

    Examples
    --------
    >>> data = adding_problem(4, 10, seed=0)
    >>> X, Y, mask = data
    >>> X.shape, Y.shape, mask.shape
    ((10, 4, 2), (10, 4, 1), (10, 4))
    >>> X[:, :, 1].sum(axis=0)
    array([2., 2., 2., 2.])
    >>> bool(np.allclose(Y[-1, :, 0], (X[:, :, 0] * X[:, :, 1]).sum(axis=0)))
    True
    """
    n = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length", minimum=2)
    rng = make_rng(seed)
    half = T // 2
    values = rng.random((T, n))  # (T, N)
    first = rng.integers(0, half, size=n)  # (N,)
    second = rng.integers(half, T, size=n)  # (N,)

    cols = np.arange(n)
    markers = np.zeros((T, n))
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    inputs = np.stack([values, markers], axis=-1)  # (T, N, 2)

    targets = np.zeros((T, n, 1))
    targets[-1, :, 0] = values[first, cols] + values[second, cols]
    mask = np.zeros((T, n))
    mask[-1] = 1.0
    return SequenceDataset(
        inputs=inputs,
        targets=targets,
        mask=mask,
        loss="mse",
        output_size=1,
        info={"positions": np.stack([first, second], axis=1), "baseline_mse": 1.0 / 6.0},
        per_sequence=("positions",),
        name="adding",
    )
