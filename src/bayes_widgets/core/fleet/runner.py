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
import hashlib
import logging
import os
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayes_widgets.core.fleet.ledger import (
    HEARTBEAT_S,
    STALE_S,
    DaskLedger,
    Ledger,
    LocalLedger,
    RunContext,
    process_alive,
    set_current,
    this_host,
)
from bayes_widgets.core.fleet.live import ENDED, WAITING
from bayes_widgets.core.fleet.pool import LocalPool
from bayes_widgets.core.fleet.records import (
    RESERVED,
    MetricError,
    clean_metrics,
    describe,
    read_metrics,
)
from bayes_widgets.core.fleet.store import FINAL, RunStore, check_run_id

Task = Callable[[dict[str, Any], str], dict[str, Any]]
Listener = Callable[[str, dict[str, Any]], None]
log = logging.getLogger("bayes_widgets.fleet")
TICK_S = 0.25
"""Seconds between the submitter's looks at its runs (leases, workers, the deadline)."""


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        check_run_id(self.run_id)
        if not isinstance(self.params, dict):
            raise TypeError(
                f"params: expected a dict for run {self.run_id!r}, got {type(self.params).__name__}"
            )


class FleetTimeout(TimeoutError):
    """The fleet did not end within ``timeout``; :attr:`fleet` holds what was recorded."""

    def __init__(self, message: str, fleet: FleetRun):
        super().__init__(message)
        self.fleet = fleet


# ------------------------------------------------------------------------------ in the worker
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
    _record(RunStore(root), spec.run_id, result)
    return result["summary"]


def _record(store: RunStore, run_id: str, result: dict[str, Any]) -> dict[str, Any]:
    for name, data in (result.get("files") or {}).items():
        store.write_file(run_id, name, data)
    summary = result["summary"]
    store.write_summary(run_id, summary)
    store.clear_status(run_id)
    return summary


# ------------------------------------------------------------------------------ the fleet's state
@dataclass
class FleetRun:
    """The state of a fleet: every run's summary once it has one."""

    out: str
    specs: list[RunSpec]
    summaries: dict[str, dict[str, Any]]
    skipped: list[str]
    retried: dict[str, int] = field(default_factory=dict)
    """run id -> infrastructure failures retried in this call."""
    recovered: list[str] = field(default_factory=list)
    """Runs recorded from results an earlier, interrupted submitter left on the cluster."""

    def _with(self, status: str) -> list[str]:
        return [
            k
            for k, v in self.summaries.items()
            if isinstance(v, dict) and v.get("status") == status
        ]

    @property
    def done(self) -> list[str]:
        return self._with("done")

    @property
    def failed(self) -> list[str]:
        return self._with("failed")

    @property
    def lost(self) -> list[str]:
        """Runs whose workers kept failing; a plain rerun runs them again."""
        return self._with("lost")

    @property
    def missing(self) -> list[str]:
        return [s.run_id for s in self.specs if s.run_id not in self.summaries]

    def table(self):
        """One row per run: id, status, seconds, error, each parameter and each metric."""
        import pandas as pd

        rows = []
        for spec in self.specs:
            s = self.summaries.get(spec.run_id)
            s = s if isinstance(s, dict) else {"status": "missing"}
            row: dict[str, Any] = {
                "run_id": spec.run_id,
                "status": s.get("status"),
                "seconds": s.get("seconds"),
                "error": s.get("error"),
            }
            row.update({f"param_{k}": describe(v) for k, v in spec.params.items()})
            for k, v in read_metrics(s).items():
                row[f"metric_{k}" if k in RESERVED or k in row else k] = v
            rows.append(row)
        table = pd.DataFrame(rows)
        if "error" in table and table["error"].isna().all():
            table = table.drop(columns="error")
        return table


# ------------------------------------------------------------------------------ executors
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
    raise TypeError(
        f"executor: expected a concurrent.futures.Executor or a Dask Client, got {type(executor).__name__}"
    )


