"""Pages of the recurrent_zoo docs generated at build time from the code and from runs.

At ``config-inited`` (before Sphinx looks for source files) this extension writes, into
``docs/generated/`` (never committed):

- ``compare.json``, ``compare.txt``, ``compare.png``: one run of ``recurrent-zoo compare
  --quick`` (or the JSON named by ``RZ_DOCS_COMPARE_JSON``), with when and how it ran;
- ``catalogue/<name>.rst``: one page per catalogue entry -- title, family, year, reference,
  class, the equations from the class's ``equations()`` rendered with sympy's ``latex``, the
  canonical task and the comparison run's result -- and ``catalogue_body.rst.inc``, the
  summary table included by ``catalogue.rst``;
- ``api/<module>.rst`` and ``api_architectures.rst.inc``: one API page per architecture module
  (catalogue modules and any other top-level module of the package that is not tooling);
- ``checks.rst.inc``: the table of common checks, read from ``recurrent_zoo.testing.CHECKS``;
- ``benchmarks.rst.inc``: each ``benchmarks/*.py`` script, its docstring rendered as
  reStructuredText, with the recorded outputs found in ``benchmarks/results/`` (included
  verbatim, never retyped).

New catalogue entries and new architecture modules appear without editing anything here.
"""

from __future__ import annotations

import ast
import datetime as _dt
import importlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: top-level modules of the package that are tooling, not architectures
TOOLING = {"catalogue", "cli", "compare", "testing", "__main__", "__init__"}
FAMILY_ORDER = ["classic", "gated", "wrapper", "associative", "reservoir", "continuous"]
FAMILY_TITLES = {
    "classic": "Classic recurrent nets",
    "gated": "Gated recurrent nets",
    "wrapper": "Wrappers (any trainable model)",
    "associative": "Associative memories",
    "reservoir": "Reservoir computing",
    "continuous": "Continuous time",
}


# ----------------------------------------------------------------------------- small helpers
def _escape(text: str) -> str:
    """Plain text safe inside reStructuredText (inline markup characters escaped)."""
    out = str(text).replace("\\", "\\\\")
    for ch in "*`|_[]":
        out = out.replace(ch, "\\" + ch)
    out = " ".join(out.split())
    # "S. Hochreiter ...", "3) ..." or "(a) ..." would start an enumerated list
    return re.sub(r"^(\(?)(\d+|[A-Za-z]|#)([.)])", r"\1\2\\\3", out)


def _literal(text: str) -> str:
    """Inline literal text (``...``); nothing is escaped inside a literal."""
    text = " ".join(str(text).split())
    if "``" in text or text.endswith("`"):
        return _escape(text)
    return f"``{text}``"


def _heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def _write(path: Path, text: str) -> None:
    """Write only when the content changed, so Sphinx does not re-read unchanged pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.write_text(text, encoding="utf-8")


def _indent(text: str, n: int = 3) -> str:
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return out + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"


def _public_name(entry: Any) -> str:
    """The dotted path under which the entry's class is documented."""
    import recurrent_zoo

    if entry.defined_in.startswith("recurrent_zoo._core") and entry.class_name in getattr(
        recurrent_zoo, "__all__", ()
    ):
        return f"recurrent_zoo.{entry.class_name}"
    return f"{entry.module}.{entry.class_name}"


