"""ModelCard: what a PyMC model is made of, and a way into its priors.

    ModelCard(model)          # shown for any PyMC model after %load_ext bayes_widgets

One row per variable: free, observed, deterministic or data; its distribution; its dims
and shape; the variables it depends on. Beside the table, the model's graph: variables
as nodes, dependencies as arrows (drawn with Bokeh, no Graphviz needed). **Edit priors**
opens the :class:`PriorEditor` on the model below the card.
"""

from __future__ import annotations

import ipywidgets
import numpy as np
import traitlets

from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.figures.base import to_json
from bayes_widgets.core.figures.graph import model_graph_figure
from bayes_widgets.core.model_info import model_rows
from bayes_widgets.widgets._base import BayesWidget, static_text

__all__ = ["ModelCard", "model_rows"]


class ModelCard(BayesWidget):
    """A PyMC model's variables at a glance, with its prior editor one click away."""

    name = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    coords = traitlets.Dict().tag(sync=True)
    """Dimension name -> its length."""
    editor_open = traitlets.Bool(False).tag(sync=True)
    graph_figure = traitlets.Unicode("").tag(sync=True)
    """The model's graph, a Bokeh ``json_item`` string ("" for a model without variables)."""
    graph_json = renamed_trait("graph_json", "graph_figure")

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
        self.graph_figure = to_json(model_graph_figure(self.rows)) if self.rows else ""
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
