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

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

INTERVALS = {"eti": "equal-tailed", "hdi": "highest-density"}
"""Kinds of credible interval: ``eti`` (quantiles (1-prob)/2 and (1+prob)/2) or ``hdi``
(the narrowest interval holding ``prob`` of the draws)."""
PARAMETERS = ("alpha", "beta", "sigma")
SUMMARY_STATS = ("mean", "sd", "lower", "upper")


class RegressionInputError(ValueError):
    """Bad input to the regression or its predictions; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


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
        if (
            isinstance(prior_scale, bool)
            or not isinstance(prior_scale, numbers.Real)
            or not (np.isfinite(prior_scale) and prior_scale > 0)
        ):
            raise RegressionInputError(
                "prior_scale", f"must be a positive number, got {prior_scale!r}"
            )
        self.target = target
        self.features = self._check_features(data, features)
        if len(data) < 2:
            raise RegressionInputError("data", f"needs at least 2 rows, got {len(data)}")
        y = _numeric_column(data, target, "data")
        X = np.column_stack([_numeric_column(data, f, "data") for f in self.features])
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
            se = _numeric_column(data, self.error_column, "data")
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
                se = pm.Data("y_se", self.y_se, dims="obs")
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
        tree = result.idata
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
            np.column_stack([_numeric_column(new_rows, f, "new_rows") for f in self.features])
            if len(new_rows)
            else np.zeros((0, len(self.features)))
        )
        se = None
        keep = list(self.features)
        if self.error_column is not None and self.error_column in columns:
            se = (
                _numeric_column(new_rows, self.error_column, "new_rows")
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
        return new_rows[keep], X, se

    def __repr__(self) -> str:
        kind = f", target_error={self.error_column or 'given'}" if self.measurement_error else ""
        fitted = "fitted" if self.posterior is not None else "not fitted"
        return (
            f"LinearRegression(target={self.target!r}, features={self.features}{kind}, "
            f"rows={len(self.y)}, {fitted})"
        )


def _numeric_column(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """A column as finite floats, or an error naming the column and the bad rows."""
    values = frame[column]
    field = f"{where}[{column!r}]"
    if isinstance(values, pd.DataFrame):
        raise RegressionInputError(field, "appears more than once")
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        sample = next(
            (v for v in values if not isinstance(v, numbers.Number)),
            values.iloc[0] if len(values) else None,
        )
        raise RegressionInputError(
            field,
            f"must be numeric, got {values.dtype} values such as {sample!r} (encode categories as "
            "0/1 columns, e.g. with pandas.get_dummies)",
        )
    out = values.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        rows = frame.index[bad[:10]].tolist()
        more = f" and {bad.size - 10} more" if bad.size > 10 else ""
        raise RegressionInputError(field, f"missing or infinite value in row(s) {rows}{more}")
    return out


def check_prob(prob: Any) -> float:
    if isinstance(prob, bool) or not isinstance(prob, numbers.Real) or not 0 < prob < 1:
        raise RegressionInputError("prob", f"must be a number in (0, 1), got {prob!r}")
    return float(prob)


def check_interval(interval: Any) -> str:
    if interval not in INTERVALS:
        raise RegressionInputError(
            "interval", f"must be one of {list(INTERVALS)}, got {interval!r}"
        )
    return interval


def interval_suffix(prob: float, interval: str) -> str:
    """Column suffix of an interval: ``eti95``, ``hdi90``, ``eti97.5``."""
    return f"{interval}{100 * prob:.10g}"


def prediction_columns(prob: float = 0.95, interval: str = "eti") -> list[str]:
    """Names of the prediction columns, in order."""
    tag = interval_suffix(prob, interval)
    return [f"{v}_{s}" for v in ("mu", "y") for s in ("mean", "sd", f"{tag}_lower", f"{tag}_upper")]


def summarise_draws(
    draws: np.ndarray, prob: float = 0.95, interval: str = "eti"
) -> dict[str, np.ndarray]:
    """Mean, sd (ddof 1) and credible interval of each column of ``draws`` (draws × rows)."""
    draws = np.asarray(draws, dtype=float)
    n = draws.shape[0]
    if draws.shape[1] == 0:
        empty = np.zeros(0)
        return dict.fromkeys(SUMMARY_STATS, empty)
    if interval == "eti":
        lower, upper = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    else:  # the narrowest window holding floor(prob * n) + 1 sorted draws (as ArviZ)
        ordered = np.sort(draws, axis=0)
        inside = int(np.floor(prob * n))
        widths = ordered[inside:] - ordered[: n - inside]
        start = np.argmin(widths, axis=0)
        cols = np.arange(draws.shape[1])
        lower, upper = ordered[start, cols], ordered[start + inside, cols]
    sd = draws.std(axis=0, ddof=1) if n > 1 else np.full(draws.shape[1], np.nan)
    return {"mean": draws.mean(axis=0), "sd": sd, "lower": lower, "upper": upper}


def posterior_draws(regression: LinearRegression, posterior: Any) -> dict[str, np.ndarray]:
    """``alpha``, ``beta`` and ``sigma`` of a fit of ``regression``, stacked over chains:
    shapes (S,), (S, features), (S,)."""
    from bayes_widgets.core.posterior import posterior_dataset

    post = posterior_dataset(
        posterior,
        RegressionInputError,
        absent="the regression has not been fitted: call .fit() or pass the posterior of a fit",
    )
    missing = [p for p in PARAMETERS if p not in post.data_vars]
    if missing:
        raise RegressionInputError(
            "posterior", f"lacks {missing}: it is not the posterior of this regression model"
        )
    beta = post["beta"]
    dims = [d for d in beta.dims if d not in ("chain", "draw")]
    fitted = (
        [str(v) for v in beta[dims[0]].values]
        if len(dims) == 1 and dims[0] in beta.coords
        else None
    )
    if fitted != regression.features:
        raise RegressionInputError(
            "posterior",
            f"was fitted with features {fitted}, but this model has {regression.features}",
        )

    def stack(name: str) -> np.ndarray:
        da = post[name].transpose("chain", "draw", ...)
        return np.asarray(da.values, dtype=float).reshape(-1, *da.shape[2:])

    return {p: stack(p) for p in PARAMETERS}


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
        return _predict_other(
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
    regression = model
    if options:
        raise RegressionInputError(
            next(iter(options)), "is not an option of a LinearRegression's predictions"
        )
    prob, interval = check_prob(prob), check_interval(interval)
    if method not in ("vectorised", "pymc"):
        raise RegressionInputError("method", f"must be 'vectorised' or 'pymc', got {method!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        raise RegressionInputError("seed", f"must be a non-negative integer or None, got {seed!r}")
    params = posterior_draws(regression, posterior)
    inputs, X, se = regression.check_rows(new_rows)
    if method == "pymc":
        mu, y = _pymc_draws(regression, posterior, X, se, seed)
    else:
        mu = params["alpha"][:, None] + params["beta"] @ (X - regression.x_mean).T  # draws × rows
        scale = (
            params["sigma"][:, None]
            if se is None
            else np.sqrt(params["sigma"][:, None] ** 2 + se**2)
        )
        y = mu + scale * _noise(mu.shape, seed, row_keys)
    out = inputs.copy()
    names = prediction_columns(prob, interval)
    for var, draws in (("mu", mu), ("y", y)):
        stats = summarise_draws(draws, prob, interval)
        for stat, name in zip(
            SUMMARY_STATS, [n for n in names if n.startswith(f"{var}_")], strict=True
        ):
            out[name] = stats[stat]
    what = f"a new true value of {regression.target!r}"
    if regression.measurement_error and se is not None:
        what = f"a new measurement of {regression.target!r} with the row's known error"
    out.attrs.update(
        target=regression.target,
        interval=interval,
        interval_name=INTERVALS[interval],
        prob=prob,
        draws=int(mu.shape[0]),
        mu="the regression line (expected target)",
        y=what,
    )
    return out


def model_kind(model: Any) -> str:
    """``regression``, ``pymc`` or ``numpyro``: which kind of model predictions are for."""
    if isinstance(model, LinearRegression):
        return "regression"
    if type(model).__module__.split(".")[0] == "pymc":
        import pymc as pm

        if isinstance(model, pm.Model):
            return "pymc"
    elif callable(model) and not isinstance(model, type):
        return "numpyro"
    raise RegressionInputError(
        "model",
        "expected a LinearRegression, a pymc.Model with pm.Data inputs or a NumPyro model "
        f"function, got {type(model).__name__}",
    )


PYMC_OPTIONS = ("row_dim", "var_names")
NUMPYRO_OPTIONS = ("model_args", "model_kwargs", "inputs", "observed", "var_names")


def _predict_other(model, posterior, new_rows, *, prob, interval, seed, row_keys, method, options):
    kind = model_kind(model)
    allowed = PYMC_OPTIONS if kind == "pymc" else NUMPYRO_OPTIONS
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise RegressionInputError(
            unknown[0], f"is not an option for a {kind} model; the options are {list(allowed)}"
        )
    if row_keys is not None:
        raise RegressionInputError("row_keys", "applies to a LinearRegression only")
    if kind == "pymc":
        from bayes_widgets.core.prediction.pymc_models import predict_model_rows

        return predict_model_rows(
            model,
            posterior,
            new_rows,
            prob=prob,
            interval=interval,
            seed=seed,
            method=method,
            **options,
        )
    if method != "vectorised":
        raise RegressionInputError("method", "a NumPyro model is predicted with Predictive only")
    from bayes_widgets.core.prediction.numpyro_models import predict_numpyro_rows

    return predict_numpyro_rows(
        model, posterior, new_rows, prob=prob, interval=interval, seed=seed, **options
    )


def _noise(shape: tuple[int, int], seed: int | None, row_keys: Sequence[int] | None) -> np.ndarray:
    """Standard normal noise (draws × rows); each row from its own keyed stream."""
    draws, rows = shape
    keys = list(range(rows)) if row_keys is None else [int(k) for k in row_keys]
    if len(keys) != rows:
        raise RegressionInputError("row_keys", f"has {len(keys)} keys for {rows} rows")
    if any(k < 0 for k in keys):
        raise RegressionInputError("row_keys", "must be non-negative integers")
    base = np.random.SeedSequence().entropy if seed is None else seed
    out = np.empty(shape)
    for j, key in enumerate(keys):
        out[:, j] = np.random.default_rng([base, key]).standard_normal(draws)
    return out


def _pymc_draws(
    regression: LinearRegression,
    posterior: Any,
    X: np.ndarray,
    se: np.ndarray | None,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``mu`` and ``y`` draws for new inputs with ``pm.set_data`` and
    ``pm.sample_posterior_predictive`` on a copy of the model."""
    import pymc as pm
    from pymc.model.fgraph import clone_model

    from bayes_widgets.core.posterior import as_tree

    n = X.shape[0]
    model = clone_model(regression.model)
    values = {"X": X, "y_data": np.zeros(n)}
    if regression.measurement_error:
        values["y_se"] = np.zeros(n) if se is None else se
    with model:
        pm.set_data(values, coords={"obs": np.arange(n)})
        tree = pm.sample_posterior_predictive(
            as_tree(posterior), var_names=["mu", "y"], random_seed=seed, progressbar=False
        )
    pp = tree["posterior_predictive"].to_dataset()

    def stack(name: str) -> np.ndarray:
        da = pp[name].transpose("chain", "draw", "obs")
        return np.asarray(da.values, dtype=float).reshape(-1, n)

    return stack("mu"), stack("y")


__all__ = [
    "INTERVALS",
    "LinearRegression",
    "RegressionInputError",
    "interval_suffix",
    "predict_new_rows",
    "prediction_columns",
    "summarise_draws",
]
