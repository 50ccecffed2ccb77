"""Budget what-ifs on a fitted MMM: the numpy response against pymc-marketing, and decisions.

One small fit (pymc-marketing's example, l_max 4, 2 x 100 draws) serves every test that
needs a posterior; the component formulas are checked on prior draws of models that are
built but not fitted (cheap to sample with PyTensor's FAST_COMPILE mode).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from bayes_widgets.core.decision import DecisionInputError
from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.core.mmm.budget import (
    BudgetProblem,
    MMMResponse,
    budget_problem,
    current_plan,
    mmm_response,
)
from bayes_widgets.datasets import mmm_example

CHANNELS = ["x1", "x2"]
HORIZON = 8
FAST = {"mode": "FAST_COMPILE"}


def make_model(**kwargs) -> MMMModel:
    opts = {
        "target": "y",
        "date_column": "date_week",
        "channels": CHANNELS,
        "controls": ["event_1", "event_2"],
        "lag_max": 4,
    }
    opts.update(kwargs)
    return MMMModel(mmm_example(), **opts)


@pytest.fixture(scope="module")
def fitted() -> MMMModel:
    model = make_model()
    result = model.fit(draws=100, tune=100, chains=2, seed=1)
    assert result.status == "finished"
    return model


@pytest.fixture(scope="module")
def response(fitted) -> MMMResponse:
    return mmm_response(fitted)


@pytest.fixture(scope="module")
def optimizer(fitted):
    """pymc-marketing's own optimiser for the HORIZON periods after the training data."""
    mmm = fitted.mmm
    last = pd.Timestamp(mmm.xarray_dataset.date.values[-1])
    start = last + pd.Timedelta(weeks=1)
    return mmm.budget_optimizer(start, start + pd.Timedelta(weeks=HORIZON - 1), compile_kwargs=FAST)


def posterior_contributions(mmm, response: MMMResponse, post=None) -> np.ndarray:
    """pymc-marketing's ``channel_contribution`` draws in original units, (S, T, C)."""
    post = mmm.idata["posterior"].to_dataset() if post is None else post
    cc = (
        post["channel_contribution"]
        .sel(channel=CHANNELS)
        .transpose("chain", "draw", "date", "channel")
    )
    values = cc.to_numpy().reshape(-1, cc.sizes["date"], len(CHANNELS))
    return values[response.draw_index] * response.target_scale


def prior_draws_model(adstock, saturation, *, adstock_first=True, rows=40, draws=25):
    """A pymc-marketing MMM built on the example's first rows whose "posterior" is its
    prior draws: enough to check formulas without fitting."""
    import pymc as pm
    import pymc_marketing.mmm as pmm
    import xarray as xr

    df = mmm_example().iloc[:rows]
    mmm = pmm.MMM(
        date_column="date_week",
        channel_columns=CHANNELS,
        target_column="y",
        adstock=adstock,
        saturation=saturation,
        adstock_first=adstock_first,
    )
    mmm.build_model(df[["date_week", *CHANNELS]], df["y"])
    names = [
        *mmm.adstock.variable_mapping.values(),
        *mmm.saturation.variable_mapping.values(),
        "channel_contribution",
    ]
    prior = pm.sample_prior_predictive(
        draws=draws, model=mmm.model, var_names=names, random_seed=1, compile_kwargs=FAST
    )
    post = prior["prior"].to_dataset()
    mmm.idata = xr.DataTree.from_dict({"posterior": post})
    mmm.is_fitted_ = True
    return mmm, post


# ------------------------------------------------------------------ the response
def test_contributions_equal_the_models_channel_contributions(fitted, response):
    assert response.channels == tuple(CHANNELS) and response.n_draws == 200 and response.l_max == 4
    theirs = posterior_contributions(fitted.mmm, response)
    ours = response.contributions(response.spend)
    assert ours.shape == theirs.shape == (200, len(fitted.data), 2)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9 * np.abs(theirs).max())
    # the same from the DataFrame, and for a subset of the draws
    sub = mmm_response(fitted, draws=50, seed=3)
    assert sub.n_draws == 50 and len(set(sub.draw_index)) == 50
    np.testing.assert_allclose(
        sub.contributions(fitted.data),
        theirs[sub.draw_index],
        rtol=1e-9,
        atol=1e-9 * np.abs(theirs).max(),
    )


