"""Every figure of every view, built with Bokeh: the only package that imports bokeh.

One module per view: ``fit`` (the fit monitor's trace and rank plots), ``svi`` (its loss
curve), ``posterior`` (the posterior explorer), ``priors`` (the prior editor), ``graph``
(the model card), ``report`` (fleet reports and the fleet board), ``decision`` (the decision
explorer), ``prediction`` (the prediction table), ``hierarchical``, ``mmm_transforms`` (the
prior editor's adstock and saturation bands for an MMM), ``mmm_explorer`` (the MMM
one-pager, in its widget and in fleet reports) and ``calibration`` (the calibration
board's rank histograms and ECDF differences). Shared
pieces: ``palette`` (the one set of colors: :func:`palette.series_color`, chain, band and
guide colors), ``format`` (readable tick labels and numbers) and ``base`` (:func:`base.to_json`,
the one way a Bokeh model becomes the ``json_item`` string a widget trait or a report holds).

Figures come in two kinds:

- **templates** are built once without data, cached as ``json_item`` strings, and the page
  fills their named sources as data arrive: ``fit.trace_rank_figure`` and
  ``svi.loss_figure`` (the fit monitor's live traces and loss), ``priors.distribution_figure``
  and ``priors.predictive_figure`` (the prior editor redraws on every edit without a new
  figure), ``decision.outcome_figure`` and ``decision.frontier_figure`` (the decision
  explorer's slider moves), ``prediction.prediction_template``,
  ``mmm_transforms.transform_figure`` (the transform bands, redrawn as priors are dragged)
  and ``calibration.parameter_figure`` (a parameter's ranks, filled in as simulations
  finish). They return the string,
  optionally with data written in (``base.filled``).
- **snapshots** are built with their data and return a Bokeh model:
  ``posterior.explorer_figure``, ``posterior.forest_figure``, ``graph.model_graph_figure``,
  ``prediction.prediction_figure``, the report's figures, the MMM one-pager's figures
  (``mmm_explorer``) and the hierarchical figures.

To add a figure: write a builder in the view's module (or a new module named after the
view) that returns a Bokeh model, colored from ``palette`` and with ``format.readable_ticks``
on its axes; the widget or report calls ``base.to_json(model)`` and puts the string in a
trait ending in ``_figure``. Name the sources the page must update, and make a template
(cached with ``functools.lru_cache``) only when the page streams into it::

    from bayes_widgets.core.figures.base import to_json
    from bayes_widgets.core.figures.posterior import forest_figure
    text = to_json(forest_figure(rows))
"""
