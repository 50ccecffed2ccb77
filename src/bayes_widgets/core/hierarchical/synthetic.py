"""Synthetic store demand with known truth, shaped like Rossmann's store sales.

    demand = make_demand(1000, 942, seed=0)     # stores x days x 23 features (FEATURES)
    demand.data                                  # the PanelData (NaN sales on closed days)
    demand.coef, demand.log_mean                 # the truth it was drawn from

The sales come from the model that
:class:`~bayes_widgets.core.hierarchical.model.HierarchicalGLM` fits (``gamma_poisson``,
every feature varying by store, no separate intercept: the constant store features
carry the store's level).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from bayes_widgets.core.checks import check_int
from bayes_widgets.core.hierarchical.data import PanelData
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError

__all__ = ["FEATURES", "TRUE_COEF_MU", "TRUE_COEF_SIGMA", "SyntheticDemand", "make_demand"]

FEATURES = (
    "dow_mon", "dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "dow_sun",
    "promo",
    "holiday_public", "holiday_easter", "holiday_christmas",
    "school_holiday",
    "promo2", "promo2_month",
    "store_type_a", "store_type_b", "store_type_c", "store_type_d",
    "assortment_basic", "assortment_extra", "assortment_extended",
    "competition",
    "payday",
)  # fmt: skip
"""The 23 features, one row per store and day:

====  ======================  ==========================================================
 idx  name                    what
====  ======================  ==========================================================
 0-6  dow_mon … dow_sun       day of week, one-hot
   7  promo                   daily promotion: Mon–Fri of every other week, each store
                              joining a promotion week with probability 0.9
8-10  holiday_public,         state holiday types (public, Easter, Christmas), one-hot,
      holiday_easter,         zero on ordinary days; most stores close on them
      holiday_christmas
  11  school_holiday          school holidays of the store's state (12 states with
                              shifted calendars)
  12  promo2                  the store takes part in the continuing promotion (half the
                              stores, from a start date on)
  13  promo2_month            a month in which promo2 coupons are renewed (Jan, Apr, Jul,
                              Oct), for promo2 stores
14-17 store_type_a … _d       store type, one-hot, constant per store
18-20 assortment_basic,       assortment, one-hot, constant per store
      assortment_extra,
      assortment_extended
  21  competition             a competitor opened nearby (some stores, from a date on)
  22  payday                  the first three days of a month
====  ======================  ==========================================================

Closed days (NaN sales): Sundays for 97% of stores, state holidays for 90%, ~0.5%
random days, and a two- to five-month refurbishment for 3% of the stores: ~18% of the
cells.
"""

TRUE_COEF_MU = np.array(
    [
        4.42,
        4.30,
        4.26,
        4.25,
        4.33,
        4.38,
        4.05,  # day of week (with the two constant blocks: the level)
        0.35,  # promo
        -0.15,
        -0.10,
        -0.25,  # holidays (when open)
        0.05,  # school holiday
        -0.06,
        0.04,  # promo2, promo2 month
        2.20,
        2.45,
        2.10,
        2.25,  # store type
        2.05,
        2.25,
        2.20,  # assortment
        -0.12,  # competition
        0.06,  # payday
    ]
)
"""Global mean of each coefficient: a store's typical day sells exp(4.3 + 2.2 + 2.1) ≈ 5,400."""

TRUE_COEF_SIGMA = np.array(
    [
        0.05, 0.05, 0.05, 0.05, 0.05, 0.06, 0.10,
        0.08,
        0.08, 0.08, 0.08,
        0.04,
        0.04, 0.03,
        0.25, 0.25, 0.25, 0.25,
        0.10, 0.10, 0.10,
        0.06,
        0.03,
    ]
)  # fmt: skip
"""Spread of each coefficient over stores (the store level varies by ~0.27 on the log scale)."""

TRUE_LOG_CONCENTRATION = (np.log(120.0), 0.3)
"""Mean and spread of a store's log concentration r (sales' CV ≈ sqrt(1/r) ≈ 9%)."""


