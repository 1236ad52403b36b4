"""The README stays true: its tour runs, and its catalogue table names every entry."""

import re
from pathlib import Path

import pytest

from recurrent_zoo import catalogue

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def text():
    if not README.exists():
        pytest.skip("README.md is not part of this installation")
    return README.read_text()


def test_tour_runs(text, tmp_path, monkeypatch, capsys):
    tour = text.split("## A ten-line tour")[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S).group(1)
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)  # the tour saves a file
    namespace: dict = {}
    exec(compile(code, "README.md:tour", "exec"), namespace)
    assert "'loss'" in capsys.readouterr().out
    assert namespace["same"].params.keys() == namespace["model"].params.keys()


def test_catalogue_table_names_every_entry(text):
    table = text.split("## The catalogue")[1].split("##")[0]
    missing = [e.name for e in catalogue() if f"`{e.name}`" not in table]
    assert not missing, f"README's catalogue table lacks {missing}"


def test_ci_runs_the_readme_commands(text):
    ci = (README.parent / ".ci" / "run").read_text()
    for block in ("test-command", "docs-command"):
        assert f"<!-- {block} -->" in text
        assert f"readme_block {block}" in ci or f"readme_block\\ {block}" in ci
