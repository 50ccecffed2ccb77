"""Bayesian decision vs the naive plug-in-the-means decision, judged on held-out scenarios.

The Bayesian decision optimises over every scenario; the naive one replaces the
uncertain quantities by one point (their means, or values the caller gives) and
optimises that single scenario. Both decisions are then evaluated on the same
held-out scenarios, so their difference is paired: its standard error is
``sd(bayes - naive) / sqrt(n)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.checks import finite_or_none
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.problem import DecisionProblem
from bayes_widgets.core.decision.risk import OutcomeSummary, summarize
from bayes_widgets.core.decision.scenarios import Scenarios, as_scenarios
from bayes_widgets.core.decision.solvers import OptimizationResult


@dataclass
class NaiveComparison:
    """Both decisions, their held-out outcomes and the paired difference."""

    bayesian: OptimizationResult
    naive: OptimizationResult
    point: dict[str, np.ndarray] = field(repr=False)
    """The single scenario the naive decision was optimised for."""
    n_heldout: int
    heldout: str
    """Where the held-out scenarios came from: ``"given"`` or ``"split"``."""
    bayesian_mean: float
    naive_mean: float
    difference: float
    """Mean of the paired difference (Bayesian − naive) over held-out scenarios."""
    se: float
    z: float
    bayesian_summary: OutcomeSummary = field(repr=False)
    naive_summary: OutcomeSummary = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bayesian_decision": dict(self.bayesian.x),
            "naive_decision": dict(self.naive.x),
            "point": {k: np.asarray(v).tolist() for k, v in self.point.items()},
            "n_heldout": self.n_heldout,
            "heldout": self.heldout,
            "bayesian_mean": self.bayesian_mean,
            "naive_mean": self.naive_mean,
            "difference": self.difference,
            "se": self.se,
            "z": self.z,
        }

    def __str__(self) -> str:
        return (
            f"Bayesian {self.bayesian.x}: mean {self.bayesian_mean:,.2f}\n"
            f"naive    {self.naive.x}: mean {self.naive_mean:,.2f}\n"
            f"difference {self.difference:,.2f} ± {self.se:,.2f} (z = {self.z:.1f}, "
            f"{self.n_heldout} held-out scenarios, {self.heldout})"
        )


def compare_naive(
    problem: DecisionProblem,
    heldout_scenarios: Any = None,
    *,
    point: Mapping[str, Any] | None = None,
    objective: str = "mean",
    level: float | None = None,
    heldout_fraction: float = 0.5,
    seed: int | None = None,
    bayesian: OptimizationResult | None = None,
    **optimize_options: Any,
) -> NaiveComparison:
    """Optimises ``problem`` over its scenarios (Bayesian) and over one plug-in scenario
    (naive), then evaluates both decisions on held-out scenarios.

    ``heldout_scenarios``: fresh draws or the true process, with the problem's
    quantities; without them, a random ``heldout_fraction`` of the problem's scenarios
    is set aside and both decisions are optimised on the rest. ``point``: the naive
    plug-in values by quantity (default: the means of the optimisation scenarios).
    ``bayesian``: an already optimised result to reuse (only with given held-out
    scenarios, where the optimisation scenarios are the problem's own).
    """
    if heldout_scenarios is None:
        if bayesian is not None:
            raise DecisionInputError("bayesian", "can only be reused with given heldout_scenarios")
        rest, heldout = problem.scenarios.split(heldout_fraction, seed)
        train = problem.with_scenarios(rest)
        source = "split"
    else:
        heldout = as_scenarios(heldout_scenarios, field="heldout_scenarios")
        if set(heldout) != set(problem.scenarios) or heldout.shapes() != problem.scenarios.shapes():
            raise DecisionInputError(
                "heldout_scenarios",
                f"must hold the problem's quantities and shapes {problem.scenarios.shapes()}, got {heldout.shapes()}",
            )
        train = problem
        source = "given"
    plug_in = plug_in_scenario(train.scenarios, point)
    options = {"seed": seed, **optimize_options}
    bayes = bayesian if bayesian is not None else train.optimize(objective, level=level, **options)
    naive = train.with_scenarios(plug_in).optimize(objective, level=level, **options)

    judge = problem.with_scenarios(heldout)
    a = judge.outcomes(bayes.x_array)
    b = judge.outcomes(naive.x_array)
    d = a - b
    n = d.size
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    diff = float(d.mean())
    if se > 0:
        z = diff / se
    else:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return NaiveComparison(
        bayesian=bayes,
        naive=naive,
        point={k: v[0] for k, v in plug_in.items()},
        n_heldout=n,
        heldout=source,
        bayesian_mean=float(a.mean()),
        naive_mean=float(b.mean()),
        difference=diff,
        se=se,
        z=float(z),
        bayesian_summary=summarize(a),
        naive_summary=summarize(b),
    )


def better_references(
    measure, outcomes: np.ndarray, references: Mapping[str, np.ndarray]
) -> list[dict[str, Any]]:
    """The reference decisions that do better than a decision on risk ``measure`` (a
    :func:`~bayes_widgets.core.decision.risk.risk_measure`), best first: ``[{"label",
    "by"}]`` with ``by`` how much better. ``outcomes``: the decision's outcomes per
    scenario; ``references``: each reference's, by label (computed once, not per move)."""
    if not references:
        return []
    scores = measure.score(np.stack([outcomes, *references.values()]))
    own = float(scores[0])
    tol = 1e-9 * (1.0 + abs(own))
    rows = [
        {"label": label, "by": finite_or_none(float(sc) - own)}
        for label, sc in zip(references, scores[1:])
        if float(sc) > own + tol
    ]
    return sorted(rows, key=lambda r: -(r["by"] or 0.0))


def plug_in_scenario(scenarios: Scenarios, point: Mapping[str, Any] | None) -> Scenarios:
    """One scenario: the given plug-in values (missing quantities: their means)."""
    means = scenarios.mean()
    if point is None:
        return means
    if not isinstance(point, Mapping):
        raise DecisionInputError(
            "point", f"expected a dict of values by quantity, got {type(point).__name__}"
        )
    unknown = sorted(set(point) - set(scenarios))
    if unknown:
        raise DecisionInputError(
            "point", f"unknown quantities {unknown}; the scenarios have {sorted(scenarios)}"
        )
    shapes = scenarios.shapes()
    data = {}
    for name in scenarios:
        if name not in point:
            data[name] = means[name]
            continue
        value = np.asarray(point[name], dtype=float)
        if value.shape != shapes[name]:
            raise DecisionInputError(
                f"point.{name}", f"expected shape {shapes[name]}, got {value.shape}"
            )
        data[name] = value[None, ...]
    return Scenarios(data, field="point")
