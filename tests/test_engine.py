"""recurrent_zoo.engine: running tasks in this process (order kept, errors recorded as rows) and
the BLAS thread cap per task. The engine on Dask: tests/test_sweep_dask.py.
"""

import math

import pytest
from sweep_helpers import blas_threads

from recurrent_zoo import engine


def test_the_engine_in_one_process_keeps_order_and_records_errors():
    seen = []
    rows = engine.run_tasks(
        math.sqrt,
        [4.0, -1.0, 9.0],
        error_row=lambda i, exc: {"error": type(exc).__name__, "i": i},
        on_result=lambda i, r: seen.append(i),
        progress=False,
    )
    assert rows == [2.0, {"error": "ValueError", "i": 1}, 3.0] and seen == [0, 1, 2]
    with pytest.raises(ValueError, match="jobs must be an int >= 1 or 'auto'"):
        engine.run_tasks(abs, [1], error_row=None, jobs=0, progress=False)
    assert engine.resolve_jobs("auto") == (engine.cores() if engine.has_distributed() else 1)


def test_tasks_run_with_the_blas_threads_asked_for():
    for n in (2, 1):  # the suite runs with one BLAS thread: 2 shows the cap is set per task
        rows = engine.run_tasks(blas_threads, [0], error_row=None, blas_threads=n, progress=False)
        assert rows[0] and set(rows[0]) == {n}
