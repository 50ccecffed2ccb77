"""Every widget in marimo (``marimo run`` on localhost, headless chromium).

The notebook with every widget (tests/browser/host_harness.py) runs as a marimo app, as a
user opens it: each figure is painted, no plot is unavailable, the live fit reaches
"finished", and a long nutpie fit streams, pauses, resumes and cancels from buttons clicked
with the mouse. marimo hands a view a model that takes one event name per listener and
delivers the page's messages when the kernel is free, so these are the checks that the
live state and the commands follow anywidget's contract only.
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

IGNORED_ERRORS = (r"favicon",)


@pytest.fixture(scope="module")
def marimo_page(browser: Browser, tmp_path_factory) -> Iterator[Page]:
    with every_widget_page("marimo", browser, tmp_path_factory.mktemp("marimo")) as page:
        yield page


def test_every_widget_renders_with_data_in_marimo(marimo_page: Page):
    check_every_widget(marimo_page, "marimo")
    assert marimo_page.locator("marimo-anywidget, [data-bw-widget]").count() >= 9


def test_a_long_fit_streams_pauses_resumes_and_cancels_in_marimo(marimo_page: Page):
    timed = check_long_fit_controls(marimo_page, "marimo")
    assert timed["paused_shown_s"] < 10
    check_page_quiet(marimo_page, IGNORED_ERRORS)
