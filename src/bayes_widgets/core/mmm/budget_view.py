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

from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.ranges import MARGINAL_PROB, extrapolations
from bayes_widgets.core.decision.variables import DecisionVariable

if TYPE_CHECKING:
    from bayes_widgets.core.mmm.budget import BudgetProblem


def _interval(draws: np.ndarray) -> dict[str, float | None]:
    finite = draws[np.isfinite(draws)]
    if not finite.size:
        return {"mean": None, "lower": None, "upper": None}
    tail = (1.0 - MARGINAL_PROB) / 2.0
    lower, upper = np.quantile(finite, [tail, 1.0 - tail])
    return {"mean": float(finite.mean()), "lower": float(lower), "upper": float(upper)}


def geo_breakdown(problem: BudgetProblem, x: np.ndarray, group: str) -> dict[str, Any]:
    """Geo ``group``'s channels at plan ``x`` (checked, in variable order): see the module
    docstring. Raises :class:`DecisionInputError` (field ``group``) for an unknown geo."""
    layout, response = problem.layout, problem.response
    if not group:
        raise DecisionInputError("group", "names no geo")
    problem.check_group(group)
    factor = problem.factor
    per_period = layout.columns(x) / factor  # (C,)
    window = response.window(problem.horizon, problem.carry_in)
    by_column = response.window_response(
        per_period[None], window.arrays, window.weights, by_channel=True
    )[0]  # (S, C)
    cols = [j for j, g in enumerate(layout.column_group) if g == group]
    marginal = problem.column_marginals(x)
    if problem.value_per_unit is not None:
        marginal = marginal * problem.value_per_unit
    rows = []
    for j in cols:
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
                "marginal": _interval(marginal[:, j]),
            }
        )
    geo = by_column[:, cols].sum(axis=1)
    whole = float(by_column.sum(axis=1).mean())
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


__all__ = ["geo_breakdown"]
