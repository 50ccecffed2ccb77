"""Linear regression on a DataFrame, and its posterior predictions for new rows.

    reg = LinearRegression(df, target="score", features=["x1", "x2"])
    reg = LinearRegression(df, target="share", target_error="share_se")  # known measurement error
    reg.fit(backend="nutpie", draws=1000, tune=1000, seed=1)
    reg.predict(new_rows)                   # DataFrame: inputs, mean, sd, 95% interval per row
    predict_new_rows(reg, idata, new_rows, prob=0.9, interval="hdi")

The model (``reg.model``, a ``pymc.Model`` with ``pm.Data`` inputs ``X``, ``y_data`` and,
with measurement error, ``y_se``; dims ``obs`` and ``feature``, the feature names)::

    mu_i    = alpha + sum_j beta_j (x_ij - xbar_j)        (xbar: the training means)
    y_i     ~ Normal(mu_i, sigma)                           without measurement error
    true_i  ~ Normal(mu_i, sigma),  y_i ~ Normal(true_i, s_i)   with known errors s_i

The measurement-error model is sampled with the true values integrated out, which is
exact: ``y_i ~ Normal(mu_i, sqrt(sigma^2 + s_i^2))``; ``sigma`` is then the scatter of
the *true* values around the regression line, net of the measurement noise. ``alpha``
is the expected target at the training means of the features (centring keeps it
nearly uncorrelated with the slopes); ``intercept`` (deterministic) is the usual one.

Priors are weakly informative and scaled to the data (the defaults of rstanarm):
``alpha ~ Normal(mean(y), 2.5 sd(y))``, ``beta_j ~ Normal(0, 2.5 sd(y) / sd(x_j))``,
``sigma ~ HalfNormal(sd(y))``; ``prior_scale`` replaces the 2.5.

Prediction for a new row with inputs ``x``, for each posterior draw: ``mu`` exactly
(``alpha + (x - xbar)·beta``), and one draw of a new observation ``y ~ Normal(mu,
sigma)`` — a new *true* value of the target; with measurement error, a new row that
gives its own known error ``s`` gets a new *measurement*, ``Normal(mu, sqrt(sigma^2 +
s^2))``. This is what ``pm.set_data`` + ``pm.sample_posterior_predictive`` computes
(``method="pymc"`` runs exactly that), without compiling anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_number
from bayes_widgets.core.prediction.bound import NUMPYRO_OPTIONS, PYMC_OPTIONS, model_kind
from bayes_widgets.core.prediction.bound import (
    predict_model_or_function as _predict_model_or_function,
)
from bayes_widgets.core.prediction.errors import RegressionInputError
from bayes_widgets.core.prediction.linear import PARAMETERS, predict_regression_rows
from bayes_widgets.core.prediction.linear import regression_draws as posterior_draws
from bayes_widgets.core.prediction.rows import numeric_column
from bayes_widgets.core.prediction.summary import (
    INTERVALS,
    SUMMARY_STATS,
    check_interval,
    check_prob,
    interval_suffix,
    stat_names,
    summarise_draws,
    summarize_draws,
)


class LinearRegression:
    """A Bayesian linear regression of ``target`` on ``features`` (see the module docstring).

    Parameters
    ----------
    data:
        One row per observation.
    target:
        Column to predict (numeric, no missing values).
    features:
        Numeric columns used as inputs (bools count as 0/1). Default: every numeric
        column except the target and the error column.
    target_error:
        Known measurement error (standard deviation) of the target, per row: a column
        name or one value per row (≥ 0; 0 means measured exactly). ``None``: no
        measurement error.
    prior_scale:
        Width of the priors of ``alpha`` and ``beta`` in units of the data's spread.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        target: str,
        features: Sequence[str] | None = None,
        *,
        target_error: str | Sequence[float] | np.ndarray | None = None,
        prior_scale: float = 2.5,
    ):
        if not isinstance(data, pd.DataFrame):
            raise RegressionInputError(
                "data", f"expected a pandas DataFrame, got {type(data).__name__}"
            )
        if not isinstance(target, str) or target not in data.columns:
            raise RegressionInputError(
                "target", f"no column {target!r}; columns: {list(map(str, data.columns))}"
            )
        self.error_column = target_error if isinstance(target_error, str) else None
        if self.error_column is not None and self.error_column not in data.columns:
            raise RegressionInputError(
                "target_error",
                f"no column {target_error!r}; columns: {list(map(str, data.columns))}",
            )
        prior_scale = check_number("prior_scale", prior_scale, low=0, error=RegressionInputError)
        self.target = target
        self.features = self._check_features(data, features)
        if len(data) < 2:
            raise RegressionInputError("data", f"needs at least 2 rows, got {len(data)}")
        y = numeric_column(data, target, "data")
        X = np.column_stack([numeric_column(data, f, "data") for f in self.features])
        se = None if target_error is None else self._check_errors(data, target_error)
        self.measurement_error = se is not None
        self.data = data
        self.y, self.X, self.y_se = y, X, se
        self.x_mean = X.mean(axis=0)
        x_sd = X.std(axis=0)
        constant = [f for f, s in zip(self.features, x_sd, strict=True) if not s > 0]
        if constant:
            raise RegressionInputError(
                "features",
                f"{constant} take a single value in the data (they cannot be told apart "
                "from the intercept); drop them",
            )
        y_sd = float(y.std()) if y.std() > 0 else 1.0
        self.priors = {
            "alpha": {"dist": "Normal", "mu": float(y.mean()), "sigma": prior_scale * y_sd},
            "beta": {
                "dist": "Normal",
                "mu": 0.0,
                "sigma": dict(
                    zip(self.features, (prior_scale * y_sd / x_sd).tolist(), strict=True)
                ),
            },
            "sigma": {"dist": "HalfNormal", "sigma": y_sd},
        }
        """The priors chosen from the data, by parameter."""
        self.model = self._build()
        self.result = None
        """The :class:`FitResult` of :meth:`fit`, if it was called."""
        self.posterior = None
        """Posterior used by :meth:`predict` when none is given (set by :meth:`fit`)."""

    # -- construction ------------------------------------------------------------------------
    def _check_features(self, data: pd.DataFrame, features) -> list[str]:
        excluded = {self.target, self.error_column}
        if features is None:
            features = [
                c
                for c in data.columns
                if c not in excluded
                and (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]))
            ]
            if not features:
                raise RegressionInputError(
                    "features", "the data have no numeric column besides the target"
                )
        elif isinstance(features, str) or not isinstance(
            features, Sequence | pd.Index | np.ndarray
        ):
            raise RegressionInputError(
                "features", f"expected a list of column names, got {features!r}"
            )
        features = list(features)
        if not features:
            raise RegressionInputError("features", "is empty; give at least one column")
        missing = [f for f in features if f not in data.columns]
        if missing:
            raise RegressionInputError(
                "features", f"no column(s) {missing}; columns: {list(map(str, data.columns))}"
            )
        duplicated = sorted({f for f in features if features.count(f) > 1})
        if duplicated:
            raise RegressionInputError("features", f"{duplicated} listed more than once")
        for f in features:
            if f in excluded:
                role = "target" if f == self.target else "target_error"
                raise RegressionInputError(
                    "features", f"{f!r} is the {role} column; it cannot also be an input"
                )
            if not isinstance(f, str):
                raise RegressionInputError("features", f"column names must be strings, got {f!r}")
        reserved = {f"{p}_{s}" for p in ("mu", "y") for s in ("mean", "sd")}
        clash = [
            f
            for f in features
            if f in reserved or f.startswith(("mu_eti", "mu_hdi", "y_eti", "y_hdi"))
        ]
        if clash:
            raise RegressionInputError(
                "features", f"{clash} clash with the prediction columns; rename them"
            )
        return features

    def _check_errors(self, data: pd.DataFrame, target_error) -> np.ndarray:
        if self.error_column is not None:
            se = numeric_column(data, self.error_column, "data")
        else:
            try:
                se = np.asarray(target_error, dtype=float)
            except (TypeError, ValueError):
                raise RegressionInputError(
                    "target_error", "must be a column name or numbers, one per row"
                ) from None
            if se.ndim != 1 or len(se) != len(data):
                raise RegressionInputError(
                    "target_error", f"has {se.size} value(s) for {len(data)} rows; give one per row"
                )
            bad = np.flatnonzero(~np.isfinite(se))
            if bad.size:
                raise RegressionInputError(
                    "target_error", f"missing or infinite value at position(s) {bad[:10].tolist()}"
                )
        negative = np.flatnonzero(se < 0)
        if negative.size:
            labels = data.index[negative[:10]].tolist()
            raise RegressionInputError(
                "target_error", f"must be ≥ 0 (a standard deviation); negative in row(s) {labels}"
            )
        return se

    def _build(self):
        import pymc as pm

        p = self.priors
        coords = {"obs": np.arange(len(self.y)), "feature": self.features}
        with pm.Model(coords=coords) as model:
            X = pm.Data("X", self.X, dims=("obs", "feature"))
            y = pm.Data("y_data", self.y, dims="obs")
            alpha = pm.Normal("alpha", p["alpha"]["mu"], p["alpha"]["sigma"])
            beta = pm.Normal(
                "beta", 0.0, np.array(list(p["beta"]["sigma"].values())), dims="feature"
            )
            sigma = pm.HalfNormal("sigma", p["sigma"]["sigma"])
            pm.Deterministic("intercept", alpha - pm.math.dot(self.x_mean, beta))
            mu = pm.Deterministic("mu", alpha + pm.math.dot(X - self.x_mean, beta), dims="obs")
            if self.measurement_error:
                se: Any = pm.Data("y_se", self.y_se, dims="obs")
                pm.Normal("y", mu, pm.math.sqrt(sigma**2 + se**2), observed=y, dims="obs")
            else:
                pm.Normal("y", mu, sigma, observed=y, dims="obs")
        return model

    # -- fitting and prediction -----------------------------------------------------------------
    def fit(self, backend: str = "pymc", **kwargs: Any):
        """Fits the model with :func:`bayes_widgets.fit` (same keyword arguments) and keeps its
        posterior for :meth:`predict`. Returns the :class:`FitResult`."""
        from bayes_widgets.core.fitting.session import fit

        result = fit(self.model, backend=backend, **kwargs)
        self.result = result
        tree = getattr(result, "idata", None)
        self.posterior = tree if tree is not None and "posterior" in tree.children else None
        return result

    def predict(self, new_rows: Any, posterior: Any = None, **options: Any) -> pd.DataFrame:
        """:func:`predict_new_rows` with this model (and, by default, its fitted posterior)."""
        return predict_new_rows(
            self, self.posterior if posterior is None else posterior, new_rows, **options
        )

    @property
    def input_columns(self) -> list[str]:
        """Columns a new row may hold: the features, and the error column if there is one."""
        return [*self.features, *([self.error_column] if self.error_column else [])]

    def check_rows(self, new_rows: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        """The new rows as a DataFrame (features in model order, then the error column if
        given), their features as a float array and their known errors (or None).
        Anything unusable raises :class:`RegressionInputError` naming the column."""
        if isinstance(new_rows, Mapping | list):
            try:
                new_rows = pd.DataFrame(new_rows)
            except (TypeError, ValueError) as exc:
                raise RegressionInputError(
                    "new_rows", f"cannot be read as a table: {exc}"
                ) from None
        if not isinstance(new_rows, pd.DataFrame):
            raise RegressionInputError(
                "new_rows", f"expected a pandas DataFrame, got {type(new_rows).__name__}"
            )
        columns = list(new_rows.columns)
        if self.target in columns:
            raise RegressionInputError(
                f"new_rows[{self.target!r}]",
                f"is the target the model predicts; new rows hold the inputs "
                f"only ({self.input_columns})",
            )
        allowed = set(self.input_columns)
        unknown = [c for c in columns if c not in allowed]
        if unknown:
            raise RegressionInputError(
                "new_rows",
                f"unknown column(s) {unknown}: the model's inputs are {self.input_columns}",
            )
        missing = [f for f in self.features if f not in columns]
        if missing:
            raise RegressionInputError(
                "new_rows", f"missing column(s) {missing} that the model needs"
            )
        X = (
            np.column_stack([numeric_column(new_rows, f, "new_rows") for f in self.features])
            if len(new_rows)
            else np.zeros((0, len(self.features)))
        )
        se = None
        keep = list(self.features)
        if self.error_column is not None and self.error_column in columns:
            se = (
                numeric_column(new_rows, self.error_column, "new_rows")
                if len(new_rows)
                else np.zeros(0)
            )
            negative = np.flatnonzero(se < 0)
            if negative.size:
                rows = new_rows.index[negative[:10]].tolist()
                raise RegressionInputError(
                    f"new_rows[{self.error_column!r}]",
                    f"must be ≥ 0 (a standard deviation); negative in row(s) {rows}",
                )
            keep.append(self.error_column)
        return pd.DataFrame(new_rows[keep]), X, se

    def __repr__(self) -> str:
        kind = f", target_error={self.error_column or 'given'}" if self.measurement_error else ""
        fitted = "fitted" if self.posterior is not None else "not fitted"
        return (
            f"LinearRegression(target={self.target!r}, features={self.features}{kind}, "
            f"rows={len(self.y)}, {fitted})"
        )


def prediction_columns(prob: float = 0.95, interval: str = "eti") -> list[str]:
    """Names of a LinearRegression's prediction columns, in order."""
    return [f"{v}_{s}" for v in ("mu", "y") for s in stat_names(prob, interval)]


def predict_new_rows(
    model: Any,
    posterior: Any,
    new_rows: Any,
    *,
    prob: float = 0.95,
    interval: str = "eti",
    seed: int | None = None,
    row_keys: Sequence[int] | None = None,
    method: str = "vectorised",
    **options: Any,
) -> pd.DataFrame:
    """Posterior predictions of ``model`` for ``new_rows``, one output row per new row.

    ``model`` is a :class:`LinearRegression` (below), any ``pymc.Model`` whose inputs are
    ``pm.Data`` containers (options ``row_dim``, ``var_names``; see
    :mod:`bayes_widgets.core.prediction.pymc_models`) or a NumPyro model function (options
    ``model_args``, ``model_kwargs``, ``inputs``, ``observed``, ``var_names``; see
    :mod:`bayes_widgets.core.prediction.numpyro_models`). For the latter two, the columns are
    the inputs, then mean, sd and interval of every deterministic and observed variable
    on the rows, and ``row_keys`` does not apply.

    For a LinearRegression:

    Columns: the inputs, then for ``mu`` (the regression line) and ``y`` (a new
    observation; see the module docstring) the posterior mean, sd and the ``prob``
    credible interval: ``mu_mean, mu_sd, mu_eti95_lower, mu_eti95_upper, y_mean, ...``
    (``eti``: equal-tailed, the (1-prob)/2 and (1+prob)/2 quantiles; ``hdi``: highest
    density). ``df.attrs`` records the target, interval, prob, draws and what ``y`` is.

    ``seed`` fixes the observation noise; each row draws it from its own stream keyed by
    ``row_keys`` (default 0, 1, ...), so adding or removing other rows leaves a row's
    numbers as they were. ``method="pymc"`` computes the same with ``pm.set_data`` and
    ``pm.sample_posterior_predictive`` on a copy of the model (slower; the reference).
    """
    if not isinstance(model, LinearRegression):
        return _predict_model_or_function(
            model,
            posterior,
            new_rows,
            prob=prob,
            interval=interval,
            seed=seed,
            row_keys=row_keys,
            method=method,
            options=options,
        )
    if options:
        raise RegressionInputError(
            next(iter(options)), "is not an option of a LinearRegression's predictions"
        )
    return predict_regression_rows(
        model,
        posterior,
        new_rows,
        prob=prob,
        interval=interval,
        seed=seed,
        row_keys=row_keys,
        method=method,
    )


__all__ = [
    "INTERVALS",
    "NUMPYRO_OPTIONS",
    "PARAMETERS",
    "PYMC_OPTIONS",
    "SUMMARY_STATS",
    "LinearRegression",
    "RegressionInputError",
    "check_interval",
    "check_prob",
    "interval_suffix",
    "model_kind",
    "posterior_draws",
    "predict_new_rows",
    "prediction_columns",
    "summarise_draws",
    "summarize_draws",
]
