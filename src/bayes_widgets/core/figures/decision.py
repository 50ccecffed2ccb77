"""The decision explorer's figures: the outcome distribution and the risk–return view.

    text = filled(outcome_figure("profit"), outcome_data(summary, references))
    text = filled(frontier_figure("profit", 0.05), frontier_data(summary, references, frontier))

Both are templates (built once with named, empty sources, cached as ``json_item``
strings); the page fills them from the widget's traits on every change. They carry no
Bokeh legend (the page writes one below each plot). The outcome plot's axes span its
``extent`` source (:func:`outcome_view`), so outcomes far from 0 fill the plot.
"""

from __future__ import annotations

import functools
from typing import Any

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.format import readable_ticks
from bayes_widgets.core.figures.palette import HIGHLIGHT, MARKER, series_color

CURRENT = series_color(0)
"""The chosen decision."""
REFERENCE = series_color(1)
"""The first reference decision (the naive one, or the current plan)."""
LOSS = HIGHLIGHT
"""The loss region (outcomes below zero)."""
CVAR = series_color(3)
"""The CVaR marker and the risk–return frontier."""
NEAR_ZERO = 0.25
"""The outcome plot reaches 0 when the outcomes' gap to it is at most this share of their range."""


def outcome_view(histograms, near: float = NEAR_ZERO) -> dict[str, list[float]]:
    """The outcome plot's extent for ``histograms`` (pairs of bin ``edges`` and ``counts``):
    ``{"x": [low, high], "y": [0, highest count]}``. ``x`` spans every histogram's edges
    and reaches 0 when the outcomes cross it or their gap to it is at most ``near`` times
    their range, so the loss region is shown exactly when the outcomes come near it."""
    lows, highs, tops = [], [], [0.0]
    for edges, counts in histograms:
        if edges is None or len(edges) < 2:
            continue
        lows.append(float(edges[0]))
        highs.append(float(edges[-1]))
        tops.append(float(max(counts)) if len(counts) else 0.0)
    if not lows:
        return {"x": [0.0, 1.0], "y": [0.0, 1.0]}
    low, high = min(lows), max(highs)
    gap = low if low > 0 else (-high if high < 0 else 0.0)
    if gap <= near * (high - low):
        low, high = min(low, 0.0), max(high, 0.0)
    return {"x": [low, high], "y": [0.0, max(tops) or 1.0]}


def histogram_outline(edges, counts) -> dict[str, list[float]]:
    """The outline of a histogram as one line (``x``, ``y``): up the first bin's left edge,
    along each bin's top, down the last bin's right edge. Drawn over the chosen
    decision's bars it leaves them visible, unlike a second set of bars."""
    if edges is None or len(edges) < 2:
        return {"x": [], "y": []}
    xs, ys = [float(edges[0])], [0.0]
    for left, right, c in zip(edges[:-1], edges[1:], counts):
        xs += [float(left), float(right)]
        ys += [float(c), float(c)]
    xs.append(float(edges[-1]))
    ys.append(0.0)
    return {"x": xs, "y": ys}


@functools.lru_cache(maxsize=8)
def outcome_figure(outcome: str = "profit", width: int = 500, height: int = 270) -> str:
    """Histogram of the chosen decision's outcomes (source ``hist``), a reference
    decision's outline (``reference_outline``), the axes' corners (``extent``), and the
    mean and CVaR spans and the loss box (named ``mean``, ``cvar``, ``zero``, ``loss``)."""
    from bokeh.models import BoxAnnotation, ColumnDataSource, DataRange1d, Span
    from bokeh.plotting import figure

    f = figure(
        width=width,
        height=height,
        title=f"{outcome} over the scenarios",
        toolbar_location=None,
        tools="",
        x_axis_label=outcome,
        y_axis_label="scenarios",
    )
    hist = ColumnDataSource({"left": [], "right": [], "count": []}, name="hist")
    ref = ColumnDataSource({"x": [], "y": []}, name="reference_outline")
    extent = ColumnDataSource({"x": [], "y": []}, name="extent")
    f.quad(
        left="left", right="right", top="count", bottom=0, source=hist, color=CURRENT, alpha=0.55
    )
    f.line("x", "y", source=ref, line_color=REFERENCE, line_width=1.5)
    # the axes follow this invisible pair of corners, set by the page (see the module docstring)
    corners = f.scatter("x", "y", source=extent, size=0, visible=False)
    f.x_range = DataRange1d(renderers=[corners], range_padding=0.04)
    f.y_range = DataRange1d(renderers=[corners], range_padding=0.08)
    f.add_layout(
        BoxAnnotation(right=0, fill_color=LOSS, fill_alpha=0.07, line_alpha=0, name="loss")
    )
    f.add_layout(
        Span(
            location=0,
            dimension="height",
            line_color=LOSS,
            line_dash="dashed",
            line_width=1,
            name="zero",
        )
    )
    f.add_layout(
        Span(
            location=0,
            dimension="height",
            line_color=MARKER,
            line_width=2,
            name="mean",
            visible=False,
        )
    )
    f.add_layout(
        Span(
            location=0,
            dimension="height",
            line_color=CVAR,
            line_width=2,
            line_dash="dotdash",
            name="cvar",
            visible=False,
        )
    )
    readable_ticks(f)
    return to_json(f)


