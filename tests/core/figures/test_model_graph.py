"""The model card's graph: layers by depth, children under their parents, one arrow per dependency."""

from __future__ import annotations

import json

import pytest

from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.graph import graph_layout, model_graph_figure
from bayes_widgets.core.model_info import model_rows
from bayes_widgets.datasets import eight_schools_noncentered


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


def test_graph_serializes_with_its_named_nodes():
    item = json.loads(to_json(model_graph_figure(model_rows(eight_schools_noncentered()))))
    assert item["doc"]["roots"] and '"name": "nodes"' in json.dumps(item)
