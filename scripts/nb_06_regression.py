"""Example notebook: regression, a target with known measurement error, predictions for new rows."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "06_regression_prediction.ipynb"

CELLS = [
    new_markdown_cell(
        "# Posterior prediction for new rows\n\n"
        "A Bayesian linear regression built from a DataFrame, fitted, and asked about rows it has "
        "never seen: for each new row, the posterior of the regression line `mu` and of a new "
        "observation `y`, with mean, sd and a credible interval. When the target itself was "
        "measured with a known error, the model says so, and the predictions are of the *true* "
        "value.\n\n"
        "Sizes follow `BAYES_WIDGETS_FAST` (`bw.choose(full, fast)`): set it to `1` for a quick "
        "run."
    ),
    new_code_cell(
        "import json\n"
        "from importlib.resources import files\n\n"
        "import numpy as np\n"
        "import pandas as pd\n"
        "import bayes_widgets as bw\n\n"
        "FIT = dict(draws=bw.choose(1000, 200), tune=bw.choose(1000, 200), chains=2, seed=1)"
    ),
    new_markdown_cell(
        "## 1. A regression on real data\n\n"
        "Children's test scores and their mothers' IQ and high-school completion (Gelman & Hill "
        "2006; the `kidiq` data of posteriordb, shipped with the package). `LinearRegression` "
        "puts the features into `pm.Data` (dims `obs` × `feature`, the feature names as "
        "coordinates) and picks weakly-informative priors from the data's spread: "
        "`alpha ~ Normal(mean(y), 2.5 sd(y))` for the expected score at the average mother, "
        "`beta_j ~ Normal(0, 2.5 sd(y) / sd(x_j))`, `sigma ~ HalfNormal(sd(y))`."
    ),
    new_code_cell(
        'path = files("bayes_widgets.data").joinpath("posteriordb", "kidiq.json")\n'
        "raw = json.loads(path.read_text())\n"
        'kids = pd.DataFrame({k: raw[k] for k in ("kid_score", "mom_hs", "mom_iq")})\n'
        'scores = bw.LinearRegression(kids, target="kid_score", features=["mom_hs", "mom_iq"])\n'
        "scores, scores.priors"
    ),
    new_markdown_cell("The model is an ordinary PyMC model, ready for any PyMC tool:"),
    new_code_cell("scores.model"),
    new_markdown_cell("Fit it (any backend of `bw.fit`; the posterior is kept for predictions):"),
    new_code_cell(
        "import arviz_stats as azs\n\n"
        'result = scores.fit(backend="pymc", **FIT)\n'
        "print(result)\n"
        'azs.summary(result.idata, var_names=["alpha", "beta", "sigma", "intercept"])'
    ),
    new_markdown_cell(
        "## 2. Predictions for new rows\n\n"
        "Three mothers the data did not include. For each row: `mu` is the expected score of "
        "children of such mothers, `y` the score of one new child; `_sd` is the posterior "
        "standard deviation, `_eti95_lower/_upper` the 95 % **equal-tailed** interval (2.5 % "
        'and 97.5 % quantiles). `interval="hdi"` gives highest-density intervals instead, with '
        "columns named `_hdi95_...`."
    ),
    new_code_cell(
        'mothers = pd.DataFrame({"mom_hs": [1, 0, 1], "mom_iq": [100.0, 85.0, 130.0]})\n'
        "scores.predict(mothers, seed=0)"
    ),
    new_markdown_cell(
        "The numbers are those of PyMC's own route, `pm.set_data` plus "
        "`pm.sample_posterior_predictive`, computed without compiling anything. "
        '`method="pymc"` takes that route on a copy of the model: `mu` agrees exactly, '
        "`y` up to Monte-Carlo error."
    ),
    new_code_cell(
        "fast = scores.predict(mothers, seed=0)\n"
        'reference = scores.predict(mothers, seed=0, method="pymc")\n'
        'columns = ["mu_mean", "mu_sd", "y_mean", "y_sd"]\n'
        "fast[columns] - reference[columns]  # differences"
    ),
    new_markdown_cell(
        "## 3. A target measured with known error\n\n"
        "Often the target is itself an estimate. Here: the share of a phone user's messages that "
        "are about a topic, counted over however many messages the user sent. A share from 12 "
        "messages is far less certain than one from 300; its standard error is known, "
        "`sqrt(p(1-p)/n)` (with `p = (k+1)/(n+2)`, so that 0 of 12 is not taken as certain).\n\n"
        "The data below are **synthetic**, generated in this cell so that the truth is known: "
        "four network and behaviour features per user, a true share linear in them, a number "
        "of messages per user, and the observed share counted from those messages."
    ),
    new_code_cell(
        "rng = np.random.default_rng(7)\n"
        "n_users = bw.choose(400, 150)\n"
        'FEATURES = ["degree", "betweenness", "burstiness", "reciprocity"]\n'
        "users = pd.DataFrame(rng.gamma(2.0, 0.5, size=(n_users, 4)), columns=FEATURES)\n"
        "TRUE_BETA = np.array([0.04, -0.02, 0.03, 0.0])\n"
        "line = 0.10 + (users[FEATURES] - 1.0) @ TRUE_BETA\n"
        "true_share = np.clip(line + rng.normal(0, 0.01, n_users), 0.001, 0.999)\n"
        'users["messages"] = rng.integers(10, 300, size=n_users)\n'
        'on_topic = rng.binomial(users["messages"], true_share)\n'
        'users["share"] = on_topic / users["messages"]\n'
        'p = (on_topic + 1) / (users["messages"] + 2)\n'
        'users["share_se"] = np.sqrt(p * (1 - p) / users["messages"])\n'
        "users.head()"
    ),
    new_markdown_cell(
        'With `target_error="share_se"` the model is\n\n'
        "    true_share_i ~ Normal(mu_i, sigma)         # the regression, of the true shares\n"
        "    share_i      ~ Normal(true_share_i, se_i)  # what was measured, with a known error\n\n"
        "sampled with the true shares integrated out (exactly: `share_i ~ Normal(mu_i, "
        "sqrt(sigma² + se_i²))`). `sigma` is then the scatter of the *true* shares around the "
        "line. Ignoring the errors lumps the counting noise into `sigma`:"
    ),
    new_code_cell(
        'with_error = bw.LinearRegression(users, "share", FEATURES, target_error="share_se")\n'
        'ignoring = bw.LinearRegression(users, "share", FEATURES)\n'
        "fit_with = with_error.fit(**FIT)\n"
        "fit_without = ignoring.fit(**FIT)\n"
        "pd.DataFrame({\n"
        '    "truth": [*TRUE_BETA, 0.01],\n'
        '    "with known error": [*fit_with.posterior["beta"].mean(("chain", "draw")).values,\n'
        '                         float(fit_with.posterior["sigma"].mean())],\n'
        '    "ignoring it": [*fit_without.posterior["beta"].mean(("chain", "draw")).values,\n'
        '                    float(fit_without.posterior["sigma"].mean())],\n'
        '}, index=[*(f"beta[{f}]" for f in FEATURES), "sigma"])'
    ),
    new_markdown_cell(
        "## 4. New users, in a table you can edit\n\n"
        "Features of new users whose share is unknown. `PredictionTable` shows each row's "
        "inputs and predictions: the regression line `mu` with its interval, and the *true* "
        "share `y` of such a user (mean, sd, interval). Edit a cell, add or remove rows, change "
        "the interval: the predictions are recomputed at once. A value that is not a number is "
        "refused inline, naming the column, and the table keeps its last valid state. Below the "
        "table, the predictions with their intervals. (A straight line knows nothing of the "
        "bounds of a share: for inputs far from the data, an interval can reach below 0.)"
    ),
    new_code_cell(
        "new_users = pd.DataFrame(rng.gamma(2.0, 0.5, size=(6, 4)).round(2), columns=FEATURES)\n"
        "table = bw.PredictionTable(with_error, new_users, seed=0)\n"
        "table"
    ),
    new_markdown_cell(
        "The same operations from Python, with the same checks. Then the table as a DataFrame "
        "(whatever was edited on the page is in it too):"
    ),
    new_code_cell(
        'table.edit(0, "degree", 3.0)        # a very central user\n'
        'table.add_row({"burstiness": 0.1})  # a copy of the last row, less bursty\n'
        "table.to_dataframe()"
    ),
    new_code_cell("table.to_dataframe().attrs"),
    new_markdown_cell(
        "A new user whose share *will* be measured, from a known number of messages: give the "
        "error column too, and `y` becomes the predicted *measurement*, counting noise included."
    ),
    new_code_cell(
        "planned = new_users.iloc[:3].assign(share_se=[0.0, 0.02, 0.08])\n"
        'shown = ["share_se", "mu_mean", "y_mean", "y_sd", "y_eti95_lower", "y_eti95_upper"]\n'
        "with_error.predict(planned, seed=0)[shown]"
    ),
    new_markdown_cell("## Bad input names what is wrong"),
    new_code_cell(
        "attempts = [\n"
        '    lambda: table.edit(1, "degree", "high"),\n'
        "    lambda: with_error.predict(new_users.assign(followers=10)),\n"
        '    lambda: with_error.predict(new_users.drop(columns="reciprocity")),\n'
        "    lambda: with_error.predict(new_users.assign(degree=np.nan)),\n"
        '    lambda: bw.LinearRegression(users, "share", FEATURES, target_error=[0.01, 0.02]),\n'
        '    lambda: bw.LinearRegression(users, "share", FEATURES).predict(new_users),\n'
        "]\n"
        "for attempt in attempts:\n"
        "    try:\n"
        "        attempt()\n"
        "    except bw.RegressionInputError as err:\n"
        "        print(err)"
    ),
]
