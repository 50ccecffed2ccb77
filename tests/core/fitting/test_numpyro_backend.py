"""NumPyro NUTS in the fit session: same events, result and diagnostics as PyMC/nutpie."""

from __future__ import annotations

import functools
import json
import time

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from tests.events import Recorder
from tests.numpyro_models import eight_schools, eight_schools_data

pytest.importorskip("numpyro")

SIGMA, Y = eight_schools_data()
ARGS = {"model_args": (SIGMA,), "model_kwargs": {"y": Y}}
TERMINAL = (ev.Finished, ev.Cancelled, ev.Failed)


class CompileCounter:
    """Counts XLA compilations of the chunk function (JAX's own monitoring events)."""

    _instance = None

    def __init__(self):
        import jax

        self.names: list[str] = []
        jax.monitoring.register_event_duration_secs_listener(self._on_event)

    def _on_event(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.names.append(str(kwargs.get("fun_name", "")))

    @classmethod
    def get(cls) -> CompileCounter:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


@pytest.fixture(scope="module")
def numpyro_fit():
    """One eight-schools fit with NumPyro NUTS (warmup kept), with its events."""
    counter = CompileCounter.get()
    before = len(counter.names)
    session = FitSession(
        eight_schools,
        backend="numpyro",
        draws=1000,
        tune=1000,
        chains=2,
        seed=3,
        keep_warmup=True,
        rate_hz=20,
        **ARGS,
    )
    rec = Recorder()
    session.subscribe(rec)
    result = session.start().wait(timeout=300)
    return session, rec, result, counter.names[before:]


def test_eight_schools_matches_pymc_posterior_means(numpyro_fit):
    """NumPyro's and PyMC's posterior means agree within 4 Monte Carlo standard errors."""
    from bayes_widgets.datasets import eight_schools_noncentered

    _, _, npy, _ = numpyro_fit
    pymc = bw.fit(
        eight_schools_noncentered(),
        backend="pymc",
        draws=1000,
        tune=1000,
        chains=2,
        cores=1,
        seed=3,
    )
    assert npy.status == pymc.status == "finished"
    a = {p["name"]: p for p in npy.diagnostics.parameters}
    b = {p["name"]: p for p in pymc.diagnostics.parameters}
    assert set(a) == set(b)  # same sites, same element names
    for name in ("mu", "tau", *(f"theta[{i}]" for i in range(8)), "theta_trans[0]"):
        p, q = a[name], b[name]
        mcse = np.hypot(p["sd"] / np.sqrt(p["ess_bulk"]), q["sd"] / np.sqrt(q["ess_bulk"]))
        assert abs(p["mean"] - q["mean"]) < 4 * mcse + 0.02 * q["sd"], (
            name,
            p["mean"],
            q["mean"],
            mcse,
        )
    # and both near the exact means (tests/core/fitting/test_reference_posteriors.py): mu 4.40, tau 3.60
    assert a["mu"]["mean"] == pytest.approx(
        4.40, abs=4 * a["mu"]["sd"] / np.sqrt(a["mu"]["ess_bulk"]) + 0.1
    )
    assert a["tau"]["mean"] == pytest.approx(
        3.60, abs=4 * a["tau"]["sd"] / np.sqrt(a["tau"]["ess_bulk"]) + 0.1
    )
    assert npy.diagnostics.rhat_max < 1.02


def test_result_has_the_shape_of_the_other_backends(numpyro_fit):
    _session, _, r, _ = numpyro_fit
    assert (
        r.status == "finished" and not r.partial and r.backend == "numpyro" and r.method == "mcmc"
    )
    assert r.draws_completed == (2000, 2000)
    assert {
        "posterior",
        "sample_stats",
        "warmup_posterior",
        "warmup_sample_stats",
        "observed_data",
    } <= set(r.idata.children)
    post = r.idata["posterior"].to_dataset()
    assert dict(post.sizes) == {
        "chain": 2,
        "draw": 1000,
        "school": 8,
    }  # the plate names the dimension
    assert post["theta"].dims == ("chain", "draw", "school")
    np.testing.assert_allclose(
        post["theta"].values,
        post["mu"].values[..., None] + post["tau"].values[..., None] * post["theta_trans"].values,
        rtol=1e-4,
        atol=1e-4,
    )
    assert (post["tau"].values > 0).all()
    stats = r.idata["sample_stats"].to_dataset()
    for name in (
        "diverging",
        "energy",
        "lp",
        "step_size",
        "n_steps",
        "tree_depth",
        "acceptance_rate",
        "reached_max_tree_depth",
    ):
        assert stats[name].shape == (2, 1000), name
    assert stats["diverging"].dtype == bool
    np.testing.assert_array_equal(
        stats["tree_depth"].values, np.floor(np.log2(stats["n_steps"].values)) + 1
    )
    assert r.idata["warmup_posterior"].to_dataset().sizes["draw"] == 1000
    np.testing.assert_array_equal(r.idata["observed_data"]["y"].values, Y)
    d = r.diagnostics.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["backend"] == "numpyro" and d["chains"] == 2 and d["draws_per_chain"] == 1000
    assert d["divergences"] == int(stats["diverging"].values.sum())
    assert d["max_treedepth_hits"] == int(stats["reached_max_tree_depth"].values.sum())
    assert len(d["ebfmi"]) == 2 and all(e > 0.2 for e in d["ebfmi"])
    assert d["draws_per_s"] > 0 and 0 < d["sampling_time_s"] <= d["wall_time_s"]


def test_diagnostics_schema_is_the_pymc_one(numpyro_fit, tiny_model):
    _, _, r, _ = numpyro_fit
    pymc = bw.fit(tiny_model, backend="pymc", draws=50, tune=50, chains=2, cores=1, seed=1)
    a, b = r.diagnostics.to_dict(), pymc.diagnostics.to_dict()
    assert set(a) == set(b)
    assert set(a["parameters"][0]) == set(b["parameters"][0])
    assert set(r.to_dict()) == set(pymc.to_dict())


def test_events_in_order_and_trace_covers_every_draw(numpyro_fit):
    _session, rec, r, _ = numpyro_fit
    kinds = [type(e) for e in rec.events]
    assert kinds[0] is ev.Started and kinds.count(ev.Compiled) == 1 and kinds[-1] is ev.Finished
    assert sum(k in TERMINAL for k in kinds) == 1
    started = rec.events[0]
    assert started.backend == "numpyro" and started.trace_names == (
        "mu",
        "tau",
        *(f"theta_trans[{i}]" for i in range(6)),
    )
    final = rec.of(ev.ChainProgress)[-1]
    assert [c.draws_done for c in final.chains] == [2000, 2000]
    assert all(
        c.phase == "done" and c.step_size > 0 and c.tree_depth >= 1 and c.n_steps >= 1
        for c in final.chains
    )
    stats = r.idata["sample_stats"].to_dataset()
    assert [c.divergences for c in final.chains] == [
        int(x) for x in stats["diverging"].values.sum(axis=1)
    ]
    chunks = rec.of(ev.TraceChunk)
    for chain in range(2):
        mine = [c for c in chunks if c.chain == chain]
        start = 0
        for c in mine:
            assert c.start == start
            start += len(c.values)
        values = np.concatenate([c.values for c in mine])
        tuning = np.concatenate([c.tuning for c in mine])
        assert values.shape == (2000, len(started.trace_names))
        assert tuning[:1000].all() and not tuning[1000:].any()
        post = r.idata["posterior"].to_dataset()
        warm = r.idata["warmup_posterior"].to_dataset()
        np.testing.assert_allclose(values[1000:, 0], post["mu"].values[chain], rtol=1e-6)
        np.testing.assert_allclose(values[:1000, 1], warm["tau"].values[chain], rtol=1e-6)
        np.testing.assert_allclose(
            values[1000:, 3], post["theta_trans"].values[chain, :, 1], rtol=1e-6
        )


def test_compiled_once(numpyro_fit):
    """The chunk function is traced once and compiled once, and reused for every chunk."""
    session, _, _, compiles = numpyro_fit
    backend = session.backend
    assert backend.traces == [1]
    assert backend.chunks_run > 2 * 2  # several chunks per chain ...
    assert compiles.count("jit(chunk)") == 1  # ... one XLA compilation of the chunk function


def test_progress_arrives_while_sampling(wait_until):
    """Per-chain progress and trace chunks arrive during sampling, not all at the end."""
    session = FitSession(
        eight_schools,
        backend="numpyro",
        draws=150_000,
        tune=500,
        chains=2,
        seed=5,
        rate_hz=20,
        **ARGS,
    )
    rec = Recorder()
    session.subscribe(rec)
    session.start()
    result = session.wait(timeout=300)
    assert result.status == "finished"
    t_end = next(t for t, e in rec.timed if isinstance(e, ev.Finished))
    total = 150_500
    mid = [
        (t, e)
        for t, e in rec.timed
        if isinstance(e, ev.ChainProgress) and all(0 < c.draws_done < total for c in e.chains)
    ]
    assert len(mid) >= 3, "fewer than 3 progress reports while both chains were sampling"
    for chain in range(2):
        seen = [e.chains[chain].draws_done for _, e in mid]
        assert seen == sorted(seen) and len(set(seen)) >= 3
        assert any(e.chains[chain].phase == "sample" for _, e in mid)
    assert mid[0][0] < t_end - 0.2
    traced = [
        e for e in rec.events if isinstance(e, ev.TraceChunk) and e.start + len(e.values) < total
    ]
    assert {e.chain for e in traced} == {0, 1}
    assert session.backend.traces == [1]


def test_cancel_keeps_partial_draws(wait_until):
    session = FitSession(
        eight_schools, backend="numpyro", draws=10_000_000, tune=300, chains=2, seed=7, **ARGS
    )
    session.start()
    wait_until(
        lambda: min((c.draws_done for c in session.snapshot().chains), default=0) > 2000,
        timeout=120,
        what="draws after tuning",
    )
    t0 = time.perf_counter()
    result = session.cancel(timeout=10)
    assert result is not None and time.perf_counter() - t0 < 5
    assert result.status == "cancelled" and result.partial
    post = result.idata["posterior"].to_dataset()
    kept = post.sizes["draw"]
    assert 1000 < kept < 10_000_000 and post.sizes["chain"] == 2
    assert not np.isnan(post["mu"].values).any()
    assert f"{kept} of 10000000 draws per chain kept" in result.message
    assert result.diagnostics.draws_per_chain == kept and result.diagnostics.partial
    # the session's progress agrees with what was kept (the longer chain was cut)
    assert min(c.draws_done for c in session.snapshot().chains) == kept + 300


def test_cancel_during_tuning_keeps_tuning_draws(wait_until):
    session = FitSession(
        eight_schools,
        backend="numpyro",
        draws=100,
        tune=10_000_000,
        chains=2,
        seed=8,
        keep_warmup=True,
        **ARGS,
    )
    session.start()
    wait_until(
        lambda: min((c.draws_done for c in session.snapshot().chains), default=0) > 100, timeout=120
    )
    result = session.cancel(timeout=10)
    assert result.status == "cancelled" and result.posterior is None
    assert result.idata["warmup_posterior"].to_dataset().sizes["draw"] > 100
    assert "Cancelled during tuning" in result.message


def test_pause_and_resume(wait_until):
    session = FitSession(
        eight_schools, backend="numpyro", draws=3_000_000, tune=200, chains=2, seed=2, **ARGS
    )
    assert session.supports_pause
    session.start()
    wait_until(
        lambda: session.snapshot().draws_done > 1000, timeout=120, what="draws before pausing"
    )
    session.pause()
    assert session.status == "paused"
    time.sleep(1.0)  # the chunk under way when pausing (~0.25 s) still lands
    before = session.snapshot().draws_done
    time.sleep(0.8)
    assert session.snapshot().draws_done == before, "draws were made while paused"
    session.resume()
    assert session.status == "sampling"
    wait_until(
        lambda: session.snapshot().draws_done > before, timeout=30, what="draws after resuming"
    )
    result = session.cancel(timeout=10)
    assert result.status == "cancelled"
    d = result.diagnostics
    assert d.wall_time_s - d.sampling_time_s > 1.2  # the pause is not sampling time


def test_vectorized_chains_give_the_same_result_shape():
    r = bw.fit(
        eight_schools,
        backend="numpyro",
        draws=300,
        tune=300,
        chains=3,
        seed=1,
        sampler_kwargs={"chain_method": "vectorized"},
        var_names=["mu", "theta[0]"],
        **ARGS,
    )
    assert r.status == "finished"
    assert dict(r.idata["posterior"].to_dataset().sizes) == {"chain": 3, "draw": 300, "school": 8}
    assert r.diagnostics.chains == 3


def test_partial_model_and_options_reach_nuts():
    model = functools.partial(eight_schools, SIGMA, y=Y)
    session = FitSession(
        model,
        backend="numpyro",
        draws=200,
        tune=200,
        chains=1,
        seed=4,
        target_accept=0.95,
        sampler_kwargs={"max_tree_depth": 3},
    )
    r = session.start().wait(timeout=300)
    assert r.status == "finished"
    stats = r.idata["sample_stats"].to_dataset()
    assert stats["n_steps"].values.max() <= 2**3 - 1
    assert r.diagnostics.max_treedepth_hits == int((stats["tree_depth"].values >= 3).sum()) > 0
    # a smaller step size than the default target gives
    assert float(stats["step_size"].values[0, -1]) < 1.0


def test_model_needing_argument_values_compiles_with_static_arguments():
    import numpyro
    import numpyro.distributions as dist

    def model(n, y=None):
        mu = numpyro.sample("mu", dist.Normal(0, 1))
        with numpyro.plate("obs", int(n)):  # needs the value of n while tracing
            numpyro.sample("y", dist.Normal(mu, 1), obs=y)

    r = bw.fit(
        model,
        backend="numpyro",
        draws=200,
        tune=200,
        chains=1,
        seed=1,
        model_args=(np.array(5),),
        model_kwargs={"y": np.arange(5.0)},
    )
    assert r.status == "finished"
    assert r.posterior["mu"].values.mean() == pytest.approx(2.0 * 5 / 6, abs=0.3)


def _raising_model(sigma, y=None):
    raise ValueError("boom in the model")


@pytest.mark.parametrize(
    ("model", "kwargs", "field", "words"),
    [
        ("not a model", {}, "model", "NumPyro model"),
        (eight_schools, {"draws": 0}, "draws", "> 0"),
        (eight_schools, {"draws": -5}, "draws", "> 0"),
        (
            eight_schools,
            {"sampler_kwargs": {"max_treedepth": 8}},
            "sampler_kwargs",
            "'max_treedepth'",
        ),
        (
            eight_schools,
            {"sampler_kwargs": {"chain_method": "parallel"}},
            "sampler_kwargs",
            "chain_method",
        ),
        (eight_schools, {"var_names": ["nope"]}, "var_names", "'nope'"),
        (eight_schools, {"var_names": ["theta[9]"]}, "var_names", "out of range"),
        (eight_schools, {"guide": "AutoNormal"}, "guide", "numpyro-svi"),
        (eight_schools, {"model_args": SIGMA}, "model_args", "tuple"),
        (_raising_model, {}, "model", "boom in the model"),
    ],
)
def test_bad_input_names_the_field(model, kwargs, field, words):
    options = {**ARGS, **kwargs}
    with pytest.raises(bw.FitInputError, match=field) as info:
        FitSession(model, backend="numpyro", **options)
    assert info.value.field == field
    assert words in str(info.value)


def test_pymc_model_is_refused_with_a_hint(tiny_model):
    with pytest.raises(bw.FitInputError, match="backend='pymc'"):
        FitSession(tiny_model, backend="numpyro")
    with pytest.raises(bw.FitInputError, match="model_args"):
        FitSession(tiny_model, backend="pymc", model_args=(1,))


def test_sampler_error_gives_failed_result():
    rec = Recorder()
    session = FitSession(
        eight_schools,
        backend="numpyro",
        draws=20,
        tune=20,
        chains=1,
        sampler_kwargs={"dense_mass": "no such thing"},
        **ARGS,
    )
    session.subscribe(rec)
    r = session.start().wait(timeout=120)
    assert r.status == "failed" and r.idata is None and r.error
    assert "Traceback" in r.message
    assert isinstance(rec.events[-1], ev.Failed)
    json.dumps(r.to_dict(), allow_nan=False)


def test_importing_the_package_does_not_import_jax():
    import subprocess
    import sys

    code = (
        "import sys, bayes_widgets as bw; from bayes_widgets.core.fitting import session, backends; "
        "backends.get_backend('pymc'); print('jax' in sys.modules, 'numpyro' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
