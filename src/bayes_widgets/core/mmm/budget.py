"""Budgets over a fitted media-mix model's channels, as decision problems.

    problem = budget_problem(model, horizon=8)       # a DecisionProblem over the channels
    problem.optimize("mean")                         # or "cvar" at level 0.05, ...
    problem.spend_per_period(problem.optimize().x)   # the plan as spend per period
    model.budget_explorer()                          # the same, live (an MMMModel method)

The outcome of a plan per posterior draw is its incremental response
(:class:`~bayes_widgets.core.mmm.response.MMMResponse`) or, with ``value_per_unit``, the
money it makes; the decision engine optimizes it for any of its risk measures under the
total budget and per-channel bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.checks import check_number
from bayes_widgets.core.decision.constraints import budget
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.variables import DecisionVariable
from bayes_widgets.core.mmm.response import (
    DEFAULT_HORIZON,
    DEFAULT_LAST,
    MMMResponse,
    ResponseWindow,
    as_response,
    check_horizon,
    current_plan,
    mmm_response,
)

DEFAULT_UPPER_MULTIPLE = 2.0
"""Default upper bound of a channel: this multiple of its largest historical spend per
period (beyond the data the saturation curves are extrapolations)."""

Per = Literal["period", "horizon"]


class BudgetProblem(DecisionProblem):
    """A :class:`DecisionProblem` over an MMM's channel spends (see :func:`budget_problem`).

    Besides the problem it holds the ``response`` it was built from, the ``horizon``,
    what a variable means (``per``), the ``current`` plan in the variables' units and the
    ``value_per_unit`` of the target (None: the profit is the response itself).
    """

    def __init__(
        self,
        response: MMMResponse,
        variables: list[DecisionVariable],
        scenarios: dict[str, np.ndarray],
        profit: Callable[[Any, Mapping[str, np.ndarray]], np.ndarray],
        *,
        total_budget: float,
        horizon: int,
        per: Per,
        carry_in: bool,
        value_per_unit: float | None,
        current: dict[str, float],
    ):
        super().__init__(
            variables, scenarios, profit, constraints=[budget(total_budget)], batch=True
        )
        self.response = response
        self.total_budget = total_budget
        self.horizon = horizon
        self.per = per
        self.carry_in = carry_in
        self.value_per_unit = value_per_unit
        self.current = current

    def spend_per_period(self, x: Any) -> dict[str, float]:
        """A decision as spend per period on each channel."""
        values = self.check_x(x, check_bounds=False)
        if self.per == "horizon":
            values = values / self.horizon
        return {c: float(v) for c, v in zip(self.names, values)}


def budget_problem(
    mmm: Any,
    total_budget: float | None = None,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    horizon: int = DEFAULT_HORIZON,
    per: Per = "period",
    value_per_unit: float | None = None,
    carry_in: bool = False,
    current: Mapping[str, float] | None = None,
    last: int = DEFAULT_LAST,
    draws: int | None = None,
    seed: int | None = None,
) -> BudgetProblem:
    """How to spread a budget over the channels of a fitted MMM for ``horizon`` periods.

    One continuous variable per channel: its spend per period (``per="period"``) or its
    total over the horizon (``per="horizon"``), in the model's spend units. The scenarios
    are the posterior draws; each decision's outcome per draw is its incremental response
    (see :class:`~bayes_widgets.core.mmm.response.MMMResponse`) or, with
    ``value_per_unit`` (money per unit of the target), ``value_per_unit * response -
    spend over the horizon``, so that an unprofitable euro can stay unspent.

    Parameters
    ----------
    mmm:
        A fitted :class:`MMMModel`, a fitted pymc-marketing ``MMM`` or an :class:`MMMResponse`.
    total_budget:
        Cap on the sum of the variables (a :class:`Budget` constraint). Default: the
        current plan's total.
    bounds:
        ``{channel: (lower, upper)}`` in the variables' units, for any channels. Default
        per channel: ``(0, 2 x its largest spend per period in the training data)``.
    horizon:
        Periods the plan runs for (the carry-over after it is counted too).
    per:
        ``"period"`` or ``"horizon"``: what a variable (and the budget) measures.
    carry_in:
        Start from the adstock the training data leaves, as pymc-marketing's
        ``budget_optimizer`` does: the outcome is then the increment over spending nothing
        (its per-draw response minus its response to zero spend; the tests compare them).
    current:
        The current plan, spend per period by channel; default :func:`current_plan`
        over the ``last`` periods of the training data.
    draws, seed:
        Use ``draws`` posterior draws picked at random (default: all).
    """
    response = as_response(mmm, draws, seed)
    horizon = check_horizon(horizon)
    if per not in ("period", "horizon"):
        raise DecisionInputError("per", f"must be 'period' or 'horizon', got {per!r}")
    factor = float(horizon) if per == "horizon" else 1.0
    if value_per_unit is not None:
        value_per_unit = check_number(
            "value_per_unit", value_per_unit, low=0.0, error=DecisionInputError
        )
    current_x = _current(response, current, last, factor)
    lower, upper = _bounds(response, bounds, factor)
    total = _total_budget(total_budget, current_x, lower)
    window = response.window(horizon, bool(carry_in))
    scenarios = {**window.arrays}
    scenarios.update({f"saturation_{k}": v for k, v in response.saturation_params.items()})
    variables = [
        DecisionVariable(c, float(lo), float(hi))
        for c, lo, hi in zip(response.channels, lower, upper)
    ]
    return BudgetProblem(
        response,
        variables,
        scenarios,
        _media_profit(response, window, horizon, factor, value_per_unit),
        total_budget=total,
        horizon=horizon,
        per=per,
        carry_in=bool(carry_in),
        value_per_unit=value_per_unit,
        current=current_x,
    )


def _current(
    response: MMMResponse, current: Mapping[str, float] | None, last: int, factor: float
) -> dict[str, float]:
    """The current plan in the variables' units (per period, or over the horizon)."""
    if current is None:
        now = current_plan(response, last=last)
    else:
        now = dict(zip(response.channels, response.plan_from(current, field="current")))
    return {c: float(now[c]) * factor for c in response.channels}


