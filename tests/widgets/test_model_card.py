"""ModelCard, Python side: its rows and graph, and the old names still working."""

from __future__ import annotations

import json

import pytest

from bayes_widgets.core.model_info import model_rows
from bayes_widgets.datasets import eight_schools_noncentered
from bayes_widgets.widgets.model_card import ModelCard
from bayes_widgets.widgets.model_card import model_rows as old_model_rows


def test_model_card_carries_the_graph():
    card = ModelCard(eight_schools_noncentered())
    item = json.loads(card.graph_figure)
    assert '"name": "nodes"' in card.graph_figure and item["doc"]["roots"]
    assert [r["name"] for r in card.rows] == [r["name"] for r in model_rows(card.model)]


def test_old_names_still_work():
    card = ModelCard(eight_schools_noncentered())
    with pytest.warns(DeprecationWarning, match="graph_figure"):
        assert card.graph_json == card.graph_figure
    assert old_model_rows is model_rows
