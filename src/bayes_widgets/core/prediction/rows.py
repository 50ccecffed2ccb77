"""New rows for a prediction: read as a table, checked column by column, sent to inputs.

    frame = read_rows([{"temp": 21.0, "price": 2.5}])          # a DataFrame
    frame = check_columns(frame, inputs, "the model")          # the inputs, in model order
    values = column_values(frame, "temp", np.dtype(float))     # finite numbers or an error

An :class:`Input` says where a column goes (a ``pm.Data`` container or a model argument),
a :class:`Target` what is predicted. Every bad value raises an error naming the column
and the rows.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.errors import InputError
from bayes_widgets.core.prediction.errors import PredictionInputError, RegressionInputError


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
    return pd.DataFrame(frame[names])


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    where: str,
    *,
    error: type[InputError] = RegressionInputError,
) -> np.ndarray:
    """A column as finite floats, or an ``error`` naming the column and the bad rows."""
    values = frame[column]
    field = f"{where}[{column!r}]"
    if isinstance(values, pd.DataFrame):
        raise error(field, "appears more than once")
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        sample = next(
            (v for v in values if not isinstance(v, numbers.Number)),
            values.iloc[0] if len(values) else None,
        )
        raise error(
            field,
            f"must be numeric, got {values.dtype} values such as {sample!r} (encode categories as "
            "0/1 columns, e.g. with pandas.get_dummies)",
        )
    out = values.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        rows = frame.index[bad[:10]].tolist()
        more = f" and {bad.size - 10} more" if bad.size > 10 else ""
        raise error(field, f"missing or infinite value in row(s) {rows}{more}")
    return out


def column_values(frame: pd.DataFrame, column: str, dtype: np.dtype) -> np.ndarray:
    """A column as finite numbers of ``dtype``; integer and bool inputs take whole numbers only."""
    values = (
        numeric_column(frame, column, "new_rows", error=PredictionInputError)
        if len(frame)
        else np.zeros(0)
    )
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


__all__ = [
    "Input",
    "Target",
    "check_columns",
    "column_values",
    "numeric_column",
    "read_rows",
    "typical_value",
]