HALFLIFE = {"halflife": ("InverseGamma", {"alpha": 2.6, "beta": 1})}
COMPONENTS = [
    # (adstock, its options, saturation, adstock first)
    *[
        (a, opts, "LogisticSaturation", True)
        for a, opts in [
            ("GeometricAdstock", {}),
            ("GeometricAdstock", {"normalize": False}),
            ("GeometricAdstock", {"priors": HALFLIFE}),
            ("DelayedAdstock", {}),
            ("DelayedAdstock", {"normalize": False}),
            ("BinomialAdstock", {}),
            ("WeibullPDFAdstock", {}),
            ("WeibullCDFAdstock", {}),
            ("NoAdstock", {"l_max": 1}),
        ]
    ],
    *[
        ("GeometricAdstock", {}, s, True)
        for s in [
            "InverseScaledLogisticSaturation",
            "MichaelisMentenSaturation",
            "HillSaturation",
            "HillSaturationSigmoid",
            "TanhSaturation",
            "TanhSaturationBaselined",
            "RootSaturation",
            "LogSaturation",
            "NoSaturation",
        ]
    ],
    ("WeibullCDFAdstock", {}, "HillSaturation", False),
]


def _component_id(case) -> str:
    adstock, opts, saturation, first = case
    tags = [f"{k}={v}" if k != "priors" else "halflife" for k, v in opts.items()]
    return "-".join([adstock, *tags, saturation, *([] if first else ["saturation-first"])])


@pytest.mark.parametrize(
    ("adstock", "options", "saturation", "adstock_first"),
    COMPONENTS,
    ids=map(_component_id, COMPONENTS),
)
def test_every_component_matches_pymc_marketing(adstock, options, saturation, adstock_first):
    import pymc_marketing.mmm as pmm
    from pymc_extras.prior import Prior

    options = dict(options)
    if "priors" in options:
        options["priors"] = {k: Prior(d, **kw) for k, (d, kw) in options["priors"].items()}
    adstock = getattr(pmm, adstock)(**{"l_max": 4, **options})
    saturation = getattr(pmm, saturation)()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # e.g. LogSaturation forcing the channel scale to 1
        mmm, post = prior_draws_model(adstock, saturation, adstock_first=adstock_first)
    response = mmm_response(mmm)
    theirs = posterior_contributions(mmm, response, post)
    ours = response.contributions(response.spend)
    assert np.isfinite(theirs).all()
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(theirs).max()))
    # a constant plan's response is the sum of its series' contributions
    plan = np.array([0.3, 0.2])
    for horizon in (2, 9):
        series = np.zeros((horizon + response.l_max - 1, 2))
        series[:horizon] = plan
        np.testing.assert_allclose(
            response.response(plan, horizon),
            response.contributions(series).sum(axis=(1, 2)),
            rtol=1e-10,
        )


@pytest.mark.parametrize("horizon", [1, 3, 4, 8, 30])
def test_plan_response_is_the_sum_of_its_contributions(response, horizon):
    L = response.l_max
    plans = np.array([[0.2, 0.1], [0.0, 0.5], [1.0, 0.0]])
    many = response.response(plans, horizon)
    assert many.shape == (3, 200)
    by_channel = response.response(plans, horizon, by_channel=True)
    assert by_channel.shape == (3, 200, 2)
    np.testing.assert_allclose(by_channel.sum(axis=-1), many, rtol=1e-12)
    for plan, row in zip(plans, many):
        series = np.zeros((horizon + L - 1, 2))
        series[:horizon] = plan
        np.testing.assert_allclose(row, response.contributions(series).sum(axis=(1, 2)), rtol=1e-10)
        np.testing.assert_allclose(
            response.response(dict(zip(CHANNELS, plan)), horizon), row, rtol=1e-12
        )
        # carry-in: the increment over spending nothing after the training data
        past = response.spend[-(L - 1) :]
        with_plan = np.concatenate([past, series])
        without = np.concatenate([past, np.zeros_like(series)])
        increment = (response.contributions(with_plan) - response.contributions(without)).sum(
            axis=(1, 2)
        )
        np.testing.assert_allclose(
            response.response(plan, horizon, carry_in=True),
            increment,
            rtol=1e-9,
            atol=1e-9 * np.abs(increment).max(),
        )
    assert np.all(response.response([0.0, 0.0], horizon) == 0.0)


def test_response_equals_pymc_marketing_window_response(response, optimizer):
    """pymc-marketing's per-draw response to a plan over the window after the training data
    (carry-in + plan + carry-over) minus its response to zero spend is our carry-in response."""
    import xarray as xr

    assert (optimizer.num_periods, optimizer.carry_in_periods, optimizer.adstock_periods) == (
        HORIZON,
        4,
        4,
    )
    for plan in ([0.18, 0.11], [0.6, 0.05]):
        labelled = xr.DataArray(plan, dims=("channel",), coords={"channel": CHANNELS})
        theirs = optimizer.evaluate_response_distribution(labelled).values
        base = optimizer.evaluate_response_distribution(labelled * 0).values
        ours = response.response(plan, HORIZON, carry_in=True)
        np.testing.assert_allclose(ours, theirs - base, rtol=1e-9, atol=1e-9 * np.abs(theirs).max())


