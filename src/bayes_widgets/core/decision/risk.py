"""Risk measures of outcome samples (profits: higher is better) and outcome summaries.

All measures work along the last axis, so ``(K, S)`` outcomes of ``K`` decisions
give ``K`` values at once:

* ``mean``: expected profit;
* ``quantile`` at ``q``: numpy's linear-interpolation quantile (``q=0.05`` is the
  profit exceeded with 95 % probability);
* ``cvar`` at ``alpha``: mean of the worst ``alpha`` share of outcomes, the boundary
  scenario counted fractionally (``alpha * S`` need not be whole), so
  ``cvar([1, 2, 3, 4], 0.5) == 1.5`` and ``cvar([1, 2, 3, 4], 0.3) == (1 + 0.2 * 2) / 1.2``;
* ``prob_loss``: share of outcomes below zero.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bayes_widgets.core.decision.errors import DecisionInputError
from bayes_widgets.core.deprecation import deprecated_alias

RISK_MEASURES = ("mean", "quantile", "cvar", "prob_loss")
DEFAULT_LEVELS = {"quantile": 0.05, "cvar": 0.05}


def expected_value(outcomes: np.ndarray) -> np.ndarray:
    return np.mean(outcomes, axis=-1)


def quantile(outcomes: np.ndarray, q: float) -> np.ndarray:
    return np.quantile(outcomes, q, axis=-1)


def cvar(outcomes: np.ndarray, alpha: float) -> np.ndarray:
    """Mean of the worst (lowest) ``alpha`` share of ``outcomes`` along the last axis."""
    x = np.asarray(outcomes, dtype=float)
    s = x.shape[-1]
    m = alpha * s
    k = min(math.floor(m), s)
    frac = m - k
    if k >= s:
        return x.mean(axis=-1)
    part = np.partition(x, k, axis=-1)
    total = part[..., :k].sum(axis=-1) + frac * part[..., k]
    return total / m


def prob_loss(outcomes: np.ndarray) -> np.ndarray:
    return np.mean(np.asarray(outcomes) < 0, axis=-1)


@dataclass(frozen=True)
class RiskMeasure:
    """A named risk measure; ``score`` is oriented so that higher is better."""

    name: str
    level: float | None = None

    @property
    def label(self) -> str:
        return self.name if self.level is None else f"{self.name}({self.level:g})"

    def value(self, outcomes: np.ndarray) -> np.ndarray:
        """The measure in its own units (profit, or a probability for ``prob_loss``)."""
        if self.name == "mean":
            return expected_value(outcomes)
        level = DEFAULT_LEVELS.get(self.name, 0.0) if self.level is None else self.level
        if self.name == "quantile":
            return quantile(outcomes, level)
        if self.name == "cvar":
            return cvar(outcomes, level)
        return prob_loss(outcomes)

    def score(self, outcomes: np.ndarray) -> np.ndarray:
        v = self.value(outcomes)
        return -v if self.name == "prob_loss" else v

    @property
    def smooth(self) -> bool:
        """Whether gradient methods make sense (``prob_loss`` is piecewise constant)."""
        return self.name != "prob_loss"


def risk_measure(objective: str | RiskMeasure, level: float | None = None) -> RiskMeasure:
    """Parses ``"mean"``, ``"quantile"``, ``"cvar"`` or ``"prob_loss"`` (with ``level``:
    ``q`` for quantile, ``alpha`` for CVaR; defaults 0.05)."""
    if isinstance(objective, RiskMeasure):
        return objective
    if not isinstance(objective, str) or objective not in RISK_MEASURES:
        raise DecisionInputError(
            "objective", f"unknown risk measure {objective!r}; choose from {RISK_MEASURES}"
        )
    if objective in DEFAULT_LEVELS:
        level = DEFAULT_LEVELS[objective] if level is None else level
        try:
            level = float(level)
        except (TypeError, ValueError):
            raise DecisionInputError("level", f"must be a number, got {level!r}") from None
        low_ok = level >= 0.0 if objective == "quantile" else level > 0.0
        if not (low_ok and level <= 1.0):
            interval = "[0, 1]" if objective == "quantile" else "(0, 1]"
            raise DecisionInputError(
                "level", f"{objective} level must be in {interval}, got {level}"
            )
        return RiskMeasure(objective, level)
    if level is not None:
        raise DecisionInputError("level", f"{objective} takes no level, got {level!r}")
    return RiskMeasure(objective)


@dataclass(frozen=True)
class OutcomeSummary:
    """Distribution of one decision's outcomes over the scenarios, ready to show or plot."""

    n: int
    mean: float
    sd: float
    min: float
    max: float
    quantiles: dict[float, float]
    cvar: float
    cvar_alpha: float
    prob_loss: float
    counts: np.ndarray = field(repr=False)
    """Histogram counts (``len(edges) - 1`` bins)."""
    edges: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["quantiles"] = {str(k): v for k, v in self.quantiles.items()}
        d["counts"] = self.counts.tolist()
        d["edges"] = self.edges.tolist()
        return d


def summarize(
    outcomes: np.ndarray,
    *,
    quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95),
    cvar_alpha: float = 0.05,
    bins: int = 40,
) -> OutcomeSummary:
    """Mean, sd, quantiles, CVaR, P(loss) and a histogram of 1-D ``outcomes`` (one sort)."""
    s = np.sort(np.asarray(outcomes, dtype=float))
    n = s.size
    pos = np.asarray(quantiles, dtype=float) * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    qv = s[lo] + (pos - lo) * (s[hi] - s[lo])
    m = cvar_alpha * n
    k = min(math.floor(m), n)
    tail = s[:k].sum() + ((m - k) * s[k] if k < n else 0.0)
    counts, edges = np.histogram(s, bins=bins)
    return OutcomeSummary(
        n=n,
        mean=float(s.mean()),
        sd=float(s.std(ddof=1)) if n > 1 else 0.0,
        min=float(s[0]),
        max=float(s[-1]),
        quantiles={float(q): float(v) for q, v in zip(quantiles, qv)},
        cvar=float(tail / m),
        cvar_alpha=float(cvar_alpha),
        prob_loss=float(np.searchsorted(s, 0.0, side="left") / n),
        counts=counts,
        edges=edges,
    )


summarise = deprecated_alias(summarize, "summarise")
