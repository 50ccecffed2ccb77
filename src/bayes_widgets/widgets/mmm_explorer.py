"""MMMExplorer: a fitted media-mix model's one-pager, live and linked.

    MMMExplorer(model)                         # a fitted MMMModel (or pymc-marketing MMM)
    MMMExplorer(model, channel="x1", geo="geo_a", draws=200, prob=0.9)

The fit against the actual values (the test period shaded when the model was fitted on
its first rows), the decomposition of the fitted mean over time with bands, each
channel's share of the media contribution, ROAS and marginal ROAS with intervals, and
the selected channel's response curve (observed spend range and current spend marked)
and adstock weights. Choosing a channel (its row, its bar, or the selector) highlights
it in the decomposition and draws its curves; choosing a geo redraws every view for that
geo ("All geos": every geo together). The numbers are
:class:`~bayes_widgets.core.mmm.explorer_views.OnePager`'s.
"""

from __future__ import annotations

import math
from types import EllipsisType
from typing import Any

import traitlets

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.figures import mmm_explorer as figures
from bayes_widgets.core.figures.base import to_json, with_fresh_ids
from bayes_widgets.core.mmm.explorer import DEFAULT_DRAWS
from bayes_widgets.core.mmm.explorer_views import (
    ALL_GEOS,
    DEFAULT_LAST,
    DEFAULT_PROB,
    OnePager,
    one_pager,
)
from bayes_widgets.core.mmm.validation import MMMDataError
from bayes_widgets.widgets._base import BayesWidget, static_text