def test_a_batch_of_plans_gives_each_plans_response():
    """Thousands of draws x 10 channels x a horizon of 13: a batch of plans (the optimiser's
    and the sliders' path) gives, row by row, the response of each plan on its own."""
    S, C, L = 4000, 10, 8
    rng = np.random.default_rng(0)
    alpha = rng.beta(2, 3, size=(S, C))
    kernel = alpha[..., None] ** np.arange(L)
    response = MMMResponse(
        channels=tuple(f"c{i}" for i in range(C)),
        kernel=kernel / kernel.sum(axis=-1, keepdims=True),
        saturation="LogisticSaturation",
        saturation_params={
            "lam": rng.gamma(3, 1, size=(S, C)),
            "beta": rng.gamma(2, 0.5, size=(S, C)),
        },
        channel_scale=np.full(C, 100.0),
        target_scale=1000.0,
        adstock_first=True,
        spend=rng.uniform(0, 100, size=(52, C)),
        draw_index=np.arange(S),
    )
    plans = np.linspace(10.0, 90.0, 20)[:, None] * np.ones(C)
    batch = response.response(plans, 13)
    assert batch.shape == (20, S)
    for i in (0, 7, 19):
        one = response.response(plans[i], 13)
        assert one.shape == (S,)
        np.testing.assert_allclose(batch[i], one, rtol=1e-12)
    assert np.all(np.diff(batch.mean(axis=1)) > 0)  # more spend, more response


# ---------------------------------------------------------------- current plan
def test_current_plan_is_the_recent_average(fitted, response):
    plan = current_plan(fitted, last=8)
    expected = fitted.data[CHANNELS].iloc[-8:].mean()
    assert plan == pytest.approx(expected.to_dict())
    assert current_plan(response, last=1) == pytest.approx(fitted.data[CHANNELS].iloc[-1].to_dict())
    for bad in (0, -1, 2.5, len(fitted.data) + 1):
        with pytest.raises(DecisionInputError) as err:
            current_plan(fitted, last=bad)
        assert err.value.field == "last"


# ------------------------------------------------------------------ decisions
def test_budget_problem_defaults(fitted, response):
    problem = budget_problem(fitted)
    assert isinstance(problem, BudgetProblem) and problem.names == tuple(CHANNELS)
    now = current_plan(fitted)
    assert problem.current == pytest.approx(now)
    assert problem.total_budget == pytest.approx(sum(now.values()))
    recent = fitted.data[CHANNELS].iloc[-8:].mean().to_numpy()
    assert problem.lower == pytest.approx(0.5 * recent)
    assert problem.upper == pytest.approx(1.5 * recent)
    assert problem.batch and problem.n_scenarios == 200
    np.testing.assert_allclose(problem.outcomes(now), response.response(now, HORIZON), rtol=1e-12)
    # per="horizon": the same decisions measured over the horizon
    over = budget_problem(response, horizon=5, per="horizon")
    assert over.total_budget == pytest.approx(5 * sum(now.values()))
    x = {c: 5 * v for c, v in now.items()}
    np.testing.assert_allclose(over.outcomes(x), response.response(now, 5), rtol=1e-12)
    assert over.spend_per_period(x) == pytest.approx(now)


def test_optimum_matches_pymc_marketings_optimiser(fitted, response, optimizer):
    total = 1.0  # per period: large enough for an interior optimum
    bounds = dict.fromkeys(CHANNELS, (0.0, 2.0))
    theirs = optimizer.allocate_budget(total_budget=total, budget_bounds=bounds)
    theirs_x = dict(
        zip(CHANNELS, np.asarray(theirs.budgets.sel(channel=CHANNELS).values, dtype=float))
    )
    problem = budget_problem(fitted, total, bounds=bounds, carry_in=True)
    ours = problem.optimize("mean", seed=0)
    ours_value = response.response(ours.x, HORIZON, carry_in=True).mean()
    theirs_value = response.response(theirs_x, HORIZON, carry_in=True).mean()
    assert ours_value >= theirs_value * (1 - 0.01)
    assert ours_value == pytest.approx(theirs_value, rel=1e-4)
    assert list(ours.x.values()) == pytest.approx(list(theirs_x.values()), abs=5e-3)
    assert 0.1 < ours.x["x2"] < 0.9  # interior: both channels funded


def test_optimum_matches_a_grid_search(response):
    """Cold start, two channels: the whole budget along a fine grid, evaluated in one batch."""
    total = 0.6
    problem = budget_problem(response, total, bounds=dict.fromkeys(CHANNELS, (0.0, total)))
    best = problem.optimize("mean", seed=1)
    x1 = np.linspace(0, total, 2001)
    grid = np.column_stack([x1, total - x1])
    grid_best = response.response(grid, HORIZON).mean(axis=1).max()
    assert best.value >= grid_best * (1 - 1e-6)
    assert sum(best.x.values()) == pytest.approx(total, rel=1e-6)


def test_optimal_plan_beats_the_current_plan(fitted):
    problem = budget_problem(fitted)
    best = problem.optimize("mean", seed=0)
    assert sum(best.x.values()) <= problem.total_budget * (1 + 1e-8)
    current = problem.evaluate(problem.current)
    assert best.value > current.mean
    assert problem.evaluate(best.x).mean == pytest.approx(best.value)


