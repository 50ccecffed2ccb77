"""Predictions for new rows of models written by hand, as the PyMC and NumPyro docs teach.

Every prediction is checked against the direct computation: ``pm.set_data`` +
``pm.sample_posterior_predictive`` on a copy of the model (PyMC) or
``numpyro.infer.Predictive`` with the new arguments (NumPyro).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from pymc.model.fgraph import clone_model

import bayes_widgets as bw
from bayes_widgets.core.prediction import PredictionInputError
from bayes_widgets.core.prediction.pymc_models import ModelPredictor
from bayes_widgets.core.regression import RegressionInputError

FEATURES = ["temp", "price", "weekend"]
GROUPS = ["north", "south", "east"]
DRAWS = 1000


def prior_as_posterior(model, draws=DRAWS, seed=0):
    """Draws of the prior, stored as a posterior (2 chains): enough to compare computations."""
    with model:
        prior = pm.sample_prior_predictive(draws, random_seed=seed)["prior"].to_dataset()
    half = draws // 2
    variables = {}
    for rv in model.free_RVs:
        da = prior[rv.name].isel(chain=0)
        values = da.values[: 2 * half].reshape(2, half, *da.shape[1:])
        variables[rv.name] = (("chain", "draw", *da.dims[1:]), values)
    posterior = xr.Dataset(
        variables, coords={k: v for k, v in prior.coords.items() if k not in ("chain", "draw")}
    )
    return xr.DataTree.from_dict({"/posterior": posterior})


# -- the models ---------------------------------------------------------------------------------
def regression_model(n=40, seed=1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(20, 5, n), rng.normal(3, 1, n), rng.integers(0, 2, n)])
    y = 10 + X @ [0.5, -2.0, 3.0] + rng.normal(0, 1, n)
    coords = {"obs": np.arange(n), "feature": FEATURES}
    with pm.Model(coords=coords) as model:
        X_data = pm.Data("X", X, dims=("obs", "feature"))
        x_centre = pm.Data("x_centre", X.mean(axis=0), dims="feature")
        y_obs = pm.Data("y_obs", y, dims="obs")
        alpha = pm.Normal("alpha", 20, 10)
        beta = pm.Normal("beta", 0, 2, dims="feature")
        sigma = pm.HalfNormal("sigma", 2)
        mu = pm.Deterministic("mu", alpha + (X_data - x_centre) @ beta, dims="obs")
        pm.Normal("y", mu, sigma, observed=y_obs, dims="obs")
    return model


def logistic_model(n=60, seed=2):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.5 + 2 * x1 - x2))))
    with pm.Model(coords={"obs": np.arange(n)}) as model:
        x1_data = pm.Data("x1", x1, dims="obs")
        x2_data = pm.Data("x2", x2, dims="obs")
        y_obs = pm.Data("y_obs", y, dims="obs")
        intercept = pm.Normal("intercept", 0, 1.5)
        b1 = pm.Normal("b1", 0, 1.5)
        b2 = pm.Normal("b2", 0, 1.5)
        p = pm.Deterministic(
            "p", pm.math.invlogit(intercept + b1 * x1_data + b2 * x2_data), dims="obs"
        )
        pm.Bernoulli("y", p=p, observed=y_obs, dims="obs")
    return model


def hierarchical_model(n=45, seed=3):
    """Centred: group means drawn around a population mean."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, len(GROUPS), n)
    x = rng.normal(size=n)
    y = np.array([1.0, 3.0, -1.0])[group] + 0.8 * x + rng.normal(0, 0.5, n)
    with pm.Model(coords={"obs": np.arange(n), "group": GROUPS}) as model:
        group_idx = pm.Data("group_idx", group, dims="obs")
        x_data = pm.Data("x", x, dims="obs")
        y_obs = pm.Data("y_obs", y, dims="obs")
        mu_pop = pm.Normal("mu_pop", 0, 3)
        tau = pm.HalfNormal("tau", 2)
        a = pm.Normal("a", mu_pop, tau, dims="group")
        b = pm.Normal("b", 0, 1)
        sigma = pm.HalfNormal("sigma", 1)
        mu = pm.Deterministic("mu", a[group_idx] + b * x_data, dims="obs")
        pm.Normal("y", mu, sigma, observed=y_obs, dims="obs")
    return model


