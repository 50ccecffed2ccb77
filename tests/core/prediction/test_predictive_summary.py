"""The prior-predictive display summary: bands, histogram, plausible range."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.priors.predictive import predictive_summary


def test_series_bands_and_outside_shares():
    rng = np.random.default_rng(0)
    draws = rng.normal(loc=np.arange(30.0), scale=1.0, size=(2000, 30))
    s = predictive_summary(draws, lower=0.0, upper=25.0)
    assert s["draws"] == 2000
    median = np.asarray(s["bands"]["0.5"])
    np.testing.assert_allclose(median, np.arange(30.0), atol=0.1)
    assert all(a <= b for a, b in zip(s["bands"]["0.05"], s["bands"]["0.95"], strict=True))
    out = s["outside"]
    assert out["share_below"] == pytest.approx((draws < 0).mean())
    assert out["share_above"] == pytest.approx((draws > 25).mean())
    assert out["share_draws"] == pytest.approx(((draws < 0) | (draws > 25)).any(axis=1).mean())
    assert sum(s["histogram"]["counts"]) == draws.size


def test_scalar_draws_get_a_histogram_only():
    s = predictive_summary(np.arange(100.0), upper=89.5)
    assert "bands" not in s
    assert s["outside"]["share_above"] == pytest.approx(0.1)


def test_bad_range_is_refused():
    with pytest.raises(ValueError, match="lower"):
        predictive_summary(np.zeros((3, 2)), lower=1.0, upper=0.0)
