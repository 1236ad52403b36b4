"""``benchmarks/ntm_experiments.py``, the script behind ``benchmarks/results/ntm_experiments_*``:
a tiny run end to end (train, evaluate, best checkpoint, stop rule) and its ``report``.

Nothing here is a paper number: the checks are that the recorded JSON line says what the run
did, so that the tables regenerated from it by ``report`` can be trusted.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--controller-size", "4", "--memory-slots", "8", "--word-size", "3", "--max-length", "3",
        "--test-size", "4"]  # fmt: skip


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "ntm_experiments", ROOT / "benchmarks" / "ntm_experiments.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(script, monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["ntm_experiments.py", *argv])
    script.main()
    return capsys.readouterr().out


def test_a_run_records_its_curve_and_best_checkpoint(script, monkeypatch, capsys, tmp_path):
    out, log = tmp_path / "runs.jsonl", tmp_path / "curve.log"
    common = ["--task", "copy", "--sequences", "30", "--eval-every", "10", *TINY]
    _run(script, monkeypatch, capsys, "train", "--seed", "1", *common, "--out", str(out),
         "--log", str(log))  # fmt: skip
    # --stop-at: stops at the first evaluation at or below it (any error count is <= 1000)
    _run(script, monkeypatch, capsys, "train", "--seed", "2", *common, "--stop-at", "1000",
         "--out", str(out), "--log", str(log))  # fmt: skip
    full, stopped = (json.loads(line) for line in out.read_text().splitlines())

    assert [p["sequences"] for p in full["curve"]] == [10, 20, 30]
    assert full["sequences"] == 30 and full["status"] == "ok" and full["finite_params"]
    errors = [p["bit_errors"] for p in full["curve"]]
    best_at = max(i for i, e in enumerate(errors) if e == min(errors))  # the last on a tie
    assert full["best"]["sequences"] == full["curve"][best_at]["sequences"]
    assert full["best"]["validation_bit_errors"] == min(errors)
    assert set(full["final"]) == {f"length {L}" for L in (10, 20, 40, 60, 80, 120)}
    assert set(full["best"]["final"]) == set(full["final"])
    assert [p["sequences"] for p in stopped["curve"]] == [10]
    assert stopped["sequences"] == 10 and not stopped["stopped_at_time_limit"]
    assert len(log.read_text().splitlines()) == 3 + 1  # one line per evaluation

    text = _run(script, monkeypatch, capsys, "report", "--curves", str(out))
    assert "## copy, ntm: 2 runs (seeds [1, 2])" in text and "on 4 test sequences" in text
    assert "copy-ntm-s1: 30 sequences in" in text
    assert "copy-ntm-s2: 10 sequences in" in text and "(stopped on reaching 1000 wrong" in text
    curve_line = next(line for line in text.splitlines() if line.lstrip().startswith("10:"))
    assert f"{errors[0]:.2f}" in curve_line
