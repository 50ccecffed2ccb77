"""The default MMM fit: the sampler options MMMModel.fit uses when the user sets none."""

from __future__ import annotations

import pytest

from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.core.mmm.fitting import (
    DEFAULT_BACKEND,
    DEFAULT_CHAINS,
    DEFAULT_DRAWS,
    DEFAULT_GEO_DRAWS,
    DEFAULT_GEO_TUNE,
    DEFAULT_TUNE,
    default_draws,
    default_sampler_kwargs,
    default_tune,
)
from bayes_widgets.datasets import mmm_example


def make(**kwargs):
    opts = {
        "target": "y",
        "date_column": "date_week",
        "channels": ["x1", "x2"],
        "controls": ["event_1", "event_2"],
        "lag_max": 4,
    }
    opts.update(kwargs)
    return MMMModel(mmm_example(), **opts)


class _Session:
    """Stands in for FitSession: records what MMMModel.fit asks of it."""

    seen: dict = {}

    def __init__(self, model, **kwargs):
        _Session.seen = {"model": model, **kwargs}

    def subscribe(self, fn):
        return None

    def start(self):
        return self

    def wait(self):
        return "result"


@pytest.fixture
def recorded(monkeypatch):
    import bayes_widgets.core.fitting.session as session

    monkeypatch.setattr(session, "FitSession", _Session)
    _Session.seen = {}
    return _Session


def test_nutpie_adapts_the_mass_matrix_from_the_draws():
    assert DEFAULT_BACKEND == "nutpie"
    options = default_sampler_kwargs("nutpie")
    assert options["adaptation"] == "draw_diag"
    # every default is an option nutpie's sampler settings know
    from nutpie import _lib

    settings = _lib.PyNutsSettings.Diag(1)
    settings.update({k: v for k, v in options.items() if k != "adaptation"})
    # other backends keep their own defaults
    assert default_sampler_kwargs("pymc") == {} and default_sampler_kwargs("numpyro") == {}


def test_default_draws_tuning_and_chains():
    # national models: 4 chains of 1000 tuning + 2000 kept draws; geo models 500 + 1500
    assert (DEFAULT_CHAINS, DEFAULT_TUNE, DEFAULT_DRAWS) == (4, 1000, 2000)
    assert (DEFAULT_GEO_TUNE, DEFAULT_GEO_DRAWS) == (500, 1500)
    assert default_draws() == default_draws(()) == DEFAULT_DRAWS
    assert default_draws(("geo",)) == DEFAULT_GEO_DRAWS
    assert default_tune() == default_tune(()) == DEFAULT_TUNE
    assert default_tune(("geo",)) == DEFAULT_GEO_TUNE


def test_fit_samples_with_the_defaults_unless_the_user_overrides_them(recorded):
    model = make()
    assert model.fit(seed=3) == "result"
    seen = recorded.seen
    assert seen["backend"] == "nutpie" and seen["chains"] == 4 and seen["seed"] == 3
    assert seen["sampler_kwargs"] == default_sampler_kwargs("nutpie")
    assert seen["target_accept"] == 0.9  # above nutpie's 0.8: no divergence on small MMMs
    assert seen["draws"] == 2000 and seen["tune"] == 1000

    model.fit(sampler_kwargs={"adaptation": "diag"}, target_accept=0.8)
    assert recorded.seen["sampler_kwargs"]["adaptation"] == "diag"
    assert recorded.seen["target_accept"] == 0.8

    model.fit(backend="pymc")
    assert recorded.seen["sampler_kwargs"] == {}
    model.fit(draws=300, tune=200, chains=2)
    assert (recorded.seen["draws"], recorded.seen["tune"], recorded.seen["chains"]) == (300, 200, 2)


def test_a_geo_model_tunes_500_and_keeps_1500_draws_per_chain_by_default(recorded):
    from bayes_widgets.datasets import mmm_multidimensional

    geo = MMMModel(
        mmm_multidimensional(),
        target="y",
        date_column="date",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        lag_max=4,
        dims=("geo",),
    )
    geo.fit(seed=1)
    seen = recorded.seen
    assert (seen["tune"], seen["draws"], seen["chains"]) == (500, 1500, 4)
    geo.fit(tune=800, draws=600)
    assert (recorded.seen["tune"], recorded.seen["draws"]) == (800, 600)


@pytest.mark.slow
def test_a_small_mmm_converges_with_the_defaults_in_a_short_run():
    # saturation_lam[x2] mixes slowest here: about 0.17 effective draws per draw
    model = make(time_varying_media=False)
    result = model.fit(draws=1000, tune=500, seed=11)
    d = result.diagnostics
    assert result.status == "finished" and d.chains == 4
    assert d.rhat_max <= 1.01, d.rhat_max
    assert d.ess_bulk_min >= 500, d.ess_bulk_min
    assert d.divergences == 0


def test_a_geo_model_targets_a_higher_acceptance_unless_the_user_sets_one(recorded):
    from bayes_widgets.core.datasets import MMM_GEO_CHANNELS, MMM_GEO_CONTROLS, mmm_geo
    from bayes_widgets.core.mmm.fitting import default_target_accept

    assert default_target_accept() == 0.9 and default_target_accept(("geo",)) == 0.95
    geo = MMMModel(
        mmm_geo(2, weeks=20),
        target="revenue",
        date_column="time",
        channels=MMM_GEO_CHANNELS[:2],
        controls=MMM_GEO_CONTROLS,
        dims=("geo",),
    )
    geo.fit(seed=1)
    assert recorded.seen["target_accept"] == 0.95
    assert recorded.seen["draws"] == DEFAULT_GEO_DRAWS
    geo.fit(seed=1, target_accept=0.85)
    assert recorded.seen["target_accept"] == 0.85
