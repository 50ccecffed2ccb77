"""A media-mix model set up the way an analyst describes it, built with pymc-marketing.

    model = MMMModel(data, target="sales", date_column="week", channels=[...],
                     controls=[...], lag_max=8, adstock="geometric", saturation="logistic",
                     scale_data=True, time_varying_media=False, yearly_seasonality=2)
    model.priors                 # defaults of the chosen components, editable
    model.set_priors({"saturation_lam": Prior("Gamma", mu=2, sigma=1, dims="channel")})
    mmm = model.build()          # a built pymc_marketing.mmm.MMM on the training rows

Every bad option or column raises :class:`MMMDataError` naming it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

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


def _progress_listener(report, every_s: float = 1.0):
    """Calls ``report(fraction, draws_done, total)`` at most every ``every_s`` seconds."""
    import time

    from bayes_widgets.core.fitting.events import ChainProgress

    last = [0.0]

    def listener(event):
        if isinstance(event, ChainProgress) and time.monotonic() - last[0] >= every_s:
            last[0] = time.monotonic()
            done = sum(c.draws_done for c in event.chains)
            total = sum(c.total for c in event.chains)
            report(done / total if total else 0.0, done, total)

    return listener


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
    ):
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
        self._adstock_cls = _choice("adstock", adstock, ADSTOCKS)
        self._saturation_cls = _choice("saturation", saturation, SATURATIONS)
        for name, flag in (("scale_data", scale_data), ("time_varying_media", time_varying_media)):
            if not isinstance(flag, bool | np.bool_):
                raise MMMDataError(name, f"must be True or False, got {flag!r}")
        if priors is not None and not isinstance(priors, dict):
            raise MMMDataError(
                "priors", f"expected a dict of priors by name, got {type(priors).__name__}"
            )
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
        )
        self.lag_max = int(lag_max)
        self.adstock = adstock
        self.saturation = saturation
        self.scale_data = bool(scale_data)
        self.time_varying_media = bool(time_varying_media)
        self.yearly_seasonality = yearly_seasonality
        self._priors = dict(self._make_mmm(None).model_config)
        self.mmm: Any = None
        """The built pymc-marketing ``MMM`` (None before :meth:`build`)."""
        self.backend: str | None = None
        if priors:
            self.set_priors(priors)

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
            self._priors[key] = value

    # -- pymc-marketing ---------------------------------------------------------------------
    def _make_mmm(self, model_config: dict[str, Any] | None):
        import pymc_marketing.mmm as pmm

        kwargs: dict[str, Any] = {}
        if not self.scale_data:
            kwargs["scaling"] = pmm.Scaling(
                target=pmm.FixedScaling(dims=(), value=1.0),
                channel=pmm.FixedScaling(dims=(), value=1.0),
            )
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

    def X(self, rows: slice | None = None) -> pd.DataFrame:
        cols = [self.date_column, *self.channels, *self.controls]
        return self.data[cols].iloc[rows or slice(None)].reset_index(drop=True)

    def y(self, rows: slice | None = None) -> pd.Series:
        return self.data[self.target].iloc[rows or slice(None)].reset_index(drop=True)

    def build(self, rows: slice | None = None):
        """A pymc-marketing MMM with these priors, its model built on ``rows`` of the data."""
        mmm = self._make_mmm(self.priors)
        mmm.build_model(self.X(rows), self.y(rows))
        return mmm

    # -- fitting ------------------------------------------------------------------------------
    def fit(
        self,
        *,
        backend: str | None = None,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
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

        Four chains by default, run as many at a time as there are cores: with two, the
        largest R-hat over an MMM's hundreds of quantities often exceeds 1.01 by chance.
        """
        from bayes_widgets.core.fitting.events import Cancelled, Finished
        from bayes_widgets.core.fitting.session import FitSession
        from bayes_widgets.core.mmm.fitting import (
            DEFAULT_BACKEND,
            attach_fit,
            default_sampler_kwargs,
            sampling_model,
        )

        backend = backend or DEFAULT_BACKEND
        sampler_kwargs = {
            **default_sampler_kwargs(backend),
            **(fit_kwargs.pop("sampler_kwargs", None) or {}),
        }
        mmm = self.build(rows)
        session = FitSession(
            sampling_model(mmm),
            backend=backend,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=seed,
            target_accept=target_accept,
            sampler_kwargs=sampler_kwargs,
            **fit_kwargs,
        )
        self.mmm = mmm
        self.backend = backend

        def attach(event):
            if isinstance(event, Finished | Cancelled) and event.result.posterior is not None:
                attach_fit(mmm, event.result.idata)

        session.subscribe(attach)
        if progress is not None:  # e.g. a fleet run reporting to its board
            session.subscribe(_progress_listener(progress))
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
        return summarize_variable(self.mmm, var_name, hdi_prob)

    def _fitted(self) -> Any:
        if getattr(self, "mmm", None) is None or not getattr(self.mmm, "is_fitted_", False):
            raise MMMDataError("fit", "the model has not been fitted yet: call fit() first")
        return self.mmm

    def predict(
        self, new_X: pd.DataFrame, *, hdi_prob: float = 0.94, seed: int | None = None
    ) -> pd.DataFrame:
        """Posterior predictive of the target for new rows (spend and controls given), in
        original units: one row per date with the mean and the HDI bounds."""
        import arviz_stats as azs

        X = validate_mmm_data(
            new_X,
            date_column=self.date_column,
            target=None,
            channels=self.channels,
            controls=self.controls,
            min_train_rows=1,
        )
        X = X.loc[:, [self.date_column, *self.channels, *self.controls]]
        draws = self.predictive_draws(X, after_training=True, seed=seed).T
        hdi = azs.hdi(draws, prob=hdi_prob)
        return pd.DataFrame(
            {
                self.date_column: X[self.date_column].to_numpy(),
                "mean": draws.mean(axis=1),
                f"hdi_{hdi_prob:g}_low": hdi[:, 0],
                f"hdi_{hdi_prob:g}_high": hdi[:, 1],
            }
        )

    def predictive_draws(self, X: pd.DataFrame, *, after_training: bool, seed: int | None = None):
        """Posterior-predictive draws of the target for ``X`` in original units, (samples, n).

        ``after_training``: the rows follow the training data, so adstock carries over
        from its last weeks.
        """
        import numpy as np

        from bayes_widgets.core.mmm.fitting import target_scale

        mmm = self._fitted()
        pp = mmm.sample_posterior_predictive(
            X,
            extend_idata=False,
            include_last_observations=after_training,
            random_seed=seed,
            progressbar=False,
        )
        return np.asarray(pp["y"].transpose("sample", "date").values, dtype=float) * target_scale(
            mmm
        )

    def contributions(self, **kwargs) -> pd.DataFrame:
        """Channel contributions over time with credible intervals (pymc-marketing's table)."""
        return self._fitted().summary.contributions(**kwargs)

    def roas(self, **kwargs) -> pd.DataFrame:
        """Return on ad spend per channel with credible intervals (pymc-marketing's table)."""
        return self._fitted().summary.roas(**kwargs)

    def budget_problem(self, total_budget: float | None = None, **options: Any):
        """How to spread a budget over the channels: a decision problem over the posterior
        draws (see :func:`bayes_widgets.core.mmm.budget.budget_problem`)."""
        from bayes_widgets.core.mmm.budget import budget_problem

        return budget_problem(self, total_budget, **options)

    def budget_explorer(self, total_budget: float | None = None, **options: Any):
        """Budget what-ifs: spend sliders per channel, the response distribution live, the
        current plan vs the optimum, as a ``DecisionExplorer``."""
        from bayes_widgets.core.views import open_view

        return open_view("budget_explorer", self, total_budget, **options)

    def refresh(self, new_rows: pd.DataFrame, **fit_kwargs: Any):
        """Adds new weeks after the last one and refits on all rows (same options and priors)."""
        combined = pd.concat([self.data, new_rows], ignore_index=True)
        self.data = validate_mmm_data(
            combined,
            date_column=self.date_column,
            target=self.target,
            channels=self.channels,
            controls=self.controls,
        )
        return self.fit(**fit_kwargs)

    def config(self) -> dict[str, Any]:
        """Options and priors as plain JSON-ready values."""
        return {
            "target": self.target,
            "date_column": self.date_column,
            "channels": self.channels,
            "controls": self.controls,
            "lag_max": self.lag_max,
            "adstock": self.adstock,
            "saturation": self.saturation,
            "scale_data": self.scale_data,
            "time_varying_media": self.time_varying_media,
            "yearly_seasonality": self.yearly_seasonality,
            "priors": {k: v.to_dict() for k, v in self._priors.items() if hasattr(v, "to_dict")},
        }

    def save(self, directory) -> None:
        """Writes the options and priors (config.json), the data (data.csv) and, when
        fitted, the draws (fit.nc) into ``directory``."""
        import json
        from pathlib import Path

        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self.config(), indent=2))
        self.data.to_csv(path / "data.csv", index=False)
        if getattr(self.mmm, "is_fitted_", False):
            self.mmm.idata.to_netcdf(path / "fit.nc")

    @classmethod
    def load(cls, directory) -> MMMModel:
        """The model :meth:`save` wrote, with its draws attached when it was fitted."""
        import json
        from pathlib import Path

        import xarray as xr

        from bayes_widgets.core.mmm.fitting import attach_fit

        path = Path(directory)
        config = json.loads((path / "config.json").read_text())
        data = pd.read_csv(path / "data.csv")
        model = cls(data, **config)
        if (path / "fit.nc").exists():
            idata = xr.open_datatree(path / "fit.nc").load()
            model.mmm = model.build()
            attach_fit(model.mmm, idata)
        return model

    def __repr__(self) -> str:
        return (
            f"MMMModel(target={self.target!r}, channels={len(self.channels)}, controls={len(self.controls)}, "
            f"rows={len(self.data)}, adstock={self.adstock!r}(l_max={self.lag_max}), "
            f"saturation={self.saturation!r}, time_varying_media={self.time_varying_media})"
        )
