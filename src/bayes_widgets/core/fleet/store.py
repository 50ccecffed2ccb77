"""Run directories: each run of a fleet persists as soon as it ends.

    <out>/<run_id>/summary.json   status ("done" or "failed"), metrics, timings, error
    <out>/<run_id>/...            whatever the task writes next to it (e.g. fit.nc)

``summary.json`` is written atomically (a temporary file renamed into place), so a run
is either recorded whole or not at all: killing the process mid-fleet loses at most
the runs that were in flight, and a rerun skips every run with a summary.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

SUMMARY = "summary.json"
STATUS = "status.json"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")


def check_run_id(run_id: str) -> str:
    """Run ids become directory names: letters, digits and ``._=-`` only."""
    if not isinstance(run_id, str) or not _SAFE.match(run_id) or run_id in (".", ".."):
        raise ValueError(f"run_id: {run_id!r} must be letters, digits and . _ = - (it names a directory)")
    return run_id


class RunStore:
    """The directory of one fleet's runs."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def run_dir(self, run_id: str) -> Path:
        path = self.root / check_run_id(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def summary(self, run_id: str) -> dict[str, Any] | None:
        path = self.root / check_run_id(run_id) / SUMMARY
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def finished(self, run_id: str) -> bool:
        """True when the run has a summary (done, or failed: failures are not retried
        unless asked)."""
        return self.summary(run_id) is not None

    def write_summary(self, run_id: str, summary: dict[str, Any]) -> Path:
        directory = self.run_dir(run_id)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".summary-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(summary, f, indent=2, default=_jsonable)
        target = directory / SUMMARY
        os.replace(tmp, target)
        return target

    def write_status(self, run_id: str, status: dict[str, Any]) -> None:
        """A running run's latest state (``status.json``: started, progress), for boards."""
        self._write_json(self.run_dir(run_id) / STATUS, status)

    def status(self, run_id: str) -> dict[str, Any] | None:
        path = self.root / check_run_id(run_id) / STATUS
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def run_ids(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _SAFE.match(p.name))

    def _write_json(self, target: Path, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, default=_jsonable)
        os.replace(tmp, target)

    def forget(self, run_id: str) -> None:
        """Drops a run's summary so the next run of the fleet does it again."""
        path = self.root / check_run_id(run_id) / SUMMARY
        path.unlink(missing_ok=True)

    def summaries(self) -> dict[str, dict[str, Any]]:
        out = {}
        for path in sorted(self.root.glob(f"*/{SUMMARY}")):
            out[path.parent.name] = json.loads(path.read_text())
        return out


def _jsonable(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
