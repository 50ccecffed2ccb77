"""A fleet's runs as a board shows them, read from the run store alone.

Each run is one of: queued, waiting (for workers), running (with its worker and
progress), done, failed, or lost. A run is lost when its summary says so (its workers
kept failing), when the worker running it went silent (its heartbeat is older than
``STALE_S``, or its PID is gone on this host), or when the process that submitted it is
gone. A lost run is run again by a plain rerun of the fleet.
"""

from __future__ import annotations

import math
import time
from typing import Any

from bayes_widgets.core.fleet.ledger import STALE_S, process_alive
from bayes_widgets.core.fleet.records import read_metrics
from bayes_widgets.core.fleet.store import FINAL, RunStore

WAITING = "waiting for workers"
ENDED = ("finished", "timed out", "stopped")


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if value is None or isinstance(value, bool | int | float | str) else None


def _who(record: dict[str, Any] | None) -> str:
    record = record or {}
    return f"{record.get('pid', '?')}@{record.get('host', '?')}"


def _ago(record: dict[str, Any] | None, now: float) -> str:
    beat = (record or {}).get("heartbeat")
    return f"{now - beat:.0f} s ago" if isinstance(beat, int | float) else "never"


def _from_summary(run_id: str, summary: dict[str, Any]) -> dict[str, Any]:
    seconds = summary.get("seconds")
    error = summary.get("error")
    row = {
        "run_id": run_id,
        "status": str(summary.get("status") or "unreadable"),
        "seconds": seconds if isinstance(seconds, int | float) and math.isfinite(seconds) else None,
        "error": error if isinstance(error, str) else (None if error is None else str(error)),
        "metrics": {str(k): _scalar(v) for k, v in read_metrics(summary).items()},
    }
    notes = summary.get("notes")
    if isinstance(notes, list) and notes:
        row["note"] = "; ".join(str(n) for n in notes)
    worker = summary.get("worker")
    if row["status"] == "lost" and isinstance(worker, dict):
        row["worker"] = _who(worker)
    return row


def _from_claim(
    run_id: str,
    claim: dict[str, Any],
    owners: dict[str, dict[str, Any]],
    now: float,
    stale_s: float,
) -> dict[str, Any]:
    owner = owners.get(str(claim.get("owner")))
    row: dict[str, Any] = {"run_id": run_id, "metrics": {}}
    if owner is None or owner.get("state") in ENDED or not process_alive(owner, now, stale_s):
        who = _who(owner or claim)
        row.update(
            status="lost",
            error=f"its submitter {who} is gone (last heard {_ago(owner, now)}); "
            "a rerun runs it again",
        )
        return row
    state = claim.get("state")
    worker = claim.get("worker") if isinstance(claim.get("worker"), dict) else None
    if state == "running" and worker is not None:
        row["worker"] = _who(worker)
        if process_alive(worker, now, stale_s):
            fraction = claim.get("fraction")
            row.update(
                status="running", fraction=fraction if isinstance(fraction, int | float) else None
            )
        else:
            row.update(
                status="lost",
                error=f"its worker {_who(worker)} is gone (heartbeat {_ago(worker, now)})",
            )
        return row
    if state == "waiting" or owner.get("state") == WAITING:
        row.update(status="waiting", note=WAITING)
        return row
    row["status"] = "queued"
    return row


def fleet_rows(
    store: RunStore,
    queued: set[str] | frozenset[str] = frozenset(),
    *,
    now: float | None = None,
    stale_s: float = STALE_S,
) -> tuple[list[dict[str, Any]], str]:
    """``(rows, state)``: one row per run (run_id, status, seconds, error, metrics,
    fraction, worker, note) and the fleet's state ("waiting for workers", "running", or "")."""
    now = time.time() if now is None else now
    owners = store.owners()
    rows = []
    for run_id in sorted(set(store.run_ids()) | set(queued)):
        summary = store.summary(run_id)
        if summary is not None and summary.get("status") in FINAL:
            rows.append(_from_summary(run_id, summary))
            continue
        claim = store.status(run_id)
        if claim is not None and "owner" in claim:
            rows.append(_from_claim(run_id, claim, owners, now, stale_s))
        elif claim is not None:  # a bare progress record
            fraction = claim.get("fraction")
            rows.append(
                {
                    "run_id": run_id,
                    "status": "running",
                    "metrics": {},
                    "fraction": fraction if isinstance(fraction, int | float) else None,
                }
            )
        elif summary is not None:  # lost, or unreadable
            rows.append(_from_summary(run_id, summary))
        elif run_id in queued:
            rows.append({"run_id": run_id, "status": "queued", "metrics": {}})
    live = [
        o for o in owners.values() if o.get("state") not in ENDED and process_alive(o, now, stale_s)
    ]
    state = WAITING if any(o.get("state") == WAITING for o in live) else ("running" if live else "")
    return rows, state
