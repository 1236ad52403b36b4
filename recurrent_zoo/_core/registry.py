"""The catalogue: one :class:`Entry` per architecture.

The command-line tool, the common checks, the comparison harness and the docs all read the
catalogue, so adding an architecture means adding its module and one ``Entry`` to
:data:`ENTRIES` below.

Entry fields
------------
``examples``
    Small configurations used by the common checks (``recurrent_zoo.testing``): each a dict of
    keyword arguments for ``cls(input_size, **kwargs, seed=..., dtype=...)`` or a callable
    ``f(input_size, *, seed, dtype) -> model``. The first one is the default.
``tags``
    Which common checks apply. ``"sequence"`` marks the trainable sequence-model contract;
    families with their own conventions (associative memories, reservoirs) carry their own tag,
    and a check that needs a tag an entry lacks is skipped, not deleted.
``recipe``
    How ``recurrent-zoo compare`` trains the entry on its canonical ``task`` (see
    :mod:`recurrent_zoo.compare`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Entry", "ENTRIES", "catalogue", "get_entry"]


@dataclass(frozen=True)
class Entry:
    """One architecture of the catalogue.

    Examples
    --------
    >>> from recurrent_zoo import catalogue
    >>> e = next(e for e in catalogue() if e.name == "elman")
    >>> e.cls.__name__, e.family, e.year
    ('Elman', 'classic', 1990)
    """

    name: str
    title: str
    module: str
    class_name: str
    family: str
    year: int
    reference: str
    task: str
    trainable: bool
    examples: tuple[Any, ...] = ()
    tags: frozenset[str] = frozenset({"sequence"})
    recipe: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    summary: str = ""

    @property
    def cls(self) -> type:
        """The architecture's class (its module is imported on first use)."""
        return getattr(importlib.import_module(self.module), self.class_name)  # type: ignore[no-any-return]

    def make(
        self, input_size: int, *, seed: Any = None, dtype: Any = np.float64, example: int = 0
    ) -> Any:
        """Build the ``example``-th small configuration (used by the common checks)."""
        spec = self.examples[example]
        if callable(spec):
            return spec(input_size, seed=seed, dtype=dtype)
        return self.cls(input_size, **spec, seed=seed, dtype=dtype)


def _bidirectional_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from .sequence import Bidirectional
    from ..elman import Elman
    from ..jordan import Jordan
    from .init import make_rng

    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Jordan(input_size, 3, 2, seed=rng, dtype=dtype),
        merge="concat",
    )


def _bidirectional_mul_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from .sequence import Bidirectional
    from ..elman import Elman
    from .init import make_rng

    rng = make_rng(seed)
    return Bidirectional(
        Elman(input_size, 3, seed=rng, dtype=dtype),
        Elman(input_size, 3, nonlinearity="relu", seed=rng, dtype=dtype),
        merge="mul",
    )


