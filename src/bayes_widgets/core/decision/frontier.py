"""Risk–return trade-off: the best decision for each degree of risk aversion.

A risk preference is a CVaR level ``alpha``: the decision maximising the mean of the
worst ``alpha`` share of outcomes. ``alpha = 1`` is the risk-neutral decision (the
expected profit); smaller ``alpha`` cares about ever worse futures. Every decision on
the frontier is reported with its expected profit and its CVaR at one common level
(``report_alpha``), so the points can be compared on one plot: moving towards small
``alpha`` gives up expected profit for a better bad case.

The frontier keeps the non-dominated optima only, ordered by risk (CVaR from worst to
best, so expected profit falls along it): an optimiser's answer for one preference can be
beaten on both expected profit and CVaR by another's, and a curve through it would fold
back. ``risk_return(..., keep_dominated=True)`` keeps them, flagged ``dominated``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.risk import cvar

DEFAULT_ALPHAS = (1.0, 0.5, 0.25, 0.1, 0.05, 0.02)


@dataclass(frozen=True)
class FrontierPoint:
    """The optimum for one risk preference, measured on the common scale."""

    alpha: float
    """CVaR level optimised (1.0: expected profit)."""
    x: dict[str, float | int]
    mean: float
    cvar: float
    """CVaR at the frontier's ``report_alpha``."""
    prob_loss: float
    converged: bool
    message: str
    dominated: bool = False
    """Another point has an expected profit and a CVaR at least as high (one higher)."""

    @property
    def label(self) -> str:
        return "risk-neutral" if self.alpha >= 1.0 else f"CVaR {self.alpha:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "label": self.label,
            "x": dict(self.x),
            "mean": self.mean,
            "cvar": self.cvar,
            "prob_loss": self.prob_loss,
            "converged": self.converged,
            "message": self.message,
            "dominated": self.dominated,
        }


def check_alphas(alphas: Any) -> tuple[float, ...]:
    """Risk preferences as CVaR levels in (0, 1], most risk-neutral first."""
    try:
        values = sorted({float(a) for a in alphas}, reverse=True)
    except (TypeError, ValueError):
        raise DecisionInputError("alphas", f"must be numbers in (0, 1], got {alphas!r}") from None
    if not values or any(not (0.0 < a <= 1.0) for a in values):
        raise DecisionInputError("alphas", f"each must be in (0, 1], got {alphas!r}")
    return tuple(values)


def risk_return(
    problem: DecisionProblem,
    alphas: Any = DEFAULT_ALPHAS,
    *,
    report_alpha: float = 0.05,
    keep_dominated: bool = False,
    **optimize_options: Any,
) -> list[FrontierPoint]:
    """Optimises ``problem`` once per risk preference and reports each optimum's expected
    profit and CVaR at ``report_alpha`` (options go to :meth:`DecisionProblem.optimize`),
    ordered by risk; dominated optima are left out unless ``keep_dominated``."""
    levels = check_alphas(alphas)
    if not 0.0 < float(report_alpha) <= 1.0:
        raise DecisionInputError("report_alpha", f"must be in (0, 1], got {report_alpha!r}")
    points = []
    start = None
    for alpha in levels:
        objective, level = ("mean", None) if alpha >= 1.0 else ("cvar", alpha)
        options = dict(optimize_options)
        if start is not None and "x0" not in options:
            options["x0"] = start  # the neighbouring preference's optimum is a good start
        result = problem.optimize(objective, level=level, **options)
        start = result.x_array
        outcomes = problem.outcomes(result.x_array)
        points.append(
            FrontierPoint(
                alpha=alpha,
                x=dict(result.x),
                mean=float(outcomes.mean()),
                cvar=float(cvar(outcomes, float(report_alpha))),
                prob_loss=float(np.mean(outcomes < 0)),
                converged=result.converged,
                message=result.message,
            )
        )
    return pareto(points, keep_dominated=keep_dominated)


def pareto(points: list[FrontierPoint], *, keep_dominated: bool = False) -> list[FrontierPoint]:
    """``points`` ordered by risk (CVaR ascending, then expected profit) with each
    dominated point flagged, and left out unless ``keep_dominated``. Along the kept points
    CVaR rises and expected profit falls strictly: a monotone frontier."""
    from dataclasses import replace

    order = sorted(points, key=lambda p: (p.cvar, p.mean))
    flagged = []
    best_mean = -np.inf
    for p in reversed(order):  # from the safest: a point stays only if it earns more
        dominated = not p.mean > best_mean
        best_mean = max(best_mean, p.mean)
        flagged.append(replace(p, dominated=dominated))
    flagged.reverse()
    return flagged if keep_dominated else [p for p in flagged if not p.dominated]
