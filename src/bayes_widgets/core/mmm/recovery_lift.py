"""The recovery fleet's "with lift tests" arm: ROAS scored against the truth, lift tests
simulated from the true parameters.

    truth = example_truth()                      # mmm_example's true shares and ROAS
    lift = example_lift_test("x1", change=0.5, relative_sd=0.1, seed=0)
    recovery_fleet(model, runs=0, truth=truth["shares"], truth_roas=truth["roas"],
                   lift_tests=lift, out="runs/recovery")

Every run of the fleet is then made twice, without and with the lift tests, on the same
simulated data, so the two arms differ only by the experiment; :func:`lift_effect` sets
each channel's ROAS error and interval width side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.mmm.validation import MMMDataError

EXAMPLE_TARGET_UNITS = 1000.0
"""``mmm_example.csv``'s target is 1000 times the simulation's units: least squares of y on
the simulated components (intercept 2, trend, seasonality, events, media) gives 1002 with
residual sd 242, i.e. 1000 times the simulation's noise sd of 0.25."""

ARM_WITHOUT, ARM_WITH = "without lift tests", "with lift tests"


def roas_draws(contribution, spend) -> np.ndarray:
    """ROAS draws per channel: contribution draws (samples, date, channel), in target units,
    summed over dates and divided by each channel's spend over the same dates."""
    totals = np.asarray(contribution, dtype=float).sum(axis=1)
    spent = np.asarray(spend, dtype=float).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return totals / spent


def roas_scores(channels, draws: np.ndarray, truth: dict[str, float]):
    """Recovery rows (``roas <channel>``: true, mean, 94 % interval) and metrics per channel:
    ``roas_true_<c>``, ``roas_fit_<c>``, ``roas_error_<c>`` (|mean - true| / true) and
    ``roas_width_<c>`` (the interval's width / true)."""
    lo, hi = np.quantile(draws, [0.03, 0.97], axis=0)
    mean = draws.mean(axis=0)
    rows, metrics = [], {}
    for j, channel in enumerate(channels):
        true = float(truth[channel])
        rows.append(
            {
                "parameter": f"roas {channel}",
                "true": true,
                "mean": float(mean[j]),
                "low": float(lo[j]),
                "high": float(hi[j]),
            }
        )
        metrics[f"roas_true_{channel}"] = true
        metrics[f"roas_fit_{channel}"] = float(mean[j])
        metrics[f"roas_error_{channel}"] = abs(float(mean[j]) - true) / abs(true)
        metrics[f"roas_width_{channel}"] = float(hi[j] - lo[j]) / abs(true)
    return rows, metrics


def simulate_lift_tests(
    template: pd.DataFrame, mmm, truth: dict[str, Any], target_scale: float, seed: int
) -> pd.DataFrame:
    """Lift tests like ``template`` (same channels, ``x`` and ``delta_x``) measured on a
    model whose true parameters are ``truth`` (a prior draw of the built ``mmm``): each
    ``delta_y`` is the true lift plus normal noise whose sd is the template row's relative
    sd (``sigma / |delta_y|``) times the true lift."""
    from bayes_widgets.core.mmm.transforms import SATURATION_CURVES

    saturation = mmm.saturation
    function = SATURATION_CURVES[type(saturation).__name__]
    channel_scale = np.asarray(mmm.get_scales_as_xarray()["channel_scale"], dtype=float)
    channels = [str(c) for c in mmm.channel_columns]
    rng = np.random.default_rng(seed)
    out = template.reset_index(drop=True)
    for i, row in enumerate(out.to_dict("records")):
        j = channels.index(str(row["channel"]))
        params = {
            k: np.atleast_1d(np.asarray(truth[v], dtype=float))[j]
            for k, v in saturation.variable_mapping.items()
        }
        x = (
            np.array([row["x"], row["x"] + row["delta_x"]])
            / np.broadcast_to(channel_scale, (len(channels),))[j]
        )
        curve = np.asarray(function(x, **params), dtype=float)
        lift = float(curve[1] - curve[0]) * target_scale
        relative = float(row["sigma"]) / max(abs(float(row["delta_y"])), 1e-12)
        sigma = max(relative * abs(lift), 1e-9 * target_scale)
        out.loc[i, "delta_y"] = lift + rng.normal(0.0, sigma)
        out.loc[i, "sigma"] = sigma
    return out


def with_lift_tests(model, rows: pd.DataFrame | None) -> None:
    """Gives ``model`` (an :class:`MMMModel`) lift tests that every later build adds."""
    if rows is not None and len(rows):
        model.add_lift_tests(rows)


def example_truth() -> dict[str, dict[str, float]]:
    """``mmm_example``'s truth per channel: its share of the media contribution and its
    ROAS (true contribution in target units over spend, all weeks)."""
    from bayes_widgets.datasets import mmm_example, mmm_example_truth

    truth = mmm_example_truth()
    df = mmm_example()
    roas = {
        c: float(EXAMPLE_TARGET_UNITS * np.sum(v) / df[c].sum())
        for c, v in truth["contributions"].items()
    }
    return {"shares": dict(truth["shares"]), "roas": roas}


def example_lift_test(
    channel: str = "x1", *, change: float = 0.5, relative_sd: float = 0.1, seed: int = 0
) -> pd.DataFrame:
    """A lift test on ``mmm_example`` simulated from its true parameters: the channel's
    weekly spend moved from its mean ``x`` by ``change * x``, the lift measured with an sd
    of ``relative_sd`` times the true lift (target units per week)."""
    from bayes_widgets.core.datasets import MMM_EXAMPLE_PARAMETERS as p
    from bayes_widgets.datasets import mmm_example

    df = mmm_example()
    if channel not in p["beta"]:
        raise MMMDataError("channel", f"unknown channel {channel!r}; choose from x1, x2")
    for name, value in (("change", change), ("relative_sd", relative_sd)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise MMMDataError(name, f"must be a number > 0, got {value!r}")
    x = float(np.mean(df[channel].to_numpy(dtype=float)))
    lam, beta = p["saturation_lam"][channel], p["beta"][channel]

    def curve(s):
        return beta * (1 - np.exp(-lam * s)) / (1 + np.exp(-lam * s))

    lift = EXAMPLE_TARGET_UNITS * float(curve(x * (1 + change)) - curve(x))
    sigma = relative_sd * abs(lift)
    measured = lift + np.random.default_rng(seed).normal(0.0, sigma)
    return pd.DataFrame(
        [
            {
                "channel": channel,
                "x": x,
                "delta_x": change * x,
                "delta_y": measured,
                "sigma": sigma,
                "true_lift": lift,
            }
        ]
    )


__all__ = [
    "ARM_WITH",
    "ARM_WITHOUT",
    "EXAMPLE_TARGET_UNITS",
    "example_lift_test",
    "example_truth",
    "roas_draws",
    "roas_scores",
    "simulate_lift_tests",
    "with_lift_tests",
]
