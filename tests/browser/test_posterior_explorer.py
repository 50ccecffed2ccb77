"""PosteriorExplorer in a real JupyterLab: table, plots and linked selection on the page."""

from __future__ import annotations

from playwright.sync_api import expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EXPLORER = "[data-testid=posterior-explorer]"
TIMEOUT_MS = 180_000


def test_summary_plots_and_linked_selection(notebook_page):
    page = notebook_page("posterior_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    figure = explorer.locator("[data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=forest][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    # one row per quantity: mu, tau and eight thetas labelled by school
    rows = explorer.locator("[data-testid=summary] tr[data-quantity]")
    assert rows.count() == 10
    theta_b = explorer.locator("tr[data-quantity='theta[B]']")
    assert float(theta_b.locator("td[data-col=r_hat]").get_attribute("data-value")) > 0.9
    # rows with a problem are marked and say why (300 draws × 2 chains is below ESS 200 for tau)
    flagged = explorer.locator("tr[data-problem=true]")
    assert flagged.count() == int(explorer.get_attribute("data-problems")) > 0
    assert "ess" in (flagged.first.get_attribute("title") or "").lower() or "R-hat" in (flagged.first.get_attribute("title") or "")
    assert figure.get_attribute("data-quantities") == "mu|tau"
    # box-select draws in the pair plot (the fifth Bokeh figure: 2 traces, 2 ranks, pair, predictive)
    plots = figure.locator(".bk-Figure")
    assert wait_until(lambda: plots.count() >= 6, timeout=30)
    plots.nth(4).scroll_into_view_if_needed()
    box = plots.nth(4).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    assert wait_until(lambda: int(explorer.get_attribute("data-selected") or 0) > 0, timeout=20)
    # the selected draws' predictive curves are highlighted
    assert wait_until(lambda: int(explorer.get_attribute("data-ppc-highlighted") or 0) > 0, timeout=20)
    expect(explorer.locator("[data-testid=selection]")).to_contain_text("draws selected")
    explorer.screenshot(path=str(save_screenshot(page, "posterior_explorer").with_name("posterior_explorer_widget.png")))
    # choosing other quantities redraws the plots
    explorer.locator("tr[data-quantity='theta[C]']").click()
    expect(explorer.locator("[data-testid=figure][data-quantities='theta[C]']")).to_be_attached(timeout=60_000)
    assert relevant_console_errors(page) == []
