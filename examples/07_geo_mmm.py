# %% [markdown]
# # Geo media-mix models with lift tests
#
# A media-mix model per geo, fitted together: each geo has its own baseline, controls and effect
# size per channel, while the shape of each channel's response (its carryover and saturation) is
# shared across geos, so small geos borrow strength from large ones. An experiment's result (a lift
# test) is added to the likelihood. The data are Google Meridian's simulated geo data: weekly
# revenue and the spend of 5 media channels in 40 geos over 156 weeks. Sizes are kept small so the
# notebook runs in a few minutes, and smaller still with `BAYES_WIDGETS_FAST=1` (sizes are chosen
# with `bw.choose(full, fast)`).

# %%
import bayes_widgets as bw
from bayes_widgets.core.mmm import MMMModel
from bayes_widgets.datasets import MMM_GEO_CHANNELS, MMM_GEO_CONTROLS, mmm_geo

data = mmm_geo(n_geos=bw.choose(6, 3), weeks=bw.choose(104, 52))
channels = MMM_GEO_CHANNELS[: bw.choose(5, 3)]
data[["time", "geo", "revenue", *channels, *MMM_GEO_CONTROLS]].head()

# %% [markdown]
# ## The model
#
# The data are long: one row per week and geo. `dims=("geo",)` makes a geo model. Its default
# priors share the adstock and the saturation's shape across geos (`dims="channel"`) and keep the
# effect size, the intercept, the controls and the noise per geo (`dims=("geo", ...)`). A prior
# with `dims=("geo", "channel")` gives each geo its own again.

# %%
model = MMMModel(
    data,
    target="revenue",
    date_column="time",
    channels=channels,
    controls=MMM_GEO_CONTROLS,
    lag_max=6,
    yearly_seasonality=2,
    dims=("geo",),
)
model, model.geos

# %%
{name: prior.dims for name, prior in model.priors.items()}

# %% [markdown]
# ## A lift test
#
# Suppose a geo experiment in `Geo1` raised `Channel0_spend` from its usual weekly level by half
# and measured the weekly revenue it added, with its standard deviation (the numbers below are
# illustrative). The test enters the likelihood: the model's saturation curve for that channel
# and geo must explain the measured lift.

# %%
usual = float(data.loc[data["geo"] == "Geo1", "Channel0_spend"].mean())
lift = model.add_lift_tests(
    [
        {
            "channel": "Channel0_spend",
            "geo": "Geo1",
            "x": usual,
            "delta_x": 0.5 * usual,
            "delta_y": 0.4 * usual,
            "sigma": 0.1 * usual,
        }
    ]
)
lift

# %% [markdown]
# ## Fit, holding out the last four weeks

# %%
result = model.fit(
    draws=bw.choose(500, 100),
    tune=bw.choose(500, 150),
    chains=bw.choose(4, 2),
    seed=1,
    rows=slice(None, -4),
)
result.diagnostics.rhat_max, result.diagnostics.ess_bulk_min

# %% [markdown]
# Return on ad spend over the fitted weeks, per geo and for all geos together (`total`: each
# draw's contributions over every geo divided by the spend over every geo):

# %%
roas = model.roas()
roas.pivot_table(index="channel", columns="geo", values="mean").round(2)

# %%
model.summarize_variable("saturation_beta")["rows"][:3]  # one effect size per geo and channel

# %% [markdown]
# ## Predict the held-out weeks
#
# Per geo and in total, with the adstock carried over from the fitted weeks:

# %%
held_out = model.X(slice(-4, None))
model.predict(held_out, seed=2, geo=["Geo0", "total"])

# %% [markdown]
# ## The one-pager
#
# Fit against the actuals, the decomposition over time, contribution shares, ROAS and marginal
# ROAS, response and adstock curves; pick a geo to redraw every view for it.

# %%
bw.MMMExplorer(model)

# %% [markdown]
# ## Budgets over channels and geos
#
# One slider per channel: each channel's spend is split across the geos in proportion to
# their recent spend, and the response is summed over the geos, each from its own posterior.
# Each moves between half and one and a half times its recent weekly spend; beside it, its
# marginal ROAS at the plan, and a flag when the plan leaves the spend range the model saw.
# Pick a geo to see its spend, response, marginal ROAS and flags; `allocate="geo"` gives a
# slider per channel and geo.

# %%
model.budget_explorer(horizon=8)
