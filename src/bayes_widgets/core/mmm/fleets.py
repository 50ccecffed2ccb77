"""MMM fleets: production and holdout runs of one model, scored out of sample.

    result = holdout_fleet(model, horizons=[4, 8, 12], out="runs/holdout")
    result.summary()          # one row per run: metrics, diagnostics, status

Each run refits a fresh model on all but the last ``horizon`` weeks and scores those
weeks (and the training fit): MAPE, NRMSE, R², CRPS and interval coverage, with the
fit's divergences, max-tree-depth hits, R-hat and ESS. The production fleet is the
holdout fleet with the last 4 weeks held out.

Each run gets the model's data and configuration as values (``params["data"]``, a data
frame, and ``params["config"]``), so the fleets run on workers that do not share the
submitting machine's disk. ``out`` is a run store path or URL (see
:class:`~bayes_widgets.core.fleet.store.RunStore`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bayes_widgets.core.calibration.extension import NESTED
from bayes_widgets.core.checks import check_seed
from bayes_widgets.core.fleet.runner import FleetRun, RunSpec, run_fleet
from bayes_widgets.core.mmm.lift import check_lift_tests
from bayes_widgets.core.mmm.recovery import recovery_task, truth_task
from bayes_widgets.core.mmm.recovery_lift import ARM_WITH, ARM_WITHOUT
from bayes_widgets.core.mmm.recovery_plan import (
    RecoveryTask,
    plan_recovery,
    recovery_specs,
    run_id,
    task_settings,
)
from bayes_widgets.core.mmm.run_tasks import (
    forecast_task,
    holdout_task,
    media_summary,
    stability_task,
)
from bayes_widgets.core.mmm.validation import (
    MMMDataError,
    check_holdout,
    check_horizons,
    check_seeds,
    check_trims,
)

DEFAULT_FIT = {"draws": 500, "tune": 500, "chains": 2}


def submit(specs: list[RunSpec], task, fit: dict[str, Any], **options: Any) -> FleetRun:
    """Runs an MMM fleet's ``specs`` with ``task``, sizing the pool by the runs' chains
    (``options``: ``out``, ``executor``, ``on_update`` of :func:`run_fleet`)."""
    return run_fleet(specs, task, chains_per_run=int(fit.get("chains", 2)), **options)


@dataclass
class FleetResult:
    """A fleet's runs, as recorded in its directory."""

    kind: str
    run: FleetRun

    def summary(self) -> pd.DataFrame:
        return self.run.table()

    @property
    def out(self) -> str:
        return self.run.out


def run_inputs(model) -> dict[str, Any]:
    """What every run of the model gets: its data and configuration, as values."""
    return {"data": model.data.copy(), "config": model.config()}


def holdout_fleet(
    model,
    *,
    horizons: Sequence[int] = (4, 8, 12),
    out,
    fit: dict[str, Any] | None = None,
    executor: Any = None,
    on_update=None,
    kind: str = "holdout",
) -> FleetResult:
    """Refits on all but the last ``h`` weeks for each horizon and scores the held-out weeks."""
    horizons = check_horizons(
        horizons, len(model.data), field="holdout" if kind == "production" else "horizons"
    )
    common = run_inputs(model)
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [RunSpec(f"{kind}-h{h}", {"horizon": h, **common, "fit": fit}) for h in horizons]
    run = submit(specs, holdout_task, fit, out=out, executor=executor, on_update=on_update)
    return FleetResult(kind, run)


def production_fleet(model, *, out, holdout: int = 4, **kwargs) -> FleetResult:
    """Trains on all but the last ``holdout`` weeks (4) and scores them."""
    holdout = check_holdout(holdout, len(model.data))
    return holdout_fleet(model, horizons=[holdout], out=out, kind="production", **kwargs)


