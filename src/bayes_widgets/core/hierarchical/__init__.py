"""Hierarchical GLMs at scale: build, fit by SVI or NUTS, forecast, cold start, figures.

    from bayes_widgets.core.hierarchical import make_demand, fit_svi, evaluate_cold_start

    demand = make_demand(1000, 942)                  # synthetic stores x days x 23 features
    fit = fit_svi(demand.data, batch_size=100, steps=3000)
    forecast = fit.predict(groups=[0, 1])             # mean, 50% and 90% bands
    promo = fit.group_effects("promo")                # (draws, stores)

Importing this package does not import JAX or Bokeh; fitting and drawing do.
"""

from bayes_widgets.core.figures.hierarchical import effects_figure, forecast_figure
from bayes_widgets.core.hierarchical.build import build_model, default_priors
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
from bayes_widgets.core.hierarchical.fit import fit_nuts, fit_svi
from bayes_widgets.core.hierarchical.live import HierarchicalGuide, LiveHierarchicalFit
from bayes_widgets.core.hierarchical.model import (
    LIKELIHOODS,
    HierarchicalGLM,
    Priors,
    Site,
    normalise_likelihood,
    normalize_likelihood,
)
from bayes_widgets.core.hierarchical.optimizer import default_optimizer
from bayes_widgets.core.hierarchical.radon import load_radon, radon_data
from bayes_widgets.core.hierarchical.results import Forecast, HierarchicalFit
from bayes_widgets.core.hierarchical.start import initial_params
from bayes_widgets.core.hierarchical.synthetic import FEATURES, SyntheticDemand, make_demand

__all__ = [
    "FEATURES",
    "LIKELIHOODS",
    "ColdStartReport",
    "Forecast",
    "HierarchicalFit",
    "HierarchicalGLM",
    "HierarchicalGuide",
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
    "normalise_likelihood",
    "normalize_likelihood",
    "poisson_ridge_per_group",
    "radon_data",
]
