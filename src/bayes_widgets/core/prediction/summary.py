"""Posterior draws summarized per row: mean, sd and a credible interval.

    draws = stack_draws(posterior_dataset, "mu")           # (chains × draws, ...)
    stats = summarize_draws(draws, prob=0.9, interval="hdi")  # mean, sd, lower, upper per column
    table = summary_frame(inputs, targets, {"mu": mu_draws}, 0.95, "eti")

Every prediction table (a LinearRegression, a PyMC model, a NumPyro model) is built by
:func:`summary_frame`: the inputs, then ``<variable>_mean, _sd, _eti95_lower,
_eti95_upper`` for each predicted variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_probability
from bayes_widgets.core.deprecation import deprecated_alias
from bayes_widgets.core.prediction.errors import RegressionInputError
from bayes_widgets.core.prediction.rows import Target

INTERVALS = {"eti": "equal-tailed", "hdi": "highest-density"}
"""Kinds of credible interval: ``eti`` (quantiles (1-prob)/2 and (1+prob)/2) or ``hdi``
(the narrowest interval holding ``prob`` of the draws)."""
SUMMARY_STATS = ("mean", "sd", "lower", "upper")


def check_prob(prob: Any) -> float:
    """The credible mass, a number in (0, 1)."""
    return check_probability("prob", prob, error=RegressionInputError)


def check_interval(interval: Any) -> str:
    """The kind of interval, one of :data:`INTERVALS`."""
    if interval not in INTERVALS:
        raise RegressionInputError(
            "interval", f"must be one of {list(INTERVALS)}, got {interval!r}"
        )
    return interval


def interval_suffix(prob: float, interval: str) -> str:
    """Column suffix of an interval: ``eti95``, ``hdi90``, ``eti97.5``."""
    return f"{interval}{100 * prob:.10g}"


def stat_names(prob: float, interval: str) -> tuple[str, str, str, str]:
    """The column endings of :data:`SUMMARY_STATS`: ``mean, sd, eti95_lower, eti95_upper``."""
    tag = interval_suffix(prob, interval)
    return ("mean", "sd", f"{tag}_lower", f"{tag}_upper")


def summarize_draws(
    draws: np.ndarray, prob: float = 0.95, interval: str = "eti"
) -> dict[str, np.ndarray]:
    """Mean, sd (ddof 1) and credible interval of each column of ``draws`` (draws × rows)."""
    draws = np.asarray(draws, dtype=float)
    n = draws.shape[0]
    if draws.shape[1] == 0:
        empty = np.zeros(0)
        return dict.fromkeys(SUMMARY_STATS, empty)
    if interval == "eti":
        lower, upper = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    else:  # the narrowest window holding floor(prob * n) + 1 sorted draws (as ArviZ)
        ordered = np.sort(draws, axis=0)
        inside = int(np.floor(prob * n))
        widths = ordered[inside:] - ordered[: n - inside]
        start = np.argmin(widths, axis=0)
        cols = np.arange(draws.shape[1])
        lower, upper = ordered[start, cols], ordered[start + inside, cols]
    sd = draws.std(axis=0, ddof=1) if n > 1 else np.full(draws.shape[1], np.nan)
    return {"mean": draws.mean(axis=0), "sd": sd, "lower": lower, "upper": upper}


summarise_draws = deprecated_alias(summarize_draws, "summarise_draws")


def summary_frame(
    inputs: pd.DataFrame,
    targets: Sequence[Target],
    draws: Mapping[str, np.ndarray],
    prob: float,
    interval: str,
) -> pd.DataFrame:
    """Inputs, then mean, sd and credible interval of every target per row
    (``draws[name]``: draws × rows × elements). The rows keep the index of ``inputs``."""
    out = inputs.copy()
    names = stat_names(prob, interval)
    for target in targets:
        values = draws[target.name]
        for k, prefix in enumerate(target.prefixes()):
            stats = summarize_draws(values[:, :, k], prob, interval)
            for stat, name in zip(SUMMARY_STATS, names, strict=True):
                out[f"{prefix}_{name}"] = stats[stat]
    return out


def output_columns(targets: Sequence[Target], prob: float, interval: str) -> list[str]:
    """The prediction columns of :func:`summary_frame`, in order."""
    names = stat_names(prob, interval)
    return [f"{p}_{s}" for t in targets for p in t.prefixes() for s in names]


def summary_attrs(
    targets: Sequence[Target], prob: float, interval: str, draws: int, row_dim: str | None
) -> dict[str, Any]:
    """What a prediction table's ``attrs`` say about its columns."""
    return {
        "interval": interval,
        "interval_name": INTERVALS[interval],
        "prob": prob,
        "draws": int(draws),
        "row_dim": row_dim,
        "variables": {t.name: t.kind for t in targets},
    }


def stack_draws(dataset: Any, name: str, dtype: Any = None) -> np.ndarray:
    """One variable's draws in a posterior (or posterior predictive) Dataset, chains
    stacked: (chains × draws, ...), in ``dtype`` if given."""
    da = dataset[name].transpose("chain", "draw", ...)
    return np.asarray(da.values, dtype=dtype).reshape(-1, *da.shape[2:])


def per_row_draws(values: Any, row_axis: int, rows: int) -> np.ndarray:
    """Draws of a variable (draws first, the rows at ``row_axis`` of the rest) as
    draws × rows × elements."""
    arr = np.moveaxis(np.asarray(values, dtype=float), 1 + row_axis, 1)
    return arr.reshape(arr.shape[0], rows, -1)


__all__ = [
    "INTERVALS",
    "SUMMARY_STATS",
    "check_interval",
    "check_prob",
    "interval_suffix",
    "output_columns",
    "per_row_draws",
    "stack_draws",
    "stat_names",
    "summarise_draws",
    "summarize_draws",
    "summary_attrs",
    "summary_frame",
]
