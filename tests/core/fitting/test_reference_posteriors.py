"""Fits of posteriordb models agree with their reference posteriors.

The models (bayes_widgets.datasets) reproduce two posteriordb Stan programs:

* ``eight_schools-eight_schools_noncentered`` (posterior_database/models/stan/
  eight_schools_noncentered.stan): theta_trans ~ normal(0, 1); mu ~ normal(0, 5);
  tau ~ cauchy(0, 5) with tau > 0; y ~ normal(mu + tau * theta_trans, sigma).
* ``kidiq-kidscore_momhsiq`` (models/stan/kidscore_momhsiq.stan): flat prior on
  beta[1:3]; sigma ~ cauchy(0, 2.5) with sigma > 0;
  kid_score ~ normal(beta[1] + beta[2] * mom_hs + beta[3] * mom_iq, sigma).

The reference draws of posteriordb are zipped JSON (reference_posteriors/draws/), so the
reference means are computed here instead, without Monte Carlo error:

* eight schools: integrating theta_trans and mu out analytically leaves a 1-d integral
  over tau (BDA3 section 5.4, plus the normal(0, 5) prior on mu), done by quadrature.
  It gives E[mu] = 4.397, E[tau] = 3.598, E[theta[1]] = 6.21, the commonly published
  reference means (mu ~ 4.4, tau ~ 3.6, theta[1] ~ 6.2) of this posterior.
* kidiq: with a flat prior on beta, beta | sigma, y is normal around the least-squares
  estimate whatever sigma is, so E[beta] is the OLS fit (25.73, 5.95, 0.564: Gelman and
  Hill 2007, eq. 3.3); E[sigma] comes from a 1-d integral over sigma.

A fit passes when each posterior mean is within 4 Monte Carlo standard errors
(sd / sqrt(ess_bulk)) of the reference, plus a small slack of 5% of an sd.
"""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pytest
from scipy import integrate, stats

import bayes_widgets as bw
from bayes_widgets import datasets


def _data(name: str) -> dict:
    path = files("bayes_widgets.data").joinpath("posteriordb", f"{name}.json")
    return json.loads(path.read_text())


# -- reference values --------------------------------------------------------------------


def eight_schools_reference() -> dict[str, float]:
    d = _data("eight_schools")
    y, s = np.asarray(d["y"], float), np.asarray(d["sigma"], float)

    def given_tau(tau):
        """log p(tau | y) + const, E[mu | tau, y] and E[theta[0] | tau, y]."""
        v = s**2 + tau**2
        precision = 1 / 5**2 + np.sum(1 / v)
        b = np.sum(y / v)
        log_w = (
            -0.5 * np.log(precision)
            - 0.5 * np.sum(np.log(v))
            + 0.5 * b * b / precision
            - 0.5 * np.sum(y**2 / v)
            - np.log1p((tau / 5) ** 2)  # half-Cauchy(0, 5) prior
        )
        mu = b / precision
        theta0 = (y[0] / s[0] ** 2 + mu / tau**2) / (1 / s[0] ** 2 + 1 / tau**2)
        return log_w, mu, theta0

    shift = given_tau(1.0)[0]

    def expect(f):
        def integrand(t):
            return np.exp(given_tau(t)[0] - shift) * f(t)

        return integrate.quad(integrand, 0, np.inf, limit=200)[0]

    z = expect(lambda t: 1.0)
    return {
        "mu": expect(lambda t: given_tau(t)[1]) / z,
        "tau": expect(lambda t: t) / z,
        "theta[0]": expect(lambda t: given_tau(t)[2]) / z,
    }


def kidiq_reference() -> dict[str, float]:
    d = _data("kidiq")
    x = np.column_stack([np.ones(d["N"]), d["mom_hs"], d["mom_iq"]])
    y = np.asarray(d["kid_score"], float)
    beta, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    rss = float(rss[0])
    n, p = x.shape
    s0 = np.sqrt(rss / (n - p))

    def log_w(sigma):  # log p(sigma | y) + const, beta integrated out
        return -np.log1p((sigma / 2.5) ** 2) - (n - p) * np.log(sigma) - rss / (2 * sigma**2)

    # the posterior of sigma is narrow (sd ~ 0.6 around 18): [s0/2, 2 s0] holds all its mass
    z = integrate.quad(lambda t: np.exp(log_w(t) - log_w(s0)), s0 / 2, 2 * s0)[0]
    e_sigma = integrate.quad(lambda t: t * np.exp(log_w(t) - log_w(s0)), s0 / 2, 2 * s0)[0] / z
    # keyed by the model's coordinate labels (coef: intercept, mom_hs, mom_iq)
    return {
        "beta[intercept]": beta[0],
        "beta[mom_hs]": beta[1],
        "beta[mom_iq]": beta[2],
        "sigma": e_sigma,
    }


@pytest.fixture(scope="module")
def eight_ref():
    return eight_schools_reference()


@pytest.fixture(scope="module")
def kidiq_ref():
    return kidiq_reference()


