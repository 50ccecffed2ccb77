"""DecisionExplorer in a real JupyterLab: numbers read from the rendered page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .jupyter_harness import relevant_console_errors, save_screenshot, wait_until

EXPLORER = "[data-testid=decision-explorer]"
TIMEOUT_MS = 120_000
NAMES = ("order_0", "order_1", "order_2")


def move_slider(page: Page, name: str, value: float) -> None:
    page.locator(f"{EXPLORER} [data-testid=slider-{name}]").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def expected(page: Page) -> float:
    return float(page.locator(f"{EXPLORER} [data-testid=expected]").get_attribute("data-value"))


def sliders(page: Page) -> tuple[float, ...]:
    return tuple(float(page.locator(f"{EXPLORER} [data-testid=slider-{n}]").input_value()) for n in NAMES)


def open_explorer(notebook_page) -> Page:
    page = notebook_page("decision_explorer.ipynb", app="lab", run_all=True)
    explorer = page.locator(EXPLORER)
    expect(explorer).to_be_visible(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=outcome-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    expect(explorer.locator("[data-testid=frontier-figure][data-rendered=true]")).to_be_attached(timeout=TIMEOUT_MS)
    return page


def test_slider_changes_expected_profit_and_optimise_moves_the_sliders(notebook_page):
    page = open_explorer(notebook_page)
    explorer = page.locator(EXPLORER)
    assert sliders(page) == (20, 20, 20)
    start = expected(page)
    figure_mean = float(explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean"))
    assert figure_mean == start
    # more engines from the cheap supplier: more launches, more profit
    move_slider(page, "order_1", 60)
    assert wait_until(lambda: expected(page) > start + 1000, timeout=30), expected(page)
    expect(explorer.locator("[data-testid=value-order_1]")).to_have_value("60")
    moved = expected(page)
    assert float(explorer.locator("[data-testid=outcome-figure]").get_attribute("data-mean")) == moved
    # the naive decision and the given reference stand beside it
    assert explorer.locator("tr[data-label='naive (means)']").count() == 1
    assert explorer.locator("tr[data-label='equal split']").count() == 1
    # Optimise moves the sliders to the optimum, and the expected profit rises
    explorer.locator("[data-testid=optimise]").click()
    assert wait_until(lambda: sliders(page) != (20, 60, 20), timeout=60)
    expect(explorer.locator("[data-testid=optimum]")).to_contain_text("converged", timeout=30_000)
    optimum_row = explorer.locator("tr[data-label=optimum]")
    best = tuple(float(optimum_row.locator(f"td[data-variable={n}]").get_attribute("data-value")) for n in NAMES)
    assert wait_until(lambda: sliders(page) == best, timeout=30), (sliders(page), best)
    assert best[0] <= 10  # little or nothing from the expensive supplier
    assert wait_until(lambda: expected(page) > moved, timeout=30)
    for name, value in zip(NAMES, best):
        expect(explorer.locator(f"[data-testid=value-{name}]")).to_have_value(str(int(value)))
    # the risk–return view: one optimum per risk preference
    explorer.locator("[data-testid=frontier-button]").click()
    expect(explorer.locator("[data-testid=frontier-figure][data-points='6']")).to_be_attached(timeout=60_000)
    explorer.screenshot(path=str(save_screenshot(page, "decision_explorer").with_name("decision_explorer_widget.png")))
    assert relevant_console_errors(page) == []


def test_a_bad_value_is_shown_inline_and_the_decision_kept(notebook_page):
    page = open_explorer(notebook_page)
    explorer = page.locator(EXPLORER)
    start = expected(page)
    evaluations = explorer.get_attribute("data-evaluations")
    box = explorer.locator("[data-testid=value-order_0]")
    box.fill("500")
    box.dispatch_event("change")
    expect(explorer.locator("[data-testid=error]")).to_contain_text("x.order_0: 500 is outside its bounds",
                                                                    timeout=30_000)
    expect(box).to_have_value("20", timeout=10_000)  # put back to the last valid decision
    assert expected(page) == start and explorer.get_attribute("data-evaluations") == evaluations
    box.fill("5")
    box.dispatch_event("change")
    expect(explorer.locator("[data-testid=error]")).to_be_hidden(timeout=30_000)
    assert wait_until(lambda: expected(page) != start, timeout=30)
    assert relevant_console_errors(page) == []
