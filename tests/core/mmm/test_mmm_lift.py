"""Lift tests: checked against the model, added to its likelihood in the data's units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm import MMMDataError, MMMModel
from bayes_widgets.core.mmm.lift import apply_lift_tests, check_lift_tests
from bayes_widgets.datasets import mmm_example


def model(**options):
    return MMMModel(
        mmm_example().iloc[:100],
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=4,
        **options,
    )


def row(**changes):
    return {"channel": "x1", "x": 0.3, "delta_x": 0.1, "delta_y": 400.0, "sigma": 40.0, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"channel": "tv"}, "lift_tests.channel", "unknown channel 'tv'"),
        ({"sigma": -1.0}, "lift_tests.sigma", "must be > 0"),
        ({"sigma": 0.0}, "lift_tests.sigma", "must be > 0"),
        ({"sigma": float("nan")}, "lift_tests.sigma", "finite number, got nan"),
        ({"delta_y": "a lot"}, "lift_tests.delta_y", "finite number, got 'a lot'"),
        ({"x": -0.1}, "lift_tests.x", ">= 0"),
        ({"delta_x": 0.0}, "lift_tests.delta_x", "must not be 0"),
        ({"delta_x": -0.5}, "lift_tests.delta_x", r"x \+ delta_x"),
        ({"x": float("inf")}, "lift_tests.x", "finite"),
    ],
)
def test_each_bad_field_is_named(changes, field, message):
    with pytest.raises(MMMDataError, match=message) as err:
        check_lift_tests(model(), [row(), row(**changes)])
    assert err.value.field == field and "row 1" in str(err.value)


def test_table_problems_are_named():
    m = model()
    with pytest.raises(MMMDataError, match="missing column.*sigma") as err:
        check_lift_tests(m, pd.DataFrame([row()]).drop(columns="sigma"))
    assert err.value.field == "lift_tests"
    with pytest.raises(MMMDataError, match="no rows"):
        check_lift_tests(m, pd.DataFrame(columns=["channel", "x", "delta_x", "delta_y", "sigma"]))
    with pytest.raises(MMMDataError, match="DataFrame"):
        check_lift_tests(m, "lift.csv")
    with pytest.raises(MMMDataError, match="lift_tests.date") as err:
        check_lift_tests(model(time_varying_media=True), [row(date="1999-01-03")])
    assert "not a date of the data" in str(err.value)


def test_checked_rows_keep_the_needed_columns():
    table = check_lift_tests(model(), pd.DataFrame([row(note="geo experiment"), row(channel="x2")]))
    assert list(table.columns) == ["channel", "x", "delta_x", "delta_y", "sigma"]
    assert list(table["channel"]) == ["x1", "x2"] and table["sigma"].dtype == float


def test_lift_tests_join_the_likelihood_in_the_models_units():
    from bayes_widgets.core.mmm.fitting import target_scale

    m = model()
    mmm = m.build()
    rows = check_lift_tests(m, [row(), row(channel="x2", delta_y=150.0, sigma=30.0)])
    apply_lift_tests(mmm, rows)
    observed = {v.name for v in mmm.model.observed_RVs}
    assert observed == {"y", "lift_measurements"}
    # pymc-marketing scales the lift as it scales the target
    data = mmm.model.rvs_to_values[mmm.model["lift_measurements"]]
    lifts = np.asarray(data.eval() if hasattr(data, "eval") else data, dtype=float)
    assert np.allclose(lifts, np.array([400.0, 150.0]) / target_scale(mmm))
    with pytest.raises(MMMDataError, match="already has its lift tests"):
        apply_lift_tests(mmm, rows)
    untouched = m.build()
    apply_lift_tests(untouched, None)
    assert {v.name for v in untouched.model.observed_RVs} == {"y"}


def test_lift_tests_on_a_time_varying_model_need_the_date():
    m = model(time_varying_media=True)
    date = str(m.data["date_week"].iloc[50].date())
    rows = check_lift_tests(m, [row(date=date)])
    mmm = m.build()
    apply_lift_tests(mmm, rows)
    assert "lift_measurements" in {v.name for v in mmm.model.observed_RVs}


def test_the_recovery_fleet_runs_each_arm_on_the_same_inputs(tmp_path, monkeypatch):
    from bayes_widgets.core.mmm import fleets as mf

    seen = {}

    def capture(specs, task, **kwargs):
        seen["specs"], seen["task"] = list(specs), task
        return mf.FleetRun(str(kwargs["out"]), seen["specs"], {}, [])

    monkeypatch.setattr(mf, "run_fleet", capture)
    m = model()
    shares, roas = {"x1": 0.8, "x2": 0.2}, {"x1": 5000.0, "x2": 2000.0}
    mf.recovery_fleet(
        m, runs=1, truth=shares, truth_roas=roas, lift_tests=[row()], out=tmp_path / "r"
    )
    specs = {s.run_id: s.params for s in seen["specs"]}
    assert list(specs) == [
        "recovery-s0",
        "recovery-truth",
        "recovery-s0-lift",
        "recovery-truth-lift",
    ]
    assert "lift_tests" not in specs["recovery-truth"]
    lift = specs["recovery-truth-lift"]["lift_tests"]
    assert isinstance(lift, pd.DataFrame) and list(lift["channel"]) == ["x1"]
    assert specs["recovery-truth-lift"]["truth_roas"] == roas
    assert specs["recovery-s0-lift"]["seed"] == specs["recovery-s0"]["seed"] == 0
    # both arms of a recovery: the same simulation of the calibration planner
    from bayes_widgets.core.calibration.worker import SimulationTask

    assert isinstance(seen["task"], SimulationTask)
    plain, lifted = specs["recovery-s0"], specs["recovery-s0-lift"]
    assert plain["truth"] == lifted["truth"] and "saturation_lam[0]" in plain["truth"]
    assert np.array_equal(plain["data"]["y"], lifted["data"]["y"])
    assert {"saturation_lam", "saturation_beta", "channel_contribution"} <= set(plain["carried"])
    assert "lift_tests" not in plain and plain["fit"]["seed"] == 0
    with pytest.raises(MMMDataError, match="lift_tests.sigma"):
        mf.recovery_fleet(m, runs=1, lift_tests=[row(sigma=0)], out=tmp_path / "bad")
    with pytest.raises(MMMDataError, match="truth_roas"):
        mf.recovery_fleet(m, runs=1, truth_roas=roas, out=tmp_path / "bad")
    with pytest.raises(MMMDataError, match="truth_roas.*x2"):
        mf.recovery_fleet(
            m, runs=0, truth=shares, truth_roas={"x1": 1.0, "x2": -2.0}, out=tmp_path / "bad"
        )


def test_lift_effect_sets_the_arms_side_by_side():
    from bayes_widgets.core.mmm.metrics import lift_effect

    table = pd.DataFrame(
        {
            "run_id": ["a", "a-lift", "b", "b-lift", "c-lift"],
            "status": ["done", "done", "done", "done", "failed"],
            "arm": ["without lift tests", "with lift tests"] * 2 + ["with lift tests"],
            "roas_error_x1": [0.4, 0.1, 0.2, 0.1, 9.0],
            "roas_width_x1": [1.0, 0.5, 0.8, 0.3, 9.0],
        }
    )
    effect = lift_effect(table)
    assert effect.loc["x1", "error_without"] == pytest.approx(0.3)
    assert effect.loc["x1", "error_with"] == pytest.approx(0.1)
    assert effect.loc["x1", "width_without"] == pytest.approx(0.9)
    assert effect.loc["x1", "width_with"] == pytest.approx(0.4)
    assert effect.loc["x1", "runs_with"] == 2


def test_simulated_lift_tests_follow_the_true_curve():
    from bayes_widgets.core.mmm.recovery_lift import simulate_lift_tests

    m = model()
    mmm = m.build()
    truth = {"saturation_lam": np.array([4.0, 3.0]), "saturation_beta": np.array([0.5, 0.2])}
    template = check_lift_tests(m, [row(x=0.3, delta_x=0.15, delta_y=100.0, sigma=1e-3)])
    sim = simulate_lift_tests(template, mmm, truth, target_scale=8000.0, seed=0)
    scale = float(m.data["x1"].abs().max())

    def curve(x):  # logistic saturation, written out
        z = 4.0 * x / scale
        return 0.5 * (1 - np.exp(-z)) / (1 + np.exp(-z))

    true = 8000.0 * (curve(0.45) - curve(0.3))
    assert sim.loc[0, "delta_y"] == pytest.approx(true, rel=1e-4)
    assert sim.loc[0, "sigma"] == pytest.approx(1e-5 * true, rel=1e-6)


def test_the_examples_truth_and_lift_test():
    from bayes_widgets.core.mmm.recovery_lift import example_lift_test, example_truth
    from bayes_widgets.datasets import mmm_example_truth

    truth = example_truth()
    assert truth["shares"] == pytest.approx(mmm_example_truth()["shares"])
    df = mmm_example()
    x1 = 1000 * np.sum(mmm_example_truth()["contributions"]["x1"]) / df["x1"].sum()
    assert truth["roas"]["x1"] == pytest.approx(x1)
    lift = example_lift_test("x1", change=0.5, relative_sd=0.1, seed=1)
    x = df["x1"].mean()
    assert lift.loc[0, "x"] == pytest.approx(x) and lift.loc[0, "delta_x"] == pytest.approx(x / 2)
    assert lift.loc[0, "sigma"] == pytest.approx(0.1 * lift.loc[0, "true_lift"])
    assert abs(lift.loc[0, "delta_y"] - lift.loc[0, "true_lift"]) < 4 * lift.loc[0, "sigma"]
    with pytest.raises(MMMDataError, match="relative_sd"):
        example_lift_test("x1", relative_sd=0)


@pytest.mark.slow
def test_a_lift_test_on_x1_tightens_and_corrects_its_recovered_roas(tmp_path):
    """mmm_example (known truth): the recovery fleet's truth run without and with a lift
    test on x1 (its mean weekly spend raised by half, the lift measured with a 5 % sd)."""
    from concurrent.futures import ThreadPoolExecutor

    from bayes_widgets.core.mmm.fleets import recovery_fleet
    from bayes_widgets.core.mmm.recovery_lift import example_lift_test, example_truth

    full = MMMModel(
        mmm_example(),
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=8,
        yearly_seasonality=2,
    )
    truth = example_truth()
    lift = example_lift_test("x1", change=0.5, relative_sd=0.05, seed=0)
    result = recovery_fleet(
        full,
        runs=0,
        truth=truth["shares"],
        truth_roas=truth["roas"],
        lift_tests=lift.drop(columns="true_lift"),
        out=tmp_path,
        fit={"draws": 300, "tune": 300, "chains": 2, "seed": 3},
        executor=ThreadPoolExecutor(1),
    )
    table = result.summary()
    assert list(table["status"]) == ["done", "done"], table.get("error")
    assert list(table["arm"]) == ["without lift tests", "with lift tests"]
    effect = result.lift_effect().loc["x1"]
    assert effect["error_with"] < effect["error_without"]
    assert effect["width_with"] < effect["width_without"]
    rec = pd.read_csv(tmp_path / "recovery-truth-lift" / "recovery.csv").set_index("parameter")
    assert rec.loc["roas x1", "true"] == pytest.approx(truth["roas"]["x1"])
