"""Fitted MMMs shared by the tests of this folder: each is fitted once per test run (once
per worker under pytest-xdist), so tests that only read a fit do not refit the same model.

Tests must not change a shared model (no ``set_priors``, ``fit`` or ``refresh`` on it):
those that need to, load a copy (``save`` then ``MMMModel.load``) or build their own.
"""

from __future__ import annotations

import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.datasets import mmm_example

NATIONAL_WEEKS = 160
"""Weeks of ``mmm_example`` the shared national model is fitted on (the rest is new data)."""
NATIONAL_OPTIONS = {
    "target": "y",
    "date_column": "date_week",
    "channels": ["x1", "x2"],
    "controls": ["event_1", "event_2"],
    "lag_max": 8,
}
NATIONAL_FIT = {"draws": 100, "tune": 150, "chains": 2, "seed": 1}


@pytest.fixture(scope="package")
def national_fit() -> MMMModel:
    """pymc-marketing's example data (two channels, two event controls), its first 160
    weeks, fitted by nutpie with few draws: enough for summaries, predictions and
    posterior bands much narrower than the priors', not for their last digit."""
    model = MMMModel(mmm_example().iloc[:NATIONAL_WEEKS], **NATIONAL_OPTIONS)
    result = model.fit(**NATIONAL_FIT)
    assert result.status == "finished", result.message
    return model
