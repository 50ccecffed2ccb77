"""The model card's graph: layers by depth, children under their parents, one arrow per dependency."""

from __future__ import annotations

import json

import pytest

from bayes_widgets.core.figures.graph import graph_layout, model_graph_figure
from bayes_widgets.datasets import eight_schools_noncentered
from bayes_widgets.widgets.model_card import ModelCard, model_rows


def test_layers_follow_the_dependencies():
    rows = model_rows(eight_schools_noncentered())
    pos = graph_layout(rows)
    assert {n for n, (_, y) in pos.items() if y == 0} == {"mu", "tau", "theta_trans"}
    assert pos["theta"][1] == -1 and pos["y"][1] == -2
    # within a layer no two nodes share a place
    assert len(set(pos.values())) == len(pos)


def test_children_sit_under_their_parents():
    rows = [
        {"name": n, "kind": "free", "parents": p}
        for n, p in [("a", []), ("b", []), ("c", []), ("under_c", ["c"]), ("under_a", ["a"])]
    ]
    pos = graph_layout(rows)
    assert pos["under_a"][0] < pos["under_c"][0]


def test_figure_has_a_node_per_variable_and_an_edge_per_dependency():
    rows = model_rows(eight_schools_noncentered())
    fig = model_graph_figure(rows)
    nodes = fig.select_one({"name": "nodes"})
    assert sorted(nodes.data["name"]) == sorted(r["name"] for r in rows)
    assert "y ~ Normal (school)" in nodes.data["label"]
    edges = fig.select_one({"name": "edges"})
    assert len(edges.data_source.data["x0"]) == sum(len(r["parents"]) for r in rows) == 4
    with pytest.raises(ValueError, match="^rows: "):
        model_graph_figure([])


def test_model_card_carries_the_graph():
    card = ModelCard(eight_schools_noncentered())
    item = json.loads(card.graph_json)
    assert "nodes" in card.graph_json and item["doc"]["roots"]


def test_model_card_names_distributions_as_the_user_wrote_them():
    import pymc as pm

    from bayes_widgets.widgets.model_card import model_rows

    with pm.Model() as model:
        pm.HalfFlat("tau")
        pm.Flat("mu")
        pm.StudentT("t", nu=3)
        pm.LogNormal("ln")
        pm.ZeroSumNormal("z", shape=3)
        pm.NegativeBinomial("nb", mu=3, alpha=2)
        pm.CustomDist("c", 0.0, dist=lambda mu, size: pm.Normal.dist(mu, 1, size=size))
    names = {r["name"]: r["distribution"] for r in model_rows(model)}
    assert names == {
        "tau": "HalfFlat",
        "mu": "Flat",
        "t": "StudentT",
        "ln": "LogNormal",
        "z": "ZeroSumNormal",
        "nb": "NegativeBinomial",
        "c": "CustomDist",
    }
