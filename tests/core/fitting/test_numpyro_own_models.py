"""NumPyro models written by hand, the way NumPyro's documentation teaches them, through
``bw.fit``: improper priors, plates, pytree arguments, deterministic sites; compared with
NumPyro's own ``MCMC(NUTS(model))`` on the same tiny data."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

import bayes_widgets as bw
from bayes_widgets.core.fitting import events as ev
from bayes_widgets.core.fitting.session import FitSession
from bayes_widgets.core.fitting.validation import FitInputError
from tests.events import Recorder

pytest.importorskip("numpyro")

import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints

DRAWS = 300
TUNE = 300


def numpyro_means(model, *args, seed=0, **kwargs) -> dict[str, np.ndarray]:
    """Posterior means from NumPyro's own MCMC(NUTS(model)), two chains."""
    import jax
    from numpyro.infer import MCMC, NUTS

    mcmc = MCMC(
        NUTS(model),
        num_warmup=TUNE,
        num_samples=DRAWS,
        num_chains=2,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), *args, **kwargs)
    return {k: np.asarray(v).mean(axis=0) for k, v in mcmc.get_samples().items()}


def fit_means(result, names) -> dict[str, np.ndarray]:
    post = result.idata["posterior"].to_dataset()
    return {n: post[n].mean(("chain", "draw")).values for n in names}


def close(ours, theirs, tol):
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value, atol=tol, err_msg=name)


# -- linear regression with flat (improper) priors ------------------------------------

RNG = np.random.default_rng(1)
X = RNG.normal(size=(40, 3))
BETA = np.array([1.0, -0.5, 0.25])
Y = 0.3 + X @ BETA + RNG.normal(scale=0.4, size=40)


def flat_regression(x, y=None):
    """``ImproperUniform`` coefficients (a flat prior on the real line) and a flat
    positive prior on the noise scale: valid for NUTS, which starts from ``init_to_uniform``."""
    intercept = numpyro.sample("intercept", dist.ImproperUniform(constraints.real, (), ()))
    beta = numpyro.sample(
        "beta", dist.ImproperUniform(constraints.real, (), event_shape=(x.shape[1],))
    )
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    with numpyro.plate("obs", x.shape[0]):
        numpyro.sample("y", dist.Normal(intercept + x @ beta, sigma), obs=y)


@pytest.fixture(scope="module")
def flat_fit():
    session = FitSession(
        flat_regression,
        backend="numpyro",
        draws=DRAWS,
        tune=TUNE,
        chains=2,
        seed=2,
        model_args=(X,),
        model_kwargs={"y": Y},
        rate_hz=20,
    )
    rec = Recorder()
    session.subscribe(rec)
    return session.start().wait(timeout=300), rec


def test_improper_uniform_regression_matches_numpyro(flat_fit):
    result, _ = flat_fit
    assert result.status == "finished", result.error
    theirs = numpyro_means(flat_regression, X, y=Y)
    ours = fit_means(result, ["intercept", "beta", "sigma"])
    close(ours, theirs, tol=0.08)
    # and both recover the truth of the simulated data
    np.testing.assert_allclose(ours["beta"], BETA, atol=0.25)


def test_improper_model_keeps_progress_trace_names_and_summary(flat_fit):
    result, rec = flat_fit
    progress = rec.of(ev.ChainProgress)
    assert progress and {len(p.chains) for p in progress} == {2}
    assert all(c.draws_done == DRAWS + TUNE for c in progress[-1].chains)
    traced = {e.chain for e in rec.of(ev.TraceChunk)}
    assert traced == {0, 1}
    names = rec.of(ev.Started)[0].trace_names
    assert "intercept" in names and "sigma" in names and "beta[0]" in names
    table = result.summary()
    assert list(table.index) == ["intercept", "beta[0]", "beta[1]", "beta[2]", "sigma"]
    assert np.isfinite(table["r_hat"].to_numpy()).all()
    post = result.idata["posterior"].to_dataset()
    assert post["beta"].dims == ("chain", "draw", "beta_dim_0")
    assert result.idata["observed_data"].to_dataset()["y"].dims == ("obs",)


# -- eight schools, centred, with a plate ---------------------------------------------

SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
Y8 = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])


def eight_schools_centred(sigma, y=None):
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("J", len(sigma)):
        theta = numpyro.sample("theta", dist.Normal(mu, tau))
        numpyro.sample("obs", dist.Normal(theta, sigma), obs=y)


def test_centred_eight_schools_with_a_plate():
    result = bw.fit(
        eight_schools_centred,
        backend="numpyro",
        draws=DRAWS,
        tune=TUNE,
        chains=2,
        seed=4,
        model_args=(SIGMA,),
        model_kwargs={"y": Y8},
        var_names=["mu", "theta"],
    )
    assert result.status == "finished", result.error
    post = result.idata["posterior"].to_dataset()
    assert post["theta"].dims == ("chain", "draw", "J")
    theirs = numpyro_means(eight_schools_centred, SIGMA, y=Y8)
    # a centred hierarchy mixes slowly: means agree within a loose Monte-Carlo margin
    assert abs(float(post["mu"].mean()) - theirs["mu"]) < 1.5
    assert abs(float(post["theta"].mean()) - theirs["theta"].mean()) < 1.5


# -- a dict pytree and a NamedTuple as arguments, a deterministic site -----------------


def dict_model(data):
    """The data arrive as one dict of arrays (a pytree), as in NumPyro's examples."""
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
    slope = numpyro.sample("slope", dist.Normal(0.0, 5.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0))
    with numpyro.plate("row", data["x"].shape[0]):
        mu = numpyro.deterministic("mu", alpha + slope * data["x"])
        numpyro.sample("y", dist.Normal(mu, sigma), obs=data["y"])