def test_optimal_plans_read_as_numbers_a_person_would_write(fitted):
    """An unfunded channel gets exactly 0 (not a solver's 7.5e-15) and the plan meets its
    budget (no "violated by 2e-13")."""
    largest = fitted.data[CHANNELS].max()
    for per in ("period", "horizon"):
        k = HORIZON if per == "horizon" else 1
        bounds = {c: (0.0, 2 * k * largest[c]) for c in CHANNELS}
        problem = budget_problem(fitted, per=per, bounds=bounds)
        best = problem.optimize("mean", seed=0)
        resolution = 1e-6 * (problem.upper - problem.lower)
        for channel, value, lo, hi, res in zip(
            problem.names, best.x_array, problem.lower, problem.upper, resolution, strict=True
        ):
            assert value in (lo, hi) or lo + res < value < hi - res, (per, channel, value)
        assert min(best.x.values()) == 0.0  # this budget funds one channel only
        assert problem.violations(best.x)["budget"] <= 0.0
        assert sum(best.x.values()) <= problem.total_budget


def test_cvar_plan_is_at_least_as_safe(fitted):
    problem = budget_problem(fitted, 1.0, bounds=dict.fromkeys(CHANNELS, (0.0, 2.0)))
    mean_plan = problem.optimize("mean", seed=0)
    safe_plan = problem.optimize("cvar", level=0.05, seed=0, x0=mean_plan.x)
    mean_cvar = problem.risk(mean_plan.x, "cvar", 0.05)
    assert safe_plan.value >= mean_cvar - 1e-9 * abs(mean_cvar)
    # the price of safety: no better in expectation
    assert problem.evaluate(safe_plan.x).mean <= mean_plan.value * (1 + 1e-9)


def test_value_per_unit_turns_response_into_profit(fitted, response):
    now = current_plan(fitted)
    total = 2.0
    value = 1 / 1500  # money per unit of the target: the first euros pay, the last ones do not
    bounds = dict.fromkeys(CHANNELS, (0.0, total))
    problem = budget_problem(fitted, total, value_per_unit=value, bounds=bounds)
    x = np.array([0.3, 0.4])
    expected = value * response.response(x, HORIZON) - HORIZON * x.sum()
    np.testing.assert_allclose(problem.outcomes(x), expected, rtol=1e-12)
    best = problem.optimize("mean", seed=0)
    assert 0.1 * total < sum(best.x.values()) < 0.9 * total  # not every euro is worth spending
    assert best.value > problem.evaluate(dict(zip(CHANNELS, [total / 2] * 2))).mean
    assert best.value > max(problem.evaluate(now).mean, 0.0)  # 0: spending nothing


# ------------------------------------------------------------------ bad inputs
def test_bad_inputs_name_the_field(fitted, response):
    cases = [
        (lambda: budget_problem(make_model()), "mmm"),
        (lambda: mmm_response(object()), "mmm"),
        (lambda: budget_problem(fitted, bounds={"x3": (0, 1)}), "bounds"),
        (lambda: budget_problem(fitted, bounds={"x1": (0.5, 0.2)}), "bounds.x1"),
        (lambda: budget_problem(fitted, bounds={"x1": (-1, 1)}), "bounds.x1"),
        (lambda: budget_problem(fitted, bounds={"x1": 3}), "bounds.x1"),
        (lambda: budget_problem(fitted, -1.0), "total_budget"),
        (lambda: budget_problem(fitted, "a lot"), "total_budget"),
        (
            lambda: budget_problem(fitted, 0.5, bounds={"x1": (0.4, 1), "x2": (0.3, 1)}),
            "total_budget",
        ),
        (lambda: budget_problem(fitted, horizon=0), "horizon"),
        (lambda: budget_problem(fitted, horizon=-3), "horizon"),
        (lambda: budget_problem(fitted, horizon=2.5), "horizon"),
        (lambda: budget_problem(fitted, per="week"), "per"),
        (lambda: budget_problem(fitted, bounds=[(0, 1)]), "bounds"),
        (lambda: budget_problem(fitted, relative_bounds=(1.5, 0.5)), "relative_bounds"),
        (lambda: budget_problem(fitted, relative_bounds=(-0.5, 1.5)), "relative_bounds"),
        (lambda: budget_problem(fitted, relative_bounds=(0.5, 0)), "relative_bounds"),
        (lambda: budget_problem(fitted, relative_bounds=2.0), "relative_bounds"),
        (lambda: budget_problem(fitted, relative_bounds=("a", 1)), "relative_bounds"),
        (lambda: budget_problem(fitted, last=0), "last"),
        (lambda: budget_problem(fitted, last=10_000), "last"),
        (lambda: budget_problem(fitted, value_per_unit=0), "value_per_unit"),
        (lambda: budget_problem(fitted, draws=0), "draws"),
        (lambda: budget_problem(fitted, current={"x1": 0.1}), "current"),
        (lambda: response.response({"x1": 0.1, "x3": 0.2}), "plan"),
        (lambda: response.response([0.1, -0.2]), "plan"),
        (lambda: response.response([0.1, 0.2, 0.3]), "plan"),
        (lambda: response.response([0.1, 0.2], horizon=0), "horizon"),
        (lambda: response.contributions(np.ones((5, 3))), "spend"),
    ]
    for make, field in cases:
        with pytest.raises(DecisionInputError) as err:
            make()
        assert err.value.field == field, (field, str(err.value))


