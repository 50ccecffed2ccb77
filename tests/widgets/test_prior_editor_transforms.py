"""PriorEditor bound to an MMM: the chosen channel's adstock and saturation bands follow
the edits, the channel follows the element and the reverse, posterior bands after a fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.datasets import mmm_example
from bayes_widgets.widgets.prior_editor import PriorEditor


def send(editor, **content):
    editor._dispatch(editor, content, [])


def make(**kwargs) -> MMMModel:
    options = {
        "target": "y",
        "date_column": "date_week",
        "channels": ["x1", "x2"],
        "controls": ["event_1", "event_2"],
        "lag_max": 6,
        **kwargs,
    }
    return MMMModel(mmm_example().iloc[:80], **options)


@pytest.fixture(scope="module")
def editor():
    return PriorEditor(make(), draws=100, seed=1)


def median(ed, source: str, column: str = "q50") -> list[float]:
    return ed.transforms["sources"][source][column]


def test_an_mmm_shows_its_first_channels_transforms(editor):
    ed = editor
    assert not ed.error
    assert ed.channels == ["x1", "x2"] and ed.channel == "x1" and ed.geos == [] and ed.geo == ""
    t = ed.transforms
    assert t["channel"] == "x1" and t["geo"] is None
    assert len(median(ed, "adstock_prior")) == 6
    assert median(ed, "saturation_prior")[0] == 0.0
    assert median(ed, "adstock_posterior") == []  # not fitted
    low, high = t["spend_range"]
    x1 = mmm_example()["x1"].iloc[:80]
    assert low == pytest.approx(x1.min()) and high == pytest.approx(x1.max(), rel=1e-5)
    spend = t["sources"]["spend_range"]
    assert spend["left"] == [pytest.approx(low)] and spend["right"] == [pytest.approx(high)]
    assert "weight at lag 0" in t["summary"]["text"] and t["summary"]["prior"]["lag0"] > 0.5
    figure = json.dumps(json.loads(ed.transforms_figure))
    for name in ("adstock_prior", "saturation_posterior", "spend_range"):
        assert f'"name": "{name}"' in figure


def test_dragging_an_adstock_prior_moves_its_curve_and_only_for_the_edited(editor):
    ed = editor
    send(ed, type="select", variable="adstock_alpha", element=0, seq=1)
    before = median(ed, "adstock_prior")
    saturation = median(ed, "saturation_prior")
    for i, alpha in enumerate(np.linspace(1.0, 8.0, 8)):
        send(ed, type="edit", values={"alpha": float(alpha)}, seq=2 + i)
    assert not ed.error
    after = median(ed, "adstock_prior")
    assert after[0] < before[0] - 0.2 and after[-1] > before[-1]  # the decay slows
    assert median(ed, "saturation_prior") == saturation
    # a saturation prior moves the saturation curve
    send(ed, type="select", variable="saturation_beta", element=0, seq=20)
    send(ed, type="edit", values={"sigma": 4.0}, seq=21)
    np.testing.assert_allclose(
        median(ed, "saturation_prior"), 2 * np.asarray(saturation), rtol=1e-4
    )


def test_the_channel_follows_the_element_and_the_reverse(editor):
    ed = editor
    send(ed, type="select", variable="saturation_lam", element=1, seq=30)
    assert ed.channel == "x2" and ed.transforms["channel"] == "x2"
    x2_high = ed.transforms["spend_range"][1]
    send(ed, type="channel", channel="x1", seq=31)
    assert ed.channel == "x1" and ed.element == 0 and ed.transforms["channel"] == "x1"
    assert ed.transforms["spend_range"][1] != x2_high
    # a variable that is not per channel keeps its element
    send(ed, type="select", variable="intercept_contribution", seq=32)
    send(ed, type="channel", channel="x2", seq=33)
    assert ed.channel == "x2" and ed.variable == "intercept_contribution" and ed.element == 0
    # a bad channel or geo is refused naming the field; the view stays
    send(ed, type="channel", channel="x9", seq=34)
    assert ed.error.startswith("channel: 'x9' is not a channel") and ed.channel == "x2"
    send(ed, type="channel", channel="x1", geo="north", seq=35)
    assert ed.error.startswith("geo: 'north' is not a geo") and ed.channel == "x2"
    assert ed.applied["seq"] == 35


def test_a_geo_model_pools_the_geos_or_shows_one():
    import pymc_marketing.mmm as pmm

    df = mmm_example().iloc[:40]
    long = pd.concat(
        [df.assign(geo=g, x1=df["x1"] * (i + 1)) for i, g in enumerate(["north", "south"])],
        ignore_index=True,
    )
    mmm = pmm.MMM(
        date_column="date_week",
        channel_columns=["x1", "x2"],
        target_column="y",
        dims=("geo",),
        adstock=pmm.GeometricAdstock(l_max=4),
        saturation=pmm.LogisticSaturation(),
    )
    mmm.build_model(long[["date_week", "geo", "x1", "x2"]], long["y"])
    ed = PriorEditor(mmm, draws=50, seed=1)
    assert ed.geos == ["north", "south"] and ed.geo == ""
    pooled = ed.transforms["spend_range"]
    send(ed, type="channel", channel="x1", geo="south", seq=1)
    assert ed.geo == "south" and ed.transforms["geo"] == "south"
    assert ed.transforms["spend_range"][1] == pytest.approx(pooled[1])
    send(ed, type="channel", channel="x1", geo="north", seq=2)
    assert ed.transforms["spend_range"][1] == pytest.approx(pooled[1] / 2)
    assert np.all(np.isfinite(median(ed, "saturation_prior")))


def test_an_editor_without_an_mmm_has_no_transforms():
    ed = PriorEditor("Gamma")
    assert ed.transforms == {} and ed.transforms_figure == "" and ed.channels == []
    send(ed, type="channel", channel="x1", seq=1)
    assert ed.error.startswith("channel: only an editor bound to an MMM")


@pytest.mark.slow
def test_after_a_fit_prior_and_posterior_bands_show_together():
    model = make()
    ed = PriorEditor(model, draws=60, seed=1)  # opened before the fit
    assert median(ed, "adstock_posterior") == []
    model.fit(draws=60, tune=60, chains=1, seed=3)
    send(ed, type="channel", channel="x1", seq=1)  # the next redraw finds the posterior
    t = ed.transforms
    assert t["draws"]["posterior"] == 60 and "posterior:" in t["summary"]["text"]

    def width(source):
        return np.mean(np.subtract(median(ed, source, "q95"), median(ed, source, "q05")))

    assert width("adstock_posterior") < width("adstock_prior")
    assert width("saturation_posterior") < width("saturation_prior")


def test_a_model_whose_transforms_cannot_be_drawn_still_edits():
    from bayes_widgets.widgets.prior_editor_transforms import make_panel

    panel, note = make_panel(None, object(), 0)
    assert panel is None and note.startswith("The adstock and saturation curves cannot be drawn")
    assert "mmm: expected a pymc-marketing MMM" in note
