"""Bokeh figures of a hierarchical fit: a group's forecast bands over its observed values,
and densities of group effects across groups (seed 003's figures 3-5).

Each builder returns a Bokeh model, or with ``as_json=True`` the ``json_item`` string that
the widgets send to the page. Data sources are named (``forecast``, ``observed``,
``density``) so the page can restream them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from bayes_widgets.core.hierarchical.errors import HierarchicalInputError

__all__ = ["effects_figure", "forecast_figure", "kde"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
DAY_MS = 86_400_000


def _out(model, as_json: bool):
    if not as_json:
        return model
    from bokeh.embed import json_item

    return json.dumps(json_item(model))


def _group_position(groups: np.ndarray, group) -> int:
    """``group`` as a label of ``groups`` or, failing that, an integer position."""
    labels = list(np.asarray(groups).tolist())
    if group in labels:
        return labels.index(group)
    if (
        isinstance(group, (int, np.integer))
        and not isinstance(group, bool)
        and 0 <= group < len(labels)
    ):
        return int(group)
    raise HierarchicalInputError(
        "group", f"{group!r} is neither a group label nor a position 0..{len(labels) - 1}"
    )


def forecast_figure(
    forecast,
    group=0,
    *,
    width: int = 760,
    height: int = 300,
    title: str | None = None,
    known: int | None = None,
    as_json: bool = False,
):
    """One group's forecast: observed values as bars, the posterior predictive mean as a
    dashed line, the 50% and 90% bands shaded. Days without an observation (a closed
    store) show the prediction only: what the target would have been.

    ``forecast`` is a :class:`~bayes_widgets.core.hierarchical.fit.Forecast`; ``group`` a
    group label or a position in it. ``known``: the first ``known`` times were the only
    data the fit saw (a cold start); they are shaded.
    """
    from bokeh.models import BoxAnnotation, ColumnDataSource
    from bokeh.plotting import figure

    g = _group_position(forecast.groups, group)
    times = np.asarray(forecast.times)
    is_date = np.issubdtype(times.dtype, np.datetime64)
    x = (
        times.astype("datetime64[ms]").astype(np.int64).astype(float)
        if is_date
        else times.astype(float)
    )
    lo90, hi90 = forecast.band(0.9)
    lo50, hi50 = forecast.band(0.5)
    src = ColumnDataSource(
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
    obs = ~np.isnan(forecast.observed[g])
    obs_src = ColumnDataSource(
        {"x": x[obs], "y": forecast.observed[g][obs].astype(float)}, name="observed"
    )
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
    step = float(np.median(np.diff(x))) if len(x) > 1 else (DAY_MS if is_date else 1.0)
    f.vbar(
        x="x",
        top="y",
        width=0.8 * step,
        source=obs_src,
        color="#9ecae1",
        alpha=0.8,
        legend_label="observed",
    )
    f.varea(
        x="x", y1="lo90", y2="hi90", source=src, color="#1f77b4", alpha=0.18, legend_label="90%"
    )
    f.varea(
        x="x", y1="lo50", y2="hi50", source=src, color="#1f77b4", alpha=0.35, legend_label="50%"
    )
    f.line(
        "x",
        "mean",
        source=src,
        color="#08306b",
        line_dash="dashed",
        line_width=1.5,
        legend_label="mean",
    )
    if known:
        edge = x[min(int(known), len(x)) - 1] + step / 2
        f.add_layout(
            BoxAnnotation(
                right=float(edge), fill_color="#ff7f0e", fill_alpha=0.12, line_alpha=0, name="known"
            )
        )
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "8pt"
    f.legend.click_policy = "hide"
    f.yaxis.axis_label = forecast.target
    return _out(f, as_json)


def kde(values, grid=None, *, n_grid: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian kernel density of ``values`` (Scott's bandwidth) on ``grid``."""
    v = np.asarray(values, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise HierarchicalInputError("values", "no finite values for a density")
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
    as_json: bool = False,
):
    """Densities over groups of each feature's posterior-mean coefficient (e.g. the
    weekday effects, or the promotion effect across stores), with each median marked.

    ``transform="exp"`` shows multiplicative effects (an uplift of 1.4 = +40%).
    """
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    names = [features] if isinstance(features, str) else list(features)
    if not names:
        raise HierarchicalInputError("features", "name at least one feature")
    if transform not in (None, "exp"):
        raise HierarchicalInputError("transform", f"must be None or 'exp', got {transform!r}")
    pm = fit.posterior_mean()
    columns = {}
    for name in names:
        if name == "intercept":
            columns[name] = pm["intercept"]
        elif name in fit.spec.features:
            columns[name] = pm["coef"][:, fit.spec.features.index(name)]
        else:
            raise HierarchicalInputError(
                f"features.{name}",
                f"is not a feature of the model (features: {list(fit.spec.features)})",
            )
        if transform == "exp":
            columns[name] = np.exp(columns[name])
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
        color = PALETTE[k % len(PALETTE)]
        src = ColumnDataSource(
            {"x": x, "density": dens, "feature": [name] * len(x)}, name=f"density_{name}"
        )
        f.line("x", "density", source=src, color=color, line_width=2, legend_label=name)
        f.varea(x="x", y1=0, y2="density", source=src, color=color, alpha=0.12)
        f.add_layout(
            Span(
                location=float(np.median(columns[name])),
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
    f.legend.location = "top_right"
    f.legend.label_text_font_size = "8pt"
    f.legend.click_policy = "hide"
    return _out(f, as_json)