def test_unsupported_models_are_refused():
    import pymc_marketing.mmm as pmm
    import xarray as xr

    def pretend_fitted(mmm):
        mmm.idata = xr.DataTree.from_dict({"posterior": xr.Dataset()})
        mmm.is_fitted_ = True
        return mmm

    tvp = pretend_fitted(make_model(time_varying_media=True).build(slice(0, 60)))
    with pytest.raises(DecisionInputError) as err:
        mmm_response(tvp)
    assert err.value.field == "mmm.time_varying_media"

    class MySaturation(pmm.LogisticSaturation):
        pass

    df = mmm_example().iloc[:40]
    for adstock, saturation, field in [
        (pmm.GeometricAdstock(l_max=4), MySaturation(), "mmm.saturation"),
        (pmm.GeometricAdstock(l_max=4, mode="Before"), pmm.LogisticSaturation(), "mmm.adstock"),
    ]:
        mmm = pmm.MMM(
            date_column="date_week",
            channel_columns=CHANNELS,
            target_column="y",
            adstock=adstock,
            saturation=saturation,
        )
        mmm.build_model(df[["date_week", *CHANNELS]], df["y"])
        with pytest.raises(DecisionInputError) as err:
            budget_problem(pretend_fitted(mmm))
        assert err.value.field == field


def test_budget_explorer_shows_the_current_plan_and_optimises_under_the_budget(fitted):
    explorer = fitted.budget_explorer(horizon=HORIZON)
    problem = explorer.problem
    assert explorer.outcome == "response"
    assert [r["label"] for r in explorer.references] == ["current plan"]
    current = explorer.references[0]
    assert explorer.decision == pytest.approx(current["x"])
    assert explorer.summary["mean"] == pytest.approx(
        problem.outcomes(list(current["x"].values())).mean()
    )
    assert explorer.summary["feasible"]
    # the current plan is inside the spend seen; each channel's marginal ROAS is shown
    assert explorer.summary["extrapolation"] == []
    marginals = explorer.summary["marginals"]
    assert marginals["label"] == "marginal ROAS" and list(marginals["values"]) == CHANNELS
    for c in CHANNELS:
        mean = problem.marginals(explorer.decision)[c].mean()
        assert marginals["values"][c]["mean"] == pytest.approx(mean)
    # a what-if over the budget is shown as such, and the last valid plan is kept on bad input
    over = {c: problem.upper[i] for i, c in enumerate(problem.names)}
    explorer._dispatch(explorer, {"type": "evaluate", "x": over}, [])
    assert explorer.summary["feasible"] is False and explorer.error == ""
    explorer._dispatch(explorer, {"type": "evaluate", "x": {"x1": -1.0, "x2": 0.0}}, [])
    assert explorer.error.startswith("x.x1:") and explorer.decision == pytest.approx(over)
    result = explorer.optimize()
    assert result.converged and explorer.summary["feasible"]
    assert explorer.summary["mean"] >= current["mean"]
    assert sum(explorer.decision.values()) == pytest.approx(problem.total_budget, rel=1e-6)
    cautious = explorer.optimize("cvar", level=0.05)
    assert cautious.converged and explorer.objective == "cvar"


# ------------------------------------------------------------------ realism
def test_default_bounds_follow_the_recent_spend(fitted, response):
    data = fitted.data[CHANNELS]
    recent4 = data.iloc[-4:].mean().to_numpy()
    problem = budget_problem(response, relative_bounds=(0.8, 1.2), last=4)
    assert problem.lower == pytest.approx(0.8 * recent4)
    assert problem.upper == pytest.approx(1.2 * recent4)
    assert problem.current == pytest.approx(dict(zip(CHANNELS, recent4)))
    over = budget_problem(response, horizon=5, per="horizon")
    recent8 = data.iloc[-8:].mean().to_numpy()
    assert over.upper == pytest.approx(5 * 1.5 * recent8)
    # no relative bounds: from 0 to the largest spend seen
    full = budget_problem(response, relative_bounds=None)
    assert full.lower.tolist() == [0.0, 0.0]
    assert full.upper == pytest.approx(data.max().to_numpy())
    # given bounds win for their channel; the others keep the default
    mixed = budget_problem(response, bounds={"x1": (0.0, 0.9)})
    assert mixed.lower[0] == 0.0 and mixed.upper[0] == 0.9
    assert mixed.upper[1] == pytest.approx(1.5 * recent8[1])
    # a channel that spent nothing lately moves around its average over all the data
    spend = response.spend.copy()
    spend[-8:, 1] = 0.0
    quiet = budget_problem(dataclasses.replace(response, spend=spend), 1.0)
    assert quiet.upper[1] == pytest.approx(1.5 * spend[:, 1].mean())


