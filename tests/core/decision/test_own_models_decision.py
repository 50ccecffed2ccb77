"""A decision on the posterior predictive of a model written by hand, as the PyMC docs
teach it (pm.Data input with a named dim, a deterministic, a Poisson likelihood)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import bayes_widgets as bw
from bayes_widgets.core.decision import (
    DecisionInputError,
    DecisionProblem,
    DecisionVariable,
    compare_naive,
)

PRICE, COST = 12.0, 7.0


@pytest.fixture(scope="module")
def demand_tree():
    """Posterior predictive demand of three products at next week's promotion levels."""
    rng = np.random.default_rng(11)
    n = 60
    product = rng.integers(0, 3, n)
    promo = rng.integers(0, 2, n).astype(float)
    true_log = np.array([3.0, 3.6, 4.0])
    sales = rng.poisson(np.exp(true_log[product] + 0.3 * promo))
    coords = {"product": ["bolts", "gaskets", "valves"], "obs": np.arange(n)}
    with pm.Model(coords=coords) as model:
        idx = pm.Data("product_idx", product, dims="obs")
        x = pm.Data("promo", promo, dims="obs")
        base = pm.Normal("base", 3.0, 1.0, dims="product")
        lift = pm.Normal("lift", 0.0, 0.5)
        rate = pm.Deterministic("rate", pm.math.exp(base[idx] + lift * x), dims="obs")
        pm.Poisson("sales", rate, observed=sales, dims="obs")
    result = bw.fit(model, backend="pymc", draws=150, tune=150, chains=2, cores=1, seed=3)
    assert result.status == "finished"
    with model:
        pm.set_data(
            {"product_idx": np.arange(3), "promo": np.ones(3)}, coords={"obs": np.arange(3)}
        )
        tree = pm.sample_posterior_predictive(
            result.idata, var_names=["sales"], random_seed=4, predictions=True, progressbar=False
        )
    return tree


def test_order_quantities_from_a_hand_written_models_predictive(demand_tree):
    demand = demand_tree["predictions"]["sales"].values.reshape(-1, 3)
    problem = DecisionProblem(
        [DecisionVariable(name, 0, 200, integer=True) for name in ("bolts", "gaskets", "valves")],
        demand_tree,
        profit=lambda x, s: (PRICE * np.minimum(x, s["sales"]) - COST * x).sum(axis=-1),
    )
    assert problem.n_scenarios == demand.shape[0]
    best = problem.optimize("mean")
    # the newsvendor optimum of each product is its critical quantile of demand
    critical = (PRICE - COST) / PRICE
    expected = np.quantile(demand, critical, axis=0)
    assert np.all(np.abs(best.x_array - expected) <= 0.1 * expected + 3)
    assert (
        problem.evaluate(best.x_array).mean
        >= problem.evaluate(np.round(demand.mean(axis=0))).mean - 1e-9
    )
    explorer = bw.DecisionExplorer(problem)
    assert set(explorer.decision) == {"bolts", "gaskets", "valves"} and not explorer.error


def test_a_profit_of_the_wrong_quantity_is_named(demand_tree):
    with pytest.raises(DecisionInputError, match="demand"):
        DecisionProblem(
            [DecisionVariable("bolts", 0, 200)],
            demand_tree,
            profit=lambda x, s: PRICE * np.minimum(x[0], s["demand"]) - COST * x[0],
        ).evaluate([10])


def test_naive_comparison_on_held_out_draws(demand_tree):
    problem = DecisionProblem(
        [DecisionVariable(name, 0, 200, integer=True) for name in ("bolts", "gaskets", "valves")],
        demand_tree,
        profit=lambda x, s: (PRICE * np.minimum(x, s["sales"]) - COST * x).sum(axis=-1),
    )
    verdict = compare_naive(problem)
    assert np.isfinite(verdict.difference) and verdict.n_heldout > 0