@dataclass(frozen=True, eq=False)
class SyntheticDemand:
    """Simulated sales and the truth they were drawn from."""

    data: PanelData
    coef: np.ndarray
    """True coefficients, (stores, 23)."""
    log_concentration: np.ndarray
    """True log r per store, (stores,)."""
    log_mean: np.ndarray
    """True log-mean of every cell, (stores, days), also where sales are NaN (closed)."""
    coef_mu: np.ndarray
    coef_sigma: np.ndarray
    open: np.ndarray
    """Whether the store was open, (stores, days)."""

    @property
    def features(self) -> tuple[str, ...]:
        return self.data.features


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _holidays(dates: list[dt.date]) -> np.ndarray:
    """(days, 3) one-hot of public / Easter / Christmas holidays."""
    out = np.zeros((len(dates), 3), np.float32)
    years = sorted({d.year for d in dates})
    kind: dict[dt.date, int] = {}
    for y in years:
        for md in ((1, 1), (5, 1), (10, 3)):
            kind[dt.date(y, *md)] = 0
        e = _easter(y)
        for delta in (39, 50):  # Ascension, Whit Monday
            kind[e + dt.timedelta(days=delta)] = 0
        for delta in (-2, 1):  # Good Friday, Easter Monday
            kind[e + dt.timedelta(days=delta)] = 1
        kind[dt.date(y, 12, 25)] = 2
        kind[dt.date(y, 12, 26)] = 2
    for t, d in enumerate(dates):
        if d in kind:
            out[t, kind[d]] = 1.0
    return out


def _school_holidays(dates: list[dt.date], n_states: int, rng) -> np.ndarray:
    """(states, days) 0/1: Easter (2 weeks), summer (6 weeks, shifted by state), autumn
    (1-2 weeks), Christmas (2 weeks)."""
    T = len(dates)
    out = np.zeros((n_states, T), np.float32)
    ordinal = np.array([d.toordinal() for d in dates])
    for s in range(n_states):
        summer_shift = int(rng.integers(0, 8)) * 7
        autumn_len = int(rng.choice([7, 14]))
        for y in sorted({d.year for d in dates}):
            blocks = [
                (_easter(y) - dt.timedelta(days=7), 14),
                (dt.date(y, 6, 20) + dt.timedelta(days=summer_shift), 42),
                (dt.date(y, 10, 12) + dt.timedelta(days=int(rng.integers(0, 14))), autumn_len),
                (dt.date(y, 12, 22), 14),
            ]
            for start, n in blocks:
                lo = start.toordinal()
                out[s, (ordinal >= lo) & (ordinal < lo + n)] = 1.0
    return out


def make_demand(
    n_stores: int = 1000,
    n_days: int = 942,
    *,
    seed: int = 0,
    start: str | dt.date = "2013-01-01",
) -> SyntheticDemand:
    """Simulate ``n_stores`` × ``n_days`` daily sales from ``start`` (1000 × 942 at full
    size: Rossmann's train period) with the 23 :data:`FEATURES`; returns the data
    (float32, NaN on closed days) and the truth: every store's coefficients and
    concentration, and the true log-mean of every (store, day), observed or not."""
    G = check_int("n_stores", n_stores, low=2, error=HierarchicalInputError)
    T = check_int("n_days", n_days, low=1, error=HierarchicalInputError)
    F = len(FEATURES)
    rng = np.random.default_rng(seed)
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    dates = [start + dt.timedelta(days=t) for t in range(T)]
    dow = np.array([d.weekday() for d in dates])
    holidays = _holidays(dates)  # (T, 3)
    X = _features(dates, dow, holidays, G, rng)

    # ---- truth
    coef = (TRUE_COEF_MU[None, :] + TRUE_COEF_SIGMA[None, :] * rng.standard_normal((G, F))).astype(
        np.float32
    )
    log_r = (TRUE_LOG_CONCENTRATION[0] + TRUE_LOG_CONCENTRATION[1] * rng.standard_normal(G)).astype(
        np.float32
    )
    log_mean = np.einsum("gtf,gf->gt", X, coef, dtype=np.float32)
    is_open = _open_days(dow, holidays.any(axis=1), G, rng)

    # ---- sales: Gamma-Poisson with mean exp(log_mean), concentration r
    r = np.exp(log_r)[:, None]
    lam = rng.gamma(shape=np.broadcast_to(r, (G, T)), scale=np.exp(log_mean) / r)
    sales = rng.poisson(lam).astype(np.float32)
    sales[~is_open] = np.nan

    data = PanelData.from_arrays(
        X,
        sales,
        groups=np.arange(1, G + 1),
        times=np.array(dates, dtype="datetime64[D]"),
        features=FEATURES,
        target="sales",
    )
    return SyntheticDemand(
        data=data,
        coef=coef,
        log_concentration=log_r,
        log_mean=log_mean,
        coef_mu=TRUE_COEF_MU.astype(np.float32),
        coef_sigma=TRUE_COEF_SIGMA.astype(np.float32),
        open=is_open,
    )


