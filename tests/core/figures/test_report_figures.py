"""Figures of fleet runs: what a run left behind becomes plots, and a page embeds them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_widgets.core.figures.palette import REFERENCE_LINE, series_color
from bayes_widgets.core.figures.report import embed, run_detail_figure, run_figures, spread_figure


def write_run(run_dir):
    run_dir.mkdir(parents=True)
    dates = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    mid = np.linspace(100, 130, 10)
    pd.DataFrame(
        {"date": dates, "actual": mid, "q05": mid - 9, "q25": mid - 3, "median": mid}
        | {"q75": mid + 3, "q95": mid + 9, "split": ["train"] * 8 + ["test"] * 2}
    ).to_csv(run_dir / "predictions.csv", index=False)
    pd.DataFrame(
        {"parameter": ["a"], "true": [0.8], "mean": [0.7], "low": [0.5], "high": [0.9]}
    ).to_csv(run_dir / "recovery.csv", index=False)


def test_a_run_gives_one_figure_per_file_it_left(tmp_path):
    write_run(tmp_path / "r1")
    figures = run_figures(tmp_path / "r1", "r1")
    assert [f.title.text for f in figures] == ["r1: predicted vs actual", "r1: true vs fitted"]
    recovery = figures[1]
    assert [s.line_color for s in recovery.center if type(s).__name__ == "Slope"] == [
        REFERENCE_LINE
    ]
    assert recovery.renderers[1].glyph.fill_color == series_color(0)
    empty = run_detail_figure(tmp_path / "nothing", "r2")
    assert empty.children[0].title.text == "r2: no plots yet"


def test_spread_needs_finished_runs_and_pages_embed_each_layout(tmp_path):
    table = pd.DataFrame({"run_id": ["a", "b"], "status": ["done", "error"], "share_tv": [0.4, 1]})
    spread = spread_figure(table, "share_", "share")
    assert list(spread.renderers[0].data_source.data["value"]) == [0.4]
    assert spread_figure(table.assign(status="error"), "share_", "share") is None
    resources, script, divs = embed([spread])
    assert "<script" in resources and "Bokeh" in script and len(divs) == 1
