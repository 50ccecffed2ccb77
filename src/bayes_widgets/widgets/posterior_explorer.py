"""PosteriorExplorer: a fitted posterior that explains itself.

    PosteriorExplorer(result)                     # FitResult, DataTree or InferenceData
    PosteriorExplorer(idata, selected=["mu", "tau"])

A summary table (mean, sd, 94% HDI, bulk and tail ESS, R-hat; free parameters first,
each deterministic variable on one line that opens into its values; every problem named
in visible text by the rules of ``result.diagnostics``), a choice of variables and
coordinates, and linked
plots of the chosen quantities: trace and rank per quantity, a pair plot, the posterior
predictive against the data (when the fit has them), and a forest plot. Draws selected
with the box or lasso tool in the pair or trace plot are highlighted in the other
plots, their posterior predictive curves included.
"""

from __future__ import annotations

from typing import Any

import traitlets

from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.figures import posterior as figures
from bayes_widgets.core.figures.base import to_json, with_fresh_ids
from bayes_widgets.core.fitting.diagnostics import group_parameters
from bayes_widgets.core.posterior import PosteriorData, PosteriorError
from bayes_widgets.widgets._base import BayesWidget, static_text

MAX_SELECTED = 4


class PosteriorExplorer(BayesWidget):
    """Summary and linked plots of a posterior (see the module docstring)."""

    variables = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Per variable: name, dims, coordinate labels, its quantities."""
    summary = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One row per quantity (free parameters first), with ``problems`` (empty when fine)."""
    problems = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Every problem of the fit, one sentence each (divergences, tree depth, E-BFMI, R-hat,
    ESS): the same as ``result.diagnostics.problems``."""
    groups = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One line per variable: kind, size, max R-hat, min ESS and its problems."""
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The quantities plotted (at most four)."""
    forest_variables = traitlets.List(traitlets.Unicode()).tag(sync=True)
    posterior_figure = traitlets.Unicode("").tag(sync=True)
    """The linked trace/rank/pair/predictive plots, a Bokeh ``json_item`` string."""
    forest_figure = traitlets.Unicode("").tag(sync=True)
    """The forest plot of ``forest_variables``, a Bokeh ``json_item`` string."""
    facts = traitlets.Dict().tag(sync=True)
    """Draws shown and in total, chains, the predictive variable."""
    figure = renamed_trait("figure", "posterior_figure")
    forest = renamed_trait("forest", "forest_figure")

    def __init__(
        self,
        source: Any,
        *,
        var_names=None,
        selected=None,
        max_draws: int = 1000,
        ppc_draws: int = 100,
        seed: int = 0,
    ):
        super().__init__(_esm=static_text("posterior_explorer.js"))
        if not (isinstance(max_draws, int) and max_draws >= 10):
            raise PosteriorError("max_draws", f"must be an integer ≥ 10, got {max_draws!r}")
        self.data = PosteriorData(source, var_names=var_names)
        self.options = {"max_draws": max_draws, "ppc_draws": ppc_draws, "seed": seed}
        self.variables = [
            {k: v[k] for k in ("name", "dims", "coords", "size", "quantities")}
            for v in self.data.variables
        ]
        self.summary = self.data.summary()
        self.problems = self.data.problems()
        self.groups = [
            {k: v for k, v in g.items() if k not in ("rows", "omitted")}
            for g in group_parameters(self.summary)
        ]
        if selected is None:
            selected = self._default_selection()
        self.select(selected)
        free = [v["name"] for v in self.data.variables if v["kind"] == "free"]
        self.show_forest((free or [v["name"] for v in self.data.variables])[:3])

    # -- Python API -------------------------------------------------------------------------
    def select(self, quantities) -> None:
        """Plots these quantities (names like ``theta[0]``, or whole variables)."""
        names = self.data.check(quantities, field="selected")
        if not names:
            raise PosteriorError("selected", "choose at least one quantity")
        names = list(dict.fromkeys(names))[:MAX_SELECTED]
        figure = with_fresh_ids(to_json(figures.explorer_figure(self.data, names, **self.options)))
        facts = figures.explorer_facts(
            self.data,
            names,
            max_draws=self.options["max_draws"],
            ppc_draws=self.options["ppc_draws"],
        )
        with self.hold_sync():
            self.selected = names
            self.facts = {
                **facts,
                "chains": self.data.chains,
                "draws_per_chain": self.data.draws_per_chain,
            }
            self.posterior_figure = figure

    def show_forest(self, variables) -> None:
        """The forest plot of these variables' quantities."""
        names = [variables] if isinstance(variables, str) else list(variables)
        known = [v["name"] for v in self.data.variables]
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise PosteriorError("forest_variables", f"unknown variables {unknown}; known: {known}")
        rows = [r for r in self.summary if r["variable"] in names]
        self.forest_variables = names
        self.forest_figure = with_fresh_ids(to_json(figures.forest_figure(rows)))

    def flagged(self) -> list[dict[str, Any]]:
        """Summary rows with a convergence problem (the ``problems`` trait names every
        problem of the fit in a sentence)."""
        return [r for r in self.summary if r["problems"]]

    # -- messages from the page -------------------------------------------------------------
    def _on_select(self, msg) -> None:
        try:
            self.select(msg.get("quantities") or [])
        except PosteriorError as exc:
            self.error = str(exc)
            return
        self.error = ""

    def _on_forest(self, msg) -> None:
        try:
            self.show_forest(msg.get("variables") or [])
        except PosteriorError as exc:
            self.error = str(exc)
            return
        self.error = ""

    # -- internals --------------------------------------------------------------------------
    def _default_selection(self) -> list[str]:
        """Two free parameters, those with problems first (deterministics only when the
        posterior has no free parameter)."""
        free = [r for r in self.summary if r["kind"] == "free"] or self.summary
        flagged = [r["name"] for r in free if r["problems"]]
        rest = [r["name"] for r in free if not r["problems"]]
        return (flagged + rest)[:2]
