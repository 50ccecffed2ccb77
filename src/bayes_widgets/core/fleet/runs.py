"""What a fleet is made of: the spec of each run, and the state of a fleet once it ran.

specs = [RunSpec("holdout-4", {"horizon": 4}), RunSpec("holdout-8", {"horizon": 8})]
fleet = run_fleet(specs, task, out="runs/holdout")
fleet.done, fleet.failed, fleet.lost, fleet.table()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bayes_widgets.core.fleet.records import RESERVED, describe, read_metrics
from bayes_widgets.core.fleet.store import check_run_id

Task = Callable[[dict[str, Any], str], dict[str, Any]]
"""``task(params, run_dir) -> metrics``: one run (see :mod:`bayes_widgets.core.fleet.runner`)."""
Listener = Callable[[str, dict[str, Any]], None]
"""``on_update(run_id, info)``: hears each change of a run."""


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
        if "error" in table.columns and bool(table["error"].isna().all()):
            table = table.drop(columns="error")
        return table


__all__ = ["FleetRun", "FleetTimeout", "Listener", "RunSpec", "Task"]
