"""A model's graph as a Bokeh figure: variables as nodes, dependencies as arrows.

Built from the rows of :func:`bayes_widgets.core.model_info.model_rows` (name, kind,
distribution, dims, parents), so it needs no Graphviz. Nodes are laid out in layers by
their depth (roots at the top, observed variables at the bottom); within a layer they
are ordered to keep arrows short. Free variables are light circles, observed ones dark,
deterministics grey squares, data orange squares; each label, right of its node, gives
the distribution and the dims::

    fig = model_graph_figure(model_rows(model))   # a Bokeh figure
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bayes_widgets.core.figures.palette import GUIDE, NODE_COLORS, TEXT

__all__ = ["graph_layout", "model_graph_figure"]

_MARKERS = {"free": "circle", "observed": "circle", "deterministic": "square", "data": "square"}
KIND_STYLE = {kind: {"marker": _MARKERS[kind], **NODE_COLORS[kind]} for kind in _MARKERS}
"""Marker, fill and outline per kind: mid-tone fills, visible on light and dark backgrounds."""
CHAR_PX = 7
"""Approximate width of a label character at 9pt, for spacing the nodes of a layer."""


def graph_layout(rows: Sequence[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Positions (x, y) of every node: y = -depth, x spread within the layer.

    Depth is the longest path from a root; a layer is ordered by the mean x of each
    node's parents (a barycentre pass), so children sit under their parents.
    """
    names = [r["name"] for r in rows]
    known = set(names)
    parents = {
        r["name"]: [p for p in r.get("parents", ()) if p in known and p != r["name"]] for r in rows
    }
    depth: dict[str, int] = {}

    def depth_of(name: str, seen: frozenset = frozenset()) -> int:
        if name in depth:
            return depth[name]
        if name in seen:  # a cycle cannot occur in a model graph; guard anyway
            return 0
        d = 1 + max((depth_of(p, seen | {name}) for p in parents[name]), default=-1)
        depth[name] = d
        return d

    for n in names:
        depth_of(n)
    layers: dict[int, list[str]] = {}
    for n in names:
        layers.setdefault(depth[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for d in sorted(layers):
        layer = layers[d]
        if d > 0:

            def centre(n: str, layer=layer) -> float:
                xs = [pos[p][0] for p in parents[n] if p in pos]
                return sum(xs) / len(xs) if xs else float(layer.index(n))

            layer.sort(key=centre)
        width = len(layer)
        for i, n in enumerate(layer):
            pos[n] = (i - (width - 1) / 2, -float(d))
    return pos


def _label(row: dict[str, Any]) -> str:
    dims = row.get("dims") or []
    shape = row.get("shape")
    extent = f" ({', '.join(dims)})" if dims else (f" {tuple(shape)}" if shape else "")
    dist = row.get("distribution") or row["kind"]
    return (
        f"{row['name']} ~ {dist}{extent}"
        if row["kind"] in ("free", "observed")
        else f"{row['name']}: {dist}{extent}"
    )


def model_graph_figure(
    rows: Sequence[dict[str, Any]],
    *,
    width: int | None = None,
    height: int | None = None,
    title: str | None = None,
):
    """The graph of a model's variables (see the module docstring), a Bokeh figure."""
    from bokeh.models import Range1d
    from bokeh.plotting import figure

    rows = list(rows)
    if not rows:
        raise ValueError("rows: the model has no variables")
    pos = graph_layout(rows)
    n_layers = int(-min(y for _, y in pos.values())) + 1
    widest = max(sum(1 for _, y in pos.values() if y == -d) for d in range(n_layers))
    height = height or max(160, 80 * n_layers + 40)
    slot = CHAR_PX * max(len(_label(r)) for r in rows) + 40  # px per node: its label fits
    width = width or int(min(1100, max(320, slot * (widest + 0.4))))
    f = figure(
        width=width,
        height=height,
        title=title,
        tools="pan,wheel_zoom,reset,hover",
        x_range=Range1d(start=-widest / 2 + 0.3, end=widest / 2 + 0.3),
        y_range=Range1d(start=-(n_layers - 1) - 0.4, end=0.4),
        tooltips=[("variable", "@name"), ("kind", "@kind"), ("depends on", "@parents")],
    )
    _draw_edges(f, rows, pos)
    _draw_nodes(f, rows, pos)
    f.axis.visible = False
    f.grid.visible = False
    f.outline_line_color = None
    f.toolbar.logo = None
    return f


def _draw_edges(f, rows: list[dict[str, Any]], pos: dict[str, tuple[float, float]]) -> None:
    """One segment per dependency, parent to child, with an arrowhead near the child."""
    xs0, ys0, xs1, ys1 = [], [], [], []
    for r in rows:
        x1, y1 = pos[r["name"]]
        for p in r.get("parents", ()):
            if p in pos and p != r["name"]:
                x0, y0 = pos[p]
                xs0.append(x0)
                ys0.append(y0 - 0.12)
                xs1.append(x1)
                ys1.append(y1 + 0.12)
    f.segment(x0=xs0, y0=ys0, x1=xs1, y1=ys1, line_color=GUIDE, line_width=1.5, name="edges")
    f.scatter(
        x=[(a + 3 * b) / 4 for a, b in zip(xs0, xs1, strict=True)],
        y=[(a + 3 * b) / 4 for a, b in zip(ys0, ys1, strict=True)],
        marker="triangle",
        size=7,
        color=GUIDE,
        angle=[_angle(a, b, c, d) for a, b, c, d in zip(xs0, ys0, xs1, ys1, strict=True)],
    )


def _draw_nodes(f, rows: list[dict[str, Any]], pos: dict[str, tuple[float, float]]) -> None:
    """The variables (source ``nodes``), styled by kind, each labelled on its right."""
    from bokeh.models import ColumnDataSource, LabelSet

    styles = [KIND_STYLE.get(r["kind"], KIND_STYLE["free"]) for r in rows]
    nodes = ColumnDataSource(
        {
            "x": [pos[r["name"]][0] for r in rows],
            "y": [pos[r["name"]][1] for r in rows],
            "name": [r["name"] for r in rows],
            "kind": [r["kind"] for r in rows],
            "parents": [", ".join(r.get("parents", ())) or "–" for r in rows],
            "label": [_label(r) for r in rows],
            "marker": [s["marker"] for s in styles],
            "fill": [s["fill"] for s in styles],
            "line": [s["line"] for s in styles],
        },
        name="nodes",
    )
    f.scatter(
        "x",
        "y",
        source=nodes,
        marker="marker",
        size=16,
        fill_color="fill",
        line_color="line",
        line_width=2,
    )
    f.add_layout(
        LabelSet(
            x="x",
            y="y",
            text="label",
            source=nodes,
            x_offset=12,
            text_align="left",
            text_baseline="middle",
            text_font_size="9pt",
            text_color=TEXT,
        )
    )


def _angle(x0: float, y0: float, x1: float, y1: float) -> float:
    """Rotation of a triangle marker (pointing up at 0) so it points from (x0, y0) to (x1, y1)."""
    import math

    return math.atan2(y1 - y0, x1 - x0) - math.pi / 2
