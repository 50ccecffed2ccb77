"""Media-mix models: data checks, the pymc-marketing wrapper, responses, budgets, fleets.

    model = MMMModel(df, target="sales", date_column="week", channels=["tv", "search"])
    model.fit()
    problem = budget_problem(model, horizon=8)      # a DecisionProblem over the channels
    mmm_response(model).response({"tv": 1e4, "search": 5e3})

A geo model takes long data (one row per date and geo) and ``dims=("geo",)``; its
contributions, ROAS and predictions come per geo and in total.

Modules: ``model`` (the wrapper), ``geo`` (the panel dimension, its default priors),
``outputs`` (predictions, contributions, ROAS), ``storage`` (config, save, load),
``validation``, ``priors``, ``fitting``, ``metrics``, ``lift`` (lift tests),
``transforms`` (adstock and saturation in numpy), ``response``, ``budget``, ``fleets``.
The budget and response names load on first use.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bayes_widgets.core.mmm.model import ADSTOCKS, SATURATIONS, MMMModel
from bayes_widgets.core.mmm.validation import MMMDataError, validate_mmm_data

if TYPE_CHECKING:
    from bayes_widgets.core.mmm.budget import BudgetProblem, budget_problem
    from bayes_widgets.core.mmm.response import MMMResponse, current_plan, mmm_response

_LAZY = {
    "BudgetProblem": "bayes_widgets.core.mmm.budget",
    "budget_problem": "bayes_widgets.core.mmm.budget",
    "MMMResponse": "bayes_widgets.core.mmm.response",
    "mmm_response": "bayes_widgets.core.mmm.response",
    "current_plan": "bayes_widgets.core.mmm.response",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ADSTOCKS",
    "SATURATIONS",
    "BudgetProblem",
    "MMMDataError",
    "MMMModel",
    "MMMResponse",
    "budget_problem",
    "current_plan",
    "mmm_response",
    "validate_mmm_data",
]
