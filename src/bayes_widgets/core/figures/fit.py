"""Bokeh figures of the live views, built in Python and rendered by BokehJS.

Data sources carry names (``warm-<chain>`` for the tuning draws, ``trace-<chain>`` for
the draws after tuning, ``div-<chain>``, ``rank-<k>``) so the browser can find them and
stream new draws in without rebuilding the figure. Once a chain has draws after tuning,
each trace plot's y range (``trace-y-<k>``) spans only those (the lines named
``post-<k>-<chain>``): the warm-up stays drawn but no longer sets the scale.
Builders return a ``json_item`` string: a string, not a dict, because saved widget
state sorts dict keys and Bokeh needs its references defined before use.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Sequence

import numpy as np

from bayes_widgets.core.figures.format import readable_ticks

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
) -> tuple[dict[str, list], dict[str, list], dict[str, list]]:
    """Columns of one chain's sources: its tuning draws (``warm-<chain>``), its draws
    after tuning (``trace-<chain>``) and its divergences (``div-<chain>``)."""
    idx = np.arange(start, start + len(values))
    keep = np.arange(len(values))
    if thin_to and len(values) > thin_to:
        keep = np.unique(np.linspace(0, len(values) - 1, thin_to).astype(int))
    rounded = _round_significant(values)
    tuning = np.asarray(tuning, dtype=bool)

    def columns(rows: np.ndarray) -> dict[str, list]:
        out = {"x": idx[rows].tolist()}
        for j in range(len(names)):
            out[column(j)] = _json_column(rounded[rows, j])
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


def _json_column(a: np.ndarray) -> list:
    """JSON-ready values: NaN and infinities become None."""
    if np.isfinite(a).all():
        return a.tolist()
    return [float(v) if np.isfinite(v) else None for v in a]


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
    text = _fresh_ids(
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
    _fill_sources(item, data)
    return json.dumps(item)


def _fill_sources(node, data: dict[str, dict[str, list]]) -> None:
    """Writes ``data[name]`` into the (first, defining) JSON of each named source."""
    if isinstance(node, dict):
        attrs = node.get("attributes")
        if (
            node.get("name") == "ColumnDataSource"
            and isinstance(attrs, dict)
            and attrs.get("name") in data
        ):
            attrs["data"] = {
                "type": "map",
                "entries": [[k, list(v)] for k, v in data[attrs["name"]].items()],
            }
            return
        for v in node.values():
            _fill_sources(v, data)
    elif isinstance(node, list):
        for v in node:
            _fill_sources(v, data)


_ID = re.compile(r'"(id|root_id)": "([^"\\]+)"')


def with_fresh_ids(text: str) -> str:
    """A json_item string whose model ids are new, so the same cached figure can be shown
    several times on one page."""
    return _fresh_ids(text, uuid.uuid4().hex[:8])


def _fresh_ids(text: str, suffix: str) -> str:
    """Makes every model id (definitions and references) unique to this figure.

    Ids only ever appear as ``"id": "..."`` or ``"root_id": "..."`` keys of the JSON;
    inside a JSON string a quote is escaped, so a title cannot match.
    """
    return _ID.sub(lambda m: f'"{m[1]}": "{m[2]}-{suffix}"', text)


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
    """The layout without data. With ``follow_post`` each trace plot's y range spans only
    the draws after tuning (the browser switches to that once such draws stream in)."""
    from bokeh.embed import json_item
    from bokeh.layouts import gridplot
    from bokeh.models import ColumnDataSource, DataRange1d, Legend, LegendItem, Span
    from bokeh.plotting import figure

    k = len(names)
    empty = {"x": [], **{column(j): [] for j in range(k)}}
    warm_sources = [ColumnDataSource(dict(empty), name=f"warm-{c}") for c in range(chains)]
    sources = [ColumnDataSource(dict(empty), name=f"trace-{c}") for c in range(chains)]
    div_sources = [ColumnDataSource(dict(empty), name=f"div-{c}") for c in range(chains)]
    rows = []
    shared_x = None
    for j, name in enumerate(names):
        opts = {"x_range": shared_x} if shared_x is not None else {}
        f = figure(
            width=width,
            height=row_height,
            title=name,
            toolbar_location=None,
            tools="",
            y_range=DataRange1d(name=f"trace-y-{j}"),
            **opts,
        )
        shared_x = f.x_range
        post_lines = []
        for c in range(chains):
            color = PALETTE[c % len(PALETTE)]
            f.line(
                "x",
                column(j),
                source=warm_sources[c],
                color=color,
                line_width=1,
                alpha=WARM_ALPHA,
                name=f"warm-{j}-{c}",
            )
            post_lines.append(
                f.line(
                    "x",
                    column(j),
                    source=sources[c],
                    color=color,
                    line_width=1,
                    alpha=0.8,
                    name=f"post-{j}-{c}",
                )
            )
            f.scatter("x", column(j), source=div_sources[c], marker="x", color=DIVERGENT, size=7)
        if follow_post:
            f.y_range.renderers = post_lines
        if tune:
            f.add_layout(
                Span(
                    location=tune - 0.5,
                    dimension="height",
                    line_color="#999",
                    line_dash="dashed",
                    line_width=1,
                )
            )
        f.yaxis.ticker.desired_num_ticks = TRACE_TICKS
        f.xaxis.axis_label = "draw" if j == k - 1 else None
        readable_ticks(f)
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
            r.step(
                "bin",
                f"c{c}",
                source=rsrc,
                mode="center",
                color=PALETTE[c % len(PALETTE)],
                line_width=1.5,
            )
            for c in range(chains)
        ]
        if j == 0 and chains:
            # one legend for the whole grid, at its top right, outside every plot's data
            legend = Legend(
                items=[LegendItem(label=f"chain {c}", renderers=[steps[c]]) for c in range(chains)],
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
        readable_ticks(r, "x")
        rows.append([f, r])
    grid = (
        gridplot(rows, toolbar_location=None, merge_tools=True)
        if rows
        else figure(width=width, height=60)
    )
    return json.dumps(json_item(grid))
