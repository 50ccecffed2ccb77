"""Figures of an MMM's one-pager: fit, decomposition, channels, response and adstock curves.

Each builder takes a table of ``bayes_widgets.core.mmm.explorer_views.OnePager`` (plain
data frames: this module knows nothing of MMMs) and returns a Bokeh model; the
MMMExplorer widget and the fleet report draw the same figures::

    fit_figure(pager.fit(), "fit")
    decomposition_figure(pager.decomposition(), selected="x1")
    channels_figure(pager.channels_table(), selected="x1")
    response_figure(pager.response("x1"))
    adstock_figure(pager.adstock("x1"), "x1")

Bands: the wide one holds ``prob`` of the draws (columns ``low``/``high``), the narrow one
half (``q25``/``q75``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.figures.format import format_number, readable_ticks, tick_count
from bayes_widgets.core.figures.palette import (
    BAND,
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    BAND_LIGHT,
    GUIDE,
    HIGHLIGHT,
    LINE_DARK,
    MARKER,
    OBSERVED,
    series_color,
)

WIDTH = 760
"""Width of the wide figures (fit, decomposition); the curves take half."""
TOOLS = "pan,wheel_zoom,box_zoom,reset"


def _columns(table: pd.DataFrame) -> dict[str, Any]:
    """A table's columns for a ``ColumnDataSource`` (its index left out)."""
    return {str(c): table[c].to_numpy() for c in table.columns}


def _test_start(table: pd.DataFrame):
    test = table["split"].eq("test").to_numpy() if "split" in table else np.zeros(0, bool)
    return table["date"].to_numpy()[test][0] if test.any() else None


def _mark_test(fig, table: pd.DataFrame) -> None:
    """Shades the test period and labels it."""
    from bokeh.models import BoxAnnotation, Label

    start = _test_start(table)
    if start is None:
        return
    fig.add_layout(
        BoxAnnotation(left=start, fill_color=GUIDE, fill_alpha=0.12, line_color=GUIDE, name="test")
    )
    fig.add_layout(Label(x=start, y=8, y_units="screen", x_offset=4, text="test", text_color=GUIDE))


def _legend_outside(fig, font: str = "8pt") -> None:
    """The legend beside the plot, a click on an item hides its part."""
    if not fig.legend:
        return
    legend = fig.legend[0]
    legend.click_policy = "hide"
    legend.label_text_font_size = font
    legend.spacing = 0
    fig.add_layout(legend, "right")


def fit_figure(table: pd.DataFrame, title: str = "fitted vs actual"):
    """The posterior predictive's median and bands over the dates, the fitted mean, the
    actual values as dots, the test period shaded."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    src = ColumnDataSource(_columns(table.assign(date=pd.to_datetime(table["date"]))), name="fit")
    f = figure(
        width=WIDTH, height=250, x_axis_type="datetime", title=title, tools=TOOLS, name="fit"
    )
    band = {"x": "date", "source": src, "color": BAND}
    f.varea(y1="low", y2="high", alpha=BAND_ALPHA_90, legend_label="predictive, wide", **band)
    f.varea(y1="q25", y2="q75", alpha=BAND_ALPHA_50, legend_label="predictive, 50%", **band)
    line = f.line("date", "mean", source=src, line_width=2, color=LINE_DARK, legend_label="fitted")
    f.scatter("date", "actual", source=src, size=4, color=OBSERVED, legend_label="actual")
    f.add_tools(
        HoverTool(
            renderers=[line],
            tooltips=[
                ("date", "@date{%F}"),
                ("actual", "@actual{0,0.[00]}"),
                ("fitted", "@mean{0,0.[00]}"),
            ],
            formatters={"@date": "datetime"},
            mode="vline",
        )
    )
    _mark_test(f, table)
    _legend_outside(f)
    return readable_ticks(f, "y")


def part_colors(table: pd.DataFrame) -> dict[str, str]:
    """A color per part of a decomposition: the ``i``-th channel gets ``series_color(i)``
    (as in the channel figure), the other parts the colors after the channels'."""
    kinds = dict(zip(table["part"], table["kind"], strict=False))
    channels = [p for p, k in kinds.items() if k == "channel"]
    others = [p for p, k in kinds.items() if k != "channel"]
    colors = {p: series_color(i) for i, p in enumerate(channels)}
    colors.update({p: series_color(len(channels) + i) for i, p in enumerate(others)})
    return colors