class Data(NamedTuple):
    x: np.ndarray
    y: np.ndarray


def namedtuple_model(data: Data, scale=2.0):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
    slope = numpyro.sample("slope", dist.Normal(0.0, 5.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(scale))
    numpyro.deterministic("slope_x10", 10 * slope)
    with numpyro.plate("row", data.x.shape[0]):
        numpyro.sample("y", dist.Normal(alpha + slope * data.x, sigma), obs=data.y)


XS = np.linspace(-1.0, 1.0, 25)
YS = 1.0 + 2.0 * XS + np.random.default_rng(3).normal(scale=0.3, size=25)


def test_dict_pytree_argument_and_deterministic_site():
    data = {"x": XS, "y": YS}
    result = bw.fit(
        dict_model, backend="numpyro", draws=DRAWS, tune=TUNE, chains=2, seed=5, model_args=(data,)
    )
    assert result.status == "finished", result.error
    post = result.idata["posterior"].to_dataset()
    assert post["mu"].dims == ("chain", "draw", "row")
    theirs = numpyro_means(dict_model, data)
    ours = fit_means(result, ["alpha", "slope", "sigma", "mu"])
    close(ours, theirs, tol=0.08)
    # the deterministic site is what the model computes from the draws
    np.testing.assert_allclose(
        post["mu"].values,
        post["alpha"].values[..., None] + post["slope"].values[..., None] * XS,
        rtol=1e-5,
        atol=1e-5,
    )


def test_namedtuple_argument_and_python_number_keyword():
    data = Data(XS, YS)
    result = bw.fit(
        namedtuple_model,
        backend="numpyro",
        draws=200,
        tune=200,
        chains=2,
        seed=6,
        model_args=(data,),
        model_kwargs={"scale": 1.5},
        var_names=["slope_x10"],
    )
    assert result.status == "finished", result.error
    post = result.idata["posterior"].to_dataset()
    np.testing.assert_allclose(post["slope_x10"].values, 10 * post["slope"].values, rtol=1e-5)
    assert abs(float(post["slope"].mean()) - 2.0) < 0.3


# -- subsampling is for SVI ------------------------------------------------------------


def subsampled(x, y=None):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
    with numpyro.plate("rows", x.shape[0], subsample_size=10) as idx:
        numpyro.sample("y", dist.Normal(alpha + x[idx], 1.0), obs=None if y is None else y[idx])


def test_subsampled_plate_is_refused_for_nuts_naming_the_plate():
    with pytest.raises(FitInputError) as info:
        bw.fit(
            subsampled,
            backend="numpyro",
            draws=10,
            tune=10,
            chains=1,
            model_args=(XS,),
            model_kwargs={"y": YS},
        )
    text = str(info.value)
    assert info.value.field == "model"
    assert "'rows'" in text and "subsample_size=10" in text and "numpyro-svi" in text


def test_subsampled_plate_fits_with_svi():
    result = bw.fit(
        subsampled,
        backend="numpyro-svi",
        steps=600,
        draws=100,
        seed=1,
        model_args=(XS,),
        model_kwargs={"y": YS},
    )
    assert result.status == "finished", result.error
    assert (
        abs(float(result.idata["posterior"].to_dataset()["alpha"].mean()) - YS.mean() + XS.mean())
        < 0.5
    )


# -- improper priors through SVI ---------------------------------------------------------


@pytest.mark.parametrize("guide", ["AutoNormal", "AutoDelta"])
def test_improper_uniform_regression_with_svi(guide):
    result = bw.fit(
        flat_regression,
        backend="numpyro-svi",
        guide=guide,
        steps=2000,
        draws=200,
        seed=1,
        model_args=(X,),
        model_kwargs={"y": Y},
    )
    assert result.status == "finished", result.error
    post = result.idata["posterior"].to_dataset()
    np.testing.assert_allclose(post["beta"].mean(("chain", "draw")).values, BETA, atol=0.25)
    assert 0.2 < float(post["sigma"].mean()) < 0.7


def test_svi_guide_that_leaves_an_improper_site_to_the_prior_is_refused():
    def guide(x, y=None):
        numpyro.sample("intercept", dist.Normal(numpyro.param("i_loc", 0.0), 1.0))
        numpyro.sample("sigma", dist.LogNormal(numpyro.param("s_loc", 0.0), 0.1))

    with pytest.raises(FitInputError) as info:
        bw.fit(
            flat_regression,
            backend="numpyro-svi",
            guide=guide,
            steps=10,
            draws=10,
            model_args=(X,),
            model_kwargs={"y": Y},
        )
    assert info.value.field == "guide"
    assert (
        "'beta'" in str(info.value)
        and "improper" in str(info.value)
        and "AutoNormal" in str(info.value)
    )


def test_a_factor_term_is_part_of_the_density_not_observed_data():
    import jax.numpy as jnp

    y = np.array([0.3, -0.2, 0.8, 0.1])

    def model(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
        # the likelihood written as numpyro.factor, as the NumPyro docs show for custom terms
        numpyro.factor("loglik", dist.Normal(mu, 1.0).log_prob(jnp.asarray(y)).sum())

    r = bw.fit(model, backend="numpyro", model_args=(y,), draws=300, tune=300, chains=1, seed=3)
    observed = r.idata.children.get("observed_data")
    assert observed is None or "loglik" not in observed.data_vars
    mu = r.idata.posterior["mu"].values
    # conjugate: posterior mean n*ybar/(n + 1/25)
    assert abs(mu.mean() - y.sum() / (len(y) + 1 / 25)) < 0.25
