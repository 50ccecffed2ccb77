"""Solvers for :class:`DecisionProblem`: multi-start local, global, and integer search.

Continuous stage (the relaxation, for integer variables):

* ``method="local"``: from ``restarts`` starting points (the problem's feasible start,
  then uniform draws in the box that meet the linear constraints), L-BFGS-B when only
  bounds apply, SLSQP with constraints; Nelder-Mead (constraints as penalties) takes
  over when the gradient method reports failure, and is used from the start for the
  piecewise-constant ``prob_loss``.
* ``method="global"``: scipy's differential evolution (constraints as scipy constraint
  objects; whole populations in one call when the profit is ``batch``), then the
  local method from its best point.

Integer stage: when every variable is an integer and the box holds at most
``max_enumeration`` scenario evaluations (points x scenarios) and at most ``MAX_POINTS``
points (``MAX_POINTS_LOOPED`` without ``batch``), every integer point is evaluated in
vectorised batches and the optimum is exact. Otherwise each relaxed optimum is rounded
(best floor/ceil corner) and improved by a neighbourhood descent (coordinate and
pairwise moves of shrinking step, then all ±1 moves), and the result is checked by
evaluating every point of a window around it (as wide as ``window_enumeration``
allows); the optimum is then approximate (``exact=False``): optimal within that
window. Continuous variables of a mixed problem are re-optimised with the integers
fixed.

BLAS runs single-threaded while optimising: the products involved are tiny, and
threaded BLAS spinning between them competes with the solver for the cores.

A result is ``converged`` when the best run's solver reported success and at least
two starting points reach the best value within ``tol`` (relative); an exhaustive
integer search is converged by construction. Otherwise ``message`` says why.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import optimize as sopt

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.risk import OutcomeSummary, RiskMeasure, risk_measure, summarise

if TYPE_CHECKING:
    from bayes_widgets.core.decision.problem import DecisionProblem

MAX_POINTS = 2_000_000
"""Most integer points an exhaustive search enumerates (profit with ``batch=True``)."""
MAX_POINTS_LOOPED = 50_000
"""The same for a profit called once per decision (``batch=False``)."""
CHUNK_ELEMENTS = 2_000_000
"""Scenario evaluations per vectorised batch (bounds the memory of one call)."""


@dataclass
class OptimisationResult:
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


@dataclass
class _Run:
    x: np.ndarray
    score: float
    success: bool
    nit: int
    solver: str
    message: str
    fallback: bool = False
    """Nelder-Mead took over after the gradient method failed."""


class _Evaluator:
    """Scores of decisions (higher is better), counting evaluations."""

    def __init__(self, problem: DecisionProblem, measure: RiskMeasure):
        self.problem = problem
        self.measure = measure
        self.evaluations = 0

    def score(self, x: np.ndarray) -> float:
        self.evaluations += 1
        return float(self.measure.score(self.problem._outcomes(np.asarray(x, dtype=float))))

    def scores(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        out = np.empty(len(X))
        step = max(1, CHUNK_ELEMENTS // self.problem.n_scenarios)
        for a in range(0, len(X), step):
            out[a : a + step] = self.measure.score(self.problem._outcomes_many(X[a : a + step]))
        self.evaluations += len(X)
        return out

    def loss(self, x: np.ndarray) -> float:
        return -self.score(x)


def optimise(
    problem: DecisionProblem,
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
) -> OptimisationResult:
    """Maximises ``objective`` (``"mean"``, ``"quantile"``, ``"cvar"`` or ``"prob_loss"``
    at ``level``) of ``problem``'s profits; see the module docstring.

    ``max_enumeration`` caps the scenario evaluations of an exhaustive integer search,
    ``window_enumeration`` those of the window check after a neighbourhood descent;
    ``tol`` is the relative agreement required between starting points.
    """
    with _single_threaded_blas():
        return _optimise(
            problem,
            objective,
            level=level,
            method=method,
            restarts=restarts,
            seed=seed,
            x0=x0,
            max_enumeration=max_enumeration,
            window_enumeration=window_enumeration,
            tol=tol,
            maxiter=maxiter,
            popsize=popsize,
        )


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with pymc
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _optimise(
    problem: DecisionProblem,
    objective: str | RiskMeasure,
    *,
    level: float | None,
    method: str,
    restarts: int,
    seed: int | None,
    x0: Any,
    max_enumeration: float,
    window_enumeration: float,
    tol: float,
    maxiter: int,
    popsize: int,
) -> OptimisationResult:
    t0 = time.perf_counter()
    measure = risk_measure(objective, level)
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
    start = problem.start if x0 is None else problem.check_x(x0, field="x0", check_bounds=False)
    start = np.clip(start, problem.lower, problem.upper)
    rng = np.random.default_rng(seed)
    ev = _Evaluator(problem, measure)
    scale = _value_scale(ev, start)

    if method == "global":
        runs = _global(ev, problem, rng, maxiter, popsize)
    else:
        runs = [_local(ev, problem, s, maxiter) for s in _starts(problem, start, restarts, rng)]
    feasible_runs = [r for r in runs if problem._feasible_mask(r.x[None, :])[0]]
    if not feasible_runs:
        raise DecisionInputError(
            "constraints",
            f"no feasible decision found: none of {len(runs)} solver runs ended where every "
            "constraint holds (check that the constraints can be met together)",
        )
    best = max(feasible_runs, key=lambda r: r.score)
    iterations = sum(r.nit for r in runs)
    solvers = sorted({r.solver for r in runs})
    method_label = (
        f"differential evolution + {'/'.join(s for s in solvers if s != 'differential evolution')}"
        if method == "global"
        else f"{'/'.join(solvers)} from {len(runs)} starts"
    )
    relaxed = None
    exact: bool | None = None
    notes: list[str] = []
    fallbacks = [r for r in runs if r.fallback]
    if fallbacks:
        notes.append(
            f"Nelder-Mead took over in {len(fallbacks)} of {len(runs)} runs after the gradient method "
            f"stopped ({fallbacks[0].message.split('; Nelder-Mead')[0]})"
        )

    if problem.integer.any():
        relaxed = {n: float(v) for n, v in zip(problem.names, best.x)}
        search = _IntegerSearch(ev, problem, max_enumeration, window_enumeration)
        x_best, score_best, exact, start_scores, note, steps = search.run(
            [r.x for r in sorted(feasible_runs, key=lambda r: -r.score)]
        )
        iterations += steps
        notes.append(note)
        method_label += "; integers: " + ("exhaustive search" if exact else "neighbourhood search")
        if exact:
            converged = True
        else:
            converged, why = _agreement(start_scores, score_best, tol, scale)
            converged = converged and best.success
            if why:
                notes.append(why)
            if not best.success:
                notes.append(
                    f"the relaxation's best run did not converge ({best.solver}: {best.message})"
                )
        if not problem.integer.all():
            polish = _local(ev, problem, x_best, maxiter, fixed=problem.integer)
            if polish.score > score_best and problem._feasible_mask(polish.x[None, :])[0]:
                x_best, score_best = polish.x, polish.score
            notes.append("continuous variables re-optimised with the integers fixed")
        start_values = start_scores
    else:
        x_best, score_best = best.x, best.score
        start_values = [r.score for r in feasible_runs]
        if method == "global":
            converged = all(r.success for r in runs)
            if not converged:
                notes.append("; ".join(f"{r.solver}: {r.message}" for r in runs if not r.success))
        else:
            converged, why = _agreement(start_values, score_best, tol, scale)
            if why:
                notes.append(why)
            if not best.success:
                converged = False
                notes.append(f"the best run did not converge ({best.solver}: {best.message})")
        if len(runs) > len(feasible_runs):
            notes.append(f"{len(runs) - len(feasible_runs)} of {len(runs)} runs ended infeasible")

    x_best = np.clip(x_best, problem.lower, problem.upper)
    if problem.integer.any():
        x_best = np.where(problem.integer, np.round(x_best), x_best)
    # a solver's 5.7e-10 for a bound of 0, or a budget exceeded by its rounding
    x_best = problem.tidy(x_best)
    outcomes = problem._outcomes(x_best)
    sign = -1.0 if measure.name == "prob_loss" else 1.0
    if converged and not notes:
        notes.append("converged")
    return OptimisationResult(
        x=problem.as_dict(x_best),
        x_array=x_best,
        objective=measure.label,
        value=float(measure.value(outcomes)),
        summary=summarise(outcomes),
        converged=bool(converged),
        method=method_label,
        iterations=int(iterations),
        evaluations=ev.evaluations,
        message="; ".join(notes),
        exact=exact,
        relaxed=relaxed,
        start_values=[sign * v for v in start_values],
        elapsed_s=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- continuous
def _value_scale(ev: _Evaluator, x: np.ndarray) -> float:
    """A typical size of the objective, for relative tolerances."""
    outcomes = ev.problem._outcomes(x)
    ev.evaluations += 1
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


def _starts(
    problem: DecisionProblem, first: np.ndarray, restarts: int, rng: np.random.Generator
) -> list[np.ndarray]:
    starts = [first]
    lo, hi = problem.lower, problem.upper
    while len(starts) < restarts:
        x = lo + rng.random(len(lo)) * (hi - lo)
        for _ in range(30):
            if not problem.linear or problem._feasible_mask(x[None, :])[0]:
                break
            x = (x + problem.start) / 2  # move towards a feasible point
        starts.append(x)
    return starts


def _local(
    ev: _Evaluator,
    problem: DecisionProblem,
    x0: np.ndarray,
    maxiter: int,
    fixed: np.ndarray | None = None,
) -> _Run:
    """One local run from ``x0``; ``fixed`` marks variables held at their ``x0`` value."""
    lo, hi = problem.lower.copy(), problem.upper.copy()
    if fixed is not None:
        lo[fixed] = hi[fixed] = x0[fixed]
    free = hi > lo
    if not free.any():
        return _Run(x0.copy(), ev.score(x0), True, 0, "fixed", "no free variables")
    has_constraints = bool(problem.linear or problem.general)

    def expand(z: np.ndarray) -> np.ndarray:
        x = lo.copy()
        x[free] = z
        return x

    def loss(z: np.ndarray) -> float:
        return ev.loss(np.clip(expand(z), lo, hi))

    bounds = list(zip(lo[free], hi[free]))
    z0 = np.clip(x0, lo, hi)[free]
    nit = 0
    if ev.measure.smooth:
        # gradient methods work in unit coordinates (each free variable's box mapped to
        # [0, 1]) on the objective divided by its typical size: finite differences and
        # SLSQP's line search fail on spends of 1e6 or objectives of 1e8
        scale = max(abs(loss(z0)), abs(loss((lo[free] + hi[free]) / 2)), 1.0)
        base, width = lo[free], hi[free] - lo[free]

        def unit_loss(u: np.ndarray) -> float:
            return loss(base + u * width) / scale

        u0 = (z0 - base) / width
        unit_bounds = [(0.0, 1.0)] * len(u0)
        if has_constraints:
            cons = [
                {
                    "type": "ineq",
                    "fun": (lambda u, c=c: c.b - c.A @ expand(base + u * width)),
                    "jac": (lambda u, c=c: -c.A[:, free] * width),
                }
                for c in problem.linear
            ] + [
                {"type": "ineq", "fun": (lambda u, g=g: -g.values(expand(base + u * width)))}
                for g in problem.general
            ]
            res = sopt.minimize(
                unit_loss,
                u0,
                method="SLSQP",
                bounds=unit_bounds,
                constraints=cons,
                options={"maxiter": maxiter},
            )
            solver = "SLSQP"
        else:
            res = sopt.minimize(
                unit_loss, u0, method="L-BFGS-B", bounds=unit_bounds, options={"maxiter": maxiter}
            )
            solver = "L-BFGS-B"
        nit += int(getattr(res, "nit", 0))
        x = np.clip(expand(base + np.asarray(res.x) * width), lo, hi)
        feasible = bool(problem._feasible_mask(x[None, :])[0])
        if res.success and feasible:
            return _Run(x, ev.score(x), True, nit, solver, str(res.message))
        if feasible:
            z0 = x[free]
        first_message = f"{solver}: {res.message}"
    else:
        first_message = ""
    # Nelder-Mead: non-smooth objective, or the gradient method failed
    f0 = abs(loss(z0))
    weight = 1e3 * (1.0 + f0)

    def penalised(z: np.ndarray) -> float:
        x = np.clip(expand(z), lo, hi)
        v = problem._violation(x) if has_constraints else 0.0
        return ev.loss(x) + weight * v

    width = hi[free] - lo[free]
    simplex = [z0]
    for i in range(len(z0)):
        z = z0.copy()
        step = 0.1 * width[i]
        z[i] = z[i] + step if z[i] + step <= hi[free][i] else z[i] - step
        simplex.append(z)
    res = sopt.minimize(
        penalised,
        z0,
        method="Nelder-Mead",
        bounds=bounds,
        options={
            "maxiter": maxiter * max(2, len(z0)),
            "initial_simplex": np.array(simplex),
            "xatol": 1e-6 * float(width.max()),
            "fatol": 1e-9 * (1.0 + f0),
            "adaptive": len(z0) > 4,
        },
    )
    nit += int(getattr(res, "nit", 0))
    x = np.clip(expand(res.x), lo, hi)
    message = (
        str(res.message) if not first_message else f"{first_message}; Nelder-Mead: {res.message}"
    )
    return _Run(
        x, ev.score(x), bool(res.success), nit, "Nelder-Mead", message, fallback=bool(first_message)
    )


def _global(
    ev: _Evaluator, problem: DecisionProblem, rng: np.random.Generator, maxiter: int, popsize: int
) -> list[_Run]:
    constraints = [sopt.LinearConstraint(c.A, -np.inf, c.b) for c in problem.linear]
    constraints += [sopt.NonlinearConstraint(g.values, -np.inf, 0.0) for g in problem.general]
    vectorised = problem.batch and not problem.general
    fixed = problem.upper == problem.lower
    bounds = list(zip(problem.lower, np.where(fixed, problem.upper + 1e-12, problem.upper)))
    func = (
        (lambda X: -ev.scores(np.clip(X.T, problem.lower, problem.upper)))
        if vectorised
        else (lambda x: ev.loss(np.clip(x, problem.lower, problem.upper)))
    )
    res = sopt.differential_evolution(
        func,
        bounds,
        constraints=constraints or (),
        seed=rng,
        polish=False,
        maxiter=maxiter,
        popsize=popsize,
        tol=1e-6,
        vectorized=vectorised,
        updating="deferred" if vectorised else "immediate",
    )
    x = np.clip(res.x, problem.lower, problem.upper)
    de = _Run(
        x, ev.score(x), bool(res.success), int(res.nit), "differential evolution", str(res.message)
    )
    polished = _local(ev, problem, x, maxiter)
    return [de, polished]


# ------------------------------------------------------------------- integer
class _IntegerSearch:
    """Exact enumeration of a small integer box, else descent plus a window check."""

    def __init__(
        self,
        ev: _Evaluator,
        problem: DecisionProblem,
        max_enumeration: float,
        window_enumeration: float,
    ):
        self.ev = ev
        self.p = problem
        self.idx = np.flatnonzero(problem.integer)
        self.lo = problem.lower[self.idx]
        self.hi = problem.upper[self.idx]
        self.max_enumeration = max_enumeration
        self.window_enumeration = window_enumeration
        self.point_limit = MAX_POINTS if problem.batch else MAX_POINTS_LOOPED
        self.steps = 0

    def run(
        self, relaxed: list[np.ndarray]
    ) -> tuple[np.ndarray, float, bool, list[float], str, int]:
        sizes = (self.hi - self.lo + 1).astype(int)
        n_points = math.prod(int(s) for s in sizes)
        S = self.p.n_scenarios
        if (
            self.p.integer.all()
            and n_points <= self.point_limit
            and n_points * S <= self.max_enumeration
        ):
            x, score = self._enumerate(relaxed[0], self.lo, self.hi)
            if x is None:
                raise DecisionInputError(
                    "constraints",
                    "infeasible: no integer decision within the bounds meets the constraints",
                )
            return (
                x,
                score,
                True,
                [score],
                f"exact integer optimum: all {n_points} integer points evaluated",
                self.steps,
            )
        done: dict[tuple[float, ...], tuple[np.ndarray, float, int]] = {}
        finals: list[tuple[np.ndarray, float, int]] = []
        for base in relaxed:
            x = self._best_corner(base)
            if x is None:
                continue
            key = tuple(x)
            if key not in done:  # a start rounding to the same point repeats the same descent
                done[key] = self._descend(x)
            finals.append(done[key])
        if not finals:
            raise DecisionInputError(
                "constraints",
                "no feasible integer decision found near the relaxed optima (the constraints may "
                "leave no integer point; widen the bounds or relax the constraints)",
            )
        x, score, radius = max(finals, key=lambda f: f[1])
        if radius > 0:
            note = f"approximate integer optimum: the best of every integer point within ±{radius} of it"
        else:
            note = (
                "approximate integer optimum: best among its coordinate and pairwise ±1 moves "
                "(a window of all neighbours would be too many points)"
            )
        return x, score, False, [f[1] for f in finals], note, self.steps

    # helpers ---------------------------------------------------------------
    def _full(self, Z: np.ndarray, template: np.ndarray) -> np.ndarray:
        X = np.repeat(template[None, :], len(Z), axis=0)
        X[:, self.idx] = Z
        return X

    def _scores(self, Z: np.ndarray, template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores of integer parts ``Z`` (others from ``template``); -inf where infeasible."""
        Z = np.unique(np.clip(Z, self.lo, self.hi), axis=0) if len(Z) else Z
        X = self._full(Z, template)
        out = np.full(len(X), -np.inf)
        ok = self.p._feasible_mask(X)
        if ok.any():
            out[ok] = self.ev.scores(X[ok])
        return Z, out

    def _best_corner(self, base: np.ndarray) -> np.ndarray | None:
        z = base[self.idx]
        k = len(self.idx)
        if k <= 5:
            corners = np.array(
                list(itertools.product(*[sorted({math.floor(v), math.ceil(v)}) for v in z])),
                dtype=float,
            )
        else:
            corners = np.round(z)[None, :]
        Z, s = self._scores(corners, base)
        if not np.isfinite(s).any():
            Z, s = self._scores(np.round(z)[None, :] + self._moves(1), base)
            if not np.isfinite(s).any():
                return None
        x = base.copy()
        x[self.idx] = Z[int(np.argmax(s))]
        return x

    def _moves(self, step: int) -> np.ndarray:
        k = len(self.idx)
        if step == 1 and k <= 6:
            moves = np.array(list(itertools.product((-1, 0, 1), repeat=k)), dtype=float)
            return moves[np.any(moves != 0, axis=1)]
        eye = np.eye(k)
        moves = [eye, -eye]
        if k <= 12:
            pairs = [eye[i] - eye[j] for i in range(k) for j in range(k) if i != j]
            if pairs:
                moves.append(np.array(pairs))
        return step * np.vstack(moves)

    def _descend(self, x: np.ndarray) -> tuple[np.ndarray, float, int]:
        span = float((self.hi - self.lo).max())
        step = 2 ** math.floor(math.log2(span / 4)) if span >= 8 else 1
        score = self.ev.score(x)
        while True:
            while step >= 1:
                x, score = self._climb(x, score, step)
                step //= 2
            radius = self._window_radius()
            if radius <= 1:
                return x, score, 1 if len(self.idx) <= 6 else 0
            z = x[self.idx]
            wx, wscore = self._enumerate(
                x, np.maximum(z - radius, self.lo), np.minimum(z + radius, self.hi)
            )
            if wx is None or wscore <= score + 1e-12 * (1.0 + abs(score)):
                return x, score, radius
            x, score, step = wx, wscore, 1

    def _climb(self, x: np.ndarray, score: float, step: int) -> tuple[np.ndarray, float]:
        moves = self._moves(step)
        while True:
            self.steps += 1
            Z, s = self._scores(x[self.idx] + moves, x)
            j = int(np.argmax(s))
            if not s[j] > score + 1e-12 * (1.0 + abs(score)):
                return x, score
            x = x.copy()
            x[self.idx] = Z[j]
            score = float(s[j])

    def _window_radius(self) -> int:
        k, S = len(self.idx), self.p.n_scenarios
        r = 0
        while (
            n := (2 * (r + 1) + 1) ** k
        ) * S <= self.window_enumeration and n <= self.point_limit:
            r += 1
        return r

    def _enumerate(
        self, template: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> tuple[np.ndarray | None, float]:
        """Best feasible integer point of the box ``[lo, hi]``, in vectorised batches."""
        sizes = tuple(int(s) for s in (hi - lo + 1))
        total = math.prod(sizes)
        batch = int(min(max(1, CHUNK_ELEMENTS // self.p.n_scenarios), 200_000))
        best_x, best_s = None, -np.inf
        for a in range(0, total, batch):
            self.steps += 1
            flat = np.arange(a, min(a + batch, total))
            Z = lo + np.stack(np.unravel_index(flat, sizes), axis=1).astype(float)
            X = self._full(Z, template)
            ok = self.p._feasible_mask(X)
            if not ok.any():
                continue
            s = self.ev.scores(X[ok])
            j = int(np.argmax(s))
            if s[j] > best_s:
                best_x, best_s = X[ok][j], float(s[j])
        return best_x, best_s
