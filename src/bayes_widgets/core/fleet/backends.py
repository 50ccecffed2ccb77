"""Where a fleet's runs execute: a local process pool, any ``concurrent.futures``
executor, or a Dask cluster, behind one small interface (:class:`Backend`).

    backend = make_backend(executor, store, chains_per_run=2, ledger_dir=tmp)
    future = backend.submit(task, spec, {"attempt": 0})
    result, error = backend.outcome(future)
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import time
from collections.abc import Iterable
from typing import Any

from bayes_widgets.core.fleet.ledger import HEARTBEAT_S, DaskLedger, Ledger, LocalLedger
from bayes_widgets.core.fleet.pool import LocalPool
from bayes_widgets.core.fleet.runs import RunSpec, Task
from bayes_widgets.core.fleet.store import RunStore
from bayes_widgets.core.fleet.worker import run_task


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


def is_dask_client(executor: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(executor, Client)


class Backend:
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


class ExecutorBackend(Backend):
    def __init__(self, executor: cf.Executor, ledger_dir: str):
        self.executor = executor
        self.ledger = LocalLedger(ledger_dir)

    def submit(self, task, spec, job):
        return self.executor.submit(run_task, task, spec, {**job, "ledger": self.ledger})


class PoolBackend(ExecutorBackend):
    def __init__(self, workers: int, ledger_dir: str):
        self.pool = LocalPool(workers)
        self.owned_pool = self.pool
        self.ledger = LocalLedger(ledger_dir)

    def submit(self, task, spec, job):
        return self.pool.submit(run_task, task, spec, {**job, "ledger": self.ledger})

    def close(self, cancel):
        self.pool.shutdown(cancel=cancel)


class DaskBackend(Backend):
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
            waited: Any = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return {f for f in futures if f.done()}
        return set(waited.done)

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


def _token(store: RunStore) -> str:
    return hashlib.sha1(f"{store.url}\n{store.epoch()}".encode()).hexdigest()[:16]


def make_backend(executor: Any, store: RunStore, chains_per_run: int, ledger_dir: str) -> Backend:
    """The backend for ``executor`` (None: a local pool sized for ``chains_per_run``)."""
    if executor is None:
        return PoolBackend(default_workers(chains_per_run), ledger_dir)
    if is_dask_client(executor):
        return DaskBackend(executor, _token(store))
    return ExecutorBackend(as_executor(executor, 1)[0], ledger_dir)


__all__ = [
    "Backend",
    "DaskBackend",
    "ExecutorBackend",
    "PoolBackend",
    "as_executor",
    "default_workers",
    "is_dask_client",
    "make_backend",
]