def _features(dates: list[dt.date], dow: np.ndarray, holidays: np.ndarray, G: int, rng):
    """The (stores, days, 23) features: the calendar shared by all stores, then each
    store's attributes drawn from ``rng``."""
    T, F = len(dates), len(FEATURES)
    start = dates[0]
    dom = np.array([d.day for d in dates])
    month = np.array([d.month for d in dates])
    week = np.array([(d - start).days // 7 for d in dates])
    promo_week = (week % 2 == 0) & (dow < 5)

    store_type = rng.choice(4, size=G, p=[0.54, 0.02, 0.13, 0.31])
    assortment = rng.choice(3, size=G, p=[0.53, 0.01, 0.46])
    state = rng.integers(0, 12, size=G)
    school = _school_holidays(dates, 12, rng)  # (12, T)
    promo2_store = rng.random(G) < 0.5
    promo2_start = rng.integers(-T // 2, T, size=G)
    comp_store = rng.random(G) < 0.3
    comp_start = rng.integers(-T // 3, T, size=G)

    X = np.zeros((G, T, F), np.float32)
    X[:, np.arange(T), dow] = 1.0  # one-hot day of week
    joins = rng.random((G, week.max() + 1)) < 0.9
    X[:, :, 7] = promo_week[None, :] & joins[:, week]
    X[:, :, 8:11] = holidays[None, :, :]
    X[:, :, 11] = school[state]
    t_idx = np.arange(T)
    promo2_on = promo2_store[:, None] & (t_idx[None, :] >= promo2_start[:, None])
    X[:, :, 12] = promo2_on
    X[:, :, 13] = promo2_on & np.isin(month, [1, 4, 7, 10])[None, :]
    X[np.arange(G), :, 14 + store_type] = 1.0
    X[np.arange(G), :, 18 + assortment] = 1.0
    X[:, :, 21] = comp_store[:, None] & (t_idx[None, :] >= comp_start[:, None])
    X[:, :, 22] = (dom <= 3)[None, :]
    return X


def _open_days(dow: np.ndarray, is_holiday, G: int, rng) -> np.ndarray:
    """Whether each store opened each day (see :data:`FEATURES` for the closures)."""
    T = len(dow)
    opens_sunday = rng.random(G) < 0.03
    opens_holidays = rng.random(G) < 0.10
    is_open = np.ones((G, T), bool)
    is_open &= ~((dow == 6)[None, :] & ~opens_sunday[:, None])
    is_open &= ~(is_holiday[None, :] & ~opens_holidays[:, None])
    is_open &= rng.random((G, T)) >= 0.005
    refurb = np.flatnonzero(rng.random(G) < 0.03)
    for g in refurb:
        length = int(rng.integers(60, 150))
        begin = int(rng.integers(0, max(T - length, 1)))
        is_open[g, begin : begin + length] = False
    return is_open
