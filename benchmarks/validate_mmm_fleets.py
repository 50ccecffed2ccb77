"""The MMM fleets on the realistic data, their reports opened offline, and a known-truth recovery.

On the case study (last 161 weeks, 10 media spend channels, 2 controls, geometric adstock
l_max 8, logistic saturation, yearly seasonality) this runs, through the default local
process pool:

- production (train on all but the last 4 weeks, score them),
- holdout at 4, 8 and 12 weeks,
- recovery (parameters drawn from the prior on the real spend, target simulated, refitted),
- stability (seeds x trimmed windows; spread of contribution shares and ROAS),

writes one standalone HTML report per fleet, opens each in headless Chromium with every
request recorded, and fits ``mmm_example`` to compare channel x1's fitted share of the media
contribution with its true share. A fleet with a run made to fail is in the unit tests.

    .venv/bin/python benchmarks/validate_mmm_fleets.py [--draws 500] [--tune 500] [--out DIR]

Last line: JSON with each fleet's runs done/failed, its key metrics and the report's
network request count.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def case_study_model():
    from bayes_widgets.core.mmm import MMMModel
    from bayes_widgets.datasets import mmm_case_study

    df = mmm_case_study(None).iloc[-161:].reset_index(drop=True)
    channels = [c for c in df.columns if c.startswith("mdsp_")]
    return MMMModel(
        df,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=["me_ics_all", "me_gas_dpg"],
        lag_max=8,
        adstock="geometric",
        saturation="logistic",
        yearly_seasonality=2,
    )


def open_report(path: Path) -> dict:
    """Opens a report in headless Chromium: requests other than the file itself, and
    whether Bokeh rendered every plot."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.browser.jupyter_harness import launch_browser

    with sync_playwright() as p:
        browser = launch_browser(p)
        page = browser.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=60_000)
        page.wait_for_timeout(1000)
        plots = page.evaluate("() => Bokeh.documents.reduce((n, d) => n + d.roots().length, 0)")
        tables = page.locator("table.bw-table").count()
        browser.close()
    network = [u for u in requests if not u.startswith("file:")]
    return {
        "network_requests": len(network),
        "page_errors": len(errors),
        "bokeh_roots": plots,
        "tables": tables,
    }


def describe(table, keys) -> dict:
    done = table[table["status"] == "done"]
    out = {
        "runs": len(table),
        "done": len(done),
        "failed": int((table["status"] == "failed").sum()),
    }
    for key in keys:
        if key in done:
            values = done[key].astype(float)
            out[key] = round(float(values.median()), 4)
    return out


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument(
        "--out", default=None, help="fleet directories and reports (default: a temporary one)"
    )
    args = parser.parse_args()

    from bayes_widgets.core.mmm import MMMModel
    from bayes_widgets.core.mmm import fleets as mf
    from bayes_widgets.core.report import fleet_report
    from bayes_widgets.datasets import mmm_example, mmm_example_truth

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bw-fleets-"))
    fit = {"draws": args.draws, "tune": args.tune, "chains": 2, "seed": 1}
    model = case_study_model()
    metrics = (
        "train_mape",
        "test_mape",
        "test_nrmse",
        "test_r2",
        "test_crps",
        "rhat_max",
        "divergences",
        "coverage",
        "median_relative_error",
        "share_error_max",
    )
    fleets = {
        "production": lambda: mf.production_fleet(model, out=out / "production", fit=fit),
        "holdout": lambda: mf.holdout_fleet(
            model, horizons=[4, 8, 12], out=out / "holdout", fit=fit
        ),
        "recovery": lambda: mf.recovery_fleet(model, runs=2, out=out / "recovery", fit=fit),
        "stability": lambda: mf.stability_fleet(
            model, seeds=[1, 2], trims=[0, 26], out=out / "stability", fit=fit
        ),
    }
    report: dict = {}
    for name, run in fleets.items():
        t0 = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - t0
        table = result.summary()
        html = fleet_report(result, out / f"{name}.html", title=f"Case study: {name} fleet")
        entry = {"seconds": round(seconds, 1), **describe(table, metrics), **open_report(html)}
        if name == "stability":
            spread = result.spread()
            shares = spread.loc[[i for i in spread.index if i.startswith("share_")]]
            entry["share_range_max"] = round(float(shares["range"].max()), 4)
        report[name] = entry
        print(f"{name:11s} {json.dumps(entry)}", flush=True)
        shown = [c for c in ("run_id", "status", *metrics) if c in table]
        print(table[shown].to_string(index=False), flush=True)

    example = MMMModel(
        mmm_example(),
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=8,
        yearly_seasonality=2,
    )
    truth = mmm_example_truth()["shares"]
    result = mf.recovery_fleet(example, runs=0, truth=truth, out=out / "truth", fit=fit)
    row = result.summary().iloc[0]
    report["example_truth"] = {
        "status": row["status"],
        "share_true_x1": round(float(truth["x1"]), 4),
        "share_fit_x1": round(float(row.get("share_fit_x1", np.nan)), 4),
        "coverage": float(row.get("coverage", np.nan)),
    }
    print(f"{'truth':11s} {json.dumps(report['example_truth'])}", flush=True)
    report.update({"draws": args.draws, "tune": args.tune, "out": str(out)})
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
