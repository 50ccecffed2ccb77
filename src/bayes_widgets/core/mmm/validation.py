"""Checks of MMM data, each failing with an error that names the offending field."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


class MMMDataError(ValueError):
    """Bad MMM data or configuration; ``field`` names the column or setting to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def validate_mmm_data(
    data: pd.DataFrame,
    *,
    date_column: str,
    target: str | None,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    holdout: int = 0,
    min_train_rows: int = 10,
) -> pd.DataFrame:
    """Returns ``data`` with the date column parsed, or raises :class:`MMMDataError`.

    Checks: the columns exist; spends and controls are numeric and finite; spends are
    not negative; the target (when given) is numeric with no NaN; dates parse, are
    unique and increasing; enough rows remain after a ``holdout`` of the last rows.
    """
    if not isinstance(data, pd.DataFrame):
        raise MMMDataError("data", f"expected a pandas DataFrame, got {type(data).__name__}")
    if not channels:
        raise MMMDataError("channels", "at least one channel column is needed")
    names = [date_column, *([target] if target else []), *channels, *controls]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise MMMDataError(name, "is given twice (a column can have one role)")
        seen.add(name)
        if name not in data.columns:
            raise MMMDataError(name, f"no such column (columns: {', '.join(map(str, data.columns))})")
    for name in [*channels, *controls]:
        _numeric(data, name)
    for name in channels:
        values = data[name].to_numpy(dtype=float)
        if (values < 0).any():
            i = int(np.flatnonzero(values < 0)[0])
            raise MMMDataError(name, f"spend cannot be negative (row {i}: {values[i]:g})")
    if target:
        _numeric(data, target, allow_nan=True)
        missing = int(data[target].isna().sum())
        if missing:
            raise MMMDataError(target, f"target has {missing} NaN value(s); drop or fill those rows")
    dates = pd.to_datetime(data[date_column], errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise MMMDataError(date_column, f"row {i} is not a date: {data[date_column].iloc[i]!r}")
    if dates.duplicated().any():
        dup = dates[dates.duplicated()].iloc[0]
        raise MMMDataError(date_column, f"duplicate date {dup.date()}")
    if not dates.is_monotonic_increasing:
        raise MMMDataError(date_column, "dates must be sorted in increasing order")
    holdout = int(holdout)
    if holdout < 0:
        raise MMMDataError("holdout", f"must be ≥ 0, got {holdout}")
    if len(data) - holdout < min_train_rows:
        raise MMMDataError(
            "holdout",
            f"{len(data)} rows leave {len(data) - holdout} for training after a holdout of "
            f"{holdout}; at least {min_train_rows} are needed",
        )
    out = data.copy()
    out[date_column] = dates
    return out


def _numeric(data: pd.DataFrame, name: str, *, allow_nan: bool = False) -> None:
    column = data[name]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        bad = next((v for v in column if not isinstance(v, int | float | np.number)), column.iloc[0])
        raise MMMDataError(name, f"must be numeric, found {bad!r} ({column.dtype})")
    values = column.to_numpy(dtype=float)
    finite = np.isfinite(values) | (np.isnan(values) if allow_nan else False)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise MMMDataError(name, f"row {i} is not a finite number ({values[i]})")
