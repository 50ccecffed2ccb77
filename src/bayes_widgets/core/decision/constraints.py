"""Constraints on the decision ``x``: linear ``A @ x <= b`` and general ``g(x) <= 0``.

Bounds belong to the variables; these are the constraints across variables. Linear
constraints are checked against the bounds when a problem is built (an unreachable
budget is an input error); general ones are checked while optimising.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError

TOLERANCE = 1e-9
"""Slack allowed on ``A @ x <= b`` and ``g(x) <= 0`` (relative to the size of the terms):
a constraint within it of its bound is met, and its violation reads 0."""
GENERAL_TOLERANCE = 1e-9
"""The same for ``g(x) <= 0`` (absolute: ``g``'s scale is unknown)."""


@dataclass(frozen=True)
class LinearConstraint:
    """``A @ x <= b``; ``A`` is ``(m, n)`` (or ``(n,)`` for one row), ``b`` is ``(m,)``."""

    A: np.ndarray
    b: np.ndarray
    name: str = "linear"

    def __post_init__(self) -> None:
        field = f"constraints.{self.name}"
        A = np.atleast_2d(np.asarray(self.A, dtype=float))
        b = np.atleast_1d(np.asarray(self.b, dtype=float))
        if A.ndim != 2 or b.ndim != 1 or A.shape[0] != b.shape[0]:
            raise DecisionInputError(
                field, f"A {A.shape} and b {b.shape} do not match (A @ x <= b)"
            )
        if not (np.isfinite(A).all() and np.isfinite(b).all()):
            raise DecisionInputError(field, "A and b must be finite")
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    def violation(self, X: np.ndarray) -> np.ndarray:
        """Largest excess over ``b`` per decision, for ``(K, n)`` or ``(n,)`` decisions."""
        excess = np.asarray(X, dtype=float) @ self.A.T - self.b
        return excess.max(axis=-1)

    def tolerance(self, X: np.ndarray) -> np.ndarray:
        scale = np.abs(np.asarray(X, dtype=float)) @ np.abs(self.A).T + np.abs(self.b)
        return TOLERANCE * (1.0 + scale.max(axis=-1))

    def reported_violation(self, X: np.ndarray) -> np.ndarray:
        """:meth:`violation`, with an excess within :meth:`tolerance` read as 0 (met)."""
        v = self.violation(X)
        return np.where((v > 0) & (v <= self.tolerance(X)), 0.0, v)


@dataclass(frozen=True)
class Budget:
    """``sum(weights * x) <= total``: with unit weights (the default) a cap on the total
    quantity, with prices a spending budget."""

    total: float
    weights: tuple[float, ...] | None = None
    name: str = "budget"

    def __post_init__(self) -> None:
        field = f"constraints.{self.name}"
        try:
            total = float(self.total)
        except (TypeError, ValueError):
            raise DecisionInputError(field, f"total must be a number, got {self.total!r}") from None
        if not np.isfinite(total):
            raise DecisionInputError(field, f"total must be finite, got {total}")
        object.__setattr__(self, "total", total)
        if self.weights is not None:
            w = np.atleast_1d(np.asarray(self.weights, dtype=float))
            if w.ndim != 1 or not np.isfinite(w).all():
                raise DecisionInputError(field, "weights must be a finite 1-D sequence")
            object.__setattr__(self, "weights", tuple(float(v) for v in w))

    def linear(self, n: int) -> LinearConstraint:
        w = np.ones(n) if self.weights is None else np.asarray(self.weights)
        if w.shape != (n,):
            raise DecisionInputError(
                f"constraints.{self.name}", f"has {w.size} weights for {n} decision variables"
            )
        return LinearConstraint(w[None, :], np.array([self.total], dtype=float), self.name)


def budget(total: float, weights: Sequence[float] | None = None, name: str = "budget") -> Budget:
    """Shorthand for :class:`Budget`."""
    return Budget(total, None if weights is None else tuple(weights), name)


@dataclass(frozen=True)
class Constraint:
    """A general constraint ``fun(x) <= 0`` (``fun`` returns a number or a 1-D array)."""

    fun: Callable[[np.ndarray], Any]
    """Returns a number or a 1-D array (anything numpy reads as one)."""
    name: str = "constraint"

    def __post_init__(self) -> None:
        if not callable(self.fun):
            raise DecisionInputError(
                f"constraints.{self.name}", f"must be callable, got {type(self.fun).__name__}"
            )

    def values(self, x: np.ndarray) -> np.ndarray:
        try:
            g = np.atleast_1d(np.asarray(self.fun(x), dtype=float))
        except DecisionInputError:
            raise
        except Exception as exc:
            raise DecisionInputError(
                f"constraints.{self.name}", f"raised {type(exc).__name__}: {exc}"
            ) from exc
        if g.ndim != 1:
            raise DecisionInputError(
                f"constraints.{self.name}",
                f"must return a number or 1-D array, got shape {g.shape}",
            )
        if not np.isfinite(g).all():
            raise DecisionInputError(
                f"constraints.{self.name}", f"returned non-finite values {g} at x={x}"
            )
        return g


def prepare(
    constraints: object, n: int, lower: np.ndarray, upper: np.ndarray
) -> tuple[tuple[LinearConstraint, ...], tuple[Constraint, ...]]:
    """Splits, sizes and checks ``constraints`` for ``n`` variables within the bounds."""
    if constraints is None:
        items: list[object] = []
    elif isinstance(constraints, (LinearConstraint, Budget, Constraint)) or callable(constraints):
        items = [constraints]
    else:
        try:
            items = list(constraints)  # type: ignore[call-overload]
        except TypeError:
            raise DecisionInputError(
                "constraints", f"expected constraint objects, got {type(constraints).__name__}"
            ) from None
    linear: list[LinearConstraint] = []
    general: list[Constraint] = []
    for i, c in enumerate(items):
        if isinstance(c, Budget):
            c = c.linear(n)
        if isinstance(c, LinearConstraint):
            if c.A.shape[1] != n:
                raise DecisionInputError(
                    f"constraints.{c.name}",
                    f"A has {c.A.shape[1]} columns for {n} decision variables",
                )
            _check_reachable(c, lower, upper)
            linear.append(c)
        elif isinstance(c, Constraint):
            general.append(c)
        elif callable(c):
            general.append(Constraint(c, f"constraint_{i}"))
        else:
            raise DecisionInputError(
                "constraints", f"item {i} is a {type(c).__name__}, not a constraint"
            )
    names = [c.name for c in (*linear, *general)]
    dup = sorted({m for m in names if names.count(m) > 1})
    if dup:
        raise DecisionInputError("constraints", f"duplicate names {dup}; give each a name")
    if len(linear) > 0:
        _check_jointly_feasible(linear, lower, upper)
    return tuple(linear), tuple(general)


def _check_reachable(c: LinearConstraint, lower: np.ndarray, upper: np.ndarray) -> None:
    """Each row alone: its smallest value over the bounds must not exceed ``b``."""
    smallest = np.minimum(c.A * lower, c.A * upper).sum(axis=1)
    for row, (s, b) in enumerate(zip(smallest, c.b)):
        if s > b + TOLERANCE * (1.0 + abs(b) + abs(s)):
            where = "" if c.A.shape[0] == 1 else f" (row {row})"
            raise DecisionInputError(
                f"constraints.{c.name}",
                f"infeasible{where}: the limit {b:g} is below {s:g}, the smallest value the "
                "constrained sum takes within the variables' bounds (e.g. a budget below the "
                "cost of the lower bounds)",
            )


def _check_jointly_feasible(
    linear: list[LinearConstraint], lower: np.ndarray, upper: np.ndarray
) -> None:
    from scipy.optimize import linprog

    A = np.vstack([c.A for c in linear])
    b = np.concatenate([c.b for c in linear])
    if A.shape[0] < 2:
        return
    res = linprog(
        np.zeros(A.shape[1]), A_ub=A, b_ub=b, bounds=list(zip(lower, upper)), method="highs"
    )
    if res.status == 2:
        names = ", ".join(c.name for c in linear)
        raise DecisionInputError(
            "constraints",
            f"infeasible: no decision within the bounds satisfies all of {names} together",
        )


def feasible_point(
    linear: tuple[LinearConstraint, ...], lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """A point within the bounds meeting the linear constraints (the box centre if none)."""
    centre = (lower + upper) / 2
    if not linear:
        return centre
    A = np.vstack([c.A for c in linear])
    b = np.concatenate([c.b for c in linear])
    if (A @ centre <= b).all():
        return centre
    from scipy.optimize import linprog

    # the most interior point: maximise the common slack t of A x + t <= b
    n = len(lower)
    cost = np.zeros(n + 1)
    cost[-1] = -1.0
    A_t = np.hstack([A, np.ones((A.shape[0], 1))])
    bounds = [*zip(lower, upper), (0.0, None)]
    res = linprog(cost, A_ub=A_t, b_ub=b, bounds=bounds, method="highs")
    return np.clip(res.x[:n], lower, upper) if res.status == 0 else centre


def repair(
    x: np.ndarray, linear: tuple[LinearConstraint, ...], lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """``x`` moved off a linear constraint it exceeds by no more than its tolerance (a
    solver's rounding), so that ``A @ x <= b`` holds exactly; the move is along the
    constraint's row over the variables that can move within their bounds, and is of
    the size of the excess. Any other ``x`` comes back unchanged."""
    x = np.asarray(x, dtype=float).copy()
    eps = 4 * np.finfo(float).eps
    for c in linear:
        for a, b in zip(c.A, c.b):
            for _ in range(3):
                excess = float(a @ x - b)
                if excess <= 0:
                    break
                if excess > TOLERANCE * (1.0 + float(np.abs(a) @ np.abs(x)) + abs(b)):
                    return x
                movable = ((a > 0) & (x > lower)) | ((a < 0) & (x < upper))
                if not movable.any():
                    break
                step = excess + eps * (float(np.abs(a) @ np.abs(x)) + abs(b))
                w = np.where(movable, a, 0.0)
                x = np.clip(x - step * w / float(w @ w), lower, upper)
    return x
