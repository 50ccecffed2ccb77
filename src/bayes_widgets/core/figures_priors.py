"""Bokeh figures of the prior editor: one distribution's pdf/cdf, and a prior predictive.

Sources are named (``dist``, ``bands``, ``observed``, ``hist``) and filled by the page from
the widget's traits, so the figures are built once and never rebuilt on an edit.
"""

from __future__ import annotations

import functools
import json


@functools.lru_cache(maxsize=4)
def distribution_figure(width: int = 330, height: int = 180) -> str:
    from bokeh.embed import json_item
    from bokeh.layouts import row
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    src = ColumnDataSource({"x": [], "pdf": [], "cdf": []}, name="dist")
    pdf = figure(width=width, height=height, title="density", toolbar_location=None, tools="")
    pdf.line("x", "pdf", source=src, line_width=2, color="#1f77b4")
    pdf.varea(x="x", y1=0, y2="pdf", source=src, alpha=0.15, color="#1f77b4")
    cdf = figure(width=width, height=height, title="cumulative", toolbar_location=None, tools="",
                 y_range=(0, 1.02))
    cdf.line("x", "cdf", source=src, line_width=2, color="#ff7f0e")
    return json.dumps(json_item(row(pdf, cdf)))


@functools.lru_cache(maxsize=4)
def predictive_figure(series: bool, width: int = 680, height: int = 230) -> str:
    from bokeh.embed import json_item
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    f = figure(width=width, height=height, title="prior predictive", toolbar_location=None, tools="")
    if series:
        bands = ColumnDataSource({"x": [], "q05": [], "q25": [], "q50": [], "q75": [], "q95": []}, name="bands")
        obs = ColumnDataSource({"x": [], "y": []}, name="observed")
        f.varea(x="x", y1="q05", y2="q95", source=bands, color="#1f77b4", alpha=0.18, legend_label="90%")
        f.varea(x="x", y1="q25", y2="q75", source=bands, color="#1f77b4", alpha=0.35, legend_label="50%")
        f.line("x", "q50", source=bands, color="#1f77b4", line_width=2, legend_label="median")
        f.line("x", "y", source=obs, color="black", line_width=1.5, legend_label="observed")
        f.legend.location = "top_left"
        f.legend.label_text_font_size = "8pt"
    else:
        hist = ColumnDataSource({"left": [], "right": [], "count": []}, name="hist")
        f.quad(left="left", right="right", top="count", bottom=0, source=hist, alpha=0.6)
    return json.dumps(json_item(f))
