"""The distribution families a prior can take, with their parameters and domains.

Parameter names follow PyMC (and PreliZ, which shares them). Each family has one
canonical parameterization — the one PyMC and ``pymc_extras.prior.Prior`` store —
and, where people think in other terms, alternatives such as Gamma by mean and sd.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bayes_widgets.core.checks import is_number
from bayes_widgets.core.deprecation import deprecated_alias

REAL = (-math.inf, math.inf, False, False)
POSITIVE = (0.0, math.inf, True, False)
UNIT = (0.0, 1.0, True, True)


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    open_high: bool = False
    slider: tuple[float, float] = (-10.0, 10.0)
    """A sensible slider range; typed values may go beyond it within the domain."""
    integer: bool = False
    infinite: bool = False
    """Whether an infinite value is allowed (a truncation bound); otherwise it must be finite."""

    def check(self, value: float) -> str | None:
        """None if ``value`` is in the domain, else what is wrong (without the name)."""
        if not is_number(value):
            return f"must be a number, got {value!r}"
        v = float(value)
        if math.isnan(v):
            return "must be a number, got NaN"
        if math.isinf(v) and not self.infinite:
            return f"must be finite, got {format_value(v)}"
        if self.open_low and v <= self.low:
            return f"must be > {format_value(self.low)}, got {format_value(v)}"
        if not self.open_low and v < self.low:
            return f"must be ≥ {format_value(self.low)}, got {format_value(v)}"
        if self.open_high and v >= self.high:
            return f"must be < {format_value(self.high)}, got {format_value(v)}"
        if not self.open_high and v > self.high:
            return f"must be ≤ {format_value(self.high)}, got {format_value(v)}"
        if self.integer and v != int(v):
            return f"must be a whole number, got {format_value(v)}"
        return None


def format_value(x: float) -> str:
    """A number as prior messages write it (``2``, ``0.5``, ``1e+06``)."""
    return f"{x:g}"


def real(name: str, default: float, slider=(-10.0, 10.0), *, infinite: bool = False) -> Param:
    return Param(name, default, *REAL, slider=slider, infinite=infinite)


def positive(name: str, default: float, slider=(0.01, 10.0)) -> Param:
    return Param(name, default, *POSITIVE, slider=slider)


def unit(name: str, default: float) -> Param:
    return Param(name, default, *UNIT, slider=(0.01, 0.99))


@dataclass(frozen=True)
class Family:
    name: str
    params: tuple[Param, ...]
    """Canonical parameterization (what PyMC and Prior store)."""
    alternatives: dict[str, tuple[Param, ...]] = field(default_factory=dict)
    """Other parameterizations by name, e.g. ``{"mean_sd": (mu, sigma)}``."""
    discrete: bool = False
    ordered: tuple[str, str] | None = None
    """Two parameters that must satisfy first < second (lower < upper)."""

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def parameterization(self, name: str | None) -> tuple[Param, ...]:
        if name in (None, "canonical"):
            return self.params
        if name not in self.alternatives:
            options = ", ".join(["canonical", *self.alternatives])
            raise KeyError(f"{self.name} has no parameterization {name!r} (choose from {options})")
        return self.alternatives[name]

    parameterisation = deprecated_alias(parameterization, "parameterisation")


_MEAN_SD = (positive("mu", 2.0), positive("sigma", 1.0))

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("Normal", (real("mu", 0.0), positive("sigma", 1.0))),
        Family("HalfNormal", (positive("sigma", 1.0),)),
        Family("LogNormal", (real("mu", 0.0, (-5.0, 5.0)), positive("sigma", 1.0, (0.01, 3.0)))),
        Family("Gamma", (positive("alpha", 2.0), positive("beta", 1.0)), {"mean_sd": _MEAN_SD}),
        Family(
            "Beta",
            (positive("alpha", 2.0, (0.1, 20.0)), positive("beta", 2.0, (0.1, 20.0))),
            {
                "mean_sd": (
                    unit("mu", 0.5),
                    Param("sigma", 0.2, 0.0, 0.5, True, True, slider=(0.01, 0.49)),
                )
            },
        ),
        Family(
            "StudentT", (positive("nu", 4.0, (1.0, 50.0)), real("mu", 0.0), positive("sigma", 1.0))
        ),
        Family("HalfStudentT", (positive("nu", 4.0, (1.0, 50.0)), positive("sigma", 1.0))),
        Family("Laplace", (real("mu", 0.0), positive("b", 1.0))),
        Family("Exponential", (positive("lam", 1.0),)),
        Family("Uniform", (real("lower", 0.0), real("upper", 1.0)), ordered=("lower", "upper")),
        Family(
            "TruncatedNormal",
            (
                real("mu", 0.0),
                positive("sigma", 1.0),
                real("lower", -1.0, infinite=True),
                real("upper", 1.0, infinite=True),
            ),
            ordered=("lower", "upper"),
        ),
        Family("Weibull", (positive("alpha", 2.0, (0.1, 10.0)), positive("beta", 1.0))),
        Family(
            "InverseGamma", (positive("alpha", 3.0), positive("beta", 2.0)), {"mean_sd": _MEAN_SD}
        ),
        Family("Cauchy", (real("alpha", 0.0), positive("beta", 1.0))),
        Family("HalfCauchy", (positive("beta", 1.0),)),
        Family("Poisson", (positive("mu", 3.0, (0.1, 50.0)),), discrete=True),
        Family(
            "NegativeBinomial",
            (positive("mu", 5.0, (0.1, 100.0)), positive("alpha", 2.0, (0.1, 50.0))),
            discrete=True,
        ),
    ]
}


def get_family(name: str) -> Family:
    from bayes_widgets.core.priors.errors import PriorError

    if not isinstance(name, str) or name not in FAMILIES:
        raise PriorError("family", f"unknown family {name!r}; choose from {', '.join(FAMILIES)}")
    return FAMILIES[name]
