"""recurrent_zoo.store: the JSON Lines result store of the sweeps (torn rows, superseded rows, the
one-writer lock). The sweeps that write it: tests/test_sweeps.py.
"""

import json
import math

import numpy as np
import pytest

from recurrent_zoo.store import ResultStore, read_store


def test_store_rows_survive_a_half_written_row(tmp_path):
    path = tmp_path / "s.jsonl"
    with ResultStore(path) as store:
        store.append({"key": "a", "value": 1.0})
        store.append({"key": "b", "value": math.nan, "curve": np.arange(3)})
    # a crash in the middle of the next row: no newline at the end
    with open(path, "ab") as fh:
        fh.write(b'{"key":"c","value":')
    contents = read_store(path)
    assert list(contents.rows) == ["a", "b"] and contents.torn == len(b'{"key":"c","value":')
    assert contents.rows["b"] == {"key": "b", "value": None, "curve": [0, 1, 2]}
    with ResultStore(path) as store:  # the next writer cuts the torn row off, then appends
        assert store.contents.torn > 0
        store.append({"key": "c", "value": 3.0})
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and [json.loads(x)["key"] for x in lines[:-1]] == ["a", "b", "c"]
    assert read_store(path).torn == 0


def test_store_later_rows_supersede_and_bad_lines_are_skipped(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"key":"a","v":1}\nnot json\n[1, 2]\n{"key":"b","v":2}\n{"key":"a","v":3}\n')
    contents = read_store(path)
    assert contents.rows == {"b": {"key": "b", "v": 2}, "a": {"key": "a", "v": 3}}
    assert contents.bad_lines == [2, 3] and contents.n_rows == 3
    assert read_store(tmp_path / "missing.jsonl").rows == {}


def test_one_writer_at_a_time(tmp_path):
    pytest.importorskip("fcntl")
    path = tmp_path / "s.jsonl"
    with ResultStore(path):
        with pytest.raises(ValueError, match="being written by another sweep"):
            with ResultStore(path):
                pass
    with ResultStore(path):  # released on close
        pass
