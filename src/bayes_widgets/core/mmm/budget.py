"""Budgets over a fitted media-mix model's channels, as decision problems.

    problem = budget_problem(model, horizon=8)       # a DecisionProblem over the channels
    problem.optimize("mean")                         # or "cvar" at level 0.05, ...
    problem.spend_per_period(problem.optimize().x)   # the plan as spend per period
    model.budget_explorer()                          # the same, live (an MMMModel method)

The outcome of a plan per posterior draw is its incremental response
(:class:`~bayes_widgets.core.mmm.response.MMMResponse`) or, with ``value_per_unit``, the
money it makes; the decision engine optimizes it for any of its risk measures under the
total budget and per-channel bounds.

A geo model (``dims=("geo",)``) is budgeted per channel by default: each channel's
spend is split across the geos in proportion to its recent spend there, and the response
is computed geo by geo from the posterior (``allocate="geo"``: one variable per channel
and geo; see :mod:`~bayes_widgets.core.mmm.budget_layout`). :meth:`BudgetProblem.breakdown`
shows one geo's channels at a plan: their spend, response, marginal ROAS and flags.

Realism: by default each channel moves between half and one and a half times its recent
average spend (``relative_bounds``, over the ``last`` periods), each variable carries the
spend range the model was fitted on as its observed range (a plan outside it is flagged
as an extrapolation by :meth:`DecisionProblem.extrapolations` and on the page), and
:meth:`BudgetProblem.marginals` gives each channel's marginal ROAS at a plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.checks import check_int, check_number
from bayes_widgets.core.decision.constraints import budget
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.variables import DecisionVariable
from bayes_widgets.core.mmm.budget_layout import Allocate, BudgetLayout, budget_layout
from bayes_widgets.core.mmm.budget_view import geo_breakdown, group_response
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

DEFAULT_RELATIVE_BOUNDS = (0.5, 1.5)
"""Default bounds of a channel: these multiples of its recent average spend per period
(over the ``last`` periods of the data; its average over all of them if it spent nothing
recently)."""

Per = Literal["period", "horizon"]


class BudgetProblem(DecisionProblem):
    """A :class:`DecisionProblem` over an MMM's channel spends (see :func:`budget_problem`).

    Besides the problem it holds the ``response`` it was built from, the ``horizon``,
    what a variable means (``per``), the ``current`` plan in the variables' units and the
    ``value_per_unit`` of the target (None: the profit is the response itself). Each
    variable's ``observed`` range is the spend the model saw on it (in the variables'
    units); :meth:`marginals` gives the marginal ROAS of every variable at a plan.
    """

    marginal_label = "marginal ROAS"

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
        layout: BudgetLayout,
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
        self.layout = layout
        self.allocate: Allocate = layout.allocate
        self.groups = layout.groups
        self.group_label = "geo" if self.groups else None
        self._parts: dict[str, MMMResponse] = {}

    @property
    def factor(self) -> float:
        """Periods a variable's unit stands for (the horizon with ``per="horizon"``, else 1)."""
        return float(self.horizon) if self.per == "horizon" else 1.0

    def marginals(self, x: Any) -> dict[str, np.ndarray]:
        """Each variable's marginal ROAS at plan ``x``, per posterior draw: the response
        (or, with ``value_per_unit``, the money) one more unit of spend brings when it is
        spread over the horizon like the plan's (see :meth:`MMMResponse.marginal_roas`)."""
        draws = self.layout.marginals(self.column_marginals(x))
        if self.value_per_unit is not None:
            draws = draws * self.value_per_unit
        return {n: draws[:, i] for i, n in enumerate(self.names)}

    def column_marginals(self, x: Any) -> np.ndarray:
        """The marginal ROAS of every channel × geo column at plan ``x``, ``(S, C)``."""
        values = self.layout.columns(self.check_x(x, check_bounds=False)) / self.factor
        return self.response.marginal_roas(values, self.horizon, carry_in=self.carry_in)

    def column_plan(self, x: Any) -> dict[str, float]:
        """A decision as spend per period on every column (channel × geo in a geo model)."""
        values = self.layout.columns(self.check_x(x, check_bounds=False)) / self.factor
        return {c: float(v) for c, v in zip(self.response.channels, values)}

    def breakdown(self, x: Any, group: str) -> dict[str, Any]:
        """Geo ``group``'s part of plan ``x``: per channel its spend (in the variables'
        units), share of the channel, marginal ROAS (mean, 90% interval) and whether
        its spend lies outside the range that geo saw; the geo's response (mean, 90%
        interval, share of the total) (see :func:`~bayes_widgets.core.mmm.budget_view.geo_breakdown`)."""
        return geo_breakdown(self, self.check_x(x, check_bounds=False), group)

    def group_columns(self, group: str) -> list[int]:
        """Positions of geo ``group``'s columns among the response's."""
        return [j for j, g in enumerate(self.layout.column_group) if g == group]

    def group_part(self, group: str) -> MMMResponse:
        """The response of geo ``group``'s columns alone (cached)."""
        if group not in self._parts:
            self._parts[group] = group_response(self.response, self.group_columns(group))
        return self._parts[group]

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
    relative_bounds: tuple[float, float] | None = DEFAULT_RELATIVE_BOUNDS,
    horizon: int = DEFAULT_HORIZON,
    per: Per = "period",
    value_per_unit: float | None = None,
    carry_in: bool = False,
    current: Mapping[str, float] | None = None,
    last: int = DEFAULT_LAST,
    allocate: Allocate | None = None,
    split: Mapping[str, Mapping[str, float]] | None = None,
    draws: int | None = None,
    seed: int | None = None,
) -> BudgetProblem:
    """How to spread a budget over the channels of a fitted MMM for ``horizon`` periods.

    A variable per channel: its spend per period or over the horizon (``per``), in the
    model's spend units. Each decision's outcome per posterior draw is its incremental
    response (:class:`~bayes_widgets.core.mmm.response.MMMResponse`) or, with
    ``value_per_unit`` (money per unit of the target), that money less the spend.

    Parameters
    ----------
    mmm:
        A fitted :class:`MMMModel`, a fitted pymc-marketing ``MMM`` or an :class:`MMMResponse`.
    total_budget:
        Cap on the sum of the variables (a :class:`Budget` constraint). Default: the
        current plan's total.
    bounds:
        ``{variable: (lower, upper)}`` in the variables' units, for any variables; the
        others get the default of ``relative_bounds``.
    relative_bounds:
        The default bounds, ``(low, high)`` multiples of each channel's average spend per
        period over the ``last`` periods (over all of them if it spent nothing lately).
        ``None``: from 0 to the channel's largest spend per period in the data.
    horizon, per:
        Periods the plan runs for (its carry-over after it counts too); ``"period"`` or
        ``"horizon"``: what a variable (and the budget) measures.
    carry_in:
        Start from the adstock the training data leaves, as pymc-marketing's
        ``budget_optimizer`` does: the outcome is then the increment over spending nothing.
    current:
        The current plan, spend per period by variable; default :func:`current_plan`
        over the ``last`` periods of the training data.
    last:
        Periods that count as recent: the current plan's, the relative bounds' and the
        geo split's.
    allocate, split:
        A geo model's variables, ``"channel"`` (default; ``split``, ``{channel: {geo:
        weight}}``, overrides the split by recent spend) or ``"geo"``: see
        :mod:`~bayes_widgets.core.mmm.budget_layout`.
    draws, seed:
        Use ``draws`` random posterior draws (default: all).
    """
    response, horizon = as_response(mmm, draws, seed), check_horizon(horizon)
    factor, value_per_unit = _factor(per, horizon), _value_per_unit(value_per_unit)
    last = check_int("last", last, low=1, high=len(response.spend), error=DecisionInputError)
    layout = budget_layout(response, allocate, split, last)
    current_x = _current(response, layout, current, last, factor)
    variables = _variables(layout, bounds, relative_bounds, last, factor)
    total = _total_budget(total_budget, current_x, np.array([v.lower for v in variables]))
    window = response.window(horizon, bool(carry_in))
    saturation = {f"saturation_{k}": v for k, v in response.saturation_params.items()}
    return BudgetProblem(
        response,
        variables,
        {**window.arrays, **saturation},
        _media_profit(response, window, horizon, factor, value_per_unit, layout),
        total_budget=total,
        horizon=horizon,
        per=per,
        carry_in=bool(carry_in),
        value_per_unit=value_per_unit,
        current=current_x,
        layout=layout,
    )


