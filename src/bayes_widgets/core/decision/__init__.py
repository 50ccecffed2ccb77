"""Decisions under uncertainty: choose the best action over posterior scenarios.

    problem = DecisionProblem(
        [DecisionVariable("order", 0, 200, integer=True)],
        scenarios,                                  # dict, DataFrame, DataTree or FitResult
        profit=lambda x, s: 5 * np.minimum(x[0], s["demand"]) - 3 * x[0],
        constraints=[budget(150)],
    )
    problem.evaluate([80])                          # mean, sd, quantiles, CVaR, P(loss), histogram
    problem.extrapolations([80])                    # variables outside their observed range
    result = problem.optimize("mean")               # or "cvar", "quantile", "prob_loss"
    compare_naive(problem, heldout_scenarios=fresh) # Bayesian vs plug-in-the-means
    risk_return(problem)                            # the optimum per risk preference

Profits are maximized (higher is better); see :mod:`.problem` for the conventions. Budgets
over a media-mix model's channels are in :mod:`bayes_widgets.core.mmm`.
"""

import warnings
from typing import Any

from bayes_widgets.core.decision.compare import NaiveComparison, compare_naive, plug_in_scenario
from bayes_widgets.core.decision.constraints import Budget, Constraint, LinearConstraint, budget
from bayes_widgets.core.decision.errors import DecisionInputError, SlowProfitWarning
from bayes_widgets.core.decision.evaluation import SolvableProblem
from bayes_widgets.core.decision.frontier import FrontierPoint, risk_return
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.ranges import Extrapolation, extrapolations, summarize_marginals
from bayes_widgets.core.decision.risk import (
    RISK_MEASURES,
    OutcomeSummary,
    RiskMeasure,
    cvar,
    expected_value,
    prob_loss,
    quantile,
    risk_measure,
    summarise,
    summarize,
)
from bayes_widgets.core.decision.scenarios import Scenarios, as_scenarios
from bayes_widgets.core.decision.solvers import OptimizationResult, optimise, optimize
from bayes_widgets.core.decision.variables import DecisionVariable

_RENAMED = {"OptimisationResult": "OptimizationResult"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        warnings.warn(
            f"{name} is deprecated; use {_RENAMED[name]}", DeprecationWarning, stacklevel=2
        )
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RISK_MEASURES",
    "Budget",
    "Constraint",
    "DecisionInputError",
    "DecisionProblem",
    "DecisionVariable",
    "Extrapolation",
    "FrontierPoint",
    "LinearConstraint",
    "NaiveComparison",
    "OptimizationResult",
    "OutcomeSummary",
    "RiskMeasure",
    "Scenarios",
    "SlowProfitWarning",
    "SolvableProblem",
    "as_scenarios",
    "budget",
    "compare_naive",
    "cvar",
    "expected_value",
    "extrapolations",
    "optimise",
    "optimize",
    "plug_in_scenario",
    "prob_loss",
    "quantile",
    "risk_measure",
    "risk_return",
    "summarise",
    "summarize",
    "summarize_marginals",
]
