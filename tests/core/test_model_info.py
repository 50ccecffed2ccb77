"""Model introspection: one row per variable, distributions named as the user wrote them."""

from __future__ import annotations

import pymc as pm

from bayes_widgets.core.model_info import model_rows
from bayes_widgets.datasets import eight_schools_noncentered


def test_rows_give_kind_dims_and_parents():
    rows = {r["name"]: r for r in model_rows(eight_schools_noncentered())}
    assert rows["y"]["kind"] == "observed" and rows["y"]["dims"] == ["school"]
    assert rows["theta"]["kind"] == "deterministic"
    assert rows["theta"]["parents"] == ["mu", "tau", "theta_trans"]


def test_rows_name_distributions_as_the_user_wrote_them():
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
