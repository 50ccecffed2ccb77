"""What a fit session spends besides sampling: the compiled point converter reused, the
pump's share of the time bounded, the tuning draws converted only when kept, nutpie's
data groups and attributes as ``pm.sample`` gives them."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting import pacing
from bayes_widgets.core.fitting.backends.pymc_backend import cached_point_converter
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.model_info import resolve_trace_names
from tests.conftest import _TINY_Y
from tests.events import Recorder


def _data_model():
    """A hand-written regression with pm.Data, named dims, a deterministic."""
    import pymc as pm

    x = np.linspace(-1.0, 1.0, 12)
    with pm.Model(coords={"obs": np.arange(12)}) as model:
        xs = pm.Data("x", x, dims="obs")
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Deterministic("mid", a + b * xs[6], dims=())
        pm.Normal("y", a + b * xs, sigma, observed=0.5 + 2.0 * x, dims="obs")
    return model


def test_point_converter_compiled_once_per_model_and_names():
    import pymc as pm

    model = _data_model()
    names = resolve_trace_names(model, ["a", "b", "mid"])
    convert = cached_point_converter(model, names)
    assert cached_point_converter(model, names) is convert
    assert cached_point_converter(model, names[:2]) is not convert
    points = [{"a": np.array(1.0), "b": np.array(2.0), "sigma_log__": np.array(0.0)}]
    np.testing.assert_allclose(convert(points), [[1.0, 2.0, 1.0 + 2.0 * 0.0909090909]], rtol=1e-6)
    # new data is read when the converter runs: no new compile needed
    with model:
        pm.set_data({"x": np.full(12, 3.0)})
    np.testing.assert_allclose(convert(points)[0, 2], 1.0 + 2.0 * 3.0)
    # a variable added to the model: a new converter
    with model:
        pm.Deterministic("twice_a", 2 * model["a"])
    assert cached_point_converter(model, names) is not convert


def test_pymc_fit_converts_no_tuning_draws_it_does_not_keep(tiny_model):
    session = FitSession(tiny_model, backend="pymc", draws=60, tune=40, chains=2, cores=1, seed=4)
    r = session.start().wait(timeout=120)
    assert r.status == "finished"
    assert not [g for g in r.idata.children if g.startswith("warmup_")]
    assert r.draws_completed == (100, 100)
    assert r.idata["posterior"].to_dataset().sizes["draw"] == 60
    assert r.idata["posterior"].attrs["tuning_steps"] == 40


def test_a_slow_subscriber_is_called_less_often(tiny_model, monkeypatch):
    """A subscriber that spends processor time on every progress event: the pump ticks
    at most about every PUMP_MAX_INTERVAL_S instead of rate_hz, and every draw still
    arrives, in order, before the terminal event."""
    monkeypatch.setattr(pacing, "PUMP_MAX_INTERVAL_S", 0.3)

    def busy(event):
        if isinstance(event, ev.ChainProgress):
            t = time.thread_time()
            while time.thread_time() - t < 0.02:  # 20 ms of work: 1 s per tick at a 2 % share
                pass

    rec = Recorder()
    session = FitSession(
        tiny_model,
        backend="pymc",
        draws=3000,
        tune=300,
        chains=2,
        cores=1,
        seed=5,
        rate_hz=50,
        keep_warmup=True,
    )
    session.subscribe(busy)
    session.subscribe(rec)
    t0 = time.perf_counter()
    r = session.start().wait(timeout=120)
    wall = time.perf_counter() - t0
    assert r.status == "finished"
    progress = rec.of(ev.ChainProgress)
    # 50 Hz would give ~50 per second; bounded, one per 0.3 s plus the first and the last
    assert 2 <= len(progress) <= wall / 0.3 + 3, (len(progress), wall)
    assert isinstance(rec.events[-1], ev.Finished)
    for chain in range(2):
        chunks = [c for c in rec.of(ev.TraceChunk) if c.chain == chain]
        assert [c.start for c in chunks] == list(
            np.cumsum([0] + [len(c.values) for c in chunks[:-1]])
        )
        assert sum(len(c.values) for c in chunks) == 3300


def test_nutpie_result_has_the_model_data_and_attributes(tiny_model):
    pytest.importorskip("nutpie")
    r = (
        FitSession(tiny_model, backend="nutpie", draws=50, tune=50, chains=2, cores=1, seed=6)
        .start()
        .wait(120)
    )
    assert r.status == "finished"
    assert {"posterior", "sample_stats", "observed_data"} <= set(r.idata.children)
    np.testing.assert_array_equal(r.idata["observed_data"]["y"].values, _TINY_Y)
    attrs = r.idata["posterior"].attrs
    assert attrs["inference_library"] == "nutpie" and attrs["tuning_steps"] == 50
    assert attrs["sampling_time"] > 0
