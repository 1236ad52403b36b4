"""The comparison harness behind ``recurrent-zoo compare``.

Every catalogue entry is run on its canonical task with a fixed seed and scored against a target
whose source (a paper, a baseline or a peer library) is stated. An entry's ``recipe`` says how:

``{"run": function}`` (or ``"module:function"``)
    The entry runs its own experiment: ``function(quick=True, seed=0) -> dict`` with keys
    ``task``, ``metric``, ``value``, ``target``, ``target_source``, ``passed`` and optionally
    ``higher_is_better``, ``curve`` (a list of losses) and ``details``.
generic keys, for trainable sequence models
    ``model`` (keyword arguments for ``cls(input_size, **model)``) or ``build``
    (a function or ``"module:function"``, ``f(input_size, *, seed) -> model``); ``readout`` (stack a
    :class:`~recurrent_zoo.Linear` readout to the task's output size); ``optimizer``, ``lr``,
    ``epochs``, ``batch_size``, ``clip_norm``, ``task_options``; and ``quick`` / ``full``, dicts
    overriding any of these in that mode. The model is trained with
    :func:`recurrent_zoo.training.fit` on the task named by the entry's ``task`` (see
    :data:`TASK_SPECS`) and scored on held-out data.

Examples
--------
>>> rows = run_compare(only=["elman"], quick=True, progress=False)
>>> rows[0]["architecture"], rows[0]["task"], rows[0]["passed"]
('elman', 'adding', True)
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .catalogue import Entry, catalogue, get_entry

__all__ = ["TaskSpec", "TASK_SPECS", "run_entry", "run_compare", "format_table", "plot_results"]


@dataclass(frozen=True)
class TaskSpec:
    """A canonical task for the generic trainer: data, loss, metric and a target with a source.

    ``make(mode, seed, **task_options)`` returns ``(train, test)`` datasets
    (``recurrent_zoo.tasks`` SequenceDataset objects); ``mode`` is ``"quick"`` or ``"full"``, and
    a recipe's ``task_options`` (e.g. ``{"length": 10}``) override the mode's sequence length.
    """

    name: str
    make: Callable[..., tuple[Any, Any]]
    loss: str
    metric: str
    target: float
    higher_is_better: bool
    target_source: str


def _adding(mode: str, seed: int, length: int | None = None) -> tuple[Any, Any]:
    from .tasks import adding_problem

    length = length or (10 if mode == "quick" else 50)
    n = 2000 if mode == "quick" else 10000
    return (adding_problem(n, length, seed=seed), adding_problem(1000, length, seed=seed + 1000))


def _frequency(mode: str, seed: int, length: int | None = None) -> tuple[Any, Any]:
    from .tasks import frequency_classification

    length = length or (30 if mode == "quick" else 60)
    n = 1000 if mode == "quick" else 4000
    return (
        frequency_classification(n, length, seed=seed),
        frequency_classification(500, length, seed=seed + 1000),
    )


def _parity(mode: str, seed: int, length: int | None = None) -> tuple[Any, Any]:
    from .tasks import parity

    length = length or (6 if mode == "quick" else 12)
    n = 1000 if mode == "quick" else 4000
    return parity(n, length, seed=seed), parity(500, length, seed=seed + 1000)


def _two_sided_sum(mode: str, seed: int, length: int | None = None) -> tuple[Any, Any]:
    from .tasks import two_sided_sum

    length = length or (20 if mode == "quick" else 50)
    n = 1000 if mode == "quick" else 4000
    kw = {"offset": 3 if mode == "quick" else 5, "variable_length": True}
    return (
        two_sided_sum(n, length, seed=seed, **kw),
        two_sided_sum(500, length, seed=seed + 1000, **kw),
    )


TASK_SPECS: dict[str, TaskSpec] = {
    "adding": TaskSpec(
        "adding",
        _adding,
        "mse",
        "mse",
        0.02,
        False,
        "well below the mean predictor's MSE 1/6 = 0.167 "
        "(Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015)",
    ),
    "frequency": TaskSpec(
        "frequency",
        _frequency,
        "cross_entropy",
        "accuracy",
        0.95,
        True,
        "the untrained FFT-peak classifier's accuracy, >= 0.95 on this task "
        "(tests/test_tasks.py); chance is 1/n_classes",
    ),
    "parity": TaskSpec(
        "parity",
        _parity,
        "cross_entropy",
        "accuracy",
        0.95,
        True,
        "bit parity, a classic test of recurrent memory (Minsky & Papert 1969; "
        "Hochreiter & Schmidhuber 1997)",
    ),
    "two_sided_sum": TaskSpec(
        "two_sided_sum",
        _two_sided_sum,
        "cross_entropy",
        "accuracy",
        0.95,
        True,
        "every step labelled with the bits offset steps before and after it: both sides give "
        "1.0, one side at most 0.5, a coin toss (recurrent_zoo.tasks.two_sided)",
    ),
}


def _resolve(spec: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(spec):
        return spec
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"recipe reference must look like 'module:function'; got {spec!r}")
    return getattr(importlib.import_module(module), name)


def _settings(recipe: dict[str, Any], quick: bool) -> dict[str, Any]:
    settings = {k: v for k, v in recipe.items() if k not in ("quick", "full")}
    settings.update(recipe.get("quick" if quick else "full", {}))
    return settings


def _train_generic(entry: Entry, task: str, quick: bool, seed: int) -> dict[str, Any]:
    from ._core.layers import Linear
    from ._core.sequence import Stacked
    from .training import evaluate, fit

    if task not in TASK_SPECS:
        raise ValueError(f"task must be one of {sorted(TASK_SPECS)}; got {task!r}")
    spec = TASK_SPECS[task]
    s = _settings(dict(entry.recipe), quick)
    train, test = spec.make("quick" if quick else "full", seed, **s.get("task_options", {}))
    input_size = train.inputs.shape[2]
    out_size = int(train.output_size)
    if "build" in s:
        model = _resolve(s["build"])(input_size, seed=seed)
    else:
        kwargs = dict(s.get("model", {}))
        if not s.get("readout", True):
            if "output_size" in kwargs:
                kwargs["output_size"] = out_size
        model = entry.cls(input_size, **kwargs, seed=seed)
    if s.get("readout", True):
        model = Stacked([model, Linear(model.output_size, out_size, seed=seed + 1)])
    if model.output_size != out_size:
        raise ValueError(
            f"{entry.name}: model output_size {model.output_size} != task's {out_size}"
        )
    history = fit(
        model,
        train.inputs,
        train.targets,
        mask=train.mask,
        lengths=train.lengths,
        loss=spec.loss,
        optimizer=s.get("optimizer", "adam"),
        lr=s.get("lr"),
        epochs=int(s.get("epochs", 10)),
        batch_size=int(s.get("batch_size", 32)),
        clip_norm=s.get("clip_norm"),
        seed=seed,
        progress=False,
    )
    scores = evaluate(
        model,
        test.inputs,
        test.targets,
        mask=test.mask,
        lengths=test.lengths,
        loss=spec.loss,
        metrics=(spec.metric,),
    )
    value = float(scores[spec.metric])
    passed = value >= spec.target if spec.higher_is_better else value <= spec.target
    return {
        "task": task,
        "metric": spec.metric,
        "value": value,
        "target": spec.target,
        "higher_is_better": spec.higher_is_better,
        "target_source": spec.target_source,
        "passed": bool(passed),
        "curve": [float(v) for v in history["loss"]],
    }


def run_entry(
    entry: Entry | str, *, quick: bool = True, seed: int = 0, task: str | None = None
) -> dict[str, Any]:
    """Run one entry on its canonical task (or on ``task``) and return its result row."""
    if isinstance(entry, str):
        entry = get_entry(entry)
    recipe = dict(entry.recipe)
    start = time.perf_counter()
    if task is None and "run" in recipe:
        result = dict(_resolve(recipe["run"])(quick=quick, seed=seed))
    elif "run" in recipe and task is not None and task != entry.task:
        raise ValueError(f"{entry.name} runs only its own task {entry.task!r}")
    elif "run" in recipe:
        result = dict(_resolve(recipe["run"])(quick=quick, seed=seed))
    else:
        result = _train_generic(entry, task or entry.task, quick, seed)
    result.setdefault("higher_is_better", False)
    result["architecture"] = entry.name
    result["seconds"] = time.perf_counter() - start
    result["seed"] = seed
    return result


def _entries_for(only: Iterable[str] | None, task: str | None) -> list[Entry]:
    if only:
        entries = [get_entry(n) for n in only]
    else:
        entries = [e for e in catalogue() if e.recipe]
    if task is not None:
        entries = [e for e in entries if ("run" not in e.recipe) or e.task == task]
    return entries


def _aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and spread over seeds; the entry passes when every seed passed its own test."""
    first = dict(rows[0])
    values = np.array([r["value"] for r in rows], dtype=np.float64)
    first["value"] = float(values.mean())
    first["spread"] = float(values.std(ddof=1)) if len(rows) > 1 else 0.0
    first["values"] = values.tolist()
    first["seconds"] = float(sum(r["seconds"] for r in rows))
    first["seeds"] = [r["seed"] for r in rows]
    first["passed"] = all(bool(r["passed"]) for r in rows)
    first["n_passed"] = sum(bool(r["passed"]) for r in rows)
    return first


