"""The Dask engine, on loopback only: a local cluster bound to 127.0.0.1, the same numbers as one
process, a worker SIGKILLed mid-sweep, the sweep itself killed and rerun, a task that raises,
``compare`` on a cluster.

One local cluster of 2 workers (made by :func:`recurrent_zoo.engine.local_cluster`, as the
commands make theirs) serves the module; sweeps reach it with ``scheduler=``, as they reach a
running cluster. Every wait polls with a generous deadline: the machine may be busy.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sweep_helpers import blas_threads, logged_pid, started

from recurrent_zoo import engine
from recurrent_zoo.cli import main
from recurrent_zoo.compare import run_compare
from recurrent_zoo.store import read_store
from recurrent_zoo.sweeps import sweep

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

PROBE = "sweep_helpers:PROBE"
TESTS = str(Path(__file__).resolve().parent)
DEADLINE = 600  # seconds; only ever reached when something is broken


def quiet(message):
    pass


def wait_for(condition, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline} s waiting for {what}")


@pytest.fixture(scope="module")
def cluster():
    c = engine.local_cluster(2)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def address(cluster):
    return cluster.scheduler_address


def lines(path):
    data = Path(path).read_bytes()
    assert data.endswith(b"\n"), "the store ends with a half-written row"
    return [json.loads(line) for line in data.decode().splitlines()]


def test_the_local_cluster_listens_on_loopback_only(cluster):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    workers = cluster.scheduler_info["workers"]
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    me = psutil.Process()
    listening = [
        (p.pid, c.laddr)
        for p in [me, *me.children(recursive=True)]
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert len({pid for pid, _ in listening}) >= 3  # the scheduler (here) and both workers
    assert all(addr.ip == "127.0.0.1" for _, addr in listening), listening


def test_workers_run_one_blas_thread(address):
    with distributed.Client(address) as client:
        envs = client.run(os.environ.get, "OPENBLAS_NUM_THREADS")
    assert set(envs.values()) == {"1"}
    for n in (2, 1):
        rows = engine.run_tasks(
            blas_threads, [0, 1], error_row=None, scheduler=address, blas_threads=n, log=quiet
        )
        assert all(r and set(r) == {n} for r in rows), rows


def test_an_embedded_cluster_gives_the_numbers_of_one_process(tmp_path):
    """``jobs=2``: the sweep makes its own local cluster, gets what one process gets bit for
    bit, says where the cluster and its dashboard are, and closes it."""
    spec = {
        "entries": ["elman", "gru"],
        "seeds": 2,
        "set": {"epochs": 1, "model.hidden_size": 4, "task_options.n_train": 64},
    }
    here = sweep(spec, store=tmp_path / "a.jsonl", jobs=1, progress=False, log=quiet)
    notes = []
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    there = sweep(spec, store=tmp_path / "b.jsonl", jobs=2, progress=False, log=notes.append)
    assert there.ok and there.ran == 4
    assert [r["value"] for r in there.rows] == [r["value"] for r in here.rows]
    assert [r["curve"] for r in there.rows] == [r["curve"] for r in here.rows]
    assert {r["worker"] for r in there.rows}.isdisjoint({r["worker"] for r in here.rows})
    line = next(n for n in notes if n.startswith("Dask local cluster of 2 worker processes"))
    assert "on 127.0.0.1" in line
    assert "dashboard http://127.0.0.1:" in line or "no dashboard (it needs bokeh" in line
    wait_for(
        lambda: {p.pid for p in psutil.Process().children(recursive=True)} <= before,
        "the cluster's workers to exit",
    )


def test_a_worker_killed_mid_sweep(address, tmp_path):
    """SIGKILL the worker running seed 2: the scheduler reruns that task on another worker, and
    the store holds exactly one row per task."""
    gate, log, store = tmp_path / "gate", tmp_path / "log", tmp_path / "s.jsonl"
    spec = {
        "entries": [PROBE],
        "seeds": 6,
        "set": {"hold_seeds": [2], "gate": str(gate), "log": str(log), "sleep": 0.05},
    }
    box = {}

    def run():
        try:
            box["result"] = sweep(spec, store=store, scheduler=address, progress=False, log=quiet)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    pidfile = Path(f"{gate}.2.pid")
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text(), "seed 2 to start"))
    workers = {p.pid for p in psutil.Process().children(recursive=True)}
    assert pid != os.getpid() and pid in workers
    os.kill(pid, signal.SIGKILL)
    gate.touch()  # the rerun of seed 2 does not wait
    thread.join(DEADLINE)
    assert not thread.is_alive() and "error" not in box, box
    result = box["result"]
    assert result.ok and (result.ran, result.skipped) == (6, 0)
    rows = lines(store)
    assert len(rows) == 6 and len({r["key"] for r in rows}) == 6  # none lost, none twice
    assert sorted(r["seed"] for r in rows) == list(range(6))
    assert all(r["status"] == "ok" and r["value"] == r["seed"] for r in rows)
    assert started(str(log)).count(2) == 2  # killed mid-task, then run again
    assert not next(r for r in rows if r["seed"] == 2)["worker"].endswith(f":{pid}")


def test_results_lost_with_their_worker_are_computed_again(address, tmp_path):
    """A worker dies holding finished results this process has not fetched yet (Dask marks
    them "lost"): the scheduler runs those tasks again, the engine waits for them (their second
    runs wait for a gate opened 3 s after this process hears of the loss), and each is handed
    over once."""
    log, gate, n = tmp_path / "log", tmp_path / "gate", 8
    items = [(i, str(log), str(gate)) for i in range(n)]
    delivered, killed = [], []

    def on_result(i, pid):
        delivered.append(i)
        if killed:
            return
        # hold the results back until every task has finished (the engine's client's futures,
        # handed to its as_completed loop), then kill a worker holding some
        states = distributed.get_client().futures
        wait_for(
            lambda: (
                len(started(str(log))) >= n
                and all(s.status == "finished" for s in list(states.values()))
            ),
            "every task to finish",
        )
        time.sleep(0.5)
        runs = [tuple(map(int, line.split())) for line in log.read_text().splitlines()]
        victim = next(p for j, p in runs if j not in delivered)
        lost = {j for j, p in runs if p == victim} - set(delivered)
        killed.append((victim, lost))
        os.kill(victim, signal.SIGKILL)
        # until this process hears which results are lost, then 3 s more until their second
        # runs may finish: the loop meets them "lost"
        wait_for(lambda: any(s.status == "lost" for s in list(states.values())), "lost data")
        threading.Timer(3.0, gate.touch).start()

    pids = engine.run_tasks(
        logged_pid, items, error_row=None, scheduler=address, on_result=on_result, log=quiet
    )
    victim, lost = killed[0]
    assert sorted(delivered) == list(range(n))  # each once
    assert len(pids) == n and victim not in [pids[j] for j in lost]  # from their second runs
    runs = started(str(log))
    assert lost and all(runs.count(j) == 2 for j in lost), (lost, runs)


def test_the_sweep_killed_and_rerun(address, tmp_path):
    """SIGKILL the sweep's own process while half its tasks are done: the rerun skips the
    finished ones (counted by the probe's log) and a half-written last row does no harm."""
    gate, log = tmp_path / "gate", tmp_path / "log"
    spec = tmp_path / "s.toml"
    spec.write_text(
        f'entries = ["{PROBE}"]\nseeds = 8\n'
        f'[set]\nhold_seeds = [4, 5, 6, 7]\ngate = "{gate}"\nlog = "{log}"\n'
    )
    store = tmp_path / "s.jsonl"
    cmd = [sys.executable, "-m", "recurrent_zoo", "sweep", str(spec), "--scheduler", address]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(
            lambda: len(read_store(store).rows) == 4 or proc.poll() is not None,
            "seeds 0-3 to finish",
        )
        wait_for(lambda: any(Path(f"{gate}.{s}.pid").exists() for s in range(4, 8)), "a hold")
    finally:
        proc.kill()
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == -signal.SIGKILL, (out, err)
    before = read_store(store)
    assert sorted(r["seed"] for r in before.rows.values()) == [0, 1, 2, 3]
    # a crash in the middle of writing a row: what is left of it
    with open(store, "ab") as fh:
        fh.write(b'{"key":"0123456789abcdef","entry":"probe","sett')
    gate.touch()
    notes = []
    rerun = sweep(spec, scheduler=address, progress=False, log=notes.append)
    assert rerun.ok and (rerun.ran, rerun.skipped) == (4, 4)
    assert any("ended with a half-written row (47 bytes)" in n for n in notes), notes
    assert any("8 seeds (quick mode); 4 already in" in n for n in notes), notes
    rows = lines(store)
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8
    assert sorted(r["seed"] for r in rows) == list(range(8))
    runs = started(str(log))
    assert [runs.count(s) for s in range(4)] == [1, 1, 1, 1]  # finished: not run again
    assert all(runs.count(s) >= 1 for s in range(4, 8))


def test_a_task_that_raises_on_the_cluster(address, tmp_path, capsys):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"entries": [PROBE], "seeds": 3, "set": {"fail_seeds": [0]}}))
    assert main(["sweep", str(spec), "--scheduler", address, "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "seed 0: RuntimeError: seed 0 fails on purpose" in out
    rows = {r["seed"]: r for r in lines(tmp_path / "s.jsonl")}
    assert rows[0]["status"] == "error" and "probe_run" in rows[0]["traceback"]
    assert rows[1]["status"] == rows[2]["status"] == "ok"


def test_compare_on_the_cluster_gives_the_same_rows(address):
    names = ["modern_hopfield", "bam"]
    here = run_compare(names, seeds=2, progress=False)
    there = run_compare(names, seeds=2, scheduler=address, progress=False)
    assert [(r["architecture"], r["values"]) for r in there] == [
        (r["architecture"], r["values"]) for r in here
    ]