@dataclass
class RecoveryResult(FleetResult):
    plan: Any = None
    """The simulations' plan (:func:`.recovery_plan.plan_recovery`); None with ``runs=0``."""
    settings: dict[str, Any] | None = None
    """The calibration settings of the simulations' refits."""

    def summary(self) -> pd.DataFrame:
        """One row per run: the recovery's metrics (the calibration's ranks and the
        simulation's true values are read with :meth:`calibration`)."""
        table = self.run.table()
        hidden = [NESTED, "param_index", "param_truth", "param_carried"]
        return table.drop(columns=[c for c in hidden if c in table.columns])

    def lift_effect(self) -> pd.DataFrame:
        """Each channel's ROAS error and interval width (relative to the truth), without
        and with lift tests, averaged over the finished runs of each arm."""
        from bayes_widgets.core.mmm.metrics import lift_effect

        return lift_effect(self.summary())

    def calibration(self, arm: str = ARM_WITHOUT):
        """The recovery runs of ``arm`` (:data:`ARM_WITHOUT`, or :data:`ARM_WITH` for a
        fleet with lift tests) seen as a simulation-based calibration: a finished
        :class:`~bayes_widgets.core.calibration.Calibration` whose ``ranks()``,
        ``verdicts()``, ``simulations()`` and ``result()`` cover the recovered scalar
        parameters, and which a ``CalibrationBoard`` shows."""
        from bayes_widgets.core.calibration import Calibration

        if self.plan is None or self.settings is None:
            raise MMMDataError("runs", "this recovery fleet has no simulations (runs=0)")
        arms = {ARM_WITHOUT: ""}
        if any(s.run_id.endswith("-lift") for s in self.run.specs):
            arms[ARM_WITH] = "-lift"
        if arm not in arms:
            raise MMMDataError("arm", f"expected one of {list(arms)}, got {arm!r}")
        seed = int(self.settings["seed"])
        ids = [run_id(seed + i) + arms[arm] for i in range(len(self.plan.data))]
        records = [self.run.summaries.get(i) for i in ids]
        return Calibration.of_records(self.plan, self.settings, self.out, records)

    def ranks(self, arm: str = ARM_WITHOUT) -> dict[str, Any]:
        """Recovered scalar parameter → its true values' ranks (see :meth:`calibration`)."""
        return self.calibration(arm).ranks()

    def verdicts(self, arm: str = ARM_WITHOUT, prob: float = 0.95) -> dict[str, Any]:
        """Recovered scalar parameter → its calibration verdict (see :meth:`calibration`)."""
        return self.calibration(arm).verdicts(prob)


def recovery_fleet(
    model,
    *,
    runs: int = 5,
    out,
    fit: dict[str, Any] | None = None,
    seed: int = 0,
    truth: dict[str, float] | None = None,
    truth_roas: dict[str, float] | None = None,
    lift_tests: pd.DataFrame | Sequence[dict[str, Any]] | None = None,
    executor: Any = None,
    on_update=None,
) -> RecoveryResult:
    """``runs`` recoveries, each from its own prior draw (seeds ``seed``, ``seed+1``, ...).

    Each recovery is a simulation of the calibration machinery (see
    :mod:`.recovery_plan`): its truth and simulated target are a prior draw of the built
    model, its refit runs in the calibration worker, and besides the recovery's scores it
    ranks the recovered parameters' true values (:meth:`RecoveryResult.calibration`). A
    rerun on the same ``out`` does only the runs not recorded there.

    With ``truth`` (each channel's true share of the media contribution, as for simulated
    data such as :func:`bayes_widgets.datasets.mmm_example`), one more run fits the data
    as they are and scores the fitted shares against it (and each channel's ROAS against
    ``truth_roas``, target units per unit of spend, when given); ``runs`` may then be 0.

    With ``lift_tests`` (see :func:`~bayes_widgets.core.mmm.lift.check_lift_tests`) every
    run is made twice, without and with lift tests ("-lift" runs): the truth run with these
    tests, each recovery with tests at the same spend simulated from its true parameters
    (the rows' ``sigma / delta_y`` is the measurement's relative sd).
    :meth:`RecoveryResult.lift_effect` compares the two arms.
    """
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < (0 if truth else 1):
        raise MMMDataError("runs", f"must be a positive integer, got {runs!r}")
    seed = int(check_seed("seed", seed, allow_none=False, error=MMMDataError) or 0)
    if truth is not None:
        check_truth("truth", truth, model.channels, share=True)
    if truth_roas is not None:
        if truth is None:  # the ROAS is scored in the truth run
            raise MMMDataError("truth_roas", "needs truth (the true shares) too")
        check_truth("truth_roas", truth_roas, model.channels, share=False)
    lift = None if lift_tests is None else check_lift_tests(model, lift_tests)
    fit = {**DEFAULT_FIT, **(fit or {})}
    plan, settings, specs = None, None, []
    if runs:
        plan, settings = plan_recovery(model, runs=runs, seed=seed, fit=fit)
        specs = recovery_specs(plan, seed, fit)
    if truth is not None:
        specs.append(
            RunSpec(
                "recovery-truth",
                {
                    **run_inputs(model),
                    "truth_shares": {c: float(truth[c]) for c in model.channels},
                    "truth_roas": None
                    if truth_roas is None
                    else {c: float(truth_roas[c]) for c in model.channels},
                    "fit": {**fit, "seed": fit.get("seed", seed)},
                },
            )
        )
    if lift is not None:
        specs += [RunSpec(f"{s.run_id}-lift", {**s.params, "lift_tests": lift}) for s in specs]
    task = (
        RecoveryTask(b"", {})
        if plan is None or settings is None
        else RecoveryTask(plan.payload, task_settings(plan, settings))
    )
    run = submit(specs, task, fit, out=out, executor=executor, on_update=on_update)
    return RecoveryResult("recovery", run, plan, settings)


