"""Running a fleet: independent runs on an executor, each recorded as it ends.

    specs = [RunSpec("holdout-4", {"horizon": 4}), RunSpec("holdout-8", {"horizon": 8})]
    fleet = run_fleet(specs, task, out="runs/holdout")                  # local processes
    fleet = run_fleet(specs, task, out="runs/holdout", executor=client)  # a Dask Client
    fleet = run_fleet(specs, task, out="s3://bucket/runs/holdout", executor=client, timeout=3600)

``task(params, run_dir) -> dict`` is a picklable function that does one run and returns
its metrics, a dict of JSON values (see :mod:`~bayes_widgets.core.fleet.records`). It
gets its inputs as values in ``params`` (a data frame, a configuration), never a path
on the submitting machine. ``run_dir`` is a scratch directory on the worker: the files
the task writes there travel back with the result and land in the run's directory in
the store. A task may report progress with
:func:`~bayes_widgets.core.fleet.ledger.report_progress`.

``out`` is the run store, a path or an fsspec URL (:class:`RunStore`). The submitting
process records each run as its future completes, so workers need not see the store.

- Exactly once: a run with a summary ("done", or "failed") is never executed again, and
  an immediate rerun waits for runs another live submitter has in flight instead of
  starting them twice (each queued or running run has a claim with the submitter's PID,
  host and heartbeat). On a Dask cluster results are also kept on the scheduler until
  recorded, so a run whose worker died after it ended, or which was running when its
  submitter was killed, is recorded without executing again.
- Failures are classified: an exception raised by the task is final ("failed", with its
  traceback); an infrastructure failure (a lost worker, ``KilledWorker``, a result that
  cannot be deserialised, a broken process pool) is retried ``retries`` times, then
  recorded as "lost", which a plain rerun runs again. ``retry_failed=True`` redoes
  failures.
- ``timeout`` (seconds) bounds the whole fleet (:class:`FleetTimeout`); with no worker
  left the fleet's state is "waiting for workers" (``on_update`` hears it per run).

Any ``concurrent.futures.Executor`` works; a Dask distributed ``Client`` is used with
its own API. With none, a local process pool is sized so that ``chains_per_run`` ×
workers does not exceed the cores; a run that crashes its process costs only itself,
and no pool process outlives the submitter.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from typing import Any

from bayes_widgets.core.fleet.backends import Backend, is_dask_client, make_backend
from bayes_widgets.core.fleet.ledger import STALE_S
from bayes_widgets.core.fleet.live import WAITING
from bayes_widgets.core.fleet.runs import FleetRun, FleetTimeout, Listener, RunSpec, Task
from bayes_widgets.core.fleet.store import FINAL, RunStore
from bayes_widgets.core.fleet.submitter import Submitter, describe_exception
from bayes_widgets.core.fleet.worker import execute_run, run_task

log = logging.getLogger("bayes_widgets.fleet")
TICK_S = 0.25
"""Seconds between the submitter's looks at its runs (leases, workers, the deadline)."""


def run_fleet(
    specs: Iterable[RunSpec],
    task: Task,
    *,
    out: str | os.PathLike[str],
    executor: Any = None,
    chains_per_run: int = 2,
    retry_failed: bool = False,
    on_update: Listener | None = None,
    timeout: float | None = None,
    retries: int = 2,
) -> FleetRun:
    """Runs every spec not yet recorded in the store ``out``; returns the fleet's state.

    ``on_update(run_id, info)`` hears each change: queued, running (worker, progress),
    waiting (for workers), and each summary as it is recorded. See the module docstring.
    """
    specs = _check_arguments(specs, task, executor, chains_per_run, timeout, retries)
    store = RunStore(out)
    notify = on_update or (lambda run_id, info: None)
    if retry_failed:
        for s in specs:
            if (store.summary(s.run_id) or {}).get("status") == "failed":
                store.forget(s.run_id)
    summaries: dict[str, dict[str, Any]] = {}
    for s in specs:
        summary = store.summary(s.run_id) if store.finished(s.run_id) else None
        if summary is not None:
            summaries[s.run_id] = summary
    skipped = list(summaries)
    todo = [s for s in specs if s.run_id not in summaries]
    for run_id in skipped:
        notify(run_id, summaries[run_id])
    where = store.url if not store.local else str(store.root)
    if not todo:
        return FleetRun(where, specs, summaries, skipped)
    ledger_dir = tempfile.mkdtemp(prefix="bw-fleet-ledger-")
    backend = make_backend(executor, store, chains_per_run, ledger_dir)
    fleet = Submitter(store, backend, task, notify, retries)
    fleet.summaries.update(summaries)
    cancelled = _run(fleet, todo, timeout, ledger_dir)
    ids = {s.run_id for s in specs}
    result = FleetRun(
        where,
        specs,
        {k: v for k, v in fleet.summaries.items() if k in ids},
        skipped + fleet.recovered,
        fleet.retried,
        fleet.recovered,
    )
    if cancelled:
        left = ", ".join(result.missing)
        raise FleetTimeout(
            f"timeout: the fleet did not end within {timeout} s; not recorded: {left}", result
        )
    return result


