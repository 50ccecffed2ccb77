"""The tables of a fitted MMM's one-pager, for one geo or every geo together.

    pager = one_pager(model)                       # a fitted MMMModel (or pymc-marketing MMM)
    pager.fit()                                    # fitted vs actual with bands, split train/test
    pager.decomposition(geo="geo_a")               # each part of the mean over time, with bands
    pager.channels()                               # share, ROAS, marginal ROAS per channel
    pager.response("x1")                           # the response curve over spend
    pager.adstock("x1")                            # the adstock weights over lags

Every number is in original units (the target's, and the channels' spend). Intervals are
equal-tailed: ``low``/``high`` hold ``prob`` of the draws (90% by default), ``q25``/``q75``
half of them. Per channel, over the dates the model was fitted on:

- *contribution*: the channel's part of the mean, summed over the dates;
- *share*: its contribution over the sum of every channel's (the shares sum to one);
- *ROAS*: its contribution over its spend;
- *response curve*: the contribution per period of spending ``x`` every period, once the
  adstock has settled (every geo together: ``x`` spread over the geos as the current
  spend is);
- *current spend*: the average spend per period over the last ``last`` training periods;
- *marginal ROAS*: the slope of the response curve at the current spend (what one more
  unit of spend per period returns per period).

With time-varying media the contributions carry the model's multiplier over time; the
response curves are those of a multiplier of one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_int, check_positive_int, check_probability
from bayes_widgets.core.mmm.explorer import DEFAULT_DRAWS, ExplorerDraws, explorer_draws
from bayes_widgets.core.mmm.validation import MMMDataError

DEFAULT_PROB = 0.9
"""Probability of the wide bands and intervals, unless told."""
DEFAULT_LAST = 8
"""Training periods averaged into the current spend, unless told."""
CURVE_POINTS = 61
"""Spends at which a response curve is drawn."""
ALL_GEOS = "All geos"
"""How every geo together is named on the page."""


def bands(draws: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Mean, median and equal-tailed intervals over the first axis (the draws)."""
    tail = (1.0 - prob) / 2.0
    low, q25, median, q75, high = np.quantile(draws, [tail, 0.25, 0.5, 0.75, 1.0 - tail], axis=0)
    return {
        "mean": draws.mean(axis=0),
        "low": low,
        "q25": q25,
        "median": median,
        "q75": q75,
        "high": high,
    }


