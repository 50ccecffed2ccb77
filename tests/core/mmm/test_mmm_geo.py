"""Geo MMMs: long data, per-geo outputs and their total, bad inputs named, lift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymc_extras.prior import Prior

from bayes_widgets.core.mmm import MMMDataError, MMMModel
from bayes_widgets.core.mmm.fitting import target_scale
from bayes_widgets.core.mmm.geo import TOTAL
from bayes_widgets.datasets import mmm_example, mmm_geo

CHANNELS = ["Channel0_spend", "Channel1_spend", "Channel2_spend"]
OPTIONS = {
    "target": "revenue",
    "date_column": "time",
    "channels": CHANNELS,
    "controls": ["competitor_sales_control"],
    "lag_max": 4,
    "yearly_seasonality": None,
    "dims": ("geo",),
}
LIFT = pd.DataFrame(
    {
        "channel": ["Channel0_spend"],
        "geo": ["Geo1"],
        "x": [2000.0],
        "delta_x": [500.0],
        "delta_y": [300.0],
        "sigma": [150.0],
    }
)


def small(**kwargs):
    return MMMModel(mmm_geo(n_geos=3, weeks=52), **{**OPTIONS, **kwargs})


FIT = {"draws": 60, "tune": 100, "chains": 2, "seed": 3}


@pytest.fixture(scope="module")
def fitted():
    model = small()
    model.add_lift_tests(LIFT)
    result = model.fit(rows=slice(0, 48), **FIT)
    return model, result


def test_geo_data_and_attributes():
    full = mmm_geo()
    assert full.shape[0] == 40 * 156 and full["geo"].nunique() == 40
    assert full["time"].nunique() == 156 and all(c in full for c in CHANNELS)
    model = small()
    assert model.dims == ("geo",) and model.geos == ["Geo0", "Geo1", "Geo2"]
    assert "dims=('geo',), geos=3" in repr(model)
    national = MMMModel(mmm_example(), target="y", date_column="date_week", channels=["x1"])
    assert national.dims == () and national.geos == []


def test_default_priors_share_the_response_shape_across_geos():
    model = small()
    assert tuple(model.priors["adstock_alpha"].dims) == ("channel",)
    assert tuple(model.priors["saturation_lam"].dims) == ("channel",)
    assert tuple(model.priors["saturation_beta"].dims) == ("geo", "channel")
    mmm = model.build(slice(0, 40))
    dims = mmm.model.named_vars_to_dims
    assert dims["adstock_alpha"] == ("channel",)
    assert dims["saturation_beta"] == ("geo", "channel")
    assert dims["intercept_contribution"] == ("geo",)
    assert len(mmm.model.coords["date"]) == 40 and list(mmm.model.coords["geo"]) == model.geos
    # one per geo again on request
    model.set_priors({"saturation_lam": Prior("Gamma", alpha=3, beta=1, dims=("geo", "channel"))})
    assert model.build().model.named_vars_to_dims["saturation_lam"] == ("geo", "channel")


def test_any_row_order_and_a_users_long_frame():
    from importlib.resources import files

    shuffled = mmm_geo(n_geos=3, weeks=30).sample(frac=1.0, random_state=0)
    model = MMMModel(shuffled, **OPTIONS)
    assert model.data["time"].is_monotonic_increasing
    assert list(model.X(slice(0, 2))["geo"]) == ["Geo0", "Geo1", "Geo2"] * 2
    # pymc-marketing's own geo example, read the way a user reads a CSV
    with (
        files("bayes_widgets.data").joinpath("mmm", "mmm_multidimensional_example.csv").open() as f
    ):
        df = pd.read_csv(f)
    user = MMMModel(
        df,
        target="y",
        date_column="date",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        dims=["geo"],
    )
    assert user.geos == ["geo_a", "geo_b"]
    mmm = user.build()
    assert len(mmm.model.coords["date"]) == 159
    assert list(mmm.model.coords["geo"]) == ["geo_a", "geo_b"]


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        (lambda d: d.drop(columns="geo"), "geo", "no such column"),
        (lambda d: d[~((d.geo == "Geo1") & (d.time == d.time.max()))], "geo", "Geo1"),
        (lambda d: pd.concat([d, d.iloc[[5]]]), "time", "two rows for date"),
        (lambda d: d.assign(geo=d.geo.where(d.index != 7)), "geo", "row 7 has no geo"),
        (lambda d: d.assign(geo=d.geo.replace("Geo2", "total")), "geo", "'total' cannot"),
    ],
)
def test_bad_geo_data_names_the_field(change, field, text):
    with pytest.raises(MMMDataError, match=text) as info:
        MMMModel(change(mmm_geo(n_geos=3, weeks=20)), **OPTIONS)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("dims", "text"),
    [
        ("geo", "write dims=\\('geo',\\)"),
        (("date",), "reserved"),
        (("geo", "brand"), "one panel dimension"),
        ((3,), "must be text"),
        (("region",), "region: no such column"),
    ],
)
def test_bad_dims_are_named(dims, text):
    with pytest.raises(MMMDataError, match=text):
        MMMModel(mmm_geo(n_geos=2, weeks=20), **{**OPTIONS, "dims": dims})


def test_priors_with_a_dimension_the_model_lacks_are_refused():
    national = MMMModel(mmm_example(), target="y", date_column="date_week", channels=["x1"])
    with pytest.raises(MMMDataError, match="'geo', not a dimension") as info:
        national.set_priors({"saturation_beta": Prior("HalfNormal", dims=("geo", "channel"))})
    assert info.value.field == "saturation_beta"
    national.add_lift_tests(
        [{"channel": "x1", "x": 0.3, "delta_x": 0.1, "delta_y": 0.05, "sigma": 0.02}]
    )
    assert "lift_measurements" in national.build().model.named_vars
    with pytest.raises(MMMDataError) as info:
        national.contributions(geo="a")
    assert info.value.field == "geo"


def test_lift_tests_are_checked_appended_and_built():
    model = small()
    assert model.lift_tests.empty and list(model.lift_tests.columns)[:2] == ["channel", "geo"]
    model.add_lift_tests(LIFT)
    table = model.add_lift_tests(LIFT.assign(geo="Geo2", channel="Channel2_spend"))
    assert list(table["geo"]) == ["Geo1", "Geo2"]
    assert "lift_measurements" in model.build().model.named_vars
    with pytest.raises(MMMDataError) as info:
        model.add_lift_tests(LIFT.assign(geo="Geo9"))
    assert info.value.field == "lift_tests.geo"
    assert len(model.lift_tests) == 2  # a refused table adds nothing


@pytest.mark.slow
def test_fit_contributions_sum_to_the_total_and_match_pymc_marketing(fitted):
    model, result = fitted
    assert result.diagnostics.divergences is not None
    table = model.contributions()
    assert set(table["geo"]) == {"Geo0", "Geo1", "Geo2", TOTAL}
    mean = table.pivot_table(index=["date", "channel"], columns="geo", values="mean")
    np.testing.assert_allclose(mean[["Geo0", "Geo1", "Geo2"]].sum(axis=1), mean[TOTAL], rtol=1e-9)
    ours = table[table["geo"] != TOTAL].set_index(["date", "geo", "channel"])["mean"]
    theirs = model.mmm.summary.contributions().set_index(["date", "geo", "channel"])["mean"]
    np.testing.assert_allclose(ours.sort_index(), theirs.sort_index(), rtol=1e-6)
    one = model.contributions(geo="Geo2", hdi_prob=0.8)
    assert set(one["geo"]) == {"Geo2"} and "abs_error_80_lower" in one
    with pytest.raises(MMMDataError) as info:
        model.contributions(geo="Geo7")
    assert info.value.field == "geo"


@pytest.mark.slow
def test_roas_per_geo_and_in_total(fitted):
    model, _ = fitted
    table = model.roas()
    assert len(table) == 4 * len(CHANNELS)
    theirs = model.mmm.summary.roas(frequency="all_time").set_index(["geo", "channel"])["mean"]
    ours = table[table["geo"] != TOTAL].set_index(["geo", "channel"])["mean"]
    np.testing.assert_allclose(ours.sort_index(), theirs.sort_index(), rtol=1e-6)
    # the total is the draws' total contribution over the total spend
    post = model.mmm.idata["posterior"]["channel_contribution"] * target_scale(model.mmm)
    spend = model.mmm.idata["constant_data"]["channel_data"].sum(("date", "geo"))
    expected = (post.sum(("date", "geo")) / spend).mean(("chain", "draw"))
    total = table[table["geo"] == TOTAL].set_index("channel")["mean"]
    np.testing.assert_allclose(total.loc[CHANNELS], expected.sel(channel=CHANNELS), rtol=1e-9)


@pytest.mark.slow
def test_predictions_per_geo_match_pymc_marketing(fitted):
    model, _ = fitted
    future = model.X(slice(48, None)).sample(frac=1.0, random_state=1)  # any row order
    draws = model.predictive_draws(future, after_training=True, seed=11)
    assert draws.shape == (FIT["chains"] * FIT["draws"], len(future))
    pp = model.mmm.sample_posterior_predictive(
        future,
        extend_idata=False,
        include_last_observations=True,
        random_seed=11,
        progressbar=False,
    )
    y = pp["y"] * target_scale(model.mmm)
    for j, (date, geo) in enumerate(zip(future["time"], future["geo"], strict=True)):
        np.testing.assert_allclose(draws[:, j], y.sel(date=date, geo=geo).values)
    table = model.predict(future, seed=11)
    assert len(table) == 4 * 4 and list(table["geo"][:4]) == ["Geo0", "Geo1", "Geo2", TOTAL]
    first = table[table["time"] == table["time"].min()].set_index("geo")["mean"]
    np.testing.assert_allclose(first[["Geo0", "Geo1", "Geo2"]].sum(), first[TOTAL], rtol=1e-9)
    expected = y.sel(date=table["time"].min(), geo="Geo1").mean("sample")
    np.testing.assert_allclose(first["Geo1"], expected, rtol=1e-9)
    assert set(model.predict(future, seed=11, geo=["Geo2", TOTAL])["geo"]) == {"Geo2", TOTAL}
    with pytest.raises(MMMDataError) as info:
        model.predict(future[future["geo"] != "Geo0"], seed=1)
    assert info.value.field == "geo"


@pytest.mark.slow
def test_summaries_and_save_load_of_a_geo_model(fitted, tmp_path):
    model, _ = fitted
    beta = model.summarize_variable("saturation_beta")
    assert beta["by"] == ["geo", "channel"] and len(beta["rows"]) == 3 * len(CHANNELS)
    assert beta["rows"][0]["label"] == "Geo0, Channel0_spend" and beta["rows"][0]["geo"] == "Geo0"
    intercept = model.summarize_variable("intercept")
    assert [r["label"] for r in intercept["rows"]] == model.geos
    config = model.config()
    assert config["dims"] == ["geo"] and config["lift_tests"][0]["geo"] == "Geo1"
    model.save(tmp_path / "geo")
    loaded = MMMModel.load(tmp_path / "geo")
    assert loaded.dims == ("geo",) and loaded.geos == model.geos
    assert len(loaded.lift_tests) == 1 and "lift_measurements" in loaded.mmm.model.named_vars
    np.testing.assert_allclose(
        loaded.roas(geo=TOTAL)["mean"].to_numpy(), model.roas(geo=TOTAL)["mean"].to_numpy()
    )
