# %% [markdown]
# # Posterior prediction for new rows
#
# A Bayesian linear regression built from a DataFrame, fitted, and asked about rows it has never
# seen: for each new row, the posterior of the regression line `mu` and of a new observation `y`,
# with mean, sd and a credible interval. When the target itself was measured with a known error, the
# model says so, and the predictions are of the *true* value.
#
# Sizes follow `BAYES_WIDGETS_FAST` (`bw.choose(full, fast)`): set it to `1` for a quick run.

# %%
import json
from importlib.resources import files

import numpy as np
import pandas as pd

import bayes_widgets as bw

FIT = {"draws": bw.choose(1000, 200), "tune": bw.choose(1000, 200), "chains": 2, "seed": 1}

# %% [markdown]
# ## 1. A regression on real data
#
# Children's test scores and their mothers' IQ and high-school completion (Gelman & Hill 2006; the
# `kidiq` data of posteriordb, shipped with the package). `LinearRegression` puts the features into
# `pm.Data` (dims `obs` × `feature`, the feature names as coordinates) and picks weakly-informative
# priors from the data's spread: `alpha ~ Normal(mean(y), 2.5 sd(y))` for the expected score at the
# average mother, `beta_j ~ Normal(0, 2.5 sd(y) / sd(x_j))`, `sigma ~ HalfNormal(sd(y))`.

# %%
path = files("bayes_widgets.data").joinpath("posteriordb", "kidiq.json")
raw = json.loads(path.read_text())
kids = pd.DataFrame({k: raw[k] for k in ("kid_score", "mom_hs", "mom_iq")})
scores = bw.LinearRegression(kids, target="kid_score", features=["mom_hs", "mom_iq"])
scores, scores.priors

# %% [markdown]
# The model is an ordinary PyMC model, ready for any PyMC tool:

# %%
scores.model

# %% [markdown]
# Fit it (any backend of `bw.fit`; the posterior is kept for predictions):

# %%
import arviz_stats as azs

result = scores.fit(backend="pymc", **FIT)
print(result)
azs.summary(result.idata, var_names=["alpha", "beta", "sigma", "intercept"])

# %% [markdown]
# ## 2. Predictions for new rows
#
# Three mothers the data did not include. For each row: `mu` is the expected score of children of
# such mothers, `y` the score of one new child; `_sd` is the posterior standard deviation,
# `_eti95_lower/_upper` the 95 % **equal-tailed** interval (2.5 % and 97.5 % quantiles).
# `interval="hdi"` gives highest-density intervals instead, with columns named `_hdi95_...`.

# %%
mothers = pd.DataFrame({"mom_hs": [1, 0, 1], "mom_iq": [100.0, 85.0, 130.0]})
scores.predict(mothers, seed=0)

# %% [markdown]
# The numbers are those of PyMC's own route, `pm.set_data` plus `pm.sample_posterior_predictive`,
# computed without compiling anything. `method="pymc"` takes that route on a copy of the model: `mu`
# agrees exactly, `y` up to Monte-Carlo error.

# %%
fast = scores.predict(mothers, seed=0)
reference = scores.predict(mothers, seed=0, method="pymc")
columns = ["mu_mean", "mu_sd", "y_mean", "y_sd"]
fast[columns] - reference[columns]  # differences

# %% [markdown]
# ## 3. A target measured with known error
#
# Often the target is itself an estimate. Here: the share of a phone user's messages that are about
# a topic, counted over however many messages the user sent. A share from 12 messages is far less
# certain than one from 300; its standard error is known, `sqrt(p(1-p)/n)` (with `p = (k+1)/(n+2)`,
# so that 0 of 12 is not taken as certain).
#
# The data below are **synthetic**, generated in this cell so that the truth is known: four network
# and behaviour features per user, a true share linear in them, a number of messages per user, and
# the observed share counted from those messages.

# %%
rng = np.random.default_rng(7)
n_users = bw.choose(400, 150)
FEATURES = ["degree", "betweenness", "burstiness", "reciprocity"]
users = pd.DataFrame(rng.gamma(2.0, 0.5, size=(n_users, 4)), columns=FEATURES)
TRUE_BETA = np.array([0.04, -0.02, 0.03, 0.0])
line = 0.10 + (users[FEATURES] - 1.0) @ TRUE_BETA
true_share = np.clip(line + rng.normal(0, 0.01, n_users), 0.001, 0.999)
users["messages"] = rng.integers(10, 300, size=n_users)
on_topic = rng.binomial(users["messages"], true_share)
users["share"] = on_topic / users["messages"]
p = (on_topic + 1) / (users["messages"] + 2)
users["share_se"] = np.sqrt(p * (1 - p) / users["messages"])
users.head()

# %% [markdown]
# With `target_error="share_se"` the model is
#
#     true_share_i ~ Normal(mu_i, sigma)         # the regression, of the true shares
#     share_i      ~ Normal(true_share_i, se_i)  # what was measured, with a known error
#
# sampled with the true shares integrated out (exactly: `share_i ~ Normal(mu_i, sqrt(sigma² +
# se_i²))`). `sigma` is then the scatter of the *true* shares around the line. Ignoring the errors
# lumps the counting noise into `sigma`:

