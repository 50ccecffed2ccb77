"""What one run of an MMM fleet does in its worker: refit, score, write its files.

    metrics = holdout_task({"data": df, "config": model.config(), "horizon": 8}, run_dir)

Each task gets the model's data and configuration as values (``params["data"]``, a data
frame, and ``params["config"]``), so it runs on workers that do not share the submitting
machine's disk, and returns the run's metrics; the fleets in :mod:`.fleets` build the runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.fitting.result import FitResult
from bayes_widgets.core.mmm.validation import MMMDataError


def reporter(run_dir: str):
    """Reports a run's sampling progress to the fleet (its board shows it); captured in the
    task's thread, called from the sampler's."""
    from bayes_widgets.core.fleet.ledger import current_run

    context = current_run()

    def report(fraction: float, done: int, total: int) -> None:
        if context is not None:
            context.progress(fraction, draws_done=int(done), total=int(total))

    return report


def run_data(params: dict[str, Any]) -> pd.DataFrame:
    """The run's data: a data frame sent with the run."""
    data = params.get("data")
    if not isinstance(data, pd.DataFrame):
        raise MMMDataError(
            "data", f"each run needs the data as a DataFrame, got {type(data).__name__}"
        )
    return data.copy()


def fit_run(model: Any, params: dict[str, Any], run_dir: str, **options: Any) -> FitResult:
    """Fits ``model`` with the run's ``params["fit"]`` options, reporting its progress to
    the fleet; a fit that does not finish fails the run."""
    result = model.fit(progress=reporter(run_dir), **options, **params.get("fit", {}))
    if not isinstance(result, FitResult):
        raise RuntimeError(f"fit returned {type(result).__name__}, not a FitResult")
    if result.status != "finished":
        raise RuntimeError(f"fit {result.status}: {result.error or result.message}")
    return result


def holdout_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One holdout run (executed in a worker): fit on all but the last ``horizon`` weeks
    (of every geo, for a geo model), score those weeks and the training fit."""
    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(run_data(params), **params["config"])
    return score_holdout(model, params, run_dir)


def weeks(model) -> int:
    """The number of weeks (dates) of a model's data, geos or not."""
    return int(model.data[model.date_column].nunique())


def score_holdout(model, params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Fits ``model`` on all but its last ``params["horizon"]`` weeks and scores them."""
    from bayes_widgets.core.mmm.metrics import score

    horizon = int(params["horizon"])
    n = weeks(model)
    train, test = slice(0, n - horizon), slice(n - horizon, n)
    result = fit_run(model, params, run_dir, rows=train)
    seed = params.get("fit", {}).get("seed")
    train_draws = model.predictive_draws(model.X(train), after_training=False, seed=seed)
    test_draws = model.predictive_draws(model.X(test), after_training=True, seed=seed)
    y_train, y_test = model.y(train), model.y(test)
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
    metrics.update({f"train_{k}": v for k, v in score(y_train, train_draws).items()})
    metrics.update({f"test_{k}": v for k, v in score(y_test, test_draws).items()})
    write_predictions(Path(run_dir), model, (train, test), (train_draws, test_draws))
    if model.dims:
        write_geo_scores(Path(run_dir), model, test, y_test, test_draws)
    write_contributions(run_dir, model)
    keep_one_pager(model, run_dir)
    return metrics


def keep_one_pager(model, run_dir: str | Path) -> None:
    """Writes the run's one-pager (``run_dir/one_pager/``) for the fleet report. A
    one-pager that cannot be drawn leaves its reason in ``one_pager_error.txt``; the
    run's metrics stand."""
    from bayes_widgets.core.mmm.explorer_io import save_one_pager

    try:
        save_one_pager(model, run_dir)
    except Exception as exc:  # the fit and its scores are what the run is for
        message = f"{type(exc).__name__}: {exc}"
        (Path(run_dir) / "one_pager_error.txt").write_text(message + "\n")


def write_geo_scores(run_dir: Path, model, rows: slice, actual, draws) -> None:
    """A geo model's held-out scores per geo (``scores_by_geo.csv``)."""
    from bayes_widgets.core.mmm.metrics import score

    dim = model.dims[0]
    labels = model.X(rows)[dim].astype(str).to_numpy()
    table = []
    for geo in dict.fromkeys(labels):
        at = labels == geo
        table.append(
            {dim: geo, **{f"test_{k}": v for k, v in score(actual[at], draws[:, at]).items()}}
        )
    pd.DataFrame(table).to_csv(run_dir / "scores_by_geo.csv", index=False)


def write_predictions(run_dir: Path, model, splits, draws_by_split) -> None:
    """Each row's actual and predictive quantiles (``predictions.csv``), train then test."""
    import numpy as np

    frames = []
    for name, rows, draws in zip(("train", "test"), splits, draws_by_split, strict=True):
        X = model.X(rows)
        lo, q25, med, q75, hi = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        frame = pd.DataFrame({"date": X[model.date_column].to_numpy()})
        for dim in model.dims:
            frame[dim] = X[dim].to_numpy()
        frame["actual"] = model.y(rows).to_numpy()
        for key, values in (("q05", lo), ("q25", q25), ("median", med), ("q75", q75)):
            frame[key] = values
        frame["q95"] = hi
        frame["split"] = name
        frames.append(frame)
    pd.concat(frames, ignore_index=True).to_csv(run_dir / "predictions.csv", index=False)


def contribution_draws(model):
    """The fitted channel contributions (scaled units) as (chain, draw, date, channel),
    summed over the geos of a geo model."""
    da = model.mmm.idata["posterior"]["channel_contribution"]
    extra = [d for d in da.dims if d not in ("chain", "draw", "date", "channel")]
    if extra:
        da = da.sum(extra)
    return da.transpose("chain", "draw", "date", "channel")


def write_contributions(run_dir: str | Path, model) -> None:
    """Each channel's contribution per week (posterior mean, original units) of a fitted run."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    da = contribution_draws(model)
    mean = np.asarray(da.values, dtype=float).mean(axis=(0, 1)) * target_scale(model.mmm)
    table = pd.DataFrame(mean, columns=[str(c) for c in da["channel"].values])
    table.insert(0, "date", pd.to_datetime(da["date"].values))
    table.to_csv(Path(run_dir) / "contributions.csv", index=False)


def media_summary(model) -> dict[str, float]:
    """Each channel's share of the media contribution and its ROAS (contribution in target
    units per unit of spend) from a fitted :class:`MMMModel`'s posterior mean."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    mmm = model.mmm
    contribution = np.asarray(contribution_draws(model).values).mean(axis=(0, 1))
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

    data = run_data(params)
    start = int(params.get("trim", 0))
    model = MMMModel(data.iloc[start:].reset_index(drop=True), **params["config"])
    result = fit_run(model, params, run_dir)
    write_contributions(run_dir, model)
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


def forecast_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Fits on all the data and predicts the given future weeks (spend and controls)."""
    import numpy as np

    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(run_data(params), **params["config"])
    result = fit_run(model, params, run_dir)
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
    write_contributions(run_dir, model)
    return {
        "weeks": len(future),
        "forecast_total": float(draws.sum(axis=1).mean()),
        "rhat_max": result.diagnostics.rhat_max,
        "divergences": result.diagnostics.divergences,
    }


__all__ = [
    "contribution_draws",
    "fit_run",
    "forecast_task",
    "holdout_task",
    "media_summary",
    "reporter",
    "run_data",
    "score_holdout",
    "stability_task",
    "weeks",
    "write_contributions",
    "write_geo_scores",
    "write_predictions",
]
