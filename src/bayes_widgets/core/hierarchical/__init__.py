"""Hierarchical GLMs at scale (seed 003): build, fit by SVI or NUTS, cold start, figures.

    from bayes_widgets.core.hierarchical import make_demand, fit_svi, evaluate_cold_start

    demand = make_demand(1000, 942)                  # synthetic stores x days x 23 features
    fit = fit_svi(demand.data, batch_size=100, steps=3000)
    forecast = fit.predict(groups=[0, 1])             # mean, 50% and 90% bands
    promo = fit.group_effects("promo")                # (draws, stores)

Importing this package does not import JAX; fitting does.
"""

from bayes_widgets.core.hierarchical.cold_start import (
    ColdStartReport,
    evaluate_cold_start,
    fit_new_groups,
    known_days,
    median_relative_error,
    poisson_ridge_per_group,
)
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.fit import (
    Forecast,
    HierarchicalFit,
    LiveHierarchicalFit,
    build_model,
    default_optimizer,
    default_priors,
    fit_nuts,
    fit_svi,
    initial_params,
)
from bayes_widgets.core.hierarchical.model import LIKELIHOODS, HierarchicalGLM, Priors, Site
from bayes_widgets.core.hierarchical.radon import load_radon, radon_data
from bayes_widgets.core.hierarchical.synthetic import FEATURES, SyntheticDemand, make_demand

__all__ = [
    "FEATURES",
    "LIKELIHOODS",
    "ColdStartReport",
    "Forecast",
    "HierarchicalFit",
    "HierarchicalGLM",
    "HierarchicalInputError",
    "LiveHierarchicalFit",
    "PanelData",
    "Priors",
    "Site",
    "SyntheticDemand",
    "build_model",
    "default_optimizer",
    "default_priors",
    "effects_figure",
    "evaluate_cold_start",
    "fit_new_groups",
    "fit_nuts",
    "fit_svi",
    "forecast_figure",
    "initial_params",
    "known_days",
    "load_radon",
    "make_demand",
    "median_relative_error",
    "poisson_ridge_per_group",
    "radon_data",
]


def __getattr__(name: str):
    # the figures need bokeh and import this package's errors: loaded on first use
    if name in ("effects_figure", "forecast_figure"):
        from bayes_widgets.core.figures import hierarchical

        return getattr(hierarchical, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
