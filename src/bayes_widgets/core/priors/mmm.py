"""pymc-marketing MMMs: their ``model_config`` priors and the model variables behind them."""

from __future__ import annotations

import copy
from typing import Any

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError

# model_config key -> model variable, where the two differ
_VARIABLE = {"intercept": "intercept_contribution"}
_LIKELIHOOD_SIGMA = "y_sigma"


def is_mmm(obj: Any) -> bool:
    return hasattr(obj, "model_config") and hasattr(obj, "channel_columns")


def mmm_model(mmm):
    """The built PyMC model of an MMM; a clear error if it has not been built."""
    try:
        return mmm.model
    except Exception:  # noqa: BLE001 - pymc-marketing raises its own error type here
        raise PriorError("model", "the MMM has no model yet: call mmm.build_model(X, y) first") from None


def model_config_with(model_config: dict[str, Any], priors: dict[str, PriorDist]) -> dict[str, Any]:
    """A copy of an MMM ``model_config`` with the edited priors (by model variable name)."""
    out = copy.deepcopy(model_config)
    for key, value in model_config.items():
        if key == "likelihood" and _LIKELIHOOD_SIGMA in priors and hasattr(value, "parameters"):
            sigma = priors[_LIKELIHOOD_SIGMA].to_prior()
            out[key] = type(value)(value.distribution, **{**value.parameters, "sigma": sigma},
                                   dims=value.dims)
            continue
        name = _VARIABLE.get(key, key)
        if name in priors and hasattr(value, "distribution"):
            edited = priors[name]
            prior = edited.to_prior()
            out[key] = type(value)(prior.distribution, **prior.parameters, dims=value.dims)
    return out
