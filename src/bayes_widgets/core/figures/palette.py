"""The one set of colors every figure uses: series by index, chains, bands and guide lines.

from bayes_widgets.core.figures.palette import series_color, BAND, HIGHLIGHT
f.line(x, y, color=series_color(2))
f.varea(x=x, y1=lo, y2=hi, color=BAND, alpha=BAND_ALPHA_90)
"""

from __future__ import annotations

SERIES: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
)
"""Colors of the n-th series (chain, group, channel, curve), in order: the strong tones
first, then their light variants. Red is kept out so it always means a problem, a
selection or a reference."""

HIGHLIGHT = "#d62728"
"""Divergences, selected draws, problem rows, losses and risk measures."""
REFERENCE_LINE = "#d62728"
"""A reference line to compare against (y = x of observed vs fitted)."""
GUIDE = "#999999"
"""Neutral guide lines: the end of tuning, graph edges."""
TEXT = "#333333"
"""Labels drawn in a plot and rows without a problem."""
OBSERVED = "black"
"""Observed data drawn over model output."""
MARKER = "black"
"""A marker line at a value (the mean of an outcome): black, so dark themes draw it in
their text color."""

BAND = SERIES[0]
"""Fill of interval bands (50% and 90% intervals, densities)."""
BAND_ALPHA_90 = 0.18
"""Opacity of a 90% band."""
BAND_ALPHA_50 = 0.35
"""Opacity of a 50% band (drawn over the 90% one)."""
BAND_LIGHT = "#9ecae1"
"""A light band behind the others (a group's own estimate, an observed range)."""
LINE_DARK = "#08306b"
"""A dark line over bands (a median, a pooled estimate)."""
LINE_LIGHT = "#9ab6d8"
"""A light, busy line under a smoothed one (the loss per bin)."""
LINE_SMOOTH = "#1f4e8c"
"""The smoothed line over a light one."""
KNOWN = SERIES[1]
"""Shading of a known or reference region (the groups' observed range)."""

NODE_COLORS: dict[str, dict[str, str]] = {
    "free": {"fill": "#6baed6", "line": "#2171b5"},
    "observed": {"fill": "#2171b5", "line": "#08306b"},
    "deterministic": {"fill": "#969696", "line": "#636363"},
    "data": {"fill": "#fd8d3c", "line": "#d94801"},
}
"""Fill and outline of a model graph's nodes by kind."""


def series_color(i: int) -> str:
    """The color of the ``i``-th series (cycles after ``len(SERIES)``)."""
    return SERIES[i % len(SERIES)]


def series_colors(n: int) -> list[str]:
    """The colors of ``n`` series."""
    return [series_color(i) for i in range(n)]


def chain_color(chain: int) -> str:
    """The color of a chain: the same in the fit monitor, the explorer and reports."""
    return series_color(chain)
