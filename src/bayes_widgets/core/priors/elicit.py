"""Priors from what people know: bounds with a probability mass, or quartiles (via PreliZ)."""

from __future__ import annotations

import contextlib
import io
import math
from typing import Any

from bayes_widgets.core.checks import is_number
from bayes_widgets.core.priors.dist import PriorDist
from bayes_widgets.core.priors.errors import PriorError
from bayes_widgets.core.priors.families import format_value, get_family


def _number(field: str, value) -> float:
    """``value`` as a finite float, or a :class:`PriorError` naming ``field``."""
    if not is_number(value):
        raise PriorError(field, f"must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise PriorError(field, f"must be a finite number, got {format_value(out)}")
    return out


def _start(family: str, fixed: dict[str, float] | None):
    """The PreliZ distribution to fit, with the ``fixed`` parameters set."""
    import preliz as pz

    fam = get_family(family)
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, dict):
        raise PriorError("fixed", f"expected a dict of parameters, got {fixed!r}")
    for name, value in fixed.items():
        param = next((p for p in fam.params if p.name == name), None)
        if param is None:
            raise PriorError(
                f"fixed.{name}", f"not a parameter of {family} ({', '.join(fam.param_names)})"
            )
        bad = param.check(value)
        if bad:
            raise PriorError(f"fixed.{name}", bad)
    if len(fixed) == len(fam.params):
        raise PriorError("fixed", f"leaves no parameter of {family} to fit")
    return getattr(pz, family)(**{k: float(v) for k, v in fixed.items()})


def _inside(d, family: str, names: tuple[str, str], values: tuple[float, float]) -> None:
    """Both ends within the support of ``d`` (e.g. > 0 for a Gamma), naming the end that is not."""
    s_lo, s_hi = (float(v) for v in d.support)
    lo, hi = values
    if lo < s_lo:
        raise PriorError(
            names[0],
            f"{format_value(lo)} is below the support of {family} ({_support(s_lo, s_hi)})",
        )
    if hi > s_hi:
        raise PriorError(
            names[1],
            f"{format_value(hi)} is above the support of {family} ({_support(s_lo, s_hi)})",
        )
    if lo == s_lo and hi == s_hi:
        raise PriorError(
            names[0],
            f"[{format_value(lo)}, {format_value(hi)}] is the whole support of {family}; narrow the interval",
        )


def _support(lo: float, hi: float) -> str:
    return f"values from {format_value(lo)} to {format_value(hi)}"


def _result(family: str, d, dims) -> PriorDist:
    values: dict[str, Any] = {n: float(getattr(d, n)) for n in get_family(family).param_names}
    return PriorDist.create(family, dims=dims, **values)


def maxent(
    family: str,
    lower: float,
    upper: float,
    mass: float = 0.9,
    *,
    fixed: dict[str, float] | None = None,
    dims=None,
) -> PriorDist:
    """The maximum-entropy ``family`` with ``mass`` of its probability in [lower, upper].

    ``fixed`` holds parameters that stay as given (e.g. a StudentT's ``nu``, or a
    TruncatedNormal's bounds). ``lower`` and ``upper`` are finite and within the
    family's support (a Gamma's are > 0).
    """
    import preliz as pz

    lower, upper = _number("lower", lower), _number("upper", upper)
    if lower >= upper:
        raise PriorError(
            "lower", f"must be < upper (lower={format_value(lower)}, upper={format_value(upper)})"
        )
    mass = _number("mass", mass)
    if not 0.0 < mass < 1.0:
        raise PriorError("mass", f"must be in (0, 1), got {format_value(mass)}")
    d = _start(family, fixed)
    _inside(d, family, ("lower", "upper"), (lower, upper))
    with contextlib.redirect_stdout(io.StringIO()):
        # PreliZ annotates the bounds as int; any real number works
        pz.maxent(d, lower, upper, mass, plot=False)  # pyright: ignore[reportArgumentType]
    return _result(family, d, dims)


def from_quartiles(
    family: str,
    q1: float,
    q2: float,
    q3: float,
    *,
    fixed: dict[str, float] | None = None,
    dims=None,
) -> PriorDist:
    """The ``family`` member whose 25 %, 50 % and 75 % quantiles are closest to q1, q2, q3."""
    import preliz as pz

    q1, q2, q3 = _number("q1", q1), _number("q2", q2), _number("q3", q3)
    if not q1 < q2 < q3:
        field = "q1" if q1 >= q2 else "q2"
        raise PriorError(
            field,
            f"quartiles must increase (q1={format_value(q1)}, q2={format_value(q2)}, q3={format_value(q3)})",
        )
    d = _start(family, fixed)
    _inside(d, family, ("q1", "q3"), (q1, q3))
    with contextlib.redirect_stdout(io.StringIO()):
        # PreliZ annotates the quartiles as int; any real number works
        pz.quartile(d, q1, q2, q3, plot=False)  # pyright: ignore[reportArgumentType]
    return _result(family, d, dims)