def _bounds(
    response: MMMResponse, bounds: Mapping[str, Any] | None, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's (lower, upper) bounds: the given ones, else (0, a multiple of its
    largest spend per period)."""
    lower = np.zeros(len(response.channels))
    upper = DEFAULT_UPPER_MULTIPLE * response.spend.max(axis=0) * factor
    for channel, pair in (bounds or {}).items():
        if channel not in response.channels:
            raise DecisionInputError(
                "bounds", f"unknown channel {channel!r}; channels: {', '.join(response.channels)}"
            )
        i = response.channels.index(channel)
        lower[i], upper[i] = _bound_pair(f"bounds.{channel}", pair)
    return lower, upper


def _total_budget(total_budget: Any, current_x: Mapping[str, float], lower: np.ndarray) -> float:
    """The budget: the given one (≥ 0), else the current plan's total; at least the sum of
    the lower bounds."""
    if total_budget is None:
        total = float(sum(current_x.values()))
    else:
        total = check_number(
            "total_budget", total_budget, low=0.0, low_open=False, error=DecisionInputError
        )
    if total < lower.sum() * (1 - 1e-12):
        raise DecisionInputError(
            "total_budget",
            f"infeasible: {total:g} is below {lower.sum():g}, the sum of the channels' "
            "lower bounds",
        )
    return total


def _media_profit(
    response: MMMResponse,
    window: ResponseWindow,
    horizon: int,
    factor: float,
    value_per_unit: float | None,
) -> Callable[[Any, Mapping[str, np.ndarray]], np.ndarray]:
    """The profit function of a budget problem: the window's response to plans ``x`` over
    the scenarios' draws (the window's arrays and saturation parameters), in money with
    ``value_per_unit``."""
    weights = window.weights

    def media_profit(x: Any, s: Mapping[str, np.ndarray]) -> np.ndarray:
        X = np.asarray(x, dtype=float)
        single = X.ndim == 1
        X = np.atleast_2d(X)
        params = {k[len("saturation_") :]: s[k] for k in s if k.startswith("saturation_")}
        arrays = {k: s[k] for k in s if not k.startswith("saturation_")}
        out = response.window_response(X / factor, arrays, weights, params=params)
        if value_per_unit is not None:
            spent = X.sum(axis=1) * (horizon / factor)
            out = value_per_unit * out - spent[:, None]
        return out[0] if single else out

    return media_profit


def _bound_pair(field: str, pair: Any) -> tuple[float, float]:
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        raise DecisionInputError(field, f"expected (lower, upper), got {pair!r}") from None
    lo = check_number(field, lo, error=DecisionInputError)
    hi = check_number(field, hi, error=DecisionInputError)
    if lo < 0:
        raise DecisionInputError(field, f"spend cannot be negative, got lower bound {lo:g}")
    if lo > hi:
        raise DecisionInputError(field, f"lower bound {lo:g} is above upper bound {hi:g}")
    return lo, hi


__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_LAST",
    "DEFAULT_UPPER_MULTIPLE",
    "BudgetProblem",
    "MMMResponse",
    "budget_problem",
    "current_plan",
    "mmm_response",
]
