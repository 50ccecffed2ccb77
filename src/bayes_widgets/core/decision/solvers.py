"""The solvers of :class:`~bayes_widgets.core.decision.problem.DecisionProblem`.

    result = optimize(problem, "cvar", level=0.05, restarts=4, seed=0)
    result.x, result.value, result.converged, result.exact, result.message

Continuous variables (and the relaxation of integer ones) go to multi-start local runs
(``method="local"``) or differential evolution followed by a local run
(``method="global"``), see :mod:`.continuous`; integer variables then go to an
exhaustive or a neighbourhood search, see :mod:`.integer`. Continuous variables of a
mixed problem are re-optimized with the integers fixed. BLAS runs single-threaded while
optimizing: the products involved are tiny, and threaded BLAS spinning between them
competes with the solver for the cores.

A result is ``converged`` when the best run's solver reported success and at least two
starting points reach the best value within ``tol`` (relative); an exhaustive integer
search is converged by construction. Otherwise ``message`` says why.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from bayes_widgets.core.decision.continuous import global_runs, local_run, starts
from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.evaluation import Evaluator, SolvableProblem, SolverRun
from bayes_widgets.core.decision.integer import IntegerSearch
from bayes_widgets.core.decision.risk import OutcomeSummary, RiskMeasure, risk_measure, summarize
from bayes_widgets.core.deprecation import deprecated_alias


@dataclass
class OptimizationResult:
    """The best decision found and how it was found."""

    x: dict[str, float | int]
    """The decision by variable name (integers as ``int``)."""
    x_array: np.ndarray = field(repr=False)
    objective: str
    value: float
    """The risk measure at ``x`` in its own units (profit; a probability for ``prob_loss``)."""
    summary: OutcomeSummary = field(repr=False)
    converged: bool
    method: str
    iterations: int
    evaluations: int
    """Decisions evaluated over all scenarios."""
    message: str
    exact: bool | None
    """Integer problems: True when proven by exhaustive search; None without integers."""
    relaxed: dict[str, float] | None = None
    """Optimum of the continuous relaxation (integer problems)."""
    start_values: list[float] = field(default_factory=list)
    """Best value reached from each starting point (same units as ``value``)."""
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": dict(self.x),
            "objective": self.objective,
            "value": self.value,
            "converged": self.converged,
            "method": self.method,
            "iterations": self.iterations,
            "evaluations": self.evaluations,
            "message": self.message,
            "exact": self.exact,
            "relaxed": self.relaxed,
            "start_values": list(self.start_values),
            "elapsed_s": self.elapsed_s,
            "summary": self.summary.to_dict(),
        }


def optimize(
    problem: SolvableProblem,
    objective: str | RiskMeasure = "mean",
    *,
    level: float | None = None,
    method: Literal["local", "global"] = "local",
    restarts: int = 4,
    seed: int | None = None,
    x0: Any = None,
    max_enumeration: float = 2e7,
    window_enumeration: float = 1.5e7,
    tol: float = 1e-4,
    maxiter: int = 500,
    popsize: int = 15,
) -> OptimizationResult:
    """Maximizes ``objective`` (``"mean"``, ``"quantile"``, ``"cvar"`` or ``"prob_loss"``
    at ``level``) of ``problem``'s profits; see the module docstring.

    ``max_enumeration`` caps the scenario evaluations of an exhaustive integer search,
    ``window_enumeration`` those of the window check after a neighbourhood descent;
    ``tol`` is the relative agreement required between starting points.
    """
    t0 = time.perf_counter()
    measure = risk_measure(objective, level)
    _check_options(method, restarts, max_enumeration, window_enumeration, tol)
    start = problem.start if x0 is None else problem.check_x(x0, field="x0", check_bounds=False)
    start = np.clip(start, problem.lower, problem.upper)
    rng = np.random.default_rng(seed)
    ev = Evaluator(problem, measure)
    with _single_threaded_blas():
        scale = _value_scale(ev, start)
        if method == "global":
            runs = global_runs(ev, problem, rng, maxiter, popsize)
        else:
            runs = [
                local_run(ev, problem, s, maxiter) for s in starts(problem, start, restarts, rng)
            ]
        found = _Found.of(runs, ev, method)
        if problem.integer.any():
            _integer_stage(found, ev, max_enumeration, window_enumeration, tol, scale, maxiter)
        else:
            _continuous_stage(found, method, tol, scale)
        return _result(found, ev, time.perf_counter() - t0)


optimise = deprecated_alias(optimize, "optimise")


def _check_options(
    method: str, restarts: Any, max_enumeration: Any, window_enumeration: Any, tol: Any
) -> None:
    if method not in ("local", "global"):
        raise DecisionInputError("method", f"must be 'local' or 'global', got {method!r}")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise DecisionInputError("restarts", f"must be an integer ≥ 1, got {restarts!r}")
    for name, value in (
        ("max_enumeration", max_enumeration),
        ("window_enumeration", window_enumeration),
        ("tol", tol),
    ):
        if not (isinstance(value, (int, float)) and value >= 0):
            raise DecisionInputError(name, f"must be a number ≥ 0, got {value!r}")


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with pymc
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@dataclass
class _Found:
    """What the solver runs found, and what the stages after them add."""

    runs: list[SolverRun]
    feasible: list[SolverRun]
    best: SolverRun
    method: str
    iterations: int
    notes: list[str]
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    score: float = float("nan")
    converged: bool = False
    exact: bool | None = None
    relaxed: dict[str, float] | None = None
    start_values: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, runs: list[SolverRun], ev: Evaluator, method: str) -> _Found:
        feasible = [r for r in runs if ev.feasible(r.x)]
        if not feasible:
            raise DecisionInputError(
                "constraints",
                f"no feasible decision found: none of {len(runs)} solver runs ended where every "
                "constraint holds (check that the constraints can be met together)",
            )
        solvers = sorted({r.solver for r in runs})
        label = (
            f"differential evolution + {'/'.join(s for s in solvers if s != 'differential evolution')}"
            if method == "global"
            else f"{'/'.join(solvers)} from {len(runs)} starts"
        )
        notes = []
        fallbacks = [r for r in runs if r.fallback]
        if fallbacks:
            notes.append(
                f"Nelder-Mead took over in {len(fallbacks)} of {len(runs)} runs after the gradient "
                f"method stopped ({fallbacks[0].message.split('; Nelder-Mead')[0]})"
            )
        best = max(feasible, key=lambda r: r.score)
        return cls(runs, feasible, best, label, sum(r.nit for r in runs), notes)


def _integer_stage(
    found: _Found,
    ev: Evaluator,
    max_enumeration: float,
    window_enumeration: float,
    tol: float,
    scale: float,
    maxiter: int,
) -> None:
    """The integer search from the relaxed optima, then the continuous variables of a
    mixed problem re-optimized with the integers fixed."""
    problem, best = ev.problem, found.best
    found.relaxed = {n: float(v) for n, v in zip(problem.names, best.x)}
    search = IntegerSearch(ev, problem, max_enumeration, window_enumeration)
    ordered = sorted(found.feasible, key=lambda r: -r.score)
    x, score, exact, start_scores, note, steps = search.run([r.x for r in ordered])
    found.iterations += steps
    found.notes.append(note)
    found.method += "; integers: " + ("exhaustive search" if exact else "neighbourhood search")
    found.exact = exact
    if exact:
        found.converged = True
    else:
        agree, why = _agreement(start_scores, score, tol, scale)
        found.converged = agree and best.success
        if why:
            found.notes.append(why)
        if not best.success:
            found.notes.append(
                f"the relaxation's best run did not converge ({best.solver}: {best.message})"
            )
    if not problem.integer.all():
        polish = local_run(ev, problem, x, maxiter, fixed=problem.integer)
        if polish.score > score and ev.feasible(polish.x):
            x, score = polish.x, polish.score
        found.notes.append("continuous variables re-optimised with the integers fixed")
    found.x, found.score, found.start_values = x, score, start_scores


def _continuous_stage(found: _Found, method: str, tol: float, scale: float) -> None:
    """The best feasible run is the optimum; says whether the runs agree on it."""
    runs, best = found.runs, found.best
    found.x, found.score = best.x, best.score
    found.start_values = [r.score for r in found.feasible]
    if method == "global":
        found.converged = all(r.success for r in runs)
        if not found.converged:
            found.notes.append("; ".join(f"{r.solver}: {r.message}" for r in runs if not r.success))
    else:
        found.converged, why = _agreement(found.start_values, found.score, tol, scale)
        if why:
            found.notes.append(why)
        if not best.success:
            found.converged = False
            found.notes.append(f"the best run did not converge ({best.solver}: {best.message})")
    if len(runs) > len(found.feasible):
        found.notes.append(
            f"{len(runs) - len(found.feasible)} of {len(runs)} runs ended infeasible"
        )


def _result(found: _Found, ev: Evaluator, elapsed_s: float) -> OptimizationResult:
    problem, measure = ev.problem, ev.measure
    x = np.clip(found.x, problem.lower, problem.upper)
    if problem.integer.any():
        x = np.where(problem.integer, np.round(x), x)
    # a solver's 5.7e-10 for a bound of 0, or a budget exceeded by its rounding
    x = problem.tidy(x)
    outcomes = problem.unchecked_outcomes(x)
    sign = -1.0 if measure.name == "prob_loss" else 1.0
    notes = found.notes or (["converged"] if found.converged else [])
    return OptimizationResult(
        x=problem.as_dict(x),
        x_array=x,
        objective=measure.label,
        value=float(measure.value(outcomes)),
        summary=summarize(outcomes),
        converged=bool(found.converged),
        method=found.method,
        iterations=int(found.iterations),
        evaluations=ev.evaluations,
        message="; ".join(notes),
        exact=found.exact,
        relaxed=found.relaxed,
        start_values=[sign * v for v in found.start_values],
        elapsed_s=elapsed_s,
    )


def _value_scale(ev: Evaluator, x: np.ndarray) -> float:
    """A typical size of the objective, for relative tolerances."""
    outcomes = ev.outcomes(x)
    return float(max(np.abs(outcomes).mean(), outcomes.std(), 1e-12))


def _agreement(values: list[float], best: float, tol: float, scale: float) -> tuple[bool, str]:
    if len(values) < 2:
        return True, "one starting point: agreement between starts not checked"
    close = sum(abs(v - best) <= tol * max(abs(best), scale) for v in values)
    if close >= 2:
        return True, ""
    others = sorted(values, reverse=True)[1:4]
    return False, (
        f"starting points disagree: the best value {best:.6g} was reached from only 1 of "
        f"{len(values)} starts (next best {', '.join(f'{v:.6g}' for v in others)}); "
        "try more restarts or method='global'"
    )


_RENAMED = {"OptimisationResult": "OptimizationResult"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        warnings.warn(
            f"{name} is deprecated; use {_RENAMED[name]}", DeprecationWarning, stacklevel=2
        )
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["OptimizationResult", "optimize"]
