"""bayes_widgets: the Bayesian workflow, live and interactive in the notebook.

    import bayes_widgets as bw
    result = bw.fit(model, backend="nutpie")          # in a script
    monitor = bw.FitMonitor(model, backend="nutpie")  # in a notebook: live view

Heavy libraries load on first use, not at import.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bayes_widgets")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_LAZY = {
    "fit": "bayes_widgets.core.session",
    "FitSession": "bayes_widgets.core.session",
    "FitResult": "bayes_widgets.core.result",
    "Diagnostics": "bayes_widgets.core.diagnostics",
    "FitInputError": "bayes_widgets.core.validation",
    "FitMonitor": "bayes_widgets.widgets.fit_monitor",
    "PriorEditor": "bayes_widgets.widgets.prior_editor",
    "FleetBoard": "bayes_widgets.widgets.fleet_board",
    "DecisionExplorer": "bayes_widgets.widgets.decision_explorer",
    "PosteriorExplorer": "bayes_widgets.widgets.posterior_explorer",
    "HierarchicalExplorer": "bayes_widgets.widgets.hierarchical_explorer",
    "MMMModel": "bayes_widgets.core.mmm.model",
    "PriorDist": "bayes_widgets.core.priors.dist",
    "DecisionProblem": "bayes_widgets.core.decision.problem",
    "DecisionVariable": "bayes_widgets.core.decision.variables",
    "DecisionInputError": "bayes_widgets.core.decision.errors",
    "LinearRegression": "bayes_widgets.core.regression",
    "RegressionInputError": "bayes_widgets.core.regression",
    "predict_new_rows": "bayes_widgets.core.regression",
    "PredictionInputError": "bayes_widgets.core.prediction",
    "PredictionTable": "bayes_widgets.widgets.prediction_table",
    "datasets": "bayes_widgets.datasets",
    "fast_mode": "bayes_widgets.settings",
    "choose": "bayes_widgets.settings",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name == "datasets" else getattr(module, name)
    raise AttributeError(f"module 'bayes_widgets' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext bayes_widgets``: display hooks and the ``%fit`` magic (see
    :mod:`bayes_widgets.ipython_ext`)."""
    from bayes_widgets.ipython_ext import load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    """``%unload_ext bayes_widgets``: IPython's formatters as they were."""
    from bayes_widgets.ipython_ext import unload

    unload(ipython)
