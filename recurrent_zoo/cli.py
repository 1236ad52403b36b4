"""The ``recurrent-zoo`` command: ``list``, ``info NAME`` and ``compare``.

Exit status: 0 on success, 1 when ``compare`` finds an entry that misses its target, 2 for bad
arguments (unknown names, unknown options; the subcommand's usage is printed with the error) and
for an option whose optional dependency is missing (one line naming what to install),
141 when the reader of the output goes away (``recurrent-zoo list | head -3``: the status of a
Unix tool ended by SIGPIPE, without a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .catalogue import catalogue, get_entry

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


def _cmd_compare(args: argparse.Namespace) -> int:
    from . import compare

    names = args.only or []
    for n in names:
        get_entry(n)  # ValueError for unknown names, reported by main() with status 2
    if args.plot:
        try:  # before a comparison that could not be plotted at its end
            import matplotlib  # noqa: F401
        except ImportError:
            raise _MissingExtra(
                "--plot needs matplotlib: pip install 'recurrent-zoo[plot]'"
            ) from None
    rows = compare.run_compare(
        names or None,
        quick=not args.full,
        task=args.task,
        seeds=args.seeds,
        jobs=args.jobs,
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
    p_cmp.add_argument("--jobs", type=_positive, default=1, help="entries in parallel processes")
    p_cmp.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p_cmp.add_argument("--plot", metavar="PATH", help="also write a PNG (needs matplotlib)")
    p_cmp.add_argument(
        "--blas-threads",
        type=_positive,
        default=1,
        help="BLAS threads per entry (default 1: small matrices run faster on one)",
    )
    p_cmp.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar"
    )
    p_cmp.set_defaults(func=_cmd_compare, parser=p_cmp)
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
    except _MissingExtra as exc:
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
