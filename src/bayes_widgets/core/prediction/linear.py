"""Posterior predictions of a :class:`~bayes_widgets.core.regression.LinearRegression`.

    table = predict_regression_rows(reg, reg.posterior, new_rows, prob=0.9, seed=1)

For each posterior draw: ``mu`` exactly (``alpha + (x - xbar)·beta``) and one draw of a
new observation ``y`` (see :mod:`bayes_widgets.core.regression`), computed with NumPy
without compiling anything; ``method="pymc"`` computes the same with ``pm.set_data`` and
``pm.sample_posterior_predictive`` on a copy of the model (slower; the reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from bayes_widgets.core.checks import check_seed
from bayes_widgets.core.prediction.errors import RegressionInputError
from bayes_widgets.core.prediction.rows import Target
from bayes_widgets.core.prediction.summary import (
    INTERVALS,
    check_interval,
    check_prob,
    stack_draws,
    summary_frame,
)

if TYPE_CHECKING:
    from bayes_widgets.core.regression import LinearRegression

PARAMETERS = ("alpha", "beta", "sigma")
TARGETS = (Target("mu", "deterministic"), Target("y", "observed"))
"""What a LinearRegression predicts: the regression line and a new observation."""


def regression_draws(regression: LinearRegression, posterior: Any) -> dict[str, np.ndarray]:
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
    return {p: stack_draws(post, p, float) for p in PARAMETERS}


def predict_regression_rows(
    regression: LinearRegression,
    posterior: Any,
    new_rows: Any,
    *,
    prob: float = 0.95,
    interval: str = "eti",
    seed: int | None = None,
    row_keys: Sequence[int] | None = None,
    method: str = "vectorised",
) -> pd.DataFrame:
    """The prediction table of a LinearRegression (see
    :func:`bayes_widgets.core.regression.predict_new_rows`)."""
    prob, interval = check_prob(prob), check_interval(interval)
    if method not in ("vectorised", "pymc"):
        raise RegressionInputError("method", f"must be 'vectorised' or 'pymc', got {method!r}")
    seed = check_seed("seed", seed, error=RegressionInputError)
    params = regression_draws(regression, posterior)
    inputs, X, se = regression.check_rows(new_rows)
    if method == "pymc":
        mu, y = pymc_reference_draws(regression, posterior, X, se, seed)
    else:
        mu = params["alpha"][:, None] + params["beta"] @ (X - regression.x_mean).T  # draws × rows
        sigma = params["sigma"][:, None]
        scale = sigma if se is None else np.sqrt(sigma**2 + se**2)
        y = mu + scale * row_noise(mu.shape, seed, row_keys)
    out = summary_frame(inputs, TARGETS, {"mu": mu[:, :, None], "y": y[:, :, None]}, prob, interval)
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


def row_noise(
    shape: tuple[int, int], seed: int | None, row_keys: Sequence[int] | None
) -> np.ndarray:
    """Standard normal noise (draws × rows); each row from its own stream keyed by
    ``row_keys`` (default 0, 1, ...), so a row's noise does not depend on the others."""
    draws, rows = shape
    keys = list(range(rows)) if row_keys is None else [int(k) for k in row_keys]
    if len(keys) != rows:
        raise RegressionInputError("row_keys", f"has {len(keys)} keys for {rows} rows")
    if any(k < 0 for k in keys):
        raise RegressionInputError("row_keys", "must be non-negative integers")
    base = cast(int, np.random.SeedSequence().entropy) if seed is None else seed
    out = np.empty(shape)
    for j, key in enumerate(keys):
        out[:, j] = np.random.default_rng([base, key]).standard_normal(draws)
    return out


def pymc_reference_draws(
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
    return stack_draws(pp, "mu", float), stack_draws(pp, "y", float)


__all__ = [
    "PARAMETERS",
    "TARGETS",
    "predict_regression_rows",
    "pymc_reference_draws",
    "regression_draws",
    "row_noise",
]
