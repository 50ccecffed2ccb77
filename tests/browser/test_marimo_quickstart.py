"""examples/marimo_quickstart.py as a user runs it (``marimo run``, headless chromium).

The priors and the live fit show at once; the fit finishes; "Explore the posterior",
clicked with the mouse, brings the posterior explorer and then the decision, every figure
painted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import Browser

from tests.polling import wait_for

from .host_harness import HostServer, click, tall_viewport, unpainted, widgets_on_page
from .jupyter_harness import REPO_ROOT, artifacts_dir, relevant_console_errors

QUICKSTART = REPO_ROOT / "examples" / "marimo_quickstart.py"


def test_the_quickstart_passes_marimo_s_checks():
    done = subprocess.run(
        [sys.executable, "-m", "marimo", "check", str(QUICKSTART)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_quickstart_fits_explores_and_decides(browser: Browser, tmp_path):
    # a copy: marimo keeps a session cache in __marimo__/ beside the notebook it runs
    notebook = tmp_path / QUICKSTART.name
    shutil.copyfile(QUICKSTART, notebook)
    server = HostServer("marimo", notebook, browser)
    server.start()
    try:
        page = server.open(viewport=(1300, 1000))

        def kinds():
            return [w["kind"] for w in widgets_on_page(page)]

        assert wait_for(
            lambda: kinds() == ["prior_editor", "fit_monitor"], timeout=120, step=0.5
        ), kinds()
        monitor = page.locator("[data-bw-widget=fit_monitor]")
        assert wait_for(
            lambda: monitor.get_attribute("data-status") == "finished", timeout=120, step=0.2
        )
        click(page, page.get_by_role("button", name="Explore the posterior"))
        expected = ["prior_editor", "fit_monitor", "posterior_explorer", "decision_explorer"]
        assert wait_for(lambda: kinds() == expected, timeout=120, step=0.5), kinds()
        assert wait_for(lambda: not unpainted(widgets_on_page(page)), timeout=120, step=0.5), (
            unpainted(widgets_on_page(page))
        )
        assert [w["error"] for w in widgets_on_page(page) if w["error"]] == []
        with tall_viewport(page, 4800):
            page.screenshot(path=str(artifacts_dir() / "marimo_quickstart.png"))
        assert relevant_console_errors(page, (r"favicon",)) == []
        assert page.outside_requests == []
    finally:
        server.stop()
