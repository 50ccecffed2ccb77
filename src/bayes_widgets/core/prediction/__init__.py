"""Posterior predictions for new rows, for any model: what every kind of model shares.

    predict_new_rows(model, posterior, new_rows)         # bayes_widgets.predict_new_rows
    BoundPredictor(model, posterior, **options).predict(new_rows)

Three kinds of model, one table: a :class:`~bayes_widgets.core.regression.LinearRegression`,
any ``pymc.Model`` whose inputs are ``pm.Data`` containers
(:mod:`bayes_widgets.core.prediction.pymc_models`: :class:`ModelPredictor`) and a NumPyro model
function (:mod:`bayes_widgets.core.prediction.numpyro_models`). The result has the new rows'
inputs, then for every predicted variable its posterior mean, sd and credible interval
(``mu_mean, mu_sd, mu_eti95_lower, mu_eti95_upper, y_mean, ...``; a variable with several
elements per row gives ``p[a]_mean, ...``). Bad input raises
:class:`PredictionInputError` naming the container, column or argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.regression import (
    INTERVALS,
    SUMMARY_STATS,
    RegressionInputError,
    _numeric_column,
    interval_suffix,
    summarise_draws,
)


class PredictionInputError(RegressionInputError):
    """Bad input to a prediction; ``field`` names the container, column or argument."""


@dataclass(frozen=True)
class Input:
    """One column of the new rows and where it goes: ``container`` (a ``pm.Data`` name or
    a model argument), at position ``position`` of the container's column axis (``None``
    for a vector)."""

    column: str
    container: str
    position: int | None = None


@dataclass(frozen=True)
class Target:
    """A predicted variable: its name, ``kind`` (``deterministic`` or ``observed``) and the
    labels of its elements within a row (``()`` for one number per row)."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()

    def prefixes(self) -> list[str]:
        """Column prefixes: ``mu``, or ``p[a]``, ``p[b]`` for a variable with elements."""
        return [self.name] if not self.labels else [f"{self.name}[{lab}]" for lab in self.labels]


# -- shared by every kind of model --------------------------------------------------------------
def read_rows(new_rows: Any) -> pd.DataFrame:
    """New rows as a DataFrame: a DataFrame, a dict of columns, a dict of one row's values
    or a list of dicts (one per row)."""
    if (
        isinstance(new_rows, Mapping)
        and new_rows
        and all(np.ndim(v) == 0 for v in new_rows.values())
    ):
        new_rows = [dict(new_rows)]
    if isinstance(new_rows, Mapping | list):
        try:
            new_rows = pd.DataFrame(new_rows)
        except (TypeError, ValueError) as exc:
            raise PredictionInputError("new_rows", f"cannot be read as a table: {exc}") from None
    if not isinstance(new_rows, pd.DataFrame):
        raise PredictionInputError(
            "new_rows",
            f"expected a DataFrame, a dict of columns or a list of dicts, got "
            f"{type(new_rows).__name__}",
        )
    return new_rows


def check_columns(frame: pd.DataFrame, inputs: Sequence[Input], what: str) -> pd.DataFrame:
    """The input columns of ``frame`` in model order; unknown or missing ones are errors."""
    names = [i.column for i in inputs]
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise PredictionInputError("new_rows", f"column(s) {duplicated} appear more than once")
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise PredictionInputError(
            f"new_rows[{unknown[0]!r}]" if len(unknown) == 1 else "new_rows",
            f"unknown column(s) {unknown}: {what}'s inputs are {names}",
        )
    missing = [c for c in names if c not in columns]
    if missing:
        raise PredictionInputError(
            f"new_rows[{missing[0]!r}]" if len(missing) == 1 else "new_rows",
            f"missing column(s) {missing} that {what} needs (its inputs are {names})",
        )
    frame = frame.rename(columns=str)
    return frame[names]


def column_values(frame: pd.DataFrame, column: str, dtype: np.dtype) -> np.ndarray:
    """A column as finite numbers of ``dtype``; integer and bool inputs take whole numbers only."""
    try:
        values = _numeric_column(frame, column, "new_rows") if len(frame) else np.zeros(0)
    except RegressionInputError as exc:
        raise PredictionInputError(exc.field, str(exc).split(": ", 1)[1]) from None
    if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
        bad = np.flatnonzero(values != np.round(values))
        if dtype == np.bool_:
            bad = np.flatnonzero((values != 0) & (values != 1))
        if bad.size:
            kind = "0 or 1" if dtype == np.bool_ else "whole numbers"
            raise PredictionInputError(
                f"new_rows[{column!r}]",
                f"must be {kind} (the model's input holds {dtype} values); got "
                f"{values[bad[0]]:g} in row(s) {frame.index[bad[:10]].tolist()}",
            )
    return values.astype(dtype)


def summary_frame(
    inputs: pd.DataFrame,
    targets: Sequence[Target],
    draws: Mapping[str, np.ndarray],
    prob: float,
    interval: str,
) -> pd.DataFrame:
    """Inputs, then mean, sd and credible interval of every target per row
    (``draws[name]``: draws × rows × elements)."""
    out = inputs.reset_index(drop=True).copy()
    tag = interval_suffix(prob, interval)
    stats_names = ("mean", "sd", f"{tag}_lower", f"{tag}_upper")
    for target in targets:
        values = draws[target.name]
        for k, prefix in enumerate(target.prefixes()):
            stats = summarise_draws(values[:, :, k], prob, interval)
            for stat, name in zip(SUMMARY_STATS, stats_names, strict=True):
                out[f"{prefix}_{name}"] = stats[stat]
    return out


