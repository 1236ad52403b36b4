"""Save and load models as safetensors files: raw tensors plus a JSON config, never pickle.

A model file is a `safetensors <https://github.com/huggingface/safetensors>`_ file, the format
PyTorch and Hugging Face users share weights in: an 8-byte little-endian header length, a JSON
header giving each tensor's dtype, shape and byte offsets, then the raw little-endian buffers.
Each parameter is one tensor under the name the model uses (for Elman, LSTM and GRU exactly
PyTorch's state-dict keys, so ``torch.nn.LSTM(...).load_state_dict(safetensors.torch.load_file
(path))`` takes our file as it is). The header's ``__metadata__`` holds strings: ``format``
(``"recurrent_zoo"``), ``version``, ``class`` (``module.QualifiedName``), ``dtype`` and
``config`` (the hyperparameters as JSON).

Loading checks before it allocates, in this order:

1. the file exists and is a safetensors file whose header is at most :data:`MAX_HEADER_BYTES`
   and whose offsets cover the file exactly (checked by the safetensors library itself, which
   refuses an inconsistent header before reading any tensor);
2. the metadata names a registered class (every concrete
   :class:`~recurrent_zoo._core.base.SequenceModel` registers itself, other families use
   :func:`register_class`; a ``recurrent_zoo.*`` module not yet imported is imported, nothing
   else), and its config is a JSON object whose keys are that class's hyperparameters;
3. the skeleton is built from the config, its initialisers drawing against a budget of the
   number of values the file holds (:func:`~recurrent_zoo._core.init.allocation_budget`), so a
   config that implies more parameters than the file carries is refused before the weights are
   drawn;
4. every tensor's name, dtype and shape are compared with the skeleton's, and only then is each
   read, checked for NaN and infinity, and copied in.

Some arrays are sized by data rather than by hyperparameters: an empty memory's patterns have
shape ``(0, N)`` until patterns are stored. A skeleton array with length-0 axes takes the stored
length on those axes (its other axes must still match). Objects whose shapes depend on each
other in more involved ways provide ``allocate_params(shapes)`` instead.
"""

from __future__ import annotations

import contextvars
import importlib
import importlib.util
import inspect
import json
import os
import re
import struct
from typing import Any

import numpy as np

from .init import allocation_budget

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_HEADER_BYTES",
    "MAX_CONFIG_BYTES",
    "build",
    "class_key",
    "header",
    "load",
    "read_metadata",
    "register_class",
    "save",
    "to_jsonable",
]

