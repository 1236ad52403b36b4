"""Bidirectional recurrent nets (Schuster & Paliwal 1997): any two trainable models, one run
backward in time, their outputs merged at every step.

The class lives in the shared core (:mod:`recurrent_zoo._core.sequence`), beside
:class:`~recurrent_zoo.stacked.Stacked`, because the multi-layer PyTorch-style cells use it
too; this module is its public home and its catalogue entry.

Examples
--------
>>> import numpy as np
>>> from recurrent_zoo.bidirectional import Bidirectional
>>> from recurrent_zoo.elman import Elman
>>> m = Bidirectional(Elman(2, 3, seed=0), Elman(2, 3, seed=1), merge="concat")
>>> m.forward(np.zeros((4, 1, 2)))[0].shape
(4, 1, 6)
"""

from __future__ import annotations

from typing import Any

from ._core.init import make_rng
from ._core.sequence import Bidirectional
from .catalogue import Entry
from .elman import Elman
from .jordan import Jordan

__all__ = ["Bidirectional", "build_bidirectional_elman"]


def _concat_example(input_size: int, *, seed: Any, dtype: Any) -> Bidirectional:
    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Jordan(input_size, 3, 2, seed=rng, dtype=dtype),
        merge="concat",
    )


def _mul_example(input_size: int, *, seed: Any, dtype: Any) -> Bidirectional:
    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Elman(input_size, 3, nonlinearity="relu", seed=rng, dtype=dtype),
        merge="mul",
    )


def build_bidirectional_elman(input_size: int, *, seed: Any) -> Bidirectional:
    """The model ``recurrent-zoo compare`` trains for this entry: an Elman net each way."""
    rng = make_rng(seed)
    return Bidirectional(Elman(input_size, 16, seed=rng), Elman(input_size, 16, seed=rng))


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="bidirectional",
    title="Bidirectional recurrent net (wrapper)",
    cls=Bidirectional,
    family="wrapper",
    year=1997,
    reference=(
        'M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", '
        "IEEE Trans. Signal Processing 45(11):2673-2681, 1997"
    ),
    task="two_sided_sum",
    trainable=True,
    summary="Any two trainable models, one run backward in time; outputs merged.",
    examples=(_concat_example, _mul_example),
    recipe={
        "build": build_bidirectional_elman,
        "readout": True,
        "optimizer": "adam",
        "lr": 0.01,
        "epochs": 10,
        "batch_size": 32,
        "clip_norm": 1.0,
        "full": {"epochs": 30},
    },
)
