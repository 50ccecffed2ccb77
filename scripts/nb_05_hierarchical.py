"""Example 05: hierarchical demand models at scale, and the cold start of new stores."""

from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "05_hierarchical_at_scale.ipynb"

CELLS = [
    new_markdown_cell(
        "# Hierarchical models at scale: store demand and the cold start\n\n"
        "A Bayesian hierarchical model of daily sales for many stores: every store has its own "
        "coefficients (weekday, promotion, holidays, store type, ...), drawn from a shared "
        "distribution whose parameters are learned from all stores. A store with a long history "
        "is fitted mostly by its own data; a store that opened a week ago borrows strength from "
        "the others. The protocol:\n\n"
        "1. sales of many stores over many days, with closed days missing;\n"
        "2. stores split into long-running ones (training) and newly opened ones;\n"
        "3. the hierarchical model fitted to the long-running stores by stochastic variational "
        "inference (SVI), stores minibatched, watched live;\n"
        "4. each new store's own coefficients fitted from its first 7 days, the global "
        "parameters held fixed;\n"
        "5. those compared with a per-store regularised Poisson regression on the same 7 days, "
        "and with the fit on the store's whole history.\n\n"
        "The data are simulated with known truth, shaped like a large retailer's: 23 daily "
        "features, Sundays and holidays closed, promotions every other week. With "
        "`BAYES_WIDGETS_FAST=1` the notebook runs on fewer stores and days."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import bayes_widgets as bw\n"
        "from bayes_widgets.core.hierarchical import (PanelData, evaluate_cold_start, fit_nuts, fit_svi,\n"
        "                                             forecast_figure, effects_figure, make_demand, radon_data)\n\n"
        "N_STORES = bw.choose(1000, 120)\n"
        "N_DAYS = bw.choose(942, 240)\n"
        "N_NEW = bw.choose(100, 20)\n"
        "demand = make_demand(N_STORES, N_DAYS, seed=0)\n"
        "demand.data"
    ),
    new_markdown_cell(
        "## The data as a table\n\n"
        "Models are built from a long-form table (one row per store and day: a group column, a "
        "time column, feature columns and the target) or from a stores × days × features array. "
        "A missing target (a closed store) is kept and predicted: what the store would have sold "
        "had it opened."
    ),
    new_code_cell(
        "frame = demand.data.to_frame()\n"
        'data = PanelData.from_frame(frame, group="group", time="time", target="sales",\n'
        "                            features=list(demand.features))\n"
        "print(data)\n"
        'print(f"closed (missing) store-days: {np.isnan(data.y).mean():.1%}")\n'
        "frame.head()"
    ),
    new_markdown_cell(
        "## Long-running stores and new ones\n\nThe last stores play the newly opened ones."
    ),
    new_code_cell(
        "train = data.select(groups=slice(0, N_STORES - N_NEW))\n"
        "new = data.select(groups=slice(N_STORES - N_NEW, N_STORES))\n"
        "train, new"
    ),
    new_markdown_cell(
        "## Fit, live\n\n"
        "A Gamma-Poisson (negative binomial) likelihood with a store-level dispersion; "
        "non-centred store coefficients; a mean-field guide checked site by site against the "
        "model, started from a pooled regression. Each step uses 100 stores. The loss curve, "
        "steps/s, the time left and the global parameters update as it runs; **Cancel** keeps "
        "the parameters reached."
    ),
    new_code_cell(
        'live = fit_svi(train, likelihood="gamma_poisson", batch_size=100, steps=bw.choose(3000, 1500),\n'
        "               convergence=1e-4, monitor=True)\n"
        "live"
    ),
    new_code_cell(
        "fit = live.wait()\n"
        "truth = demand.log_mean[: N_STORES - N_NEW]\n"
        "corr = np.corrcoef(fit.log_mean().ravel(), truth.ravel())[0, 1]\n"
        "print(f\"{fit.info['steps']} steps in {fit.elapsed_s:.1f} s; correlation of fitted and true \"\n"
        '      f"log-mean over all store-days: {corr:.3f}")'
    ),
    new_markdown_cell(
        "## Forecasts and effects\n\n"
        "Pick a store: its sales as bars, the posterior predictive mean (dashed) and the 50% and "
        "90% bands, closed days included. Below, the densities over stores of the chosen "
        "effects: here the weekdays (multiplicative: 1.2 = 20% more than the baseline)."
    ),
    new_code_cell(
        'weekdays = [f for f in demand.features if f.startswith("dow_")]\n'
        "bw.HierarchicalExplorer(fit, effects=weekdays)"
    ),
    new_markdown_cell("The promotion effect across stores, its median marked:"),
    new_code_cell('bw.HierarchicalExplorer(fit, effects=["promo"], group=train.groups[7])'),
    new_markdown_cell(
        "The same views as plain Bokeh figures, for a report or a script "
        '(`bokeh.io.save(figure, "forecast.html")`), and as tables:'
    ),
    new_code_cell(
        "forecast = fit.predict(groups=[0, 1, 2])\n"
        'print(f"observed days inside the 90% band: {forecast.coverage(0.9):.1%}, "\n'
        '      f"inside the 50% band: {forecast.coverage(0.5):.1%}")\n'
        'figures = [forecast_figure(forecast, 0), effects_figure(fit, "promo", transform="exp")]\n'
        'fit.effects_frame("promo").describe()'
    ),
    new_markdown_cell(
        "## The cold start\n\n"
        "Each new store's own coefficients are fitted from its first 7 days only, the global "
        "parameters held at the values learned above. The error is measured on the days after "
        "those 7, against a per-store Poisson regression with a ridge penalty (its penalty "
        "chosen on those same days, which favours it) and against the model fitted to the new "
        "stores' whole history."
    ),
    new_code_cell(
        "report = evaluate_cold_start(fit, new, known=7, steps=bw.choose(1500, 600))\n"
        "report.summary()"
    ),
    new_markdown_cell(
        "One new store's coefficients by each fit: the regression, with 7 days, cannot tell "
        "several features apart (zero where a feature never varied), while the cold start "
        "stays close to what the whole history gives. In the explorer, the 7 known days are "
        "shaded and the errors are those of the later days."
    ),
    new_code_cell("report.coefficients(0).round(3).head(10)"),
    new_code_cell(
        'bw.HierarchicalExplorer(report.cold_start, data=new, cold_start=report, effects=["promo"])'
    ),
    new_markdown_cell(
        "## A small real example: radon in Minnesota houses\n\n"
        "919 houses in 85 counties; the log radon level with a county intercept and a floor "
        "effect (measured in the basement or on the first floor). Sampled by NUTS and fitted by "
        "SVI through the same API; both find the floor effect near −0.66."
    ),
    new_code_cell(
        "radon = radon_data()\n"
        'by_nuts = fit_nuts(radon, likelihood="normal", varying=[], draws=bw.choose(1000, 300),\n'
        "                   tune=bw.choose(1000, 300), chains=2, seed=1)\n"
        'by_svi = fit_svi(radon, likelihood="normal", varying=[], steps=2500, batch_size=None)\n'
        'floor_nuts = by_nuts.posterior_mean()["coef"][0, 0]\n'
        'floor_svi = by_svi.posterior_mean()["coef"][0, 0]\n'
        'print(f"floor effect: NUTS {floor_nuts:.3f}, SVI {floor_svi:.3f}; "\n'
        "      f\"{by_nuts.info['divergences']} divergences\")"
    ),
    new_code_cell('bw.HierarchicalExplorer(by_nuts, effects=["intercept"], transform="log")'),
    new_markdown_cell("## Bad input names what is wrong"),
    new_code_cell(
        "from bayes_widgets.core.hierarchical import HierarchicalInputError\n\n"
        'one_store = frame[frame["group"] == frame["group"].iloc[0]]\n'
        "no_sales = frame.assign(sales=np.nan)\n"
        'fractional = frame.assign(sales=frame["sales"] + 0.5)\n'
        "for attempt in (\n"
        '    lambda: fit_svi(PanelData.from_frame(one_store, group="group", time="time", target="sales",\n'
        '                                         features=["promo"]), steps=10),\n'
        '    lambda: fit_svi(PanelData.from_frame(no_sales, group="group", time="time", target="sales",\n'
        '                                         features=["promo"]), steps=10),\n'
        '    lambda: fit_svi(PanelData.from_frame(fractional, group="group", time="time", target="sales",\n'
        '                                         features=["promo"]), steps=10),\n'
        "    lambda: PanelData.from_arrays(np.zeros((3, 5, 2)), np.zeros((3, 4))),\n"
        "):\n"
        "    try:\n"
        "        attempt()\n"
        "    except HierarchicalInputError as err:\n"
        "        print(err)"
    ),
]
