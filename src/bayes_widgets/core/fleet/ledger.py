"""What a run reports while it executes, away from the run store.

Workers need not reach the run store, so an executing run reports through a ledger that
its executor provides:

- its lease: the worker's PID, host and address, a heartbeat every ``HEARTBEAT_S``
  seconds, the attempt, and the progress the task reports (:func:`report_progress`);
- on a Dask cluster, also its result, kept on the scheduler until the submitter has
  recorded it. A run whose result is in the ledger is never executed again: when Dask
  recomputes a finished run (its worker died before the result was fetched) or a rerun
  submits a run that an earlier, killed submitter left running, the execution returns
  the recorded result, or waits for the execution that holds the lease.

The submitting process reads the leases and mirrors them into the run store's claims
(``status.json``), which boards read.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

HEARTBEAT_S = 1.0
"""Seconds between an executing run's heartbeats (and between the submitter's)."""
STALE_S = 10.0
"""A heartbeat older than this means the process that wrote it is gone."""
NAMESPACE = "bayes-widgets-fleet"


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: Any) -> bool:
    """Whether a process with this PID exists on this host (zombies count as gone)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def process_alive(
    record: dict[str, Any] | None, now: float | None = None, stale_s: float = STALE_S
) -> bool:
    """Whether the process a record names (pid, host, heartbeat) still runs: a fresh
    heartbeat, and on this host a live PID."""
    if not isinstance(record, dict):
        return False
    beat = record.get("heartbeat")
    if not isinstance(beat, int | float) or (now or time.time()) - beat > stale_s:
        return False
    if record.get("host") == this_host():
        return pid_alive(record.get("pid"))
    return True


class Ledger:
    """Leases (and, where the executor keeps them, results) of a fleet's executions."""

    keeps_results = False

    def put_lease(self, run_id: str, lease: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def leases(self) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def lease(self, run_id: str) -> dict[str, Any] | None:
        return self.leases().get(run_id)

    def put_result(self, run_id: str, result: dict[str, Any] | None) -> None:
        """Keeps a result until the submitter records it (no-op where results are not kept)."""

    def result(self, run_id: str) -> dict[str, Any] | None:
        return None

    def results(self) -> dict[str, dict[str, Any]]:
        return {}

    def worker_alive(self, lease: dict[str, Any]) -> bool:
        return process_alive(lease)


class LocalLedger(Ledger):
    """Leases as files in a local directory (processes or threads on the submitter's host)."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = str(directory)

    def put_lease(self, run_id, lease):
        path = Path(self.directory, f"{run_id}.lease.json")
        if lease is None:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_name(f".{run_id}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(lease, default=str))
        os.replace(tmp, path)

    def leases(self):
        out = {}
        for path in Path(self.directory).glob("*.lease.json"):
            try:
                out[path.name.removesuffix(".lease.json")] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
        return out


class DaskLedger(Ledger):
    """Leases and results on the Dask scheduler (they outlive workers and submitters)."""

    keeps_results = True

    def __init__(self, token: str, client: Any = None):
        self.token = token
        self._client = client

    def __getstate__(self):
        return {"token": self.token, "_client": None}

    @property
    def client(self):
        if self._client is None:
            from distributed import get_worker

            self._client = get_worker().client
        return self._client

    def _key(self, *parts: str) -> list[str]:
        return [NAMESPACE, self.token, *parts]

    def put_lease(self, run_id, lease):
        self.client.set_metadata(self._key("lease", run_id), lease)

    def leases(self):
        found: Any = self.client.get_metadata(self._key("lease"), default=None) or {}
        return {k: v for k, v in found.items() if isinstance(v, dict)}

    def put_result(self, run_id, result):
        self.client.set_metadata(self._key("result", run_id), result)

    def result(self, run_id):
        found = self.client.get_metadata(self._key("result", run_id), default=None)
        return found if isinstance(found, dict) else None

    def results(self):
        found: Any = self.client.get_metadata(self._key("result"), default=None) or {}
        return {k: v for k, v in found.items() if isinstance(v, dict)}

    def worker_alive(self, lease):
        if not process_alive(lease):
            return False
        address = lease.get("address")
        if not address:
            return True
        try:
            return address in self.client.scheduler_info().get("workers", {})
        except Exception:  # the scheduler cannot say: trust the heartbeat
            return True


class RunContext:
    """The execution of one run in a worker: its lease, heartbeat and progress."""

    def __init__(
        self,
        run_id: str,
        exec_id: str,
        attempt: int,
        ledger: Ledger | None,
        address: str | None = None,
    ):
        self.run_id = run_id
        self.ledger = ledger
        now = time.time()
        self.lease: dict[str, Any] = {
            "exec": exec_id,
            "pid": os.getpid(),
            "host": this_host(),
            "address": address,
            "started": now,
            "heartbeat": now,
            "attempt": attempt,
        }
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last_push = 0.0
        self._thread: threading.Thread | None = None

    def _push(self) -> None:
        if self.ledger is None:
            return
        with self._lock:
            self.lease["heartbeat"] = time.time()
            lease = dict(self.lease)
            self._last_push = time.monotonic()
        try:
            self.ledger.put_lease(self.run_id, lease)
        except Exception:  # a lost heartbeat only makes the run look stale
            pass

    def start(self) -> RunContext:
        self._push()
        self._thread = threading.Thread(
            target=self._beat, name=f"bw-heartbeat-{self.run_id}", daemon=True
        )
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self._push()

    def stop(self) -> None:
        self._stop.set()

    def progress(self, fraction: float | None = None, **info: Any) -> None:
        """Records the run's progress (``fraction`` in [0, 1], any JSON details)."""
        with self._lock:
            if fraction is not None:
                self.lease["fraction"] = max(0.0, min(1.0, float(fraction)))
            if info:
                self.lease["progress"] = {**self.lease.get("progress", {}), **info}
            due = time.monotonic() - self._last_push > 0.5
        if due:
            self._push()


_current = threading.local()


def current_run() -> RunContext | None:
    """The run executing in this thread (None outside a fleet's task)."""
    return getattr(_current, "context", None)


def set_current(context: RunContext | None) -> None:
    _current.context = context


def report_progress(fraction: float | None = None, **info: Any) -> None:
    """Called by a task: records its progress for the fleet's board (no-op outside a fleet)."""
    context = current_run()
    if context is not None:
        context.progress(fraction, **info)
