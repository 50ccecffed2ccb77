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
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.fleet.runner import FleetRun, RunSpec, run_fleet
from bayes_widgets.core.mmm.validation import (
    MMMDataError,
    check_holdout,
    check_horizons,
    check_seeds,
    check_trims,
)

DEFAULT_FIT = {"draws": 500, "tune": 500, "chains": 2}


def _reporter(run_dir: str):
    """Reports a run's sampling progress to the fleet (its board shows it); captured in the
    task's thread, called from the sampler's."""
    from bayes_widgets.core.fleet.ledger import current_run

    context = current_run()

    def report(fraction: float, done: int, total: int) -> None:
        if context is not None:
            context.progress(fraction, draws_done=int(done), total=int(total))

    return report


def _data(params: dict[str, Any]) -> pd.DataFrame:
    """The run's data: a data frame sent with the run."""
    data = params.get("data")
    if not isinstance(data, pd.DataFrame):
        raise MMMDataError(
            "data", f"each run needs the data as a DataFrame, got {type(data).__name__}"
        )
    return data.copy()


def holdout_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One holdout run (executed in a worker)."""
    from bayes_widgets.core.mmm.metrics import score
    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(_data(params), **params["config"])
    horizon = int(params["horizon"])
    n = len(model.data)
    train, test = slice(0, n - horizon), slice(n - horizon, n)
    result = model.fit(rows=train, progress=_reporter(run_dir), **params.get("fit", {}))
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    seed = params.get("fit", {}).get("seed")
    train_draws = model.predictive_draws(model.X(train), after_training=False, seed=seed)
    test_draws = model.predictive_draws(model.X(test), after_training=True, seed=seed)
    y = model.y()
    d = result.diagnostics
    metrics: dict[str, Any] = {
        "horizon": horizon,
        "train_rows": n - horizon,
        "divergences": d.divergences,
        "max_treedepth_hits": d.max_treedepth_hits,
        "rhat_max": d.rhat_max,
        "ess_bulk_min": d.ess_bulk_min,
        "ess_tail_min": d.ess_tail_min,
        "fit_seconds": d.wall_time_s,
        "backend": model.backend,
    }
    metrics.update({f"train_{k}": v for k, v in score(y.iloc[train], train_draws).items()})
    metrics.update({f"test_{k}": v for k, v in score(y.iloc[test], test_draws).items()})
    _write_predictions(Path(run_dir), model, y, train_draws, test_draws, horizon)
    _write_contributions(run_dir, model)
    return metrics


def _write_predictions(run_dir: Path, model, y, train_draws, test_draws, horizon) -> None:
    import numpy as np

    draws = np.concatenate([train_draws, test_draws], axis=1)
    lo, q25, med, q75, hi = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    pd.DataFrame(
        {
            "date": model.data[model.date_column].to_numpy(),
            "actual": y.to_numpy(),
            "q05": lo,
            "q25": q25,
            "median": med,
            "q75": q75,
            "q95": hi,
            "split": ["train"] * (len(y) - horizon) + ["test"] * horizon,
        }
    ).to_csv(run_dir / "predictions.csv", index=False)


def _contribution_draws(model):
    """The fitted channel contributions (scaled units) as (chain, draw, date, channel)."""
    return model.mmm.idata["posterior"]["channel_contribution"].transpose(
        "chain", "draw", "date", "channel"
    )


def _write_contributions(run_dir: str | Path, model) -> None:
    """Each channel's contribution per week (posterior mean, original units) of a fitted run."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    da = _contribution_draws(model)
    mean = np.asarray(da.values, dtype=float).mean(axis=(0, 1)) * target_scale(model.mmm)
    table = pd.DataFrame(mean, columns=[str(c) for c in da["channel"].values])
    table.insert(0, "date", pd.to_datetime(da["date"].values))
    table.to_csv(Path(run_dir) / "contributions.csv", index=False)


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


