"""Scores of predictions against actuals: MAPE, NRMSE, R², CRPS and interval coverage."""

from __future__ import annotations

import numpy as np


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
