"""A standalone HTML report of fleets: summary tables and plots, readable offline.

    fleet_report(fleet, "report.html")            # one FleetResult, or several

A run that kept its fitted model's one-pager (``explorer_io.save_one_pager``: fit against
actuals with the test period, decomposition, shares, ROAS and marginal ROAS, response and
adstock curves) gets it drawn in full, every geo together, with each geo's channel table
for a geo model.

BokehJS is inlined (no CDN), and every user-given name (run ids, channels, parameters)
is HTML-escaped, so the file opens anywhere with no network request and shows names as
text. The plots come from :mod:`bayes_widgets.core.figures.report`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_widgets.core.figures.format import format_number
from bayes_widgets.core.figures.mmm_explorer import one_pager_layout
from bayes_widgets.core.figures.report import column_of, embed, run_figures, spread_figure
from bayes_widgets.core.fleet.store import RunStore
from bayes_widgets.core.mmm.explorer_io import read_one_pager

__all__ = ["fleet_report", "run_figures"]


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(
        index=False,
        escape=True,
        float_format=lambda x: format_number(x, digits=4),
        na_rep="–",
        classes="bw-table",
        border=0,
    )


def _one_pager_html(run_id: str, tables: dict[str, Any], plot: int) -> list[str]:
    """A run's one-pager: what it shows, the channel tables, the place of its plots."""
    meta = tables["meta"]
    test = f", then {meta['test_dates']} test dates (shaded)" if meta.get("test_dates") else ""
    where = " (every geo together; each geo's channels below)" if meta.get("geo") else ""
    parts = [
        f"<h3 class='bw-one-pager' data-run='{html.escape(run_id)}'>{html.escape(run_id)}: one-pager</h3>",
        f"<p>Fitted on {meta['train_dates']} dates{test}; {meta['draws']} posterior draws; "
        f"intervals hold {format_number(100 * meta['prob'])}% of them{where}. Current spend: "
        f"the average of the last {meta['last']} training periods; marginal ROAS: the slope "
        "of the response curve there.</p>",
        _table_html(tables["channels"]),
    ]
    if "channels_by_geo" in tables:
        parts += ["<h4>per geo</h4>", _table_html(tables["channels_by_geo"])]
    parts.append(f"<div class='bw-plot' data-plot='{plot}'></div>")
    return parts


def fleet_report(
    fleets: Any | Iterable[Any], path: str | Path, *, title: str = "Fleet report"
) -> Path:
    """Writes one HTML file with a section per fleet (``FleetResult`` objects)."""
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
                spread = spread_figure(table, prefix, f"{what} per channel, one dot per run")
                if spread is not None:
                    figures.append(spread)
        store = RunStore(fleet.out, create=False)  # a local directory or any fsspec URL
        pagers = []
        for run_id in table["run_id"]:
            run_dir = store.local_dir(str(run_id))
            figures.extend(run_figures(run_dir, str(run_id)))
            tables = read_one_pager(run_dir)
            if tables is not None:
                pagers.append((str(run_id), tables))
        if figures:
            plots.append(column_of(figures))
            parts.append(f"<div class='bw-plot' data-plot='{len(plots) - 1}'></div>")
        for run_id, tables in pagers:
            plots.append(one_pager_layout(tables, run_id))
            parts += _one_pager_html(run_id, tables, len(plots) - 1)
        sections.append("\n".join(parts))
    resources, script, divs = embed(plots)
    body = "\n".join(sections)
    for i, div in enumerate(divs):
        body = body.replace(f"<div class='bw-plot' data-plot='{i}'></div>", div)
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
{resources}
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