def test_plans_outside_the_spend_seen_are_flagged(fitted, response):
    data = fitted.data[CHANNELS]
    problem = budget_problem(response, relative_bounds=None)
    for v, c in zip(problem.variables, CHANNELS):
        assert v.observed == pytest.approx((data[c].min(), data[c].max()))
    assert problem.extrapolations(problem.current) == []
    x = {"x1": 1.2 * data["x1"].max(), "x2": 0.1}
    (flag,) = problem.extrapolations(x)
    assert (flag.name, flag.side, flag.high) == ("x1", "above", pytest.approx(data["x1"].max()))
    assert "x1" in flag.message and "above its observed range" in flag.message
    # the range is in the variables' units: over the horizon with per="horizon"
    over = budget_problem(response, per="horizon", horizon=4, relative_bounds=None)
    assert over.variables[0].observed == pytest.approx((4 * data["x1"].min(), 4 * data["x1"].max()))
    assert over.extrapolations({"x1": 4 * 0.9 * data["x1"].max(), "x2": 0.0}) == []


def test_marginal_roas_is_the_response_per_extra_unit_of_spend(response):
    """Central differences of the whole response, one channel at a time, per draw."""
    x = np.array([0.3, 0.2])
    for per, k in (("period", 1), ("horizon", HORIZON)):
        problem = budget_problem(response, 1.0, per=per, relative_bounds=None)
        got = problem.marginals(k * x)
        assert problem.marginal_label == "marginal ROAS" and list(got) == CHANNELS
        for i, c in enumerate(CHANNELS):
            d = np.zeros(2)
            d[i] = 1e-3
            up, down = response.response(x + d, HORIZON), response.response(x - d, HORIZON)
            fd = (up - down) / (2e-3 * HORIZON)  # response per unit of extra total spend
            np.testing.assert_allclose(got[c], fd, rtol=1e-4, atol=1e-9 * np.abs(fd).max())
    # diminishing returns: less per unit at a larger spend; at 0 the one-sided difference
    low, high = response.marginal_roas([0.05, 0.05]), response.marginal_roas([0.9, 0.9])
    assert (low.mean(axis=0) > high.mean(axis=0)).all()
    assert np.isfinite(response.marginal_roas([0.0, 0.0])).all()
    # with carry-in and in money
    money = budget_problem(response, 1.0, value_per_unit=2.0, carry_in=True)
    plain = response.marginal_roas(x, HORIZON, carry_in=True)
    np.testing.assert_allclose(money.marginals(x)["x2"], 2.0 * plain[:, 1], rtol=1e-12)


# ------------------------------------------------------------------ geo models
def geo_frame(rows: int = 40) -> pd.DataFrame:
    """Two geos in pymc-marketing's long format (one row per week and geo), made of the
    example's first and next ``rows`` weeks."""
    df = mmm_example()
    a = df.iloc[:rows][["date_week", *CHANNELS, "y"]].assign(geo="geo_a")
    b = df.iloc[rows : 2 * rows][[*CHANNELS, "y"]].assign(geo="geo_b")
    b.insert(0, "date_week", a["date_week"].to_numpy())
    return pd.concat([a, b], ignore_index=True)


@pytest.fixture(scope="module")
def geo_mmm():
    """A geo MMM (dims=("geo",)) whose "posterior" is 30 prior draws: per-geo adstock, a
    saturation steepness shared across geos (dims channel only)."""
    import pymc as pm
    import pymc_marketing.mmm as pmm
    import xarray as xr
    from pymc_extras.prior import Prior

    df = geo_frame()
    mmm = pmm.MMM(
        date_column="date_week",
        channel_columns=CHANNELS,
        target_column="y",
        dims=("geo",),
        adstock=pmm.GeometricAdstock(l_max=4),
        saturation=pmm.LogisticSaturation(
            priors={
                "lam": Prior("Gamma", mu=2, sigma=1, dims="channel"),
                "beta": Prior("HalfNormal", sigma=2, dims=("geo", "channel")),
            }
        ),
    )
    mmm.build_model(df.drop(columns="y"), df["y"])
    names = [
        *mmm.adstock.variable_mapping.values(),
        *mmm.saturation.variable_mapping.values(),
        "channel_contribution",
    ]
    prior = pm.sample_prior_predictive(
        draws=30, model=mmm.model, var_names=names, random_seed=2, compile_kwargs=FAST
    )
    mmm.idata = xr.DataTree.from_dict({"posterior": prior["prior"].to_dataset()})
    mmm.is_fitted_ = True
    return mmm