def _is_dask_client(executor: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(executor, Client)


class _Backend:
    """Submits runs and says how their futures ended."""

    ledger: Ledger
    owned_pool: LocalPool | None = None

    def submit(self, task: Task, spec: RunSpec, job: dict[str, Any]) -> Any:
        raise NotImplementedError

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done)

    def outcome(self, future: Any) -> tuple[dict[str, Any] | None, BaseException | None]:
        try:
            return future.result(timeout=0), None
        except BaseException as exc:
            return None, exc

    def release(self, future: Any) -> None:
        pass

    def cancel(self, future: Any) -> None:
        future.cancel()

    def workers(self) -> int | None:
        return None

    def close(self, cancel: bool) -> None:
        pass


class _Executor(_Backend):
    def __init__(self, executor: cf.Executor, ledger_dir: str):
        self.executor = executor
        self.ledger = LocalLedger(ledger_dir)

    def submit(self, task, spec, job):
        return self.executor.submit(run_task, task, spec, {**job, "ledger": self.ledger})


class _Pool(_Executor):
    def __init__(self, workers: int, ledger_dir: str):
        self.owned_pool = LocalPool(workers)
        self.ledger = LocalLedger(ledger_dir)

    def submit(self, task, spec, job):
        return self.owned_pool.submit(run_task, task, spec, {**job, "ledger": self.ledger})

    def close(self, cancel):
        self.owned_pool.shutdown(cancel=cancel)


class _Dask(_Backend):
    def __init__(self, client: Any, token: str):
        self.client = client
        self.token = token
        self.ledger = DaskLedger(token, client)
        self._counted = (-1e9, 0)

    def submit(self, task, spec, job):
        key = f"bw-fleet-{self.token}-{spec.run_id}-{job.get('attempt', 0)}"
        return self.client.submit(
            run_task,
            task,
            spec,
            {**job, "ledger": DaskLedger(self.token)},
            key=key,
            pure=False,
            retries=0,
        )

    def wait(self, futures, timeout):
        from distributed import wait

        futures = list(futures)
        try:
            done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return {f for f in futures if f.done()}
        return set(done)

    def outcome(self, future):
        if future.status == "finished":
            try:
                return future.result(timeout=60), None
            except BaseException as exc:
                return None, exc
        if future.status == "error":
            try:
                return None, future.exception(timeout=60)
            except BaseException as exc:
                return None, exc
        return None, RuntimeError(f"the cluster dropped the run (future {future.status})")

    def release(self, future):
        future.release()

    def workers(self):
        now = time.monotonic()
        if now - self._counted[0] >= HEARTBEAT_S:
            try:
                count = len(self.client.scheduler_info().get("workers", {}))
            except Exception:  # the scheduler cannot be reached: no worker can be used
                count = 0
            self._counted = (now, count)
        return self._counted[1]


# ------------------------------------------------------------------------------ running a fleet
def _describe_exception(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) < 500 else text[:500] + "…"


