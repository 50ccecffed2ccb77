# %% [markdown]
# # Hierarchical models at scale: store demand and the cold start
#
# A Bayesian hierarchical model of daily sales for many stores: every store has its own coefficients
# (weekday, promotion, holidays, store type, ...), drawn from a shared distribution whose parameters
# are learned from all stores. A store with a long history is fitted mostly by its own data; a store
# that opened a week ago borrows strength from the others. The protocol:
#
# 1. sales of many stores over many days, with closed days missing;
# 2. stores split into long-running ones (training) and newly opened ones;
# 3. the hierarchical model fitted to the long-running stores by stochastic variational inference
#    (SVI), stores minibatched, watched live;
# 4. each new store's own coefficients fitted from its first 7 days, the global parameters held
#    fixed;
# 5. those compared with a per-store regularised Poisson regression on the same 7 days, and with the
#    fit on the store's whole history.
#
# The data are simulated with known truth, shaped like a large retailer's: 23 daily features,
# Sundays and holidays closed, promotions every other week. With `BAYES_WIDGETS_FAST=1` the notebook
# runs on fewer stores and days.

# %%
import numpy as np

import bayes_widgets as bw
from bayes_widgets.core.hierarchical import (
    PanelData,
    effects_figure,
    evaluate_cold_start,
    fit_nuts,
    fit_svi,
    forecast_figure,
    make_demand,
    radon_data,
)

N_STORES = bw.choose(1000, 120)
N_DAYS = bw.choose(942, 240)
N_NEW = bw.choose(100, 20)
demand = make_demand(N_STORES, N_DAYS, seed=0)
demand.data

# %% [markdown]
# ## The data as a table
#
# Models are built from a long-form table (one row per store and day: a group column, a time column,
# feature columns and the target) or from a stores × days × features array. A missing target (a
# closed store) is kept and predicted: what the store would have sold had it opened.

# %%
frame = demand.data.to_frame()
data = PanelData.from_frame(
    frame, group="group", time="time", target="sales", features=list(demand.features)
)
print(data)
print(f"closed (missing) store-days: {np.isnan(data.y).mean():.1%}")
frame.head()

# %% [markdown]
# ## Long-running stores and new ones
#
# The last stores play the newly opened ones.

# %%
train = data.select(groups=slice(0, N_STORES - N_NEW))
new = data.select(groups=slice(N_STORES - N_NEW, N_STORES))
train, new

# %% [markdown]
# ## Fit, live
#
# A Gamma-Poisson (negative binomial) likelihood with a store-level dispersion; non-centred store
# coefficients; a mean-field guide checked site by site against the model, started from a pooled
# regression. Each step uses 100 stores. The loss curve, steps/s, the time left and the global
# parameters update as it runs; **Cancel** keeps the parameters reached.

# %%
live = fit_svi(
    train,
    likelihood="gamma_poisson",
    batch_size=100,
    steps=bw.choose(3000, 800),
    convergence=1e-4,
    monitor=True,
)
live

# %%
fit = live.wait()
truth = demand.log_mean[: N_STORES - N_NEW]
corr = np.corrcoef(fit.log_mean().ravel(), truth.ravel())[0, 1]
print(
    f"{fit.info['steps']} steps in {fit.elapsed_s:.1f} s; correlation of fitted and true "
    f"log-mean over all store-days: {corr:.3f}"
)

# %% [markdown]
# ## Forecasts and effects
#
# Pick a store: its sales as bars, the posterior predictive mean (dashed) and the 50% and 90% bands,
# closed days included. Below, the densities over stores of the chosen effects: here the weekdays
# (multiplicative: 1.2 = 20% more than the baseline).

# %%
weekdays = [f for f in demand.features if f.startswith("dow_")]
bw.HierarchicalExplorer(fit, effects=weekdays)

# %% [markdown]
# The promotion effect across stores, its median marked:

# %%
bw.HierarchicalExplorer(fit, effects=["promo"], group=train.groups[7])

# %% [markdown]
# The same views as plain Bokeh figures, for a report or a script (`bokeh.io.save(figure,
# "forecast.html")`), and as tables:

# %%
forecast = fit.predict(groups=[0, 1, 2])
print(
    f"observed days inside the 90% band: {forecast.coverage(0.9):.1%}, "
    f"inside the 50% band: {forecast.coverage(0.5):.1%}"
)
figures = [forecast_figure(forecast, 0), effects_figure(fit, "promo", transform="exp")]
fit.effects_frame("promo").describe()

# %% [markdown]
# ## The cold start
#
# Each new store's own coefficients are fitted from its first 7 days only, the global parameters
# held at the values learned above. The error is measured on the days after those 7, against a
# per-store Poisson regression with a ridge penalty (its penalty chosen on those same days, which
# favours it) and against the model fitted to the new stores' whole history.

# %%
report = evaluate_cold_start(fit, new, known=7, steps=bw.choose(1500, 300))
report.summary()

# %% [markdown]
# One new store's coefficients by each fit: the regression, with 7 days, cannot tell several
# features apart (zero where a feature never varied), while the cold start stays close to what the
# whole history gives. In the explorer, the 7 known days are shaded and the errors are those of the
# later days.

# %%
report.coefficients(0).round(3).head(10)

# %%
bw.HierarchicalExplorer(report.cold_start, data=new, cold_start=report, effects=["promo"])

# %% [markdown]
# ## A small real example: radon in Minnesota houses
#
# 919 houses in 85 counties; the log radon level with a county intercept and a floor effect
# (measured in the basement or on the first floor). Sampled by NUTS and fitted by SVI through the
# same API; both find the floor effect near −0.66.

# %%
radon = radon_data()
by_nuts = fit_nuts(
    radon,
    likelihood="normal",
    varying=[],
    draws=bw.choose(1000, 200),
    tune=bw.choose(1000, 200),
    chains=2,
    seed=1,
)
by_svi = fit_svi(radon, likelihood="normal", varying=[], steps=2500, batch_size=None)
floor_nuts = by_nuts.posterior_mean()["coef"][0, 0]
floor_svi = by_svi.posterior_mean()["coef"][0, 0]
print(
    f"floor effect: NUTS {floor_nuts:.3f}, SVI {floor_svi:.3f}; "
    f"{by_nuts.info['divergences']} divergences"
)

# %%
bw.HierarchicalExplorer(by_nuts, effects=["intercept"], transform="log")

# %% [markdown]
# ## Bad input names what is wrong

# %%
from bayes_widgets.core.hierarchical import HierarchicalInputError

one_store = frame[frame["group"] == frame["group"].iloc[0]]
no_sales = frame.assign(sales=np.nan)
fractional = frame.assign(sales=frame["sales"] + 0.5)
for attempt in (
    lambda: fit_svi(
        PanelData.from_frame(
            one_store, group="group", time="time", target="sales", features=["promo"]
        ),
        steps=10,
    ),
    lambda: fit_svi(
        PanelData.from_frame(
            no_sales, group="group", time="time", target="sales", features=["promo"]
        ),
        steps=10,
    ),
    lambda: fit_svi(
        PanelData.from_frame(
            fractional, group="group", time="time", target="sales", features=["promo"]
        ),
        steps=10,
    ),
    lambda: PanelData.from_arrays(np.zeros((3, 5, 2)), np.zeros((3, 4))),
):
    try:
        attempt()
    except HierarchicalInputError as err:
        print(err)