def test_geo_response_is_per_channel_and_geo_and_matches_pymc_marketing(geo_mmm):
    response = mmm_response(geo_mmm)
    assert response.channels == ("x1[geo_a]", "x1[geo_b]", "x2[geo_a]", "x2[geo_b]")
    assert response.dims == ("geo",) and response.column_channel == ("x1", "x1", "x2", "x2")
    assert response.column_coords == (("geo_a",), ("geo_b",)) * 2
    post = geo_mmm.idata["posterior"].to_dataset()
    assert post["saturation_lam"].dims == ("chain", "draw", "channel")  # shared across geos
    cc = post["channel_contribution"].transpose("chain", "draw", "date", "channel", "geo")
    theirs = cc.to_numpy().reshape(30, cc.sizes["date"], 4) * response.target_scale
    ours = response.contributions(response.spend)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9 * np.abs(theirs).max())
    # each geo's spend is its own column: the example's first and next 40 weeks
    df = mmm_example()
    assert response.spend[:, 0] == pytest.approx(df["x1"].iloc[:40].to_numpy())
    assert response.spend[:, 1] == pytest.approx(df["x1"].iloc[40:80].to_numpy())


def test_geo_budget_allocates_across_channels_and_geos(geo_mmm):
    response = mmm_response(geo_mmm)
    problem = budget_problem(geo_mmm, horizon=6, allocate="geo")
    assert problem.names == response.channels and problem.n_scenarios == 30
    recent = response.spend[-8:].mean(axis=0)
    assert problem.upper == pytest.approx(1.5 * recent)
    x = problem.current
    # the outcome is the response summed over the geos (and channels)
    per_column = response.response(x, 6, by_channel=True)
    np.testing.assert_allclose(problem.outcomes(x), per_column.sum(axis=-1), rtol=1e-12)
    best = problem.optimize("mean", seed=0)
    assert best.value >= problem.evaluate(x).mean * (1 - 1e-9)
    assert sum(best.x.values()) == pytest.approx(problem.total_budget, rel=1e-6)
    # flags and marginal ROAS per channel and geo
    over = dict(x, **{"x2[geo_b]": 1.1 * response.spend[:, 3].max()})
    assert [e.name for e in problem.extrapolations(over)] == ["x2[geo_b]"]
    marginals = problem.marginals(x)
    assert list(marginals) == list(response.channels)
    assert all(m.shape == (30,) and np.isfinite(m).all() for m in marginals.values())


def test_geo_budget_allocates_per_channel_split_by_recent_spend(geo_mmm):
    """By default a geo model's budget has a variable per channel; each channel's spend
    goes to the geos in proportion to their recent spend, and the response is the sum of
    the geos' responses, each from its own posterior curves."""
    response = mmm_response(geo_mmm)
    problem = budget_problem(geo_mmm, horizon=6)
    assert problem.names == ("x1", "x2") and problem.allocate == "channel"
    assert problem.groups == ("geo_a", "geo_b") and problem.group_label == "geo"
    recent = response.spend[-8:].mean(axis=0)  # x1[a], x1[b], x2[a], x2[b]
    totals = np.array([recent[0] + recent[1], recent[2] + recent[3]])
    assert list(problem.current.values()) == pytest.approx(totals)
    assert problem.upper == pytest.approx(1.5 * totals)
    assert problem.lower == pytest.approx(0.5 * totals)
    # the outcome of a channel plan is the column plan it splits into, geo by geo
    x = np.array([0.9, 0.4])
    shares = np.array([recent[0], recent[1]]) / totals[0], np.array(recent[2:]) / totals[1]
    columns = np.r_[x[0] * shares[0], x[1] * shares[1]]
    assert list(problem.column_plan(x).values()) == pytest.approx(columns)
    np.testing.assert_allclose(problem.outcomes(x), response.response(columns, 6), rtol=1e-12)
    # the observed range is the channel's total over the geos, per period
    total_x1 = response.spend[:, 0] + response.spend[:, 1]
    assert problem.variables[0].observed == pytest.approx((total_x1.min(), total_x1.max()))
    # marginal ROAS of a channel: its geos' marginals weighted by the split
    per_column = response.marginal_roas(columns, 6)
    np.testing.assert_allclose(problem.marginals(x)["x1"], per_column[:, :2] @ shares[0], rtol=1e-9)
    best = problem.optimize("mean", seed=0)
    assert best.value >= problem.evaluate(problem.start).mean * (1 - 1e-9)
    assert sum(best.x.values()) <= problem.total_budget * (1 + 1e-9)
    # one geo's part of the plan: spends, shares, its response, marginals and flags
    geo = problem.breakdown(x, "geo_b")
    assert [r["column"] for r in geo["rows"]] == ["x1[geo_b]", "x2[geo_b]"]
    assert [r["spend"] for r in geo["rows"]] == pytest.approx(columns[[1, 3]])
    assert geo["rows"][0]["share"] == pytest.approx(shares[0][1])
    by_column = response.response(columns, 6, by_channel=True)
    assert geo["response"]["mean"] == pytest.approx(by_column[:, [1, 3]].sum(axis=1).mean())
    assert geo["rows"][1]["marginal"]["mean"] == pytest.approx(per_column[:, 3].mean())
    big = np.array([x[0], 10 * totals[1]])
    flagged = problem.breakdown(big, "geo_a")["rows"][1]["extrapolation"]
    assert flagged["side"] == "above" and flagged["name"] == "x2"


