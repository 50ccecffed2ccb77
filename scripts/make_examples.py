"""Writes the example notebooks in examples/ from the cell sources below (no outputs)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1] / "examples"

LIVE_FITTING = [
    new_markdown_cell(
        "# Quickstart: live fitting\n\n"
        "Fit a PyMC model and watch it: per-chain draws, divergences as they happen, step size, "
        "tree depth or leapfrog steps, draws/s and ETA, live trace and rank plots, running "
        "R-hat and ESS. **Cancel** keeps the draws made so far; **Pause**/**Resume** hold the "
        "sampler. The kernel stays free while the fit runs.\n\n"
        "Sizes are chosen with `bw.choose(full, fast)`: with `BAYES_WIDGETS_FAST=1` in the "
        "environment (as in the test suite) the notebook uses fewer draws."
    ),
    new_markdown_cell(
        "`%load_ext bayes_widgets` makes models and fits explain themselves: a PyMC model shows "
        "a card with its variables, its graph and a button to its prior editor; a fit shows a "
        "posterior explorer. (`%unload_ext bayes_widgets` puts the default displays back.)"
    ),
    new_code_cell(
        "%load_ext bayes_widgets\n"
        "import bayes_widgets as bw\n"
        "from bayes_widgets.datasets import eight_schools_noncentered, kidiq_momhsiq\n\n"
        "model = eight_schools_noncentered()\n"
        "model"
    ),
    new_markdown_cell(
        "## PyMC's NUTS\n\nThe monitor starts the fit at once and returns; the cell below keeps "
        "running until the fit ends (interrupt the kernel to cancel and keep the draws)."
    ),
    new_code_cell(
        'monitor = bw.FitMonitor(model, backend="pymc", draws=bw.choose(1000, 300), tune=bw.choose(1000, 300), chains=2,\n'
        "                        target_accept=0.95, seed=1)\n"
        "monitor"
    ),
    new_markdown_cell(
        "The result, shown as a posterior explorer: the summary table with any problem named, "
        "and linked trace, rank and pair plots (select draws with the box tool in the pair "
        "plot to see them in the others)."
    ),
    new_code_cell("result = monitor.wait()\nresult"),
    new_code_cell("result.summary()"),
    new_markdown_cell("The same fit in one line, with the `%fit` magic:"),
    new_code_cell("%fit model backend=nutpie draws=500 tune=500 seed=3"),
    new_markdown_cell(
        "## nutpie\n\nCompiled once per model, then much faster. The same diagnostics schema "
        "comes back from every backend."
    ),
    new_code_cell(
        'fast = bw.FitMonitor(kidiq_momhsiq(), backend="nutpie", draws=bw.choose(1000, 300), tune=bw.choose(1000, 300), seed=2)\n'
        "fast"
    ),
    new_code_cell("fast.wait().diagnostics.to_dict()"),
    new_markdown_cell(
        "## In a script\n\n`bw.fit` blocks and returns the result; `block=False` returns a "
        "`FitSession` to pause, resume, cancel or poll."
    ),
    new_code_cell(
        'session = bw.fit(model, backend="nutpie", draws=500, tune=500, block=False)\n'
        "result = session.wait()\n"
        "result.diagnostics.rhat_max, result.diagnostics.ess_bulk_min"
    ),
    new_markdown_cell("## Bad input is shown inline"),
    new_code_cell("bw.FitMonitor(model, draws=0)"),
]


PRIOR_EDITING = [
    new_markdown_cell(
        "# Prior editing bound to real models\n\n"
        "Edit one distribution with sliders or exact values (Gamma and Beta also by mean and "
        "sd), see its density, cdf and quantiles, or elicit it from bounds or quartiles. "
        "Bound to a model, every edit redraws the model's prior predictive at once: the model "
        "is compiled a single time, and prior parameters are inputs of that one function."
    ),
    new_code_cell(
        "import numpy as np\n"
        "import pymc as pm\n"
        "import bayes_widgets as bw\n"
        "from bayes_widgets.core.priors import PriorDist, maxent\n\n"
        'bw.PriorEditor(PriorDist.create("Gamma", parameterisation="mean_sd", mu=2, sigma=1))'
    ),
    new_markdown_cell(
        "The same in code: the maximum-entropy Gamma with 90 % of its mass in [1, 10]."
    ),
    new_code_cell('maxent("Gamma", 1, 10, mass=0.9)'),
    new_markdown_cell(
        "## A model's priors and its prior predictive\n\nSet a plausible range: the editor "
        "reports the share of prior-predictive values (and whole draws) outside it."
    ),
    new_code_cell(
        "rng = np.random.default_rng(0)\n"
        "t = np.arange(80)\n"
        "sales = 20 + 0.1 * t + 3 * np.sin(t / 8) + rng.normal(0, 1.5, size=80)\n"
        'with pm.Model(coords={"term": ["level", "trend"]}) as model:\n'
        '    beta = pm.Normal("beta", [20.0, 0.0], [10.0, 1.0], dims="term")\n'
        '    sigma = pm.HalfNormal("sigma", 5.0)\n'
        '    pm.Normal("sales", beta[0] + beta[1] * t, sigma, observed=sales)\n\n'
        "editor = bw.PriorEditor(model, draws=500, seed=1, lower=0, upper=100)\n"
        "editor"
    ),
    new_code_cell("print(editor.code())"),
    new_markdown_cell("Fit the model with the edited priors, live:"),
    new_code_cell('monitor = editor.fit(backend="nutpie", draws=500, tune=500, seed=2)\nmonitor'),
    new_code_cell("monitor.wait()"),
    new_markdown_cell(
        "## A media-mix model\n\nA built pymc-marketing MMM: its priors (adstock, saturation, "
        "controls, seasonality, noise) with the prior predictive of the (scaled) target. "
        "`editor.model_config()` gives its `model_config` with the edits, for `MMM(..., "
        "model_config=...)`."
    ),
    new_code_cell(
        "from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation\n"
        "from bayes_widgets.datasets import mmm_example\n\n"
        "df = mmm_example()\n"
        'mmm = MMM(date_column="date_week", channel_columns=["x1", "x2"],\n'
        '          control_columns=["event_1", "event_2"], target_column="y",\n'
        "          adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), yearly_seasonality=2)\n"
        'mmm.build_model(df.drop(columns="y"), df["y"])\n'
        "mmm_editor = bw.PriorEditor(mmm, draws=500, seed=3, lower=0)\n"
        "mmm_editor"
    ),
    new_code_cell('mmm_editor.model_config()["saturation_lam"]'),
]


MMM_FLEETS = [
    new_markdown_cell(
        "# Media-mix models and fleets\n\n"
        "The MMM workflow of a marketing analytics team, with bayes_widgets: configure a model "
        "from a weekly dataset, edit its priors, fit it live, read parameters in the original "
        "units, predict, and validate it with fleets of refits watched on a live board. The "
        "data are real weekly sales with 10 media spend channels and 2 macro controls "
        "(161 weeks). Draws are kept small so the notebook runs in a few minutes, and smaller "
        "still with `BAYES_WIDGETS_FAST=1` (sizes are chosen with `bw.choose(full, fast)`)."
    ),
    new_code_cell(
        "import bayes_widgets as bw\n"
        "from bayes_widgets.core.mmm import MMMModel\n"
        "from bayes_widgets.datasets import mmm_case_study\n\n"
        "data = mmm_case_study(161)\n"
        'channels = [c for c in data.columns if c.startswith("mdsp_")]\n'
        'controls = ["me_ics_all", "me_gas_dpg"]\n'
        'data[["wk_strt_dt", "sales", *channels, *controls]].info()'
    ),
    new_markdown_cell(
        "## The model\n\nOptions as in the team's toolkit: lag, adstock, saturation, scaling, "
        "time-varying media, seasonality. Bad data or options fail with the field named."
    ),
    new_code_cell(
        'model = MMMModel(data, target="sales", date_column="wk_strt_dt", channels=channels,\n'
        '                 controls=controls, lag_max=8, adstock="geometric", saturation="logistic",\n'
        "                 scale_data=True, time_varying_media=False, yearly_seasonality=2)\n"
        "model.priors"
    ),
    new_markdown_cell(
        "Priors are editable, with the prior predictive of the sales redrawn at every change:"
    ),
    new_code_cell("editor = bw.PriorEditor(model.build(), draws=300, lower=0)\neditor"),
    new_code_cell("model.set_priors(editor.model_config())  # keep whatever was edited above"),
    new_markdown_cell(
        "## Fit, live\n\nThe sampler is chosen for effective draws per second "
        "(nutpie, its mass matrix adapted from the draws' variances)."
    ),
    new_code_cell(
        "monitor = model.fit(draws=bw.choose(300, 100), tune=bw.choose(300, 100), seed=1, monitor=True)\nmonitor"
    ),
    new_code_cell(
        "result = monitor.wait()\nresult.diagnostics.rhat_max, result.diagnostics.ess_bulk_min"
    ),
    new_code_cell('model.summarize_variable("intercept")  # in sales units, with a 94% interval'),
    new_code_cell('model.roas().groupby("channel")["mean"].mean().sort_values()'),
    new_markdown_cell(
        "## Budget what-ifs\n\nA slider per channel sets its weekly spend for the next 8 weeks; the "
        "distribution of the incremental sales over the posterior draws is redrawn at once. "
        "The current plan (the last 8 weeks' average) stands beside it; **Optimise** spreads the "
        "same total budget over the channels (each between 0 and twice its largest weekly "
        "spend), for the expected response or, more cautiously, its CVaR. A plan over the "
        "budget is shown as such."
    ),
    new_code_cell("budget = model.budget_explorer(horizon=8)\nbudget"),
    new_code_cell(
        "plan = budget.optimise()\n{channel: round(spend) for channel, spend in plan.x.items()}"
    ),
    new_markdown_cell(
        "## Predict the next weeks\n\nSpend and controls of the weeks after the data:"
    ),
    new_code_cell(
        'future = mmm_case_study(None).iloc[161:165][["wk_strt_dt", *channels, *controls]]\n'
        "model.predict(future, seed=2)"
    ),
    new_markdown_cell(
        "## Fleets on a live board\n\nEach run refits a fresh model in its own process and is saved "
        "as soon as it ends (a rerun skips finished runs). Set pass/fail thresholds on the board; "
        "click a run for its plots."
    ),
    new_code_cell(
        "from bayes_widgets.core.mmm.fleets import holdout_fleet\n\n"
        'board = bw.FleetBoard(thresholds={"test_mape": ("<=", 0.15), "rhat_max": ("<=", 1.01)})\n'
        'job = board.run(holdout_fleet, model, horizons=[4, 8], out="runs/holdout",\n'
        '                fit={"draws": bw.choose(200, 100), "tune": bw.choose(200, 100), "seed": 3})\n'
        "board"
    ),
    new_code_cell("job.join()\nboard.result.summary()"),
    new_markdown_cell("A standalone report of the fleet (opens offline):"),
    new_code_cell(
        "from bayes_widgets.core.report import fleet_report\n\n"
        'fleet_report(board.result, "runs/holdout/report.html", title="Holdout fleet")'
    ),
]


SUPPLY_CHAIN = [
    new_markdown_cell(
        "# Decisions on the posterior predictive: the rocket-engine supply chain\n\n"
        "A model is not the end: the question is how many engines to order from each of three "
        "suppliers, whose yields (the share of working engines in a batch) are uncertain. After "
        "Wiecki & Kumar (2019), *Using Bayesian Decision Making to Optimize Supply Chains*: "
        "prices 220, 100 and 120 per engine, at most 100, 80 and 100 per order, a launch sells "
        "for 500 and needs one working engine, an unused engine costs 100 to hold, demand is "
        "40 + Poisson(60) launches. The profit follows the published loss (the purchase price is "
        'charged on the engines used; `cost_basis="ordered"` charges every ordered engine). '
        "With `BAYES_WIDGETS_FAST=1` the yields are fitted with fewer draws."
    ),
    new_code_cell(
        "import bayes_widgets as bw\n"
        "from bayes_widgets.core.decision import DecisionInputError, DecisionVariable, compare_naive\n"
        "from bayes_widgets.core.decision import supply_chain as sc\n\n"
        "observations = sc.load_yield_observations()\n"
        'observations.groupby("supplier")["yield"].agg(["count", "mean", "std"])'
    ),
    new_markdown_cell(
        "Supplier 0 looks best on average, but it is the expensive one; supplier 2 has only two "
        "observed batches.\n\n## Yields per supplier, fitted live\n\nEach batch yield is "
        "Beta(α, β) per supplier with HalfNormal(10) priors, as published."
    ),
    new_code_cell(
        'monitor = bw.FitMonitor(sc.yield_model(observations), backend="nutpie", draws=bw.choose(1000, 300), tune=bw.choose(1000, 300),\n'
        "                        chains=2, seed=1)\n"
        "monitor"
    ),
    new_code_cell("result = monitor.wait()\nresult.summary()"),
    new_markdown_cell(
        "## The decision problem\n\n10,000 posterior predictive scenarios: a new batch's yield "
        "per supplier (at a random posterior draw) and a demand. The profit is evaluated over "
        "all of them at once, so one decision takes well under a millisecond."
    ),
    new_code_cell(
        "scenarios = sc.scenarios_from_fit(result, n=10_000, seed=2)\n"
        "problem = sc.supply_chain_problem(scenarios)\n"
        "problem"
    ),
    new_markdown_cell(
        "## Bayesian vs naive\n\nThe naive decision plugs in the mean observed yields and the "
        "mean demand; the Bayesian one optimises over every scenario. Both are judged on fresh "
        "posterior predictive draws, scenario by scenario (a paired difference)."
    ),
    new_code_cell(
        "fresh = sc.scenarios_from_fit(result, n=10_000, seed=3)\n"
        "comparison = compare_naive(problem, fresh, point=sc.naive_point(observations), seed=0)\n"
        "print(comparison)"
    ),
    new_markdown_cell(
        "## Explore the decision\n\nMove the sliders (or type a number): the profit distribution "
        "is redrawn with its mean, CVaR (the mean of the worst 5 %) and the loss region marked. "
        "**Optimise** moves the sliders to the best orders for the chosen risk measure; the naive "
        "decision stands beside it. **Risk–return** shows what each degree of risk aversion "
        "costs in expected profit and buys in the bad cases. The explorer starts at the naive "
        "decision."
    ),
    new_code_cell(
        "explorer = bw.DecisionExplorer(problem, x=comparison.naive.x, naive=comparison)\nexplorer"
    ),
    new_code_cell(
        "best = explorer.optimise()  # the same as the button; the sliders move\n"
        "explorer.compute_frontier()\n"
        "best.x, best.converged, best.message"
    ),
    new_markdown_cell(
        "Little or nothing is ordered from the expensive supplier 0, as in the published analysis.\n\n"
        "## Judged on the true process\n\nThe observations were simulated from known yield "
        "distributions; both decisions on 10,000 scenarios of that truth:"
    ),
    new_code_cell(
        "truth = sc.generating_process_scenarios(10_000, seed=4)\n"
        "print(compare_naive(problem, truth, point=sc.naive_point(observations), bayesian=comparison.bayesian))"
    ),
    new_markdown_cell(
        "## A risk-averse decision\n\nMaximise the CVaR of profit at 5 % instead of its mean:"
    ),
    new_code_cell(
        'cautious = problem.optimise("cvar", level=0.05)\n'
        "cautious.x, problem.evaluate(cautious.x_array).mean, problem.evaluate(best.x_array).mean"
    ),
    new_markdown_cell("## Bad input names what is wrong"),
    new_code_cell(
        'for attempt in (lambda: DecisionVariable("order", 10, 5),\n'
        "                lambda: problem.evaluate([500, 0, 0]),\n"
        '                lambda: sc.supply_chain_problem({"yield": [[0.9, float("nan"), 0.8]], "demand": [100]})):\n'
        "    try:\n"
        "        attempt()\n"
        "    except DecisionInputError as err:\n"
        "        print(err)"
    ),
]


def write(name: str, cells) -> None:
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating changes only what changed
        cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, ROOT / name)


def more_notebooks():
    """Notebooks kept in their own modules next to this script: ``nb_*.py`` with NAME and CELLS."""
    import importlib.util

    for path in sorted(Path(__file__).parent.glob("nb_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module.NAME, module.CELLS


if __name__ == "__main__":
    ROOT.mkdir(exist_ok=True)
    write("01_live_fitting.ipynb", LIVE_FITTING)
    write("02_prior_editing.ipynb", PRIOR_EDITING)
    write("03_mmm_fleets.ipynb", MMM_FLEETS)
    write("04_supply_chain_decision.ipynb", SUPPLY_CHAIN)
    for name, cells in more_notebooks():
        write(name, cells)
