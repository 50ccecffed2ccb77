"""Decision variables: a name, finite bounds, whether the variable is an integer, and the
range its values were observed in (beyond it, outcomes are extrapolated)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError


@dataclass(frozen=True)
class DecisionVariable:
    """One decision: ``lower <= value <= upper``; integer bounds are rounded inward.

    ``observed``: optionally, the ``(low, high)`` range the variable's values were seen in
    (e.g. the spend a model was fitted on); a decision outside it is flagged as an
    extrapolation (see :func:`~bayes_widgets.core.decision.ranges.extrapolations`). It may
    be narrower or wider than the bounds.
    """

    name: str
    lower: float
    upper: float
    integer: bool = False
    observed: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        field = f"variables.{self.name}"
        if not isinstance(self.name, str) or not self.name:
            raise DecisionInputError(
                "variables", f"each variable needs a non-empty name, got {self.name!r}"
            )
        bounds = []
        for label, value in (("lower", self.lower), ("upper", self.upper)):
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise DecisionInputError(
                    field, f"{label} bound must be a number, got {value!r}"
                ) from None
            if not math.isfinite(v):
                raise DecisionInputError(field, f"{label} bound must be finite, got {v}")
            bounds.append(v)
        lower, upper = bounds
        if lower > upper:
            raise DecisionInputError(field, f"lower bound {lower:g} is above upper bound {upper:g}")
        if self.integer:
            lower, upper = float(math.ceil(lower)), float(math.floor(upper))
            if lower > upper:
                raise DecisionInputError(
                    field, f"no integer lies between {self.lower} and {self.upper}"
                )
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        object.__setattr__(self, "integer", bool(self.integer))
        if self.observed is not None:
            object.__setattr__(self, "observed", _observed_pair(field, self.observed))


def _observed_pair(field: str, pair: Any) -> tuple[float, float]:
    """An observed range: two finite numbers, low ≤ high."""
    try:
        low, high = (float(v) for v in pair)
    except (TypeError, ValueError):
        raise DecisionInputError(
            f"{field}.observed", f"expected (low, high) numbers, got {pair!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise DecisionInputError(f"{field}.observed", f"must be finite, got ({low}, {high})")
    if low > high:
        raise DecisionInputError(f"{field}.observed", f"low {low:g} is above high {high:g}")
    return low, high


VariablesLike = Iterable[DecisionVariable] | Mapping[str, tuple[float, float]]


def as_variables(spec: VariablesLike) -> tuple[DecisionVariable, ...]:
    """Variables from a sequence of :class:`DecisionVariable` or ``{name: (lower, upper)}``
    (continuous; use :class:`DecisionVariable` for integers)."""
    if isinstance(spec, Mapping):
        out = []
        for name, bounds in spec.items():
            try:
                lower, upper = bounds
            except (TypeError, ValueError):
                raise DecisionInputError(
                    f"variables.{name}", f"expected (lower, upper), got {bounds!r}"
                ) from None
            out.append(DecisionVariable(str(name), lower, upper))
        variables = tuple(out)
    elif isinstance(spec, DecisionVariable):
        variables = (spec,)
    else:
        try:
            variables = tuple(spec)
        except TypeError:
            raise DecisionInputError(
                "variables",
                f"expected DecisionVariable objects or a dict, got {type(spec).__name__}",
            ) from None
    if not variables:
        raise DecisionInputError("variables", "at least one decision variable is needed")
    for v in variables:
        if not isinstance(v, DecisionVariable):
            raise DecisionInputError(
                "variables", f"expected DecisionVariable, got {type(v).__name__}"
            )
    names = [v.name for v in variables]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DecisionInputError("variables", f"duplicate names {duplicates}")
    return variables


def bounds_arrays(
    variables: tuple[DecisionVariable, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lower, upper, integer_mask)`` as arrays in variable order."""
    lower = np.array([v.lower for v in variables], dtype=float)
    upper = np.array([v.upper for v in variables], dtype=float)
    integer = np.array([v.integer for v in variables], dtype=bool)
    return lower, upper, integer
