"""Writes the example notebooks in examples/ from the cell sources below (no outputs)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1] / "examples"

LIVE_FITTING = [
    new_markdown_cell(
        "# Live fitting\n\n"
        "Fit a PyMC model and watch it: per-chain draws, divergences as they happen, step size, "
        "tree depth or leapfrog steps, draws/s and ETA, live trace and rank plots, running "
        "R-hat and ESS. **Cancel** keeps the draws made so far; **Pause**/**Resume** hold the "
        "sampler. The kernel stays free while the fit runs."
    ),
    new_code_cell(
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
        "monitor = bw.FitMonitor(model, backend=\"pymc\", draws=1000, tune=1000, chains=2,\n"
        "                        target_accept=0.95, seed=1)\n"
        "monitor"
    ),
    new_code_cell("result = monitor.wait()\nresult"),
    new_code_cell("result.summary()"),
    new_markdown_cell(
        "## nutpie\n\nCompiled once per model, then much faster. The same diagnostics schema "
        "comes back from every backend."
    ),
    new_code_cell(
        "fast = bw.FitMonitor(kidiq_momhsiq(), backend=\"nutpie\", draws=1000, tune=1000, seed=2)\n"
        "fast"
    ),
    new_code_cell("fast.wait().diagnostics.to_dict()"),
    new_markdown_cell(
        "## In a script\n\n`bw.fit` blocks and returns the result; `block=False` returns a "
        "`FitSession` to pause, resume, cancel or poll."
    ),
    new_code_cell(
        "session = bw.fit(model, backend=\"nutpie\", draws=500, tune=500, block=False)\n"
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
        "bw.PriorEditor(PriorDist.create(\"Gamma\", parameterisation=\"mean_sd\", mu=2, sigma=1))"
    ),
    new_markdown_cell("The same in code: the maximum-entropy Gamma with 90 % of its mass in [1, 10]."),
    new_code_cell("maxent(\"Gamma\", 1, 10, mass=0.9)"),
    new_markdown_cell(
        "## A model's priors and its prior predictive\n\nSet a plausible range: the editor "
        "reports the share of prior-predictive values (and whole draws) outside it."
    ),
    new_code_cell(
        "rng = np.random.default_rng(0)\n"
        "t = np.arange(80)\n"
        "sales = 20 + 0.1 * t + 3 * np.sin(t / 8) + rng.normal(0, 1.5, size=80)\n"
        "with pm.Model(coords={\"term\": [\"level\", \"trend\"]}) as model:\n"
        "    beta = pm.Normal(\"beta\", [20.0, 0.0], [10.0, 1.0], dims=\"term\")\n"
        "    sigma = pm.HalfNormal(\"sigma\", 5.0)\n"
        "    pm.Normal(\"sales\", beta[0] + beta[1] * t, sigma, observed=sales)\n\n"
        "editor = bw.PriorEditor(model, draws=500, seed=1, lower=0, upper=100)\n"
        "editor"
    ),
    new_code_cell("print(editor.code())"),
    new_markdown_cell("Fit the model with the edited priors, live:"),
    new_code_cell("monitor = editor.fit(backend=\"nutpie\", draws=500, tune=500, seed=2)\nmonitor"),
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
        "mmm = MMM(date_column=\"date_week\", channel_columns=[\"x1\", \"x2\"],\n"
        "          control_columns=[\"event_1\", \"event_2\"], target_column=\"y\",\n"
        "          adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), yearly_seasonality=2)\n"
        "mmm.build_model(df.drop(columns=\"y\"), df[\"y\"])\n"
        "mmm_editor = bw.PriorEditor(mmm, draws=500, seed=3, lower=0)\n"
        "mmm_editor"
    ),
    new_code_cell("mmm_editor.model_config()[\"saturation_lam\"]"),
]


def write(name: str, cells) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    ROOT.mkdir(exist_ok=True)
    write("01_live_fitting.ipynb", LIVE_FITTING)
    write("02_prior_editing.ipynb", PRIOR_EDITING)
