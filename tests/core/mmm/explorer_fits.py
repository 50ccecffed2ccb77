"""Small fitted MMMs for the one-pager's tests, fitted once per test session.

A national ``MMMModel`` fitted on its first 40 weeks (the 6 after are its test period), and
a geo model written directly with pymc-marketing's ``MMM(dims=("geo",))`` on two geos.
Few weeks and draws: the numbers are checked against the draws, not against the truth.
"""

from __future__ import annotations

import functools
import warnings

import pandas as pd

from bayes_widgets.core import datasets
from bayes_widgets.core.mmm.model import MMMModel

WEEKS, TEST = 46, 6
FIT = {"draws": 30, "tune": 80, "chains": 2, "seed": 3}


@functools.cache
def national_model() -> MMMModel:
    """``x1``, ``x2`` and two event controls, fitted on the first 40 of 46 weeks."""
    data = datasets.mmm_example().iloc[:WEEKS].reset_index(drop=True)
    model = MMMModel(
        data,
        target="y",
        date_column="date_week",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=3,
        yearly_seasonality=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(rows=slice(0, WEEKS - TEST), cores=1, **FIT)
    assert result.status == "finished", result.message
    return model


def geo_frame(weeks: int = 36) -> pd.DataFrame:
    """pymc-marketing's two-geo example data, its first ``weeks`` weeks."""
    data = datasets.mmm_multidimensional()
    data = data.assign(date=pd.to_datetime(data["date"]))
    dates = sorted(data["date"].unique())[:weeks]
    return data[data["date"].isin(dates)].reset_index(drop=True)


@functools.cache
def geo_mmm():
    """A pymc-marketing ``MMM(dims=("geo",))`` written as its docs show, fitted through
    bayes_widgets' fit session (every parameter per geo, pymc-marketing's default)."""
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from bayes_widgets.core.fitting.session import FitSession
    from bayes_widgets.core.mmm.fitting import attach_fit, sampling_model

    data = geo_frame()
    mmm = MMM(
        date_column="date",
        channel_columns=["x1", "x2"],
        control_columns=["event_1", "event_2"],
        target_column="y",
        dims=("geo",),
        adstock=GeometricAdstock(l_max=3),
        saturation=LogisticSaturation(),
        yearly_seasonality=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.build_model(data.drop(columns="y"), data["y"])
        result = FitSession(sampling_model(mmm), backend="nutpie", cores=1, **FIT).start().wait()
    assert result.status == "finished", result.message
    attach_fit(mmm, result.idata)
    return mmm
