"""The prediction table's plot: each row's predicted mean with its credible intervals.

A template: built once per title and legend without data (cached as JSON); the page fills
its ``predictions`` source from the table's rows::

    from bayes_widgets.core.figures.prediction import prediction_template
    text = prediction_template("sales", "95% equal-tailed interval")   # json_item string
"""

from __future__ import annotations

import functools

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import OBSERVED, series_color

SOURCE_COLUMNS = ("row", "mu_mean", "mu_lower", "mu_upper", "y_mean", "y_lower", "y_upper")
"""Columns of the ``predictions`` source: ``mu_*`` from the plotted deterministic, ``y_*``
from the observed variable."""


def prediction_figure(
    target: str,
    label: str,
    line_label: str = "regression line mu",
    point_label: str = "new observation y",
    width: int = 620,
    height: int = 260,
):
    """Predictions per row: the new observation's mean with its interval (thin bar) and
    the regression line's interval (thick bar); the ``predictions`` source is empty."""
    from bokeh.models import BasicTicker, ColumnDataSource, DataRange1d, HoverTool
    from bokeh.plotting import figure

    f = figure(
        width=width,
        height=height,
        title=f"predicted {target} ({label})",
        toolbar_location=None,
        tools="",
        x_axis_label="row",
        y_axis_label=target,
        x_range=DataRange1d(range_padding=0.5, range_padding_units="absolute"),
    )
    src = ColumnDataSource({k: [] for k in SOURCE_COLUMNS}, name="predictions")
    f.segment(
        "row",
        "y_lower",
        "row",
        "y_upper",
        source=src,
        color=series_color(1),
        line_width=2,
        legend_label=point_label,
    )
    f.segment(
        "row",
        "mu_lower",
        "row",
        "mu_upper",
        source=src,
        color=series_color(0),
        line_width=7,
        alpha=0.6,
        legend_label=line_label,
    )
    dots = f.scatter("row", "y_mean", source=src, color=OBSERVED, size=7, legend_label="mean")
    f.add_tools(
        HoverTool(
            renderers=[dots],
            tooltips=[
                ("row", "@row"),
                ("mean", "@y_mean{0.[000]}"),
                (f"{point_label} interval", "[@y_lower{0.[000]}, @y_upper{0.[000]}]"),
                (f"{line_label} interval", "[@mu_lower{0.[000]}, @mu_upper{0.[000]}]"),
            ],
        )
    )
    f.xaxis.ticker = BasicTicker(min_interval=1)
    readable_ticks(f, "y")
    f.legend.label_text_font_size = "8pt"
    f.add_layout(f.legend[0], "right")
    return f


@functools.lru_cache(maxsize=16)
def prediction_template(
    target: str,
    label: str,
    line_label: str = "regression line mu",
    point_label: str = "new observation y",
    width: int = 620,
    height: int = 260,
) -> str:
    """:func:`prediction_figure` as a cached ``json_item`` string (give each copy shown
    fresh ids with :func:`~bayes_widgets.core.figures.base.with_fresh_ids`)."""
    return to_json(prediction_figure(target, label, line_label, point_label, width, height))


__all__ = ["SOURCE_COLUMNS", "prediction_figure", "prediction_template"]
