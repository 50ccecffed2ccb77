"""The rocket-engine supply chain: data, profit, integer optimum, Bayesian vs naive."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

from bayes_widgets.core.decision import (
    DecisionInputError,
    DecisionProblem,
    DecisionVariable,
    SlowProfitWarning,
    compare_naive,
)
from bayes_widgets.core.decision import supply_chain as sc

SUPPLIER_0_SMALL = 10
"""Most engines the Bayesian decision may order from supplier 0 (price 220, the expensive
one): a tenth of its maximum order. A working engine from it costs 220 / 0.92 ≈ 240
against ≈ 180 and ≈ 135 from the others, so it is at most a small hedge (the published
Bayesian decision ordered none)."""


def raises_field(field: str):
    return pytest.raises(DecisionInputError, match=rf"^{field.replace('.', r'\.')}: ")


def test_packaged_observations():
    df = sc.load_yield_observations()
    assert list(df.columns) == ["supplier", "obs", "yield"]
    assert df.groupby("supplier").size().tolist() == [30, 20, 2]
    assert ((df["yield"] > 0) & (df["yield"] < 1)).all()
    point = sc.naive_point(df)
    np.testing.assert_allclose(point["yield"], df.groupby("supplier")["yield"].mean().to_numpy())
    np.testing.assert_allclose(
        point["yield"], [0.918735, 0.558903, 0.896244], atol=1e-6
    )  # as published
    assert point["demand"] == 100.0


def test_vectorised_profit_matches_the_published_one_scenario_loss():
    rng = np.random.default_rng(0)
    scen = sc.generating_process_scenarios(300, seed=1)
    orders = np.vstack(
        [[0, 0, 0], [100, 80, 100], [0, 80, 92], rng.integers(0, 100, size=(5, 3))]
    ).astype(float)
    for basis in ("sold", "ordered"):
        many = sc.profit(orders, scen, cost_basis=basis)
        assert many.shape == (len(orders), 300)
        for x, row in zip(orders, many):
            loop = [
                sc.scenario_profit(x, y, d, cost_basis=basis)
                for y, d in zip(scen["yield"], scen["demand"])
            ]
            np.testing.assert_allclose(row, loop, rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(sc.profit(x, scen, cost_basis=basis), row)
    assert np.all(sc.profit(np.zeros(3), scen) == 0.0)
    # one worked case: 168 working engines at 160 per engine, demand 150 (as published)
    assert sc.scenario_profit([100, 60, 60], [0.9, 0.5, 0.8], 150) == pytest.approx(
        150 * (500 - 160) - 18 * 100
    )


def test_one_scenario_profit_is_vectorised_for_the_user():
    scen = sc.generating_process_scenarios(400, seed=2)
    variables = [
        DecisionVariable(f"order_{i}", 0, m, integer=True) for i, m in enumerate(sc.MAX_ORDER)
    ]
    with pytest.warns(SlowProfitWarning):
        slow = DecisionProblem(
            variables, scen, lambda x, s: sc.scenario_profit(x, s["yield"], s["demand"])
        )
    fast = sc.supply_chain_problem(scen)
    for x in ([0, 80, 92], [42, 46, 42]):
        np.testing.assert_allclose(slow.outcomes(x), fast.outcomes(x))


def test_supply_chain_inputs_are_checked():
    scen = sc.generating_process_scenarios(10, seed=0)
    with raises_field("prices"):
        sc.supply_chain_problem(scen, prices=[1.0, 2.0])
    with raises_field("max_order"):
        sc.supply_chain_problem(scen, max_order=[10, 10, 10, 10])
    with raises_field("scenarios"):
        sc.supply_chain_problem({"yield": scen["yield"]})
    with raises_field("cost_basis"):
        sc.supply_chain_problem(scen, cost_basis="bought")
    with raises_field("n"):
        sc.generating_process_scenarios(0)
    bad = sc.load_yield_observations()
    bad.loc[0, "yield"] = 1.5
    with raises_field("observations.yield"):
        sc.yield_model(bad)
    with raises_field("result"):
        sc.scenarios_from_fit(
            xr.DataTree(children={"posterior": xr.DataTree(xr.Dataset({"mu": ("draw", [1.0])}))})
        )


def test_scenarios_from_posterior_draws_are_predictive():
    alpha = np.tile([9.0, 3.0, 4.0], (2, 50, 1))
    beta = np.tile([1.0, 3.0, 0.5], (2, 50, 1))
    dims = ("chain", "draw", "supplier")
    post = xr.Dataset({"alpha": (dims, alpha), "beta": (dims, beta)})
    scen = sc.scenarios_from_fit(
        xr.DataTree(children={"posterior": xr.DataTree(post)}), n=20_000, seed=4
    )
    assert scen["yield"].shape == (20_000, 3) and scen["demand"].shape == (20_000,)
    np.testing.assert_allclose(scen["yield"].mean(axis=0), [0.9, 0.5, 4 / 4.5], atol=0.01)
    assert scen["demand"].min() >= 40 and scen["demand"].mean() == pytest.approx(100, abs=0.3)


@pytest.mark.parametrize("cost_basis", ["sold", "ordered"])
def test_integer_optimum_equals_exhaustive_search(cost_basis):
    """Same solver path as the full problem, on a box small enough to enumerate in the test:
    demand and order limits divided by 4 (about 14,000 order plans x 2,000 scenarios)."""
    base = sc.generating_process_scenarios(2000, seed=11)
    scen = {"yield": base["yield"], "demand": base["demand"] / 4}
    max_order = (25, 20, 25)
    p = sc.supply_chain_problem(scen, max_order=max_order, cost_basis=cost_basis)
    grid = np.array(list(itertools.product(*[range(m + 1) for m in max_order])), dtype=float)
    means = np.concatenate(
        [sc.profit(g, scen, cost_basis=cost_basis).mean(axis=1) for g in np.array_split(grid, 20)]
    )
    best = grid[int(np.argmax(means))]

    searched = p.optimize(seed=0, max_enumeration=0)  # neighbourhood search, no full enumeration
    assert searched.exact is False
    assert searched.x_array.tolist() == best.tolist()
    assert searched.value == pytest.approx(means.max(), rel=1e-12)

    enumerated = p.optimize(seed=0, max_enumeration=3e7)  # small enough: the exact path
    assert enumerated.exact is True and enumerated.converged
    assert enumerated.x_array.tolist() == best.tolist()


@pytest.mark.slow
def test_integer_optimum_on_the_full_order_box_equals_exhaustive_search():
    """The real 3-supplier problem (orders up to 100, 80, 100: 826,281 plans), with few
    scenarios so that brute force over the whole box stays within seconds."""
    scen = sc.generating_process_scenarios(300, seed=5)
    p = sc.supply_chain_problem(scen)
    grid = np.array(list(itertools.product(range(101), range(81), range(101))), dtype=float)
    means = np.concatenate([sc.profit(g, scen).mean(axis=1) for g in np.array_split(grid, 200)])
    best = grid[int(np.argmax(means))]
    found = p.optimize(seed=0)
    assert found.x_array.tolist() == best.tolist()
    assert found.value == pytest.approx(means.max(), rel=1e-12)


def test_budget_limits_the_spend():
    scen = sc.generating_process_scenarios(2000, seed=5)
    from bayes_widgets.core.decision import budget

    p = sc.supply_chain_problem(scen, constraints=[budget(12_000, weights=sc.PRICES, name="spend")])
    r = p.optimize(seed=0)
    spend = float(np.dot(sc.PRICES, r.x_array))
    assert spend <= 12_000
    free = sc.supply_chain_problem(scen).optimize(seed=0)
    assert float(np.dot(sc.PRICES, free.x_array)) > 12_000  # the budget binds
    assert r.value < free.value


@pytest.mark.slow
def test_bayesian_decision_beats_the_naive_one():
    """Fit the published model (few draws), optimise over posterior predictive scenarios,
    and judge against the published plug-in-the-means decision on fresh draws and on the
    process the data came from."""
    result = sc.fit_yields(draws=300, tune=300, chains=2, seed=8)
    assert result.status == "finished"
    problem = sc.supply_chain_problem(sc.scenarios_from_fit(result, n=2000, seed=1))
    bayes = problem.optimize(seed=0)
    point = sc.naive_point()
    fresh = compare_naive(
        problem, sc.scenarios_from_fit(result, n=10_000, seed=2), point=point, bayesian=bayes
    )
    truth = compare_naive(
        problem, sc.generating_process_scenarios(10_000, seed=3), point=point, bayesian=bayes
    )
    for c in (fresh, truth):
        assert c.z > 3, str(c)
        assert c.difference > 0
    assert bayes.x["order_0"] <= SUPPLIER_0_SMALL
    assert fresh.naive.exact is True  # one scenario: the whole box is enumerated
    assert fresh.naive.x != bayes.x
