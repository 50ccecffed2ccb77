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


def write(name: str, cells) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    ROOT.mkdir(exist_ok=True)
    write("01_live_fitting.ipynb", LIVE_FITTING)
