"""PredictionTable, Python side: edits, added and removed rows, errors keep the table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import bayes_widgets as bw
from bayes_widgets.core.regression import RegressionInputError

SLOPE = 3.0


@pytest.fixture(scope="module")
def reg():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x1": rng.normal(size=50), "x2": rng.normal(size=50)})
    df["y"] = 2.0 + SLOPE * df.x1 - 1.0 * df.x2 + rng.normal(0, 0.3, 50)
    df["y_se"] = 0.2
    model = bw.LinearRegression(df, "y", ["x1", "x2"], target_error="y_se")
    model.fit(draws=200, tune=200, chains=2, seed=3)
    return model


ROWS = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, -0.5]})


def send(widget, outbox, kind, **payload):
    widget.send = outbox
    widget._dispatch(widget, {"type": kind, **payload}, [])


def prediction(table, row, stat="y_mean"):
    return table.rows[row]["prediction"][stat]


def test_shows_the_rows_and_their_predictions(reg):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    assert table.target == "y" and table.columns == ["x1", "x2"]
    assert [r["inputs"] for r in table.rows] == [{"x1": 0.0, "x2": 0.5}, {"x1": 1.0, "x2": -0.5}]
    expected = reg.predict(ROWS, seed=1, row_keys=[0, 1])
    pd.testing.assert_frame_equal(table.to_dataframe(), expected)
    for i in range(2):
        p = table.rows[i]["prediction"]
        assert p["y_mean"] == pytest.approx(expected["y_mean"][i])
        assert p["y_lower"] == pytest.approx(expected["y_eti95_lower"][i])
        assert p["mu_upper"] == pytest.approx(expected["mu_eti95_upper"][i])
        assert (
            p["y_lower"] < p["y_mean"] < p["y_upper"]
            and p["mu_lower"] < p["mu_mean"] < p["mu_upper"]
        )
    assert table.interval_label == "95% equal-tailed interval" and table.draws == 400
    assert "true value" in table.meaning["y"]
    json.dumps(table.rows, allow_nan=False)
    assert '"name": "predictions"' in table.figure
    default = bw.PredictionTable(reg)  # one row at the training means
    assert default.rows[0]["inputs"]["x1"] == pytest.approx(reg.x_mean[0])


def test_editing_a_cell_recomputes_that_row_only(reg, outbox):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    before = [dict(r["prediction"]) for r in table.rows]
    revision = table.revision
    send(table, outbox, "edit", key=0, column="x1", value="2")
    assert not table.error and table.revision == revision + 1
    assert table.rows[0]["inputs"]["x1"] == 2.0
    assert prediction(table, 0, "mu_mean") - before[0]["mu_mean"] == pytest.approx(
        2 * SLOPE, abs=0.3
    )
    assert table.rows[1]["prediction"] == before[1]
    assert table.to_dataframe().loc[0, "x1"] == 2.0
    table.edit(1, "x2", 1.5)  # the same through Python
    assert table.rows[1]["inputs"]["x2"] == 1.5 and prediction(table, 1) < before[1]["y_mean"]


def test_rows_are_added_and_removed(reg, outbox):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    send(table, outbox, "add_row")
    assert (
        len(table.rows) == 3 and table.rows[2]["inputs"] == table.rows[1]["inputs"]
    )  # copies the last row
    assert table.rows[2]["prediction"]["mu_mean"] == table.rows[1]["prediction"]["mu_mean"]
    assert (
        table.rows[2]["prediction"]["y_mean"] != table.rows[1]["prediction"]["y_mean"]
    )  # its own noise
    table.add_row({"x1": -1})
    assert table.rows[3]["inputs"] == {"x1": -1.0, "x2": -0.5}
    last = dict(table.rows[3]["prediction"])
    send(table, outbox, "remove_row", key=table.rows[0]["key"])
    assert len(table.rows) == 3 and table.rows[2]["prediction"] == last  # moved up, same numbers
    assert list(table.to_dataframe().index) == [0, 1, 2]
    for _ in range(3):
        table.remove_row(0)
    assert table.rows == [] and len(table.to_dataframe()) == 0
    table.add_row()  # from an empty table: the training means
    assert table.rows[0]["inputs"]["x2"] == pytest.approx(reg.x_mean[1])


@pytest.mark.parametrize(
    ("kind", "payload", "field", "words"),
    [
        (
            "edit",
            {"key": 0, "column": "x1", "value": "abc"},
            "new_rows['x1']",
            "'abc' in row 0 is not a number",
        ),
        ("edit", {"key": 1, "column": "x2", "value": ""}, "new_rows['x2']", "row(s) [1]"),
        ("edit", {"key": 0, "column": "x9", "value": "1"}, "column", "x9"),
        ("edit", {"key": 99, "column": "x1", "value": "1"}, "row", "no longer"),
        ("remove_row", {"key": 99}, "row", "no longer"),
        ("interval", {"prob": 1.5, "interval": "eti"}, "prob", "(0, 1)"),
        ("interval", {"prob": 0.9, "interval": "hpd"}, "interval", "hpd"),
    ],
)
def test_bad_input_is_shown_inline_and_the_table_kept(reg, outbox, kind, payload, field, words):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    before = (json.dumps(table.rows), table.revision, table.interval_label)
    frame = table.to_dataframe()
    send(table, outbox, kind, **payload)
    assert table.error.startswith(f"{field}:") and words in table.error, table.error
    assert (json.dumps(table.rows), table.revision, table.interval_label) == before
    pd.testing.assert_frame_equal(table.to_dataframe(), frame)
    rejected = outbox.of_type("rejected")
    assert rejected[-1]["field"] == field
    send(table, outbox, "edit", key=0, column="x1", value="0.5")  # the next good edit clears it
    assert table.error == "" and table.rows[0]["inputs"]["x1"] == 0.5


def test_the_interval_can_change(reg, outbox):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    wide = table.rows[0]["prediction"]
    send(table, outbox, "interval", prob=0.5, interval="hdi")
    assert not table.error and table.interval_label == "50% highest-density interval"
    narrow = table.rows[0]["prediction"]
    assert narrow["y_upper"] - narrow["y_lower"] < wide["y_upper"] - wide["y_lower"]
    assert narrow["y_mean"] == wide["y_mean"]
    assert "y_hdi50_lower" in table.to_dataframe().columns
    assert "50% highest-density interval" in table.figure


def test_rows_with_known_errors_predict_a_measurement(reg):
    table = bw.PredictionTable(reg, ROWS.assign(y_se=[0.0, 3.0]), seed=1)
    assert table.columns == ["x1", "x2", "y_se"] and "measurement" in table.meaning["y"]
    assert table.rows[1]["prediction"]["y_sd"] > 2.5
    with pytest.raises(RegressionInputError, match=r"new_rows\['y_se'\]: must be ≥ 0"):
        table.edit(0, "y_se", -1)
    assert table.rows[0]["inputs"]["y_se"] == 0.0


def test_construction_errors(reg):
    unfitted = bw.LinearRegression(reg.data, "y", ["x1", "x2"])
    with pytest.raises(RegressionInputError, match="posterior: the regression has not been fitted"):
        bw.PredictionTable(unfitted, ROWS)
    with pytest.raises(RegressionInputError, match=r"new_rows: missing column\(s\) \['x2'\]"):
        bw.PredictionTable(reg, ROWS[["x1"]])
    with pytest.raises(RegressionInputError, match="regression: expected a LinearRegression"):
        bw.PredictionTable(reg.model, ROWS)
    table = bw.PredictionTable(reg, ROWS, posterior=reg.result, plot=False)  # a FitResult works too
    assert table.show_plot is False
    with pytest.raises(RegressionInputError, match="new_rows: must have the columns"):
        table.set_rows(ROWS.assign(y_se=1.0))
    table.set_rows(ROWS.iloc[:1])
    assert len(table.rows) == 1
