"""Sweeps without Dask: specs checked before anything runs, grid and random expansion, the task
key, resuming, failing tasks, the report, and the commands' behaviour when dask.distributed is
absent. The store itself: tests/test_store.py; the engine in one process: tests/test_engine.py;
the Dask engine: tests/test_sweep_dask.py.
"""

import hashlib
import json
import os

import numpy as np
import pytest
from sweep_helpers import started

import recurrent_zoo
from recurrent_zoo import engine
from recurrent_zoo.cli import main
from recurrent_zoo.store import read_store
from recurrent_zoo.sweeps import SpecError, format_report, plan, summarize, sweep, task_key

PROBE = "sweep_helpers:PROBE"
# a generic entry trained for real, small enough for a test: 64 sequences, 1 epoch, 4 units
TINY = {"epochs": 1, "model.hidden_size": 4, "task_options.n_train": 64}


def quiet(message):
    pass


# -- bad specs: one clear error naming the key, before any task is sent -----------------------
BAD_SPECS = [
    (
        {"entries": ["elman", "lstn"]},
        "entries[1]: unknown architecture name 'lstn'; did you mean 'lstm'?",
    ),
    (
        {"entries": []},
        "entries: an empty list",
    ),
    (
        {"entries": "elman"},
        "entries: expected a list of names or 'all'",
    ),
    (
        {"entries": ["no_such_module:ENTRY"]},
        "entries[0]: cannot import 'no_such_module:ENTRY'",
    ),
    (
        {"entries": ["elman", "Elman"]},
        "entries[1]: 'elman' appears twice",
    ),
    (
        {"seeds": 2},
        "entries: missing",
    ),
    (
        {"entries": ["elman"], "seed": 3},
        "seed: not a spec key; did you mean 'seeds'?",
    ),
    (
        {"entries": ["elman"], "seeds": 0},
        "seeds: expected an integer >= 1",
    ),
    (
        {"entries": ["elman"], "seeds": []},
        "seeds: an empty list",
    ),
    (
        {"entries": ["elman"], "seeds": [0, "1"]},
        "seeds[1]: expected an integer >= 0; got '1' (str)",
    ),
    (
        {"entries": ["elman"], "mode": "medium"},
        "mode: expected 'quick' or 'full'",
    ),
    (
        {"entries": ["elman"], "parameters": {}},
        "parameters: an empty table",
    ),
    (
        {"entries": ["elman"], "parameters": {"lr": []}},
        "parameters.lr: an empty list",
    ),
    (
        {"entries": ["elman"], "parameters": {"model": {}}},
        "model: an empty table",
    ),
    (
        {"entries": ["elman"], "parameters": {"lr": 0.01}},
        "parameters.lr: expected a list of values",
    ),
    (
        {"entries": ["elman"], "parameters": {"lr": [0.01, 0.01]}},
        "parameters.lr: a value appears twice",
    ),
    (
        {"entries": ["elman"], "parameters": {"model": {"hiden_size": [4]}}},
        (
            "parameters.model.hiden_size: elman (recurrent_zoo.elman.Elman) takes no option "
            "'hiden_size'; did you mean 'hidden_size'?"
        ),
    ),
    (
        {"entries": ["elman"], "set": {"learning_rate": 0.1}},
        "set.learning_rate: not a setting of elman's recipe",
    ),
    (
        {"entries": ["elman"], "set": {"task_options.size": 3}},
        "set.task_options.size: task 'adding' takes no option 'size'",
    ),
    (
        {"entries": ["elman"], "set": {"optimizer_kwargs.momentum": 0.9}},
        "set.optimizer_kwargs.momentum: optimizer 'adam' takes no option 'momentum'",
    ),
    (
        {"entries": ["bidirectional"], "set": {"model.hidden_size": 3}},
        (
            "set.model.hidden_size: bidirectional's build function "
            "recurrent_zoo.bidirectional.build_bidirectional_elman takes no option "
            "'hidden_size'"
        ),
    ),
    (
        {"entries": ["hopfield"], "parameters": {"lr": [0.1]}},
        (
            "parameters.lr: hopfield runs its own experiment "
            "(recurrent_zoo.hopfield.compare_run), which takes no option 'lr'; a sweep can "
            "vary only its seeds and mode"
        ),
    ),
    (
        {"entries": [PROBE], "set": {"slep": 1.0}},
        "set.slep: probe runs its own experiment",
    ),
    (
        {"entries": ["elman"], "parameters": {"lr": [0.01, "fast"]}},
        "parameters.lr: expected a positive number; got 'fast' (str)",
    ),
    (
        {"entries": ["elman"], "set": {"epochs": 2.5}},
        "set.epochs: expected an integer >= 1; got 2.5 (float)",
    ),
    (
        {"entries": ["elman"], "set": {"readout": "yes"}},
        "set.readout: expected true or false",
    ),
    (
        {"entries": ["elman"], "set": {"optimizer": "adamax"}},
        "set.optimizer: expected one of",
    ),
    (
        {"entries": ["elman"], "set": {"task": "copy"}},
        "set.task: expected one of",
    ),
    (
        {"entries": ["elman"], "parameters": {"model.bias": [True, "no"]}},
        "parameters.model.bias: expected a bool; got 'no' (str)",
    ),
    (
        {"entries": ["elman"], "parameters": {"model.hidden_size": [4, "32"]}},
        (
            "parameters.model.hidden_size: elman with model.hidden_size='32' cannot be "
            "built: TypeError: hidden_size must be an integer >= 1; got '32'"
        ),
    ),
    (
        {"entries": ["elman"], "set": {"task_options.length": 2.5}},
        (
            "set.task_options.length: elman with task_options.length=2.5 cannot be built: "
            "TypeError: length must be"
        ),
    ),
    (
        {"entries": [PROBE], "set": {"sleep": "long"}},
        "set.sleep: expected a float; got 'long' (str)",
    ),
    (
        {"entries": ["elman"], "parameters": {"lr": {"log_uniform": [0.001, 0.1]}}},
        ("parameters.lr: a grid takes a list of values; log_uniform ranges need search = 'random'"),
    ),
    (
        {"entries": ["elman"], "samples": 3},
        "samples: applies to search = 'random' only",
    ),
    (
        {"entries": ["elman"], "search": "bayes"},
        "search: expected 'grid' or 'random'",
    ),
    (
        {"entries": ["elman"], "search": "random"},
        "parameters: missing; a random search needs",
    ),
    (
        {"entries": ["elman"], "search": "random", "parameters": {"lr": {"log_uniform": [0, 1]}}},
        "parameters.lr.log_uniform: expected 0 < low <= high",
    ),
    (
        {
            "entries": ["elman"],
            "search": "random",
            "parameters": {"epochs": {"int_uniform": [1, 2.5]}},
        },
        "parameters.epochs.int_uniform: expected [low, high], two integers",
    ),
    (
        {"entries": ["elman"], "search": "random", "samples": 0, "parameters": {"lr": [0.1]}},
        "samples: expected an integer >= 1",
    ),
    (
        {"entries": ["elman"], "set": {"lr": 0.1}, "parameters": {"lr": [0.1, 0.2]}},
        "parameters.lr: also given in [set]",
    ),
]