class OnePager:
    """The one-pager's tables over a fitted model's draws (see the module docstring)."""

    def __init__(
        self, draws: ExplorerDraws, *, prob: float = DEFAULT_PROB, last: int = DEFAULT_LAST
    ):
        self.draws = draws
        self.prob = check_probability("prob", prob, error=MMMDataError)
        self.last = check_int("last", last, low=1, high=draws.n_train, error=MMMDataError)

    # ------------------------------------------------------------------ selections
    @property
    def geos(self) -> tuple[str, ...]:
        return self.draws.geos

    @property
    def channels(self) -> tuple[str, ...]:
        return self.draws.channels

    def channel_index(self, channel: str) -> int:
        if channel not in self.draws.channels:
            raise MMMDataError(
                "channel",
                f"unknown channel {channel!r} (channels: {', '.join(self.draws.channels)})",
            )
        return self.draws.channels.index(channel)

    def _over(self, values: np.ndarray, geo: str | None) -> np.ndarray:
        """``values (..., G[, E])`` for one geo, or summed over the geos; the geo axis is
        the one after the dates (axis -1 without an extra trailing axis)."""
        g = self.draws.geo_index(geo)
        return values.sum(axis=2) if g is None else values[:, :, g]

    # ------------------------------------------------------------------ tables
    def fit(self, geo: str | None = None) -> pd.DataFrame:
        """Per date: the actual value, the fitted mean (``mean``, averaged over draws) and the
        posterior predictive's bands; ``split`` is train or test."""
        d = self.draws
        g = d.geo_index(geo)
        actual = d.actual.sum(axis=1) if g is None else d.actual[:, g]
        predictive = bands(self._over(d.predictive, geo), self.prob)
        return pd.DataFrame(
            {
                "date": pd.to_datetime(d.dates),
                "actual": actual,
                "mean": self._over(d.mu, geo).mean(axis=0),
                **{k: v for k, v in predictive.items() if k != "mean"},
                "split": np.where(np.arange(len(d.dates)) < d.n_train, "train", "test"),
            }
        )

    def decomposition(self, geo: str | None = None) -> pd.DataFrame:
        """One row per part and date: ``part``, ``kind`` (baseline, control, seasonality,
        channel, other), the mean and bands of the part; the means sum to the fitted mean."""
        d = self.draws
        frames = []
        split = np.where(np.arange(len(d.dates)) < d.n_train, "train", "test")
        for name, values in d.parts.items():
            b = bands(self._over(values, geo), self.prob)
            frame = pd.DataFrame({"date": pd.to_datetime(d.dates), **b})
            frame.insert(1, "part", name)
            frame.insert(2, "kind", d.kinds[name])
            frame["split"] = split
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def channel_draws(self, geo: str | None = None) -> dict[str, np.ndarray]:
        """Per draw and channel ``(S, C)``: contribution, share and ROAS over the training
        dates; and per channel the spend, the current spend and the marginal ROAS draws."""
        d = self.draws
        n = d.n_train
        contribution = np.stack(
            [self._over(d.parts[c][:, :n], geo).sum(axis=1) for c in d.channels], axis=-1
        )
        g = d.geo_index(geo)
        spend_series = d.spend[:n].sum(axis=1) if g is None else d.spend[:n, g]  # (n, C)
        spend = spend_series.sum(axis=0)
        total = contribution.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total != 0, contribution / total, np.nan)
            roas = np.where(spend > 0, contribution / spend, np.nan)
        current = spend_series[-self.last :].mean(axis=0)
        mroas = np.stack([self.marginal_roas(c, geo) for c in d.channels], axis=-1)  # (S, C)
        return {
            "contribution": contribution,
            "share": share,
            "roas": roas,
            "mroas": mroas,
            "spend": spend,
            "current_spend": current,
        }

    def channels_table(self, geo: str | None = None) -> pd.DataFrame:
        """Per channel: spend, current spend, and the mean, ``low`` and ``high`` of the
        contribution, share, ROAS and marginal ROAS."""
        draws = self.channel_draws(geo)
        table = pd.DataFrame(
            {
                "channel": list(self.draws.channels),
                "spend": draws["spend"],
                "current_spend": draws["current_spend"],
            }
        )
        for key in ("contribution", "share", "roas", "mroas"):
            values = draws[key]
            tail = (1.0 - self.prob) / 2.0
            with np.errstate(all="ignore"):
                table[key] = np.nanmean(values, axis=0) if np.isfinite(values).any() else np.nan
                low, high = np.nanquantile(values, [tail, 1.0 - tail], axis=0)
            table[f"{key}_low"], table[f"{key}_high"] = low, high
        return table

    # ------------------------------------------------------------------ curves
    def _geo_split(self, channel: int, geo: str | None) -> tuple[list[int], np.ndarray]:
        """The geos a spend is spread over and each one's fraction of it."""
        d = self.draws
        g = d.geo_index(geo)
        if g is not None:
            return [g], np.ones(1)
        G = d.spend.shape[1]
        recent = d.spend[d.n_train - self.last : d.n_train, :, channel].sum(axis=0)
        if recent.sum() <= 0:
            recent = d.spend[: d.n_train, :, channel].sum(axis=0)
        if recent.sum() <= 0:
            recent = np.ones(G)
        return list(range(G)), recent / recent.sum()

    def response_draws(self, channel: str, spend: Any, geo: str | None = None) -> np.ndarray:
        """Draws ``(S, K)`` of the contribution per period of spending each of ``spend``
        ``(K,)`` per period on ``channel`` (see the module docstring)."""
        c = self.channel_index(channel)
        x = np.atleast_1d(np.asarray(spend, dtype=float))
        if x.ndim != 1 or not np.isfinite(x).all() or (x < 0).any():
            raise MMMDataError("spend", "must be finite, not negative spends per period")
        geos, fractions = self._geo_split(c, geo)
        out = np.zeros((self.draws.n_draws, len(x)))
        for g, f in zip(geos, fractions, strict=True):
            out += self.draws.steady_response(x * f, c, g)
        return out

    def marginal_roas(self, channel: str, geo: str | None = None) -> np.ndarray:
        """Draws ``(S,)`` of the response curve's slope at the current spend (a central
        difference, one-sided at zero)."""
        c = self.channel_index(channel)
        x0 = float(
            self._spend_series(c, geo)[self.draws.n_train - self.last : self.draws.n_train].mean()
        )
        top = float(self._spend_series(c, geo)[: self.draws.n_train].max())
        h = 1e-4 * (x0 if x0 > 0 else max(top, 1.0))
        lo, hi = max(x0 - h, 0.0), x0 + h
        r = self.response_draws(channel, [lo, hi], geo)
        return (r[:, 1] - r[:, 0]) / (hi - lo)

    def _spend_series(self, c: int, geo: str | None) -> np.ndarray:
        d = self.draws
        g = d.geo_index(geo)
        return d.spend[:, :, c].sum(axis=1) if g is None else d.spend[:, g, c]

    def response(self, channel: str, geo: str | None = None, points: int = CURVE_POINTS) -> dict:
        """The response curve of ``channel``: ``curve`` (a table of spend and bands), the
        observed spend range per period (``observed_min``, ``observed_max``, training
        dates), the ``current_spend`` and its response's mean (``current_response``)."""
        c = self.channel_index(channel)
        points = check_positive_int("points", points, error=MMMDataError)
        series = self._spend_series(c, geo)[: self.draws.n_train]
        current = float(series[-self.last :].mean())
        top = max(1.5 * float(series.max()), 1.2 * current)
        spend = np.linspace(0.0, top if top > 0 else 1.0, points)
        draws = self.response_draws(channel, spend, geo)
        curve = pd.DataFrame({"spend": spend, **bands(draws, self.prob)})
        return {
            "channel": channel,
            "curve": curve,
            "observed_min": float(series.min()),
            "observed_max": float(series.max()),
            "current_spend": current,
            "current_response": float(self.response_draws(channel, [current], geo).mean()),
        }

    def adstock(self, channel: str, geo: str | None = None) -> pd.DataFrame:
        """The adstock weights over lags (0 = the period of the spend) with bands; every
        geo together: the geos' weights averaged, weighted by their spend."""
        c = self.channel_index(channel)
        geos, fractions = self._geo_split(c, geo)
        kernel = sum(
            self.draws.kernel[:, g, c, :] * f for g, f in zip(geos, fractions, strict=True)
        )
        return pd.DataFrame(
            {"lag": np.arange(self.draws.l_max), **bands(np.asarray(kernel), self.prob)}
        )


def one_pager(
    model: Any, *, draws: int = DEFAULT_DRAWS, prob: float = DEFAULT_PROB, last: int = DEFAULT_LAST
) -> OnePager:
    """The one-pager of a fitted :class:`MMMModel` or pymc-marketing ``MMM``."""
    return OnePager(explorer_draws(model, draws=draws), prob=prob, last=last)


__all__ = ["ALL_GEOS", "DEFAULT_LAST", "DEFAULT_PROB", "OnePager", "bands", "one_pager"]
