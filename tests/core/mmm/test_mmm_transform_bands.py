"""Bands of an MMM's adstock weights and saturation curves: the model's own transforms,
from the priors as edited and from the posterior after a fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from bayes_widgets.core.mmm import ADSTOCKS, SATURATIONS, MMMDataError, MMMModel
from bayes_widgets.core.mmm.transform_bands import TransformBands, posterior_of
from bayes_widgets.core.priors.model import ModelPriors
from bayes_widgets.datasets import mmm_example

OPTIONS = {
    "target": "y",
    "date_column": "date_week",
    "channels": ["x1", "x2"],
    "controls": ["event_1", "event_2"],
    "lag_max": 8,
}


def make(**kwargs) -> MMMModel:
    return MMMModel(mmm_example(), **{**OPTIONS, **kwargs})


def editable(mmm) -> dict:
    return ModelPriors(mmm.model, draws=10).priors


def widths(bands) -> np.ndarray:
    return np.asarray(bands["0.95"]) - np.asarray(bands["0.05"])


@pytest.fixture(scope="module")
def built():
    return make().build()


def test_adstock_median_is_pymc_marketings_weights_at_the_prior_median(built):
    tb = TransformBands(built, draws=400)
    view = tb.bands(editable(built), "x1")
    median_alpha = stats.beta(1, 3).ppf(0.5)  # the default adstock_alpha prior
    parameters = xr.Dataset(
        {"adstock_alpha": (("chain", "draw", "channel"), [[[median_alpha, median_alpha]]])},
        coords={"chain": [0], "draw": [0], "channel": ["x1", "x2"]},
    )
    curve = built.adstock.sample_curve(parameters, progressbar=False)
    expected = curve.sel(channel="x1").squeeze().values
    median = np.asarray(view["adstock"]["prior"]["0.5"])
    # the weights at lag 0 and at the last lag move monotonically with alpha: their
    # median is the weight at the median alpha
    assert median[0] == pytest.approx(expected[0], rel=0.02)
    assert median[-1] == pytest.approx(expected[-1], rel=0.05)
    assert sum(median) == pytest.approx(1.0, abs=0.05)  # a normalized kernel
    assert view["lags"] == list(range(8))


def test_saturation_is_pymc_marketings_curve_in_original_units(built):
    from pymc_marketing.mmm.transformers import logistic_saturation
    from pytensor.xtensor import as_xtensor

    tb = TransformBands(built, draws=20, points=30)
    lam, beta = np.linspace(1, 5, 20), np.linspace(0.5, 2, 20)
    params = {"adstock_alpha": np.full(20, 0.5), "saturation_lam": lam, "saturation_beta": beta}
    _, curve = tb.curves(params, "x2", None, np.zeros(20, dtype=int))
    scales = built.get_scales_as_xarray()
    x = tb.spend_grid("x2") / float(scales["channel_scale"].sel(channel="x2"))
    shape = logistic_saturation(as_xtensor(x, dims=("spend",)), as_xtensor(lam, dims=("s",)))
    shape = shape.transpose("s", "spend").values.eval()
    expected = beta[:, None] * shape * float(scales["target_scale"])
    np.testing.assert_allclose(curve, expected, rtol=1e-9)
    low, high = tb.spend_range("x2")
    assert low == mmm_example()["x2"].min() and high == mmm_example()["x2"].max()
    assert tb.spend_grid("x2")[-1] == pytest.approx(1.25 * high)


PAIRS = [  # every adstock and every saturation once
    ("geometric", "logistic"),
    ("delayed", "michaelis_menten"),
    ("weibull", "hill"),
    ("geometric", "tanh"),
]


def test_the_pairs_cover_every_component():
    assert {a for a, _ in PAIRS} == set(ADSTOCKS) and {s for _, s in PAIRS} == set(SATURATIONS)


@pytest.mark.parametrize(("adstock", "saturation"), PAIRS)
def test_every_component_gives_bands(adstock, saturation):
    mmm = make(adstock=adstock, saturation=saturation, lag_max=4).build(slice(0, 40))
    view = TransformBands(mmm, draws=50, points=12).bands(editable(mmm), "x1")
    for kind in ("adstock", "saturation"):
        bands = view[kind]["prior"]
        assert np.all(np.isfinite(bands["0.5"])), (kind, bands)
        assert np.all(widths(bands) >= 0)
    assert view["saturation"]["prior"]["0.95"][0] == pytest.approx(0.0, abs=1e-9)
    assert max(view["saturation"]["prior"]["0.95"]) > 0
    assert view["adstock"]["posterior"] is None and view["draws"]["posterior"] == 0


def test_an_edit_moves_only_its_curve_and_is_reused_until_then(built):
    tb = TransformBands(built, draws=200)
    priors = dict(editable(built))
    first = tb.bands(priors, "x1")
    again = tb.bands(priors, "x1")
    assert again["adstock"]["prior"] is first["adstock"]["prior"]  # cached, not recomputed
    priors["adstock_alpha"] = priors["adstock_alpha"].with_element(0, alpha=6.0, beta=2.0)
    moved = tb.bands(priors, "x1")
    # a larger retention rate spreads the weight over later lags
    assert moved["adstock"]["prior"]["0.5"][0] < first["adstock"]["prior"]["0.5"][0] - 0.2
    assert moved["saturation"]["prior"] == first["saturation"]["prior"]
    # x2's prior was not edited
    assert (
        tb.bands(priors, "x2")["adstock"]["prior"]
        == TransformBands(built, draws=200).bands(editable(built), "x2")["adstock"]["prior"]
    )
    priors["saturation_beta"] = priors["saturation_beta"].with_element(0, sigma=4.0)
    wider = tb.bands(priors, "x1")["saturation"]["prior"]
    np.testing.assert_allclose(wider["0.5"], 2 * np.asarray(moved["saturation"]["prior"]["0.5"]))


def test_bad_channel_geo_and_sizes_name_the_field(built):
    tb = TransformBands(built, draws=20)
    with pytest.raises(MMMDataError, match="channel: 'x9' is not a channel"):
        tb.bands({}, "x9")
    with pytest.raises(MMMDataError, match="geo: 'north'.*no geos"):
        tb.bands({}, "x1", geo="north")
    with pytest.raises(MMMDataError, match="draws"):
        TransformBands(built, draws=0)
    with pytest.raises(MMMDataError, match="mmm"):
        TransformBands(object())
    # priors the editor cannot edit are drawn from the model once
    view = tb.bands({}, "x1")
    assert np.all(np.isfinite(view["saturation"]["prior"]["0.95"]))


def test_draws_a_transform_refuses_name_its_parameters(built):
    from bayes_widgets.core.priors import PriorDist

    tb = TransformBands(built, draws=50)
    priors = dict(editable(built))
    priors["adstock_alpha"] = PriorDist.create(  # retention rates below 0 and above 1
        "Normal", dims=("channel",), size=2, mu=np.zeros(2), sigma=np.ones(2)
    )
    with pytest.raises(MMMDataError, match="adstock_alpha, saturation_lam, saturation_beta: "):
        tb.bands(priors, "x1")


def geo_mmm():
    """pymc-marketing's multidimensional MMM on three geos (x1's spend scaled per geo)."""
    import pymc_marketing.mmm as pmm

    df = mmm_example().iloc[:50]
    rows = []
    for i, geo in enumerate(["north", "south", "west"]):
        part = df.assign(geo=geo, x1=df["x1"] * (i + 1))
        rows.append(part)
    long = pd.concat(rows, ignore_index=True)
    mmm = pmm.MMM(
        date_column="date_week",
        channel_columns=["x1", "x2"],
        target_column="y",
        dims=("geo",),
        adstock=pmm.GeometricAdstock(l_max=4),
        saturation=pmm.LogisticSaturation(),
    )
    mmm.build_model(long[["date_week", "geo", "x1", "x2"]], long["y"])
    return mmm


def test_geo_models_pool_the_geos_or_show_one():
    mmm = geo_mmm()
    tb = TransformBands(mmm, draws=60, points=10)
    assert tb.geos == ["north", "south", "west"]
    pooled = tb.bands(editable(mmm), "x1")
    west = tb.bands(editable(mmm), "x1", geo="west")
    north = tb.bands(editable(mmm), "x1", geo="north")
    assert west["spend_range"][1] == pytest.approx(3 * north["spend_range"][1])
    assert pooled["spend_range"] == [north["spend_range"][0], west["spend_range"][1]]
    for view in (pooled, west):
        assert all(np.all(np.isfinite(view[k]["prior"]["0.5"])) for k in ("adstock", "saturation"))
    with pytest.raises(MMMDataError, match="geo: 'east'.*north, south, west"):
        tb.bands({}, "x1", geo="east")


@pytest.mark.slow
def test_posterior_bands_are_narrower_than_the_priors(national_fit):
    model = national_fit  # OPTIONS' model on 160 weeks, fitted in conftest.py
    assert model.lag_max == OPTIONS["lag_max"] == 8
    posterior = posterior_of(model.mmm)
    assert posterior is not None
    tb = TransformBands(model.mmm, draws=200)
    view = tb.bands(editable(model.mmm), "x1", posterior=posterior)
    assert view["draws"]["posterior"] == 200
    for kind in ("adstock", "saturation"):
        prior, post = view[kind]["prior"], view[kind]["posterior"]
        assert widths(post).mean() < 0.5 * widths(prior).mean(), kind
    # the data were simulated with x1's retention 0.4: the posterior's median weight at
    # lag 0 is near that of alpha = 0.4 (0.6 of a normalized kernel), the prior's is not
    lag0 = view["adstock"]["posterior"]["0.5"][0]
    assert lag0 == pytest.approx((1 - 0.4) / (1 - 0.4**8), abs=0.15)
    assert posterior_of(make().build()) is None