def test_geo_budget_split_and_allocate_errors_name_the_field(geo_mmm):
    problem = budget_problem(geo_mmm, horizon=4, split={"x1": {"geo_a": 3, "geo_b": 1}})
    assert list(problem.column_plan([1.0, 0.0]).values())[:2] == pytest.approx([0.75, 0.25])
    cases = [
        ({"allocate": "region"}, "allocate"),
        ({"split": {"tv": {"geo_a": 1}}}, "split"),
        ({"split": {"x1": {"geo_z": 1}}}, "split.x1"),
        ({"split": {"x1": {"geo_a": 0}}}, "split.x1"),
        ({"split": {"x1": {"geo_a": -1}}}, "split.x1.geo_a"),
        ({"allocate": "geo", "split": {"x1": {"geo_a": 1}}}, "split"),
        ({"current": {"x1[geo_a]": 1.0}}, "current"),
    ]
    for options, field in cases:
        with pytest.raises(DecisionInputError) as err:
            budget_problem(geo_mmm, **options)
        assert err.value.field == field, (options, err.value)
    with pytest.raises(DecisionInputError) as err:
        problem.breakdown(problem.start, "geo_z")
    assert err.value.field == "group" and "known: geo_a, geo_b" in str(err.value)


def test_geo_mmm_model_budget_explorer_spans_channels_and_geos():
    """An MMMModel with dims=("geo",) (pymc-marketing's geo example, first 60 weeks) whose
    draws are 20 prior draws: the explorer's sliders are its channel x geo spends."""
    import pymc as pm
    import xarray as xr

    from bayes_widgets.datasets import mmm_multidimensional

    df = mmm_multidimensional()
    df = df[df["date"] < sorted(df["date"].unique())[60]]
    model = MMMModel(
        df, target="y", date_column="date", channels=CHANNELS, lag_max=4, dims=("geo",)
    )
    mmm = model.build()
    names = [
        *mmm.adstock.variable_mapping.values(),
        *mmm.saturation.variable_mapping.values(),
        "channel_contribution",
    ]
    prior = pm.sample_prior_predictive(
        draws=20, model=mmm.model, var_names=names, random_seed=3, compile_kwargs=FAST
    )
    post = prior["prior"].to_dataset()
    mmm.idata = xr.DataTree.from_dict({"posterior": post})
    mmm.is_fitted_ = True
    model.mmm = mmm
    response = mmm_response(model)
    assert response.channels == ("x1[geo_a]", "x1[geo_b]", "x2[geo_a]", "x2[geo_b]")
    cc = post["channel_contribution"].transpose("chain", "draw", "date", "channel", "geo")
    theirs = cc.to_numpy().reshape(20, 60, 4) * response.target_scale
    ours = response.contributions(response.spend)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9 * np.abs(theirs).max())
    top = response.spend[:, 1].max()  # the most x1 ever spent in geo_b
    # by default a slider per channel, each split across the geos, and a geo selector
    by_channel = model.budget_explorer(horizon=4)
    assert [v["name"] for v in by_channel.variables] == list(CHANNELS)
    assert by_channel.groups == ["geo_a", "geo_b"] and by_channel.group_label == "geo"
    assert "breakdown" not in by_channel.summary
    by_channel.group = "geo_b"
    rows = by_channel.summary["breakdown"]["rows"]
    assert [r["column"] for r in rows] == ["x1[geo_b]", "x2[geo_b]"]
    by_channel.group = "geo_z"  # refused inline, the selection stays
    assert by_channel.group == "geo_b" and "geo_z" in by_channel.error
    # allocate="geo": a slider per channel and geo
    explorer = model.budget_explorer(
        horizon=4, allocate="geo", bounds={"x1[geo_b]": (0.0, 2 * top)}
    )
    assert [v["name"] for v in explorer.variables] == list(response.channels)
    assert explorer.variables[1]["observed"][1] == pytest.approx(top)
    assert list(explorer.summary["marginals"]["values"]) == list(response.channels)
    assert explorer.summary["extrapolation"] == []
    explorer.set_decision(dict(explorer.decision, **{"x1[geo_b]": 1.05 * top}))
    assert [e["name"] for e in explorer.summary["extrapolation"]] == ["x1[geo_b]"]
    result = explorer.optimize()
    assert result.converged and explorer.summary["feasible"]
