"""pymc-marketing ``model_config`` dicts: their priors, editable by name, and back.

A ``model_config`` maps keys to ``pymc_extras.prior.Prior`` objects; a parameter that is
itself a prior (the likelihood's ``sigma``) is addressed as ``"likelihood.sigma"``. In a
built MMM the same priors appear as model variables, some under other names
(``intercept`` is ``intercept_contribution``, ``likelihood.sigma`` is ``y_sigma``).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError

VARIABLE_TO_CONFIG = {"intercept_contribution": "intercept", "y_sigma": "likelihood.sigma"}


def is_mmm(obj: Any) -> bool:
    return hasattr(obj, "model_config") and hasattr(obj, "channel_columns")


def is_prior(obj: Any) -> bool:
    return hasattr(obj, "distribution") and hasattr(obj, "parameters")


def mmm_model(mmm):
    """The built PyMC model of an MMM; a clear error if it has not been built."""
    try:
        return mmm.model
    except Exception:
        raise PriorError(
            "model", "the MMM has no model yet: call mmm.build_model(X, y) first"
        ) from None


def config_priors(model_config: dict[str, Any]) -> dict[str, PriorDist]:
    """The editable priors of a ``model_config``, by key (``"key.param"`` when nested)."""
    out: dict[str, PriorDist] = {}
    for key, value in model_config.items():
        if not is_prior(value):
            continue
        nested = {k: v for k, v in value.parameters.items() if is_prior(v)}
        if nested:
            for param, inner in nested.items():
                out[f"{key}.{param}"] = PriorDist.from_prior(inner)
        else:
            out[key] = PriorDist.from_prior(value)
    return out


def model_config_with(model_config: dict[str, Any], priors: dict[str, PriorDist]) -> dict[str, Any]:
    """A copy of ``model_config`` with ``priors`` (keys as in :func:`config_priors`, or
    MMM variable names) put in, keeping each entry's dims."""
    out = copy.deepcopy(model_config)
    for name, edited in priors.items():
        key, _, param = VARIABLE_TO_CONFIG.get(name, name).partition(".")
        value: Any = model_config.get(key)
        if not is_prior(value):
            continue
        prior = as_prior(edited)
        if param:
            out[key] = type(value)(
                value.distribution, **{**value.parameters, param: prior}, dims=value.dims
            )
        else:
            out[key] = type(value)(prior.distribution, **prior.parameters, dims=value.dims)
    return out


def as_prior(dist: PriorDist):
    """``dist`` as a ``pymc_extras.prior.Prior`` whose parameters say their dims.

    A parameter with one value per element (a PyMC model's prior read back per channel)
    becomes a number when every element has the same value, and otherwise an
    ``xarray.DataArray`` over the prior's trailing dims: ``Prior`` would otherwise
    guess the dims of a bare array, with a warning at every build of the model."""
    from pymc_extras.prior import Prior

    dims = tuple(dist.dims or ())
    params: dict[str, Any] = {}
    for name, value in dist.params.items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            params[name] = float(arr)
        elif arr.size and np.all(arr == arr.flat[0]):
            params[name] = float(arr.flat[0])
        elif arr.ndim <= len(dims):
            import xarray as xr

            params[name] = xr.DataArray(arr, dims=dims[len(dims) - arr.ndim :])
        else:
            raise PriorError(name, f"has shape {arr.shape}, more axes than the prior's dims {dims}")
    return Prior(dist.family, dims=dims or None, **params)


def built_mmm(source: Any):
    """The built pymc-marketing MMM behind ``source``: ``source`` itself, or an
    :class:`~bayes_widgets.core.mmm.model.MMMModel`'s (its fitted one, else built now on
    every row); ``None`` for anything else."""
    from bayes_widgets.core.mmm.model import MMMModel

    if is_mmm(source):
        return source
    if isinstance(source, MMMModel):
        return source.mmm if source.mmm is not None else source.build()
    return None
