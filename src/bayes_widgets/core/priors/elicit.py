"""Priors from what people know: bounds with a probability mass, or quartiles (via PreliZ)."""

from __future__ import annotations

import contextlib
import io
import math

from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError
from bayes_widgets.core.priors.families import get_family


def _start(family: str, fixed: dict[str, float]):
    import preliz as pz

    get_family(family)
    return getattr(pz, family)(**fixed)


def _result(family: str, d, dims) -> PriorDist:
    values = {name: float(getattr(d, name)) for name in get_family(family).param_names}
    return PriorDist.create(family, dims=dims, **values)


def maxent(family: str, lower: float, upper: float, mass: float = 0.9, *,
           fixed: dict[str, float] | None = None, dims=None) -> PriorDist:
    """The maximum-entropy ``family`` with ``mass`` of its probability in [lower, upper].

    ``fixed`` holds parameters that stay as given (e.g. a StudentT's ``nu``, or a
    TruncatedNormal's bounds).
    """
    import preliz as pz

    lower, upper = float(lower), float(upper)
    if not (math.isfinite(lower) and math.isfinite(upper)) or lower >= upper:
        raise PriorError("lower", f"must be < upper (lower={lower:g}, upper={upper:g})")
    if not 0.0 < float(mass) < 1.0:
        raise PriorError("mass", f"must be in (0, 1), got {mass}")
    d = _start(family, fixed or {})
    with contextlib.redirect_stdout(io.StringIO()):
        pz.maxent(d, lower, upper, float(mass), plot=False)
    return _result(family, d, dims)


def from_quartiles(family: str, q1: float, q2: float, q3: float, *,
                   fixed: dict[str, float] | None = None, dims=None) -> PriorDist:
    """The ``family`` member whose 25 %, 50 % and 75 % quantiles are closest to q1, q2, q3."""
    import preliz as pz

    if not float(q1) < float(q2) < float(q3):
        raise PriorError("q1", f"quartiles must increase (q1={q1}, q2={q2}, q3={q3})")
    d = _start(family, fixed or {})
    with contextlib.redirect_stdout(io.StringIO()):
        pz.quartile(d, float(q1), float(q2), float(q3), plot=False)
    return _result(family, d, dims)
