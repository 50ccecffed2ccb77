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

from bayes_widgets.core.fleet import RunSpec, RunStore, run_fleet

from .fleet_tasks import slow, square


def test_runs_are_recorded_and_a_failure_does_not_stop_the_others(tmp_path):
    specs = [RunSpec(f"r{i}", {"x": i, "fail": i == 2}) for i in range(5)]
    updates = []
    fleet = run_fleet(specs, square, out=tmp_path, executor=ThreadPoolExecutor(2),
                      on_update=lambda run_id, info: updates.append((run_id, info["status"])))
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
    retried = run_fleet(fixed, square, out=tmp_path, executor=ThreadPoolExecutor(2), retry_failed=True)
    assert sorted(retried.skipped) == ["r0", "r2"] and sorted(retried.done) == ["r0", "r1", "r2"]


def test_default_pool_uses_processes(tmp_path):
    fleet = run_fleet([RunSpec(f"p{i}", {"x": i}) for i in range(3)], square, out=tmp_path,
                      chains_per_run=1)
    pids = {json.loads((tmp_path / f"p{i}" / "summary.json").read_text())["worker_pid"] for i in range(3)}
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
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from concurrent.futures import ProcessPoolExecutor
        from bayes_widgets.core.fleet import RunSpec, run_fleet
        from tests.unit.fleet_tasks import slow
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

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        fleet = run_fleet([RunSpec(f"d{i}", {"x": i, "fail": i == 0}) for i in range(4)], square,
                          out=tmp_path, executor=client)
    assert sorted(fleet.done) == ["d1", "d2", "d3"] and fleet.failed == ["d0"]
    pids = {RunStore(tmp_path).summary(f"d{i}")["worker_pid"] for i in range(4)}
    assert os.getpid() not in pids
