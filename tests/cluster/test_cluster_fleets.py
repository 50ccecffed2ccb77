"""Fleets on a real Dask cluster (``dask scheduler`` + ``dask worker`` processes on
localhost) whose workers cannot see the client's disk; workers and the submitting
process are killed mid-fleet. Executions are counted through a side channel that the
tasks write (tests/core/fleet/fleet_tasks.py:counted), outside the store.

Each test prints its figures (runs done, lost, retried, executed twice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from bayes_widgets.core.fleet import FleetTimeout, RunSpec, RunStore, run_fleet
from tests.core.fleet.fleet_tasks import counted, executions, returns

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _figures(name: str, fleet, log) -> dict[str, int]:
    seen = executions(log)
    figures = {
        "runs": len(fleet.specs),
        "done": len(fleet.done),
        "lost": len(fleet.lost),
        "failed": len(fleet.failed),
        "started again": sum(seen["start"].values()) - len(seen["start"]),
        "retried by the submitter": sum(fleet.retried.values()),
        "executed twice": sum(1 for n in seen["end"].values() if n > 1),
    }
    print(f"\nFIGURES {name}: {figures}")
    return figures


def _live_workers(cluster, client, n: int) -> None:
    cluster.ensure_workers(client, n)


def test_a_plain_fleet_survives_a_killed_worker(cluster, monkeypatch):
    a = cluster.start_worker("a")
    cluster.start_worker("b")
    with cluster.client(2) as client:
        RunStore(cluster.store)
        if cluster.isolated:  # the store is the client's alone
            assert set(client.run(os.path.exists, str(cluster.store)).values()) == {False}
        assert os.getcwd() not in client.run(os.getcwd).values()
        monkeypatch.chdir(cluster.client_dir)  # a relative store means the client's directory
        log = cluster.counts / "plain.txt"
        specs = [RunSpec(f"p{i}", {"x": i, "seconds": 1.5, "log": str(log)}) for i in range(6)]
        box: dict = {}
        thread = threading.Thread(
            target=lambda: box.update(
                fleet=run_fleet(specs, counted, out="runs/plain", executor=client, timeout=150)
            )
        )
        thread.start()
        _wait(
            lambda: f" {a.pid}\n" in (log.read_text() if log.exists() else ""),
            60,
            "a run on worker a",
        )
        cluster.kill(a)  # mid-run
        cluster.start_worker("c")
        thread.join(160)
        assert "fleet" in box, "the fleet did not end"
        fleet = box["fleet"]
        # a metric that cannot be pickled, a float, NaN: recorded, never a hang
        odd = run_fleet(
            [RunSpec(k.replace(" ", "-"), {"kind": k}) for k in ("lock", "float", "not finite")],
            returns,
            out="runs/odd",
            executor=client,
            timeout=60,
        )
    store = RunStore(cluster.store / "plain")
    assert fleet.out == str(cluster.store / "plain") and sorted(fleet.done) == [
        s.run_id for s in specs
    ]
    for spec in specs:
        summary = store.summary(spec.run_id)
        assert summary["status"] == "done" and summary["worker"]["pid"] != os.getpid()
        assert (store.local_dir(spec.run_id) / "out.txt").read_text() == str(spec.params["x"])
    figures = _figures(
        f"plain fleet, worker killed (isolated workers: {cluster.isolated})", fleet, log
    )
    assert figures["executed twice"] == 0 and figures["lost"] == 0
    assert figures["started again"] >= 1  # the run on the killed worker
    assert sorted(odd.failed) == ["float", "lock"] and odd.done == ["not-finite"]
    assert "'lock'" in RunStore(cluster.store / "odd").summary("lock")["error"]


def test_a_killed_submitter_loses_nothing_and_a_rerun_completes_the_rest(cluster):
    out = cluster.store / "killed"
    log = cluster.counts / "killed.txt"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from distributed import Client
        from bayes_widgets.core.fleet import RunSpec, run_fleet
        from tests.core.fleet.fleet_tasks import counted
        client = Client(scheduler_file={str(cluster.scheduler_file)!r})
        specs = [RunSpec(f"k{{i}}", {{"x": i, "seconds": 2.0, "log": {str(log)!r}}}) for i in range(6)]
        run_fleet(specs, counted, out={str(out)!r}, executor=client)
    """)
    with cluster.client(1) as client:
        _live_workers(cluster, client, 2)
        proc = subprocess.Popen(
            [sys.executable, "-c", script], cwd=cluster.base, start_new_session=True
        )
        store = RunStore(out)
        _wait(lambda: len(store.summaries()) >= 2, 90, "two recorded runs")
        before = store.summaries()
        os.killpg(proc.pid, signal.SIGKILL)
        in_flight = set(executions(log)["start"]) - {
            s["run_id"].removeprefix("k") for s in before.values()
        }
        proc.wait()
        specs = [RunSpec(f"k{i}", {"x": i, "seconds": 2.0, "log": str(log)}) for i in range(6)]
        fleet = run_fleet(specs, counted, out=out, executor=client, timeout=150)  # at once
    assert sorted(fleet.done) == [s.run_id for s in specs]
    assert set(before) <= set(fleet.skipped)
    for run_id, summary in before.items():  # recorded before the kill: kept as it was
        assert store.summary(run_id) == summary
    figures = _figures("plain fleet, submitter killed, rerun", fleet, log)
    figures["recorded before the kill"] = len(before)
    figures["in flight at the kill"] = len(in_flight)
    figures["isolated workers"] = cluster.isolated
    print(f"FIGURES submitter: {figures}")
    assert figures["executed twice"] == 0 and figures["lost"] == 0


