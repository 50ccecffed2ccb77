"""Checks of fit inputs, each failing with a :class:`FitInputError` that names the field.

    check_positive_int("draws", 1000)        # 1000
    check_probability("target_accept", 1.5)  # FitInputError: target_accept: must be in (0, 1), got 1.5

The rules are those of :mod:`bayes_widgets.core.checks`, raised as :class:`FitInputError`.
"""

from __future__ import annotations

import numpy as np

from bayes_widgets.core import checks
from bayes_widgets.core.checks import SEED_LIMIT, is_number
from bayes_widgets.core.errors import InputError


class FitInputError(InputError):
    """A fit argument or model is not usable; ``field`` names what to fix."""


def check_positive_int(field: str, value: object, *, allow_zero: bool = False) -> int:
    """A whole number > 0 (≥ 0 with ``allow_zero``)."""
    return checks.check_positive_int(field, value, allow_zero=allow_zero, error=FitInputError)


def check_probability(field: str, value: object) -> float:
    """A number strictly between 0 and 1."""
    return checks.check_probability(field, value, error=FitInputError)


def check_number(
    field: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = False,
) -> float:
    """A finite number within (low, high] by default (the ends' openness can be chosen)."""
    return checks.check_number(
        field,
        value,
        low=low,
        high=high,
        low_open=low_open,
        high_open=high_open,
        error=FitInputError,
    )


def check_seed(field: str, value: object, *, allow_none: bool = True) -> int | None:
    """A seed: a whole number in [0, 2**32) (or None where allowed)."""
    return checks.check_seed(field, value, allow_none=allow_none, error=FitInputError)


def check_pymc_model(model: object, *, allow_missing: bool = False) -> None:
    """A PyMC model with something to sample and complete observed data."""
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise FitInputError("model", f"expected a pymc.Model, got {type(model).__name__}")
    if not model.free_RVs:
        raise FitInputError("model", "has no free variables to sample")
    names = set(model.named_vars)
    for rv in model.observed_RVs:
        data = _observed_values(model, rv)
        if data is not None and np.issubdtype(data.dtype, np.floating):
            bad = int(np.isnan(data).sum())
            if bad:
                raise FitInputError(
                    "model",
                    f"observed data of {rv.name!r} contains NaN ({bad} of {data.size} values); "
                    "drop or fill those rows",
                )
    if not allow_missing:
        for rv in model.free_RVs:
            base = rv.name.removesuffix("_unobserved")
            if base != rv.name and f"{base}_observed" in names:
                raise FitInputError(
                    "model",
                    f"observed data of {base!r} contains NaN (PyMC made {rv.name!r} to impute "
                    "them); drop or fill those rows, or pass allow_missing=True to impute",
                )


def _observed_values(model, rv) -> np.ndarray | None:
    value = model.rvs_to_values.get(rv)
    if value is None:
        return None
    if hasattr(value, "get_value"):
        return np.asarray(value.get_value())
    if hasattr(value, "data"):
        return np.asarray(value.data)
    return None


__all__ = [
    "SEED_LIMIT",
    "FitInputError",
    "check_number",
    "check_positive_int",
    "check_probability",
    "check_pymc_model",
    "check_seed",
    "is_number",
]
