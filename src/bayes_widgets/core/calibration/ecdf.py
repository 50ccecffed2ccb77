"""The curves of a calibration check: ECDF differences with simultaneous bands, and rank
histograms with binomial intervals.

    ecdf_difference(ranks, max_rank=100)     # dict(x, difference, lower, upper, n)
    rank_histogram(ranks, max_rank=100, bins=10)   # dict(left, right, count, expected, lower, upper)

The ranks of a calibrated fit are uniform on ``0..max_rank``. Their fractional ranks
``(rank + v) / (max_rank + 1)``, with ``v`` uniform on (0, 1), are then uniform on (0, 1)
(the randomized PIT ArviZ uses for discrete values; ``v`` is the same for the i-th rank on
every call, so curves do not jitter as ranks arrive), and their ECDF minus the uniform CDF
stays near zero, however few ranks there are. The band around zero is simultaneous: a uniform sample of the
same size lies inside it everywhere with probability ``prob``. It is ArviZ's envelope
(``arviz_stats.ecdf_utils.ecdf_pit``, the simulation method of Säilynoja, Bürkner and
Vehtari, 2022), evaluated at ``x = 0, 1/n, ..., 1`` as ArviZ plots it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from bayes_widgets.core.errors import InputError

BAND_SIMULATIONS = 1000
"""Uniform samples drawn to find the simultaneous band's pointwise level (ArviZ's default)."""
BAND_SEED = 214
"""Seed of those draws: the band of a given size is the same on every call (ArviZ's)."""


def _check_prob(prob: Any) -> float:
    if isinstance(prob, bool) or not isinstance(prob, int | float) or not 0 < prob < 1:
        raise InputError("prob", f"must be a number between 0 and 1 (exclusive), got {prob!r}")
    return float(prob)


def _check_max_rank(max_rank: Any) -> int:
    if isinstance(max_rank, bool) or not isinstance(max_rank, int | np.integer) or max_rank < 1:
        raise InputError("max_rank", f"must be an integer of at least 1, got {max_rank!r}")
    return int(max_rank)


def check_ranks(ranks: Any, max_rank: Any) -> tuple[np.ndarray, int]:
    """``ranks`` as a 1-d integer array within ``0..max_rank``, and ``max_rank`` as an int;
    an :class:`InputError` naming ``ranks`` or ``max_rank`` otherwise."""
    top = _check_max_rank(max_rank)
    try:
        values = np.asarray(ranks, dtype=float)
    except (TypeError, ValueError):
        raise InputError("ranks", f"must be a sequence of integers, got {ranks!r:.80}") from None
    if values.ndim != 1:
        raise InputError("ranks", f"must be one-dimensional, got shape {values.shape}")
    if values.size and not np.isfinite(values).all():
        raise InputError("ranks", "must be finite integers, got NaN or infinity")
    if values.size and (values != np.round(values)).any():
        raise InputError("ranks", "must be whole numbers (ranks among posterior draws)")
    if values.size and (values.min() < 0 or values.max() > top):
        raise InputError(
            "ranks",
            f"must lie within 0..{top} (max_rank), got {values.min():g}..{values.max():g}",
        )
    return values.astype(int), top


JITTER_SEED = 215
"""Seed of the offsets that spread ranks within their cell (the i-th offset never changes)."""


def _offsets(n: int) -> np.ndarray:
    # the first n values of one fixed stream: adding ranks leaves the earlier offsets
    return np.random.default_rng(JITTER_SEED).uniform(size=n)


def fractional_ranks(ranks: Any, max_rank: Any) -> np.ndarray:
    """Ranks on ``0..max_rank`` as values in (0, 1): ``(rank + v_i) / (max_rank + 1)``, the
    offsets ``v_i`` uniform on (0, 1) and fixed by position (see the module docstring)."""
    values, top = check_ranks(ranks, max_rank)
    return (values + _offsets(values.size)) / (top + 1)


@functools.lru_cache(maxsize=256)
def simultaneous_band(n: int, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, lower, upper)``: the ``prob`` simultaneous band of the ECDF of ``n`` uniform
    values at ``x = 0, 1/n, ..., 1`` (ArviZ's ``ecdf_pit`` envelope), cached per size."""
    from arviz_stats.ecdf_utils import ecdf_pit

    if n < 2:  # no point inside (0, 1): the band is the CDF's ends
        x = np.array([0.0, 1.0])
        return x, x.copy(), x.copy()
    dummy = np.linspace(0, 1, n)
    x, _, lower, upper = ecdf_pit(
        dummy, prob, BAND_SIMULATIONS, rng=np.random.default_rng(BAND_SEED)
    )
    for a in (x, lower, upper):
        a.setflags(write=False)
    return x, lower, upper


def ecdf_difference(ranks: Any, max_rank: Any, prob: float = 0.95) -> dict[str, Any]:
    """The ECDF of the fractional ranks minus the uniform CDF, with its simultaneous band.

    Returns ``dict(x, difference, lower, upper, n)``: arrays at ``x = 0, 1/n, ..., 1``
    (``n = len(ranks)``); ``lower`` and ``upper`` are the band's edges minus ``x``. With no
    ranks yet, the arrays are empty.
    """
    p = _check_prob(prob)
    frac = fractional_ranks(ranks, max_rank)
    n = int(frac.size)
    if n == 0:
        empty = np.zeros(0)
        return {"x": empty, "difference": empty, "lower": empty, "upper": empty, "n": 0}
    x, lower, upper = simultaneous_band(n, p)
    ecdf = np.searchsorted(np.sort(frac), x, side="right") / n
    ecdf[-1] = 1.0  # every fractional rank is below 1
    return {
        "x": x.copy(),
        "difference": ecdf - x,
        "lower": lower - x,
        "upper": upper - x,
        "n": n,
    }


def outside_band(curve: dict[str, Any]) -> bool:
    """Whether an :func:`ecdf_difference` curve leaves its band anywhere."""
    d = np.asarray(curve["difference"])
    if d.size == 0:
        return False
    return bool(((d < curve["lower"] - 1e-12) | (d > curve["upper"] + 1e-12)).any())


def default_bins(simulations: int, max_rank: int) -> int:
    """Histogram bins for ``simulations`` ranks on ``0..max_rank``: about ten ranks expected
    per bin, between 4 and 50 bins, never more than the ``max_rank + 1`` possible ranks."""
    wanted = min(50, max(4, int(simulations) // 10))
    return int(min(wanted, int(max_rank) + 1))


def rank_histogram(
    ranks: Any, max_rank: Any, bins: int | None = None, prob: float = 0.95
) -> dict[str, Any]:
    """Counts of the ranks in ``bins`` bins of whole ranks, with what uniform ranks give.

    Returns ``dict(left, right, count, expected, lower, upper, n)``, one entry per bin: the
    bin covers ranks ``left <= rank < right``; ``expected`` is the count uniform ranks give
    on average, ``lower`` and ``upper`` the central ``prob`` interval of that count (its
    binomial distribution; pointwise, bin by bin).
    """
    p = _check_prob(prob)
    values, top = check_ranks(ranks, max_rank)
    if bins is None:
        bins = default_bins(max(values.size, 1), top)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError("bins", f"must be a positive integer, got {bins!r}")
    if bins > top + 1:
        raise InputError("bins", f"must be at most {top + 1} (the number of ranks), got {bins}")
    edges = np.round(np.linspace(0, top + 1, int(bins) + 1)).astype(int)
    count = np.histogram(values, bins=edges)[0] if values.size else np.zeros(int(bins), int)
    # np.histogram's last bin is closed; the edges are whole numbers and the ranks are
    # below top + 1, so every bin is [left, right)
    share = np.diff(edges) / (top + 1)
    n = int(values.size)
    lower, upper = _binomial_interval(n, share, p)
    return {
        "left": edges[:-1],
        "right": edges[1:],
        "count": count.astype(int),
        "expected": n * share,
        "lower": lower,
        "upper": upper,
        "n": n,
    }


def _binomial_interval(n: int, share: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import binom

    if n == 0:
        zero = np.zeros_like(share)
        return zero, zero.copy()
    tail = (1 - prob) / 2
    return binom.ppf(tail, n, share), binom.ppf(1 - tail, n, share)


__all__ = [
    "BAND_SEED",
    "BAND_SIMULATIONS",
    "JITTER_SEED",
    "check_ranks",
    "default_bins",
    "ecdf_difference",
    "fractional_ranks",
    "outside_band",
    "rank_histogram",
    "simultaneous_band",
]
