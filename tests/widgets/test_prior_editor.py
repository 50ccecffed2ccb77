"""PriorEditor, Python side: edits, refusals, elicitation, exports, round trips."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import bayes_widgets as bw
from bayes_widgets.core.priors import PriorDist


def send(editor, **content):
    editor._dispatch(editor, content, [])


def series_model():
    rng = np.random.default_rng(1)
    with pm.Model(coords={"term": ["level", "trend"], "week": np.arange(30)}) as model:
        beta = pm.Normal("beta", [10.0, 0.0], [2.0, 0.1], dims="term")
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal(
            "sales",
            beta[0] + beta[1] * np.arange(30),
            sigma,
            observed=10 + rng.normal(size=30),
            dims="week",
        )
    return model


FEATURES = ["temp", "price", "weekend"]


def regression_model(n=60):
    """A regression as the PyMC docs write one: pm.Data inputs with named dims."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, 3))
    y = 5.0 + X @ np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.7, size=n)
    with pm.Model(coords={"obs": np.arange(n), "feature": FEATURES}) as model:
        X_data = pm.Data("X", X, dims=("obs", "feature"))
        y_data = pm.Data("y", y, dims="obs")
        intercept = pm.Normal("intercept", 0.0, 10.0)
        beta = pm.Normal("beta", 0.0, 1.0, dims="feature")
        sigma = pm.HalfNormal("sigma", 1.0)
        mu = pm.Deterministic("mu", intercept + X_data @ beta, dims="obs")
        pm.Normal("sales", mu, sigma, observed=y_data, dims="obs")
    return model, X, y


def logistic_model(n=80):
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.3 + 1.5 * x))))
    with pm.Model(coords={"obs": np.arange(n)}) as model:
        x_data = pm.Data("x", x, dims="obs")
        a = pm.Normal("a", 0.0, 1.5)
        b = pm.Normal("b", 0.0, 1.0)
        pm.Bernoulli("bought", logit_p=a + b * x_data, observed=y, dims="obs")
    return model


def test_single_prior_edits_and_parameterizations():
    ed = bw.PriorEditor("Gamma")
    assert ed.family == "Gamma" and ed.values == {"alpha": 2.0, "beta": 1.0}
    send(ed, type="edit", parameterization="mean_sd", values={"mu": 3.0, "sigma": 1.0})
    assert ed.parameterization == "mean_sd" and ed.values == pytest.approx(
        {"mu": 3.0, "sigma": 1.0}
    )
    assert ed.summary["mean"] == pytest.approx(3.0) and ed.summary["sd"] == pytest.approx(1.0)
    assert ed.prior_dists["prior"].params == pytest.approx({"alpha": 9.0, "beta": 3.0})
    send(ed, type="edit", family="Beta")
    assert ed.family == "Beta" and ed.parameterization == "canonical"
    assert ed.priors["prior"].distribution == "Beta"


def test_the_old_parameterisation_names_still_work():
    ed = bw.PriorEditor("Gamma")
    assert list(ed.families["Gamma"]["parameterizations"]) == ["canonical", "mean_sd"]
    send(ed, type="edit", parameterisation="mean_sd", values={"mu": 3.0, "sigma": 1.0})
    assert ed.error == "" and ed.parameterization == "mean_sd"
    assert ed.prior_dists["prior"].params == pytest.approx({"alpha": 9.0, "beta": 3.0})
    with pytest.warns(DeprecationWarning, match=r"PriorEditor\.parameterization"):
        assert ed.parameterisation == "mean_sd"


@pytest.mark.parametrize(
    ("family", "values", "field"),
    [
        ("Normal", {"sigma": 0.0}, "sigma"),
        ("Beta", {"alpha": -1.0}, "alpha"),
        ("Uniform", {"lower": 5.0, "upper": 1.0}, "lower"),
    ],
)
def test_invalid_values_are_refused_and_the_state_kept(family, values, field):
    ed = bw.PriorEditor(family)
    before = (dict(ed.values), dict(ed.curves), ed.updates)
    sent = []
    ed.send = lambda content, buffers=None: sent.append(content)
    send(ed, type="edit", values=values)
    assert ed.error.startswith(f"{field}:")
    assert (ed.values, ed.curves, ed.updates) == before
    assert sent[-1]["type"] == "rejected" and sent[-1]["field"] == field


def test_unknown_family_is_refused_inline():
    ed = bw.PriorEditor("Normal")
    send(ed, type="edit", family="Gauss")
    assert ed.error.startswith("family:") and ed.family == "Normal"


