"""The results store of a sweep: an append-only JSON Lines file, one row per finished task.

Each row is one JSON object on one line, keyed by ``row["key"]`` (a hash of the task's entry,
settings, seed, mode and library version, see :func:`recurrent_zoo.sweeps.task_key`). The
sweep appends a row the moment its task finishes, from the one process that runs the sweep,
with a single ``write`` of the whole line followed by ``fsync``.

Why JSON Lines and not Parquet: a crash can only ever leave a *half-written last line* -- no
newline at the end of the file -- which the reader recognises and ignores, and which the next
writer cuts off before appending, so every complete row stays readable; a Parquet file is
readable only once its footer is written, so a store of Parquet files must be written in whole
files (one per row, or batched and lost with the batch on a crash) and compacted later. A line
per row also needs nothing beyond the standard library, so a sweep runs on the base install,
and the store can be read with ``grep``, ``jq`` or ``pandas.read_json(path, lines=True)``.

Rows are never rewritten: when a task is run again (``--no-resume``, ``--retry-errors``) its
new row is appended and supersedes the old one; :func:`read_store` keeps the last row of each
key. One sweep at a time writes a store: the writer holds an exclusive lock on the file
(``flock``, released by the OS if the process dies).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "demo.jsonl")
>>> with ResultStore(path) as store:
...     store.append({"key": "a1", "value": 0.5})
...     store.append({"key": "b2", "value": float("nan")})
>>> contents = read_store(path)
>>> sorted(contents.rows), contents.rows["b2"]["value"]
(['a1', 'b2'], None)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ResultStore", "StoreContents", "json_safe", "read_store"]


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python numbers and lists, tuples and sets as
    lists, dict keys as strings, NaN and infinities as ``None`` and anything else as its repr.

    Examples
    --------
    >>> json_safe({1: np.float32(0.5), "x": (np.arange(2), float("inf"))})
    {'1': 0.5, 'x': [[0, 1], None]}
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [json_safe(v) for v in sorted(value, key=repr)]
    return repr(value)


@dataclass
class StoreContents:
    """What :func:`read_store` found.

    Attributes
    ----------
    rows : dict of str to dict
        The last row of each key, in the order the keys first appear.
    n_rows : int
        Complete rows in the file (superseded ones included).
    torn : int
        Bytes of a half-written last line (0 when the file ends with a complete row).
    bad_lines : list of int
        Line numbers (1-based) of complete lines that are not a JSON object with a ``"key"``.
    """

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_rows: int = 0
    torn: int = 0
    bad_lines: list[int] = field(default_factory=list)


def _parse(data: bytes) -> StoreContents:
    out = StoreContents()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    out.torn = len(tail)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            out.bad_lines.append(number)
            continue
        if not isinstance(row, dict) or not isinstance(row.get("key"), str):
            out.bad_lines.append(number)
            continue
        out.n_rows += 1
        out.rows.pop(row["key"], None)  # a later row supersedes: it moves to the end
        out.rows[row["key"]] = row
    return out


def read_store(path: str | os.PathLike[str]) -> StoreContents:
    """Read a store (while a sweep writes it, too): the last row of each key.

    A half-written last line is ignored and counted in ``torn``; a missing file reads as an
    empty store.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return StoreContents()
    return _parse(data)


class ResultStore:
    """The writer of a store (a context manager): it locks the file, cuts off a half-written
    last line left by a crash, and appends rows one whole line at a time.

    Parameters
    ----------
    path : str or path-like
        The ``.jsonl`` file; created (with its directory) if missing.

    Attributes
    ----------
    contents : StoreContents
        What the file held when it was opened.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None
        self.contents = StoreContents()

    def __enter__(self) -> ResultStore:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _lock(fd, self.path)
            with open(fd, "rb", closefd=False) as fh:
                data = fh.read()
            size = len(data)
            self.contents = _parse(data)
            if self.contents.torn:
                # the last row was cut short by a crash: drop it, its task is not recorded
                os.ftruncate(fd, size - self.contents.torn)
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def append(self, row: dict[str, Any]) -> None:
        """Append ``row`` (a dict with a ``"key"``) as one line and flush it to disk."""
        if self._fd is None:
            raise ValueError(f"store {self.path} is not open (use it in a with block)")
        if not isinstance(row.get("key"), str):
            raise ValueError(f"a store row needs a str 'key'; got {row.get('key')!r}")
        line = json.dumps(json_safe(row), allow_nan=False, separators=(",", ":")) + "\n"
        data = memoryview(line.encode("utf-8"))
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
        os.fsync(self._fd)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def _lock(fd: int, path: str) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ValueError(
            f"store {path} is being written by another sweep; wait for it to finish"
        ) from None
