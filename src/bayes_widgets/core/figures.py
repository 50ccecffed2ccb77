"""Bokeh figures of the live views, built in Python and rendered by BokehJS.

Data sources carry names (``trace-<chain>``, ``div-<chain>``, ``rank-<k>``) so the
browser can find them and stream new draws in without rebuilding the figure.
Builders return a ``json_item`` string: a string, not a dict, because saved widget
state sorts dict keys and Bokeh needs its references defined before use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
DIVERGENT = "#d62728"
MAX_POINTS = 500
"""Points per chain kept in a saved figure (thinned evenly)."""


def column(j: int) -> str:
    return f"v{j}"


def trace_columns(
    names: Sequence[str],
    values: np.ndarray,
    tuning: np.ndarray,
    diverging: np.ndarray,
    start: int,
    thin_to: int | None = None,
) -> tuple[dict[str, list], dict[str, list]]:
    """Columns for one chain's trace source and divergence source."""
    idx = np.arange(start, start + len(values))
    keep = slice(None)
    if thin_to and len(values) > thin_to:
        keep = np.unique(np.linspace(0, len(values) - 1, thin_to).astype(int))
    trace = {"x": idx[keep].tolist()}
    for j in range(len(names)):
        trace[column(j)] = _finite(values[keep, j])
    div_idx = np.flatnonzero(diverging)
    divs = {"x": idx[div_idx].tolist()}
    for j in range(len(names)):
        divs[column(j)] = _finite(values[div_idx, j])
    return trace, divs


def _finite(a: np.ndarray) -> list:
    """JSON-ready values, 6 significant digits (plenty for a plot, half the bytes)."""
    return [float(f"{v:.6g}") if np.isfinite(v) else None for v in a]


def rank_columns(counts: np.ndarray, bins: int) -> dict[str, list]:
    """Columns of one variable's rank source from (chain, bins) counts."""
    data = {"bin": (np.arange(bins) + 0.5).tolist()}
    for c in range(counts.shape[0]):
        data[f"c{c}"] = counts[c].tolist()
    return data


def trace_rank_figure(
    names: Sequence[str],
    chains: int,
    tune: int,
    *,
    traces: dict[int, tuple[dict, dict]] | None = None,
    ranks: np.ndarray | None = None,
    bins: int = 20,
    width: int = 360,
    row_height: int = 140,
) -> str:
    """Trace (left) and rank (right) plots, one row per traced scalar, as a json_item string."""
    from bokeh.embed import json_item
    from bokeh.layouts import gridplot
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    traces = traces or {}
    k = len(names)
    sources = []
    div_sources = []
    for c in range(chains):
        trace, divs = traces.get(c, ({"x": []}, {"x": []}))
        for j in range(k):
            trace.setdefault(column(j), [])
            divs.setdefault(column(j), [])
        sources.append(ColumnDataSource(trace, name=f"trace-{c}"))
        div_sources.append(ColumnDataSource(divs, name=f"div-{c}"))
    rows = []
    shared_x = None
    for j, name in enumerate(names):
        opts = {"x_range": shared_x} if shared_x is not None else {}
        f = figure(width=width, height=row_height, title=name, toolbar_location=None, **opts)
        shared_x = f.x_range
        for c in range(chains):
            legend = {"legend_label": f"chain {c}"} if j == 0 else {}
            f.line("x", column(j), source=sources[c], color=PALETTE[c % len(PALETTE)],
                   line_width=1, alpha=0.8, **legend)
            f.scatter("x", column(j), source=div_sources[c], marker="x", color=DIVERGENT, size=7)
        if tune:
            f.add_layout(Span(location=tune - 0.5, dimension="height", line_color="#999",
                              line_dash="dashed", line_width=1))
        if j == 0 and chains:
            f.legend.location = "top_left"
            f.legend.label_text_font_size = "8pt"
            f.legend.background_fill_alpha = 0.5
            f.legend.padding = 2
            f.legend.spacing = 0
        f.xaxis.axis_label = "draw" if j == k - 1 else None
        counts = ranks[j] if ranks is not None else np.zeros((chains, bins))
        rsrc = ColumnDataSource(rank_columns(counts, bins), name=f"rank-{j}")
        r = figure(width=width // 2 + 40, height=row_height, title=f"{name} ranks",
                   toolbar_location=None)
        for c in range(chains):
            r.step("bin", f"c{c}", source=rsrc, mode="center", color=PALETTE[c % len(PALETTE)], line_width=1.5)
        r.yaxis.visible = False
        rows.append([f, r])
    grid = gridplot(rows, toolbar_location=None, merge_tools=True) if rows else figure(width=width, height=60)
    return json.dumps(json_item(grid))
