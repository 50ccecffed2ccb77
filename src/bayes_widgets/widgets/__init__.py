"""Widgets: thin anywidget layers over the core."""

from bayes_widgets.widgets.decision_explorer import DecisionExplorer
from bayes_widgets.widgets.fit_monitor import FitMonitor
from bayes_widgets.widgets.fleet_board import FleetBoard
from bayes_widgets.widgets.posterior_explorer import PosteriorExplorer
from bayes_widgets.widgets.prior_editor import PriorEditor

__all__ = ["DecisionExplorer", "FitMonitor", "FleetBoard", "PosteriorExplorer", "PriorEditor"]