def test_reference_values_match_published_ones(eight_ref, kidiq_ref):
    assert eight_ref["mu"] == pytest.approx(4.4, abs=0.05)
    assert eight_ref["tau"] == pytest.approx(3.6, abs=0.05)
    assert eight_ref["theta[0]"] == pytest.approx(6.2, abs=0.05)
    assert kidiq_ref["beta[intercept]"] == pytest.approx(25.7, abs=0.05)
    assert kidiq_ref["beta[mom_hs]"] == pytest.approx(5.95, abs=0.01)
    assert kidiq_ref["beta[mom_iq]"] == pytest.approx(0.564, abs=0.001)
    assert kidiq_ref["sigma"] == pytest.approx(18.1, abs=0.1)


# -- the PyMC models are the Stan programs -----------------------------------------------


def _logp_differences(model, points, stan_logp):
    """log density differences between points: PyMC's (unconstrained, with Jacobian)
    against a hand-written transcription of the Stan program."""
    logp = model.compile_logp()
    ours = np.array([logp(p) for p in points])
    theirs = np.array([stan_logp(p) for p in points])
    return ours - ours[0], theirs - theirs[0]


def test_eight_schools_model_is_the_stan_program():
    model = datasets.eight_schools_noncentered()
    d = _data("eight_schools")
    assert {rv.name for rv in model.free_RVs} == {"mu", "tau", "theta_trans"}
    assert [rv.name for rv in model.observed_RVs] == ["y"]
    np.testing.assert_array_equal(model.rvs_to_values[model["y"]].data, d["y"])
    y, s = np.asarray(d["y"], float), np.asarray(d["sigma"], float)

    def stan_logp(p):
        tau = np.exp(p["tau_log__"])
        theta = p["theta_trans"] * tau + p["mu"]
        return (
            stats.norm.logpdf(p["theta_trans"], 0, 1).sum()
            + stats.norm.logpdf(y, theta, s).sum()
            + stats.norm.logpdf(p["mu"], 0, 5)
            + stats.cauchy.logpdf(tau, 0, 5)
            + np.log(tau)  # Jacobian of tau = exp(tau_log__)
        )

    rng = np.random.default_rng(0)
    points = [
        {"mu": rng.normal(0, 5), "tau_log__": rng.normal(1, 1), "theta_trans": rng.normal(size=8)}
        for _ in range(5)
    ]
    ours, theirs = _logp_differences(model, points, stan_logp)
    np.testing.assert_allclose(ours, theirs, atol=1e-8)
    # theta is the deterministic of the Stan program's transformed parameters
    import pytensor

    [theta] = model.replace_rvs_by_values([model["theta"]])
    fn = pytensor.function(model.value_vars, theta, on_unused_input="ignore")
    p = points[1]
    np.testing.assert_allclose(
        fn(**{v.name: p[v.name] for v in model.value_vars}),
        p["theta_trans"] * np.exp(p["tau_log__"]) + p["mu"],
    )


def test_kidiq_model_is_the_stan_program():
    model = datasets.kidiq_momhsiq()
    d = _data("kidiq")
    assert {rv.name for rv in model.free_RVs} == {"beta", "sigma"}
    y = np.asarray(d["kid_score"], float)
    np.testing.assert_array_equal(model.rvs_to_values[model["kid_score"]].data, y)
    mom_hs, mom_iq = np.asarray(d["mom_hs"], float), np.asarray(d["mom_iq"], float)

    def stan_logp(p):
        beta, sigma = p["beta"], np.exp(p["sigma_log__"])
        return (
            stats.cauchy.logpdf(sigma, 0, 2.5)
            + stats.norm.logpdf(y, beta[0] + beta[1] * mom_hs + beta[2] * mom_iq, sigma).sum()
            + np.log(sigma)  # Jacobian; beta has a flat (improper) prior
        )

    rng = np.random.default_rng(1)
    points = [
        {
            "beta": np.array([26, 6, 0.56]) + rng.normal(0, [5, 2, 0.05]),
            "sigma_log__": np.log(18) + rng.normal(0, 0.2),
        }
        for _ in range(5)
    ]
    ours, theirs = _logp_differences(model, points, stan_logp)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-6)


# -- fits ----------------------------------------------------------------------------------


def _assert_matches(result, reference: dict[str, float]) -> None:
    assert result.status == "finished", f"{result.error}\n{result.message}"
    table = {row["name"]: row for row in result.diagnostics.parameters}
    for name, ref in reference.items():
        row = table[name]
        mcse = row["sd"] / np.sqrt(row["ess_bulk"])
        tolerance = 4 * mcse + 0.05 * row["sd"]
        assert abs(row["mean"] - ref) < tolerance, (
            f"{name}: mean {row['mean']:.4f} vs reference {ref:.4f} "
            f"(sd {row['sd']:.3f}, ess_bulk {row['ess_bulk']:.0f}, tolerance {tolerance:.4f})"
        )
    assert result.diagnostics.rhat_max < 1.05


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "draws"), [("nutpie", 1000), ("pymc", 1000)])
def test_eight_schools_noncentered(backend, draws, eight_ref):
    result = bw.fit(
        datasets.eight_schools_noncentered(),
        backend=backend,
        draws=draws,
        tune=draws,
        chains=2,
        cores=1,
        seed=2024,
        target_accept=0.95,
    )
    _assert_matches(result, eight_ref)


@pytest.mark.slow
def test_kidiq_momhsiq(kidiq_ref):
    result = bw.fit(
        datasets.kidiq_momhsiq(), backend="nutpie", draws=1000, tune=1000, chains=2, seed=2024
    )
    _assert_matches(result, kidiq_ref)