def test_elicitation_from_bounds_and_quartiles():
    ed = bw.PriorEditor("Gamma")
    send(ed, type="elicit", method="maxent", lower=1.0, upper=10.0, mass=0.9)
    d = ed.prior_dists["prior"].to_preliz()
    assert d.cdf(10.0) - d.cdf(1.0) == pytest.approx(0.9, abs=0.01)
    send(ed, type="elicit", method="quartiles", q1=1.0, q2=2.0, q3=3.5)
    assert ed.summary["quantiles"]["0.5"] == pytest.approx(2.0, rel=0.1)
    send(ed, type="elicit", method="maxent", lower=5.0, upper=1.0)
    assert ed.error.startswith("lower:")


def test_model_editing_redraws_the_prior_predictive_without_recompiling():
    ed = bw.PriorEditor(series_model(), draws=400, seed=3, lower=0, upper=40)
    assert ed.predictive["mode"] == "series" and ed.predictive["dim"] == "week"
    assert '"name": "bands"' in ed.predictive_figure
    with pytest.warns(DeprecationWarning, match="predictive_figure"):
        assert ed.pred_figure == ed.predictive_figure  # the old name still reads
    assert [v["name"] for v in ed.variables] == ["beta", "sigma"]
    assert ed.variables[0]["elements"] == ["level", "trend"]
    q95 = ed.predictive["bands"]["0.95"][0]
    assert len(ed.predictive["observed"]) == 30
    send(ed, type="select", variable="sigma")
    for sigma in (2.0, 4.0, 8.0):
        send(ed, type="edit", values={"sigma": sigma})
    assert ed.predictive["bands"]["0.95"][0] > q95 + 5
    assert ed.model_priors.compiles == 1
    send(ed, type="select", variable="beta", element=1)
    send(ed, type="edit", values={"sigma": 0.5})
    assert ed.prior_dists["beta"].params["sigma"] == pytest.approx([2.0, 0.5])
    send(ed, type="range", lower=10.0, upper=5.0)
    assert ed.error.startswith("lower:")


def test_round_trip_editor_priors_model_editor():
    ed = bw.PriorEditor(series_model(), draws=50)
    send(ed, type="select", variable="sigma")
    send(ed, type="edit", family="Exponential")
    send(ed, type="edit", values={"lam": 0.25})
    model = ed.apply()
    again = bw.PriorEditor(model, draws=50)
    assert again.prior_dists == ed.prior_dists
    assert again.prior_dists["sigma"] == PriorDist.create("Exponential", lam=0.25)
    namespace: dict = {}
    exec(ed.code(), namespace)
    assert {k: PriorDist.from_prior(v) for k, v in namespace["priors"].items()} == ed.prior_dists


def test_bad_source_is_shown_inline():
    ed = bw.PriorEditor(42)
    assert ed.error.startswith("source:")
    assert ed.family == "Normal"


def test_model_config_without_a_model():
    from pymc_extras.prior import Prior

    config = {
        "intercept": Prior("Normal", mu=0, sigma=2),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=2), dims="date"),
        "saturation_lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
        "yearly_seasonality": 2,
    }
    ed = bw.PriorEditor(config)
    assert [v["name"] for v in ed.variables] == ["intercept", "likelihood.sigma", "saturation_lam"]
    send(ed, type="select", variable="likelihood.sigma")
    send(ed, type="edit", values={"sigma": 0.3})
    send(ed, type="select", variable="saturation_lam")
    send(ed, type="edit", parameterization="mean_sd", values={"mu": 2.0, "sigma": 0.5})
    out = ed.model_config()
    assert out["likelihood"].parameters["sigma"].parameters["sigma"] == pytest.approx(0.3)
    assert out["likelihood"].dims == ("date",)
    lam = out["saturation_lam"]
    assert (lam.distribution, lam.dims) == ("Gamma", ("channel",))
    assert lam.parameters["alpha"] == pytest.approx(16.0) and lam.parameters[
        "beta"
    ] == pytest.approx(8.0)
    assert out["yearly_seasonality"] == 2
    assert config["saturation_lam"].parameters["alpha"] == 3  # the input is not changed


