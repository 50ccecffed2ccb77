"""Verdicts on ranks: is each parameter calibrated, and if not, how does it miss?

    verdict = rank_verdict(ranks, max_rank, prob=0.95)
    verdict.p_value, verdict.passed, verdict.direction

The rank of a true value is the number of (thinned) posterior draws below it, so:

- ranks piled at both ends: the true values fall outside the posterior too often, the
  posterior is too narrow: **under-dispersed**;
- ranks heaped in the middle: the posterior is too wide: **over-dispersed**;
- ranks skewed towards ``max_rank``: the true values sit above the posterior, which is
  too low: **biased low**; skewed towards 0: the posterior is too high: **biased high**.

Three tests on the fractional ranks ``u = (rank + 1/2) / (max_rank + 1)`` (uniform on a
grid when calibrated): Pearson's chi-square on binned ranks, a z-test of their mean (bias)
and a z-test of their mean squared distance from 1/2 (dispersion), each against the exact
moments of the uniform grid. The p-value is the smallest of the three, times three
(Bonferroni); the parameter passes when it is at least ``1 - prob``. A miss is named from
the shape of the ranks: both outer fifths fuller than uniform ranks would fill them
(z > 1 each) is under-dispersion, both emptier over-dispersion; otherwise the miss is a
bias, named by the mean rank's side (a pile at one end only reads as a bias, though it
also widens the ranks' spread).

VSBC (variational SBC, Yao et al. 2018) asks a weaker question of an approximate
posterior: is the share ``p`` of its draws below the true value symmetric about 1/2
across simulations? A two-sample Kolmogorov-Smirnov test of ``p`` against ``1 - p``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DIRECTIONS = ("calibrated", "over-dispersed", "under-dispersed", "biased high", "biased low")


@dataclass(frozen=True)
class Verdict:
    """A parameter's verdict. ``direction`` is one of :data:`DIRECTIONS`."""

    p_value: float
    passed: bool
    direction: str
    n: int = 0
    """Simulations the verdict rests on."""
    bias_z: float = float("nan")
    """z-score of the mean fractional rank (> 0: ranks high, the posterior too low)."""
    dispersion_z: float = float("nan")
    """z-score of the ranks' spread (> 0: piled at both ends, the posterior too narrow)."""
    chi2_p: float = float("nan")
    """p-value of the chi-square test of binned ranks."""


@dataclass(frozen=True)
class VsbcVerdict:
    """VSBC of one parameter: the KS statistic of ``p`` against ``1 - p``, its p-value, the
    verdict, and the direction of an asymmetry ("biased low" when the true values sit
    mostly above the approximate posterior)."""

    statistic: float
    p_value: float
    passed: bool
    direction: str
    n: int = 0


def _bins(n: int, levels: int) -> int:
    return int(max(2, min(levels, n // 5, 20)))


def _chi2(ranks: np.ndarray, max_rank: int) -> float:
    from scipy import stats

    levels = max_rank + 1
    bins = _bins(ranks.size, levels)
    which = (ranks * bins) // levels
    observed = np.bincount(which, minlength=bins)
    per_bin = np.bincount((np.arange(levels) * bins) // levels, minlength=bins)
    expected = ranks.size * per_bin / levels
    return float(stats.chisquare(observed, expected).pvalue)


def _tail_z(u: np.ndarray, grid: np.ndarray, outside) -> float:
    """z-score of the share of ``u`` in a tail (``outside(values) -> mask``) against the
    share uniform ranks on ``grid`` put there."""
    expected = float(outside(grid).mean())
    if expected <= 0 or expected >= 1:
        return 0.0
    return (float(outside(u).mean()) - expected) / math.sqrt(expected * (1 - expected) / u.size)


def _direction(u: np.ndarray, grid: np.ndarray, bias_z: float, dispersion_z: float) -> str:
    """How a miss looks: both tails heavy, both light, or one side (see the module)."""
    low = _tail_z(u, grid, lambda v: v < 0.2)
    high = _tail_z(u, grid, lambda v: v > 0.8)
    if low > 1 and high > 1:
        return "under-dispersed"
    if low < -1 and high < -1:
        return "over-dispersed"
    if abs(bias_z) >= 1 or abs(bias_z) >= abs(dispersion_z):
        return "biased low" if bias_z > 0 else "biased high"
    return "under-dispersed" if dispersion_z > 0 else "over-dispersed"


def rank_verdict(ranks: np.ndarray, max_rank: int, prob: float = 0.95) -> Verdict:
    """The verdict on one parameter's ranks (integers in ``0..max_rank``)."""
    from scipy import stats

    ranks = np.asarray(ranks, dtype=int)
    n = int(ranks.size)
    if n == 0:
        return Verdict(float("nan"), True, "calibrated", 0)
    grid = (np.arange(max_rank + 1) + 0.5) / (max_rank + 1)
    u = (ranks + 0.5) / (max_rank + 1)
    bias_z = (u.mean() - 0.5) / math.sqrt(grid.var() / n)
    spread = (grid - 0.5) ** 2
    dispersion_z = (((u - 0.5) ** 2).mean() - spread.mean()) / math.sqrt(spread.var() / n)
    chi2_p = _chi2(ranks, max_rank) if n >= 2 else 1.0
    p_bias = 2 * stats.norm.sf(abs(bias_z))
    p_disp = 2 * stats.norm.sf(abs(dispersion_z))
    p_value = float(min(1.0, 3 * min(chi2_p, p_bias, p_disp)))
    passed = p_value >= 1 - prob
    direction = "calibrated" if passed else _direction(u, grid, bias_z, dispersion_z)
    return Verdict(p_value, passed, direction, n, float(bias_z), float(dispersion_z), chi2_p)


def vsbc_verdict(p: np.ndarray, prob: float = 0.95) -> VsbcVerdict:
    """VSBC of one parameter from its per-simulation shares ``p`` of draws below the truth."""
    from scipy import stats

    p = np.asarray(p, dtype=float)
    n = int(p.size)
    if n < 2:
        return VsbcVerdict(float("nan"), float("nan"), True, "calibrated", n)
    result = stats.ks_2samp(p, 1 - p)
    statistic = float(result.statistic)  # pyright: ignore[reportAttributeAccessIssue]
    p_value = float(result.pvalue)  # pyright: ignore[reportAttributeAccessIssue]
    passed = p_value >= 1 - prob
    if passed:
        direction = "calibrated"
    else:
        direction = "biased low" if p.mean() > 0.5 else "biased high"
    return VsbcVerdict(statistic, p_value, passed, direction, n)


__all__ = ["DIRECTIONS", "Verdict", "VsbcVerdict", "rank_verdict", "vsbc_verdict"]
