"""HierarchicalExplorer: one group's forecast and the spread of effects across groups.

    HierarchicalExplorer(fit)                             # a HierarchicalFit
    HierarchicalExplorer(fit, effects=["promo"])          # densities of the promotion effect
    HierarchicalExplorer(report.cold_start, data=new_stores, cold_start=report)

Pick a group (a store) and see its forecast: the observed values as bars, the posterior
predictive mean, and the 50% and 90% bands over every time of the data, closed days
included (what the store would have sold had it opened). Beside it, the densities over
groups of the chosen features' effects (e.g. the weekday effects, or the promotion
effect), multiplicative or on the log scale. Given a cold-start report, the first days
the fit saw are shaded and the group's coefficients from its few days, from its full
history and from a per-group Poisson regression stand side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from bayes_widgets.core.checks import check_int, finite_or_none
from bayes_widgets.core.deprecation import renamed_trait
from bayes_widgets.core.errors import InputError
from bayes_widgets.core.figures.base import to_json, with_fresh_ids
from bayes_widgets.core.figures.hierarchical import effects_figure, forecast_figure
from bayes_widgets.core.hierarchical.cold_start import ColdStartReport, median_relative_error
from bayes_widgets.core.hierarchical.errors import HierarchicalInputError
from bayes_widgets.core.hierarchical.results import HierarchicalFit
from bayes_widgets.widgets._base import BayesWidget, static_text

TRANSFORMS = {"exp": "exp", "log": None}
"""Page choice → the ``transform`` of :func:`effects_figure`."""


class HierarchicalExplorer(BayesWidget):
    """Forecasts per group and group-effect densities of a hierarchical fit (see the module docstring)."""

    groups = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Every group's label, as text."""
    group = traitlets.Unicode("").tag(sync=True)
    """The group shown."""
    features = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Features whose effects can be shown (and ``intercept`` where the model has one)."""
    effects = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Features whose densities are shown."""
    transform = traitlets.Unicode("exp").tag(sync=True)
    """``"exp"``: multiplicative effects; ``"log"``: coefficients on the log scale."""
    forecast_figure = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of the shown group's forecast."""
    effects_figure = traitlets.Unicode("").tag(sync=True)
    """Bokeh json_item of the effect densities across groups."""
    facts = traitlets.Dict().tag(sync=True)
    """The fit: method, likelihood, groups, times, features, steps, seconds."""
    group_facts = traitlets.Dict().tag(sync=True)
    """The group shown: observed and missing times, band coverage, median relative error."""
    coefficients = traitlets.List(traitlets.Dict()).tag(sync=True)
    """With a cold-start report: the group's coefficients by each fit, one row per feature."""
    cold_start = traitlets.Dict().tag(sync=True)
    """With a cold-start report: its summary (median errors on the held-out days)."""

    def __init__(
        self,
        fit: HierarchicalFit,
        data=None,
        *,
        group=None,
        effects=None,
        transform: str = "exp",
        cold_start: ColdStartReport | None = None,
        n_draws: int = 200,
        seed: int = 0,
    ):
        super().__init__(_esm=static_text("hierarchical_explorer.js"))
        if not isinstance(fit, HierarchicalFit):
            raise HierarchicalInputError(
                "fit", f"expected a HierarchicalFit, got {type(fit).__name__}"
            )
        if cold_start is not None and not isinstance(cold_start, ColdStartReport):
            raise HierarchicalInputError(
                "cold_start", f"expected a ColdStartReport, got {type(cold_start).__name__}"
            )
        n_draws = check_int("n_draws", n_draws, low=20, error=HierarchicalInputError)
        self.fit = fit
        self.data = fit.checked_data(data)
        self.report = cold_start
        self._n_draws, self._seed = n_draws, seed
        self._labels = list(np.asarray(self.data.groups).tolist())
        self._point = fit.predict_mean(self.data)  # every group's point prediction, once
        names = (["intercept"] if fit.spec.intercept else []) + list(fit.spec.features)
        with self.hold_sync():
            self.groups = [str(g) for g in self._labels]
            self.features = names
            self.facts = self._facts()
            if cold_start is not None:
                self.cold_start = cold_start.summary()
        self.show_group(self._labels[0] if group is None else group)
        self.show_effects(
            _default_effects(fit.spec.features) if effects is None else effects, transform
        )

    # -- Python API -------------------------------------------------------------------------
    def show_group(self, group) -> None:
        """Shows this group's forecast (a label, its text on the page, or a position)."""
        g = self._position(group)
        forecast = self.fit.predict(self.data, groups=[g], n_draws=self._n_draws, seed=self._seed)
        known = self.report.known if self.report is not None else None
        figure = forecast_figure(
            forecast, 0, known=known, title=f"{self.data.target}: group {self._labels[g]}"
        )
        with self.hold_sync():
            self.group = str(self._labels[g])
            self.group_facts = _group_facts(forecast, self._point[g], known)
            self.coefficients = self._coefficients(g)
            self.forecast_figure = with_fresh_ids(to_json(figure))

    def show_effects(self, features, transform: str | None = None) -> None:
        """Shows the densities over groups of these features' effects."""
        names = [features] if isinstance(features, str) else list(features)
        transform = self.transform if transform is None else transform
        if transform not in TRANSFORMS:
            raise HierarchicalInputError("transform", f"must be 'exp' or 'log', got {transform!r}")
        unknown = [n for n in names if n not in self.features]
        if unknown:
            raise HierarchicalInputError(
                f"effects.{unknown[0]}",
                f"is not a feature of the model (features: {self.features})",
            )
        if not names:
            raise HierarchicalInputError("effects", "choose at least one feature")
        figure = effects_figure(self.fit, names, transform=TRANSFORMS[transform])
        with self.hold_sync():
            self.effects = names
            self.transform = transform
            self.effects_figure = with_fresh_ids(to_json(figure))

    forecast_json = renamed_trait("forecast_json", "forecast_figure")

    effects_json = renamed_trait("effects_json", "effects_figure")

    # -- messages from the page -------------------------------------------------------------
    def _on_group(self, msg) -> None:
        self._guarded(self.show_group, msg.get("group"))

    def _on_step(self, msg) -> None:
        step = msg.get("by")
        if step not in (-1, 1):
            self.error = f"step: must be -1 or 1, got {step!r}"
            return
        g = (self.groups.index(self.group) + step) % len(self.groups)
        self._guarded(self.show_group, self._labels[g])

    def _on_effects(self, msg) -> None:
        self._guarded(self.show_effects, msg.get("features") or [], msg.get("transform"))

    def _guarded(self, action, *args) -> None:
        try:
            action(*args)
        except InputError as exc:  # the fit's and the figures' errors alike
            self.error = str(exc)
            return
        self.error = ""

    # -- internals --------------------------------------------------------------------------
    def _position(self, group) -> int:
        if isinstance(group, str) and group in self.groups:  # the page sends labels as text
            return self.groups.index(group)
        if group in self._labels:
            return self._labels.index(group)
        if (
            isinstance(group, (int, np.integer))
            and not isinstance(group, bool)
            and 0 <= group < len(self._labels)
        ):
            return int(group)
        shown = ", ".join(self.groups[:5]) + (", ..." if len(self.groups) > 5 else "")
        raise HierarchicalInputError(
            "group", f"{group!r} is not a group of the data (groups: {shown})"
        )

    def _facts(self) -> dict[str, Any]:
        fit, data = self.fit, self.data
        facts: dict[str, Any] = {
            "method": fit.method,
            "likelihood": fit.spec.likelihood,
            "groups": data.n_groups,
            "times": data.n_times,
            "features": data.n_features,
            "target": data.target,
            "observed": int(data.observed.sum()),
            "seconds": round(float(fit.elapsed_s), 2),
            "cold_start": fit.fixed is not None,
        }
        if fit.method == "svi":
            res = fit.svi_result
            facts["steps"] = int(getattr(res, "steps", 0) or fit.info.get("steps", 0))
        else:
            facts["divergences"] = fit.info.get("divergences")
        return facts

    def _coefficients(self, g: int) -> list[dict[str, Any]]:
        if self.report is None or self.report.cold_start is None:
            return []
        frame = self.report.coefficients(g)
        return [
            {"feature": str(name), **{str(k): finite_or_none(v) for k, v in row.items()}}
            for name, row in frame.iterrows()
        ]


