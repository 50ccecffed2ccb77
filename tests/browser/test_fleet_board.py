"""FleetBoard in a real JupyterLab: statuses, pass/fail colours and a run's plots."""

from __future__ import annotations

from playwright.sync_api import expect

from .jupyter_harness import relevant_console_errors, save_screenshot

BOARD = "[data-testid=fleet-board]"


def test_board_shows_runs_verdicts_and_plots(notebook_page):
    page = notebook_page("fleet_board.ipynb", app="lab", run_all=True)
    board = page.locator(BOARD)
    expect(board).to_be_visible(timeout=120_000)
    assert board.get_attribute("data-done") == "2" and board.get_attribute("data-failed") == "1"
    # a queued run is listed; a run whose worker is gone is lost, its worker named
    assert board.get_attribute("data-queued") == "1" and board.get_attribute("data-lost") == "1"
    assert board.locator("tr[data-run=h4]").get_attribute("data-status") == "queued"
    lost = board.locator("tr[data-run=h5] span[title]").get_attribute("title")
    assert f"worker {2**22 + 9}@" in lost and "is gone" in lost
    expect(board).to_contain_text("lost: 1")
    # names from the user are shown as text, not as markup
    expect(board.locator("th", has_text="<i>x</i>")).to_have_count(1)
    assert board.locator("i").count() == 0 and board.locator("img").count() == 0
    assert "<img src=x" in board.locator("tr[data-run=h3] span[title]").get_attribute("title")
    assert (
        board.locator("tr[data-run=h2] td[data-metric=test_mape]").get_attribute("data-verdict")
        == "fail"
    )
    assert (
        board.locator("tr[data-run=h1] td[data-metric=test_mape]").get_attribute("data-verdict")
        == "pass"
    )
    assert board.locator("tr[data-run=h3]").get_attribute("data-status") == "failed"
    # a threshold changed on the page re-colours the cells
    board.locator("[data-testid=threshold-test_mape]").click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("0.5")
    page.keyboard.press("Enter")
    expect(board.locator("tr[data-run=h2] td[data-metric=test_mape]")).to_have_attribute(
        "data-verdict", "pass", timeout=30_000
    )
    # a non-numeric threshold is refused beside the boxes, naming the metric; the rule stays
    board.locator("[data-testid=threshold-test_mape]").click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("abc")
    page.keyboard.press("Enter")
    expect(board.locator("[data-testid=input-error]")).to_have_text(
        "threshold test_mape: enter a number"
    )
    assert (
        board.locator("tr[data-run=h2] td[data-metric=test_mape]").get_attribute("data-verdict")
        == "pass"
    )
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("0.5")
    page.keyboard.press("Tab")
    expect(board.locator("[data-testid=input-error]")).to_be_hidden()
    board.locator("tr[data-run=h2]").click()
    expect(board.locator("[data-testid=detail][data-run=h2]")).to_be_attached(timeout=30_000)
    board.screenshot(
        path=str(save_screenshot(page, "fleet_board").with_name("fleet_board_widget.png"))
    )
    assert relevant_console_errors(page) == []
