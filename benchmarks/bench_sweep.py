"""Sweeps on the Dask engine: the speed-up of a local cluster over one process, and the engine's
overhead per task.

Every measurement runs tasks through the sweep's own path -- tasks from
``recurrent_zoo.sweeps.plan``, each run by ``sweeps.run_task`` on
``recurrent_zoo.engine.run_tasks``, its row appended (with ``fsync``) to a fresh JSON Lines
store as it finishes, which is what ``recurrent_zoo.sweep`` does -- in one process (``jobs=1``,
no Dask) and on local clusters (worker processes of one thread, on 127.0.0.1).

1. **Speed-up.** 40 real training tasks: Elman with 8 units on the adding problem, the
   catalogue's quick recipe cut to 2 epochs on 256 sequences, seeds 0-39; one process against
   an embedded cluster of one worker per core (``jobs=cores``, as ``recurrent-zoo sweep`` makes
   it). Shown: the wall time from the call to its return (the cluster's start and shutdown
   included); *start*, until the cluster's workers are up and have imported the library;
   *running*, from the first task sent to the last row written; a task's wall and CPU seconds
   (the CPU time of the thread that ran it); the CPU the tasks got per second of wall time; and
   the speed-ups, one process / cluster.
2. **Wall-clock overhead.** 40 tasks that each keep a core busy (small matrix products) for
   exactly ``--seconds`` of wall-clock time and then stop, so that the tasks' own time is fixed
   whatever else the machine runs, and the rest is the engine's: overhead per task = (running -
   40 x seconds / workers) x workers / 40. Sending a task, unpacking it, the BLAS cap, returning
   its row, appending it to the store, the progress count. The issue's target: less than 5 % of
   a one-second task, 50 ms.
3. **CPU overhead.** 200 tasks that do nothing: the CPU time of this process and its children
   (the scheduler runs in this process, the workers are its children) over the run, per task --
   the engine's work, which unlike wall-clock time does not grow with the machine's load (the
   clusters' idle heartbeats during the run are included).

Clusters for 2 and 3 are started once and reached by their address, as a running cluster is.
Run as ``python benchmarks/bench_sweep.py [--tasks 40] [--seconds 0.25]``; the load average is
printed before and after each measurement (the lead may re-run it on a quiet machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# the workers of a local cluster are spawned with this process's sys.path: they find SPIN too
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from recurrent_zoo.catalogue import Entry  # noqa: E402


def spin(*, quick: bool = True, seed: int = 0, seconds: float = 0.25) -> dict[str, Any]:
    """Keep a core busy with small matrix products for ``seconds`` of wall-clock time."""
    end = time.perf_counter() + seconds
    a = np.random.default_rng(seed).standard_normal((32, 32)) / 32
    x = np.ones(32)
    n = 0
    while time.perf_counter() < end:
        x = np.tanh(a @ x)
        n += 1
    return {
        "task": "spin",
        "metric": "steps",
        "value": float(n),
        "target": None,
        "passed": True,
        "higher_is_better": True,
    }


class _Spin:
    """Stands in for an architecture class."""


SPIN = Entry(
    name="spin",
    title="busy loop (benchmark)",
    cls=_Spin,
    family="benchmark",
    year=2024,
    reference="benchmarks/bench_sweep.py",
    task="spin",
    trainable=False,
    tags=(),
    recipe={"run": spin},
)


def _tree_cpu() -> float:
    """User + system CPU seconds of this process and its live children."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.Error:  # exited meanwhile
            continue
        total += t.user + t.system
    return total


