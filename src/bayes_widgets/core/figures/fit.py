"""The fit monitor's trace and rank figure: a template the page streams draws into.

Data sources carry names (``warm-<chain>`` for the tuning draws, ``trace-<chain>`` for
the draws after tuning, ``div-<chain>``, ``rank-<k>``) so the browser can find them and
stream new draws in without rebuilding the figure. Once a chain has draws after tuning,
each trace plot's y range (``trace-y-<k>``) spans only those (the lines named
``post-<k>-<chain>``): the warm-up stays drawn but no longer sets the scale::

    text = trace_rank_figure(["mu", "sigma"], chains=4, tune=500)  # json_item string
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence

import numpy as np

from bayes_widgets.core.figures.base import (
    Columns,
    fill_sources,
    fresh_ids,
    json_column,
    to_json,
    with_fresh_ids,
)
from bayes_widgets.core.figures.format import readable_ticks, tick_count
from bayes_widgets.core.figures.palette import GUIDE, HIGHLIGHT, SERIES, chain_color

__all__ = [
    "MAX_POINTS",
    "TRACE_TICKS",
    "column",
    "rank_columns",
    "trace_columns",
    "trace_rank_figure",
    "with_fresh_ids",
]

PALETTE = SERIES
"""The chain colors (kept under this name for older imports; see ``palette``)."""
DIVERGENT = HIGHLIGHT
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
) -> tuple[Columns, Columns, Columns]:
    """Columns of one chain's sources: its tuning draws (``warm-<chain>``), its draws
    after tuning (``trace-<chain>``) and its divergences (``div-<chain>``)."""
    idx = np.arange(start, start + len(values))
    keep = np.arange(len(values))
    if thin_to and len(values) > thin_to:
        keep = np.unique(np.linspace(0, len(values) - 1, thin_to).astype(int))
    rounded = _round_significant(values)
    tuning = np.asarray(tuning, dtype=bool)

    def columns(rows: np.ndarray) -> Columns:
        out = {"x": idx[rows].tolist()}
        for j in range(len(names)):
            out[column(j)] = json_column(rounded[rows, j])
        return out

    return (
        columns(keep[tuning[keep]]),
        columns(keep[~tuning[keep]]),
        columns(np.flatnonzero(diverging)),
    )


def _round_significant(values: np.ndarray, digits: int = 6) -> np.ndarray:
    """Each column rounded to ``digits`` significant digits of its largest value:
    plenty for a plot, and half the bytes of full doubles in JSON."""
    if values.size == 0:
        return values
    with np.errstate(all="ignore"):
        scale = np.nanmax(np.abs(np.where(np.isfinite(values), values, np.nan)), axis=0)
        decimals = digits - 1 - np.floor(np.log10(np.where(scale > 0, scale, 1.0)))
    decimals = np.nan_to_num(decimals, nan=digits).astype(int)
    out = np.empty_like(values, dtype=float)
    for j, d in enumerate(decimals):
        out[:, j] = np.round(values[:, j], int(d))
    return out


def rank_columns(counts: np.ndarray, bins: int) -> Columns:
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
    traces: dict[int, tuple[dict, dict, dict]] | None = None,
    ranks: np.ndarray | None = None,
    bins: int = 20,
) -> str:
    """Trace (left) and rank (right) plots, one row per traced scalar, as a json_item string.

    ``traces`` maps a chain to its (warm-up, after tuning, divergences) columns (see
    :func:`trace_columns`). The empty layout is built once per (names, chains, tune, bins)
    with Bokeh; the data are then written into its named sources, and every call gets
    fresh model ids so several figures can share a page.
    """
    traces = traces or {}
    follow = any(len(post.get("x", ())) for _, post, _ in traces.values())
    text = fresh_ids(
        _empty_figure(tuple(names), chains, tune, bins, follow_post=follow), uuid.uuid4().hex[:8]
    )
    data: dict[str, dict[str, list]] = {}
    for c, (warm, post, divs) in traces.items():
        data[f"warm-{c}"] = warm
        data[f"trace-{c}"] = post
        data[f"div-{c}"] = divs
    if ranks is not None:
        for j in range(len(names)):
            data[f"rank-{j}"] = rank_columns(ranks[j], bins)
    if not data:
        return text
    item = json.loads(text)
    fill_sources(item, data)
    return json.dumps(item)


TRACE_TICKS = 4
"""Ticks wanted on a trace plot's y axis (a short plot: more would crowd the labels)."""
WARM_ALPHA = 0.45
"""Opacity of the warm-up lines (the draws after tuning are drawn at 0.8)."""