def output_columns(targets: Sequence[Target], prob: float, interval: str) -> list[str]:
    tag = interval_suffix(prob, interval)
    return [
        f"{p}_{s}"
        for t in targets
        for p in t.prefixes()
        for s in ("mean", "sd", f"{tag}_lower", f"{tag}_upper")
    ]


def check_seed(seed: Any) -> int | None:
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        raise PredictionInputError("seed", f"must be a non-negative integer or None, got {seed!r}")
    return None if seed is None else int(seed)


def typical_value(column: Any) -> float:
    """A typical input value: the mean of a float column, the most frequent value of an
    integer one (a group index, a category), 0 for an empty one."""
    col = np.asarray(column)
    if col.size == 0:
        return 0.0
    if np.issubdtype(col.dtype, np.floating):
        return float(np.mean(col))
    vals, counts = np.unique(col, return_counts=True)
    return float(vals[np.argmax(counts)])


def posterior_group(posterior: Any):
    """The posterior Dataset of a FitResult, DataTree, InferenceData or Dataset."""
    from bayes_widgets.core.posterior import posterior_dataset

    return posterior_dataset(posterior, PredictionInputError)


def stack_draws(post, name: str) -> np.ndarray:
    """One variable's draws, chains stacked: (chains × draws, ...)."""
    da = post[name].transpose("chain", "draw", ...)
    return np.asarray(da.values).reshape(-1, *da.shape[2:])


def describe(targets: Sequence[Target], prob: float, interval: str, draws: int, row_dim) -> dict:
    return {
        "interval": interval,
        "interval_name": INTERVALS[interval],
        "prob": prob,
        "draws": int(draws),
        "row_dim": row_dim,
        "variables": {t.name: t.kind for t in targets},
    }


# -- one interface for every kind of model ----------------------------------------------------------
MEANINGS = {
    "deterministic": "recomputed from each posterior draw at the row's inputs",
    "observed": "a new observation drawn for each posterior draw",
}


class BoundPredictor:
    """A model with its posterior, ready to predict new rows: a :class:`LinearRegression`,
    a ``pymc.Model`` (options ``row_dim``, ``var_names``) or a NumPyro model function
    (options ``model_args``, ``model_kwargs``, ``inputs``, ``observed``, ``var_names``).

    ``columns`` are the inputs a row holds, ``targets`` the predicted variables,
    ``target`` the name of the (first) observed variable."""

    def __init__(self, model: Any, posterior: Any = None, **options: Any):
        from bayes_widgets.core.regression import (
            NUMPYRO_OPTIONS,
            PYMC_OPTIONS,
            model_kind,
            posterior_draws,
        )

        self.kind = model_kind(model)
        allowed = {"regression": (), "pymc": PYMC_OPTIONS, "numpyro": NUMPYRO_OPTIONS}[self.kind]
        given = {k: v for k, v in options.items() if v is not None}
        unknown = [k for k in given if k not in allowed]
        if unknown:
            raise PredictionInputError(
                unknown[0], f"is not an option for a {self.kind} model (options: {list(allowed)})"
            )
        self.model = model
        if self.kind == "regression":
            self.posterior = model.posterior if posterior is None else posterior
            posterior_draws(model, self.posterior)  # unfitted or foreign posteriors fail here
            self.targets = [Target("mu", "deterministic"), Target("y", "observed")]
            self.columns = list(model.input_columns)
            self.target = model.target
            self._impl = None
        elif self.kind == "pymc":
            self.posterior = posterior
            from bayes_widgets.core.prediction.pymc_models import ModelPredictor

            self._impl = ModelPredictor(model, **given)
            self._impl.posterior_draws(posterior)
        else:
            from bayes_widgets.core.prediction.numpyro_models import NumPyroPredictor

            self.posterior = posterior
            self._impl = NumPyroPredictor(model, posterior, **given)
        if self._impl is not None:
            self.targets = list(self._impl.targets)
            self.columns = list(self._impl.columns)
            observed = [t.name for t in self.targets if t.kind == "observed"]
            self.target = observed[0] if observed else self.targets[0].name

    def check_rows(self, new_rows: Any) -> pd.DataFrame:
        """The rows as a DataFrame of input columns (errors name the column)."""
        if self.kind == "regression":
            return self.model.check_rows(new_rows)[0]
        return self._impl.check_rows(new_rows)[0]

    def defaults(self) -> dict[str, float]:
        """A typical row (training means; most frequent value of an integer input)."""
        if self.kind == "regression":
            return dict(zip(self.model.features, self.model.x_mean.tolist(), strict=True))
        return self._impl.defaults()

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
        if self.kind == "regression":
            from bayes_widgets.core.regression import predict_new_rows

            return predict_new_rows(
                self.model,
                self.posterior,
                new_rows,
                prob=prob,
                interval=interval,
                seed=seed,
                row_keys=row_keys,
            )
        if self.kind == "pymc":
            return self._impl.predict(
                self.posterior, new_rows, prob=prob, interval=interval, seed=seed
            )
        return self._impl.predict(new_rows, prob=prob, interval=interval, seed=seed)

    def meaning(self, table: pd.DataFrame) -> dict[str, str]:
        """What each predicted variable is, in words."""
        if self.kind == "regression":
            return {"mu": table.attrs["mu"], "y": table.attrs["y"]}
        return {p: MEANINGS[t.kind] for t in self.targets for p in t.prefixes()}


_PYMC = ("ModelPredictor", "predict_model_rows", "predictor_for")


def __getattr__(name: str):
    if name in _PYMC:  # the PyMC part, imported on first use
        from bayes_widgets.core.prediction import pymc_models

        return getattr(pymc_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BoundPredictor",
    "Input",
    "PredictionInputError",
    "Target",
    "read_rows",
]
