"""Checks of fit inputs, each failing with a message that names the offending field."""

from __future__ import annotations

import numbers

import numpy as np


class FitInputError(ValueError):
    """A fit argument or model is not usable; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def check_positive_int(field: str, value: object, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise FitInputError(field, f"must be an integer, got {value!r}")
    value = int(value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise FitInputError(field, f"must be {bound}, got {value}")
    return value


def check_probability(field: str, value: object) -> float:
    if not is_number(value):
        raise FitInputError(field, f"must be a number in (0, 1), got {value!r}")
    p = float(value)  # type: ignore[arg-type]
    if not 0.0 < p < 1.0:
        raise FitInputError(field, f"must be in (0, 1), got {p}")
    return p


def is_number(value: object) -> bool:
    """True for a real number (Python's or NumPy's, or a 0-d numeric array); False for text,
    booleans and None, which ``float()`` might still accept."""
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        return False
    if isinstance(value, numbers.Real):
        return True
    dtype = getattr(value, "dtype", None)
    return getattr(value, "ndim", None) == 0 and dtype is not None and dtype.kind in "iuf"


def check_number(
    field: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = False,
) -> float:
    """A finite number within (low, high] by default (the ends' openness can be chosen);
    else a :class:`FitInputError` naming ``field``."""
    if not is_number(value):
        raise FitInputError(field, f"must be a number, got {value!r}")
    v = float(value)  # type: ignore[arg-type]
    if not np.isfinite(v):
        raise FitInputError(field, f"must be a finite number, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise FitInputError(field, f"must be {'>' if low_open else '≥'} {low:g}, got {v:g}")
    if high is not None and (v >= high if high_open else v > high):
        raise FitInputError(field, f"must be {'<' if high_open else '≤'} {high:g}, got {v:g}")
    return v


SEED_LIMIT = 2**32
"""Seeds are below this: every backend's random generator takes them (JAX's keys are 32-bit)."""


def check_seed(field: str, value: object, *, allow_none: bool = True) -> int | None:
    """A seed: a whole number in [0, 2**32) (or None where allowed)."""
    if value is None and allow_none:
        return None
    seed = check_positive_int(field, value, allow_zero=True)
    if seed >= SEED_LIMIT:
        raise FitInputError(field, f"must be < 2**32, got {seed}")
    return seed


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
