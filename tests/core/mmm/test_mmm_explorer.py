"""The MMM one-pager's numbers: parts of the mean, shares, ROAS, marginal ROAS, curves,
the test period, per geo and all geos; checked against the posterior draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm.explorer import explorer_draws
from bayes_widgets.core.mmm.explorer_views import ALL_GEOS, OnePager, one_pager
from bayes_widgets.core.mmm.fitting import target_scale
from bayes_widgets.core.mmm.model import MMMModel
from bayes_widgets.core.mmm.validation import MMMDataError

from .explorer_fits import TEST, WEEKS, geo_mmm, national_model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def national() -> OnePager:
    return one_pager(national_model(), draws=40)


@pytest.fixture(scope="module")
def geo() -> OnePager:
    return one_pager(geo_mmm(), draws=40)


def test_fit_covers_training_and_test_dates(national):
    model = national_model()
    fit = national.fit()
    assert len(fit) == WEEKS
    assert list(fit["split"]) == ["train"] * (WEEKS - TEST) + ["test"] * TEST
    assert np.allclose(fit["actual"], model.data["y"])
    dates = pd.to_datetime(model.data["date_week"])
    assert (fit["date"].to_numpy() == dates.to_numpy()).all()
    assert (fit["low"] <= fit["median"]).all() and (fit["median"] <= fit["high"]).all()
    # the fitted mean over the training weeks is the posterior's mu in original units,
    # draw by draw
    mu = (
        model.mmm.idata["posterior"]["mu"]
        .stack(sample=("chain", "draw"))
        .transpose("sample", "date")
    )
    kept = mu.to_numpy()[national.draws.draw_index] * target_scale(model.mmm)
    assert np.allclose(national.draws.mu[:, : WEEKS - TEST, 0], kept)


def test_parts_sum_to_the_fitted_mean_train_and_test(national):
    decomposition = national.decomposition()
    assert list(dict.fromkeys(decomposition["part"])) == [
        "baseline",
        "event_1",
        "event_2",
        "seasonality",
        "x1",
        "x2",
    ]
    total = decomposition.groupby("date", sort=False)["mean"].sum().to_numpy()
    assert np.allclose(total, national.fit()["mean"].to_numpy(), rtol=1e-9, atol=1e-6)
    # draw by draw as well
    d = national.draws
    assert np.allclose(sum(d.parts.values()), d.mu)
    # the channel parts are the posterior's contributions times the target scale
    model = national_model()
    post = model.mmm.idata["posterior"]["channel_contribution"].stack(sample=("chain", "draw"))
    kept = post.transpose("sample", "date", "channel").to_numpy()[d.draw_index]
    scale = target_scale(model.mmm)
    assert np.allclose(d.parts["x2"][:, : WEEKS - TEST, 0], kept[..., 1] * scale)


def test_shares_roas_and_marginal_roas(national):
    d = national.draws
    draws = national.channel_draws()
    share = draws["share"]
    assert np.allclose(share.sum(axis=1), 1.0)
    n = d.n_train
    spend = national_model().data[["x1", "x2"]].iloc[:n].to_numpy().sum(axis=0)
    assert np.allclose(draws["spend"], spend)
    contribution = np.stack([d.parts[c][:, :n, 0].sum(axis=1) for c in ("x1", "x2")], axis=-1)
    assert np.allclose(draws["roas"], contribution / spend)
    table = national.channels_table()
    assert np.allclose(table["roas"], (contribution / spend).mean(axis=0))
    assert np.allclose(table["share"].sum(), 1.0)
    assert (table["roas_low"] <= table["roas"]).all() and (
        table["roas"] <= table["roas_high"]
    ).all()
    # marginal ROAS: the response curve's slope at the current spend, by a finite difference
    for c, channel in enumerate(("x1", "x2")):
        x0 = national_model().data[channel].iloc[n - 8 : n].mean()
        h = 0.01 * x0
        r = national.response_draws(channel, [x0 - h, x0 + h])
        slope = (r[:, 1] - r[:, 0]) / (2 * h)
        assert np.allclose(draws["mroas"][:, c], slope, rtol=1e-3)
        assert table["current_spend"].iloc[c] == pytest.approx(x0)
        # a saturating curve: the next unit returns less than the average unit did at zero
        assert (draws["mroas"][:, c] > 0).all()


def test_response_curve_is_the_steady_state_of_adstock_and_saturation(national):
    """Spending x every period, the adstocked spend settles at x times the kernel's sum;
    the curve is the saturation of that, in original units."""
    model = national_model()
    d = national.draws
    x = 0.3
    weeks = WEEKS - TEST
    curve = national.response_draws("x1", [x])[:, 0]
    # the same steady state from the posterior's parameters: geometric weights alpha^l
    # (l < 3) normalized to sum to one, logistic saturation, the model's scales
    post = model.mmm.idata["posterior"].to_dataset().stack(sample=("chain", "draw"))
    pick = d.draw_index

    def param(name):
        return post[name].sel(channel="x1").to_numpy()[pick]

    scales = model.mmm.get_scales_as_xarray()
    u = x / float(scales["channel_scale"].sel(channel="x1"))
    lam, beta = param("saturation_lam"), param("saturation_beta")
    expected = beta * (1 - np.exp(-lam * u)) / (1 + np.exp(-lam * u)) * target_scale(model.mmm)
    assert np.allclose(curve, expected)
    alpha = param("adstock_alpha")
    weights = alpha[:, None] ** np.arange(3)
    assert np.allclose(d.kernel[:, 0, 0], weights / weights.sum(axis=1, keepdims=True))
    r = national.response("x1")
    assert r["observed_min"] == pytest.approx(model.data["x1"].iloc[:weeks].min())
    assert r["observed_max"] == pytest.approx(model.data["x1"].iloc[:weeks].max())
    assert r["curve"]["spend"].iloc[0] == 0 and r["curve"]["mean"].iloc[0] == 0
    assert r["curve"]["spend"].iloc[-1] >= r["observed_max"]
    assert np.all(np.diff(r["curve"]["mean"]) >= 0)


def test_adstock_weights(national):
    table = national.adstock("x2")
    assert list(table["lag"]) == [0, 1, 2]
    assert np.allclose(national.draws.kernel.sum(axis=-1), 1.0)  # the model normalizes
    alpha = national_model().mmm.idata["posterior"]["adstock_alpha"].sel(channel="x2")
    a = float(alpha.mean())
    assert table["mean"].iloc[0] > table["mean"].iloc[-1]
    assert table["mean"].iloc[1] / table["mean"].iloc[0] == pytest.approx(a, rel=0.25)


def test_geo_every_piece_per_geo_and_total(geo):
    d = geo.draws
    assert d.geos == ("geo_a", "geo_b") and d.geo_dim == "geo"
    fits = {g: geo.fit(g) for g in d.geos}
    total = geo.fit()
    assert np.allclose(total["actual"], sum(f["actual"] for f in fits.values()))
    assert np.allclose(total["mean"], sum(f["mean"] for f in fits.values()))
    for g in (None, *d.geos):
        dec = geo.decomposition(g)
        parts = dec.groupby("date", sort=False)["mean"].sum().to_numpy()
        assert np.allclose(parts, geo.fit(g)["mean"].to_numpy())
        table = geo.channels_table(g)
        assert table["share"].sum() == pytest.approx(1.0)
    # contributions per geo add up to the total's; the total's ROAS weighs geos by spend
    per_geo = [geo.channel_draws(g) for g in d.geos]
    everything = geo.channel_draws()
    assert np.allclose(everything["contribution"], sum(p["contribution"] for p in per_geo))
    assert np.allclose(everything["spend"], sum(p["spend"] for p in per_geo))
    # the posterior's own per-geo contributions, in original units
    post = geo_mmm().idata["posterior"]["channel_contribution"].stack(sample=("chain", "draw"))
    by_geo = post.sum("date").transpose("sample", "geo", "channel").to_numpy()[d.draw_index]
    scale = target_scale(geo_mmm())
    for g, p in enumerate(per_geo):
        assert np.allclose(p["contribution"], by_geo[:, g] * scale)
    # a total response curve is the sum of the geos' at the current split of the spend
    x = np.array([0.0, 1000.0, 5000.0])
    split = d.spend[d.n_train - geo.last : d.n_train, :, 0].sum(axis=0)
    fractions = split / split.sum()
    summed = sum(geo.response_draws("x1", x * f, g) for f, g in zip(fractions, d.geos))
    assert np.allclose(geo.response_draws("x1", x), summed)
    assert geo.adstock("x1", "geo_a")["mean"].sum() == pytest.approx(1.0)


def test_geo_parameters_differ_per_geo(geo):
    a, b = geo.adstock("x1", "geo_a"), geo.adstock("x1", "geo_b")
    assert not np.allclose(a["mean"], b["mean"])
    assert ALL_GEOS == "All geos"


def test_bad_inputs_name_their_field(national, geo):
    data = national_model().data
    unfitted = MMMModel(data, target="y", date_column="date_week", channels=["x1", "x2"])
    with pytest.raises(MMMDataError, match="not been fitted") as info:
        explorer_draws(unfitted)
    assert info.value.field == "model"
    with pytest.raises(MMMDataError) as info:
        explorer_draws(object())
    assert info.value.field == "model"
    with pytest.raises(MMMDataError) as info:
        national.response("x9")
    assert info.value.field == "channel"
    with pytest.raises(MMMDataError) as info:
        national.fit("geo_a")
    assert info.value.field == "geo" and "national" in str(info.value)
    with pytest.raises(MMMDataError) as info:
        geo.fit("geo_z")
    assert info.value.field == "geo"
    with pytest.raises(MMMDataError) as info:
        national.response_draws("x1", [-1.0])
    assert info.value.field == "spend"
    with pytest.raises(MMMDataError) as info:
        OnePager(national.draws, prob=1.5)
    assert info.value.field == "prob"
    with pytest.raises(MMMDataError) as info:
        one_pager(national_model(), draws=0)
    assert info.value.field == "draws"


def test_one_pager_kept_on_disk_and_drawn_by_the_report(national, tmp_path):
    """A run that keeps its one-pager: the tables come back as written, and the fleet
    report draws them (the run's heading, its channel table, its plots)."""
    import json

    from bayes_widgets.core.fleet.runner import FleetRun, RunSpec
    from bayes_widgets.core.mmm.explorer_io import read_one_pager, save_one_pager
    from bayes_widgets.core.mmm.fleets import FleetResult
    from bayes_widgets.core.report import fleet_report

    run_dir = tmp_path / "fleet" / "holdout-h6"
    folder = save_one_pager(national_model(), run_dir, draws=40)
    tables = read_one_pager(run_dir)
    assert tables is not None and folder.name == "one_pager"
    assert tables["meta"]["train_dates"] == WEEKS - TEST and tables["meta"]["test_dates"] == TEST
    assert tables["meta"]["geos"] == [] and "channels_by_geo" not in tables
    assert np.allclose(tables["channels"]["roas"], national.channels_table()["roas"])
    assert np.allclose(tables["fit"]["mean"], national.fit()["mean"])
    assert set(tables["response"]["channel"]) == {"x1", "x2"}
    assert read_one_pager(tmp_path) is None
    summary = {"run_id": "holdout-h6", "status": "done", "seconds": 1.0, "metrics": {}}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    fleet = FleetResult(
        "holdout",
        FleetRun(str(tmp_path / "fleet"), [RunSpec("holdout-h6", {})], {"holdout-h6": summary}, []),
    )
    text = fleet_report(fleet, tmp_path / "report.html").read_text()
    assert "holdout-h6: one-pager" in text
    assert f"Fitted on {WEEKS - TEST} dates, then {TEST} test dates" in text
    body = text.split("</head><body>")[-1]
    assert "holdout-h6: one-pager" in body and "<table" in body
    assert "e+0" not in body and "e-0" not in body  # numbers in plain or SI form
    assert "x2: response per period" in text and "x2: adstock weights" in text
