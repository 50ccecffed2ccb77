"""One prior distribution: every family against scipy, validation, conversions, elicitation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from bayes_widgets.core.priors import FAMILIES, PriorDist, PriorError, from_quartiles, maxent


class HalfT:
    """Half Student-t (scipy has none): the t folded at zero."""

    def __init__(self, nu, sigma):
        self.nu, self.sigma = nu, sigma
        self.t = stats.t(nu, 0, sigma)

    def pdf(self, x):
        return np.where(x >= 0, 2 * self.t.pdf(x), 0.0)

    def cdf(self, x):
        return np.where(x >= 0, 2 * self.t.cdf(x) - 1, 0.0)

    def mean(self):
        nu, s = self.nu, self.sigma
        return (
            2
            * s
            * math.sqrt(nu / math.pi)
            * math.exp(special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2))
            / (nu - 1)
        )

    def std(self):
        nu, s = self.nu, self.sigma
        return math.sqrt(s**2 * nu / (nu - 2) - self.mean() ** 2)


# family -> (parameters, the same distribution in scipy)
REFERENCE = {
    "Normal": ({"mu": 1.5, "sigma": 2.0}, lambda p: stats.norm(p["mu"], p["sigma"])),
    "HalfNormal": ({"sigma": 2.0}, lambda p: stats.halfnorm(scale=p["sigma"])),
    "LogNormal": (
        {"mu": 0.3, "sigma": 0.5},
        lambda p: stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"])),
    ),
    "Gamma": (
        {"alpha": 3.0, "beta": 2.0},
        lambda p: stats.gamma(a=p["alpha"], scale=1 / p["beta"]),
    ),
    "Beta": ({"alpha": 2.5, "beta": 4.0}, lambda p: stats.beta(p["alpha"], p["beta"])),
    "StudentT": (
        {"nu": 5.0, "mu": 1.0, "sigma": 2.0},
        lambda p: stats.t(p["nu"], p["mu"], p["sigma"]),
    ),
    "HalfStudentT": ({"nu": 5.0, "sigma": 2.0}, lambda p: HalfT(p["nu"], p["sigma"])),
    "Laplace": ({"mu": -1.0, "b": 0.5}, lambda p: stats.laplace(p["mu"], p["b"])),
    "Exponential": ({"lam": 0.5}, lambda p: stats.expon(scale=1 / p["lam"])),
    "Uniform": (
        {"lower": -2.0, "upper": 3.0},
        lambda p: stats.uniform(p["lower"], p["upper"] - p["lower"]),
    ),
    "TruncatedNormal": (
        {"mu": 0.5, "sigma": 1.5, "lower": -1.0, "upper": 2.0},
        lambda p: stats.truncnorm(
            (p["lower"] - p["mu"]) / p["sigma"],
            (p["upper"] - p["mu"]) / p["sigma"],
            p["mu"],
            p["sigma"],
        ),
    ),
    "Weibull": (
        {"alpha": 1.5, "beta": 2.0},
        lambda p: stats.weibull_min(c=p["alpha"], scale=p["beta"]),
    ),
    "InverseGamma": (
        {"alpha": 4.0, "beta": 3.0},
        lambda p: stats.invgamma(a=p["alpha"], scale=p["beta"]),
    ),
    "Cauchy": ({"alpha": 1.0, "beta": 2.0}, lambda p: stats.cauchy(p["alpha"], p["beta"])),
    "HalfCauchy": ({"beta": 2.0}, lambda p: stats.halfcauchy(scale=p["beta"])),
    "Poisson": ({"mu": 4.0}, lambda p: stats.poisson(p["mu"])),
    "NegativeBinomial": (
        {"mu": 6.0, "alpha": 3.0},
        lambda p: stats.nbinom(n=p["alpha"], p=p["alpha"] / (p["mu"] + p["alpha"])),
    ),
}


def test_every_family_has_a_reference():
    assert set(REFERENCE) == set(FAMILIES)


@pytest.mark.parametrize("family", list(REFERENCE))
def test_curves_and_summary_match_scipy(family):
    params, make = REFERENCE[family]
    d = PriorDist.create(family, **params)
    ref = make(params)
    curves = d.curves()
    x = np.asarray(curves["x"])
    pdf_ref = ref.pmf(x) if FAMILIES[family].discrete else ref.pdf(x)
    np.testing.assert_allclose(curves["pdf"], pdf_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(curves["cdf"], ref.cdf(x), rtol=1e-6, atol=1e-9)
    s = d.summary()
    if np.isfinite(ref.mean()):
        assert s["mean"] == pytest.approx(ref.mean(), rel=1e-6, abs=1e-9)
        assert s["sd"] == pytest.approx(ref.std(), rel=1e-6)
    else:  # Cauchy family: no mean, no sd
        assert s["mean"] is None and s["sd"] is None
    if hasattr(ref, "ppf"):
        for q in (0.05, 0.5, 0.95):
            assert s["quantiles"][f"{q:g}"] == pytest.approx(ref.ppf(q), rel=1e-5, abs=1e-6)
    # the grid covers nearly all the mass
    assert curves["cdf"][-1] - (curves["cdf"][0] if not FAMILIES[family].discrete else 0) > 0.99


@pytest.mark.parametrize("family", list(FAMILIES))
def test_defaults_are_valid_and_round_trip_through_prior(family):
    d = PriorDist.create(family)
    prior = d.to_prior()
    assert prior.distribution == family
    assert PriorDist.from_prior(prior) == d
    assert PriorDist.from_dict(d.to_dict()) == d


@pytest.mark.parametrize(
    ("family", "params", "field", "words"),
    [
        ("Normal", {"sigma": 0}, "sigma", "> 0"),
        ("Normal", {"sigma": -1}, "sigma", "> 0"),
        ("HalfNormal", {"sigma": float("nan")}, "sigma", "NaN"),
        ("Beta", {"alpha": 0}, "alpha", "> 0"),
        ("Beta", {"beta": -2}, "beta", "> 0"),
        ("Uniform", {"lower": 2, "upper": 1}, "lower", "< upper"),
        ("TruncatedNormal", {"lower": 1, "upper": 1}, "lower", "< upper"),
        ("Normal", {"scale": 1}, "scale", "not a parameter"),
        ("Gamma", {"alpha": "x"}, "alpha", "number"),
    ],
)
def test_invalid_parameters_name_the_parameter(family, params, field, words):
    with pytest.raises(PriorError) as info:
        PriorDist.create(family, **params)
    assert info.value.field == field
    assert words in str(info.value)


def test_unknown_family_is_refused():
    with pytest.raises(PriorError, match="family: unknown family 'Gauss'"):
        PriorDist.create("Gauss")


def test_mean_sd_parameterizations():
    g = PriorDist.create("Gamma", parameterization="mean_sd", mu=2.0, sigma=1.0)
    assert g.params == pytest.approx({"alpha": 4.0, "beta": 2.0})
    assert g.in_terms("mean_sd") == pytest.approx({"mu": 2.0, "sigma": 1.0})
    b = PriorDist.create("Beta", parameterization="mean_sd", mu=0.3, sigma=0.1)
    ref = stats.beta(b.params["alpha"], b.params["beta"])
    assert (ref.mean(), ref.std()) == pytest.approx((0.3, 0.1))
    # a Beta whose sd is too large for its mean does not exist
    with pytest.raises(PriorError, match="sigma"):
        PriorDist.create("Beta", parameterization="mean_sd", mu=0.5, sigma=0.6)
    with pytest.raises(PriorError, match="^parameterization: Normal has no parameterization"):
        PriorDist.create("Normal", parameterization="mean_sd")


def test_the_old_parameterisation_keyword_warns_and_still_works():
    old = "the argument parameterisation is deprecated; use parameterization"
    with pytest.warns(DeprecationWarning, match=f"PriorDist.create: {old}"):
        g = PriorDist.create("Gamma", parameterisation="mean_sd", mu=2.0, sigma=1.0)
    assert g.params == pytest.approx({"alpha": 4.0, "beta": 2.0})
    with pytest.warns(DeprecationWarning, match=f"PriorDist.updated: {old}"):
        assert g.updated(parameterisation="mean_sd", mu=3.0).in_terms("mean_sd") == pytest.approx(
            {"mu": 3.0, "sigma": 1.0}
        )
    with pytest.warns(DeprecationWarning, match=f"PriorDist.in_terms: {old}"):
        old_terms = g.in_terms(parameterisation="mean_sd")  # pyright: ignore[reportCallIssue]
        assert old_terms == pytest.approx({"mu": 2.0, "sigma": 1.0})
    v = PriorDist.create("Gamma", dims="channel", alpha=[2.0, 3.0], beta=1.0)
    with pytest.warns(DeprecationWarning, match=f"PriorDist.with_element: {old}"):
        w = v.with_element(0, parameterisation="mean_sd", mu=5.0, sigma=1.0)
    assert w.element(0).in_terms("mean_sd") == pytest.approx({"mu": 5.0, "sigma": 1.0})
    with pytest.raises(TypeError, match="pass only parameterization"):
        PriorDist.create("Gamma", parameterisation="mean_sd", parameterization="mean_sd")
    gamma = FAMILIES["Gamma"]
    with pytest.warns(DeprecationWarning, match="parameterisation is deprecated; use parameteriz"):
        assert gamma.parameterisation("mean_sd") == gamma.parameterization("mean_sd")


def test_updates_keep_the_last_valid_state():
    d = PriorDist.create("Normal", mu=1.0, sigma=2.0)
    with pytest.raises(PriorError):
        d.updated(sigma=-1)
    assert d.params == {"mu": 1.0, "sigma": 2.0}
    assert d.updated(mu=3.0).params == {"mu": 3.0, "sigma": 2.0}


def test_vector_prior_is_edited_element_by_element():
    v = PriorDist.create("Gamma", dims="channel", alpha=[2.0, 3.0, 4.0], beta=1.0)
    assert v.size == 3 and v.dims == ("channel",)
    w = v.with_element(1, parameterization="mean_sd", mu=5.0, sigma=1.0)
    assert w.element(1).in_terms("mean_sd") == pytest.approx({"mu": 5.0, "sigma": 1.0})
    assert w.element(0) == v.element(0) and w.element(2) == v.element(2)
    assert PriorDist.from_prior(w.to_prior()) == w
    with pytest.raises(PriorError, match="element"):
        w.element(3)
    with pytest.raises(PriorError, match="dims"):
        PriorDist.create("Normal", mu=[0.0, 1.0])


def test_code_rebuilds_the_prior():
    from pymc_extras.prior import Prior

    v = PriorDist.create("Normal", dims="channel", mu=[0.0, 1.5], sigma=2.0)
    rebuilt = eval(v.code(), {"Prior": Prior, "np": np})
    assert PriorDist.from_prior(rebuilt) == v


ELICIT_BOUNDS = {
    "Normal": (-2, 2),
    "HalfNormal": (0.1, 3),
    "LogNormal": (1, 10),
    "Gamma": (1, 10),
    "Beta": (0.2, 0.6),
    "StudentT": (-2, 2),
    "HalfStudentT": (0.1, 3),
    "Laplace": (-2, 2),
    "Exponential": (0.1, 3),
    "Uniform": (-1, 1),
    "TruncatedNormal": (-0.5, 0.5),
    "Weibull": (1, 5),
    "InverseGamma": (1, 5),
    "Poisson": (2, 8),
    "NegativeBinomial": (2, 15),
    "Cauchy": (-2, 2),
    "HalfCauchy": (0, 3),
}


@pytest.mark.parametrize("family", list(ELICIT_BOUNDS))
def test_maxent_puts_the_mass_between_the_bounds(family):
    lower, upper = ELICIT_BOUNDS[family]
    d = maxent(family, lower, upper, 0.8)
    ref = REFERENCE[family][1](d.params)
    if FAMILIES[family].discrete:
        mass = ref.cdf(upper) - ref.cdf(lower - 1)
        assert mass == pytest.approx(0.8, abs=0.08)  # integer steps cannot hit it exactly
    else:
        assert ref.cdf(upper) - ref.cdf(lower) == pytest.approx(0.8, abs=0.01)


@pytest.mark.parametrize(
    ("family", "quartiles"),
    [
        ("Normal", (-1, 0, 1)),
        ("LogNormal", (1, 2, 4)),
        ("Gamma", (1, 2, 3.5)),
        ("Beta", (0.2, 0.3, 0.45)),
        ("Laplace", (-1, 0, 1)),
        ("Weibull", (0.5, 1, 1.6)),
        ("InverseGamma", (0.8, 1.2, 1.8)),
    ],
)
def test_quartile_elicitation_matches_the_quartiles(family, quartiles):
    d = from_quartiles(family, *quartiles)
    ref = REFERENCE[family][1](d.params)
    got = ref.ppf([0.25, 0.5, 0.75])
    np.testing.assert_allclose(got, quartiles, rtol=0.08, atol=0.03)


def test_elicitation_refuses_bad_bounds():
    with pytest.raises(PriorError, match="lower"):
        maxent("Normal", 2, 1)
    with pytest.raises(PriorError, match="mass"):
        maxent("Normal", -1, 1, mass=1.5)
    with pytest.raises(PriorError, match="q1"):
        from_quartiles("Normal", 1, 0, 2)


def test_prior_in_another_parameterization_is_read():
    from pymc_extras.prior import Prior

    d = PriorDist.from_prior(Prior("Gamma", mu=2, sigma=1, dims="channel"))
    assert d.params == pytest.approx({"alpha": 4.0, "beta": 2.0})
    assert d.dims == ("channel",)
