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

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _predictions_figure(preds: pd.DataFrame, title: str):
    from bokeh.models import ColumnDataSource, Span
    from bokeh.plotting import figure

    preds = preds.copy()
    preds["date"] = pd.to_datetime(preds["date"])
    src = ColumnDataSource(preds)
    f = figure(width=760, height=240, x_axis_type="datetime", title=title, tools="pan,wheel_zoom,reset")
    f.varea(x="date", y1="q05", y2="q95", source=src, alpha=0.18, legend_label="90%")
    f.varea(x="date", y1="q25", y2="q75", source=src, alpha=0.35, legend_label="50%")
    f.line("date", "median", source=src, line_width=2, legend_label="median")
    if "actual" in preds:
        f.scatter("date", "actual", source=src, size=3, color="black", legend_label="actual")
    if "split" in preds and (preds["split"] == "test").any():
        start = preds.loc[preds["split"] == "test", "date"].iloc[0]
        f.add_layout(Span(location=start, dimension="height", line_dash="dashed", line_color="#888"))
    f.legend.location = "top_left"
    f.legend.label_text_font_size = "8pt"
    return f


def _recovery_figure(table: pd.DataFrame, title: str):
    from bokeh.models import ColumnDataSource, HoverTool, Slope
    from bokeh.plotting import figure

    src = ColumnDataSource(table)
    f = figure(width=380, height=320, title=title, x_axis_label="true", y_axis_label="fitted (mean, 94%)",
               tools="pan,wheel_zoom,reset")
    f.segment("true", "low", "true", "high", source=src, color="#999")
    f.scatter("true", "mean", source=src, size=7)
    f.add_layout(Slope(gradient=1, y_intercept=0, line_dash="dashed", line_color="#d62728"))
    f.add_tools(HoverTool(tooltips=[("parameter", "@parameter"), ("true", "@true"), ("fitted", "@mean")]))
    return f


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(index=False, escape=True, float_format=lambda x: f"{x:.4g}", na_rep="–",
                         classes="bw-table", border=0)


def fleet_report(fleets: Any | Iterable[Any], path: str | Path, *, title: str = "Fleet report") -> Path:
    """Writes one HTML file with a section per fleet (``FleetResult`` objects)."""
    from bokeh.embed import components
    from bokeh.layouts import column
    from bokeh.resources import INLINE

    fleets = [fleets] if hasattr(fleets, "summary") else list(fleets)
    sections = []
    plots = []
    for fleet in fleets:
        table = fleet.summary()
        parts = [f"<h2>{html.escape(fleet.kind)} fleet</h2>", f"<p>{html.escape(str(fleet.out))}</p>",
                 _table_html(table)]
        if hasattr(fleet, "spread"):
            parts += ["<h3>spread across runs</h3>", _table_html(fleet.spread().reset_index(names="quantity"))]
        figures = []
        for run_id in table["run_id"]:
            run_dir = Path(fleet.out) / run_id
            if (run_dir / "predictions.csv").exists():
                figures.append(_predictions_figure(pd.read_csv(run_dir / "predictions.csv"), str(run_id)))
            if (run_dir / "forecast.csv").exists():
                figures.append(_predictions_figure(pd.read_csv(run_dir / "forecast.csv"), f"{run_id} forecast"))
            if (run_dir / "recovery.csv").exists():
                figures.append(_recovery_figure(pd.read_csv(run_dir / "recovery.csv"), f"{run_id}: true vs fitted"))
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
