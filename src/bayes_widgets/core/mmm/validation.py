"""Checks of MMM data, each failing with an error that names the offending field."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.errors import InputError


class MMMDataError(InputError):
    """Bad MMM data or configuration; ``field`` names the column or setting to fix."""


def validate_mmm_data(
    data: pd.DataFrame,
    *,
    date_column: str,
    target: str | None,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    holdout: int = 0,
    min_train_rows: int = 10,
    dims: Sequence[str] = (),
) -> pd.DataFrame:
    """Returns ``data`` with the date column parsed, or raises :class:`MMMDataError`.

    Checks: the columns exist; spends and controls are numeric and finite; spends are
    not negative; the target (when given) is numeric with no NaN; dates parse, are
    unique and increasing; enough rows remain after a ``holdout`` of the last rows.

    With ``dims`` (e.g. ``("geo",)``) the data are long, one row per date and label of
    each dimension: every label has a row for every date, no (date, label) row is given
    twice, and the rows come back sorted by date, then label (``holdout`` and
    ``min_train_rows`` count dates).
    """
    if not isinstance(data, pd.DataFrame):
        raise MMMDataError("data", f"expected a pandas DataFrame, got {type(data).__name__}")
    date_column = column_name("date_column", date_column)
    target = None if target is None else column_name("target", target)
    channels = column_names("channels", channels)
    controls = column_names("controls", controls)
    if not channels:
        raise MMMDataError("channels", "at least one channel column is needed")
    dims = tuple(dims)
    names = [date_column, *dims, *([target] if target else []), *channels, *controls]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise MMMDataError(name, "is given twice (a column can have one role)")
        seen.add(name)
        if name not in data.columns:
            raise MMMDataError(
                name, f"no such column (columns: {', '.join(map(str, data.columns))})"
            )
    if len(data) == 0:
        raise MMMDataError(
            "data", f"has no rows (only the columns {', '.join(map(str, data.columns))})"
        )
    for name in [*channels, *controls]:
        _numeric(data, name)
    for name in channels:
        values = data[name].to_numpy(dtype=float)
        if (values < 0).any():
            i = int(np.flatnonzero(values < 0)[0])
            raise MMMDataError(name, f"spend cannot be negative (row {i}: {values[i]:g})")
    if target:
        _numeric(data, target, allow_nan=True)
        missing = int(np.isnan(data[target].to_numpy(dtype=float)).sum())
        if missing:
            raise MMMDataError(
                target, f"target has {missing} NaN value(s); drop or fill those rows"
            )
    dates = pd.Series(pd.to_datetime(data[date_column], errors="coerce"), index=data.index)
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise MMMDataError(date_column, f"row {i} is not a date: {data[date_column].iloc[i]!r}")
    out = _panel(data, dates, date_column, dims) if dims else _series(data, dates, date_column)
    n_dates = len(pd.unique(out[date_column].to_numpy()))
    holdout = whole_number("holdout", holdout, minimum=0)
    if n_dates - holdout < min_train_rows:
        what = "dates" if dims else "rows"
        raise MMMDataError(
            "holdout",
            f"{n_dates} {what} leave {n_dates - holdout} for training after a holdout of "
            f"{holdout}; at least {min_train_rows} are needed",
        )
    return out


def _series(data: pd.DataFrame, dates: pd.Series, date_column: str) -> pd.DataFrame:
    """One row per date: dates unique and increasing."""
    if dates.duplicated().any():
        dup = dates.loc[dates.duplicated()].iloc[0]
        raise MMMDataError(date_column, f"duplicate date {dup.date()}")
    if not dates.is_monotonic_increasing:
        raise MMMDataError(date_column, "dates must be sorted in increasing order")
    out = data.copy()
    out[date_column] = dates
    return out


def _panel(
    data: pd.DataFrame, dates: pd.Series, date_column: str, dims: tuple[str, ...]
) -> pd.DataFrame:
    """Long (panel) data checked and sorted by date, then by each dimension's label."""
    for dim in dims:
        empty = pd.isna(data[dim].to_numpy())
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise MMMDataError(dim, f"row {i} has no {dim} label")
    out = data.copy()
    out[date_column] = dates
    keys = [date_column, *dims]
    duplicated = out.duplicated(keys)
    if duplicated.any():
        row = out.loc[duplicated].iloc[0]
        where = ", ".join(f"{d} {row[d]!r}" for d in dims)
        raise MMMDataError(date_column, f"two rows for date {row[date_column].date()} and {where}")
    all_dates = pd.Index(sorted(out[date_column].unique()))
    for dim in dims:
        for label, group in out.groupby(dim, sort=False):
            missing = all_dates.difference(pd.Index(group[date_column].unique()))
            if len(missing):
                raise MMMDataError(
                    dim,
                    f"{dim} {label!r} has no rows for {len(missing)} of the {len(all_dates)} "
                    f"dates (first: {pd.Timestamp(missing[0]).date()}); every {dim} needs a "
                    "row for every date",
                )
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _numeric(data: pd.DataFrame, name: str, *, allow_nan: bool = False) -> None:
    column = data[name]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        bad = next(
            (
                v
                for v in column
                if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.number)
            ),
            None,
        )
        found = (
            f"found {bad!r} ({column.dtype})" if bad is not None else f"its type is {column.dtype}"
        )
        raise MMMDataError(name, f"must be numeric, {found}")
    values = column.to_numpy(dtype=float)
    finite = np.isfinite(values) | (np.isnan(values) if allow_nan else False)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise MMMDataError(name, f"row {i} is not a finite number ({values[i]})")


