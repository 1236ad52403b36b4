r"""Tasks with structure on several time scales, for the hierarchical recurrent nets.

:func:`sum_of_sines`
    Generate a sum of sines of very different periods from a constant input: the stand-in for
    the clockwork RNN's sequence-generation experiment (Koutník et al. 2014: 320 steps).
:func:`long_lag_symbols`
    Schmidhuber's (1992) 22-symbol task: a continuous stream of blocks ``a b1 ... b20`` or
    ``x b1 ... b20``; after each block's last symbol, say whether it began with ``a``.
:func:`nested_periodic`
    A tune whose notes follow a fast period and whose key is cued once per slow period: every
    note needs the cue shown up to a slow period earlier.

References
----------
J. Koutník, K. Greff, F. Gomez and J. Schmidhuber, "A Clockwork RNN", ICML 2014.

J. Schmidhuber, "Learning complex, extended sequences using the principle of history
compression", Neural Computation 4(2):234-242, 1992.

S. El Hihi and Y. Bengio, "Hierarchical recurrent neural networks for long-term dependencies",
Advances in Neural Information Processing Systems 8 (NIPS 1995), 493-499.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_positive_int
from .base import SequenceDataset, one_hot

__all__ = ["long_lag_symbols", "nested_periodic", "sum_of_sines"]


def sum_of_sines(
    n_sequences: int = 1,
    length: int = 320,
    periods: Any = (8, 32, 80, 160),
    seed: Any = None,
) -> SequenceDataset:
    r"""Generate a sum of sines from a constant input.

    .. math::

        y_t = \frac{1}{\sqrt{K}} \sum_{k=1}^{K} \sin\left(\frac{2\pi t}{p_k} + \varphi_k\right),
        \qquad x_t = 1

    with phases :math:`\varphi_k \sim U(0, 2\pi)` drawn per sequence. The scaling gives the
    target a variance of about 1/2, so a net that outputs the mean scores an MSE near 0.5.

    Koutník et al. (2014) trained nets without input to generate a 320-sample piece of audio;
    the periods (8, 32, 80, 160), the constant input and the scaling are those of the public
    numpy reproduction that replaced the audio by this signal (cybertronai/schmidhuber-problems,
    ``clockwork-rnn``).

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N`` (each with its own phases).
    length : int
        Steps ``T`` (320 in the paper).
    periods : sequence of float > 0
        The sines' periods in steps.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1)`` of ones; ``targets`` ``(T, N, 1)``; ``mask`` all ones;
        ``loss="mse"``. ``info["phases"]`` ``(N, K)``, ``info["periods"]``.

    Examples
    --------
    >>> data = sum_of_sines(2, length=320, seed=0)
    >>> data.inputs.shape, data.targets.shape
    ((320, 2, 1), (320, 2, 1))
    >>> 0.4 < float(data.targets.var()) < 0.6
    True
    """
    n = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    p = np.asarray(periods, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"periods must be a non-empty sequence of positive numbers; got {periods}")
    phases = make_rng(seed).uniform(0.0, 2 * np.pi, size=(n, p.size))
    t = np.arange(T, dtype=np.float64)
    angle = 2 * np.pi * t[:, None, None] / p[None, None, :] + phases[None, :, :]  # (T, N, K)
    y = np.sin(angle).sum(axis=2) / np.sqrt(p.size)
    return SequenceDataset(
        inputs=np.ones((T, n, 1)),
        targets=y[:, :, None],
        mask=np.ones((T, n)),
        loss="mse",
        output_size=1,
        info={"phases": phases, "periods": tuple(p.tolist())},
        per_sequence=("phases",),
        name="sum_of_sines",
    )


def long_lag_symbols(
    n_blocks: int, n_streams: int = 1, lag: int = 20, seed: Any = None
) -> SequenceDataset:
    """Schmidhuber's (1992) long-lag task: streams of blocks ``a b1 .. b20`` and ``x b1 .. b20``.

    Symbols are indices ``0 = a``, ``1 = x``, ``2 .. lag + 1 = b1 .. b_lag`` (22 with the
    default ``lag=20``), shown one-hot, one per step. Each stream is a continuous sequence of
    ``n_blocks`` blocks with no episode boundaries; each block starts with ``a`` or ``x`` at
    random (probability 1/2) and continues with ``b1 .. b_lag``. After a block's last symbol
    the target is 1 if the block began with ``a`` and 0 if with ``x`` (Schmidhuber's "target
    unit": 1 "whenever the last 21 processed input symbols were a, b1, ..., b20"). Predicting
    the next symbol is the unsupervised part: every symbol but the block's first is
    determined by the one before.

    Parameters
    ----------
    n_blocks : int
        Blocks per stream (the "training sequences" of the paper are blocks).
    n_streams : int
        Number of independent streams ``N``.
    lag : int
        Symbols after the first (20 in the paper).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, lag + 2)`` one-hot with ``T = n_blocks * (lag + 1)``; ``targets``
        ``(T, N, 1)``, the label at each block's last step; ``mask`` 1 there only;
        ``loss="bce"``. ``info["symbols"]`` ``(N, T)`` the symbol indices,
        ``info["labels"]`` ``(N, n_blocks)``.

    Examples
    --------
    >>> data = long_lag_symbols(3, 2, seed=0)
    >>> data.inputs.shape, int(data.mask.sum())                   # 3 labels per stream
    ((63, 2, 22), 6)
    >>> data.info["symbols"][0, :21].tolist()[1:] == list(range(2, 22))   # b1 .. b20
    True
    """
    n_blocks = check_positive_int(n_blocks, "n_blocks")
    N = check_positive_int(n_streams, "n_streams")
    lag = check_positive_int(lag, "lag")
    labels = (make_rng(seed).random((n_blocks, N)) < 0.5).astype(np.int64)  # 1: the block is a..
    block = lag + 1
    T = n_blocks * block
    blocks = np.empty((n_blocks, block, N), dtype=np.int64)
    blocks[:, 0, :] = 1 - labels  # a = 0, x = 1
    blocks[:, 1:, :] = np.arange(2, lag + 2)[None, :, None]
    symbols = blocks.reshape(T, N)
    targets = np.zeros((T, N, 1))
    mask = np.zeros((T, N))
    last = np.arange(n_blocks) * block + lag
    targets[last, :, 0] = labels
    mask[last, :] = 1.0
    return SequenceDataset(
        inputs=one_hot(symbols, lag + 2),
        targets=targets,
        mask=mask,
        loss="bce",
        output_size=1,
        info={"symbols": symbols.T.copy(), "labels": labels.T.copy(), "lag": lag},
        per_sequence=("symbols", "labels"),
        name="long_lag_symbols",
    )


def nested_periodic(
    n_sequences: int,
    length: int = 128,
    fast_period: int = 4,
    slow_period: int = 64,
    n_keys: int = 4,
    seed: Any = None,
) -> SequenceDataset:
    r"""A tune with a fast period whose key is cued once per slow period.

    The sequence is cut into slow periods of ``slow_period`` steps. At the first step of each,
    one of ``n_keys`` keys :math:`k` is drawn and shown (a one-hot cue); at the first step of
    every fast period a beat is shown; every other input is zero. The target at every step is
    the note

    .. math:: y_t = (k + t \bmod p_{fast}) \bmod K

    of the current key's tune, so at every step the key cued up to ``slow_period - 1`` steps
    earlier decides the class, and the beat and the position in the fast period decide the rest.
    Without the cue a net is at chance, 1 / ``n_keys`` (each position's note differs for every
    key); the inputs between cues carry no information about the key.

    Parameters
    ----------
    n_sequences : int
    length : int
        Steps ``T``, a multiple of ``slow_period``.
    fast_period, slow_period : int
        ``slow_period`` a multiple of ``fast_period``.
    n_keys : int
        Number of keys ``K`` (also the number of notes).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1 + K)`` (beat, key cue); ``targets`` ``(T, N)`` notes;
        ``mask`` all ones; ``loss="cross_entropy"``, ``output_size=K``.
        ``info["keys"]`` ``(N, T // slow_period)``.

    Examples
    --------
    >>> data = nested_periodic(2, length=16, fast_period=2, slow_period=8, n_keys=3, seed=0)
    >>> data.inputs.shape, data.targets.shape, data.output_size
    ((16, 2, 4), (16, 2), 3)
    >>> k = data.info["keys"][0, 0]
    >>> data.targets[:4, 0].tolist() == [k % 3, (k + 1) % 3, k % 3, (k + 1) % 3]
    True
    """
    N = check_positive_int(n_sequences, "n_sequences")
    T = check_positive_int(length, "length")
    fast = check_positive_int(fast_period, "fast_period")
    slow = check_positive_int(slow_period, "slow_period")
    K = check_positive_int(n_keys, "n_keys", minimum=2)
    if slow % fast:
        raise ValueError(f"slow_period ({slow}) must be a multiple of fast_period ({fast})")
    if T % slow:
        raise ValueError(f"length ({T}) must be a multiple of slow_period ({slow})")
    n_slow = T // slow
    keys = make_rng(seed).integers(0, K, size=(N, n_slow))
    t = np.arange(T)
    key_t = keys[:, t // slow].T  # (T, N)
    targets = (key_t + (t % fast)[:, None]) % K
    inputs = np.zeros((T, N, 1 + K))
    inputs[t % fast == 0, :, 0] = 1.0
    cue = t % slow == 0
    inputs[cue, :, 1:] = one_hot(key_t[cue], K)
    return SequenceDataset(
        inputs=inputs,
        targets=targets.astype(np.int64),
        mask=np.ones((T, N)),
        loss="cross_entropy",
        output_size=K,
        info={"keys": keys, "fast_period": fast, "slow_period": slow},
        per_sequence=("keys",),
        name="nested_periodic",
    )
