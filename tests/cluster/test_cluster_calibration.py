"""Calibrations on a real Dask cluster (``dask scheduler`` + ``dask worker`` processes on
localhost) whose workers cannot see the client's disk: every simulation travels to a
worker as values and comes back through the engine into the client's run store, the
model is compiled once per worker process, and a worker or the submitting process killed
mid-way loses no simulation and runs none twice. Executions are counted through a side
channel that a worker plugin writes around each simulation
(tests/cluster/calibration_probe.py), outside the client's directory.

Each test prints its figures (simulations done, started again, executed twice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import numpy as np
import pytest

from bayes_widgets.core.calibration import SimulationStarted, calibrate
from bayes_widgets.core.fleet import RunStore

from . import calibration_probe as probe
from .conftest import ROOT

pytestmark = pytest.mark.slow

SIMULATIONS = 12


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def started(cluster):
    """The workers this module starts (killed at its end, so later modules on the shared
    cluster find only their own)."""
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            cluster.kill(cluster.workers[name])


def _live_workers(cluster, started: list[str], client, n: int) -> list[int]:
    """At least ``n`` live workers of this module; the PIDs of every live worker (another
    module's may still run on the shared cluster)."""
    mine = [name for name in started if cluster.workers[name].poll() is None]
    while len(mine) < n:
        name = f"cal-{len(started)}"
        cluster.start_worker(name)
        started.append(name)
        mine.append(name)
    alive = [p.pid for p in cluster.workers.values() if p.poll() is None]
    cluster.wait_for_workers(client, len(alive))
    return alive


def _counting(client, log, pause: float) -> str:
    name = f"bw-count-{uuid.uuid4().hex[:8]}"
    client.register_plugin(probe.CountSimulations(str(log), pause, name), name=name)
    return name


def _records(out) -> dict[int, dict]:
    return {int(k.split("-")[1]): v for k, v in RunStore(out).summaries().items()}


def _figures(name: str, log, records: dict[int, dict]) -> dict[str, int]:
    seen = probe.executions(log)
    figures = {
        "simulations": SIMULATIONS,
        "done": sum(1 for r in records.values() if r["status"] == "done"),
        "started again": sum(len(p) for p in seen["start"].values()) - len(seen["start"]),
        "executed twice": sum(1 for p in seen["end"].values() if len(p) > 1),
        "never ended": SIMULATIONS - len(seen["end"]),
    }
    print(f"\nFIGURES {name}: {figures}")
    return figures


def test_a_calibration_runs_on_workers_without_the_store_and_compiles_once_each(cluster, started):
    out = cluster.store / "cal-plain"
    log = cluster.counts / "cal-plain.txt"
    with cluster.client(0) as client:
        pids = _live_workers(cluster, started, client, 2)
        if cluster.isolated:  # the store is the client's alone
            RunStore(cluster.store)
            assert set(client.run(os.path.exists, str(cluster.store)).values()) == {False}
        plugin = _counting(client, log, 0.0)
        try:
            t0 = time.perf_counter()
            cal = calibrate(
                probe.linear_normal(), SIMULATIONS, out=out, executor=client, **probe.SETTINGS
            )
            seconds = time.perf_counter() - t0
        finally:
            client.unregister_worker_plugin(plugin)
    assert cal.state == "done", cal.error
    assert list(cal.simulations()["status"]) == ["done"] * SIMULATIONS
    ranks = cal.ranks()
    assert sorted(ranks) == ["intercept", "slope"]
    for values in ranks.values():
        assert values.shape == (SIMULATIONS,) and 0 <= values.min() <= values.max() <= cal.max_rank
    verdicts = cal.verdicts()
    assert {v.direction for v in verdicts.values()} == {"calibrated"}  # a conjugate model
    # every simulation came back through the engine into the client's store
    records = _records(out)
    assert sorted(records) == list(range(SIMULATIONS))
    ran_on = [r["worker"]["pid"] for r in records.values()]
    assert set(ran_on) <= set(pids) and os.getpid() not in ran_on
    for index, record in records.items():
        assert record["status"] == "done"
        metrics = record["metrics"]
        assert metrics["index"] == index and len(metrics["ranks"]) == 2
        assert metrics["truth"] == pytest.approx(list(cal.plan.truth[index]))
    # the model is compiled once per worker process, not once per simulation
    compiled = dict.fromkeys(set(ran_on), 0)
    for record in records.values():
        compiled[record["worker"]["pid"]] += bool(record["metrics"]["compiled"])
    assert compiled == dict.fromkeys(set(ran_on), 1)
    figures = _figures(f"calibration (isolated workers: {cluster.isolated})", log, records)
    assert figures["started again"] == figures["executed twice"] == figures["never ended"] == 0
    print(f"FIGURES calibration: {seconds:.1f} s, compiles per worker {compiled}")


def test_a_calibration_survives_a_killed_worker(cluster, started):
    out = cluster.store / "cal-killed-worker"
    log = cluster.counts / "cal-killed-worker.txt"
    with cluster.client(0) as client:
        pids = _live_workers(cluster, started, client, 2)
        plugin = _counting(client, log, 0.6)  # each simulation holds its worker a while
        try:
            cal = calibrate(
                probe.linear_normal(),
                SIMULATIONS,
                out=out,
                executor=client,
                wait=False,
                **probe.SETTINGS,
            )
            holding: list[tuple[int, int]] = []  # (simulation, worker PID)

            def a_worker_holds_a_simulation() -> bool:
                seen = probe.executions(log)
                ended = {(i, p) for i, ps in seen["end"].items() for p in ps}
                holding[:] = [
                    (i, p)
                    for i, ps in seen["start"].items()
                    for p in ps
                    if (i, p) not in ended and p in pids
                ]
                return bool(holding) and len(seen["end"]) >= 2

            _wait(a_worker_holds_a_simulation, 120, "a simulation in flight")
            killed = holding[0][1]
            cluster.kill(next(p for p in cluster.workers.values() if p.pid == killed))
            seen = probe.executions(log)
            lost = [i for i, ps in seen["start"].items() if killed in ps]
            lost = [i for i in lost if killed not in seen["end"].get(i, [])]
            cal.wait(240)
        finally:
            client.unregister_worker_plugin(plugin)
    assert cal.state == "done", cal.error
    assert list(cal.simulations()["status"]) == ["done"] * SIMULATIONS
    assert all(r.shape == (SIMULATIONS,) for r in cal.ranks().values())
    records = _records(out)
    assert sorted(records) == list(range(SIMULATIONS))
    assert lost, "the killed worker held no simulation"
    for index in lost:  # the simulation the kill interrupted ran again elsewhere
        assert records[index]["status"] == "done" and records[index]["worker"]["pid"] != killed
        assert len(probe.executions(log)["start"][index]) == 2
    figures = _figures("calibration, worker killed", log, records)
    figures["in flight on the killed worker"] = len(lost)
    print(f"FIGURES killed worker: {figures}")
    assert figures["executed twice"] == 0 and figures["never ended"] == 0
    assert figures["started again"] >= 1


def test_a_killed_submitter_loses_nothing_and_a_rerun_runs_only_the_rest(cluster, started):
    out = cluster.store / "cal-killed-submitter"
    log = cluster.counts / "cal-killed-submitter.txt"
    script = textwrap.dedent(f"""
        from distributed import Client
        from bayes_widgets.core.calibration import calibrate
        from tests.cluster import calibration_probe as probe
        client = Client(scheduler_file={str(cluster.scheduler_file)!r})
        calibrate(probe.linear_normal(), {SIMULATIONS}, out={str(out)!r}, executor=client,
                  **probe.SETTINGS)
    """)
    with cluster.client(0) as client:
        _live_workers(cluster, started, client, 2)
        plugin = _counting(client, log, 0.4)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", script],
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:

                def three_recorded() -> bool:
                    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                    return sum(r["status"] == "done" for r in _records(out).values()) >= 3

                _wait(three_recorded, 120, "three recorded simulations")
                before = _records(out)
                os.killpg(proc.pid, signal.SIGKILL)  # the submitter, mid-calibration
                proc.wait(30)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
            started_then = set(probe.executions(log)["start"])
            announced: list[int] = []
            again = calibrate(
                probe.linear_normal(),
                SIMULATIONS,
                out=out,
                executor=client,
                wait=False,
                **probe.SETTINGS,
            )
            again.subscribe(
                lambda e: announced.append(e.index) if isinstance(e, SimulationStarted) else None
            )
            again.wait(240)
        finally:
            client.unregister_worker_plugin(plugin)
    assert again.state == "done", again.error
    assert list(again.simulations()["status"]) == ["done"] * SIMULATIONS
    assert 3 <= len(before) < SIMULATIONS
    records = _records(out)
    assert sorted(records) == list(range(SIMULATIONS))
    for index, record in before.items():  # recorded before the kill: kept as it was
        assert records[index] == record
    assert not set(announced) & set(before), "a finished simulation ran again"
    seen = probe.executions(log)
    for index in before:
        assert len(seen["start"][index]) == 1
    ranks = again.ranks()
    truth = np.array([r["metrics"]["truth"] for _, r in sorted(records.items())])
    assert np.allclose(truth, again.plan.truth)
    assert all(r.shape == (SIMULATIONS,) for r in ranks.values())
    figures = _figures("calibration, submitter killed, rerun", log, records)
    figures["recorded before the kill"] = len(before)
    figures["in flight at the kill"] = len(started_then - set(before))
    print(f"FIGURES killed submitter: {figures}")
    assert figures["executed twice"] == 0 and figures["never ended"] == 0
    assert figures["started again"] == 0


def test_an_mmm_recovery_fleet_on_workers_without_the_data(cluster, started):
    """Two recoveries of a tiny MMM (40 weeks, 2 chains x 50 draws) through the
    calibration worker: scored, their files and ranks back in the client's store."""
    from bayes_widgets.core.mmm import MMMModel
    from bayes_widgets.core.mmm.fleets import recovery_fleet
    from bayes_widgets.datasets import mmm_example

    model = MMMModel(
        mmm_example().iloc[:40],
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        lag_max=2,
    )
    out = cluster.store / "cal-recovery"
    with cluster.client(0) as client:
        pids = _live_workers(cluster, started, client, 2)
        t0 = time.perf_counter()
        result = recovery_fleet(
            model,
            runs=2,
            out=str(out),
            executor=client,
            fit={"draws": 50, "tune": 50, "chains": 2},
        )
        seconds = time.perf_counter() - t0
    table = result.summary().set_index("run_id")
    assert list(table["status"]) == ["done", "done"], table.get("error")
    assert bool(table["coverage"].between(0, 1).all())
    store = RunStore(out)
    records: dict[str, dict] = {}
    for run in ("recovery-s0", "recovery-s1"):
        record = records[run] = store.summary(run) or {}
        assert record.get("status") == "done" and record["worker"]["pid"] in pids
        assert "recovery.csv" in store.files(run)
    cal = result.calibration()
    assert cal.state == "done"
    assert {"adstock_alpha[0]", "saturation_lam[1]", "saturation_beta[1]", "y_sigma"} <= set(
        cal.parameters
    )
    ranks = cal.ranks()
    assert sorted(ranks) == sorted(cal.parameters)
    for i, name in enumerate(cal.parameters):
        assert 0 <= ranks[name].min() <= ranks[name].max() <= cal.max_rank
        recorded = [records[f"recovery-s{s}"]["metrics"]["calibration"]["ranks"][i] for s in (0, 1)]
        assert list(ranks[name]) == recorded
    ran_on = {r["worker"]["pid"] for r in records.values()}
    compiled = sum(bool(r["metrics"]["calibration"]["compiled"]) for r in records.values())
    assert compiled == len(ran_on)  # one MMM fitter per worker process
    print(f"\nFIGURES mmm recovery: runs 2, done 2, workers {len(ran_on)}, {seconds:.1f} s")
