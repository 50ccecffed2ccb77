"""Parameter recovery runs of an MMM: does a refit find the truth it was simulated from?

    metrics = recovery_task({"data": df, "config": cfg, "seed": 3, "fit": {...}}, run_dir)
    metrics = truth_task({"data": df, "config": cfg, "truth_shares": {...}}, run_dir)

A recovery run draws parameters from the prior on the real spend, simulates the target,
refits a fresh model and scores each parameter and each channel's ROAS against its true
value (the fleet runs it through the calibration worker, see :mod:`.recovery_plan`); a
truth run scores the fitted channel shares (and ROAS, when known) of data with a known
truth. Both write ``recovery.csv``. A run with ``params["lift_tests"]`` is the "with
lift tests" arm: the same run with lift tests in the refit's likelihood (simulated from
the true parameters for a recovery run, as given for a truth run); see
:mod:`.recovery_lift`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.mmm.recovery_lift import (
    ARM_WITH,
    ARM_WITHOUT,
    roas_draws,
    roas_scores,
    with_lift_tests,
)
from bayes_widgets.core.mmm.run_tasks import (
    contribution_draws,
    fit_run,
    run_data,
    write_contributions,
)

TARGET_SCALED = (
    "saturation_beta",
    "intercept_contribution",
    "gamma_control",
    "gamma_fourier",
    "y_sigma",
)
"""Parameters measured in units of the scaled target: a refit divides them by a new scale."""
RECOVERED = (
    "adstock_alpha",
    "saturation_lam",
    "saturation_beta",
    "intercept_contribution",
    "y_sigma",
)
"""The parameters a recovery run scores (and ranks) against their true values."""


def recovery_task(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """One recovery run: parameters drawn from the prior on the real spend (``params``:
    ``data``, ``config``, ``seed``, ``fit``), y simulated, a fresh model refitted on it,
    and each parameter scored against its true value; the run goes through the
    calibration worker as a recovery fleet's runs do (see :mod:`.recovery_plan`).

    With ``params["lift_tests"]`` (a template: channels, ``x``, ``delta_x`` and the
    measurement's relative sd), lift tests simulated from the true parameters join the
    refit's likelihood (the "with lift tests" arm)."""
    from bayes_widgets.core.mmm.model import MMMModel
    from bayes_widgets.core.mmm.recovery_plan import (
        RecoveryTask,
        plan_recovery,
        recovery_specs,
        task_settings,
    )

    seed = int(params["seed"])
    fit = dict(params.get("fit", {}))
    model = MMMModel(run_data(params), **_config(params))
    plan, settings = plan_recovery(model, runs=1, seed=seed, fit=fit)
    run = recovery_specs(plan, seed, fit)[0].params
    if params.get("lift_tests") is not None:
        run["lift_tests"] = params["lift_tests"]
    return RecoveryTask(plan.payload, task_settings(plan, settings))(run, run_dir)


def score_recovery(
    refit, result, truth: dict[str, Any], s0: float, lift, seed: int, run_dir: str
) -> dict[str, Any]:
    """A recovery run's scores: ``refit`` (the fitted :class:`MMMModel`, ``result`` its
    fit) against ``truth`` (the prior draw it was simulated from, in the units of a target
    scaled by ``s0``); writes ``recovery.csv`` and ``contributions.csv``."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale

    s1 = target_scale(refit.mmm)
    write_contributions(run_dir, refit)
    posterior = refit.mmm.idata["posterior"].to_dataset()
    metrics: dict[str, Any] = {
        "seed": seed,
        "arm": ARM_WITHOUT if lift is None else ARM_WITH,
        "lift_tests": 0 if lift is None else len(lift),
        "target_scale_ratio": s0 / s1,
        "rhat_max": result.diagnostics.rhat_max,
        "divergences": result.diagnostics.divergences,
    }
    rows = _parameter_rows(posterior, truth, s0 / s1)
    spend = refit.data[refit.channels].to_numpy(dtype=float)
    true_contribution = np.asarray(truth["channel_contribution"], dtype=float) * s0
    true_roas = roas_draws(true_contribution[None], spend)[0]
    roas_rows, roas_metrics = roas_scores(
        refit.channels,
        roas_draws(_contribution_samples(refit) * s1, spend),
        dict(zip(refit.channels, true_roas, strict=True)),
    )
    table = write_recovery_table(run_dir, rows + roas_rows)
    metrics["coverage"] = float(table["covered"].to_numpy(dtype=float).mean())
    metrics["median_relative_error"] = float(
        np.median(table["relative_error"].to_numpy(dtype=float))
    )
    true_share = channel_shares(truth["channel_contribution"])
    fit_share = channel_shares(
        np.asarray(posterior["channel_contribution"].values).mean(axis=(0, 1))
    )
    metrics["share_error_max"] = float(np.max(np.abs(true_share - fit_share)))
    for channel, t, f in zip(refit.channels, true_share, fit_share, strict=True):
        metrics[f"share_true_{channel}"] = float(t)
        metrics[f"share_fit_{channel}"] = float(f)
    return {**metrics, **roas_metrics}


def _config(params: dict[str, Any]) -> dict[str, Any]:
    """The model's options for a recovery run: its own lift tests left out (each arm says
    whether it has lift tests)."""
    return {k: v for k, v in params["config"].items() if k != "lift_tests"}


def _contribution_samples(model):
    """The fitted channel contributions (scaled units) as (samples, date, channel)."""
    import numpy as np

    values = np.asarray(contribution_draws(model).values, dtype=float)
    return values.reshape(-1, *values.shape[2:])


def _parameter_rows(posterior, truth: dict[str, Any], ratio: float) -> list[dict[str, Any]]:
    """True vs fitted rows of the recovered parameters; ``ratio`` (the simulated target's
    scale over the refit's) rescales the parameters measured in scaled target units."""
    import numpy as np

    rows = []
    for name in RECOVERED:
        if name not in posterior:
            continue
        true = np.atleast_1d(truth[name]) * (ratio if name in TARGET_SCALED else 1.0)
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
    return rows


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
    media contribution is scored against the true share, with its 94 % interval; with
    ``params["truth_roas"]`` each channel's ROAS too, and with ``params["lift_tests"]``
    the fit has those lift tests in its likelihood."""
    import numpy as np

    from bayes_widgets.core.mmm.fitting import target_scale
    from bayes_widgets.core.mmm.model import MMMModel

    model = MMMModel(run_data(params), **_config(params))
    lift = params.get("lift_tests")
    with_lift_tests(model, lift)
    result = fit_run(model, params, run_dir)
    contribution = _contribution_samples(model)
    per_draw = contribution.sum(axis=1)
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
    share_error = max(abs(r["mean"] - r["true"]) for r in rows)
    roas_rows, roas_metrics = [], {}
    if params.get("truth_roas") is not None:
        spend = model.data[model.channels].to_numpy(dtype=float)
        draws = roas_draws(contribution * target_scale(model.mmm), spend)
        roas_rows, roas_metrics = roas_scores(model.channels, draws, params["truth_roas"])
    table = write_recovery_table(run_dir, rows + roas_rows)
    write_contributions(run_dir, model)
    d = result.diagnostics
    metrics: dict[str, Any] = {
        "seed": params.get("fit", {}).get("seed"),
        "arm": ARM_WITHOUT if lift is None else ARM_WITH,
        "lift_tests": 0 if lift is None else len(lift),
        "coverage": float(table["covered"].to_numpy(dtype=float).mean()),
        "share_error_max": float(share_error),
        "rhat_max": d.rhat_max,
        "ess_bulk_min": d.ess_bulk_min,
        "divergences": d.divergences,
    }
    for row in rows:
        channel = row["parameter"].removeprefix("share ")
        metrics[f"share_true_{channel}"] = row["true"]
        metrics[f"share_fit_{channel}"] = row["mean"]
    return {**metrics, **roas_metrics}


def recovery_run(params: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """A recovery fleet's run: a truth run when it has ``truth_shares``, else a recovery."""
    return (truth_task if "truth_shares" in params else recovery_task)(params, run_dir)


__all__ = [
    "RECOVERED",
    "TARGET_SCALED",
    "channel_shares",
    "recovery_run",
    "recovery_task",
    "score_recovery",
    "truth_task",
    "write_recovery_table",
]
