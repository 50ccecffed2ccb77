"""Every widget in Voila (``voila`` on localhost, headless chromium).

The notebook with every widget (tests/browser/host_harness.py), rendered by Voila as a
user opens it: each figure is painted, no plot is unavailable, the live fit reaches
"finished", and a long nutpie fit streams, pauses, resumes and cancels from buttons clicked
with the mouse.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from .host_harness import (
    HostServer,
    check_every_widget,
    check_long_fit_controls,
    write_ipynb,
)
from .jupyter_harness import relevant_console_errors

pytestmark = pytest.mark.timeout(300)

# Voila's page template links Font Awesome from a CDN, which this offline machine cannot
# reach; and Voila loads every JupyterLab extension installed beside it, and Notebook 7's
# own extension fails to start outside Notebook 7. Neither touches the widgets.
VOILA_CDN = ("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free",)
IGNORED_ERRORS = (
    r"favicon",
    r"^Failed to load resource: net::ERR_NAME_NOT_RESOLVED$",
    r"shareKey\":\"@jupyterlab/docregistry\"[\s\S]*@jupyter-notebook/lab-extension",
)


@pytest.fixture(scope="module")
def voila_page(browser: Browser, tmp_path_factory) -> Iterator[Page]:
    notebook = write_ipynb(tmp_path_factory.mktemp("voila") / "every_widget.ipynb")
    server = HostServer("voila", notebook, browser)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.open(viewport=(1300, 1000))
    finally:
        server.stop()


def test_every_widget_renders_with_data_in_voila(voila_page: Page):
    check_every_widget(voila_page, "voila")


def test_a_long_fit_streams_pauses_resumes_and_cancels_in_voila(voila_page: Page):
    timed = check_long_fit_controls(voila_page, "voila")
    assert timed["paused_shown_s"] < 10
    assert relevant_console_errors(voila_page, IGNORED_ERRORS) == []
    assert [u for u in voila_page.outside_requests if not u.startswith(VOILA_CDN)] == []