def _run_one(args: tuple[str, bool, int, str | None, int | None]) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    name, quick, seed, task, blas_threads = args
    try:
        # recurrent nets make many small matrix products per step, for which a multi-threaded
        # BLAS costs more than it gives (3-8x slower measured on 2 busy cores)
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return run_entry(name, quick=quick, seed=seed, task=task)
    except Exception as exc:  # noqa: BLE001 - one broken entry must not hide the others
        return {
            "architecture": name,
            "task": task or get_entry(name).task,
            "metric": "error",
            "value": math.nan,
            "target": None,
            "passed": False,
            "seconds": 0.0,
            "seed": seed,
            "error": f"{type(exc).__name__}: {exc}",
            "higher_is_better": False,
            "target_source": "",
        }


def run_compare(
    only: Iterable[str] | None = None,
    *,
    quick: bool = True,
    task: str | None = None,
    seeds: int = 1,
    jobs: int = 1,
    progress: bool | None = None,
    blas_threads: int | None = 1,
) -> list[dict[str, Any]]:
    """Run the comparison and return one row per entry (aggregated over ``seeds``).

    ``blas_threads`` caps the BLAS thread pool while each entry runs (``None``: no cap).
    """
    import sys

    from tqdm.auto import tqdm

    if seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1; got {jobs}")
    if task is not None and task not in TASK_SPECS:
        raise ValueError(f"task must be one of {sorted(TASK_SPECS)}; got {task!r}")
    entries = _entries_for(only, task)
    work = [(e.name, quick, s, task, blas_threads) for e in entries for s in range(seeds)]
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(work), desc="compare", disable=not show, leave=False)
    results: list[dict[str, Any]] = []
    if jobs == 1:
        for item in work:
            bar.set_postfix_str(item[0])
            results.append(_run_one(item))
            bar.update()
    else:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(jobs) as pool:
            for r in pool.imap_unordered(_run_one, work):
                results.append(r)
                bar.update()
    bar.close()
    rows = []
    for e in entries:
        mine = sorted((r for r in results if r["architecture"] == e.name), key=lambda r: r["seed"])
        if any("error" in r for r in mine):
            rows.append(next(r for r in mine if "error" in r))
        else:
            rows.append(_aggregate(mine))
    return rows


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.4g}"
    return str(v)


