"""The fleet runner: persistence as runs end, failures isolated, resume, executors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bayes_widgets.core.fleet import FleetTimeout, RunSpec, RunStore, run_fleet
from bayes_widgets.core.fleet.ledger import this_host
from bayes_widgets.core.fleet.live import fleet_rows

from .fleet_tasks import counted, executions, returns, slow, square


def test_runs_are_recorded_and_a_failure_does_not_stop_the_others(tmp_path):
    specs = [RunSpec(f"r{i}", {"x": i, "fail": i == 2}) for i in range(5)]
    updates = []
    fleet = run_fleet(
        specs,
        square,
        out=tmp_path,
        executor=ThreadPoolExecutor(2),
        on_update=lambda run_id, info: updates.append((run_id, info["status"])),
    )
    assert sorted(fleet.done) == ["r0", "r1", "r3", "r4"]
    assert fleet.failed == ["r2"]
    failed = RunStore(tmp_path).summary("r2")
    assert "made to fail" in failed["error"] and "Traceback" in failed["traceback"]
    assert RunStore(tmp_path).summary("r3")["metrics"] == {"x": 3, "square": 9}
    assert (tmp_path / "r4" / "note.txt").exists()
    assert ("r2", "queued") in updates and ("r2", "failed") in updates
    table = fleet.table()
    assert list(table["status"]) == ["done", "done", "failed", "done", "done"]
    assert table.loc[4, "square"] == 16


def test_rerun_skips_finished_runs_and_can_retry_failures(tmp_path):
    specs = [RunSpec(f"r{i}", {"x": i, "fail": i == 1}) for i in range(3)]
    run_fleet(specs, square, out=tmp_path, executor=ThreadPoolExecutor(2))
    again = run_fleet(specs, square, out=tmp_path, executor=ThreadPoolExecutor(2))
    assert sorted(again.skipped) == ["r0", "r1", "r2"]
    fixed = [RunSpec(s.run_id, {**s.params, "fail": False}) for s in specs]
    retried = run_fleet(
        fixed, square, out=tmp_path, executor=ThreadPoolExecutor(2), retry_failed=True
    )
    assert sorted(retried.skipped) == ["r0", "r2"] and sorted(retried.done) == ["r0", "r1", "r2"]


def test_default_pool_uses_processes(tmp_path):
    fleet = run_fleet(
        [RunSpec(f"p{i}", {"x": i}) for i in range(3)], square, out=tmp_path, chains_per_run=1
    )
    pids = {
        json.loads((tmp_path / f"p{i}" / "summary.json").read_text())["worker_pid"]
        for i in range(3)
    }
    assert os.getpid() not in pids
    assert sorted(fleet.done) == ["p0", "p1", "p2"]


def test_bad_specs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="run_id"):
        RunSpec("../escape")
    with pytest.raises(ValueError, match="unique"):
        run_fleet([RunSpec("a"), RunSpec("a")], square, out=tmp_path)
    with pytest.raises(TypeError, match="executor"):
        run_fleet([RunSpec("a", {"x": 1})], square, out=tmp_path, executor=object())


@pytest.mark.slow
def test_killing_the_fleet_loses_at_most_the_runs_in_flight(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        from concurrent.futures import ProcessPoolExecutor
        from bayes_widgets.core.fleet import RunSpec, run_fleet
        from tests.core.fleet.fleet_tasks import slow
        if __name__ == "__main__":
            specs = [RunSpec(f"s{{i}}", {{"x": i, "seconds": 1.0}}) for i in range(8)]
            run_fleet(specs, slow, out={str(tmp_path)!r}, executor=ProcessPoolExecutor(2))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    store = RunStore(tmp_path)
    deadline = time.monotonic() + 60
    while len(store.summaries()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the fleet and its workers, mid-way
    proc.wait()
    recorded = set(store.summaries())
    assert 3 <= len(recorded) < 8
    specs = [RunSpec(f"s{i}", {"x": i, "seconds": 0.1}) for i in range(8)]
    fleet = run_fleet(specs, slow, out=tmp_path, executor=ThreadPoolExecutor(2))
    assert set(fleet.skipped) == recorded  # nothing recorded was lost or redone
    assert len(fleet.done) == 8


@pytest.mark.slow
def test_dask_local_cluster(tmp_path):
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        fleet = run_fleet(
            [RunSpec(f"d{i}", {"x": i, "fail": i == 0}) for i in range(4)],
            square,
            out=tmp_path,
            executor=client,
        )
    assert sorted(fleet.done) == ["d1", "d2", "d3"] and fleet.failed == ["d0"]
    pids = {RunStore(tmp_path).summary(f"d{i}")["worker_pid"] for i in range(4)}
    assert os.getpid() not in pids


def test_a_memory_store_gets_every_record_and_file_from_the_futures():
    url = "memory://bw-tests/fleet-a"
    fleet = run_fleet(
        [RunSpec(f"m{i}", {"x": i}) for i in range(3)],
        square,
        out=url,
        executor=ThreadPoolExecutor(2),
    )
    store = RunStore(url)
    assert fleet.out == url and sorted(fleet.done) == ["m0", "m1", "m2"]
    assert store.summary("m2")["metrics"] == {"x": 2, "square": 4}
    assert store.files("m1") == ["note.txt"] and store.status("m1") is None
    assert (store.local_dir("m1") / "note.txt").read_text().startswith("pid ")


def test_a_relative_store_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fleet = run_fleet(
        [RunSpec("r", {"x": 1})], square, out="runs/rel", executor=ThreadPoolExecutor(1)
    )
    assert fleet.out == str(tmp_path / "runs" / "rel")
    assert not list((tmp_path / "runs" / "rel" / "r").glob(".tmp-*"))  # atomic writes leave nothing


def test_what_a_task_returns_never_breaks_the_records(tmp_path):
    from bayes_widgets.widgets.fleet_board import FleetBoard

    specs = [
        RunSpec(k.replace(" ", "-"), {"kind": k}) for k in ("float", "not finite", "lock", "none")
    ]
    fleet = run_fleet(specs, returns, out=tmp_path, chains_per_run=1)  # the local process pool
    store = RunStore(tmp_path)
    assert store.summary("float")["status"] == "failed"
    assert "returned a float" in store.summary("float")["error"]
    assert (
        store.summary("lock")["status"] == "failed" and "'lock'" in store.summary("lock")["error"]
    )
    nf = store.summary("not-finite")
    assert (
        nf["status"] == "done"
        and nf["metrics"]["rhat_max"] is None
        and nf["metrics"]["ess"] is None
    )
    assert (
        any("rhat_max" in n for n in nf["notes"])
        and "NaN" not in (tmp_path / "not-finite" / "summary.json").read_text()
    )
    assert store.summary("none")["status"] == "done" and store.summary("none")["metrics"] == {}
    table = fleet.table().set_index("run_id")
    assert (
        table.loc["not-finite", "status"] == "done"
        and table.loc["not-finite", "metric_status"] == "mine"
    )
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "summary.json").write_text("[1, 2")  # unreadable: the board says so
    board = FleetBoard(tmp_path)
    rows = {r["run_id"]: r for r in board.runs}
    assert (
        rows["lock"]["status"] == "failed"
        and rows["junk"]["status"] == "unreadable"
        and not board.error
    )
    assert not RunStore(tmp_path).finished("junk")


class FlakyExecutor(ThreadPoolExecutor):
    """Futures of the first ``fail`` submissions of each run fail as if their worker died."""

    def __init__(self, fail: int):
        super().__init__(2)
        self.fail, self.seen = fail, {}

    def submit(self, fn, *args, **kwargs):
        run_id = args[1].run_id
        self.seen[run_id] = self.seen.get(run_id, 0) + 1
        if self.seen[run_id] <= self.fail:
            from concurrent.futures import Future

            future = Future()
            future.set_exception(ConnectionResetError("worker lost"))
            return future
        return super().submit(fn, *args, **kwargs)


def test_infrastructure_failures_are_retried_then_lost_and_rerun(tmp_path):
    specs = [RunSpec(f"f{i}", {"x": i}) for i in range(2)]
    fleet = run_fleet(specs, square, out=tmp_path, executor=FlakyExecutor(fail=2), retries=2)
    assert sorted(fleet.done) == ["f0", "f1"] and fleet.retried == {"f0": 2, "f1": 2}
    assert RunStore(tmp_path).summary("f0")["attempt"] == 2
    lost = run_fleet(
        specs, square, out=tmp_path / "lost", executor=FlakyExecutor(fail=5), retries=1
    )
    assert sorted(lost.lost) == ["f0", "f1"] and not lost.done
    record = RunStore(tmp_path / "lost").summary("f1")
    assert record["status"] == "lost" and "ConnectionResetError: worker lost" in record["error"]
    again = run_fleet(specs, square, out=tmp_path / "lost", executor=ThreadPoolExecutor(2))
    assert (
        sorted(again.done) == ["f0", "f1"] and again.skipped == []
    )  # a plain rerun redoes lost runs


@pytest.mark.slow
def test_a_crashing_run_costs_only_itself_on_the_local_pool(tmp_path):
    log = tmp_path / "log.txt"
    specs = [
        RunSpec(f"c{i}", {"x": i, "log": str(log), "seconds": 0.3, "crash": i == 1})
        for i in range(6)
    ]
    fleet = run_fleet(specs, counted, out=tmp_path / "runs", chains_per_run=1, retries=1)
    assert fleet.lost == ["c1"] and sorted(fleet.done) == ["c0", "c2", "c3", "c4", "c5"]
    assert "died" in RunStore(tmp_path / "runs").summary("c1")["error"]
    seen = executions(log)
    assert seen["start"]["1"] == 2  # tried twice, then lost
    # Every innocent run is recorded once. One that finished in a pool process at the moment
    # the crash broke the pool may run again: its result had not reached the submitter
    # (a limit of a process pool; on Dask a finished result is kept by the scheduler).
    assert all(1 <= seen["end"][str(i)] <= 2 for i in (0, 2, 3, 4, 5)), seen["end"]
    assert sum(seen["end"][str(i)] for i in (0, 2, 3, 4, 5)) <= 6, seen["end"]
    assert fleet.retried["c1"] == 1


def test_a_timeout_returns_what_was_recorded(tmp_path):
    specs = [RunSpec("quick", {"x": 0, "seconds": 0.01}), RunSpec("long", {"x": 1, "seconds": 3})]
    with pytest.raises(FleetTimeout, match="timeout: .*long") as caught:
        run_fleet(specs, slow, out=tmp_path, executor=ThreadPoolExecutor(2), timeout=1.0)
    assert caught.value.fleet.done == ["quick"] and caught.value.fleet.missing == ["long"]
    assert RunStore(tmp_path).status("long") is None
    with pytest.raises(ValueError, match="timeout"):
        run_fleet(specs, slow, out=tmp_path, timeout=-1)


def test_an_immediate_rerun_waits_for_the_runs_in_flight(tmp_path):
    import threading

    log = tmp_path / "log.txt"
    specs = [RunSpec(f"w{i}", {"x": i, "log": str(log), "seconds": 1.0}) for i in range(3)]
    first = threading.Thread(
        target=run_fleet,
        args=(specs, counted),
        kwargs={"out": tmp_path / "runs", "executor": ThreadPoolExecutor(3)},
    )
    first.start()
    store = RunStore(tmp_path / "runs")
    deadline = time.monotonic() + 20
    while not all(store.status(s.run_id) for s in specs) and time.monotonic() < deadline:
        time.sleep(0.02)
    again = run_fleet(specs, counted, out=tmp_path / "runs", executor=ThreadPoolExecutor(3))
    first.join(30)
    assert sorted(again.done) == ["w0", "w1", "w2"] and sorted(again.recovered) == [
        "w0",
        "w1",
        "w2",
    ]
    assert executions(log)["start"] == {"0": 1, "1": 1, "2": 1}


def test_lost_and_queued_runs_from_the_records(tmp_path):
    store = RunStore(tmp_path)
    now = time.time()
    store.write_owner(
        "live", {"pid": os.getpid(), "host": this_host(), "heartbeat": now, "state": "running"}
    )
    store.write_owner(
        "gone", {"pid": 2**22 + 7, "host": this_host(), "heartbeat": now, "state": "running"}
    )
    dead_worker = {"pid": 2**22 + 9, "host": this_host(), "heartbeat": now}
    far_worker = {"pid": 12, "host": "elsewhere", "heartbeat": now - 60}
    store.write_status("a", {"owner": "live", "state": "running", "worker": dead_worker})
    store.write_status("b", {"owner": "live", "state": "running", "worker": far_worker})
    store.write_status("c", {"owner": "live", "state": "queued"})
    store.write_status(
        "d", {"owner": "gone", "state": "running", "worker": {**far_worker, "heartbeat": now}}
    )
    store.write_status(
        "e",
        {
            "owner": "live",
            "state": "running",
            "fraction": 0.5,
            "worker": {"pid": os.getpid(), "host": this_host(), "heartbeat": now},
        },
    )
    rows, state = fleet_rows(store)
    by = {r["run_id"]: r for r in rows}
    assert by["a"]["status"] == "lost" and f"{2**22 + 9}@{this_host()}" in by["a"]["error"]
    assert (
        by["b"]["status"] == "lost"
        and "12@elsewhere" in by["b"]["error"]
        and "60 s ago" in by["b"]["error"]
    )
    assert (
        by["c"]["status"] == "queued"
        and by["d"]["status"] == "lost"
        and "submitter" in by["d"]["error"]
    )
    assert by["e"]["status"] == "running" and by["e"]["fraction"] == 0.5 and state == "running"
    store.write_owner(
        "live",
        {"pid": os.getpid(), "host": this_host(), "heartbeat": now, "state": "waiting for workers"},
    )
    rows, state = fleet_rows(store)
    assert (
        state == "waiting for workers"
        and {r["run_id"]: r for r in rows}["c"]["status"] == "waiting"
    )


@pytest.mark.slow
def test_no_pool_process_outlives_a_killed_submitter(tmp_path):
    log = tmp_path / "log.txt"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        from bayes_widgets.core.fleet import RunSpec, run_fleet
        from tests.core.fleet.fleet_tasks import counted
        if __name__ == "__main__":
            specs = [RunSpec(f"k{{i}}", {{"x": i, "seconds": 30, "log": {str(log)!r}}}) for i in range(4)]
            run_fleet(specs, counted, out={str(tmp_path / "runs")!r}, chains_per_run=1)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while len(executions(log)["start"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = {int(line.split()[2]) for line in log.read_text().splitlines()}
    assert pids and proc.pid not in pids
    proc.kill()  # the submitter alone, as the out-of-memory killer would
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_metric_error_is_an_input_error_naming_the_metrics():
    from bayes_widgets.core.errors import InputError
    from bayes_widgets.core.fleet import MetricError
    from bayes_widgets.core.fleet.records import clean_metrics

    with pytest.raises(MetricError) as caught:
        clean_metrics({"model": object()})
    assert isinstance(caught.value, InputError) and isinstance(caught.value, TypeError)
    assert caught.value.field == "metrics" and "'model' is a object" in str(caught.value)
