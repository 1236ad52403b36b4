"""A catalogue-like entry for the sweep and engine tests: an experiment that fails, sleeps or
waits on demand, and logs every time it starts.

Specs name it ``"sweep_helpers:PROBE"`` (an Entry outside the catalogue); the tests directory
is on ``sys.path`` of pytest, of the Dask workers it spawns and of the subprocesses the tests
start (``PYTHONPATH``).
"""

from __future__ import annotations

import os
import time
from typing import Any

from recurrent_zoo.catalogue import Entry


def probe_run(
    *,
    quick: bool = True,
    seed: int = 0,
    sleep: float = 0.0,
    fail_seeds: tuple[int, ...] = (),
    hold_seeds: tuple[int, ...] = (),
    gate: str = "",
    log: str = "",
) -> dict[str, Any]:
    """Score ``seed`` itself, after ``sleep`` seconds.

    ``log``: append ``"<seed> <pid>"`` to this file on every start (one write). ``fail_seeds``:
    raise for these seeds. ``hold_seeds`` with ``gate``: until the file ``gate`` exists, write
    the process id to ``<gate>.<seed>.pid`` and wait for it (at most 10 minutes) -- a task to
    kill mid-run.
    """
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, f"{seed} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
    if seed in fail_seeds:
        raise RuntimeError(f"seed {seed} fails on purpose")
    if seed in hold_seeds and gate and not os.path.exists(gate):
        with open(f"{gate}.{seed}.pid", "w") as fh:
            fh.write(str(os.getpid()))
        deadline = time.monotonic() + 600
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)
    time.sleep(sleep)
    return {
        "task": "probe",
        "metric": "seed",
        "value": float(seed),
        "target": None,
        "higher_is_better": True,
        "target_source": "",
        "passed": True,
        "curve": [1.0, 1.0 / (seed + 2)],
    }


class Probe:
    """Stands in for an architecture class (an Entry needs one)."""


PROBE = Entry(
    name="probe",
    title="Probe (sweep tests)",
    cls=Probe,
    family="test",
    year=2024,
    reference="tests/sweep_helpers.py",
    task="probe",
    trainable=False,
    tags=(),
    recipe={"run": probe_run},
)


def started(log: str) -> list[int]:
    """The seeds that started, one item per start, from a probe's log."""
    if not os.path.exists(log):
        return []
    with open(log) as fh:
        return [int(line.split()[0]) for line in fh if line.strip()]


def blas_threads(item: Any) -> list[int]:
    """The thread counts of the BLAS libraries loaded here (a task for the engine tests)."""
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def logged_pid(item: tuple[int, str, str]) -> int:
    """Append ``"<i> <pid>"`` to the log ``item[1]`` and return the process id (an engine task);
    run again (``i`` already in the log), wait until the file ``item[2]`` exists."""
    i, log, gate = item
    again = i in started(log)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, f"{i} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    deadline = time.monotonic() + 600
    while again and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.getpid()
