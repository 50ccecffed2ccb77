"""Fleets of fits: runs on any executor (local processes or a Dask cluster), recorded by
the submitting process in a run store at any fsspec URL."""

from bayes_widgets.core.fleet.ledger import current_run, report_progress
from bayes_widgets.core.fleet.records import MetricError
from bayes_widgets.core.fleet.runner import (
    FleetRun,
    FleetTimeout,
    RunSpec,
    execute_run,
    run_fleet,
    run_task,
)
from bayes_widgets.core.fleet.store import RunStore, StoreError

__all__ = [
    "FleetRun",
    "FleetTimeout",
    "MetricError",
    "RunSpec",
    "RunStore",
    "StoreError",
    "current_run",
    "execute_run",
    "report_progress",
    "run_fleet",
    "run_task",
]