def column_name(field: str, value: Any) -> str:
    """One column name (text), or an :class:`MMMDataError` naming ``field``."""
    if not isinstance(value, str) or not value:
        raise MMMDataError(field, f"expected a column name, got {value!r}")
    return value


def column_names(field: str, value: Any) -> list[str]:
    """A list of column names; a single string is refused rather than read letter by letter."""
    if isinstance(value, str):
        raise MMMDataError(
            field,
            f"expected a list of column names, got the text {value!r}; write {field}=[{value!r}]",
        )
    if (
        value is None
        or isinstance(value, dict)
        or not isinstance(value, Sequence | np.ndarray | pd.Index)
    ):
        raise MMMDataError(field, f"expected a list of column names, got {type(value).__name__}")
    names = list(value)
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad:
        raise MMMDataError(field, f"column names must be text, got {bad[0]!r}")
    return names


def whole_number(field: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (not a bool, not text), at least ``minimum``; else an error naming ``field``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        else:
            raise MMMDataError(field, f"must be a whole number, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise MMMDataError(field, f"must be ≥ {minimum}, got {value}")
    return value


def check_horizons(
    horizons: Any, n_rows: int, *, field: str = "horizons", min_train_rows: int = 10
) -> list[int]:
    """Holdout horizons: whole numbers of weeks ≥ 1, each leaving ``min_train_rows`` rows to
    train on; the error names ``field`` (``holdout`` for a production fleet's one horizon)."""
    if isinstance(horizons, str) or not isinstance(horizons, Sequence | np.ndarray):
        raise MMMDataError(
            field, f"expected a list of whole numbers of weeks, e.g. [4, 8, 12], got {horizons!r}"
        )
    if len(horizons) == 0:
        raise MMMDataError(field, "needs at least one horizon, e.g. [4, 8, 12]")
    out = [whole_number(field, h, minimum=1) for h in horizons]
    return [check_holdout(h, n_rows, field=field, min_train_rows=min_train_rows) for h in out]


def check_holdout(
    holdout: Any, n_rows: int, *, field: str = "holdout", min_train_rows: int = 10
) -> int:
    """Weeks held out at the end (≥ 1), leaving at least ``min_train_rows`` to train on."""
    holdout = whole_number(field, holdout, minimum=1)
    if n_rows - holdout < min_train_rows:
        raise MMMDataError(
            field,
            f"{n_rows} rows leave {n_rows - holdout} for training after a holdout of "
            f"{holdout}; at least {min_train_rows} are needed",
        )
    return holdout


def check_seeds(seeds: Any, field: str = "seeds") -> list[int]:
    """A non-empty list of seeds (whole numbers ≥ 0)."""
    if isinstance(seeds, str) or not isinstance(seeds, Sequence | np.ndarray) or len(seeds) == 0:
        raise MMMDataError(field, f"expected a non-empty list of whole numbers, got {seeds!r}")
    return [whole_number(field, s, minimum=0) for s in seeds]


def check_trims(trims: Any, n_rows: int, *, field: str = "trims", min_rows: int = 20) -> list[int]:
    """Weeks dropped from the start (whole numbers ≥ 0), each leaving ``min_rows`` rows."""
    values = check_seeds(trims, field)
    too_many = [t for t in values if n_rows - t < min_rows]
    if too_many:
        raise MMMDataError(
            field, f"each must leave at least {min_rows} of the {n_rows} rows, got {too_many[0]}"
        )
    return values
