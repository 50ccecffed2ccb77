"""MMM fleets on real data: production and holdout runs, scored and persisted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm import MMMDataError, MMMModel
from bayes_widgets.core.mmm.fleets import holdout_fleet, production_fleet
from bayes_widgets.core.mmm.metrics import score
from bayes_widgets.datasets import mmm_example


def model():
    return MMMModel(
        mmm_example().iloc[:120],
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=4,
    )


def test_score_against_known_values():
    rng = np.random.default_rng(0)
    actual = np.array([10.0, 20.0, 30.0, 40.0])
    draws = actual + rng.normal(0, 0.01, size=(400, 4))
    s = score(actual, draws)
    assert s["mape"] < 1e-3 and s["r2"] > 0.999 and s["crps"] < 0.01 and s["coverage"] >= 0.75
    off = score(actual, draws + 10)
    assert off["mape"] == pytest.approx(np.mean(10 / actual), rel=1e-3) and off["coverage"] == 0
    with pytest.raises(ValueError, match="draws"):
        score(actual, draws[:, :3])


def test_horizons_are_checked(tmp_path):
    with pytest.raises(MMMDataError, match="horizons"):
        holdout_fleet(model(), horizons=[0], out=tmp_path)
    with pytest.raises(MMMDataError, match="horizons"):
        holdout_fleet(model(), horizons=[115], out=tmp_path)


@pytest.mark.slow
def test_production_and_holdout_fleets(tmp_path):
    fit = {"draws": 100, "tune": 100, "chains": 2, "seed": 1, "sampler_kwargs": {"maxdepth": 6}}
    prod = production_fleet(
        model(), out=tmp_path / "production", fit=fit, executor=ThreadPoolExecutor(1)
    )
    table = prod.summary()
    assert list(table["status"]) == ["done"], table.get("error")
    row = table.iloc[0]
    assert row["horizon"] == 4 and row["train_rows"] == 116
    for key in (
        "train_mape",
        "test_mape",
        "test_nrmse",
        "test_crps",
        "train_r2",
        "rhat_max",
        "divergences",
    ):
        assert np.isfinite(row[key]), key
    assert row["train_r2"] > 0.5  # the simulated data are well explained
    preds = pd.read_csv(tmp_path / "production" / "production-h4" / "predictions.csv")
    assert list(preds["split"].value_counts().sort_index()) == [4, 116]
    # the run keeps its one-pager for the fleet report
    run_dir = tmp_path / "production" / "production-h4"
    assert not (run_dir / "one_pager_error.txt").exists(), (
        run_dir / "one_pager_error.txt"
    ).read_text()
    channels = pd.read_csv(run_dir / "one_pager" / "channels.csv")
    assert len(channels) == len(model().channels)
    hold = holdout_fleet(
        model(), horizons=[4, 8], out=tmp_path / "holdout", fit=fit, executor=ThreadPoolExecutor(1)
    )
    assert sorted(hold.run.done) == ["holdout-h4", "holdout-h8"]
    again = holdout_fleet(
        model(), horizons=[4, 8], out=tmp_path / "holdout", fit=fit, executor=ThreadPoolExecutor(1)
    )
    assert sorted(again.run.skipped) == ["holdout-h4", "holdout-h8"]


@pytest.mark.slow
def test_recovery_fleet_runs_through_the_calibration_worker(tmp_path, monkeypatch):
    """Three recoveries of a small MMM (60 weeks, 2 chains x 100 draws), one failing:
    the others are scored, ranked and shown as a calibration; a rerun on the same store
    does only the run not recorded there, from the same prior draw."""
    from bayes_widgets.core.calibration import Calibration, worker
    from bayes_widgets.core.fleet import RunStore
    from bayes_widgets.core.mmm.fleets import recovery_fleet
    from bayes_widgets.core.mmm.recovery_plan import RecoveryFitter
    from bayes_widgets.widgets.calibration_board import CalibrationBoard

    small = MMMModel(
        mmm_example().iloc[:60],
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=4,
        yearly_seasonality=1,
    )
    fit = {"draws": 100, "tune": 100, "chains": 2}
    refit, broken = RecoveryFitter.fit, []

    def fails_on_seed_1(self, simulation, run_dir):
        if simulation["seed"] == 1:
            broken.append(simulation["truth"])
            raise RuntimeError("the refit of this simulation broke")
        return refit(self, simulation, run_dir)

    monkeypatch.setattr(RecoveryFitter, "fit", fails_on_seed_1)
    compiles = len(worker.COMPILES)
    result = recovery_fleet(small, runs=3, out=tmp_path, fit=fit, executor=ThreadPoolExecutor(1))
    assert len(worker.COMPILES) - compiles == 1  # one MMM fitter for the worker's runs
    table = result.summary().set_index("run_id")
    assert list(table["status"]) == ["done", "failed", "done"], table.get("error")
    assert "refit of this simulation broke" in table.loc["recovery-s1", "error"]
    assert "calibration" not in table.columns and "param_truth" not in table.columns
    row = table.loc["recovery-s0"]
    assert row["seed"] == 0 and row["arm"] == "without lift tests"
    assert 0 <= row["coverage"] <= 1 and row["share_error_max"] >= 0
    assert row["share_true_x1"] + row["share_true_x2"] == pytest.approx(1.0)
    rec = pd.read_csv(tmp_path / "recovery-s0" / "recovery.csv")
    assert {"adstock_alpha[0]", "saturation_lam[1]", "y_sigma", "roas x1"} <= set(rec["parameter"])
    assert rec["covered"].mean() == pytest.approx(row["coverage"])
    # a well-identified parameter lands near its true value after rescaling the target
    sigma = rec.set_index("parameter").loc["y_sigma"]
    assert sigma["low"] <= sigma["true"] * 1.5 and sigma["high"] >= sigma["true"] / 1.5
    # the calibration's view: ranks of the recovered scalars over the finished runs
    record = RunStore(str(tmp_path)).summary("recovery-s2")
    assert record is not None and len(record["metrics"]["calibration"]["ranks"]) == 8
    cal = result.calibration()
    assert isinstance(cal, Calibration) and cal.state == "done"
    assert {"adstock_alpha[0]", "saturation_beta[1]", "y_sigma"} <= set(cal.parameters)
    ranks = result.ranks()
    assert set(ranks) == set(cal.parameters) and all(r.shape == (2,) for r in ranks.values())
    assert all(r.min() >= 0 and r.max() <= cal.max_rank for r in ranks.values())
    assert set(result.verdicts()) == set(cal.parameters)
    assert list(cal.simulations()["status"]) == ["done", "failed", "done"]
    truth = dict(zip(cal.parameters, cal.plan.truth[0], strict=True))
    assert sigma["true"] == pytest.approx(truth["y_sigma"] * row["target_scale_ratio"])
    with pytest.raises(MMMDataError, match="arm"):
        result.calibration("with lift tests")
    board = CalibrationBoard(cal)
    try:
        assert board.status == "done" and board.parameters == cal.parameters
        assert board.curves["y_sigma"]["n"] == 2 and set(board.verdicts) == set(cal.parameters)
        assert [row["index"] for row in board.notable if row.get("error")] == [1]
    finally:
        board.close()
    # a rerun on the same store does only the run not recorded there, from the same draw
    RunStore(str(tmp_path)).forget("recovery-s1")
    again = recovery_fleet(small, runs=3, out=tmp_path, fit=fit, executor=ThreadPoolExecutor(1))
    assert sorted(again.run.skipped) == ["recovery-s0", "recovery-s2"]
    assert again.run.failed == ["recovery-s1"] and len(broken) == 2
    assert broken[0] == broken[1] == dict(zip(cal.parameters, cal.plan.truth[1], strict=True))


@pytest.mark.slow
def test_stability_and_forecast_fleets(tmp_path):
    from bayes_widgets.core.mmm.fleets import forecast_fleet, stability_fleet

    fit = {"draws": 100, "tune": 100, "chains": 2, "sampler_kwargs": {"maxdepth": 6}}
    result = stability_fleet(
        model(),
        seeds=[0, 1],
        trims=[0, 8],
        out=tmp_path / "stab",
        fit=fit,
        executor=ThreadPoolExecutor(1),
    )
    table = result.summary()
    assert list(table["status"]) == ["done"] * 4, table.get("error")
    assert sorted(table["rows"]) == [112, 112, 120, 120]
    assert np.allclose(table["share_x1"] + table["share_x2"], 1.0)
    spread = result.spread()
    assert {"share_x1", "roas_x2"} <= set(spread.index) and (spread["range"] >= 0).all()
    df = mmm_example()
    future = df.iloc[120:126].drop(columns="y")
    fc = forecast_fleet(
        model(), future, out=tmp_path / "fc", fit=fit, executor=ThreadPoolExecutor(1)
    )
    assert fc.run.done == ["forecast"]
    out = pd.read_csv(tmp_path / "fc" / "forecast" / "forecast.csv")
    assert (
        len(out) == 6
        and (out["q05"] <= out["median"]).all()
        and (out["median"] <= out["q95"]).all()
    )
    with pytest.raises(MMMDataError, match="date_week"):
        forecast_fleet(model(), df.iloc[100:106].drop(columns="y"), out=tmp_path / "bad")


def test_truth_is_checked(tmp_path):
    from bayes_widgets.core.mmm.fleets import recovery_fleet

    with pytest.raises(MMMDataError, match="truth"):
        recovery_fleet(model(), runs=0, truth={"x1": 0.8}, out=tmp_path)
    with pytest.raises(MMMDataError, match="truth"):
        recovery_fleet(model(), runs=0, truth={"x1": 0.8, "x2": "a lot"}, out=tmp_path)
    with pytest.raises(MMMDataError, match="runs"):
        recovery_fleet(model(), runs=0, out=tmp_path)


def test_true_shares_of_the_simulated_example():
    from bayes_widgets.datasets import mmm_example_truth

    truth = mmm_example_truth()
    assert truth["shares"]["x1"] == pytest.approx(0.807, abs=0.001)
    assert sum(truth["shares"].values()) == pytest.approx(1.0)
    assert len(truth["contributions"]["x1"]) == len(mmm_example())


@pytest.mark.slow
def test_recovery_on_the_example_finds_x1_share(tmp_path):
    from bayes_widgets.core.mmm.fleets import recovery_fleet
    from bayes_widgets.datasets import mmm_example_truth

    full = MMMModel(
        mmm_example(),
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=8,
        yearly_seasonality=2,
    )
    truth = mmm_example_truth()["shares"]
    result = recovery_fleet(
        full,
        runs=0,
        truth=truth,
        out=tmp_path,
        fit={"draws": 300, "tune": 300, "seed": 3},
        executor=ThreadPoolExecutor(1),
    )
    row = result.summary().iloc[0]
    assert row["status"] == "done", row.get("error")
    assert row["share_fit_x1"] == pytest.approx(truth["x1"], abs=0.08)
    rec = pd.read_csv(tmp_path / "recovery-truth" / "recovery.csv")
    assert list(rec["parameter"]) == ["share x1", "share x2"]


def test_runs_get_the_data_as_values_not_paths(tmp_path, monkeypatch):
    from bayes_widgets.core.mmm import fleets as mf

    seen = {}

    def capture(specs, task, **kwargs):
        seen["specs"], seen["out"] = list(specs), kwargs["out"]
        return mf.FleetRun(str(kwargs["out"]), seen["specs"], {}, [])

    monkeypatch.setattr(mf, "run_fleet", capture)
    m = model()
    mf.holdout_fleet(m, horizons=[4], out=tmp_path / "h")
    mf.forecast_fleet(m, mmm_example().iloc[120:124].drop(columns="y"), out=tmp_path / "f")
    params = seen["specs"][0].params
    assert isinstance(params["data"], pd.DataFrame) and isinstance(params["future"], pd.DataFrame)
    assert params["data"].equals(m.data) and params["data"] is not m.data
    assert not any(isinstance(v, str) and ("/" in v or v.endswith(".csv")) for v in params.values())
    assert not list(tmp_path.rglob("*.csv"))  # nothing written for the workers to read


def geo_model(weeks: int = 60, **options):
    from bayes_widgets.datasets import mmm_multidimensional

    df = mmm_multidimensional()
    kept = df.loc[df["date"].isin(df["date"].drop_duplicates().iloc[:weeks])]
    return MMMModel(
        kept,
        target="y",
        date_column="date",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=4,
        dims=("geo",),
        **options,
    )


def test_geo_fleets_are_checked(tmp_path):
    from bayes_widgets.core.mmm.geo_fleets import geo_config, geo_fleet

    with pytest.raises(MMMDataError, match="dims"):
        geo_fleet(model(), out=tmp_path)
    with pytest.raises(MMMDataError, match="geos: unknown geo 'geo_z'"):
        geo_fleet(geo_model(), geos=["geo_z"], out=tmp_path)
    with pytest.raises(MMMDataError, match="holdout"):
        geo_fleet(geo_model(), holdout=58, out=tmp_path)
    lift = [
        {"channel": "x1", "geo": g, "x": 2000.0, "delta_x": 500.0, "delta_y": 90.0, "sigma": 20.0}
        for g in ("geo_a", "geo_b", "geo_b")
    ]
    config = geo_model(lift_tests=lift).config()
    alone = geo_config(config, "geo", "geo_b")
    assert alone["dims"] == [] and len(alone["lift_tests"]) == 2
    assert all("geo" not in r for r in alone["lift_tests"])
    assert "intercept" in config["priors"] and "intercept" not in alone["priors"]
    national = MMMModel(geo_model().data.query("geo == 'geo_b'").drop(columns="geo"), **alone)
    assert national.dims == () and len(national.lift_tests) == 2


@pytest.mark.slow
def test_geo_fleet_pooled_and_per_geo(tmp_path):
    from bayes_widgets.core.mmm.geo_fleets import geo_fleet

    result = geo_fleet(
        geo_model(),
        holdout=4,
        out=tmp_path,
        fit={"draws": 60, "tune": 60, "chains": 2, "seed": 1},
        executor=ThreadPoolExecutor(1),
    )
    table = result.summary()
    assert list(table["status"]) == ["done"] * 3, table.get("error")
    assert list(table["run_id"]) == ["pooled", "geo-geo_a", "geo-geo_b"]
    assert list(table["geo"]) == ["all", "geo_a", "geo_b"]
    assert list(table["model"]) == ["pooled", "per geo", "per geo"]
    assert np.isfinite(table["test_mape"].to_numpy(dtype=float)).all()
    preds = pd.read_csv(tmp_path / "pooled" / "predictions.csv")
    assert len(preds) == 2 * 60 and list(preds["split"].value_counts().sort_index()) == [8, 112]
    by_geo = result.by_geo()
    assert list(by_geo.index) == ["geo_a", "geo_b"]
    assert np.isfinite(by_geo[["test_mape_pooled", "test_mape_per_geo"]].to_numpy()).all()
    contributions = pd.read_csv(tmp_path / "pooled" / "contributions.csv")
    assert list(contributions.columns) == ["date", "x1", "x2"] and len(contributions) == 56


def test_recovery_refits_take_the_model_s_default_tuning_unless_the_fleet_sets_it():
    from bayes_widgets.core.datasets import MMM_GEO_CHANNELS, MMM_GEO_CONTROLS, mmm_geo
    from bayes_widgets.core.mmm.recovery_plan import fit_settings

    national = MMMModel(
        mmm_example(), target="y", date_column="date_week", channels=["x1", "x2"], lag_max=4
    )
    geo = MMMModel(
        mmm_geo(2),
        target="revenue",
        date_column="time",
        channels=MMM_GEO_CHANNELS,
        controls=MMM_GEO_CONTROLS,
        lag_max=4,
        dims=("geo",),
    )
    assert (fit_settings(national, {})["tune"], fit_settings(national, {})["draws"]) == (1000, 2000)
    assert (fit_settings(geo, {})["tune"], fit_settings(geo, {})["draws"]) == (500, 1500)
    assert fit_settings(geo, {"tune": 200, "draws": 100})["tune"] == 200
