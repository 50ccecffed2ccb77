"""bayes_widgets: the Bayesian workflow, live and interactive in the notebook.

    import bayes_widgets as bw
    result = bw.fit(model, backend="nutpie")          # in a script
    monitor = bw.FitMonitor(model, backend="nutpie")  # in a notebook: live view

Heavy libraries load on first use, not at import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from bayes_widgets.version import __version__

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from bayes_widgets import datasets
    from bayes_widgets.core.calibration import Calibration, calibrate
    from bayes_widgets.core.decision.errors import DecisionInputError
    from bayes_widgets.core.decision.problem import DecisionProblem
    from bayes_widgets.core.decision.variables import DecisionVariable
    from bayes_widgets.core.errors import InputError
    from bayes_widgets.core.fitting.diagnostics import Diagnostics
    from bayes_widgets.core.fitting.result import FitResult
    from bayes_widgets.core.fitting.session import FitSession, fit
    from bayes_widgets.core.fitting.validation import FitInputError
    from bayes_widgets.core.mmm.budget import BudgetProblem, budget_problem
    from bayes_widgets.core.mmm.model import MMMModel
    from bayes_widgets.core.mmm.response import MMMResponse, mmm_response
    from bayes_widgets.core.prediction import PredictionInputError
    from bayes_widgets.core.priors.dist import PriorDist
    from bayes_widgets.core.regression import (
        LinearRegression,
        RegressionInputError,
        predict_new_rows,
        summarize_draws,
    )
    from bayes_widgets.settings import choose, fast_mode
    from bayes_widgets.widgets.calibration_board import CalibrationBoard
    from bayes_widgets.widgets.decision_explorer import DecisionExplorer
    from bayes_widgets.widgets.fit_monitor import FitMonitor
    from bayes_widgets.widgets.fleet_board import FleetBoard
    from bayes_widgets.widgets.hierarchical_explorer import HierarchicalExplorer
    from bayes_widgets.widgets.mmm_explorer import MMMExplorer
    from bayes_widgets.widgets.model_card import ModelCard
    from bayes_widgets.widgets.posterior_explorer import PosteriorExplorer
    from bayes_widgets.widgets.prediction_table import PredictionTable
    from bayes_widgets.widgets.prior_editor import PriorEditor

_LAZY = {
    "fit": "bayes_widgets.core.fitting.session",
    "FitSession": "bayes_widgets.core.fitting.session",
    "FitResult": "bayes_widgets.core.fitting.result",
    "Diagnostics": "bayes_widgets.core.fitting.diagnostics",
    "FitInputError": "bayes_widgets.core.fitting.validation",
    "FitMonitor": "bayes_widgets.widgets.fit_monitor",
    "PriorEditor": "bayes_widgets.widgets.prior_editor",
    "FleetBoard": "bayes_widgets.widgets.fleet_board",
    "DecisionExplorer": "bayes_widgets.widgets.decision_explorer",
    "PosteriorExplorer": "bayes_widgets.widgets.posterior_explorer",
    "HierarchicalExplorer": "bayes_widgets.widgets.hierarchical_explorer",
    "MMMModel": "bayes_widgets.core.mmm.model",
    "MMMExplorer": "bayes_widgets.widgets.mmm_explorer",
    "calibrate": "bayes_widgets.core.calibration",
    "Calibration": "bayes_widgets.core.calibration",
    "CalibrationBoard": "bayes_widgets.widgets.calibration_board",
    "budget_problem": "bayes_widgets.core.mmm.budget",
    "BudgetProblem": "bayes_widgets.core.mmm.budget",
    "mmm_response": "bayes_widgets.core.mmm.response",
    "MMMResponse": "bayes_widgets.core.mmm.response",
    "summarize_draws": "bayes_widgets.core.regression",
    "InputError": "bayes_widgets.core.errors",
    "PriorDist": "bayes_widgets.core.priors.dist",
    "DecisionProblem": "bayes_widgets.core.decision.problem",
    "DecisionVariable": "bayes_widgets.core.decision.variables",
    "DecisionInputError": "bayes_widgets.core.decision.errors",
    "LinearRegression": "bayes_widgets.core.regression",
    "RegressionInputError": "bayes_widgets.core.regression",
    "predict_new_rows": "bayes_widgets.core.regression",
    "PredictionInputError": "bayes_widgets.core.prediction",
    "PredictionTable": "bayes_widgets.widgets.prediction_table",
    "ModelCard": "bayes_widgets.widgets.model_card",
    "datasets": "bayes_widgets.datasets",
    "fast_mode": "bayes_widgets.settings",
    "choose": "bayes_widgets.settings",
}

__all__ = [
    "BudgetProblem",
    "Calibration",
    "CalibrationBoard",
    "DecisionExplorer",
    "DecisionInputError",
    "DecisionProblem",
    "DecisionVariable",
    "Diagnostics",
    "FitInputError",
    "FitMonitor",
    "FitResult",
    "FitSession",
    "FleetBoard",
    "HierarchicalExplorer",
    "InputError",
    "LinearRegression",
    "MMMExplorer",
    "MMMModel",
    "MMMResponse",
    "ModelCard",
    "PosteriorExplorer",
    "PredictionInputError",
    "PredictionTable",
    "PriorDist",
    "PriorEditor",
    "RegressionInputError",
    "__version__",
    "budget_problem",
    "calibrate",
    "choose",
    "datasets",
    "fast_mode",
    "fit",
    "mmm_response",
    "predict_new_rows",
    "summarize_draws",
]


def __getattr__(name: str):
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name == "datasets" else getattr(module, name)
    raise AttributeError(f"module 'bayes_widgets' has no attribute {name!r}")


def _fit_monitor(*args, **kwargs):
    from bayes_widgets.widgets.fit_monitor import FitMonitor

    return FitMonitor(*args, **kwargs)


def _budget_explorer(*args, **kwargs):
    from bayes_widgets.widgets.decision_explorer import budget_explorer

    return budget_explorer(*args, **kwargs)


def _register_views() -> None:
    # This package's top level sits above core and the widgets: it tells core which widget
    # provides each live view core offers (see bayes_widgets.core.views). The widgets load
    # when a view is first opened.
    from bayes_widgets.core import views

    views.register_view("fit_monitor", _fit_monitor)
    views.register_view("budget_explorer", _budget_explorer)


_register_views()


def load_ipython_extension(ipython) -> None:
    """``%load_ext bayes_widgets``: display hooks and the ``%fit`` magic (see
    :mod:`bayes_widgets.ipython_ext`)."""
    from bayes_widgets.ipython_ext import load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext bayes_widgets``: IPython's formatters as they were."""
    from bayes_widgets.ipython_ext import unload

    unload(ipython)
