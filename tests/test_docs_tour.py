"""The tour in docs/getting_started.rst runs as written (its ``>>>`` lines are doctests)."""

import doctest
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parent.parent / "docs" / "getting_started.rst"


@pytest.mark.skipif(not TOUR.exists(), reason="docs/ is not part of this checkout")
def test_getting_started_tour_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tour saves a file
    result = doctest.testfile(
        str(TOUR),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted > 10
    assert result.failed == 0