def _default_effects(features) -> list[str]:
    """The promotion effect where there is one, else the first feature."""
    named = [f for f in features if f.lower() == "promo"]
    return named or list(features[:1])


def _group_facts(forecast, point, known: int | None) -> dict[str, Any]:
    observed = forecast.observed[0]
    seen = ~np.isnan(observed)
    facts: dict[str, Any] = {
        "observed_times": int(seen.sum()),
        "missing_times": int((~seen).sum()),
        "mean_observed": finite_or_none(np.nanmean(observed)) if seen.any() else None,
        "mean_predicted": finite_or_none(float(forecast.mean[0].mean())),
    }
    if seen.any():
        mask = seen.copy()
        if known:
            mask[: int(known)] = False  # judged on the times the fit did not see
        facts["judged_on"] = int(mask.sum())
        if mask.any():
            lo90, hi90 = forecast.band(0.9)
            lo50, hi50 = forecast.band(0.5)
            y = observed[mask]
            facts["coverage_90"] = finite_or_none(
                float(((y >= lo90[0][mask]) & (y <= hi90[0][mask])).mean())
            )
            facts["coverage_50"] = finite_or_none(
                float(((y >= lo50[0][mask]) & (y <= hi50[0][mask])).mean())
            )
            facts["median_rel_error"] = finite_or_none(
                median_relative_error(point[None], observed[None], mask[None])
            )
    return facts
