"""ModelCard: what a PyMC model is made of, and a way into its priors.

    ModelCard(model)          # shown for any PyMC model after %load_ext bayes_widgets

One row per variable: free, observed, deterministic or data; its distribution; its dims
and shape; the variables it depends on. Beside the table, the model's graph: variables
as nodes, dependencies as arrows (drawn with Bokeh, no Graphviz needed). **Edit priors**
opens the :class:`PriorEditor` on the model below the card.
"""

from __future__ import annotations

from typing import Any

import ipywidgets
import numpy as np
import traitlets

from bayes_widgets.widgets._base import BayesWidget, static_text


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
        add(v, "free", _distribution(v))
    for v in model.observed_RVs:
        add(v, "observed", _distribution(v))
    for v in model.deterministics:
        add(v, "deterministic")
    for v in getattr(model, "data_vars", []):
        add(v, "data")
    return rows


def _graph_json(rows) -> str:
    import json

    from bokeh.embed import json_item

    from bayes_widgets.core.figures.graph import model_graph_figure

    if not rows:
        return ""
    return json.dumps(json_item(model_graph_figure(rows)))


_OP_NAMES = {"NegBinomial": "NegativeBinomial", "MultivariateNormal": "MvNormal"}
"""Ops whose class name differs from the PyMC distribution a user writes."""


def _distribution(var) -> str:
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


class ModelCard(BayesWidget):
    """A PyMC model's variables at a glance, with its prior editor one click away."""

    _esm = traitlets.Unicode().tag(sync=True)
    name = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    coords = traitlets.Dict().tag(sync=True)
    """Dimension name -> its length."""
    editor_open = traitlets.Bool(False).tag(sync=True)
    graph_json = traitlets.Unicode("").tag(sync=True)
    """The model's graph, a Bokeh ``json_item``."""

    def __init__(self, model, *, draws: int = 300, seed: int | None = None):
        import pymc as pm

        if not isinstance(model, pm.Model):
            raise TypeError(f"model: expected a PyMC model, got {type(model).__name__}")
        super().__init__(_esm=static_text("model_card.js"))
        self.model = model
        self._editor_options = {"draws": draws, "seed": seed}
        self.editor = None
        self.name = model.name or ""
        self.rows = model_rows(model)
        self.graph_json = _graph_json(self.rows)
        self.coords = {k: int(np.size(v)) for k, v in model.coords.items() if v is not None}
        self.container = ipywidgets.VBox([self])

    def open_editor(self):
        """The PriorEditor on this model, shown below the card (created once)."""
        if self.editor is None:
            from bayes_widgets.widgets.prior_editor import PriorEditor

            self.editor = PriorEditor(self.model, **self._editor_options)
            self.container.children = (*self.container.children, self.editor)
        self.editor_open = True
        return self.editor

    def _on_edit(self, msg) -> None:
        self.open_editor()
        self.error = ""

    def _repr_mimebundle_(self, **kwargs):
        return self.container._repr_mimebundle_(**kwargs)
