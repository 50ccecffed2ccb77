# %% [markdown]
# # Decisions on the posterior predictive: the rocket-engine supply chain
#
# A model is not the end: the question is how many engines to order from each of three suppliers,
# whose yields (the share of working engines in a batch) are uncertain. After Wiecki & Kumar (2019),
# *Using Bayesian Decision Making to Optimize Supply Chains*: prices 220, 100 and 120 per engine, at
# most 100, 80 and 100 per order, a launch sells for 500 and needs one working engine, an unused
# engine costs 100 to hold, demand is 40 + Poisson(60) launches. The profit follows the published
# loss (the purchase price is charged on the engines used; `cost_basis="ordered"` charges every
# ordered engine). With `BAYES_WIDGETS_FAST=1` the yields are fitted with fewer draws.

# %%
import bayes_widgets as bw
from bayes_widgets.core.decision import DecisionInputError, DecisionVariable, compare_naive
from bayes_widgets.core.decision import supply_chain as sc

observations = sc.load_yield_observations()
observations.groupby("supplier")["yield"].agg(["count", "mean", "std"])

# %% [markdown]
# Supplier 0 looks best on average, but it is the expensive one; supplier 2 has only two observed
# batches.
#
# ## Yields per supplier, fitted live
#
# Each batch yield is Beta(α, β) per supplier with HalfNormal(10) priors, as published.

# %%
monitor = bw.FitMonitor(
    sc.yield_model(observations),
    backend="nutpie",
    draws=bw.choose(1000, 300),
    tune=bw.choose(1000, 300),
    chains=2,
    seed=1,
)
monitor

# %%
result = monitor.wait()
result.summary()

# %% [markdown]
# ## The decision problem
#
# 10,000 posterior predictive scenarios: a new batch's yield per supplier (at a random posterior
# draw) and a demand. The profit is evaluated over all of them at once, so one decision takes well
# under a millisecond.

# %%
scenarios = sc.scenarios_from_fit(result, n=10_000, seed=2)
problem = sc.supply_chain_problem(scenarios)
problem

# %% [markdown]
# ## Bayesian vs naive
#
# The naive decision plugs in the mean observed yields and the mean demand; the Bayesian one
# optimises over every scenario. Both are judged on fresh posterior predictive draws, scenario by
# scenario (a paired difference).

# %%
fresh = sc.scenarios_from_fit(result, n=10_000, seed=3)
comparison = compare_naive(problem, fresh, point=sc.naive_point(observations), seed=0)
print(comparison)

# %% [markdown]
# ## Explore the decision
#
# Move the sliders (or type a number): the profit distribution is redrawn with its mean, CVaR (the
# mean of the worst 5 %) and the loss region marked. **Optimise** moves the sliders to the best
# orders for the chosen risk measure; the naive decision stands beside it. **Risk–return** shows
# what each degree of risk aversion costs in expected profit and buys in the bad cases. The explorer
# starts at the naive decision.

# %%
explorer = bw.DecisionExplorer(problem, x=comparison.naive.x, naive=comparison)
explorer

# %%
best = explorer.optimize()  # the same as the button; the sliders move
explorer.compute_frontier()
best.x, best.converged, best.message

# %% [markdown]
# Little or nothing is ordered from the expensive supplier 0, as in the published analysis.
#
# ## Judged on the true process
#
# The observations were simulated from known yield distributions; both decisions on 10,000 scenarios
# of that truth:

# %%
truth = sc.generating_process_scenarios(10_000, seed=4)
print(
    compare_naive(problem, truth, point=sc.naive_point(observations), bayesian=comparison.bayesian)
)

# %% [markdown]
# ## A risk-averse decision
#
# Maximise the CVaR of profit at 5 % instead of its mean:

# %%
cautious = problem.optimize("cvar", level=0.05)
cautious.x, problem.evaluate(cautious.x_array).mean, problem.evaluate(best.x_array).mean

# %% [markdown]
# ## Bad input names what is wrong

# %%
for attempt in (
    lambda: DecisionVariable("order", 10, 5),
    lambda: problem.evaluate([500, 0, 0]),
    lambda: sc.supply_chain_problem({"yield": [[0.9, float("nan"), 0.8]], "demand": [100]}),
):
    try:
        attempt()
    except DecisionInputError as err:
        print(err)
