"""The logistic saturation computed with one exponential: the same function, the same
gradient, on a model written by hand."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from pymc.model.transform.optimization import freeze_dims_and_data
from pytensor.compile.mode import get_mode
from pytensor.graph import rewrite_graph
from pytensor.graph.traversal import ancestors

from bayes_widgets.core.fitting import rewrites


def saturation_model(parenthesised: bool = True) -> pm.Model:
    """Sales saturating in spend, the logistic form written out as the MMM docs do."""
    rng = np.random.default_rng(5)
    spend = rng.gamma(2.0, 1.0, size=(50, 3))
    with pm.Model(coords={"week": np.arange(50), "channel": list("abc")}) as model:
        x = pm.Data("spend", spend, dims=("week", "channel"))
        lam = pm.Gamma("lam", mu=2, sigma=1, dims="channel")
        beta = pm.HalfNormal("beta", 2, dims="channel")
        z = lam * x
        if parenthesised:  # as pymc-marketing writes it
            saturated = beta * ((1 - pt.exp(-z)) / (1 + pt.exp(-z)))
        else:
            saturated = beta * (1 - pt.exp(-z)) / (1 + pt.exp(-z))
        contribution = pm.Deterministic("contribution", saturated, dims=("week", "channel"))
        pm.Normal("sales", contribution.sum(-1), 0.5, observed=rng.normal(2, 0.5, 50), dims="week")
    return freeze_dims_and_data(model)


def count(var, name: str) -> int:
    """How many apply nodes of elementwise ``name`` (e.g. "Exp", "Sigmoid") build ``var``."""
    return sum(1 for v in ancestors([var]) if v.owner is not None and str(v.owner.op) == name)


def compiled(model, mode, canonical_first: bool):
    logp = model.logp()
    if canonical_first:  # as nutpie does before it takes the gradient
        logp = rewrite_graph(logp, include=["canonicalize", "stabilize"])
    return pytensor.function(model.value_vars, [logp, *pt.grad(logp, model.value_vars)], mode=mode)


@pytest.mark.parametrize("parenthesised", [True, False])
def test_the_one_exponential_form_gives_the_same_density_and_gradient(parenthesised):
    model = saturation_model(parenthesised)
    rewrites.enable()
    canonical = rewrite_graph(model.logp(), include=["canonicalize"])
    excluded = rewrite_graph(
        model.logp(), include=["canonicalize"], exclude=[rewrites.LOGISTIC_NAME]
    )
    # exp(-z) is gone, a sigmoid took its place (the other exponentials are the transforms')
    assert count(canonical, "Exp") == count(excluded, "Exp") - 1
    assert count(canonical, "Sigmoid") == 1 and count(excluded, "Sigmoid") == 0

    rewritten = compiled(model, get_mode("NUMBA"), canonical_first=True)
    plain = compiled(
        model, get_mode("NUMBA").excluding(rewrites.LOGISTIC_NAME), canonical_first=False
    )
    rng = np.random.default_rng(1)
    start = model.initial_point()
    for _ in range(5):
        point = [
            start[v.name] + rng.normal(0, 0.7, np.shape(start[v.name])) for v in model.value_vars
        ]
        for a, b in zip(rewritten(*point), plain(*point), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_far_negative_arguments_give_minus_one_not_nan():
    z = pt.vector("z")
    saturation = (1 - pt.exp(-z)) / (1 + pt.exp(-z))
    rewrites.enable()
    values = np.array([-1000.0, -5.0, 0.0, 1e-9, 3.0, 1000.0])
    got = pytensor.function([z], saturation)(values)
    np.testing.assert_allclose(got, np.tanh(values / 2), rtol=1e-9, atol=1e-15)
    plain = pytensor.function(
        [z], saturation, mode=get_mode("FAST_RUN").excluding(rewrites.LOGISTIC_NAME)
    )(values)
    assert np.isnan(plain[0]) and got[0] == -1.0


def test_other_quotients_are_left_alone():
    rewrites.enable()
    x, y = pt.vector("x"), pt.vector("y")
    fired = rewrites.logistic_rewriter()
    for expr in (
        (2 - pt.exp(x)) / (1 + pt.exp(x)),  # not one minus
        (1 - pt.exp(x)) / (1 + pt.exp(y)),  # two exponentials
        (1 - pt.exp(x)) / (3 + pt.exp(x)),  # not one plus
        (1 - pt.log(x)) / (1 + pt.log(x)),  # not an exponential
    ):
        assert fired.transform(None, expr.owner) is None
    e = pt.exp(x)  # one node, as the compiler's merging leaves it
    assert fired.transform(None, ((1 - e) / (e + 1)).owner) is not None
