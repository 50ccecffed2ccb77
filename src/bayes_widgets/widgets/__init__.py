"""Widgets: thin anywidget layers over the core, one Python module and one JS module each.

Importing this package loads no widget; each name below loads its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names as type checkers and editors see them
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
    "CalibrationBoard": "bayes_widgets.widgets.calibration_board",
    "DecisionExplorer": "bayes_widgets.widgets.decision_explorer",
    "FitMonitor": "bayes_widgets.widgets.fit_monitor",
    "FleetBoard": "bayes_widgets.widgets.fleet_board",
    "HierarchicalExplorer": "bayes_widgets.widgets.hierarchical_explorer",
    "MMMExplorer": "bayes_widgets.widgets.mmm_explorer",
    "ModelCard": "bayes_widgets.widgets.model_card",
    "PosteriorExplorer": "bayes_widgets.widgets.posterior_explorer",
    "PredictionTable": "bayes_widgets.widgets.prediction_table",
    "PriorEditor": "bayes_widgets.widgets.prior_editor",
}

__all__ = [
    "CalibrationBoard",
    "DecisionExplorer",
    "FitMonitor",
    "FleetBoard",
    "HierarchicalExplorer",
    "MMMExplorer",
    "ModelCard",
    "PosteriorExplorer",
    "PredictionTable",
    "PriorEditor",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
