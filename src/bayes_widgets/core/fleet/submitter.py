"""The submitter's side of a fleet: claims, heartbeats, recording, retries.

One :class:`Submitter` lives for one call of :func:`~bayes_widgets.core.fleet.runner.run_fleet`:
it claims each run it submits (``status.json`` with its PID, host and heartbeat), records
each result as it comes, and retries or marks "lost" the runs whose workers fail.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

from bayes_widgets.core.fleet.backends import Backend
from bayes_widgets.core.fleet.ledger import HEARTBEAT_S, process_alive, this_host
from bayes_widgets.core.fleet.live import ENDED, WAITING
from bayes_widgets.core.fleet.records import describe
from bayes_widgets.core.fleet.runs import Listener, RunSpec, Task
from bayes_widgets.core.fleet.store import RunStore
from bayes_widgets.core.fleet.worker import record_result

log = logging.getLogger("bayes_widgets.fleet")


def describe_exception(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) < 500 else text[:500] + "…"


class Submitter:
    """One call of :func:`run_fleet`: claims, heartbeats, recording, retries."""

    def __init__(
        self, store: RunStore, backend: Backend, task: Task, notify: Listener, retries: int
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
        summary = record_result(self.store, spec.run_id, result)
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
            self.lose(spec, f"the executor refused the run: {describe_exception(exc)}")
            return
        self.in_flight[future] = spec
        self.told.pop(spec.run_id, None)
        self.notify(spec.run_id, {"status": "queued"})


__all__ = ["Submitter", "describe_exception"]
