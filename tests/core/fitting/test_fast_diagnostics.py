"""The vectorised rank R-hat, bulk ESS and tail ESS give ArviZ's numbers."""

from __future__ import annotations

import arviz_stats as azs
import numpy as np
import pytest

from bayes_widgets.core.fitting.fast_diagnostics import rank_diagnostics
from bayes_widgets.core.fitting.parameter_table import block_statistics

RNG = np.random.default_rng(0)


def _ar1(chains, draws, k, phi):
    e = RNG.normal(size=(chains, draws, k))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0]
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


CASES = {
    "independent": RNG.normal(size=(4, 400, 12)),
    "autocorrelated": _ar1(4, 400, 12, 0.9),
    "barely mixing": _ar1(2, 300, 8, 0.995),
    "anticorrelated": _ar1(2, 200, 8, -0.7),
    "odd draws": RNG.normal(size=(3, 101, 8)),
    "five draws": RNG.normal(size=(2, 5, 8)),
    "four draws": RNG.normal(size=(2, 4, 8)),
    "one chain": _ar1(1, 300, 8, 0.5),
    "ties": RNG.integers(0, 3, size=(4, 200, 8)).astype(float),
    "one chain apart": RNG.normal(size=(4, 300, 8)) + np.array([0, 0, 0, 2.0])[:, None, None],
    "constant": np.ones((2, 100, 3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rank_diagnostics_equal_arviz(name):
    draws = CASES[name]
    rhat, bulk, tail = rank_diagnostics(draws)
    with np.errstate(all="ignore"):
        want_rhat = azs.rhat(draws) if draws.shape[0] > 1 else np.full(draws.shape[2], np.nan)
        want_bulk = azs.ess(draws, method="bulk")
        want_tail = azs.ess(draws, method="tail", prob=(0.05, 0.95))
    np.testing.assert_allclose(rhat, want_rhat, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(bulk, want_bulk, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(tail, want_tail, rtol=1e-9, equal_nan=True)


def test_draws_with_a_nan_fall_back_to_arviz():
    draws = RNG.normal(size=(2, 50, 3))
    draws[0, 3, 1] = np.nan
    stats = block_statistics(draws)
    with np.errstate(all="ignore"):
        want = azs.ess(draws, method="bulk")
    np.testing.assert_allclose(stats["ess_bulk"], want, rtol=1e-12, equal_nan=True)
    assert np.isfinite(stats["ess_bulk"][[0, 2]]).all()
