"""The engine behind ``recurrent-zoo compare`` and ``sweep``: tasks in this process or on Dask.

A *task* is one call ``fn(item) -> dict`` (a result row). :func:`run_tasks` runs a list of them

- in this process, one after the other (``jobs=1``; needs nothing beyond the base install);
- on an embedded local Dask cluster (``jobs=N`` or ``"auto"``, one worker process per core),
  whose scheduler and workers listen on 127.0.0.1 only; or
- on a running Dask cluster (``scheduler="tcp://host:8786"``, started with ``dask scheduler``
  and ``dask worker``), whose workers have the same recurrent_zoo installed.

In every case the BLAS thread pool is capped while a task runs (``blas_threads``, default 1:
recurrent nets make many small matrix products per step, for which a multi-threaded BLAS costs
more than it gives), results are handed to ``on_result`` in the calling process as each task
finishes (that is where a sweep writes its store), and a progress bar counts the tasks done and
failed. With Dask, a worker that dies mid-task (killed, out of memory) is replaced and its task
rerun elsewhere by the scheduler; a task that killed its worker ``allowed-failures`` times
(3 by default) comes back as a failure, :class:`distributed.KilledWorker`.

Dask distributed is an optional dependency: ``pip install 'recurrent-zoo[distributed]'``.

Examples
--------
>>> rows = run_tasks(abs, [-1, 2], error_row=lambda i, exc: {"error": str(exc)}, progress=False)
>>> rows
[1, 2]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import logging
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "INSTALL",
    "EngineError",
    "MissingExtra",
    "cores",
    "has_distributed",
    "local_cluster",
    "resolve_jobs",
    "run_tasks",
]

#: The one-line install command named whenever Dask is needed and absent.
INSTALL = "pip install 'recurrent-zoo[distributed]'"

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class MissingExtra(ImportError):
    """An option needs an optional dependency that is not installed; the message says which."""


class EngineError(RuntimeError):
    """The cluster cannot be used: an unreachable scheduler, workers without recurrent_zoo or
    with another version of it, a scheduler lost mid-run."""


def cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def has_distributed() -> bool:
    """Whether ``dask.distributed`` is installed."""
    return importlib.util.find_spec("distributed") is not None


def _require_distributed(what: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingExtra(f"{what} needs dask.distributed: {INSTALL}") from None
    return distributed


def resolve_jobs(jobs: int | str) -> int:
    """The number of local worker processes ``jobs`` asks for: an int >= 1 or ``"auto"`` (one
    per core when Dask is installed, else 1: this process).

    Examples
    --------
    >>> resolve_jobs(3)
    3
    >>> resolve_jobs("auto") >= 1
    True
    >>> resolve_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: jobs must be an int >= 1 or 'auto'; got 0
    """
    if jobs == "auto":
        return cores() if has_distributed() else 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1 or 'auto'; got {jobs!r}")
    return jobs


_BLAS: list[Any] = []  # [(number of modules imported when scanned, ThreadpoolController)]


def _blas_controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded in this process, scanned again only
    when modules were imported since (a scan costs about a millisecond; a task is one call)."""
    from threadpoolctl import ThreadpoolController

    if not _BLAS or _BLAS[0][0] != len(sys.modules):
        _BLAS[:] = [(len(sys.modules), ThreadpoolController())]
    return _BLAS[0][1]


def _call(fn: Callable[[Any], Any], item: Any, blas_threads: int | None) -> Any:
    """Run one task with the BLAS thread pool capped (on a worker, or in this process)."""
    if blas_threads is None:
        return fn(item)
    with _blas_controller().limit(limits=blas_threads, user_api="blas"):
        return fn(item)


def _warm_up(fn: Callable[[Any], Any]) -> str:
    """Run once on each worker: import ``fn``'s module (Dask unpickled it to call this), the
    trainer and every catalogue module, so that the first task's time is its own; return the
    recurrent_zoo version the worker has."""
    from . import training  # noqa: F401
    from ._version import __version__
    from .catalogue import catalogue

    catalogue()
    return str(__version__)


