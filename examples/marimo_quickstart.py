import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # bayes_widgets in marimo

    A shop's daily sales, counted for 60 days: edit the priors and watch the prior
    predictive against the data, fit the model live, explore the posterior, then decide
    how much to stock for a weekday and for a weekend day.

    `marimo edit examples/marimo_quickstart.py` to change it, `marimo run ...` to use it
    as an app. Everything here is also a plain Python API (see the README).
    """)
    return


@app.cell
def _():
    import marimo as mo
    import numpy as np
    import pymc as pm

    import bayes_widgets as bw

    return bw, mo, np, pm


@app.cell
def _(np, pm):
    # 60 days of sales; weekends sell more
    rng = np.random.default_rng(11)
    days = np.arange(60)
    weekend = (days % 7 >= 5).astype(float)
    sales = rng.poisson(np.exp(3.0 + 0.4 * weekend))

    with pm.Model(coords={"day": days}) as shop:
        weekend_data = pm.Data("weekend", weekend, dims="day")
        base = pm.Normal("base", 2.5, 1.0)
        weekend_lift = pm.Normal("weekend_lift", 0.0, 0.5)
        rate = pm.Deterministic("rate", pm.math.exp(base + weekend_lift * weekend_data), dims="day")
        pm.Poisson("sales", rate, observed=sales, dims="day")
    return (shop,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 1. Priors

    Move a slider: the prior predictive of the sales is redrawn against the observed
    days at once.
    """)
    return


@app.cell
def _(bw, shop):
    priors = bw.PriorEditor(shop, lower=0, upper=200)
    return (priors,)


@app.cell
def _(mo, priors):
    # the editor's view; cells that use the edited priors read `priors`, so moving a
    # slider does not re-run them
    mo.ui.anywidget(priors)
    return


@app.cell(hide_code=True)
def _(mo):
    fit_button = mo.ui.run_button(label="Fit again with these priors")
    mo.md(
        f"""
        ## 2. A live fit

        The fit runs in the background: the monitor streams draws, divergences and traces
        while the notebook stays free. Pause, Resume and Cancel (which keeps the draws) act
        at once. {fit_button}
        """
    )
    return (fit_button,)


@app.cell
def _(bw, fit_button, mo, priors):
    fit_button  # pressing it fits again with the priors as edited now
    fitted_model = priors.apply()  # the model rebuilt with the edited priors
    monitor = mo.ui.anywidget(
        bw.FitMonitor(fitted_model, backend="pymc", draws=1000, tune=500, chains=2, cores=2, seed=1)
    )
    monitor
    return fitted_model, monitor


@app.cell(hide_code=True)
def _(mo):
    show_button = mo.ui.run_button(label="Explore the posterior")
    mo.md(
        f"""
        ## 3. The posterior

        Once the fit has ended (or you cancelled it): {show_button}
        """
    )
    return (show_button,)


@app.cell
def _(bw, fitted_model, mo, monitor, pm, show_button):
    # waiting on a running fit would hold the kernel, and marimo hands the page's
    # messages (Cancel among them) to Python only when the kernel is free
    mo.stop(not show_button.value, mo.md("*The explorer appears here.*"))
    result = monitor.wait(timeout=0)
    mo.stop(result is None, mo.md("*The fit is still running: press again once it has ended.*"))
    with fitted_model:
        result.idata["posterior_predictive"] = pm.sample_posterior_predictive(
            result.idata, progressbar=False
        )["posterior_predictive"]
    explorer = bw.PosteriorExplorer(result, selected=["base", "weekend_lift"])
    explorer
    return (result,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    ## 4. A decision

    How many units to stock for a weekday and for a weekend day, when a unit sells for
    3 and costs 1, and what is not sold is lost? Each posterior draw gives a demand for
    both days (the posterior predictive); move the sliders or optimise.
    """)
    return


@app.cell
def _(bw, np, result):
    posterior = result.idata["posterior"]
    base_draws = posterior["base"].values.ravel()
    lift_draws = posterior["weekend_lift"].values.ravel()
    draw_rng = np.random.default_rng(0)
    demand = np.column_stack(
        [
            draw_rng.poisson(np.exp(base_draws)),  # a weekday
            draw_rng.poisson(np.exp(base_draws + lift_draws)),  # a weekend day
        ]
    )
    price, cost = 3.0, 1.0

    def profit(stock, scenarios):
        sold = np.minimum(stock, scenarios["demand"])
        return (price * sold - cost * stock).sum(axis=1)

    stock = bw.DecisionProblem(
        [bw.DecisionVariable("weekday", 0, 60), bw.DecisionVariable("weekend_day", 0, 80)],
        {"demand": demand},
        profit,
    )
    bw.DecisionExplorer(stock)
    return


if __name__ == "__main__":
    app.run()