@pytest.fixture(scope="module")
def regression():
    """The one real fit: a short NUTS run of the hand-written regression."""
    model = regression_model()
    with model:
        idata = pm.sample(
            draws=250,
            tune=250,
            chains=2,
            cores=1,
            random_seed=5,
            progressbar=False,
            nuts_sampler="pymc",
            compute_convergence_checks=False,
        )
    return model, idata


@pytest.fixture(scope="module")
def logistic():
    model = logistic_model()
    return model, prior_as_posterior(model, seed=1)


@pytest.fixture(scope="module")
def hierarchical():
    model = hierarchical_model()
    return model, prior_as_posterior(model, seed=2)


# -- the reference ----------------------------------------------------------------------------------
def reference(model, posterior, values, var_names, n, seed=7):
    """pm.set_data + pm.sample_posterior_predictive on a copy of the model: draws × rows."""
    copy = clone_model(model)
    with copy:
        pm.set_data(values, coords={"obs": np.arange(n)})
        pp = pm.sample_posterior_predictive(
            posterior, var_names=var_names, random_seed=seed, progressbar=False
        )
    ds = pp["posterior_predictive"].to_dataset()
    return {v: ds[v].transpose("chain", "draw", "obs").values.reshape(-1, n) for v in var_names}


def snapshot(model):
    """Everything about a model that a prediction could change."""
    return {
        "data": {v.name: np.array(v.get_value(), copy=True) for v in model.data_vars},
        "coords": {k: None if v is None else tuple(v) for k, v in model.coords.items()},
        "dims": {
            k: int(v.get_value()) if hasattr(v, "get_value") else int(v.eval())
            for k, v in model.dim_lengths.items()
        },
        "vars": list(model.named_vars),
    }


def assert_same_model(before, after):
    assert after["coords"] == before["coords"] and after["dims"] == before["dims"]
    assert after["vars"] == before["vars"]
    assert before["data"].keys() == after["data"].keys()
    for name, value in before["data"].items():
        np.testing.assert_array_equal(after["data"][name], value, err_msg=name)


def assert_within_mc_error(ours, ref):
    """Means within 5 Monte-Carlo standard errors, spreads within 15%."""
    S = ours.shape[0]
    se = np.sqrt(ours.var(axis=0) / S + ref.var(axis=0) / ref.shape[0])
    assert np.all(np.abs(ours.mean(axis=0) - ref.mean(axis=0)) <= 5 * se + 1e-12)
    np.testing.assert_allclose(ours.std(axis=0), ref.std(axis=0), rtol=0.15, atol=1e-9)


NEW = pd.DataFrame({"temp": [15.0, 25.0, 30.0], "price": [2.0, 3.5, 4.0], "weekend": [0, 1, 1]})


# -- 1. linear regression with a matrix container ---------------------------------------------------
def test_regression_rows_map_to_the_matrix_columns_through_its_coords(regression):
    model, idata = regression
    predictor = ModelPredictor(model)
    assert predictor.row_dim == "obs" and predictor.columns == FEATURES
    assert [(t.name, t.kind) for t in predictor.targets] == [
        ("mu", "deterministic"),
        ("y", "observed"),
    ]
    assert predictor.placeholders == ["y_obs"]  # the observed data: placeholders
    before = snapshot(model)
    out = bw.predict_new_rows(model, idata, NEW, seed=3)
    assert_same_model(before, snapshot(model))
    assert list(out.columns) == [
        *FEATURES,
        *[f"{v}_{s}" for v in ("mu", "y") for s in ("mean", "sd", "eti95_lower", "eti95_upper")],
    ]
    assert out.attrs["draws"] == 500 and out.attrs["variables"] == {
        "mu": "deterministic",
        "y": "observed",
    }
    _, draws = predictor.draws(idata, NEW, seed=3)
    ref = reference(model, idata, {"X": NEW.to_numpy(float), "y_obs": np.zeros(3)}, ["mu", "y"], 3)
    np.testing.assert_allclose(draws["mu"][:, :, 0], ref["mu"], rtol=0, atol=1e-8)
    assert_within_mc_error(draws["y"][:, :, 0], ref["y"])
    np.testing.assert_allclose(out["mu_mean"], ref["mu"].mean(axis=0), atol=1e-8)
    lo, hi = np.quantile(ref["mu"], [0.025, 0.975], axis=0)
    np.testing.assert_allclose(out["mu_eti95_lower"], lo, atol=1e-8)
    np.testing.assert_allclose(out["mu_eti95_upper"], hi, atol=1e-8)
    # the fit recovers the slope of temp (0.5): ten degrees more, about five more
    assert out["mu_mean"][1] - out["mu_mean"][0] == pytest.approx(5 - 2 * 1.5 + 3, abs=1.5)
    assert_same_model(before, snapshot(model))


