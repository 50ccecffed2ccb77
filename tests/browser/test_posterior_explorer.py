"""PosteriorExplorer in a real JupyterLab: table, plots and linked selection on the page."""

from __future__ import annotations

from playwright.sync_api import expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EXPLORER = "[data-testid=posterior-explorer]"
TIMEOUT_MS = 180_000


def test_summary_plots_and_linked_selection(notebook_page):
    page = notebook_page("posterior_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER).first
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    figure = explorer.locator("[data-testid=figure][data-rendered=true]")
    expect(figure).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=forest][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    # one row per quantity: mu, tau and eight thetas labelled by school
    rows = explorer.locator("[data-testid=summary] tr[data-quantity]")
    assert rows.count() == 10
    theta_b = explorer.locator("tr[data-quantity='theta[B]']")
    assert float(theta_b.locator("td[data-col=r_hat]").get_attribute("data-value")) > 0.9
    # rows with a problem are marked and say why in visible text (300 draws × 2 chains is
    # below ESS 200 for tau), and the fit's problems are listed above the table
    flagged = explorer.locator("tr[data-problem=true]")
    assert flagged.count() == int(explorer.get_attribute("data-problems")) > 0
    why = flagged.first.locator("[data-testid=row-problems]").inner_text()
    assert "ESS" in why or "R-hat" in why, why
    listed = explorer.locator("[data-testid=problems] li")
    assert listed.count() == int(explorer.get_attribute("data-fit-problems")) > 0
    assert listed.first.is_visible()
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


def test_hand_written_regression_labels_and_collapsed_deterministic(notebook_page):
    page = notebook_page("posterior_explorer_own_model.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    table = explorer.locator("[data-testid=summary]")
    # coordinate labels, free parameters first, read from the page
    names = [n.strip() for n in table.locator("tr[data-quantity] td.bw-left").all_inner_texts()]
    assert names == ["intercept", "beta[temp]", "beta[price]", "beta[weekend]", "sigma"]
    group = table.locator("tr[data-group=mu]")
    expect(group).to_contain_text("mu — 60 values, max R-hat")
    assert table.locator("tr[data-quantity='mu[0]']").count() == 0  # collapsed
    # problems named in visible text (100 draws × 2 chains: ESS below 200 somewhere)
    problems = explorer.locator("[data-testid=problems]")
    expect(problems).to_contain_text("ESS bulk below 200")
    group.locator("[data-testid=expand]").click()
    expect(table.locator("tr[data-quantity='mu[0]']")).to_be_visible(timeout=10_000)
    assert table.locator("tr[data-quantity^='mu[']").count() == 60
    explorer.screenshot(path=str(save_screenshot(page, "posterior_explorer_regression").with_name(
        "posterior_explorer_regression_widget.png")))
    assert relevant_console_errors(page) == []
