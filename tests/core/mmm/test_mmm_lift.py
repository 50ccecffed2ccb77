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