def decomposition_figure(table: pd.DataFrame, selected: str | None = None, title: str = ""):
    """Each part of the fitted mean over time (mean and wide band); the ``selected``
    channel drawn bold in the highlight color with both bands, the other parts thin."""
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    parts = list(dict.fromkeys(table["part"]))
    f = figure(
        width=WIDTH,
        height=280,
        x_axis_type="datetime",
        title=title or "decomposition of the fitted mean",
        tools=TOOLS,
        name="decomposition",
    )
    colors = part_colors(table)
    kinds = {str(p): str(k) for p, k in zip(table["part"], table["kind"], strict=True)}
    for part in parts:
        rows = table[table["part"] == part]
        src = ColumnDataSource(
            _columns(rows.assign(date=pd.to_datetime(rows["date"]))), name=f"part:{part}"
        )
        chosen = part == selected
        color = HIGHLIGHT if chosen else colors[part]
        label = f"{part} ({kinds[part]})" if kinds[part] != part else part
        alpha = BAND_ALPHA_90 if chosen else 0.07
        f.varea("date", "low", "high", source=src, color=color, alpha=alpha, legend_label=label)
        if chosen:
            f.varea(
                "date",
                "q25",
                "q75",
                source=src,
                color=color,
                alpha=BAND_ALPHA_50,
                legend_label=label,
            )
        f.line(
            "date",
            "mean",
            source=src,
            color=color,
            line_width=3.5 if chosen else 1.2,
            alpha=1.0 if chosen or selected is None else 0.55,
            legend_label=label,
            name="selected" if chosen else part,
        )
    _mark_test(f, table)
    _legend_outside(f)
    return readable_ticks(f, "y")


def _interval_panel(table, key, title, selected, x_range=None, width=320):
    from bokeh.models import ColumnDataSource, DataRange1d, FactorRange, HoverTool
    from bokeh.plotting import figure

    channels = [str(c) for c in table["channel"]]
    data = {
        "channel": channels,
        "value": table[key].to_numpy(dtype=float),
        "low": table[f"{key}_low"].to_numpy(dtype=float),
        "high": table[f"{key}_high"].to_numpy(dtype=float),
        "color": [HIGHLIGHT if c == selected else series_color(i) for i, c in enumerate(channels)],
        "text": [format_number(v) for v in table[key].to_numpy(dtype=float)],
    }
    src = ColumnDataSource(data, name=f"channels:{key}")
    f = figure(
        width=width,
        height=40 + 26 * len(channels),
        y_range=x_range or FactorRange(factors=channels[::-1]),
        x_range=DataRange1d(start=0) if key == "share" else DataRange1d(),
        title=title,
        tools="tap,reset",
        toolbar_location=None,
        name=f"panel:{key}",
    )
    if key == "share":
        bars = f.hbar(y="channel", right="value", height=0.6, source=src, color="color", alpha=0.8)
    else:
        bars = f.scatter("value", "channel", source=src, size=9, color="color")
    f.segment("low", "channel", "high", "channel", source=src, color="color", line_width=2)
    bars.nonselection_glyph = None
    f.add_tools(HoverTool(renderers=[bars], tooltips=[("channel", "@channel"), (title, "@text")]))
    tick_count(f, 4, "x")
    return readable_ticks(f, "x"), f.y_range


def channels_figure(table: pd.DataFrame, selected: str | None = None):
    """Per channel: its share of the media contribution (bars), ROAS and marginal ROAS
    (dots), each with its interval; the ``selected`` channel in the highlight color. The
    bars' source is named ``channels:share`` (a tap selects a channel)."""
    from bokeh.layouts import row

    share, y_range = _interval_panel(table, "share", "share of media contribution", selected)
    roas, _ = _interval_panel(table, "roas", "ROAS", selected, y_range)
    mroas, _ = _interval_panel(table, "mroas", "marginal ROAS", selected, y_range)
    for panel in (roas, mroas):
        panel.yaxis.visible = False
        panel.width = 220
    return row(share, roas, mroas, name="channels")