def test_rows_as_a_dict_of_columns_a_list_of_dicts_or_one_dict(regression):
    model, idata = regression
    frame = bw.predict_new_rows(model, idata, NEW, seed=1)
    as_dict = bw.predict_new_rows(model, idata, NEW.to_dict("list"), seed=1)
    as_records = bw.predict_new_rows(model, idata, NEW.to_dict("records"), seed=1)
    pd.testing.assert_frame_equal(frame, as_dict, check_dtype=False)
    pd.testing.assert_frame_equal(frame, as_records, check_dtype=False)
    one = bw.predict_new_rows(model, idata, {"temp": 15.0, "price": 2.0, "weekend": 0}, seed=1)
    assert len(one) == 1 and one["mu_mean"][0] == pytest.approx(frame["mu_mean"][0], abs=1e-10)
    # the same seed gives the same numbers; columns in another order are put in model order
    shuffled = bw.predict_new_rows(model, idata, NEW[["weekend", "temp", "price"]], seed=1)
    pd.testing.assert_frame_equal(frame, shuffled, check_dtype=False)
    hdi = bw.predict_new_rows(model, idata, NEW, prob=0.9, interval="hdi", seed=1)
    assert "y_hdi90_lower" in hdi.columns
    narrow = hdi["mu_hdi90_upper"] - hdi["mu_hdi90_lower"]
    assert (narrow < frame["mu_eti95_upper"] - frame["mu_eti95_lower"]).all()


def test_method_pymc_and_the_vectorised_call_agree(regression):
    model, idata = regression
    fast = bw.predict_new_rows(model, idata, NEW, seed=4)
    direct = bw.predict_new_rows(model, idata, NEW, seed=4, method="pymc")
    cols = [c for c in fast.columns if c.startswith("mu_")]
    np.testing.assert_allclose(fast[cols], direct[cols], atol=1e-8)
    np.testing.assert_allclose(fast["y_mean"], direct["y_mean"], atol=0.5)


def test_a_table_edit_is_interactive(regression):
    """Compiled once per model: later calls with a few rows and 2000 draws are fast."""
    model, idata = regression
    big = idata.copy()
    post = big["posterior"].to_dataset()
    big["posterior"] = xr.DataTree(
        xr.concat([post.assign_coords(draw=post.draw + 250 * k) for k in range(4)], "draw")
    )
    predictor = ModelPredictor(model)
    predictor.predict(big, NEW, seed=1)  # compiles
    times = []
    for k in range(5):
        start = time.perf_counter()
        out = predictor.predict(big, NEW.assign(temp=NEW.temp + k), seed=1)
        times.append(time.perf_counter() - start)
    assert out.attrs["draws"] == 2000
    assert min(times) < 0.25, times