_FIGURES = ("fit", "decomposition", "channels", "response", "adstock")


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class MMMExplorer(BayesWidget):
    """The one-pager of a fitted MMM (see the module docstring)."""

    channels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The model's channels, in its order."""
    geos = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The model's geos (empty for a national model)."""
    channel = traitlets.Unicode("").tag(sync=True)
    """The selected channel: highlighted in the decomposition, its curves drawn."""
    geo = traitlets.Unicode("").tag(sync=True)
    """The selected geo; empty for every geo together (and for a national model)."""
    summary = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Per channel, for the selected geo: spend, current spend, and the mean, low and high
    of the contribution, share, ROAS and marginal ROAS."""
    facts = traitlets.Dict().tag(sync=True)
    """Training and test dates, draws, the interval probability, the geo shown."""
    fit_figure = traitlets.Unicode("").tag(sync=True)
    """Fitted vs actual with bands and the test period, a Bokeh ``json_item`` string."""
    decomposition_figure = traitlets.Unicode("").tag(sync=True)
    """Each part of the fitted mean over time, the selected channel highlighted."""
    channels_figure = traitlets.Unicode("").tag(sync=True)
    """Shares, ROAS and marginal ROAS per channel with intervals."""
    response_figure = traitlets.Unicode("").tag(sync=True)
    """The selected channel's response curve."""
    adstock_figure = traitlets.Unicode("").tag(sync=True)
    """The selected channel's adstock weights over lags."""

    def __init__(
        self,
        model: Any,
        *,
        channel: str | None = None,
        geo: str | None = None,
        draws: int = DEFAULT_DRAWS,
        prob: float = DEFAULT_PROB,
        last: int = DEFAULT_LAST,
    ):
        super().__init__(_esm=static_text("mmm_explorer.js"))
        self.model = model
        self.options = {"draws": draws, "prob": prob, "last": last}
        self.pager: OnePager | None = None
        try:
            self.refresh(channel=channel, geo=geo)
        except InputError as exc:  # an unfitted model, a bad option: shown on the page
            self.error = str(exc)

    # -- Python API -------------------------------------------------------------------------
    def refresh(self, *, channel: str | None = None, geo: str | None = None) -> None:
        """Reads the model's draws again (after a new fit) and redraws every view."""
        pager = one_pager(self.model, **self.options)
        self.pager = pager
        with self.hold_sync():
            self.channels = list(pager.channels)
            self.geos = list(pager.geos)
            self.select(channel=channel or self.channel or pager.channels[0], geo=geo)
        self.error = ""

    def select(self, channel: str | None = None, geo: str | EllipsisType | None = ...) -> None:
        """Shows ``channel`` (None: keep the current one) for ``geo`` (None or "All geos":
        every geo together; left out: keep the current one)."""
        pager = self._pager()
        channel = self.channel if channel is None else channel
        pager.channel_index(channel)  # names the field when unknown
        if isinstance(geo, EllipsisType):
            geo = self.geo or None
        if geo in ("", ALL_GEOS):
            geo = None
        pager.draws.geo_index(geo)
        new_geo = geo != (self.geo or None) or not self.fit_figure
        views = self._views(pager, channel, geo, redraw_all=new_geo)
        with self.hold_sync():
            self.channel = channel
            self.geo = geo or ""
            if new_geo:
                self.summary = self._summary(pager, geo)
                self.facts = self._facts(pager, geo)
            for name, text in views.items():
                setattr(self, f"{name}_figure", text)

    # -- messages from the page -------------------------------------------------------------
    def _on_select(self, msg: dict[str, Any]) -> None:
        channel = msg.get("channel")
        geo = msg.get("geo", ...)
        if channel is not None and not isinstance(channel, str):
            raise MMMDataError("channel", f"must be a channel name, got {channel!r}")
        if geo is not ... and geo is not None and not isinstance(geo, str):
            raise MMMDataError("geo", f"must be a geo name, got {geo!r}")
        self.select(channel=channel, geo=geo)
        self.error = ""

    # -- internals --------------------------------------------------------------------------
    def _pager(self) -> OnePager:
        if self.pager is None:
            raise MMMDataError("model", self.error or "the model has not been fitted yet")
        return self.pager

    def _views(self, pager: OnePager, channel: str, geo: str | None, redraw_all: bool):
        where = f" — {geo}" if geo else (f" — {ALL_GEOS.lower()}" if pager.geos else "")
        table = pager.channels_table(geo)
        built: dict[str, Any] = {
            "decomposition": figures.decomposition_figure(
                pager.decomposition(geo), channel, f"decomposition of the fitted mean{where}"
            ),
            "channels": figures.channels_figure(table, channel),
            "response": figures.response_figure(
                pager.response(channel, geo), f"{channel}: response per period{where}"
            ),
            "adstock": figures.adstock_figure(
                pager.adstock(channel, geo), channel, f"{channel}: adstock weights{where}"
            ),
        }
        if redraw_all:
            built["fit"] = figures.fit_figure(pager.fit(geo), f"fitted vs actual{where}")
        return {name: with_fresh_ids(to_json(fig)) for name, fig in built.items()}

    @staticmethod
    def _summary(pager: OnePager, geo: str | None) -> list[dict[str, Any]]:
        rows = []
        for row in pager.channels_table(geo).to_dict("records"):
            rows.append({k: (v if isinstance(v, str) else _finite(v)) for k, v in row.items()})
        return rows

    @staticmethod
    def _facts(pager: OnePager, geo: str | None) -> dict[str, Any]:
        d = pager.draws
        fit = pager.fit(geo)
        return {
            "train_dates": d.n_train,
            "test_dates": len(d.dates) - d.n_train,
            "first_date": str(fit["date"].iloc[0].date()),
            "last_date": str(fit["date"].iloc[-1].date()),
            "draws": d.n_draws,
            "prob": pager.prob,
            "last": pager.last,
            "geo": geo or (ALL_GEOS if pager.geos else ""),
            "train_mape": _mape(fit[fit["split"] == "train"]),
            "test_mape": _mape(fit[fit["split"] == "test"]),
        }


def _mape(rows) -> float | None:
    """Mean absolute percentage error of the fitted mean (None without rows)."""
    actual = rows["actual"].to_numpy(dtype=float)
    keep = actual != 0
    if not keep.any():
        return None
    errors = abs(actual[keep] - rows["mean"].to_numpy(dtype=float)[keep]) / abs(actual[keep])
    return _finite(errors.mean())


__all__ = ["MMMExplorer"]