def _prepare(model) -> dict[str, Any]:
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
    common = _prepare(model)
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [RunSpec(f"{kind}-h{h}", {"horizon": h, **common, "fit": fit}) for h in horizons]
    run = run_fleet(
        specs,
        holdout_task,
        out=out,
        executor=executor,
        chains_per_run=int(fit.get("chains", 2)),
        on_update=on_update,
    )
    return FleetResult(kind, run)


def production_fleet(model, *, out, holdout: int = 4, **kwargs) -> FleetResult:
    """Trains on all but the last ``holdout`` weeks (4) and scores them."""
    holdout = check_holdout(holdout, len(model.data))
    return holdout_fleet(model, horizons=[holdout], out=out, kind="production", **kwargs)


# parameters measured in units of the scaled target: the refit divides by a new scale
_TARGET_SCALED = (
    "saturation_beta",
    "intercept_contribution",
    "gamma_control",
    "gamma_fourier",
    "y_sigma",
)
_RECOVERED = (
    "adstock_alpha",
    "saturation_lam",
    "saturation_beta",
    "intercept_contribution",
    "y_sigma",
)


def recovery_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One recovery run: parameters drawn from the prior on the real spend, y simulated,
    a fresh model refitted on it, and each parameter scored against its true value."""
    import numpy as np
    import pymc as pm

    from bayes_widgets.core.mmm.fitting import target_scale
    from bayes_widgets.core.mmm.model import MMMModel

    data = _data(params)
    config = params["config"]
    base = MMMModel(data, **config)
    mmm = base.build()
    s0 = target_scale(mmm)
    with mmm.model:
        prior = pm.sample_prior_predictive(draws=1, random_seed=int(params["seed"]))
    truth = {
        k: np.asarray(v.values)[0, 0] for k, v in prior["prior"].to_dataset().data_vars.items()
    }
    y_sim = np.asarray(prior["prior_predictive"]["y"].values)[0, 0] * s0
    simulated = data.copy()
    simulated[config["target"]] = y_sim
    refit = MMMModel(simulated, **config)
    result = refit.fit(progress=_reporter(run_dir), **params.get("fit", {}))
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    s1 = target_scale(refit.mmm)
    _write_contributions(run_dir, refit)
    posterior = refit.mmm.idata["posterior"].to_dataset()
    metrics: dict[str, Any] = {
        "seed": int(params["seed"]),
        "target_scale_ratio": s0 / s1,
        "rhat_max": result.diagnostics.rhat_max,
        "divergences": result.diagnostics.divergences,
    }
    rows = []
    for name in _RECOVERED:
        if name not in posterior:
            continue
        true = np.atleast_1d(truth[name]) * (s0 / s1 if name in _TARGET_SCALED else 1.0)
        draws = np.asarray(posterior[name].values, dtype=float)
        flat = draws.reshape(draws.shape[0] * draws.shape[1], -1)
        lo, hi = np.quantile(flat, [0.03, 0.97], axis=0)
        mean = flat.mean(axis=0)
        for j in range(flat.shape[1]):
            rows.append(
                {
                    "parameter": name if flat.shape[1] == 1 else f"{name}[{j}]",
                    "true": float(true[j]),
                    "mean": float(mean[j]),
                    "low": float(lo[j]),
                    "high": float(hi[j]),
                }
            )
    table = _write_recovery_table(run_dir, rows)
    metrics["coverage"] = float(table["covered"].mean())
    metrics["median_relative_error"] = float(table["relative_error"].median())
    true_share = _shares(truth["channel_contribution"])
    fit_share = _shares(np.asarray(posterior["channel_contribution"].values).mean(axis=(0, 1)))
    metrics["share_error_max"] = float(np.max(np.abs(true_share - fit_share)))
    for channel, t, f in zip(config["channels"], true_share, fit_share, strict=True):
        metrics[f"share_true_{channel}"] = float(t)
        metrics[f"share_fit_{channel}"] = float(f)
    return metrics


def _write_recovery_table(run_dir: str | Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """True vs fitted (mean and 94 % interval) per quantity, with coverage and relative error."""
    table = pd.DataFrame(rows)
    table["covered"] = (table["true"] >= table["low"]) & (table["true"] <= table["high"])
    table["relative_error"] = (table["mean"] - table["true"]).abs() / table["true"].abs()
    table.to_csv(Path(run_dir) / "recovery.csv", index=False)
    return table


def _shares(contribution):
    """Each channel's share of the total media contribution: (date, channel) -> (channel,)."""
    import numpy as np

    totals = np.asarray(contribution, dtype=float).sum(axis=0)
    return totals / totals.sum()


