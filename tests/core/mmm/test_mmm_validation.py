"""MMM data checks: each bad input names the field to fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm import MMMDataError, validate_mmm_data


def frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "week": pd.date_range("2024-01-01", periods=n, freq="W-MON").strftime("%Y-%m-%d"),
            "sales": rng.normal(100, 5, n),
            "tv": rng.uniform(0, 10, n),
            "search": rng.uniform(0, 5, n),
            "price": rng.normal(size=n),
        }
    )


def check(df, **kwargs):
    opts = {
        "date_column": "week",
        "target": "sales",
        "channels": ["tv", "search"],
        "controls": ["price"],
    }
    opts.update(kwargs)
    return validate_mmm_data(df, **opts)


def test_valid_data_passes_with_dates_parsed():
    out = check(frame())
    assert pd.api.types.is_datetime64_any_dtype(out["week"])


@pytest.mark.parametrize(
    ("mutate", "kwargs", "field", "words"),
    [
        (lambda d: d.drop(columns="tv"), {}, "tv", "no such column"),
        (lambda d: d.assign(tv=["a"] * len(d)), {}, "tv", "numeric"),
        (lambda d: d.assign(tv=d.tv.where(d.index != 3, -1.0)), {}, "tv", "negative"),
        (lambda d: d.assign(sales=d.sales.where(d.index != 5, np.nan)), {}, "sales", "NaN"),
        (lambda d: d.assign(price=d.price.where(d.index != 2, np.inf)), {}, "price", "finite"),
        (lambda d: d.assign(week=d.week.where(d.index != 4, d.week[3])), {}, "week", "duplicate"),
        (lambda d: d.iloc[::-1].reset_index(drop=True), {}, "week", "sorted"),
        (
            lambda d: d.assign(week=d.week.where(d.index != 1, "not a date")),
            {},
            "week",
            "not a date",
        ),
        (lambda d: d, {"holdout": 25}, "holdout", "at least"),
        (lambda d: d, {"holdout": -1}, "holdout", "≥ 0"),
        (lambda d: d, {"channels": []}, "channels", "at least one"),
        (lambda d: d, {"controls": ["tv"]}, "tv", "twice"),
    ],
)
def test_bad_data_names_the_field(mutate, kwargs, field, words):
    with pytest.raises(MMMDataError) as info:
        check(mutate(frame()), **kwargs)
    assert info.value.field == field
    assert words in str(info.value)


def test_not_a_dataframe():
    with pytest.raises(MMMDataError, match="data: expected a pandas DataFrame"):
        validate_mmm_data([1, 2], date_column="d", target="y", channels=["c"])
