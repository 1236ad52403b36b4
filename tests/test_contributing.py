"""CONTRIBUTING.md's walk-through stays true: its module, with its entry, joins the catalogue
and passes the common checks."""

import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import recurrent_zoo  # noqa: F401 - loads recurrent_zoo.catalogue
from recurrent_zoo.testing import run_checks

# the module (recurrent_zoo.catalogue is also the name of the function it exports)
catalogue_module = sys.modules["recurrent_zoo.catalogue"]

GUIDE = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


@pytest.fixture(scope="module")
def blocks():
    if not GUIDE.exists():
        pytest.skip("CONTRIBUTING.md is not shipped with this installation")
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def test_walkthrough_module_joins_the_catalogue_and_passes_common_checks(blocks, monkeypatch):
    module = types.ModuleType("recurrent_zoo.leaky")
    module.__package__ = "recurrent_zoo"
    monkeypatch.setitem(sys.modules, "recurrent_zoo.leaky", module)
    exec(compile(blocks[0], "CONTRIBUTING.md:leaky.py", "exec"), module.__dict__)
    cls = module.LeakyRNN
    assert module.ENTRY.cls is cls and module.ENTRY.module == "recurrent_zoo.leaky"
    # step 2: the module listed in the catalogue, as the guide's fragment shows
    listed = re.findall(r'"(\w+)"', blocks[1])
    assert "leaky" in listed
    modules = list(catalogue_module.MODULES)
    modules.insert(modules.index("jordan") + 1, "leaky")
    monkeypatch.setattr(catalogue_module, "MODULES", tuple(modules))
    monkeypatch.setattr(catalogue_module, "_ENTRIES", None)
    entry = catalogue_module.get_entry("leaky")
    assert entry is module.ENTRY
    ran = run_checks(entry)
    assert {"check_gradients", "check_lengths", "check_save_load"} <= set(ran)
    Y, _ = cls(2, 4, seed=0).forward(np.zeros((3, 1, 2)))
    assert Y.shape == (3, 1, 4)
    monkeypatch.setattr(catalogue_module, "_ENTRIES", None)  # back to the real catalogue
