"""The continuous solvers: multi-start local runs and differential evolution.

    runs = [local_run(ev, problem, x0, maxiter) for x0 in starts(problem, first, 4, rng)]
    runs = global_runs(ev, problem, rng, maxiter, popsize)   # DE, then a local run from it

A local run uses L-BFGS-B when only bounds apply and SLSQP with constraints, in unit
coordinates on a scaled objective; Nelder-Mead (constraints as penalties) takes over when
the gradient method fails, and runs from the start for a non-smooth measure (``prob_loss``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize as sopt

from bayes_widgets.core.decision.evaluation import Evaluator, SolvableProblem, SolverRun


def starts(
    problem: SolvableProblem, first: np.ndarray, restarts: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """``first``, then uniform draws in the box moved towards a point that meets the
    linear constraints: ``restarts`` starting points in all."""
    points = [first]
    lo, hi = problem.lower, problem.upper
    while len(points) < restarts:
        x = lo + rng.random(len(lo)) * (hi - lo)
        for _ in range(30):
            if not problem.linear or problem.feasible_mask(x[None, :])[0]:
                break
            x = (x + problem.start) / 2  # move towards a feasible point
        points.append(x)
    return points


@dataclass
class _Box:
    """The free variables of a local run and the map from them to a full decision."""

    lo: np.ndarray
    hi: np.ndarray
    free: np.ndarray

    def expand(self, z: np.ndarray) -> np.ndarray:
        x = self.lo.copy()
        x[self.free] = z
        return x

    def clip(self, z: np.ndarray) -> np.ndarray:
        return np.clip(self.expand(z), self.lo, self.hi)


def local_run(
    ev: Evaluator,
    problem: SolvableProblem,
    x0: np.ndarray,
    maxiter: int,
    fixed: np.ndarray | None = None,
) -> SolverRun:
    """One local run from ``x0``; ``fixed`` marks variables held at their ``x0`` value."""
    lo, hi = problem.lower.copy(), problem.upper.copy()
    if fixed is not None:
        lo[fixed] = hi[fixed] = x0[fixed]
    box = _Box(lo, hi, hi > lo)
    if not box.free.any():
        return SolverRun(x0.copy(), ev.score(x0), True, 0, "fixed", "no free variables")
    z0 = np.clip(x0, lo, hi)[box.free]
    nit, first_message = 0, ""
    if ev.measure.smooth:
        run = _gradient_run(problem, box, z0, ev, maxiter)
        feasible = ev.feasible(run.x)
        if run.success and feasible:
            run.score = ev.score(run.x)
            return run
        if feasible:
            z0 = run.x[box.free]
        nit, first_message = run.nit, f"{run.solver}: {run.message}"
    run = _nelder_mead(ev, problem, box, z0, maxiter)
    run.nit += nit
    if first_message:
        run.message = f"{first_message}; Nelder-Mead: {run.message}"
        run.fallback = True
    return run


def _gradient_run(
    problem: SolvableProblem, box: _Box, z0: np.ndarray, ev: Evaluator, maxiter: int
) -> SolverRun:
    """L-BFGS-B (bounds only) or SLSQP (constraints), in unit coordinates (each free
    variable's box mapped to [0, 1]) on the objective divided by its typical size: finite
    differences and SLSQP's line search fail on spends of 1e6 or objectives of 1e8. The
    run's score is left to the caller (NaN): only a feasible success is scored."""
    free = box.free
    base, width = box.lo[free], box.hi[free] - box.lo[free]

    def loss(z: np.ndarray) -> float:
        return ev.loss(box.clip(z))

    scale = max(abs(loss(z0)), abs(loss(base + width / 2)), 1.0)

    def unit_loss(u: np.ndarray) -> float:
        return loss(base + u * width) / scale

    u0 = (z0 - base) / width
    unit_bounds = [(0.0, 1.0)] * len(u0)
    if problem.linear or problem.general:

        def full(u: np.ndarray) -> np.ndarray:
            return box.expand(base + u * width)

        cons = [
            {
                "type": "ineq",
                "fun": (lambda u, c=c: c.b - c.A @ full(u)),
                "jac": (lambda u, c=c: -c.A[:, free] * width),
            }
            for c in problem.linear
        ] + [{"type": "ineq", "fun": (lambda u, g=g: -g.values(full(u)))} for g in problem.general]
        solver = "SLSQP"
        res = sopt.minimize(
            unit_loss,
            u0,
            method=solver,
            bounds=unit_bounds,
            constraints=cons,
            options={"maxiter": maxiter},
        )
    else:
        solver = "L-BFGS-B"
        res = sopt.minimize(
            unit_loss, u0, method=solver, bounds=unit_bounds, options={"maxiter": maxiter}
        )
    x = box.clip(base + np.asarray(res.x) * width)
    nit = int(getattr(res, "nit", 0))
    return SolverRun(x, float("nan"), bool(res.success), nit, solver, str(res.message))


def _nelder_mead(
    ev: Evaluator, problem: SolvableProblem, box: _Box, z0: np.ndarray, maxiter: int
) -> SolverRun:
    """Nelder-Mead from ``z0`` with the constraints as penalties."""
    free = box.free
    has_constraints = bool(problem.linear or problem.general)
    f0 = abs(ev.loss(box.clip(z0)))
    weight = 1e3 * (1.0 + f0)

    def penalised(z: np.ndarray) -> float:
        x = box.clip(z)
        v = problem.total_violation(x) if has_constraints else 0.0
        return ev.loss(x) + weight * v

    width = box.hi[free] - box.lo[free]
    simplex = [z0]
    for i in range(len(z0)):
        z = z0.copy()
        step = 0.1 * width[i]
        z[i] = z[i] + step if z[i] + step <= box.hi[free][i] else z[i] - step
        simplex.append(z)
    res = sopt.minimize(
        penalised,
        z0,
        method="Nelder-Mead",
        bounds=list(zip(box.lo[free], box.hi[free])),
        options={
            "maxiter": maxiter * max(2, len(z0)),
            "initial_simplex": np.array(simplex),
            "xatol": 1e-6 * float(width.max()),
            "fatol": 1e-9 * (1.0 + f0),
            "adaptive": len(z0) > 4,
        },
    )
    x = box.clip(res.x)
    nit = int(getattr(res, "nit", 0))
    return SolverRun(x, ev.score(x), bool(res.success), nit, "Nelder-Mead", str(res.message))


def global_runs(
    ev: Evaluator,
    problem: SolvableProblem,
    rng: np.random.Generator,
    maxiter: int,
    popsize: int,
) -> list[SolverRun]:
    """Differential evolution (whole populations in one call when the profit is
    ``batch`` and every constraint linear), then a local run from its best point."""
    constraints = [
        sopt.LinearConstraint(c.A, -np.inf, c.b)  # pyright: ignore[reportArgumentType]
        for c in problem.linear
    ]
    constraints += [sopt.NonlinearConstraint(g.values, -np.inf, 0.0) for g in problem.general]
    vectorised = problem.batch and not problem.general
    lower, upper = problem.lower, problem.upper
    fixed = upper == lower
    bounds = list(zip(lower, np.where(fixed, upper + 1e-12, upper)))
    func = (
        (lambda X: -ev.scores(np.clip(X.T, lower, upper)))
        if vectorised
        else (lambda x: ev.loss(np.clip(x, lower, upper)))
    )
    res = sopt.differential_evolution(
        func,
        bounds,
        constraints=constraints or (),
        rng=rng,
        polish=False,
        maxiter=maxiter,
        popsize=popsize,
        tol=1e-6,
        vectorized=vectorised,
        updating="deferred" if vectorised else "immediate",
    )
    x = np.clip(res.x, lower, upper)
    de = SolverRun(
        x, ev.score(x), bool(res.success), int(res.nit), "differential evolution", str(res.message)
    )
    return [de, local_run(ev, problem, x, maxiter)]


__all__ = ["global_runs", "local_run", "starts"]