class _Fleet:
    """One call of :func:`run_fleet`: claims, heartbeats, recording, retries."""

    def __init__(
        self, store: RunStore, backend: _Backend, task: Task, notify: Listener, retries: int
    ):
        self.store = store
        self.backend = backend
        self.task = task
        self.notify = notify
        self.retries = retries
        self.nonce = uuid.uuid4().hex[:16]
        self.started = time.time()
        self.state = "running"
        self.summaries: dict[str, dict[str, Any]] = {}
        self.retried: dict[str, int] = {}
        self.recovered: list[str] = []
        self.attempts: dict[str, int] = {}
        self.in_flight: dict[Any, RunSpec] = {}
        self.watched: dict[str, RunSpec] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        self.told: dict[str, str] = {}
        self.last_beat = 0.0

    # -- the submitter's heartbeat and the runs' claims -----------------------------------------
    def beat(self, force: bool = False, state: str | None = None) -> None:
        now = time.time()
        if state is not None and state != self.state:
            self.state = state
            force = True
        if not force and now - self.last_beat < HEARTBEAT_S:
            return
        self.last_beat = now
        self.store.write_owner(
            self.nonce,
            {
                "pid": os.getpid(),
                "host": this_host(),
                "heartbeat": now,
                "started": self.started,
                "state": self.state,
            },
        )

    def claim(self, spec: RunSpec, state: str = "queued") -> None:
        claim = {
            "owner": self.nonce,
            "pid": os.getpid(),
            "host": this_host(),
            "state": state,
            "attempt": self.attempts.get(spec.run_id, 0),
            "queued": time.time(),
        }
        self.claims[spec.run_id] = claim
        self.store.write_status(spec.run_id, claim)

    def mirror_leases(self) -> None:
        """Copies each in-flight run's lease (worker, heartbeat, progress) into its claim."""
        running = [spec.run_id for spec in self.in_flight.values()]
        if not running:
            return
        try:
            leases = self.backend.ledger.leases()
        except Exception:  # leases only feed the board
            return
        for run_id in running:
            claim = self.claims.get(run_id)
            if claim is None:
                continue
            lease = leases.get(run_id)
            new = dict(claim)
            if lease and lease.get("attempt", 0) == self.attempts.get(run_id, 0):
                new.update(
                    state="running",
                    fraction=lease.get("fraction"),
                    progress=lease.get("progress"),
                    worker={
                        k: lease.get(k) for k in ("pid", "host", "address", "heartbeat", "started")
                    },
                )
            else:
                new["state"] = "waiting" if self.state == WAITING else "queued"
            if new != claim:
                self.claims[run_id] = new
                self.store.write_status(run_id, new)
            if new["state"] != self.told.get(run_id) and new["state"] in ("running", "waiting"):
                self.told[run_id] = new["state"]
                info = {
                    "status": new["state"],
                    "worker": new.get("worker"),
                    "fraction": new.get("fraction"),
                }
                if new["state"] == "waiting":
                    info["note"] = WAITING
                self.notify(run_id, info)

    # -- whose run is it? ---------------------------------------------------------------------
    def claimed_elsewhere(self, run_id: str) -> bool:
        claim = self.store.status(run_id)
        if not claim or claim.get("owner") in (None, self.nonce):
            return False
        owner = self.store.owner(str(claim["owner"]))
        return bool(owner) and owner.get("state") not in ENDED and process_alive(owner)

    # -- recording ------------------------------------------------------------------------------
    def record(self, spec: RunSpec, result: dict[str, Any]) -> None:
        summary = _record(self.store, spec.run_id, result)
        self.summaries[spec.run_id] = summary
        self.claims.pop(spec.run_id, None)
        if self.backend.ledger.keeps_results:  # a tombstone: recorded, never to be executed again
            try:
                self.backend.ledger.put_result(
                    spec.run_id,
                    {"exec": result.get("exec"), "summary": summary, "files": {}, "recorded": True},
                )
                self.backend.ledger.put_lease(spec.run_id, None)
            except Exception:
                pass
        self.notify(spec.run_id, summary)

    def lose(self, spec: RunSpec, error: str) -> None:
        lease = None
        try:
            lease = self.backend.ledger.lease(spec.run_id)
        except Exception:
            pass
        summary = {
            "run_id": spec.run_id,
            "params": describe(spec.params),
            "status": "lost",
            "error": f"infrastructure: {error}",
            "attempts": self.attempts.get(spec.run_id, 0) + 1,
            "recorded": time.time(),
        }
        if lease:
            summary["worker"] = {k: lease.get(k) for k in ("pid", "host", "address", "heartbeat")}
        self.store.write_summary(spec.run_id, summary)
        self.store.clear_status(spec.run_id)
        self.claims.pop(spec.run_id, None)
        self.summaries[spec.run_id] = summary
        self.notify(spec.run_id, summary)

    def infrastructure_failure(self, spec: RunSpec, error: str, charge: bool = True) -> bool:
        """Retries ``spec`` (True) or records it as lost (False)."""
        if charge:
            if self.attempts.get(spec.run_id, 0) >= self.retries:
                self.lose(spec, error)
                return False
            self.attempts[spec.run_id] = self.attempts.get(spec.run_id, 0) + 1
            self.retried[spec.run_id] = self.retried.get(spec.run_id, 0) + 1
        log.warning("run %s: %s; %s", spec.run_id, error, "retrying" if charge else "resubmitting")
        self.notify(
            spec.run_id,
            {"status": "queued", "retry": self.attempts.get(spec.run_id, 0), "error": error},
        )
        return True

    # -- submitting ---------------------------------------------------------------------------
    def submit(self, spec: RunSpec, ignore: tuple[str, ...] = ()) -> None:
        self.claim(spec)
        job = {"attempt": self.attempts.get(spec.run_id, 0), "owner": self.nonce, "ignore": ignore}
        try:
            future = self.backend.submit(self.task, spec, job)
        except (
            Exception
        ) as exc:  # e.g. a broken executor given by the caller: nothing more runs on it
            self.lose(spec, f"the executor refused the run: {_describe_exception(exc)}")
            return
        self.in_flight[future] = spec
        self.told.pop(spec.run_id, None)
        self.notify(spec.run_id, {"status": "queued"})


