"""The fleet report opens offline in Chromium, with no network request, names as text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_widgets.core.fleet.runner import FleetRun, RunSpec
from bayes_widgets.core.mmm.fleets import FleetResult, StabilityResult
from bayes_widgets.core.report import fleet_report

EVIL = "<img src=x onerror=alert(1)>"


def fake_fleet(root: Path) -> FleetResult:
    run_id = "holdout-h4"
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    dates = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    mid = np.linspace(100, 130, 30)
    pd.DataFrame(
        {
            "date": dates,
            "actual": mid + 1,
            "q05": mid - 10,
            "q25": mid - 4,
            "median": mid,
            "q75": mid + 4,
            "q95": mid + 10,
            "split": ["train"] * 26 + ["test"] * 4,
        }
    ).to_csv(run_dir / "predictions.csv", index=False)
    pd.DataFrame(
        {
            "parameter": [f"share {EVIL}", "alpha"],
            "true": [0.8, 0.3],
            "mean": [0.75, 0.35],
            "low": [0.6, 0.2],
            "high": [0.9, 0.5],
        }
    ).to_csv(run_dir / "recovery.csv", index=False)
    pd.DataFrame({"date": dates, EVIL: np.linspace(1, 5, 30), "tv": np.linspace(3, 2, 30)}).to_csv(
        run_dir / "contributions.csv", index=False
    )
    summary = {
        "run_id": run_id,
        "status": "done",
        "seconds": 1.0,
        "metrics": {f"share_{EVIL}": 0.8, "test_mape": 0.05},
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return FleetResult(
        "holdout", FleetRun(str(root), [RunSpec(run_id, {"horizon": 4})], {run_id: summary}, [])
    )


def fake_stability(root: Path) -> StabilityResult:
    summaries = {}
    for i, run_id in enumerate(["stability-s0-t0", "stability-s1-t0"]):
        (root / run_id).mkdir(parents=True)
        summaries[run_id] = {
            "run_id": run_id,
            "status": "done",
            "seconds": 1.0,
            "metrics": {
                f"share_{EVIL}": 0.6 + i / 10,
                "share_tv": 0.4 - i / 10,
                f"roas_{EVIL}": 2.0 + i,
                "roas_tv": 1.0,
            },
        }
        (root / run_id / "summary.json").write_text(json.dumps(summaries[run_id]))
    specs = [RunSpec(r, {}) for r in summaries]
    return StabilityResult("stability", FleetRun(str(root), specs, summaries, []))


def test_report_opens_offline_and_escapes_names(tmp_path, browser):
    fleets = [fake_fleet(tmp_path / "fleet"), fake_stability(tmp_path / "stability")]
    path = fleet_report(fleets, tmp_path / "report.html", title=f"Report {EVIL}")
    text = path.read_text()
    assert EVIL not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    page = browser.new_page()
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].roots().length > 0",
        timeout=30_000,
    )
    page.wait_for_timeout(500)
    assert [u for u in requests if not u.startswith("file:")] == []
    assert dialogs == []
    assert EVIL in page.locator("h1").inner_text()  # shown as text
    assert page.locator("table.bw-table").count() == 3  # two summaries and the stability spread
    # predictions, contributions and recovery of the run, then shares and ROAS across runs
    assert page.evaluate("() => Bokeh.documents[0].roots()[0].children.length") == 3
    assert page.evaluate("() => Bokeh.documents[0].roots()[1].children.length") == 2
    page.close()