def check_truth(field: str, values, channels, *, share: bool) -> None:
    """True shares (``share``: numbers in [0, 1]) or true ROAS (numbers >= 0), one per
    channel, as the recovery fleet's ``truth`` and ``truth_roas`` take them."""
    if not isinstance(values, dict):
        raise MMMDataError(field, f"expected a dict by channel, got {type(values).__name__}")
    missing = [c for c in channels if c not in values]
    if missing:
        raise MMMDataError(field, f"no true value for channel(s) {', '.join(map(str, missing))}")
    bad = [
        c
        for c in channels
        if isinstance(values[c], bool)
        or not isinstance(values[c], int | float)
        or not (0 <= values[c] <= 1 if share else 0 <= values[c] < float("inf"))
    ]
    if bad:
        what = "shares must be numbers in [0, 1]" if share else "ROAS must be numbers >= 0"
        raise MMMDataError(field, f"{what}; check {', '.join(map(str, bad))}")


@dataclass
class StabilityResult(FleetResult):
    def spread(self) -> pd.DataFrame:
        """Across the finished runs: mean, sd and range of each channel's share and ROAS."""
        table = self.summary()
        table = table.loc[table["status"] == "done"]
        cols = [c for c in table.columns if c.startswith(("share_", "roas_"))]
        stats = table[cols].agg(["mean", "std", "min", "max"]).T
        stats["range"] = stats["max"] - stats["min"]
        return stats


def stability_fleet(
    model,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    trims: Sequence[int] = (0,),
    out,
    fit: dict[str, Any] | None = None,
    executor: Any = None,
    on_update=None,
) -> StabilityResult:
    """Refits for every seed × trim (weeks dropped from the start); see :meth:`spread`."""
    seeds = check_seeds(seeds)
    trims = check_trims(trims, len(model.data))
    common = run_inputs(model)
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [
        RunSpec(f"stability-s{s}-t{t}", {"trim": int(t), **common, "fit": {**fit, "seed": int(s)}})
        for s in seeds
        for t in trims
    ]
    run = submit(specs, stability_task, fit, out=out, executor=executor, on_update=on_update)
    return StabilityResult("stability", run)


def forecast_fleet(
    model,
    future_X: pd.DataFrame,
    *,
    out,
    fit: dict[str, Any] | None = None,
    executor: Any = None,
    on_update=None,
) -> FleetResult:
    """One run: fit on all rows, forecast ``future_X`` (dates after the data, spend and
    controls given); the forecast is in the run's ``forecast.csv``."""
    from bayes_widgets.core.mmm.validation import validate_mmm_data

    future = validate_mmm_data(
        future_X,
        date_column=model.date_column,
        target=None,
        channels=model.channels,
        controls=model.controls,
        min_train_rows=1,
    )
    if future[model.date_column].iloc[0] <= model.data[model.date_column].iloc[-1]:
        raise MMMDataError(
            model.date_column, "future dates must come after the last date of the data"
        )
    spec = RunSpec(
        "forecast",
        {**run_inputs(model), "future": future.copy(), "fit": {**DEFAULT_FIT, **(fit or {})}},
    )
    run = run_fleet([spec], forecast_task, out=out, executor=executor, on_update=on_update)
    return FleetResult("forecast", run)


__all__ = [
    "DEFAULT_FIT",
    "FleetResult",
    "RecoveryResult",
    "StabilityResult",
    "check_truth",
    "forecast_fleet",
    "forecast_task",
    "holdout_fleet",
    "holdout_task",
    "media_summary",
    "production_fleet",
    "recovery_fleet",
    "recovery_task",
    "run_inputs",
    "stability_fleet",
    "stability_task",
    "truth_task",
]