# ----------------------------------------------------------------------------- comparison run
def _run_compare(gen: Path) -> dict[str, Any]:
    """The rows of one quick comparison run, and how they were produced."""
    given = os.environ.get("RZ_DOCS_COMPARE_JSON", "").strip()
    json_path = gen / "compare.json"
    if given:
        src = Path(given).expanduser().resolve()
        rows = json.loads(src.read_text(encoding="utf-8"))
        stamp = _dt.datetime.fromtimestamp(src.stat().st_mtime).astimezone()
        return {
            "rows": rows,
            "how": (
                f"read from ``{_escape(src.name)}``, written by ``recurrent-zoo compare --quick "
                f"--json`` on {stamp:%Y-%m-%d %H:%M %Z} (``RZ_DOCS_COMPARE_JSON`` was set)"
            ),
            "text": None,
            "seconds": None,
        }
    jobs = os.environ.get("RZ_DOCS_COMPARE_JOBS", "2")
    cmd = [
        sys.executable,
        "-m",
        "recurrent_zoo",
        "compare",
        "--quick",
        "--jobs",
        jobs,
        "--json",
        str(json_path),
        "--no-progress",
    ]
    logger.info("[rz_docs] running %s", " ".join(cmd[2:]))
    json_path.unlink(missing_ok=True)  # never show the numbers of an earlier build
    start = time.perf_counter()
    stamp = _dt.datetime.now().astimezone()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(gen))
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1) or not json_path.exists():
        # 1 means "ran, and some entry missed its target": that is shown on the page
        logger.warning(
            "[rz_docs] recurrent-zoo compare failed (exit %s):\n%s",
            proc.returncode,
            proc.stderr[-3000:],
        )
        return {"rows": [], "how": "the comparison run failed", "text": None, "seconds": 0}
    rows = json.loads(json_path.read_text(encoding="utf-8"))
    text = proc.stdout.replace(f"\nwrote {json_path}", "").rstrip() + "\n"
    _write(gen / "compare.txt", text)
    how = (
        f"produced by ``recurrent-zoo compare --quick --jobs {jobs}``, run by this documentation "
        f"build on {stamp:%Y-%m-%d %H:%M %Z} in {seconds:.0f} s of wall time (recurrent_zoo "
        f"commit {_escape(_git_commit(gen.parent.parent))}; Python {platform.python_version()}, "
        f"{_versions()}; {os.cpu_count()} CPUs)"
    )
    return {"rows": rows, "how": how, "text": text, "seconds": seconds}


def _versions() -> str:
    import numpy
    import scipy

    return f"numpy {numpy.__version__}, scipy {scipy.__version__}"