def _check_arguments(
    specs: Any, task: Any, executor: Any, chains_per_run: Any, timeout: Any, retries: Any
) -> list[RunSpec]:
    if isinstance(specs, str | bytes) or not isinstance(specs, Iterable):
        raise TypeError(f"specs: expected RunSpec objects, got {type(specs).__name__}")
    specs = list(specs)
    wrong = [s for s in specs if not isinstance(s, RunSpec)]
    if wrong:
        raise TypeError(f"specs: expected RunSpec objects, got {type(wrong[0]).__name__}")
    if (
        isinstance(chains_per_run, bool)
        or not isinstance(chains_per_run, int)
        or chains_per_run < 1
    ):
        raise ValueError(f"chains_per_run: must be a positive whole number, got {chains_per_run!r}")
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("specs: run ids must be unique")
    if not callable(task):
        raise TypeError(
            f"task: expected a function (params, run_dir) -> metrics, got {type(task).__name__}"
        )
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ValueError(f"timeout: expected a positive number of seconds, got {timeout!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries: expected a whole number >= 0, got {retries!r}")
    if not (
        executor is None
        or isinstance(executor, cf.Executor)
        or is_dask_client(executor)
        or hasattr(executor, "get_executor")
    ):
        raise TypeError(
            f"executor: expected a concurrent.futures.Executor or a Dask Client, "
            f"got {type(executor).__name__}"
        )
    return specs


def _run(fleet: Submitter, todo: list[RunSpec], timeout: float | None, ledger_dir: str) -> bool:
    """Submits ``todo`` and follows the runs until each is recorded or the deadline passes
    (True); always leaves the store, the backend and the ledger tidy."""
    backend: Backend = fleet.backend
    deadline = None if timeout is None else time.monotonic() + timeout
    cancelled = False
    ended = "stopped"
    try:
        fleet.beat(force=True)
        _start(fleet, todo)
        cancelled = _loop(fleet, deadline)
        ended = "timed out" if cancelled else "finished"
    except BaseException:
        cancelled = True
        raise
    finally:
        for future, spec in list(fleet.in_flight.items()):  # abandoned: their claims go
            backend.cancel(future)
            backend.release(future)
            try:
                fleet.store.clear_status(spec.run_id)
            except OSError:
                pass
        backend.close(cancel=cancelled)
        try:
            fleet.beat(force=True, state=ended)
        except Exception:
            pass
        shutil.rmtree(ledger_dir, ignore_errors=True)
    return cancelled


def _start(fleet: Submitter, todo: list[RunSpec]) -> None:
    """Records results left on the cluster by an interrupted submitter, leaves runs another
    live submitter is running to it, and submits the rest."""
    kept: dict[str, dict[str, Any]] = {}
    if fleet.backend.ledger.keeps_results:
        try:
            kept = fleet.backend.ledger.results()
        except Exception:
            kept = {}
    for spec in todo:
        found = kept.get(spec.run_id)
        if (
            found is not None
            and not found.get("recorded")
            and isinstance(found.get("summary"), dict)
        ):
            fleet.record(spec, found)
            fleet.recovered.append(spec.run_id)
            continue
        if fleet.claimed_elsewhere(spec.run_id):
            fleet.watched[spec.run_id] = spec
            fleet.notify(spec.run_id, {"status": "queued", "note": "running in another submitter"})
            continue
        ignore = (found["exec"],) if found is not None and found.get("exec") else ()
        fleet.submit(spec, ignore)


