"""PriorEditor, Python side: edits, refusals, elicitation, exports, round trips."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import bayes_widgets as bw
from bayes_widgets.core.priors import PriorDist


def send(editor, **content):
    editor._dispatch(editor, content, [])


def series_model():
    rng = np.random.default_rng(1)
    with pm.Model(coords={"term": ["level", "trend"]}) as model:
        beta = pm.Normal("beta", [10.0, 0.0], [2.0, 0.1], dims="term")
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("sales", beta[0] + beta[1] * np.arange(30), sigma, observed=10 + rng.normal(size=30))
    return model


def test_single_prior_edits_and_parameterisations():
    ed = bw.PriorEditor("Gamma")
    assert ed.family == "Gamma" and ed.values == {"alpha": 2.0, "beta": 1.0}
    send(ed, type="edit", parameterisation="mean_sd", values={"mu": 3.0, "sigma": 1.0})
    assert ed.parameterisation == "mean_sd" and ed.values == pytest.approx({"mu": 3.0, "sigma": 1.0})
    assert ed.summary["mean"] == pytest.approx(3.0) and ed.summary["sd"] == pytest.approx(1.0)
    assert ed.prior_dists["prior"].params == pytest.approx({"alpha": 9.0, "beta": 3.0})
    send(ed, type="edit", family="Beta")
    assert ed.family == "Beta" and ed.parameterisation == "canonical"
    assert ed.priors["prior"].distribution == "Beta"


@pytest.mark.parametrize(
    ("family", "values", "field"),
    [("Normal", {"sigma": 0.0}, "sigma"), ("Beta", {"alpha": -1.0}, "alpha"),
     ("Uniform", {"lower": 5.0, "upper": 1.0}, "lower")],
)
def test_invalid_values_are_refused_and_the_state_kept(family, values, field):
    ed = bw.PriorEditor(family)
    before = (dict(ed.values), dict(ed.curves), ed.updates)
    sent = []
    ed.send = lambda content, buffers=None: sent.append(content)
    send(ed, type="edit", values=values)
    assert ed.error.startswith(f"{field}:")
    assert (ed.values, ed.curves, ed.updates) == before
    assert sent[-1]["type"] == "rejected" and sent[-1]["field"] == field


def test_unknown_family_is_refused_inline():
    ed = bw.PriorEditor("Normal")
    send(ed, type="edit", family="Gauss")
    assert ed.error.startswith("family:") and ed.family == "Normal"


def test_elicitation_from_bounds_and_quartiles():
    ed = bw.PriorEditor("Gamma")
    send(ed, type="elicit", method="maxent", lower=1.0, upper=10.0, mass=0.9)
    d = ed.prior_dists["prior"].to_preliz()
    assert d.cdf(10.0) - d.cdf(1.0) == pytest.approx(0.9, abs=0.01)
    send(ed, type="elicit", method="quartiles", q1=1.0, q2=2.0, q3=3.5)
    assert ed.summary["quantiles"]["0.5"] == pytest.approx(2.0, rel=0.1)
    send(ed, type="elicit", method="maxent", lower=5.0, upper=1.0)
    assert ed.error.startswith("lower:")


def test_model_editing_redraws_the_prior_predictive_without_recompiling():
    ed = bw.PriorEditor(series_model(), draws=400, seed=3, lower=0, upper=40)
    assert [v["name"] for v in ed.variables] == ["beta", "sigma"]
    assert ed.variables[0]["elements"] == ["level", "trend"]
    q95 = ed.predictive["bands"]["0.95"][0]
    assert len(ed.predictive["observed"]) == 30
    send(ed, type="select", variable="sigma")
    for sigma in (2.0, 4.0, 8.0):
        send(ed, type="edit", values={"sigma": sigma})
    assert ed.predictive["bands"]["0.95"][0] > q95 + 5
    assert ed.model_priors.compiles == 1
    send(ed, type="select", variable="beta", element=1)
    send(ed, type="edit", values={"sigma": 0.5})
    assert ed.prior_dists["beta"].params["sigma"] == pytest.approx([2.0, 0.5])
    send(ed, type="range", lower=10.0, upper=5.0)
    assert ed.error.startswith("lower:")


def test_round_trip_editor_priors_model_editor():
    ed = bw.PriorEditor(series_model(), draws=50)
    send(ed, type="select", variable="sigma")
    send(ed, type="edit", family="Exponential")
    send(ed, type="edit", values={"lam": 0.25})
    model = ed.apply()
    again = bw.PriorEditor(model, draws=50)
    assert again.prior_dists == ed.prior_dists
    assert again.prior_dists["sigma"] == PriorDist.create("Exponential", lam=0.25)
    namespace: dict = {}
    exec(ed.code(), namespace)
    assert {k: PriorDist.from_prior(v) for k, v in namespace["priors"].items()} == ed.prior_dists


def test_bad_source_is_shown_inline():
    ed = bw.PriorEditor(42)
    assert ed.error.startswith("source:")
    assert ed.family == "Normal"


def test_model_config_without_a_model():
    from pymc_extras.prior import Prior

    config = {
        "intercept": Prior("Normal", mu=0, sigma=2),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=2), dims="date"),
        "saturation_lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
        "yearly_seasonality": 2,
    }
    ed = bw.PriorEditor(config)
    assert [v["name"] for v in ed.variables] == ["intercept", "likelihood.sigma", "saturation_lam"]
    send(ed, type="select", variable="likelihood.sigma")
    send(ed, type="edit", values={"sigma": 0.3})
    send(ed, type="select", variable="saturation_lam")
    send(ed, type="edit", parameterisation="mean_sd", values={"mu": 2.0, "sigma": 0.5})
    out = ed.model_config()
    assert out["likelihood"].parameters["sigma"].parameters["sigma"] == pytest.approx(0.3)
    assert out["likelihood"].dims == ("date",)
    lam = out["saturation_lam"]
    assert (lam.distribution, lam.dims) == ("Gamma", ("channel",))
    assert lam.parameters["alpha"] == pytest.approx(16.0) and lam.parameters["beta"] == pytest.approx(8.0)
    assert out["yearly_seasonality"] == 2
    assert config["saturation_lam"].parameters["alpha"] == 3  # the input is not changed
