"""The decision core: inputs, risk measures, vectorisation, solvers, constraints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from bayes_widgets.core.decision import (
    Constraint,
    DecisionInputError,
    DecisionProblem,
    DecisionVariable,
    LinearConstraint,
    SlowProfitWarning,
    as_scenarios,
    budget,
    compare_naive,
    cvar,
    expected_value,
    prob_loss,
    quantile,
    risk_measure,
    summarize,
)
from bayes_widgets.core.fitting.result import FitResult

PRICE, COST = 5.0, 3.0  # newsvendor: critical fractile (price - cost) / price = 0.4


def newsvendor_profit(x, s):
    return PRICE * np.minimum(x[0], s["demand"]) - COST * x[0]


def newsvendor_one_scenario(x, s):
    """The same profit written for one scenario (scalars in, scalar out)."""
    sold = min(s["demand"], x[0])
    return PRICE * sold - COST * x[0]


@pytest.fixture(scope="module")
def demand() -> np.ndarray:
    return np.random.default_rng(7).normal(100.0, 20.0, size=4000)


def newsvendor(demand, integer=False, **kwargs) -> DecisionProblem:
    return DecisionProblem(
        [DecisionVariable("q", 0, 200, integer=integer)],
        {"demand": demand},
        newsvendor_profit,
        **kwargs,
    )


def raises_field(field: str):
    return pytest.raises(DecisionInputError, match=rf"^{field.replace('.', r'\.')}: ")


# ------------------------------------------------------------------ inputs
def test_errors_name_the_field_and_read_field_colon_message():
    with pytest.raises(DecisionInputError) as info:
        DecisionVariable("a", 5, 3)
    assert info.value.field == "variables.a"
    assert str(info.value) == "variables.a: lower bound 5 is above upper bound 3"


def test_bad_variables():
    with raises_field("variables.a"):
        DecisionVariable("a", 0, np.inf)
    with raises_field("variables.a"):
        DecisionVariable("a", 0.2, 0.8, integer=True)
    with raises_field("variables"):
        DecisionProblem(
            [DecisionVariable("a", 0, 1), DecisionVariable("a", 0, 2)],
            {"d": [1.0]},
            lambda x, s: s["d"],
        )
    with raises_field("variables"):
        DecisionProblem([], {"d": [1.0]}, lambda x, s: s["d"])


def test_infeasible_constraints_are_detected():
    two = [DecisionVariable("a", 3, 10), DecisionVariable("b", 4, 10)]
    scen = {"d": np.ones(5)}
    f = lambda x, s: x.sum() * s["d"]
    with raises_field("constraints.budget") as info:
        DecisionProblem(two, scen, f, constraints=[budget(5)])
    assert "below 7" in str(info.value)
    with raises_field("constraints.spend"):
        DecisionProblem(two, scen, f, constraints=[budget(29, weights=[2.0, 6.0], name="spend")])
    together = [LinearConstraint([1, 1], [12], "cap"), LinearConstraint([-1, -1], [-15], "floor")]
    with raises_field("constraints") as info:
        DecisionProblem(two, scen, f, constraints=together)
    assert "cap" in str(info.value) and "floor" in str(info.value)
    never = DecisionProblem(two, scen, f, constraints=[Constraint(lambda x: 1.0, "never")])
    with raises_field("constraints") as info:
        never.optimize(restarts=2, seed=0)
    assert "no feasible decision" in str(info.value)
    with raises_field("constraints.budget"):
        DecisionProblem(two, scen, f, constraints=[budget(30, weights=[1.0, 1.0, 1.0])])


def test_bad_scenarios_name_the_quantity():
    v = {"q": (0, 10)}
    f = lambda x, s: s["demand"] * x[0]
    with raises_field("scenarios.demand") as info:
        DecisionProblem(v, {"demand": [1.0, np.nan, 3.0]}, f)
    assert "1 NaN" in str(info.value)
    with raises_field("scenarios.price"):
        DecisionProblem(v, {"demand": [1.0, 2.0], "price": [1.0, np.inf]}, f)
    with raises_field("scenarios") as info:
        DecisionProblem(v, {"demand": np.ones(4), "price": np.ones(5)}, f)
    assert "demand has 4" in str(info.value) and "price has 5" in str(info.value)
    with raises_field("scenarios.demand"):
        DecisionProblem(v, {"demand": ["a", "b"]}, f)
    with raises_field("scenarios.demand"):
        DecisionProblem(v, {"demand": 3.0}, f)
    with raises_field("scenarios"):
        DecisionProblem(v, {}, f)
    with raises_field("scenarios"):
        DecisionProblem(v, [1, 2, 3], f)


def test_bad_profit_functions():
    v = {"q": (0, 10)}
    scen = {"demand": np.arange(1.0, 7.0)}
    with raises_field("profit"):
        DecisionProblem(v, scen, "not a function")
    with raises_field("profit") as info:  # wrong shape both ways: (S, 2), then (2,) per scenario
        DecisionProblem(v, scen, lambda x, s: np.stack([s["demand"], s["demand"]], axis=-1))
    assert "one profit per scenario" in str(info.value)
    with raises_field("profit") as info:
        DecisionProblem(v, scen, lambda x, s: np.where(s["demand"] > 3, np.nan, 1.0))
    assert "non-finite" in str(info.value)
    with raises_field("profit"):  # fails on arrays and on one scenario
        DecisionProblem(v, scen, lambda x, s: s["missing"])
    with raises_field("profit"):  # batch=True but only one decision at a time
        DecisionProblem(v, scen, lambda x, s: float(x[0]) * s["demand"], batch=True)
    blows_up = DecisionProblem(v, scen, lambda x, s: s["demand"] / (x[0] - 7.0))
    with raises_field("profit"), np.errstate(divide="ignore"):
        blows_up.outcomes([7.0])


def test_bad_decisions_and_options(demand):
    p = newsvendor(demand[:50])
    with raises_field("x") as info:
        p.evaluate([1.0, 2.0])
    assert "expected 1 values (q)" in str(info.value)
    with raises_field("x.q"):
        p.evaluate([250.0])
    with raises_field("x"):
        p.evaluate({"r": 3.0})
    with raises_field("x.q"):
        newsvendor(demand[:50], integer=True).evaluate([2.5])
    with raises_field("objective"):
        p.optimize("variance")
    with raises_field("objective"):
        risk_measure("expected_shortfall")
    with raises_field("level"):
        p.optimize("cvar", level=1.5)
    with raises_field("level"):
        p.optimize("mean", level=0.1)
    with raises_field("method"):
        p.optimize(method="annealing")
    with raises_field("restarts"):
        p.optimize(restarts=0)
    with raises_field("scenarios"):
        p.with_scenarios({"demand": np.ones(4), "extra": np.ones(4)})
    with raises_field("heldout_scenarios"):
        compare_naive(p, {"demand": np.ones((4, 2))})
    with raises_field("point.demand"):
        compare_naive(p, {"demand": np.ones(4)}, point={"demand": [1.0, 2.0]})
    with raises_field("point"):
        compare_naive(p, {"demand": np.ones(4)}, point={"price": 1.0})


# ------------------------------------------------------------ risk measures
def test_risk_measures_match_hand_computed_values():
    x = np.array([9.0, -2.0, 4.0, 1.0, 3.0])  # sorted: -2, 1, 3, 4, 9
    assert expected_value(x) == 3.0
    assert quantile(x, 0.5) == 3.0
    assert quantile(x, 0.25) == 1.0
    assert quantile(x, 0.1) == pytest.approx(-2 + 0.4 * 3)  # position 0.4 between -2 and 1
    assert cvar(x, 0.4) == pytest.approx((-2 + 1) / 2)  # worst 2 of 5
    assert cvar(x, 0.3) == pytest.approx((-2 + 0.5 * 1) / 1.5)  # 1.5 scenarios: half of the 2nd
    assert cvar(x, 0.2) == pytest.approx(-2.0)
    assert cvar(x, 1.0) == pytest.approx(3.0)
    assert cvar(np.array([1.0, 2.0, 3.0, 4.0]), 0.5) == pytest.approx(1.5)
    assert prob_loss(x) == pytest.approx(0.2)
    rows = np.stack([x, -x])  # many decisions at once: one value per row
    np.testing.assert_allclose(cvar(rows, 0.4), [-0.5, (-9 - 4) / 2])
    np.testing.assert_allclose(prob_loss(rows), [0.2, 0.8])
    assert risk_measure("prob_loss").score(x) == pytest.approx(-0.2)  # higher score = better
    assert risk_measure("cvar", 0.4).label == "cvar(0.4)"


def test_summary_agrees_with_the_measures():
    x = np.random.default_rng(3).normal(1.0, 2.0, size=1001)
    s = summarize(x, quantiles=(0.05, 0.5, 0.9), cvar_alpha=0.1, bins=25)
    assert (
        s.n == 1001 and s.mean == pytest.approx(x.mean()) and s.sd == pytest.approx(x.std(ddof=1))
    )
    for q, v in s.quantiles.items():
        assert v == pytest.approx(np.quantile(x, q))
    assert s.cvar == pytest.approx(cvar(x, 0.1))
    assert s.prob_loss == pytest.approx((x < 0).mean())
    assert s.counts.sum() == 1001 and len(s.edges) == 26
    assert s.edges[0] == s.min == x.min() and s.edges[-1] == s.max == x.max()
    d = s.to_dict()
    assert d["counts"] == s.counts.tolist() and set(d["quantiles"]) == {"0.05", "0.5", "0.9"}


# --------------------------------------------------------------- scenarios
def test_scenarios_from_every_source_agree():
    a = np.arange(12.0).reshape(2, 3, 2)  # chain, draw, item
    ds = xr.Dataset({"a": (("chain", "draw", "item"), a), "b": (("chain", "draw"), a[..., 0])})
    flat = as_scenarios(ds)
    assert flat.n == 6 and flat["a"].shape == (6, 2)
    np.testing.assert_array_equal(flat["a"], a.reshape(6, 2))  # chain-major flattening
    pred = xr.Dataset({"y": (("chain", "draw"), -a[..., 1])})
    tree = xr.DataTree(
        children={"posterior": xr.DataTree(ds), "posterior_predictive": xr.DataTree(pred)}
    )
    assert list(as_scenarios(tree)) == ["y"]  # posterior predictive preferred
    assert set(as_scenarios(tree, group="posterior")) == {"a", "b"}
    with raises_field("group"):
        as_scenarios(tree, group="prior")
    fit = FitResult(
        status="finished",
        idata=tree,
        summarize=lambda: None,
        backend="test",
        partial=False,
        message="",
        draws_completed=(3, 3),
    )
    np.testing.assert_array_equal(
        as_scenarios(fit, group="posterior", var_names=["b"])["b"], a[..., 0].ravel()
    )
    failed = FitResult(
        status="failed",
        idata=None,
        summarize=lambda: None,
        backend="test",
        partial=False,
        message="",
        draws_completed=(),
    )
    with raises_field("scenarios"):
        as_scenarios(failed)
    frame = as_scenarios(pd.DataFrame({"u": [1.0, 2.0], "v": [3, 4]}))
    assert frame.n == 2 and frame["v"].tolist() == [3, 4]
    with raises_field("scenarios"):
        as_scenarios(frame, var_names=["w"])


# ----------------------------------------------------------- vectorisation
def test_one_scenario_function_is_looped_with_a_warning(demand):
    fast = newsvendor(demand[:500])
    with pytest.warns(SlowProfitWarning, match="^profit: works on one scenario at a time"):
        slow = DecisionProblem(
            [DecisionVariable("q", 0, 200)], {"demand": demand[:500]}, newsvendor_one_scenario
        )
    assert slow.looped and not fast.looped
    for q in (0.0, 80.0, 101.5, 200.0):
        np.testing.assert_allclose(slow.outcomes([q]), fast.outcomes([q]))
    assert slow.evaluate([90.0]).mean == pytest.approx(fast.evaluate([90.0]).mean)


def test_decisions_as_dict_and_batches(demand):
    def two_products(x, s):  # x["a"]: a number, or (K,) for K decisions
        a, b = np.asarray(x["a"])[..., None], np.asarray(x["b"])[..., None]
        return PRICE * (np.minimum(a, s["demand"]) + np.minimum(b, s["demand"] / 2)) - COST * (
            a + b
        )

    v = [DecisionVariable("a", 0, 200), DecisionVariable("b", 0, 100)]
    p = DecisionProblem(v, {"demand": demand[:300]}, two_products, decision_as="dict", batch=True)
    X = np.array([[10.0, 5.0], [90.0, 40.0], [150.0, 80.0]])
    np.testing.assert_allclose(p.outcomes_many(X), np.stack([p.outcomes(x) for x in X]))
    assert p.as_dict([1.0, 2.0]) == {"a": 1.0, "b": 2.0}
    with raises_field("profit"):  # claims batch but mixes decisions up
        DecisionProblem(
            v,
            {"demand": demand[:300]},
            lambda x, s: np.atleast_2d(x)[:1].sum() * s["demand"],
            batch=True,
        )


# ----------------------------------------------------------------- solvers
@pytest.mark.parametrize("method", ["local", "global"])
def test_newsvendor_optimum_is_the_critical_fractile(demand, method):
    p = newsvendor(demand)
    r = p.optimize(method=method, seed=1)
    q_sample = np.quantile(
        demand, 1 - COST / PRICE, method="inverted_cdf"
    )  # optimum of the sample average
    assert r.converged, r.message
    assert r.x["q"] == pytest.approx(q_sample, abs=0.5)
    assert r.value >= p.risk([q_sample]) - 1e-6 * abs(r.value)
    assert r.x["q"] == pytest.approx(100 + 20 * stats.norm.ppf(0.4), abs=2.0)  # population optimum
    assert r.exact is None and r.evaluations > 0 and r.summary.n == demand.size


def test_cvar_objective_orders_less_than_the_mean_objective(demand):
    p = newsvendor(demand)
    mean_q = p.optimize(seed=0).x["q"]
    r = p.optimize("cvar", level=0.1, seed=0)
    assert r.x["q"] < mean_q - 10
    assert r.value == pytest.approx(p.risk([r.x["q"]], "cvar", 0.1))
    grid = np.linspace(0, 200, 401)
    assert r.value >= max(cvar(p.outcomes([q]), 0.1) for q in grid) - 1e-3 * abs(r.value)


@pytest.mark.parametrize("method", ["local", "global"])
def test_budget_constraint_is_respected_and_binds(demand, method):
    def two_products(x, s):
        return (
            5.0 * np.minimum(x[0], s["demand"])
            + 8.0 * np.minimum(x[1], s["demand"] / 2)
            - 3.0 * x[0]
            - 4.0 * x[1]
        )

    v = [DecisionVariable("a", 0, 200), DecisionVariable("b", 0, 100)]
    cost = np.array([3.0, 4.0])
    p = DecisionProblem(
        v, {"demand": demand[:2000]}, two_products, constraints=[budget(300.0, weights=cost)]
    )
    r = p.optimize(method=method, seed=2)
    x = r.x_array
    assert cost @ x <= 300.0 + 1e-6
    assert cost @ x >= 299.0  # unconstrained optimum costs ~480: the budget binds
    # best point on the budget line, by a fine 1-D search
    a = np.linspace(0, 100, 2001)
    line = np.stack([a, (300.0 - 3.0 * a) / 4.0], axis=1)
    best_line = p.outcomes_many(line[line[:, 1] <= 100]).mean(axis=1).max()
    assert r.value >= best_line - 1e-4 * abs(best_line)
    assert p.is_feasible(x) and max(p.violations(x).values()) <= 1e-6


def test_general_constraint_is_respected(demand):
    v = [DecisionVariable("a", 0, 200), DecisionVariable("b", 0, 200)]
    f = lambda x, s: (
        5 * (np.minimum(x[0], s["demand"]) + np.minimum(x[1], s["demand"])) - 3 * x.sum()
    )
    p = DecisionProblem(
        v, {"demand": demand[:1000]}, f, constraints=[lambda x: x[0] * x[1] - 2500.0]
    )
    r = p.optimize(seed=0)
    assert r.x_array[0] * r.x_array[1] <= 2500.0 + 1e-3
    a = np.linspace(12.5, 200.0, 3001)  # the best point on the curve a * b = 2500
    best_curve = p.outcomes_many(np.stack([a, 2500.0 / a], axis=1)).mean(axis=1).max()
    assert r.value >= best_curve - 1e-4 * abs(best_curve)


def test_integer_newsvendor_matches_exhaustive_search(demand):
    p = newsvendor(demand, integer=True)
    r = p.optimize(seed=0)
    values = p.outcomes_many(np.arange(0, 201, dtype=float)[:, None]).mean(axis=1)
    assert r.exact is True and r.converged
    assert r.x["q"] == int(np.argmax(values)) and isinstance(r.x["q"], int)
    approx = p.optimize(seed=0, max_enumeration=0)  # same answer by neighbourhood search
    assert approx.exact is False and approx.x == r.x
    assert "approximate" in approx.message


def test_mixed_integer_problem(demand):
    def two(x, s):
        return (
            PRICE * (np.minimum(x[0], s["demand"]) + np.minimum(x[1], s["demand"]))
            - COST * x[0]
            - 4.0 * x[1]
        )

    v = [DecisionVariable("n", 0, 200, integer=True), DecisionVariable("c", 0, 200)]
    p = DecisionProblem(v, {"demand": demand}, two)
    r = p.optimize(seed=0)
    n_best = int(np.argmax([p.outcomes([n, 0.0]).mean() for n in range(201)]))
    assert r.exact is False and r.x["n"] == n_best
    assert r.x["c"] == pytest.approx(np.quantile(demand, 1 - 4.0 / PRICE), abs=1.0)


def test_disagreeing_restarts_and_solver_failures_are_reported():
    s = {"u": np.zeros(3)}
    # a wide hill at 0 and a narrow, higher one at 1.8: only a start inside it finds it
    spike = lambda x, sc: -(x[0] ** 2) + 5 * np.exp(-(((x[0] - 1.8) / 0.05) ** 2)) + sc["u"]
    p = DecisionProblem({"x": (-2.0, 2.0)}, s, spike)
    r = p.optimize(x0=[1.79], restarts=4, seed=0)
    assert r.x["x"] == pytest.approx(1.8, abs=0.01)
    assert not r.converged and "disagree" in r.message
    bowl = DecisionProblem(
        {"x": (-5.0, 5.0), "y": (-5.0, 5.0)},
        s,
        lambda x, sc: -((x[0] - 1) ** 2) - 10 * (x[1] - x[0] ** 2) ** 2 + sc["u"],
    )
    stopped = bowl.optimize(x0=[-4.0, 4.0], restarts=1, maxiter=1)
    assert not stopped.converged and "did not converge" in stopped.message


def test_naive_comparison_by_split_is_paired(demand):
    p = newsvendor(demand)
    c = compare_naive(p, seed=3)
    assert c.heldout == "split" and c.n_heldout == demand.size // 2
    assert c.naive.x["q"] == pytest.approx(demand.mean(), abs=0.5)  # one scenario: order its demand
    assert c.point["demand"] == pytest.approx(c.naive.x["q"], abs=0.5)
    _, held = p.scenarios.split(0.5, 3)
    judge = p.with_scenarios(held)
    d = judge.outcomes(c.bayesian.x_array) - judge.outcomes(c.naive.x_array)
    assert c.difference == pytest.approx(d.mean())
    assert c.se == pytest.approx(d.std(ddof=1) / np.sqrt(d.size))
    assert c.z == pytest.approx(c.difference / c.se) and c.z > 3


# ------------------------------------------------------- readable optima (tolerance, resolution)


def _media_problem(total: float) -> DecisionProblem:
    """Three channels with concave returns in spend units of thousands; the third is
    nearly worthless, so its optimal spend is exactly 0."""
    rng = np.random.default_rng(0)
    scenarios = {"a": rng.gamma(20, 1 / 20, size=(200, 3)) * np.array([3.0, 2.0, 0.05])}

    def profit(x, s):
        X = np.atleast_2d(x)
        out = 1000 * (np.log1p(X[:, None, :] / 1000.0) * s["a"][None]).sum(-1)
        return out[0] if np.ndim(x) == 1 else out

    bounds = {"tv": (0, 20000), "radio": (0, 20000), "print": (0, 20000)}
    return DecisionProblem(bounds, scenarios, profit, constraints=[budget(total)], batch=True)


def test_a_budget_exceeded_within_tolerance_is_met_and_reads_zero():
    p = _media_problem(25_000.0)
    x = np.array([15_000.0, 10_000.0 + 2.56e-9, 0.0])
    assert p.violations(x) == {"budget": 0.0}
    assert p.is_feasible(x)
    # beyond the tolerance it is a violation, of its real size
    assert p.violations([15_000.0, 10_001.0, 0.0])["budget"] == pytest.approx(1.0)
    # slack stays negative
    assert p.violations([15_000.0, 9_000.0, 0.0])["budget"] == pytest.approx(-1_000.0)


@pytest.mark.parametrize("objective", ["mean", "cvar"])
def test_optimum_puts_sub_resolution_spends_on_their_bound_and_meets_the_budget(objective):
    """SLSQP ends at print = 3e-11 and a budget exceeded by 1.6e-9; the optimum reads
    print = 0 exactly and meets the budget exactly."""
    p = _media_problem(1000.0)
    r = p.optimize(objective, level=0.1 if objective == "cvar" else None, seed=1)
    assert r.x["print"] == 0.0
    assert r.x_array.sum() <= 1000.0
    assert p.violations(r.x_array)["budget"] <= 0.0
    assert all(v == 0.0 or v >= 1e-6 * 20000 for v in r.x.values())
    # the budget is spent: nothing is given away by the snap
    assert r.x_array.sum() == pytest.approx(1000.0, rel=1e-9)


def test_tidy_snaps_to_bounds_only_where_the_decision_stays_feasible():
    p = _media_problem(1000.0)
    # print below resolution (0.02 of a range of 20000) goes to 0; budget excess removed
    x = p.tidy([600.0, 400.0 + 1e-9, 5.68145e-10])
    assert x[2] == 0.0 and x.sum() <= 1000.0 and x[0] == pytest.approx(600.0)
    # a value just below its upper bound is snapped up only if the budget allows it
    tight = _media_problem(19999.9995)
    y = tight.tidy([19999.999, 0.0, 0.0])
    assert y[0] == 19999.999  # snapping tv up would break the budget
    freed = _media_problem(20000.0)
    assert freed.tidy([19999.999, 0.0005, 0.0]).tolist() == [20000.0, 0.0, 0.0]
    loose = _media_problem(40000.0)
    z = loose.tidy([19999.999, 0.0, 0.0])
    assert z[0] == 20000.0
    # integers are left alone
    assert DecisionProblem(
        [DecisionVariable("n", 0, 10, integer=True)],
        {"d": np.arange(5.0)},
        lambda x, s: -abs(x[0] - s["d"]),
    ).resolution.tolist() == [0.0]
