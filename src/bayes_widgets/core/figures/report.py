"""Figures of fleet runs and reports: predictions with bands, contributions, recovery, spread.

Every builder returns a Bokeh model; :func:`embed` turns a report's layouts into the
inline BokehJS, the script and the ``<div>`` of each, for a page that opens offline::

    figures = run_figures(run_dir, "run-0003")      # what a finished run left behind
    resources, script, divs = embed([column_of(figures)])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bayes_widgets.core.figures.base import Columns
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import (
    BAND,
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    GUIDE,
    OBSERVED,
    REFERENCE_LINE,
    series_color,
    series_colors,
)

__all__ = [
    "column_of",
    "contributions_figure",
    "embed",
    "predictions_figure",
    "recovery_figure",
    "run_detail_figure",
    "run_figures",
    "spread_figure",
]


def predictions_figure(preds: pd.DataFrame, title: str):
    """Median and 50%/90% bands over the dates, the actual values, and the start of the
    test split (a dashed line)."""
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    preds = preds.copy()
    preds["date"] = pd.to_datetime(preds["date"])
    src = ColumnDataSource(preds)
    f = figure(
        width=760, height=240, x_axis_type="datetime", title=title, tools="pan,wheel_zoom,reset"
    )
    band = {"x": "date", "source": src, "color": BAND}
    f.varea(y1="q05", y2="q95", alpha=BAND_ALPHA_90, legend_label="90%", **band)
    f.varea(y1="q25", y2="q75", alpha=BAND_ALPHA_50, legend_label="50%", **band)
    f.line("date", "median", source=src, line_width=2, color=BAND, legend_label="median")
    if "actual" in preds:
        f.scatter("date", "actual", source=src, size=3, color=OBSERVED, legend_label="actual")
    test = preds["split"].eq("test").to_numpy() if "split" in preds else None
    if test is not None and test.any():
        start = preds["date"].to_numpy()[test][0]
        f.add_layout(Span(location=start, dimension="height", line_dash="dashed", line_color=GUIDE))
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "8pt"
    return readable_ticks(f, "y")


def recovery_figure(table: pd.DataFrame, title: str):
    """Fitted (mean and 94% interval) against true parameter values, with the line y = x."""
    from bokeh.models import ColumnDataSource, HoverTool, Slope
    from bokeh.plotting import figure

    src = ColumnDataSource(table)
    f = figure(
        width=380,
        height=320,
        title=title,
        x_axis_label="true",
        y_axis_label="fitted (mean, 94%)",
        tools="pan,wheel_zoom,reset",
    )
    f.segment("true", "low", "true", "high", source=src, color=GUIDE)
    f.scatter("true", "mean", source=src, size=7, color=series_color(0))
    f.add_layout(Slope(gradient=1, y_intercept=0, line_dash="dashed", line_color=REFERENCE_LINE))
    f.add_tools(
        HoverTool(tooltips=[("parameter", "@parameter"), ("true", "@true"), ("fitted", "@mean")])
    )
    return readable_ticks(f)


def contributions_figure(table: pd.DataFrame, title: str):
    """Each channel's contribution per week (posterior mean, original units), stacked."""
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    table = table.copy()
    table["date"] = pd.to_datetime(table["date"])
    channels = [c for c in table.columns if c != "date"]
    data: Columns = {"date": table["date"].to_numpy()}
    for i, c in enumerate(channels):
        data[f"c{i}"] = table[c].clip(lower=0).to_numpy()
    src = ColumnDataSource(data)
    f = figure(
        width=760, height=240, x_axis_type="datetime", title=title, tools="pan,wheel_zoom,reset"
    )
    f.varea_stack(
        stackers=[f"c{i}" for i in range(len(channels))],
        x="date",
        source=src,
        color=series_colors(len(channels)),
        legend_label=[str(c) for c in channels],
        alpha=0.8,
    )
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "7pt"
    f.legend.ncols = min(5, len(channels))
    return readable_ticks(f, "y")


def spread_figure(table: pd.DataFrame, prefix: str, title: str):
    """One dot per finished run for each channel's ``prefix`` metric (share or ROAS); None
    when no run has finished or the table has no such metric."""
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool
    from bokeh.plotting import figure

    done = table[table["status"] == "done"]
    cols = [c for c in done.columns if c.startswith(prefix)]
    if done.empty or not cols:
        return None
    channels = [c.removeprefix(prefix) for c in cols]
    rows = [
        {"channel": ch, "value": float(v), "run": str(run)}
        for run, values in zip(done["run_id"], np.asarray(done[cols], dtype=float), strict=True)
        for ch, v in zip(channels, values, strict=True)
        if np.isfinite(v)
    ]
    src = ColumnDataSource(pd.DataFrame(rows))
    f = figure(
        width=760,
        height=240,
        x_range=FactorRange(factors=channels),
        title=title,
        tools="pan,wheel_zoom,reset",
    )
    f.scatter("channel", "value", source=src, size=8, alpha=0.7, color=series_color(0))
    f.add_tools(HoverTool(tooltips=[("run", "@run"), ("channel", "@channel"), ("value", "@value")]))
    f.xaxis.major_label_orientation = 0.6
    return readable_ticks(f, "y")


def run_figures(run_dir: Path, run_id: str) -> list:
    """The plots a finished run left behind: predicted vs actual with bands, forecast,
    channel contributions over time, true vs fitted (recovery)."""
    figures = []
    files = (
        ("predictions.csv", predictions_figure, "predicted vs actual"),
        ("forecast.csv", predictions_figure, "forecast"),
        ("contributions.csv", contributions_figure, "channel contributions"),
        ("recovery.csv", recovery_figure, "true vs fitted"),
    )
    for name, make, what in files:
        if (run_dir / name).exists():
            figures.append(make(pd.read_csv(run_dir / name), f"{run_id}: {what}"))
    return figures


def run_detail_figure(run_dir: Path, run_id: str):
    """A run's plots one above the other, or a short note when it left none yet."""
    from bokeh.plotting import figure

    figures = run_figures(run_dir, run_id)
    if not figures:
        empty = figure(width=400, height=60, title=f"{run_id}: no plots yet", toolbar_location=None)
        empty.axis.visible = False
        figures.append(empty)
    return column_of(figures)


def column_of(figures: list):
    """The figures one above the other, as one layout."""
    from bokeh.layouts import column

    return column(*figures)


def embed(layouts: list) -> tuple[str, str, list[str]]:
    """The inline BokehJS (no CDN), the script and one ``<div>`` per layout, for a
    standalone HTML page."""
    from bokeh.embed import components
    from bokeh.resources import INLINE

    script, divs = components(layouts) if layouts else ("", [])
    return INLINE.render(), script, list(divs)
