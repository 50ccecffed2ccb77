"""Scores of predictions against actuals (MAPE, NRMSE, R², CRPS and interval coverage),
and of recovered ROAS with and without lift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def score(actual, draws, *, hdi_prob: float = 0.94) -> dict[str, float]:
    """``actual`` (n,) against predictive ``draws`` (samples, n), in the same units.

    MAPE and R² use the predictive mean; NRMSE and CRPS are pymc-marketing's
    (RMSE over the range of the actuals; CRPS of the whole predictive distribution);
    ``coverage`` is the share of actuals inside the central ``hdi_prob`` interval.
    """
    from pymc_marketing.metrics import crps, nrmse

    actual = np.asarray(actual, dtype=float)
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != actual.shape[0]:
        raise ValueError(f"draws: expected shape (samples, {actual.shape[0]}), got {draws.shape}")
    mean = draws.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mape = float(np.mean(np.abs((actual - mean) / actual)))
    ss_res = float(np.sum((actual - mean) ** 2))
    ss_tot = float(np.sum((actual - actual.mean()) ** 2))
    lo, hi = np.quantile(draws, [(1 - hdi_prob) / 2, 1 - (1 - hdi_prob) / 2], axis=0)
    return {
        "mape": mape,
        "nrmse": float(nrmse(actual, mean)),
        "r2": 1 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "crps": float(crps(actual, draws)),
        "coverage": float(np.mean((actual >= lo) & (actual <= hi))),
    }


def lift_effect(table: pd.DataFrame) -> pd.DataFrame:
    """How much lift tests tighten and correct each channel's recovered ROAS: from a
    recovery fleet's summary (finished runs with an ``arm`` and ``roas_error_<c>`` /
    ``roas_width_<c>`` metrics), one row per channel with the mean ROAS error and interval
    width (both relative to the true ROAS) without and with lift tests, over the runs."""

    from bayes_widgets.core.mmm.recovery_lift import ARM_WITH, ARM_WITHOUT

    done = table.loc[table["status"] == "done"] if "status" in table else table
    channels = [c.removeprefix("roas_error_") for c in done.columns if c.startswith("roas_error_")]
    rows = []
    for channel in channels:
        row: dict[str, object] = {"channel": channel}
        for arm, suffix in ((ARM_WITHOUT, "without"), (ARM_WITH, "with")):
            runs = done.loc[done["arm"] == arm]
            row[f"runs_{suffix}"] = len(runs)
            for what in ("error", "width"):
                values = runs[f"roas_{what}_{channel}"].to_numpy(dtype=float)
                row[f"{what}_{suffix}"] = float(np.mean(values)) if len(values) else float("nan")
        rows.append(row)
    columns = [
        "channel",
        "error_without",
        "error_with",
        "width_without",
        "width_with",
        "runs_without",
        "runs_with",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("channel")