def test_with_no_worker_left_the_fleet_says_it_waits(cluster):
    for proc in cluster.workers.values():
        cluster.kill(proc)
    out = cluster.store / "waiting"
    updates: list = []
    with cluster.client(0) as client:
        _wait(lambda: not client.scheduler_info()["workers"], 30, "no worker")
        with pytest.raises(FleetTimeout, match="timeout") as caught:
            run_fleet(
                [RunSpec("q", {"x": 1})],
                returns,
                out=out,
                executor=client,
                timeout=4,
                on_update=lambda run_id, info: updates.append(info),
            )
        assert caught.value.fleet.missing == ["q"]
        assert any(
            u.get("status") == "waiting" and u.get("note") == "waiting for workers" for u in updates
        )
        _live_workers(cluster, client, 2)
        fleet = run_fleet(
            [RunSpec("q", {"kind": "none"})], returns, out=out, executor=client, timeout=60
        )
    assert fleet.done == ["q"]


def test_an_mmm_holdout_fleet_on_workers_without_the_data(cluster, monkeypatch):
    from bayes_widgets.core.mmm import MMMModel
    from bayes_widgets.core.mmm.fleets import holdout_fleet
    from bayes_widgets.datasets import mmm_example

    model = MMMModel(
        mmm_example().iloc[:40],
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        lag_max=2,
    )
    monkeypatch.chdir(cluster.client_dir)
    with cluster.client(1) as client:
        _live_workers(cluster, client, 2)
        result = holdout_fleet(
            model,
            horizons=[4, 8],
            out="runs/mmm",
            executor=client,
            fit={"draws": 40, "tune": 40, "chains": 1, "seed": 1},
        )
    table = result.summary().set_index("run_id")
    assert list(table["status"]) == ["done", "done"], table.get("error")
    assert list(table["train_rows"]) == [36, 32]
    store = RunStore(cluster.store / "mmm")
    for run_id in ("holdout-h4", "holdout-h8"):
        assert {"predictions.csv", "contributions.csv"} <= set(store.files(run_id))
    print(
        f"\nFIGURES mmm holdout: runs 2, done {len(result.run.done)}, lost {len(result.run.lost)}, "
        f"retried {sum(result.run.retried.values())}"
    )
