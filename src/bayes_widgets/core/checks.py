"""Checks of plain inputs (numbers, counts, probabilities, seeds), shared by every part.

Each check returns the value in its plain Python form or raises an
:class:`~bayes_widgets.core.errors.InputError` naming ``field``. A part of the library
passes its own error class (``error=PriorError``) so its callers see the errors they
expect; the rules and wording are the same everywhere.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from bayes_widgets.core.errors import InputError

SEED_LIMIT = 2**32
"""Seeds are below this: every backend's random generator takes them (JAX's keys are 32-bit)."""


def is_number(value: object) -> bool:
    """True for a real number (Python's or NumPy's, or a 0-d numeric array); False for text,
    booleans and None, which ``float()`` might still accept."""
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        return False
    if isinstance(value, numbers.Real):
        return True
    dtype = getattr(value, "dtype", None)
    return getattr(value, "ndim", None) == 0 and dtype is not None and dtype.kind in "iuf"


def finite_or_none(value: object) -> float | None:
    """``value`` as a float when it is a finite number; None otherwise (NaN, inf, text, None)."""
    if not is_number(value):
        return None
    v = float(value)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None


def check_int(
    field: str,
    value: object,
    *,
    low: int | None = None,
    high: int | None = None,
    error: type[InputError] = InputError,
) -> int:
    """A whole number (not a bool) in ``[low, high]``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise error(field, f"must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise error(field, f"must be ≥ {low}, got {v}")
    if high is not None and v > high:
        raise error(field, f"must be ≤ {high}, got {v}")
    return v


def check_positive_int(
    field: str, value: object, *, allow_zero: bool = False, error: type[InputError] = InputError
) -> int:
    """A whole number > 0 (≥ 0 with ``allow_zero``)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise error(field, f"must be an integer, got {value!r}")
    v = int(value)
    if v < 0 or (v == 0 and not allow_zero):
        raise error(field, f"must be {'≥ 0' if allow_zero else '> 0'}, got {v}")
    return v


def check_number(
    field: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = False,
    error: type[InputError] = InputError,
) -> float:
    """A finite number within (low, high] by default (the ends' openness can be chosen)."""
    if not is_number(value):
        raise error(field, f"must be a number, got {value!r}")
    v = float(value)  # type: ignore[arg-type]
    if not math.isfinite(v):
        raise error(field, f"must be a finite number, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise error(field, f"must be {'>' if low_open else '≥'} {low:g}, got {v:g}")
    if high is not None and (v >= high if high_open else v > high):
        raise error(field, f"must be {'<' if high_open else '≤'} {high:g}, got {v:g}")
    return v


def check_probability(field: str, value: object, *, error: type[InputError] = InputError) -> float:
    """A number strictly between 0 and 1."""
    if not is_number(value):
        raise error(field, f"must be a number in (0, 1), got {value!r}")
    p = float(value)  # type: ignore[arg-type]
    if not 0.0 < p < 1.0:
        raise error(field, f"must be in (0, 1), got {p}")
    return p


def check_seed(
    field: str, value: object, *, allow_none: bool = True, error: type[InputError] = InputError
) -> int | None:
    """A seed: a whole number in [0, 2**32) (or None where allowed)."""
    if value is None and allow_none:
        return None
    seed = check_positive_int(field, value, allow_zero=True, error=error)
    if seed >= SEED_LIMIT:
        raise error(field, f"must be < 2**32, got {seed}")
    return seed


__all__ = [
    "SEED_LIMIT",
    "check_int",
    "check_number",
    "check_positive_int",
    "check_probability",
    "check_seed",
    "finite_or_none",
    "is_number",
]
