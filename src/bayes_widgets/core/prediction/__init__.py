"""Posterior predictions for new rows, for any model.

    predict_new_rows(model, posterior, new_rows)         # bayes_widgets.predict_new_rows
    BoundPredictor(model, posterior, **options).predict(new_rows)

Three kinds of model, one table: a :class:`~bayes_widgets.core.regression.LinearRegression`
(:mod:`.linear`), any ``pymc.Model`` whose inputs are ``pm.Data`` containers
(:mod:`.pymc_models`: :class:`ModelPredictor`) and a NumPyro model function
(:mod:`.numpyro_models`). The result has the new rows' inputs, then for every predicted
variable its posterior mean, sd and credible interval (``mu_mean, mu_sd, mu_eti95_lower,
mu_eti95_upper, y_mean, ...``; a variable with several elements per row gives
``p[a]_mean, ...``; :mod:`.summary`). Bad input raises :class:`PredictionInputError`
naming the container, column or argument (:mod:`.rows` checks the new rows).
"""

from __future__ import annotations

from bayes_widgets.core.prediction.bound import MEANINGS, BoundPredictor
from bayes_widgets.core.prediction.errors import PredictionInputError
from bayes_widgets.core.prediction.rows import (
    Input,
    Target,
    check_columns,
    column_values,
    read_rows,
    typical_value,
)
from bayes_widgets.core.prediction.summary import output_columns, stack_draws, summary_frame

_PYMC = ("ModelPredictor", "predict_model_rows", "predictor_for")


def __getattr__(name: str):
    if name in _PYMC:  # the PyMC part, imported on first use
        from bayes_widgets.core.prediction import pymc_models

        return getattr(pymc_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MEANINGS",
    "BoundPredictor",
    "Input",
    "PredictionInputError",
    "Target",
    "check_columns",
    "column_values",
    "output_columns",
    "read_rows",
    "stack_draws",
    "summary_frame",
    "typical_value",
]