FORMAT = "recurrent_zoo"
FORMAT_VERSION = 2
#: the largest safetensors JSON header accepted (a model's header is a few kilobytes)
MAX_HEADER_BYTES = 1 << 20
#: the largest config JSON accepted
MAX_CONFIG_BYTES = 1 << 16
#: values a skeleton may draw beyond the file's own (scratch arrays built by constructors)
_BUDGET_SLACK = 1 << 16
_CLASSES: dict[str, Any] = {}
_PATH: contextvars.ContextVar[str] = contextvars.ContextVar("path", default="<config>")
_OWN_MODULE = re.compile(r"recurrent_zoo(\.[A-Za-z_][A-Za-z0-9_]*)+")
_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


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
    """The JSON description of ``obj``: class, hyperparameters and dtype (nested for wrappers)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "class": class_key(type(obj)),
        "dtype": np.dtype(getattr(obj, "dtype", np.float64)).name,
        "config": obj.get_config(),
    }


# ----------------------------------------------------------------------------- save
def save(obj: Any, path: Any) -> None:
    """Write ``obj`` (anything with ``get_config()`` and a ``params`` dict) to ``path``.

    The file is a safetensors file: one tensor per parameter, the class and hyperparameters in
    its metadata. The suffix is the caller's choice (``.safetensors`` by convention).
    """
    from safetensors.numpy import save_file

    head = header(obj)
    metadata = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "class": head["class"],
        "dtype": head["dtype"],
        "config": json.dumps(head["config"], sort_keys=True, allow_nan=False),
    }
    tensors = {name: np.ascontiguousarray(value) for name, value in obj.params.items()}
    save_file(tensors, os.fspath(path), metadata=metadata)


# ----------------------------------------------------------------------------- load
def _fail(path: str, what: str) -> ValueError:
    return ValueError(f"model file {path!r}: {what}")


def _check_file(path: str, kind: str = "model file") -> None:
    """Existence, size and the header length prefix, before the safetensors library reads it.

    ``kind`` names the file in the errors (``"model file"``, ``"optimizer state file"``).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no {kind} at {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{kind} {path!r} is a directory")

    def fail(what: str) -> ValueError:
        return ValueError(f"{kind} {path!r}: {what}")

    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        prefix = fh.read(8)
    if prefix.startswith(b"PK\x03\x04"):
        raise fail(
            "this is a zip (.npz) archive, the format of recurrent_zoo 0.1; this version reads "
            "safetensors files only (save it again with this version)"
        )
    if size < 8:
        raise fail(f"{size} bytes is too short for a safetensors file (empty or cut)")
    (n,) = struct.unpack("<Q", prefix)
    if n > MAX_HEADER_BYTES:
        raise fail(
            f"the header declares {n} bytes of metadata, more than the {MAX_HEADER_BYTES} "
            f"a {kind} may have (not a safetensors {kind}, or a corrupt one)"
        )
    if 8 + n > size:
        raise fail(
            f"the header declares {n} bytes of metadata but the file has only {size} bytes "
            "(not a safetensors file, or a truncated one)"
        )


def read_metadata(path: Any) -> dict[str, str]:
    """The checked ``__metadata__`` of a model file (format, version, class, dtype, config).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the path for
    anything else that is wrong with it.
    """
    from safetensors import safe_open

    path = os.fspath(path)
    _check_file(path)
    try:
        with safe_open(path, framework="np") as f:
            meta = f.metadata()
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error type
        raise _fail(path, f"not a valid safetensors file ({exc})") from exc
    return _check_metadata(path, meta)


def _check_metadata(path: str, meta: Any) -> dict[str, str]:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(path, "a safetensors file, but not a recurrent_zoo model (no 'format' key)")
    version = meta.get("version")
    if version != str(FORMAT_VERSION):
        raise _fail(path, f"format version {version!r}; this version reads {FORMAT_VERSION}")
    for key in ("class", "dtype", "config"):
        if not isinstance(meta.get(key), str):
            raise _fail(path, f"the metadata lacks {key!r}")
    if len(meta["config"]) > MAX_CONFIG_BYTES:
        raise _fail(
            path,
            f"the config is {len(meta['config'])} bytes, more than the {MAX_CONFIG_BYTES} a "
            "model's hyperparameters take",
        )
    if meta["dtype"] not in ("float32", "float64"):
        raise _fail(path, f"dtype {meta['dtype']!r}; expected 'float32' or 'float64'")
    return meta


def _lookup(key: Any, path: str) -> Any:
    if isinstance(key, str) and key not in _CLASSES and "." in key:
        module = key.rsplit(".", 1)[0]
        # only our own modules are imported, and only ones that exist: nothing in a file
        # chooses what code runs
        while module and _OWN_MODULE.fullmatch(module):
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                importlib.import_module(module)
                break
            module = module.rsplit(".", 1)[0]  # a nested class: Outer.Inner
    cls = _CLASSES.get(key) if isinstance(key, str) else None
    if cls is None:
        raise _fail(
            path,
            f"names class {key!r}, which is not a registered recurrent_zoo class; import the "
            "module that defines it before loading",
        )
    return cls


def _config_keys(cls: type) -> tuple[set[str], set[str]]:
    """(all, required) hyperparameter names of ``cls``: its ``__init__`` minus the excluded."""
    declared = getattr(cls, "_config_keys", None)
    if declared is not None:
        return set(declared), set(declared)
    exclude = set(getattr(cls, "_config_exclude", ("seed", "dtype")))
    names, required = set(), set()
    for name, p in inspect.signature(cls.__init__).parameters.items():  # type: ignore[misc]
        if name == "self" or name in exclude or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        names.add(name)
        if p.default is p.empty:
            required.add(name)
    return names, required


def _check_json(value: Any, where: str, path: str) -> None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, list):
        for k, v in enumerate(value):
            _check_json(v, f"{where}[{k}]", path)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_json(v, f"{where}.{k}", path)
        return
    raise _fail(path, f"config value {where} has type {type(value).__name__}")  # pragma: no cover


