"""The fleet report opens offline in Chromium, with no network request, names as text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_widgets.core.fleet.runner import FleetRun, RunSpec
from bayes_widgets.core.mmm.fleets import FleetResult, StabilityResult
from bayes_widgets.core.report import fleet_report

from .jupyter_harness import save_screenshot

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


def synthetic_draws(weeks: int = 30, test: int = 4, draws: int = 20):
    """One-pager draws written by hand: two channels with logistic saturation and
    geometric adstock, a baseline and one control, two geos."""
    from bayes_widgets.core.mmm.explorer import ExplorerDraws

    rng = np.random.default_rng(0)
    S, N, G, C, L = draws, weeks, 2, 2, 3
    spend = rng.uniform(50, 150, size=(N, G, C))
    alpha = rng.uniform(0.3, 0.6, size=(S, G, C))
    kernel = alpha[..., None] ** np.arange(L)
    kernel /= kernel.sum(axis=-1, keepdims=True)
    lam = rng.uniform(1, 2, size=(S, G, C))
    beta = rng.uniform(0.2, 0.4, size=(S, G, C))
    channel = (
        np.stack(
            [
                beta[:, :, c, None]
                * np.tanh(0.5 * lam[:, :, c, None] * spend[None, :, :, c].transpose(0, 2, 1) / 100)
                for c in range(C)
            ],
            axis=-1,
        ).transpose(0, 2, 1, 3)
        * 1000
    )  # (S, N, G, C)
    parts = {
        "baseline": np.full((S, N, G), 500.0) + rng.normal(0, 5, (S, 1, G)),
        "price": rng.normal(0, 20, (S, N, G)),
        EVIL: channel[..., 0],
        "tv": channel[..., 1],
    }
    mu = sum(parts.values())
    return ExplorerDraws(
        dates=np.asarray(pd.date_range("2024-01-01", periods=N, freq="W-MON")),
        n_train=N - test,
        geos=("north", "south"),
        geo_dim="geo",
        channels=(EVIL, "tv"),
        controls=("price",),
        actual=mu.mean(axis=0) + rng.normal(0, 10, (N, G)),
        mu=mu,
        predictive=mu + rng.normal(0, 10, mu.shape),
        parts=parts,
        kinds={"baseline": "baseline", "price": "control", EVIL: "channel", "tv": "channel"},
        spend=spend,
        kernel=kernel,
        saturation="LogisticSaturation",
        saturation_params={"lam": lam, "beta": beta},
        channel_scale=np.full((G, C), 100.0),
        target_scale=np.full(G, 1000.0),
    )


def test_report_draws_the_one_pager_of_runs_that_kept_one(tmp_path, browser):
    from bayes_widgets.core.mmm.explorer_io import ONE_PAGER_DIR, one_pager_tables
    from bayes_widgets.core.mmm.explorer_views import OnePager

    fleet = fake_fleet(tmp_path / "fleet")
    pager = OnePager(synthetic_draws(), last=4)
    folder = tmp_path / "fleet" / "holdout-h4" / ONE_PAGER_DIR
    folder.mkdir()
    for name, table in one_pager_tables(pager).items():
        table.to_csv(folder / f"{name}.csv", index=False)
    pd.concat(
        [pager.channels_table(g).assign(geo=g) for g in pager.geos], ignore_index=True
    ).to_csv(folder / "channels_by_geo.csv", index=False)
    meta = {
        "prob": 0.9,
        "last": 4,
        "geos": ["north", "south"],
        "channels": [EVIL, "tv"],
        "draws": 20,
        "train_dates": 26,
        "test_dates": 4,
        "geo": "All geos",
    }
    (folder / "meta.json").write_text(json.dumps(meta))
    path = fleet_report(fleet, tmp_path / "report.html")
    text = path.read_text()
    assert EVIL not in text
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].roots().length > 1",
        timeout=30_000,
    )
    page.wait_for_timeout(800)
    heading = page.locator("h3.bw-one-pager")
    assert heading.inner_text() == "holdout-h4: one-pager"
    intro = heading.locator("xpath=following-sibling::p[1]").inner_text()
    assert "26 dates, then 4 test dates" in intro and "90%" in intro
    assert "every geo together" in intro
    # the channel table (every geo together) and each geo's
    assert page.locator("table.bw-table").count() == 3
    assert EVIL in page.locator("table.bw-table").nth(1).inner_text()
    titles = page.evaluate(
        """() => [...Bokeh.index.all_views()].filter((v) => v.model && v.model.title)
             .map((v) => v.model.title.text)"""
    )
    for title in (
        "holdout-h4: fitted vs actual",
        "holdout-h4: decomposition of the fitted mean",
        "share of media contribution",
        "ROAS",
        "marginal ROAS",
        "tv: response per period",
        "tv: adstock weights",
    ):
        assert title in titles, titles
    page.locator("h3.bw-one-pager").scroll_into_view_if_needed()
    page.screenshot(path=str(save_screenshot(page, "report_one_pager")), full_page=True)
    page.close()
