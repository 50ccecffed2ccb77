"""Figures of a hierarchical fit: a group's forecast bands over its observed values, and
densities of group effects across groups (snapshots: built with their data).

    from bayes_widgets.core.figures.base import to_json
    fig = forecast_figure(fit.predict(groups=[0]), 0)      # a Bokeh figure
    text = to_json(effects_figure(fit, ["promo"], transform="exp"))

Data sources are named (``forecast``, ``observed``, ``density_<feature>``) so the page can
find them. The fit and the forecast check their own arguments (a group, a feature); this
module knows them only by the methods it calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import (
    BAND,
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    BAND_LIGHT,
    KNOWN,
    LINE_DARK,
    series_color,
)

__all__ = ["effects_figure", "forecast_figure", "kde"]

DAY_MS = 86_400_000
TRANSFORMS = (None, "exp")


def _returned(model, as_json: bool | None, name: str):
    """``model``, or (deprecated ``as_json=True``) its ``json_item`` string."""
    if not as_json:
        return model
    warnings.warn(
        f"{name}(as_json=True) is deprecated; build the figure and call "
        "bayes_widgets.core.figures.base.to_json on it",
        DeprecationWarning,
        stacklevel=3,
    )
    return to_json(model)


def _time_axis(times) -> tuple[np.ndarray, bool, float]:
    """x values of ``times`` (milliseconds for dates), whether they are dates, and the step."""
    times = np.asarray(times)
    is_date = np.issubdtype(times.dtype, np.datetime64)
    x = (
        times.astype("datetime64[ms]").astype(np.int64).astype(float)
        if is_date
        else times.astype(float)
    )
    step = float(np.median(np.diff(x))) if len(x) > 1 else (DAY_MS if is_date else 1.0)
    return x, bool(is_date), step


def _forecast_sources(forecast, g: int, x: np.ndarray):
    from bokeh.models import ColumnDataSource

    lo90, hi90 = forecast.band(0.9)
    lo50, hi50 = forecast.band(0.5)
    bands = ColumnDataSource(
        {
            "x": x,
            "mean": forecast.mean[g].astype(float),
            "lo90": lo90[g].astype(float),
            "hi90": hi90[g].astype(float),
            "lo50": lo50[g].astype(float),
            "hi50": hi50[g].astype(float),
        },
        name="forecast",
    )
    seen = ~np.isnan(forecast.observed[g])
    observed = ColumnDataSource(
        {"x": x[seen], "y": forecast.observed[g][seen].astype(float)}, name="observed"
    )
    return bands, observed


def forecast_figure(
    forecast,
    group: Any = 0,
    *,
    width: int = 760,
    height: int = 300,
    title: str | None = None,
    known: int | None = None,
    as_json: bool | None = None,
):
    """One group's forecast: observed values as bars, the posterior predictive mean as a
    dashed line, the 50% and 90% bands shaded. Days without an observation (a closed
    store) show the prediction only: what the target would have been.

    ``forecast`` is a :class:`~bayes_widgets.core.hierarchical.results.Forecast`; ``group``
    a group label or a position in it (``forecast.position`` checks it). ``known``: the
    first ``known`` times were the only data the fit saw (a cold start); they are shaded.
    """
    from bokeh.models import BoxAnnotation
    from bokeh.plotting import figure

    g = forecast.position(group)
    x, is_date, step = _time_axis(forecast.times)
    bands, observed = _forecast_sources(forecast, g, x)
    f = figure(
        width=width,
        height=height,
        title=title or f"{forecast.target}: group {forecast.groups[g]}",
        x_axis_type="datetime" if is_date else "linear",
        tools="xpan,xwheel_zoom,reset,hover",
        active_scroll="xwheel_zoom",
        tooltips=[
            ("mean", "@mean{0,0.0}"),
            ("50%", "@lo50{0,0} – @hi50{0,0}"),
            ("90%", "@lo90{0,0} – @hi90{0,0}"),
        ],
    )
    f.vbar(
        x="x",
        top="y",
        width=0.8 * step,
        source=observed,
        color=BAND_LIGHT,
        alpha=0.8,
        legend_label="observed",
    )
    for level, alpha in (("90", BAND_ALPHA_90), ("50", BAND_ALPHA_50)):
        f.varea(
            x="x",
            y1=f"lo{level}",
            y2=f"hi{level}",
            source=bands,
            color=BAND,
            alpha=alpha,
            legend_label=f"{level}%",
        )
    f.line(
        "x",
        "mean",
        source=bands,
        color=LINE_DARK,
        line_dash="dashed",
        line_width=1.5,
        legend_label="mean",
    )
    if known:
        edge = x[min(int(known), len(x)) - 1] + step / 2
        f.add_layout(
            BoxAnnotation(
                right=float(edge), fill_color=KNOWN, fill_alpha=0.12, line_alpha=0, name="known"
            )
        )
    _legend(f, "top_left")
    f.yaxis.axis_label = forecast.target
    readable_ticks(f, "y")
    return _returned(f, as_json, "forecast_figure")


def _legend(f, location: str) -> None:
    f.legend.location = location
    f.legend.label_text_font_size = "8pt"
    f.legend.click_policy = "hide"


def kde(values, grid=None, *, n_grid: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian kernel density of ``values`` (Scott's bandwidth) on ``grid``."""
    v = np.asarray(values, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise InputError("values", "no finite values for a density")
    sd = v.std()
    bw = 1.06 * (sd if sd > 0 else max(abs(v.mean()), 1.0) * 0.01) * v.size ** (-1 / 5)
    if grid is None:
        grid = np.linspace(v.min() - 3 * bw, v.max() + 3 * bw, n_grid)
    z = (grid[:, None] - v[None, :]) / bw
    dens = np.exp(-0.5 * z**2).sum(axis=1) / (v.size * bw * np.sqrt(2 * np.pi))
    return grid, dens


def effects_figure(
    fit,
    features: Sequence[str] | str,
    *,
    transform: str | None = None,
    width: int = 560,
    height: int = 280,
    title: str | None = None,
    as_json: bool | None = None,
):
    """Densities over groups of each feature's posterior-mean coefficient (e.g. the
    weekday effects, or the promotion effect across stores), with each median marked.

    ``fit`` is a :class:`~bayes_widgets.core.hierarchical.results.HierarchicalFit`
    (``fit.mean_effects`` checks the feature names). ``transform="exp"`` shows
    multiplicative effects (an uplift of 1.4 = +40%).
    """
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    if transform not in TRANSFORMS:
        raise InputError("transform", f"must be None or 'exp', got {transform!r}")
    columns = fit.mean_effects(features)
    if transform == "exp":
        columns = {name: np.exp(v) for name, v in columns.items()}
    names = list(columns)
    lo = min(float(np.min(v)) for v in columns.values())
    hi = max(float(np.max(v)) for v in columns.values())
    pad = 0.1 * (hi - lo) if hi > lo else 0.1 * max(abs(hi), 1.0)
    grid = np.linspace(lo - pad, hi + pad, 300)
    f = figure(
        width=width,
        height=height,
        title=title or ("effect across groups" if len(names) > 1 else f"{names[0]} across groups"),
        tools="pan,wheel_zoom,reset,hover",
        tooltips=[("feature", "@feature"), ("value", "$x{0.000}")],
    )
    for k, name in enumerate(names):
        x, dens = kde(columns[name], grid)
        color = series_color(k)
        src = ColumnDataSource(
            {"x": x, "density": dens, "feature": [name] * len(x)}, name=f"density_{name}"
        )
        f.line("x", "density", source=src, color=color, line_width=2, legend_label=name)
        f.varea(x="x", y1=0, y2="density", source=src, color=color, alpha=0.12)
        median = float(np.median(columns[name]))
        f.add_layout(
            Span(
                location=median,
                dimension="height",
                line_color=color,
                line_dash="dashed",
                line_width=1.5,
            )
        )
    f.xaxis.axis_label = (
        "multiplicative effect" if transform == "exp" else "coefficient (log scale)"
    )
    f.yaxis.axis_label = "density over groups"
    _legend(f, "top_right")
    readable_ticks(f)
    return _returned(f, as_json, "effects_figure")