# %%
with_error = bw.LinearRegression(users, "share", FEATURES, target_error="share_se")
ignoring = bw.LinearRegression(users, "share", FEATURES)
fit_with = with_error.fit(**FIT)
fit_without = ignoring.fit(**FIT)
pd.DataFrame(
    {
        "truth": [*TRUE_BETA, 0.01],
        "with known error": [
            *fit_with.posterior["beta"].mean(("chain", "draw")).values,
            float(fit_with.posterior["sigma"].mean()),
        ],
        "ignoring it": [
            *fit_without.posterior["beta"].mean(("chain", "draw")).values,
            float(fit_without.posterior["sigma"].mean()),
        ],
    },
    index=[*(f"beta[{f}]" for f in FEATURES), "sigma"],
)

# %% [markdown]
# ## 4. New users, in a table you can edit
#
# Features of new users whose share is unknown. `PredictionTable` shows each row's inputs and
# predictions: the regression line `mu` with its interval, and the *true* share `y` of such a user
# (mean, sd, interval). Edit a cell, add or remove rows, change the interval: the predictions are
# recomputed at once. A value that is not a number is refused inline, naming the column, and the
# table keeps its last valid state. Below the table, the predictions with their intervals. (A
# straight line knows nothing of the bounds of a share: for inputs far from the data, an interval
# can reach below 0.)

# %%
new_users = pd.DataFrame(rng.gamma(2.0, 0.5, size=(6, 4)).round(2), columns=FEATURES)
table = bw.PredictionTable(with_error, new_users, seed=0)
table

# %% [markdown]
# The same operations from Python, with the same checks. Then the table as a DataFrame (whatever was
# edited on the page is in it too):

# %%
table.edit(0, "degree", 3.0)  # a very central user
table.add_row({"burstiness": 0.1})  # a copy of the last row, less bursty
table.to_dataframe()

# %%
table.to_dataframe().attrs

# %% [markdown]
# A new user whose share *will* be measured, from a known number of messages: give the error column
# too, and `y` becomes the predicted *measurement*, counting noise included.

# %%
planned = new_users.iloc[:3].assign(share_se=[0.0, 0.02, 0.08])
shown = ["share_se", "mu_mean", "y_mean", "y_sd", "y_eti95_lower", "y_eti95_upper"]
with_error.predict(planned, seed=0)[shown]

# %% [markdown]
# ## 5. Your own PyMC model
#
# `predict_new_rows` and `PredictionTable` take any PyMC model whose inputs are `pm.Data`
# containers, written the way the PyMC docs teach. New rows reach the model by name: a vector
# container on the row dim takes the column of its own name, a matrix container one column per
# coordinate of its other dim (here `X` with dims `("obs", "feature")` takes the columns `mom_hs`
# and `mom_iq`). The row dim is the dim the observed variable shares with the inputs (`row_dim=`
# overrides it). The container of observed values (`score_obs`) gets placeholders, and `iq_centre`,
# off the row dim, keeps its value. Every deterministic and observed variable on the row dim is
# predicted.

# %%
import pymc as pm

X = kids[["mom_hs", "mom_iq"]].to_numpy(float)
with pm.Model(coords={"obs": kids.index, "feature": ["mom_hs", "mom_iq"]}) as own:
    X_data = pm.Data("X", X, dims=("obs", "feature"))
    iq_centre = pm.Data("iq_centre", [0.0, 100.0], dims="feature")
    score_obs = pm.Data("score_obs", kids["kid_score"].to_numpy(float), dims="obs")
    alpha = pm.Normal("alpha", 85, 30)
    beta = pm.Normal("beta", 0, 10, dims="feature")
    sigma = pm.HalfNormal("sigma", 30)
    mu = pm.Deterministic("mu", alpha + (X_data - iq_centre) @ beta, dims="obs")
    pm.Normal("score", mu, sigma, observed=score_obs, dims="obs")

own_fit = bw.fit(own, backend="pymc", **FIT)
bw.predict_new_rows(own, own_fit, mothers, seed=0)

# %% [markdown]
# The same numbers as `pm.set_data` + `pm.sample_posterior_predictive` on a copy of the model (`mu`
# exactly, `score` within Monte-Carlo error), from a function compiled once per model, so a table
# edit recomputes in milliseconds. The model itself is never changed:

# %%
from pymc.model.fgraph import clone_model

copy = clone_model(own)
with copy:
    pm.set_data({"X": mothers.to_numpy(float), "score_obs": np.zeros(3)}, coords={"obs": range(3)})
    direct = pm.sample_posterior_predictive(
        own_fit.idata, var_names=["mu", "score"], progressbar=False
    )
ours = bw.predict_new_rows(own, own_fit, mothers, seed=0)
print(
    "largest difference in mu:",
    float(
        abs(
            ours["mu_mean"] - direct["posterior_predictive"]["mu"].mean(["chain", "draw"]).values
        ).max()
    ),
)
print(
    "the model's data still has",
    own["X"].get_value().shape[0],
    "rows and",
    len(own.coords["obs"]),
    "coordinates",
)

# %%
own_table = bw.PredictionTable(own, mothers, posterior=own_fit, seed=0)
own_table

# %% [markdown]
# ## Bad input names what is wrong

# %%
attempts = [
    lambda: table.edit(1, "degree", "high"),
    lambda: with_error.predict(new_users.assign(followers=10)),
    lambda: with_error.predict(new_users.drop(columns="reciprocity")),
    lambda: with_error.predict(new_users.assign(degree=np.nan)),
    lambda: bw.LinearRegression(users, "share", FEATURES, target_error=[0.01, 0.02]),
    lambda: bw.LinearRegression(users, "share", FEATURES).predict(new_users),
]
for attempt in attempts:
    try:
        attempt()
    except bw.RegressionInputError as err:
        print(err)