@pytest.mark.parametrize(
    ("rows", "field", "words"),
    [
        (NEW.drop(columns="weekend"), "new_rows['weekend']", "missing column(s) ['weekend']"),
        (NEW.assign(humidity=0.3), "new_rows['humidity']", "unknown column(s) ['humidity']"),
        (NEW.assign(price=["a", "b", "c"]), "new_rows['price']", "must be numeric"),
        (NEW.assign(temp=[1.0, np.nan, 2.0]), "new_rows['temp']", "row(s) [1]"),
        (NEW.assign(x_centre=1.0), "new_rows['x_centre']", "not on the row dim 'obs'"),
        (NEW.assign(y=1.0), "new_rows['y']", "is what the model predicts"),
        (NEW.assign(y_obs=1.0), "new_rows['y_obs']", "is what the model predicts"),
        ("temp", "new_rows", "expected a DataFrame"),
    ],
)
def test_bad_rows_name_the_column(regression, rows, field, words):
    model, idata = regression
    with pytest.raises(PredictionInputError) as info:
        bw.predict_new_rows(model, idata, rows)
    assert info.value.field == field and words in str(info.value), str(info.value)
    assert isinstance(info.value, RegressionInputError)  # one kind of error for every model


def test_bad_requests_name_the_field(regression, logistic):
    model, idata = regression
    for kwargs, field in (
        ({"row_dim": "feature"}, "model"),
        ({"row_dim": "time"}, "row_dim"),
        ({"var_names": ["alpha"]}, "var_names"),
        ({"prob": 2}, "prob"),
        ({"interval": "hpd"}, "interval"),
        ({"seed": -1}, "seed"),
        ({"row_keys": [0, 1, 2]}, "row_keys"),
        ({"inputs": ["X"]}, "inputs"),
        ({"method": "exact"}, "method"),
    ):
        with pytest.raises(RegressionInputError) as info:
            bw.predict_new_rows(model, idata, NEW, **kwargs)
        assert info.value.field == field, (kwargs, str(info.value))
    with pytest.raises(RegressionInputError, match="posterior: lacks the model's free variable"):
        bw.predict_new_rows(model, logistic[1], NEW)
    with pytest.raises(RegressionInputError, match="posterior: no posterior given"):
        bw.predict_new_rows(model, None, NEW)
    with pytest.raises(RegressionInputError, match="model: expected a LinearRegression, a pymc"):
        bw.predict_new_rows("model", idata, NEW)
    only_mu = bw.predict_new_rows(model, idata, NEW, var_names=["mu"])
    assert not any(c.startswith("y_") for c in only_mu.columns)


def test_models_whose_inputs_cannot_be_mapped(regression):
    with pm.Model(coords={"obs": range(5)}) as no_dims:  # the likelihood has no named dim
        x = pm.Data("x", np.arange(5.0))
        pm.Normal("y", pm.Normal("b") * x, 1, observed=np.ones(5))
    with pytest.raises(PredictionInputError, match="row_dim: no dim is shared"):
        ModelPredictor(no_dims)
    with pm.Model(coords={"obs": range(4), "a": range(2), "b": range(2)}) as cube:
        z = pm.Data("z", np.ones((4, 2, 2)), dims=("obs", "a", "b"))
        mu = pm.Deterministic("mu", pm.Normal("c") * z.sum(axis=(1, 2)), dims="obs")
        pm.Normal("y", mu, 1, observed=np.ones(4), dims="obs")
    with pytest.raises(
        PredictionInputError, match=r"z: the container has dims \('obs', 'a', 'b'\)"
    ):
        ModelPredictor(cube)
    with pm.Model(coords={"obs": range(4)}) as no_inputs:
        pm.Normal("y", pm.Normal("m"), 1, observed=np.ones(4), dims="obs")
    with pytest.raises(PredictionInputError, match="row_dim|no input container"):
        ModelPredictor(no_inputs)


# -- 2. logistic regression with vector containers ---------------------------------------------------
def test_logistic_regression_with_vector_containers(logistic):
    model, posterior = logistic
    before = snapshot(model)
    rows = pd.DataFrame({"x1": [-1.0, 0.0, 2.0], "x2": [0.5, 0.0, -1.0]})
    predictor = ModelPredictor(model)
    assert predictor.columns == ["x1", "x2"] and [t.name for t in predictor.targets] == ["p", "y"]
    _, draws = predictor.draws(posterior, rows, seed=2)
    values = {"x1": rows.x1.to_numpy(), "x2": rows.x2.to_numpy(), "y_obs": np.zeros(3, int)}
    ref = reference(model, posterior, values, ["p", "y"], 3)
    np.testing.assert_allclose(draws["p"][:, :, 0], ref["p"], rtol=0, atol=1e-8)
    assert set(np.unique(draws["y"])) <= {0.0, 1.0}
    assert_within_mc_error(draws["y"][:, :, 0], ref["y"])
    out = bw.predict_new_rows(model, posterior, rows, seed=2)
    # a Bernoulli's mean is its probability, within Monte-Carlo error
    np.testing.assert_allclose(out["y_mean"], out["p_mean"], atol=5 * 0.5 / np.sqrt(DRAWS))
    assert_same_model(before, snapshot(model))
    assert model["y_obs"].get_value().dtype.kind == "i"
    with pytest.raises(PredictionInputError, match=r"new_rows\['x2'\]: missing or infinite"):
        bw.predict_new_rows(model, posterior, rows.assign(x2=[0.0, np.inf, 1.0]))


