"""Widgets: thin anywidget layers over the core."""

from bayes_widgets.widgets.fit_monitor import FitMonitor

__all__ = ["FitMonitor"]
