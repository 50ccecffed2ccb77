"""The live-fitting example in Notebook 7, as users start it (``jupyter notebook``).

The same checks as in JupyterLab (tests/browser/test_examples_lab.py): every cell ran
without an error output, every widget rendered with data, no browser errors.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .jupyter_harness import REPO_ROOT, JupyterServer
from .test_examples_lab import FAST_ENV, RUN_TIMEOUT_S, kernel_eval, run_and_check_example

EXAMPLE = REPO_ROOT / "examples" / "01_live_fitting.py"  # the source its notebook is built from


@pytest.fixture(scope="module")
def fast_notebook7(jupyter_server_factory: Callable[..., JupyterServer]) -> JupyterServer:
    """``jupyter notebook`` (Notebook 7) whose kernels use the examples' fast settings."""
    return jupyter_server_factory(app="notebook", env=FAST_ENV)


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S + 300)
def test_live_fitting_example_runs_in_notebook7(fast_notebook7: JupyterServer):
    state = run_and_check_example(
        fast_notebook7,
        EXAMPLE,
        app="notebook",
        shot="example_01_live_fitting_notebook7",
        crops=False,
    )
    page = state["page"]
    assert "/notebooks/" in page.url
    # Notebook 7's own shell, not JupyterLab's
    assert page.locator("#main-panel, .jp-NotebookPanel").count() >= 1
    assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    assert kernel_eval(page, "__import__('bayes_widgets').fast_mode()") == "True"
    monitors = [w for w in state["widgets"] if w["module"] == "fit_monitor"]
    assert len(monitors) >= 2, [w["module"] for w in state["widgets"]]
