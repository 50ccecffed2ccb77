"""NumPyro SVI as a mode of the fit session: streamed losses, convergence, cancel, a posterior."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from tests.events import Recorder
from tests.numpyro_models import eight_schools, eight_schools_data, regression, regression_data

numpyro = pytest.importorskip("numpyro")

X, Y = regression_data()
REG = {"model_args": (X,), "model_kwargs": {"y": Y}}
XL, YL = regression_data(n=20_000)  # slow enough steps (~0.3 ms) to see the losses stream
REG_LARGE = {"model_args": (XL,), "model_kwargs": {"y": YL}}
SIGMA, YS = eight_schools_data()


@pytest.fixture(scope="module")
def converged_fit():
    session = FitSession(
        regression,
        backend="numpyro-svi",
        steps=20_000,
        draws=500,
        seed=0,
        optimizer=numpyro.optim.Adam(0.05),
        rate_hz=20,
        sampler_kwargs={"convergence": 2e-4, "window": 200, "chunk": 100},
        **REG_LARGE,
    )
    rec = Recorder()
    session.subscribe(rec)
    result = session.start().wait(timeout=300)
    return session, rec, result


def test_converges_early_and_recovers_the_coefficients(converged_fit):
    _session, _, r = converged_fit
    assert r.status == "finished" and r.method == "svi" and r.backend == "numpyro-svi"
    assert r.converged and 400 <= r.steps < 20_000
    assert r.message.startswith(f"Converged at step {r.steps} of 20000")
    assert len(r.losses) == r.steps
    assert np.mean(r.losses[-100:]) < np.mean(r.losses[:100])
    post = r.posterior
    assert dict(post.sizes) == {"chain": 1, "draw": 500, "beta_dim_0": 5}
    assert post["alpha"].values.mean() == pytest.approx(0.5, abs=0.1)
    np.testing.assert_allclose(
        post["beta"].values.mean(axis=(0, 1)), np.linspace(-1, 1, 5), atol=0.1
    )
    assert post["sigma"].values.mean() == pytest.approx(0.7, abs=0.05)
    assert {"alpha_auto_loc", "alpha_auto_scale", "sigma_auto_loc"} <= set(r.params)
    assert r.svi_state is not None
    np.testing.assert_array_equal(r.idata["observed_data"]["y"].values, YL)


def test_diagnostics_keep_the_one_schema(converged_fit, tiny_model):
    _, _, r = converged_fit
    d = r.diagnostics.to_dict()
    json.dumps(d, allow_nan=False)
    mcmc = bw.fit(
        tiny_model, backend="pymc", draws=50, tune=50, chains=1, cores=1, seed=1
    ).diagnostics.to_dict()
    assert set(d) == set(mcmc)
    assert d["method"] == "svi" and mcmc["method"] == "mcmc"
    assert (
        d["svi"]["converged"] and d["svi"]["steps"] == r.steps and d["svi"]["guide"] == "AutoNormal"
    )
    assert d["svi"]["final_loss"] == pytest.approx(float(r.losses[-1]))
    assert d["draws_per_chain"] == 500 and d["divergences"] == 0
    assert r.diagnostics.converged
    names = [p["name"] for p in d["parameters"]]
    assert names[:2] == ["alpha", "beta[0]"] and "sigma" in names
    out = r.to_dict()
    json.dumps(out, allow_nan=False)
    assert out["steps"] == r.steps and out["converged"] is True
    assert "svi" in repr(r)


def test_losses_stream_in_order_while_optimising(converged_fit):
    session, rec, r = converged_fit
    kinds = [type(e) for e in rec.events]
    assert kinds[0] is ev.Started and kinds[-1] is ev.Finished and kinds.count(ev.Compiled) == 1
    assert not rec.of(ev.ChainProgress) and not rec.of(ev.TraceChunk)
    chunks = rec.of(ev.LossChunk)
    start = 0
    for c in chunks:
        assert c.start == start
        start += len(c.losses)
    np.testing.assert_array_equal(np.concatenate([c.losses for c in chunks]), r.losses)
    mid = [c for c in chunks if 0 < c.status.steps_done < r.steps]
    assert len(mid) >= 2, "no loss reported while optimising"
    assert all(c.status.steps_per_s and c.status.steps_per_s > 0 for c in mid)
    assert all(c.status.eta_s is not None for c in mid if not c.status.converged)
    last = chunks[-1]
    assert last.status.converged and last.status.steps_done == r.steps
    rows = {row["name"]: row for row in last.params}
    assert set(rows) == {"alpha", "beta", "sigma"}
    assert (
        rows["alpha"]["kind"] == "interval"
        and rows["alpha"]["lo"] < rows["alpha"]["value"] < rows["alpha"]["hi"]
    )
    assert rows["beta"]["kind"] == "range" and rows["beta"]["shape"] == [5]
    snap = session.snapshot()
    assert (
        snap.method == "svi"
        and snap.chains == ()
        and snap.draws_done == snap.svi.steps_done == r.steps
    )
    assert snap.status == "finished"


def test_cancel_keeps_the_current_parameters(wait_until):
    session = FitSession(
        regression,
        backend="numpyro-svi",
        steps=10_000_000,
        draws=200,
        seed=1,
        sampler_kwargs={"convergence": None},
        **REG,
    )
    session.start()
    wait_until(lambda: session.snapshot().draws_done > 1000, timeout=120, what="steps")
    t0 = time.perf_counter()
    r = session.cancel(timeout=10)
    assert r is not None and time.perf_counter() - t0 < 5
    assert r.status == "cancelled" and r.partial and not r.converged
    assert 1000 < r.steps < 10_000_000 and len(r.losses) == r.steps
    assert r.params and r.posterior.sizes["draw"] == 200
    assert r.message.startswith(f"Cancelled at step {r.steps} of 10000000")
    assert session.snapshot().status == "cancelled"


def test_pause_and_resume(wait_until):
    session = FitSession(
        regression,
        backend="numpyro-svi",
        steps=10_000_000,
        draws=100,
        seed=1,
        sampler_kwargs={"convergence": None},
        **REG,
    )
    session.start()
    wait_until(lambda: session.snapshot().draws_done > 500, timeout=120)
    session.pause()
    assert session.status == "paused"
    time.sleep(0.5)
    before = session.snapshot().draws_done
    time.sleep(0.6)
    assert session.snapshot().draws_done == before
    session.resume()
    wait_until(lambda: session.snapshot().draws_done > before, timeout=30)
    r = session.cancel(timeout=10)
    assert r.status == "cancelled"
    assert r.diagnostics.wall_time_s - r.diagnostics.sampling_time_s > 0.9


def test_eight_schools_with_a_named_guide_and_model_args():
    r = bw.fit(
        eight_schools,
        backend="numpyro-svi",
        guide="AutoMultivariateNormal",
        steps=3000,
        draws=400,
        seed=2,
        model_args=(SIGMA,),
        model_kwargs={"y": YS},
        sampler_kwargs={"convergence": None},
    )
    assert r.status == "finished" and not r.converged and r.steps == 3000
    post = r.posterior
    assert dict(post.sizes) == {"chain": 1, "draw": 400, "school": 8}
    assert abs(float(post["mu"].mean()) - 4.4) < 1.5
    assert (post["tau"].values > 0).all()
    np.testing.assert_allclose(
        post["theta"].values,
        post["mu"].values[..., None] + post["tau"].values[..., None] * post["theta_trans"].values,
        rtol=1e-4,
        atol=1e-4,
    )
    assert r.diagnostics.svi["guide"] == "AutoMultivariateNormal"


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"guide": "AutoNoSuchGuide"}, "guide", "AutoNormal"),
        ({"guide": 3}, "guide", "int"),
        ({"optimizer": 0.01}, "optimizer", "numpyro.optim.Adam"),
        ({"loss": "elbo"}, "loss", "Trace_ELBO"),
        ({"steps": 0}, "steps", "> 0"),
        ({"draws": 0}, "draws", "> 0"),
        ({"tune": 100}, "tune", "not used by SVI"),
        ({"chains": 2}, "chains", "one guide"),
        ({"target_accept": 0.9}, "target_accept", "not used by SVI"),
        ({"sampler_kwargs": {"learning_rate": 0.1}}, "sampler_kwargs", "'learning_rate'"),
        ({"var_names": ["nope"]}, "var_names", "'nope'"),
    ],
)
def test_bad_input_names_the_field(kwargs, field, words):
    options = {**REG, **kwargs}
    with pytest.raises(bw.FitInputError) as info:
        FitSession(regression, backend="numpyro-svi", **options)
    assert info.value.field == field
    assert words in str(info.value)


def test_svi_options_are_refused_by_mcmc_backends(tiny_model):
    for name in ("guide", "steps", "optimizer", "loss"):
        with pytest.raises(bw.FitInputError) as info:
            FitSession(tiny_model, backend="pymc", **{name: 1})
        assert info.value.field == name and "numpyro-svi" in str(info.value)
