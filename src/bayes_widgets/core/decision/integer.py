"""The integer stage of the solvers: exact enumeration of a small integer box, or a
neighbourhood descent from each relaxed optimum checked over a window around it.

    search = IntegerSearch(ev, problem, max_enumeration=2e7, window_enumeration=1.5e7)
    x, score, exact, start_scores, note, steps = search.run(relaxed_optima)

When every variable is an integer and the box holds at most ``max_enumeration`` scenario
evaluations (points x scenarios) and at most :data:`MAX_POINTS` points
(:data:`MAX_POINTS_LOOPED` without ``batch``), every point is evaluated in vectorised
batches and the optimum is exact. Otherwise each relaxed optimum is rounded (best
floor/ceil corner) and improved by coordinate and pairwise moves of shrinking step, then
all ±1 moves, and the result is checked against every point of a window around it (as
wide as ``window_enumeration`` allows): optimal within that window, ``exact=False``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.decision.evaluation import CHUNK_ELEMENTS, Evaluator, SolvableProblem

MAX_POINTS = 2_000_000
"""Most integer points an exhaustive search enumerates (profit with ``batch=True``)."""
MAX_POINTS_LOOPED = 50_000
"""The same for a profit called once per decision (``batch=False``)."""


class IntegerSearch:
    """Exact enumeration of a small integer box, else descent plus a window check."""

    def __init__(
        self,
        ev: Evaluator,
        problem: SolvableProblem,
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
        ok = self.p.feasible_mask(X)
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
            ok = self.p.feasible_mask(X)
            if not ok.any():
                continue
            s = self.ev.scores(X[ok])
            j = int(np.argmax(s))
            if s[j] > best_s:
                best_x, best_s = X[ok][j], float(s[j])
        return best_x, best_s


__all__ = ["MAX_POINTS", "MAX_POINTS_LOOPED", "IntegerSearch"]
