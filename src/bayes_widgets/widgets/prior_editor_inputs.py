"""The prior editor's inputs: its family specs for the page, and the checks of the
numbers and names the page sends."""

from __future__ import annotations

from typing import Any

import numpy as np

from bayes_widgets.core.checks import finite_or_none
from bayes_widgets.core.priors import FAMILIES, PriorDist, PriorError


def family_specs() -> dict[str, Any]:
    out = {}
    for name, fam in FAMILIES.items():
        out[name] = {
            "discrete": fam.discrete,
            "parameterizations": {
                label: [
                    {
                        "name": p.name,
                        "low": finite_or_none(p.low),
                        "high": finite_or_none(p.high),
                        "open_low": p.open_low,
                        "open_high": p.open_high,
                        "slider": list(p.slider),
                        "default": p.default,
                    }
                    for p in params
                ]
                for label, params in {"canonical": fam.params, **fam.alternatives}.items()
            },
        }
    return out


def number(msg, key: str, default: float | None = None) -> float:
    """A number from a message; a clear error naming ``key`` for an empty or bad one."""
    value = msg.get(key, default)
    if isinstance(value, bool) or value is None or value == "":
        raise PriorError(key, "enter a number")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise PriorError(key, f"enter a number, got {value!r}") from None
    if not np.isfinite(out):
        raise PriorError(key, f"enter a finite number, got {value!r}")
    return out


def check_quantiles(values) -> list[float]:
    try:
        qs = sorted(float(q) for q in values)
    except (TypeError, ValueError):
        raise PriorError("quantiles", f"expected numbers in (0, 1), got {values!r}") from None
    if not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise PriorError("quantiles", f"each must be in (0, 1), got {values!r}")
    return qs


def message_parameterization(msg, current: str) -> str:
    """The parameterization a message asks for (pages saved before the rename send
    ``parameterisation``), else ``current``."""
    return msg.get("parameterization", msg.get("parameterisation", current))


def parameterization_arg(parameterization: str | None) -> str | None:
    """The ``parameterization`` argument of ``PriorDist``: None for the canonical one."""
    return None if parameterization in (None, "", "canonical") else parameterization


def as_dist(source) -> PriorDist:
    if isinstance(source, PriorDist):
        return source
    if isinstance(source, str):
        return PriorDist.create(source)
    if hasattr(source, "distribution") and hasattr(source, "parameters"):
        return PriorDist.from_prior(source)
    if isinstance(source, dict):
        return PriorDist.from_dict(source)
    raise TypeError(
        f"source: expected a PyMC model, an MMM, a family name or a prior, got {type(source).__name__}"
    )


def variable_rows(model_priors, model) -> list[dict[str, Any]]:
    """The page's list of a model's free variables: name, and family, dims and element
    labels when editable, else the reason it is not."""
    coords = model.coords
    rows: list[dict[str, Any]] = []
    for rv in model.free_RVs:
        prior = model_priors.priors.get(rv.name)
        if prior is None:
            reason = model_priors.read_only[rv.name].reason
            rows.append({"name": rv.name, "editable": False, "reason": reason})
            continue
        labels = None
        if prior.size is not None:
            dim = prior.dims[0] if prior.dims else None
            labels = (
                [str(c) for c in coords.get(dim) or range(prior.size)]
                if dim in coords
                else [str(i) for i in range(prior.size)]
            )
        rows.append(
            {
                "name": rv.name,
                "editable": True,
                "family": prior.family,
                "dims": list(prior.dims),
                "elements": labels,
            }
        )
    return rows
