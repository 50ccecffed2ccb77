"""Figures of a calibration check: per parameter, a rank histogram and an ECDF difference.

A template the page fills: :func:`parameter_figure` is built once per rank range and
shown once per parameter (fresh ids each time); :func:`parameter_columns` computes the
data of its named sources from the ranks so far, and :func:`filled_parameter_figure`
writes them in (a report, or a test)::

    text = parameter_figure(max_rank=99, bins=10)            # json_item string, empty
    data = parameter_columns(ranks, max_rank=99, bins=10)    # {"hist", "ecdf", "band", "outside"}

Sources: ``hist`` (one row per bin: ``left``, ``right``, ``count``, ``expected``, and the
central interval of uniform ranks ``lower``, ``upper``), ``ecdf`` (``x``, ``difference``),
``band`` (``x``, ``lower``, ``upper``: the simultaneous band drawn out as steps) and
``outside`` (``x``, ``y``: where the curve leaves the band, drawn in the problem color).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from bayes_widgets.core.calibration.ecdf import ecdf_difference, rank_histogram
from bayes_widgets.core.figures.base import Columns, filled, json_column, to_json
from bayes_widgets.core.figures.format import readable_ticks, tick_count
from bayes_widgets.core.figures.palette import (
    BAND,
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    GUIDE,
    HIGHLIGHT,
    LINE_DARK,
    MARKER,
)

MAX_CURVE_POINTS = 400
"""Points of an ECDF-difference curve sent to the page; longer curves keep, per stretch,
their lowest and highest point (the extremes are what a reader compares with the band)."""
PLOT_WIDTH = 240
PLOT_HEIGHT = 170

__all__ = [
    "MAX_CURVE_POINTS",
    "filled_parameter_figure",
    "parameter_columns",
    "parameter_figure",
]


def _histogram_plot(max_rank: int, prob: float):
    from bokeh.models import ColumnDataSource, HoverTool, Range1d
    from bokeh.plotting import figure

    src = ColumnDataSource(
        {k: [] for k in ("left", "right", "count", "expected", "lower", "upper")}, name="hist"
    )
    f = figure(
        width=PLOT_WIDTH,
        height=PLOT_HEIGHT,
        x_range=Range1d(start=0, end=max_rank + 1),
        x_axis_label="rank",
        y_axis_label="simulations",
        tools="reset,save",
        toolbar_location=None,
    )
    f.quad(
        left="left",
        right="right",
        bottom="lower",
        top="upper",
        source=src,
        color=BAND,
        alpha=BAND_ALPHA_90,
        line_alpha=0,
    )
    bars = f.quad(
        left="left",
        right="right",
        bottom=0,
        top="count",
        source=src,
        fill_color=BAND,
        fill_alpha=BAND_ALPHA_50 + 0.3,
        line_color=LINE_DARK,
        line_width=0.5,
    )
    f.segment(
        x0="left",
        x1="right",
        y0="expected",
        y1="expected",
        source=src,
        color=MARKER,
        line_dash="dashed",
    )
    f.add_tools(
        HoverTool(
            renderers=[bars],
            tooltips=[
                ("ranks", "@left{0}–@right{0}"),
                ("simulations", "@count{0}"),
                (f"uniform, {prob:.0%}", "@lower{0}–@upper{0}"),
            ],
        )
    )
    return tick_count(readable_ticks(f), 4)


def _ecdf_plot():
    from bokeh.models import ColumnDataSource, Range1d, Span
    from bokeh.plotting import figure

    src = ColumnDataSource({"x": [], "difference": []}, name="ecdf")
    band = ColumnDataSource({"x": [], "lower": [], "upper": []}, name="band")
    out = ColumnDataSource({"x": [], "y": []}, name="outside")
    f = figure(
        width=PLOT_WIDTH,
        height=PLOT_HEIGHT,
        x_range=Range1d(start=0, end=1),
        x_axis_label="fractional rank",
        y_axis_label="ECDF − uniform",
        tools="reset,save",
        toolbar_location=None,
    )
    # the band's steps are drawn out in the data: BokehJS 3.10's varea_step never returns
    # from drawing an empty source
    f.varea(x="x", y1="lower", y2="upper", source=band, color=BAND, alpha=BAND_ALPHA_90)
    f.add_layout(Span(location=0, dimension="width", line_color=GUIDE, line_dash="dashed"))
    f.step(x="x", y="difference", source=src, mode="after", color=LINE_DARK, line_width=1.5)
    f.scatter(x="x", y="y", source=out, color=HIGHLIGHT, size=4)
    return tick_count(readable_ticks(f), 4)


@functools.lru_cache(maxsize=32)
def parameter_figure(max_rank: int, prob: float = 0.95) -> str:
    """The empty template of one parameter's pair of plots (rank histogram, ECDF
    difference), as a ``json_item`` string; give each copy fresh ids before showing it."""
    from bokeh.layouts import row

    return to_json(row(_histogram_plot(int(max_rank), float(prob)), _ecdf_plot()))


def _thin_curve(curve: dict[str, Any], points: int) -> np.ndarray:
    """Indices of the curve kept: all when short, else per stretch its lowest and highest
    point, with the first and the last."""
    n = len(curve["x"])
    if n <= points:
        return np.arange(n)
    d = np.asarray(curve["difference"])
    stretches = np.array_split(np.arange(n), max(1, points // 2))
    keep = {0, n - 1}
    for s in stretches:
        keep.add(int(s[np.argmin(d[s])]))
        keep.add(int(s[np.argmax(d[s])]))
    return np.array(sorted(keep))


def _steps(curve: dict[str, Any]) -> Columns:
    """The band as steps: each edge holds its value from its point to the next one."""
    x, lo, hi = (np.asarray(curve[k], dtype=float) for k in ("x", "lower", "upper"))
    if x.size == 0:
        return {"x": [], "lower": [], "upper": []}
    xs = np.append(np.repeat(x, 2)[1:], x[-1])
    return {
        "x": json_column(xs),
        "lower": json_column(np.repeat(lo, 2)),
        "upper": json_column(np.repeat(hi, 2)),
    }


def parameter_columns(
    ranks: Any, max_rank: int, bins: int, prob: float = 0.95, *, points: int = MAX_CURVE_POINTS
) -> dict[str, Columns]:
    """The data of :func:`parameter_figure`'s sources for these ranks (JSON-ready lists)."""
    hist = rank_histogram(ranks, max_rank, bins=bins, prob=prob)
    curve = ecdf_difference(ranks, max_rank, prob=prob)
    keep = _thin_curve(curve, points)
    d, lo, hi = (np.asarray(curve[k])[keep] for k in ("difference", "lower", "upper"))
    x = np.asarray(curve["x"])[keep]
    out = (d < lo - 1e-12) | (d > hi + 1e-12)
    return {
        "hist": {
            "left": hist["left"].tolist(),
            "right": hist["right"].tolist(),
            "count": hist["count"].tolist(),
            "expected": json_column(hist["expected"]),
            "lower": json_column(hist["lower"]),
            "upper": json_column(hist["upper"]),
        },
        "ecdf": {"x": json_column(x), "difference": json_column(d)},
        "band": _steps(curve),
        "outside": {"x": json_column(x[out]), "y": json_column(d[out])},
    }


def filled_parameter_figure(ranks: Any, max_rank: int, bins: int, prob: float = 0.95) -> str:
    """One parameter's plots with these ranks written in (a ``json_item`` string)."""
    return filled(
        parameter_figure(int(max_rank), float(prob)),
        parameter_columns(ranks, max_rank, bins, prob),
    )