def _value_per_unit(value: Any) -> float | None:
    if value is None:
        return None
    return check_number("value_per_unit", value, low=0.0, error=DecisionInputError)


def _factor(per: Any, horizon: int) -> float:
    """Periods a variable's unit stands for."""
    if per not in ("period", "horizon"):
        raise DecisionInputError("per", f"must be 'period' or 'horizon', got {per!r}")
    return float(horizon) if per == "horizon" else 1.0


def _current(
    response: MMMResponse,
    layout: BudgetLayout,
    current: Mapping[str, float] | None,
    last: int,
    factor: float,
) -> dict[str, float]:
    """The current plan in the variables' units (per period, or over the horizon)."""
    if current is None:
        columns = np.array(list(current_plan(response, last=last).values()))
        now = layout.from_columns(columns)
    elif layout.to_columns is None:
        now = response.plan_from(current, field="current")
    else:
        now = _channel_plan(layout.names, current)
    return {c: float(v) * factor for c, v in zip(layout.names, now)}


def _channel_plan(names: tuple[str, ...], current: Any) -> np.ndarray:
    """A per-channel plan given as ``{channel: spend per period}``."""
    if not isinstance(current, Mapping) or set(map(str, current)) != set(names):
        raise DecisionInputError(
            "current", f"expected {{channel: spend per period}} for exactly {list(names)}"
        )
    values = np.array(
        [
            check_number(
                f"current.{n}", current[n], low=0.0, low_open=False, error=DecisionInputError
            )
            for n in names
        ]
    )
    return values