def response_figure(response: dict[str, Any], title: str = ""):
    """The response curve over spend per period (mean and bands), the observed spend range
    shaded, the current spend marked."""
    from bokeh.models import BoxAnnotation, ColumnDataSource, HoverTool, Span
    from bokeh.plotting import figure

    channel = response["channel"]
    curve = response["curve"]
    src = ColumnDataSource(_columns(curve), name="response")
    f = figure(
        width=WIDTH // 2,
        height=260,
        title=title or f"{channel}: response per period",
        x_axis_label="spend per period",
        y_axis_label="contribution per period",
        tools=TOOLS,
        name="response",
    )
    f.add_layout(
        BoxAnnotation(
            left=response["observed_min"],
            right=response["observed_max"],
            fill_color=BAND_LIGHT,
            fill_alpha=0.25,
            line_alpha=0,
            name="observed",
        )
    )
    f.varea("spend", "low", "high", source=src, color=BAND, alpha=BAND_ALPHA_90)
    f.varea("spend", "q25", "q75", source=src, color=BAND, alpha=BAND_ALPHA_50)
    line = f.line("spend", "mean", source=src, color=LINE_DARK, line_width=2)
    f.add_layout(
        Span(
            location=response["current_spend"],
            dimension="height",
            line_color=MARKER,
            line_dash="dashed",
        )
    )
    f.scatter(
        [response["current_spend"]],
        [response["current_response"]],
        size=9,
        color=HIGHLIGHT,
        name="current",
    )
    f.add_tools(
        HoverTool(
            renderers=[line],
            tooltips=[("spend", "@spend{0,0.[00]}"), ("response", "@mean{0,0.[00]}")],
            mode="vline",
        )
    )
    return readable_ticks(f)


def adstock_figure(table: pd.DataFrame, channel: str, title: str = ""):
    """The adstock weights over lags (mean with dots, and bands)."""
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    src = ColumnDataSource(_columns(table), name="adstock")
    f = figure(
        width=WIDTH // 2,
        height=260,
        title=title or f"{channel}: adstock weights",
        x_axis_label="lag (periods after the spend)",
        y_axis_label="weight",
        tools=TOOLS,
        name="adstock",
    )
    f.varea("lag", "low", "high", source=src, color=BAND, alpha=BAND_ALPHA_90)
    f.varea("lag", "q25", "q75", source=src, color=BAND, alpha=BAND_ALPHA_50)
    f.line("lag", "mean", source=src, color=LINE_DARK, line_width=2)
    f.scatter("lag", "mean", source=src, color=LINE_DARK, size=6)
    f.xaxis.ticker.desired_num_ticks = min(10, max(2, len(table)))  # pyright: ignore[reportAttributeAccessIssue]
    return readable_ticks(f)


__all__ = [
    "adstock_figure",
    "channels_figure",
    "decomposition_figure",
    "fit_figure",
    "one_pager_layout",
    "part_colors",
    "response_figure",
]


def one_pager_layout(tables: dict[str, Any], title: str = ""):
    """The whole one-pager as one layout, every channel's curves included: from the
    tables of ``explorer_io.one_pager_tables`` (``fit``, ``decomposition``, ``channels``,
    ``response`` and ``response_marks`` with a ``channel`` column, ``adstock``)."""
    from bokeh.layouts import column, row

    where = f"{title}: " if title else ""
    children = [
        fit_figure(tables["fit"], f"{where}fitted vs actual"),
        decomposition_figure(
            tables["decomposition"], None, f"{where}decomposition of the fitted mean"
        ),
        channels_figure(tables["channels"]),
    ]
    marks = tables["response_marks"].set_index("channel")
    for channel in tables["channels"]["channel"]:
        curve = tables["response"][tables["response"]["channel"] == channel]
        response = {"channel": channel, "curve": curve, **marks.loc[channel].to_dict()}
        adstock = tables["adstock"][tables["adstock"]["channel"] == channel]
        children.append(row(response_figure(response), adstock_figure(adstock, str(channel))))
    return column(*children, name="one_pager")
