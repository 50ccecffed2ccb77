"""What a calibration knows of its simulations, and the tables and verdicts made from it."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.extension import calibration_metrics
from bayes_widgets.core.calibration.ranks import max_rank_for
from bayes_widgets.core.calibration.simulate import CalibrationError, Plan
from bayes_widgets.core.calibration.verdicts import (
    Verdict,
    VsbcVerdict,
    rank_verdict,
    vsbc_verdict,
)

TABLE_COLUMNS = (
    "index",
    "status",
    "wall_s",
    "divergences",
    "rhat_max",
    "ess_bulk_min",
    "error",
)
DIAGNOSTICS = ("wall_s", "divergences", "rhat_max", "ess_bulk_min", "thin", "kept_draws")


class Summaries:
    """The simulations' records (status, metrics) and everything read from them."""

    def __init__(self, plan: Plan, settings: dict[str, Any], out: str):
        self.plan = plan
        self.settings = dict(settings)
        self.out = out
        self.count = len(plan.data)
        self.parameters: list[str] = list(plan.parameters)
        self.max_rank: int = max_rank_for(
            1 if settings["method"] == "svi" else settings["chains"],
            settings["draws"],
            settings["thin"],
        )
        self._lock = threading.RLock()
        self._status: list[str] = ["queued"] * self.count
        self._records: dict[int, dict[str, Any]] = {}

    def task_settings(self) -> dict[str, Any]:
        return {
            **self.settings,
            "params": self.parameters,
            "observed": list(self.plan.observed),
        }

    # -- records -------------------------------------------------------------------------------
    def set_status(self, index: int, status: str) -> None:
        with self._lock:
            if self._status[index] not in ("done", "failed"):
                self._status[index] = status

    def record(self, index: int, summary: dict[str, Any]) -> None:
        status = "done" if summary.get("status") == "done" else "failed"
        with self._lock:
            self._status[index] = status
            self._records[index] = summary

    def _metrics(self, index: int) -> dict[str, Any]:
        record = self._records.get(index) or {}
        return calibration_metrics(record.get("metrics"))

    def _finished(self) -> list[int]:
        with self._lock:
            return [i for i in range(self.count) if self._status[i] == "done"]

    # -- reading -------------------------------------------------------------------------------
    def ranks(self) -> dict[str, np.ndarray]:
        """Parameter name → ranks (ints in ``0..max_rank``) of the finished simulations, in
        simulation order."""
        done = self._finished()
        table = np.array([self._metrics(i)["ranks"] for i in done], dtype=int).reshape(
            len(done), len(self.parameters)
        )
        return {name: table[:, j].copy() for j, name in enumerate(self.parameters)}

    def simulations(self):
        """One row per simulation: index, status (queued, running, done, failed), wall_s,
        divergences, rhat_max, ess_bulk_min, error."""
        import pandas as pd

        rows = []
        with self._lock:
            for i in range(self.count):
                m = self._metrics(i)
                record = self._records.get(i) or {}
                rows.append(
                    {
                        "index": i,
                        "status": self._status[i],
                        "wall_s": m.get("wall_s", record.get("seconds")),
                        "divergences": m.get("divergences"),
                        "rhat_max": m.get("rhat_max"),
                        "ess_bulk_min": m.get("ess_bulk_min"),
                        "error": record.get("error"),
                    }
                )
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS)).set_index("index", drop=False)

    def verdicts(self, prob: float = 0.95) -> dict[str, Verdict]:
        """Parameter name → :class:`~bayes_widgets.core.calibration.verdicts.Verdict` (a
        uniformity test of its ranks and the direction of a miss)."""
        from bayes_widgets.core.checks import check_probability

        prob = check_probability("prob", prob, error=CalibrationError)
        return {
            name: rank_verdict(ranks, self.max_rank, prob) for name, ranks in self.ranks().items()
        }

    def vsbc(self, prob: float = 0.95) -> dict[str, VsbcVerdict]:
        """SVI only: parameter name → VSBC statistic, p-value and verdict (the symmetry of
        the true value's position within the approximate posterior)."""
        from bayes_widgets.core.checks import check_probability

        if self.settings["method"] != "svi":
            raise CalibrationError("method", "VSBC is for SVI fits (method='svi')")
        prob = check_probability("prob", prob, error=CalibrationError)
        done = self._finished()
        p = np.array([self._metrics(i)["vsbc_p"] for i in done], dtype=float).reshape(
            len(done), len(self.parameters)
        )
        return {name: vsbc_verdict(p[:, j], prob) for j, name in enumerate(self.parameters)}

    def diagnostics(self, index: int) -> dict[str, Any]:
        """A simulation's fit diagnostics (a dict a board can show): its status, cost,
        sampler statistics and, per parameter, true value, rank, posterior mean and sd,
        R-hat and bulk ESS; the error of a failed simulation."""
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise CalibrationError("index", f"must be a simulation's number, got {index!r}")
        if not 0 <= index < self.count:
            raise CalibrationError("index", f"must be in 0..{self.count - 1}, got {index}")
        with self._lock:
            status = self._status[index]
            record = dict(self._records.get(index) or {})
        if status not in ("done", "failed"):
            raise CalibrationError("index", f"simulation {index} has not finished ({status})")
        out: dict[str, Any] = {"index": int(index), "status": status}
        if status == "failed":
            out.update(error=record.get("error"), traceback=record.get("traceback"))
            return out
        m = self._metrics(index)
        keep = ("wall_s", "compile_s", "fit_s", "divergences", "rhat_max", "ess_bulk_min")
        keep += ("ess_min", "step_size", "tree_depth_max", "thin", "kept_draws", "loss")
        out.update({k: m.get(k) for k in keep if k in m})
        columns = ("truth", "ranks", "posterior_mean", "posterior_sd", "rhat", "ess_bulk")
        columns += ("vsbc_p",)
        out["parameters"] = [
            {
                "name": name,
                **{
                    ("rank" if c == "ranks" else c): (m.get(c) or [None] * len(self.parameters))[j]
                    for c in columns
                    if c in m
                },
            }
            for j, name in enumerate(self.parameters)
        ]
        return out

    def result(self):
        """The calibration as an ``xr.DataTree``: ``ranks`` (simulation, parameter) of the
        finished simulations, ``truth`` of every simulation, and ``diagnostics`` per
        simulation (status, wall_s, divergences, rhat_max, ess_bulk_min, thin,
        kept_draws); ``vsbc`` probabilities for SVI; the settings as attributes."""
        import xarray as xr

        done = self._finished()
        ranks = self.ranks()
        coords = {"parameter": self.parameters}
        tree: dict[str, Any] = {
            "/": xr.Dataset(attrs=self._attrs()),
            "ranks": xr.Dataset(
                {
                    "ranks": (
                        ("simulation", "parameter"),
                        _columns(ranks, self.parameters, len(done)),
                    )
                },
                coords={**coords, "simulation": done},
            ),
            "truth": xr.Dataset(
                {"truth": (("simulation", "parameter"), self.plan.truth)},
                coords={**coords, "simulation": np.arange(self.count)},
            ),
            "diagnostics": self._diagnostics_dataset(),
        }
        if self.settings["method"] == "svi":
            p = [self._metrics(i)["vsbc_p"] for i in done]
            tree["vsbc"] = xr.Dataset(
                {
                    "p": (
                        ("simulation", "parameter"),
                        np.array(p, dtype=float).reshape(len(done), -1),
                    )
                },
                coords={**coords, "simulation": done},
            )
        return xr.DataTree.from_dict(tree)

    def _attrs(self) -> dict[str, Any]:
        s = self.settings
        attrs = {k: s[k] for k in ("backend", "method", "draws", "tune", "chains", "seed")}
        attrs.update(
            thin="ess" if s["thin"] is None else int(s["thin"]),
            max_rank=self.max_rank,
            simulations=self.count,
            observed=list(self.plan.observed),
            out=str(self.out),
        )
        return attrs

    def _diagnostics_dataset(self):
        import xarray as xr

        table = {name: np.full(self.count, np.nan) for name in DIAGNOSTICS}
        with self._lock:
            status = np.array(self._status, dtype=object).astype(str)
            for i in range(self.count):
                m = self._metrics(i)
                for name in DIAGNOSTICS:
                    value = m.get(name)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        table[name][i] = value
        data = {name: ("simulation", v) for name, v in table.items()}
        data["status"] = ("simulation", status)
        return xr.Dataset(data, coords={"simulation": np.arange(self.count)})


def _columns(ranks: dict[str, np.ndarray], names: list[str], n: int) -> np.ndarray:
    if not names:
        return np.zeros((n, 0), dtype=int)
    return np.stack([ranks[name] for name in names], axis=1).reshape(n, len(names))


__all__ = ["Summaries"]
