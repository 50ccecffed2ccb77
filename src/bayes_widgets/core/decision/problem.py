"""A decision under uncertainty: variables, scenarios, a profit function, constraints.

Convention: outcomes are **profits, higher is better**, and the problem maximises a
risk measure of them (expected profit by default). To minimise a cost or a loss,
return its negative from ``profit``.

``profit(x, scenarios)`` is vectorised over scenarios: ``x`` is the decision (a 1-D
array in variable order, or a dict by name with ``decision_as="dict"``) and
``scenarios`` maps each quantity to its array of shape ``(S, ...)``; it returns the
``S`` profits. A function written for one scenario (numbers in, one number out) is
detected and called once per scenario instead, with a :class:`SlowProfitWarning`.

With ``batch=True``, ``profit`` also takes many decisions at once: ``x`` of shape
``(K, n)`` (or a dict of ``(K,)`` arrays) returning ``(K, S)``; the integer search
and the global solver then evaluate whole neighbourhoods in one call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.decision.constraints import (
    GENERAL_TOLERANCE,
    Constraint,
    LinearConstraint,
    feasible_point,
    prepare,
    repair,
)
from bayes_widgets.core.decision.errors import DecisionInputError, SlowProfitWarning
from bayes_widgets.core.decision.ranges import Extrapolation, extrapolations
from bayes_widgets.core.decision.risk import OutcomeSummary, risk_measure, summarize
from bayes_widgets.core.decision.scenarios import Scenarios, as_scenarios
from bayes_widgets.core.decision.solvers import OptimizationResult, optimize
from bayes_widgets.core.decision.variables import VariablesLike, as_variables, bounds_arrays
from bayes_widgets.core.deprecation import deprecated_alias

ProfitFn = Callable[[Any, Mapping[str, np.ndarray]], Any]

RESOLUTION = 1e-6
"""A continuous variable's resolution, relative to its range: an optimum closer than
this to a bound is put on the bound (a solver's ``5.7e-10`` for a spend of 0)."""


class DecisionProblem:
    """Choose ``x`` within bounds and constraints to maximise a risk measure of profit.

    Parameters
    ----------
    variables:
        :class:`DecisionVariable` objects, or ``{name: (lower, upper)}`` (continuous).
    scenarios:
        Samples of the uncertain quantities (see :func:`as_scenarios`).
    profit:
        ``profit(x, scenarios) -> (S,)`` profits; see the module docstring.
    constraints:
        :class:`LinearConstraint` (``A @ x <= b``), :class:`Budget` or :class:`Constraint`
        (``g(x) <= 0``; a bare callable is taken as one).
    batch:
        Whether ``profit`` accepts ``(K, n)`` decisions and returns ``(K, S)``.
    decision_as:
        ``"array"`` (default) or ``"dict"``: how ``x`` is handed to ``profit``.
    """

    def __init__(
        self,
        variables: VariablesLike,
        scenarios: Any,
        profit: ProfitFn,
        *,
        constraints: Any = None,
        batch: bool = False,
        decision_as: Literal["array", "dict"] = "array",
    ):
        self.variables = as_variables(variables)
        self.names = tuple(v.name for v in self.variables)
        self.lower, self.upper, self.integer = bounds_arrays(self.variables)
        self.scenarios: Scenarios = as_scenarios(scenarios)
        if not callable(profit):
            raise DecisionInputError(
                "profit", f"must be a function profit(x, scenarios), got {type(profit).__name__}"
            )
        if decision_as not in ("array", "dict"):
            raise DecisionInputError(
                "decision_as", f"must be 'array' or 'dict', got {decision_as!r}"
            )
        self.decision_as: Literal["array", "dict"] = decision_as
        self.batch = bool(batch)
        self.linear: tuple[LinearConstraint, ...]
        self.general: tuple[Constraint, ...]
        self.linear, self.general = prepare(constraints, self.n_variables, self.lower, self.upper)
        self._constraints_spec = constraints
        self._user_profit = profit
        self._rows: list[dict[str, Any]] | None = None
        self.start = self._starting_point()
        self.looped = False
        self._profit = self._resolve_profit(profit)

    # ------------------------------------------------------------------ basics
    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_scenarios(self) -> int:
        return self.scenarios.n

    def as_dict(self, x: Any) -> dict[str, float | int]:
        """``x`` by variable name (integers as ``int``)."""
        x = self.check_x(x, check_bounds=False)
        return {v.name: (round(xi) if v.integer else float(xi)) for v, xi in zip(self.variables, x)}

    def check_x(self, x: Any, *, field: str = "x", check_bounds: bool = True) -> np.ndarray:
        """``x`` as a float array in variable order; raises :class:`DecisionInputError`."""
        if isinstance(x, Mapping):
            unknown = sorted(set(x) - set(self.names))
            missing = [n for n in self.names if n not in x]
            if unknown or missing:
                raise DecisionInputError(
                    field,
                    f"needs exactly the variables {list(self.names)}; missing {missing}, unknown {unknown}",
                )
            x = [x[n] for n in self.names]
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise DecisionInputError(field, f"must be numbers, got {x!r}") from None
        if arr.shape != (self.n_variables,):
            raise DecisionInputError(
                field,
                f"expected {self.n_variables} values ({', '.join(self.names)}), got shape {arr.shape}",
            )
        if not np.isfinite(arr).all():
            raise DecisionInputError(field, f"must be finite, got {arr}")
        if check_bounds:
            for v, xi in zip(self.variables, arr):
                if xi < v.lower or xi > v.upper:
                    raise DecisionInputError(
                        f"{field}.{v.name}",
                        f"{xi:g} is outside its bounds [{v.lower:g}, {v.upper:g}]",
                    )
                if v.integer and xi != round(xi):
                    raise DecisionInputError(
                        f"{field}.{v.name}", f"must be a whole number, got {xi:g}"
                    )
        return arr

    # ---------------------------------------------------------------- outcomes
    def outcomes(self, x: Any) -> np.ndarray:
        """The ``S`` profits of decision ``x``."""
        return self.unchecked_outcomes(self.check_x(x))

    def outcomes_many(self, X: Any) -> np.ndarray:
        """``(K, S)`` profits of ``K`` decisions (rows of ``X``)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise DecisionInputError(
                "X", f"expected a (K, {self.n_variables}) array, got shape {X.shape}"
            )
        for row in X:
            self.check_x(row, field="X")
        return self.unchecked_outcomes_many(X)

    def evaluate(self, x: Any, **summary_options: Any) -> OutcomeSummary:
        """Summary of decision ``x``'s profits: mean, sd, quantiles, CVaR, P(loss), histogram
        (options: ``quantiles``, ``cvar_alpha``, ``bins``)."""
        return summarize(self.outcomes(x), **summary_options)

    def risk(self, x: Any, objective: str = "mean", level: float | None = None) -> float:
        """One risk measure of decision ``x``'s profits."""
        return float(risk_measure(objective, level).value(self.outcomes(x)))

    def violations(self, x: Any) -> dict[str, float]:
        """Largest violation of each constraint at ``x`` (≤ 0 where it holds; 0 where it
        exceeds its bound by no more than the tolerance, which counts as met)."""
        x = self.check_x(x, check_bounds=False)
        out = {c.name: float(c.reported_violation(x)) for c in self.linear}
        for g in self.general:
            v = float(g.values(x).max())
            out[g.name] = 0.0 if 0 < v <= GENERAL_TOLERANCE else v
        return out

    @property
    def resolution(self) -> np.ndarray:
        """Per variable, the smallest difference that matters: :data:`RESOLUTION` of its
        range (of its largest bound when the range is empty); 0 for integers."""
        span = np.maximum(
            self.upper - self.lower, np.maximum(np.abs(self.lower), np.abs(self.upper))
        )
        return np.where(self.integer, 0.0, RESOLUTION * span)

    def tidy(self, x: Any) -> np.ndarray:
        """``x`` with values within :attr:`resolution` of a bound put on that bound, and a
        linear constraint exceeded by no more than its tolerance met exactly; a snap that
        would make ``x`` infeasible is not made."""
        x = np.clip(self.check_x(x, check_bounds=False), self.lower, self.upper)
        res = self.resolution
        feasible = bool(self.feasible_mask(x[None, :])[0])
        for bound in (self.lower, self.upper):
            near = (np.abs(x - bound) <= res) & (x != bound)
            for i in np.flatnonzero(near):
                trial = x.copy()
                trial[i] = bound[i]
                if not feasible or self.feasible_mask(trial[None, :])[0]:
                    x = trial
        fixed = repair(x, self.linear, self.lower, self.upper)
        if self.feasible_mask(fixed[None, :])[0]:
            x = fixed
        return x

    def extrapolations(self, x: Any) -> list[Extrapolation]:
        """The variables of ``x`` outside their observed range (see
        :class:`DecisionVariable`'s ``observed``): where the outcomes are extrapolated."""
        return extrapolations(self.variables, self.check_x(x, check_bounds=False))

    marginal_label: str | None = None
    """What :meth:`marginals` measures (e.g. ``"marginal ROAS"``); None: it gives nothing."""

    def marginals(self, x: Any) -> dict[str, np.ndarray] | None:
        """Per variable, the outcome gained per unit of it at ``x``, per scenario (``(S,)``
        each); None when the problem does not define them (the base class). Problems that
        do set :attr:`marginal_label`."""
        return None

    group_label: str | None = None
    """What the groups of :meth:`breakdown` are (e.g. ``"geo"``); None: it has none."""
    groups: tuple[str, ...] = ()
    """The groups a decision can be broken down by (e.g. a geo MMM's geos)."""

    def breakdown(self, x: Any, group: str) -> dict[str, Any] | None:
        """Group ``group``'s part of decision ``x`` as a view shows it (a problem with
        :attr:`groups` defines it); None in the base class."""
        return None

    def check_group(self, group: Any) -> str:
        """``group`` if it is one of :attr:`groups` or "" (none); else an error naming them."""
        if group == "" or group in self.groups:
            return group
        known = ", ".join(self.groups) or "none"
        what = self.group_label or "group"
        raise DecisionInputError("group", f"unknown {what} {group!r}; known: {known}")

    def is_feasible(self, x: Any) -> bool:
        x = self.check_x(x, check_bounds=False)
        in_box = bool(np.all(x >= self.lower) and np.all(x <= self.upper))
        return in_box and bool(self.feasible_mask(x[None, :])[0])

    # -------------------------------------------------------------- derived
    def with_scenarios(self, scenarios: Any) -> DecisionProblem:
        """The same problem over other scenarios (same quantities and shapes)."""
        new = as_scenarios(scenarios)
        if set(new) != set(self.scenarios) or new.shapes() != self.scenarios.shapes():
            raise DecisionInputError(
                "scenarios",
                f"must hold the same quantities and shapes as the problem's {self.scenarios.shapes()}, got {new.shapes()}",
            )
        with warnings.catch_warnings():
            if self.looped:
                warnings.simplefilter("ignore", SlowProfitWarning)
            return DecisionProblem(
                self.variables,
                new,
                self._user_profit,
                constraints=self._constraints_spec,
                batch=self.batch,
                decision_as=self.decision_as,
            )

    def optimize(self, objective: str = "mean", **options: Any) -> OptimizationResult:
        """Best decision for ``objective``; see :func:`bayes_widgets.core.decision.solvers.optimize`."""
        return optimize(self, objective, **options)

    optimise = deprecated_alias(optimize, "optimise")

    def __repr__(self) -> str:
        kinds = ", ".join(
            f"{v.name}{'∈ℤ' if v.integer else ''}[{v.lower:g}, {v.upper:g}]" for v in self.variables
        )
        return f"DecisionProblem({kinds}; {self.scenarios!r}; {len(self.linear) + len(self.general)} constraints)"

    # ------------------------------------------ for the solvers (see SolvableProblem)
    def unchecked_outcomes(self, x: np.ndarray) -> np.ndarray:
        """The ``S`` profits of ``x``, a float array in variable order, without checking it
        (the solvers' inner loop; :meth:`outcomes` checks its input)."""
        out = self._call(self._profit, x)
        return self._checked(out, (self.n_scenarios,), x)

    def unchecked_outcomes_many(self, X: np.ndarray) -> np.ndarray:
        """``(K, S)`` profits of the rows of ``X`` without checking them."""
        if self.batch:
            return self._checked(self._call(self._profit, X), (len(X), self.n_scenarios), X)
        return (
            np.stack([self.unchecked_outcomes(x) for x in X])
            if len(X)
            else np.empty((0, self.n_scenarios))
        )

    def feasible_mask(self, X: np.ndarray) -> np.ndarray:
        """Which rows of ``(K, n)`` decisions meet every constraint (bounds not checked)."""
        ok = np.ones(len(X), dtype=bool)
        for c in self.linear:
            ok &= c.violation(X) <= c.tolerance(X)
        for g in self.general:
            for i in np.flatnonzero(ok):
                ok[i] = bool(g.values(X[i]).max() <= GENERAL_TOLERANCE)
        return ok

    def total_violation(self, x: np.ndarray) -> float:
        """Sum of positive constraint violations at ``x`` (linear ones relative to ``|b|``)."""
        total = 0.0
        for c in self.linear:
            total += float(np.maximum(c.A @ x - c.b, 0.0).dot(1.0 / (1.0 + np.abs(c.b))))
        for g in self.general:
            total += float(np.maximum(g.values(x), 0.0).sum())
        return total

    # ------------------------------------------------------------ internals
    def _decision_arg(self, x: np.ndarray) -> Any:
        if self.decision_as == "array":
            return x
        if x.ndim == 1:
            return {n: float(v) for n, v in zip(self.names, x)}
        return {n: x[:, i] for i, n in enumerate(self.names)}

    def _call(self, fn: ProfitFn, x: np.ndarray) -> Any:
        try:
            return fn(self._decision_arg(x), self.scenarios)
        except DecisionInputError:
            raise
        except Exception as exc:
            raise DecisionInputError(
                "profit", f"raised {type(exc).__name__}: {exc} (decision {x.tolist()})"
            ) from exc

    def _checked(self, out: Any, shape: tuple[int, ...], x: np.ndarray) -> np.ndarray:
        arr = np.asarray(out, dtype=float)
        if arr.shape != shape:
            if _same_up_to_ones(arr.shape, shape):
                arr = arr.reshape(shape)
            else:
                raise DecisionInputError(
                    "profit",
                    f"returned shape {arr.shape}, expected {shape} (decision {x.tolist()})",
                )
        if not np.isfinite(arr).all():
            bad = int((~np.isfinite(arr)).sum())
            raise DecisionInputError(
                "profit",
                f"returned {bad} non-finite values of {arr.size} (NaN or inf) for decision {x.tolist()}",
            )
        return arr

    def _starting_point(self) -> np.ndarray:
        x = feasible_point(self.linear, self.lower, self.upper)
        if self.integer.any():
            x = x.copy()
            x[self.integer] = np.clip(
                np.floor(x[self.integer]), self.lower[self.integer], self.upper[self.integer]
            )
        return x

    def _resolve_profit(self, profit: ProfitFn) -> ProfitFn:
        """Checks ``profit`` at a starting point; falls back to a per-scenario loop."""
        x = self.start
        S = self.n_scenarios
        try:
            arr = np.asarray(profit(self._decision_arg(x), self.scenarios), dtype=float)
            if _same_up_to_ones(arr.shape, (S,)):
                self._checked(arr, (S,), x)
                if self.batch:
                    self._check_batch(profit)
                return profit
            reason = f"returned shape {arr.shape} instead of ({S},)"
        except DecisionInputError:
            raise
        except Exception as exc:
            reason = f"raised {type(exc).__name__}: {exc}"
        if self.batch:
            raise DecisionInputError(
                "profit", f"batch=True needs a function of all scenarios at once, but it {reason}"
            )
        rows = self._scenario_rows()
        try:
            one = np.asarray(profit(self._decision_arg(x), rows[0]), dtype=float)
        except Exception as exc:
            raise DecisionInputError(
                "profit",
                f"called with all {S} scenarios it {reason}; called with one scenario it raised "
                f"{type(exc).__name__}: {exc}",
            ) from exc
        if one.size != 1:
            raise DecisionInputError(
                "profit",
                f"called with all {S} scenarios it {reason}; called with one scenario it returned "
                f"shape {one.shape}; it must return one profit per scenario",
            )
        warnings.warn(
            SlowProfitWarning(
                f"profit: works on one scenario at a time (on arrays of {S} scenarios it {reason}); "
                "it is called in a Python loop over the scenarios, which is much slower than numpy "
                "array operations"
            ),
            stacklevel=3,
        )
        self.looped = True

        def looped(xarg: Any, scenarios: Mapping[str, np.ndarray]) -> np.ndarray:
            return np.fromiter(
                (_one_number(profit(xarg, row)) for row in rows), dtype=float, count=S
            )

        self._checked(looped(self._decision_arg(x), self.scenarios), (S,), x)
        return looped

    def _scenario_rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            arrays = dict(self.scenarios)
            self._rows = [{k: v[i] for k, v in arrays.items()} for i in range(self.n_scenarios)]
        return self._rows

    def _check_batch(self, profit: ProfitFn) -> None:
        X = np.stack(
            [self.start, np.where(self.integer, self.lower, (self.lower + self.start) / 2)]
        )
        try:
            many = np.asarray(profit(self._decision_arg(X), self.scenarios), dtype=float)
        except Exception as exc:
            raise DecisionInputError(
                "profit",
                f"batch=True, but calling it with 2 decisions raised {type(exc).__name__}: {exc}",
            ) from exc
        singles = np.stack(
            [np.asarray(profit(self._decision_arg(x), self.scenarios), dtype=float) for x in X]
        )
        if many.shape != singles.shape or not np.allclose(many, singles, rtol=1e-9, atol=1e-9):
            raise DecisionInputError(
                "profit",
                f"batch=True, but its (2, {self.n_variables}) call gave shape {many.shape} / values that "
                "differ from one call per decision",
            )


def _same_up_to_ones(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    """Whether two shapes differ only by axes of length one (``(S, 1)`` for ``(S,)``)."""
    return tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1)


def _one_number(value: Any) -> float:
    if isinstance(value, (float, int)):
        return float(value)
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise DecisionInputError(
            "profit", f"returned shape {arr.shape} for one scenario; expected one number"
        )
    return float(arr.reshape(()))
