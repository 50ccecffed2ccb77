"""A standalone HTML report of fleets: summary tables and plots, readable offline.

BokehJS is inlined (no CDN), and every user-given name (run ids, channels, parameters)
is HTML-escaped, so the file opens anywhere with no network request and shows names as
text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.fleet.store import RunStore

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _predictions_figure(preds: pd.DataFrame, title: str):
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    preds = preds.copy()
    preds["date"] = pd.to_datetime(preds["date"])
    src = ColumnDataSource(preds)
    f = figure(
        width=760, height=240, x_axis_type="datetime", title=title, tools="pan,wheel_zoom,reset"
    )
    f.varea(x="date", y1="q05", y2="q95", source=src, alpha=0.18, legend_label="90%")
    f.varea(x="date", y1="q25", y2="q75", source=src, alpha=0.35, legend_label="50%")
    f.line("date", "median", source=src, line_width=2, legend_label="median")
    if "actual" in preds:
        f.scatter("date", "actual", source=src, size=3, color="black", legend_label="actual")
    if "split" in preds and (preds["split"] == "test").any():
        start = preds.loc[preds["split"] == "test", "date"].iloc[0]
        f.add_layout(
            Span(location=start, dimension="height", line_dash="dashed", line_color="#888")
        )
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "8pt"
    return f


def _recovery_figure(table: pd.DataFrame, title: str):
    from bokeh.models import ColumnDataSource, HoverTool, Slope
    from bokeh.plotting import figure

    src = ColumnDataSource(table)
    f = figure(
        width=380,
        height=320,
        title=title,
        x_axis_label="true",
        y_axis_label="fitted (mean, 94%)",
        tools="pan,wheel_zoom,reset",
    )
    f.segment("true", "low", "true", "high", source=src, color="#999")
    f.scatter("true", "mean", source=src, size=7)
    f.add_layout(Slope(gradient=1, y_intercept=0, line_dash="dashed", line_color="#d62728"))
    f.add_tools(
        HoverTool(tooltips=[("parameter", "@parameter"), ("true", "@true"), ("fitted", "@mean")])
    )
    return f


def _colors(n: int) -> list[str]:
    from bokeh.palettes import Category10, Category20

    return list(Category10[10][:n]) if n <= 10 else [Category20[20][i % 20] for i in range(n)]


def _contributions_figure(table: pd.DataFrame, title: str):
    """Each channel's contribution per week (posterior mean, original units), stacked."""
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    table = table.copy()
    table["date"] = pd.to_datetime(table["date"])
    channels = [c for c in table.columns if c != "date"]
    src = ColumnDataSource(
        {"date": table["date"], **{f"c{i}": table[c].clip(lower=0) for i, c in enumerate(channels)}}
    )
    f = figure(
        width=760, height=240, x_axis_type="datetime", title=title, tools="pan,wheel_zoom,reset"
    )
    f.varea_stack(
        stackers=[f"c{i}" for i in range(len(channels))],
        x="date",
        source=src,
        color=_colors(len(channels)),
        legend_label=[str(c) for c in channels],
        alpha=0.8,
    )
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "7pt"
    f.legend.ncols = min(5, len(channels))
    return f


def _spread_figure(table: pd.DataFrame, prefix: str, title: str):
    """One dot per finished run for each channel's ``prefix`` metric (share or ROAS)."""
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    done = table[table["status"] == "done"]
    cols = [c for c in done.columns if c.startswith(prefix)]
    if done.empty or not cols:
        return None
    channels = [c.removeprefix(prefix) for c in cols]
    rows = [
        {"channel": ch, "value": float(v), "run": str(run)}
        for run, (_, r) in zip(done["run_id"], done.iterrows(), strict=True)
        for ch, c in zip(channels, cols, strict=True)
        for v in [r[c]]
        if pd.notna(v)
    ]
    src = ColumnDataSource(pd.DataFrame(rows))
    f = figure(width=760, height=240, x_range=channels, title=title, tools="pan,wheel_zoom,reset")
    f.scatter("channel", "value", source=src, size=8, alpha=0.7)
    f.add_tools(HoverTool(tooltips=[("run", "@run"), ("channel", "@channel"), ("value", "@value")]))
    f.xaxis.major_label_orientation = 0.6
    return f


def run_figures(run_dir: Path, run_id: str) -> list:
    """The plots a finished run left behind: predicted vs actual with bands, forecast,
    channel contributions over time, true vs fitted (recovery)."""
    figures = []
    files = (
        ("predictions.csv", _predictions_figure, "predicted vs actual"),
        ("forecast.csv", _predictions_figure, "forecast"),
        ("contributions.csv", _contributions_figure, "channel contributions"),
        ("recovery.csv", _recovery_figure, "true vs fitted"),
    )
    for name, make, what in files:
        if (run_dir / name).exists():
            figures.append(make(pd.read_csv(run_dir / name), f"{run_id}: {what}"))
    return figures


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(
        index=False,
        escape=True,
        float_format=lambda x: f"{x:.4g}",
        na_rep="–",
        classes="bw-table",
        border=0,
    )


def fleet_report(
    fleets: Any | Iterable[Any], path: str | Path, *, title: str = "Fleet report"
) -> Path:
    """Writes one HTML file with a section per fleet (``FleetResult`` objects)."""
    from bokeh.embed import components
    from bokeh.layouts import column
    from bokeh.resources import INLINE

    fleets = [fleets] if hasattr(fleets, "summary") else list(fleets)
    sections = []
    plots = []
    for fleet in fleets:
        table = fleet.summary()
        parts = [
            f"<h2>{html.escape(fleet.kind)} fleet</h2>",
            f"<p>{html.escape(str(fleet.out))}</p>",
            _table_html(table),
        ]
        figures = []
        if hasattr(fleet, "spread"):
            parts += [
                "<h3>spread across runs</h3>",
                _table_html(fleet.spread().reset_index(names="quantity")),
            ]
            for prefix, what in (("share_", "contribution share"), ("roas_", "ROAS")):
                spread = _spread_figure(table, prefix, f"{what} per channel, one dot per run")
                if spread is not None:
                    figures.append(spread)
        store = RunStore(fleet.out, create=False)  # a local directory or any fsspec URL
        for run_id in table["run_id"]:
            figures.extend(run_figures(store.local_dir(str(run_id)), str(run_id)))
        if figures:
            plots.append(column(*figures))
            parts.append(f"<div class='bw-plot' data-plot='{len(plots) - 1}'></div>")
        sections.append("\n".join(parts))
    script, divs = components(plots) if plots else ("", [])
    body = "\n".join(sections)
    for i, div in enumerate(divs):
        body = body.replace(f"<div class='bw-plot' data-plot='{i}'></div>", div)
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
{INLINE.render()}
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; }}
.bw-table {{ border-collapse: collapse; font-size: 12px; margin: 8px 0 16px; }}
.bw-table th, .bw-table td {{ padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }}
</style>
{script}
</head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>
"""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out