@functools.lru_cache(maxsize=64)
def _empty_figure(
    names: tuple[str, ...],
    chains: int,
    tune: int,
    bins: int,
    *,
    follow_post: bool = False,
    width: int = 360,
    row_height: int = 140,
) -> str:
    """The layout without data, as a json_item string. With ``follow_post`` each trace
    plot's y range spans only the draws after tuning (the browser switches to that once
    such draws stream in)."""
    from bokeh.layouts import gridplot
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    empty = {"x": [], **{column(j): [] for j in range(len(names))}}
    sources = {
        kind: [ColumnDataSource(dict(empty), name=f"{kind}-{c}") for c in range(chains)]
        for kind in ("warm", "trace", "div")
    }
    rows = []
    shared_x = None
    for j, name in enumerate(names):
        f = _trace_plot(j, name, sources, tune, shared_x, follow_post, width, row_height)
        f.xaxis.axis_label = "draw" if j == len(names) - 1 else None
        shared_x = f.x_range
        r = _rank_plot(j, name, chains, bins, width, row_height)
        rows.append([f, r])
    grid = (
        gridplot(rows, toolbar_location=None, merge_tools=True)
        if rows
        else figure(width=width, height=60)
    )
    return to_json(grid)


def _trace_plot(j, name, sources, tune, shared_x, follow_post, width, row_height):
    """Row ``j``'s trace plot: every chain's warm-up and later draws, and divergences."""
    from bokeh.models import DataRange1d, Span
    from bokeh.plotting import figure

    opts = {"x_range": shared_x} if shared_x is not None else {}
    y_range = DataRange1d(name=f"trace-y-{j}")
    f = figure(
        width=width,
        height=row_height,
        title=name,
        toolbar_location=None,
        tools="",
        y_range=y_range,
        **opts,
    )
    post_lines = []
    for c, (warm, post, div) in enumerate(zip(*sources.values(), strict=True)):
        color = chain_color(c)
        line = {"source": warm, "color": color, "line_width": 1}
        f.line("x", column(j), alpha=WARM_ALPHA, name=f"warm-{j}-{c}", **line)
        line["source"] = post
        post_lines.append(f.line("x", column(j), alpha=0.8, name=f"post-{j}-{c}", **line))
        f.scatter("x", column(j), source=div, marker="x", color=DIVERGENT, size=7)
    if follow_post:
        y_range.renderers = post_lines
    if tune:
        f.add_layout(
            Span(
                location=tune - 0.5,
                dimension="height",
                line_color=GUIDE,
                line_dash="dashed",
                line_width=1,
            )
        )
    tick_count(f, TRACE_TICKS)
    return readable_ticks(f)


def _rank_plot(j, name, chains, bins, width, row_height):
    """Row ``j``'s rank plot (source ``rank-<j>``); the first one carries the chains' legend."""
    from bokeh.models import ColumnDataSource, Legend
    from bokeh.plotting import figure

    rsrc = ColumnDataSource(rank_columns(np.zeros((chains, bins)), bins), name=f"rank-{j}")
    # frame_width: every rank plot's frame as wide, the first one's legend beside it
    r = figure(
        frame_width=width // 2 - 10,
        height=row_height,
        title=f"{name} ranks",
        toolbar_location=None,
        tools="",
    )
    steps = [
        r.step("bin", f"c{c}", source=rsrc, mode="center", color=chain_color(c), line_width=1.5)
        for c in range(chains)
    ]
    if j == 0 and chains:
        # one legend for the whole grid, at its top right, outside every plot's data
        legend = Legend(
            # bokeh's stubs omit Legend(items=)
            items=[_legend_item(f"chain {c}", steps[c]) for c in range(chains)],  # pyright: ignore[reportCallIssue]
            label_text_font_size="8pt",
            padding=2,
            spacing=0,
            margin=4,
            border_line_alpha=0,
            background_fill_alpha=0,
            location="top_left",
        )
        r.add_layout(legend, "right")
    r.yaxis.visible = False
    return readable_ticks(r, "x")


def _legend_item(label: str, renderer):
    """A legend entry for one renderer."""
    from bokeh.models import LegendItem

    return LegendItem(label=label, renderers=[renderer])