@functools.lru_cache(maxsize=8)
def frontier_figure(
    outcome: str = "profit", cvar_alpha: float = 0.05, width: int = 400, height: int = 270
) -> str:
    """Expected outcome against CVaR: the optimum for each risk preference (source
    ``frontier``), the chosen decision (``current``) and the reference decisions
    (``references``), within the axes' corners (``extent``)."""
    from bokeh.models import ColumnDataSource, DataRange1d, HoverTool
    from bokeh.plotting import figure

    f = figure(
        width=width,
        height=height,
        title="risk–return",
        toolbar_location=None,
        tools="",
        x_axis_label=f"CVaR {cvar_alpha:g} of {outcome} (worst {100 * cvar_alpha:g} %)",
        y_axis_label=f"expected {outcome}",
    )
    frontier = ColumnDataSource(
        {"cvar": [], "mean": [], "label": [], "decision": []}, name="frontier"
    )
    current = ColumnDataSource(
        {"cvar": [], "mean": [], "label": [], "decision": []}, name="current"
    )
    refs = ColumnDataSource(
        {"cvar": [], "mean": [], "label": [], "decision": []}, name="references"
    )
    extent = ColumnDataSource({"cvar": [], "mean": []}, name="extent")
    # the axes follow this invisible pair of corners (every point drawn, set by the page):
    # the chosen decision's point moving inside them repaints the plot, not its axes
    corners = f.scatter("cvar", "mean", source=extent, size=0, visible=False)
    f.x_range = DataRange1d(renderers=[corners], range_padding=0.1)
    f.y_range = DataRange1d(renderers=[corners], range_padding=0.1)
    f.line("cvar", "mean", source=frontier, color=CVAR, line_width=1.5)
    points = f.scatter("cvar", "mean", source=frontier, color=CVAR, size=7)
    ref_points = f.scatter("cvar", "mean", source=refs, color=REFERENCE, size=9, marker="square")
    cur = f.scatter("cvar", "mean", source=current, color=CURRENT, size=11, marker="diamond")
    f.add_tools(
        HoverTool(
            renderers=[points, ref_points, cur],
            tooltips=[
                ("", "@label"),
                ("decision", "@decision"),
                ("expected", "@mean{0,0.[00]}"),
                ("CVaR", "@cvar{0,0.[00]}"),
            ],
        )
    )
    readable_ticks(f)
    return to_json(f)


def corners(*columns_list: dict[str, list]) -> dict[str, list[float]]:
    """The risk–return plot's ``extent``: the lower-left and upper-right corners of every
    point in ``columns_list`` (sources' ``cvar`` and ``mean`` columns); missing values
    are skipped."""
    xs = [float(v) for c in columns_list for v in c.get("cvar", []) if v is not None]
    ys = [float(v) for c in columns_list for v in c.get("mean", []) if v is not None]
    if not xs or not ys:
        return {"cvar": [], "mean": []}
    return {"cvar": [min(xs), max(xs)], "mean": [min(ys), max(ys)]}


def outcome_data(summary: dict[str, Any], references: list[dict[str, Any]]) -> dict[str, Any]:
    """The outcome figure's sources for a decision's ``summary`` (with its ``view``) and the
    first of the ``references`` (with its ``outline``)."""
    edges = summary.get("edges") or []
    data: dict[str, Any] = {
        "hist": {"left": edges[:-1], "right": edges[1:], "count": summary.get("counts") or []},
        "extent": dict(summary.get("view") or {}),
    }
    if references:
        data["reference_outline"] = references[0]["outline"]
    return data


def frontier_data(
    summary: dict[str, Any], references: list[dict[str, Any]], frontier: list[dict[str, Any]]
) -> dict[str, Any]:
    """The risk–return figure's sources: the chosen decision, the references, the frontier
    (rows with ``cvar``, ``mean``, ``label`` and ``x``) and the corners of them all."""

    def cols(rows: list[dict[str, Any]]) -> dict[str, list]:
        return {
            "cvar": [r.get("cvar") for r in rows],
            "mean": [r.get("mean") for r in rows],
            "label": [r.get("label", "") for r in rows],
            "decision": [
                ", ".join(f"{k}={v:g}" for k, v in (r.get("x") or {}).items()) for r in rows
            ],
        }

    data: dict[str, Any] = {
        "current": cols([{**summary, "label": "this decision"}]),
        "references": cols(references),
        "frontier": cols(frontier),
    }
    data["extent"] = corners(*data.values())
    return data


__all__ = [
    "CURRENT",
    "CVAR",
    "LOSS",
    "REFERENCE",
    "corners",
    "frontier_data",
    "frontier_figure",
    "histogram_outline",
    "outcome_data",
    "outcome_figure",
    "outcome_view",
]
