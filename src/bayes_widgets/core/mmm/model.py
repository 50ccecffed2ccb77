"""A media-mix model set up the way an analyst describes it, built with pymc-marketing.

    model = MMMModel(data, target="sales", date_column="week", channels=[...],
                     controls=[...], lag_max=8, adstock="geometric", saturation="logistic",
                     scale_data=True, time_varying_media=False, yearly_seasonality=2)
    model.priors                 # defaults of the chosen components, editable
    model.set_priors({"saturation_lam": Prior("Gamma", mu=2, sigma=1, dims="channel")})
    mmm = model.build()          # a built pymc_marketing.mmm.MMM on the training rows

A geo model takes long data (one row per date and geo) and ``dims=("geo",)``; its
outputs take ``geo=`` (one geo, a list, or None for every geo and their total):

    model = MMMModel(df, target="revenue", date_column="time", channels=[...], dims=("geo",))
    model.geos                   # the geo labels
    model.add_lift_tests(lift)   # experiments added to the likelihood (also national)

Every bad option or column raises :class:`MMMDataError` naming it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.mmm.geo import (
    check_dims,
    check_labels,
    check_prior_dims,
    shared_shape_priors,
    summarize_panel_variable,
)
from bayes_widgets.core.mmm.validation import (
    MMMDataError,
    column_name,
    column_names,
    validate_mmm_data,
)

ADSTOCKS = {
    "geometric": "GeometricAdstock",
    "delayed": "DelayedAdstock",
    "weibull": "WeibullPDFAdstock",
}
SATURATIONS = {
    "logistic": "LogisticSaturation",
    "michaelis_menten": "MichaelisMentenSaturation",
    "hill": "HillSaturation",
    "tanh": "TanhSaturation",
}


def _check_options(lag_max, yearly_seasonality, scale_data, time_varying_media, priors) -> None:
    if isinstance(lag_max, bool) or not isinstance(lag_max, numbers.Integral) or lag_max < 1:
        raise MMMDataError("lag_max", f"must be a positive integer, got {lag_max!r}")
    if yearly_seasonality is not None and (
        isinstance(yearly_seasonality, bool)
        or not isinstance(yearly_seasonality, numbers.Integral)
        or yearly_seasonality < 1
    ):
        raise MMMDataError(
            "yearly_seasonality",
            f"must be None or a positive integer, got {yearly_seasonality!r}",
        )
    for name, flag in (("scale_data", scale_data), ("time_varying_media", time_varying_media)):
        if not isinstance(flag, bool | np.bool_):
            raise MMMDataError(name, f"must be True or False, got {flag!r}")
    if priors is not None and not isinstance(priors, dict):
        raise MMMDataError(
            "priors", f"expected a dict of priors by name, got {type(priors).__name__}"
        )


def _choice(field: str, value: str, options: dict[str, str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise MMMDataError(field, f"unknown {field} {value!r}; choose from {', '.join(options)}")
    return options[value]


class MMMModel:
    """A media-mix model's data, components and priors (see the module docstring)."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        target: str,
        date_column: str,
        channels: Sequence[str],
        controls: Sequence[str] = (),
        lag_max: int = 8,
        adstock: str = "geometric",
        saturation: str = "logistic",
        scale_data: bool = True,
        time_varying_media: bool = False,
        yearly_seasonality: int | None = 2,
        priors: dict[str, Any] | None = None,
        dims: Sequence[str] | None = (),
        lift_tests: pd.DataFrame | list[dict[str, Any]] | None = None,
    ):
        _check_options(lag_max, yearly_seasonality, scale_data, time_varying_media, priors)
        self._adstock_cls = _choice("adstock", adstock, ADSTOCKS)
        self._saturation_cls = _choice("saturation", saturation, SATURATIONS)
        self.dims: tuple[str, ...] = check_dims(dims)
        """The panel dimension, ``("geo",)`` for a geo model; ``()`` for a national one."""
        self.target = column_name("target", target)
        self.date_column = column_name("date_column", date_column)
        self.channels = column_names("channels", channels)
        self.controls = column_names("controls", controls)
        self.data = validate_mmm_data(
            data,
            date_column=date_column,
            target=target,
            channels=self.channels,
            controls=self.controls,
            dims=self.dims,
        )
        self.geos: list[Any] = check_labels(self.data, self.dims)
        """The geo labels (of the panel dimension), in sorted order; ``[]`` when national."""
        self.lag_max = int(lag_max)
        self.adstock = adstock
        self.saturation = saturation
        self.scale_data = bool(scale_data)
        self.time_varying_media = bool(time_varying_media)
        self.yearly_seasonality = yearly_seasonality
        self._priors = dict(self._make_mmm(None).model_config)
        if self.dims:
            self._priors = shared_shape_priors(self._priors, self.dims)
        self.mmm: Any = None
        """The built pymc-marketing ``MMM`` (None before :meth:`build`)."""
        self.backend: str | None = None
        self._lift_tests: pd.DataFrame | None = None
        if priors:
            self.set_priors(priors)
        if lift_tests is not None and len(lift_tests):
            self.add_lift_tests(lift_tests)

    # -- priors ---------------------------------------------------------------------------
    @property
    def priors(self) -> dict[str, Any]:
        """The ``model_config``: default priors of the chosen components, with any edits."""
        return dict(self._priors)

    def set_priors(self, priors: dict[str, Any]) -> None:
        """Replaces some priors (``Prior`` objects, their dict form, or ``PriorDist``)."""
        from pymc_extras.prior import Prior

        from bayes_widgets.core.mmm.priors import as_prior
        from bayes_widgets.core.priors import PriorDist

        if not isinstance(priors, dict):
            raise MMMDataError(
                "priors", f"expected a dict of priors by name, got {type(priors).__name__}"
            )
        for key, value in priors.items():
            if key not in self._priors:
                raise MMMDataError(
                    key, f"not a prior of this model (priors: {', '.join(self._priors)})"
                )
            if isinstance(value, PriorDist):
                value = as_prior(value)
            elif isinstance(value, dict) and "dist" in value:
                try:
                    value = Prior.from_dict(value)
                except Exception as exc:
                    raise MMMDataError(key, f"not a valid prior dict ({exc})") from None
            if not hasattr(value, "distribution") and not isinstance(
                value, type(self._priors[key])
            ):
                raise MMMDataError(key, f"expected a Prior, got {type(value).__name__}")
            check_prior_dims(key, value, self.dims)
            self._priors[key] = value

    # -- pymc-marketing ---------------------------------------------------------------------
    def _make_mmm(self, model_config: dict[str, Any] | None):
        import pymc_marketing.mmm as pmm

        kwargs: dict[str, Any] = {}
        if not self.scale_data:
            kwargs["scaling"] = pmm.Scaling(
                target=pmm.FixedScaling(dims=self.dims, value=1.0),
                channel=pmm.FixedScaling(dims=self.dims, value=1.0),
            )
        if self.dims:
            kwargs["dims"] = self.dims
        return pmm.MMM(
            date_column=self.date_column,
            channel_columns=self.channels,
            control_columns=self.controls or None,
            target_column=self.target,
            adstock=getattr(pmm, self._adstock_cls)(l_max=self.lag_max),
            saturation=getattr(pmm, self._saturation_cls)(),
            time_varying_media=self.time_varying_media,
            yearly_seasonality=self.yearly_seasonality,
            model_config=model_config,
            **kwargs,
        )

    def _rows(self, rows: slice | None) -> pd.DataFrame:
        if not self.dims:
            return pd.DataFrame(self.data.iloc[rows or slice(None)])
        dates = self.data[self.date_column].to_numpy()
        kept = pd.unique(dates)[rows or slice(None)]
        return pd.DataFrame(self.data.loc[np.isin(dates, kept)])

    def X(self, rows: slice | None = None) -> pd.DataFrame:
        """Dates (and geos), spends and controls of ``rows`` (a slice of the weeks)."""
        cols = [self.date_column, *self.dims, *self.channels, *self.controls]
        return pd.DataFrame(self._rows(rows)[cols]).reset_index(drop=True)

    def y(self, rows: slice | None = None) -> pd.Series:
        """The target on ``rows`` (a slice of the weeks), aligned with :meth:`X`."""
        return pd.Series(self._rows(rows)[self.target]).reset_index(drop=True)

    def build(self, rows: slice | None = None):
        """A pymc-marketing MMM with these priors, its model built on ``rows`` of the weeks
        (of every geo), with the lift tests added to its likelihood."""
        from bayes_widgets.core.mmm.lift import apply_lift_tests

        mmm = self._make_mmm(self.priors)
        mmm.build_model(self.X(rows), self.y(rows))
        apply_lift_tests(mmm, self._lift_tests)
        return mmm

    # -- lift tests ---------------------------------------------------------------------------
    def add_lift_tests(self, df: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
        """Adds experiment results (columns ``channel``, ``geo`` for a geo model, ``x``,
        ``delta_x``, ``delta_y``, ``sigma``; see :mod:`bayes_widgets.core.mmm.lift`) to the
        model's likelihood from the next :meth:`build` or :meth:`fit` on, after any added
        before; returns every lift test the model now has."""
        from bayes_widgets.core.mmm.lift import check_lift_tests

        rows = check_lift_tests(self, df)
        if self._lift_tests is not None:
            rows = pd.concat([self._lift_tests, rows], ignore_index=True)
        self._lift_tests = rows
        return self.lift_tests

    @property
    def lift_tests(self) -> pd.DataFrame:
        """The lift tests added so far (an empty table when none)."""
        if self._lift_tests is None:
            columns = ["channel", *self.dims, "x", "delta_x", "delta_y", "sigma"]
            return pd.DataFrame(columns=columns)
        return self._lift_tests.copy()

    # -- fitting ------------------------------------------------------------------------------
    def fit(
        self,
        *,
        backend: str | None = None,
        draws: int | None = None,
        tune: int | None = None,
        chains: int | None = None,
        cores: int | None = None,
        seed: int | None = None,
        target_accept: float | None = None,
        rows: slice | None = None,
        monitor: bool = False,
        progress=None,
        **fit_kwargs: Any,
    ):
        """Builds and fits the model on ``rows`` (all by default).

        Without ``monitor`` it blocks and returns the :class:`FitResult`; with
        ``monitor=True`` it returns a live :class:`FitMonitor` at once (the kernel stays
        free). Either way, when sampling ends the draws are attached to ``self.mmm`` (the
        pymc-marketing model), ready for summaries and predictions.

        Defaults: 4 chains (run as many at a time as there are cores) of 1000 tuning draws,
        keeping 2000 draws each, with a target acceptance of 0.9 (a geo model: 500 tuning
        draws, keeping 1500, at 0.95): see :func:`bayes_widgets.core.mmm.fitting.default_draws`,
        :func:`~bayes_widgets.core.mmm.fitting.default_tune` and
        :func:`~bayes_widgets.core.mmm.fitting.default_target_accept`.
        """
        from bayes_widgets.core.mmm.fitting import fit_session, sampling_model

        mmm = self.build(rows)
        session = fit_session(
            self,
            mmm,
            sampling_model(mmm),
            backend=backend,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=seed,
            target_accept=target_accept,
            progress=progress,
            **fit_kwargs,
        )
        if monitor:
            from bayes_widgets.core.views import open_view

            return open_view("fit_monitor", session=session)
        return session.start().wait()

    def summarize_variable(self, var_name: str, hdi_prob: float = 0.94) -> dict[str, Any]:
        """Posterior mean and credible interval of a variable, in original units where it
        has them (e.g. the intercept in units of the target)."""
        from bayes_widgets.core.mmm.fitting import summarize_variable

        if getattr(self, "mmm", None) is None:
            raise MMMDataError("fit", "the model has not been fitted yet: call fit() first")
        out = summarize_variable(self.mmm, var_name, hdi_prob)
        if len(out.get("by", ())) > 1:  # e.g. geo × channel: rows labelled by both
            var = {"intercept": "intercept_contribution", "sigma": "y_sigma"}.get(
                var_name, var_name
            )
            out = summarize_panel_variable(self.mmm, var, hdi_prob, out["scale"])
            out["variable"] = var_name
        return out

    def fitted_mmm(self) -> Any:
        """The fitted pymc-marketing ``MMM``; an error naming ``fit`` before a fit."""
        if getattr(self, "mmm", None) is None or not getattr(self.mmm, "is_fitted_", False):
            raise MMMDataError("fit", "the model has not been fitted yet: call fit() first")
        return self.mmm

    _fitted = fitted_mmm

    def predict(
        self,
        new_X: pd.DataFrame,
        *,
        hdi_prob: float = 0.94,
        seed: int | None = None,
        geo: Any = None,
    ) -> pd.DataFrame:
        """Posterior predictive of the target for new rows (spend and controls given), in
        original units: one row per date (per date and geo, with the geos' ``total``, for a
        geo model; ``geo`` picks some) with the mean and the HDI bounds."""
        from bayes_widgets.core.mmm.outputs import predict

        return predict(self, new_X, hdi_prob=hdi_prob, seed=seed, geo=geo)

    def predictive_draws(self, X: pd.DataFrame, *, after_training: bool, seed: int | None = None):
        """Posterior-predictive draws of the target for the rows of ``X`` in original units,
        ``(samples, len(X))``.

        ``after_training``: the rows follow the training data, so adstock carries over
        from its last weeks.
        """
        from bayes_widgets.core.mmm.outputs import predictive_draws

        return predictive_draws(self, X, after_training=after_training, seed=seed)

    def contributions(self, geo: Any = None, **kwargs) -> pd.DataFrame:
        """Channel contributions over time with credible intervals: pymc-marketing's table
        (``kwargs`` go to it); for a geo model per geo and in total (``geo`` picks some;
        ``hdi_prob``, ``component="control"``)."""
        from bayes_widgets.core.mmm.outputs import contributions

        return contributions(self, geo, **kwargs)

    def roas(self, geo: Any = None, **kwargs) -> pd.DataFrame:
        """Return on ad spend per channel with credible intervals: pymc-marketing's table
        (``kwargs`` go to it); for a geo model per geo and in total over the fitted weeks."""
        from bayes_widgets.core.mmm.outputs import roas

        return roas(self, geo, **kwargs)

    def budget_problem(self, total_budget: float | None = None, **options: Any):
        """How to spread a budget over the channels: a decision problem over the posterior
        draws (see :func:`bayes_widgets.core.mmm.budget.budget_problem`)."""
        from bayes_widgets.core.mmm.budget import budget_problem

        return budget_problem(self, total_budget, **options)

    def budget_explorer(self, total_budget: float | None = None, **options: Any):
        """Budget what-ifs: spend sliders per channel, the response distribution live, the
        current plan vs the optimum, as a ``DecisionExplorer``. In a geo model a slider per
        channel, its spend split across the geos by their recent spend, and a geo selector
        (``allocate="geo"``: a slider per channel and geo)."""
        from bayes_widgets.core.views import open_view

        return open_view("budget_explorer", self, total_budget, **options)

    def refresh(self, new_rows: pd.DataFrame, **fit_kwargs: Any):
        """Adds new weeks after the last one and refits on all rows (same options and priors)."""
        combined = pd.concat([self.data, new_rows], ignore_index=True)
        data = validate_mmm_data(
            combined,
            date_column=self.date_column,
            target=self.target,
            channels=self.channels,
            controls=self.controls,
            dims=self.dims,
        )
        if self.dims and check_labels(data, self.dims) != self.geos:
            new = [g for g in check_labels(data, self.dims) if g not in self.geos]
            raise MMMDataError(self.dims[0], f"the new rows add {self.dims[0]} {new[0]!r}")
        self.data = data
        return self.fit(**fit_kwargs)

    def config(self) -> dict[str, Any]:
        """Options, priors and lift tests as plain JSON-ready values."""
        from bayes_widgets.core.mmm.storage import model_config

        return model_config(self)

    def save(self, directory) -> None:
        """Writes the options, priors and lift tests (config.json), the data (data.csv)
        and, when fitted, the draws (fit.nc) into ``directory``."""
        from bayes_widgets.core.mmm.storage import save_model

        save_model(self, directory)

    @classmethod
    def load(cls, directory) -> MMMModel:
        """The model :meth:`save` wrote, with its draws attached when it was fitted."""
        from bayes_widgets.core.mmm.storage import load_model

        return load_model(cls, directory)

    def __repr__(self) -> str:
        panel = f"dims={self.dims!r}, geos={len(self.geos)}, " if self.dims else ""
        lift = f", lift_tests={len(self._lift_tests)}" if self._lift_tests is not None else ""
        return (
            f"MMMModel(target={self.target!r}, {panel}channels={len(self.channels)}, "
            f"controls={len(self.controls)}, rows={len(self.data)}, "
            f"adstock={self.adstock!r}(l_max={self.lag_max}), saturation={self.saturation!r}, "
            f"time_varying_media={self.time_varying_media}{lift})"
        )
