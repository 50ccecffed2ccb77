"""Refits of one MMM on simulated targets sample one compiled model (nutpie compiles once)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.core.mmm.fitting import sampling_model, target_scale
from bayes_widgets.core.mmm.recovery_compile import SharedTarget, data_values
from bayes_widgets.datasets import mmm_example

CONFIG = {
    "target": "y",
    "date_column": "date_week",
    "channels": ["x1", "x2"],
    "controls": ["event_1"],
    "lag_max": 2,
}
FIT = {"draws": 40, "tune": 40, "chains": 1}


def simulated(data: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The data with another target: rescaled (so its scale changes) and noisier."""
    rng = np.random.default_rng(seed)
    out = data.copy()
    out["y"] = data["y"].to_numpy() * rng.uniform(0.5, 2.0) + rng.normal(0, 300, len(data))
    return out


@pytest.fixture
def compiles(monkeypatch):
    import nutpie

    calls: list[int] = []
    compile_pymc_model = nutpie.compile_pymc_model

    def counted(*args, **kwargs):
        calls.append(1)
        return compile_pymc_model(*args, **kwargs)

    monkeypatch.setattr(nutpie, "compile_pymc_model", counted)
    return calls


@pytest.mark.slow
def test_refits_sample_one_compile_and_match_a_fresh_build(compiles):
    """Three refits on other targets compile once; each samples its own target and scale
    (those of a fresh build), and the last one's draws are those of a model compiled on
    its data alone, with the same seed."""
    data = mmm_example().iloc[:40]
    shared = SharedTarget(MMMModel(data.copy(), **CONFIG).build())
    fitted = []
    for seed in (1, 2, 3):
        refit = MMMModel(simulated(data, seed), **CONFIG)
        result = shared.fit(refit, seed=seed, **FIT)
        assert result.status == "finished", result.message
        fitted.append(refit)
    assert len(compiles) == 1
    for refit in fitted:
        fresh = refit.build()
        scale = target_scale(fresh)
        assert scale == pytest.approx(np.abs(refit.data["y"]).max())
        assert target_scale(refit.mmm) == pytest.approx(scale)
        observed = refit.mmm.idata["observed_data"]["y"].values
        np.testing.assert_allclose(observed, refit.data["y"].to_numpy() / scale)
    scales = [target_scale(r.mmm) for r in fitted]
    assert len(set(scales)) == 3  # each refit its own target scale
    sigmas = [float(r.mmm.idata["posterior"]["y_sigma"].mean()) for r in fitted]
    assert len(set(sigmas)) == 3

    last = fitted[-1]
    alone = SharedTarget(last.build())  # compiled on the last target from the start
    again = MMMModel(last.data.copy(), **CONFIG)
    assert alone.fit(again, seed=3, **FIT).status == "finished"
    assert len(compiles) == 2
    for name in ("saturation_lam", "adstock_alpha", "y_sigma", "channel_contribution"):
        np.testing.assert_array_equal(
            again.mmm.idata["posterior"][name].values, last.mmm.idata["posterior"][name].values
        )

    # the shared model's density on the last target is the fully frozen fresh build's
    frozen = sampling_model(last.build())
    logp, ours = frozen.compile_logp(), shared.model.compile_logp()
    point = frozen.initial_point(0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        moved = {k: v + rng.normal(0, 0.1, np.shape(v)) for k, v in point.items()}
        assert ours(moved) == pytest.approx(logp(moved), rel=1e-9)


def test_refits_that_differ_beyond_the_target_are_fitted_on_their_own():
    """Lift tests (constants of the likelihood), other spend or another backend: the
    shared model declines, so such a refit builds and compiles its own."""
    data = mmm_example().iloc[:40]
    shared = SharedTarget(MMMModel(data.copy(), **CONFIG).build())
    other_target = MMMModel(simulated(data, 1), **CONFIG).build()
    assert shared.accepts(other_target, "nutpie")
    assert not shared.accepts(other_target, "pymc")
    spend = data.copy()
    spend["x1"] = spend["x1"] * 2
    assert not shared.accepts(MMMModel(spend, **CONFIG).build(), "nutpie")
    lifted = MMMModel(simulated(data, 1), **CONFIG)
    lifted.add_lift_tests(
        [{"channel": "x1", "x": 0.3, "delta_x": 0.1, "delta_y": 200.0, "sigma": 50.0}]
    )
    assert not shared.accepts(lifted.build(), "nutpie")
    # the shared data are the target and its scale; the rest is frozen into the graph
    assert set(data_values(shared.model)) == {"target_data", "target_scale"}
