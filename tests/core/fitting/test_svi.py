"""The chunked SVI engine: compile once, progress, cancel, convergence, minibatches, errors."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
numpyro = pytest.importorskip("numpyro")

import jax.numpy as jnp  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer.autoguide import AutoNormal  # noqa: E402

from bayes_widgets.core.fitting.svi import (  # noqa: E402
    Minibatch,
    SVIProgress,
    SVIRunResult,
    _converged,
    check_guide_sites,
    run_svi,
)
from bayes_widgets.core.fitting.validation import FitInputError  # noqa: E402

N = 400
PRIOR_SD = 10.0
Y = np.random.default_rng(7).normal(2.5, 1.0, size=N).astype(np.float32)
POST_VAR = 1.0 / (1.0 / PRIOR_SD**2 + N)  # conjugate normal mean, known noise sd 1
POST_MEAN = POST_VAR * Y.sum()
ADAM = numpyro.optim.Adam(0.05)  # one object: runs that share it share compiled chunks


def raises_field(field: str):
    return pytest.raises(FitInputError, match=rf"^{field.replace('.', r'\.')}: ")


def model(y):
    mu = numpyro.sample("mu", dist.Normal(0.0, PRIOR_SD))
    with numpyro.plate("data", y.shape[0]):
        numpyro.sample("obs", dist.Normal(mu, 1.0), obs=y)


def guide(y):
    loc = numpyro.param("mu_loc", 0.0)
    scale = numpyro.param("mu_scale", 0.5, constraint=dist.constraints.positive)
    numpyro.sample("mu", dist.Normal(loc, scale))


def plate_model(y, n):
    mu = numpyro.sample("mu", dist.Normal(0.0, PRIOR_SD))
    with numpyro.plate("data", n, subsample_size=40) as idx:
        numpyro.sample("obs", dist.Normal(mu, 1.0), obs=y[idx])


def kwarg_model(y, batch):
    mu = numpyro.sample("mu", dist.Normal(0.0, PRIOR_SD))
    with numpyro.handlers.scale(scale=y.shape[0] / batch.shape[0]):
        numpyro.sample(
            "obs", dist.Normal(mu, 1.0).expand([batch.shape[0]]).to_event(1), obs=y[batch]
        )


def kwarg_guide(y, batch):
    guide(y)


def test_recovers_conjugate_posterior():
    res = run_svi(
        model, guide, steps=2000, chunk=250, model_args=(Y,), optimizer=ADAM, convergence=None
    )
    assert isinstance(res, SVIRunResult)
    assert res.steps == 2000 and not res.cancelled and not res.converged
    assert res.params["mu_loc"] == pytest.approx(POST_MEAN, abs=0.02)
    assert res.params["mu_scale"] == pytest.approx(np.sqrt(POST_VAR), rel=0.25)
    assert res.losses.dtype == np.float64 and res.losses.shape == (2000,)
    assert res.losses[-100:].mean() < res.losses[:10].mean()
    assert isinstance(res.params["mu_loc"], np.ndarray)


def test_compiles_once_and_last_partial_chunk_does_not_recompile():
    # 6 chunks of 200 and a partial one of 50: one trace, exactly 1250 optimiser steps
    res = run_svi(
        model,
        guide,
        steps=1250,
        chunk=200,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        seed=3,
    )
    assert res.traces <= 1
    assert res.steps == 1250 and res.total_steps == 1250 and len(res.losses) == 1250
    assert np.all(np.isfinite(res.losses))
    # continuing from the state reuses the compiled chunk: no trace at all
    more = run_svi(
        model,
        guide,
        steps=130,
        chunk=200,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        seed=3,
        init_state=res.state,
    )
    assert more.traces == 0 and more.compile_s == 0.0
    assert more.total_steps == 1380 and more.steps == 130


def test_cache_is_keyed_by_shapes_and_counts_a_new_trace():
    y2 = np.concatenate([Y, Y[:10]])  # another shape: a new compilation
    res = run_svi(
        model, guide, steps=10, chunk=5, model_args=(y2,), optimizer=ADAM, convergence=None
    )
    again = run_svi(
        model, guide, steps=10, chunk=5, model_args=(y2 + 1,), optimizer=ADAM, convergence=None
    )
    assert res.traces == 1 or res.compile_s == 0.0
    assert again.traces == 0  # same shapes, new values: reused


def test_same_seed_same_losses_and_partial_chunk_equals_full_run():
    a = run_svi(
        model,
        guide,
        steps=300,
        chunk=100,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        seed=5,
    )
    b = run_svi(
        model,
        guide,
        steps=300,
        chunk=100,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        seed=5,
    )
    np.testing.assert_array_equal(a.losses, b.losses)
    # 300 steps as 2 full chunks of 128 and a partial one of 44 take the same path
    c = run_svi(
        model,
        guide,
        steps=300,
        chunk=128,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        seed=5,
    )
    np.testing.assert_allclose(c.losses, a.losses, rtol=1e-5)
    assert c.params["mu_loc"] == pytest.approx(a.params["mu_loc"], rel=1e-5)


def test_on_chunk_progress():
    seen: list[SVIProgress] = []
    res = run_svi(
        model,
        guide,
        steps=450,
        chunk=200,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        on_chunk=seen.append,
    )
    assert [p.step for p in seen] == [200, 400, 450]
    assert all(p.total == 450 for p in seen)
    assert [len(p.losses) for p in seen] == [200, 200, 50]
    np.testing.assert_array_equal(np.concatenate([p.losses for p in seen]), res.losses)
    assert all(p.losses.dtype == np.float64 for p in seen)
    assert all(p.steps_per_s > 0 and p.elapsed_s > 0 for p in seen)
    assert seen[-1].params["mu_loc"] == pytest.approx(res.params["mu_loc"])
    assert not any(p.converged for p in seen)
    # progress_params=False: no parameters handed over
    quiet: list[SVIProgress] = []
    run_svi(
        model,
        guide,
        steps=100,
        chunk=50,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        on_chunk=quiet.append,
        progress_params=False,
    )
    assert [p.params for p in quiet] == [None, None]


def test_should_stop_cancels_between_chunks_and_keeps_params():
    seen: list[SVIProgress] = []
    calls = []

    def stop():
        calls.append(len(seen))
        return len(seen) >= 2

    res = run_svi(
        model,
        guide,
        steps=2000,
        chunk=100,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        on_chunk=seen.append,
        should_stop=stop,
    )
    assert res.cancelled and not res.converged
    assert res.steps == 200 and len(res.losses) == 200 and res.total_steps == 200
    assert calls == [0, 1, 2]  # before every chunk
    assert "cancelled" in res.message
    assert res.params["mu_loc"] == pytest.approx(seen[-1].params["mu_loc"])
    assert res.params["mu_loc"] != pytest.approx(0.0)  # moved from the start
    # a stop requested while compiling: no chunk runs, the initial parameters come back
    compiled = []
    res = run_svi(
        model,
        guide,
        steps=2000,
        chunk=100,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=None,
        on_compiled=compiled.append,
        should_stop=lambda: True,
    )
    assert res.cancelled and res.steps == 0 and len(res.losses) == 0
    assert res.params["mu_loc"] == pytest.approx(0.0) and len(compiled) == 1


def test_convergence_stops_early():
    res = run_svi(
        model,
        guide,
        steps=20_000,
        chunk=100,
        model_args=(Y,),
        optimizer=ADAM,
        convergence=1e-3,
        window=100,
    )
    assert res.converged and not res.cancelled
    assert 200 <= res.steps < 20_000 and res.steps % 100 == 0
    assert "converged" in res.message
    assert res.params["mu_loc"] == pytest.approx(POST_MEAN, abs=0.05)
    # disabled: runs every step
    full = run_svi(
        model, guide, steps=600, chunk=100, model_args=(Y,), optimizer=ADAM, convergence=None
    )
    assert full.steps == 600 and not full.converged


def test_convergence_rule():
    flat = np.full(400, 1000.0)
    assert _converged(flat, 200, 1e-4)
    assert not _converged(flat[:399], 200, 1e-4)  # needs two windows
    falling = np.linspace(2000.0, 1000.0, 400)  # the second window's mean is 25% lower
    assert not _converged(falling, 200, 1e-4)
    assert _converged(falling, 200, 0.5)
    noisy = 1000.0 + np.random.default_rng(0).normal(0, 1.0, 400)
    assert _converged(noisy, 200, 1e-3) and not _converged(noisy, 200, 1e-7)


def test_minibatch_indices_visit_every_index_once_per_epoch():
    mb = Minibatch(size=30, total=100, plate="data")
    key = jax.random.PRNGKey(0)
    epoch = np.concatenate(
        [np.asarray(mb.indices(key, i)) for i in range(3)]
    )  # 3 batches per epoch
    assert len(np.unique(epoch)) == 90  # no repeats within an epoch
    nxt = np.asarray(mb.indices(key, 3))
    assert len(np.unique(nxt)) == 30 and not np.array_equal(nxt, np.asarray(mb.indices(key, 0)))


def test_minibatch_in_plate_recovers_full_data_posterior():
    guide_ = AutoNormal(plate_model)
    res = run_svi(
        plate_model,
        guide_,
        steps=3000,
        chunk=500,
        model_args=(Y, N),
        minibatch=Minibatch(40, N, plate="data"),
        optimizer=numpyro.optim.Adam(0.02),
        convergence=None,
    )
    assert res.traces <= 1
    assert res.params["mu_auto_loc"] == pytest.approx(POST_MEAN, abs=0.08)


def test_minibatch_by_keyword_recovers_full_data_posterior():
    res = run_svi(
        kwarg_model,
        kwarg_guide,
        steps=3000,
        chunk=500,
        model_args=(Y,),
        minibatch={"size": 40, "total": N, "kwarg": "batch"},
        optimizer=numpyro.optim.Adam(0.02),
        convergence=None,
    )
    assert res.traces <= 1
    assert res.params["mu_loc"] == pytest.approx(POST_MEAN, abs=0.08)


def test_non_finite_loss_stops_with_last_good_params():
    def runaway_model():
        x = numpyro.sample("x", dist.Normal(0.0, 1.0))
        numpyro.factor("push", jnp.exp(x))  # unbounded: x runs off until exp overflows

    def runaway_guide():
        loc = numpyro.param("x_loc", 0.0)
        numpyro.sample("x", dist.Normal(loc, 0.01))

    res = run_svi(
        runaway_model,
        runaway_guide,
        steps=5000,
        chunk=20,
        optimizer=numpyro.optim.Adam(1.0),
        convergence=None,
    )
    assert res.steps < 5000 and res.steps % 20 == 0
    assert "non-finite" in res.message and f"after step {res.steps}" in res.message
    assert np.isfinite(res.params["x_loc"]) and np.all(np.isfinite(res.losses))
    assert len(res.losses) == res.steps


def test_site_check_names_the_mismatched_site():
    def typo_guide(y):
        loc = numpyro.param("mu_loc", 0.0)
        numpyro.sample("mu_", dist.Normal(loc, 1.0))

    with raises_field("guide.mu_") as err:
        run_svi(model, typo_guide, steps=10, model_args=(Y,))
    assert "did you mean 'mu'" in str(err.value)

    def two_latents(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, PRIOR_SD))
        sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
        numpyro.sample("obs", dist.Normal(mu, sigma), obs=y)

    with raises_field("model.sigma"):
        check_guide_sites(two_latents, guide, Y)

    # a guide sampling a site the model observes
    def obs_guide(y):
        guide(y)
        numpyro.sample("obs", dist.Normal(0.0, 1.0).expand([y.shape[0]]))

    with raises_field("guide.obs") as err:
        check_guide_sites(model, obs_guide, Y)
    assert "observes it" in str(err.value)
    check_guide_sites(model, guide, Y)  # the matching pair passes
    check_guide_sites(model, AutoNormal(model), Y)
    from numpyro.infer.autoguide import AutoMultivariateNormal

    check_guide_sites(
        two_latents, AutoMultivariateNormal(two_latents), Y
    )  # auxiliary latent ignored


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": -5}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": True}, "steps"),
        ({"steps": 10, "chunk": 0}, "chunk"),
        ({"steps": 10, "window": 0}, "window"),
        ({"steps": 10, "seed": "a"}, "seed"),
        ({"steps": 10, "convergence": -1e-3}, "convergence"),
        ({"steps": 10, "convergence": "tight"}, "convergence"),
        ({"steps": 10, "on_chunk": 3}, "on_chunk"),
        ({"steps": 10, "should_stop": "yes"}, "should_stop"),
        ({"steps": 10, "on_compiled": 1}, "on_compiled"),
        ({"steps": 10, "model_args": Y}, "model_args"),
        ({"steps": 10, "model_kwargs": [1]}, "model_kwargs"),
        (
            {
                "steps": 10,
                "minibatch": Minibatch(5, 10, kwarg="batch"),
                "model_kwargs": {"batch": 1},
            },
            "model_kwargs",
        ),
        ({"steps": 10, "minibatch": 5}, "minibatch"),
        ({"steps": 10, "minibatch": {"size": 5}}, "minibatch"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    kwargs.setdefault("model_args", (Y,))
    with raises_field(field):
        run_svi(model, guide, **kwargs)


def test_non_callable_model_or_guide():
    with raises_field("model"):
        run_svi("model", guide, steps=10)
    with raises_field("guide"):
        run_svi(model, None, steps=10)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": 0, "total": 10, "plate": "p"}, "minibatch.size"),
        ({"size": 11, "total": 10, "plate": "p"}, "minibatch.size"),
        ({"size": 5, "total": 0, "plate": "p"}, "minibatch.total"),
        ({"size": 5, "total": 10}, "minibatch"),
        ({"size": 5, "total": 10, "plate": "p", "kwarg": "b"}, "minibatch"),
        ({"size": 5, "total": 10, "plate": "not a name"}, "minibatch.plate"),
    ],
)
def test_bad_minibatch(kwargs, field):
    with raises_field(field):
        Minibatch(**kwargs)
