"""Decisions under uncertainty: choose the best action over posterior scenarios.

    problem = DecisionProblem(
        [DecisionVariable("order", 0, 200, integer=True)],
        scenarios,                                  # dict, DataFrame, DataTree or FitResult
        profit=lambda x, s: 5 * np.minimum(x[0], s["demand"]) - 3 * x[0],
        constraints=[budget(150)],
    )
    problem.evaluate([80])                          # mean, sd, quantiles, CVaR, P(loss), histogram
    result = problem.optimise("mean")               # or "cvar", "quantile", "prob_loss"
    compare_naive(problem, heldout_scenarios=fresh) # Bayesian vs plug-in-the-means
    risk_return(problem)                            # the optimum per risk preference
    budget_problem(mmm, total_budget=1e5)           # spend per channel of a fitted MMM

Profits are maximised (higher is better); see :mod:`.problem` for the conventions.
"""

from bayes_widgets.core.decision.compare import NaiveComparison, compare_naive
from bayes_widgets.core.decision.constraints import Budget, Constraint, LinearConstraint, budget
from bayes_widgets.core.decision.errors import DecisionInputError, SlowProfitWarning
from bayes_widgets.core.decision.frontier import FrontierPoint, risk_return
from bayes_widgets.core.decision.problem import DecisionProblem
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
)
from bayes_widgets.core.decision.scenarios import Scenarios, as_scenarios
from bayes_widgets.core.decision.solvers import OptimisationResult, optimise
from bayes_widgets.core.decision.variables import DecisionVariable
from bayes_widgets.core.mmm.budget import (
    BudgetProblem,
    MMMResponse,
    budget_problem,
    current_plan,
    mmm_response,
)

__all__ = [
    "RISK_MEASURES",
    "Budget",
    "BudgetProblem",
    "Constraint",
    "DecisionInputError",
    "DecisionProblem",
    "DecisionVariable",
    "FrontierPoint",
    "LinearConstraint",
    "MMMResponse",
    "NaiveComparison",
    "OptimisationResult",
    "OutcomeSummary",
    "RiskMeasure",
    "Scenarios",
    "SlowProfitWarning",
    "as_scenarios",
    "budget",
    "budget_problem",
    "compare_naive",
    "current_plan",
    "cvar",
    "expected_value",
    "mmm_response",
    "optimise",
    "prob_loss",
    "quantile",
    "risk_measure",
    "risk_return",
    "summarise",
]
