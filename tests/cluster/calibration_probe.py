"""What the cluster calibration tests share with their Dask workers and with the
submitting processes they start (importable everywhere: the workers run with the
repository on their path).

:class:`CountSimulations` is a Dask worker plugin: on every worker, the ones that join
later included, it wraps the calibration worker's task so that each simulation logs its
start and its end (index and PID) to a side channel outside the client's directory, and
waits ``pause`` seconds between the two, so that a test can kill a worker while it holds
a simulation.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

N_OBS = 8


def linear_normal():
    """A straight line with known noise and Normal priors (its posterior is Normal),
    written as the PyMC docs teach: the covariate in ``pm.Data``, named dims, a
    deterministic."""
    import numpy as np
    import pymc as pm

    with pm.Model(coords={"obs": np.arange(N_OBS)}) as model:
        x = pm.Data("x", np.linspace(-1.0, 1.0, N_OBS), dims="obs")
        intercept = pm.Normal("intercept", mu=0.0, sigma=1.0)
        slope = pm.Normal("slope", mu=0.0, sigma=1.0)
        mean = pm.Deterministic("mean", intercept + slope * x, dims="obs")
        pm.Normal("y", mu=mean, sigma=1.0, observed=np.zeros(N_OBS), dims="obs")
    return model


SETTINGS = {"backend": "pymc", "draws": 100, "tune": 100, "chains": 2, "seed": 3}
"""The calibrations' settings (the tests and the submitting subprocess use the same)."""


class CountSimulations(WorkerPlugin):
    """Logs ``start <index> <pid>`` and ``end <index> <pid>`` around each simulation."""

    def __init__(self, log: str, pause: float = 0.0, name: str = "bw-count-simulations"):
        self.log = log
        self.pause = pause
        self.name = name

    def setup(self, worker) -> None:
        from bayes_widgets.core.calibration import worker as calibration_worker

        task = calibration_worker.SimulationTask
        original = task.__dict__.get("_bw_original", task.__call__)
        log, pause = Path(self.log), self.pause

        def counted(self, params, run_dir):
            with log.open("a") as f:
                f.write(f"start {params['index']} {os.getpid()}\n")
            time.sleep(pause)
            metrics = original(self, params, run_dir)
            with log.open("a") as f:
                f.write(f"end {params['index']} {os.getpid()}\n")
            return metrics

        task._bw_original = original  # pyright: ignore[reportAttributeAccessIssue]
        task.__call__ = counted

    def teardown(self, worker) -> None:
        from bayes_widgets.core.calibration import worker as calibration_worker

        task = calibration_worker.SimulationTask
        original = task.__dict__.get("_bw_original")
        if original is not None:
            task.__call__ = original


def executions(log: str | os.PathLike[str]) -> dict[str, dict[int, list[int]]]:
    """``{"start": {index: [pid, ...]}, "end": {index: [pid, ...]}}`` from the side channel."""
    out: dict[str, dict[int, list[int]]] = {"start": {}, "end": {}}
    if Path(log).exists():
        for line in Path(log).read_text().splitlines():
            what, index, pid = line.split()
            out[what].setdefault(int(index), []).append(int(pid))
    return out
