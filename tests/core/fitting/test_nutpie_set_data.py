"""A model refitted with nutpie after ``pm.set_data`` samples the new data, not the data
it was first compiled with (the compiled model is cached per model object)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import bayes_widgets as bw

pytest.importorskip("nutpie")


def test_a_refit_after_set_data_samples_the_new_data():
    rng = np.random.default_rng(3)
    with pm.Model(coords={"obs": range(40)}) as model:
        y = pm.Data("y", rng.normal(0.0, 1.0, 40), dims="obs")
        mu = pm.Normal("mu", 0.0, 100.0)
        pm.Normal("obs_y", mu, 1.0, observed=y, dims="obs")
    first = bw.fit(model, backend="nutpie", draws=200, tune=200, chains=2, seed=1)
    assert abs(float(first.idata["posterior"]["mu"].mean())) < 1.0
    with model:
        pm.set_data({"y": rng.normal(25.0, 1.0, 40)})
    second = bw.fit(model, backend="nutpie", draws=200, tune=200, chains=2, seed=1)
    assert float(second.idata["posterior"]["mu"].mean()) == pytest.approx(25.0, abs=1.0)
    with model:  # and back: the first data again give the first posterior
        pm.set_data({"y": np.asarray(first.idata["observed_data"]["obs_y"].values)})
    third = bw.fit(model, backend="nutpie", draws=200, tune=200, chains=2, seed=1)
    np.testing.assert_allclose(
        third.idata["posterior"]["mu"].values, first.idata["posterior"]["mu"].values
    )
