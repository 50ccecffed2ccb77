"""Prior draws at fixed probabilities: SciPy's quantile functions agree with PreliZ's."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_widgets.core.priors import FAMILIES, PriorDist, PriorError
from bayes_widgets.core.priors.sampling import (
    QUANTILE_FUNCTIONS,
    draws_at,
    stratified_uniforms,
)


@pytest.mark.parametrize("family", sorted(QUANTILE_FUNCTIONS))
def test_each_quantile_function_is_the_familys(family):
    dist = PriorDist.create(family)
    u = np.array([0.02, 0.3, 0.5, 0.77, 0.98])
    expected = np.asarray(dist.to_preliz().ppf(u), dtype=float)
    np.testing.assert_allclose(draws_at(dist, u), expected, rtol=1e-6, atol=1e-9)


def test_families_without_one_fall_back_to_preliz():
    discrete = [f for f in FAMILIES if f not in QUANTILE_FUNCTIONS]
    assert discrete  # Poisson, NegativeBinomial
    for family in discrete:
        dist = PriorDist.create(family)
        u = np.array([0.1, 0.5, 0.9])
        np.testing.assert_allclose(draws_at(dist, u), dist.to_preliz().ppf(u))


def test_stratified_uniforms_cover_each_stratum_once():
    u = stratified_uniforms(200, seed=3)
    assert u.shape == (200,) and np.all((u > 0) & (u < 1))
    assert sorted(np.floor(u * 200).astype(int)) == list(range(200))
    assert not np.all(np.diff(u) > 0)  # shuffled: independent of another parameter's
    np.testing.assert_array_equal(u, stratified_uniforms(200, seed=3))


def test_draws_move_continuously_with_a_parameter():
    u = stratified_uniforms(300)
    a = draws_at(PriorDist.create("Beta", alpha=2.0, beta=3.0), u)
    b = draws_at(PriorDist.create("Beta", alpha=2.01, beta=3.0), u)
    assert np.max(np.abs(a - b)) < 0.01


def test_bad_requests_name_the_field():
    with pytest.raises(PriorError, match="draws"):
        stratified_uniforms(0)
    with pytest.raises(PriorError, match="element"):
        draws_at(PriorDist.create("Normal", dims="channel", mu=np.zeros(2)), np.array([0.5]))
