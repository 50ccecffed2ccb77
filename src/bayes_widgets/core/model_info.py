"""What a PyMC model is made of: one row per variable, for tables and graphs.

    from bayes_widgets.core.model_info import model_rows
    model_rows(model)   # [{"name": "mu", "kind": "free", "distribution": "Normal", ...}, ...]

Each row gives the variable's name, its kind (free, observed, deterministic or data),
its distribution as the user wrote it, its dims and shape, and the variables it depends on.
"""

from __future__ import annotations

from typing import Any

__all__ = ["distribution_name", "model_rows"]


def model_rows(model) -> list[dict[str, Any]]:
    """The card's table: name, kind, distribution, dims, shape, parents."""
    from pymc.model_graph import ModelGraph

    parents = ModelGraph(model).make_compute_graph()
    dims = model.named_vars_to_dims
    shapes = {}
    try:
        shapes = {k: [int(s) for s in v] for k, v in model.eval_rv_shapes().items()}
    except Exception:
        pass
    rows = []

    def add(var, kind: str, distribution: str = "") -> None:
        name = var.name
        shape = shapes.get(name)
        if shape is None:
            try:
                shape = [int(s) for s in var.shape.eval()]
            except Exception:
                shape = None
        rows.append(
            {
                "name": name,
                "kind": kind,
                "distribution": distribution,
                "dims": list(dims.get(name, ()) or ()),
                "shape": shape,
                "parents": sorted(parents.get(name, ())),
            }
        )

    for v in model.free_RVs:
        add(v, "free", distribution_name(v))
    for v in model.observed_RVs:
        add(v, "observed", distribution_name(v))
    for v in model.deterministics:
        add(v, "deterministic")
    for v in getattr(model, "data_vars", []):
        add(v, "data")
    return rows


_OP_NAMES = {"NegBinomial": "NegativeBinomial", "MultivariateNormal": "MvNormal"}
"""Ops whose class name differs from the PyMC distribution a user writes."""


def distribution_name(var) -> str:
    """The distribution's name as the user wrote it (``HalfFlat``, ``StudentT``,
    ``ZeroSumNormal``, ``CustomDist``), read from the class of the variable's op."""
    op = var.owner.op if var.owner is not None else None
    if op is None:
        return ""
    name = type(op).__name__.lstrip("_")
    if name.startswith("CustomDist"):
        return "CustomDist"
    name = name.removesuffix("RV")
    return _OP_NAMES.get(name, name)
