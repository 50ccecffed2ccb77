"""The production, holdout, recovery and stability fleets on the real case-study data, in
one report that opens offline in Chromium with every plot drawn and no network request.

Few draws and one run per fleet (two for the stability fleet's spread) keep it short: this
checks that the fleets run end to end on realistic data (10 channels, 2 controls, real
spend), not the quality of the fits (tests/core/mmm covers fleets of several runs; see
benchmarks/validate_mmm_fleets.py for the full-size run).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.core.mmm import fleets as mf
from bayes_widgets.core.report import fleet_report
from bayes_widgets.datasets import mmm_case_study

FIT = {"draws": 60, "tune": 60, "chains": 2, "seed": 1, "sampler_kwargs": {"maxdepth": 6}}
"""Short runs: after 60 tuning draws nearly every draw of this model would reach nutpie's
default tree depth (10, 1023 gradient steps); 6 keeps a draw to at most 63."""


def case_study() -> MMMModel:
    df = mmm_case_study(None).iloc[-161:].reset_index(drop=True)
    channels = [c for c in df.columns if c.startswith("mdsp_")]
    return MMMModel(
        df,
        target="sales",
        date_column="wk_strt_dt",
        channels=channels,
        controls=["me_ics_all", "me_gas_dpg"],
        lag_max=8,
        yearly_seasonality=2,
    )


@pytest.mark.slow
@pytest.mark.timeout(420)  # five MMM fits; a loaded machine took 171 s
def test_four_fleets_on_the_case_study_and_their_report(tmp_path, browser):
    model = case_study()
    one = ThreadPoolExecutor(1)
    fleets = [
        mf.production_fleet(model, out=tmp_path / "production", fit=FIT, executor=one),
        mf.holdout_fleet(model, horizons=[8], out=tmp_path / "holdout", fit=FIT, executor=one),
        mf.recovery_fleet(model, runs=1, out=tmp_path / "recovery", fit=FIT, executor=one),
        mf.stability_fleet(
            model, seeds=[1], trims=[0, 26], out=tmp_path / "stability", fit=FIT, executor=one
        ),
    ]
    for fleet in fleets:
        table = fleet.summary()
        assert (table["status"] == "done").all(), (fleet.kind, table.get("error"))
    production = fleets[0].summary().iloc[0]
    for key in (
        "train_mape",
        "test_mape",
        "test_nrmse",
        "test_r2",
        "test_crps",
        "divergences",
        "rhat_max",
        "ess_bulk_min",
        "max_treedepth_hits",
    ):
        assert np.isfinite(float(production[key])), key
    assert production["train_rows"] == 157
    recovery = fleets[2].summary().iloc[0]
    assert 0 <= recovery["coverage"] <= 1
    shares = [recovery[f"share_fit_{c}"] for c in model.channels]
    assert sum(shares) == pytest.approx(1.0)
    spread = fleets[3].spread()
    assert len(spread.index) == 2 * len(model.channels)  # a share and a ROAS per channel

    path = fleet_report(fleets, tmp_path / "report.html", title="Case study fleets")
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=60_000)
    page.wait_for_timeout(500)
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == []
    # the production and holdout runs kept their one-pager, with its channel table
    assert page.locator("h3.bw-one-pager").count() == 2
    # a summary per fleet, the stability spread and each one-pager's channel table
    assert page.locator("table.bw-table").count() == 4 + 1 + 2
    canvases = page.locator("canvas").count()
    assert canvases >= 4, canvases  # the fleets' plots were drawn
    page.close()