def _plot_curve(row: dict[str, Any], path: Path) -> bool:
    curve = row.get("curve")
    if not curve:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 2.6))
    ax.plot(range(1, len(curve) + 1), curve, color="tab:blue")
    ax.set_xlabel("recorded point (an epoch, or every k-th update for long runs)")
    ax.set_ylabel("training loss")
    if min(curve) > 0:
        ax.set_yscale("log")
    ax.set_title(f"{row['architecture']} on {row['task']}", fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def _result_cell(row: dict[str, Any] | None) -> tuple[str, str, str, str]:
    """(metric, value, target, verdict) strings for the tables."""
    if row is None:
        return ("-", "-", "-", "not run")
    if "error" in row:
        return ("error", "-", "-", "ERROR")
    value = _fmt(row.get("value"))
    if row.get("spread"):
        value += f" ± {_fmt(row['spread'])}"
    target = "-"
    if row.get("target") is not None:
        op = "≥" if row.get("higher_is_better") else "≤"
        target = f"{op} {_fmt(float(row['target']))}"
    verdict = "PASS" if row.get("passed") else "FAIL"
    return (_escape(str(row.get("metric", ""))), value, target, verdict)


# ----------------------------------------------------------------------------- equations
def _equations(cls: type) -> tuple[list[str], str | None]:
    """LaTeX of each equation of ``cls.equations()``, or an explanation of their absence."""
    fn = getattr(cls, "equations", None)
    if fn is None:
        return [], "the class has no ``equations()`` method"
    try:
        import sympy

        eqs = list(fn())
    except Exception as exc:  # noqa: BLE001 - a broken method is reported on the page
        logger.warning("[rz_docs] %s.equations() raised %s: %s", cls.__name__, type(exc), exc)
        return [], f"``equations()`` raised {type(exc).__name__}"
    if not eqs:
        return [], "``equations()`` returns no equations"
    return [sympy.latex(eq) for eq in eqs], None


# ----------------------------------------------------------------------------- catalogue
def _entry_page(entry: Any, row: dict[str, Any] | None, gen: Path, how: str) -> str:
    name = entry.name
    lines = [f".. _catalogue-{name}:", "", _heading(_escape(entry.title), "=")]
    if entry.summary:
        lines += [_escape(entry.summary), ""]
    try:
        cls = entry.cls
    except Exception as exc:  # noqa: BLE001 - reported, the rest of the catalogue still builds
        logger.warning("[rz_docs] cannot import %s.%s: %s", entry.module, entry.class_name, exc)
        cls = None
    public = _public_name(entry)
    doc_module = entry.module
    lines += [
        ".. list-table::",
        "   :stub-columns: 1",
        "   :widths: 20 80",
        "",
        "   * - name",
        f"     - ``{name}`` (``recurrent-zoo info {name}``)",
        "   * - class",
        f"     - :class:`{public}`",
    ]
    if doc_module:
        lines += ["   * - module", f"     - :mod:`{doc_module}` (the equations and BPTT in full)"]
    lines += [
        "   * - family",
        f"     - {_escape(entry.family)}",
        "   * - year",
        f"     - {entry.year}",
        "   * - reference",
        f"     - {_escape(entry.reference)}",
        "   * - trainable",
        "     - "
        + ("yes (the SequenceModel contract, trained by BPTT)" if entry.trainable else "no"),
        "   * - canonical task",
        f"     - {_literal(entry.task)}",
        "",
    ]
    lines += [_heading("Equations", "-")]
    latex, why = _equations(cls) if cls is not None else ([], "the class could not be imported")
    if latex:
        lines += [
            f"From ``{entry.class_name}.equations()`` (sympy), rendered with ``sympy.latex``:",
            "",
        ]
        for tex in latex:
            lines += [".. math::", "", _indent(tex), ""]
    else:
        where = (
            f"the docstring of :mod:`{doc_module}`"
            if doc_module
            else f"the docstring of :class:`{public}` and :doc:`/bptt`"
        )
        lines += [
            f"No symbolic equations to render: {why}. The equations are written out in {where}.",
            "",
        ]

    lines += [_heading("Latest result", "-")]
    if row is None:
        lines += ["This entry has no comparison recipe, or the comparison was not run.", ""]
    elif "error" in row:
        lines += [
            "The comparison run raised an error for this entry:",
            "",
            "::",
            "",
            _indent(str(row["error"])),
            "",
        ]
    else:
        metric, value, target, verdict = _result_cell(row)
        lines += [
            f"Numbers {how}.",
            "",
            ".. list-table::",
            "   :stub-columns: 1",
            "   :widths: 20 80",
            "",
            "   * - task",
            f"     - {_escape(str(row.get('task', entry.task)))}",
            "   * - metric",
            f"     - {metric}",
            "   * - value",
            f"     - {value}",
            "   * - target",
            f"     - {target}",
            "   * - result",
            f"     - **{verdict}**",
            "   * - seconds",
            f"     - {_fmt(row.get('seconds'))}",
            "   * - target's source",
            f"     - {_escape(str(row.get('target_source') or '-'))}",
            "",
        ]
        details = row.get("details")
        if details:
            lines += ["Details reported by the run:", "", ".. code-block:: text", ""]
            lines += [_indent(json.dumps(details, indent=2, default=str)), ""]
        if _plot_curve(row, gen / "catalogue" / f"{name}_curve.png"):
            lines += [
                f".. figure:: /generated/catalogue/{name}_curve.png",
                f"   :alt: training loss of {name} per epoch",
                "",
                "   The training loss curve the run reported.",
                "",
            ]
    targets = " ".join(
        sorted(
            {public, f"{entry.module}.{entry.class_name}", f"{entry.defined_in}.{entry.class_name}"}
        )
    )
    lines += [".. minigallery:: " + targets, "   :add-heading: Examples in the gallery", ""]
    return "\n".join(lines) + "\n"


def _catalogue(gen: Path, result: dict[str, Any]) -> list[Any]:
    from recurrent_zoo import catalogue

    entries = catalogue()
    rows = {r["architecture"]: r for r in result["rows"]}
    for entry in entries:
        _write(
            gen / "catalogue" / f"{entry.name}.rst",
            _entry_page(entry, rows.get(entry.name), gen, result["how"]),
        )
    for old in (gen / "catalogue").glob("*.rst"):
        if old.stem not in {e.name for e in entries}:
            old.unlink()

    families = FAMILY_ORDER + sorted({e.family for e in entries} - set(FAMILY_ORDER))
    out = [
        f"The catalogue holds **{len(entries)} architectures**. "
        f"The results below were {result['how']}.",
        "",
    ]
    if rows:
        n_pass = sum(1 for r in rows.values() if r.get("passed"))
        out += [
            f"{n_pass} of {len(rows)} entries met their target in that run.",
            "",
            ".. figure:: /generated/compare.png",
            "   :alt: learning curves and score against target of every entry",
            "   :width: 100%",
            "",
            "   Left: training loss per epoch of the entries trained by BPTT. Right: each "
            "entry's score divided by its target (green: target met).",
            "",
        ]
    for fam in families:
        members = [e for e in entries if e.family == fam]
        if not members:
            continue
        out += [_heading(FAMILY_TITLES.get(fam, fam.capitalize()), "-")]
        out += [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: auto",
            "   :class: rz-catalogue",
            "",
            "   * - architecture",
            "     - year",
            "     - task",
            "     - result",
            "     - value",
            "     - target",
            "     - metric",
        ]
        for e in members:
            metric, value, target, verdict = _result_cell(rows.get(e.name))
            out += [
                f"   * - :doc:`{_escape(e.title)} <generated/catalogue/{e.name}>`",
                f"     - {e.year}",
                f"     - {_literal(e.task)}",
                f"     - **{verdict}**" if verdict == "FAIL" else f"     - {verdict}",
                f"     - {value}",
                f"     - {target}",
                f"     - {metric}",
            ]
        out += [""]
    if result.get("text"):
        out += [
            _heading("The run's own output", "-"),
            "The table as ``recurrent-zoo compare`` printed it, with the sources of the targets:",
            "",
            ".. literalinclude:: /generated/compare.txt",
            "   :language: text",
            "",
        ]
    out += [
        ".. toctree::",
        "   :hidden:",
        "",
        *[f"   generated/catalogue/{e.name}" for e in entries],
        "",
    ]
    _write(gen / "catalogue_body.rst.inc", "\n".join(out) + "\n")
    if rows:
        from recurrent_zoo.compare import plot_results

        plot_results(result["rows"], str(gen / "compare.png"))
    return entries


# ----------------------------------------------------------------------------- API pages
def _architecture_modules(root: Path, entries: list[Any]) -> list[str]:
    names = {e.module for e in entries if not e.module.startswith("recurrent_zoo._")}
    for path in (root / "recurrent_zoo").glob("*.py"):
        if path.stem not in TOOLING and not path.stem.startswith("_"):
            names.add(f"recurrent_zoo.{path.stem}")
    order = {e.module: k for k, e in enumerate(entries)}
    return sorted(names, key=lambda m: (order.get(m, len(order)), m))


def _api_pages(gen: Path, modules: list[str]) -> None:
    for mod in modules:
        try:
            importlib.import_module(mod)
        except Exception as exc:  # noqa: BLE001
            logger.warning("[rz_docs] cannot import %s: %s", mod, exc)
            continue
        _write(
            gen / "api" / f"{mod}.rst",
            _heading(_escape(mod), "=") + f"\n.. automodule:: {mod}\n",
        )
    body = [
        ".. autosummary::",
        "   :toctree: generated/api",
        "",
        *[f"   {m}" for m in modules],
        "",
    ]
    _write(gen / "api_architectures.rst.inc", "\n".join(body))


# ----------------------------------------------------------------------------- checks table
def _checks_table(gen: Path) -> None:
    from recurrent_zoo.testing import CHECKS

    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 25 15 60",
        "",
        "   * - check",
        "     - applies to tag",
        "     - what it verifies",
    ]
    for c in CHECKS:
        doc = (c.func.__doc__ or "").strip().splitlines()
        first = doc[0] if doc else ""
        lines += [
            f"   * - :func:`~recurrent_zoo.testing.{c.name}`"
            if _documented(c.func)
            else f"   * - ``{c.name}``",
            f"     - {', '.join(f'``{t}``' for t in sorted(c.requires))}",
            f"     - {first}",
        ]
    _write(gen / "checks.rst.inc", "\n".join(lines) + "\n")