@pytest.mark.parametrize("spec, message", BAD_SPECS, ids=[m.split(":")[0] for _, m in BAD_SPECS])
def test_a_bad_spec_is_one_error_naming_the_key(spec, message):
    with pytest.raises(SpecError) as exc:
        plan(spec)
    assert str(exc.value).startswith(message), str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_bad_spec_sends_no_task(tmp_path, monkeypatch, capsys):
    def never(*args, **kwargs):
        raise AssertionError("a task was sent although the spec is bad")

    monkeypatch.setattr(engine, "run_tasks", never)
    spec = tmp_path / "bad.toml"
    spec.write_text('entries = ["elman"]\n[parameters]\nmodel.hidden_size = [4, "32"]\n')
    assert main(["sweep", str(spec), "--jobs", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: recurrent-zoo sweep"), err
    assert "recurrent-zoo sweep: error: parameters.model.hidden_size: elman with" in err
    assert not (tmp_path / "bad.jsonl").exists()


def test_spec_files_toml_and_json_give_the_same_tasks(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        'entries = ["elman", "gru"]\nseeds = [3, 1]\n[set]\nepochs = 1\n'
        "[parameters]\nlr = [0.01, 0.03]\nmodel.hidden_size = [4, 8]\n"
    )
    as_json = tmp_path / "s.json"
    as_json.write_text(
        json.dumps(
            {
                "entries": ["elman", "gru"],
                "seeds": [3, 1],
                "set": {"epochs": 1},
                "parameters": {"lr": [0.01, 0.03], "model.hidden_size": [4, 8]},
            }
        )
    )
    a, b = plan(toml), plan(as_json)
    assert [t.key for t in a.tasks] == [t.key for t in b.tasks]
    assert len(a.tasks) == 2 * 4 * 2 and len({t.key for t in a.tasks}) == 16
    assert a.store == tmp_path / "s.jsonl"  # beside the spec
    assert {t.seed for t in a.tasks} == {1, 3}
    settings = {json.dumps(t.settings, sort_keys=True) for t in a.tasks}
    assert len(settings) == 4
    with pytest.raises(SpecError, match=r"^spec: expected a \.toml or \.json file"):
        plan(tmp_path / "s.yaml")
    (tmp_path / "broken.toml").write_text("entries = [")
    with pytest.raises(SpecError, match=r"^spec: .*broken\.toml is not valid TOML"):
        plan(tmp_path / "broken.toml")


def test_settings_are_normalised_so_equal_settings_share_a_key():
    a = plan({"entries": ["elman"], "set": {"lr": 1}}).tasks[0]
    b = plan({"entries": ["elman"], "set": {"lr": 1.0}}).tasks[0]
    c = plan({"entries": ["elman"], "set": {"model": {"hidden_size": 8}}}).tasks[0]
    d = plan({"entries": ["elman"], "set": {"model.hidden_size": 8}}).tasks[0]
    assert a.settings == {"lr": 1.0} and a.key == b.key
    assert c.settings == d.settings == {"model.hidden_size": 8} and c.key == d.key


def test_task_key_is_the_sha256_of_the_canonical_task():
    payload = {
        "entry": "elman",
        "mode": "quick",
        "seed": 2,
        "settings": {"lr": 0.01},
        "version": "9.9",
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256(text.encode()).hexdigest()[:16]
    assert task_key("elman", {"lr": 0.01}, 2, "quick", "9.9") == expected
    others = {
        task_key("gru", {"lr": 0.01}, 2, "quick", "9.9"),
        task_key("elman", {"lr": 0.02}, 2, "quick", "9.9"),
        task_key("elman", {"lr": 0.01}, 3, "quick", "9.9"),
        task_key("elman", {"lr": 0.01}, 2, "full", "9.9"),
        task_key("elman", {"lr": 0.01}, 2, "quick", "10.0"),
    }
    assert expected not in others and len(others) == 5
    tasks = plan({"entries": ["elman"], "seeds": 1}).tasks
    assert tasks[0].key == task_key("elman", {}, 0, "quick", recurrent_zoo.__version__)


def test_random_search_draws_reproducibly_within_the_ranges():
    spec = {
        "entries": ["elman"],
        "search": "random",
        "samples": 40,
        "search_seed": 7,
        "parameters": {
            "lr": {"log_uniform": [1e-3, 1e-1]},
            "clip_norm": {"uniform": [0.5, 2.0]},
            "epochs": {"int_uniform": [1, 3]},
            "optimizer": ["adam", "rmsprop"],
        },
    }
    a, b = plan(spec), plan(spec)
    assert [t.settings for t in a.tasks] == [t.settings for t in b.tasks]
    drawn = [t.settings for t in a.tasks]
    assert len(drawn) == 40
    assert all(1e-3 <= s["lr"] <= 1e-1 and 0.5 <= s["clip_norm"] <= 2.0 for s in drawn)
    assert {s["epochs"] for s in drawn} == {1, 2, 3}  # both ends included
    assert {s["optimizer"] for s in drawn} == {"adam", "rmsprop"}
    logs = np.log10([s["lr"] for s in drawn])  # log-uniform: spread over both decades
    assert (logs < -2).sum() > 5 and (logs > -2).sum() > 5
    other = plan({**spec, "search_seed": 8})
    assert [t.settings for t in other.tasks] != drawn


def test_random_search_repeats_are_run_once():
    spec = {"entries": ["elman"], "search": "random", "samples": 12}
    p = plan({**spec, "parameters": {"epochs": [1, 2]}})
    assert sorted(t.settings["epochs"] for t in p.tasks) == [1, 2]
    assert p.notes == ["12 settings drawn, 2 distinct"]


def test_all_entries_with_seeds_only():
    p = plan({"entries": "all", "seeds": 2})
    names = [e.name for e in recurrent_zoo.catalogue() if e.recipe]
    assert p.entries == names and len(p.tasks) == 2 * len(names)


# -- running in this process -------------------------------------------------------------------
def test_sweep_writes_one_row_per_task_and_resumes(tmp_path):
    spec = {
        "entries": ["elman", "jordan"],
        "seeds": 2,
        "set": TINY,
        "parameters": {"lr": [0.01, 0.05]},
    }
    store = tmp_path / "s.jsonl"
    first = sweep(spec, store=store, jobs=1, progress=False, log=quiet)
    assert (first.ran, first.skipped, first.ok) == (8, 0, True)
    rows = [json.loads(line) for line in store.read_text().splitlines()]
    assert len(rows) == 8 and {r["key"] for r in rows} == {t.key for t in first.plan.tasks}
    r = rows[0]
    assert r["status"] == "ok" and r["task"] == "adding" and r["metric"] == "mse"
    assert r["settings"]["lr"] in (0.01, 0.05) and len(r["curve"]) == 1 and r["seconds"] > 0
    assert r["version"] == recurrent_zoo.__version__ and r["mode"] == "quick"
    again = sweep(spec, store=store, jobs=1, progress=False, log=quiet)
    assert (again.ran, again.skipped) == (0, 8)
    assert again.rows == first.rows
    assert len(store.read_text().splitlines()) == 8
    # more seeds: only the new tasks run
    more = sweep({**spec, "seeds": 3}, store=store, jobs=1, progress=False, log=quiet)
    assert (more.ran, more.skipped) == (4, 8)
    # --no-resume runs everything again; the same seeds give the same numbers
    fresh = sweep(spec, store=store, jobs=1, resume=False, progress=False, log=quiet)
    assert fresh.ran == 8
    assert [r["value"] for r in fresh.rows] == [r["value"] for r in first.rows]
    assert len(read_store(store).rows) == 12


def test_sweep_settings_reach_the_trainer(tmp_path):
    spec = {"entries": ["elman"], "set": TINY, "parameters": {"task": ["adding", "parity"]}}
    result = sweep(spec, store=tmp_path / "s.jsonl", jobs=1, progress=False, log=quiet)
    assert [(r["task"], r["metric"]) for r in result.rows] == [
        ("adding", "mse"),
        ("parity", "accuracy"),
    ]
    spec = {"entries": ["elman"], "set": {**TINY, "epochs": 3}}
    result = sweep(spec, store=tmp_path / "t.jsonl", jobs=1, progress=False, log=quiet)
    assert len(result.rows[0]["curve"]) == 3


def test_a_task_that_raises_is_recorded_and_the_others_go_on(tmp_path, capsys):
    log = tmp_path / "log"
    spec = tmp_path / "s.json"
    spec.write_text(
        json.dumps({"entries": [PROBE], "seeds": 4, "set": {"fail_seeds": [1], "log": str(log)}})
    )
    assert main(["sweep", str(spec), "--jobs", "1", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert (
        "error: probe fail_seeds=[1]" in out
        and "seed 1: RuntimeError: seed 1 fails on purpose" in out
    )
    rows = {r["seed"]: r for r in read_store(tmp_path / "s.jsonl").rows.values()}
    assert sorted(rows) == [0, 1, 2, 3]
    assert rows[1]["status"] == "error"
    assert rows[1]["error"] == "RuntimeError: seed 1 fails on purpose"
    assert "probe_run" in rows[1]["traceback"]
    assert all(rows[s]["status"] == "ok" and rows[s]["value"] == s for s in (0, 2, 3))
    # a rerun skips every task, the failed one too, and still says something failed
    assert main(["sweep", str(spec), "--jobs", "1", "--no-progress"]) == 1
    assert sorted(started(str(log))) == [0, 1, 2, 3]
    # --retry-errors runs the failed task alone again
    assert main(["sweep", str(spec), "--jobs", "1", "--retry-errors", "--no-progress"]) == 1
    assert sorted(started(str(log))) == [0, 1, 1, 2, 3]
    capsys.readouterr()


def test_dry_run_lists_the_settings_and_what_is_done(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('entries = ["elman"]\nseeds = 2\n[parameters]\nlr = [0.01, 0.1]\n')
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 tasks: 1 entries x 2 settings x 2 seeds (quick mode); 0 already in" in out
    assert "lr=0.01" in out and "lr=0.1" in out
    assert not (tmp_path / "s.jsonl").exists()


# -- the report -------------------------------------------------------------------------------
def test_report_gives_mean_and_spread_over_seeds(tmp_path, capsys):
    store = tmp_path / "s.jsonl"
    sweep({"entries": [PROBE], "seeds": [0, 1, 2]}, store=store, jobs=1, progress=False, log=quiet)
    sweep(
        {"entries": [PROBE], "seeds": [0, 1, 2, 3], "set": {"fail_seeds": [3]}},
        store=store,
        jobs=1,
        progress=False,
        log=quiet,
    )
    groups = summarize(list(read_store(store).rows.values()))
    assert len(groups) == 2
    plain = next(g for g in groups if g["settings"] == {})
    assert plain["values"] == [0.0, 1.0, 2.0] and plain["n_passed"] == 3
    assert plain["mean"] == 1.0 and plain["std"] == pytest.approx(1.0)  # ddof=1 of 0, 1, 2
    assert (plain["min"], plain["max"]) == (0.0, 2.0)
    failing = next(g for g in groups if g["settings"])
    assert failing["errors"] == [(3, "RuntimeError: seed 3 fails on purpose")]
    assert failing["seeds"] == [0, 1, 2, 3] and len(failing["values"]) == 3
    pytest.importorskip("matplotlib")
    png, js = tmp_path / "r.png", tmp_path / "r.json"
    assert main(["report", str(store), "--plot", str(png), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "1 ± 1" in out and "7 tasks: 6 ran, 1 failed" in out and "3/4 (1 failed)" in out
    assert "error: probe fail_seeds=[3] seed 3: RuntimeError: seed 3 fails on purpose" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(json.loads(js.read_text())) == 2
    assert main(["report", str(tmp_path / "none.jsonl")]) == 2
    assert "store: no such file" in capsys.readouterr().err


def _row(entry, lr, seed, value, higher=False, status="ok"):
    return {
        "key": f"{entry}{lr}{seed}",
        "entry": entry,
        "settings": {"lr": lr},
        "seed": seed,
        "mode": "quick",
        "version": "1",
        "status": status,
        "value": value,
        "higher_is_better": higher,
        "metric": "m",
        "curve": [2.0, 1.0],
    }


def test_summary_ranks_the_best_setting_first_in_each_entry():
    rows = [
        _row("a", 0.1, 0, 0.5),
        _row("a", 0.2, 0, 0.2),  # lower is better: first
        _row("a", 0.3, 0, None, status="error"),  # nothing ran: last
        _row("b", 0.1, 0, 0.5, higher=True),
        _row("b", 0.2, 0, 0.9, higher=True),  # higher is better: first
    ]
    order = [(g["entry"], g["settings"]["lr"]) for g in summarize(rows)]
    assert order == [("a", 0.2), ("a", 0.1), ("a", 0.3), ("b", 0.2), ("b", 0.1)]
    text = format_report(summarize(rows))
    assert text.splitlines()[2].startswith("* a") and text.splitlines()[5].startswith("* b")


# -- without dask.distributed ----------------------------------------------------------------
def test_without_dask_one_process_runs_and_more_names_the_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine, "has_distributed", lambda: False)
    install = "pip install 'recurrent-zoo[distributed]'"
    for argv, what in [
        (["compare", "--only", "elman", "--jobs", "2"], "--jobs 2"),
        (["compare", "--only", "elman", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
        (["sweep", "spec.toml", "--jobs", "3"], "--jobs 3"),
    ]:
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            f"recurrent-zoo {argv[0]}: error: {what} needs dask.distributed: {install}\n"
        )
    notes = []
    spec = {"entries": [PROBE], "seeds": 2}
    result = sweep(spec, store=tmp_path / "s.jsonl", progress=False, log=notes.append)  # "auto"
    assert result.ran == 2 and result.ok
    if engine.cores() > 1:
        n = engine.cores()
        assert (
            f"note: running 2 tasks in this process; for a local cluster of {n} workers: "
            + (install)
            in notes
        )


def test_jobs_and_scheduler_exclude_each_other(capsys):
    assert main(["compare", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "give --jobs (a local cluster) or --scheduler (a running one), not both" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        main(["sweep", "s.toml", "--jobs", "0"])
    assert "expected a positive integer or 'auto'" in capsys.readouterr().err


def test_module_reference_entries_resolve_like_catalogue_names():
    p = plan({"entries": [PROBE, "elman"], "seeds": 1})
    assert [(t.entry, t.name) for t in p.tasks] == [(PROBE, "probe"), ("elman", "elman")]
    assert os.path.basename(started.__code__.co_filename) == "sweep_helpers.py"
