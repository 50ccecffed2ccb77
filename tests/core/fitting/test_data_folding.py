"""Convolutions of data are computed once, and compute what they computed before."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from pymc.model.transform.optimization import freeze_dims_and_data
from pytensor.compile.mode import get_mode
from pytensor.graph.basic import Constant
from pytensor.tensor.signal import convolve1d

from bayes_widgets.core.fitting import data_folding, rewrites

LAGS = 4


def adstock_model(spend: np.ndarray, sales: np.ndarray) -> pm.Model:
    """A geometric adstock written by hand, as the PyMC docs would: the spend is data,
    padded with zeros so the convolution only looks back."""
    with pm.Model(coords={"week": np.arange(len(spend))}) as model:
        x = pm.Data("spend", spend, dims="week")
        alpha = pm.Beta("alpha", 1, 3)
        beta = pm.HalfNormal("beta", 2)
        sigma = pm.HalfNormal("sigma", 1)
        weights = alpha ** pt.arange(LAGS)
        padded = pt.concatenate([pt.zeros(LAGS - 1), x])
        adstock = pm.Deterministic(
            "adstock", convolve1d(padded, weights / weights.sum(), mode="valid"), dims="week"
        )
        pm.Normal("sales", beta * adstock, sigma, observed=sales, dims="week")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    spend = rng.gamma(2.0, 1.0, size=60)
    return spend, 0.7 * spend + rng.normal(0, 0.3, size=60)


def logp_and_gradient(model, mode):
    logp = model.logp()
    return pytensor.function(model.value_vars, [logp, *pt.grad(logp, model.value_vars)], mode=mode)


def points(model, n=4):
    rng = np.random.default_rng(0)
    start = model.initial_point()
    return [
        [start[v.name] + rng.normal(0, 0.5, np.shape(start[v.name])) for v in model.value_vars]
        for _ in range(n)
    ]


def convolutions(fn):
    return [node for node in fn.maker.fgraph.toposort() if "Convolve1d" in str(node.op)]


@pytest.mark.parametrize("mode", ["NUMBA", "FAST_RUN"])
def test_a_frozen_model_s_convolution_of_data_takes_one_contiguous_constant(data, mode):
    model = freeze_dims_and_data(adstock_model(*data))
    rewrites.enable()
    folded = logp_and_gradient(model, get_mode(mode))
    plain = logp_and_gradient(model, get_mode(mode).excluding(data_folding.REWRITE_NAME))

    # the padded spend, and the reversed padded spend of the gradient, are constants
    nodes = convolutions(folded)
    assert len(nodes) == 2
    constants = [i for node in nodes for i in node.inputs[:2] if isinstance(i, Constant)]
    assert len(constants) == 2 and all(c.data.flags["C_CONTIGUOUS"] for c in constants)
    assert not any(
        type(n.op).__name__ in ("Alloc", "Join") for n in folded.maker.fgraph.apply_nodes
    )
    assert any(type(n.op).__name__ in ("Alloc", "Join") for n in plain.maker.fgraph.apply_nodes)

    for point in points(model):
        for a, b in zip(folded(*point), plain(*point), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_shared_data_stays_computed_and_follows_set_data(data):
    spend, sales = data
    model = adstock_model(spend, sales)  # not frozen: the spend is shared data
    rewrites.enable()
    folded = logp_and_gradient(model, get_mode("NUMBA"))
    assert not any(
        isinstance(i, Constant) for node in convolutions(folded) for i in node.inputs[:2]
    )
    point = points(model, 1)[0]
    before = folded(*point)[0]
    with model:
        pm.set_data({"spend": spend * 2})
    after = folded(*point)[0]
    expected = logp_and_gradient(model, get_mode("NUMBA").excluding(data_folding.REWRITE_NAME))(
        *point
    )[0]
    assert after != before and after == pytest.approx(expected, rel=1e-12)


def test_an_input_larger_than_the_limit_stays_computed():
    x = pt.concatenate([pt.zeros(3), pt.constant(np.arange(10.0))])
    assert data_folding.from_constants(x)
    assert data_folding.folded(x, max_bytes=8 * 13 - 1) is None
    constant = data_folding.folded(x, max_bytes=8 * 13)
    np.testing.assert_array_equal(constant.data, np.r_[np.zeros(3), np.arange(10.0)])
    # a length known only once computed
    values = pt.constant(np.arange(10.0))
    upper = values[values > 4.5]
    assert upper.type.shape == (None,)
    assert data_folding.folded(upper, max_bytes=39) is None
    np.testing.assert_array_equal(
        data_folding.folded(upper, max_bytes=40).data, np.arange(5.0, 10.0)
    )
    assert not data_folding.from_constants(pt.constant(np.arange(3.0)))
    assert not data_folding.from_constants(pt.vector("free") + 1)


def test_enable_registers_once():
    rewrites.enable()
    rewrites.enable()
    from pytensor.compile import optdb

    assert data_folding.REWRITE_NAME in optdb["specialize"].__db__
    assert rewrites.LOGISTIC_NAME in optdb["canonicalize"].__db__
