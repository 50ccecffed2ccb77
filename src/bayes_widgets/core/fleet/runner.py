"""Running a fleet: independent runs on an executor, each persisted as it ends.

    specs = [RunSpec("holdout-4", {"horizon": 4}), RunSpec("holdout-8", {"horizon": 8})]
    fleet = run_fleet(specs, task, out="runs/holdout")                 # local processes
    fleet = run_fleet(specs, task, out="runs/holdout", executor=client) # a Dask Client

``task(params, run_dir) -> dict`` is a picklable function that does one run and returns
its metrics (JSON-ready); ``run_dir`` is where it may write files. It runs in a worker:
the worker writes the run's ``summary.json`` itself, so the record exists the moment the
run ends, whatever happens to the process that submitted it. An exception becomes a
"failed" summary with its traceback, and the other runs go on. A rerun with the same
``out`` skips runs that already have a summary (``retry_failed=True`` redoes failures).

Any ``concurrent.futures.Executor`` works; a Dask distributed ``Client`` is turned into
one with ``client.get_executor()``. With none, a process pool is sized so that
``chains_per_run`` × workers does not exceed the cores.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bayes_widgets.core.fleet.store import RunStore, check_run_id

Task = Callable[[dict[str, Any], str], dict[str, Any]]
Listener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        check_run_id(self.run_id)


def execute_run(task: Task, spec: RunSpec, root: str) -> dict[str, Any]:
    """Runs one spec and records it; runs in the worker process."""
    store = RunStore(root)
    run_dir = store.run_dir(spec.run_id)
    t0 = time.time()
    store.write_status(spec.run_id, {"status": "running", "started": t0, "worker_pid": os.getpid()})
    summary: dict[str, Any] = {"run_id": spec.run_id, "params": spec.params, "started": t0,
                               "worker_pid": os.getpid()}
    try:
        metrics = task(dict(spec.params), str(run_dir))
        summary.update(status="done", metrics=metrics or {})
    except Exception as exc:  # recorded; the fleet goes on
        summary.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc())
    summary["seconds"] = time.time() - t0
    store.write_summary(spec.run_id, summary)
    return summary


@dataclass
class FleetRun:
    """The state of a fleet: every run's summary once it has one."""

    out: str
    specs: list[RunSpec]
    summaries: dict[str, dict[str, Any]]
    skipped: list[str]

    @property
    def done(self) -> list[str]:
        return [k for k, v in self.summaries.items() if v.get("status") == "done"]

    @property
    def failed(self) -> list[str]:
        return [k for k, v in self.summaries.items() if v.get("status") == "failed"]

    def table(self):
        """One row per run: id, status, seconds, and each metric."""
        import pandas as pd

        rows = []
        for spec in self.specs:
            s = self.summaries.get(spec.run_id, {"status": "missing"})
            rows.append({"run_id": spec.run_id, "status": s.get("status"), "seconds": s.get("seconds"),
                         **{f"param_{k}": v for k, v in spec.params.items()}, **(s.get("metrics") or {})})
        return pd.DataFrame(rows)


def default_workers(chains_per_run: int = 2, cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, chains_per_run))


def as_executor(executor: Any, workers: int) -> tuple[cf.Executor, bool]:
    """(executor, owned): a given Executor, a Dask Client's executor, or a new process pool."""
    if executor is None:
        import multiprocessing as mp

        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")), True
    if isinstance(executor, cf.Executor):
        return executor, False
    if hasattr(executor, "get_executor"):  # dask.distributed.Client
        return executor.get_executor(), False
    raise TypeError(f"executor: expected a concurrent.futures.Executor or a Dask Client, got {type(executor).__name__}")


def run_fleet(
    specs: Iterable[RunSpec],
    task: Task,
    *,
    out: str | os.PathLike[str],
    executor: Any = None,
    chains_per_run: int = 2,
    retry_failed: bool = False,
    on_update: Listener | None = None,
) -> FleetRun:
    """Runs every spec not yet recorded under ``out``; returns the fleet's state."""
    specs = list(specs)
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("specs: run ids must be unique")
    store = RunStore(out)
    if retry_failed:
        for s in specs:
            if (store.summary(s.run_id) or {}).get("status") == "failed":
                store.forget(s.run_id)
    skipped = [s.run_id for s in specs if store.finished(s.run_id)]
    todo = [s for s in specs if s.run_id not in skipped]
    notify = on_update or (lambda run_id, info: None)
    for run_id in skipped:
        notify(run_id, store.summary(run_id))
    pool, owned = as_executor(executor, default_workers(chains_per_run))
    try:
        futures = {}
        for spec in todo:
            notify(spec.run_id, {"status": "queued"})
            futures[pool.submit(execute_run, task, spec, str(store.root))] = spec
        for future in cf.as_completed(futures):
            spec = futures[future]
            try:
                summary = future.result()
            except Exception as exc:  # the worker itself died (killed, out of memory...)
                summary = {"run_id": spec.run_id, "params": spec.params, "status": "failed",
                           "error": f"worker lost: {type(exc).__name__}: {exc}"}
                store.write_summary(spec.run_id, summary)
            notify(spec.run_id, summary)
    finally:
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)
    return FleetRun(str(store.root), specs, {s.run_id: store.summary(s.run_id) for s in specs
                                             if store.finished(s.run_id)}, skipped)
