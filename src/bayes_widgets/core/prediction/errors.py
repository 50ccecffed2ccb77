"""The errors of predictions and of the linear regression; each names the bad input.

try:
    predict_new_rows(model, posterior, new_rows)
except RegressionInputError as exc:   # PredictionInputError is one kind of it
    print(exc.field, exc.message)
"""

from __future__ import annotations

from bayes_widgets.core.errors import InputError


class RegressionInputError(InputError):
    """Bad input to the regression or its predictions; ``field`` names what to fix."""


class PredictionInputError(RegressionInputError):
    """Bad input to a prediction; ``field`` names the container, column or argument."""


__all__ = ["PredictionInputError", "RegressionInputError"]
