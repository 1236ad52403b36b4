"""CONTRIBUTING.md's walk-through stays true: its toy architecture passes the common checks."""

import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from recurrent_zoo._core.registry import Entry
from recurrent_zoo.testing import make_subject, run_checks

GUIDE = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


@pytest.fixture(scope="module")
def blocks():
    if not GUIDE.exists():
        pytest.skip("CONTRIBUTING.md is not shipped with this installation")
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


def test_walkthrough_module_passes_common_checks(blocks):
    module = types.ModuleType("recurrent_zoo.leaky")
    module.__package__ = "recurrent_zoo"
    sys.modules["recurrent_zoo.leaky"] = module
    try:
        exec(compile(blocks[0], "CONTRIBUTING.md:leaky.py", "exec"), module.__dict__)
        cls = module.LeakyRNN
        entry_source = blocks[1].strip().rstrip(",")
        entry = eval(entry_source, {"Entry": Entry})
        assert entry.cls is cls
        subject = make_subject(
            "leaky",
            *[
                (lambda n, *, seed, dtype, kw=kw: cls(n, **kw, seed=seed, dtype=dtype))
                for kw in entry.examples
            ],
        )
        ran = run_checks(subject)
        assert {"check_gradients", "check_lengths", "check_save_load"} <= set(ran)
        Y, _ = cls(2, 4, seed=0).forward(np.zeros((3, 1, 2)))
        assert Y.shape == (3, 1, 4)
    finally:
        del sys.modules["recurrent_zoo.leaky"]
