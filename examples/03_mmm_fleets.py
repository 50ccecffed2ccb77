# %% [markdown]
# # Media-mix models and fleets
#
# The MMM workflow of a marketing analytics team, with bayes_widgets: configure a model from a
# weekly dataset, edit its priors, fit it live, read parameters in the original units, predict, and
# validate it with fleets of refits watched on a live board. The data are real weekly sales with 10
# media spend channels and 2 macro controls (161 weeks). Draws are kept small so the notebook runs
# in a few minutes, and smaller still with `BAYES_WIDGETS_FAST=1` (sizes are chosen with
# `bw.choose(full, fast)`).

# %%
import bayes_widgets as bw
from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.datasets import mmm_case_study

data = mmm_case_study(161)
channels = [c for c in data.columns if c.startswith("mdsp_")]
controls = ["me_ics_all", "me_gas_dpg"]
data[["wk_strt_dt", "sales", *channels, *controls]].info()

# %% [markdown]
# ## The model
#
# Options as in the team's toolkit: lag, adstock, saturation, scaling, time-varying media,
# seasonality. Bad data or options fail with the field named.

# %%
model = MMMModel(
    data,
    target="sales",
    date_column="wk_strt_dt",
    channels=channels,
    controls=controls,
    lag_max=8,
    adstock="geometric",
    saturation="logistic",
    scale_data=True,
    time_varying_media=False,
    yearly_seasonality=2,
)
model.priors

# %% [markdown]
# Priors are editable, with the prior predictive of the sales redrawn at every change:

# %%
editor = bw.PriorEditor(model.build(), draws=300, lower=0)
editor

# %%
model.set_priors(editor.model_config())  # keep whatever was edited above

# %% [markdown]
# ## Fit, live
#
# The sampler is chosen for effective draws per second (nutpie, its mass matrix adapted from the
# draws' variances). With `BAYES_WIDGETS_FAST=1` the fit is a short smoke run: few draws, and
# trees at most 6 deep (nutpie's `maxdepth`; 10 by default).

# %%
monitor = model.fit(
    draws=bw.choose(300, 60),
    tune=bw.choose(300, 60),
    chains=bw.choose(4, 2),
    sampler_kwargs=bw.choose({}, {"maxdepth": 6}),
    seed=1,
    monitor=True,
)
monitor

# %%
result = monitor.wait()
result.diagnostics.rhat_max, result.diagnostics.ess_bulk_min

# %%
model.summarize_variable("intercept")  # in sales units, with a 94% interval

# %%
model.roas().groupby("channel")["mean"].mean().sort_values()

# %% [markdown]
# ## Budget what-ifs
#
# A slider per channel sets its weekly spend for the next 8 weeks; the distribution of the
# incremental sales over the posterior draws is redrawn at once. The current plan (the last 8 weeks'
# average) stands beside it; **Optimise** spreads the same total budget over the channels (each
# between half and one and a half times its average over the last 8 weeks; `relative_bounds=` and
# `bounds=` change that), for the expected response or, more cautiously, its CVaR. A plan over the
# budget is shown as such. Beside each slider: the channel's marginal ROAS at the plan with its 90%
# interval, and a flag when the plan leaves the spend range the model was fitted on.

# %%
budget = model.budget_explorer(horizon=8)
budget

# %%
plan = budget.optimize()
{channel: round(spend) for channel, spend in plan.x.items()}

# %% [markdown]
# ## Predict the next weeks
#
# Spend and controls of the weeks after the data:

# %%
future = mmm_case_study(None).iloc[161:165][["wk_strt_dt", *channels, *controls]]
model.predict(future, seed=2)

# %% [markdown]
# ## Fleets on a live board
#
# Each run refits a fresh model in its own process and is saved as soon as it ends (a rerun skips
# finished runs). Set pass/fail thresholds on the board; click a run for its plots.

# %%
from bayes_widgets.core.mmm.fleets import holdout_fleet

board = bw.FleetBoard(thresholds={"test_mape": ("<=", 0.15), "rhat_max": ("<=", 1.01)})
job = board.run(
    holdout_fleet,
    model,
    horizons=bw.choose([4, 8], [8]),
    out="runs/holdout",
    fit={
        "draws": bw.choose(200, 60),
        "tune": bw.choose(200, 60),
        "sampler_kwargs": bw.choose({}, {"maxdepth": 6}),
        "seed": 3,
    },
)
board

# %%
job.join()
board.result.summary()

# %% [markdown]
# A standalone report of the fleet (opens offline):

# %%
from bayes_widgets.core.report import fleet_report

fleet_report(board.result, "runs/holdout/report.html", title="Holdout fleet")
