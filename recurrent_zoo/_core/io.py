"""Save and load models as one ``.npz`` file: arrays plus a JSON header, never pickle.

The file holds an array ``__header__`` (a unicode string with JSON: format version, the class,
its hyperparameters, the dtype) and one array per parameter under ``param/<name>``. Loading
rebuilds a skeleton from the hyperparameters and copies the arrays into it, the way equinox
reloads weights into a freshly built model. Only classes registered here (every concrete
:class:`~recurrent_zoo._core.base.SequenceModel` registers itself) can be loaded: nothing in a file
chooses what code runs.

Some arrays are sized by data rather than by hyperparameters: an empty memory's patterns have
shape ``(0, N)`` until patterns are stored. A skeleton array with length-0 axes takes the stored
length on those axes (its other axes must still match), so such objects need not write their
data sizes into the header. Objects whose shapes depend on each other in more involved ways
provide ``allocate_params(shapes)`` instead.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

__all__ = ["save", "load", "register_class", "to_jsonable", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_CLASSES: dict[str, Any] = {}


def class_key(cls: type) -> str:
    """The name a class is saved under: ``module.QualifiedName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register_class(cls: type) -> type:
    """Allow ``cls`` to be loaded by :func:`load`. Usable as a decorator."""
    _CLASSES[class_key(cls)] = cls
    return cls


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars, arrays and tuples to JSON types; leave the rest unchanged.

    Examples
    --------
    >>> to_jsonable((np.int64(3), np.float32(0.5), np.array([1, 2])))
    [3, 0.5, [1, 2]]
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.dtype):
        return value.name
    return value


def header(obj: Any) -> dict[str, Any]:
    """The JSON header describing ``obj``: class, hyperparameters and dtype."""
    return {
        "format": "recurrent_zoo",
        "version": FORMAT_VERSION,
        "class": class_key(type(obj)),
        "dtype": np.dtype(getattr(obj, "dtype", np.float64)).name,
        "config": obj.get_config(),
    }


def _import_catalogue() -> None:
    """Import every catalogue module so that their classes register (only our own modules)."""
    import importlib

    from .registry import ENTRIES

    for entry in ENTRIES:
        importlib.import_module(entry.module)


def build(head: dict[str, Any]) -> Any:
    """Build an object skeleton from a header produced by :func:`header`."""
    key = head.get("class")
    if isinstance(key, str) and key not in _CLASSES:
        _import_catalogue()
    cls = _CLASSES.get(key) if isinstance(key, str) else None
    if cls is None:
        raise ValueError(
            f"the file names class {key!r}, which is not a registered recurrent_zoo class; "
            "import the module that defines it before loading"
        )
    return cls.from_config(head["config"], dtype=np.dtype(head.get("dtype", "float64")))


def save(obj: Any, path: Any) -> None:
    """Write ``obj`` (anything with ``get_config()`` and a ``params`` dict) to ``path``."""
    text = json.dumps(header(obj), sort_keys=True)
    arrays: dict[str, Any] = {"__header__": np.array(text)}
    for name, value in obj.params.items():
        arrays[f"param/{name}"] = np.asarray(value)
    with open(os.fspath(path), "wb") as fh:
        np.savez(fh, **arrays)


def _sized_by_data(skeleton: tuple[int, ...], stored: tuple[int, ...]) -> bool:
    """Whether ``stored`` fills the length-0 axes of ``skeleton`` and matches it elsewhere."""
    return (
        skeleton != stored
        and len(skeleton) == len(stored)
        and 0 in skeleton
        and all(s in (0, v) for s, v in zip(skeleton, stored, strict=True))
    )


def load(path: Any) -> Any:
    """Load a model saved with ``save``; refuse files that hold pickled objects.

    Raises
    ------
    ValueError
        If the file is not a recurrent_zoo file, holds object (pickled) arrays, names an
        unknown class or does not match the class's parameter names and shapes.
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"path {path!r} is not a recurrent_zoo .npz file: {exc}") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"path {path!r} is not a recurrent_zoo .npz file")
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as exc:
                raise ValueError(
                    f"path {path!r}: entry {key!r} holds pickled Python objects; "
                    "recurrent_zoo never loads pickles"
                ) from exc
    if "__header__" not in arrays:
        raise ValueError(f"path {path!r} has no __header__: not a recurrent_zoo file")
    try:
        head = json.loads(str(arrays.pop("__header__")))
    except json.JSONDecodeError as exc:
        raise ValueError(f"path {path!r} has a malformed JSON header") from exc
    if not isinstance(head, dict) or head.get("format") != "recurrent_zoo":
        raise ValueError(f"path {path!r} is not a recurrent_zoo file")
    obj = build(head)
    stored = {k[len("param/") :]: v for k, v in arrays.items() if k.startswith("param/")}
    allocate = getattr(obj, "allocate_params", None)
    if callable(allocate):
        # objects whose parameter shapes are only known after fitting (an echo state network's
        # input weights and readout) build arrays of the stored shapes, checking them against
        # their hyperparameters; the name and shape checks below still apply
        allocate({name: tuple(value.shape) for name, value in stored.items()})
    for name, value in stored.items():
        target = obj.params.get(name)
        if target is not None and _sized_by_data(target.shape, value.shape):
            obj.params[name] = np.zeros(value.shape, dtype=target.dtype)
    if set(stored) != set(obj.params):
        raise ValueError(
            f"path {path!r}: parameters {sorted(stored)} do not match "
            f"{head['class']}'s {sorted(obj.params)}"
        )
    for name, value in stored.items():
        target = obj.params[name]
        if target.shape != value.shape:
            raise ValueError(
                f"path {path!r}: parameter {name!r} has shape {value.shape}, "
                f"expected {target.shape}"
            )
        target[...] = value
    return obj
