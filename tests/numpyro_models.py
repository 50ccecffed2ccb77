"""NumPyro models shared by the unit, widget and benchmark code (imported lazily: jax is heavy)."""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np


def eight_schools_data() -> tuple[np.ndarray, np.ndarray]:
    """(sigma, y) of posteriordb ``eight_schools`` (the data of ``datasets.eight_schools_noncentered``)."""
    d = json.loads(
        files("bayes_widgets.data").joinpath("posteriordb", "eight_schools.json").read_text()
    )
    return np.asarray(d["sigma"], float), np.asarray(d["y"], float)


def eight_schools(sigma, y=None):
    """posteriordb ``eight_schools_noncentered`` in NumPyro, with the site names of the
    PyMC version in ``bayes_widgets.datasets`` (mu, tau, theta_trans, theta)."""
    import numpyro
    import numpyro.distributions as dist

    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("school", len(sigma)):
        theta_trans = numpyro.sample("theta_trans", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * theta_trans)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def regression_data(n: int = 2000, k: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    beta = np.linspace(-1.0, 1.0, k)
    y = 0.5 + x @ beta + rng.normal(scale=0.7, size=n)
    return x, y


def regression(x, y=None):
    """Linear regression: intercept, k slopes, a noise scale."""
    import numpyro
    import numpyro.distributions as dist

    alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 2.0).expand([x.shape[1]]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0))
    with numpyro.plate("row", x.shape[0]):
        numpyro.sample("y", dist.Normal(alpha + x @ beta, sigma), obs=y)
