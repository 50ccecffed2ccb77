"""PredictionTable, Python side: edits, added and removed rows, errors keep the table; the
project's LinearRegression, a hand-written pm.Data model and a NumPyro model."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pymc as pm
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
    assert '"name": "predictions"' in table.prediction_figure
    default = bw.PredictionTable(reg)  # one row at the training means
    assert default.rows[0]["inputs"]["x1"] == pytest.approx(reg.x_mean[0])


def test_the_old_figure_name_still_reads_the_plot_with_a_warning(reg):
    table = bw.PredictionTable(reg, ROWS, seed=1)
    with pytest.warns(DeprecationWarning, match="prediction_figure"):
        old = table.figure
    assert old == table.prediction_figure and '"name": "predictions"' in old


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
    assert "50% highest-density interval" in table.prediction_figure


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
    with pytest.raises(RegressionInputError, match="model: expected a LinearRegression, a pymc"):
        bw.PredictionTable("reg", ROWS)
    with pytest.raises(RegressionInputError, match="posterior: no posterior given"):
        bw.PredictionTable(reg.model, ROWS)  # a pymc.Model needs its posterior
    with pytest.raises(RegressionInputError, match="model_args: is not an option for a regression"):
        bw.PredictionTable(reg, ROWS, model_args=(1,))
    table = bw.PredictionTable(reg, ROWS, posterior=reg.result, plot=False)  # a FitResult works too
    assert table.show_plot is False
    with pytest.raises(RegressionInputError, match="new_rows: must have the columns"):
        table.set_rows(ROWS.assign(y_se=1.0))
    table.set_rows(ROWS.iloc[:1])
    assert len(table.rows) == 1


# -- a model written by hand --------------------------------------------------------------------------
FEATURES = ["temp", "price", "weekend"]
TRUE_BETA = np.array([0.5, -2.0, 3.0])


@pytest.fixture(scope="module")
def own():
    """Sales against temperature, price and weekend, as the PyMC docs write a regression."""
    rng = np.random.default_rng(7)
    n = 40
    X = np.column_stack([rng.normal(20, 5, n), rng.normal(3, 1, n), rng.integers(0, 2, n)])
    sales = 10 + X @ TRUE_BETA + rng.normal(0, 1, n)
    with pm.Model(coords={"obs": np.arange(n), "feature": FEATURES}) as model:
        X_data = pm.Data("X", X, dims=("obs", "feature"))
        sales_obs = pm.Data("sales_obs", sales, dims="obs")
        alpha = pm.Normal("alpha", 0, 20)
        beta = pm.Normal("beta", 0, 5, dims="feature")
        sigma = pm.HalfNormal("sigma", 3)
        mu = pm.Deterministic("mu", alpha + X_data @ beta, dims="obs")
        pm.Normal("sales", mu, sigma, observed=sales_obs, dims="obs")
        idata = pm.sample(
            draws=200,
            tune=300,
            chains=2,
            cores=1,
            random_seed=2,
            progressbar=False,
            nuts_sampler="pymc",
            compute_convergence_checks=False,
        )
    return model, idata


OWN_ROWS = pd.DataFrame({"temp": [20.0, 25.0], "price": [3.0, 3.0], "weekend": [0.0, 1.0]})


def test_a_hand_written_model_shows_every_predicted_variable(own, outbox):
    model, idata = own
    data_before = model["X"].get_value().copy()
    table = bw.PredictionTable(model, OWN_ROWS, posterior=idata, seed=2)
    assert table.columns == FEATURES and table.target == "sales"
    assert [(v["name"], v["kind"]) for v in table.variables] == [
        ("mu", "deterministic"),
        ("sales", "observed"),
    ]
    assert table.plot_vars == ["mu", "sales"] and table.draws == 400
    expected = bw.predict_new_rows(model, idata, OWN_ROWS, seed=2)
    pd.testing.assert_frame_equal(table.to_dataframe(), expected)
    p = table.rows[1]["prediction"]
    assert p["sales_mean"] == pytest.approx(expected["sales_mean"][1])
    assert p["mu_lower"] < p["mu_mean"] < p["mu_upper"] and p["sales_sd"] > 0
    assert set(table.meaning) == {"mu", "sales"}
    json.dumps(table.rows, allow_nan=False)
    assert "new sales" in table.prediction_figure
    # a cell edited on the page: five degrees more, about 2.5 more sales
    before = [dict(r["prediction"]) for r in table.rows]
    start = time.perf_counter()
    send(table, outbox, "edit", key=0, column="temp", value="25")
    elapsed = time.perf_counter() - start
    assert not table.error and table.rows[0]["inputs"]["temp"] == 25.0
    assert prediction(table, 0, "mu_mean") - before[0]["mu_mean"] == pytest.approx(
        5 * TRUE_BETA[0], abs=0.6
    )
    assert prediction(table, 1, "mu_mean") == before[1]["mu_mean"]  # the other row stays
    assert elapsed < 0.5, elapsed
    # rows added (a copy of the last) and removed, and a bad value named inline
    send(table, outbox, "add_row")
    assert len(table.rows) == 3 and table.rows[2]["inputs"] == table.rows[1]["inputs"]
    send(table, outbox, "edit", key=table.rows[2]["key"], column="price", value="cheap")
    assert table.error.startswith("new_rows['price']:") and "'cheap' in row 2" in table.error
    assert len(table.rows) == 3 and table.rows[2]["inputs"]["price"] == 3.0
    send(table, outbox, "remove_row", key=table.rows[0]["key"])
    assert len(table.rows) == 2 and not table.error
    send(table, outbox, "interval", prob=0.9, interval="hdi")
    assert "sales_hdi90_lower" in table.to_dataframe().columns
    np.testing.assert_array_equal(model["X"].get_value(), data_before)  # the model is untouched
    assert len(model.coords["obs"]) == 40
    default = bw.PredictionTable(model, posterior=idata)  # one row at the training means
    assert default.rows[0]["inputs"]["temp"] == pytest.approx(data_before[:, 0].mean())


def test_a_hand_written_model_with_bad_options(own):
    model, idata = own
    with pytest.raises(RegressionInputError) as info:
        bw.PredictionTable(model, OWN_ROWS.drop(columns="price"), posterior=idata)
    assert info.value.field == "new_rows['price']"
    with pytest.raises(RegressionInputError) as info:
        bw.PredictionTable(model, OWN_ROWS, posterior=idata, inputs=["X"])
    assert info.value.field == "inputs"
    table = bw.PredictionTable(model, OWN_ROWS, posterior=idata, var_names=["mu"], plot=False)
    assert [v["name"] for v in table.variables] == ["mu"] and table.plot_vars == ["mu", ""]


def test_a_numpyro_model(outbox):
    jax = pytest.importorskip("jax")
    numpyro = pytest.importorskip("numpyro")
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model(x, store, y=None):
        level = numpyro.sample("level", dist.Normal(0, 5).expand([2]).to_event(1))
        slope = numpyro.sample("slope", dist.Normal(0, 2))
        noise = numpyro.sample("noise", dist.HalfNormal(1))
        mean = numpyro.deterministic("mean", level[store] + slope * x)
        with numpyro.plate("rows", x.shape[0]):
            numpyro.sample("y", dist.Normal(mean, noise), obs=y)

    rng = np.random.default_rng(1)
    x, store = rng.normal(size=40), rng.integers(0, 2, 40)
    y = np.array([1.0, 4.0])[store] + 2.0 * x + rng.normal(0, 0.3, 40)
    mcmc = MCMC(NUTS(model), num_warmup=150, num_samples=200, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(0), x, store, y=y)
    rows = pd.DataFrame({"x": [0.0, 1.0], "store": [0, 1]})
    table = bw.PredictionTable(
        model, rows, posterior=mcmc, model_args=(x, store), model_kwargs={"y": y}, seed=1
    )
    assert table.columns == ["x", "store"] and [v["name"] for v in table.variables] == [
        "mean",
        "y",
    ]
    assert prediction(table, 0, "mean_mean") == pytest.approx(1.0, abs=0.3)
    send(table, outbox, "edit", key=0, column="x", value="1")
    assert prediction(table, 0, "mean_mean") == pytest.approx(3.0, abs=0.3)
    send(table, outbox, "edit", key=0, column="store", value="0.5")
    assert table.error.startswith("new_rows['store']:") and "whole numbers" in table.error
    assert table.rows[0]["inputs"]["store"] == 0.0
