"""The catalogue: one :class:`Entry` per architecture, declared by the architecture's own module.

Each architecture module ends with ``ENTRY = Entry(...)`` beside its class (as torchvision and
timm keep a model's metadata with its builder); this module only lists the modules, in catalogue
order, and reads their entries on first use. The command-line tool, the common checks, the
comparison harness and the docs all read :func:`catalogue`. Adding an architecture means one
module with its ``ENTRY`` and one line in :data:`MODULES`.

An entry's name is its module's name: ``recurrent_zoo.<name>`` holds the class (the wrappers'
modules, :mod:`recurrent_zoo.bidirectional` and :mod:`recurrent_zoo.stacked`, re-export classes
defined in the shared core).

Entry fields
------------
``examples``
    Small configurations used by the common checks (:mod:`recurrent_zoo.testing`): each a dict of
    keyword arguments for ``cls(input_size, **kwargs, seed=..., dtype=...)`` or a callable
    ``f(input_size, *, seed, dtype) -> model``. The first one is the default.
``tags``
    Which common checks apply. ``"sequence"`` marks the trainable sequence-model contract;
    families with their own conventions (associative memories, reservoirs) carry their own tag.
    Only the checks an entry's tags call for become tests.
``recipe``
    How ``recurrent-zoo compare`` trains the entry on its canonical ``task`` (see
    :mod:`recurrent_zoo.compare`): a callable or ``"module:function"`` under ``"run"`` or
    ``"build"``, or the generic trainer's settings.

Examples
--------
>>> from recurrent_zoo.catalogue import catalogue, get_entry
>>> catalogue()[0].name
'elman'
>>> get_entry("LSTM").cls.__name__
'LSTM'
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["Entry", "MODULES", "catalogue", "get_entry"]

#: The architecture modules of ``recurrent_zoo``, in catalogue order (family by family).
MODULES: tuple[str, ...] = (
    # classic and gated
    "elman",
    "jordan",
    "lstm",
    "gru",
    "second_order",
    "indrnn",
    "fully_recurrent",
    "rmlp",
    # wrappers
    "bidirectional",
    "stacked",
    # associative memories
    "hopfield",
    "modern_hopfield",
    "dense_associative_memory",
    "bam",
    # continuous time
    "ctrnn",
    "mtrnn",
    # reservoirs
    "esn",
    "deep_esn",
)


@dataclass(frozen=True)
class Entry:
    """One architecture of the catalogue, declared beside its class as ``ENTRY = Entry(...)``.

    Parameters
    ----------
    name : str
        The module's name, ``recurrent_zoo.<name>``; what ``recurrent-zoo info`` takes.
    title, reference, summary : str
        What it is, where it comes from (the paper), and one line on what it does.
    cls : type
        The architecture's class.
    family : str
        ``"classic"``, ``"gated"``, ``"wrapper"``, ``"associative"``, ``"continuous"``,
        ``"reservoir"``, ...
    year : int
    task : str
        The canonical task ``recurrent-zoo compare`` runs it on.
    trainable : bool
        Whether it is trained by gradient descent (BPTT).
    examples, tags, recipe
        See the module docstring.

    Examples
    --------
    >>> from recurrent_zoo.catalogue import get_entry
    >>> e = get_entry("elman")
    >>> e.cls.__name__, e.family, e.year, e.module
    ('Elman', 'classic', 1990, 'recurrent_zoo.elman')
    """

    name: str
    title: str
    cls: type
    family: str
    year: int
    reference: str
    task: str
    trainable: bool
    examples: tuple[Any, ...] = ()
    tags: frozenset[str] = frozenset({"sequence"})
    recipe: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    summary: str = ""

    def __post_init__(self) -> None:
        # plain dicts, lists and sets in a module's declaration become read-only equivalents
        object.__setattr__(self, "examples", tuple(self.examples))
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "recipe", MappingProxyType(dict(self.recipe)))

    @property
    def module(self) -> str:
        """The public module holding the class: ``recurrent_zoo.<name>``."""
        return f"recurrent_zoo.{self.name}"

    @property
    def class_name(self) -> str:
        return self.cls.__name__

    @property
    def defined_in(self) -> str:
        """The module that defines the class (the shared core, for the wrappers)."""
        return str(self.cls.__module__)

    def make(
        self, input_size: int, *, seed: Any = None, dtype: Any = np.float64, example: int = 0
    ) -> Any:
        """Build the ``example``-th small configuration (used by the common checks)."""
        spec = self.examples[example]
        if callable(spec):
            return spec(input_size, seed=seed, dtype=dtype)
        return self.cls(input_size, **spec, seed=seed, dtype=dtype)


_ENTRIES: list[Entry] | None = None


def _load_entries() -> list[Entry]:
    global _ENTRIES
    if _ENTRIES is None:
        entries = []
        for name in MODULES:
            module = importlib.import_module(f"recurrent_zoo.{name}")
            entry = getattr(module, "ENTRY", None)
            if not isinstance(entry, Entry):
                raise TypeError(f"module recurrent_zoo.{name} declares no ENTRY = Entry(...)")
            if entry.name != name:
                raise ValueError(
                    f"module recurrent_zoo.{name} declares an entry named {entry.name!r}; "
                    "an entry's name must be its module's name"
                )
            entries.append(entry)
        _ENTRIES = entries
    return _ENTRIES


def catalogue(family: str | None = None) -> list[Entry]:
    """Every architecture of the library, optionally only those of one ``family``.

    Examples
    --------
    >>> [e.name for e in catalogue("classic")][:2]
    ['elman', 'jordan']
    """
    return [e for e in _load_entries() if family is None or e.family == family]


def get_entry(name: str) -> Entry:
    """The entry called ``name`` (any case); a ValueError suggesting the closest names otherwise.

    Examples
    --------
    >>> get_entry("Elman").title
    'Elman network (simple recurrent network)'
    >>> get_entry("lstn")
    Traceback (most recent call last):
    ...
    ValueError: unknown architecture name 'lstn'; did you mean 'lstm'? ...
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    entries = _load_entries()
    wanted = name.strip().lower().replace("-", "_")
    for e in entries:
        if e.name == wanted:
            return e
    names = [e.name for e in entries]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise ValueError(f"unknown architecture name {name!r}; {hint}known: {', '.join(names)}")
