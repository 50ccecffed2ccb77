"""nutpie: a finished fit that does not keep its tuning draws converts its trace without
them, and the live trace still ends with every draw, tuning draws first."""

from __future__ import annotations

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting.backends.base import FitConfig
from bayes_widgets.core.fitting.backends.nutpie_backend import NutpieBackend

CHAINS, TUNE, DRAWS = 2, 120, 80


def config(**kwargs) -> FitConfig:
    options = {
        "draws": DRAWS,
        "tune": TUNE,
        "chains": CHAINS,
        "cores": 1,
        "seed": 5,
        "target_accept": None,
    }
    return FitConfig(**{**options, **kwargs})


class Sampler:
    """Stands in for nutpie's background sampler: only its conversion setting matters."""

    _save_warmup = True


class TraceState:
    def __init__(self):
        self.chunks = {c: [] for c in range(CHAINS)}

    def append_trace(self, chain, values, tuning, diverging):
        self.chunks[chain].append((values.copy(), tuning.copy(), diverging.copy()))

    def values(self, chain):
        return np.concatenate([v for v, _, _ in self.chunks[chain]])

    def tuning(self, chain):
        return np.concatenate([t for _, t, _ in self.chunks[chain]])


def fit(model, **kwargs):
    """A nutpie fit of ``model`` with this file's draws, tuning and chains."""
    return bw.fit(model, backend="nutpie", draws=DRAWS, tune=TUNE, chains=CHAINS, cores=1, **kwargs)


@pytest.fixture(scope="module")
def full_trace(tiny_model):
    """A real nutpie trace with its tuning draws."""
    r = fit(tiny_model, seed=5, keep_warmup=True)
    assert r.status == "finished"
    return r.idata


def without_warmup(idata):
    """The trace as nutpie converts it when told to leave the tuning draws out."""
    import xarray as xr

    return xr.DataTree.from_dict(
        {name: idata[name].to_dataset() for name in ("posterior", "sample_stats")}
    )


def test_the_final_conversion_leaves_out_tuning_draws_the_fit_does_not_keep(tiny_model):
    backend = NutpieBackend(tiny_model, config(), var_names=["mu"])
    backend._cursor = [TUNE, TUNE + 10]  # the live trace has every tuning draw
    sampler = Sampler()
    assert backend._convert_without_warmup(sampler) is True
    assert sampler._save_warmup is False


@pytest.mark.parametrize(
    ("keep_warmup", "cursor", "has_setting"),
    [
        (True, [TUNE, TUNE], True),  # the result keeps them
        (False, [TUNE, TUNE - 1], True),  # the live trace still lacks one of them
        (False, [TUNE, TUNE], False),  # a nutpie without the setting
    ],
)
def test_tuning_draws_are_converted_when_needed(tiny_model, keep_warmup, cursor, has_setting):
    backend = NutpieBackend(tiny_model, config(keep_warmup=keep_warmup), var_names=["mu"])
    backend._cursor = cursor
    sampler = Sampler() if has_setting else object()
    assert backend._convert_without_warmup(sampler) is False
    if has_setting:
        assert sampler._save_warmup is True


def test_a_fit_without_a_live_trace_always_leaves_them_out(tiny_model):
    backend = NutpieBackend(tiny_model, config(), var_names=[])
    backend._cursor = [0, 0]
    assert backend.trace_names == ()
    assert backend._convert_without_warmup(Sampler()) is True


def test_the_live_trace_continues_after_the_tuning_draws(tiny_model, full_trace):
    backend = NutpieBackend(tiny_model, config(), var_names=["mu", "sigma"])
    state = TraceState()
    # the live trace took the first TUNE + 30 draws of each chain while sampling ...
    backend._cursor = [0] * CHAINS
    partial = full_trace.copy()
    for group in ("posterior", "sample_stats"):
        partial[group] = partial[group].to_dataset().isel(draw=slice(0, 30))
    backend._take_trace(state, partial)
    assert backend._cursor == [TUNE + 30] * CHAINS
    # ... and the final trace, converted without tuning draws, brings the rest
    final = without_warmup(full_trace)
    assert backend._draws_completed(final) == (TUNE + DRAWS,) * CHAINS
    backend._take_trace(state, final)
    assert backend._cursor == [TUNE + DRAWS] * CHAINS
    for chain in range(CHAINS):
        values = state.values(chain)
        assert values.shape == (TUNE + DRAWS, 2)
        tuning = state.tuning(chain)
        assert tuning[:TUNE].all() and not tuning[TUNE:].any()
        for j, name in enumerate(("mu", "sigma")):
            warm = full_trace["warmup_posterior"][name].values[chain]
            post = full_trace["posterior"][name].values[chain]
            np.testing.assert_array_equal(values[:TUNE, j], warm)
            np.testing.assert_array_equal(values[TUNE:, j], post)


def test_a_trace_with_its_tuning_draws_leaves_the_count_to_the_trace(tiny_model, full_trace):
    backend = NutpieBackend(tiny_model, config(), var_names=["mu"])
    assert backend._draws_completed(full_trace) is None


@pytest.mark.parametrize("var_names", [None, []])
def test_a_default_fit_has_every_draw_counted_and_no_tuning_group(
    tiny_model, var_names, monkeypatch
):
    decided = []
    real = NutpieBackend._convert_without_warmup

    def spy(self, sampler):
        decided.append(real(self, sampler))
        return decided[-1]

    monkeypatch.setattr(NutpieBackend, "_convert_without_warmup", spy)
    r = fit(tiny_model, var_names=var_names)
    assert r.status == "finished"
    if var_names == []:  # no live trace: converted without its tuning draws
        assert decided == [True]
    assert not [g for g in r.idata.children if g.startswith("warmup_")]
    assert r.draws_completed == (TUNE + DRAWS,) * CHAINS
    assert r.idata["posterior"].to_dataset().sizes["draw"] == DRAWS
