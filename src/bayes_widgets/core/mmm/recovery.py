"""Parameter recovery runs of an MMM: does a refit find the truth it was simulated from?

    metrics = recovery_task({"data": df, "config": cfg, "seed": 3, "fit": {...}}, run_dir)
    metrics = truth_task({"data": df, "config": cfg, "truth_shares": {...}}, run_dir)

A recovery run draws parameters from the prior on the real spend, simulates the target,
refits a fresh model and scores each parameter against its true value; a truth run scores
the fitted channel shares of data with a known truth. Both write ``recovery.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.mmm.run_tasks import (
    contribution_draws,
    fit_run,
    run_data,
    write_contributions,
)

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

    data = run_data(params)
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
    result = fit_run(refit, params, run_dir)
    s1 = target_scale(refit.mmm)
    write_contributions(run_dir, refit)
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
    table = write_recovery_table(run_dir, rows)
    metrics["coverage"] = float(table["covered"].to_numpy(dtype=float).mean())
    metrics["median_relative_error"] = float(
        np.median(table["relative_error"].to_numpy(dtype=float))
    )
    true_share = channel_shares(truth["channel_contribution"])
    fit_share = channel_shares(
        np.asarray(posterior["channel_contribution"].values).mean(axis=(0, 1))
    )
    metrics["share_error_max"] = float(np.max(np.abs(true_share - fit_share)))
    for channel, t, f in zip(config["channels"], true_share, fit_share, strict=True):
        metrics[f"share_true_{channel}"] = float(t)
        metrics[f"share_fit_{channel}"] = float(f)
    return metrics


def write_recovery_table(run_dir: str | Path, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """True vs fitted (mean and 94 % interval) per quantity, with coverage and relative error."""
    table = pd.DataFrame(rows)
    table["covered"] = (table["true"] >= table["low"]) & (table["true"] <= table["high"])
    table["relative_error"] = (table["mean"] - table["true"]).abs() / table["true"].abs()
    table.to_csv(Path(run_dir) / "recovery.csv", index=False)
    return table


def channel_shares(contribution):
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

    model = MMMModel(run_data(params), **params["config"])
    result = fit_run(model, params, run_dir)
    contribution = np.asarray(contribution_draws(model).values, dtype=float)
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
    table = write_recovery_table(run_dir, rows)
    write_contributions(run_dir, model)
    d = result.diagnostics
    metrics: dict[str, Any] = {
        "seed": params.get("fit", {}).get("seed"),
        "coverage": float(table["covered"].to_numpy(dtype=float).mean()),
        "share_error_max": float(np.abs(table["mean"].to_numpy() - table["true"].to_numpy()).max()),
        "rhat_max": d.rhat_max,
        "ess_bulk_min": d.ess_bulk_min,
        "divergences": d.divergences,
    }
    for row in rows:
        channel = row["parameter"].removeprefix("share ")
        metrics[f"share_true_{channel}"] = row["true"]
        metrics[f"share_fit_{channel}"] = row["mean"]
    return metrics


def recovery_run(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """A recovery fleet's run: a truth run when it has ``truth_shares``, else a recovery."""
    return (truth_task if "truth_shares" in params else recovery_task)(params, run_dir)


__all__ = ["channel_shares", "recovery_run", "recovery_task", "truth_task", "write_recovery_table"]