def _stacked_example(input_size: int, *, seed: Any, dtype: Any) -> Any:
    from .layers import Linear
    from .sequence import Stacked
    from ..elman import Elman
    from ..jordan import Jordan
    from .init import make_rng

    rng = make_rng(seed)
    return Stacked([
        Elman(input_size, 4, seed=rng, dtype=dtype),
        Jordan(4, 3, 3, seed=rng, dtype=dtype),
        Linear(3, 2, activation="tanh", seed=rng, dtype=dtype),
    ])


ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="elman",
        title="Elman network (simple recurrent network)",
        module="recurrent_zoo.elman",
        class_name="Elman",
        family="classic",
        year=1990,
        reference='J. L. Elman, "Finding structure in time", Cognitive Science 14(2):179-211, 1990',
        task="adding",
        trainable=True,
        summary="Hidden state fed back as context units; PyTorch nn.RNN's equations.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "nonlinearity": "relu", "bias": False},
        ),
        recipe=MappingProxyType({
            "model": {"hidden_size": 32},
            "readout": True,
            "optimizer": "adam", "lr": 0.01, "epochs": 30, "batch_size": 32,
        }),
    ),
    Entry(
        name="jordan",
        title="Jordan network",
        module="recurrent_zoo.jordan",
        class_name="Jordan",
        family="classic",
        year=1986,
        reference=(
            'M. I. Jordan, "Serial order: a parallel distributed processing approach", '
            "ICS Report 8604, UC San Diego, 1986"
        ),
        task="adding",
        trainable=True,
        summary="State units fed from the output layer, with self-recurrent decay.",
        examples=(
            {"hidden_size": 3, "output_size": 2},
            {"hidden_size": 4, "output_size": 1, "decay": 0.0, "output_activation": "sigmoid"},
            {"hidden_size": 2, "output_size": 3, "hidden_activation": "sigmoid", "decay": 0.9},
        ),
        recipe=MappingProxyType({
            "model": {"hidden_size": 32, "output_size": 1},
            "readout": False,
            "optimizer": "adam", "lr": 0.01, "epochs": 30, "batch_size": 32,
        }),
    ),
    Entry(
        name="lstm",
        title="Long short-term memory (LSTM)",
        module="recurrent_zoo.lstm",
        class_name="LSTM",
        family="gated",
        year=1997,
        reference=(
            'S. Hochreiter and J. Schmidhuber, "Long short-term memory", Neural Computation '
            "9(8):1735-1780, 1997; forget gate: F. A. Gers, J. Schmidhuber and F. Cummins, "
            '"Learning to forget: continual prediction with LSTM", Neural Computation '
            "12(10):2451-2471, 2000"
        ),
        task="adding",
        trainable=True,
        summary="Gated memory cell with forget gate; PyTorch nn.LSTM's equations, proj_size.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 4, "proj_size": 2, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "bias": False},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32},
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                "clip_norm": 1.0,
            }
        ),
    ),
    Entry(
        name="gru",
        title="Gated recurrent unit (GRU)",
        module="recurrent_zoo.gru",
        class_name="GRU",
        family="gated",
        year=2014,
        reference=(
            "K. Cho, B. van Merrienboer, C. Gulcehre, D. Bahdanau, F. Bougares, H. Schwenk and "
            'Y. Bengio, "Learning phrase representations using RNN encoder-decoder for '
            'statistical machine translation", EMNLP 2014'
        ),
        task="adding",
        trainable=True,
        summary="Reset and update gates, no separate cell; PyTorch nn.GRU's equations.",
        examples=(
            {"hidden_size": 3},
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
            {"hidden_size": 2, "bias": False},
        ),
        recipe=MappingProxyType(
            {
                "model": {"hidden_size": 32},
                "readout": True,
                "optimizer": "adam",
                "lr": 0.01,
                "epochs": 30,
                "batch_size": 32,
                "clip_norm": 1.0,
            }
        ),
    ),
    Entry(
        name="bidirectional",
        title="Bidirectional recurrent net (wrapper)",
        module="recurrent_zoo._core.sequence",
        class_name="Bidirectional",
        family="wrapper",
        year=1997,
        reference=(
            'M. Schuster and K. K. Paliwal, "Bidirectional recurrent neural networks", '
            "IEEE Trans. Signal Processing 45(11):2673-2681, 1997"
        ),
        task="parity",
        trainable=True,
        summary="Any two trainable models, one run backward in time; outputs merged.",
        examples=(_bidirectional_example, _bidirectional_mul_example),
    ),
    Entry(
        name="stacked",
        title="Deep (stacked) recurrent net (wrapper)",
        module="recurrent_zoo._core.sequence",
        class_name="Stacked",
        family="wrapper",
        year=2013,
        reference=(
            'R. Pascanu, C. Gulcehre, K. Cho and Y. Bengio, "How to construct deep recurrent '
            'neural networks", ICLR 2014 (arXiv:1312.6026)'
        ),
        task="adding",
        trainable=True,
        summary="Any trainable models in sequence, each reading the previous one's outputs.",
        examples=(_stacked_example,),
    ),
)


def catalogue(family: str | None = None) -> list[Entry]:
    """Every architecture of the library, optionally only those of one ``family``.

    Examples
    --------
    >>> [e.name for e in catalogue("classic")][:2]
    ['elman', 'jordan']
    """
    entries = [e for e in ENTRIES if family is None or e.family == family]
    return entries


def get_entry(name: str) -> Entry:
    """The entry called ``name``; a ValueError listing the known names otherwise.

    Examples
    --------
    >>> get_entry("elman").title
    'Elman network (simple recurrent network)'
    """
    for e in ENTRIES:
        if e.name == name:
            return e
    known = ", ".join(e.name for e in ENTRIES)
    raise ValueError(f"unknown architecture name {name!r}; known: {known}")