def truth_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """A recovery run on data with a known truth (e.g. a simulation's true contribution
    shares): the model is fitted to the data as they are and each channel's share of the
    media contribution is scored against the true share, with its 94 % interval."""
    import numpy as np

    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(_data(params), **params["config"])
    result = model.fit(progress=_reporter(run_dir), **params.get("fit", {}))
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    contribution = np.asarray(_contribution_draws(model).values, dtype=float)
    per_draw = contribution.sum(axis=2).reshape(-1, contribution.shape[-1])
    shares = per_draw / per_draw.sum(axis=1, keepdims=True)
    lo, hi = np.quantile(shares, [0.03, 0.97], axis=0)
    truth = params["truth_shares"]
    rows = [
        {
            "parameter": f"share {c}",
            "true": float(truth[c]),
            "mean": float(shares[:, j].mean()),
            "low": float(lo[j]),
            "high": float(hi[j]),
        }
        for j, c in enumerate(model.channels)
    ]
    table = _write_recovery_table(run_dir, rows)
    _write_contributions(run_dir, model)
    d = result.diagnostics
    metrics: dict[str, Any] = {
        "seed": params.get("fit", {}).get("seed"),
        "coverage": float(table["covered"].mean()),
        "share_error_max": float((table["mean"] - table["true"]).abs().max()),
        "rhat_max": d.rhat_max,
        "ess_bulk_min": d.ess_bulk_min,
        "divergences": d.divergences,
    }
    for row in rows:
        channel = row["parameter"].removeprefix("share ")
        metrics[f"share_true_{channel}"] = row["true"]
        metrics[f"share_fit_{channel}"] = row["mean"]
    return metrics


def recovery_fleet(
    model,
    *,
    runs: int = 5,
    out,
    fit: dict[str, Any] | None = None,
    seed: int = 0,
    truth: dict[str, float] | None = None,
    executor: Any = None,
    on_update=None,
) -> FleetResult:
    """``runs`` recoveries, each from its own prior draw (seeds ``seed``, ``seed+1``, ...).

    With ``truth`` (each channel's true share of the media contribution, as for simulated
    data such as :func:`bayes_widgets.datasets.mmm_example`), one more run fits the data
    as they are and scores the fitted shares against it; ``runs`` may then be 0.
    """
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < (0 if truth else 1):
        raise MMMDataError("runs", f"must be a positive integer, got {runs!r}")
    if truth is not None:
        missing = [c for c in model.channels if c not in truth]
        if missing:
            raise MMMDataError(
                "truth", f"no true share for channel(s) {', '.join(map(str, missing))}"
            )
        bad = [
            c
            for c in model.channels
            if not (isinstance(truth[c], int | float) and 0 <= truth[c] <= 1)
        ]
        if bad:
            raise MMMDataError(
                "truth", f"shares must be numbers in [0, 1]; check {', '.join(map(str, bad))}"
            )
    common = _prepare(model)
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [
        RunSpec(
            f"recovery-s{seed + i}", {**common, "seed": seed + i, "fit": {**fit, "seed": seed + i}}
        )
        for i in range(runs)
    ]
    if truth is not None:
        specs.append(
            RunSpec(
                "recovery-truth",
                {
                    **common,
                    "truth_shares": {c: float(truth[c]) for c in model.channels},
                    "fit": {**fit, "seed": fit.get("seed", seed)},
                },
            )
        )
    run = run_fleet(
        specs,
        _recovery_dispatch,
        out=out,
        executor=executor,
        chains_per_run=int(fit.get("chains", 2)),
        on_update=on_update,
    )
    return FleetResult("recovery", run)


