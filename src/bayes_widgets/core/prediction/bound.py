"""One interface for predictions of every kind of model: :class:`BoundPredictor`.

    predictor = BoundPredictor(model, posterior, **options)
    predictor.columns, predictor.targets, predictor.defaults()
    predictor.predict(new_rows, prob=0.9, interval="hdi", seed=1)

Three kinds of model: a :class:`~bayes_widgets.core.regression.LinearRegression`, a
``pymc.Model`` with ``pm.Data`` inputs and a NumPyro model function (:func:`model_kind`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from bayes_widgets.core.prediction.errors import PredictionInputError, RegressionInputError
from bayes_widgets.core.prediction.rows import Target

if TYPE_CHECKING:
    from bayes_widgets.core.prediction.numpyro_models import NumPyroPredictor
    from bayes_widgets.core.prediction.pymc_models import ModelPredictor

PYMC_OPTIONS = ("row_dim", "var_names")
NUMPYRO_OPTIONS = ("model_args", "model_kwargs", "inputs", "observed", "var_names")
MEANINGS = {
    "deterministic": "recomputed from each posterior draw at the row's inputs",
    "observed": "a new observation drawn for each posterior draw",
}


def model_kind(model: Any) -> str:
    """``regression``, ``pymc`` or ``numpyro``: which kind of model predictions are for."""
    from bayes_widgets.core.regression import LinearRegression

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


def predict_model_or_function(
    model: Any,
    posterior: Any,
    new_rows: Any,
    *,
    prob: float,
    interval: str,
    seed: int | None,
    row_keys: Sequence[int] | None,
    method: str,
    options: dict[str, Any],
) -> pd.DataFrame:
    """Predictions of a ``pymc.Model`` or a NumPyro model function (see
    :func:`bayes_widgets.predict_new_rows`)."""
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


class BoundPredictor:
    """A model with its posterior, ready to predict new rows: a :class:`LinearRegression`,
    a ``pymc.Model`` (options ``row_dim``, ``var_names``) or a NumPyro model function
    (options ``model_args``, ``model_kwargs``, ``inputs``, ``observed``, ``var_names``).

    ``columns`` are the inputs a row holds, ``targets`` the predicted variables,
    ``target`` the name of the (first) observed variable."""

    def __init__(self, model: Any, posterior: Any = None, **options: Any):
        self.kind = model_kind(model)
        allowed = {"regression": (), "pymc": PYMC_OPTIONS, "numpyro": NUMPYRO_OPTIONS}[self.kind]
        given = {k: v for k, v in options.items() if v is not None}
        unknown = [k for k in given if k not in allowed]
        if unknown:
            raise PredictionInputError(
                unknown[0], f"is not an option for a {self.kind} model (options: {list(allowed)})"
            )
        self.model = model
        self.posterior = posterior
        self._pymc: ModelPredictor | None = None
        self._numpyro: NumPyroPredictor | None = None
        if self.kind == "regression":
            from bayes_widgets.core.prediction.linear import regression_draws

            self.posterior = model.posterior if posterior is None else posterior
            regression_draws(model, self.posterior)  # unfitted or foreign posteriors fail here
            self.targets = [Target("mu", "deterministic"), Target("y", "observed")]
            self.columns = list(model.input_columns)
            self.target = model.target
            return
        if self.kind == "pymc":
            from bayes_widgets.core.prediction.pymc_models import ModelPredictor

            self._pymc = impl = ModelPredictor(model, **given)
            impl.posterior_draws(posterior)
        else:
            from bayes_widgets.core.prediction.numpyro_models import NumPyroPredictor

            self._numpyro = impl = NumPyroPredictor(model, posterior, **given)
        self.targets = list(impl.targets)
        self.columns = list(impl.columns)
        observed = [t.name for t in self.targets if t.kind == "observed"]
        self.target = observed[0] if observed else self.targets[0].name

    def check_rows(self, new_rows: Any) -> pd.DataFrame:
        """The rows as a DataFrame of input columns (errors name the column)."""
        if self._pymc is not None:
            return self._pymc.check_rows(new_rows)[0]
        if self._numpyro is not None:
            return self._numpyro.check_rows(new_rows)[0]
        return self.model.check_rows(new_rows)[0]

    def defaults(self) -> dict[str, float]:
        """A typical row (training means; most frequent value of an integer input)."""
        if self._pymc is not None:
            return self._pymc.defaults()
        if self._numpyro is not None:
            return self._numpyro.defaults()
        return dict(zip(self.model.features, self.model.x_mean.tolist(), strict=True))

    def predict(
        self,
        new_rows: Any,
        *,
        prob: float = 0.95,
        interval: str = "eti",
        seed: int | None = None,
        row_keys: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """The prediction table (see :func:`bayes_widgets.predict_new_rows`); ``row_keys``
        keeps each row's noise of a LinearRegression when other rows change."""
        if self._pymc is not None:
            return self._pymc.predict(
                self.posterior, new_rows, prob=prob, interval=interval, seed=seed
            )
        if self._numpyro is not None:
            return self._numpyro.predict(new_rows, prob=prob, interval=interval, seed=seed)
        from bayes_widgets.core.prediction.linear import predict_regression_rows

        return predict_regression_rows(
            self.model,
            self.posterior,
            new_rows,
            prob=prob,
            interval=interval,
            seed=seed,
            row_keys=row_keys,
        )

    def meaning(self, table: pd.DataFrame) -> dict[str, str]:
        """What each predicted variable is, in words."""
        if self.kind == "regression":
            return {"mu": table.attrs["mu"], "y": table.attrs["y"]}
        return {p: MEANINGS[t.kind] for t in self.targets for p in t.prefixes()}


__all__ = [
    "MEANINGS",
    "NUMPYRO_OPTIONS",
    "PYMC_OPTIONS",
    "BoundPredictor",
    "model_kind",
    "predict_model_or_function",
]
