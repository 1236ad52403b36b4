"""recurrent_zoo: a reference catalogue of recurrent neural networks on one numpy core.

Every architecture is its own module, ``from recurrent_zoo.<module> import <Class>``, keeps one
API contract (see :class:`recurrent_zoo.SequenceModel`) and is listed by :func:`catalogue`.
:func:`sweep` runs grid or random searches over the catalogue's recipes x seeds
(:mod:`recurrent_zoo.sweeps`).

Examples
--------
>>> import recurrent_zoo
>>> "elman" in [e.name for e in recurrent_zoo.catalogue()]
True
"""

from ._core.base import SequenceModel
from ._core.io import load
from ._core.layers import Linear
from ._core.sequence import Bidirectional, Stacked, pad_sequences
from ._core.structure import Forest, StructureModel
from ._core.vision import PatchKeypoints
from ._version import __version__
from .catalogue import Entry, catalogue, get_entry
from .sweeps import sweep

__all__ = [
    "__version__",
    "Bidirectional",
    "Entry",
    "Forest",
    "Linear",
    "PatchKeypoints",
    "SequenceModel",
    "Stacked",
    "StructureModel",
    "catalogue",
    "get_entry",
    "load",
    "pad_sequences",
    "sweep",
]
