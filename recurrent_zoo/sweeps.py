"""Sweeps: a grid or random search over catalogue entries' recipes x seeds, resumable.

``recurrent-zoo sweep SPEC`` and :func:`sweep` read a small TOML or JSON *spec*, expand it into
tasks -- one per (entry, settings, seed) -- check every one of them before any is sent, and run
them on the engine of :mod:`recurrent_zoo.engine` (this process, a local Dask cluster, or a
running one). Each finished task becomes one row of a results store (:mod:`recurrent_zoo.store`,
JSON Lines), written the moment it finishes and keyed by :func:`task_key`, a hash of (entry,
settings, seed, mode, library version): running the same spec again skips the tasks the store
already holds, so an interrupted sweep resumes where it stopped. ``recurrent-zoo report STORE``
(:func:`summarize`, :func:`format_report`, :func:`plot_report`) gives the score of every
setting with its spread over seeds, and the learning curves.

The spec
--------
A TOML file (or the same structure as JSON)::

    entries = ["elman", "lstm", "gru"]  # catalogue names, "all", or "module:NAME" for an Entry
    seeds = 5                           # seeds 0..4, or a list: [0, 7, 42]
    mode = "quick"                      # the recipes' quick or full settings
    search = "grid"                     # or "random", with samples = 20 and search_seed = 0
    store = "lstm-lr.jsonl"             # default: the spec's name with .jsonl, beside it

    [set]                               # settings every task gets
    epochs = 10

    [parameters]                        # what varies: each list is one axis of the grid
    lr = [0.003, 0.01, 0.03]
    model.hidden_size = [16, 32]
    task_options.length = [10, 20]

What a setting may change depends on the entry's recipe (see :mod:`recurrent_zoo.compare`):

- entries trained by the generic trainer: ``lr``, ``epochs``, ``batch_size``, ``clip_norm``,
  ``optimizer``, ``readout``, ``task`` (another of :data:`~recurrent_zoo.compare.TASK_SPECS`),
  ``model.<option>`` (the class's keyword arguments, or the recipe's ``build`` function's),
  ``task_options.<option>`` (``length``, ``n_train``) and ``optimizer_kwargs.<option>`` (the
  optimizer's, e.g. ``momentum``);
- entries that run their own experiment (a ``run`` function): the keyword arguments that
  function takes beyond ``quick`` and ``seed`` -- for the catalogue's, none: their seeds and
  mode only.

A list is always a list of candidate values: a setting whose value is itself a list is written
as a list of lists. A random search draws ``samples`` settings: a list is a uniform choice, and
``{uniform = [a, b]}``, ``{log_uniform = [a, b]}`` and ``{int_uniform = [a, b]}`` (both ends
included) draw from a range. Unknown entries or options, an empty list, a value of the wrong
type or a model the entry cannot build raise one :class:`SpecError` naming the key, before any
task is sent.

A script that runs a sweep on a local cluster must guard its code with
``if __name__ == "__main__":`` (the worker processes import the script, as with
:mod:`multiprocessing`).

Examples
--------
>>> spec = {"entries": ["elman"], "seeds": 2, "set": {"epochs": 1},
...         "parameters": {"lr": [0.01, 0.03], "model": {"hidden_size": [4]}}}
>>> [(t.name, t.settings, t.seed) for t in plan(spec).tasks][:3]  # doctest: +NORMALIZE_WHITESPACE
[('elman', {'epochs': 1, 'lr': 0.01, 'model.hidden_size': 4}, 0),
 ('elman', {'epochs': 1, 'lr': 0.01, 'model.hidden_size': 4}, 1),
 ('elman', {'epochs': 1, 'lr': 0.03, 'model.hidden_size': 4}, 0)]
>>> plan({"entries": ["elman"], "parameters": {"lr": []}})
Traceback (most recent call last):
...
recurrent_zoo.sweeps.SpecError: parameters.lr: an empty list; give at least one value
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import itertools
import json
import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .catalogue import Entry, catalogue, get_entry
from .compare import TASK_SPECS, _prepare_generic, _resolve, _settings, run_entry
from .store import ResultStore, json_safe, read_store

__all__ = [
    "SpecError",
    "Task",
    "Plan",
    "SweepResult",
    "load_spec",
    "plan",
    "task_key",
    "run_task",
    "sweep",
    "summarize",
    "format_report",
    "plot_report",
    "report",
]

SPEC_KEYS = (
    "entries",
    "seeds",
    "mode",
    "search",
    "samples",
    "search_seed",
    "set",
    "parameters",
    "store",
    "description",
)
_TABLES = ("model", "task_options", "optimizer_kwargs")
_DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform")


class SpecError(ValueError):
    """A sweep spec that cannot run; the message starts with the key at fault."""


# ----------------------------------------------------------------------------- reading a spec
def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a spec from a ``.toml`` or ``.json`` file."""
    p = Path(path)
    if p.suffix.lower() not in (".json", ".toml"):
        raise SpecError(f"spec: expected a .toml or .json file; got {p.name!r}")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec: no such file: {p}") from None
    if p.suffix.lower() == ".json":
        try:
            spec = json.loads(text)
        except ValueError as exc:
            raise SpecError(f"spec: {p} is not valid JSON: {exc}") from None
    else:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            spec = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"spec: {p} is not valid TOML: {exc}") from None
    if not isinstance(spec, dict):
        raise SpecError(f"spec: {p} must hold a table (a JSON object); got {type(spec).__name__}")
    return spec


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_distribution(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _DISTRIBUTIONS


def _flatten(table: Mapping[str, Any], prefix: str, leaf: Callable[[Any], bool]) -> dict[str, Any]:
    """``{"model": {"hidden_size": [..]}}`` or ``{"model.hidden_size": [..]}`` ->
    ``{"model.hidden_size": [..]}``; ``leaf(value)`` stops the descent."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        if not isinstance(k, str) or not k:
            raise SpecError(f"{prefix}: keys must be non-empty strings; got {k!r}")
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and not leaf(v):
            if not v:
                raise SpecError(f"{path}: an empty table")
            for sub, value in _flatten(v, path, leaf).items():
                out[sub] = value
        else:
            out[path] = v
    return out


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"model.hidden_size": 4, "lr": 0.1}`` -> ``{"model": {"hidden_size": 4}, "lr": 0.1}``."""
    out: dict[str, Any] = {}
    for k, v in flat.items():
        *parents, last = k.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = v
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


# ----------------------------------------------------------------------------- tasks
def task_key(entry: str, settings: Mapping[str, Any], seed: int, mode: str, version: str) -> str:
    """The store's key of a task: 16 hex digits of the SHA-256 of its canonical JSON.

    Examples
    --------
    >>> task_key("elman", {"lr": 0.01}, 0, "quick", "0.1.0")
    '...'
    >>> task_key("elman", {"lr": 0.01}, 0, "quick", "0.1.0") == task_key(
    ...     "elman", {"lr": 0.01}, 1, "quick", "0.1.0")
    False
    """
    payload = _canonical(
        {"entry": entry, "settings": dict(settings), "seed": seed, "mode": mode, "version": version}
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Task:
    """One (entry, settings, seed) of a sweep.

    Attributes
    ----------
    entry : str
        The catalogue name, or ``"module:NAME"`` of an :class:`~recurrent_zoo.Entry` outside it.
    name : str
        The entry's name.
    settings : dict
        The recipe changes, flat (``{"lr": 0.01, "model.hidden_size": 16}``).
    seed : int
    mode : str
        ``"quick"`` or ``"full"``.
    key : str
        :func:`task_key` of the above and the library version.
    """

    entry: str
    name: str
    settings: dict[str, Any]
    seed: int
    mode: str
    key: str


@dataclass
class Plan:
    """A checked spec: its tasks, in order, and where their rows go."""

    tasks: list[Task]
    store: Path
    entries: list[str]
    n_settings: int
    seeds: list[int]
    mode: str
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line: how many tasks, from what."""
        return (
            f"{len(self.tasks)} tasks: {len(self.entries)} entries x {self.n_settings} settings "
            f"x {len(self.seeds)} seeds ({self.mode} mode)"
        )


def _resolve_entry(ref: str) -> Entry:
    """A catalogue name, or ``"module:NAME"`` naming an Entry object."""
    if ":" not in ref:
        return get_entry(ref)
    module, _, attr = ref.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {ref!r}: {exc}") from None
    if not isinstance(obj, Entry):
        raise ValueError(f"{ref!r} is a {type(obj).__name__}, not an Entry")
    return obj


def _keyword_options(fn: Callable[..., Any], skip: tuple[str, ...]) -> dict[str, Any] | None:
    """The keyword options ``fn`` takes (name -> default, ``inspect.Parameter.empty`` when
    required), or None when it takes any (``**kwargs``)."""
    out: dict[str, Any] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) or p.name in skip:
            continue
        out[p.name] = p.default
    return out


def _check_against_default(path: str, value: Any, default: Any) -> None:
    """A value must have its default's type (an int is a fine float); no default, no check."""
    if default is inspect.Parameter.empty or default is None:
        return
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = _is_int(value)
    elif isinstance(default, float):
        ok = _is_number(value)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        return
    if not ok:
        raise SpecError(f"{path}: expected a {type(default).__name__}; got {_kind(value)}")


def _check_scalar(path: str, key: str, value: Any) -> Any:
    """Check a generic-trainer setting; return it normalised (a float for lr, clip_norm)."""
    if key in ("lr", "clip_norm"):
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise SpecError(f"{path}: expected a positive number; got {_kind(value)}")
        return float(value)
    if key in ("epochs", "batch_size"):
        if not _is_int(value) or value < 1:
            raise SpecError(f"{path}: expected an integer >= 1; got {_kind(value)}")
        return value
    if key == "optimizer":
        from .training.optimizers import OPTIMIZERS

        if not isinstance(value, str) or value not in OPTIMIZERS:
            raise SpecError(f"{path}: expected one of {sorted(OPTIMIZERS)}; got {_kind(value)}")
        return value
    if key == "readout":
        if not isinstance(value, bool):
            raise SpecError(f"{path}: expected true or false; got {_kind(value)}")
        return value
    if key == "task":
        if not isinstance(value, str) or value not in TASK_SPECS:
            raise SpecError(f"{path}: expected one of {sorted(TASK_SPECS)}; got {_kind(value)}")
        return value
    raise AssertionError(key)  # pragma: no cover


_SCALARS = ("lr", "epochs", "batch_size", "clip_norm", "optimizer", "readout", "task")


def _check_generic(
    entry: Entry, settings: dict[str, Any], origin: dict[str, str], quick: bool
) -> None:
    """Every key of ``settings`` is something this generic entry's recipe can change."""
    from .training.optimizers import OPTIMIZERS

    s = _settings(dict(entry.recipe), quick, _nest(settings))
    task = s.get("task", entry.task)
    optimizer = s.get("optimizer", "adam")
    for key, value in settings.items():
        path = f"{origin[key]}.{key}"
        top, _, option = key.partition(".")
        if top in _TABLES:
            if not option or "." in option:
                raise SpecError(f"{path}: expected {top}.<option>")
            if top == "model":
                if "build" in s:
                    fn = _resolve(s["build"])
                    what = f"{entry.name}'s build function {fn.__module__}.{fn.__qualname__}"
                else:
                    fn = entry.cls
                    what = f"{entry.name} ({entry.cls.__module__}.{entry.cls.__qualname__})"
                skip: tuple[str, ...] = ("self", "input_size", "seed", "dtype")
            elif top == "task_options":
                fn, what, skip = TASK_SPECS[task].make, f"task {task!r}", ("mode", "seed")
            else:
                fn = OPTIMIZERS[optimizer].__init__
                what, skip = f"optimizer {optimizer!r}", ("self", "params", "lr")
            options = _keyword_options(fn, skip)
            if options is not None and option not in options:
                known = sorted(options)
                raise SpecError(
                    f"{path}: {what} takes no option {option!r}; "
                    f"{_suggest(option, known)}it takes: {', '.join(known) or 'none'}"
                )
            if options is not None:
                _check_against_default(path, value, options[option])
        elif top not in _SCALARS or option:
            known = list(_SCALARS) + [f"{t}.<option>" for t in _TABLES]
            raise SpecError(
                f"{path}: not a setting of {entry.name}'s recipe; "
                f"{_suggest(top, list(_SCALARS) + list(_TABLES))}known: {', '.join(known)}"
            )


def _check_run(entry: Entry, settings: dict[str, Any], origin: dict[str, str]) -> None:
    """Every key of ``settings`` is a keyword option of this entry's run function."""
    fn = _resolve(entry.recipe["run"])
    options = _keyword_options(fn, ("quick", "seed"))
    if options is None:
        return
    for key, value in settings.items():
        path = f"{origin[key]}.{key}"
        if key == "task" and value == entry.task:
            continue
        if key not in options:
            takes = (
                f"its options ({', '.join(sorted(options))}), seeds and mode"
                if options
                else "only its seeds and mode"
            )
            raise SpecError(
                f"{path}: {entry.name} runs its own experiment "
                f"({fn.__module__}.{fn.__qualname__}), which takes no option {key!r}; "
                f"{_suggest(key, sorted(options))}a sweep can vary {takes}"
            )
        _check_against_default(path, value, options[key])


def _dry_build(
    entry: Entry,
    settings: dict[str, Any],
    origin: dict[str, str],
    quick: bool,
    seed: int,
    cache: set[str],
) -> None:
    """Build the task's data and untrained model once, so that a value the model or the task
    refuses (a wrong type, an impossible size) stops the sweep before it starts."""
    build = {k: v for k, v in settings.items() if k.split(".")[0] in ("model", "task_options")}
    build.update({k: settings[k] for k in ("task", "readout") if k in settings})
    tag = _canonical([entry.name, build])
    if tag in cache:
        return
    cache.add(tag)
    s = _settings(dict(entry.recipe), quick, _nest(settings))
    try:
        _prepare_generic(entry, s.get("task", entry.task), quick, seed, s)
    except Exception as exc:  # noqa: BLE001 - whatever the model says, with the key in front
        keys = ", ".join(f"{origin[k]}.{k}" for k in build) or "entries"
        shown = " ".join(f"{k}={v!r}" for k, v in build.items()) or "its own recipe"
        raise SpecError(
            f"{keys}: {entry.name} with {shown} cannot be built: {type(exc).__name__}: {exc}"
        ) from None


def _seeds(value: Any) -> list[int]:
    if _is_int(value):
        if value < 1:
            raise SpecError(f"seeds: expected an integer >= 1 or a list of seeds; got {value!r}")
        return list(range(value))
    if isinstance(value, list):
        if not value:
            raise SpecError("seeds: an empty list; give at least one seed")
        for i, s in enumerate(value):
            if not _is_int(s) or s < 0:
                raise SpecError(f"seeds[{i}]: expected an integer >= 0; got {_kind(s)}")
        if len(set(value)) != len(value):
            raise SpecError(f"seeds: a seed appears twice in {value}")
        return list(value)
    raise SpecError(f"seeds: expected an integer >= 1 or a list of seeds; got {_kind(value)}")


def _entries(value: Any) -> list[tuple[str, Entry]]:
    if value == "all":
        return [(e.name, e) for e in catalogue() if e.recipe]
    if not isinstance(value, list):
        raise SpecError(f"entries: expected a list of names or 'all'; got {_kind(value)}")
    if not value:
        raise SpecError("entries: an empty list; give at least one entry")
    out: list[tuple[str, Entry]] = []
    for i, ref in enumerate(value):
        if not isinstance(ref, str):
            raise SpecError(f"entries[{i}]: expected a name; got {_kind(ref)}")
        try:
            entry = _resolve_entry(ref)
        except ValueError as exc:
            raise SpecError(f"entries[{i}]: {exc}") from None
        if not entry.recipe:
            raise SpecError(f"entries[{i}]: {entry.name} has no recipe to run")
        ident = ref if ":" in ref else entry.name
        if any(e.name == entry.name for _, e in out):
            raise SpecError(f"entries[{i}]: {entry.name!r} appears twice")
        out.append((ident, entry))
    return out


def _axes_grid(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    axes = []
    for path, values in parameters.items():
        if _is_distribution(values):
            raise SpecError(
                f"parameters.{path}: a grid takes a list of values; "
                f"{next(iter(values))} ranges need search = 'random'"
            )
        if not isinstance(values, list):
            raise SpecError(
                f"parameters.{path}: expected a list of values; got {_kind(values)} "
                "(a single value goes in [set])"
            )
        if not values:
            raise SpecError(f"parameters.{path}: an empty list; give at least one value")
        seen = [_canonical(json_safe(v)) for v in values]
        if len(set(seen)) != len(seen):
            raise SpecError(f"parameters.{path}: a value appears twice in {values}")
        axes.append([(path, v) for v in values])
    return [dict(combo) for combo in itertools.product(*axes)]


def _draw(path: str, spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, list):
        if not spec:
            raise SpecError(f"parameters.{path}: an empty list; give at least one value")
        return spec[int(rng.integers(len(spec)))]
    if not _is_distribution(spec):
        raise SpecError(
            f"parameters.{path}: expected a list of values or one of "
            f"{{uniform|log_uniform|int_uniform = [low, high]}}; got {_kind(spec)}"
        )
    kind, bounds = next(iter(spec.items()))
    check = _is_int if kind == "int_uniform" else _is_number
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(check(b) for b in bounds)):
        what = "integers" if kind == "int_uniform" else "numbers"
        raise SpecError(
            f"parameters.{path}.{kind}: expected [low, high], two {what}; got {bounds!r}"
        )
    low, high = bounds
    if low > high or (kind == "log_uniform" and low <= 0):
        need = "0 < low <= high" if kind == "log_uniform" else "low <= high"
        raise SpecError(f"parameters.{path}.{kind}: expected {need}; got {bounds!r}")
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "log_uniform":
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return int(rng.integers(low, high + 1))


def _axes_random(parameters: dict[str, Any], samples: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [{p: _draw(p, v, rng) for p, v in parameters.items()} for _ in range(samples)]


def plan(
    spec: Mapping[str, Any] | str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | None = None,
) -> Plan:
    """Check a spec (a dict, or the path of a TOML/JSON file) and expand it into tasks.

    Raises :class:`SpecError`, naming the key, for anything that would stop a task: unknown
    keys, entries or options, empty lists, values of the wrong type, models the entry cannot
    build with the given options.
    """
    from ._version import __version__

    if isinstance(spec, (str, os.PathLike)):
        path = Path(spec)
        data = load_spec(path)
        default_store = path.with_suffix(".jsonl")
        base = path.parent
    elif isinstance(spec, Mapping):
        data = dict(spec)
        default_store = Path("sweep.jsonl")
        base = Path.cwd()
    else:
        raise TypeError(f"spec must be a dict or a path; got {type(spec).__name__}")
    for key in data:
        if key not in SPEC_KEYS:
            raise SpecError(
                f"{key}: not a spec key; {_suggest(str(key), list(SPEC_KEYS))}"
                f"known: {', '.join(SPEC_KEYS)}"
            )
    if "entries" not in data:
        raise SpecError("entries: missing; give a list of entry names (or 'all')")
    entries = _entries(data["entries"])
    seeds = _seeds(data.get("seeds", 1))
    mode = data.get("mode", "quick")
    if mode not in ("quick", "full"):
        raise SpecError(f"mode: expected 'quick' or 'full'; got {_kind(mode)}")
    search = data.get("search", "grid")
    if search not in ("grid", "random"):
        raise SpecError(f"search: expected 'grid' or 'random'; got {_kind(search)}")
    for key in ("samples", "search_seed"):
        if key in data and search != "random":
            raise SpecError(f"{key}: applies to search = 'random' only")
    fixed_table = data.get("set", {})
    if not isinstance(fixed_table, dict):
        raise SpecError(f"set: expected a table of settings; got {_kind(fixed_table)}")
    fixed = _flatten(fixed_table, "", lambda v: False)
    params_table = data.get("parameters")
    if params_table is None:
        if search == "random":
            raise SpecError("parameters: missing; a random search needs settings to draw")
        combos: list[dict[str, Any]] = [{}]
    else:
        if not isinstance(params_table, dict):
            raise SpecError(f"parameters: expected a table of settings; got {_kind(params_table)}")
        if not params_table:
            raise SpecError(
                "parameters: an empty table; give a list of values for each setting to vary, "
                "or leave it out to run the recipes as they are"
            )
        parameters = _flatten(params_table, "", _is_distribution)
        for key in parameters:
            if key in fixed:
                raise SpecError(f"parameters.{key}: also given in [set]; give it once")
        if search == "grid":
            combos = _axes_grid(parameters)
        else:
            samples = data.get("samples", 10)
            if not _is_int(samples) or samples < 1:
                raise SpecError(f"samples: expected an integer >= 1; got {_kind(samples)}")
            search_seed = data.get("search_seed", 0)
            if not _is_int(search_seed) or search_seed < 0:
                raise SpecError(f"search_seed: expected an integer >= 0; got {_kind(search_seed)}")
            combos = _axes_random(parameters, samples, search_seed)
    origin = {k: "set" for k in fixed}
    if params_table is not None:
        origin.update({k: "parameters" for k in combos[0]})
    notes = []
    distinct: dict[str, dict[str, Any]] = {}
    for combo in combos:
        settings = {**fixed, **combo}
        for key in list(settings):  # the generic trainer's scalars, checked and normalised
            top = key.split(".")[0]
            if top in _SCALARS and "." not in key:
                settings[key] = _check_scalar(f"{origin[key]}.{key}", key, settings[key])
        distinct.setdefault(_canonical(json_safe(dict(sorted(settings.items())))), settings)
    if len(distinct) < len(combos):
        notes.append(f"{len(combos)} settings drawn, {len(distinct)} distinct")
    quick = mode == "quick"
    tasks: list[Task] = []
    built: set[str] = set()
    for settings in distinct.values():
        settings = dict(sorted(settings.items()))
        for ident, entry in entries:
            if "run" in entry.recipe:
                _check_run(entry, settings, origin)
            else:
                _check_generic(entry, settings, origin, quick)
                _dry_build(entry, settings, origin, quick, seeds[0], built)
            for seed in seeds:
                key = task_key(ident, settings, seed, mode, __version__)
                tasks.append(Task(ident, entry.name, settings, seed, mode, key))
    store_path = Path(store) if store is not None else Path(data.get("store", default_store))
    if not store_path.is_absolute():
        store_path = (Path.cwd() if store is not None else base) / store_path
    return Plan(
        tasks=tasks,
        store=store_path,
        entries=[e.name for _, e in entries],
        n_settings=len(distinct),
        seeds=seeds,
        mode=mode,
        notes=notes,
    )


# ----------------------------------------------------------------------------- running
_RESULT_FIELDS = (
    "task",
    "metric",
    "value",
    "target",
    "higher_is_better",
    "target_source",
    "passed",
    "curve",
    "details",
)


def _row_head(task: Task) -> dict[str, Any]:
    from ._version import __version__

    return {
        "key": task.key,
        "entry": task.name,
        "entry_ref": task.entry,
        "settings": task.settings,
        "seed": task.seed,
        "mode": task.mode,
        "version": __version__,
    }


def run_task(task: Task) -> dict[str, Any]:
    """Run one task (on a worker) and return its store row; an error is recorded, not raised."""
    row = _row_head(task)
    start, cpu = time.perf_counter(), time.thread_time()
    try:
        entry = _resolve_entry(task.entry)
        options = _nest(task.settings)
        on_task = options.pop("task", None)
        if "run" in entry.recipe and on_task == entry.task:
            on_task = None
        result = run_entry(
            entry, quick=task.mode == "quick", seed=task.seed, task=on_task, options=options
        )
        row["status"] = "ok"
        row.update({k: result[k] for k in _RESULT_FIELDS if k in result})
    except Exception as exc:  # noqa: BLE001 - the row says what went wrong; the others go on
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc()
    row["seconds"] = time.perf_counter() - start
    row["cpu_seconds"] = time.thread_time() - cpu  # < seconds: the machine was busy
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    row["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return json_safe(row)


def _lost_row(task: Task, exc: BaseException) -> dict[str, Any]:
    """The row of a task that never returned one because its workers kept dying (more often
    than Dask's ``allowed-failures``: :class:`distributed.KilledWorker`, a task that runs out
    of memory, say). Any other failure outside the task's own code (which :func:`run_task`
    records itself) is the cluster's, not the task's: it stops the sweep, recording nothing."""
    from .engine import EngineError

    if type(exc).__name__ != "KilledWorker":
        raise EngineError(
            f"task {task.name} seed {task.seed} ({task.key}) failed in the cluster, not in its "
            f"own code: {type(exc).__name__}: {exc}"
        )
    row = _row_head(task)
    row.update(
        status="error",
        error=f"{type(exc).__name__}: {exc}",
        seconds=0.0,
        finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    return json_safe(row)


@dataclass
class SweepResult:
    """What :func:`sweep` did.

    Attributes
    ----------
    plan : Plan
    rows : list of dict
        The store's row of every task of the plan, in the plan's order (None for a task left
        unfinished by an interruption).
    ran, skipped : int
        Tasks run now, and tasks whose rows the store already held.
    """

    plan: Plan
    rows: list[dict[str, Any] | None]
    ran: int
    skipped: int

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The rows of tasks that raised."""
        return [r for r in self.rows if r is not None and r.get("status") != "ok"]

    @property
    def ok(self) -> bool:
        """Every task ran without an error."""
        return all(r is not None for r in self.rows) and not self.failed


def sweep(
    spec: Mapping[str, Any] | str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | None = None,
    jobs: int | str = "auto",
    scheduler: str | None = None,
    resume: bool = True,
    retry_errors: bool = False,
    blas_threads: int | None = 1,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run a sweep: check the spec, skip what the store holds, run the rest, one row per task.

    Parameters
    ----------
    spec : dict or path
        The spec (see the module docstring), or its TOML/JSON file.
    store : path, optional
        The results store (JSON Lines); default: the spec's ``store``, else the spec file's
        name with ``.jsonl``.
    jobs : int or "auto", default "auto"
        ``"auto"``: a local Dask cluster of one worker process per core (this process when Dask
        is not installed); an int: that many workers (1: this process, no Dask).
    scheduler : str, optional
        The address of a running Dask scheduler (``tcp://host:8786``) instead.
    resume : bool, default True
        Skip the tasks whose rows the store holds. False runs them all again (their new rows
        supersede the old ones).
    retry_errors : bool, default False
        Run again the tasks whose stored rows are errors.
    blas_threads : int or None, default 1
        BLAS threads per task.
    progress : bool, optional
        A progress bar of tasks done and failed (default: when stderr is a terminal).
    log : callable, optional
        Where one-line notes go (default: stderr).

    Examples
    --------
    >>> import tempfile, os
    >>> spec = {"entries": ["elman"], "seeds": 2, "parameters": {"lr": [0.01, 0.03]},
    ...         "set": {"epochs": 1, "model.hidden_size": 4, "task_options.n_train": 64}}
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.jsonl")
    >>> result = sweep(spec, store=path, jobs=1, progress=False, log=lambda m: None)
    >>> result.ran, result.skipped, result.ok
    (4, 0, True)
    >>> sweep(spec, store=path, jobs=1, progress=False, log=lambda m: None).skipped
    4
    """
    from .engine import run_tasks

    say = log or (lambda m: print(m, file=sys.stderr, flush=True))
    p = plan(spec, store=store)
    with ResultStore(p.store) as st:
        old = st.contents
        if old.torn:
            say(
                f"note: {p.store} ended with a half-written row ({old.torn} bytes) left by an "
                "interrupted run; it was cut off and its task runs again"
            )
        if old.bad_lines:
            say(f"warning: {p.store}: unreadable lines {old.bad_lines} ignored")

        def needed(t: Task) -> bool:
            row = old.rows.get(t.key)
            if row is None or not resume:
                return True
            return retry_errors and row.get("status") != "ok"

        todo = [t for t in p.tasks if needed(t)]
        skipped = len(p.tasks) - len(todo)
        say(
            f"{p.describe()}; {skipped} already in {p.store}, {len(todo)} to run"
            + "".join(f"; {n}" for n in p.notes)
        )
        new: dict[str, dict[str, Any]] = {}

        def record(i: int, row: dict[str, Any]) -> None:
            st.append(row)
            new[row["key"]] = row

        run_tasks(
            run_task,
            todo,
            error_row=lambda i, exc: _lost_row(todo[i], exc),
            keys=[f"{t.name}-{t.key}" for t in todo],
            jobs=jobs,
            scheduler=scheduler,
            blas_threads=blas_threads,
            on_result=record,
            is_failure=lambda r: r.get("status") != "ok",
            progress=progress,
            desc="sweep",
            log=say,
        )
    rows = [new.get(t.key, old.rows.get(t.key)) for t in p.tasks]
    return SweepResult(plan=p, rows=rows, ran=len(todo), skipped=skipped)


# ----------------------------------------------------------------------------- the report
def _settings_text(settings: Mapping[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else json.dumps(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in settings.items()) or "(recipe)"


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One group per (entry, mode, settings, version): scores over seeds, curves, errors.

    Each group has ``entry``, ``settings``, ``mode``, ``version``, ``task``, ``metric``,
    ``higher_is_better``, ``target``, ``seeds``, ``values`` (of the tasks that ran), ``mean``,
    ``std`` (over seeds, ``ddof=1``; 0 for one seed), ``min``, ``max``, ``n_passed``,
    ``errors`` (``(seed, message)``), ``curves`` and ``seconds`` (mean per task). Groups come
    entry by entry (in the order entries first appear), best mean first.
    """
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        tag = _canonical([r["entry"], r.get("mode"), r.get("settings", {}), r.get("version")])
        g = groups.setdefault(
            tag,
            {
                "entry": r["entry"],
                "settings": dict(r.get("settings", {})),
                "mode": r.get("mode"),
                "version": r.get("version"),
                "task": None,
                "metric": None,
                "higher_is_better": False,
                "target": None,
                "seeds": [],
                "values": [],
                "n_passed": 0,
                "errors": [],
                "curves": [],
                "seconds": [],
            },
        )
        g["seeds"].append(r.get("seed"))
        g["seconds"].append(float(r.get("seconds") or 0.0))
        if r.get("status") != "ok":
            g["errors"].append((r.get("seed"), str(r.get("error", "unknown error"))))
            continue
        for k in ("task", "metric", "higher_is_better", "target"):
            if r.get(k) is not None:
                g[k] = r[k]
        value = r.get("value")
        g["values"].append(math.nan if value is None else float(value))
        g["n_passed"] += bool(r.get("passed"))
        if r.get("curve"):
            g["curves"].append([math.nan if v is None else float(v) for v in r["curve"]])
    out = list(groups.values())
    for g in out:
        v = np.array(g["values"], dtype=np.float64)
        finite = v[np.isfinite(v)]
        g["mean"] = float(finite.mean()) if finite.size else math.nan
        g["std"] = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
        g["min"] = float(finite.min()) if finite.size else math.nan
        g["max"] = float(finite.max()) if finite.size else math.nan
        g["seconds"] = float(np.mean(g["seconds"])) if g["seconds"] else 0.0
    order = {e: i for i, e in enumerate(dict.fromkeys(g["entry"] for g in out))}

    def rank(g: dict[str, Any]) -> tuple[int, int, float]:
        mean = g["mean"]
        if math.isnan(mean):
            return order[g["entry"]], 1, 0.0
        return order[g["entry"]], 0, -mean if g["higher_is_better"] else mean

    return sorted(out, key=rank)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def format_report(groups: list[dict[str, Any]], *, title: str | None = None) -> str:
    """The summary as a text table: one line per setting, its best first within each entry
    (marked ``*`` when an entry has several settings), then the errors."""
    header = [
        "entry",
        "settings",
        "task",
        "metric",
        "mean ± sd",
        "min..max",
        "seeds",
        "passed",
        "s/task",
    ]
    n_settings: dict[str, int] = {}
    for g in groups:
        n_settings[g["entry"]] = n_settings.get(g["entry"], 0) + 1
    body = []
    seen: set[str] = set()
    for g in groups:
        best = n_settings[g["entry"]] > 1 and g["entry"] not in seen and not math.isnan(g["mean"])
        seen.add(g["entry"])
        n_ok, n_all = len(g["values"]), len(g["seeds"])
        score = "-" if math.isnan(g["mean"]) else f"{_fmt(g['mean'])} ± {_fmt(g['std'])}"
        body.append(
            [
                ("* " if best else "  ") + g["entry"],
                _settings_text(g["settings"]) + ("" if g["mode"] == "quick" else f" ({g['mode']})"),
                _fmt(g["task"]),
                _fmt(g["metric"]),
                score,
                f"{_fmt(g['min'])}..{_fmt(g['max'])}" if n_ok else "-",
                f"{n_ok}/{n_all}" + (f" ({n_all - n_ok} failed)" if n_ok < n_all else ""),
                f"{g['n_passed']}/{n_ok}" if n_ok else "-",
                f"{g['seconds']:.1f}",
            ]
        )
    lines = [title] if title else []
    if not body:
        return "\n".join(lines + ["no rows"])
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in body]
    n_rows = sum(len(g["seeds"]) for g in groups)
    n_err = sum(len(g["errors"]) for g in groups)
    lines.append("")
    lines.append(
        f"{n_rows} tasks: {n_rows - n_err} ran, {n_err} failed; mean ± sd over seeds; "
        "* the best setting of an entry"
    )
    for g in groups:
        for seed, message in g["errors"]:
            lines.append(
                f"error: {g['entry']} {_settings_text(g['settings'])} seed {seed}: {message}"
            )
    return "\n".join(lines)


def plot_report(groups: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Save a PNG: for each entry, the score of every setting (each seed a dot, the mean with
    its spread over seeds) and the learning curves (mean over seeds, min..max shaded)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("--plot needs matplotlib: pip install 'recurrent-zoo[plot]'") from exc
    entries = list(dict.fromkeys(g["entry"] for g in groups))
    if not entries:
        raise ValueError("nothing to plot: the store has no rows")
    fig, axes = plt.subplots(len(entries), 2, figsize=(12, 0.5 + 3.2 * len(entries)), squeeze=False)
    for (ax1, ax2), name in zip(axes, entries, strict=True):
        mine = [g for g in groups if g["entry"] == name and g["values"]]
        labels = [_settings_text(g["settings"]) for g in mine]
        for y, g in enumerate(mine):
            ax1.plot(g["values"], [y] * len(g["values"]), "o", color="0.6", ms=4)
            ax1.errorbar(g["mean"], y, xerr=g["std"], fmt="D", color="tab:blue", capsize=3)
        ax1.set_yticks(range(len(mine)), [t if len(t) <= 40 else t[:39] + "…" for t in labels])
        ax1.invert_yaxis()  # the best setting on top
        target = next((g["target"] for g in mine if g["target"] is not None), None)
        if target is not None:
            ax1.axvline(target, color="k", lw=1, ls="--", label="target")
            ax1.legend(fontsize="small")
        metric = next((g["metric"] for g in mine if g["metric"]), "score")
        ax1.set_xlabel(f"{metric} (dots: seeds; diamond: mean ± sd)")
        ax1.set_title(f"{name}: {next((g['task'] for g in mine if g['task']), '')}")
        drawn = False
        for g, label in zip(mine, labels, strict=True):
            if not g["curves"]:
                continue
            n = min(len(c) for c in g["curves"])
            c = np.array([c[:n] for c in g["curves"]], dtype=np.float64)
            x = np.arange(1, n + 1)
            (line,) = ax2.plot(x, np.nanmean(c, axis=0), label=label)
            ax2.fill_between(
                x, np.nanmin(c, axis=0), np.nanmax(c, axis=0), alpha=0.2, color=line.get_color()
            )
            drawn = True
        if drawn:
            ax2.set_xlabel("epoch")
            ax2.set_ylabel("training loss")
            if all(
                np.nanmin(np.array(c[: min(map(len, g["curves"]))])) > 0
                for g in mine
                for c in g["curves"]
            ):
                ax2.set_yscale("log")
            if len(mine) <= 10:
                ax2.legend(fontsize="x-small")
            ax2.set_title("learning curves (mean over seeds, min..max shaded)")
        else:
            ax2.set_axis_off()
            ax2.text(0.5, 0.5, "no learning curves recorded", ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(store: str | os.PathLike[str]) -> str:
    """The text report of a store (``recurrent-zoo report STORE``)."""
    if not os.path.exists(store):
        raise ValueError(f"store: no such file: {store}")
    contents = read_store(store)
    text = format_report(summarize(list(contents.rows.values())), title=f"store {store}")
    if contents.torn:
        text += f"\nnote: the last row is half-written ({contents.torn} bytes; ignored)"
    if contents.bad_lines:
        text += f"\nwarning: unreadable lines {contents.bad_lines} ignored"
    return text