# -- 3. centred hierarchical model with a group index ---------------------------------------------
def test_hierarchical_model_predicts_rows_of_known_groups(hierarchical):
    model, posterior = hierarchical
    before = snapshot(model)
    rows = pd.DataFrame({"group_idx": [0, 2, 2, 1], "x": [0.0, 0.0, 1.0, -1.0]})
    predictor = ModelPredictor(model)
    assert predictor.columns == ["group_idx", "x"]
    _, draws = predictor.draws(posterior, rows, seed=3)
    values = {"group_idx": rows.group_idx.to_numpy(), "x": rows.x.to_numpy(), "y_obs": np.zeros(4)}
    ref = reference(model, posterior, values, ["mu", "y"], 4)
    np.testing.assert_allclose(draws["mu"][:, :, 0], ref["mu"], rtol=0, atol=1e-8)
    assert_within_mc_error(draws["y"][:, :, 0], ref["y"])
    a = posterior["posterior"]["a"].values.reshape(-1, 3)
    np.testing.assert_allclose(draws["mu"][:, 0, 0], a[:, 0], atol=1e-8)  # x = 0: the group mean
    assert predictor.defaults()["group_idx"] in (0.0, 1.0, 2.0)
    assert_same_model(before, snapshot(model))
    with pytest.raises(PredictionInputError) as info:
        bw.predict_new_rows(model, posterior, rows.assign(group_idx=[0, 1.5, 2, 1]))
    assert info.value.field == "new_rows['group_idx']" and "whole numbers" in str(info.value)
    with pytest.raises(PredictionInputError) as info:
        bw.predict_new_rows(model, posterior, rows.assign(group_idx=[0, 7, 2, 1]))
    assert info.value.field == "new_rows['group_idx']" and "[7]" in str(info.value)
    assert_same_model(before, snapshot(model))
    # the failed call left the predictor usable
    again, _ = predictor.draws(posterior, rows, seed=3)
    assert len(again) == 4


# -- 4. NumPyro ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def numpyro_fit():
    jax = pytest.importorskip("jax")
    numpyro = pytest.importorskip("numpyro")
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model(X, store, y=None):
        alpha = numpyro.sample("alpha", dist.Normal(0, 5).expand([3]).to_event(1))
        beta = numpyro.sample("beta", dist.Normal(0, 2).expand([2]).to_event(1))
        sigma = numpyro.sample("sigma", dist.HalfNormal(1))
        mu = numpyro.deterministic("mu", alpha[store] + X @ beta)
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", dist.Normal(mu, sigma), obs=y)

    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 2))
    store = rng.integers(0, 3, 50)
    y = np.array([0.0, 1.0, 2.0])[store] + X @ [1.0, -2.0] + rng.normal(0, 0.3, 50)
    mcmc = MCMC(NUTS(model), num_warmup=150, num_samples=300, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(0), X, store, y=y)
    return model, mcmc, (X, store), {"y": y}


