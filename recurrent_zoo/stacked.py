"""Deep (stacked) recurrent nets (Pascanu et al. 2014): any trainable models in sequence, each
reading the previous one's output sequence.

The class lives in the shared core (:mod:`recurrent_zoo._core.sequence`) because the library
itself stacks models with it (a recurrent net and its :class:`~recurrent_zoo.Linear` readout);
this module is its public home and its catalogue entry.

Examples
--------
>>> import numpy as np
>>> from recurrent_zoo.stacked import Stacked
>>> from recurrent_zoo.elman import Elman
>>> m = Stacked([Elman(2, 5, seed=0), Elman(5, 3, seed=1)])
>>> m.forward(np.zeros((4, 2, 2)))[0].shape
(4, 2, 3)
"""

from __future__ import annotations

from typing import Any

from ._core.init import make_rng
from ._core.layers import Linear
from ._core.sequence import Stacked
from .catalogue import Entry
from .elman import Elman
from .jordan import Jordan

__all__ = ["Stacked", "build_stacked_elman"]


def _example(input_size: int, *, seed: Any, dtype: Any) -> Stacked:
    rng = make_rng(seed)
    return Stacked(
        [
            Elman(input_size, 4, seed=rng, dtype=dtype),
            Jordan(4, 3, 3, seed=rng, dtype=dtype),
            Linear(3, 2, activation="tanh", seed=rng, dtype=dtype),
        ]
    )


def build_stacked_elman(input_size: int, *, seed: Any) -> Stacked:
    """The model ``recurrent-zoo compare`` trains for this entry: two Elman layers."""
    rng = make_rng(seed)
    return Stacked([Elman(input_size, 24, seed=rng), Elman(24, 24, seed=rng)])


# ----------------------------------------------------------------------------- catalogue entry
ENTRY = Entry(
    name="stacked",
    title="Deep (stacked) recurrent net (wrapper)",
    cls=Stacked,
    family="wrapper",
    year=2013,
    reference=(
        'R. Pascanu, C. Gulcehre, K. Cho and Y. Bengio, "How to construct deep recurrent '
        'neural networks", ICLR 2014 (arXiv:1312.6026)'
    ),
    task="adding",
    trainable=True,
    summary="Any trainable models in sequence, each reading the previous one's outputs.",
    examples=(_example,),
    recipe={
        "build": build_stacked_elman,
        "readout": True,
        "optimizer": "adam",
        "lr": 0.01,
        "epochs": 30,
        "batch_size": 32,
        # simple recurrent nets do not learn the adding problem at T = 50, the full
        # mode's length (Hochreiter & Schmidhuber 1997; Le et al. 2015): keep T = 10
        "full": {"task_options": {"length": 10}},
    },
)