def local_cluster(n_workers: int, *, blas_threads: int | None = 1) -> Any:
    """An embedded Dask cluster: ``n_workers`` processes of one thread each, all on 127.0.0.1.

    Every port is chosen by the OS (nothing listens on a fixed port or another interface); the
    workers start with the BLAS environment variables set to ``blas_threads``. Close it when
    done (it is a context manager).
    """
    distributed = _require_distributed(f"a local Dask cluster of {n_workers} workers")
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    for var in _BLAS_VARS:
        if blas_threads is None:
            env.pop(var, None)
        else:
            env[var] = str(blas_threads)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address=None,
            silence_logs=logging.ERROR,
        )


def _dashboard(client: Any, local: bool) -> str:
    """Where the Dask dashboard is, or why there is none."""
    link = client.dashboard_link
    if local:
        if importlib.util.find_spec("bokeh") is None:
            return "no dashboard (it needs bokeh: pip install bokeh)"
        return f"dashboard {link}"
    try:  # the scheduler serves /status only when it has bokeh
        with urllib.request.urlopen(link, timeout=5) as response:  # noqa: S310 - the cluster's own
            ok = response.status == 200
    except Exception:  # noqa: BLE001 - any failure means no dashboard to show
        ok = False
    return f"dashboard {link}" if ok else "no dashboard (the scheduler serves none)"


def _connect(scheduler: str, fn: Callable[[Any], Any]) -> Any:
    distributed = _require_distributed("a scheduler address")
    try:
        client = distributed.Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        _check_workers(client, scheduler, fn)
    except BaseException:
        client.close()
        raise
    return client


def _version() -> str:
    """Run on the scheduler: the recurrent_zoo it imports (it unpickles the tasks)."""
    from ._version import __version__

    return str(__version__)


def _check_workers(client: Any, where: str, fn: Callable[[Any], Any]) -> None:
    """Check that the scheduler and every worker import this recurrent_zoo version (Dask's
    scheduler unpickles the tasks, the workers run them), and warm the workers up for ``fn``."""
    from ._version import __version__

    try:
        version = client.run_on_scheduler(_version)
    except Exception as exc:  # noqa: BLE001 - whatever the scheduler raised, in one line
        raise EngineError(
            f"the scheduler of {where} cannot import recurrent_zoo ({exc}); install it where "
            "the scheduler runs too, the same version as here"
        ) from None
    if version != __version__:
        raise EngineError(
            f"the scheduler of {where} imports recurrent_zoo {version}, not {__version__} as here"
        )
    try:
        versions = client.run(_warm_up, fn)
    except Exception as exc:  # noqa: BLE001 - whatever the workers raised, in one line
        raise EngineError(
            f"the workers of {where} cannot import recurrent_zoo ({exc}); install it on every "
            "worker, the same version as here"
        ) from None
    wrong = {w: v for w, v in versions.items() if v != __version__}
    if wrong:
        raise EngineError(
            f"workers of {where} run another recurrent_zoo version than this one "
            f"({__version__}): {wrong}"
        )


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_tasks(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    error_row: Callable[[int, BaseException], Any],
    keys: Sequence[str] | None = None,
    jobs: int | str = 1,
    scheduler: str | None = None,
    blas_threads: int | None = 1,
    on_result: Callable[[int, Any], None] | None = None,
    is_failure: Callable[[Any], bool] | None = None,
    progress: bool | None = None,
    desc: str = "tasks",
    log: Callable[[str], None] | None = None,
) -> list[Any]:
    """Run ``fn(item)`` for every item and return the results in the items' order.

    Parameters
    ----------
    fn : callable
        A module-level function (Dask sends it to the workers by reference), called once per
        item; it should return its own error row rather than raise.
    items : sequence
        The tasks' arguments (picklable).
    error_row : callable
        ``error_row(index, exception) -> result`` for a task that raised anyway, or whose
        worker died ``allowed-failures`` times.
    keys : sequence of str, optional
        Unique Dask keys, one per item (shown on the dashboard); generated when omitted.
    jobs : int or "auto", default 1
        1: this process, no Dask. N > 1: a local Dask cluster of N worker processes. ``"auto"``:
        one per core when Dask is installed, else this process (with a note naming the install
        command).
    scheduler : str, optional
        The address of a running Dask scheduler; ``jobs`` is then ignored.
    blas_threads : int or None, default 1
        BLAS threads while a task runs (``None``: no cap).
    on_result : callable, optional
        ``on_result(index, result)``, called in this process as each task finishes, once per
        task.
    is_failure : callable, optional
        Whether a result counts as failed on the progress bar (default: it has an ``"error"``
        key).
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    desc : str
        The progress bar's label.
    log : callable, optional
        Where one-line notes go (the cluster and its dashboard); default stderr.

    Raises
    ------
    MissingExtra
        ``jobs > 1`` or ``scheduler`` without dask.distributed installed.
    EngineError
        The scheduler cannot be reached or is lost, or its workers lack recurrent_zoo.
    """
    from tqdm.auto import tqdm

    log = log or _log
    is_failure = is_failure or (lambda r: isinstance(r, dict) and "error" in r)
    if blas_threads is not None and (
        isinstance(blas_threads, bool) or not isinstance(blas_threads, int) or blas_threads < 1
    ):
        raise ValueError(f"blas_threads must be an int >= 1 or None; got {blas_threads!r}")
    n_jobs = 0 if scheduler is not None else resolve_jobs(jobs)
    if scheduler is None and jobs == "auto" and not has_distributed() and cores() > 1 and items:
        log(
            f"note: running {len(items)} tasks in this process; for a local cluster of "
            f"{cores()} workers: {INSTALL}"
        )
    if keys is not None and len(set(keys)) != len(items):
        raise ValueError("keys must be unique, one per item")
    results: list[Any] = [None] * len(items)
    done = [False] * len(items)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(items), desc=desc, disable=not show, leave=False)
    failed = 0

    def deliver(i: int, result: Any) -> None:
        nonlocal failed
        if done[i]:  # pragma: no cover - the engine hands each task over once
            raise RuntimeError(f"task {i} finished twice")
        done[i] = True
        results[i] = result
        if on_result is not None:
            on_result(i, result)
        if is_failure(result):
            failed += 1
            bar.set_postfix_str(f"failed {failed}")
        bar.update()

    try:
        if not items:
            return results
        if n_jobs == 1:
            for i, item in enumerate(items):
                try:
                    result = _call(fn, item, blas_threads)
                except Exception as exc:  # noqa: BLE001 - one broken task must not stop the rest
                    result = error_row(i, exc)
                deliver(i, result)
        else:
            _run_dask(fn, items, keys, n_jobs, scheduler, blas_threads, error_row, deliver, log)
    finally:
        bar.close()
    return results


