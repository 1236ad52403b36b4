"""The recurrent-zoo command: list, info, compare; exit statuses."""

import json
import subprocess
import sys

import pytest

from recurrent_zoo import catalogue
from recurrent_zoo.cli import main


def test_list_prints_every_entry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for e in catalogue():
        assert e.name in out


@pytest.mark.parametrize("name", [e.name for e in catalogue()])
def test_info_shows_reference_equations_and_shapes(capsys, name):
    assert main(["info", name]) == 0
    out = capsys.readouterr().out
    assert "reference" in out and "equations:" in out and "parameters of" in out
    assert "(none given)" not in out, f"{name} has no equations()"
    equations = out.split("equations:")[1].split("parameters of")[0]
    assert "=" in equations and "False" not in equations  # not evaluated away by sympy


def test_unknown_names_exit_2(capsys):
    assert main(["info", "nope"]) == 2
    assert "unknown architecture name 'nope'" in capsys.readouterr().err
    assert main(["compare", "--only", "elman", "nope"]) == 2
    assert main(["compare", "--task", "no_such_task"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--seeds", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_compare_only_writes_json(tmp_path, capsys):
    path = tmp_path / "out.json"
    status = main(["compare", "--only", "elman", "--json", str(path), "--no-progress"])
    out = capsys.readouterr().out
    assert "elman" in out and "adding" in out and "targets:" in out
    rows = json.loads(path.read_text())
    assert rows[0]["architecture"] == "elman" and rows[0]["metric"] == "mse"
    assert status == (0 if rows[0]["passed"] else 1)
    assert rows[0]["passed"]


def test_compare_seeds_report_spread(capsys):
    assert main(["compare", "--only", "jordan", "--seeds", "2", "--no-progress"]) == 0
    assert "±" in capsys.readouterr().out


def test_python_dash_m_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "recurrent_zoo", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert "elman" in out


def test_compare_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "compare.png"
    assert main(["compare", "--only", "rmlp", "--plot", str(path), "--no-progress"]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