def _short(text: str, width: int = 28) -> str:
    """A table cell: the text before any parenthesis or comma, cut to ``width`` characters."""
    head = str(text).split(" (")[0].split(",")[0]
    return head if len(head) <= width else head[: width - 1] + "…"


def format_table(rows: list[dict[str, Any]]) -> str:
    """The comparison as a text table, followed by the targets' sources."""
    sources: list[str] = []
    lines = []
    header = ["architecture", "task", "metric", "value", "target", "result", "seconds"]
    body = []
    details: list[str] = []
    for r in rows:
        value = _fmt(r["value"])
        if r.get("spread"):
            value += f" ± {_fmt(r['spread'])}"
        target = "-"
        if r.get("target") is not None:
            src = r.get("target_source", "")
            if src not in sources:
                sources.append(src)
            op = ">=" if r.get("higher_is_better") else "<="
            target = f"{op} {_fmt(float(r['target']))} [{sources.index(src) + 1}]"
        result = "PASS" if r["passed"] else ("ERROR" if "error" in r else "FAIL")
        task, metric = _short(r["task"]), _short(r["metric"])
        if (task, metric) != (r["task"], r["metric"]):
            details.append(f"  {r['architecture']}: {r['task']}; {r['metric']}")
        body.append(
            [
                r["architecture"],
                task,
                metric,
                value,
                target,
                result,
                f"{r['seconds']:.1f}",
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    n_pass = sum(1 for r in rows if r["passed"])
    lines.append("")
    lines.append(f"{n_pass}/{len(rows)} passed; {sum(r['seconds'] for r in rows):.1f} s in all")
    if sources:
        lines.append("")
        lines.append("targets:")
        lines.extend(f"  [{i + 1}] {s}" for i, s in enumerate(sources))
    if details:
        lines.append("")
        lines.append("tasks and metrics in full:")
        lines.extend(details)
    errors = [r for r in rows if "error" in r]
    for r in errors:
        lines.append(f"error in {r['architecture']}: {r['error']}")
    return "\n".join(lines)


def write_json(rows: list[dict[str, Any]], path: str) -> None:
    """Write the rows as JSON (NaN written as null)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, np.generic):
            return clean(v.item())
        return v

    with open(path, "w", encoding="utf-8") as fh:
        json.dump([clean(r) for r in rows], fh, indent=2)


def plot_results(rows: list[dict[str, Any]], path: str) -> None:
    """Save a PNG: learning curves of the trained entries and each entry's score vs target."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("--plot needs matplotlib: pip install 'recurrent-zoo[plot]'") from exc
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in rows:
        curve = r.get("curve")
        if curve:
            ax1.plot(np.arange(1, len(curve) + 1), curve, label=r["architecture"])
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    ax1.set_yscale("log")
    ax1.set_title("learning curves")
    if any(r.get("curve") for r in rows):
        ax1.legend(fontsize="small")
    names, ratios, colors = [], [], []
    for r in rows:
        if r.get("target") in (None, 0) or not math.isfinite(r["value"]):
            continue
        ratio = r["value"] / float(r["target"])
        names.append(r["architecture"])
        ratios.append(ratio if r.get("higher_is_better") else 1.0 / max(ratio, 1e-12))
        colors.append("tab:green" if r["passed"] else "tab:red")
    ax2.barh(names, ratios, color=colors)
    ax2.axvline(1.0, color="k", lw=1)
    ax2.set_xscale("log")
    ax2.set_xlabel("score / target (> 1 is better than the target)")
    ax2.set_title("result against target")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
