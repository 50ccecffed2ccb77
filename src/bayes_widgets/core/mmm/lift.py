"""Lift tests: experiment results added to an MMM's likelihood.

    rows = check_lift_tests(model, df)     # channel, [geo], x, delta_x, delta_y, sigma
    mmm = model.build()
    apply_lift_tests(mmm, rows)            # before fitting

A lift test (a geo experiment, a conversion-lift study) measured what happened to the
target when a channel's spend per period moved from ``x`` to ``x + delta_x``: a lift of
``delta_y`` with standard deviation ``sigma``. Spend is in the units of the channel's
column and the lift in the units of the target, per period (a week for weekly data).
pymc-marketing's ``MMM.add_lift_test_measurements`` scales both the way the model scales
its data and adds, for each row, ``delta_y ~ Normal(s(x + delta_x) - s(x), sigma)``, where
``s`` is the channel's saturation curve (its contribution per period at a steady spend).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from bayes_widgets.core.mmm.validation import MMMDataError

LIFT_COLUMNS = ("x", "delta_x", "delta_y", "sigma")
LIKELIHOOD_NAME = "lift_measurements"


def _table(df: Any) -> pd.DataFrame:
    if isinstance(df, pd.DataFrame):
        return df.copy()
    if isinstance(df, list | tuple) and all(isinstance(r, dict) for r in df):
        return pd.DataFrame(list(df))
    raise MMMDataError(
        "lift_tests",
        f"expected a DataFrame (or a list of rows as dicts), got {type(df).__name__}",
    )


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    field = f"lift_tests.{column}"
    values = np.asarray(pd.to_numeric(table[column], errors="coerce"), dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise MMMDataError(
            field, f"row {i}: expected a finite number, got {_show(table[column].iloc[i])}"
        )
    return values


def _show(value: Any) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):g}"
    return repr(value)


def _first(mask: np.ndarray) -> int | None:
    rows = np.flatnonzero(mask)
    return int(rows[0]) if rows.size else None


def _labels(table: pd.DataFrame, column: str, allowed: list[str], what: str) -> None:
    field = f"lift_tests.{column}"
    known = {str(a) for a in allowed}
    for i, value in enumerate(table[column]):
        if str(value) not in known:
            raise MMMDataError(
                field,
                f"row {i}: unknown {what} {value!r} (the model's: {', '.join(map(str, allowed))})",
            )


def check_lift_tests(model, df) -> pd.DataFrame:
    """The lift tests ``df`` checked against ``model`` (an :class:`MMMModel`).

    Columns: ``channel`` (one of the model's channels), one column per model dimension
    (``geo`` for a geo model, its labels), ``x`` (spend per period before the test, >= 0),
    ``delta_x`` (its change, not 0, ``x + delta_x >= 0``), ``delta_y`` (the measured lift in
    target units per period) and ``sigma`` (the lift's standard deviation, > 0); a
    time-varying-media model also needs ``date`` (a date of the data: when the test ran).
    Returns those columns in that order (other columns are dropped); every bad field raises
    :class:`MMMDataError` naming it (``lift_tests.sigma``) and the row.
    """
    table = _table(df)
    dims = tuple(getattr(model, "dims", ()) or ())
    time_varying = bool(getattr(model, "time_varying_media", False))
    columns = ["channel", *dims, *LIFT_COLUMNS, *(["date"] if time_varying else [])]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise MMMDataError(
            "lift_tests",
            f"missing column(s) {', '.join(missing)} (a lift test needs {', '.join(columns)})",
        )
    if len(table) == 0:
        raise MMMDataError("lift_tests", "has no rows")
    table = table.loc[:, columns].reset_index(drop=True)
    _labels(table, "channel", list(model.channels), "channel")
    table["channel"] = table["channel"].astype(str)
    for dim in dims:
        labels = list(getattr(model, f"{dim}s", None) or model.data[dim].unique())
        _labels(table, dim, labels, dim)
        table[dim] = table[dim].map({str(v): v for v in labels} | {v: v for v in labels})
    values = {c: _numbers(table, c) for c in LIFT_COLUMNS}
    checks = (
        ("x", values["x"] < 0, "spend before the test must be >= 0"),
        ("delta_x", values["delta_x"] == 0, "the change in spend must not be 0"),
        (
            "delta_x",
            values["x"] + values["delta_x"] < 0,
            "x + delta_x (spend during the test) must be >= 0",
        ),
        ("sigma", values["sigma"] <= 0, "the lift's standard deviation must be > 0"),
    )
    for column, mask, what in checks:
        i = _first(mask)
        if i is not None:
            raise MMMDataError(
                f"lift_tests.{column}", f"row {i}: {what}, got {values[column][i]:g}"
            )
    for column in LIFT_COLUMNS:
        table[column] = values[column]
    if time_varying:
        table["date"] = _dates(table["date"], model.data[model.date_column])
    return table


def _dates(given: pd.Series, known: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(given, errors="coerce")
    known_dates = set(pd.to_datetime(known))
    for i, (raw, date) in enumerate(zip(given, parsed, strict=True)):
        if pd.isna(date) or date not in known_dates:
            raise MMMDataError("lift_tests.date", f"row {i}: {raw!r} is not a date of the data")
    return parsed


def apply_lift_tests(mmm, lift_df: pd.DataFrame | None) -> None:
    """Adds checked lift tests (see :func:`check_lift_tests`) to a built pymc-marketing
    ``MMM``'s likelihood, as the observed variable ``lift_measurements``; nothing when
    ``lift_df`` is None or empty. Spend and lift are in the data's units: pymc-marketing
    scales them as it scales the model's data."""
    if lift_df is None or len(lift_df) == 0:
        return
    if not hasattr(mmm, "model"):
        raise MMMDataError("lift_tests", "the model must be built before lift tests are added")
    if LIKELIHOOD_NAME in mmm.model.named_vars:
        raise MMMDataError("lift_tests", "this model already has its lift tests")
    mmm.add_lift_test_measurements(lift_df.reset_index(drop=True), name=LIKELIHOOD_NAME)


__all__ = ["LIFT_COLUMNS", "apply_lift_tests", "check_lift_tests"]
