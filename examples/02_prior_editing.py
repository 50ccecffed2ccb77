# %% [markdown]
# # Prior editing bound to real models
#
# Edit one distribution with sliders or exact values (Gamma and Beta also by mean and sd), see its
# density, cdf and quantiles, or elicit it from bounds or quartiles. Bound to a model, every edit
# redraws the model's prior predictive at once: the model is compiled a single time, and prior
# parameters are inputs of that one function.

# %%
import numpy as np
import pymc as pm

import bayes_widgets as bw
from bayes_widgets.core.priors import PriorDist, maxent

bw.PriorEditor(PriorDist.create("Gamma", parameterization="mean_sd", mu=2, sigma=1))

# %% [markdown]
# The same in code: the maximum-entropy Gamma with 90 % of its mass in [1, 10].

# %%
maxent("Gamma", 1, 10, mass=0.9)

# %% [markdown]
# ## A model's priors and its prior predictive
#
# Set a plausible range: the editor reports the share of prior-predictive values (and whole draws)
# outside it.

# %%
rng = np.random.default_rng(0)
t = np.arange(80)
sales = 20 + 0.1 * t + 3 * np.sin(t / 8) + rng.normal(0, 1.5, size=80)
with pm.Model(coords={"term": ["level", "trend"], "week": t}) as model:
    beta = pm.Normal("beta", [20.0, 0.0], [10.0, 1.0], dims="term")
    sigma = pm.HalfNormal("sigma", 5.0)
    pm.Normal("sales", beta[0] + beta[1] * t, sigma, observed=sales, dims="week")

editor = bw.PriorEditor(model, draws=500, seed=1, lower=0, upper=100)
editor

# %%
print(editor.code())

# %% [markdown]
# Fit the model with the edited priors, live:

# %%
monitor = editor.fit(backend="nutpie", draws=500, tune=500, seed=2)
monitor

# %%
monitor.wait()

# %% [markdown]
# ## A media-mix model
#
# A built pymc-marketing MMM: its priors (adstock, saturation, controls, seasonality, noise) with
# the prior predictive of the (scaled) target. `editor.model_config()` gives its `model_config` with
# the edits, for `MMM(..., model_config=...)`.

# %%
from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

from bayes_widgets.datasets import mmm_example

df = mmm_example()
mmm = MMM(
    date_column="date_week",
    channel_columns=["x1", "x2"],
    control_columns=["event_1", "event_2"],
    target_column="y",
    adstock=GeometricAdstock(l_max=8),
    saturation=LogisticSaturation(),
    yearly_seasonality=2,
)
mmm.build_model(df.drop(columns="y"), df["y"])
mmm_editor = bw.PriorEditor(mmm, draws=500, seed=3, lower=0)
mmm_editor

# %%
mmm_editor.model_config()["saturation_lam"]
