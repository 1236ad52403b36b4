r"""Multichannel trajectory classification: noisy, time-warped utterances of several classes.

A stand-in, generated in code, for recorded sequence-classification sets such as the Japanese
vowels of Kudo, Toyama & Shimbo (1999): 9 speakers saying /ae/, each utterance 7-29 frames of
12 cepstral coefficients, the task being to name the speaker. Every class here is a smooth
12-channel *prototype* trajectory over normalised time; a sequence is one class's prototype
said at its own pace, warped in time, with its own gain and offset per channel and
correlated noise. Classes share most of their shape (as every speaker says the same vowel),
so they are told apart by small differences spread over the channels and over time, and the
sequences' lengths vary and overlap between classes.

How a data set is made, step by step (:math:`K` classes, :math:`C` channels):

1. **Prototypes**, fixed by ``task_seed`` (so that a training set and a test set drawn with
   different ``seed`` come from the same task). Channel :math:`j` has a scale
   :math:`s_j = 1 / \sqrt{1 + j}` (higher coefficients are smaller, as cepstra are). Each
   channel has a component :math:`g_j` shared by all classes and each class a component
   :math:`h_{k,j}`, both random smooth curves
   :math:`\sum_{m=1}^{4} \frac{a_m}{m} \cos(\pi m \tau + \varphi_m)` with
   :math:`a_m \sim N(0, 1)`, :math:`\varphi_m \sim U(0, 2\pi)`, and the prototype is
   :math:`p_{k,j}(\tau) = s_j \, (g_j(\tau) + \delta \, h_{k,j}(\tau))`,
   :math:`\tau \in [0, 1]`, with :math:`\delta` = ``separation``. Each class also has a
   typical length :math:`\mu_k \sim U(L_{min} + 3, L_{max} - 3)`.
2. **Class and length** of each sequence: the class uniformly at random, the length
   :math:`T = \mathrm{clip}(\mathrm{round}(\mu_k + 4 \epsilon), L_{min}, L_{max})`,
   :math:`\epsilon \sim N(0, 1)`: lengths carry a little information, not enough to classify.
3. **Time warp**: frame :math:`t = 0..T-1` reads the prototype at
   :math:`\tau_t = a + (b - a)\, w(t / (T - 1))` where the utterance starts at
   :math:`a \sim U(0, 0.1)`, ends at :math:`b \sim U(0.9, 1)`, and the monotone warp
   :math:`w(s) = (e^{\gamma s} - 1) / (e^\gamma - 1)` (the identity for :math:`\gamma = 0`)
   has :math:`\gamma \sim N(0, \omega^2)`, :math:`\omega` = ``warp``: some sequences
   hurry through the start, others through the end.
4. **Per-sequence variability**: each channel's value is multiplied by
   :math:`1 + 0.1 \eta_j` and shifted by :math:`0.1 s_j \zeta_j`
   (:math:`\eta_j, \zeta_j \sim N(0, 1)`), as a speaker's voice differs between days.
5. **Noise**: AR(1) noise per channel,
   :math:`e_t = 0.5 e_{t-1} + \sqrt{0.75}\, \sigma s_j \xi_t` (stationary, standard deviation
   :math:`\sigma s_j`), :math:`\sigma` = ``noise``, added to every frame.

The inputs are zero-padded to the longest sequence, time-major ``(T, N, C)``; the label is
the target at each sequence's last step (``loss="cross_entropy"``, as
:func:`~recurrent_zoo.tasks.tomita_dataset` and friends), and ``info["labels"]`` holds the
``(N,)`` labels. :meth:`~recurrent_zoo.tasks.SequenceDataset.sequences` gives the list of
``(T_k, C)`` arrays a reservoir classifier takes.

This is a synthetic task defined by this library; its defaults (9 classes, 12 channels,
7-30 steps) follow the shape of the Japanese vowels set, not its values.

References
----------
M. Kudo, J. Toyama and M. Shimbo, "Multidimensional curve classification using
passing-through regions", Pattern Recognition Letters 20(11-13):1103-1111, 1999.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import NDArray, check_positive_int, check_real
from .base import SequenceDataset, last_step_labels

__all__ = ["trajectory_classification", "trajectory_prototypes"]

_HARMONICS = 4


def _smooth_curves(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[NDArray, NDArray]:
    """Amplitudes ``(..., M)`` (a_m / m) and phases of random smooth cosine sums."""
    m = np.arange(1, _HARMONICS + 1)
    amp = rng.standard_normal(shape + (_HARMONICS,)) / m
    phase = rng.uniform(0.0, 2 * np.pi, size=shape + (_HARMONICS,))
    return amp, phase


def _evaluate(amp: NDArray, phase: NDArray, tau: NDArray) -> NDArray:
    """``sum_m amp_m cos(pi m tau + phase_m)`` for curves ``(..., M)`` at times ``tau`` (T,)."""
    m = np.arange(1, _HARMONICS + 1)
    t = tau.reshape(tau.shape + (1,) * amp.ndim)  # (T, 1, ..., 1)
    return (amp * np.cos(np.pi * m * t + phase)).sum(axis=-1)  # (T, ...)


def trajectory_prototypes(
    n_classes: int = 9,
    n_channels: int = 12,
    *,
    separation: float = 0.5,
    task_seed: Any = 0,
    n_points: int = 101,
) -> NDArray:
    """The class prototypes :math:`p_{k,j}(\\tau)` at ``n_points`` times in [0, 1], ``(n, K, C)``.

    Examples
    --------
    >>> trajectory_prototypes(3, 2, n_points=5).shape
    (5, 3, 2)
    """
    K = check_positive_int(n_classes, "n_classes", minimum=2)
    C = check_positive_int(n_channels, "n_channels")
    n = check_positive_int(n_points, "n_points", minimum=2)
    delta = check_real(separation, "separation", low=0.0, closed="left")
    tau = np.linspace(0.0, 1.0, n)
    shared, specific, scale, _ = _task(K, C, task_seed, 7, 30)
    g = _evaluate(*shared, tau)  # (n, C)
    h = _evaluate(*specific, tau)  # (n, K, C)
    return scale * (g[:, None, :] + delta * h)


def _task(
    K: int, C: int, task_seed: Any, lo: int, hi: int
) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray], NDArray, NDArray]:
    rng = make_rng(task_seed)
    shared = _smooth_curves(rng, (C,))
    specific = _smooth_curves(rng, (K, C))
    scale = 1.0 / np.sqrt(1.0 + np.arange(C))
    typical = rng.uniform(lo + 3, hi - 3, size=K) if hi - lo > 6 else np.full(K, (lo + hi) / 2)
    return shared, specific, scale, typical


def trajectory_classification(
    n_sequences: int,
    n_classes: int = 9,
    *,
    n_channels: int = 12,
    min_length: int = 7,
    max_length: int = 30,
    separation: float = 0.5,
    warp: float = 1.0,
    noise: float = 0.5,
    task_seed: Any = 0,
    seed: Any = None,
) -> SequenceDataset:
    """Noisy, time-warped multichannel trajectories of ``n_classes`` classes (see module doc).

    Parameters
    ----------
    n_sequences : int
        Number of sequences ``N``.
    n_classes : int, default 9
        Number of classes ``K >= 2``.
    n_channels : int, default 12
        Number of channels ``C`` (the input size).
    min_length, max_length : int, default 7 and 30
        The range of sequence lengths (``2 <= min_length <= max_length``).
    separation : float, default 0.5
        ``delta``: the size of the class-specific component against the shared one (>= 0;
        0 makes the classes the same but for their lengths).
    warp : float, default 1.0
        ``omega``: the spread of the time warp (>= 0; 0 reads every prototype at an even pace).
    noise : float, default 0.5
        ``sigma``: the noise's standard deviation relative to each channel's scale (>= 0).
    task_seed : None, int or numpy.random.Generator, default 0
        Fixes the prototypes: keep it for a training and a test set of the same task.
    seed : None, int or numpy.random.Generator
        Draws the sequences.

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, C)`` zero-padded (``T`` the longest length), ``targets`` the label
        at each sequence's last step, ``lengths`` ``(N,)``, ``info["labels"]`` ``(N,)``.

    Examples
    --------
    >>> data = trajectory_classification(20, seed=0)
    >>> X, y = data.sequences(), data.info["labels"]
    >>> len(X), X[0].shape[1], data.output_size, int(min(len(x) for x in X)) >= 7
    (20, 12, 9, True)
    >>> bool(np.array_equal(trajectory_classification(20, seed=0).inputs, data.inputs))
    True
    """
    N = check_positive_int(n_sequences, "n_sequences")
    K = check_positive_int(n_classes, "n_classes", minimum=2)
    C = check_positive_int(n_channels, "n_channels")
    lo = check_positive_int(min_length, "min_length", minimum=2)
    hi = check_positive_int(max_length, "max_length", minimum=2)
    if hi < lo:
        raise ValueError(f"max_length must be >= min_length={lo}; got {hi}")
    delta = check_real(separation, "separation", low=0.0, closed="left")
    omega = check_real(warp, "warp", low=0.0, closed="left")
    sigma = check_real(noise, "noise", low=0.0, closed="left")
    shared, specific, scale, typical = _task(K, C, task_seed, lo, hi)
    rng = make_rng(seed)
    labels = rng.integers(0, K, size=N)
    lengths = np.clip(np.round(typical[labels] + 4.0 * rng.standard_normal(N)), lo, hi)
    lengths = lengths.astype(np.int64)
    T = int(lengths.max())
    inputs = np.zeros((T, N, C))
    for n in range(N):
        k, L = labels[n], int(lengths[n])
        start, stop = rng.uniform(0.0, 0.1), rng.uniform(0.9, 1.0)
        gamma = omega * rng.standard_normal()
        s = np.linspace(0.0, 1.0, L)
        w = s if abs(gamma) < 1e-9 else np.expm1(gamma * s) / np.expm1(gamma)
        tau = start + (stop - start) * w  # (L,) warped times
        g = _evaluate(shared[0], shared[1], tau)  # (L, C)
        h = _evaluate(specific[0][k], specific[1][k], tau)  # (L, C)
        x = scale * (g + delta * h)
        x = x * (1.0 + 0.1 * rng.standard_normal(C)) + 0.1 * scale * rng.standard_normal(C)
        xi = rng.standard_normal((L, C))
        e = np.empty((L, C))
        e[0] = xi[0]  # stationary start: unit variance like the rest
        for t in range(1, L):
            e[t] = 0.5 * e[t - 1] + np.sqrt(0.75) * xi[t]
        inputs[:L, n] = x + sigma * scale * e
    targets, mask, _ = last_step_labels(labels, lengths, T)
    return SequenceDataset(
        inputs=inputs,
        targets=targets,
        mask=mask,
        loss="cross_entropy",
        output_size=K,
        lengths=lengths,
        info={"labels": labels},
        per_sequence=("labels",),
        name="trajectories",
    )