def build(head: dict[str, Any]) -> Any:
    """Build an object skeleton from a :func:`header` (checked: class, config keys, dtype).

    Wrappers call it on their children's headers; errors name the file being loaded.
    """
    path = _PATH.get()
    if not isinstance(head, dict):
        raise _fail(path, f"a nested model description must be an object; got {head!r:.60}")
    cls = _lookup(head.get("class"), path)
    config = head.get("config")
    if not isinstance(config, dict):
        raise _fail(path, f"the config of {cls.__name__} must be a JSON object")
    names, required = _config_keys(cls)
    unknown, missing = sorted(set(config) - names), sorted(required - set(config))
    if unknown or missing:
        parts = [f"unknown keys {unknown}"] if unknown else []
        parts += [f"missing keys {missing}"] if missing else []
        raise _fail(
            path,
            f"the config does not fit {cls.__name__}: {'; '.join(parts)} "
            f"(its hyperparameters: {sorted(names)})",
        )
    _check_json(config, "config", path)
    dtype = head.get("dtype", "float64")
    if dtype not in ("float32", "float64"):
        raise _fail(path, f"dtype {dtype!r}; expected 'float32' or 'float64'")
    try:
        return cls.from_config(config, dtype=np.dtype(dtype))
    except (TypeError, ValueError) as exc:
        if str(exc).startswith("model file"):
            raise
        raise _fail(path, f"the config does not build a {cls.__name__}: {exc}") from exc


def _sized_by_data(skeleton: tuple[int, ...], stored: tuple[int, ...]) -> bool:
    """Whether ``stored`` fills the length-0 axes of ``skeleton`` and matches it elsewhere."""
    return (
        skeleton != stored
        and len(skeleton) == len(stored)
        and 0 in skeleton
        and all(s in (0, v) for s, v in zip(skeleton, stored, strict=True))
    )


def load(path: Any) -> Any:
    """Load a model saved with ``save``; every check happens before anything large is allocated.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        Naming the path and what is wrong: not a safetensors file, a truncated or inconsistent
        one, oversized metadata, not a recurrent_zoo model, an unknown class, a config that does
        not fit the class, a missing, extra or mis-shaped tensor, a wrong dtype, NaN or inf.
    """
    from safetensors import safe_open

    path = os.fspath(path)
    _check_file(path)
    try:
        handle = safe_open(path, framework="np")
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error type
        raise _fail(path, f"not a valid safetensors file ({exc})") from exc
    with handle as f:
        meta = _check_metadata(path, f.metadata())
        try:
            config = json.loads(meta["config"])
        except json.JSONDecodeError as exc:
            raise _fail(path, f"the config is not valid JSON ({exc})") from exc
        declared: dict[str, tuple[tuple[int, ...], str]] = {}
        for name in f.keys():
            view = f.get_slice(name)
            declared[name] = (tuple(int(d) for d in view.get_shape()), str(view.get_dtype()))
        budget = sum(int(np.prod(s)) for s, _ in declared.values()) + _BUDGET_SLACK
        head = {"class": meta["class"], "config": config, "dtype": meta["dtype"]}
        token = _PATH.set(path)
        try:
            with allocation_budget(budget):
                obj = build(head)
        except MemoryError as exc:
            raise _fail(path, str(exc)) from exc
        finally:
            _PATH.reset(token)
        allocate = getattr(obj, "allocate_params", None)
        if callable(allocate):
            # objects whose parameter shapes are only known after fitting (an echo state
            # network's input weights and readout) build arrays of the stored shapes, checking
            # them against their hyperparameters; the checks below still apply
            try:
                allocate({name: shape for name, (shape, _) in declared.items()})
            except ValueError as exc:
                raise _fail(path, str(exc)) from exc
        for name, (shape, _) in declared.items():
            target = obj.params.get(name)
            if target is not None and _sized_by_data(target.shape, shape):
                obj.params[name] = np.zeros(shape, dtype=target.dtype)
        missing, extra = (
            sorted(set(obj.params) - set(declared)),
            sorted(set(declared) - set(obj.params)),
        )
        if missing or extra:
            raise _fail(
                path,
                f"its tensors do not match {type(obj).__name__}'s parameters: "
                + "; ".join(
                    ([f"missing {missing}"] if missing else [])
                    + ([f"unexpected {extra}"] if extra else [])
                ),
            )
        for name, (shape, code) in declared.items():
            target = obj.params[name]
            if shape != target.shape:
                raise _fail(
                    path,
                    f"tensor {name!r} is declared with shape {shape}; the model built from the "
                    f"file's config expects {target.shape}",
                )
            want = np.dtype(_DTYPES.get(code, np.void))
            if want != target.dtype:
                raise _fail(
                    path, f"tensor {name!r} has dtype {code}; the model expects {target.dtype.name}"
                )
        for name in declared:
            value = f.get_tensor(name)
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                raise _fail(path, f"tensor {name!r} holds NaN or infinite values")
            obj.params[name][...] = value
    return obj