def _loop(fleet: Submitter, deadline: float | None) -> bool:
    """Until every run is recorded; True when the deadline passed first."""
    backend = fleet.backend
    while fleet.in_flight or fleet.watched:
        if deadline is not None and time.monotonic() > deadline:
            return True
        tick = TICK_S if deadline is None else max(0.05, min(TICK_S, deadline - time.monotonic()))
        done = (
            backend.wait(fleet.in_flight, tick) if fleet.in_flight else (time.sleep(tick) or set())
        )
        broken: list[tuple[Any, RunSpec]] = []
        for future in done:
            spec = fleet.in_flight.pop(future)
            result, error = backend.outcome(future)
            backend.release(future)
            if (
                error is None
                and isinstance(result, dict)
                and isinstance(result.get("summary"), dict)
            ):
                fleet.record(spec, result)
            elif isinstance(error, cf.process.BrokenProcessPool) and backend.owned_pool is not None:
                broken.append((future, spec))
            else:
                message = (
                    describe_exception(error)
                    if error is not None
                    else "the worker returned no result"
                )
                if fleet.infrastructure_failure(spec, message):
                    fleet.submit(spec)
        if broken:
            _recover_pool(fleet, broken)
        _follow_watched(fleet)
        workers = backend.workers()
        if workers == 0 and fleet.in_flight and fleet.state != WAITING:
            log.warning("fleet %s: no worker left; %s", fleet.store.url, WAITING)
        fleet.beat(state=WAITING if workers == 0 and fleet.in_flight else "running")
        fleet.mirror_leases()
    return False


def _recover_pool(fleet: Submitter, broken: list[tuple[Any, RunSpec]]) -> None:
    """A run crashed its pool process: charge it, resubmit the others on a fresh pool."""
    pool = fleet.backend.owned_pool
    assert pool is not None, "called only for a backend with its own pool"
    current = pool.pids()
    # every future of the broken pool fails; take them all now
    for future, spec in list(fleet.in_flight.items()):
        if future.done():
            fleet.in_flight.pop(future)
            result, error = fleet.backend.outcome(future)
            if (
                error is None
                and isinstance(result, dict)
                and isinstance(result.get("summary"), dict)
            ):
                fleet.record(spec, result)
            else:
                broken.append((future, spec))
    leases = fleet.backend.ledger.leases()
    crashed = pool.replace()
    for future, spec in list(fleet.in_flight.items()):  # not failed yet: cancelled by the shutdown
        fleet.in_flight.pop(future)
        broken.append((future, spec))
    started = {
        spec.run_id
        for _, spec in broken
        if (leases.get(spec.run_id) or {}).get("pid") in current
        and (leases.get(spec.run_id) or {}).get("attempt", 0) == fleet.attempts.get(spec.run_id, 0)
    }
    culprits = {run_id for run_id in started if leases[run_id].get("pid") in crashed} or started
    for run_id in list(fleet.claims):
        fleet.backend.ledger.put_lease(run_id, None)
    for _, spec in broken:
        if spec.run_id in culprits:
            pid = leases[spec.run_id].get("pid")
            if fleet.infrastructure_failure(
                spec, f"its process {pid} died (the process pool broke)"
            ):
                fleet.submit(spec)
        else:
            fleet.infrastructure_failure(spec, "caught in a broken process pool", charge=False)
            fleet.submit(spec)


def _follow_watched(fleet: Submitter) -> None:
    """Runs another submitter holds: recorded when it records them, taken over if it dies."""
    for run_id, spec in list(fleet.watched.items()):
        summary = fleet.store.summary(run_id)
        if summary is not None and summary.get("status") in FINAL:
            fleet.summaries[run_id] = summary
            fleet.recovered.append(run_id)
            del fleet.watched[run_id]
            fleet.notify(run_id, summary)
        elif not fleet.claimed_elsewhere(run_id):
            del fleet.watched[run_id]
            fleet.submit(spec)


__all__ = [
    "STALE_S",
    "TICK_S",
    "FleetRun",
    "FleetTimeout",
    "RunSpec",
    "execute_run",
    "run_fleet",
    "run_task",
]