def _run_dask(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    keys: Sequence[str] | None,
    n_jobs: int,
    scheduler: str | None,
    blas_threads: int | None,
    error_row: Callable[[int, BaseException], Any],
    deliver: Callable[[int, Any], None],
    log: Callable[[str], None],
) -> None:
    distributed = _require_distributed(
        f"jobs={n_jobs} (a local Dask cluster)" if scheduler is None else "a scheduler address"
    )
    cluster = None
    start = time.perf_counter()
    if scheduler is None:
        cluster = local_cluster(n_jobs, blas_threads=blas_threads)
        client = distributed.Client(cluster)
        where = f"Dask local cluster of {n_jobs} worker processes on 127.0.0.1"
        try:
            _check_workers(client, "the local cluster", fn)
        except BaseException:
            client.close()
            cluster.close()
            raise
    else:
        client = _connect(scheduler, fn)
        n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        where = f"Dask scheduler {scheduler} with {n} workers" + (
            " (tasks wait until workers join)" if n == 0 else ""
        )
    try:
        log(
            f"{where}, ready in {time.perf_counter() - start:.1f} s; "
            f"{_dashboard(client, scheduler is None)}"
        )
        if keys is None:
            import uuid

            tag = uuid.uuid4().hex[:8]
            keys = [f"task-{tag}-{i}" for i in range(len(items))]
        futures = [
            client.submit(_call, fn, item, blas_threads, key=key, pure=False)
            for item, key in zip(items, keys, strict=True)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        for future in distributed.as_completed(futures):
            i = index[future.key]
            try:
                # Finished, or "lost" since: a worker holding its result died before the result
                # came here. The scheduler then runs the task again (this client holds the
                # future) and result() waits for that, so the task is handed over once.
                result = future.result()
            except (concurrent.futures.CancelledError, asyncio.CancelledError):
                raise EngineError(
                    f"lost task {keys[i]} ({future.status}): the scheduler went away; "
                    "the results already handed over are kept"
                ) from None
            except Exception as exc:  # noqa: BLE001 - recorded as the task's failure
                # the task raised past fn's own handling, or killed its worker too often
                result = error_row(i, exc)
            future.release()
            deliver(i, result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