def test_numpyro_model_through_predictive(numpyro_fit):
    import jax
    from numpyro.infer import Predictive

    model, mcmc, args, kwargs = numpyro_fit
    rows = pd.DataFrame({"temp": [0.0, 1.0, -1.0], "price": [0.0, 0.0, 2.0], "store": [0, 2, 1]})
    inputs = {"X": ["temp", "price"], "store": "store"}
    out = bw.predict_new_rows(
        model, mcmc, rows, model_args=args, model_kwargs=kwargs, inputs=inputs, seed=1
    )
    assert list(out.columns[:3]) == ["temp", "price", "store"]
    assert out.attrs["variables"] == {"mu": "deterministic", "y": "observed"}
    samples = {k: v for k, v in mcmc.get_samples().items() if k != "mu"}
    direct = Predictive(model, posterior_samples=samples)(
        jax.random.PRNGKey(1), rows[["temp", "price"]].to_numpy(), rows.store.to_numpy()
    )
    mu, y = np.asarray(direct["mu"]), np.asarray(direct["y"])
    np.testing.assert_allclose(out["mu_mean"], mu.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(out["mu_eti95_upper"], np.quantile(mu, 0.975, axis=0), atol=1e-6)
    se = y.std(axis=0) / np.sqrt(len(y))
    assert np.all(np.abs(out["y_mean"] - y.mean(axis=0)) < 5 * np.sqrt(2) * se)
    np.testing.assert_allclose(out["y_sd"], y.std(axis=0, ddof=1), rtol=0.15)
    # a FitResult-like tree works as well as the MCMC object, and by default columns are
    # named after the arguments
    from bayes_widgets.core.prediction.numpyro_models import NumPyroPredictor

    predictor = NumPyroPredictor(model, mcmc.get_samples(), model_args=args, model_kwargs=kwargs)
    assert predictor.columns == ["X[0]", "X[1]", "store"] and predictor.observed == ["y"]
    again = predictor.predict(rows.rename(columns={"temp": "X[0]", "price": "X[1]"}), seed=1)
    np.testing.assert_allclose(again["mu_mean"], out["mu_mean"], atol=1e-6)
    np.testing.assert_array_equal(np.asarray(args[0]), numpyro_fit[2][0])  # arguments untouched


def test_numpyro_errors_name_the_argument_or_column(numpyro_fit):
    model, mcmc, args, kwargs = numpyro_fit
    rows = pd.DataFrame({"temp": [0.0], "price": [0.0], "store": [0]})
    common = {"model_args": args, "model_kwargs": kwargs}
    inputs = {"X": ["temp", "price"], "store": "store"}
    cases = [
        ({"inputs": {"Z": ["temp"]}}, rows, "inputs['Z']"),
        ({"inputs": {"X": ["temp"], "store": "store"}}, rows, "inputs['X']"),
        ({"inputs": {"y": "y"}}, rows, "inputs['y']"),
        ({"inputs": inputs}, rows.drop(columns="store"), "new_rows['store']"),
        ({"inputs": inputs}, rows.assign(store=0.5), "new_rows['store']"),
        ({"inputs": inputs, "observed": "nope"}, rows, "observed"),
        ({"inputs": inputs, "model_args": (1, 2, 3, 4)}, rows, "model_args"),
    ]
    for options, new, field in cases:
        with pytest.raises(RegressionInputError) as info:
            bw.predict_new_rows(model, mcmc, new, **{**common, **options})
        assert info.value.field == field, (options, str(info.value))
    with pytest.raises(RegressionInputError) as info:
        bw.predict_new_rows(model, mcmc, rows, inputs=inputs, var_names=["alpha"], **common)
    assert info.value.field == "var_names"

    import numpyro
    import numpyro.distributions as dist

    def scaled(x, y=None):  # the observed values are computed from an argument
        b = numpyro.sample("b", dist.Normal(0, 1))
        numpyro.sample("obs", dist.Normal(b * x, 1), obs=None if y is None else 2 * y)

    samples = {"b": np.zeros(10)}
    with pytest.raises(RegressionInputError, match="observed: no argument holds .* site 'obs'"):
        bw.predict_new_rows(
            scaled, samples, {"x": [1.0]}, model_args=(np.ones(3),), model_kwargs={"y": np.ones(3)}
        )
    out = bw.predict_new_rows(
        scaled,
        samples,
        {"x": [1.0, 2.0]},
        model_args=(np.ones(3),),
        model_kwargs={"y": np.ones(3)},
        observed="y",
        seed=0,
    )
    assert out["obs_mean"].abs().max() < 1.5 and out.attrs["draws"] == 10
