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
    check_every_widget,
    check_long_fit_controls,
    check_page_quiet,
    every_widget_page,
)

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
    with every_widget_page("voila", browser, tmp_path_factory.mktemp("voila")) as page:
        yield page


def test_every_widget_renders_with_data_in_voila(voila_page: Page):
    check_every_widget(voila_page, "voila")


def test_a_long_fit_streams_pauses_resumes_and_cancels_in_voila(voila_page: Page):
    timed = check_long_fit_controls(voila_page, "voila")
    assert timed["paused_shown_s"] < 10
    check_page_quiet(voila_page, IGNORED_ERRORS, allowed_outside=VOILA_CDN)