def _run(
    spec: dict[str, Any], store: Path, jobs: int = 1, scheduler: str | None = None
) -> dict[str, float]:
    """One sweep through the engine; the times of its phases."""
    from recurrent_zoo.engine import run_tasks
    from recurrent_zoo.store import ResultStore
    from recurrent_zoo.sweeps import plan, run_task

    tasks = plan(spec, store=store).tasks
    marks: dict[str, float] = {}
    rows: list[dict[str, Any]] = []

    def log(message: str) -> None:
        if "ready in" in message:
            marks["ready"] = time.perf_counter()

    cpu = _tree_cpu()
    start = time.perf_counter()
    with ResultStore(store) as st:

        def record(i: int, row: dict[str, Any]) -> None:
            st.append(row)
            assert row["status"] == "ok", row.get("error")
            rows.append(row)
            marks["done"] = time.perf_counter()

        run_tasks(
            run_task,
            tasks,
            error_row=lambda i, exc: {"status": "error", "error": repr(exc)},
            keys=[f"{t.name}-{t.key}" for t in tasks],
            jobs=jobs,
            scheduler=scheduler,
            on_result=record,
            is_failure=lambda r: r.get("status") != "ok",
            progress=False,
            log=log,
        )
    end = time.perf_counter()
    ready = marks.get("ready", start)
    return {
        "wall": end - start,
        "startup": ready - start,
        "running": marks["done"] - ready,
        "task_seconds": float(sum(r["seconds"] for r in rows)),
        "task_cpu": float(sum(r["cpu_seconds"] for r in rows)),
        "tree_cpu": _tree_cpu() - cpu,
        "n": len(rows),
    }


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=0.25, help="length of a spin task")
    parser.add_argument("--noop", type=int, default=200, help="tasks of the CPU measurement")
    parser.add_argument("--workers", type=int, default=None, help="default: the cores")
    args = parser.parse_args()

    import dask

    import recurrent_zoo
    from recurrent_zoo.engine import cores, local_cluster

    workers = args.workers or cores()
    n = args.tasks
    print(f"$ python benchmarks/bench_sweep.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, "
        f"recurrent_zoo {recurrent_zoo.__version__}; {os.cpu_count()} CPUs, {cores()} usable; "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    count = [0]

    def measure(spec: dict[str, Any], **engine: Any) -> tuple[dict[str, float], str]:
        count[0] += 1
        before = _load()
        t = _run(spec, tmp / f"{count[0]}.jsonl", **engine)
        return t, f"{before} -> {_load()}"

    train = {
        "entries": ["elman"],
        "seeds": n,
        "set": {"epochs": 2, "model.hidden_size": 8, "task_options.n_train": 256},
    }
    print(f"\n1. speed-up: {n} Elman training tasks (adding, 256 sequences, 2 epochs, 8 units)")
    print(
        "   engine       load (1/5/15 min)                  wall  start  running  "
        "task s  task CPU s  task CPU/wall s  speed-up (wall, running)"
    )
    one, load1 = measure(train, jobs=1)
    many, load2 = measure(train, jobs=workers)
    for label, t, load in [("one process", one, load1), (f"{workers} workers", many, load2)]:
        ratio = (
            f"{one['wall'] / t['wall']:.2f}x, {one['running'] / t['running']:.2f}x"
            if t is many
            else ""
        )
        print(
            f"   {label:<11}  {load:<33} {t['wall']:5.1f}  {t['startup']:5.1f}  "
            f"{t['running']:7.1f}  {t['task_seconds'] / n:6.3f}  {t['task_cpu'] / n:10.3f}  "
            f"{t['task_cpu'] / t['running']:15.2f}  {ratio}"
        )

    spin = {"entries": ["bench_sweep:SPIN"], "seeds": n, "set": {"seconds": args.seconds}}
    noop = {"entries": ["bench_sweep:SPIN"], "seeds": args.noop, "set": {"seconds": 0.0}}
    print(
        f"\n2. wall-clock overhead: {n} tasks of exactly {args.seconds} s; per task = "
        f"(running - {n} x {args.seconds} / workers) x workers / {n}\n"
        f"3. CPU overhead: {args.noop} tasks that do nothing; CPU of this process and its "
        "children per task"
    )
    print(
        "   engine       start  load (1/5/15 min)                running   wall/task  of 1 s"
        "   CPU/task"
    )
    engines: list[tuple[str, int, int]] = [("one process", 1, 0)] + [
        (f"{w} worker{'s' * (w > 1)}", w, w) for w in sorted({1, workers})
    ]
    for label, w, size in engines:
        cluster, started = None, 0.0
        if size:
            t0 = time.perf_counter()
            cluster = local_cluster(size)
            started = time.perf_counter() - t0
        engine = {"scheduler": cluster.scheduler_address} if cluster else {"jobs": 1}
        try:
            t, load = measure(spin, **engine)
            c, _ = measure(noop, **engine)
        finally:
            if cluster is not None:
                cluster.close()
        per_task = (t["running"] - n * args.seconds / w) * w / n
        print(
            f"   {label:<11}  {started:5.1f}  {load:<33} {t['running']:7.2f}  "
            f"{1000 * per_task:7.1f} ms  {100 * per_task:4.1f} %  "
            f"{1000 * c['tree_cpu'] / c['n']:6.2f} ms"
        )


if __name__ == "__main__":
    main()
