"""What the solvers see of a decision problem, and how they score its decisions.

:class:`SolvableProblem` is the interface the solvers work through; a
:class:`~bayes_widgets.core.decision.problem.DecisionProblem` provides it. An
:class:`Evaluator` turns decisions into scores (higher is better) for one risk measure
and counts the evaluations::

    ev = Evaluator(problem, risk_measure("cvar", 0.05))
    ev.score(x)          # one decision (a float array in variable order)
    ev.scores(X)         # (K,) scores of K decisions, in memory-bounded batches
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bayes_widgets.core.decision.constraints import Constraint, LinearConstraint
from bayes_widgets.core.decision.risk import RiskMeasure

CHUNK_ELEMENTS = 2_000_000
"""Scenario evaluations per vectorised batch (bounds the memory of one call)."""


class SolvableProblem(Protocol):
    """A decision problem as the solvers see it: bounds, constraints, a starting point,
    and the outcomes of decisions that are already float arrays in variable order."""

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    """Which variables take whole numbers only (a boolean array)."""
    start: np.ndarray
    """A starting point within the bounds that meets the linear constraints."""
    batch: bool
    """Whether many decisions are evaluated in one call of the profit."""
    linear: tuple[LinearConstraint, ...]
    general: tuple[Constraint, ...]

    @property
    def n_scenarios(self) -> int: ...

    def check_x(self, x: Any, *, field: str = "x", check_bounds: bool = True) -> np.ndarray: ...

    def as_dict(self, x: Any) -> dict[str, float | int]: ...

    def tidy(self, x: Any) -> np.ndarray: ...

    def unchecked_outcomes(self, x: np.ndarray) -> np.ndarray:
        """The ``S`` outcomes of decision ``x`` (a float array; not checked)."""
        ...

    def unchecked_outcomes_many(self, X: np.ndarray) -> np.ndarray:
        """``(K, S)`` outcomes of the rows of ``X`` (not checked)."""
        ...

    def feasible_mask(self, X: np.ndarray) -> np.ndarray:
        """Which rows of ``(K, n)`` decisions meet every constraint (bounds not checked)."""
        ...

    def total_violation(self, x: np.ndarray) -> float:
        """Sum of positive constraint violations at ``x`` (0 where all hold)."""
        ...


@dataclass
class SolverRun:
    """Where one solver run ended and how."""

    x: np.ndarray
    score: float
    success: bool
    nit: int
    solver: str
    message: str
    fallback: bool = False
    """Nelder-Mead took over after the gradient method failed."""


class Evaluator:
    """Scores of decisions (higher is better) for one risk measure, counting evaluations."""

    def __init__(self, problem: SolvableProblem, measure: RiskMeasure):
        self.problem = problem
        self.measure = measure
        self.evaluations = 0

    def score(self, x: np.ndarray) -> float:
        self.evaluations += 1
        outcomes = self.problem.unchecked_outcomes(np.asarray(x, dtype=float))
        return float(self.measure.score(outcomes))

    def scores(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        out = np.empty(len(X))
        step = max(1, CHUNK_ELEMENTS // self.problem.n_scenarios)
        for a in range(0, len(X), step):
            outcomes = self.problem.unchecked_outcomes_many(X[a : a + step])
            out[a : a + step] = self.measure.score(outcomes)
        self.evaluations += len(X)
        return out

    def loss(self, x: np.ndarray) -> float:
        return -self.score(x)

    def outcomes(self, x: np.ndarray) -> np.ndarray:
        """The outcomes of ``x``, counted as one evaluation."""
        self.evaluations += 1
        return self.problem.unchecked_outcomes(x)

    def feasible(self, x: np.ndarray) -> bool:
        """Whether decision ``x`` meets every constraint."""
        return bool(self.problem.feasible_mask(x[None, :])[0])


__all__ = ["CHUNK_ELEMENTS", "Evaluator", "SolvableProblem", "SolverRun"]
