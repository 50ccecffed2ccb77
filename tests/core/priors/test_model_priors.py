"""Priors of a real PyMC model and its prior predictive, compiled once."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from bayes_widgets.core.priors import PriorDist, PriorError
from bayes_widgets.core.priors.model import ModelPriors

RNG = np.random.default_rng(0)
X = RNG.normal(size=40)


def regression(sigma_prior=None):
    with pm.Model(coords={"k": ["x", "x2"]}) as model:
        a = pm.Normal("a", 1.0, 2.0)
        b = pm.Normal("b", [0.0, 0.5], 1.5, dims="k")
        s = sigma_prior() if sigma_prior else pm.HalfNormal("s", 1.0)
        pm.Normal("y", a + b[0] * X + b[1] * X**2, s, observed=RNG.normal(size=40))
    return model


def test_reads_family_and_parameters_of_each_free_variable():
    with pm.Model(coords={"c": ["a", "b", "c"]}) as model:
        g = pm.Gamma("g", alpha=3.0, beta=2.0)
        e = pm.Exponential("e", lam=4.0)
        w = pm.Weibull("w", alpha=1.5, beta=2.0, dims="c")
        nb = pm.NegativeBinomial("nb", mu=6.0, alpha=3.0)
        pm.Normal("y", g + e + w.sum() + nb, 1.0, observed=np.zeros(3))
    mp = ModelPriors(model, draws=50)
    assert mp.priors["g"] == PriorDist.create("Gamma", alpha=3.0, beta=2.0)
    assert mp.priors["e"] == PriorDist.create("Exponential", lam=4.0)
    assert mp.priors["w"] == PriorDist.create("Weibull", dims="c", alpha=[1.5] * 3, beta=[2.0] * 3)
    assert mp.priors["nb"].params == pytest.approx({"mu": 6.0, "alpha": 3.0})


def test_parameter_changes_do_not_recompile():
    mp = ModelPriors(regression(), draws=300, seed=1)
    first = mp.prior_predictive()["y"]
    assert first.shape == (300, 40)
    for sigma in np.linspace(0.5, 5.0, 20):
        mp.set("s", mp.priors["s"].updated(sigma=float(sigma)))
        mp.prior_predictive()
    assert mp.compiles == 1
    # a wider noise prior widens the predictive
    wide = mp.prior_predictive()["y"]
    assert wide.std() > first.std()
    # a new family changes the graph: one more compilation, then cached again
    mp.set("s", PriorDist.create("Exponential", lam=1.0))
    mp.prior_predictive()
    mp.set("s", PriorDist.create("Exponential", lam=2.0))
    mp.prior_predictive()
    assert mp.compiles == 2


def test_every_call_draws_from_the_same_random_numbers():
    """Common random numbers: the same priors give the same draws, and a changed noise
    scale moves each draw along a line instead of drawing it afresh."""
    mp = ModelPriors(regression(), draws=200, seed=None)
    first = mp.prior_predictive()["y"]
    np.testing.assert_array_equal(mp.prior_predictive()["y"], first)
    draws = {}
    for sigma in (1.0, 2.0, 3.0):
        mp.set("s", mp.priors["s"].updated(sigma=sigma))
        draws[sigma] = mp.prior_predictive()["y"]
    # y = mean + s * z with the same mean and z: equal steps in sigma, equal steps in y
    np.testing.assert_allclose(draws[2.0] - draws[1.0], draws[3.0] - draws[2.0], atol=1e-9)
    assert not np.allclose(draws[2.0], draws[1.0])


def test_exported_priors_give_the_same_prior_predictive():
    mp = ModelPriors(regression(), draws=4000, seed=11)
    mp.set("s", mp.priors["s"].updated(sigma=3.0))
    mp.set("b", mp.priors["b"].with_element(1, mu=-1.0, sigma=0.5))
    ours = mp.prior_predictive()["y"]
    model = mp.apply()
    assert ModelPriors(model).priors == mp.priors  # editor -> model -> editor round trip
    with model:
        theirs = (
            pm.sample_prior_predictive(draws=4000, random_seed=12).prior_predictive["y"].values[0]
        )
    for j in (0, 17, 39):
        assert stats.ks_2samp(ours[:, j], theirs[:, j]).pvalue > 0.001
    # and differs from the original model's
    with regression():
        before = (
            pm.sample_prior_predictive(draws=4000, random_seed=12).prior_predictive["y"].values[0]
        )
    assert stats.ks_2samp(ours[:, 0], before[:, 0]).pvalue < 1e-6


def test_hierarchical_priors_are_read_only_but_still_drawn():
    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        pm.Normal("theta", mu, tau, shape=8)
        pm.Normal("y", model["theta"], 10.0, observed=y)
    mp = ModelPriors(model, draws=200, seed=2)
    assert set(mp.priors) == {"mu", "tau"}
    assert mp.priors["tau"] == PriorDist.create("HalfCauchy", beta=5.0)
    assert "hierarchical" in mp.read_only["theta"].reason
    draws = mp.prior_predictive()["y"]
    assert draws.shape == (200, 8)
    assert len(np.unique(draws[:, 0])) == 200  # every draw has its own theta
    with pytest.raises(PriorError, match="theta: not editable"):
        mp.set("theta", PriorDist.create("Normal"))


def test_bad_edits_are_refused_and_keep_the_state():
    mp = ModelPriors(regression(), draws=10)
    before = dict(mp.priors)
    with pytest.raises(PriorError, match="nope"):
        mp.set("nope", PriorDist.create("Normal"))
    with pytest.raises(PriorError, match="b: needs 2"):
        mp.set("b", PriorDist.create("Normal"))
    assert mp.priors == before
    with pm.Model() as no_obs:
        pm.Normal("a")
    with pytest.raises(PriorError, match="observed"):
        ModelPriors(no_obs)


def test_exports():
    mp = ModelPriors(regression(), draws=10)
    priors = mp.to_priors()
    assert priors["s"].distribution == "HalfNormal"
    namespace: dict = {}
    exec(mp.code(), namespace)
    assert {k: PriorDist.from_prior(v) for k, v in namespace["priors"].items()} == mp.priors


@pytest.mark.slow
def test_pymc_marketing_mmm_priors_and_prior_predictive():
    """pymc-marketing builds named-dimension graphs; the same one-function path applies."""
    import pandas as pd
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from bayes_widgets.datasets import mmm_example

    df = mmm_example()
    mmm = MMM(
        date_column="date_week",
        channel_columns=["x1", "x2"],
        control_columns=["event_1", "event_2"],
        target_column="y",
        adstock=GeometricAdstock(l_max=4),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    mmm.build_model(df.drop(columns="y"), df["y"])
    mp = ModelPriors(mmm.model, draws=1000, seed=5)
    assert not mp.read_only
    lam = mmm.model_config["saturation_lam"]
    assert mp.priors["saturation_lam"] == PriorDist.create(
        lam.distribution,
        dims="channel",
        **{k: np.full(2, float(v)) for k, v in lam.parameters.items()},
    )
    ours = mp.prior_predictive()["y"]
    assert ours.shape == (1000, len(df))
    with mmm.model:
        theirs = pm.sample_prior_predictive(draws=1000, random_seed=6).prior_predictive["y"]
    theirs = theirs.transpose("chain", "draw", "date").values[0]
    for j in (0, 50, 150):
        assert stats.ks_2samp(ours[:, j], theirs[:, j]).pvalue > 0.001
    for sigma in (0.5, 1.0, 2.0):
        mp.set("y_sigma", mp.priors["y_sigma"].updated(sigma=sigma))
        mp.prior_predictive()
    assert mp.compiles == 1
    # edits go back into pymc-marketing: as a model_config for a new MMM, and as a model
    from bayes_widgets.core.mmm.priors import model_config_with

    mp.set("saturation_lam", mp.priors["saturation_lam"].with_element(1, alpha=5.0))
    config = model_config_with(mmm.model_config, mp.priors)
    assert config["likelihood"].parameters["sigma"].parameters["sigma"] == pytest.approx(2.0)
    again = MMM(
        date_column="date_week",
        channel_columns=["x1", "x2"],
        control_columns=["event_1", "event_2"],
        target_column="y",
        adstock=GeometricAdstock(l_max=4),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
        model_config=config,
    )
    again.build_model(df.drop(columns="y"), df["y"])
    assert ModelPriors(again.model).priors == mp.priors
    assert ModelPriors(mp.apply()).priors == mp.priors
    assert isinstance(pd.Timestamp(df["date_week"].iloc[0]), pd.Timestamp)


def test_series_dim_data_changes_and_observed_values():
    import pandas as pd

    from bayes_widgets.core.priors.predictive import predictive_view

    dates = pd.date_range("2024-01-01", periods=12, freq="W")
    with pm.Model(coords={"period": dates, "obs": np.arange(30)}) as model:
        x = pm.Data("x", RNG.normal(size=30), dims="obs")
        y = pm.Data("y_obs", RNG.normal(size=30), dims="obs")
        level = pm.Normal("level", 0.0, 1.0)
        pm.Normal("sales", level, 1.0, observed=np.zeros(12), dims="period")  # dates, odd name
        pm.Normal("demand", level + x, 1.0, observed=y, dims="obs")
    mp = ModelPriors(model, draws=100, seed=1)
    assert mp.series_dim("sales") == "period" and mp.series_dim("demand") is None
    assert mp.data_changes() == {}
    with model:
        pm.set_data({"x": RNG.normal(size=30)})
    assert mp.data_changes() == {"x": "new values"}
    with model:
        pm.set_data({"x": RNG.normal(size=8), "y_obs": np.ones(8)}, coords={"obs": np.arange(8)})
    assert mp.data_changes() == {"x": "30 → 8 rows", "y_obs": "30 → 8 rows"}
    draws = mp.prior_predictive()["demand"]
    assert draws.shape == (100, 8)  # drawn for the new data, no recompilation
    np.testing.assert_array_equal(mp.observed_values("demand"), np.ones(8))
    view = predictive_view(draws, mp.observed_values("demand"), series=False)
    assert view["mode"] == "values" and view["note"] == ""
    mismatch = predictive_view(draws, np.ones(30), series=False)
    assert (
        "observed values (30 values) do not match the prior predictive (8 values)"
        in mismatch["note"]
    )
    assert mismatch["observed_histogram"] is None


def test_predictive_view_of_values_covers_the_observed_and_the_bulk_of_the_draws():
    from bayes_widgets.core.priors.predictive import predictive_view

    rng = np.random.default_rng(2)
    draws = np.concatenate(
        [rng.normal(0, 1, size=(399, 50)), np.full((1, 50), 1e6)]
    )  # one wild draw
    observed = rng.normal(3, 0.5, size=50)
    view = predictive_view(draws, observed, series=False, lower=-5, upper=5)
    edges = np.array(view["histogram"]["edges"])
    assert (
        edges[0] < -2 and observed.max() <= edges[-1] < 10
    )  # the wild draw does not squash the view
    assert 0.98 < view["histogram"]["share_shown"] < 1
    widths = np.diff(edges)
    assert np.sum(np.array(view["observed_histogram"]["density"]) * widths) == pytest.approx(1.0)
    assert view["outside"]["share_draws"] == pytest.approx(1 / 400)  # only the wild draw leaves ±5
    series = predictive_view(draws[:, :10], observed[:10], series=True)
    assert (
        series["mode"] == "series"
        and len(series["bands"]["0.5"]) == 10
        and len(series["observed"]) == 10
    )
