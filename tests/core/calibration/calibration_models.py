"""Models for the calibration tests, written by hand (importable by worker processes)."""

from __future__ import annotations

import numpy as np

N_OBS = 10


def conjugate_normal():
    """Normal likelihood with known sigma and a Normal prior on its mean (named dims)."""
    import pymc as pm

    with pm.Model(coords={"obs": np.arange(N_OBS)}) as model:
        mu = pm.Normal("mu", mu=0.0, sigma=1.0)
        pm.Normal("y", mu=mu, sigma=1.0, observed=np.zeros(N_OBS), dims="obs")
    return model


def _normal_logp_half_scale(value, mu):
    import pymc as pm

    return pm.logp(pm.Normal.dist(mu=mu, sigma=0.5), value)


def _normal_draw_unit_scale(mu, rng=None, size=None):
    return rng.normal(mu, 1.0, size=size)


def halved_scale():
    """The data are simulated with sigma = 1, but the likelihood fitted has sigma = 0.5."""
    import pymc as pm

    with pm.Model(coords={"obs": np.arange(N_OBS)}) as model:
        mu = pm.Normal("mu", mu=0.0, sigma=1.0)
        pm.CustomDist(
            "y",
            mu,
            logp=_normal_logp_half_scale,
            random=_normal_draw_unit_scale,
            observed=np.zeros(N_OBS),
            dims="obs",
        )
    return model


def numpyro_normal(n=N_OBS, y=None):
    """Normal data with unknown mean and scale, in NumPyro; ``y`` takes the observations."""
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    with numpyro.plate("obs", n):
        numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


def numpyro_known_scale(n=N_OBS, y=None):
    """The conjugate Normal model in NumPyro (known scale): its posterior is Normal."""
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    with numpyro.plate("obs", n):
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)


def numpyro_halved_scale(n=N_OBS, y=None):
    """Simulates with scale 1 (``y`` None) but fits with scale 0.5 (``y`` given)."""
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    scale = 1.0 if y is None else 0.5
    with numpyro.plate("obs", n):
        numpyro.sample("y", dist.Normal(mu, scale), obs=y)