def _documented(func: Any) -> bool:
    import recurrent_zoo.testing as t

    return func.__name__ in getattr(t, "__all__", ())


# ----------------------------------------------------------------------------- benchmarks
def _benchmarks(root: Path, gen: Path) -> None:
    bench = root / "benchmarks"
    results = bench / "results"
    suffixes = (".txt", ".json", ".md", ".csv")
    outputs = (
        sorted(p for p in results.glob("*") if p.suffix in suffixes) if results.is_dir() else []
    )
    shown: set[Path] = set()
    lines: list[str] = []
    scripts = sorted(bench.glob("*.py")) if bench.is_dir() else []
    if not scripts:
        lines += ["There are no benchmark scripts in ``benchmarks/`` yet.", ""]
    for script in scripts:
        try:
            doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        except SyntaxError:
            doc = ""
        # the docstring is reStructuredText (tables, literal blocks, roles): included as such
        lines += [_heading(f"``{script.name}``", "-"), doc.strip() or _escape(script.stem), ""]
        # outputs named after the script, with or without its "bench_" prefix
        keys = (script.stem, script.stem.removeprefix("bench_"))
        recorded = [p for p in outputs if p.stem.startswith(keys)]
        shown.update(recorded)
        if not recorded:
            lines += [
                ".. note::",
                "",
                "   No recorded run yet. Record one with",
                f"   ``python benchmarks/{script.name} |"
                f" tee benchmarks/results/{script.stem}.txt``.",
                "",
            ]
        for rec in recorded:
            lines += _recorded_output(rec, gen)
    others = [p for p in outputs if p not in shown]
    if others:
        lines += [_heading("Other recorded outputs", "-")]
        for rec in others:
            lines += _recorded_output(rec, gen)
    _write(gen / "benchmarks.rst.inc", "\n".join(lines) + "\n")