def _token(store: RunStore) -> str:
    return hashlib.sha1(f"{store.url}\n{store.epoch()}".encode()).hexdigest()[:16]


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
        or _is_dask_client(executor)
        or hasattr(executor, "get_executor")
    ):
        raise TypeError(
            f"executor: expected a concurrent.futures.Executor or a Dask Client, "
            f"got {type(executor).__name__}"
        )
    store = RunStore(out)
    notify = on_update or (lambda run_id, info: None)
    if retry_failed:
        for s in specs:
            if (store.summary(s.run_id) or {}).get("status") == "failed":
                store.forget(s.run_id)
    skipped = [s.run_id for s in specs if store.finished(s.run_id)]
    summaries = {run_id: store.summary(run_id) for run_id in skipped}
    todo = [s for s in specs if s.run_id not in summaries]
    for run_id in skipped:
        notify(run_id, summaries[run_id])
    if not todo:
        return FleetRun(
            store.url if not store.local else str(store.root), specs, summaries, skipped
        )

    ledger_dir = tempfile.mkdtemp(prefix="bw-fleet-ledger-")
    if executor is None:
        backend: _Backend = _Pool(default_workers(chains_per_run), ledger_dir)
    elif _is_dask_client(executor):
        backend = _Dask(executor, _token(store))
    else:
        backend = _Executor(as_executor(executor, 1)[0], ledger_dir)
    fleet = _Fleet(store, backend, task, notify, retries)
    fleet.summaries.update(summaries)
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
                store.clear_status(spec.run_id)
            except OSError:
                pass
        backend.close(cancel=cancelled)
        try:
            fleet.beat(force=True, state=ended)
        except Exception:
            pass
        shutil.rmtree(ledger_dir, ignore_errors=True)
    result = FleetRun(
        store.url if not store.local else str(store.root),
        specs,
        {k: v for k, v in fleet.summaries.items() if k in set(ids)},
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


def _start(fleet: _Fleet, todo: list[RunSpec]) -> None:
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


def _loop(fleet: _Fleet, deadline: float | None) -> bool:
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
                    _describe_exception(error)
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


def _recover_pool(fleet: _Fleet, broken: list[tuple[Any, RunSpec]]) -> None:
    """A run crashed its pool process: charge it, resubmit the others on a fresh pool."""
    pool = fleet.backend.owned_pool
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


def _follow_watched(fleet: _Fleet) -> None:
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


__all__ = ["STALE_S", "FleetRun", "FleetTimeout", "RunSpec", "execute_run", "run_fleet", "run_task"]
