r"""Elman's temporal XOR: predict the next bit of a stream of XOR triples.

Elman (1990, section "Exclusive-OR") turned XOR into a prediction task in time: a stream of
bits is built by concatenating triples :math:`(a, b, a \oplus b)` with :math:`a, b` fair coin
flips, e.g. ``1 0 1 0 0 0 0 1 1 1 1 0 ...``; the network reads one bit per step and must
predict the next one. Elman used 3000 bits (1000 triples).

Only every third bit is predictable: with the stream :math:`z_0 z_1 z_2 \ldots` and input
:math:`x_t = z_t`, target :math:`y_t = z_{t+1}`, the target is the XOR bit exactly when
:math:`t \bmod 3 = 1`, and then :math:`y_t = x_t \oplus x_{t-1}`. The other targets are fair
coin flips, so even a perfect model has loss :math:`\log 2` (BCE) or :math:`1/4` (MSE,
predicting 0.5) there; Elman's signature result is the error dropping at every third step.
``info["predictable"]`` marks those steps and ``info["optimal_loss"]`` is the loss of the
perfect predictor averaged over all steps (about :math:`\tfrac{2}{3}\log 2 \approx 0.462`
for BCE, :math:`\tfrac{2}{3} \cdot \tfrac{1}{4} = \tfrac{1}{6}` for MSE).

References
----------
J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.init import make_rng
from .._core.validation import check_choice, check_positive_int
from .base import SequenceDataset

__all__ = ["temporal_xor"]


def temporal_xor(
    n_bits: int = 3000, seed: Any = None, *, n_streams: int = 1, loss: str = "bce"
) -> SequenceDataset:
    """Generate Elman's (1990) temporal XOR stream(s) for next-bit prediction.

    Parameters
    ----------
    n_bits : int, default 3000
        Number of input steps ``T``; the stream behind it has ``T + 1`` bits and starts at a
        triple boundary.
    seed : None, int or numpy.random.Generator
        Source of randomness.
    n_streams : int, default 1
        Number ``N`` of independent streams (the batch axis).
    loss : {"bce", "mse"}, default "bce"

    Returns
    -------
    SequenceDataset
        ``inputs`` ``(T, N, 1)`` bits; ``targets`` ``(T, N, 1)``, the next bit; ``mask`` all
        ones ``(T, N)``; ``output_size=1``. ``info["predictable"]`` ``(T,)`` bool marks the
        steps whose target is an XOR bit, ``info["stream"]`` ``(N, T + 1)`` int holds each
        stream's bits, and ``info["optimal_loss"]`` the perfect predictor's mean loss.

    Examples
    --------
    >>> data = temporal_xor(8, seed=0)
    >>> data.inputs.shape, data.targets.shape
    ((8, 1, 1), (8, 1, 1))
    >>> data.info["predictable"].astype(int)
    array([0, 1, 0, 0, 1, 0, 0, 1])
    >>> z = data.info["stream"][0]
    >>> bool(np.all(z[2::3] == z[0::3] ^ z[1::3]))
    True
    """
    T = check_positive_int(n_bits, "n_bits")
    n = check_positive_int(n_streams, "n_streams")
    check_choice(loss, "loss", ("bce", "mse"))
    rng = make_rng(seed)
    n_triples = -(-(T + 1) // 3)
    ab = rng.integers(0, 2, size=(n_triples, 2, n))  # (triples, 2, N)
    triples = np.concatenate([ab, ab[:, :1] ^ ab[:, 1:]], axis=1)  # (triples, 3, N)
    stream = triples.reshape(3 * n_triples, n)[: T + 1]  # (T + 1, N)

    predictable = np.arange(T) % 3 == 1  # (T,)
    per_step = np.log(2.0) if loss == "bce" else 0.25
    optimal = per_step * float(np.count_nonzero(~predictable)) / T
    return SequenceDataset(
        inputs=stream[:-1, :, None].astype(np.float64),
        targets=stream[1:, :, None].astype(np.float64),
        mask=np.ones((T, n)),
        loss=loss,
        output_size=1,
        info={
            "predictable": predictable,
            "stream": np.ascontiguousarray(stream.T, dtype=np.int64),
            "optimal_loss": optimal,
        },
        per_sequence=("stream",),
        name="temporal_xor",
    )
