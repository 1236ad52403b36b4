"""The ``recurrent-zoo`` command: ``list``, ``info NAME``, ``compare``, ``sweep SPEC`` and
``report STORE``.

Exit status: 0 on success; 1 when ``compare`` finds an entry that misses its target, or when a
task of ``sweep`` raised (its row records the error); 2 for bad arguments (unknown names,
unknown options, a bad sweep spec; the subcommand's usage is printed with the error), for an
option whose optional dependency is missing (one line naming what to install) and for a Dask
cluster that cannot be used; 130 when a sweep is interrupted (Ctrl-C: the finished tasks are in
its store, and the same command resumes it); 141 when the reader of the output goes away
(``recurrent-zoo list | head -3``: the status of a Unix tool ended by SIGPIPE, without a
traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .catalogue import catalogue, get_entry
from .engine import EngineError, MissingExtra

__all__ = ["main"]


class _MissingExtra(Exception):
    """An option needs an optional dependency that is not installed (one line, status 2)."""


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    out += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _cmd_list(args: argparse.Namespace) -> int:
    rows = [
        [e.name, e.title, e.family, str(e.year), e.task, "yes" if e.trainable else "no"]
        for e in catalogue()
    ]
    print(_table(rows, ["name", "title", "family", "year", "task", "trainable"]))
    return 0


def _render_equations(cls: type) -> list[str]:
    import sympy

    eqs = getattr(cls, "equations", lambda: [])()
    return [sympy.pretty(eq, use_unicode=True) for eq in eqs]


def _cmd_info(args: argparse.Namespace) -> int:
    import numpy as np

    e = get_entry(args.name)
    print(f"{e.title}  ({e.name})")
    print(f"  module     from {e.module} import {e.class_name}")
    if e.defined_in != e.module:
        print(f"  defined in {e.defined_in} (the shared core), public from {e.module}")
    print(f"  family     {e.family}, {e.year}; trainable: {'yes' if e.trainable else 'no'}")
    print(f"  reference  {e.reference}")
    print(f"  task       {e.task}")
    if e.summary:
        print(f"  summary    {e.summary}")
    eqs = _render_equations(e.cls)
    print("\nequations:")
    if eqs:
        for text in eqs:
            print("\n".join("  " + line for line in text.splitlines()))
            print()
    else:
        print("  (none given)\n")
    model = e.make(args.input_size, seed=0, dtype=np.float64)
    params = getattr(model, "params", {}) or {}
    print(f"parameters of {model!r}:")
    if not params:
        print("  (none until data are stored or fitted)")
    for k, v in params.items():
        shape = getattr(v, "shape", None)
        print(f"  {k:<24} {shape}")
    return 0


def _need_matplotlib(args: argparse.Namespace) -> None:
    """--plot without matplotlib: one line, before anything runs that could not be plotted."""
    if getattr(args, "plot", None):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise _MissingExtra(
                "--plot needs matplotlib: pip install 'recurrent-zoo[plot]'"
            ) from None


def _engine_options(
    args: argparse.Namespace, default_jobs: int | str
) -> tuple[int | str, str | None]:
    """``--jobs`` and ``--scheduler``, checked before anything runs: they exclude each other,
    and anything but one process needs Dask (one line naming the install command)."""
    from .engine import INSTALL, has_distributed

    if args.scheduler is not None and args.jobs is not None:
        raise ValueError("give --jobs (a local cluster) or --scheduler (a running one), not both")
    jobs = default_jobs if args.jobs is None else args.jobs
    if not has_distributed():
        if args.scheduler is not None:
            raise _MissingExtra(f"--scheduler needs dask.distributed: {INSTALL}")
        if jobs not in (1, "auto"):
            raise _MissingExtra(f"--jobs {jobs} needs dask.distributed: {INSTALL}")
    return jobs, args.scheduler


def _cmd_compare(args: argparse.Namespace) -> int:
    from . import compare

    names = args.only or []
    for n in names:
        get_entry(n)  # ValueError for unknown names, reported by main() with status 2
    _need_matplotlib(args)
    jobs, scheduler = _engine_options(args, 1)
    rows = compare.run_compare(
        names or None,
        quick=not args.full,
        task=args.task,
        seeds=args.seeds,
        jobs=jobs,
        scheduler=scheduler,
        progress=None if args.progress else False,
        blas_threads=args.blas_threads,
    )
    print(compare.format_table(rows))
    if args.json:
        compare.write_json(rows, args.json)
        print(f"\nwrote {args.json}")
    if args.plot:
        compare.plot_results(rows, args.plot)
        print(f"wrote {args.plot}")
    return 0 if all(r["passed"] for r in rows) else 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    from . import sweeps
    from .store import read_store

    _need_matplotlib(args)
    jobs, scheduler = _engine_options(args, "auto")
    if args.dry_run:
        plan = sweeps.plan(args.spec, store=args.store)
        done = read_store(plan.store).rows
        n_done = sum(t.key in done for t in plan.tasks)
        print(f"{plan.describe()}; {n_done} already in {plan.store}")
        for note in plan.notes:
            print(f"note: {note}")
        settings = list(dict.fromkeys(sweeps._settings_text(t.settings) for t in plan.tasks))
        print("settings:")
        print("\n".join(f"  {text}" for text in settings))
        return 0
    try:
        result = sweeps.sweep(
            args.spec,
            store=args.store,
            jobs=jobs,
            scheduler=scheduler,
            resume=args.resume,
            retry_errors=args.retry_errors,
            blas_threads=args.blas_threads,
            progress=None if args.progress else False,
        )
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the finished tasks are in the store; run the same command again to "
            "resume",
            file=sys.stderr,
        )
        return 130
    rows = [r for r in result.rows if r is not None]
    groups = sweeps.summarize(rows)
    print(sweeps.format_report(groups))
    print(
        f"\n{result.ran} tasks run now, {result.skipped} found in the store; "
        f"store {result.plan.store}"
    )
    if args.plot:
        sweeps.plot_report(groups, args.plot)
        print(f"wrote {args.plot}")
    return 0 if result.ok else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from . import sweeps
    from .store import json_safe, read_store

    _need_matplotlib(args)
    print(sweeps.report(args.store))
    if args.json or args.plot:
        groups = sweeps.summarize(list(read_store(args.store).rows.values()))
        if args.json:
            import json

            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(json_safe(groups), fh, indent=2)
            print(f"\nwrote {args.json}")
        if args.plot:
            sweeps.plot_report(groups, args.plot)
            print(f"wrote {args.plot}")
    return 0


def _jobs(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        return _positive(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'auto'; got {text!r}"
        ) from None


def _add_engine_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N|auto",
        help=f"worker processes of a local Dask cluster ('auto': one per core; 1: this process, "
        f"without Dask); default {default}",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a running Dask cluster instead (e.g. tcp://10.0.0.5:8786)",
    )
    p.add_argument(
        "--blas-threads",
        type=_positive,
        default=1,
        help="BLAS threads per task (default 1: small matrices run faster on one)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``recurrent-zoo`` command."""
    from . import __version__
    from .compare import TASK_SPECS

    parser = argparse.ArgumentParser(
        prog="recurrent-zoo",
        description="A reference catalogue of recurrent neural networks.",
    )
    parser.add_argument("--version", action="version", version=f"recurrent-zoo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="print the catalogue as a table")
    p_list.set_defaults(func=_cmd_list, parser=p_list)
    p_info = sub.add_parser("info", help="title, reference, equations and parameter shapes")
    p_info.add_argument("name", help="architecture name, as printed by 'list'")
    p_info.add_argument(
        "--input-size",
        type=_positive,
        default=3,
        help="input size of the example whose parameters are shown",
    )
    p_info.set_defaults(func=_cmd_info, parser=p_info)
    p_cmp = sub.add_parser("compare", help="train every entry on its canonical task")
    mode = p_cmp.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        default=True,
        help="small settings, every entry in a few seconds (default)",
    )
    mode.add_argument("--full", action="store_true", help="the papers' settings (slow)")
    p_cmp.add_argument("--only", nargs="+", metavar="NAME", help="only these entries")
    p_cmp.add_argument(
        "--task",
        choices=sorted(TASK_SPECS),
        help="run every generic trainable entry on this task instead of its own",
    )
    p_cmp.add_argument("--seeds", type=_positive, default=1, help="seeds 0..N-1; mean and spread")
    p_cmp.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p_cmp.add_argument("--plot", metavar="PATH", help="also write a PNG (needs matplotlib)")
    _add_engine_options(p_cmp, "1")
    p_cmp.set_defaults(func=_cmd_compare, parser=p_cmp)

    p_sw = sub.add_parser(
        "sweep",
        help="grid or random search over recipes x seeds, resumable",
        description="Run every (entry, settings, seed) of a TOML or JSON spec as one task; each "
        "finished task is one row of the store, and a rerun skips the rows it holds.",
    )
    p_sw.add_argument("spec", help="the spec, a .toml or .json file")
    p_sw.add_argument(
        "--store", metavar="PATH", help="results store (default: the spec's, else SPEC.jsonl)"
    )
    p_sw.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="run every task again, even those the store holds (default: skip them)",
    )
    p_sw.add_argument(
        "--retry-errors", action="store_true", help="run again the tasks stored as errors"
    )
    p_sw.add_argument(
        "--dry-run", action="store_true", help="check the spec and list what would run"
    )
    p_sw.add_argument("--plot", metavar="PATH", help="also write the report's PNG")
    _add_engine_options(p_sw, "auto")
    p_sw.set_defaults(func=_cmd_sweep, parser=p_sw)

    p_rep = sub.add_parser(
        "report", help="the summary of a sweep's store: scores over seeds, learning curves"
    )
    p_rep.add_argument("store", help="a sweep's results store (.jsonl)")
    p_rep.add_argument("--plot", metavar="PATH", help="also write a PNG (needs matplotlib)")
    p_rep.add_argument("--json", metavar="PATH", help="also write the summary as JSON")
    p_rep.set_defaults(func=_cmd_report, parser=p_rep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``recurrent-zoo`` and ``python -m recurrent_zoo``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # here, so that a closed pipe is seen inside the try
    except ValueError as exc:
        args.parser.print_usage(sys.stderr)
        print(f"{args.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except (_MissingExtra, MissingExtra, EngineError) as exc:
        print(f"{args.parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as a Unix tool ended by SIGPIPE
        # does. Python ignores SIGPIPE, so point stdout at /dev/null to keep the interpreter's
        # last flush from failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + 13  # 128 + SIGPIPE
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
