"""Where a decision leaves the ground its outcomes were learnt on, and what one more unit
of each variable is worth there.

    DecisionVariable("tv", 0, 900, observed=(120, 640))   # the values seen in the data
    extrapolations(problem.variables, x)                  # [Extrapolation("tv", 700, ...)]
    summarize_marginals("marginal ROAS", {"tv": draws})   # mean and 90% interval per variable

A variable's *observed range* is declared by whoever builds the problem (for a media
budget, the spend per period each channel had in the data the model was fitted on); a
decision whose value lies outside it is an *extrapolation*: the scenarios there come
from the model's form, not from data. *Marginals* are what a problem may report per
variable at a decision (:meth:`DecisionProblem.marginals`): the outcome gained per unit
of the variable, per scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.decision.variables import DecisionVariable

RANGE_TOLERANCE = 1e-9
"""A value within this share of the observed range's scale of its end is inside it."""
MARGINAL_PROB = 0.9
"""Mass of the interval a marginal's summary gives (5% to 95%)."""


@dataclass(frozen=True)
class Extrapolation:
    """A variable whose value lies outside its observed range."""

    name: str
    value: float
    low: float
    high: float
    side: Literal["above", "below"]

    @property
    def message(self) -> str:
        """The flag in words, e.g. ``tv = 700 is above its observed range [120, 640]``."""
        return (
            f"{self.name} = {self.value:.4g} is {self.side} its observed range "
            f"[{self.low:.4g}, {self.high:.4g}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


def extrapolations(variables: Sequence[DecisionVariable], x: Any) -> list[Extrapolation]:
    """The variables of decision ``x`` (values in variable order) that lie outside their
    observed range; variables without one are never flagged."""
    values = np.asarray(x, dtype=float).reshape(-1)
    out = []
    for v, value in zip(variables, values, strict=True):
        if v.observed is None:
            continue
        low, high = v.observed
        tol = RANGE_TOLERANCE * max(abs(low), abs(high), abs(high - low), 1e-300)
        if value > high + tol:
            out.append(Extrapolation(v.name, float(value), low, high, "above"))
        elif value < low - tol:
            out.append(Extrapolation(v.name, float(value), low, high, "below"))
    return out


def summarize_marginals(
    label: str, draws: Mapping[str, np.ndarray], prob: float = MARGINAL_PROB
) -> dict[str, Any]:
    """Per variable, the mean of its marginal over the scenarios and the central ``prob``
    interval: ``{"label", "prob", "values": {name: {"mean", "lower", "upper"}}}``."""
    tail = (1.0 - prob) / 2.0
    values = {}
    for name, d in draws.items():
        arr = np.asarray(d, dtype=float).reshape(-1)
        finite = arr[np.isfinite(arr)]
        if not finite.size:
            values[name] = {"mean": None, "lower": None, "upper": None}
            continue
        lower, upper = np.quantile(finite, [tail, 1.0 - tail])
        values[name] = {
            "mean": float(finite.mean()),
            "lower": float(lower),
            "upper": float(upper),
        }
    return {"label": str(label), "prob": float(prob), "values": values}


__all__ = [
    "MARGINAL_PROB",
    "RANGE_TOLERANCE",
    "Extrapolation",
    "extrapolations",
    "summarize_marginals",
]
