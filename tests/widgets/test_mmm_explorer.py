"""MMMExplorer, Python side: the one-pager's traits, linked selection by message, errors
inline; a national model with a test period and a geo model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bayes_widgets.core.mmm.model import MMMModel
from bayes_widgets.widgets.mmm_explorer import MMMExplorer
from tests.core.mmm.explorer_fits import TEST, WEEKS, geo_mmm, national_model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def titles(figure_json: str) -> list[str]:
    """The titles in a Bokeh json_item string."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("name") == "Title" and isinstance(node.get("attributes"), dict):
                found.append(node["attributes"].get("text", ""))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(figure_json))
    return found


@pytest.fixture(scope="module")
def national():
    return MMMExplorer(national_model(), draws=30)


def test_national_one_pager_in_traits(national):
    w = national
    assert w.error == ""
    assert w.channels == ["x1", "x2"] and w.geos == [] and w.geo == ""
    assert w.channel == "x1"
    assert w.facts["train_dates"] == WEEKS - TEST and w.facts["test_dates"] == TEST
    assert w.facts["draws"] == 30 and w.facts["prob"] == 0.9
    assert 0 <= w.facts["train_mape"] < 0.5
    rows = {r["channel"]: r for r in w.summary}
    assert sum(r["share"] for r in rows.values()) == pytest.approx(1.0)
    for r in rows.values():
        assert r["roas_low"] <= r["roas"] <= r["roas_high"]
        assert r["mroas"] > 0
    for name in ("fit", "decomposition", "channels", "response", "adstock"):
        assert getattr(w, f"{name}_figure"), name
    assert titles(w.response_figure) == ["x1: response per period"]
    assert titles(w.adstock_figure) == ["x1: adstock weights"]
    json.dumps(w.summary, allow_nan=False)


def test_choosing_a_channel_redraws_its_views_only(national):
    w = national
    fit_before = w.fit_figure
    w.handle_message({"type": "select", "channel": "x2", "cmd_id": "c1"})
    assert w.error == "" and w.channel == "x2"
    assert titles(w.response_figure) == ["x2: response per period"]
    assert titles(w.adstock_figure) == ["x2: adstock weights"]
    assert '"selected"' in w.decomposition_figure  # the chosen part's line
    assert w.fit_figure == fit_before  # the fit does not depend on the channel
    # an unknown channel: named inline, the state kept
    w.handle_message({"type": "select", "channel": "tv", "cmd_id": "c2"})
    assert "channel" in w.error and "tv" in w.error and w.channel == "x2"
    w.handle_message({"type": "select", "geo": "north", "cmd_id": "c3"})
    assert "geo" in w.error and "national" in w.error
    w.handle_message({"type": "select", "channel": "x1", "cmd_id": "c4"})
    assert w.error == "" and w.channel == "x1"


def test_geo_selection_redraws_every_view():
    w = MMMExplorer(geo_mmm(), draws=30, channel="x2")
    assert w.geos == ["geo_a", "geo_b"] and w.geo == "" and w.channel == "x2"
    assert w.facts["geo"] == "All geos"
    total = {r["channel"]: r for r in w.summary}
    before = {n: getattr(w, f"{n}_figure") for n in ("fit", "decomposition", "response")}
    assert titles(before["fit"]) == ["fitted vs actual — all geos"]
    w.handle_message({"type": "select", "geo": "geo_b", "cmd_id": "g1"})
    assert w.error == "" and w.geo == "geo_b" and w.channel == "x2"
    assert w.facts["geo"] == "geo_b"
    assert titles(w.fit_figure) == ["fitted vs actual — geo_b"]
    assert titles(w.response_figure) == ["x2: response per period — geo_b"]
    for name, text in before.items():
        assert getattr(w, f"{name}_figure") != text, name
    per_geo = {r["channel"]: r for r in w.summary}
    assert per_geo["x1"]["spend"] < total["x1"]["spend"]
    w.select(geo="geo_a")
    spend_a = {r["channel"]: r["spend"] for r in w.summary}
    assert spend_a["x1"] + per_geo["x1"]["spend"] == pytest.approx(total["x1"]["spend"])
    w.handle_message({"type": "select", "geo": "All geos", "cmd_id": "g2"})
    assert w.geo == "" and w.facts["geo"] == "All geos"
    assert np.isclose(w.summary[0]["spend"], total["x1"]["spend"])


def test_unfitted_model_is_an_inline_message_not_a_traceback():
    data = national_model().data
    unfitted = MMMModel(data, target="y", date_column="date_week", channels=["x1", "x2"])
    w = MMMExplorer(unfitted)
    assert "not been fitted" in w.error and "model" in w.error
    assert w.fit_figure == "" and w.summary == []
    w.handle_message({"type": "select", "channel": "x1", "cmd_id": "u1"})
    assert "not been fitted" in w.error
    bad = MMMExplorer(national_model(), draws=0)
    assert "draws" in bad.error
    with pytest.raises(TypeError, match="unexpected keyword"):
        MMMExplorer(national_model(), colour="red")  # type: ignore[call-arg]