def _recovery_dispatch(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    return (truth_task if "truth_shares" in params else recovery_task)(params, run_dir)


def media_summary(model) -> dict[str, float]:
    """Each channel's share of the media contribution and its ROAS (contribution in target
    units per unit of spend) from a fitted :class:`MMMModel`'s posterior mean."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    mmm = model.mmm
    contribution = np.asarray(_contribution_draws(model).values).mean(axis=(0, 1))
    totals = contribution.sum(axis=0) * target_scale(mmm)
    spend = (
        model.data[model.channels].iloc[: contribution.shape[0]].to_numpy(dtype=float).sum(axis=0)
    )
    out = {}
    for channel, total, s, share in zip(
        model.channels, totals, spend, totals / totals.sum(), strict=True
    ):
        out[f"share_{channel}"] = float(share)
        out[f"roas_{channel}"] = float(total / s) if s > 0 else float("nan")
    return out


def stability_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One stability run: a refit with another seed and/or without the first weeks."""
    from bayes_widgets.core.mmm.model import MMMModel

    data = _data(params)
    start = int(params.get("trim", 0))
    model = MMMModel(data.iloc[start:].reset_index(drop=True), **params["config"])
    result = model.fit(progress=_reporter(run_dir), **params.get("fit", {}))
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    _write_contributions(run_dir, model)
    d = result.diagnostics
    return {
        "seed": params["fit"].get("seed"),
        "trim": start,
        "rows": len(model.data),
        "rhat_max": d.rhat_max,
        "ess_bulk_min": d.ess_bulk_min,
        "divergences": d.divergences,
        **media_summary(model),
    }


@dataclass
class StabilityResult(FleetResult):
    def spread(self) -> pd.DataFrame:
        """Across the finished runs: mean, sd and range of each channel's share and ROAS."""
        table = self.summary()
        table = table[table["status"] == "done"]
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
    common = _prepare(model)
    fit = {**DEFAULT_FIT, **(fit or {})}
    specs = [
        RunSpec(f"stability-s{s}-t{t}", {"trim": int(t), **common, "fit": {**fit, "seed": int(s)}})
        for s in seeds
        for t in trims
    ]
    run = run_fleet(
        specs,
        stability_task,
        out=out,
        executor=executor,
        chains_per_run=int(fit.get("chains", 2)),
        on_update=on_update,
    )
    return StabilityResult("stability", run)


def forecast_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Fits on all the data and predicts the given future weeks (spend and controls)."""
    import numpy as np

    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(_data(params), **params["config"])
    result = model.fit(progress=_reporter(run_dir), **params.get("fit", {}))
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    future = params["future"]
    draws = model.predictive_draws(
        future[[model.date_column, *model.channels, *model.controls]],
        after_training=True,
        seed=params.get("fit", {}).get("seed"),
    )
    q = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    pd.DataFrame(
        {
            "date": future[model.date_column],
            "q05": q[0],
            "q25": q[1],
            "median": q[2],
            "q75": q[3],
            "q95": q[4],
            "mean": draws.mean(axis=0),
        }
    ).to_csv(Path(run_dir) / "forecast.csv", index=False)
    _write_contributions(run_dir, model)
    return {
        "weeks": len(future),
        "forecast_total": float(draws.sum(axis=1).mean()),
        "rhat_max": result.diagnostics.rhat_max,
        "divergences": result.diagnostics.divergences,
    }


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
        {**_prepare(model), "future": future.copy(), "fit": {**DEFAULT_FIT, **(fit or {})}},
    )
    run = run_fleet([spec], forecast_task, out=out, executor=executor, on_update=on_update)
    return FleetResult("forecast", run)
