"""MMMExplorer in a real JupyterLab: a geo MMM's one-pager, and the linked views redrawn
when a channel (a row of its table) and a geo (the selector) are chosen with the mouse
and keyboard; read from what the page shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from .jupyter_harness import (
    plot_titles,
    plots_hiding_data,
    relevant_console_errors,
    save_screenshot,
)

EXPLORER = "[data-testid=mmm-explorer]"
TIMEOUT_MS = 300_000
FIGURES = ("fit", "decomposition", "channels", "response", "adstock")


def click(page: Page, target: Locator) -> None:
    """A real mouse click in the middle of ``target``."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def shows(explorer: Locator, channel: str, geo: str) -> None:
    """Waits until every figure is drawn for ``channel`` and ``geo`` ("" = all geos)."""
    for name in FIGURES:
        chosen = "" if name == "fit" else f"[data-channel='{channel}']"  # the fit shows none
        box = explorer.locator(
            f"[data-testid={name}-figure][data-rendered=true][data-geo='{geo}']{chosen}"
        )
        expect(box).to_be_attached(timeout=60_000)


def shares(explorer: Locator) -> dict[str, str]:
    rows = explorer.locator("[data-testid=channels-table] tr[data-channel]")
    return {
        rows.nth(i).get_attribute("data-channel"): rows.nth(i)
        .locator("td[data-col=share]")
        .inner_text()
        for i in range(rows.count())
    }


@pytest.mark.timeout(420)  # a geo MMM fitted in the kernel; a loaded machine took 3 min
def test_channel_and_geo_choices_redraw_the_linked_views(notebook_page):
    page = notebook_page("mmm_explorer.ipynb", app="lab", run_all=True, timeout=TIMEOUT_MS / 1000)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    shows(explorer, "x1", "")
    header = explorer.locator("[data-testid=header]").inner_text()
    assert "All geos" in header and "fitted on 32 dates, then 4 test dates" in header, header
    assert explorer.locator("[data-testid=error]").inner_text() == ""
    # every view drawn, none hiding its data, the chosen channel's curves
    assert plots_hiding_data(explorer)["problems"] == []
    response = explorer.locator("[data-testid=response-figure]")
    assert plot_titles(response) == ["x1: response per period — all geos"]
    assert plot_titles(explorer.locator("[data-testid=fit-figure]")) == [
        "fitted vs actual — all geos"
    ]
    total = shares(explorer)
    assert set(total) == {"x1", "x2"}
    chosen = explorer.locator("[data-testid=channels-table] tr.bw-chosen")
    assert chosen.get_attribute("data-channel") == "x1"
    explorer.screenshot(
        path=str(save_screenshot(page, "mmm_explorer_page").with_name("mmm_explorer_all_geos.png"))
    )

    # a click on x2's row: the decomposition highlights it, its curves are drawn
    click(page, explorer.locator("[data-testid=channels-table] tr[data-channel=x2] td").first)
    shows(explorer, "x2", "")
    assert plot_titles(response) == ["x2: response per period — all geos"]
    assert plot_titles(explorer.locator("[data-testid=adstock-figure]")) == [
        "x2: adstock weights — all geos"
    ]
    assert chosen.get_attribute("data-channel") == "x2"
    assert explorer.get_attribute("data-channel") == "x2"
    assert explorer.locator("[data-testid=channel]").input_value() == "x2"

    # geo_b from the selector (mouse to open it, keyboard to choose): every view redrawn
    click(page, explorer.locator("[data-testid=geo]"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    shows(explorer, "x2", "geo_b")
    assert plot_titles(explorer.locator("[data-testid=fit-figure]")) == ["fitted vs actual — geo_b"]
    assert plot_titles(response) == ["x2: response per period — geo_b"]
    header = explorer.locator("[data-testid=header]").inner_text()
    assert "geo_b" in header, header
    assert shares(explorer) != total
    assert plots_hiding_data(explorer)["problems"] == []
    explorer.screenshot(
        path=str(save_screenshot(page, "mmm_explorer_page_geo").with_name("mmm_explorer_geo_b.png"))
    )

    # back to every geo with the keyboard alone: the total's shares again
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    shows(explorer, "x2", "")
    assert shares(explorer) == total
    assert relevant_console_errors(page) == []
