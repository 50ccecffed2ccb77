"""An MMM channel's transforms as curves: adstock weights over lags and the saturation
curve over spend, prior bands with posterior bands over them, the observed spend marked.

A template (a cached ``json_item`` string) the page fills: sources ``adstock_prior``,
``adstock_posterior``, ``saturation_prior``, ``saturation_posterior`` (columns ``x``,
``q05``, ``q25``, ``q50``, ``q75``, ``q95``) and ``spend_range`` (one quad: ``left``,
``right``, ``bottom``, ``top``)::

    text = with_fresh_ids(transform_figure())
    sources = transform_sources(view)       # the columns of each source, from
                                            # core.mmm.transform_bands.TransformBands.bands
"""

from __future__ import annotations

import functools
from typing import Any

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.format import readable_ticks, tick_count
from bayes_widgets.core.figures.palette import (
    BAND_ALPHA_50,
    BAND_ALPHA_90,
    GUIDE,
    series_color,
)

PRIOR = series_color(0)
POSTERIOR = series_color(1)
BAND_COLUMNS = ("x", "q05", "q25", "q50", "q75", "q95")
SOURCES = (
    "adstock_prior",
    "adstock_posterior",
    "saturation_prior",
    "saturation_posterior",
)


def _bands(f, source, color: str, label: str) -> list[tuple[str, list]]:
    """A 90% and a 50% band and the median of ``source``; their legend entries."""
    band = {"x": "x", "source": source, "color": color}
    return [
        (f"{label} 90%", [f.varea(y1="q05", y2="q95", alpha=BAND_ALPHA_90, **band)]),
        (f"{label} 50%", [f.varea(y1="q25", y2="q75", alpha=BAND_ALPHA_50, **band)]),
        (f"{label} median", [f.line("x", "q50", source=source, color=color, line_width=2)]),
    ]


def _legend_items(entries: list[tuple[str, list]]) -> list:
    """Legend entries; the posterior's are named ``legend_posterior_0`` ... (the page
    hides them until there is a posterior)."""
    from bokeh.models import LegendItem

    posterior = [label for label, _ in entries if label.startswith("posterior")]
    return [
        LegendItem(
            label=label,
            renderers=renderers,
            name=f"legend_posterior_{posterior.index(label)}" if label in posterior else None,
        )
        for label, renderers in entries
    ]


@functools.lru_cache(maxsize=4)
def transform_figure(width: int = 340, height: int = 230) -> str:
    """The adstock and saturation plots side by side, one legend at the right."""
    from bokeh.layouts import row
    from bokeh.models import ColumnDataSource, Legend
    from bokeh.plotting import figure

    empty = {c: [] for c in BAND_COLUMNS}
    src = {name: ColumnDataSource(dict(empty), name=name) for name in SOURCES}
    common: dict[str, Any] = {"height": height, "toolbar_location": None, "tools": ""}
    adstock = figure(width=width, title="adstock: weight of a unit of spend", **common)
    adstock.xaxis.axis_label = "periods after the spend (lag)"
    adstock.yaxis.axis_label = "weight"
    saturation = figure(width=width + 150, title="saturation: contribution per period", **common)
    saturation.xaxis.axis_label = "spend per period"
    saturation.yaxis.axis_label = "contribution"
    observed = ColumnDataSource(
        {"left": [], "right": [], "bottom": [], "top": []}, name="spend_range"
    )
    spend = saturation.quad(
        left="left",
        right="right",
        bottom="bottom",
        top="top",
        source=observed,
        color=GUIDE,
        alpha=0.15,
        line_alpha=0,
    )
    items: list[tuple[str, list]] = []
    for name, plot in (("adstock", adstock), ("saturation", saturation)):
        items = _bands(plot, src[f"{name}_prior"], PRIOR, "prior")
        items += _bands(plot, src[f"{name}_posterior"], POSTERIOR, "posterior")
        readable_ticks(plot)
        tick_count(plot, 5, "xy")
    items.append(("observed spend", [spend]))
    # bokeh's stubs omit Legend(items=)
    legend = Legend(items=_legend_items(items), label_text_font_size="8pt", location="top_left")  # pyright: ignore[reportCallIssue]
    saturation.add_layout(legend, "right")
    return to_json(row(adstock, saturation))


def transform_sources(view: dict[str, Any]) -> dict[str, dict[str, list]]:
    """The columns of each source for a view of ``TransformBands.bands``: the bands, and
    the observed spend as a box under the saturation curves' full height."""
    out: dict[str, dict[str, list]] = {}
    top = 0.0
    for name in SOURCES:
        kind, which = name.split("_")
        bands = view.get(kind, {}).get(which)
        x = view["lags"] if kind == "adstock" else view["spend"]
        out[name] = (
            {c: [] for c in BAND_COLUMNS}
            if not bands
            else {"x": list(x), **{f"q{round(100 * float(p)):02d}": v for p, v in bands.items()}}
        )
        if kind == "saturation" and bands:
            top = max([top, *(v for v in out[name].get("q95", []) if v == v)])
    low, high = view["spend_range"]
    out["spend_range"] = {"left": [low], "right": [high], "bottom": [0.0], "top": [top or 1.0]}
    return out