@pytest.mark.slow
def test_a_regression_over_observations_is_drawn_as_densities_and_refits():
    model, _X, y = regression_model()
    ed = bw.PriorEditor(model, draws=300, seed=1)
    p = ed.predictive
    assert p["mode"] == "values" and p["note"] == "" and "bands" not in p
    assert (
        '"name": "observed_hist"' in ed.predictive_figure
        and '"name": "bands"' not in ed.predictive_figure
    )
    edges = np.array(p["histogram"]["edges"])
    # both densities integrate to one over the common edges (the view covers every observed value)
    assert np.sum(np.array(p["observed_histogram"]["density"]) * np.diff(edges)) == pytest.approx(
        1.0
    )
    assert edges[0] <= y.min() and edges[-1] >= y.max()
    assert ed.variables[1]["elements"] == FEATURES
    spread = edges[-1] - edges[0]
    send(ed, type="select", variable="intercept")
    send(ed, type="edit", values={"sigma": 1.0}, seq=7)
    assert ed.applied["seq"] == 7 and not ed.error
    assert (
        ed.predictive["histogram"]["edges"][-1] - ed.predictive["histogram"]["edges"][0]
        < spread / 2
    )
    send(ed, type="select", variable="beta", element=2)
    send(ed, type="edit", values={"sigma": 0.2})
    edited = ed.apply()
    assert edited is not model and set(edited.coords["feature"]) == set(FEATURES)
    with edited:
        draws = pm.draw(edited["beta"], draws=4000, random_seed=1)
    assert np.std(draws[:, 2]) == pytest.approx(0.2, rel=0.1) and np.std(
        draws[:, 0]
    ) == pytest.approx(1.0, rel=0.1)
    fit = bw.fit(edited, backend="pymc", draws=30, tune=30, chains=1, cores=1, seed=2)
    beta = fit.idata.posterior["beta"]
    assert list(beta.coords["feature"].values) == FEATURES and beta.sizes["draw"] == 30


@pytest.mark.slow
def test_a_logistic_model_edits_and_applies():
    model = logistic_model()
    ed = bw.PriorEditor(model, draws=200, seed=4)
    assert ed.predictive["mode"] == "values"
    assert set(np.round(ed.predictive["histogram"]["edges"][::40], 6)) <= {0.0, 1.0}
    send(ed, type="select", variable="b")
    send(ed, type="edit", family="StudentT")
    send(ed, type="edit", values={"nu": 4.0, "sigma": 2.0})
    assert ed.family == "StudentT" and not ed.error
    edited = ed.apply()
    assert type(edited["b"].owner.op).__name__ == "StudentTRV"
    fit = bw.fit(edited, backend="pymc", draws=20, tune=20, chains=1, cores=1, seed=1)
    assert fit.idata.posterior["b"].sizes["draw"] == 20


def test_set_data_on_the_users_model_is_explained_never_a_blank():
    model, X, y = regression_model()
    ed = bw.PriorEditor(model, draws=200, seed=1)
    # new inputs for 20 rows, observations left as they were: drawn for the new rows, said so
    with model:
        pm.set_data({"X": X[:20]}, coords={"obs": np.arange(20)})
    send(ed, type="select", variable="sigma")
    send(ed, type="edit", values={"sigma": 2.0})
    p = ed.predictive
    assert (
        "X: 60 → 20 rows" in p["note"] and "observed values (60 values) do not match" in p["note"]
    )
    assert p["observed_histogram"] is None and sum(p["histogram"]["density"]) > 0
    # new inputs and observations together: drawn for the new data, against the new observations
    with model:
        pm.set_data({"X": X[:10], "y": y[:10]}, coords={"obs": np.arange(10)})
    send(ed, type="edit", values={"sigma": 1.5})
    p = ed.predictive
    assert "y: 60 → 10 rows" in p["note"] and "do not match" not in p["note"]
    assert p["observed_histogram"] is not None and not ed.error


def test_each_reply_carries_the_number_of_the_input_it_applied(outbox):
    ed = bw.PriorEditor(series_model(), draws=100, seed=1)
    ed.send = outbox
    send(ed, type="select", variable="sigma", seq=1)
    send(ed, type="edit", values={"sigma": 2.0}, seq=2)
    assert ed.applied["seq"] == 2 and ed.values == {"sigma": 2.0}
    n = ed.applied["n"]
    send(ed, type="edit", values={"sigma": -1.0}, seq=3)  # refused: still acknowledged
    assert ed.applied == {"seq": 3, "n": n + 1} and ed.values == {"sigma": 2.0}
    assert outbox.of_type("rejected")[-1]["seq"] == 3
    # an empty elicitation box is refused naming it, never read as 0
    before = ed.prior_dists["sigma"]
    send(ed, type="elicit", method="maxent", lower=None, upper=3.0, seq=4)
    assert ed.error == "lower: enter a number" and ed.prior_dists["sigma"] == before
    send(ed, type="range", lower="abc", upper=3.0, seq=5)
    assert ed.error.startswith("lower: enter a number") and ed.applied["seq"] == 5
