"""How a decision problem is laid out for a view: slider steps, resolutions, the cost of
one evaluation, and a solver's message without what a view says anyway.

    [variable_spec(v) for v in problem.variables]   # name, bounds, integer, step, resolution
    is_cheap(problem)                               # one evaluation under 2 ms
    message_detail(result.message)                  # "" for a plain "converged"
"""

from __future__ import annotations

import math
import time
from typing import Any

from bayes_widgets.core.decision.evaluation import SolvableProblem
from bayes_widgets.core.decision.variables import DecisionVariable

CHEAP_EVALUATION_S = 0.002
"""An evaluation faster than this (2 ms) makes optimizing a problem on sight cheap."""
SLIDER_STEPS = 200
"""A continuous variable's slider has about this many steps over its range."""


def variable_spec(v: DecisionVariable) -> dict[str, Any]:
    """Variable ``v`` as a view shows it: name, bounds, integer, a round slider step (1 for
    whole numbers), its :func:`resolution` and its observed range (``[low, high]`` or None)."""
    span = v.upper - v.lower
    step = 1 if v.integer else nice_step(span / SLIDER_STEPS)
    return {
        "name": v.name,
        "lower": v.lower,
        "upper": v.upper,
        "integer": bool(v.integer),
        "step": step,
        "resolution": resolution(v),
        "observed": None if v.observed is None else list(v.observed),
    }


def slider_values(spec: dict[str, Any], max_positions: int) -> list[float] | None:
    """Every value of a variable's slider (a :func:`variable_spec`), as the page's range
    input produces them; None when it has more than ``max_positions``."""
    lower, upper, step = float(spec["lower"]), float(spec["upper"]), float(spec["step"])
    positions = math.floor((upper - lower) / step + 1e-9) + 1
    if positions > max_positions:
        return None
    return [float(f"{lower + k * step:.12g}") for k in range(positions)]


def resolution(v: DecisionVariable) -> float:
    """The smallest difference that means anything for variable ``v``: half a unit for a
    whole number, a millionth of its range (or scale) otherwise; smaller values read 0."""
    if v.integer:
        return 0.5
    scale = max(abs(v.upper - v.lower), abs(v.lower), abs(v.upper))
    return float(scale * 1e-6) if math.isfinite(scale) and scale > 0 else 1e-12


def nice_step(raw: float) -> float:
    """A round step (1, 2 or 5 × a power of ten) near ``raw``."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)


def is_cheap(problem: SolvableProblem) -> bool:
    """One evaluation of ``problem`` (after a first, warming one) under
    :data:`CHEAP_EVALUATION_S`."""
    problem.unchecked_outcomes(problem.start)
    t0 = time.perf_counter()
    problem.unchecked_outcomes(problem.start)
    return time.perf_counter() - t0 < CHEAP_EVALUATION_S


def message_detail(message: str) -> str:
    """A solver's message without the parts a view shows anyway: "converged" (it says
    converged or NOT converged) and empty parts."""
    parts = [p.strip() for p in str(message or "").split(";")]
    return "; ".join(p for p in parts if p and p.lower() not in ("converged", "not converged"))


__all__ = [
    "CHEAP_EVALUATION_S",
    "is_cheap",
    "message_detail",
    "nice_step",
    "resolution",
    "slider_values",
    "variable_spec",
]
