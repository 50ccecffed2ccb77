"""Hierarchical GLMs: data checks, recovery of known truth, forecasts, cold start, radon."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("jax")
pytest.importorskip("numpyro")

import itertools

import numpyro
import numpyro.distributions as dist
from numpyro import handlers

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.hierarchical import effects_figure, forecast_figure
from bayes_widgets.core.fitting.svi import check_guide_sites
from bayes_widgets.core.fitting.validation import FitInputError
from bayes_widgets.core.hierarchical import (
    HierarchicalFit,
    HierarchicalInputError,
    PanelData,
    Site,
    build_model,
    fit_nuts,
    fit_svi,
    initial_params,
    make_demand,
    normalise_likelihood,
    normalize_likelihood,
)
from bayes_widgets.core.hierarchical.cold_start import (
    evaluate_cold_start,
    fit_new_groups,
    known_days,
    median_relative_error,
    poisson_ridge_per_group,
)
from bayes_widgets.core.hierarchical.radon import load_radon, radon_data
from bayes_widgets.core.hierarchical.synthetic import FEATURES, TRUE_COEF_MU

N_TRAIN, N_NEW, N_DAYS = 60, 20, 240
PROMO = FEATURES.index("promo")


def raises_field(field: str):
    return pytest.raises(HierarchicalInputError, match=rf"^{field.replace('.', r'\.')}: ")


def corr(a, b) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


@pytest.fixture(scope="module")
def demand():
    return make_demand(N_TRAIN + N_NEW, N_DAYS, seed=11)


@pytest.fixture(scope="module")
def train(demand):
    return demand.data.select(groups=slice(0, N_TRAIN))


@pytest.fixture(scope="module")
def fitted(train):
    """One minibatched SVI fit shared by the recovery, forecast, effect and figure tests."""
    return fit_svi(train, steps=1000, batch_size=20, chunk=250, seed=0)


# ------------------------------------------------------------------- data


def test_synthetic_demand_matches_its_truth(demand):
    d = demand.data
    assert d.X.shape == (N_TRAIN + N_NEW, N_DAYS, 23) and d.X.dtype == np.float32
    assert d.features == FEATURES and d.target == "sales"
    np.testing.assert_array_equal(d.X[:, :, :7].sum(axis=2), 1.0)  # one weekday per day
    np.testing.assert_array_equal(d.X[:, :, 14:18].sum(axis=2), 1.0)  # one store type
    np.testing.assert_allclose(
        demand.log_mean, np.einsum("gtf,gf->gt", d.X, demand.coef), rtol=1e-5, atol=1e-4
    )
    closed = np.isnan(d.y)
    np.testing.assert_array_equal(closed, ~demand.open)
    assert 0.12 < closed.mean() < 0.25  # ~18% closed, as in the seed
    y = d.y[~closed]
    np.testing.assert_array_equal(y, np.round(y))
    # sales scatter around exp(log_mean) with the NB's CV (~9%)
    ratio = y / np.exp(demand.log_mean[~closed])
    assert abs(np.median(ratio) - 1) < 0.02 and 0.05 < np.std(np.log(ratio)) < 0.15
    assert str(d.times[0]) == "2013-01-01"
    import inspect

    sig = inspect.signature(make_demand).parameters
    assert sig["n_stores"].default == 1000 and sig["n_days"].default == 942


def test_frame_round_trip(demand):
    small = demand.data.select(groups=slice(0, 3), times=slice(0, 10))
    frame = small.to_frame()
    assert len(frame) == 30 and list(frame.columns[:2]) == ["group", "time"]
    back = PanelData.from_frame(
        frame, group="group", time="time", features=list(FEATURES), target="sales"
    )
    np.testing.assert_array_equal(back.X, small.X)
    np.testing.assert_array_equal(back.y, small.y)
    # dropping rows leaves NaN targets (unobserved) and zero features
    part = PanelData.from_frame(
        frame.iloc[1:], group="group", time="time", features=["promo"], target="sales"
    )
    assert np.isnan(part.y[0, 0]) and part.X[0, 0, 0] == 0


@pytest.mark.parametrize(
    ("mutate", "kwargs", "field"),
    [
        (lambda f: f, {"group": "store"}, "group"),
        (lambda f: f, {"target": "revenue"}, "target"),
        (lambda f: f, {"features": ["promo", "weather"]}, "features.weather"),
        (lambda f: f, {"time": "day"}, "time"),
        (lambda f: f[f["g"] == "a"], {}, "group"),  # one group
        (lambda f: f.assign(sales=np.nan), {}, "target"),  # all missing
        (lambda f: f.assign(promo=f["promo"].astype(str)), {}, "features.promo"),
        (
            lambda f: f.assign(promo=np.where(f.index == 2, np.nan, f["promo"])),
            {},
            "features.promo",
        ),
        (lambda f: pd.concat([f, f.iloc[:1]]), {}, "time"),  # duplicated (group, time)
        (lambda f: f, {"features": ["sales"]}, "features.sales"),
    ],
)
def test_frame_errors_name_the_field(mutate, kwargs, field):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "g": np.repeat(["a", "b"], 5),
            "t": np.tile(np.arange(5), 2),
            "promo": rng.integers(0, 2, 10),
            "sales": rng.poisson(5, 10).astype(float),
        }
    )
    args = {"group": "g", "time": "t", "features": ["promo"], "target": "sales", **kwargs}
    with raises_field(field):
        PanelData.from_frame(mutate(frame), **args)


def test_array_and_model_errors_name_the_field(train):
    X = np.zeros((4, 5, 2))
    with raises_field("y"):
        PanelData.from_arrays(X, np.zeros((4, 6)))
    with raises_field("X"):
        PanelData.from_arrays(np.zeros((4, 5)), np.zeros((4, 5)))
    with raises_field("features"):
        PanelData.from_arrays(X, np.zeros((4, 5)), features=["a"])
    with raises_field("group"):
        PanelData.from_arrays(X[:1], np.zeros((1, 5)))
    with raises_field("target"):
        PanelData.from_arrays(X, np.full((4, 5), np.nan))
    half = PanelData.from_arrays(X, np.full((4, 5), 2.5))
    with raises_field("target") as err:
        build_model(half, likelihood="gamma_poisson")
    assert "non-integer" in str(err.value) and "2.5" in str(err.value)
    with raises_field("target"):
        fit_svi(PanelData.from_arrays(X, np.full((4, 5), -1.0)), likelihood="poisson", steps=5)
    build_model(half, likelihood="normal")  # fine for a normal likelihood
    with raises_field("likelihood"):
        build_model(train, likelihood="student")
    with raises_field("varying.weather"):
        build_model(train, varying=["promo", "weather"])
    with raises_field("batch_size"):
        build_model(train, batch_size=0)
    with raises_field("learning_rate"):
        fit_svi(train, steps=5, learning_rate=-1)


# ------------------------------------------------------------- model / guide


@pytest.mark.parametrize(
    ("likelihood", "varying", "intercept", "batch"),
    [
        ("gamma_poisson", None, True, 10),
        ("poisson", ["promo", "dow_sat"], True, None),
        ("normal", [], True, None),
        ("gamma_poisson", None, False, None),
    ],
)
def test_guide_and_model_sample_the_same_sites(train, likelihood, varying, intercept, batch):
    spec = build_model(
        train, likelihood=likelihood, varying=varying, intercept=intercept, batch_size=batch
    )
    arrays = spec.arrays(train)
    check_guide_sites(spec.model, spec.guide, arrays)
    fixed = {s: np.zeros(spec.site_shape(s), np.float32) + 0.5 for s in spec.global_sites()}
    check_guide_sites(spec.model, spec.guide, arrays, fixed=fixed)  # cold-start variant


def test_a_broken_guide_is_named(train):
    spec = build_model(train, batch_size=None)
    arrays = spec.arrays(train)

    def hides_a_site(data):
        with handlers.block(hide=[Site.coef_offset]):
            spec.guide(data)

    with pytest.raises(FitInputError, match=rf"^model\.{Site.coef_offset}: "):
        check_guide_sites(spec.model, hides_a_site, arrays)

    def misspells(data):
        with handlers.block(hide=[Site.disp_offset]):
            spec.guide(data)
        with numpyro.plate("groups", spec.n_groups):
            numpyro.sample("disp_ofset", dist.Normal(0.0, 1.0))

    with pytest.raises(FitInputError, match=r"^guide\.disp_ofset: ") as err:
        check_guide_sites(spec.model, misspells, arrays)
    assert "did you mean 'disp_offset'" in str(err.value)


# ----------------------------------------------------------------- SVI fit


def test_svi_recovers_the_truth(fitted, demand, train):
    obs = train.observed
    truth = demand.log_mean[:N_TRAIN]
    c = corr(fitted.log_mean()[obs], truth[obs])
    assert c > 0.99
    # better than the data-driven starting point, which it starts from
    start = HierarchicalFit(
        spec=fitted.spec, data=train, method="svi", params=initial_params(fitted.spec, train)
    )
    assert c > corr(start.log_mean()[obs], truth[obs])
    res = fitted.svi_result
    assert res.steps == 1000 and res.traces <= 1
    assert res.losses[-100:].mean() < res.losses[:100].mean()
    # the promotion effect per store and across stores (truth: mean 0.35, sd 0.08)
    promo = fitted.posterior_mean()["coef"][:, PROMO]
    assert promo.mean() == pytest.approx(TRUE_COEF_MU[PROMO], abs=0.03)
    assert corr(promo, demand.coef[:N_TRAIN, PROMO]) > 0.7
    # NB concentration: true log r ~ N(log 120, 0.3)
    log_r = fitted.posterior_mean()["log_concentration"]
    assert np.median(log_r) == pytest.approx(np.log(120), abs=0.35)


def test_closed_days_are_predicted(fitted, demand, train):
    closed = ~train.observed
    truth = np.exp(demand.log_mean[:N_TRAIN])
    pred = fitted.predict_mean()
    # what would sales have been had the store opened (truth known here)
    err = np.median(np.abs(pred[closed] - truth[closed]) / truth[closed])
    assert err < 0.1


def test_a_second_fit_of_the_same_shapes_does_not_compile(fitted, train):
    again = fit_svi(train, steps=250, batch_size=20, chunk=250, seed=1)  # other length, same chunk
    assert again.svi_result.traces == 0 and again.svi_result.compile_s == 0.0


def test_forecast_bands(fitted, train):
    fc = fitted.predict(groups=[0, 3, 5], n_draws=300, seed=1)
    assert fc.mean.shape == (3, N_DAYS)
    assert list(fc.groups) == list(train.groups[[0, 3, 5]])
    q = [fc.quantiles[k] for k in sorted(fc.quantiles)]
    assert all(np.all(a <= b) for a, b in itertools.pairwise(q))
    assert 0.82 <= fc.coverage(0.9) <= 0.97
    assert 0.40 <= fc.coverage(0.5) <= 0.62
    frame = fc.to_frame()
    assert list(frame.columns) == [
        "group",
        "time",
        "observed",
        "mean",
        "q05",
        "q25",
        "q50",
        "q75",
        "q95",
    ]
    assert len(frame) == 3 * N_DAYS
    lo, hi = fc.band(0.5)
    assert np.all(lo <= hi)
    with raises_field("groups"):
        fitted.predict(groups=[N_TRAIN])


def test_group_effects(fitted, demand):
    eff = fitted.group_effects(["promo", "dow_sat"], n_draws=100)
    assert set(eff) == {"promo", "dow_sat"} and eff["promo"].shape == (100, N_TRAIN)
    assert eff["promo"].mean() == pytest.approx(0.35, abs=0.04)
    frame = fitted.effects_frame("promo")
    assert len(frame) == N_TRAIN and (frame["q05"] <= frame["q95"]).all()
    with raises_field("features.weather"):
        fitted.group_effects("weather")


def test_figures(fitted):
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure as Figure

    fc = fitted.predict(groups=[0, 1], n_draws=50)
    fig = forecast_figure(fc, group=fc.groups[1])
    assert isinstance(fig, Figure)
    names = {m.name for m in fig.select({"type": ColumnDataSource})}
    assert {"forecast", "observed"} <= names
    item = json.loads(to_json(forecast_figure(fc, 0)))
    assert "doc" in item and "root_id" in item
    with raises_field("group"):
        forecast_figure(fc, group="nope")
    weekdays = [f for f in FEATURES if f.startswith("dow_")]
    eff = effects_figure(fitted, weekdays)
    assert len(eff.renderers) >= 2 * len(weekdays)
    json.loads(to_json(effects_figure(fitted, "promo", transform="exp")))
    with raises_field("features.weather"):
        effects_figure(fitted, ["weather"])
    with pytest.raises(InputError, match="^transform: "):
        effects_figure(fitted, "promo", transform="log")


def test_figures_as_json_is_deprecated(fitted):
    fc = fitted.predict(groups=[0], n_draws=20)
    with pytest.warns(DeprecationWarning, match="to_json"):
        item = json.loads(forecast_figure(fc, 0, as_json=True))
    assert "doc" in item
    with pytest.warns(DeprecationWarning, match="to_json"):
        json.loads(effects_figure(fitted, "promo", as_json=True))


def test_poisson_likelihood_recovers_the_mean(train, demand):
    fit = fit_svi(train, likelihood="poisson", steps=600, batch_size=None, chunk=300)
    obs = train.observed
    assert corr(fit.log_mean()[obs], demand.log_mean[:N_TRAIN][obs]) > 0.985


# -------------------------------------------------------------- cold start


def test_poisson_ridge_matches_sklearn(demand):
    sklearn = pytest.importorskip("sklearn.linear_model")
    few = known_days(demand.data.select(groups=slice(0, 4)), 30)
    ours = poisson_ridge_per_group(few, alpha=10.0)
    mu = ours.predict(few.X)
    for g in range(4):
        ok = few.observed[g]
        X, y = few.X[g][ok].astype(float), few.y[g][ok].astype(float)
        ref = sklearn.PoissonRegressor(alpha=10.0, max_iter=1000, tol=1e-12).fit(X, y)

        def objective(b, w):
            eta = b + X @ w
            return np.mean(np.exp(eta) - y * eta) + 5.0 * np.sum(w**2)

        # the same optimum (the coefficients are ill-determined along the one-hot blocks,
        # so compare objective values and fitted means)
        assert (
            objective(ours.intercept[g], ours.coef[g])
            <= objective(ref.intercept_, ref.coef_) + 1e-6
        )
        np.testing.assert_allclose(mu[g][ok], ref.predict(X), rtol=2e-4)


def test_cold_start_beats_a_per_group_glm(fitted, demand):
    new = demand.data.select(groups=slice(N_TRAIN, N_TRAIN + N_NEW))
    rep = evaluate_cold_start(fitted, new, known=7, steps=600)
    assert rep.cold_start_median_err < rep.glm_median_err
    assert rep.full_history_median_err <= rep.cold_start_median_err + 0.01
    assert rep.cold_start_median_err < 0.12  # the NB noise alone gives ~6%
    assert rep.n_heldout == int(new.observed[:, 7:].sum())
    # the two local fits share one compiled chunk (same shapes)
    assert rep.full_history.svi_result.traces == 0
    table = rep.coefficients(0)
    assert list(table.columns) == ["cold_start", "full_history", "glm"] and len(table) == 23
    assert median_relative_error([1.0, 3.0], [1.0, 2.0]) == pytest.approx(0.25)
    with raises_field("known"):
        known_days(new, N_DAYS)
    with raises_field("learning_rate"):
        fit_new_groups(fitted, new, steps=5, learning_rate="fast")


# ------------------------------------------------------------------- radon


def test_radon_data():
    frame = load_radon()
    assert len(frame) == 919 and frame["county"].nunique() == 85
    d = radon_data()
    assert d.n_groups == 85 and int(d.observed.sum()) == 919 and d.features == ("floor",)


def test_radon_floor_effect_by_nuts():
    fit = fit_nuts(
        radon_data(), likelihood="normal", varying=[], draws=300, tune=300, chains=2, seed=1
    )
    # sampled by the project's NumPyro backend: its result and shared diagnostics come along
    assert fit.result.backend == "numpyro" and fit.result.status == "finished"
    assert fit.samples[Site.intercept_offset].shape == (600, 85)
    assert fit.info["divergences"] == fit.result.diagnostics.divergences
    assert fit.info["chains"] == 2 and fit.info["draws"] == 300
    assert "fixed_coef[0]" in fit.result.summary().index
    with pytest.warns(DeprecationWarning, match="result"):
        assert fit.mcmc is fit.result
    other = build_model(radon_data(), likelihood="normal")  # the floor effect varies: other sites
    with raises_field("result"):
        HierarchicalFit.from_result(fit.result, other, radon_data())
    with raises_field("result"):
        HierarchicalFit.from_result(object(), other, radon_data())
    floor = fit.samples[Site.fixed_coef][:, 0]
    assert floor.mean() == pytest.approx(-0.66, abs=0.04)
    assert 0.05 < floor.std() < 0.09
    assert fit.samples[Site.obs_sigma].mean() == pytest.approx(0.73, abs=0.03)
    assert fit.info["divergences"] < 10
    fc = fit.predict(n_draws=200)
    assert fc.mean.shape == (85, 116) and 0.85 <= fc.coverage(0.9) <= 0.95


def test_radon_floor_effect_by_svi():
    fit = fit_svi(
        radon_data(), likelihood="normal", varying=[], steps=2500, batch_size=None, chunk=500
    )
    assert fit.params[f"{Site.fixed_coef}_loc"][0] == pytest.approx(-0.66, abs=0.05)
    means = fit.site_means()
    assert means[Site.obs_sigma] == pytest.approx(0.73, abs=0.03)
    assert 0.2 < means[Site.intercept_sigma] < 0.45


# ------------------------------------------------------------ public names


def test_old_spelling_of_normalize_likelihood_warns_and_works():
    assert normalize_likelihood("Negative-Binomial") == "gamma_poisson"
    with pytest.warns(DeprecationWarning, match="normalize_likelihood"):
        assert normalise_likelihood("gaussian") == "normal"
    with raises_field("likelihood"):
        normalize_likelihood("gauss")


def test_checked_data_names_what_does_not_fit(fitted, train, demand):
    assert fitted.checked_data() is fitted.data
    assert fitted.checked_data(train) is train
    with raises_field("data"):
        fitted.checked_data("x")
    with raises_field("data"):
        fitted.checked_data(demand.data)  # other groups
    with raises_field("data.features"):
        fitted.checked_data(PanelData.from_arrays(train.X[..., :2], train.y, features=["a", "b"]))
