"""Fleets of fits: persisted runs on any executor (local processes or Dask)."""

from bayes_widgets.core.fleet.runner import FleetRun, RunSpec, execute_run, run_fleet
from bayes_widgets.core.fleet.store import RunStore

__all__ = ["FleetRun", "RunSpec", "RunStore", "execute_run", "run_fleet"]