def _variables(
    layout: BudgetLayout, bounds: Any, relative: Any, last: int, factor: float
) -> list[DecisionVariable]:
    """A variable per channel (or per channel and geo): its bounds, and the spend per
    period the model saw on it as its observed range, in the variables' units."""
    spend = layout.spend
    lower, upper = _bounds(layout.names, spend, bounds, relative, last, factor)
    seen_low, seen_high = spend.min(axis=0) * factor, spend.max(axis=0) * factor
    return [
        DecisionVariable(c, float(lo), float(hi), observed=(float(a), float(b)))
        for c, lo, hi, a, b in zip(layout.names, lower, upper, seen_low, seen_high)
    ]


def _bounds(
    names: tuple[str, ...],
    spend: np.ndarray,
    bounds: Mapping[str, Any] | None,
    relative: Any,
    last: int,
    factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each variable's (lower, upper) bounds: the given ones, else multiples of its recent
    average spend per period (or, with ``relative`` None, 0 to its largest)."""
    if relative is None:
        lower = np.zeros(len(names))
        upper = spend.max(axis=0) * factor
    else:
        low, high = _relative_pair(relative)
        recent = spend[-last:].mean(axis=0)
        base = np.where(recent > 0, recent, spend.mean(axis=0))
        lower, upper = low * base * factor, high * base * factor
    if bounds is not None and not isinstance(bounds, Mapping):
        raise DecisionInputError(
            "bounds", f"expected {{channel: (lower, upper)}}, got {type(bounds).__name__}"
        )
    for channel, pair in (bounds or {}).items():
        if channel not in names:
            raise DecisionInputError(
                "bounds", f"unknown channel {channel!r}; channels: {', '.join(names)}"
            )
        i = names.index(channel)
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
            "lower bounds (widen them with relative_bounds or bounds)",
        )
    return total


def _media_profit(
    response: MMMResponse,
    window: ResponseWindow,
    horizon: int,
    factor: float,
    value_per_unit: float | None,
    layout: BudgetLayout,
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
        out = response.window_response(layout.columns(X) / factor, arrays, weights, params=params)
        if value_per_unit is not None:
            spent = X.sum(axis=1) * (horizon / factor)
            out = value_per_unit * out - spent[:, None]
        return out[0] if single else out

    return media_profit


def _relative_pair(pair: Any) -> tuple[float, float]:
    field = "relative_bounds"
    try:
        lo, hi = pair
    except (TypeError, ValueError):
        raise DecisionInputError(
            field, f"expected (low, high) multiples of the recent spend, got {pair!r}"
        ) from None
    lo = check_number(field, lo, low=0.0, low_open=False, error=DecisionInputError)
    hi = check_number(field, hi, low=0.0, error=DecisionInputError)
    if lo > hi:
        raise DecisionInputError(field, f"low multiple {lo:g} is above high multiple {hi:g}")
    return lo, hi


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
    "DEFAULT_RELATIVE_BOUNDS",
    "BudgetProblem",
    "MMMResponse",
    "budget_problem",
    "current_plan",
    "mmm_response",
]
