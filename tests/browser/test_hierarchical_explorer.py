"""HierarchicalExplorer in a real JupyterLab: a new store's forecast, stepping through
stores, effect densities, and the cold-start comparison read from the page."""

from __future__ import annotations

from playwright.sync_api import expect

from .jupyter_harness import relevant_console_errors, save_screenshot

EXPLORER = "[data-testid=hierarchical-explorer]"
TIMEOUT_MS = 240_000


def test_forecast_effects_and_cold_start(notebook_page):
    page = notebook_page("hierarchical_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    forecast = explorer.locator("[data-testid=forecast][data-rendered=true]")
    expect(forecast).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=effects][data-rendered=true]")).to_be_attached(
        timeout=TIMEOUT_MS
    )
    assert forecast.locator("canvas").count() > 0
    first = explorer.get_attribute("data-group")
    assert forecast.get_attribute("data-group") == first
    # the band coverage and error of the shown store, on the days after the 7 known ones
    cov90 = float(explorer.locator("[data-testid=coverage-90]").get_attribute("data-value"))
    assert 0.6 <= cov90 <= 1.0
    # the cold start beats the per-store Poisson regression, as printed on the page
    cold = float(explorer.locator("[data-testid=err-cold]").get_attribute("data-value"))
    glm = float(explorer.locator("[data-testid=err-glm]").get_attribute("data-value"))
    assert 0 < cold < glm
    rows = explorer.locator("[data-testid=coefficients] tr[data-feature]")
    assert rows.count() == 23
    promo = explorer.locator("tr[data-feature=promo] td[data-col=cold_start]").inner_text()
    assert float(promo) != 0.0
    explorer.screenshot(
        path=str(
            save_screenshot(page, "hierarchical_explorer").with_name(
                "hierarchical_explorer_widget.png"
            )
        )
    )

    # next store: the forecast is redrawn for it and the coefficients change
    explorer.locator("[data-testid=next]").click()
    expect(
        explorer.locator(f"[data-testid=forecast][data-group]:not([data-group='{first}'])")
    ).to_be_attached(timeout=60_000)
    second = explorer.get_attribute("data-group")
    assert second != first
    assert explorer.locator("[data-testid=group]").input_value() == second

    # the weekday effects join the promotion effect in the density plot
    explorer.locator("input[data-feature=dow_mon]").check()
    # features keep the model's order: the weekdays come first
    expect(explorer.locator("[data-testid=effects][data-features='dow_mon|promo']")).to_be_attached(
        timeout=60_000
    )
    explorer.locator("[data-testid=transform]").select_option("log")
    expect(explorer.locator("[data-testid=effects][data-transform=log]")).to_be_attached(
        timeout=60_000
    )
    assert explorer.locator("[data-testid=error]").inner_text() == ""
    assert relevant_console_errors(page) == []