def _committed(path: Path) -> str:
    """When ``path`` was last committed (a file's mtime is only its checkout time)."""
    try:
        date = subprocess.run(
            [
                "git",
                "-C",
                str(path.parent),
                "log",
                "-1",
                "--format=%cd",
                "--date=format:%Y-%m-%d %H:%M",
                "--",
                path.name,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        date = ""
    return f"committed {date}" if date else "not committed"


def _recorded_output(rec: Path, gen: Path) -> list[str]:
    """A recorded benchmark output, included verbatim."""
    rel = Path(os.path.relpath(rec, gen.parent)).as_posix()
    return [
        f"Recorded output ``benchmarks/results/{rec.name}`` ({_committed(rec)}):",
        "",
        f".. literalinclude:: /{rel}",
        f"   :language: {'json' if rec.suffix == '.json' else 'text'}",
        "",
    ]


# ----------------------------------------------------------------------------- Sphinx hooks
def generate(app: Sphinx, config: Any) -> None:
    docs = Path(app.srcdir)
    root = docs.parent
    gen = docs / "generated"
    gen.mkdir(exist_ok=True)
    start = time.perf_counter()
    result = _run_compare(gen)
    entries = _catalogue(gen, result)
    _api_pages(gen, _architecture_modules(root, entries))
    _checks_table(gen)
    _benchmarks(root, gen)
    logger.info("[rz_docs] generated pages in %.1f s", time.perf_counter() - start)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
