"""The calibration figure: one parameter's rank histogram and ECDF difference, filled."""

from __future__ import annotations

import json

import numpy as np

from bayes_widgets.core.figures.calibration import (
    filled_parameter_figure,
    parameter_columns,
    parameter_figure,
)


def _sources(text: str) -> dict[str, dict]:
    found: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, dict):
            attrs = node.get("attributes")
            if (
                node.get("name") == "ColumnDataSource"
                and isinstance(attrs, dict)
                and "data" in attrs
            ):
                found[attrs.get("name")] = dict(attrs["data"]["entries"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(text))
    return found


def test_template_has_the_named_sources_empty():
    sources = _sources(parameter_figure(99, 0.95))
    assert set(sources) == {"hist", "ecdf", "band", "outside"}
    assert all(not v for cols in sources.values() for v in cols.values())


def test_columns_of_calibrated_and_biased_ranks():
    rng = np.random.default_rng(0)
    good = parameter_columns(rng.integers(0, 100, 200), 99, 10)
    assert sum(good["hist"]["count"]) == 200 and len(good["hist"]["left"]) == 10
    assert len(good["ecdf"]["x"]) == 201
    # the band as steps: each edge flat from its point to the next
    band = good["band"]
    assert band["x"][:4] == [0, 0.005, 0.005, 0.01] and band["x"][-1] == 1
    assert band["upper"][1] == band["upper"][0] and len(band["lower"]) == 402
    bad = parameter_columns(np.minimum(rng.integers(0, 100, 200) + 40, 99), 99, 10)
    assert len(bad["outside"]["x"]) > 0  # the curve leaves the band: marked
    json.dumps(bad, allow_nan=False)


def test_long_curves_keep_their_extremes():
    rng = np.random.default_rng(1)
    ranks = rng.integers(0, 100, 2000)
    thin = parameter_columns(ranks, 99, 20, points=100)
    full = parameter_columns(ranks, 99, 20, points=10_000)
    assert len(thin["ecdf"]["x"]) <= 102 and len(full["ecdf"]["x"]) == 2001
    assert max(thin["ecdf"]["difference"]) == max(full["ecdf"]["difference"])
    assert min(thin["ecdf"]["difference"]) == min(full["ecdf"]["difference"])
    assert thin["ecdf"]["x"][0] == 0 and thin["ecdf"]["x"][-1] == 1


def test_filled_figure_carries_the_data():
    text = filled_parameter_figure([0, 3, 5, 9], 9, 5)
    sources = _sources(text)
    assert sources["hist"]["count"] == [1, 1, 1, 0, 1]
    assert len(sources["ecdf"]["x"]) == 5
