"""One geo's part of a budget plan on a geo MMM.

    problem.breakdown(x, "geo_a")
    # {"group": "geo_a", "label": "geo", "response": {"mean", "lower", "upper", "share"},
    #  "rows": [{"name": "tv", "column": "tv[geo_a]", "spend", "share", "observed",
    #            "extrapolation", "marginal": {"mean", "lower", "upper"}}, ...]}

Spends are in the problem's variable units (per period, or over the horizon); the
response is the geo's incremental response to the plan over the problem's window, per
posterior draw, summarised by its mean and 90% interval.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.ranges import MARGINAL_PROB, extrapolations
from bayes_widgets.core.decision.variables import DecisionVariable
from bayes_widgets.core.mmm.response import MMMResponse

if TYPE_CHECKING:
    from bayes_widgets.core.mmm.budget import BudgetProblem


def _interval(draws: np.ndarray) -> dict[str, float | None]:
    finite = draws[np.isfinite(draws)]
    if not finite.size:
        return {"mean": None, "lower": None, "upper": None}
    tail = (1.0 - MARGINAL_PROB) / 2.0
    lower, upper = np.quantile(finite, [tail, 1.0 - tail])
    return {"mean": float(finite.mean()), "lower": float(lower), "upper": float(upper)}


def group_response(response: MMMResponse, cols: list[int]) -> MMMResponse:
    """The part of ``response`` made of columns ``cols`` (one geo's channels). The
    response is a sum over columns, each column's response and marginal depending on its
    own spend only, so the part's are the whole's, for a fortieth of the work in a
    40-geo model."""
    sat = {k: v[:, cols] for k, v in response.saturation_params.items()}
    return replace(
        response,
        channels=tuple(response.channels[j] for j in cols),
        kernel=response.kernel[:, cols],
        saturation_params=sat,
        channel_scale=response.channel_scale[cols],
        target_scale=response.target_scale[cols],
        spend=response.spend[:, cols],
        column_channel=tuple(response.column_channel[j] for j in cols),
        column_coords=tuple(response.column_coords[j] for j in cols),
    )


def geo_breakdown(problem: BudgetProblem, x: np.ndarray, group: str) -> dict[str, Any]:
    """Geo ``group``'s channels at plan ``x`` (checked, in variable order): see the module
    docstring. Raises :class:`DecisionInputError` (field ``group``) for an unknown geo."""
    layout, response = problem.layout, problem.response
    if not group:
        raise DecisionInputError("group", "names no geo")
    problem.check_group(group)
    factor = problem.factor
    per_period = layout.columns(x) / factor  # (C,)
    cols = problem.group_columns(group)
    sub = problem.group_part(group)
    horizon, carry_in = problem.horizon, problem.carry_in
    by_column = sub.response(per_period[cols], horizon, carry_in=carry_in, by_channel=True)
    marginal = sub.marginal_roas(per_period[cols], horizon, carry_in=carry_in)  # (S, len(cols))
    if problem.value_per_unit is not None:
        marginal = marginal * problem.value_per_unit
    rows = []
    for i, j in enumerate(cols):
        spend = float(per_period[j] * factor)
        seen = response.spend[:, j] * factor
        observed = (float(seen.min()), float(seen.max()))
        channel = response.column_channel[j]
        total = float(x[layout.names.index(channel)]) if layout.to_columns is not None else spend
        flag = extrapolations(
            [DecisionVariable(channel, 0.0, max(spend, observed[1], 1.0), observed=observed)],
            [spend],
        )
        rows.append(
            {
                "name": channel,
                "column": response.channels[j],
                "spend": spend,
                "share": spend / total if total > 0 else None,
                "observed": list(observed),
                "extrapolation": flag[0].to_dict() if flag else None,
                "marginal": _interval(marginal[:, i]),
            }
        )
    geo = by_column.sum(axis=1)
    whole = problem.unchecked_outcomes(x)
    if problem.value_per_unit is not None:  # money back to response units
        spent = x.sum() * problem.horizon / factor
        whole = (whole + spent) / problem.value_per_unit if problem.value_per_unit else whole
    whole = float(np.mean(whole))
    summary = _interval(geo)
    summary["share"] = summary["mean"] / whole if summary["mean"] is not None and whole else None
    return {
        "group": group,
        "label": problem.group_label,
        "marginal_label": problem.marginal_label,
        "prob": MARGINAL_PROB,
        "response": summary,
        "rows": rows,
    }


__all__ = ["geo_breakdown", "group_response"]
