"""Linear regression on a DataFrame and posterior predictions for new rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pymc.model.fgraph import clone_model
from scipy import stats

import bayes_widgets as bw
from bayes_widgets.core.regression import (
    LinearRegression,
    RegressionInputError,
    interval_suffix,
    predict_new_rows,
    prediction_columns,
    summarize_draws,
)

FIT = {"draws": 200, "tune": 200, "chains": 2, "seed": 11}
BETA = {"x1": 3.0, "x2": -2.0}


def make_data(n=60, seed=0, errors=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(5.0, 2.0, size=n),
            "flag": rng.integers(0, 2, size=n).astype(bool),
        }
    )
    true = 1.0 + BETA["x1"] * df.x1 + BETA["x2"] * df.x2 + rng.normal(0, 0.5, n)
    if errors:
        df["y_se"] = rng.uniform(0.2, 1.5, n)
        df["y"] = true + rng.normal(0, df["y_se"])
    else:
        df["y"] = true
    return df


@pytest.fixture(scope="module")
def plain():
    reg = LinearRegression(make_data(), "y", ["x1", "x2"])
    reg.fit(**FIT)
    return reg


@pytest.fixture(scope="module")
def with_errors():
    reg = LinearRegression(
        make_data(80, seed=1, errors=True), "y", ["x1", "x2"], target_error="y_se"
    )
    reg.fit(**FIT)
    return reg


NEW = pd.DataFrame({"x1": [0.0, 1.0, -2.0, 0.5], "x2": [5.0, 5.0, 1.0, 9.0]})


def direct(reg, new, seed, se=None):
    """The reference: pm.set_data + pm.sample_posterior_predictive on a copy of the model."""
    model = clone_model(reg.model)
    values = {"X": new[reg.features].to_numpy(float), "y_data": np.zeros(len(new))}
    if reg.measurement_error:
        values["y_se"] = np.zeros(len(new)) if se is None else np.asarray(se, float)
    with model:
        pm.set_data(values, coords={"obs": np.arange(len(new))})
        pp = pm.sample_posterior_predictive(
            reg.posterior, var_names=["mu", "y"], random_seed=seed, progressbar=False
        )
    ds = pp["posterior_predictive"].to_dataset()
    return {
        v: ds[v].transpose("chain", "draw", "obs").values.reshape(-1, len(new)) for v in ("mu", "y")
    }


def test_model_is_built_from_the_frame_with_data_scaled_priors():
    df = make_data()
    reg = LinearRegression(df, "y")  # features: every numeric column but the target
    assert reg.features == ["x1", "x2", "flag"]
    m = reg.model
    assert list(m.coords["feature"]) == ["x1", "x2", "flag"] and len(m.coords["obs"]) == len(df)
    assert {v.name for v in m.data_vars} == {"X", "y_data"}
    assert m.named_vars_to_dims["beta"] == ("feature",) and m.named_vars_to_dims["y"] == ("obs",)
    assert {v.name for v in m.free_RVs} == {"alpha", "beta", "sigma"}
    sd_y = df.y.std(ddof=0)
    assert reg.priors["alpha"] == {
        "dist": "Normal",
        "mu": pytest.approx(df.y.mean()),
        "sigma": pytest.approx(2.5 * sd_y),
    }
    assert reg.priors["beta"]["sigma"]["x2"] == pytest.approx(2.5 * sd_y / df.x2.std(ddof=0))
    assert reg.priors["sigma"]["sigma"] == pytest.approx(sd_y)
    wide = LinearRegression(df, "y", ["x1"], prior_scale=10)
    assert wide.priors["alpha"]["sigma"] == pytest.approx(10 * sd_y)


def test_measurement_error_likelihood_adds_the_known_variance():
    df = make_data(30, errors=True)
    reg = LinearRegression(df, "y", ["x1", "x2"], target_error="y_se")
    assert "y_se" in {v.name for v in reg.model.data_vars}
    point = {"alpha": 0.3, "beta": np.array([2.0, -1.0]), "sigma_log__": np.log(0.7)}
    logp = reg.model.compile_logp(vars=[reg.model["y"]])(point)
    mu = 0.3 + (df[["x1", "x2"]].to_numpy() - reg.x_mean) @ [2.0, -1.0]
    expected = stats.norm.logpdf(df.y, mu, np.sqrt(0.7**2 + df.y_se**2)).sum()
    assert logp == pytest.approx(expected, rel=1e-10)
    # errors given as values, not a column: the same model
    same = LinearRegression(
        df.drop(columns="y_se"), "y", ["x1", "x2"], target_error=df.y_se.to_numpy()
    )
    assert same.model.compile_logp(vars=[same.model["y"]])(point) == pytest.approx(logp, rel=1e-12)


def test_the_fit_recovers_the_slopes(plain, with_errors):
    for reg in (plain, with_errors):
        beta = reg.result.posterior["beta"].mean(("chain", "draw"))
        assert beta.sel(feature="x1").item() == pytest.approx(BETA["x1"], abs=0.4)
        assert beta.sel(feature="x2").item() == pytest.approx(BETA["x2"], abs=0.3)
    assert plain.result.posterior["intercept"].mean().item() == pytest.approx(1.0, abs=1.0)


@pytest.mark.parametrize("interval", ["eti", "hdi"])
def test_predictions_match_sample_posterior_predictive(plain, interval):
    out = plain.predict(NEW, prob=0.9, interval=interval, seed=3)
    ref = direct(plain, NEW, seed=4)
    tag = interval_suffix(0.9, interval)
    assert list(out.columns) == ["x1", "x2", *prediction_columns(0.9, interval)]
    assert out[["x1", "x2"]].equals(NEW)
    # mu is computed exactly from the same draws
    mu = summarize_draws(ref["mu"], 0.9, interval)
    columns = ("mu_mean", "mu_sd", f"mu_{tag}_lower", f"mu_{tag}_upper")
    for stat, col in zip(("mean", "sd", "lower", "upper"), columns, strict=True):
        np.testing.assert_allclose(out[col], mu[stat], rtol=1e-8, atol=1e-8)
    # a new observation: the same distribution, up to Monte-Carlo error
    y = summarize_draws(ref["y"], 0.9, interval)
    draws = ref["y"].shape[0]
    mc = y["sd"] * np.sqrt(2 / draws)
    np.testing.assert_array_less(np.abs(out["y_mean"] - y["mean"]), 5 * mc)
    np.testing.assert_allclose(out["y_sd"], y["sd"], rtol=0.2)
    np.testing.assert_array_less(np.abs(out[f"y_{tag}_lower"] - y["lower"]), 10 * mc)
    np.testing.assert_array_less(np.abs(out[f"y_{tag}_upper"] - y["upper"]), 10 * mc)
    sigma2 = np.mean(plain.result.posterior["sigma"].values ** 2)  # the noise is in y, not in mu
    np.testing.assert_allclose(out["y_sd"] ** 2, out["mu_sd"] ** 2 + sigma2, rtol=0.25)
    assert (out["y_sd"] ** 2 > out["mu_sd"] ** 2 + 0.5 * sigma2).all()
    assert (
        out.attrs["interval"] == interval
        and out.attrs["prob"] == 0.9
        and out.attrs["draws"] == draws
    )


def test_method_pymc_is_the_direct_computation(plain):
    out = plain.predict(NEW, method="pymc", seed=8)
    ref = direct(plain, NEW, seed=8)
    for var in ("mu", "y"):
        s = summarize_draws(ref[var])
        np.testing.assert_allclose(out[f"{var}_mean"], s["mean"], rtol=1e-10)
        np.testing.assert_allclose(out[f"{var}_eti95_upper"], s["upper"], rtol=1e-10)


def test_measurement_error_predictions_match_and_use_the_new_rows_errors(with_errors):
    reg = with_errors
    true_value = reg.predict(NEW, seed=1)
    assert "true value" in true_value.attrs["y"]
    se = [0.0, 1.0, 2.0, 4.0]
    measured = reg.predict(NEW.assign(y_se=se), seed=1)
    assert "measurement" in measured.attrs["y"] and list(measured.columns[:3]) == [
        "x1",
        "x2",
        "y_se",
    ]
    ref = direct(reg, NEW, seed=2, se=se)
    np.testing.assert_allclose(measured["mu_mean"], ref["mu"].mean(axis=0), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(measured["mu_sd"], true_value["mu_sd"], rtol=1e-12)
    np.testing.assert_allclose(measured["y_sd"], ref["y"].std(axis=0, ddof=1), rtol=0.2)
    sigma = reg.result.posterior["sigma"].values.ravel()
    expected_sd = np.sqrt(measured["mu_sd"] ** 2 + np.mean(sigma**2) + np.square(se))
    np.testing.assert_allclose(measured["y_sd"], expected_sd, rtol=0.15)
    assert measured["y_sd"].iloc[3] > 3 * true_value["y_sd"].iloc[3]


def test_predictions_are_reproducible_and_rows_keep_their_noise(plain):
    a = plain.predict(NEW, seed=5)
    pd.testing.assert_frame_equal(a, plain.predict(NEW, seed=5))
    other = plain.predict(NEW, seed=6)
    np.testing.assert_array_equal(a["mu_mean"], other["mu_mean"])
    assert not np.allclose(a["y_mean"], other["y_mean"])
    # drop row 1: the others keep their numbers when they keep their keys
    kept = NEW.drop(index=1)
    b = predict_new_rows(plain, plain.posterior, kept, seed=5, row_keys=[0, 2, 3])
    pd.testing.assert_frame_equal(b, a.drop(index=1))


def test_posterior_sources_and_probabilities(plain):
    by_result = predict_new_rows(plain, plain.result, NEW, seed=1)
    by_tree = predict_new_rows(plain, plain.result.idata, NEW, seed=1)
    pd.testing.assert_frame_equal(by_result, by_tree)
    out = plain.predict(NEW, prob=0.975, interval="hdi", seed=1)
    assert "y_hdi97.5_lower" in out.columns and out.attrs["interval_name"] == "highest-density"
    narrow, wide = plain.predict(NEW, prob=0.5, seed=1), plain.predict(NEW, prob=0.99, seed=1)
    assert (
        (narrow["y_eti50_upper"] - narrow["y_eti50_lower"])
        < (wide["y_eti99_upper"] - wide["y_eti99_lower"])
    ).all()
    empty = plain.predict(NEW.iloc[:0])
    assert len(empty) == 0 and "y_mean" in empty.columns


def test_interval_summaries_match_arviz():
    from arviz_stats import eti, hdi

    draws = np.random.default_rng(2).gamma(2.0, size=(1001, 3))
    for interval, fn in (("eti", eti), ("hdi", hdi)):
        s = summarize_draws(draws, 0.9, interval)
        for j in range(3):
            np.testing.assert_allclose(
                [s["lower"][j], s["upper"][j]], fn(draws[:, j], prob=0.9), rtol=1e-12
            )
    hdi_s, eti_s = summarize_draws(draws, 0.9, "hdi"), summarize_draws(draws, 0.9, "eti")
    assert (
        (hdi_s["upper"] - hdi_s["lower"]) < (eti_s["upper"] - eti_s["lower"])
    ).all()  # skewed: HDI is narrower


@pytest.mark.parametrize(
    ("change", "kwargs", "field", "words"),
    [
        (None, {"target": "sales"}, "target", "'sales'"),
        (None, {"features": ["x1", "x9"]}, "features", "x9"),
        (lambda d: d.assign(x1=["a"] * len(d)), {}, "data['x1']", "numeric"),
        (
            lambda d: d.assign(x2=np.where(d.index == 3, np.nan, d.x2)),
            {},
            "data['x2']",
            "row(s) [3]",
        ),
        (lambda d: d.assign(y=np.where(d.index == 7, np.nan, d.y)), {}, "data['y']", "row(s) [7]"),
        (lambda d: d.assign(x2=1.0), {}, "features", "x2"),
        (None, {"features": ["x1", "y"]}, "features", "'y' is the target"),
        (None, {"features": []}, "features", "empty"),
        (None, {"target_error": [0.1, 0.2]}, "target_error", "2 value(s) for 60 rows"),
        (None, {"target_error": "se"}, "target_error", "'se'"),
        (lambda d: d.assign(se=-0.1), {"target_error": "se"}, "target_error", "≥ 0"),
        (None, {"prior_scale": 0}, "prior_scale", "must be > 0"),
    ],
)
def test_bad_model_inputs_name_the_field(change, kwargs, field, words):
    df = make_data()
    if change is not None:
        df = change(df)
    args = {"target": "y", "features": ["x1", "x2"], **kwargs}
    with pytest.raises(RegressionInputError) as info:
        LinearRegression(df, **args)
    assert info.value.field == field and words in str(info.value), str(info.value)


@pytest.mark.parametrize(
    ("rows", "field", "words"),
    [
        (NEW.assign(x2=[5.0, np.nan, 1.0, 2.0]), "new_rows['x2']", "row(s) [1]"),
        (NEW.assign(x1=["a", "b", "c", "d"]), "new_rows['x1']", "numeric"),
        (NEW.assign(x3=1.0), "new_rows", "unknown column(s) ['x3']"),
        (NEW.drop(columns="x2"), "new_rows", "missing column(s) ['x2']"),
        (NEW.assign(y=1.0), "new_rows['y']", "target"),
        (
            NEW.assign(y_se=1.0),
            "new_rows",
            "unknown column(s) ['y_se']",
        ),  # no measurement error here
        ("x1=1", "new_rows", "DataFrame"),
    ],
)
def test_bad_new_rows_name_the_column(plain, rows, field, words):
    with pytest.raises(RegressionInputError) as info:
        plain.predict(rows)
    assert info.value.field == field and words in str(info.value), str(info.value)


def test_bad_prediction_requests(plain, with_errors):
    unfitted = LinearRegression(make_data(), "y", ["x1", "x2"])
    with pytest.raises(RegressionInputError, match="posterior: the regression has not been fitted"):
        unfitted.predict(NEW)
    other = LinearRegression(make_data(), "y", ["x1"])
    with pytest.raises(
        RegressionInputError, match=r"posterior: was fitted with features \['x1', 'x2'\]"
    ):
        other.predict(NEW[["x1"]], plain.posterior)
    with pytest.raises(RegressionInputError, match=r"new_rows\['y_se'\]: must be ≥ 0"):
        with_errors.predict(NEW.assign(y_se=-1.0))
    for kwargs, field in (
        ({"prob": 1.0}, "prob"),
        ({"interval": "hpd"}, "interval"),
        ({"seed": -1}, "seed"),
        ({"method": "exact"}, "method"),
        ({"row_keys": [1]}, "row_keys"),
    ):
        with pytest.raises(RegressionInputError) as info:
            plain.predict(NEW, **kwargs)
        assert info.value.field == field
    failed = bw.FitResult(
        status="failed",
        idata=None,
        summarize=lambda: None,
        backend="pymc",
        partial=False,
        message="",
        draws_completed=(),
    )
    with pytest.raises(RegressionInputError, match="holds no draws"):
        plain.predict(NEW, failed)


def test_summarise_draws_is_a_deprecated_alias_of_summarize_draws():
    from bayes_widgets.core.regression import summarise_draws

    draws = np.random.default_rng(0).normal(size=(200, 3))
    with pytest.warns(DeprecationWarning, match="summarize_draws"):
        old = summarise_draws(draws, 0.9, "hdi")
    new = summarize_draws(draws, 0.9, "hdi")
    for stat in ("mean", "sd", "lower", "upper"):
        np.testing.assert_array_equal(old[stat], new[stat])
