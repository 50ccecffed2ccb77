"""Smoke tests of the real-browser harness (JupyterLab, Notebook 7, artifacts)."""

from __future__ import annotations

import sys

import pytest
from playwright.sync_api import Page, expect

from .conftest import NotebookPageFactory
from .jupyter_harness import (
    JupyterServer,
    cell_is_running,
    relevant_console_errors,
    save_screenshot,
)

SMOKE_NB = "harness_smoke.ipynb"
TIMEOUT_MS = 90_000


def _assert_widgets_rendered(page: Page) -> None:
    """The IntSlider and the anywidget from the smoke notebook are in the DOM."""
    slider = page.locator(".widget-slider").filter(has_text="smoke").first
    expect(slider).to_be_visible(timeout=TIMEOUT_MS)
    expect(slider.locator(".widget-label")).to_have_text("smoke")
    expect(slider.locator(".widget-readout")).to_have_text("7")

    span = page.locator('[data-testid="aw"]')
    expect(span).to_have_count(1, timeout=TIMEOUT_MS)
    expect(span).to_be_visible()
    assert span.get_attribute("data-value") == "42"
    assert span.inner_text() == "42"
    assert not cell_is_running(page)
    assert relevant_console_errors(page) == []


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_smoke_notebook_renders_widgets(notebook_page: NotebookPageFactory, app: str) -> None:
    """Slider + anywidget render in JupyterLab and in Notebook 7."""
    page = notebook_page(SMOKE_NB, app=app, run_all=True)
    _assert_widgets_rendered(page)


def test_screenshot_and_kernel_cleanup(
    jupyter_server: JupyterServer, notebook_page: NotebookPageFactory
) -> None:
    """A screenshot is written; kernels use the test interpreter and can be shut down."""
    specs = jupyter_server.api("GET", "/api/kernelspecs")
    assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable

    page = notebook_page(SMOKE_NB, app="lab", run_all=True)
    assert len(jupyter_server.api("GET", "/api/kernels")) == 1
    assert not cell_is_running(page)
    expect(page.locator('[data-testid="aw"]')).to_be_visible(timeout=TIMEOUT_MS)
    windowing = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode"
    )
    assert windowing == "none"  # harness user setting reached the page

    path = save_screenshot(page, "harness_smoke_lab")
    assert path.is_file()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    jupyter_server.shutdown_all_kernels()
    assert jupyter_server.api("GET", "/api/kernels") == []
