"""One run, executed where a worker runs it, and its result recorded in the run store.

result = run_task(task, RunSpec("holdout-4", {"horizon": 4}))   # in a worker
record_result(RunStore("runs/holdout"), "holdout-4", result)     # in the submitter
execute_run(task, spec, "runs/holdout")                          # both, in this process
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from bayes_widgets.core.fleet.ledger import HEARTBEAT_S, Ledger, RunContext, set_current
from bayes_widgets.core.fleet.records import MetricError, clean_metrics, describe
from bayes_widgets.core.fleet.runs import RunSpec, Task
from bayes_widgets.core.fleet.store import RunStore


def _collect(directory: str) -> dict[str, bytes]:
    files = {}
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file():
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return files


def _address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def _await_other(
    ledger: Ledger, run_id: str, exec_id: str, ignore: tuple[str, ...]
) -> dict[str, Any] | None:
    """Another live execution of this run (e.g. left running by a killed submitter): waits
    for its result. None when there is none, or it died."""
    while True:
        found = ledger.result(run_id)
        if found is not None and found.get("exec") not in ignore:
            return {**found, "replayed": True}
        lease = ledger.lease(run_id)
        if not lease or lease.get("exec") in (exec_id, *ignore) or not ledger.worker_alive(lease):
            return None
        time.sleep(HEARTBEAT_S / 2)


def run_task(task: Task, spec: RunSpec, job: dict[str, Any] | None = None) -> dict[str, Any]:
    """Executes one run in a worker: ``{"summary": ..., "files": {name: bytes}, "exec": id}``.

    The task runs in a scratch directory; its exception becomes a "failed" summary with
    the traceback, and metrics that are not JSON values a "failed" summary naming the
    metric. ``job`` carries the ledger and the attempt (see :func:`run_fleet`).
    """
    job = job or {}
    ledger: Ledger | None = job.get("ledger")
    ignore = tuple(job.get("ignore", ()))
    exec_id = uuid.uuid4().hex
    if ledger is not None and ledger.keeps_results:
        found = _await_other(ledger, spec.run_id, exec_id, ignore)
        if found is not None:  # ended already: never executed twice
            return found
    context = RunContext(
        spec.run_id, exec_id, int(job.get("attempt", 0)), ledger, _address()
    ).start()
    scratch = tempfile.mkdtemp(prefix=f"bw-run-{spec.run_id}-")
    t0 = time.time()
    summary: dict[str, Any] = {
        "run_id": spec.run_id,
        "params": describe(spec.params),
        "started": t0,
        "worker_pid": os.getpid(),
        "worker": {
            "pid": os.getpid(),
            "host": context.lease["host"],
            "address": context.lease["address"],
        },
        "attempt": int(job.get("attempt", 0)),
    }
    set_current(context)
    try:
        metrics = task(dict(spec.params), scratch)
        clean, notes = clean_metrics(metrics)
        summary.update(status="done", metrics=clean)
        if notes:
            summary["notes"] = notes
    except MetricError as exc:
        summary.update(status="failed", error=str(exc))
    except Exception as exc:  # the task's own failure: final, the fleet goes on
        summary.update(
            status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
        )
    finally:
        set_current(None)
        context.stop()
    summary["seconds"] = time.time() - t0
    try:
        files = _collect(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = {"summary": summary, "files": files, "exec": exec_id}
    if ledger is not None and ledger.keeps_results:
        ledger.put_result(spec.run_id, result)
    return result


def execute_run(task: Task, spec: RunSpec, root: str) -> dict[str, Any]:
    """Runs one spec in this process and records it in the store ``root``; returns its
    summary (for running a single run by hand; fleets use :func:`run_fleet`)."""
    result = run_task(task, spec)
    record_result(RunStore(root), spec.run_id, result)
    return result["summary"]


def record_result(store: RunStore, run_id: str, result: dict[str, Any]) -> dict[str, Any]:
    for name, data in (result.get("files") or {}).items():
        store.write_file(run_id, name, data)
    summary = result["summary"]
    store.write_summary(run_id, summary)
    store.clear_status(run_id)
    return summary


__all__ = ["execute_run", "record_result", "run_task"]
