"""Bokeh figures of the prior editor: one distribution's pdf/cdf, and a prior predictive.

Sources are named (``dist``, ``bands``, ``observed``, ``hist``, ``observed_hist``) and
filled by the page from the widget's traits, so the figures are built once and never
rebuilt on an edit. Tick labels are plain or SI (``0.004``, ``2.3M``), and legends stand
beside the plot, never over the data. Both are templates: cached ``json_item`` strings::

    text = with_fresh_ids(distribution_figure())   # one copy per editor on the page
"""

from __future__ import annotations

import functools

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import (
    BAND,
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    OBSERVED,
    series_color,
)

PREDICTIVE = BAND


@functools.lru_cache(maxsize=4)
def distribution_figure(width: int = 330, height: int = 180) -> str:
    """Density and cumulative plots of one distribution (source ``dist``: x, pdf, cdf),
    a template's ``json_item`` string."""
    from bokeh.layouts import row
    from bokeh.models import ColumnDataSource, Range1d
    from bokeh.plotting import figure

    src = ColumnDataSource({"x": [], "pdf": [], "cdf": []}, name="dist")
    pdf = figure(width=width, height=height, title="density", toolbar_location=None, tools="")
    pdf.line("x", "pdf", source=src, line_width=2, color=series_color(0))
    pdf.varea(x="x", y1=0, y2="pdf", source=src, alpha=0.15, color=series_color(0))
    cdf = figure(
        width=width,
        height=height,
        title="cumulative",
        toolbar_location=None,
        tools="",
        y_range=Range1d(start=0, end=1.02),
    )
    cdf.line("x", "cdf", source=src, line_width=2, color=series_color(1))
    for f in (pdf, cdf):
        readable_ticks(f)
    return to_json(row(pdf, cdf))


@functools.lru_cache(maxsize=8)
def predictive_figure(
    series: bool, axis_label: str = "", width: int = 680, height: int = 240
) -> str:
    """A series' quantile bands over its time axis with the observed line (``series``), or
    the density of the prior-predictive values against the observed values' density."""
    from bokeh.models import Legend
    from bokeh.plotting import figure

    f = figure(
        width=width, height=height, title="prior predictive", toolbar_location=None, tools=""
    )
    if series:
        items = _draw_bands(f)
        f.xaxis.axis_label = f"{axis_label} (index)" if axis_label else "index"
    else:
        items = _draw_densities(f)
        f.xaxis.axis_label = axis_label or "value"
        f.yaxis.axis_label = "density"
    # bokeh's stubs omit Legend(items=)
    legend = Legend(items=items, label_text_font_size="8pt", location="top_left")  # pyright: ignore[reportCallIssue]
    f.add_layout(legend, "right")
    readable_ticks(f)
    return to_json(f)


def _draw_bands(f) -> list:
    """50% and 90% bands and the median (source ``bands``), the observed line (source
    ``observed``); their legend entries."""
    from bokeh.models import ColumnDataSource

    bands = ColumnDataSource(
        {"x": [], "q05": [], "q25": [], "q50": [], "q75": [], "q95": []}, name="bands"
    )
    obs = ColumnDataSource({"x": [], "y": []}, name="observed")
    band = {"x": "x", "source": bands, "color": PREDICTIVE}
    return [
        ("90%", [f.varea(y1="q05", y2="q95", alpha=BAND_ALPHA_90, **band)]),
        ("50%", [f.varea(y1="q25", y2="q75", alpha=BAND_ALPHA_50, **band)]),
        ("median", [f.line("x", "q50", source=bands, color=PREDICTIVE, line_width=2)]),
        ("observed", [f.line("x", "y", source=obs, color=OBSERVED, line_width=1.5)]),
    ]


def _draw_densities(f) -> list:
    """Histograms of the prior-predictive values (source ``hist``) and of the observed ones
    (source ``observed_hist``, outlined); their legend entries."""
    from bokeh.models import ColumnDataSource

    empty = {"left": [], "right": [], "density": []}
    hist = ColumnDataSource(dict(empty), name="hist")
    seen = ColumnDataSource(dict(empty), name="observed_hist")
    bars = {"left": "left", "right": "right", "top": "density", "bottom": 0}
    drawn = f.quad(source=hist, color=PREDICTIVE, alpha=0.5, line_alpha=0, **bars)
    observed = f.quad(source=seen, fill_alpha=0, line_color=OBSERVED, line_width=1.5, **bars)
    return [("prior predictive", [drawn]), ("observed", [observed])]
