"""HierarchicalExplorer, Python side: forecasts per group, effect densities, cold start, errors;
and the live SVI and NUTS fits of a hierarchical model in a FitMonitor."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.hierarchical import (
    FEATURES,
    HierarchicalInputError,
    LiveHierarchicalFit,
    PanelData,
    Site,
    evaluate_cold_start,
    fit_nuts,
    fit_svi,
    make_demand,
)

N_TRAIN, N_NEW, N_DAYS = 40, 8, 120


@pytest.fixture(scope="module")
def demand():
    return make_demand(N_TRAIN + N_NEW, N_DAYS, seed=5)


@pytest.fixture(scope="module")
def train(demand):
    return demand.data.select(groups=slice(0, N_TRAIN))


@pytest.fixture(scope="module")
def fitted(train):
    return fit_svi(train, steps=600, batch_size=20, chunk=200, seed=0)


def sources(figure_json: str) -> dict[str, dict]:
    """Named data sources of a json_item figure: name -> column data."""
    out = {}
    for ref in json.loads(figure_json)["doc"]["roots"][0]["attributes"]["renderers"]:
        glyph = ref["attributes"].get("data_source", {})
        name = glyph.get("attributes", {}).get("name")
        if name:
            out[name] = glyph["attributes"]["data"]
    return out


def test_forecast_of_the_chosen_group(fitted, train):
    ex = bw.HierarchicalExplorer(fitted, group=train.groups[3])  # a label (store ids start at 1)
    assert ex.group == str(train.groups[3]) and len(ex.groups) == N_TRAIN
    assert "forecast" in ex.forecast_figure and "observed" in ex.forecast_figure
    facts = ex.group_facts
    assert facts["observed_times"] == int(train.observed[3].sum())
    assert facts["missing_times"] == N_DAYS - facts["observed_times"]
    assert 0.6 <= facts["coverage_90"] <= 1.0 and facts["coverage_50"] <= facts["coverage_90"]
    assert 0 < facts["median_rel_error"] < 0.3
    assert (
        ex.facts["groups"] == N_TRAIN and ex.facts["method"] == "svi" and ex.facts["steps"] == 600
    )
    before = ex.forecast_figure
    ex._on_step({"by": 1})
    assert ex.group == str(train.groups[4]) and ex.forecast_figure != before and ex.error == ""
    ex._on_step({"by": -1})
    ex._on_step({"by": -1})
    assert ex.group == str(train.groups[2])
    ex._on_group({"group": str(train.groups[N_TRAIN - 1])})  # the page sends the label as text
    assert ex.group == str(train.groups[N_TRAIN - 1])
    ex._on_step({"by": 1})  # wraps round
    assert ex.group == str(train.groups[0])


def test_effect_densities(fitted):
    ex = bw.HierarchicalExplorer(fitted)
    assert ex.effects == ["promo"] and ex.transform == "exp"
    assert "density_promo" in ex.effects_figure
    weekdays = [f for f in FEATURES if f.startswith("dow_")]
    ex._on_effects({"features": weekdays, "transform": "log"})
    assert ex.effects == weekdays and ex.transform == "log" and ex.error == ""
    assert all(f"density_{d}" in ex.effects_figure for d in weekdays)
    assert "coefficient (log scale)" in ex.effects_figure


@pytest.mark.parametrize(
    "message, field",
    [
        ({"type": "group", "group": "no such store"}, "group"),
        ({"type": "effects", "features": ["promo", "weather"]}, "effects.weather"),
        ({"type": "effects", "features": []}, "effects"),
        ({"type": "effects", "features": ["promo"], "transform": "sqrt"}, "transform"),
        ({"type": "step", "by": 7}, "step"),
    ],
)
def test_bad_input_is_named_and_the_view_kept(fitted, message, field):
    ex = bw.HierarchicalExplorer(fitted, group=1)
    state = (ex.group, ex.forecast_figure, ex.effects, ex.effects_figure, ex.transform)
    getattr(ex, f"_on_{message['type']}")(message)
    assert ex.error.startswith(f"{field}: ")
    assert (ex.group, ex.forecast_figure, ex.effects, ex.effects_figure, ex.transform) == state
    ex._on_group({"group": 0})
    assert ex.error == ""


def test_constructor_errors_name_the_field(fitted, demand):
    with pytest.raises(HierarchicalInputError, match="^fit: "):
        bw.HierarchicalExplorer("not a fit")
    with pytest.raises(HierarchicalInputError, match="^n_draws: "):
        bw.HierarchicalExplorer(fitted, n_draws=3)
    with pytest.raises(HierarchicalInputError, match="^effects.price: "):
        bw.HierarchicalExplorer(fitted, effects=["price"])
    import dataclasses

    train = fitted.data
    wrong = dataclasses.replace(train, features=tuple(f"x{i}" for i in range(len(train.features))))
    with pytest.raises(HierarchicalInputError, match="^data.features: "):
        bw.HierarchicalExplorer(fitted, data=wrong)


def test_cold_start_view(fitted, demand):
    new = demand.data.select(groups=slice(N_TRAIN, N_TRAIN + N_NEW))
    report = evaluate_cold_start(fitted, new, known=7, steps=400)
    ex = bw.HierarchicalExplorer(
        report.cold_start, data=new, cold_start=report, group=new.groups[2]
    )
    assert ex.facts["cold_start"] is True
    assert ex.cold_start["known_days"] == 7
    assert ex.cold_start["cold_start_median_err"] == pytest.approx(
        report.cold_start_median_err, abs=1e-4
    )
    rows = {r["feature"]: r for r in ex.coefficients}
    assert set(rows) == set(FEATURES)
    table = report.coefficients(2)
    assert rows["promo"]["cold_start"] == pytest.approx(float(table.loc["promo", "cold_start"]))
    assert rows["promo"]["glm"] == pytest.approx(float(table.loc["promo", "glm"]))
    # judged on the days after the known ones, and the known days are shaded
    assert ex.group_facts["judged_on"] == int(new.observed[2, 7:].sum())
    assert '"name":"known"' in ex.forecast_figure.replace(" ", "")


def test_live_svi_fit_gives_the_same_fit(train):
    live = fit_svi(train, steps=400, batch_size=20, chunk=100, seed=0, monitor=True)
    assert isinstance(live, LiveHierarchicalFit)
    assert "application/vnd.jupyter.widget-view+json" in live._repr_mimebundle_()[0]
    fit = live.wait(timeout=300)
    assert live.wait() is fit
    ref = fit_svi(train, steps=400, batch_size=20, chunk=100, seed=0)
    np.testing.assert_allclose(fit.log_mean(), ref.log_mean(), rtol=1e-5, atol=1e-5)
    live.monitor.wait_rendered(60)
    assert live.monitor.method == "svi" and live.monitor.status == "finished"
    names = {row["name"] for row in live.monitor.svi_params}
    assert names and names <= set(fit.spec.global_sites())
    assert all(
        row["lo"] is not None and row["lo"] <= row["value"] <= row["hi"]
        for row in live.monitor.svi_params
    )
    assert fit.info["steps"] == 400


def test_live_fit_refuses_callbacks(train):
    with pytest.raises(HierarchicalInputError, match="^monitor: "):
        fit_svi(train, steps=10, monitor=True, on_chunk=lambda p: None)


def test_old_figure_trait_names_warn_and_read_the_new_ones(fitted):
    ex = bw.HierarchicalExplorer(fitted)
    with pytest.warns(DeprecationWarning, match="forecast_figure"):
        assert ex.forecast_json == ex.forecast_figure
    with pytest.warns(DeprecationWarning, match="effects_figure"):
        assert ex.effects_json == ex.effects_figure


def small_panel(seed: int = 3) -> PanelData:
    """6 groups x 12 times, one feature, a normal target: NUTS samples it in seconds."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 12, 1))
    level = rng.normal(2.0, 0.5, size=(6, 1))
    y = level + 0.8 * x[..., 0] + rng.normal(0, 0.3, size=(6, 12))
    y[0, :3] = np.nan  # unknown days are predicted, not fitted
    return PanelData.from_arrays(x, y, features=["x"], groups=list("abcdef"))


def test_live_nuts_fit_runs_in_the_fit_engine(tmp_path):
    data = small_panel()
    live = fit_nuts(
        data, likelihood="normal", varying=[], draws=150, tune=150, chains=2, seed=2, monitor=True
    )
    assert isinstance(live, LiveHierarchicalFit) and live.method == "nuts"
    assert live.monitor.method == "mcmc" and live.monitor.backend == "numpyro"
    assert set(live.monitor.trace_names) == {
        "intercept_mu", "intercept_sigma", "fixed_coef[0]", "obs_sigma"
    }  # fmt: skip
    fit = live.wait(timeout=300)
    assert fit.method == "nuts" and fit.result is live.monitor.session.final_result
    assert fit.samples[Site.intercept_offset].shape == (300, 6)
    assert fit.samples[Site.fixed_coef][:, 0].mean() == pytest.approx(0.8, abs=0.15)
    live.monitor.wait_rendered(60)
    assert live.monitor.status == "finished" and live.monitor.diagnostics
    ex = bw.HierarchicalExplorer(fit, group="b")
    assert ex.facts["method"] == "nuts" and ex.facts["divergences"] == fit.info["divergences"]
    assert ex.group == "b" and ex.group_facts["observed_times"] == 12
