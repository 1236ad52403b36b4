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
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--task", "no_such_task"])  # not one of the choices
    assert exc.value.code == 2
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


# -- a well-behaved Unix tool ---------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["list"], ["info", "lstm"]])
def test_a_closed_pipe_ends_quietly(argv):
    """``recurrent-zoo list | head -3``: the reader goes away before the output is written; the
    command stops without a traceback, with the status of a tool ended by SIGPIPE (141)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "recurrent_zoo", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the interpreter has even imported the package
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert err == "", err


def test_compare_plot_without_matplotlib_stops_before_running(monkeypatch, capsys):
    import recurrent_zoo.compare as compare

    def never(*args, **kwargs):
        raise AssertionError("the comparison ran although the plot cannot be drawn")

    monkeypatch.setattr(compare, "run_compare", never)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert main(["compare", "--only", "elman", "--plot", "out.png", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'recurrent-zoo[plot]'" in err
    assert err == (
        "recurrent-zoo compare: error: --plot needs matplotlib: pip install 'recurrent-zoo[plot]'\n"
    )


def test_compare_help_lists_the_tasks(capsys):
    from recurrent_zoo.compare import TASK_SPECS

    with pytest.raises(SystemExit) as exc:
        main(["compare", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    assert "--task {" + ",".join(sorted(TASK_SPECS)) + "}" in out


@pytest.mark.parametrize(
    "argv, command, message",
    [
        (["info", "nope"], "info", "unknown architecture name 'nope'"),
        (["compare", "--only", "elman", "nope"], "compare", "unknown architecture name 'nope'"),
        (["compare", "--task", "nope"], "compare", "invalid choice: 'nope'"),
        (["compare", "--seeds", "0"], "compare", "expected a positive integer"),
    ],
)
def test_subcommand_errors_print_the_subcommands_usage(capsys, argv, command, message):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors exit from parse_args
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: recurrent-zoo {command} "), err
    assert f"recurrent-zoo {command}: error: " in err and message in err, err
